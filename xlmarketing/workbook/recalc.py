"""Values of ordinary formulas (dependents of our results) from a real formula engine.

The engine works on a temporary copy of the refreshed package in which our formula cells are
plain values (so no engine needs our add-in) and the formulas to compute have no cached value.
Engines, in order of preference for ``"auto"``:

* ``libreoffice``: LibreOffice headless converts the copy to .xlsx, computing the formulas; the
  values are read back from its output;
* ``formulas``: the pure-Python ``formulas`` package (no table references);
* ``none``: nothing is recomputed (cached values stay as they were).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import office
from .options import ENGINES  # noqa: F401 - re-exported: recalc.ENGINES is used by callers
from .xlsx import (Package, read_values, split_ref, strip_for_recalc, value_cell,
                   with_formula)

Key = tuple[str, int, int]  # (sheet title, row, column)

_lo_lock = threading.Lock()  # one LibreOffice per process (threads share its profile)
_profiles: dict[int, str] = {}  # pid -> profile folder (forked workers get their own)


class EngineFailed(Exception):
    pass


def soffice() -> str | None:
    # Asked once per formula by the refresh (7,000 chart helpers: 7,000 PATH walks): remembered
    # per PATH.
    path = os.environ.get("PATH")
    got = _which.get(path)
    if got is None:
        got = _which[path] = (shutil.which("soffice") or shutil.which("libreoffice") or "",)
    return got[0] or None


_which: dict[str | None, tuple[str]] = {}


def warm_up() -> None:
    """Start this process's LibreOffice in the background (the refresh will need it)."""
    exe = soffice()
    if exe:
        office.warm_up(exe)


def shared_office():  # noqa: ANN201 - a context manager
    """One LibreOffice for everything run inside, forked worker processes included."""
    exe = soffice()
    if not exe:
        return contextlib.nullcontext()
    return office.shared(exe)


def formulas_available() -> bool:
    try:
        import formulas  # noqa: F401
    except Exception:  # noqa: BLE001
        return False
    return True


def pick(engine: str) -> list[str]:
    """Engines to try, best first."""
    if engine not in ENGINES:
        raise ValueError(f"formula_engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != "auto":
        return [engine]
    out = []
    if soffice():
        out.append("libreoffice")
    if formulas_available():
        out.append("formulas")
    return out or ["none"]


def compute(pkg: Package, values: dict[Key, Any], todo: set[Key], engine: str,
            sheets: set[str] | None = None, texts: dict[Key, str] | None = None
            ) -> tuple[dict[Key, Any], str, list[str]]:
    """Compute the formulas at ``todo`` on a copy of ``pkg`` where ``values`` are plain values.

    ``sheets``, when given, are the only sheets the formulas need: the others are emptied in
    the copy, so the engine loads less. ``texts`` replaces the formula of some ``todo`` cells in
    the copy (spill references written as the ranges they cover). Returns (values of the ``todo`` cells, engine that ran,
    warnings).
    """
    warnings: list[str] = []
    if not todo:
        return {}, "none", warnings
    parts = pkg.sheet_parts()
    overrides: dict[str, dict[tuple[int, int], str | None]] = {}
    for (sheet, r, c), v in values.items():
        if sheets is not None and sheet not in sheets:
            continue
        sx = pkg.sheet(parts[sheet])
        old = sx.get(r, c)
        style = None
        if old:
            from .xlsx import attrs

            style = attrs(old).get("s")
        ref = _ref(r, c)
        overrides.setdefault(parts[sheet], {})[(r, c)] = value_cell(ref, v, style)
    for sheet, r, c in todo:
        sx = pkg.sheet(parts[sheet])
        old = sx.get(r, c)
        if old:
            # General format: LibreOffice has no logical type and marks a result TRUE/FALSE only
            # from the cell's number format (AND(...) in a "0.00" cell came back as 0, not FALSE)
            cell = _general(strip_for_recalc(old))
            if texts and (sheet, r, c) in texts:
                cell = with_formula(cell, texts[(sheet, r, c)])
            overrides.setdefault(parts[sheet], {})[(r, c)] = cell
    blobs = {name: pkg.sheet(name).serialize(ov).encode("utf-8") for name, ov in overrides.items()}
    for title, part in parts.items():
        if sheets is not None and title not in sheets:
            sx = pkg.sheet(part)
            blobs[part] = (sx.head + "<sheetData/>" + sx.tail).encode("utf-8")
    for name in engine_list(engine):
        if name == "none":
            return {}, "none", warnings
        try:
            with tempfile.TemporaryDirectory(prefix="xlm-recalc-") as tmp:
                src = Path(tmp) / "book.xlsx"
                pkg.save(src, overrides=blobs)
                if name == "libreoffice":
                    got = _libreoffice(src, todo)
                else:
                    got = _formulas(src, todo)
            return got, name, warnings
        except EngineFailed as exc:
            warnings.append(f"formula engine {name} failed: {exc}")
    return {}, "none", warnings


def _general(cell_xml: str) -> str:
    """The cell without its style (``s``) attribute."""
    end = cell_xml.index(">")
    return re.sub(r'\ss="[^"]*"', "", cell_xml[:end]) + cell_xml[end:]


def engine_list(engine: str) -> list[str]:
    names = pick(engine)
    return names if names[-1] == "none" else names + ["none"]


def _ref(r: int, c: int) -> str:
    from .xlsx import cell_ref

    return cell_ref(r, c)


# --------------------------------------------------------------------------- LibreOffice


def _lo_profile() -> str:
    pid = os.getpid()
    if pid not in _profiles:
        _profiles[pid] = tempfile.mkdtemp(prefix=f"xlm-lo-profile-{pid}-")
        atexit.register(shutil.rmtree, _profiles[pid], True)
    return _profiles[pid]


def _lo_env() -> dict[str, str]:
    return {**os.environ, "SAL_USE_VCLPLUGIN": "svp"}


def _libreoffice(src: Path, todo: set[Key]) -> dict[Key, Any]:
    exe = soffice()
    if not exe:
        raise EngineFailed("LibreOffice (soffice) is not installed")
    out_dir = src.parent / "out"
    out_dir.mkdir()
    result = out_dir / src.name
    # This process's long-lived LibreOffice (started early by warm_up), else one for this file.
    if not office.convert(exe, src, result):
        with _lo_lock:
            cmd = [exe, f"-env:UserInstallation=file://{_lo_profile()}", "--headless",
                   "--norestore", "--nologo", "--nodefault", "--nolockcheck", "--convert-to",
                   "xlsx", "--outdir", str(out_dir), str(src)]
            try:
                subprocess.run(cmd, capture_output=True, timeout=600, check=False, env=_lo_env())
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise EngineFailed(str(exc)) from None
    if not result.exists():  # soffice exits 0 even when it failed
        raise EngineFailed("LibreOffice wrote no output")
    out = Package.open(result)
    parts = out.sheet_parts()
    wanted: dict[str, set[tuple[int, int]]] = {}
    for sheet, r, c in todo:
        wanted.setdefault(sheet, set()).add((r, c))
    got: dict[Key, Any] = {}
    for sheet, cells in wanted.items():
        if sheet not in parts:
            continue
        vals = read_values(out.text(parts[sheet]), out.shared_strings, cells)
        for (r, c), v in vals.items():
            got[(sheet, r, c)] = v
    return got


# --------------------------------------------------------------------------- formulas


def _formulas(src: Path, todo: set[Key]) -> dict[Key, Any]:
    try:
        import formulas
        import numpy as np
    except Exception as exc:  # noqa: BLE001
        raise EngineFailed(f"the formulas package is not installed ({exc})") from None
    try:
        # formulas draws tqdm progress bars on stderr: keep the command's output to our report
        with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
            model = formulas.ExcelModel().loads(str(src)).finish()
            sol = model.calculate()
    except Exception as exc:  # noqa: BLE001
        raise EngineFailed(f"{type(exc).__name__}: {exc}") from None
    index: dict[tuple[str, int, int], Any] = {}
    for key, val in sol.items():
        k = str(key)
        if "!" not in k or ":" in k.split("!")[-1]:
            continue
        sheet_part, ref = k.rsplit("!", 1)
        sheet = re.sub(r"^\[[^\]]*\]", "", sheet_part.strip("'")).replace("''", "'")
        try:
            r, c = split_ref(ref)
        except ValueError:
            continue
        try:
            v = np.asarray(getattr(val, "value", val)).ravel()[0]
        except Exception:  # noqa: BLE001, S112
            continue
        index[(sheet.upper(), r, c)] = _plain(v)
    return {(s, r, c): index[(s.upper(), r, c)] for s, r, c in todo if (s.upper(), r, c) in index}


def _plain(v: Any) -> Any:
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    name = type(v).__name__
    if name == "XlError":
        return str(v)
    if v is None or str(v) == "" or name in ("Token", "_Empty") or repr(v) == "empty":
        return None
    return v

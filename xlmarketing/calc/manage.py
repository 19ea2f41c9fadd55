"""Install, remove and use the extension through LibreOffice's own Python.

The work inside LibreOffice runs in :mod:`.office` (a script for LibreOffice's Python, which has
``uno``); this module finds that Python and ``soffice``, checks that LibreOffice's Python can
import xlmarketing with the paths the extension will carry, and runs the steps.

Installing goes through the extension manager's API in a headless soffice rather than the
``unopkg`` command, for two reasons measured on LibreOffice 7.4: ``unopkg add`` refuses to run
as root without ``--shared`` (a system-wide install), and ``unopkg`` fails to register a Python
component that imports the extension's own interface. The API installs into the chosen user
profile as any user, root included; ``shared=True`` installs for every user of the machine.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import extension as _build

OFFICE_SCRIPT = Path(__file__).with_name("office.py")


class CalcError(RuntimeError):
    """The extension could not be built, installed, removed or used; the message says why."""


def soffice() -> str:
    exe = os.environ.get("XLM_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise CalcError("LibreOffice is not installed (no soffice on PATH). On Debian or Ubuntu: "
                        "apt-get install libreoffice-calc python3-uno")
    return exe


@functools.cache
def office_python() -> tuple[str, str]:
    """LibreOffice's Python, the one that runs the add-in, and its version ("3.11").

    LibreOffice builds for Windows and macOS bring their own (``program/python``); Linux
    distributions use the system python3 with their python3-uno package. ``XLM_OFFICE_PYTHON``
    overrides. The first candidate that can import ``uno`` wins.
    """
    program = Path(soffice()).resolve().parent
    candidates = [os.environ.get("XLM_OFFICE_PYTHON"), str(program / "python"),
                  str(program / "python.exe"), "/usr/bin/python3", shutil.which("python3")]
    for exe in dict.fromkeys(c for c in candidates if c and Path(c).exists()):
        try:
            probe = subprocess.run(
                [exe, "-c", "import sys, uno; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return exe, probe.stdout.strip()
    raise CalcError("no Python with LibreOffice's uno module was found. On Debian or Ubuntu: "
                    "apt-get install python3-uno (or set XLM_OFFICE_PYTHON)")


def profile_url(profile: Path | None) -> str | None:
    """The ``-env:UserInstallation`` URL of a profile folder (None: the user's own profile)."""
    return None if profile is None else Path(profile).resolve().as_uri()


def default_profile() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", "~")).expanduser() / "LibreOffice" / "4"
    if sys.platform == "darwin":
        return Path("~/Library/Application Support/LibreOffice/4").expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(config) / "libreoffice" / "4"


def _check_not_running(profile: Path | None) -> None:
    lock = (profile if profile is not None else default_profile()) / ".lock"
    if lock.exists():
        raise CalcError(f"LibreOffice is running with this profile (its lock file {lock} exists). "
                        "Close LibreOffice and try again (if it is not running, delete the lock "
                        "file).")


def office_environment(python: str) -> dict[str, str]:
    """The environment for LibreOffice: this process's, without Python overrides, and with
    LibreOffice's Python first on PATH. The Python embedded in soffice looks for its standard
    library through the ``python3`` it finds on PATH: with another Python first (a pyenv
    shim, a different version's virtual environment) registering the component crashed
    (std::bad_alloc, measured on LibreOffice 7.4)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
    return env


def run_steps(steps: list[dict[str, Any]], profile: Path | None = None,
              timeout: float = 600) -> list[Any]:
    """Run :mod:`.office` steps in one headless soffice with ``profile``; their results."""
    python, _ = office_python()
    _check_not_running(profile)
    request = {"soffice": soffice(), "profile": profile_url(profile), "steps": steps}
    with tempfile.TemporaryDirectory(prefix="xlm-calc-") as tmp:
        req = Path(tmp) / "request.json"
        req.write_text(json.dumps(request), encoding="utf-8")
        try:
            proc = subprocess.run([python, str(OFFICE_SCRIPT), str(req)], capture_output=True,
                                  text=True, timeout=timeout, env=office_environment(python))
        except subprocess.TimeoutExpired:
            raise CalcError(f"LibreOffice did not finish within {timeout:.0f} s") from None
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        detail = " ".join((proc.stderr or proc.stdout or "no output").split())[-400:]
        raise CalcError(f"the LibreOffice helper failed: {detail}")
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise CalcError(f"LibreOffice: {answer['error']}")
    return answer["results"]


def check_import(paths: list[str]) -> None:
    """Fail unless LibreOffice's Python can import xlmarketing's Calc bridge with ``paths``."""
    python, version = office_python()
    here = "{}.{}".format(*sys.version_info[:2])
    if version != here:
        raise CalcError(
            f"LibreOffice runs Python {version} ({python}) but xlmarketing is installed in "
            f"Python {here} ({sys.executable}); compiled libraries such as numpy only load in "
            f"the version they were built for. Install xlmarketing for LibreOffice's Python and "
            f"run this command from there, e.g. '{python} -m venv --system-site-packages "
            f"~/.xlmarketing-calc && ~/.xlmarketing-calc/bin/pip install xlmarketing && "
            f"~/.xlmarketing-calc/bin/xlmarketing libreoffice install'.")
    code = ("import sys, json; sys.path[0:0] = json.loads(sys.argv[1]); "
            "import xlmarketing.calc.bridge")
    probe = subprocess.run([python, "-c", code, json.dumps(paths)], capture_output=True,
                           text=True, timeout=300, env=office_environment(python))
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        raise CalcError(f"LibreOffice's Python ({python}) cannot import xlmarketing with this "
                        f"Python's paths: {last}")


def install(profile: Path | None = None, *, shared: bool = False,
            oxt: Path | None = None) -> dict[str, Any]:
    """Build the extension for this Python and install it (replacing an older one).

    ``profile``: a LibreOffice user profile folder (default: the user's own); ``shared``: for
    every user (needs write access to LibreOffice's shared extension folder, i.e. root).
    ``oxt``: install this prebuilt extension instead (its paths must suit LibreOffice's Python).
    """
    repository = "shared" if shared else "user"
    with tempfile.TemporaryDirectory(prefix="xlm-oxt-") as tmp:
        if oxt is None:
            paths = _build.import_paths()
            check_import(paths)
            oxt = _build.build(Path(tmp) / _build.OXT_NAME, paths=paths)
        results = run_steps([{"op": "remove", "identifier": _build.IDENTIFIER, "repository": repository},
                             {"op": "add", "oxt": str(oxt), "repository": repository},
                             {"op": "list", "repository": repository}], profile)
    listed = [p for p in results[2] if p["identifier"] == _build.IDENTIFIER]
    if not listed:
        raise CalcError("LibreOffice accepted the extension but does not list it")
    return {"repository": repository, "profile": str(profile or default_profile()),
            "replaced": bool(results[0]), **listed[0]}


def uninstall(profile: Path | None = None, *, shared: bool = False) -> dict[str, Any]:
    """Remove the extension; ``removed`` is False when it was not installed."""
    repository = "shared" if shared else "user"
    results = run_steps([{"op": "remove", "identifier": _build.IDENTIFIER, "repository": repository},
                         {"op": "list", "repository": repository}], profile)
    if any(p["identifier"] == _build.IDENTIFIER for p in results[1]):
        raise CalcError("LibreOffice still lists the extension after removing it")
    return {"repository": repository, "removed": bool(results[0])}


def installed(profile: Path | None = None, *, shared: bool = False) -> list[dict[str, Any]]:
    return [p for p in run_steps([{"op": "list", "repository": "shared" if shared else "user"}],
                                 profile)[0] if p["identifier"] == _build.IDENTIFIER]


def convert(source: Path, dest: Path | None = None, profile: Path | None = None) -> dict[str, Any]:
    """An .xlsx as an .ods that computes live in Calc: its calls use the add-in, Calc computed it.

    Calc 7.4 has no dynamic arrays, so each call becomes an array formula over the block its
    result fills: the workbook is refreshed by the headless engine first (which writes each
    spill's range), then its formulas are spelled for Calc (:func:`calc_formulas`), and Calc
    loads, recalculates and saves it. Needs the extension installed in ``profile``.
    """
    from ..workbook import RefreshOptions, WorkbookError, refresh_workbook

    source = Path(source)
    if not source.is_file():
        raise CalcError(f"{source} does not exist")
    dest = Path(dest) if dest is not None else source.with_suffix(".ods")
    if dest.suffix.lower() != ".ods":
        raise CalcError(f"{dest}: the output must be an .ods file")
    with tempfile.TemporaryDirectory(prefix="xlm-convert-") as tmp:
        refreshed = Path(tmp) / "refreshed.xlsx"
        try:
            refresh_workbook(source, refreshed, options=RefreshOptions(formula_engine="none"))
        except (WorkbookError, ValueError) as exc:
            raise CalcError(str(exc)) from None
        spelled = Path(tmp) / source.with_suffix(".xlsx").name
        calls = calc_formulas(refreshed, spelled)
        steps = [{"op": "list", "repository": "user"}, {"op": "list", "repository": "shared"},
                 {"op": "convert", "path": str(spelled), "save": str(dest.resolve())}]
        user, shared_, result = run_steps(steps, profile)
    if not any(p["identifier"] == _build.IDENTIFIER for p in user + shared_):
        dest.unlink(missing_ok=True)
        raise CalcError("the xlmarketing extension is not installed in this LibreOffice profile: "
                        "run 'xlmarketing libreoffice install' first")
    return {"output": str(dest), "calls": calls, **result}


#: A table reference Calc 7.4 does not read: ``Orders[#All]`` (it reads ``Orders[[#All]]``).
_SINGLE_ITEM = re.compile(r"(?<=[\w.])\[(#(?:All|Data|Headers|Totals))\]", re.IGNORECASE)


def calc_formula(text: str, names: Iterable[str]) -> str:
    """One formula spelled so that Calc finds our functions in an .xlsx: each call of ``names``
    as ``_xludf.NAME(`` (the add-in's programmatic name), and ``Table[#All]`` as
    ``Table[[#All]]``. Text in double quotes is left alone."""
    pattern = _call_pattern(tuple(names))
    parts = text.split('"')
    for i in range(0, len(parts), 2):  # outside string literals
        parts[i] = pattern.sub(lambda m: f"{_build.IMPLEMENTATION}.{m.group(1).upper()}(", parts[i])
        parts[i] = _SINGLE_ITEM.sub(r"[[\1]]", parts[i])
    return '"'.join(parts)


@functools.cache
def _call_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:_xludf\.|_xll\.)?({alternatives})\s*\(", re.IGNORECASE)


def calc_formulas(source: Path, dest: Path) -> int:
    """Copy an .xlsx with every worksheet formula spelled by :func:`calc_formula`; returns how
    many formulas call one of our functions."""
    names = tuple(_build.functions())
    formula = re.compile(r"(<f(?:\s[^>]*)?>)([^<]*)(</f>)")
    calls = 0

    def fix(m: re.Match[str]) -> str:
        nonlocal calls
        text = html.unescape(m.group(2))
        new = calc_formula(text, names)
        calls += _call_pattern(names).search(text) is not None
        return m.group(1) + html.escape(new, quote=False) + m.group(3)

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.startswith("xl/worksheets/") and item.filename.endswith(".xml"):
                data = formula.sub(fix, data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    return calls


def recalc(path: Path, profile: Path | None = None, save: Path | None = None
           ) -> dict[str, list[list[Any]]]:
    """Every sheet's used area after Calc recalculated the workbook (tests, checks)."""
    step: dict[str, Any] = {"op": "recalc", "path": str(Path(path).resolve())}
    if save is not None:
        step["save"] = str(Path(save).resolve())
    return run_steps([step], profile)[0]


def wizard(names: Iterable[str], profile: Path | None = None) -> dict[str, Any]:
    """The function wizard's texts of add-in functions, as Calc shows them."""
    return run_steps([{"op": "functions", "names": list(names)}], profile)[0]

"""Refreshing a workbook file: paths, the no-op shortcut, permissions, symlinks, atomic writes.

The evaluation itself is :func:`.scheduler.refresh_package`; it is imported only when the workbook
holds one of our formulas, so "nothing to refresh" costs a look at the sheet XML and no more.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from .archive import (
    check_readable,
    clean_stale_temps,
    inspect_file,
    output_mode,
    real_destination,
    write_atomic,
)
from .options import ENGINES
from .report import RefreshFailed, RefreshReport, WorkbookError



def destination(src: Path, output: str | Path | None, in_place: bool) -> Path:
    """The file to write, checked before any work: through a symlink its target, never the
    input unless ``in_place``, an .xlsx/.xlsm name, in a folder that exists."""
    if in_place:
        dest = real_destination(src)
    else:
        if output is None:
            raise WorkbookError("give an output file (-o OUTPUT) or --in-place")
        dest = real_destination(Path(output))
        if src.exists() and dest.exists() and os.path.samefile(src, dest):
            raise WorkbookError(f"the output {Path(output).name} is the input; use --in-place to "
                                "overwrite it")
    if dest.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WorkbookError(f"the output {dest.name} must end in .xlsx or .xlsm")
    if not dest.parent.exists():
        raise WorkbookError(f"cannot write {dest}: the folder {dest.parent} does not exist")
    return dest


def _copy(src: Path):  # noqa: ANN202 - a writer for write_atomic
    def write(fh) -> None:  # noqa: ANN001
        with open(src, "rb") as inp:
            shutil.copyfileobj(inp, fh, 1 << 20)
    return write


def refresh_workbook(input: str | Path, output: str | Path | None = None, *,
                     in_place: bool = False, strict: bool = False,
                     formula_engine: str = "auto", values_only: bool = False,
                     options: Any = None) -> RefreshReport:
    """Refresh every xlmarketing formula in a workbook file and write the result.

    ``output`` is required unless ``in_place``; the input is never modified otherwise. The
    write is atomic (a hidden ``.~name…`` temporary, then a rename) and the output gets the
    input's permissions: in place exactly, with ``output`` under the umask. Through a symlink
    the file it points to is written. A workbook with none of our formulas is not touched: the
    output is a byte-identical copy (in place, nothing is written) and the report says
    ``nothing_to_refresh``. ``formula_engine`` ("auto", "libreoffice", "formulas", "none")
    computes the ordinary formulas that depend on ours. ``values_only`` replaces our formulas by
    their values. With ``strict``, cells ending in an error make it raise
    :class:`RefreshFailed` (a :class:`WorkbookError`) and nothing is written. Unreadable files,
    Strict Open XML workbooks with our formulas, and packages with unsafe entry names or
    relationships raise :class:`WorkbookError` with a one-line message naming the part.
    ``options``, an options object with ``formula_engine``, ``values_only`` and ``strict``
    (the engine's ``RefreshOptions``), replaces those three arguments when given.
    """
    if options is not None:
        formula_engine, values_only = options.formula_engine, options.values_only
        strict = options.strict
    if formula_engine not in ENGINES:
        raise ValueError(f"formula_engine must be one of {', '.join(ENGINES)}, got {formula_engine!r}")
    src = Path(input)
    t0 = time.perf_counter()
    check_readable(src)
    dest = destination(src, output, in_place)
    found = inspect_file(src)
    clean_stale_temps(dest)
    rep = RefreshReport(input=str(src), output=str(dest))
    if not found.ours:  # rep.nothing_to_refresh: no formula refreshed, no error, no dependent
        if not in_place:
            _save(lambda: write_atomic(dest, _copy(src), output_mode(src, False)), dest)
        rep.seconds = time.perf_counter() - t0
        return rep
    if in_place and not os.stat(dest).st_mode & 0o222:
        # The rename would replace it regardless (it needs only the folder): respect the flag.
        raise WorkbookError(f"cannot write {dest.name}: it is read-only; make it writable or "
                            "write a copy with -o OUTPUT")
    if found.strict:
        raise WorkbookError(
            f"cannot refresh {src.name}: it is saved as Strict Open XML, which the headless "
            "refresh cannot write; in Excel use File > Save As > 'Excel Workbook (*.xlsx)' "
            "(not 'Strict Open XML Spreadsheet') and refresh that copy")
    if formula_engine in ("auto", "libreoffice"):
        from . import recalc

        recalc.warm_up()  # LibreOffice starts while the models are imported and fitted
    from .scheduler import refresh_package
    from .xlsx import Package

    pkg = Package.open(src)
    try:
        rep = refresh_package(pkg, formula_engine=formula_engine, values_only=values_only)
    except WorkbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, the traceback logged
        import logging  # only here: the no-op path stays light

        logging.getLogger(__name__).exception("refresh of %s failed", src)
        raise WorkbookError(f"cannot refresh {src.name}: internal error ({type(exc).__name__}: "
                            f"{(str(exc).splitlines() or [''])[0]}); please report it") from None
    rep.input, rep.output = str(src), str(dest)
    if strict and rep.errors:
        rep.seconds = time.perf_counter() - t0
        raise RefreshFailed(f"{len(rep.errors)} cells ended in an error (strict): "
                            f"{rep.errors[0].address} {rep.errors[0].message}", rep)
    if strict and rep.not_recomputed:
        rep.seconds = time.perf_counter() - t0
        first = rep.not_recomputed[0]
        raise RefreshFailed(f"{len(rep.not_recomputed)} cells that depend on our results could "
                            f"not be recomputed (strict): {first.address} {first.reason}", rep)
    owner = os.stat(dest) if in_place else None
    _save(lambda: pkg.save(dest, mode=output_mode(dest if in_place else src, in_place),
                           owner=owner), dest)
    rep.seconds = time.perf_counter() - t0
    return rep


def _save(write, dest: Path) -> None:  # noqa: ANN001
    try:
        write()
    except OSError as exc:
        raise WorkbookError(f"cannot write {dest}: {exc.strerror or exc}") from None

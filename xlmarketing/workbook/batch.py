"""Batch generation: one template, many data files, one refreshed workbook per data file.

Each data file (CSV, or the first sheet of an .xlsx/.xlsm) is written into the template's data
sheet: at the sheet's table when it has one (the table, its filter and the defined names that
cover the data are resized to the new rows), otherwise from A1 with the header in row 1. Then
the workbook is refreshed and saved as ``OUT_DIR/<data file name>.xlsx``. Files run in
parallel processes, or on a Dask distributed cluster; one failing file does not stop the rest.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import range_boundaries

from .report import BatchItem, BatchReport, WorkbookError
from .tabular import DataFile, read_csv, type_columns
from .xlsx import Package, attrs, cell_ref, unescape, value_cell, xml_text

DATA_SUFFIXES = (".csv", ".xlsx", ".xlsm")


# --------------------------------------------------------------------------- data files


def data_files(data: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files given directly, plus the .csv/.xlsx/.xlsm files in given folders (sorted)."""
    items = [data] if isinstance(data, (str, Path)) else list(data)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir()
                              if f.suffix.lower() in DATA_SUFFIXES and not f.name.startswith(("~$", "."))))
        else:
            out.append(p)
    return out


def read_data(path: Path) -> list[list[Any]]:
    """Header row plus data rows of a CSV or workbook file, as typed cell values."""
    return read_data_file(path).as_rows()


def read_data_file(path: Path) -> DataFile:
    """A CSV or workbook data file read as :mod:`.tabular` describes (encoding, delimiter,
    one parse rule per column); header-only and empty files are refused naming the file."""
    if not path.exists():
        raise WorkbookError(f"cannot read {path.name}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        from .xlsx import check_readable

        check_readable(path)
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
            rows = [(i, list(r)) for i, r in enumerate(wb.worksheets[0].iter_rows(values_only=True), 1)]
            wb.close()
        except Exception as exc:  # noqa: BLE001
            raise WorkbookError(f"cannot read {path.name}: {type(exc).__name__}: {exc}") from None
        rows = [(i, r) for i, r in rows if any(v not in (None, "") for v in r)]
        if not rows:
            raise WorkbookError(f"cannot read {path.name}: the first sheet is empty; nothing was "
                                "written for it")
        if len(rows) == 1:
            raise WorkbookError(f"cannot read {path.name}: row {rows[0][0]} of the first sheet is "
                                "a header with no data rows below it; nothing was written for it")
        header = rows[0][1]
        return type_columns(path, header, [r for _, r in rows[1:]], [i for i, _ in rows[1:]])
    raise WorkbookError(f"cannot read {path.name}: data files must be .csv, .xlsx or .xlsm")


# --------------------------------------------------------------------------- the template


def fill_template(pkg: Package, sheet: str, rows: list[list[Any]], source: str) -> None:
    """Write ``rows`` (header first) into ``sheet`` and resize the table and names to them."""
    parts = pkg.sheet_parts()
    title = next((t for t in parts if t.lower() == sheet.lower()), None)
    if title is None:
        raise WorkbookError(f"the template has no sheet {sheet!r} (it has {', '.join(parts)})")
    part = parts[title]
    sx = pkg.sheet(part)
    header, body = rows[0], rows[1:]
    width = len(header)
    table_part, table_text = None, None
    for rel in pkg.rels(part):
        if rel.get("Type", "").endswith("/table"):
            table_part = pkg.target(part, rel)
            table_text = pkg.text(table_part)
            break
    if table_text is not None:
        t_attrs = attrs(re.search(r"<table\b[^>]*>", table_text).group(0))
        c1, r1, c2, r2 = range_boundaries(t_attrs["ref"])
        if int(t_attrs.get("totalsRowCount", "0") or 0):
            raise WorkbookError("the template's data table has a totals row; remove it")
        names = [unescape(n) for n in re.findall(r'<tableColumn\b[^>]*?\bname="([^"]*)"',
                                                 table_text)]
        got = ["" if h is None else str(h).strip() for h in header]
        if [n.strip().casefold() for n in names] != [g.casefold() for g in got]:
            raise WorkbookError(f"{source} row 1: the columns ({', '.join(got)}) do not match the "
                                f"template's table ({', '.join(names)})")
        header = names  # the table's spelling: header cells must equal its column names
        top, left, old_last = r1, c1, r2
    else:
        top, left = 1, 1
        old_last = max(sx.rows) if sx.rows else 1
        c2 = left + width - 1
    right = max(c2, left + width - 1)
    # styles of the first data row carry the number formats (dates, currency) of each column
    styles = [sx.style(top + 1, left + j) or sx.style(top, left + j) for j in range(width)]
    head_styles = [sx.style(top, left + j) for j in range(width)]
    for r in range(top + 1, max(old_last, top + len(body)) + 1):
        for c in range(left, right + 1):
            x = sx.get(r, c)
            if x is not None and "<f" in x:
                raise WorkbookError(f"the data sheet {title} has a formula in "
                                    f"{cell_ref(r, c)} inside the data area; keep formulas "
                                    "outside the data area")
            if x is not None:
                sx.set(r, c, value_cell(cell_ref(r, c), None, attrs(x).get("s")))
    for j, h in enumerate(header):
        sx.set(top, left + j, value_cell(cell_ref(top, left + j), h, head_styles[j]))
    for i, row in enumerate(body, start=1):
        for j in range(width):
            v = row[j] if j < len(row) else None
            sx.set(top + i, left + j, value_cell(cell_ref(top + i, left + j), v, styles[j]))
    new_last = top + max(len(body), 1)
    if table_part is not None and table_text is not None:
        ref = f"{cell_ref(top, left)}:{cell_ref(new_last, left + width - 1)}"
        text = re.sub(r'(<table\b[^>]*?\bref=")[^"]*"', rf'\g<1>{ref}"', table_text, count=1)
        text = re.sub(r'(<autoFilter\b[^>]*?\bref=")[^"]*"', rf'\g<1>{ref}"', text, count=1)
        pkg.set_text(table_part, text)
    _resize_names(pkg, title, top, old_last, new_last)


_NAME_REF = re.compile(r"^(?P<sheet>'(?:[^']|'')+'|[^!']+)!\$?(?P<c1>[A-Z]{1,3})\$?(?P<r1>\d+)"
                       r"(?::\$?(?P<c2>[A-Z]{1,3})\$?(?P<r2>\d+))?$")


def _resize_names(pkg: Package, title: str, top: int, old_last: int, new_last: int) -> None:
    wbp = pkg.workbook_part()
    text = pkg.text(wbp)

    def fix(m: re.Match[str]) -> str:
        body = unescape(m.group(2))
        nm = _NAME_REF.match(body)
        if not nm:
            return m.group(0)
        sheet = nm.group("sheet").strip("'").replace("''", "'")
        r1, r2 = int(nm.group("r1")), int(nm.group("r2") or nm.group("r1"))
        if sheet.lower() != title.lower() or r2 != old_last or r1 not in (top, top + 1) \
                or r2 == r1:
            return m.group(0)
        c1, c2 = nm.group("c1"), nm.group("c2") or nm.group("c1")
        new = f"{nm.group('sheet')}!${c1}${r1}:${c2}${new_last}"
        return m.group(1) + xml_text(new) + m.group(3)

    new = re.sub(r"(<definedName\b[^>]*>)(.*?)(</definedName>)", fix, text, flags=re.DOTALL)
    if new != text:
        pkg.set_text(wbp, new)


# --------------------------------------------------------------------------- one job


def safe_name(stem: str) -> str:
    """A file name made from a data file's name: no folders, no traversal, no odd characters."""
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip(" .")
    return name[:120] or "workbook"


def run_one(template: str, data: str, sheet: str, output: str, engine: str = "auto") -> BatchItem:
    """Fill, refresh and save one workbook; never raises (failures are in the item)."""
    t0 = time.perf_counter()
    try:
        from .scheduler import refresh_package

        got = read_data_file(Path(data))
        pkg = Package.open(Path(template))
        fill_template(pkg, sheet, got.as_rows(), Path(data).name)
        rep = refresh_package(pkg, formula_engine=engine)  # the package is all it reads
        out = Path(output)
        pkg.save(out)
        item = BatchItem(str(data), str(out), True, None, time.perf_counter() - t0,
                         len(rep.errors), rep.engine)
        item.notes = list(got.notes)
        return item
    except WorkbookError as exc:
        err = str(exc)
    except Exception as exc:  # noqa: BLE001
        err = f"{type(exc).__name__}: {exc}"
    return BatchItem(str(data), None, False, err.splitlines()[0] if err else "failed",
                     time.perf_counter() - t0)


# --------------------------------------------------------------------------- the batch


def plan(template: Path, files: list[Path], out_dir: Path) -> list[tuple[Path, Path]]:
    suffix = ".xlsm" if template.suffix.lower() == ".xlsm" else ".xlsx"
    used: set[str] = set()
    out = []
    root = out_dir.resolve()
    for f in files:
        base = safe_name(f.stem)
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        target = (out_dir / (name + suffix))
        if target.resolve().parent != root:  # belt and braces: never outside out_dir
            raise WorkbookError(f"refusing to write {target} outside {out_dir}")
        out.append((f, target))
    return out


def batch(template: str | Path, data: str | Path | Iterable[str | Path], *, sheet: str,
          out_dir: str | Path, jobs: int | None = None, dask_scheduler: Any = None,
          formula_engine: str = "auto",
          progress: Callable[[BatchItem, int, int], None] | None = None) -> BatchReport:
    """Fill ``template``'s ``sheet`` with each data file, refresh, save into ``out_dir``.

    ``jobs`` parallel processes (default: the number of cores); ``dask_scheduler`` (an address
    such as ``tcp://host:8786``, or a ``distributed.Client``) runs the jobs on a Dask cluster
    instead, whose workers must see the same files. ``progress(item, done, total)`` is called
    as each file finishes. Returns a :class:`BatchReport` with one item per data file.
    """
    t0 = time.perf_counter()
    template = Path(template)
    Package.open(template)  # unreadable template: fail before doing anything
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = data_files(data)
    if not files:
        raise WorkbookError(f"no data files (.csv, .xlsx, .xlsm) found in {data}")
    work = plan(template, files, out)
    n_jobs = max(1, int(jobs or os.cpu_count() or 1))
    report = BatchReport(str(template), str(out), jobs=n_jobs,
                         scheduler=str(dask_scheduler) if dask_scheduler is not None else None)
    results: dict[int, BatchItem] = {}

    def done(i: int, item: BatchItem) -> None:
        results[i] = item
        if progress is not None:
            progress(item, len(results), len(work))

    args = [(str(template), str(f), sheet, str(o), formula_engine) for f, o in work]
    if dask_scheduler is not None:
        _dask(args, dask_scheduler, done)
    elif n_jobs == 1 or len(work) == 1:
        for i, a in enumerate(args):
            done(i, run_one(*a))
    else:
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(work))) as pool:
            pending = {pool.submit(run_one, *a): i for i, a in enumerate(args)}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = pending.pop(fut)
                    try:
                        item = fut.result()
                    except Exception as exc:  # noqa: BLE001
                        item = BatchItem(args[i][1], None, False, f"worker failed: {exc}")
                    done(i, item)
    report.items = [results[i] for i in range(len(work))]
    report.seconds = time.perf_counter() - t0
    return report


def _dask(args: list[tuple[Any, ...]], scheduler: Any, done: Callable[[int, BatchItem], None]
          ) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise WorkbookError("--dask-scheduler needs Dask: pip install 'xlmarketing[dask]'") from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout=30) if own else scheduler
    except Exception as exc:  # noqa: BLE001
        raise WorkbookError(f"cannot connect to the Dask scheduler {scheduler}: {exc}") from None
    try:
        futures = {client.submit(run_one, *a, pure=False): i for i, a in enumerate(args)}
        for fut in as_completed(list(futures)):
            i = futures[fut]
            try:
                item = fut.result()
            except Exception as exc:  # noqa: BLE001
                item = BatchItem(args[i][1], None, False, f"Dask worker failed: {exc}")
            done(i, item)
    finally:
        if own:
            client.close()


__all__ = ["batch", "data_files", "fill_template", "read_data", "read_data_file", "run_one",
           "safe_name"]

"""Batch generation: one template, many data sets, one refreshed workbook per data set.

A template has data tables (Excel tables; :mod:`.tables` says which may be left out and what is
checked across them). Each run gets data for every one of them: from ``--data TABLE=FILE``
(the same file in every run), from a data workbook whose sheets are named like the tables, or,
for the main table, from a plain data file (CSV, or the first sheet of an .xlsx/.xlsm; one run
per file). A table with no data is refused by name, unless the template marks it optional (its
sample rows are then removed and the report says so) or the caller keeps it (``keep``): the
template's sample rows are never used silently. A file's columns are matched to the table's by
header name (:func:`.tabular.match_columns`). Each table, its filter and the defined names that
cover its data are resized to the new rows; a data sheet with no table is written from A1.
Then the workbook is refreshed and saved as ``OUT_DIR/<data file name>.xlsx``. Runs go in
parallel processes, or on a Dask distributed cluster; one failing run does not stop the rest.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import range_boundaries

from .report import BatchItem, BatchReport, WorkbookError
from .tables import TableInfo, check_across, declared, find_table, read_tables
from .tabular import DataFile, match_columns, read_csv, type_columns
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


def read_data_file(path: Path, sheet: str | None = None) -> DataFile:
    """A CSV or workbook data file read as :mod:`.tabular` describes (encoding, delimiter,
    one parse rule per column); header-only and empty files are refused naming the file.
    ``sheet``: the sheet of a data workbook to read (default: the first)."""
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
            ws = wb[sheet] if sheet is not None else wb.worksheets[0]
            rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), 1)]
            wb.close()
        except Exception as exc:  # noqa: BLE001
            raise WorkbookError(f"cannot read {path.name}: {type(exc).__name__}: {exc}") from None
        which = f"the sheet {sheet}" if sheet is not None else "the first sheet"
        rows = [(i, r) for i, r in rows if any(v not in (None, "") for v in r)]
        if not rows:
            raise WorkbookError(f"cannot read {path.name}: {which} is empty; nothing was "
                                "written for it")
        if len(rows) == 1:
            raise WorkbookError(f"cannot read {path.name}: row {rows[0][0]} of {which} is "
                                "a header with no data rows below it; nothing was written for it")
        header = rows[0][1]
        return type_columns(path, header, [r for _, r in rows[1:]], [i for i, _ in rows[1:]])
    raise WorkbookError(f"cannot read {path.name}: data files must be .csv, .xlsx or .xlsm")


# --------------------------------------------------------------------------- the template


def fill_template(pkg: Package, sheet: str, rows: list[list[Any]], source: str,
                  table: str | None = None) -> None:
    """Write ``rows`` (header first) into ``sheet`` and resize the table and names to them.

    ``table``: which table of the sheet (default: its first); ``rows`` may have no data rows
    (an optional table left out: one blank row stays, as a table needs one)."""
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
            text = pkg.text(pkg.target(part, rel))
            name = re.search(r'<table\b[^>]*?\bdisplayName="([^"]*)"', text)
            if table is not None and (name is None or unescape(name.group(1)).casefold()
                                      != table.casefold()):
                continue
            table_part, table_text = pkg.target(part, rel), text
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


# --------------------------------------------------------------------------- one run


def safe_name(stem: str) -> str:
    """A file name made from a data file's name: no folders, no traversal, no odd characters."""
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip(" .")
    return name[:120] or "workbook"


#: (table name, or the title of a data sheet with no table; data file; sheet of a data workbook)
Source = tuple[str, str, "str | None"]


@dataclass
class Job:
    """One workbook to make: where the data of each table comes from."""

    stem: str                    # the output's file name, before the suffix
    label: str                   # the data, as the report names it
    sources: list[Source]
    refusal: str | None = None   # why it cannot run (a required table has no data)


def _source_label(path: str, sheet: str | None) -> str:
    return Path(path).name + (f" [{sheet}]" if sheet else "")


def run_one(template: str, data: str | list[Source], sheet: str | None = None,
            output: str = "", engine: str = "auto", values_only: bool = False,
            keep: tuple[str, ...] = ()) -> BatchItem:
    """Fill, refresh and save one workbook; never raises (failures are in the item).

    ``data``: the sources of every table (see :class:`Job`), or one data file for ``sheet``.
    """
    t0 = time.perf_counter()
    sources = [(sheet or "", data, None)] if isinstance(data, str) else list(data)
    label = sources[0][1] if len(sources) == 1 and not sources[0][2] else \
        " + ".join(_source_label(p, s) for _, p, s in sources)
    try:
        if engine in ("auto", "libreoffice"):
            from . import recalc

            recalc.warm_up()  # in a worker: connect to the batch's LibreOffice while filling
        pkg, notes, warnings = _fill(Path(template), sources, keep)
        from .scheduler import refresh_package

        rep = refresh_package(pkg, formula_engine=engine, values_only=values_only)
        out = Path(output)
        pkg.save(out)
        item = BatchItem(label, str(out), True, None, time.perf_counter() - t0,
                         len(rep.errors), rep.engine)
        item.notes = notes
        item.warnings = warnings + list(rep.warnings)
        item.errors = [{"address": e.address, "code": e.code, "message": e.message}
                       for e in rep.errors]
        return item
    except WorkbookError as exc:
        err = str(exc)
    except Exception as exc:  # noqa: BLE001
        err = f"{type(exc).__name__}: {exc}"
    return BatchItem(label, None, False, err.splitlines()[0] if err else "failed",
                     time.perf_counter() - t0)


def _fill(template: Path, sources: list[Source], keep: tuple[str, ...]
          ) -> tuple[Package, list[str], list[str]]:
    """Read every source, match its columns, check across tables and fill the template:
    (the filled package, notes and warnings for the report)."""
    pkg = Package.open(template)
    tables = read_tables(pkg)
    decl = declared(pkg)
    many = len(sources) > 1
    notes: list[str] = []
    warnings: list[str] = []
    filled: dict[str, tuple[list[str], list[list[Any]]]] = {}
    plain: list[tuple[str, list[list[Any]], str]] = []  # data sheets with no table
    for key, path, in_file in sources:
        label = _source_label(path, in_file)
        got = read_data_file(Path(path), in_file)
        pre = f"{label}: " if many else ""
        notes.extend(pre + n for n in got.notes)
        t = find_table(tables, key) if key else (tables[0] if len(tables) == 1 else None)
        if t is None:
            if not key:
                raise WorkbookError("say which data sheet the file fills (--sheet)")
            plain.append((key, got.as_rows(), label))
            continue
        rows, more = match_columns(label, got, t.columns, t.name)
        notes.extend(pre + n for n in more)
        filled[t.name] = (list(t.columns), rows)
    kept = {k.casefold() for k in keep}
    for t in tables:
        if t.name in filled or any(t.sheet.casefold() == k.casefold() for k, _, _ in plain):
            continue
        if t.name.casefold() in kept or t.sheet.casefold() in kept:
            warnings.append(f"the table {t.label} keeps the template's own rows (kept on "
                            "purpose): its results are not computed from your data")
        elif t.optional:
            filled[t.name] = (list(t.columns), [])
            warnings.append(f"no data for the table {t.label}: its sample rows were removed, "
                            "and what is computed from it is empty or says it has no data")
        else:
            raise WorkbookError(missing_text([t], decl_present=bool(decl.main or decl.optional)))
    why, more = check_across(decl, filled)
    notes.extend(more)
    if why:
        raise WorkbookError(why)
    for t in tables:
        if t.name in filled:
            cols, rows = filled[t.name]
            fill_template(pkg, t.sheet, [cols] + rows, t.name, table=t.name)
    for title, rows, label in plain:
        fill_template(pkg, title, rows, label)
    return pkg, notes, warnings


def missing_text(missing: list[TableInfo], decl_present: bool = True) -> str:
    """The refusal for required tables with no data: each named with its columns and how to
    give it."""
    names = ", ".join(t.label for t in missing)
    many = len(missing) > 1
    how = "; ".join(f"--data {t.name}=FILE (columns {', '.join(t.columns)})" for t in missing)
    text = (f"no data for the table{'s' if many else ''} {names}: the template's sample rows "
            f"are never used for your results. Give {how}, or a data workbook with a sheet "
            f"named like {'each' if many else 'the'} table")
    if not decl_present:
        text += (f"; to keep the rows the template has, --keep "
                 f"{' --keep '.join(t.name for t in missing)}")
    return text


# --------------------------------------------------------------------------- the batch


def _output_names(template: Path, stems: list[str], out_dir: Path) -> list[Path]:
    suffix = ".xlsm" if template.suffix.lower() == ".xlsm" else ".xlsx"
    used: set[str] = set()
    out = []
    root = out_dir.resolve()
    for stem in stems:
        base = safe_name(stem)
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        target = (out_dir / (name + suffix))
        if target.resolve().parent != root:  # belt and braces: never outside out_dir
            raise WorkbookError(f"refusing to write {target} outside {out_dir}")
        out.append(target)
    return out


def plan(template: Path, files: list[Path], out_dir: Path) -> list[tuple[Path, Path]]:
    """Each data file with the workbook it becomes in ``out_dir``."""
    return list(zip(files, _output_names(template, [f.stem for f in files], out_dir)))


def split_data(values: Iterable[str | Path]) -> tuple[list[Path], dict[str, Path]]:
    """``--data`` values as (plain files or folders, {table: file} from ``TABLE=FILE``).

    ``TABLE=FILE`` is read so only when the text before ``=`` is no path of its own (an existing
    file named ``a=b.csv`` stays a file)."""
    plain: list[Path] = []
    named: dict[str, Path] = {}
    for v in values:
        text = str(v)
        head, sep, tail = text.partition("=")
        if sep and head.strip() and tail and not Path(text).exists() \
                and not any(ch in head for ch in "/\\"):
            key = head.strip()
            if key.casefold() in {k.casefold() for k in named}:
                raise WorkbookError(f"--data {key}=… is given twice; give one file per table")
            named[key] = Path(tail)
        else:
            plain.append(Path(text))
    return plain, named


def _sheets_for_tables(path: Path, tables: list[TableInfo]) -> dict[str, str]:
    """{table: sheet} for a data workbook whose sheets are named like the template's tables."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.exists():
        return {}
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        names = list(wb.sheetnames)
        wb.close()
    except Exception:  # noqa: BLE001 - the run reads it again and says what is wrong
        return {}
    out: dict[str, str] = {}
    for n in names:
        t = find_table(tables, n)
        if t is not None and t.name not in out:
            out[t.name] = n
    return out


def plan_jobs(template: Path, data: Iterable[str | Path], tables_data: Mapping[str, str | Path],
              sheet: str | None, keep: Iterable[str] = ()) -> list[Job]:
    """The runs of a batch: which file fills which table in each, refusals included.

    Raises a WorkbookError for what is wrong in every run alike (an unknown table or sheet,
    no data, a required table missing from every run)."""
    pkg = Package.open(template)
    tables = read_tables(pkg)
    decl = declared(pkg)
    names = ", ".join(t.label for t in tables) or "none"
    main: str | None = None
    if sheet:
        t = find_table(tables, sheet)
        if t is not None:
            main = t.name
        else:
            parts = pkg.sheet_parts()
            title = next((p for p in parts if p.casefold() == sheet.strip().casefold()), None)
            if title is None:
                raise WorkbookError(f"the template has no sheet {sheet!r} (it has "
                                    f"{', '.join(parts)})")
            if any(t.sheet == title for t in tables):
                raise WorkbookError(f"the sheet {title} has several tables; name the table "
                                    f"with --data TABLE=FILE (tables: {names})")
            main = title  # a data sheet with no table: written from A1
    elif decl.main and find_table(tables, decl.main) is not None:
        main = find_table(tables, decl.main).name  # type: ignore[union-attr]
    elif len(tables) == 1:
        main = tables[0].name
    named: dict[str, str] = {}
    for key, p in tables_data.items():
        t = find_table(tables, key)
        if t is None:
            raise WorkbookError(f"--data {key}=…: the template has no table {key!r} (its "
                                f"tables: {names})")
        named[t.name] = str(p)
    for k in keep:
        if find_table(tables, k) is None:
            raise WorkbookError(f"--keep {k}: the template has no table {k!r} (its tables: "
                                f"{names})")
    items = [data] if isinstance(data, (str, Path)) else list(data)
    files = data_files(items) if items else []
    if items and not files:
        raise WorkbookError(f"no data files (.csv, .xlsx, .xlsm) found in "
                            f"{', '.join(str(i) for i in items)}")
    if not files and not named:
        raise WorkbookError("no data: give --data FILE (or --data TABLE=FILE for each table)")
    jobs: list[Job] = []
    for f in files:
        by_sheet = _sheets_for_tables(f, tables)
        if by_sheet:
            sources: list[Source] = [(t, str(f), s) for t, s in by_sheet.items()]
        elif main is None:
            raise WorkbookError(
                f"{f.name}: the template has several data tables ({names}); say which one the "
                f"file fills with --data TABLE={f.name} (or --sheet), or give a data workbook "
                "whose sheets are named like the tables")
        else:
            sources = [(main, str(f), None)]
        given = {k.casefold() for k, _, _ in sources}
        for t, p in named.items():
            if t.casefold() in given:
                raise WorkbookError(f"the table {t} is given twice: by {f.name} and by "
                                    f"--data {t}={Path(p).name}")
            sources.append((t, p, None))
        jobs.append(Job(f.stem, str(f), sources))
    if not files:
        first = named.get(main or "") or next(iter(named.values()))
        sources = [(t, p, None) for t, p in named.items()]
        jobs.append(Job(Path(first).stem, " + ".join(f"{t}={p}" for t, p, _ in sources), sources))
    kept = {k.casefold() for k in keep}
    for job in jobs:
        given = {k.casefold() for k, _, _ in job.sources}
        missing = [t for t in tables if not t.optional and t.name.casefold() not in given
                   and t.sheet.casefold() not in given and t.name.casefold() not in kept]
        if missing:
            job.refusal = missing_text(missing, decl_present=bool(decl.main or decl.optional))
    if all(j.refusal for j in jobs):
        raise WorkbookError(jobs[0].refusal)
    return jobs


def batch(template: str | Path, data: str | Path | Iterable[str | Path] = (), *,
          sheet: str | None = None, out_dir: str | Path,
          tables: Mapping[str, str | Path] | None = None, keep: Iterable[str] = (),
          jobs: int | None = None, dask_scheduler: Any = None,
          formula_engine: str = "auto", values_only: bool = False,
          progress: Callable[[BatchItem, int, int], None] | None = None) -> BatchReport:
    """Fill ``template``'s data tables for each data set, refresh, save into ``out_dir``.

    ``data``: files or folders for the main table (``sheet``, or the template's main table),
    one run each; a data workbook whose sheets are named like the tables fills each of them.
    ``tables``: {table: file} used in every run (``--data TABLE=FILE``). ``keep``: tables that
    keep the template's rows on purpose. ``values_only``: write values in place of our formulas.
    ``jobs`` parallel processes (default: the number of cores); ``dask_scheduler`` (an address
    such as ``tcp://host:8786``, or a ``distributed.Client``) runs the jobs on a Dask cluster
    instead, whose workers must see the same files. ``progress(item, done, total)`` is called
    as each run finishes. Returns a :class:`BatchReport` with one item per run.
    """
    t0 = time.perf_counter()
    template = Path(template)
    work = plan_jobs(template, data, dict(tables or {}), sheet, tuple(keep))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    outputs = _output_names(template, [j.stem for j in work], out)
    n_jobs = max(1, int(jobs or os.cpu_count() or 1))
    report = BatchReport(str(template), str(out), jobs=n_jobs,
                         scheduler=str(dask_scheduler) if dask_scheduler is not None else None)
    results: dict[int, BatchItem] = {}

    def done(i: int, item: BatchItem) -> None:
        results[i] = item
        if progress is not None:
            progress(item, len(results), len(work))

    args = {}
    for i, (job, o) in enumerate(zip(work, outputs)):
        if job.refusal:
            done(i, BatchItem(job.label, None, False, job.refusal))
        else:
            args[i] = (str(template), job.sources, None, str(o), formula_engine, values_only,
                       tuple(keep))
    if dask_scheduler is not None:
        _dask(args, dask_scheduler, done)
    else:
        with _one_office(formula_engine if args else "none"):
            _local(args, n_jobs, work, done)
    report.items = [results[i] for i in range(len(work))]
    report.seconds = time.perf_counter() - t0
    return report


def _one_office(engine: str) -> contextlib.AbstractContextManager[None]:
    """One LibreOffice for the whole batch (its worker processes connect to it), started now."""
    if engine not in ("auto", "libreoffice"):
        return contextlib.nullcontext()
    from . import recalc

    return recalc.shared_office()


def _local(args: dict[int, tuple[Any, ...]], n_jobs: int, work: list[Job],
           done: Callable[[int, BatchItem], None]) -> None:
    if n_jobs == 1 or len(args) <= 1:
        for i, a in args.items():
            done(i, run_one(*a))
    else:
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(args))) as pool:
            pending = {pool.submit(run_one, *a): i for i, a in args.items()}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = pending.pop(fut)
                    try:
                        item = fut.result()
                    except Exception as exc:  # noqa: BLE001
                        item = BatchItem(work[i].label, None, False, f"worker failed: {exc}")
                    done(i, item)


def _dask(args: dict[int, tuple[Any, ...]], scheduler: Any,
          done: Callable[[int, BatchItem], None]) -> None:
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
        futures = {client.submit(run_one, *a, pure=False): i for i, a in args.items()}
        for fut in as_completed(list(futures)):
            i = futures[fut]
            try:
                item = fut.result()
            except Exception as exc:  # noqa: BLE001
                item = BatchItem(str(args[i][1]), None, False, f"Dask worker failed: {exc}")
            done(i, item)
    finally:
        if own:
            client.close()


__all__ = ["Job", "batch", "data_files", "fill_template", "missing_text", "plan_jobs", "read_data",
           "read_data_file", "run_one", "safe_name", "split_data"]

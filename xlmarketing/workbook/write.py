"""Writing a refresh's results into the package XML (the last room: read -> plan -> evaluate -> write).

Only evaluated cells change: our formulas become dynamic-array anchors with their spill written
as plain values (leftovers of a larger earlier spill cleared), dependents get their new cached
value with formula and attributes kept. Date results get a date number format (a cell format
added to ``styles.xml`` when the cell has none). Error cells get a comment and a report line.
Formulas the in-process engine could not evaluate are computed by LibreOffice on a copy trimmed
to the sheets they read, or become error cells.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from ..catalog import function_of
from ..errors import EXCEL_ERRORS
from . import recalc
from .comments import update_comments
from .lo_trust import LO_INEXACT  # noqa: F401 - the refusal list stays reachable as write.LO_INEXACT
from .lo_trust import error_refusal, lo_refusal, logical_refusal, result_type, typed
from .model import WorkbookModel, styles_part
from .report import CellError, CellNote, RefreshReport, deliberate
from .xlsx import (Package, array_cell, cached_value, cell_ref, split_ref, value_cell,
                   with_cached_value)

if TYPE_CHECKING:
    from .scheduler import Evaluation, Result

_XF = re.compile(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.DOTALL)


class DateFormats:
    """Cell formats showing dates: the cell's own when it is one, else a copy with a date format."""

    def __init__(self, pkg: Package, model: WorkbookModel):
        self.pkg = pkg
        self.part = styles_part(pkg)
        self.dates = set(model.date_styles)
        self.added: dict[tuple[str | None, int], str] = {}

    def style(self, base: str | None, value: Any) -> str | None:
        if not isinstance(value, (dt.date, dt.datetime)) or self.part is None or base in self.dates:
            return base
        timed = isinstance(value, dt.datetime) and (value.hour or value.minute or value.second)
        fmt = 22 if timed else 14  # m/d/yyyy h:mm, m/d/yyyy (shown in the reader's locale)
        key = (base, fmt)
        if key not in self.added:
            self.added[key] = self._add(base, fmt)
        return self.added[key]

    def _add(self, base: str | None, fmt: int) -> str:
        text = self.pkg.text(self.part)  # type: ignore[arg-type]
        m = re.search(r"(<cellXfs\b[^>]*>)(.*?)(</cellXfs>)", text, re.DOTALL)
        if m is None:
            return base or "0"
        xfs = _XF.findall(m.group(2))
        try:
            src = xfs[int(base or 0)]
        except (ValueError, IndexError):
            src = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        head_end = src.index(">") + (0 if src.endswith("/>") and src.index(">") == len(src) - 1 else 1)
        head = src[:head_end]
        head = re.sub(r'\s(numFmtId|applyNumberFormat)="[^"]*"', "", head)
        head = head.replace("<xf", f'<xf numFmtId="{fmt}" applyNumberFormat="1"', 1)
        new = head + src[head_end:]
        index = len(xfs)
        opening = re.sub(r'\scount="\d+"', f' count="{index + 1}"', m.group(1))
        text = text[: m.start()] + opening + m.group(2) + new + m.group(3) + text[m.end():]
        self.pkg.set_text(self.part, text)  # type: ignore[arg-type]
        self.dates.add(str(index))
        return str(index)


def stored(value: Any, model: WorkbookModel) -> Any:
    """A value as the file stores it: dates as serial numbers of the workbook's date system."""
    if model.date1904 and isinstance(value, (dt.date, dt.datetime)):
        from ..cells import to_serial

        return to_serial(value) - 1462  # 1904-01-01 is serial 0 there, 1462 in 1900's
    return value


def write_results(run: Evaluation, report: RefreshReport) -> None:
    """Write every result of ``run`` into its package and fill in ``report``."""
    model = run.model
    pkg = model.pkg
    results = list(run.results.values())
    if not results and not run.deferred and not run.kept:
        report.engine = "none"
        return
    values_only = run.options.values_only
    needs_cm = any(r.spills for r in results) and not values_only
    cm = pkg.dynamic_array_cm() if needs_cm else None
    if needs_cm and cm is None:
        report.warnings.append("the workbook's metadata part has no dynamic-array metadata; "
                               "results written as classic array formulas")
    dates = DateFormats(pkg, model)
    messages: dict[str, dict[tuple[int, int], str]] = {}
    touched: dict[str, set[tuple[int, int]]] = {}
    ordinary = 0
    for res in results:
        cell = res.node.cell
        sx = model.sheets[cell.sheet.lower()].xml
        saved = None
        if res.spills:
            _write_spill(run, res, sx, cm, values_only, dates)
        else:
            x = sx.get(cell.row, cell.col)
            if x is not None:
                saved = cached_value(x, pkg.shared_strings)
                sx.set(cell.row, cell.col, with_cached_value(x, stored(res.grid[0][0], model)))
            ordinary += 1
        touched.setdefault(cell.sheet, set()).add((cell.row, cell.col))
        name = function_of(res.node.cell.text)
        if res.error is not None:
            if not res.node.ours and saved == res.error.code:
                report.saved_errors += 1  # Excel's own error, as saved: no comment of ours
                continue
            report.errors.append(CellError(cell.sheet, cell_ref(cell.row, cell.col), name,
                                           res.error.code, res.error.text))
            messages.setdefault(cell.sheet, {})[(cell.row, cell.col)] = res.error.text
        elif res.node.ours:
            report.refreshed[name] += 1
            report.spill_cells += res.area.size
    report.dependents = ordinary
    engines = ["formulas"] if ordinary else []
    if run.deferred:
        done = _deferred(run, report, messages, touched)
        if done:
            engines.append("libreoffice")
    report.engine = "+".join(engines) or "none"
    if run.skipped:
        report.warnings.append(f"{run.skipped} ordinary formulas that read our results were not "
                               "recalculated (--engine none); they keep their saved values")
    for key in sorted(run.kept):
        cell = run.graph.nodes[key].cell
        report.not_recomputed.append(CellNote(cell.sheet, cell_ref(cell.row, cell.col),
                                              run.kept[key]))
    for key in sorted(run.unsaved - set(run.kept)):
        cell = run.graph.nodes[key].cell
        report.unsaved.append(CellNote(cell.sheet, cell_ref(cell.row, cell.col),
                                       "it was saved with no value, so it was computed"))
    for sheet, cells in touched.items():
        update_comments(pkg, model.sheets[sheet.lower()].part, cells, messages.get(sheet, {}))
    _needs_libreoffice(run, report)


#: LibreOffice for the formulas the in-process engine cannot compute, per system.
INSTALL_LIBREOFFICE = ("Debian/Ubuntu: sudo apt-get install libreoffice-calc-nogui; Windows and "
                       "Mac: the installer from https://www.libreoffice.org/download/")


def _needs_libreoffice(run: Evaluation, report: RefreshReport) -> None:
    """First warning of the report: which cells only LibreOffice computes, and how to get it."""
    cells = [e.address for e in report.errors if "cannot be evaluated headless" in e.message]
    if not cells:
        return
    shown = ", ".join(cells[:5]) + (f" and {len(cells) - 5} more" if len(cells) > 5 else "")
    n = f"{len(cells)} formula{'s' if len(cells) > 1 else ''}"
    if recalc.soffice() is None:
        text = (f"LibreOffice is not installed; it is needed for {n}, now #VALUE! ({shown}). "
                f"Install it ({INSTALL_LIBREOFFICE}) and refresh again")
    else:
        text = (f"LibreOffice is needed for {n}, now #VALUE! ({shown}), and --engine "
                f"{run.options.formula_engine} leaves it out: refresh with --engine auto")
    report.warnings.insert(0, text)


def _write_spill(run: Evaluation, res: Result, sx: Any, cm: str | None, values_only: bool,
                 dates: DateFormats) -> None:
    cell = res.node.cell
    sheet = cell.sheet.lower()
    for r, c in res.node.saved_area.cells():  # leftovers of a larger earlier spill
        if (sheet, r, c) not in run.claimed and sx.get(r, c) is not None:
            sx.set(r, c, value_cell(cell_ref(r, c), None, sx.style(r, c)))
    for i, row in enumerate(res.grid):
        for j, v in enumerate(row):
            r, c = cell.row + i, cell.col + j
            ref = cell_ref(r, c)
            style = dates.style(sx.style(r, c), v)
            v = stored(v, run.model)
            if i == 0 and j == 0 and not values_only:
                sx.set(r, c, array_cell(ref, cell.text, res.area.a1, v, style, cm))
            else:
                sx.set(r, c, value_cell(ref, v, style))


_ANCHOR = re.compile(r"_xlfn\.ANCHORARRAY\(\s*((?:'(?:[^']|'')+'!|[\w.]+!)?\$?[A-Za-z]{1,3}\$?\d+)\s*\)",
                     re.IGNORECASE)


def _deferred(run: Evaluation, report: RefreshReport, messages: dict[str, dict[tuple[int, int], str]],
              touched: dict[str, set[tuple[int, int]]]) -> bool:
    """Formulas computed by LibreOffice (ours written first), or kept with a reason."""

    model, pkg = run.model, run.model.pkg
    parts = {sm.title: sm.part for sm in model}

    def constant(sheet: str, ref: str) -> Any:
        x = pkg.sheet(parts[sheet]).get(*split_ref(ref))
        return None if x is None or "<f" in x else cached_value(x, pkg.shared_strings)

    for key in sorted(run.deferred):
        why = lo_refusal(run.graph.nodes[key], constant)
        if why:
            run.kept[key] = why
    run.keep_readers()
    nodes = [run.graph.nodes[k] for k in sorted(run.deferred - set(run.kept))]
    if not nodes:
        return False
    todo: set[Any] = set()
    texts: dict[Any, str] = {}
    for n in nodes:
        cell = n.cell
        todo |= {(cell.sheet, r, c) for r, c in n.saved_area.cells()}
        if "ANCHORARRAY" in cell.text.upper():  # LibreOffice 7.4 knows no spill references
            texts[(cell.sheet, cell.row, cell.col)] = _ANCHOR.sub(
                lambda m, sheet=cell.sheet: _spill_range(run, sheet, m.group(1)), cell.text)
    anchors = {(r.node.cell.sheet, r.node.cell.row, r.node.cell.col): r.grid[0][0]
               for r in run.results.values() if r.spills}
    got: dict[Any, Any] = {}
    engine = "none"
    failed = "LibreOffice is not installed"
    read = _sheets_read(run, nodes)
    if recalc.soffice():
        got, engine, warnings = recalc.compute(pkg, anchors, todo, "libreoffice",
                                               read, texts)
        report.warnings.extend(warnings)
        failed = "; ".join(warnings) or "LibreOffice computed nothing"
    shared = pkg.shared_strings
    for n in nodes:
        cell = n.cell
        key = (cell.sheet, cell.row, cell.col)
        if key not in got:
            run.kept[n.key] = f"LibreOffice did not compute it ({failed})"
            continue
        x = pkg.sheet(parts[cell.sheet]).get(cell.row, cell.col)
        saved = cached_value(x, shared) if x is not None else None
        got[key] = typed(got[key], result_type(cell.text))
        why = error_refusal(got[key], saved, cell.text)
        if why:
            run.kept[n.key] = why
    logical = _logical_cells(run, todo, got, read)
    for n in nodes:
        if n.key not in run.kept and _reads_any(n, logical):
            why = logical_refusal(n.cell.text)
            if why:
                run.kept[n.key] = why
    run.keep_readers()
    computed = 0
    for n in nodes:
        if n.key in run.kept:
            continue
        cell = n.cell
        sx = pkg.sheet(parts[cell.sheet])  # the package may have re-read it
        ref = cell_ref(cell.row, cell.col)
        touched.setdefault(cell.sheet, set()).add((cell.row, cell.col))
        for r, c in n.saved_area.cells():
            v = got.get((cell.sheet, r, c))
            x = sx.get(r, c)
            if (r, c) == (cell.row, cell.col):
                saved = cached_value(x, shared) if x is not None else None
                if x is not None:
                    sx.set(r, c, with_cached_value(x, v))
            elif x is None or "<f" not in x:  # the rest of a classic array's range
                sx.set(r, c, value_cell(cell_ref(r, c), v, sx.style(r, c)))
        computed += 1
        v = got[(cell.sheet, cell.row, cell.col)]
        if isinstance(v, str) and v in EXCEL_ERRORS:
            if v == saved:
                report.saved_errors += 1
                continue
            if deliberate(v, cell.text):  # the formula's own NA(): a chart helper's gap
                continue
            text = f"{v} the formula evaluates to {v} (computed by LibreOffice)"
            report.errors.append(CellError(cell.sheet, ref, "formula", v, text))
            messages.setdefault(cell.sheet, {})[(cell.row, cell.col)] = text
    report.dependents += computed
    return engine == "libreoffice" and computed > 0


def _logical_cells(run: Evaluation, todo: set[Any], got: dict[Any, Any], sheets: set[str] | None
                   ) -> dict[str, set[tuple[int, int]]]:
    """TRUE/FALSE cells by sheet (lower-case title) of ``sheets`` (None: all): saved ones, ours,
    and LibreOffice's new ones."""
    out: dict[str, set[tuple[int, int]]] = {}
    for sm in run.model:
        if sheets is not None and sm.title not in sheets:
            continue
        out[sm.title.lower()] = {(r, c) for r, c in run.model.pkg.sheet(sm.part).logical_cells()
                                 if (sm.title, r, c) not in todo}
    for (sheet, r, c), v in got.items():
        if isinstance(v, bool):
            out.setdefault(sheet.lower(), set()).add((r, c))
    return out


def _reads_any(node: Any, cells: dict[str, set[tuple[int, int]]]) -> bool:
    for a in node.reads:
        here = cells.get(a.sheet.lower())
        if not here:
            continue
        if a.size <= len(here):
            if any((r, c) in here for r, c in a.cells()):
                return True
        elif any(a.min_row <= r <= a.max_row and a.min_col <= c <= a.max_col for r, c in here):
            return True
    return False


def _spill_range(run: Evaluation, sheet: str, ref: str) -> str:
    """``A1`` of ``_xlfn.ANCHORARRAY(A1)`` as the range it spills into now (``A1:A40``)."""
    try:
        got = run.resolver.resolve(ref + "#", sheet)
    except Exception:  # noqa: BLE001 - left as written: LibreOffice answers #NAME?, kept then
        return f"_xlfn.ANCHORARRAY({ref})"
    prefix = ref.rsplit("!", 1)[0] + "!" if "!" in ref else ""
    return prefix + got.a1


def _sheets_read(run: Evaluation, nodes: list[Any]) -> set[str] | None:
    """Titles of the sheets the deferred formulas read, transitively (None: not known)."""
    need = {n.cell.sheet for n in nodes}
    frontier = list(nodes)
    seen = {n.key for n in nodes}
    looked: set[Any] = set()  # areas already looked into (6,000 chart helpers read one column)
    while frontier:
        n = frontier.pop()
        if n.problem and not n.reads:
            return None
        for a in n.reads:
            if a in looked:
                continue
            looked.add(a)
            sm = run.model.sheets.get(a.sheet.lower())
            if sm is not None:
                need.add(sm.title)
            for inner in run.graph.formulas_in(a):
                if inner.key not in seen:
                    seen.add(inner.key)
                    frontier.append(inner)
    return need



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

from ..errors import EXCEL_ERRORS
from . import recalc
from .comments import update_comments
from .model import WorkbookModel, styles_part
from .plan import function_of
from .report import CellError, RefreshReport
from .xlsx import Package, array_cell, cell_ref, value_cell, with_cached_value

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


def write_results(run: Evaluation, report: RefreshReport) -> None:
    """Write every result of ``run`` into its package and fill in ``report``."""
    model = run.model
    pkg = model.pkg
    results = list(run.results.values())
    if not results and not run.deferred:
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
        if res.spills:
            _write_spill(run, res, sx, cm, values_only, dates)
        else:
            x = sx.get(cell.row, cell.col)
            if x is not None:
                sx.set(cell.row, cell.col, with_cached_value(x, res.grid[0][0]))
            ordinary += 1
        touched.setdefault(cell.sheet, set()).add((cell.row, cell.col))
        name = function_of(res.node.cell.text)
        if res.error is not None:
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
            if i == 0 and j == 0 and not values_only:
                sx.set(r, c, array_cell(ref, cell.text, res.area.a1, v, style, cm))
            else:
                sx.set(r, c, value_cell(ref, v, style))


def _deferred(run: Evaluation, report: RefreshReport, messages: dict[str, dict[tuple[int, int], str]],
              touched: dict[str, set[tuple[int, int]]]) -> bool:
    """Formulas the in-process engine could not evaluate: LibreOffice, or error cells."""
    model, pkg = run.model, run.model.pkg
    nodes = [run.graph.nodes[k] for k in sorted(run.deferred)]
    todo = {(n.cell.sheet, n.cell.row, n.cell.col) for n in nodes}
    anchors = {(r.node.cell.sheet, r.node.cell.row, r.node.cell.col): r.grid[0][0]
               for r in run.results.values() if r.spills}
    got: dict[Any, Any] = {}
    engine = "none"
    if recalc.soffice():
        got, engine, warnings = recalc.compute(pkg, anchors, todo, "libreoffice",
                                               _sheets_read(run, nodes))
        report.warnings.extend(warnings)
    for n in nodes:
        cell = n.cell
        sx = pkg.sheet(model.sheets[cell.sheet.lower()].part)  # the package may have re-read it
        x = sx.get(cell.row, cell.col)
        key = (cell.sheet, cell.row, cell.col)
        ref = cell_ref(cell.row, cell.col)
        touched.setdefault(cell.sheet, set()).add((cell.row, cell.col))
        if key in got:
            v = got[key]
            if x is not None:
                sx.set(cell.row, cell.col, with_cached_value(x, v))
            report.dependents += 1
            if isinstance(v, str) and v in EXCEL_ERRORS:
                text = f"{v} the formula evaluates to {v} (computed by LibreOffice)"
                report.errors.append(CellError(cell.sheet, ref, "formula", v, text))
                messages.setdefault(cell.sheet, {})[(cell.row, cell.col)] = text
            continue
        why = n.problem or "the in-process formula engine cannot evaluate it"
        text = (f"#VALUE! this formula cannot be evaluated headless ({why}) and LibreOffice "
                "is not available to compute it. Install LibreOffice, or refresh in Excel.")
        if x is not None:
            sx.set(cell.row, cell.col, with_cached_value(x, "#VALUE!"))
        report.errors.append(CellError(cell.sheet, ref, "formula", "#VALUE!", text))
        messages.setdefault(cell.sheet, {})[(cell.row, cell.col)] = text
    return engine == "libreoffice"


def _sheets_read(run: Evaluation, nodes: list[Any]) -> set[str] | None:
    """Titles of the sheets the deferred formulas read, transitively (None: not known)."""
    need = {n.cell.sheet for n in nodes}
    frontier = list(nodes)
    seen = {n.key for n in nodes}
    while frontier:
        n = frontier.pop()
        if n.problem and not n.reads:
            return None
        for a in n.reads:
            sm = run.model.sheets.get(a.sheet.lower())
            if sm is not None:
                need.add(sm.title)
            for inner in run.graph.formulas_in(a):
                if inner.key not in seen:
                    seen.add(inner.key)
                    frontier.append(inner)
    return need



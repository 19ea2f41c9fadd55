"""The refresh: find our formulas, evaluate them with the registry's code, write the results."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from .. import cache
from ..errors import XLMError
from ..functions import REGISTRY
from . import recalc
from .comments import update_comments
from .formulas import Area, Call, Literal, Ref, Resolver, Unsupported, parse_call
from .report import CellError, RefreshFailed, RefreshReport, WorkbookError, quote_sheet  # noqa: F401
from .xmlwrite import Package, array_cell, cached_value, cell_ref, value_cell

MAX_ROWS, MAX_COLS = 1_048_576, 16_384
_INDIRECT = re.compile(r"\b(INDIRECT|OFFSET|EVALUATE|CELL|INFO)\s*\(|:\w+!|\[\d+\]", re.IGNORECASE)


@dataclass
class Anchor:
    sheet: str
    row: int
    col: int
    formula: str  # without the leading "="
    call: Call | None
    old: Area  # the previous spill range (the anchor alone if none)
    problem: str | None = None
    state: str = "todo"  # todo -> busy -> done
    result: list[list[Any]] = field(default_factory=list)
    area: Area | None = None
    error: XLMError | None = None

    @property
    def ref(self) -> str:
        return cell_ref(self.row, self.col)


def load(source: Path | bytes, name: str) -> Any:
    try:
        fh = io.BytesIO(source) if isinstance(source, bytes) else source
        return load_workbook(fh, data_only=False, keep_links=False, rich_text=False)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise WorkbookError(f"cannot read {name}: not an Excel workbook ({exc})") from None
    except WorkbookError:
        raise
    except Exception as exc:  # noqa: BLE001
        cause = exc.__cause__ or exc.__context__
        if isinstance(exc, DefusedXmlException) or isinstance(cause, DefusedXmlException):
            raise WorkbookError(f"cannot read {name}: its XML declares entities or a DTD, which "
                                "Excel never writes (a damaged or hostile file); refused") from None
        first = (str(exc).strip().splitlines() or [""])[0]
        where = None
        if isinstance(source, bytes):
            from .package import openpyxl_failure

            where = openpyxl_failure(source)
        detail = f"openpyxl cannot read {where}" if where else f"{type(exc).__name__}: {first}"
        raise WorkbookError(f"cannot read {name}: {detail}") from None


def _references(formula: str, home: str, resolver: Resolver) -> list[Area]:
    """The ranges an ordinary formula reads (those the resolver understands)."""
    try:
        tokens = Tokenizer("=" + formula).items
    except Exception:  # noqa: BLE001 - an unparsable formula reads nothing we can follow
        return []
    out = []
    for t in tokens:
        if t.type == Token.OPERAND and t.subtype == Token.RANGE:
            try:
                got = resolver.resolve(t.value, home)
            except Exception:  # noqa: BLE001 - unknown names are reported where they are used
                continue
            if isinstance(got, Area):
                out.append(got)
    return out


def _is_formula(cell: Any) -> bool:
    """A formula cell, as opposed to text that merely starts with "=" (data must stay data)."""
    return cell.data_type == "f"


def _formula_text(cell: Any) -> tuple[str | None, str | None]:
    """(formula without "=", array ref) of an openpyxl cell, or (None, None)."""
    if not _is_formula(cell):
        return None, None
    value = cell.value
    if isinstance(value, ArrayFormula):
        return (value.text or "").lstrip("="), value.ref
    if isinstance(value, DataTableFormula):
        return None, None
    if isinstance(value, str) and value.startswith("=") and len(value) > 1:
        return value[1:], None
    return None, None


class Refresher:
    def __init__(self, pkg: Package, source: Path | bytes, engine: str, values_only: bool = False):
        self.pkg = pkg
        self.engine = engine
        self.values_only = values_only
        self.wb = load(source, pkg.name)
        self.parts = pkg.sheet_parts()
        self.resolver = Resolver(self.wb)
        self.anchors: list[Anchor] = []
        self.by_cell: dict[tuple[str, int, int], Anchor] = {}
        self.others: set[tuple[str, int, int]] = set()  # ordinary formula cells
        self.computed: dict[tuple[str, int, int], Any] = {}  # our results and cleared cells
        self.claimed: set[tuple[str, int, int]] = set()
        self.old_spill: set[tuple[str, int, int]] = set()
        self.primed: dict[tuple[str, int, int], Any] = {}
        # Per evaluation in progress: (input cell, range its formula reads), to catch loops
        # through the spill range, which is only known once the function has answered.
        self._reads: list[list[tuple[str, Area]]] = []
        self.report = RefreshReport(input=pkg.name, output="")

    # -- scanning --------------------------------------------------------------------------

    def scan(self) -> None:
        for ws in self.wb.worksheets:
            for (r, c), cell in list(ws._cells.items()):
                formula, ref = _formula_text(cell)
                if formula is None:
                    continue
                try:
                    call = parse_call(formula, REGISTRY)
                    problem = None
                except Unsupported as exc:
                    call, problem = None, str(exc)
                if call is None and problem is None:
                    self.others.add((ws.title, r, c))
                    continue
                old = Area(ws.title, r, c, r, c)
                if ref:
                    try:
                        old = self.resolver._a1(ws, ref)
                    except Exception:  # noqa: BLE001, S110
                        pass
                a = Anchor(ws.title, r, c, formula, call, old, problem)
                self.anchors.append(a)
                self.by_cell[(ws.title, r, c)] = a
                for rr, cc in old.cells():
                    self.old_spill.add((ws.title, rr, cc))

    # -- values ----------------------------------------------------------------------------

    def _xml_value(self, sheet: str, r: int, c: int, cell: Any) -> Any:
        key = (sheet, r, c)
        if key in self.primed:
            v = self.primed[key]
        else:
            x = self.pkg.sheet(self.parts[sheet]).get(r, c)
            v = cached_value(x, self.pkg.shared_strings) if x else None
        if isinstance(v, (int, float)) and not isinstance(v, bool) and cell.is_date:
            try:
                v = from_excel(v)
            except Exception:  # noqa: BLE001, S110
                pass
        return v

    def _check_not_circular(self, sheet: str, r: int, c: int, seen: set[tuple[str, int, int]]) -> None:
        """Refuse an input cell whose ordinary formula leads back to a result being computed.

        Excel flags such a loop as a circular reference; reading the cell's stale cached value
        instead would give a silently wrong answer.
        """
        key = (sheet, r, c)
        if key in seen or len(seen) > 2000:
            return
        seen.add(key)
        cell = self.resolver.worksheet(sheet)._cells.get((r, c))
        if cell is None or not _is_formula(cell):
            return
        formula, _ = _formula_text(cell)
        for area in _references(formula or "", sheet, self.resolver):
            if self._reads:
                self._reads[-1].append((f"{quote_sheet(sheet)}!{cell.coordinate}", area))
            for a in self.anchors:
                if a.state == "busy" and (a.old.overlaps(area) or (a.area and a.area.overlaps(area))):
                    raise XLMError("#REF!", f"circular reference: {quote_sheet(sheet)}!{cell.coordinate} "
                                   f"depends on the result of {quote_sheet(a.sheet)}!{a.ref}, which "
                                   "reads it. Break the loop.")
            if area.shape[0] * area.shape[1] <= 10_000:
                for rr, cc in area.cells():
                    self._check_not_circular(area.sheet, rr, cc, seen)

    def block(self, area: Area) -> Any:
        """The values of ``area`` as the UDF would receive them (1×1 as a scalar)."""
        for a in self.anchors:
            if a.state != "done" and (a.old.overlaps(area) or a.area and a.area.overlaps(area)):
                self.evaluate(a)
        ws = self.resolver.worksheet(area.sheet)
        cells = ws._cells
        sheet = ws.title
        computed = self.computed
        seen: set[tuple[str, int, int]] = set()
        rows = []
        for r in range(area.min_row, area.max_row + 1):
            row = []
            for c in range(area.min_col, area.max_col + 1):
                key = (sheet, r, c)
                if key in computed:
                    row.append(computed[key])
                    continue
                cell = cells.get((r, c))
                v = None if cell is None else cell.value
                if v is not None and _is_formula(cell):
                    self._check_not_circular(sheet, r, c, seen)
                    v = self._xml_value(sheet, r, c, cell)
                row.append(v)
            rows.append(row)
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        return rows

    def argument(self, arg: Literal | Ref | None, home: str) -> Any:
        if arg is None:
            return None
        if isinstance(arg, Literal):
            return arg.value
        got = self.resolver.resolve(arg.text, home)
        if isinstance(got, Literal):
            return got.value
        return self.block(got)

    # -- evaluation ------------------------------------------------------------------------

    def evaluate(self, a: Anchor) -> None:
        if a.state == "done":
            return
        if a.state == "busy":
            raise XLMError("#REF!", f"circular reference: the formula in {a.sheet}!{a.ref} "
                           "depends on its own result.")
        a.state = "busy"
        try:
            if a.problem:
                raise XLMError("#VALUE!", a.problem)
            assert a.call is not None
            fn = REGISTRY[a.call.function]
            self._reads.append([])
            try:
                args = [self.argument(x, a.sheet) for x in a.call.args]
            finally:
                reads = self._reads.pop()
            result = fn(*args)
            grid = _grid(result)
            spill = Area(a.sheet, a.row, a.col, a.row + len(grid) - 1,
                         a.col + max(len(r) for r in grid) - 1)
            for label, area in reads:
                if area.overlaps(spill):
                    raise XLMError("#REF!", f"circular reference: {label} depends on the result "
                                   f"of {quote_sheet(a.sheet)}!{a.ref}, which reads it. Break the loop.")
        except XLMError as exc:
            if exc.func is None and a.call is not None:
                exc.func = a.call.function
            a.error = exc
            grid = [[exc.code]]
        except RecursionError:
            a.error = XLMError("#REF!", "the formulas refer to each other too deeply.")
            grid = [[a.error.code]]
        except Exception as exc:  # noqa: BLE001
            name = a.call.function if a.call else "formula"
            a.error = XLMError("#VALUE!", f"internal error ({type(exc).__name__}: {exc}). "
                               "Please report it.", func=name)
            grid = [[a.error.code]]
        self._place(a, grid)
        a.state = "done"

    def _place(self, a: Anchor, grid: list[list[Any]]) -> None:
        rows, cols = len(grid), max(len(r) for r in grid)
        area = Area(a.sheet, a.row, a.col, a.row + rows - 1, a.col + cols - 1)
        blocker = None
        if area.max_row > MAX_ROWS or area.max_col > MAX_COLS:
            blocker = "the edge of the sheet"
        else:
            ws = self.resolver.worksheet(a.sheet)
            for r, c in area.cells():
                key = (a.sheet, r, c)
                if (r, c) == (a.row, a.col):
                    continue
                if key in self.claimed or key in self.by_cell:
                    blocker = cell_ref(r, c)
                    break
                if key not in self.old_spill:
                    cell = ws._cells.get((r, c))
                    if cell is not None and cell.value not in (None, ""):
                        blocker = cell_ref(r, c)
                        break
        if blocker is not None:
            a.error = XLMError(
                "#SPILL!", f"the result needs {rows} rows x {cols} columns "
                f"({area.sheet}!{cell_ref(area.min_row, area.min_col)}:"
                f"{cell_ref(area.max_row, area.max_col)}) but {blocker} is in the way. "
                "Clear those cells or move the formula.",
                func=a.call.function if a.call else None)
            grid = [["#SPILL!"]]
            area = Area(a.sheet, a.row, a.col, a.row, a.col)
        a.result = grid
        a.area = area
        for i, row in enumerate(grid):
            for j in range(cols):
                key = (a.sheet, a.row + i, a.col + j)
                self.computed[key] = row[j] if j < len(row) else None
                self.claimed.add(key)
        for r, c in a.old.cells():
            key = (a.sheet, r, c)
            if key not in self.claimed:
                self.computed[key] = None  # leftover of a larger earlier spill

    # -- priming: formula cells used as inputs that have no cached value -----------------------

    def prime(self) -> None:
        need: set[tuple[str, int, int]] = set()
        for a in self.anchors:
            if a.call is None:
                continue
            for arg in a.call.args:
                if not isinstance(arg, Ref):
                    continue
                try:
                    got = self.resolver.resolve(arg.text, a.sheet)
                except XLMError:
                    continue
                if not isinstance(got, Area):
                    continue
                for key in self.others:
                    s, r, c = key
                    if (s == got.sheet and got.min_row <= r <= got.max_row
                            and got.min_col <= c <= got.max_col):
                        x = self.pkg.sheet(self.parts[s]).get(r, c)
                        if x is None or "<v>" not in x and "<is>" not in x:
                            need.add(key)
        if not need:
            return
        values = {}
        for a in self.anchors:  # our anchors as they are now (their cached values)
            x = self.pkg.sheet(self.parts[a.sheet]).get(a.row, a.col)
            values[(a.sheet, a.row, a.col)] = cached_value(x, self.pkg.shared_strings) if x else None
        got, _engine, warnings = recalc.compute(self.pkg, values, need, self.engine)
        self.primed.update(got)
        self.report.warnings.extend(warnings)

    # -- writing ---------------------------------------------------------------------------

    def write(self) -> None:
        cm = self.pkg.dynamic_array_cm() if self.anchors and not self.values_only else None
        if self.anchors and cm is None and not self.values_only:
            self.report.warnings.append("the workbook's metadata part has no dynamic-array "
                                        "metadata; results written as classic array formulas")
        messages: dict[str, dict[tuple[int, int], str]] = {}
        for a in self.anchors:
            sx = self.pkg.sheet(self.parts[a.sheet])
            assert a.area is not None
            for r, c in a.old.cells():
                key = (a.sheet, r, c)
                if key not in self.claimed:
                    sx.set(r, c, value_cell(cell_ref(r, c), None, sx.style(r, c)))
            for i, row in enumerate(a.result):
                for j, v in enumerate(row):
                    r, c = a.row + i, a.col + j
                    if i == 0 and j == 0 and not self.values_only:
                        spill = f"{a.ref}:{cell_ref(a.area.max_row, a.area.max_col)}" \
                            if (a.area.max_row, a.area.max_col) != (a.row, a.col) else a.ref
                        sx.set(r, c, array_cell(a.ref, a.formula, spill, v, sx.style(r, c), cm))
                    else:
                        sx.set(r, c, value_cell(cell_ref(r, c), v, sx.style(r, c)))
            if a.error is not None:
                messages.setdefault(a.sheet, {})[(a.row, a.col)] = a.error.text
            rep = self.report
            fname = a.call.function if a.call else "formula"
            if a.error is None:
                rep.refreshed[fname] += 1
                rep.spill_cells += sum(len(r) for r in a.result)
            else:
                rep.errors.append(CellError(a.sheet, a.ref, fname, a.error.code, a.error.text))
        for sheet in {a.sheet for a in self.anchors}:
            ours = {(a.row, a.col) for a in self.anchors if a.sheet == sheet}
            update_comments(self.pkg, self.parts[sheet], ours, messages.get(sheet, {}))

    def dependents(self) -> None:
        todo = {k for k in self.others if k[0] in self.parts}
        if not todo:
            self.report.engine = "none"
            return
        # spill cells are plain values in the package already: only anchors need replacing
        values = {(a.sheet, a.row, a.col): a.result[0][0] for a in self.anchors}
        got, engine, warnings = recalc.compute(self.pkg, values, todo, self.engine,
                                               self._needed_sheets(todo))
        self.report.engine = engine
        self.report.warnings.extend(warnings)
        if engine == "none":
            if todo:
                self.report.warnings.append(
                    f"{len(todo)} ordinary formulas were not recalculated (no formula engine); "
                    "install LibreOffice or the formulas package")
            return
        n = 0
        for key, v in got.items():
            sheet, r, c = key
            sx = self.pkg.sheet(self.parts[sheet])
            x = sx.get(r, c)
            if x is None:
                continue
            old = cached_value(x, self.pkg.shared_strings)
            if v == "#NAME?" and old is not None and old != "#NAME?":
                continue  # a function the engine does not know (another add-in): keep Excel's
            from .xmlwrite import with_cached_value

            sx.set(r, c, with_cached_value(x, v))
            n += 1
        self.report.dependents = n
        self._no_full_calc()

    def _needed_sheets(self, todo: set[tuple[str, int, int]]) -> set[str] | None:
        """Sheets the ordinary formulas read (transitively); None when that cannot be known."""
        by_sheet: dict[str, list[str]] = {}
        for s, r, c in todo:
            formula, _ = _formula_text(self.resolver.worksheet(s)._cells[(r, c)])
            by_sheet.setdefault(s, []).append(formula or "")
        need = set(by_sheet)
        frontier = list(need)
        while frontier:
            sheet = frontier.pop()
            for f in by_sheet.get(sheet, []):
                if _INDIRECT.search(f):
                    return None
                try:
                    tokens = Tokenizer("=" + f).items
                except Exception:  # noqa: BLE001 - an odd formula: keep every sheet
                    return None
                for t in tokens:
                    if t.type != "OPERAND" or t.subtype != "RANGE":
                        continue
                    try:
                        got = self.resolver.resolve(t.value, sheet)
                    except (XLMError, ValueError, KeyError):
                        return None
                    if isinstance(got, Area) and got.sheet not in need:
                        need.add(got.sheet)
                        frontier.append(got.sheet)
        return need

    def _no_full_calc(self) -> None:
        """Every cached value is now current: Excel need not recalculate on open (without the
        add-in it would turn our results into #NAME?)."""
        wbp = self.pkg.workbook_part()
        text = self.pkg.text(wbp)
        new = re.sub(r'(<calcPr\b[^>]*?)\s+fullCalcOnLoad="(?:1|true)"', r"\1", text)
        if new != text:
            self.pkg.set_text(wbp, new)


def _grid(result: Any) -> list[list[Any]]:
    if not isinstance(result, (list, tuple)):
        return [[_cell(result)]]
    if not result:
        return [[""]]
    if not isinstance(result[0], (list, tuple)):
        return [[_cell(v)] for v in result]
    width = max(len(r) for r in result) or 1
    return [[_cell(v) for v in r] + [None] * (width - len(r)) for r in result]


def _cell(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v
    if isinstance(v, dict) and v.get("type") == "Error":
        return str(v.get("basicValue") or "#VALUE!")
    return v


_F_TEXT = re.compile(r"<f\b[^>]*?(?:/>|>([^<]*)</f>)")


def _has_ordinary_formulas(pkg: Package) -> bool:
    """A quick look at the raw sheets: any formula that is not one of ours?"""
    names = tuple(REGISTRY)
    for part in pkg.sheet_parts().values():
        for m in _F_TEXT.finditer(pkg.text(part)):
            text = (m.group(1) or "").upper()
            if not text or not any(n in text for n in names):
                return True
    return False


def refresh_package(pkg: Package, source: Path | bytes, *, formula_engine: str = "auto",
                    values_only: bool = False) -> RefreshReport:
    """Refresh ``pkg`` in memory (``source`` is the same workbook, for openpyxl to read)."""
    recalc.pick(formula_engine)  # validates the name
    t0 = time.perf_counter()
    before = cache.info()
    if (os.environ.get("XLM_LO_PRESTART", "1") != "0"
            and recalc.engine_list(formula_engine)[0] == "libreoffice"
            and _has_ordinary_formulas(pkg)):
        recalc.prestart()
    r = Refresher(pkg, source, formula_engine, values_only)
    r.scan()
    r.prime()
    for a in r.anchors:
        r.evaluate(a)
    r.write()
    r.dependents()
    after = cache.info()
    rep = r.report
    rep.cache_hits = after["hits"] - before["hits"]
    rep.cache_misses = after["misses"] - before["misses"]
    rep.fits = sum(after["fits"].values()) - sum(before["fits"].values())
    rep.seconds = time.perf_counter() - t0
    return rep


# The file handling (paths, the no-op shortcut, permissions, atomic write) lives in .files,
# which imports this module only when there is work; re-exported for existing imports.
from .files import refresh_workbook  # noqa: E402, F401

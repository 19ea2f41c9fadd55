"""The refresh, in four rooms: read -> plan -> evaluate -> write.

* **read** (:mod:`.model`): the package is read once into a :class:`~.model.WorkbookModel`.
* **plan** (:mod:`.plan`): a dependency graph of every formula says what to evaluate: our calls,
  the formulas that read their results (directly or through other formulas) and formulas with
  no saved value. Every other cell keeps its saved value and its bytes.
* **evaluate** (:class:`Evaluation` here, formulas in :mod:`.formula_bridge`): each planned formula is
  evaluated once, inputs first; results are placed where they spill, with #SPILL! when blocked
  and #REF! for a loop. Forms the in-process engine cannot evaluate go to LibreOffice (on a copy
  trimmed to the sheets they read) or become error cells.
* **write** (:mod:`.write`): results, comments and date formats go into the package XML.

One :class:`RefreshOptions` is passed whole from the command down.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from typing import TYPE_CHECKING

from ..catalog import calls_ours, function_of
from ..errors import EXCEL_ERRORS, XLMError
from . import recalc
from .calls import Resolver, Unsupported
from .model import Area, WorkbookModel, read_model, row_values
from .options import RefreshOptions
from .plan import AreaIndex, Graph, Key, Node
from .report import RefreshFailed, RefreshReport, WorkbookError, deliberate, quote_sheet  # noqa: F401
from .xlsx import Package, cell_ref

if TYPE_CHECKING:
    from .formula_bridge import Outcome

# The models (scikit-learn, pandas) and the formula engine are imported when a workbook has a
# formula of ours, not when this module is: a workbook with nothing to refresh stays cheap.

MAX_ROWS, MAX_COLS = 1_048_576, 16_384
log = logging.getLogger("xlmarketing.workbook")


class Circular(Exception):
    """Reached a formula that is being evaluated: a loop, resolved by the formula it closes on."""

    def __init__(self, target: Key, reader: str):
        super().__init__(reader)
        self.target, self.reader = target, reader


class Deferred(Exception):
    """A formula to hand to LibreOffice (the in-process engine cannot evaluate it)."""


class NotRecomputed(Exception):
    """A formula the chosen engine cannot compute exactly: it keeps its saved value."""


@dataclass
class Result:
    """A formula's evaluated value, where it spilled, and its error if it ended in one."""

    node: Node
    grid: list[list[Any]]
    area: Area
    error: XLMError | None = None
    spills: bool = False  # written as a dynamic array (ours, or an array formula)


@dataclass
class Evaluation:
    """Evaluates the planned formulas of one workbook, inputs first, and places their results."""

    model: WorkbookModel
    options: RefreshOptions
    values: dict[Key, Any] = field(default_factory=dict)  # new values of cells (spills, clears)
    results: dict[Key, Result] = field(default_factory=dict)
    claimed: dict[Key, Key] = field(default_factory=dict)  # cell -> formula spilling there
    deferred: set[Key] = field(default_factory=set)
    must: set[Key] = field(default_factory=set)
    skipped: int = 0  # dependents left with their saved values (--engine none)
    kept: dict[Key, str] = field(default_factory=dict)  # not recomputed -> why
    unsaved: set[Key] = field(default_factory=set)  # computed because saved with no <v>

    def __post_init__(self) -> None:
        from .formula_bridge import Evaluator

        # Rows and columns our results reach beyond what the sheet saved, by sheet: whole-column
        # and whole-row references (A:A, 1:1) must read them too.
        self._extent: dict[str, tuple[int, int]] = {}
        self.resolver = Resolver(self.model, self.spill_of, self._extent.get)
        self.evaluator = Evaluator(self.resolver, self.read)
        self._building = True
        self.graph = Graph(self.model, self.evaluator.template)
        self._building = False
        self.spills = AreaIndex()  # new spill areas -> their node
        self._state: dict[Key, str] = {}
        self._stack: list[Node] = []
        self._reads: list[list[tuple[str, Area]]] = []
        self._dates: list[list[float]] = []  # per formula being evaluated: date serials read
        self._rows: dict[str, set[int]] = {}  # rows holding new values, by sheet
        self._saved: dict[str, dict[int, dict[int, Any]]] = {}  # saved values read, by row
        self._phase = "ours"

    @property
    def evaluates_ordinary(self) -> bool:
        return self.options.formula_engine != "none"

    @functools.cached_property
    def uses_libreoffice(self) -> bool:
        """Ordinary dependents go to LibreOffice: asked for, or ``auto`` with it installed.

        LibreOffice computes far more of Excel's functions exactly than the in-process engine
        (ROW, INDIRECT, OFFSET, 3-D references, classic arrays, ...), so it decides when present.
        Looked up once per evaluation (a search of PATH per formula cost 0.4 ms each).
        """
        engine = self.options.formula_engine
        return engine == "libreoffice" or (engine == "auto" and recalc.soffice() is not None)

    # -- the plan --------------------------------------------------------------------------

    def run(self) -> None:
        ours = self.graph.ours()
        if not ours:
            return
        self.must = {n.key for n in ours}
        if self.evaluates_ordinary:
            self.unsaved = {k for k, n in self.graph.nodes.items()
                            if not n.cell.has_value and not n.ours}
            self.must |= self.unsaved
            self.must |= self.graph.dependents(n.saved_area for n in ours)
        for node in ours:
            self.ensure(node)
        if not self.evaluates_ordinary:
            areas = [r.area for r in self.results.values()] + [n.saved_area for n in ours]
            self.skipped = len(self.graph.dependents(areas) - set(self.results))
            return
        self._phase = "dependents"
        areas = [n.saved_area for n in ours] + [r.area for r in self.results.values()
                                                  if r.node.ours]
        new = {k: r.area for k, r in self.results.items() if r.area.size > 1}
        later = self.graph.dependents(areas, new) - set(self.results)
        self.must |= later
        if not self.uses_libreoffice:
            self._fill_downs(self.must - set(self.results) - self.deferred)
        for key in sorted(self.must - set(self.results) - self.deferred):
            self.ensure(self.graph.nodes[key])  # dependents, and formulas with no saved value
        if self.deferred:  # what reads a deferred formula is computed with it
            more = self.graph.dependents(self.graph.nodes[k].saved_area for k in self.deferred)
            for key in more - {k for k, r in self.results.items() if r.node.ours} - set(self.kept):
                self.results.pop(key, None)
                self.deferred.add(key)
        self.keep_readers()

    def keep_readers(self) -> None:
        """What reads a formula that is not recomputed is not recomputed either (its input would
        be stale): it keeps its saved value too, the reason naming the cell it reads."""
        if not self.kept:
            return
        todo = list(self.kept)
        while todo:
            key = todo.pop()
            node = self.graph.nodes[key]
            for reader in self.graph.readers.query(node.saved_area):
                k = reader.key
                if k in self.kept or reader.ours or k not in self.must:
                    continue
                self.kept[k] = f"it reads {node.cell.address}, which is not recomputed"
                self.results.pop(k, None)
                self.deferred.discard(k)
                todo.append(k)

    def release(self) -> None:
        """Drop what only the evaluation needed (values read, cell overlays) before writing."""
        self._saved.clear()
        self.values.clear()
        self._rows.clear()

    def _fill_downs(self, keys: set[Key]) -> None:
        """Evaluate each group of 32+ same-shape elementwise formulas of single cells at once.

        A filled-down column (``=D2*2+A2``, ``=D3*2+A3``, …) is one template over cells;
        evaluated as one array it costs one formula-engine call instead of one per row. A group
        whose inputs include its own members (a running total) is left to the one-by-one path.
        """
        groups: dict[str, list[Node]] = {}
        for key in keys:
            n = self.graph.nodes[key]
            if (n.elementwise and n.template and n.cell.kind == "normal" and not n.ours
                    and n.reads and all(a.size == 1 for a in n.reads)):
                groups.setdefault(n.template, []).append(n)
        todo = [g for g in groups.values() if len(g) >= 32]
        pending = {n.key for g in todo for n in g}
        while todo:
            ready = [g for g in todo if not any((a.sheet.lower(), a.min_row, a.min_col) in pending
                                                for n in g for a in n.reads)]
            if not ready:
                break  # members read each other: one by one
            for group in ready:
                todo.remove(group)
                self._fill_down(group)
                pending -= {n.key for n in group}

    def _fill_down(self, group: list[Node]) -> None:
        from .formula_bridge import Outcome

        width = len(group[0].reads)
        inputs: list[list[Any]] = [[] for _ in range(width)]
        for n in group:
            self._reads.append([])
            self._stack.append(n)
            try:
                for k, a in enumerate(n.reads):
                    inputs[k].append(self.read(a)[0][0])
            except (XLMError, Circular, Deferred):
                return
            finally:
                self._stack.pop()
                self._reads.pop()
        try:
            got = self.evaluator.run_many(group[0].template or "", inputs)
        except Unsupported:
            return
        if got is None or any(isinstance(v, str) and v in EXCEL_ERRORS for v in got):
            return  # an error from the broadcast (seen: #VALUE! for ROUND(a,12)=ROUND(b,12)):
            # the one-by-one path decides
        for n, v in zip(group, got, strict=True):
            self._place(n, Outcome([[v]]))
            self._state[n.key] = "done"

    # -- reading values --------------------------------------------------------------------

    def read(self, area: Area) -> list[list[Any]]:
        """Current values of ``area``: planned formulas in it are evaluated first."""
        if area.size > 20_000_000:
            raise XLMError("#NUM!", f"the range {quote_sheet(area.sheet)}!{area.a1} has "
                           f"{area.size:,} cells, too many to read.")
        if self._reads:
            self._reads[-1].append((self._stack[-1].cell.address, area))
        followed: set[Key] = set()  # shared by the area's formulas: a chain is walked once
        for node in list(self.graph.formulas_in(area)):
            if node.key in self.must:
                self.ensure(node)
            elif node.key not in self.results:
                self._follow(node, followed)
        sheet = area.sheet.lower()
        values, model = self.values, self.model
        sm = model.sheets[sheet]
        c1, c2 = area.min_col, area.max_col
        cols = range(c1, c2 + 1)
        changed = self._rows.get(sheet, ())
        out = []
        memo = self._saved.setdefault(sheet, {})
        for r in range(area.min_row, area.max_row + 1):
            saved = memo.get(r)
            if saved is None:
                saved = memo[r] = row_values(model, sm, r, 1, MAX_COLS)
            row = [saved.get(c) for c in cols]
            if r in changed:
                for j, c in enumerate(cols):
                    v = values.get((sheet, r, c), row)
                    if v is not row:
                        row[j] = v
            out.append(row)
        if self._dates and model.date_styles:
            from ..cells import to_serial

            seen = [to_serial(v) for row in out for v in row if isinstance(v, dt.datetime)]
            if seen:
                self._dates[-1].extend((min(seen), max(seen)))
        return out

    def _follow(self, node: Node, seen: set[Key]) -> None:
        """Record what a formula that keeps its saved value reads (for the loop check).

        Walks the formulas it reads, and theirs, with an explicit stack (a long chain of
        formulas must not hit Python's recursion limit).
        """
        if not self._reads:
            return
        reads = self._reads[-1]
        todo = [node]
        while todo and len(seen) <= 200_000:
            n = todo.pop()
            if n.key in seen:
                continue
            seen.add(n.key)
            for a in n.reads:
                reads.append((n.cell.address, a))
                if a.size > 10_000:
                    continue
                for inner in self.graph.formulas_in(a):
                    if self._state.get(inner.key) == "busy":
                        raise Circular(inner.key, n.cell.address)
                    if inner.key not in seen and inner.key not in self.results:
                        todo.append(inner)

    def spill_of(self, sheet: str, r: int, c: int) -> Area | None:
        """The range the array formula at (r, c) spills into now (for ``A1#``)."""
        key = (sheet.lower(), r, c)
        if self._building:  # for the graph: a spill reference reads the anchor and its range
            cell = self.model.formula(sheet, r, c)
            return None if cell is None else Node(cell, False).saved_area
        node = self.graph.nodes.get(key)
        if node is None:
            return None
        if key not in self.results and key in self.must:
            self.ensure(node)
        got = self.results.get(key)
        if got is not None:
            return got.area if got.spills else None
        return node.saved_area if node.cell.kind == "array" else None

    # -- evaluating ------------------------------------------------------------------------

    def ensure(self, node: Node) -> None:
        key = node.key
        state = self._state.get(key)
        if state == "done":
            return
        if state == "busy":
            raise Circular(key, self._stack[-1].cell.address if self._stack else node.cell.address)
        self._state[key] = "busy"
        self._stack.append(node)
        self._reads.append([])
        self._dates.append([])
        try:
            outcome = self._outcome(node)
        except Circular as loop:
            if loop.target != key:
                self._state.pop(key, None)
                raise
            outcome = _circular(loop.reader, node)
        except Deferred:
            self.deferred.add(key)
            self._state[key] = "done"
            return
        except NotRecomputed as why:
            self.kept[key] = str(why)
            self._state[key] = "done"
            return
        finally:
            self._stack.pop()
            reads = self._reads.pop()
            dates = self._dates.pop()
        if dates and node.ours:
            _as_dates(outcome.grid, min(dates), max(dates))
        result = self._place(node, outcome)
        if result.area.size > 1 or node.ours:
            for label, area in reads:
                if area.overlaps(result.area) and not result.error:
                    self._unplace(result)
                    result = self._place(node, _circular(label, node))
                    break
        self._state[key] = "done"
        if self._reads:
            self._reads[-1].extend(reads)

    def _outcome(self, node: Node) -> Outcome:
        from .formula_bridge import Outcome

        cell = node.cell
        if not node.ours and self.uses_libreoffice and self._phase == "dependents":
            raise Deferred
        try:
            if node.problem:
                raise Unsupported(node.problem)
            if not node.ours and cell.kind == "array" and not cell.dynamic:
                raise Unsupported("it is a classic array formula (Ctrl+Shift+Enter) over "
                                  f"{node.saved_area.a1}, which the in-process engine does not "
                                  "compute")
            if node.ours:
                got = self.evaluator.direct(cell.text, cell.sheet)
                if got is not None:
                    return got
            return self.evaluator.run(cell.text, cell.sheet, (cell.row, cell.col),
                                      cell.kind == "array")
        except Unsupported as exc:
            if not node.ours and self.uses_libreoffice:
                raise Deferred from None
            if not node.ours:  # never a guess or an error of ours: the saved value stays
                raise NotRecomputed(f"the in-process engine cannot compute it exactly ({exc}); "
                                    "install LibreOffice or refresh in Excel") from None
            return Outcome([["#VALUE!"]], XLMError(
                "#VALUE!", f"this formula cannot be evaluated headless: {exc}. Put that part in "
                "another cell, or refresh the workbook in Excel.", func=function_of(node.cell.text)))
        except XLMError as exc:
            return Outcome([[exc.code]], exc)
        except (Circular, Deferred, NotRecomputed):
            raise
        except RecursionError:
            if not node.ours:
                raise NotRecomputed("the formulas it reads refer to each other too deeply for "
                                    "the in-process engine") from None
            return Outcome([["#REF!"]], XLMError("#REF!", "the formulas refer to each other too "
                                                 "deeply.", func=function_of(node.cell.text)))
        except Exception as exc:  # noqa: BLE001 - a bug of ours: one cell fails, logged in full
            log.exception("internal error evaluating %s: =%s", cell.address, cell.text)
            if not node.ours:
                raise NotRecomputed(f"internal error of the in-process engine "
                                    f"({type(exc).__name__}); please report it") from None
            return Outcome([["#VALUE!"]], XLMError(
                "#VALUE!", f"internal error ({type(exc).__name__}: {exc}). Please report it.",
                func=function_of(node.cell.text)))

    # -- placing results -------------------------------------------------------------------

    def _place(self, node: Node, outcome: Outcome) -> Result:
        cell = node.cell
        grid, error = outcome.grid, outcome.error
        spills = node.ours or cell.kind == "array"
        if not spills:
            grid = [[grid[0][0]]]
        rows, cols = len(grid), max(len(r) for r in grid)
        area = Area(cell.sheet, cell.row, cell.col, cell.row + rows - 1, cell.col + cols - 1)
        if area.size > 1:
            blocker = self._blocker(node, area)
            if blocker is not None:
                error = XLMError(
                    "#SPILL!", f"the result needs {rows} rows x {cols} columns "
                    f"({quote_sheet(cell.sheet)}!{area.a1}) but {blocker} is in the way. "
                    "Clear those cells or move the formula.", func=function_of(node.cell.text) if node.ours else None)
                grid = [["#SPILL!"]]
                area = Area(cell.sheet, cell.row, cell.col, cell.row, cell.col)
        if error is None:
            first = grid[0][0]
            if isinstance(first, str) and first in EXCEL_ERRORS and not deliberate(first, cell.text):
                error = XLMError(first, _why(first, outcome), func=function_of(node.cell.text) if node.ours else None)
        result = Result(node, grid, area, error, spills)
        sheet = cell.sheet.lower()
        changed = self._rows.setdefault(sheet, set())
        values, claimed, key = self.values, self.claimed, node.key
        for i, row in enumerate(grid):
            r = cell.row + i
            changed.add(r)
            for j in range(cols):
                k = (sheet, r, cell.col + j)
                values[k] = row[j] if j < len(row) else None
                claimed[k] = key
        if spills and node.saved_area.size > 1:
            for r, c in node.saved_area.cells():
                k = (sheet, r, c)
                if k not in claimed:
                    values[k] = None  # leftover of a larger earlier spill
                    changed.add(r)
        if area.size > 1:
            self.spills.add(area, node)
            rows, cols = self._extent.get(area.sheet.lower(), (0, 0))
            self._extent[area.sheet.lower()] = (max(rows, area.max_row), max(cols, area.max_col))
        self.results[node.key] = result
        return result

    def _unplace(self, result: Result) -> None:
        sheet = result.area.sheet.lower()
        for r, c in result.area.cells():
            k = (sheet, r, c)
            if self.claimed.get(k) == result.node.key:
                del self.claimed[k]
                self.values.pop(k, None)

    def _blocker(self, node: Node, area: Area) -> str | None:
        """What stops a result from spilling into ``area`` (None when it is free)."""
        if area.max_row > MAX_ROWS or area.max_col > MAX_COLS:
            return "the edge of the sheet"
        sm = self.model.sheets[area.sheet.lower()]
        for m in sm.merged:
            if m.overlaps(area):
                return f"the merged cells {m.a1}"
        for t in sm.tables:
            if t.area.overlaps(area):
                return f"the table {t.display_name} ({t.ref})"
        near = [n for n in self.graph.formulas_in(area) if n.key != node.key]
        for n in near:
            if area.contains(area.sheet, n.cell.row, n.cell.col):
                return cell_ref(n.cell.row, n.cell.col)
        for other in self.spills.query(area):  # another result already spills there
            if other.key != node.key:
                got = self.results[other.key].area
                return cell_ref(max(got.min_row, area.min_row), max(got.min_col, area.min_col))
        old = [n.saved_area for n in near if n.cell.kind == "array"] + [node.saved_area]
        sm = self.model.sheets[area.sheet.lower()]
        for r in range(area.min_row, area.max_row + 1):
            saved = row_values(self.model, sm, r, area.min_col, area.max_col)
            for c, v in saved.items():
                if v in (None, "") or (r, c) == (node.cell.row, node.cell.col):
                    continue
                if not any(o.contains(area.sheet, r, c) for o in old):
                    return cell_ref(r, c)
        return None


def _as_dates(grid: list[list[Any]], first: float, last: float) -> None:
    """Turn result columns that carry the input's dates forward into dates (in place).

    Our functions return dates as serial numbers (SALES_FORECAST's Period, say). A column is
    taken for dates when the formula read date-formatted cells and every number in the column
    is a whole day within ten years before the first and 100 after the last date it read.
    """
    from ..cells import from_serial

    low, high = first - 3660, last + 36600
    for j in range(max(len(r) for r in grid)):
        col = [r[j] for r in grid if j < len(r)]
        nums = [v for v in col if type(v) in (int, float)]
        if not nums or any(not (low <= v <= high) or v != int(v) for v in nums):
            continue
        if any(v is not None and type(v) not in (int, float, str) for v in col):
            continue
        if sum(isinstance(v, str) for v in col) > 1:
            continue  # a header at most
        for r in grid:
            if j < len(r) and type(r[j]) in (int, float):
                r[j] = from_serial(r[j])


def _circular(reader: str, node: Node) -> Outcome:
    from .formula_bridge import Outcome

    if reader == node.cell.address:
        text = f"circular reference: the formula in {node.cell.address} depends on its own result."
    else:
        text = (f"circular reference: {reader} depends on the result of {node.cell.address}, "
                "which reads it. Break the loop.")
    return Outcome([["#REF!"]], XLMError("#REF!", text, func=function_of(node.cell.text) if node.ours else None))




def _why(code: str, outcome: Outcome) -> str:
    return f"the formula evaluates to {code}"


# --------------------------------------------------------------------------- the whole refresh


def refresh_package(pkg: Package, *, formula_engine: str = "auto", values_only: bool = False,
                    options: RefreshOptions | None = None) -> RefreshReport:
    """Refresh ``pkg`` in memory: read -> plan -> evaluate -> write.

    ``options`` (or the keyword arguments, for older callers) says how.
    """
    from .. import cache, notices
    from .write import write_results

    opts = options or RefreshOptions(formula_engine=formula_engine, values_only=values_only)
    t0 = time.perf_counter()
    before = cache.info()
    model = read_model(pkg)
    report = RefreshReport(input=pkg.name, output="")
    texts = [f.text for sm in model for f in sm.formulas.values()]
    if any(calls_ours(t) for t in texts):
        run = Evaluation(model, opts)
        with notices.collect() as said:  # notes with no cell of their own (see notices.py)
            run.run()
        report.warnings.extend(notices.summary(said))
        run.release()
        write_results(run, report)
    after = cache.info()
    report.cache_hits = after["hits"] - before["hits"]
    report.cache_misses = after["misses"] - before["misses"]
    report.fits = sum(after["fits"].values()) - sum(before["fits"].values())
    report.seconds = time.perf_counter() - t0
    return report


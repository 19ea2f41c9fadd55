"""The plan: which formulas a refresh evaluates, found through a dependency graph.

Every formula cell's references are taken from its parsed template (openpyxl's ``Tokenizer``
plus the resolver, see :mod:`.formula_bridge`). An :class:`AreaIndex` answers "which formulas read
this area?" and "which of our anchors cover this cell?" by sheet and row block, so the cost of
a refresh grows with the number of formulas and references, not with their product.

What is evaluated: our calls (formulas that call one of our functions, :mod:`xlmarketing.catalog`), the formulas that
read their results directly or through other formulas, and formulas with no saved value at all.
Everything else keeps its saved value and its bytes.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..catalog import calls_ours
from .calls import Unsupported
from .model import Area, FormulaCell, WorkbookModel

Key = tuple[str, int, int]  # (lower sheet title, row, column)

_RB, _CB = 16, 16  # rows and columns per index bucket
_TALL = 1 << 16  # areas taller than this are kept in a per-sheet list instead


class AreaIndex:
    """Areas (each with an item) bucketed by sheet and 16x16 cell blocks, queried by overlap.

    A cell query looks at one bucket; a fill-down of single-cell references costs one bucket
    entry each, so building and querying grow linearly with the references. Items of one and
    the same area share one entry: 6,000 chart-helper formulas that all read a 2,500-row table
    column put it in its 157 buckets once, not 6,000 times (adding and querying them cost
    minutes otherwise).
    """

    def __init__(self) -> None:
        self._blocks: dict[tuple[str, int, int], list[tuple[Area, list[Any]]]] = {}
        self._tall: dict[str, list[tuple[Area, list[Any]]]] = {}
        self._items: dict[Area, list[Any]] = {}

    def add(self, area: Area, item: Any) -> None:
        items = self._items.get(area)
        if items is not None:
            items.append(item)
            return
        items = self._items[area] = [item]
        entry = (area, items)
        sheet = area.sheet.lower()
        if area.max_row - area.min_row > _TALL or area.max_col - area.min_col > 4 * _CB * _CB:
            self._tall.setdefault(sheet, []).append(entry)
            return
        blocks = self._blocks
        for rb in range(area.min_row // _RB, area.max_row // _RB + 1):
            for cb in range(area.min_col // _CB, area.max_col // _CB + 1):
                k = (sheet, rb, cb)
                got = blocks.get(k)
                if got is None:
                    blocks[k] = [entry]
                else:
                    got.append(entry)

    def query(self, area: Area) -> Iterator[Any]:
        """Items whose area overlaps ``area`` (each once)."""
        sheet = area.sheet.lower()
        r1, c1, r2, c2 = area.min_row, area.min_col, area.max_row, area.max_col
        buckets: list[list[tuple[Area, list[Any]]]] = []
        tall = self._tall.get(sheet)
        if tall:
            buckets.append(tall)
        nb = (r2 // _RB - r1 // _RB + 1) * (c2 // _CB - c1 // _CB + 1)
        if nb > 4 * len(self._blocks):  # a huge query: look at every bucket of the sheet
            buckets += [v for (s, _, _), v in self._blocks.items() if s == sheet]
        else:
            blocks = self._blocks
            for rb in range(r1 // _RB, r2 // _RB + 1):
                for cb in range(c1 // _CB, c2 // _CB + 1):
                    got = blocks.get((sheet, rb, cb))
                    if got:
                        buckets.append(got)
        hits: list[list[Any]] = []
        seen_areas: set[int] = set()
        for bucket in buckets:
            for a, items in bucket:
                if a.min_row <= r2 and r1 <= a.max_row and a.min_col <= c2 and c1 <= a.max_col:
                    if id(items) not in seen_areas:
                        seen_areas.add(id(items))
                        hits.append(items)
        if len(hits) == 1:
            yield from list(hits[0])
            return
        seen: set[int] = set()
        for items in hits:
            for item in list(items):
                i = id(item)
                if i not in seen:
                    seen.add(i)
                    yield item


@dataclass
class Node:
    """A formula cell in the graph: what it reads, and whether it calls one of ours."""

    cell: FormulaCell
    ours: bool
    reads: list[Area] = field(default_factory=list)
    problem: str | None = None  # why it cannot be evaluated in-process
    template: str | None = None  # the formula with its references as inputs (see evaluate)
    elementwise: bool = False  # only operators and cell-by-cell functions

    # Both are asked for on every step through the graph: worked out once (a cell is not
    # changed once read).
    @functools.cached_property
    def key(self) -> Key:
        return self.cell.sheet.lower(), self.cell.row, self.cell.col

    @functools.cached_property
    def saved_area(self) -> Area:
        """The range the formula covered as saved (its array range, or the cell alone)."""
        c = self.cell
        if c.ref:
            from .model import _area

            try:
                a = _area(c.sheet, c.ref)
                if a.contains(c.sheet, c.row, c.col):
                    return a
            except ValueError:
                pass
        return Area(c.sheet, c.row, c.col, c.row, c.col)


class Graph:
    """Formula cells of a workbook with the areas they read, indexed both ways."""

    def __init__(self, model: WorkbookModel, template: Any):
        self.model = model
        self.nodes: dict[Key, Node] = {}
        self.readers = AreaIndex()  # area read -> node
        self.cells = AreaIndex()  # saved area of a formula -> node
        for sheet in model:
            for cell in sheet.formulas.values():
                if cell.kind == "dataTable":
                    continue  # what-if tables are Excel's own; their saved values stay
                node = Node(cell, False)
                try:
                    tpl = template(cell.text, cell.sheet, (cell.row, cell.col),
                                   cell.kind == "array")
                    node.reads, node.ours, node.problem = tpl.areas, tpl.ours, tpl.problem
                    node.template, node.elementwise = tpl.text, tpl.elementwise
                except Unsupported as exc:  # not even tokenized: its text says if it is ours
                    node.ours, node.problem = calls_ours(cell.text), str(exc)
                self.nodes[node.key] = node
                for a in node.reads:
                    self.readers.add(a, node)
                self.cells.add(node.saved_area, node)

    def ours(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.ours]

    def formulas_in(self, area: Area) -> Iterator[Node]:
        return self.cells.query(area)

    def dependents(self, areas: Iterable[Area], spills: dict[Key, Area] | None = None) -> set[Key]:
        """Keys of the formulas that read ``areas``, directly or through other formulas.

        ``spills`` gives the new spill range of formulas already evaluated (read as well).
        """
        out: set[Key] = set()
        todo = deque(areas)
        asked: set[Area] = set()  # each area looked up once (a reader's area is often a start)
        while todo:
            area = todo.popleft()
            if area in asked:
                continue
            asked.add(area)
            for node in self.readers.query(area):
                if node.key in out:
                    continue
                out.add(node.key)
                todo.append(node.saved_area)
                if spills is not None and node.key in spills:
                    todo.append(spills[node.key])
        return out

"""Reports of a refresh and of a batch, and the one error type for unreadable files."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


class WorkbookError(Exception):
    """A file the engine cannot read or write (missing, not a zip, encrypted, not a workbook).

    Its text is one line meant for the user, e.g. ``cannot read report.xlsx: not a zip file``.
    """


class RefreshFailed(WorkbookError):
    """``strict`` refresh with cells in error: nothing was written. ``.report`` has the details."""

    def __init__(self, message: str, report: RefreshReport):
        super().__init__(message)
        self.report = report


_NA_CALL = re.compile(r"(?<![\w.])NA\(\s*\)", re.IGNORECASE)


def deliberate(code: str, text: str) -> bool:
    """#N/A from the formula's own NA() call (chart helper columns): the author's value, not an
    error to report."""
    return code == "#N/A" and bool(_NA_CALL.search(text))


@dataclass
class CellError:
    """A cell whose formula ended in an error (a user mistake or an unsupported formula)."""

    sheet: str
    cell: str
    function: str
    code: str
    message: str

    @property
    def address(self) -> str:
        return f"{quote_sheet(self.sheet)}!{self.cell}"


@dataclass
class CellNote:
    """A formula cell the refresh left as saved or computed for a reason the user should know."""

    sheet: str
    cell: str
    reason: str

    @property
    def address(self) -> str:
        return f"{quote_sheet(self.sheet)}!{self.cell}"


@dataclass
class RefreshReport:
    """What :func:`~xlmarketing.workbook.refresh_workbook` did."""

    input: str
    output: str
    refreshed: Counter[str] = field(default_factory=Counter)  # function -> formula cells
    errors: list[CellError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    spill_cells: int = 0
    dependents: int = 0
    engine: str = "none"
    seconds: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    fits: int = 0
    #: Formulas that depend on ours but that the chosen engine cannot compute exactly: they keep
    #: their saved value (``strict`` fails on them).
    not_recomputed: list[CellNote] = field(default_factory=list)
    #: Formulas saved with no value at all (no ``<v>``) that the refresh computed.
    unsaved: list[CellNote] = field(default_factory=list)
    #: Recomputed cells whose error is the one Excel saved there (not ours: no comment).
    saved_errors: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def cells(self) -> int:
        return sum(self.refreshed.values())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["refreshed"] = dict(sorted(self.refreshed.items()))
        d["errors"] = [dict(asdict(e), address=e.address) for e in self.errors]
        d["not_recomputed"] = [dict(asdict(e), address=e.address) for e in self.not_recomputed]
        d["unsaved"] = [dict(asdict(e), address=e.address) for e in self.unsaved]
        d["ok"] = self.ok
        d["nothing_to_refresh"] = self.nothing_to_refresh
        return d

    @property
    def nothing_to_refresh(self) -> bool:
        """The workbook has no formula of ours: nothing was evaluated or changed."""
        return (not self.refreshed and not self.errors and not self.dependents
                and not self.not_recomputed)

    def lines(self) -> list[str]:
        if self.nothing_to_refresh:
            return [f"nothing to refresh in {self.input}: it has no xlmarketing formula "
                    f"(written unchanged to {self.output})"] + [f"  warning: {w}" for w in self.warnings]
        per = ", ".join(f"{n} {f}" for f, n in sorted(self.refreshed.items())) or "no formulas"
        out = [f"refreshed {self.input} -> {self.output}",
               f"  formulas: {self.cells} ({per}), {self.spill_cells} result cells",
               f"  dependents: {self.dependents} recalculated by {self.engine}",
               (f"  cache: {self.cache_hits} hits, {self.cache_misses} misses, {self.fits} fits; "
                f"time {self.seconds:.2f} s")]
        if self.saved_errors:
            out.append(f"  {self.saved_errors} recalculated cells hold the error Excel saved "
                       "there (not caused by the refresh)")
        for w in self.warnings:
            out.append(f"  warning: {w}")
        for e in self.errors:
            out.append(f"  error {e.address}: {e.message}")
        for n in self.not_recomputed:
            out.append(f"  not recomputed {n.address} (keeps its saved value): {n.reason}")
        if self.unsaved:
            # Hundreds of cells (a file saved by a writer that stores no values) read better as
            # ranges; --json keeps one entry per cell.
            out.append(f"  computed {len(self.unsaved)} formulas saved with no value: "
                       + ", ".join(cell_ranges(self.unsaved)))
        return out


@dataclass
class BatchItem:
    """One data file of a batch: where its workbook went, or why it failed."""

    data: str
    output: str | None
    ok: bool
    error: str | None = None
    seconds: float = 0.0
    cell_errors: int = 0
    engine: str = "none"
    #: How the data file was read where a reader had to choose (encoding, number format).
    notes: list[str] = field(default_factory=list)
    #: What the run could not do as asked (a table left out, formulas LibreOffice must compute).
    warnings: list[str] = field(default_factory=list)
    #: Every cell that ended in an error: {"address", "code", "message"}.
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class BatchReport:
    """What :func:`~xlmarketing.workbook.batch` did, one item per data file (in input order)."""

    template: str
    out_dir: str
    items: list[BatchItem] = field(default_factory=list)
    jobs: int = 1
    scheduler: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[BatchItem]:
        return [i for i in self.items if not i.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        d["failed"] = len(self.failed)
        return d

    def lines(self) -> list[str]:
        where = f"Dask scheduler {self.scheduler}" if self.scheduler else f"{self.jobs} processes"
        out = [(f"batch {self.template}: {len(self.items) - len(self.failed)} of "
                f"{len(self.items)} workbooks written to {self.out_dir} in {self.seconds:.1f} s "
                f"({where})")]
        for i in self.items:
            if not i.ok:
                out.append(f"  failed {i.data}: {i.error}")
            else:
                out.append(f"  wrote {i.output}" + (f": {i.cell_errors} cells with errors"
                                                    if i.cell_errors else ""))
            if i.ok:
                out.extend(f"    warning: {w}" for w in i.warnings)
                out.extend(f"    note {i.data}: {n}" for n in i.notes)
                out.extend(f"    error {e['address']}: {e['message']}" for e in i.errors)
        return out


def cell_ranges(notes: list[CellNote]) -> list[str]:
    """The cells of ``notes`` as the fewest rectangles a row-by-row sweep finds (``Risk!A32:H35``)."""
    # Here, not at the top: the no-op refresh imports this module and never openpyxl.
    from openpyxl.utils.cell import (column_index_from_string, coordinate_from_string,
                                     get_column_letter)

    by_sheet: dict[str, set[tuple[int, int]]] = {}
    for n in notes:
        col, row = coordinate_from_string(n.cell)
        by_sheet.setdefault(n.sheet, set()).add((row, column_index_from_string(col)))
    out = []
    for sheet, cells in by_sheet.items():
        # Runs of adjacent columns per row, then runs of rows with the same column run.
        runs: dict[tuple[int, int], list[int]] = {}
        for row, col in sorted(cells):
            if (row, col - 1) not in cells:
                end = col
                while (row, end + 1) in cells:
                    end += 1
                runs.setdefault((col, end), []).append(row)
        boxes = []
        for (c0, c1), rows in runs.items():
            start = prev = rows[0]
            for r in rows[1:] + [None]:
                if r is not None and r == prev + 1:
                    prev = r
                    continue
                boxes.append((start, c0, prev, c1))
                if r is not None:
                    start = prev = r
        for r0, c0, r1, c1 in sorted(boxes):
            ref = f"{get_column_letter(c0)}{r0}"
            if (r0, c0) != (r1, c1):
                ref += f":{get_column_letter(c1)}{r1}"
            out.append(f"{quote_sheet(sheet)}!{ref}")
    return out


def quote_sheet(name: str) -> str:
    """A sheet name as it appears in a reference: quoted when it needs to be."""
    if name.replace("_", "").replace(".", "").isalnum() and not name[0].isdigit():
        return name
    return "'" + name.replace("'", "''") + "'"

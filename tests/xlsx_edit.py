"""Test helpers that edit workbook packages at the zip/XML level, the way a hostile or unusual
writer would, without going through openpyxl (which would rewrite every part)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from xlmarketing.workbook.archive import locate, part_index
from xlmarketing.workbook.xlsx import SheetXML, attrs, cached_value, cell_ref, value_cell


def rewrite(src: Path, dst: Path, edit: dict[str, Callable[[bytes], bytes | None]] | None = None,
            add: dict[str, bytes] | None = None) -> None:
    """Copy a package entry by entry; ``edit[name](data)`` replaces a part (None drops it)."""
    edit = edit or {}
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename in edit:
                data = edit[item.filename](data)
                if data is None:
                    continue
            zout.writestr(item, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    Path(dst).write_bytes(buf.getvalue())


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def first_worksheet(blobs: dict[str, bytes]) -> tuple[str, str] | None:
    """(title, part) of the first worksheet, or None for a workbook of chart sheets only."""
    index = part_index(blobs)

    def get(p: str) -> str | None:
        n = index.get(p.lower())
        return None if n is None else blobs[n].decode("utf-8")

    _, sheets = locate(get, "test", lambda p: p.lower() in index)
    if not sheets:
        return None
    title, part = next(iter(sheets.items()))
    return title, index[part.lower()]


def used_columns(sheet: SheetXML) -> int:
    last = 0
    for r in list(sheet.rows):
        cells = sheet._cells(r) or {}
        if cells:
            last = max(last, max(cells))
    return last


#: The customer block injected next to a sheet's content: 12 customers, spend and visits.
BLOCK = [[float((i * 37) % 90 + 10), float(i % 5 + 1)] for i in range(12)]


def inject_segment(xml: str, formula_tail: str = "") -> tuple[str, dict[str, tuple[int, int]]]:
    """The sheet XML with a customer block and ``=KMEANS_SEGMENT(block, 2)`` added to the right
    of everything already there, plus a dependent ``=SUM`` over the spill.

    Returns the new XML and where things went: "data" (top-left of the block), "anchor",
    "dependent" as (row, column).
    """
    sheet = SheetXML(xml)
    c0 = used_columns(sheet) + 2
    sheet.set(1, c0, value_cell(cell_ref(1, c0), "Spend", None))
    sheet.set(1, c0 + 1, value_cell(cell_ref(1, c0 + 1), "Visits", None))
    for i, (spend, visits) in enumerate(BLOCK, start=2):
        sheet.set(i, c0, value_cell(cell_ref(i, c0), spend, None))
        sheet.set(i, c0 + 1, value_cell(cell_ref(i, c0 + 1), visits, None))
    anchor = c0 + 3
    block = f"{cell_ref(1, c0)}:{cell_ref(len(BLOCK) + 1, c0 + 1)}"
    sheet.set(1, anchor, f'<c r="{cell_ref(1, anchor)}"><f>KMEANS_SEGMENT({block},2{formula_tail})</f></c>')
    dep = anchor + 2
    spill = f"{cell_ref(2, anchor)}:{cell_ref(len(BLOCK) + 1, anchor)}"
    sheet.set(1, dep, f'<c r="{cell_ref(1, dep)}"><f>SUM({spill})</f><v>0</v></c>')
    return sheet.serialize(), {"data": (1, c0), "anchor": (1, anchor), "dependent": (1, dep)}


_F = re.compile(r"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.DOTALL)


def cells(xml: str, shared: list[str] | None = None) -> dict[tuple[int, int], tuple]:
    """Every cell of a worksheet as (formula text, cached value, style)."""
    sheet = SheetXML(xml)
    out = {}
    for r in list(sheet.rows):
        for c, x in (sheet._cells(r) or {}).items():
            m = _F.search(x)
            out[(r, c)] = (m.group(1) if m else None, cached_value(x, shared or []),
                           attrs(x).get("s"))
    return out

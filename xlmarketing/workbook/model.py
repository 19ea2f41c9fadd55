"""The read model: the workbook package read once, as the whole engine sees it.

:func:`read_model` turns a :class:`~.xlsx.Package` into a :class:`WorkbookModel`: sheets in
workbook order, every formula cell (shared formulas expanded on demand, array and dynamic-array
anchors with their ranges), saved values (read lazily from the sheet XML, typed as Excel saves
them, dates as datetimes where the cell's number format is a date), defined names (workbook and
sheet scope), tables and merged cells. It reads the package's own XML only, never openpyxl's
private state, so what is read is exactly what is later written back.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree as SafeET
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from .report import WorkbookError
from .xlsx import NS_MAIN, Package, SheetXML, attrs, cached_value, cell_ref, unescape

REL_TABLE = "/table"
# A formula cell: <c ...> then its <f> (always the cell's first child in CT_Cell).
_FCELL = re.compile(r'<c\b([^>]*?)>\s*<f\b([^>]*?)(?:/>|>([^<]*)</f>)')
_MERGE = re.compile(r'<mergeCell\b[^>]*\bref="([^"]+)"')
_DEFNAME = re.compile(r"<definedName\b([^>]*)>(.*?)</definedName>", re.DOTALL)
_HAS_V = re.compile(r"<v\b[^>]*(?<!/)>")  # <v>…</v> even empty; openpyxl's <v /> is "none"
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")


@dataclass(frozen=True)
class Area:
    """A rectangle of cells on one sheet (1-based, inclusive)."""

    sheet: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.max_row - self.min_row + 1, self.max_col - self.min_col + 1

    @property
    def size(self) -> int:
        rows, cols = self.shape
        return rows * cols

    def overlaps(self, other: Area) -> bool:
        return (self.sheet == other.sheet and self.min_row <= other.max_row
                and other.min_row <= self.max_row and self.min_col <= other.max_col
                and other.min_col <= self.max_col)

    def contains(self, sheet: str, r: int, c: int) -> bool:
        return (sheet == self.sheet and self.min_row <= r <= self.max_row
                and self.min_col <= c <= self.max_col)

    def cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.min_row, self.max_row + 1)
                for c in range(self.min_col, self.max_col + 1)]

    @property
    def a1(self) -> str:
        first = cell_ref(self.min_row, self.min_col)
        if (self.max_row, self.max_col) == (self.min_row, self.min_col):
            return first
        return f"{first}:{cell_ref(self.max_row, self.max_col)}"


@dataclass
class FormulaCell:
    """One formula cell as saved: its text (no "="), kind and, for arrays, the range it covers."""

    sheet: str
    row: int
    col: int
    text: str
    kind: str = "normal"  # normal | array | dataTable
    ref: str | None = None  # array range as saved (anchor only)
    has_value: bool = True
    dynamic: bool = False  # carries the cm attribute (a dynamic-array anchor)

    @property
    def key(self) -> tuple[str, int, int]:
        return self.sheet, self.row, self.col

    @property
    def address(self) -> str:
        from .report import quote_sheet

        return f"{quote_sheet(self.sheet)}!{cell_ref(self.row, self.col)}"


@dataclass
class Table:
    name: str
    display_name: str
    ref: str
    header_rows: int
    totals_rows: int
    columns: list[str]
    sheet: str

    @property
    def area(self) -> Area:
        c1, r1, c2, r2 = range_boundaries(self.ref)
        return Area(self.sheet, r1, c1, r2, c2)


@dataclass
class SheetModel:
    """One worksheet: its XML (edited in place later), formula cells, names, tables, merges."""

    title: str
    part: str
    index: int
    xml: SheetXML
    formulas: dict[tuple[int, int], FormulaCell] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # lower name -> definition
    tables: list[Table] = field(default_factory=list)
    merged: list[Area] = field(default_factory=list)

    @property
    def max_row(self) -> int:
        return max(self.xml.rows, default=1)

    @property
    def max_column(self) -> int:
        m = re.search(r'<dimension ref="([^"]*)"', self.xml.head)
        if m:
            try:
                return max(range_boundaries(m.group(1).split(":")[-1])[2] or 1, 1)
            except ValueError:
                pass
        return 1


class WorkbookModel:
    """The package as the engine reads it; values come from the sheet XML when asked."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.sheets: dict[str, SheetModel] = {}  # lower title -> sheet
        self.names: dict[str, str] = {}  # workbook-scope names, lower name -> definition
        self.tables: dict[str, Table] = {}  # lower name / display name -> table
        self.date_styles: set[str] = set()
        self.calc_pr: str | None = None
        self.date1904 = False  # <workbookPr date1904="1"/>: serial 0 is 1904-01-01

    @property
    def epoch(self) -> dt.datetime:
        return CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900

    # -- lookup ------------------------------------------------------------------------------

    def sheet(self, title: str) -> SheetModel | None:
        return self.sheets.get(title.lower())

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.sheets.values())

    def formula(self, sheet: str, r: int, c: int) -> FormulaCell | None:
        s = self.sheet(sheet)
        return None if s is None else s.formulas.get((r, c))

    def typed(self, x: str) -> Any:
        v = cached_value(x, self.pkg.shared_strings)
        if self.date_styles and type(v) in (int, float):
            style = attrs(x[: x.index(">") + 1]).get("s")
            if style in self.date_styles:
                try:
                    return from_excel(v, self.epoch)
                except (ValueError, OverflowError):
                    return v
        return v


# --------------------------------------------------------------------------- reading


def check_no_dtd(pkg: Package) -> None:
    """Refuse XML parts that declare a DTD or entities (Excel never writes them)."""
    for name, data in pkg.parts.items():
        if name.endswith((".xml", ".rels")) and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):
            raise WorkbookError(f"cannot read {pkg.name}: its XML ({name}) declares entities or "
                                "a DTD, which Excel never writes (a damaged or hostile file); "
                                "refused")


def read_model(pkg: Package) -> WorkbookModel:
    """Read ``pkg`` into a model (one pass over each worksheet's XML)."""
    check_no_dtd(pkg)
    m = WorkbookModel(pkg)
    wbp = pkg.workbook_part()
    wb_text = pkg.text(wbp)
    calc = re.search(r"<calcPr\b[^>]*>", wb_text)
    m.calc_pr = calc.group(0) if calc else None
    pr = re.search(r"<(?:\w+:)?workbookPr\b[^>]*>", wb_text)
    m.date1904 = bool(pr) and attrs(pr.group(0)).get("date1904", "0").lower() in ("1", "true")
    titles = []
    for tag in _SHEET_TAG.finditer(wb_text):
        titles.append(unescape(attrs(tag.group(0)).get("name", "")))
    parts = pkg.sheet_parts()
    for i, title in enumerate(titles):
        part = parts.get(title)
        if part is None:
            continue  # a chart sheet or dialog sheet: no cells
        if part not in pkg.parts:
            raise WorkbookError(f"cannot read {pkg.name}: the sheet {title!r} points to "
                                f"{part}, which is not in the package")
        sx = pkg.sheet(part)
        sm = SheetModel(title, part, i, sx)
        _read_formulas(sm, pkg.text(part))
        sm.merged = [_area(title, ref) for ref in _MERGE.findall(sx.tail)]
        sm.tables = _read_tables(pkg, part, title)
        for t in sm.tables:
            m.tables[t.display_name.lower()] = t
            m.tables.setdefault(t.name.lower(), t)
        m.sheets[title.lower()] = sm
    by_index = {s.index: s for s in m.sheets.values()}
    for dm in _DEFNAME.finditer(wb_text):
        a = attrs("<x" + dm.group(1) + ">")
        name, text = a.get("name", ""), unescape(dm.group(2)).strip()
        if "localSheetId" in a:
            try:
                owner = by_index.get(int(a["localSheetId"]))
            except ValueError:
                owner = None
            if owner is not None:
                owner.names[name.lower()] = text
        else:
            m.names[name.lower()] = text
    m.date_styles = date_styles(pkg)
    return m


def _area(sheet: str, ref: str) -> Area:
    c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    return Area(sheet, r1 or 1, c1 or 1, r2 or 1_048_576, c2 or 16_384)


def _read_formulas(sm: SheetModel, xml: str) -> None:
    """Every formula cell of a sheet; shared formulas are expanded from their master."""
    masters: dict[str, tuple[str, int, int]] = {}
    children: list[tuple[FormulaCell, str]] = []
    for fm in _FCELL.finditer(xml):
        ca, fa = attrs("<c" + fm.group(1) + ">"), attrs("<f" + fm.group(2) + ">")
        ref = ca.get("r")
        if not ref:
            continue
        r, c = _rc(ref)
        text = unescape(fm.group(3) or "")
        t = fa.get("t", "normal")
        # the cell's saved value follows the formula; look at what comes after </f> or />
        end = xml.find("</c>", fm.end())
        rest = xml[fm.end(): end if end >= 0 else fm.end()]
        # Any <v>…</v> counts as saved, even an empty or whitespace one (Excel writes
        # <v xml:space="preserve"> </v> and <v></v> for text results): only a formula with no
        # <v> at all (or openpyxl's empty <v />) has no saved value.
        has_value = _HAS_V.search(rest) is not None or "<is>" in rest
        cell = FormulaCell(sm.title, r, c, text, "normal", None, has_value, "cm" in ca)
        if t == "shared":
            si = fa.get("si", "")
            if text:
                masters[si] = (text, r, c)
            else:
                children.append((cell, si))
        elif t == "array":
            cell.kind, cell.ref = "array", fa.get("ref", ref)
        elif t == "dataTable":
            cell.kind = "dataTable"
        if t != "shared" or text:
            if not text and t != "dataTable":
                continue  # an empty <f/>: nothing to evaluate
            sm.formulas[(r, c)] = cell
    for cell, si in children:
        master = masters.get(si)
        if master is None:
            continue
        text, r0, c0 = master
        try:
            cell.text = Translator("=" + text, origin=cell_ref(r0, c0)).translate_formula(
                cell_ref(cell.row, cell.col))[1:]
        except Exception:  # noqa: BLE001 - an odd master: keep it as saved, reported where used
            cell.text = text
        sm.formulas[(cell.row, cell.col)] = cell


def _rc(ref: str) -> tuple[int, int]:
    c1, r1, _, _ = range_boundaries(ref)
    return r1, c1


def _read_tables(pkg: Package, part: str, sheet: str) -> list[Table]:
    out = []
    for rel in pkg.rels(part):
        if not rel.get("Type", "").endswith(REL_TABLE) or rel.get("TargetMode") == "External":
            continue
        name = pkg.target(part, rel)
        if name not in pkg.parts:
            continue
        try:
            root = SafeET.fromstring(pkg.parts[name])
        except Exception:  # noqa: BLE001 - a damaged table part: its references report #REF!
            continue
        ns = f"{{{NS_MAIN}}}"
        cols = [c.get("name", "") for c in root.iter(ns + "tableColumn")]
        out.append(Table(root.get("name", root.get("displayName", "")),
                         root.get("displayName", root.get("name", "")), root.get("ref", "A1"),
                         int(root.get("headerRowCount", "1")), int(root.get("totalsRowCount", "0")),
                         cols, sheet))
    return out


def date_styles(pkg: Package) -> set[str]:
    """Indices (as in ``s="…"``) of the cell formats whose number format shows a date."""
    name = styles_part(pkg)
    if name is None:
        return set()
    text = pkg.text(name)
    custom = {m.group(1): unescape(m.group(2)) for m in re.finditer(
        r'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', text)}
    xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", text, re.DOTALL)
    out = set()
    if not xfs:
        return out
    for i, xm in enumerate(re.finditer(r"<xf\b[^>]*>", xfs.group(1))):
        fid = attrs(xm.group(0)).get("numFmtId", "0")
        code = custom.get(fid) or BUILTIN_FORMATS.get(int(fid) if fid.isdigit() else -1)
        if code and is_date_format(code):
            out.add(str(i))
    return out


def styles_part(pkg: Package) -> str | None:
    wb = pkg.workbook_part()
    for rel in pkg.rels(wb):
        if rel.get("Type", "").endswith("/styles"):
            name = pkg.target(wb, rel)
            return name if name in pkg.parts else None
    return None


# --------------------------------------------------------------------------- fast block reads

_CELL_ANY = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_CELL_ATTR = re.compile(r'\s(r|s|t)="([^"]*)"')
# The usual shape of a value cell, as Excel and openpyxl write it: r, then s, then t.
_CELL_FAST = re.compile(r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?'
                        r'(?:/>|><v>([^<]*)</v></c>|>(.*?)</c>)', re.DOTALL)
_INT = re.compile(r"-?\d+")
_V_ANY = re.compile(r"<v\b[^>]*>([^<]*)</v>")
_T_TEXT = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.DOTALL)
_COLS: dict[str, int] = {}


def _col_index(letters: str) -> int:
    got = _COLS.get(letters)
    if got is None:
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        _COLS[letters] = got = n
    return got


def _unescape(x: str) -> str:
    return x if "&" not in x and "_x" not in x else unescape(x)


def _slow_cell(model: WorkbookModel, text: str, col: int) -> Any:
    for m in _CELL_ANY.finditer(text):
        ref = dict(_CELL_ATTR.findall(m.group(1))).get("r", "")
        if ref and _col_index(ref.rstrip("0123456789").upper()) == col:
            return model.typed(m.group(0))
    return None


def row_values(model: WorkbookModel, sm: SheetModel, r: int, c1: int, c2: int) -> dict[int, Any]:
    """Saved values of row ``r`` between columns c1 and c2 (typed as :meth:`WorkbookModel.typed`).

    One regex pass over the row's XML instead of one parse per cell: the cost of reading a
    100,000-row input range.
    """
    row = sm.xml.rows.get(r)
    if row is None:
        return {}
    out: dict[int, Any] = {}
    if row[2] is not None:  # already split into cells (edited): use them
        for c, x in row[2].items():
            if c1 <= c <= c2:
                out[c] = model.typed(x)
        return out
    shared = model.pkg.shared_strings
    dates = model.date_styles
    text = row[1]
    fast = _CELL_FAST.findall(text)
    if len(fast) == text.count("<c "):  # every cell in the usual r, s, t order
        for letters, style, t, v, other in fast:
            col = _col_index(letters)
            if col < c1 or col > c2:
                continue
            if t == "inlineStr":
                out[col] = "".join(_unescape(x) for x in _T_TEXT.findall(other)) or None
            elif other:
                out[col] = _slow_cell(model, text, col)
            elif v or t not in ("", "n"):
                out[col] = _decode(t or "n", v, style, dates, shared, model.epoch)
        return out
    col = 0
    for m in _CELL_ANY.finditer(text):
        a = dict(_CELL_ATTR.findall(m.group(1)))
        ref = a.get("r")
        if ref:
            i = 0
            while i < len(ref) and ref[i].isalpha():
                i += 1
            col = _col_index(ref[:i].upper())
        else:
            col += 1
        if col < c1 or col > c2:
            continue
        body = m.group(2)
        if not body:
            continue
        t = a.get("t", "n")
        if t == "inlineStr" or "<v" not in body:
            out[col] = model.typed(m.group(0)) if t == "inlineStr" else None
            continue
        vm = _V_ANY.search(body)
        v = vm.group(1) if vm else ""
        out[col] = _decode(t, v, a.get("s"), dates, shared, model.epoch)
    return out


def _decode(t: str, v: str, style: str | None, dates: Any, shared: list[str],
            epoch: dt.datetime = CALENDAR_WINDOWS_1900) -> Any:
    """A saved cell value from its type attribute ``t`` and ``<v>`` text: numbers (dates where
    the style is a date format), shared strings, booleans, else the text itself."""
    if t == "n":
        try:
            num: Any = int(v) if _INT.fullmatch(v) else float(v)
        except ValueError:
            return v
        if dates and style in dates:
            try:
                return from_excel(num, epoch)
            except (ValueError, OverflowError):
                pass
        return num
    if t == "s":
        try:
            return shared[int(v)]
        except (ValueError, IndexError):
            return None
    if t == "b":
        return v.strip() in ("1", "true")
    return _unescape(v) if v else None

"""Building blocks shared by the template builders: styles, tables, spill blocks, charts, saving.

Every builder lays out its sheets through a :class:`Sheet`, which remembers each block it puts
down (tables, spill areas reserved for our dynamic-array formulas, ordinary formula blocks) and
refuses overlaps, so a spill never collides with anything when the workbook is refreshed.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.chart.series import DataPoint
from openpyxl import Workbook
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..functions.spec import quoted  # noqa: F401  (templates write text literals with it)

#: Fixed document timestamps (and zip entry times) so two builds are byte-identical.
BUILD_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)

# Colours: one palette for the whole product.
NAVY = "1F3864"
BLUE = "2F5597"
LIGHT = "DDEBF7"
GREY = "808080"
SEGMENT_COLOURS = ("2F5597", "ED7D31", "70AD47", "7030A0", "FFC000", "43B0C1")
RED = "C00000"

TITLE = Font(name="Calibri", size=16, bold=True, color=NAVY)
SUBTITLE = Font(name="Calibri", size=11, italic=True, color=GREY)
SECTION = Font(name="Calibri", size=12, bold=True, color=BLUE)
HEADER = Font(name="Calibri", size=11, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=BLUE)
SPILL_HEADER_FILL = PatternFill("solid", fgColor=NAVY)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
KPI_FONT = Font(name="Calibri", size=13, bold=True, color=NAVY)
NOTE = Font(name="Calibri", size=9, italic=True, color=GREY)
BOLD = Font(name="Calibri", bold=True)
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")

# Number formats.
MONEY = '#,##0.00'
MONEY0 = '#,##0'
INT = '#,##0'
PCT = '0.0%'
PROB = '0%'
DEC2 = '0.00'
DEC3 = '0.000'
DATE = 'yyyy-mm-dd'
MONTH = 'mmm yyyy'


def call(name: str, **args: Any) -> str:
    """One of our formulas, ``=NAME(...)``, from named arguments (see ``FunctionSpec.formula``):
    argument positions come from the function's specification, never from counting commas."""
    from ..functions import REGISTRY

    return "=" + REGISTRY[name].spec.formula(**args)


def new_workbook(title: str) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    p = wb.properties
    p.creator = "xlmarketing"
    p.lastModifiedBy = "xlmarketing"
    p.title = title
    p.created = BUILD_TIME
    p.modified = BUILD_TIME
    return wb


def save(wb: Workbook, path: Path) -> Path:
    """Write ``wb`` to ``path`` deterministically: fixed document times and zip entry times."""
    wb.properties.created = BUILD_TIME
    wb.properties.modified = BUILD_TIME
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, src.read(info.filename))
    path.write_bytes(out.getvalue())
    return path


# --------------------------------------------------------------------------- layout


def ref(col: int, row: int, col2: int | None = None, row2: int | None = None, *,
        absolute: bool = False) -> str:
    d = "$" if absolute else ""
    a = f"{d}{get_column_letter(col)}{d}{row}"
    if col2 is None:
        return a
    return f"{a}:{d}{get_column_letter(col2)}{d}{row2}"


@dataclass
class Block:
    kind: str          # "table", "spill", "formulas", "text"
    bounds: tuple[int, int, int, int]   # min_col, min_row, max_col, max_row
    label: str = ""

    @property
    def ref(self) -> str:
        c1, r1, c2, r2 = self.bounds
        return ref(c1, r1, c2, r2)


@dataclass
class Spill:
    """A reserved spill area: the anchor holds one of our formulas."""

    sheet: str
    anchor: str
    formula: str
    rows: int
    cols: int
    col: int
    row: int

    def column(self, j: int, *, header: bool = True, absolute: bool = True, sheet: bool = True) -> str:
        """The data cells (below the header label row) of the spill's j-th column (0-based)."""
        r1 = self.row + (1 if header else 0)
        r = ref(self.col + j, r1, self.col + j, self.row + self.rows - 1, absolute=absolute)
        return f"{self.sheet}!{r}" if sheet else r

    def cell(self, i: int, j: int, *, absolute: bool = True, sheet: bool = True) -> str:
        r = ref(self.col + j, self.row + i, absolute=absolute)
        return f"{self.sheet}!{r}" if sheet else r


@dataclass
class Sheet:
    ws: Worksheet
    blocks: list[Block] = field(default_factory=list)
    spills: list[Spill] = field(default_factory=list)
    #: column -> the width its table header needs (headers print whole, never cut)
    min_widths: dict[int, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.ws.title

    def reserve(self, kind: str, col: int, row: int, col2: int, row2: int, label: str = "") -> Block:
        new = Block(kind, (col, row, col2, row2), label)
        for b in self.blocks:
            c1, r1, c2, r2 = b.bounds
            if not (col2 < c1 or col > c2 or row2 < r1 or row > r2):
                raise ValueError(f"{self.name}: {kind} {new.ref} ({label}) overlaps {b.kind} "
                                 f"{b.ref} ({b.label})")
        self.blocks.append(new)
        return new

    # ------------------------------------------------------------------ writing

    def title(self, text: str, subtitle: str = "") -> None:
        self.ws["A1"] = text
        self.ws["A1"].font = TITLE
        self.ws.row_dimensions[1].height = 24
        if subtitle:
            self.ws["A2"] = subtitle
            self.ws["A2"].font = SUBTITLE
        self.reserve("text", 1, 1, 1, 2 if subtitle else 1, "title")

    def section(self, col: int, row: int, text: str, note: str = "") -> None:
        c = self.ws.cell(row=row, column=col, value=text)
        c.font = SECTION
        if note:
            n = self.ws.cell(row=row + 1, column=col, value=note)
            n.font = NOTE
        self.reserve("text", col, row, col, row + (1 if note else 0), text)

    def header_row(self, col: int, row: int, labels: list[str], *, fill: PatternFill = HEADER_FILL) -> None:
        for j, label in enumerate(labels):
            c = self.ws.cell(row=row, column=col + j, value=label)
            c.font = HEADER
            c.fill = fill
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def table(self, frame: pd.DataFrame, name: str, *, col: int = 1, row: int = 1,
              formats: dict[str, str] | None = None, style: str = "TableStyleMedium2") -> Block:
        """``frame`` as an Excel table (header row + data) at (col, row)."""
        formats = formats or {}
        ws = self.ws
        n, m = frame.shape
        block = self.reserve("table", col, row, col + m - 1, row + n, name)
        for j, c in enumerate(frame.columns):
            ws.cell(row=row, column=col + j, value=str(c))
            # room for the header and the table's filter button
            self.min_widths[col + j] = max(self.min_widths.get(col + j, 0), header_width(str(c)))
            self.width(col + j, self.min_widths[col + j])
        values = frame.astype(object).to_numpy().tolist()
        for i, rv in enumerate(values):
            for j, v in enumerate(rv):
                cell = ws.cell(row=row + 1 + i, column=col + j, value=_plain(v))
                fmt = formats.get(frame.columns[j])
                if fmt:
                    cell.number_format = fmt
        table = Table(displayName=name, ref=block.ref)
        table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
        ws.add_table(table)
        return block

    def spill(self, col: int, row: int, formula: str, rows: int, cols: int, *, label: str = "",
              formats: list[str | None] | None = None, header: bool = True,
              widths: list[float] | None = None) -> Spill:
        """Put one of our formulas at (col, row) and keep rows × cols free for its spill."""
        self.reserve("spill", col, row, col + cols - 1, row + rows - 1, label or formula)
        ws = self.ws
        ws.cell(row=row, column=col, value=formula)
        if header:
            ws.row_dimensions[row].height = 30
            for j in range(cols):
                c = ws.cell(row=row, column=col + j)
                c.font = HEADER
                c.fill = SPILL_HEADER_FILL
                c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for j, fmt in enumerate(formats or []):
            if not fmt:
                continue
            for i in range(1 if header else 0, rows):
                ws.cell(row=row + i, column=col + j).number_format = fmt
        for j, w in enumerate(widths or []):
            self.width(col + j, w)
        s = Spill(self.name, ref(col, row), formula, rows, cols, col, row)
        self.spills.append(s)
        return s

    def formulas(self, col: int, row: int, header: list[str], rows: list[list[Any]], *,
                 formats: list[str | None] | None = None, label: str = "") -> Block:
        """An ordinary block: a header row and rows of values or Excel formulas."""
        block = self.reserve("formulas", col, row, col + len(header) - 1, row + len(rows), label)
        self.header_row(col, row, header)
        if any(len(h) > 12 for h in header):
            self.ws.row_dimensions[row].height = 30
        for i, rv in enumerate(rows):
            for j, v in enumerate(rv):
                c = self.ws.cell(row=row + 1 + i, column=col + j, value=v)
                c.border = BOX
                if formats and j < len(formats) and formats[j]:
                    c.number_format = formats[j]
        return block

    def kpis(self, col: int, row: int, items: list[tuple[str, Any, str]], *, label: str = "",
             span: int = 1) -> Block:
        """Label / value pairs, one per row, with the value in large type; the label spans
        ``span`` columns and the value sits in the column after it."""
        block = self.reserve("formulas", col, row, col + span, row + len(items) - 1, label or "kpis")
        for i, (name, value, fmt) in enumerate(items):
            a = self.ws.cell(row=row + i, column=col, value=name)
            a.alignment = Alignment(vertical="center", wrap_text=True)
            if span > 1:
                self.ws.merge_cells(start_row=row + i, start_column=col, end_row=row + i,
                                    end_column=col + span - 1)
            b = self.ws.cell(row=row + i, column=col + span, value=value)
            b.font = KPI_FONT
            b.number_format = fmt
            # A figure that needs more data is a sentence: shrink it into the cell, not past it.
            b.alignment = Alignment(horizontal="right", vertical="center", shrink_to_fit=True)
        return block

    def width(self, col: int, width: float) -> None:
        self.ws.column_dimensions[get_column_letter(col)].width = max(
            width, self.min_widths.get(col, 0))

    def widths(self, widths: dict[str, float]) -> None:
        for letter, w in widths.items():
            self.width(column_index_from_string(letter), w)

    def chart(self, chart: Any, anchor: str) -> None:
        self.ws.add_chart(chart, anchor)


def header_width(text: str) -> float:
    """A column width that shows ``text`` in bold 11-point Calibri with a filter button."""
    return round(len(text) * 1.05 + 3, 1)


def _plain(v: Any) -> Any:
    # a blank (None, NaN, pandas' NA or NaT) is an empty cell: openpyxl would write NaN as a
    # number cell with an empty value, and pandas 3 turns a text column's None into NaN
    if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):
        return v.item()
    return v


def add_sheet(wb: Workbook, title: str, *, tab: str | None = None, one_page: bool = True) -> Sheet:
    """A new sheet, printed landscape and one page wide (and one page tall if ``one_page``)."""
    ws = wb.create_sheet(title)
    ws.sheet_view.showGridLines = False
    if tab:
        ws.sheet_properties.tabColor = tab
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    return Sheet(ws)


# --------------------------------------------------------------------------- settings


#: The About sheet's rows: the settings block starts here (after "What it answers").
SETTINGS_ROW = 7


@dataclass(frozen=True)
class Setting:
    key: str
    label: str      # what the analyst reads, e.g. "Segments (k)"
    value: Any      # the default: a number, text ("auto"), None (blank) or a formula
    note: str       # what it does, its range and what blank means
    fmt: str | None = None


class Settings:
    """The workbook's knobs (k, horizon, thresholds, top-n...) as labelled input cells on the
    About sheet, which our formulas and the summaries reference instead of literals.

    The block's place is fixed (column C from row ``SETTINGS_ROW + 1``), so a builder knows
    each cell's address before it writes the formulas: ``settings["k"]`` -> ``About!$C$8``.
    """

    def __init__(self, items: list[Setting]):
        self.items = list(items)
        self._row = {s.key: SETTINGS_ROW + 1 + i for i, s in enumerate(self.items)}

    def __getitem__(self, key: str) -> str:
        return f"About!$C${self._row[key]}"

    def value(self, key: str) -> Any:
        return next(s.value for s in self.items if s.key == key)

    @property
    def last_row(self) -> int:
        return SETTINGS_ROW + len(self.items)

    def write(self, ws: Worksheet) -> None:
        ws.cell(row=SETTINGS_ROW, column=2,
                value="Settings: change a yellow cell, then refresh").font = SECTION
        for s in self.items:
            r = self._row[s.key]
            ws.cell(row=r, column=2, value=s.label).font = BOLD
            c = ws.cell(row=r, column=3, value=s.value)
            c.fill = INPUT_FILL
            c.border = BOX
            c.alignment = Alignment(horizontal="left", vertical="top")
            if s.fmt:
                c.number_format = s.fmt
            n = ws.cell(row=r, column=4, value=s.note)
            n.font = NOTE
            n.alignment = WRAP
            ws.row_dimensions[r].height = 15 * (1 + len(s.note) // 80)


# --------------------------------------------------------------------------- about sheet


#: Which program shows what in a refreshed template (the About sheets and `demo` say so).
READERS: list[tuple[str, str]] = [
    ("Excel with the add-in",
     "Everything, live: our formulas recalculate as you edit, and so does everything on top."),
    ("Excel without the add-in",
     "Every value as the last refresh left it (it does not recalculate on open); editing a "
     "cell that our formulas read turns their results into #NAME?."),
    ("LibreOffice",
     "The summaries, KPIs, texts and charts, with the values the refresh computed. Our own "
     "result ranges (the spilled columns and tables) show #NAME?: LibreOffice recalculates "
     "array formulas on load and does not know our functions. Refresh with --values-only for "
     "a static copy in which they show too."),
    ("pandas, calamine, viewers",
     "Every cell's value as the refresh wrote it (they read cached values, formulas are not "
     "recalculated)."),
]


def about_sheet(wb: Workbook, title: str, answers: str, steps: list[str],
                formulas: list[tuple[str, str, str]], sheets: list[tuple[str, str]],
                notes: list[str] = (), readers: list[tuple[str, str]] = READERS,
                settings: Settings | None = None) -> Sheet:
    """The first sheet: what the workbook answers, its settings (input cells the formulas
    read), how to use it, the formulas it uses, which program shows what, and notes."""
    s = add_sheet(wb, "About", tab=NAVY)
    ws = s.ws
    s.widths({"A": 3, "B": 34, "C": 62, "D": 56})
    ws["B1"] = title
    ws["B1"].font = TITLE
    ws.row_dimensions[1].height = 26
    ws["B2"] = "An xlmarketing template: marketing machine learning as spreadsheet functions."
    ws["B2"].font = SUBTITLE
    r = 4
    ws.cell(row=r, column=2, value="What it answers").font = SECTION
    c = ws.cell(row=r + 1, column=2, value=answers)
    c.alignment = WRAP
    ws.merge_cells(start_row=r + 1, start_column=2, end_row=r + 1, end_column=4)
    ws.row_dimensions[r + 1].height = 15 * (1 + len(answers) // 140)
    r += 3
    if settings is not None and settings.items:
        settings.write(ws)
        r = settings.last_row + 2
    ws.cell(row=r, column=2, value="How to use it").font = SECTION
    for i, step in enumerate(steps, 1):
        ws.cell(row=r + i, column=2, value=f"{i}.").alignment = Alignment(horizontal="right", vertical="top")
        c = ws.cell(row=r + i, column=3, value=step)
        c.alignment = WRAP
        ws.merge_cells(start_row=r + i, start_column=3, end_row=r + i, end_column=4)
        ws.row_dimensions[r + i].height = 15 * (1 + len(step) // 105)
    r += len(steps) + 2
    ws.cell(row=r, column=2, value="Sheets").font = SECTION
    for i, (name, what) in enumerate(sheets, 1):
        ws.cell(row=r + i, column=2, value=name).font = BOLD
        c = ws.cell(row=r + i, column=3, value=what)
        c.alignment = WRAP
        ws.merge_cells(start_row=r + i, start_column=3, end_row=r + i, end_column=4)
    r += len(sheets) + 2
    ws.cell(row=r, column=2, value="Formulas used").font = SECTION
    s.header_row(2, r + 1, ["Formula", "What it returns", "Where"])
    for i, (formula, what, where) in enumerate(formulas, 2):
        # Shown without the "=": text starting with "=" would be read back as a formula.
        a = ws.cell(row=r + i, column=2, value=formula.lstrip("="))
        a.font = Font(name="Consolas", size=10, bold=True, color=BLUE)
        a.alignment = WRAP
        b = ws.cell(row=r + i, column=3, value=what)
        b.alignment = WRAP
        d = ws.cell(row=r + i, column=4, value=where)
        d.alignment = WRAP
        for cell in (a, b, d):
            cell.border = BOX
        ws.row_dimensions[r + i].height = 15 * (1 + max(len(what) // 60, len(where) // 54))
    r += len(formulas) + 3
    if readers:
        ws.cell(row=r, column=2, value="Which program shows what (after a refresh)").font = SECTION
        for i, (reader, what) in enumerate(readers, 1):
            ws.cell(row=r + i, column=2, value=reader).font = BOLD
            c = ws.cell(row=r + i, column=3, value=what)
            c.alignment = WRAP
            ws.merge_cells(start_row=r + i, start_column=3, end_row=r + i, end_column=4)
            ws.row_dimensions[r + i].height = 15 * (1 + len(what) // 105)
        r += len(readers) + 2
    if notes:
        ws.cell(row=r, column=2, value="Notes").font = SECTION
        for i, note in enumerate(notes, 1):
            c = ws.cell(row=r + i, column=2, value=note)
            c.alignment = WRAP
            ws.merge_cells(start_row=r + i, start_column=2, end_row=r + i, end_column=4)
            ws.row_dimensions[r + i].height = 15 * (1 + len(note) // 150)
    return s


# --------------------------------------------------------------------------- charts


def axis_title_font(chart: Any, size: int = 900) -> None:
    """Readable axis labels (openpyxl's defaults are large)."""
    for axis in (chart.x_axis, chart.y_axis):
        axis.txPr = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=size)),
                                          endParaRPr=CharacterProperties(sz=size))])


def _title(text: str, size: int, bold: bool = True) -> Title:
    cp = CharacterProperties(sz=size, b=bold, solidFill="404040")
    para = Paragraph(pPr=ParagraphProperties(defRPr=cp), r=[RegularTextRun(rPr=cp, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def titles(chart: Any, title: str, x: str | None = None, y: str | None = None) -> None:
    """Chart and axis titles in a readable size (openpyxl's defaults are very large)."""
    chart.title = _title(title, 1200)
    if x:
        chart.x_axis.title = _title(x, 900, bold=False)
    if y:
        chart.y_axis.title = _title(y, 900, bold=False)
    axis_title_font(chart)
    show_axes(chart)


def colour_points(series: Any, colours: dict[int, str]) -> None:
    """Give single bars of a series their own fill (point index -> colour)."""
    for idx, colour in colours.items():
        pt = DataPoint(idx=idx)
        pt.graphicalProperties = solid(colour)
        series.dPt.append(pt)


def value_labels(series: Any) -> None:
    """Show each point's value (and nothing else) on the chart."""
    series.dLbls = DataLabelList()
    series.dLbls.showVal = True
    for attr in ("showCatName", "showSerName", "showLegendKey", "showPercent", "showBubbleSize"):
        setattr(series.dLbls, attr, False)


def show_axes(chart: Any) -> None:
    """openpyxl 3.1 marks axes as deleted unless told otherwise."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def solid(colour: str, *, line: bool = False, width: int = 19050) -> GraphicalProperties:
    gp = GraphicalProperties(solidFill=colour)
    gp.line = LineProperties(solidFill=colour, w=width) if line else LineProperties(solidFill=colour)
    return gp


# --------------------------------------------------------------------------- formulas that follow the data
#
# Every summary reads its data through these, never through fixed addresses, so it follows the
# table when rows are pasted in Excel or replaced by `xlmarketing batch`. They are the forms that
# Excel and LibreOffice 7.4 both compute (structured references and INDEX ranges; LibreOffice
# knows no spill references such as A1# or ANCHORARRAY).


def tcol(table: str, column: str) -> str:
    """A table column's data cells: ``Customers[Annual spend]``."""
    escaped = "".join("'" + ch if ch in "[]#'" else ch for ch in column)
    return f"{table}[{escaped}]"


def nrows(table: str, column: str) -> str:
    """The number of data rows of a table (any of its columns)."""
    return f"ROWS({tcol(table, column)})"


def beside(sheet: str, col: int, table: str, column: str, *, first_row: int = 2) -> str:
    """The cells of column ``col`` on ``sheet`` next to a table's data rows (such as one of our
    spilled columns beside it): ``Customers!$H$2:INDEX(Customers!$H:$H, ROWS(...)+1)``."""
    letter = get_column_letter(col)
    whole = f"{sheet}!${letter}:${letter}"
    return (f"{sheet}!${letter}${first_row}:INDEX({whole}, "
            f"{nrows(table, column)}+{first_row - 1})")


def last_rows(table: str, column: str, k: int) -> str:
    """The last ``k`` data cells of a table column (only valid when it has at least k rows)."""
    c, n = tcol(table, column), nrows(table, column)
    return f"INDEX({c}, {n}-{k - 1}):INDEX({c}, {n})"


def count_text(table: str, column: str, noun: str) -> str:
    """A formula fragment: "36 months" / "1,000 customers" from a table's row count."""
    return f'FIXED({nrows(table, column)}, 0)&" {noun}"'


def col_range(sheet: str, col: int, row1: int, row2: int) -> str:
    return f"{sheet}!{ref(col, row1, col, row2, absolute=True)}"


def bounds(a1: str) -> tuple[int, int, int, int]:
    return range_boundaries(a1)

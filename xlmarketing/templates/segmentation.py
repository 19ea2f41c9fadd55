"""customer_segmentation.xlsx: who are my customers? k-means segments, profiles and the choice of k."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from .. import samples
from ..workbook.tables import DataTables
from . import _kit as K
from . import segmentation_value
from .segmentation_rfm import HORIZON_SETTING, add_rfm_sheets

FILE = "customer_segmentation.xlsx"
#: The data tables `xlmarketing batch` fills: Orders (the RFM sheet) may be left out.
DATA_TABLES = DataTables(main="Customers", optional=("Orders",))
#: The default k (the Settings cell on About): "auto" takes SEGMENT_K's recommended k.
K_SEGMENTS = "auto"
#: Room on the sheets for this many segments ("auto" picks 2 to 10; a typed k up to 10).
MAX_SEGMENTS = 10
#: One colour per segment (the product palette, then four more).
COLOURS = K.SEGMENT_COLOURS + ("A5A5A5", "264478", "9E480E", "636363")
N_CUSTOMERS = 500
FEATURES = ["Channel", "Annual spend", "Orders", "Days since last order"]
# Where the demo reads results back.
RESULTS, PROFILE_AT, SEGMENTS_AT = "Segments", "A6", "H1"
COUNTS_ROW = 20         # header row of the per-segment COUNTIF/SUMIF table on Segments
CHOOSE_K_ROW = 35       # anchor of SEGMENT_K on Segments
#: The settings (input cells on About) our formulas read.
SETTINGS = K.Settings([
    K.Setting("k", "Segments (k)", K_SEGMENTS,
              'A whole number from 2 to 10, or "auto": the k that SEGMENT_K marks "recommended" '
              "(segments that reproduce on another half of the rows, the best separated)."),
    HORIZON_SETTING,
    *segmentation_value.SETTINGS,
])
#: Where the number of segments found lands (ChartData; the summaries read it).
SEGMENT_COUNT_AT = "ChartData!$G$2"
SCATTER_POINTS = 500    # customers drawn in the scatter (spread evenly when there are more)
MAX_ROWS = 1_048_576


def build() -> Workbook:
    data = samples.customers(N_CUSTOMERS)
    last = len(data) + 1
    # A table reference follows the table when rows are pasted in Excel or replaced by `batch`.
    data_ref = "Customers[[#All],[Channel]:[Days since last order]]"
    k = SETTINGS["k"]
    n_seg = SEGMENT_COUNT_AT
    f_seg = K.call("KMEANS_SEGMENT", data=data_ref, k=k)
    f_prof = K.call("SEGMENT_PROFILE", data=data_ref, k=k)
    f_k = K.call("SEGMENT_K", data=data_ref)
    wb = K.new_workbook("Customer segmentation")

    K.about_sheet(
        wb, "Customer segmentation",
        "Which groups of customers behave alike? k-means splits the customer base into "
        "segments on channel, annual spend, number of orders and days since the last order "
        "(as many as the data supports, or the number set below), describes each segment in "
        "the data's own units, and shows how many segments the data supports.",
        [
            ("Replace the rows of the table on the Customers sheet with your own customers (keep "
            "the header row). Columns C to F go into the model: text columns such as Channel "
            "are one-hot encoded, numbers are standardised (scale \"auto\" does so beside a text "
            "column or when spreads differ), blanks are filled with the median."),
            ("Everything follows the Customers table: the xlmarketing formulas read it by name, "
            "and the subtitle, the per-segment counts and revenue and the charts are ordinary "
            "formulas over the table (structured references such as Customers[Annual spend] "
            "and INDEX ranges as long as the table), so paste any number of rows. The scatter "
            f"draws up to {SCATTER_POINTS} customers, spread evenly over the table."),
            ("Refresh: in Excel with the xlmarketing add-in, the formulas recalculate as you type; "
            "headless, run  xlmarketing refresh customer_segmentation.xlsx -o result.xlsx  "
            "and open the result in any spreadsheet program."),
            ("Segments (k) above is \"auto\": the k that the SEGMENT_K table on the Segments sheet "
            "marks \"recommended\". Type a number instead to try another number of segments "
            f"(the sheets have room for {MAX_SEGMENTS})."),
        ],
        [
            (f_seg, "One segment number per customer (1 = largest segment), aligned with the rows.",
             "Customers!H1"),
            (f_prof, "One row per segment: size, share, mean of every number column, most common "
             "channel.", "Segments!A6"),
            (f_k, "Prediction strength, Calinski-Harabasz, silhouette and inertia for k = 2..10, "
             "with the recommended k marked.", f"Segments!A{CHOOSE_K_ROW}"),
            ("=COUNTIF / SUMIF",
             "Ordinary Excel formulas on top: customers and revenue per segment.",
             f"Segments!A{COUNTS_ROW}"),
        ],
        [
            ("Customers", ("The data: one row per customer (an Excel table), with the segment "
                          "of each customer spilled next to it in column H.")),
            ("Segments", ("Segment profiles, customers and revenue per segment, the choice of k, "
                         "and the charts.")),
            ("ChartData", "Hidden helper columns for the coloured scatter chart (one column per "
                          "segment)."),
        ],
        [("Sample data: a generated customer base (xlmarketing.samples.customers) with four "
         "personas – loyal big spenders, regulars, online bargain hunters and lapsed customers."),
         ("The models run in Python (scikit-learn) through the xlmarketing functions; the same "
         "inputs always give the same segments (fixed seed, row order does not matter).")],
        settings=SETTINGS,
    )

    # Customers: the data table and the segment of each customer.
    cs = K.add_sheet(wb, "Customers", tab=K.BLUE, one_page=False)
    cs.ws.sheet_view.showGridLines = True
    cs.table(data, "Customers", formats={"Annual spend": K.MONEY, "Orders": K.INT,
                                         "Days since last order": K.INT})
    # Wide enough for every header ("Days since last order") on screen and in print.
    cs.widths({"A": 13, "B": 10, "C": 10, "D": 14, "E": 9, "F": 22, "G": 3, "H": 11})
    seg = cs.spill(8, 1, f_seg, last, 1, label="segments", formats=[K.INT])
    cs.ws.freeze_panes = "B2"
    assert seg.anchor == SEGMENTS_AT
    # The segment column beside the table, as long as the table: summaries follow the data.
    seg_col = K.beside("Customers", seg.col, "Customers", "Customer ID")
    for s, colour in zip(range(1, MAX_SEGMENTS + 1), COLOURS):
        cs.ws.conditional_formatting.add(
            f"H2:H{MAX_ROWS}", CellIsRule(operator="equal", formula=[str(s)],
                                          font=Font(bold=True, color=colour)))

    # Segments: profile, counts, choice of k, charts.
    ss = K.add_sheet(wb, RESULTS, tab=K.NAVY)
    ss.title("Customer segments",
             f'="k-means, "&IF(ISNUMBER({n_seg}), {n_seg}&" segments", "segments")&'
             f'IF(ISNUMBER({k}), " (k set on About)", " (k chosen by the data)")&'
             f'" on {", ".join(FEATURES).lower()} ("&'
             f'{K.count_text("Customers", "Customer ID", "customers")}&")."')
    ss.section(1, 4, "Segment profiles",
               "SEGMENT_PROFILE: size, share, mean of each number column and the most common channel.")
    prof = ss.spill(1, 6, f_prof, MAX_SEGMENTS + 1, 5 + len(FEATURES), label="profile",
                    formats=[K.INT, K.INT, K.PCT, None, K.MONEY0, "0.0", "0", None, None])
    assert prof.anchor == PROFILE_AT
    for r in range(prof.row + 1, prof.row + prof.rows):  # the channel column: text
        ss.ws.cell(row=r, column=4).alignment = Alignment(horizontal="center")
        for c in (8, 9):  # the texts, set off from the numbers before them
            ss.ws.cell(row=r, column=c).alignment = Alignment(horizontal="left", indent=1)
    top = COUNTS_ROW
    ss.section(1, top - 2, "Customers and revenue per segment",
               "Ordinary Excel formulas (COUNTIF, SUMIF) on the segment column Customers!H, as "
               "long as the Customers table.")
    spend = K.tcol("Customers", "Annual spend")
    tr = top + MAX_SEGMENTS + 1
    rows = []
    for i in range(MAX_SEGMENTS):
        r = top + 1 + i
        # A row per segment found (blank below): the segments follow k.
        rows.append([f'=IF({i + 1}<=N({n_seg}), {i + 1}, "")',
                     f'=IF(ISNUMBER(A{r}), COUNTIF({seg_col}, A{r}), "")',
                     f'=IF(ISNUMBER(A{r}), SUMIF({seg_col}, A{r}, {spend}), "")',
                     f'=IF(ISNUMBER(A{r}), IF(C${tr}>0, C{r}/C${tr}, 0), "")',
                     f'=IF(ISNUMBER(A{r}), IF(B{r}>0, C{r}/B{r}, 0), "")'])
    rows.append(["Total", f"=SUM(B{top + 1}:B{tr - 1})", f"=SUM(C{top + 1}:C{tr - 1})",
                 f"=SUM(D{top + 1}:D{tr - 1})", f"=IF(B{tr}>0, C{tr}/B{tr}, 0)"])
    ss.formulas(1, top, ["Segment", "Customers", "Revenue", "Share of revenue", "Revenue per customer"],
                rows, formats=[K.INT, K.INT, K.MONEY0, K.PCT, K.MONEY0], label="counts")
    for j in range(5):
        ss.ws.cell(row=tr, column=1 + j).font = K.BOLD
    ss.section(1, CHOOSE_K_ROW - 2, "How many segments?",
               "SEGMENT_K: prediction strength and Calinski-Harabasz (what k=\"auto\" uses), "
               "silhouette and inertia for k = 2..10.")
    ks = ss.spill(1, CHOOSE_K_ROW, f_k, 10, 6, label="choose k",
                  formats=[K.INT, K.DEC3, "#,##0.0", K.DEC3, "#,##0.0", None])
    ss.ws.conditional_formatting.add(
        f"A{ks.row + 1}:F{ks.row + ks.rows - 1}", CellIsRule(operator="equal", formula=['"recommended"'],
                               fill=PatternFill("solid", fgColor="E2EFDA"), font=Font(bold=True)))
    # The profile's Description and Scaling (H, I) wide enough to read; the charts start at K,
    # right of every column (no column under a chart).
    ss.widths({"A": 11, "B": 12, "C": 12, "D": 17, "E": 20, "F": 14, "G": 16, "H": 52, "I": 38,
               "J": 3})

    # ChartData (hidden): up to SCATTER_POINTS customers spread evenly over the table (every
    # one when there are fewer), one y column per segment (#N/A elsewhere, which charts skip).
    cd = K.add_sheet(wb, "ChartData", tab=K.GREY, one_page=False)
    cd.ws.sheet_state = "hidden"
    cd.ws.sheet_view.showGridLines = True
    cd.ws["A1"] = (f"Helper columns for the segment scatter: up to {SCATTER_POINTS} customers spread "
                   "evenly over the Customers table; annual spend where the customer is in the "
                   "segment, #N/A elsewhere.")
    cd.ws["A1"].font = K.NOTE
    n_cust = K.nrows("Customers", "Customer ID")
    cd.ws["A2"] = "Customers in the table"
    cd.ws["C2"] = f"={n_cust}"
    cd.ws["D2"] = "Step"
    cd.ws["E2"] = f"=MAX(1, C2/{SCATTER_POINTS})"
    cd.ws["F2"] = "Segments"
    cd.ws["G2"] = f"=MAX({seg_col})"
    cd.reserve("formulas", 1, 1, 7, 2, "counts")
    days, spend_col = K.tcol("Customers", "Days since last order"), spend
    seg_whole = "Customers!$H:$H"
    # A series per possible segment, named only when the segment exists. The customer's
    # segment and spend are looked up once per row (the last two columns), and each segment's
    # column only compares: short formulas, few reads of the whole table.
    seg_at, spend_at = 3 + MAX_SEGMENTS, 4 + MAX_SEGMENTS
    sl, pl = get_column_letter(seg_at), get_column_letter(spend_at)
    header = ["Row in data", "Days since last order"] + [
        # a blank name (a space): LibreOffice names an empty one "Column G" in the legend
        f'=IF({s}<=N($G$2), "Segment {s}", " ")' for s in range(1, MAX_SEGMENTS + 1)] + [
        "Segment", "Annual spend"]
    rows = []
    for i in range(SCATTER_POINTS):
        r = i + 4
        rows.append([f"=IF({i + 1}<=MIN($C$2, {SCATTER_POINTS}), ROUND({i}*$E$2, 0)+1, NA())",
                     f"=IF(ISNUMBER($A{r}), INDEX({days}, $A{r}), NA())"]
                    + [f"=IF(${sl}{r}={s}, ${pl}{r}, NA())" for s in range(1, MAX_SEGMENTS + 1)]
                    + [f"=IF(ISNUMBER($A{r}), INDEX({seg_whole}, $A{r}+1), NA())",
                       f"=IF(ISNUMBER($A{r}), INDEX({spend_col}, $A{r}), NA())"])
    cd.formulas(1, 3, header, rows, formats=[K.INT, K.INT] + [K.MONEY0] * MAX_SEGMENTS
                + [K.INT, K.MONEY0], label="scatter helper")
    cd.widths({"A": 12, "B": 20, "C": 12, "D": 12, "E": 12, "F": 12})
    cd.ws.freeze_panes = "A4"

    # Scatter: days since last order vs annual spend, one series per segment.
    sc = ScatterChart()
    sc.style = 13
    sc.y_axis.number_format = "#,##0"
    sc.x_axis.number_format = "0"
    sc.height, sc.width = 9.5, 17.5
    last_pt = SCATTER_POINTS + 3
    xref = Reference(cd.ws, min_col=2, min_row=4, max_row=last_pt)
    for s in range(MAX_SEGMENTS):
        yref = Reference(cd.ws, min_col=3 + s, min_row=3, max_row=last_pt)
        series = Series(yref, xref, title_from_data=True)
        series.marker = Marker(symbol="circle", size=5)
        series.marker.graphicalProperties = K.solid(COLOURS[s])
        series.graphicalProperties.line.noFill = True
        sc.series.append(series)
    sc.legend.position = "r"
    K.titles(sc, "Customers by segment: recency and annual spend", "Days since last order",
             "Annual spend")
    ss.chart(sc, "K4")

    # Segment sizes, from the COUNTIF table: ordinary formulas, so every reader (LibreOffice,
    # pandas, calamine) sees the values that the refresh computed.
    bar = BarChart()
    bar.type = "col"
    bar.style = 10
    bar.height, bar.width = 8, 12
    vals = Reference(ss.ws, min_col=2, min_row=top + 1, max_row=top + MAX_SEGMENTS)
    cats = Reference(ss.ws, min_col=1, min_row=top + 1, max_row=top + MAX_SEGMENTS)
    bar.add_data(vals, titles_from_data=False)
    bar.set_categories(cats)
    series = bar.series[0]
    K.colour_points(series, {s: COLOURS[s] for s in range(MAX_SEGMENTS)})
    K.value_labels(series)
    bar.legend = None
    K.titles(bar, "Customers per segment", "Segment", "Customers")
    ss.chart(bar, "K24")
    ss.ws.freeze_panes = "A3"
    wb.move_sheet("Segments", offset=-1)
    add_rfm_sheets(wb, SETTINGS["horizon_months"])
    segmentation_value.add_value_sheet(wb, SETTINGS)
    return wb

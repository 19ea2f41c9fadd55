"""customer_segmentation.xlsx: who are my customers? k-means segments, profiles and the choice of k."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook import Workbook

from .. import samples
from ..workbook.tables import DataTables
from . import _kit as K
from .segmentation_rfm import add_rfm_sheets

FILE = "customer_segmentation.xlsx"
#: The data tables `xlmarketing batch` fills: Orders (the RFM sheet) may be left out.
DATA_TABLES = DataTables(main="Customers", optional=("Orders",))
K_SEGMENTS = 4
N_CUSTOMERS = 500
FEATURES = ["Channel", "Annual spend", "Orders", "Days since last order"]
# Where the demo reads results back.
RESULTS, PROFILE_AT, SEGMENTS_AT = "Segments", "A6", "H1"
COUNTS_ROW = 14         # header row of the per-segment COUNTIF/SUMIF table on Segments
SCATTER_POINTS = 500    # customers drawn in the scatter (spread evenly when there are more)
MAX_ROWS = 1_048_576


def build() -> Workbook:
    data = samples.customers(N_CUSTOMERS)
    last = len(data) + 1
    # A table reference follows the table when rows are pasted in Excel or replaced by `batch`.
    data_ref = "Customers[[#All],[Channel]:[Days since last order]]"
    wb = K.new_workbook("Customer segmentation")

    K.about_sheet(
        wb, "Customer segmentation",
        "Which groups of customers behave alike? k-means splits the customer base into "
        f"{K_SEGMENTS} segments on channel, annual spend, number of orders and days since the "
        "last order, describes each segment in the data's own units, and shows how many "
        "segments the data supports.",
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
            ("Change the 4 in the formulas to try another number of segments; the SEGMENT_K "
            "table helps choose (\"recommended\" marks what \"auto\" picks: of the k whose segments "
            "reproduce on another half of the rows, the best separated)."),
        ],
        [
            (K.call("KMEANS_SEGMENT", data=data_ref, k=K_SEGMENTS),
             "One segment number per customer (1 = largest segment), aligned with the rows.",
             "Customers!H1"),
            (K.call("SEGMENT_PROFILE", data=data_ref, k=K_SEGMENTS),
             "One row per segment: size, share, mean of every number column, most common channel.",
             "Segments!A6"),
            (K.call("SEGMENT_K", data=data_ref),
             "Silhouette and inertia for k = 2..10, with the recommended k marked.",
             "Segments!A23"),
            ("=COUNTIF / SUMIF",
             "Ordinary Excel formulas on top: customers and revenue per segment.",
             f"Segments!A{COUNTS_ROW}"),
        ],
        [
            ("Customers", ("The data: one row per customer (an Excel table), with the segment "
                          "of each customer spilled next to it in column H.")),
            ("Segments", ("Segment profiles, customers and revenue per segment, the choice of k, "
                         "and the charts.")),
            ("ChartData", "Helper columns for the coloured scatter chart (one column per segment)."),
        ],
        [("Sample data: a generated customer base (xlmarketing.samples.customers) with four "
         "personas – loyal big spenders, regulars, online bargain hunters and lapsed customers."),
         ("The models run in Python (scikit-learn) through the xlmarketing functions; the same "
         "inputs always give the same segments (fixed seed, row order does not matter).")],
    )

    # Customers: the data table and the segment of each customer.
    cs = K.add_sheet(wb, "Customers", tab=K.BLUE, one_page=False)
    cs.ws.sheet_view.showGridLines = True
    cs.table(data, "Customers", formats={"Annual spend": K.MONEY, "Orders": K.INT,
                                         "Days since last order": K.INT})
    cs.widths({"A": 13, "B": 10, "C": 10, "D": 14, "E": 9, "F": 13, "G": 3, "H": 11})
    seg = cs.spill(8, 1, K.call("KMEANS_SEGMENT", data=data_ref, k=K_SEGMENTS), last, 1,
                   label="segments", formats=[K.INT])
    cs.ws.freeze_panes = "B2"
    assert seg.anchor == SEGMENTS_AT
    # The segment column beside the table, as long as the table: summaries follow the data.
    seg_col = K.beside("Customers", seg.col, "Customers", "Customer ID")
    for s, colour in zip(range(1, K_SEGMENTS + 1), K.SEGMENT_COLOURS):
        cs.ws.conditional_formatting.add(
            f"H2:H{MAX_ROWS}", CellIsRule(operator="equal", formula=[str(s)],
                                          font=Font(bold=True, color=colour)))

    # Segments: profile, counts, choice of k, charts.
    ss = K.add_sheet(wb, RESULTS, tab=K.NAVY)
    ss.title("Customer segments",
             f'="k-means with k = {K_SEGMENTS} on {", ".join(FEATURES).lower()} ("&'
             f'{K.count_text("Customers", "Customer ID", "customers")}&")."')
    ss.section(1, 4, "Segment profiles",
               "SEGMENT_PROFILE: size, share, mean of each number column and the most common channel.")
    prof = ss.spill(1, 6, K.call("SEGMENT_PROFILE", data=data_ref, k=K_SEGMENTS), K_SEGMENTS + 1,
                    5 + len(FEATURES), label="profile",
                    formats=[K.INT, K.INT, K.PCT, None, K.MONEY0, "0.0", "0", None, None])
    assert prof.anchor == PROFILE_AT
    for r in range(prof.row + 1, prof.row + prof.rows):  # the channel column: text
        ss.ws.cell(row=r, column=4).alignment = Alignment(horizontal="center")
    top = COUNTS_ROW
    ss.section(1, 12, "Customers and revenue per segment",
               "Ordinary Excel formulas (COUNTIF, SUMIF) on the segment column Customers!H, as "
               "long as the Customers table.")
    spend = K.tcol("Customers", "Annual spend")
    rows = []
    for i in range(K_SEGMENTS):
        r = top + 1 + i
        rows.append([i + 1, f"=COUNTIF({seg_col}, A{r})", f"=SUMIF({seg_col}, A{r}, {spend})",
                     f"=IF(C${top + K_SEGMENTS + 1}>0, C{r}/C${top + K_SEGMENTS + 1}, 0)",
                     f"=IF(B{r}>0, C{r}/B{r}, 0)"])
    tr = top + K_SEGMENTS + 1
    rows.append(["Total", f"=SUM(B{top + 1}:B{tr - 1})", f"=SUM(C{top + 1}:C{tr - 1})",
                 f"=SUM(D{top + 1}:D{tr - 1})", f"=IF(B{tr}>0, C{tr}/B{tr}, 0)"])
    ss.formulas(1, top, ["Segment", "Customers", "Revenue", "Share of revenue", "Revenue per customer"],
                rows, formats=[K.INT, K.INT, K.MONEY0, K.PCT, K.MONEY0], label="counts")
    for j in range(5):
        ss.ws.cell(row=tr, column=1 + j).font = K.BOLD
    ss.section(1, 21, "How many segments?",
               "SEGMENT_K: prediction strength and Calinski-Harabasz (what k=\"auto\" uses), "
               "silhouette and inertia for k = 2..10.")
    ks = ss.spill(1, 23, K.call("SEGMENT_K", data=data_ref), 10, 6, label="choose k",
                  formats=[K.INT, K.DEC3, "#,##0.0", K.DEC3, "#,##0.0", None])
    ss.ws.conditional_formatting.add(
        f"A{ks.row + 1}:F{ks.row + ks.rows - 1}", CellIsRule(operator="equal", formula=['"recommended"'],
                               fill=PatternFill("solid", fgColor="E2EFDA"), font=Font(bold=True)))
    ss.widths({"A": 11, "B": 12, "C": 12, "D": 17, "E": 20, "F": 10, "G": 16, "H": 3})

    # ChartData: up to SCATTER_POINTS customers spread evenly over the table (every one when
    # there are fewer), one y column per segment (#N/A elsewhere, which charts skip).
    cd = K.add_sheet(wb, "ChartData", tab=K.GREY, one_page=False)
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
    cd.reserve("formulas", 1, 1, 5, 2, "counts")
    days, spend_col = K.tcol("Customers", "Days since last order"), spend
    seg_whole = "Customers!$H:$H"
    header = ["Row in data", "Days since last order"] + [f"Segment {s}" for s in range(1, K_SEGMENTS + 1)]
    rows = []
    for i in range(SCATTER_POINTS):
        r = i + 4
        rows.append([f"=IF({i + 1}<=MIN($C$2, {SCATTER_POINTS}), ROUND({i}*$E$2, 0)+1, NA())",
                     f"=IF(ISNUMBER($A{r}), INDEX({days}, $A{r}), NA())"]
                    + [f"=IF(ISNUMBER($A{r}), IF(INDEX({seg_whole}, $A{r}+1)={s}, "
                       f"INDEX({spend_col}, $A{r}), NA()), NA())"
                       for s in range(1, K_SEGMENTS + 1)])
    cd.formulas(1, 3, header, rows, formats=[K.INT, K.INT] + [K.MONEY0] * K_SEGMENTS,
                label="scatter helper")
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
    for s in range(K_SEGMENTS):
        yref = Reference(cd.ws, min_col=3 + s, min_row=3, max_row=last_pt)
        series = Series(yref, xref, title_from_data=True)
        series.marker = Marker(symbol="circle", size=5)
        series.marker.graphicalProperties = K.solid(K.SEGMENT_COLOURS[s])
        series.graphicalProperties.line.noFill = True
        sc.series.append(series)
    sc.legend.position = "r"
    K.titles(sc, "Customers by segment: recency and annual spend", "Days since last order",
             "Annual spend")
    ss.chart(sc, "I4")

    # Segment sizes, from the COUNTIF table: ordinary formulas, so every reader (LibreOffice,
    # pandas, calamine) sees the values that the refresh computed.
    bar = BarChart()
    bar.type = "col"
    bar.style = 10
    bar.height, bar.width = 8, 12
    vals = Reference(ss.ws, min_col=2, min_row=top + 1, max_row=top + K_SEGMENTS)
    cats = Reference(ss.ws, min_col=1, min_row=top + 1, max_row=top + K_SEGMENTS)
    bar.add_data(vals, titles_from_data=False)
    bar.set_categories(cats)
    series = bar.series[0]
    K.colour_points(series, {s: K.SEGMENT_COLOURS[s] for s in range(K_SEGMENTS)})
    K.value_labels(series)
    bar.legend = None
    K.titles(bar, "Customers per segment", "Segment", "Customers")
    ss.chart(bar, "I24")
    ss.ws.freeze_panes = "A3"
    wb.move_sheet("Segments", offset=-1)
    add_rfm_sheets(wb)
    return wb


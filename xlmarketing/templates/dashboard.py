"""marketing_dashboard.xlsx: one sheet with the segments, churn risk and revenue at risk by
segment, the sales forecast, charts and a short "what to do" text, all driven by formulas.

The model formulas (KMEANS_SEGMENT and CHURN_PROB beside the Customers table, SALES_FORECAST
and SEGMENT_PROFILE on the Models sheet) feed a Dashboard sheet made only of ordinary formulas
over the tables and those results, so every program that reads the refreshed file shows it
(LibreOffice, pandas, calamine; see the About sheet).
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.workbook import Workbook

from .. import samples
from ..workbook.tables import DataTables
from . import _kit as K
from . import forecast as F

FILE = "marketing_dashboard.xlsx"
N_HISTORY, N_CURRENT = 1200, 400
K_SEGMENTS = 4
THRESHOLD = 0.5
CHART_HISTORY = 24      # months of history drawn before the forecast
SEGMENT_COLS = ["Tenure (months)", "Contract", "Monthly spend", "Complaints (12 months)",
                "Days since last purchase"]
FORMATS = {"Last purchase": K.DATE, "Age": "0", "Tenure (months)": "0", "Monthly spend": K.MONEY,
           "Complaints (12 months)": "0", "Days since last purchase": "0"}
#: The data tables `xlmarketing batch` fills: all four, checked across as in churn and forecast.
DATA_TABLES = DataTables(
    main="Customers", follows=(("Plan", "Month", "Sales", "Month"),),
    features=(("Customers", "History", ("Age", "Gender", "Tenure (months)", "Contract",
                                        "Monthly spend", "Complaints (12 months)",
                                        "Days since last purchase")),))
# Where the demo and the tests read results back.
SHEET, MODELS, CUSTOMERS = "Dashboard", "Models", "Customers"
SEGMENT_AT, PROB_AT = "K1", "L1"          # on Customers
FORECAST_AT, PROFILE_AT = "A4", "A21"      # on Models
KPI_ROW = 6                               # first KPI row on the Dashboard (value in column D)
TODO_ROW = 6                              # first "what to do" line (column F)
SEG_ROW = 14                              # header row of the segment table
FC_ROW = 23                               # header row of the forecast table
#: The settings (input cells on About) our formulas read; the high-risk threshold is the
#: yellow cell among the figures on the Dashboard sheet.
SETTINGS = K.Settings([
    K.Setting("k", "Segments (k)", K_SEGMENTS,
              f"2 to {K_SEGMENTS} (the page has room for {K_SEGMENTS}), or \"auto\" to let the "
              "data choose (a choice above 4 does not fit the page)."),
    K.Setting("interval", "Forecast range", F.INTERVAL,
              "Coverage of the forecast's Lower-Upper range, e.g. 0.9 for 90 %.", K.PCT),
    K.Setting("season", "Season length", F.SEASON,
              'Periods in a season of the sales: 12 for months; blank or "auto" detects it.'),
])
KPI_LABELS = ["Customers", "Monthly revenue", "Expected churners (sum of probabilities)",
              "Monthly revenue at risk (probability × spend)",
              "High-risk threshold (enter a probability)", "High-risk customers"]


def build() -> Workbook:
    hist = samples.churn_history(N_HISTORY)
    cur = samples.churn_current(N_CURRENT)
    sales_hist, plan = samples.monthly_sales(F.MONTHS, F.HORIZON)
    train = "History[[#All],[Age]:[Days since last purchase]]"
    labels = "History[[#All],[Churned]]"
    score = "Customers[[#All],[Age]:[Days since last purchase]]"
    seg_data = "Customers[[#All],[Tenure (months)]:[Days since last purchase]]"
    st = SETTINGS
    f_seg = K.call("KMEANS_SEGMENT", data=seg_data, k=st["k"])
    f_prob = K.call("CHURN_PROB", train_data=train, train_labels=labels, score_data=score,
                    positive=K.quoted("Yes"))
    f_profile = K.call("SEGMENT_PROFILE", data=seg_data, k=st["k"])
    f_fc = K.call("SALES_FORECAST", sales="Sales[[#All],[Month]:[Units sold]]", horizon=F.HORIZON,
                  known_drivers="Sales[[#All],[Price]:[Promotion]]",
                  future_drivers="Plan[[#All],[Price]:[Promotion]]", season_length=st["season"],
                  interval=st["interval"])
    wb = K.new_workbook("Marketing dashboard")
    _about(wb, f_seg, f_prob, f_profile, f_fc)
    ds = K.add_sheet(wb, SHEET, tab=K.NAVY)   # filled last: it reads every other sheet

    # Customers: today's customers with their segment and churn probability beside them.
    cs = K.add_sheet(wb, CUSTOMERS, tab=K.BLUE, one_page=False)
    cs.ws.sheet_view.showGridLines = True
    cs.table(cur, "Customers", formats=FORMATS)
    seg = cs.spill(11, 1, f_seg, len(cur) + 1, 1, label="segments", formats=[K.INT])
    pr = cs.spill(12, 1, f_prob, len(cur) + 1, 1, label="probabilities", formats=[K.PROB])
    assert (seg.anchor, pr.anchor) == (SEGMENT_AT, PROB_AT)
    cs.widths({"A": 12, "B": 13, "C": 7, "D": 9, "E": 10, "F": 16, "G": 10, "H": 12, "I": 12,
               "J": 3, "K": 10, "L": 12})
    cs.ws.freeze_panes = "B2"
    hs = K.add_sheet(wb, "History", tab=K.GREY, one_page=False)
    hs.ws.sheet_view.showGridLines = True
    hs.table(hist, "History", formats=FORMATS)
    hs.widths({"A": 12, "B": 13, "C": 7, "D": 9, "E": 10, "F": 16, "G": 10, "H": 12, "I": 12, "J": 10})
    hs.ws.freeze_panes = "B2"
    ss = K.add_sheet(wb, "Sales", tab=K.BLUE, one_page=False)
    ss.ws.sheet_view.showGridLines = True
    ss.table(sales_hist, "Sales", formats={"Month": K.MONTH, "Units sold": K.INT, "Price": K.MONEY,
                                           "Promotion": "0"})
    ss.widths({"A": 12, "B": 12, "C": 10, "D": 11})
    ps = K.add_sheet(wb, "Plan", tab=K.BLUE)
    ps.ws.sheet_view.showGridLines = True
    ps.table(plan, "Plan", formats={"Month": K.MONTH, "Price": K.MONEY, "Promotion": "0"})
    ps.widths({"A": 12, "B": 10, "C": 11})

    # Models: the forecast and the segment profiles.
    ms = K.add_sheet(wb, MODELS, tab=K.GREY)
    ms.title("Models", "The forecast and the segment profiles that the dashboard reads.")
    fc = ms.spill(1, 4, f_fc, F.HORIZON + 1, 4, label="forecast",
                  formats=[K.MONTH, K.INT, K.INT, K.INT])
    prof = ms.spill(1, 21, f_profile, K_SEGMENTS + 1, 3 + len(SEGMENT_COLS), label="profile",
                    formats=[K.INT, K.INT, K.PCT, "0.0", None, K.MONEY, "0.00", "0"])
    assert (fc.anchor, prof.anchor) == (FORECAST_AT, PROFILE_AT)
    ms.widths({"A": 12, "B": 12, "C": 12, "D": 16, "E": 18, "F": 14, "G": 14, "H": 16})

    _dashboard(ds, seg, pr, fc, prof)
    _charts(wb, ds, fc)
    return wb


def _dashboard(ds: K.Sheet, seg: K.Spill, pr: K.Spill, fc: K.Spill, prof: K.Spill) -> None:
    ws = ds.ws
    n_cust = K.count_text("Customers", "Customer ID", "customers")
    ds.title("Marketing dashboard",
             f'={n_cust}&" in "&MAX({K.beside(CUSTOMERS, seg.col, "Customers", "Customer ID")})&" segments, scored for churn by a model trained on "&'
             f'{K.count_text("History", "Customer ID", "past customers")}&"; "&'
             f'{K.count_text("Sales", "Units sold", "months")}&" of sales history."')
    segs = K.beside(CUSTOMERS, seg.col, "Customers", "Customer ID")
    probs = K.beside(CUSTOMERS, pr.col, "Customers", "Customer ID")
    spend = K.tcol("Customers", "Monthly spend")
    t = KPI_ROW
    ds.section(1, 4, "At a glance", "Ordinary formulas over the Customers table and the models.")
    ds.kpis(1, t, [
        (KPI_LABELS[0], f"=ROWS({K.tcol('Customers', 'Customer ID')})", K.INT),
        (KPI_LABELS[1], f"=SUM({spend})", K.MONEY0),
        (KPI_LABELS[2], f"=SUM({probs})", K.INT),
        (KPI_LABELS[3], f"=SUMPRODUCT({probs}, {spend})", K.MONEY0),
        (KPI_LABELS[4], THRESHOLD, K.PROB),
        (KPI_LABELS[5], f'=COUNTIF({probs}, ">="&D{t + 4})', K.INT),
    ], label="kpis", span=3)
    ws[f"D{t + 4}"].fill = K.INPUT_FILL

    # Segments: churn risk and revenue at risk per segment.
    top = SEG_ROW
    ds.section(1, top - 2, "Segments: churn risk and revenue at risk",
               "COUNTIF / SUMIF / SUMPRODUCT on the segment and probability columns of Customers.")
    first, last = top + 1, top + K_SEGMENTS
    tot = last + 1
    rows = []
    for i in range(K_SEGMENTS):
        r = first + i
        # The profile has one row per segment in order: contract (most common), tenure (mean).
        contract, tenure = prof.cell(i + 1, 4), prof.cell(i + 1, 3)
        in_seg = f"({segs}=A{r})"
        rows.append([
            i + 1,
            f"=COUNTIF({segs}, A{r})",
            f'=IF(B{r}>0, {contract}&", "&FIXED({tenure}, 0, TRUE)&" months", "")',
            f"=SUMIF({segs}, A{r}, {spend})",
            f"=SUMIF({segs}, A{r}, {probs})",
            f"=SUMPRODUCT({in_seg}*{probs}*{spend})",
            f"=IF($F${tot}>0, F{r}/$F${tot}, 0)",
            f'=COUNTIFS({segs}, A{r}, {probs}, ">="&$D${t + 4})',
            f'=IF(B{r}>0, E{r}/B{r}, "")',
            f'=IF(B{r}>0, D{r}/B{r}, "")',
        ])
    rows.append(["Total", f"=SUM(B{first}:B{last})", "", f"=SUM(D{first}:D{last})",
                 f"=SUM(E{first}:E{last})", f"=SUM(F{first}:F{last})", f"=SUM(G{first}:G{last})",
                 f"=SUM(H{first}:H{last})", f'=IF(B{tot}>0, E{tot}/B{tot}, "")',
                 f'=IF(B{tot}>0, D{tot}/B{tot}, "")'])
    ds.formulas(1, top, ["Segment", "Customers", "Typical customer", "Monthly revenue",
                         "Expected churners", "Monthly revenue at risk", "Share of revenue at risk",
                         "High-risk customers", "Churn rate", "Spend per customer"], rows,
                formats=[K.INT, K.INT, None, K.MONEY0, "0.0", K.MONEY0, K.PCT, K.INT, K.PCT,
                         K.MONEY],
                label="segments")
    for j in range(10):
        ws.cell(row=tot, column=1 + j).font = K.BOLD

    # The forecast, read from the Models sheet, and its figures at a glance.
    ds.section(1, FC_ROW - 2, f"Sales forecast, next {F.HORIZON} months",
               "SALES_FORECAST (Models sheet) with the range set on About.")
    fc_rows = []
    for j in range(F.HORIZON):
        src = fc.row + 1 + j
        fc_rows.append([f'=IF(ISNUMBER(Models!A{src}), Models!A{src}, "")',
                        f'=IF(ISNUMBER(Models!B{src}), Models!B{src}, "")',
                        f'=IF(ISNUMBER(Models!C{src}), Models!C{src}, "")',
                        f'=IF(ISNUMBER(Models!D{src}), Models!D{src}, "")'])
    ds.formulas(1, FC_ROW, ["Month", "Forecast", "Lower", "Upper"], fc_rows,
                formats=[K.MONTH, K.INT, K.INT, K.INT], label="forecast")
    fc_vals = f"Models!$B${fc.row + 1}:$B${fc.row + F.HORIZON}"
    kr = FC_ROW + 1
    ds.kpis(6, kr, F.kpi_rows(fc_vals, f"I{kr}", f"I{kr + 1}"), label="forecast kpis", span=3)

    # What to do: three sentences built by formulas from the figures above.
    ds.section(6, 4, "What to do", "Written by formulas from the figures on this sheet.")
    risk, per_cust = f"$F${first}:$F${last}", f"$J${first}:$J${last}"
    worst = f"MATCH(MAX({risk}), {risk}, 0)"
    todo = [
        (f'=IF($F${tot}>0, "Retention first: segment "&INDEX($A${first}:$A${last}, {worst})&'
         f'" holds "&FIXED(MAX({risk})/$F${tot}*100, 0)&"% of the monthly revenue at risk ("&'
         f'FIXED(MAX({risk}), 0)&"); start with its "&INDEX($H${first}:$H${last}, {worst})&'
         f'" high-risk customers (probability in Customers!L).", '
         f'"No revenue at risk: no churn action needed.")'),
        (f'=IF($B${tot}>0, "Look after segment "&INDEX($A${first}:$A${last}, '
         f'MATCH(MAX({per_cust}), {per_cust}, 0))&": its customers spend the most a month each ("&'
         f'FIXED(MAX({per_cust}), 2)&", churn rate "&FIXED(INDEX($I${first}:$I${last}, '
         f'MATCH(MAX({per_cust}), {per_cust}, 0))*100, 0)&"%).", "No customers in the table.")'),
        (f'=IF(ISNUMBER(I{kr + 2}), IF(I{kr + 2}>=0, "Plan for growth: sales are forecast to '
         f'rise "&FIXED(I{kr + 2}*100, 1)&"% on the last {F.HORIZON} months ("&FIXED(I{kr}, 0)&'
         f'" units).", "Sales are forecast to fall "&FIXED(-I{kr + 2}*100, 1)&"% on the '
         f'last {F.HORIZON} months: review prices and promotions on the Plan sheet."), '
         f'"Forecast: "&IF(ISNUMBER(I{kr}), I{kr + 1}, I{kr})&".")'),
    ]
    # Each sentence spans two rows, so the figures beside them keep ordinary row heights.
    ds.reserve("formulas", 6, TODO_ROW, 10, TODO_ROW + 2 * len(todo) - 1, "what to do")
    for i, f in enumerate(todo):
        r = TODO_ROW + 2 * i
        c = ws.cell(row=r, column=6, value=f)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        c.font = Font(name="Calibri", size=11, color=K.NAVY)
        ws.merge_cells(start_row=r, start_column=6, end_row=r + 1, end_column=10)
    for r in range(TODO_ROW, TODO_ROW + 2 * len(todo)):
        ws.row_dimensions[r].height = 22
    ws.row_dimensions[top].height = 44
    ds.widths({"A": 10, "B": 11, "C": 24, "D": 13, "E": 12, "F": 13, "G": 12, "H": 11, "I": 15,
               "J": 12, "K": 3})
    ws.freeze_panes = "A3"


def _charts(wb: Workbook, ds: K.Sheet, fc: K.Spill) -> None:
    first, last = SEG_ROW + 1, SEG_ROW + K_SEGMENTS
    for col, title, y, anchor in ((2, "Customers per segment", "Customers", "L4"),
                                  (6, "Monthly revenue at risk by segment", "Revenue at risk",
                                   "L19")):
        bar = BarChart()
        bar.type = "col"
        bar.style = 10
        bar.height, bar.width = 7, 11
        bar.add_data(Reference(ds.ws, min_col=col, min_row=first, max_row=last),
                     titles_from_data=False)
        bar.set_categories(Reference(ds.ws, min_col=1, min_row=first, max_row=last))
        s = bar.series[0]
        K.colour_points(s, {i: K.SEGMENT_COLOURS[i] for i in range(K_SEGMENTS)})
        K.value_labels(s)
        bar.legend = None
        bar.y_axis.number_format = "#,##0"
        K.titles(bar, title, "Segment", y)
        ds.chart(bar, anchor)
    line = F.chart_with_data(wb, MODELS, fc.row + 1, CHART_HISTORY, SETTINGS["interval"])
    line.height, line.width = 7.5, 14
    ds.chart(line, "F29")


def _about(wb: Workbook, f_seg: str, f_prob: str, f_profile: str, f_fc: str) -> None:
    K.about_sheet(
        wb, "Marketing dashboard",
        "One page for the marketing team: who the customers are (segments), which segments are "
        "about to leave and how much monthly revenue is at risk in each, and how many units we "
        f"will sell in the next {F.HORIZON} months, with a short list of what to do next.",
        [
            ("Customers sheet: replace the table rows with today's customers. History sheet: past "
            "customers with their outcome (Churned Yes/No). Sales and Plan sheets: the monthly "
            "sales history and the planned prices and promotions. Keep the header rows."),
            ("Everything follows the tables: the xlmarketing formulas read them by name, and the "
            "dashboard's figures, texts and charts are ordinary formulas over the tables "
            "(structured references and INDEX ranges as long as the table), so paste any number "
            "of rows. A figure that needs more data than there is says so instead of showing 0."),
            ("Refresh: in Excel with the xlmarketing add-in, the formulas recalculate as you type; "
            "headless, run  xlmarketing refresh marketing_dashboard.xlsx -o result.xlsx."),
            ("Set the high-risk threshold on the Dashboard (yellow cell, D10): the high-risk "
            "counts and the first line of what to do follow it."),
        ],
        [
            (f_seg, "One segment number per customer (1 = largest segment).", "Customers!K1"),
            (f_prob, "One churn probability per customer, from a model trained on History.",
             "Customers!L1"),
            (f_profile, "One row per segment: size, share, means and most common contract.",
             "Models!A21"),
            (f_fc, f"Month, forecast and the {F.INTERVAL:.0%} interval for the next "
                   f"{F.HORIZON} months.", "Models!A4"),
            ("=COUNTIF / SUMIF / SUMPRODUCT / INDEX",
             "Ordinary Excel formulas on top: the dashboard's figures, texts and chart data.",
             "Dashboard, ChartData"),
        ],
        [
            ("Dashboard", "The one-page view: figures, segments and revenue at risk, the forecast, "
                          "what to do, and the charts."),
            ("Customers", "Today's customers (an Excel table) with their segment and churn "
                          "probability spilled beside them (columns K and L)."),
            ("History", "Past customers with their outcome: the churn model's training data."),
            ("Sales", "Monthly sales history (an Excel table): units sold, price and promotion."),
            ("Plan", "Planned price and promotion for the months ahead (an Excel table)."),
            ("Models", "The forecast and the segment profiles."),
            ("ChartData", "Helper columns joining recent sales and the forecast for the chart."),
        ],
        [("Sample data: generated subscription customers (xlmarketing.samples.churn_history and "
         "churn_current) and monthly sales (xlmarketing.samples.monthly_sales)."),
         ("Segments are found on tenure, contract, monthly spend, complaints and days since the "
         "last purchase; churn is predicted from age, gender and those same columns."),
         ("Revenue at risk = the sum over customers of churn probability × monthly spend: the "
         "monthly revenue expected to leave.")],
        settings=SETTINGS,
    )

"""churn_risk.xlsx: which customers are about to leave, why, and how much revenue is at risk."""

from __future__ import annotations

import pandas as pd
from openpyxl.chart import BarChart, Reference, Series
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook import Workbook

from .. import samples
from ..workbook.tables import DataTables
from . import _kit as K

FILE = "churn_risk.xlsx"
N_HISTORY = 1200
N_CURRENT = 400
TOP = 25
THRESHOLD = 0.5
METRIC_ROWS = 20        # reserved for CHURN_METRICS (it returns 16 rows today)
MODEL_COLS = ["Age", "Gender", "Tenure (months)", "Contract", "Monthly spend",
              "Complaints (12 months)", "Days since last purchase"]
FORMATS = {"Last purchase": K.DATE, "Age": "0", "Tenure (months)": "0", "Monthly spend": K.MONEY,
           "Complaints (12 months)": "0", "Days since last purchase": "0"}
METRIC_FORMAT = "[<1]0.000;#,##0"
#: The data tables `xlmarketing batch` fills: both; Current carries the model's columns.
DATA_TABLES = DataTables(main="Current", features=(("Current", "History", tuple(MODEL_COLS)),))
MAX_ROWS = 1_048_576
# Where the demo reads results back.
MODEL, METRICS_AT, DRIVERS_AT = "Model", "A6", "D6"
CURRENT, PROB_AT, REASONS_AT, SPEND_AT = "Current", "K1", "L1", "G1"
REASONS = 3             # columns reserved for CHURN_REASONS
#: The settings (input cells on About) our formulas read; the high-risk threshold is the
#: yellow cell on the Risk sheet, beside the figures it drives.
SETTINGS = K.Settings([
    K.Setting("top_n", "Reasons per customer", REASONS,
              f"1 to {REASONS}: the attributes raising each customer's churn risk most "
              "(Current sheet, beside the probability)."),
])


def _row_of_rank(prob: str, r: int, i: int) -> str:
    """The data row of the i-th largest probability (in B{r}). Equal probabilities (such as
    identical customers) are looked up after the row found for the rank above, so each
    customer is listed once."""
    first = f"MATCH(B{r}, {prob}, 0)"
    if i == 0:
        return f'=IF(ISNUMBER(B{r}), {first}, "")'
    after = (f"J{r - 1}+MATCH(B{r}, INDEX({prob}, J{r - 1}+1):INDEX({prob}, ROWS({prob})), 0)")
    return f'=IF(ISNUMBER(B{r}), IF(B{r}=B{r - 1}, {after}, {first}), "")'


def build() -> Workbook:
    hist = samples.churn_history(N_HISTORY)
    cur = samples.churn_current(N_CURRENT)
    cl = len(cur) + 1
    # Table references follow the tables when rows are pasted in Excel or replaced by `batch`.
    train = "History[[#All],[Age]:[Days since last purchase]]"
    labels = "History[[#All],[Churned]]"
    score = "Current[[#All],[Age]:[Days since last purchase]]"
    # One driver row per number column and per level of each text column.
    n_drivers = sum(1 if pd.api.types.is_numeric_dtype(hist[c]) else hist[c].nunique()
                    for c in MODEL_COLS)
    data = {"train_data": train, "train_labels": labels, "positive": K.quoted("Yes")}
    f_prob = K.call("CHURN_PROB", **data, score_data=score)
    f_reasons = K.call("CHURN_REASONS", **data, score_data=score, top_n=SETTINGS["top_n"])
    f_metrics = K.call("CHURN_METRICS", **data, threshold="Risk!$D$9", folds=5)
    f_drivers = K.call("CHURN_DRIVERS", **data)
    wb = K.new_workbook("Churn risk")

    K.about_sheet(
        wb, "Churn risk",
        "Which of today's customers are likely to leave, why, and how much revenue is at risk? "
        "A logistic regression learns from past customers whose outcome is known (History: did "
        "they churn?) and scores today's customers (Current). Each customer gets a churn "
        "probability and the top reasons pushing their risk up; the model sheet shows how well "
        "it predicts (cross-validated) and what drives churn overall.",
        [
            ("History sheet: replace the table rows with past customers and their outcome in the "
            "Churned column (Yes/No). Current sheet: replace the rows with the customers to score. "
            "Keep the header rows and the column order (columns C to I go into the model)."),
            ("Everything follows the tables: the xlmarketing formulas read History and Current "
            "by name, and the subtitles, KPIs, distribution and top list on the Risk sheet are "
            "ordinary formulas over the tables (structured references such as "
            "Current[Monthly spend] and INDEX ranges as long as the table), so paste any number "
            "of rows."),
            ("Refresh: in Excel with the xlmarketing add-in, the formulas recalculate as you type; "
            "headless, run  xlmarketing refresh churn_risk.xlsx -o result.xlsx."),
            ("Set the high-risk threshold on the Risk sheet (yellow cell, D9): the high-risk "
            "count, the revenue of high-risk customers and the model metrics follow it."),
        ],
        [
            (f_prob, "One churn probability per current customer, aligned with the rows.",
             "Current!K1"),
            (f_reasons, "The top 3 features pushing each customer's risk up, one text column each.",
             "Current!L1"),
            (f_metrics, ("ROC AUC, accuracy, precision, recall and the confusion counts from 5-fold "
                        "cross-validation at the threshold."), "Model!A6"),
            (f_drivers, ("Every feature's coefficient (per standard deviation), odds ratio and "
                        "direction, strongest first."), "Model!D6"),
            ("=SUMPRODUCT / COUNTIFS / LARGE / INDEX",
             ("Ordinary Excel formulas on top: revenue at risk, the probability distribution and "
             f"the top {TOP} list."), "Risk sheet"),
        ],
        [
            ("Risk", ("Revenue at risk, the churn probability distribution and the customers most "
                     "at risk.")),
            ("Model", "Cross-validated model quality and the churn drivers chart."),
            ("Current", ("Today's customers (an Excel table) with their churn probability and "
                        "reasons spilled next to them (columns K to N).")),
            ("History", "Past customers with their outcome (an Excel table): the training data."),
        ],
        [("Sample data: generated subscription customers (xlmarketing.samples.churn_history and "
         "churn_current); churn rises with month-to-month contracts, complaints and days since "
         "the last purchase and falls with tenure."),
         ("Days since last purchase is measured at each table's own snapshot date (Last purchase "
         "is shown for reference and is not in the model), so history and today compare fairly."),
         ("Revenue at risk = the sum over customers of churn probability × monthly spend: the "
         "monthly revenue expected to leave.")],
        settings=SETTINGS,
    )

    # Risk: the manager's view (built first so it is the second tab).
    rs = K.add_sheet(wb, "Risk", tab=K.RED)
    cs_name, hs_name = CURRENT, "History"
    # The probability column beside the Current table, as long as the table; table columns by
    # name: every summary follows the tables.
    prob = K.beside(CURRENT, 11, "Current", "Customer ID")
    spend = K.tcol("Current", "Monthly spend")
    rs.title("Churn risk", f'={K.count_text("Current", "Customer ID", "current customers")}'
                           f'&" scored by a model trained on "&'
                           f'{K.count_text("History", "Customer ID", "past customers")}&"."')
    rs.section(1, 4, "At a glance", "Ordinary Excel formulas on the probabilities in Current!K.")
    rs.kpis(1, 6, [
        ("Customers scored", f"=COUNT({prob})", K.INT),
        ("Expected churners (sum of probabilities)", f"=SUM({prob})", K.INT),
        ("Expected churn rate", '=IF(D6>0, D7/D6, "no customers scored")', K.PCT),
        ("High-risk threshold (enter a probability)", THRESHOLD, K.PROB),
        ("High-risk customers", f'=COUNTIF({prob}, ">="&D9)', K.INT),
        ("Monthly revenue at risk (probability × spend)", f"=SUMPRODUCT({prob}, {spend})", K.MONEY0),
        ("Annual revenue at risk", "=D11*12", K.MONEY0),
        ("Monthly spend of high-risk customers", f'=SUMIFS({spend}, {prob}, ">="&D9)', K.MONEY0),
    ], label="kpis", span=3)
    rs.ws["D9"].fill = K.INPUT_FILL
    rs.ws["D9"].font = Font(name="Calibri", size=13, bold=True, color=K.RED)

    # Distribution of churn probabilities: ten bins, COUNTIFS.
    rs.section(1, 15, "Churn probability distribution", "COUNTIFS over ten probability bins.")
    bins = []
    for b in range(10):
        r = 18 + b
        upper = f'"<"&C{r}' if b < 9 else f'"<="&C{r}'
        bins.append([f"{b * 10}–{(b + 1) * 10}%", b / 10, (b + 1) / 10,
                     f'=COUNTIFS({prob}, ">="&B{r}, {prob}, {upper})'])
    rs.formulas(1, 17, ["Probability", "From", "To", "Customers"], bins,
                formats=[None, K.PROB, K.PROB, K.INT], label="bins")

    # Top customers at risk: LARGE, MATCH, INDEX.
    top = 31
    rs.section(1, top - 2, f"Top {TOP} customers at risk",
               "LARGE picks the highest probabilities; INDEX/MATCH fetch the customer's details.")
    rows = []
    for i in range(TOP):
        r = top + 1 + i
        row_of = f"$J{r}"
        rows.append([
            f'=IF(ISNUMBER({row_of}), INDEX({K.tcol("Current", "Customer ID")}, {row_of}), "")',
            f'=IF(COUNT({prob})>={i + 1}, LARGE({prob}, {i + 1}), "")',
            f'=IF(ISNUMBER({row_of}), INDEX({K.tcol("Current", "Contract")}, {row_of}), "")',
            f'=IF(ISNUMBER({row_of}), INDEX({spend}, {row_of}), "")',
            f'=IF(ISNUMBER({row_of}), INDEX({K.tcol("Current", "Tenure (months)")}, {row_of}), "")',
            f'=IF(ISNUMBER({row_of}), INDEX({K.tcol("Current", "Complaints (12 months)")}, '
            f'{row_of}), "")',
            f'=IF(ISNUMBER({row_of}), INDEX({K.tcol("Current", "Days since last purchase")}, '
            f'{row_of}), "")',
            f'=IF(ISNUMBER({row_of}), INDEX({K.beside(CURRENT, 12, "Current", "Customer ID")}, '
            f'{row_of}), "")',
            "",
            _row_of_rank(prob, r, i),
        ])
    rs.formulas(1, top, ["Customer ID", "Churn probability", "Contract", "Monthly spend",
                         "Tenure (months)", "Complaints", "Days since last purchase",
                         "Main reason", "", "Row in data"], rows,
                formats=[None, K.PROB, None, K.MONEY, "0", "0", "0", None, None, "0"], label="top list")
    for r in range(top + 1, top + TOP + 1):
        rs.ws.cell(row=r, column=10).font = K.NOTE
    rs.ws.cell(row=top, column=9).fill = PatternFill(fill_type=None)
    rs.ws.conditional_formatting.add(
        f"B{top + 1}:B{top + TOP}",
        ColorScaleRule(start_type="num", start_value=0, start_color="FFEB84",
                       end_type="num", end_value=1, end_color="F8696B"))
    rs.ws.conditional_formatting.add(
        f"A{top + 1}:A{top + TOP}",
        FormulaRule(formula=[f"$B{top + 1}>=$D$9"], font=Font(bold=True, color=K.RED)))
    rs.widths({"A": 14, "B": 14, "C": 16, "D": 13, "E": 11, "F": 11, "G": 13, "H": 34,
               "I": 2, "J": 9})

    # Histogram.
    hist_chart = BarChart()
    hist_chart.type = "col"
    hist_chart.style = 10
    hist_chart.gapWidth = 15
    hist_chart.height, hist_chart.width = 8.5, 16
    hist_chart.add_data(Reference(rs.ws, min_col=4, min_row=18, max_row=27), titles_from_data=False)
    hist_chart.set_categories(Reference(rs.ws, min_col=1, min_row=18, max_row=27))
    s = hist_chart.series[0]
    s.graphicalProperties = K.solid("5B9BD5")
    K.colour_points(s, {b: "E06666" if b < 7 else K.RED for b in range(5, 10)})
    K.value_labels(s)
    hist_chart.legend = None
    K.titles(hist_chart, "How many customers at each churn risk", "Churn probability", "Customers")
    rs.chart(hist_chart, "F4")
    rs.ws.freeze_panes = "A3"

    # Model: metrics and drivers.
    ms = K.add_sheet(wb, MODEL, tab=K.BLUE)
    ms.title("The churn model", '="Logistic regression on age, gender, tenure, contract, spend, '
                                'complaints and days since last purchase, trained on "&'
                                f'{K.count_text("History", "Customer ID", "past customers")}&"."')
    ms.section(1, 4, "How well does it predict?",
               "CHURN_METRICS: 5-fold cross-validation (threshold: Risk!D9).")
    met = ms.spill(1, 6, f_metrics, METRIC_ROWS, 2, label="metrics", formats=[None, METRIC_FORMAT])
    ms.section(4, 4, "What drives churn?",
               "CHURN_DRIVERS: coefficients per standard deviation (text: per level) and importance in AUC points, most important first.")
    drv = ms.spill(4, 6, f_drivers, n_drivers + 1, 5, label="drivers",
                   formats=[None, "0.000", "0.00", None, "0.0"])
    assert (met.anchor, drv.anchor) == (METRICS_AT, DRIVERS_AT)
    # Helper: the feature names and the coefficients split by sign (so the bar chart colours
    # them), as ordinary formulas: LibreOffice and other readers show the chart from their
    # values, while they show our own spill as #NAME?.
    first, lastr = drv.row + 1, drv.row + n_drivers
    helper = [[f'=IF(D{r}="", "", D{r})', f"=IF(ISNUMBER(E{r}), IF(E{r}>0, E{r}, NA()), NA())",
               f"=IF(ISNUMBER(E{r}), IF(E{r}<0, E{r}, NA()), NA())"] for r in range(first, lastr + 1)]
    ms.formulas(9, drv.row, ["Feature", "Raises churn", "Lowers churn"], helper,
                formats=[None, "0.000", "0.000"], label="driver helper")
    for r in range(first, lastr + 1):
        for c in (9, 10, 11):
            ms.ws.cell(row=r, column=c).font = K.NOTE
    for letter in "IJK":  # the chart's helper (#N/A gaps): hidden, the chart still reads it
        ms.ws.column_dimensions[letter].hidden = True
    ms.ws.conditional_formatting.add(
        f"G{first}:G{lastr}", CellIsRule(operator="equal", formula=['"raises churn"'],
                                         font=Font(bold=True, color=K.RED)))
    ms.widths({"A": 20, "B": 10, "C": 3, "D": 30, "E": 12, "F": 11, "G": 14, "H": 12,
               "I": 24, "J": 12, "K": 12})
    drivers_chart = BarChart()
    drivers_chart.type = "bar"
    drivers_chart.grouping = "clustered"
    drivers_chart.overlap = 100
    drivers_chart.gapWidth = 40
    drivers_chart.style = 10
    drivers_chart.height, drivers_chart.width = 9.5, 17
    cats = Reference(ms.ws, min_col=9, min_row=first, max_row=lastr)
    for j, colour in ((10, K.RED), (11, "2E75B6")):
        series = Series(Reference(ms.ws, min_col=j, min_row=drv.row, max_row=lastr),
                        title_from_data=True)
        series.graphicalProperties = K.solid(colour)
        drivers_chart.series.append(series)
    drivers_chart.set_categories(cats)
    drivers_chart.visible_cells_only = False  # its helper columns are hidden
    drivers_chart.x_axis.scaling.orientation = "maxMin"
    drivers_chart.x_axis.tickLblPos = "low"
    drivers_chart.legend.position = "b"
    K.titles(drivers_chart, "Churn drivers (coefficient per standard deviation)")
    ms.chart(drivers_chart, f"D{lastr + 3}")
    ms.ws.freeze_panes = "A3"

    # Current customers with their scores, then the history.
    cs = K.add_sheet(wb, cs_name, tab=K.BLUE, one_page=False)
    cs.ws.sheet_view.showGridLines = True
    cs.table(cur, "Current", formats=FORMATS)
    pr = cs.spill(11, 1, f_prob, cl, 1, label="probabilities", formats=[K.PROB])
    rn = cs.spill(12, 1, f_reasons, cl, 3, label="reasons")
    assert (pr.anchor, rn.anchor) == (PROB_AT, REASONS_AT) and list(cur.columns)[6] == "Monthly spend"
    cs.ws.conditional_formatting.add(
        f"K2:K{MAX_ROWS}", ColorScaleRule(start_type="num", start_value=0, start_color="63BE7B",
                                    mid_type="num", mid_value=0.5, mid_color="FFEB84",
                                    end_type="num", end_value=1, end_color="F8696B"))
    cs.widths({"A": 12, "B": 13, "C": 7, "D": 9, "E": 10, "F": 16, "G": 10, "H": 12, "I": 12,
               "J": 3, "K": 12, "L": 30, "M": 30, "N": 30})
    cs.ws.freeze_panes = "B2"

    hs = K.add_sheet(wb, hs_name, tab=K.GREY, one_page=False)
    hs.ws.sheet_view.showGridLines = True
    hs.table(hist, "History", formats=FORMATS)
    hs.widths({"A": 12, "B": 13, "C": 7, "D": 9, "E": 10, "F": 16, "G": 10, "H": 12, "I": 12, "J": 10})
    hs.ws.freeze_panes = "B2"
    return wb

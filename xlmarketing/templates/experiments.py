"""campaign_experiments.xlsx: did the variant win, where should tomorrow's traffic go, and whom
should the next campaign target?

Three experiments on generated data (:mod:`xlmarketing.experiment_samples`): an A/B test of two
subject lines read day by day (AB_TEST, with the sample size it needed from AB_SAMPLE_SIZE), a
four-armed newsletter test run as a bandit that the user extends every day (BANDIT_ALLOCATE),
and a randomised coupon campaign whose uplift model picks whom to target (UPLIFT_SCORE,
UPLIFT_QINI).
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.workbook import Workbook

from .. import experiment_samples as samples
from ..workbook.tables import DataTables
from . import _kit as K
from . import experiments_value as order_value

FILE = "campaign_experiments.xlsx"
#: Three experiments, each with its own table: the A/B results are the main one, and a batch
#: may leave the daily bandit results or the uplift test's customers out.
DATA_TABLES = DataTables(main="ABResults",
                         optional=("DailyResults", "Customers", "CampaignOrders", "NewOrders"),
                         features=(("NewOrders", "CampaignOrders",
                                    tuple(order_value.FEATURES)),))
N_DAYS = 10
N_CUSTOMERS = 2000
BINS = 10
TOP = 20
NEXT_DAY_SENDS = 2000
DISCOUNT = 0.9
UPLIFT_COLS = ["Age", "Region", "Orders (12 months)", "Days since last order",
               "Email opens (90 days)", "Complaints"]
# Where the results are anchored (the tests read them back).
AB, AB_AT, SIZE_AT = "AB test", "A12", "N12"
BANDIT, BANDIT_AT = "Bandit", "A12"
UPLIFT, QINI_AT = "Uplift", "A6"
CUSTOMERS, SCORE_AT = "Customers", "K1"
AB_ROWS, BANDIT_ROWS, QINI_ROWS = 12, 10, 30


def build() -> Workbook:
    ab = samples.ab_results()
    days = samples.bandit_days(N_DAYS)
    cust = samples.uplift_customers(N_CUSTOMERS).drop(columns="uplift_truth")
    arms = list(dict.fromkeys(ab["Arm"]))
    subjects = list(dict.fromkeys(days["Subject line"]))

    f_ab = "=AB_TEST(ABResults[[#All],[Arm]:[Conversions]], , 0.95, FALSE, $C$7, $C$8)"
    f_size = "=AB_SAMPLE_SIZE($C$5, $C$6, 0.8, 0.05)"
    f_bandit = "=BANDIT_ALLOCATE(DailyResults[[#All],[Day]:[Opened]], $C$5, $C$6)"
    feats = f"Customers[[#All],[{UPLIFT_COLS[0]}]:[{UPLIFT_COLS[-1]}]]"
    treat, out = "Customers[[#All],[Treatment]]", "Customers[[#All],[Bought]]"
    f_score = f"=UPLIFT_SCORE({feats}, {treat}, {out})"
    f_qini = f"=UPLIFT_QINI({feats}, {treat}, {out}, \"auto\", 0.3, {BINS})"

    wb = K.new_workbook("Campaign experiments")
    K.about_sheet(
        wb, "Campaign experiments",
        "Did the new subject line win the A/B test, and was the test big enough? Where should "
        "tomorrow's newsletter traffic go while a four-way test is still running, and when can "
        "it stop? Whom does a coupon actually persuade, and whom should it leave alone? What is "
        "a campaign's order worth, and what makes it bigger?",
        [
            ("A/B test: replace the ABResults rows (sheet ABData) with your own: one row per arm "
             "and day (or one per arm) with visitors and conversions. Set the planned split, the "
             f"planned size, the baseline rate and the lift worth detecting on the {AB} sheet."),
            (f"Bandit: every day, add the day's rows to the DailyResults table (sheet Daily "
             f"results): day, subject line, sent, opened. The {BANDIT} sheet then says how to "
             "split the next day's sends, and says stop when one subject line has clearly won."),
            ("Uplift: replace the Customers rows with a randomised campaign test: attributes, "
             "Treatment (Coupon/Control) and Bought (Yes/No). Keep the header and the column "
             "order (Age to Complaints go into the model)."),
            order_value.ABOUT_STEP,
            ("Refresh: in Excel with the xlmarketing add-in the formulas recalculate as you type; "
             f"headless, run  xlmarketing refresh {FILE} -o result.xlsx."),
        ],
        [
            (f_ab, "Each arm's rate, the difference and lift vs the control with a 95% interval, "
             "p-value, probability of being best, the verdict, and the split and size checks.",
             f"{AB}!{AB_AT}"),
            (f_size, "Recipients per arm needed for the lift worth detecting.", f"{AB}!{SIZE_AT}"),
            (f_bandit, "Next day's share and sends per subject line (Thompson sampling), the "
             "probability each is best, the expected loss of stopping, and the verdict.",
             f"{BANDIT}!{BANDIT_AT}"),
            (f_qini, "Cross-validated Qini curve, Qini coefficient, uplift in the top 30% and "
             "segment counts.", f"{UPLIFT}!{QINI_AT}"),
            (f_score, "Each customer's uplift, chance of buying without the coupon, and segment.",
             f"{CUSTOMERS}!{SCORE_AT}"),
            ("=LARGE / INDEX / MATCH", "Ordinary Excel formulas: the customers with the highest "
             "uplift (whom to target).", f"{UPLIFT}!G6"),
            *order_value.ABOUT_FORMULAS,
        ],
        [
            (AB, "The A/B verdict, the rates charted, and the sample size the test needed."),
            (BANDIT, "Tomorrow's traffic split, charted, and whether to stop."),
            (UPLIFT, "The Qini chart, the segments and the whom-to-target list."),
            ("ABData", "The A/B test results, one row per arm and day."),
            ("Daily results", "The bandit's results so far, one row per subject line and day."),
            (CUSTOMERS, "The coupon test: one row per customer, with each uplift beside it."),
            *order_value.ABOUT_SHEETS,
        ],
        [("Sample data: generated (xlmarketing.experiment_samples). The A/B variant B converts "
          "about 20% better than A; the four subject lines open at 3%, 4%, 5.5% and 4.5% and the "
          "sample days were themselves sent by Thompson sampling; the coupon persuades customers "
          "with few orders, more in the South and East, and annoys frequent openers who have "
          "complained."),
         ("AB_TEST's p-values compare each arm with the control; with more than two arms the "
          "verdict splits the 5% among the comparisons. A sample ratio mismatch (p < 0.001 "
          "against the planned split) means the assignment is broken: do not trust the test."),
         (f"BANDIT_ALLOCATE discounts results by {DISCOUNT} per day (C6), so a subject line "
          "that wears off loses traffic; set C6 to 1 to count all days alike. Stop when the "
          "expected loss of stopping is under 1% of the leader's rate."),
         ("Uplift figures are cross-validated. Persuadables: uplift above +1 point; Do not "
          "disturb: below -1 point; the rest are Sure things or Lost causes by their chance of "
          "buying without the coupon."),
         ("Order value: generated campaign orders (xlmarketing.experiment_samples.campaign_orders): "
          "more items, the Email channel, a discount code and returning customers raise the "
          "value; mobile orders are smaller. \"auto\" keeps linear regression (readable "
          "coefficients) unless boosting is clearly better in cross-validation.")],
    )

    _ab_sheet(wb, f_ab, f_size, arms)
    _bandit_sheet(wb, f_bandit, subjects)
    _uplift_sheet(wb, f_qini)
    order_value.add_order_value_sheets(wb)

    ds = K.add_sheet(wb, "ABData", tab=K.GREY, one_page=False)
    ds.ws.sheet_view.showGridLines = True
    ds.table(ab, "ABResults", formats={"Date": K.DATE, "Visitors": K.INT, "Conversions": K.INT})
    ds.widths({"A": 12, "B": 13, "C": 10, "D": 12})
    ds.ws.freeze_panes = "A2"

    bs = K.add_sheet(wb, "Daily results", tab=K.GREY, one_page=False)
    bs.ws.sheet_view.showGridLines = True
    bs.table(days, "DailyResults", formats={"Day": K.DATE, "Sent": K.INT, "Opened": K.INT})
    bs.widths({"A": 12, "B": 13, "C": 9, "D": 9})
    bs.ws.freeze_panes = "A2"

    cs = K.add_sheet(wb, CUSTOMERS, tab=K.GREY, one_page=False)
    cs.ws.sheet_view.showGridLines = True
    cs.table(cust, "Customers")
    sc = cs.spill(11, 1, f_score, len(cust) + 1, 3, label="uplift scores",
                  formats=[K.PCT, K.PCT, None])
    assert sc.anchor == SCORE_AT
    cs.widths({"A": 12, "B": 6, "C": 8, "D": 10, "E": 11, "F": 11, "G": 11, "H": 11, "I": 8,
               "J": 3, "K": 10, "L": 13, "M": 15})
    cs.ws.freeze_panes = "B2"
    return wb


def _ab_sheet(wb: Workbook, f_ab: str, f_size: str, arms: list[str]) -> None:
    s = K.add_sheet(wb, AB, tab=K.RED)
    s.title("A/B test: subject line B against A",
            "AB_TEST reads the ABResults table (rows of an arm are added up); AB_SAMPLE_SIZE says "
            "how big the test had to be.")
    s.section(1, 3, "Test plan", "Yellow cells are yours to change.")
    plan = [("Baseline conversion rate", 0.04, K.PCT), ("Lift worth detecting", 0.2, K.PCT),
            ("Planned split", "50/50", None), ("Planned visitors per arm", 6000, K.INT)]
    s.reserve("formulas", 1, 5, 3, 4 + len(plan), "plan")
    for i, (label, value, fmt) in enumerate(plan):
        s.ws.cell(row=5 + i, column=1, value=label)
        c = s.ws.cell(row=5 + i, column=3, value=value)
        c.fill = K.INPUT_FILL
        if fmt:
            c.number_format = fmt
    s.section(1, 10, "Result", "AB_TEST: control A (the first arm); 95% confidence.")
    res = s.spill(1, 12, f_ab, AB_ROWS, 11, label="ab test",
                  formats=[None, K.INT, K.INT, "0.00%", "0.00%", "0.00%", "0.00%", K.PCT, "0.00",
                           "0.0000", K.PCT])
    s.section(14, 10, "Sample size", "AB_SAMPLE_SIZE for the plan above (80% power, 5% "
                                     "significance, two-sided).")
    size = s.spill(14, 12, f_size, 13, 2, label="sample size", formats=[None, "#,##0.####"])
    assert (res.anchor, size.anchor) == (AB_AT, SIZE_AT)
    s.section(5, 3, "Rates by arm", "Ordinary formulas (SUMIF) on the ABResults table.")
    rows = [[a, f'=SUMIF(ABResults[Arm], E{6 + i}, ABResults[Visitors])',
             f'=SUMIF(ABResults[Arm], E{6 + i}, ABResults[Conversions])',
             f"=IF(F{6 + i}>0, G{6 + i}/F{6 + i}, 0)"] for i, a in enumerate(arms)]
    s.formulas(5, 5, ["Arm", "Visitors", "Conversions", "Rate"], rows,
               formats=[None, K.INT, K.INT, "0.00%"], label="rates")
    bar = BarChart()
    bar.style = 10
    bar.add_data(Reference(s.ws, min_col=8, min_row=6, max_row=5 + len(arms)), titles_from_data=False)
    bar.set_categories(Reference(s.ws, min_col=5, min_row=6, max_row=5 + len(arms)))
    bar.legend = None
    bar.y_axis.number_format = "0.0%"
    bar.height, bar.width = 5.5, 9
    K.titles(bar, "Conversion rate by arm")
    s.chart(bar, "J2")
    s.widths({"A": 12, "B": 10, "C": 12, "D": 9, "E": 12, "F": 10, "G": 12, "H": 10, "I": 10,
              "J": 9, "K": 10, "L": 3, "M": 3, "N": 30, "O": 14})
    s.ws.freeze_panes = "A3"


def _bandit_sheet(wb: Workbook, f_bandit: str, subjects: list[str]) -> None:
    s = K.add_sheet(wb, BANDIT, tab=K.BLUE)
    s.title("Newsletter subject lines: tomorrow's split",
            "BANDIT_ALLOCATE reads the DailyResults table; add each day's rows and it updates.")
    s.section(1, 3, "Settings", "Yellow cells are yours to change.")
    s.reserve("formulas", 1, 5, 3, 6, "settings")
    for i, (label, value, fmt) in enumerate([("Sends tomorrow", NEXT_DAY_SENDS, K.INT),
                                             ("Discount per day (1 = none)", DISCOUNT, "0.00")]):
        s.ws.cell(row=5 + i, column=1, value=label)
        c = s.ws.cell(row=5 + i, column=3, value=value)
        c.fill = K.INPUT_FILL
        c.number_format = fmt
    s.kpis(1, 8, [("Days so far", '=COUNT(DailyResults[Day])/' + str(len(subjects)), K.INT),
                  ("Opens so far", "=SUM(DailyResults[Opened])", K.INT)], label="kpis", span=2)
    s.section(1, 10, "Tomorrow", "P(best): the chance each line is the best; Next share: "
                                 "tomorrow's traffic (Thompson sampling).")
    res = s.spill(1, 12, f_bandit, BANDIT_ROWS, 8, label="bandit",
                  formats=[None, K.INT, K.INT, "0.00%", K.PCT, K.PCT, "0.000%", K.INT])
    assert res.anchor == BANDIT_AT
    bar = BarChart()
    bar.type = "bar"
    bar.style = 10
    first, last = res.row + 1, res.row + len(subjects)
    ser = Series(Reference(s.ws, min_col=6, min_row=first, max_row=last), title="Next share")
    ser.graphicalProperties = K.solid("2F5597")
    bar.series.append(ser)
    bar.set_categories(Reference(s.ws, min_col=1, min_row=first, max_row=last))
    bar.x_axis.scaling.orientation = "maxMin"
    bar.legend = None
    bar.height, bar.width = 6, 11
    K.titles(bar, "Tomorrow's share of sends")
    s.chart(bar, "J2")
    s.widths({"A": 16, "B": 10, "C": 11, "D": 9, "E": 9, "F": 11, "G": 12, "H": 12})
    s.ws.freeze_panes = "A3"


def _uplift_sheet(wb: Workbook, f_qini: str) -> None:
    s = K.add_sheet(wb, UPLIFT, tab="70AD47")
    s.title("Whom does the coupon persuade?",
            "UPLIFT_QINI: the cross-validated Qini curve; UPLIFT_SCORE (on the Customers sheet) "
            "scores every customer.")
    s.section(1, 4, "Qini curve and figures", "Extra buyers gained by giving the coupon to the "
                                              "highest-uplift customers first.")
    q = s.spill(1, 6, f_qini, QINI_ROWS, 4, label="qini",
                formats=[K.PCT, K.INT, "0.0", "0.0"])
    assert q.anchor == QINI_AT
    uplift = K.beside(CUSTOMERS, 11, "Customers", "Customer ID")
    segment = K.beside(CUSTOMERS, 13, "Customers", "Customer ID")
    s.section(7, 4, "Whom to target", f"The {TOP} customers with the highest uplift (ordinary "
                                      "formulas: LARGE, INDEX, MATCH).")
    rows = []
    for i in range(TOP):
        r = 7 + i
        rows.append([i + 1, f"=INDEX(Customers[Customer ID], MATCH(I{r}, {uplift}, 0))",
                     f"=LARGE({uplift}, G{r})",
                     f"=INDEX({segment}, MATCH(I{r}, {uplift}, 0))"])
    # columns: G rank, H customer, I uplift, J segment
    s.formulas(7, 6, ["Rank", "Customer", "Uplift", "Segment"], rows,
               formats=["0", None, K.PCT, None], label="targets")
    s.section(12, 4, "Segments", "COUNTIF on the segment column.")
    segs = ["Persuadable", "Sure thing", "Lost cause", "Do not disturb"]
    s.formulas(12, 6, ["Segment", "Customers"],
               [[g, f"=COUNTIF({segment}, L{7 + i})"] for i, g in enumerate(segs)],
               formats=[None, K.INT], label="segments")
    chart = LineChart()
    first, last = q.row + 1, q.row + 1 + BINS
    model = Series(Reference(s.ws, min_col=3, min_row=first, max_row=last), title="Uplift model")
    model.graphicalProperties.line.solidFill = "70AD47"
    model.graphicalProperties.line.width = 28575
    rand = Series(Reference(s.ws, min_col=4, min_row=first, max_row=last), title="Random targeting")
    rand.graphicalProperties.line.solidFill = "7F7F7F"
    rand.graphicalProperties.line.dashStyle = "dash"
    chart.series.extend([model, rand])
    chart.set_categories(Reference(s.ws, min_col=1, min_row=first, max_row=last))
    chart.x_axis.number_format = "0%"
    chart.height, chart.width = 8, 13
    chart.legend.position = "b"
    K.titles(chart, "Qini curve", "Share of customers targeted", "Extra buyers")
    s.chart(chart, "L13")
    s.widths({"A": 30, "B": 11, "C": 12, "D": 12, "E": 3, "F": 3, "G": 6, "H": 11, "I": 9,
              "J": 14, "K": 3, "L": 15, "M": 11})
    s.ws.freeze_panes = "A3"

"""campaign_response.xlsx: who will respond to the next offer, which model to trust, and is it fair?

The propensity family (PROPENSITY_*) on a generated campaign: past customers who got an offer
(Responses, with Responded Yes/No) train the models, the next campaign's list (Prospects) is
scored. Sheets: Campaign (the gains table and chart, the ROC curve, what contacting the top of
the list buys), Models (every candidate compared, the drivers of "auto"'s choice), Fairness (by
gender and by age band), Prospects and Responses (the data, as Excel tables).
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.workbook import Workbook

from .. import samples
from ..workbook.tables import DataTables
from . import _kit as K

FILE = "campaign_response.xlsx"
N_HISTORY = 1500
N_PROSPECTS = 500
BINS = 10
ROC_POINTS = 21
MODEL = "auto"
MODEL_COLS = ["Age", "Region", "Orders (12 months)", "Days since last purchase",
              "Email opens (90 days)", "Coupons redeemed", "Ad impressions", "Offer", "Offer channel"]
#: The data tables `xlmarketing batch` fills: both; Prospects carry the model's columns.
DATA_TABLES = DataTables(main="Prospects", features=(("Prospects", "Responses",
                                                      tuple(MODEL_COLS)),))
# Where the demo and the tests read results back.
CAMPAIGN, LIFT_AT, ROC_AT = "Campaign", "A22", "L22"
MODELS_SHEET, COMPARE_AT, DRIVERS_AT = "Models", "A6", "A19"
FAIRNESS, GENDER_AT, AGE_AT = "Fairness", "A6", "A19"
PROSPECTS, SCORE_AT, REASONS_AT = "Prospects", "N1", "O1"
THRESHOLD = 0.2
REASONS = 2             # columns reserved for PROPENSITY_REASONS
#: The settings (input cells on About) our formulas and the figures read.
SETTINGS = K.Settings([
    K.Setting("model", "Model", MODEL,
              '"auto" (the simplest model within one standard error of the best), or one of the '
              "names on the Models sheet."),
    K.Setting("threshold", "Contact threshold", THRESHOLD,
              "Contact a prospect whose probability is at least this: the model comparison, the "
              "fairness check and the count of prospects to contact use it.", K.PROB),
    K.Setting("top_n", "Reasons per prospect", REASONS,
              f"1 to {REASONS}: the attributes raising each prospect's probability most."),
])


def _n_drivers(frame) -> int:
    import pandas as pd

    return sum(1 if pd.api.types.is_numeric_dtype(frame[c]) else frame[c].nunique()
               for c in MODEL_COLS)


def build() -> Workbook:
    hist = samples.campaign_history(N_HISTORY)
    pros = samples.campaign_prospects(N_PROSPECTS)
    pl = len(pros) + 1
    train = f"Responses[[#All],[{MODEL_COLS[0]}]:[{MODEL_COLS[-1]}]]"
    labels = "Responses[[#All],[Responded]]"
    score = f"Prospects[[#All],[{MODEL_COLS[0]}]:[{MODEL_COLS[-1]}]]"
    gender = "Responses[[#All],[Gender]]"
    band = "Responses[[#All],[Age band]]"
    st = SETTINGS
    m, thr = st["model"], st["threshold"]
    yes = K.quoted("Yes")  # the response to predict; options left out take their defaults
    data = {"train_data": train, "train_labels": labels, "positive": yes}
    f_score = K.call("PROPENSITY_SCORE", **data, score_data=score, model=m)
    f_reasons = K.call("PROPENSITY_REASONS", **data, score_data=score, top_n=st["top_n"], model=m)
    f_lift = K.call("PROPENSITY_LIFT", **data, bins=BINS, folds=5, model=m)
    f_roc = K.call("PROPENSITY_ROC", **data, points=ROC_POINTS, folds=5, model=m)
    f_compare = K.call("PROPENSITY_COMPARE", **data, threshold=thr, folds=5)
    f_drivers = K.call("PROPENSITY_DRIVERS", **data, model=m)
    f_gender = K.call("PROPENSITY_FAIRNESS", **data, group=gender, threshold=thr, folds=5, model=m)
    f_age = K.call("PROPENSITY_FAIRNESS", **data, group=band, threshold=thr, folds=5, model=m)
    wb = K.new_workbook("Campaign response")

    K.about_sheet(
        wb, "Campaign response",
        "Who on the next campaign list is likely to respond, how many responders you reach by "
        "contacting only the top of the list, which model to trust, and whether the model "
        "treats women and men, young and old alike. The models learn from the last campaign "
        "(Responses: who got which offer through which channel, and who responded) and score "
        "the next list (Prospects).",
        [
            ("Responses sheet: replace the rows with your last campaign, one customer per row, "
             "with Responded (Yes/No). Prospects sheet: replace the rows with the next list. "
             "Keep the header rows and the column order (Age to Offer channel go into the model; "
             "Gender and Age band are only used for the fairness check)."),
            ("The formulas read the Responses and Prospects tables by name, so they follow the "
             "tables when you paste more or fewer rows, and so do the summaries on the Campaign "
             "sheet."),
            ("Refresh: in Excel with the xlmarketing add-in the formulas recalculate as you type; "
             "headless, run  xlmarketing refresh campaign_response.xlsx -o result.xlsx."),
            (f'Every formula uses model "{MODEL}": a cross-validated choice among logistic '
             "regression, decision trees, a random forest, gradient boosting, a support vector "
             "machine and a small neural network that keeps the simpler model unless a richer one "
             'wins clearly. Type "logistic", "tree", "forest", "boosting", "svm" or "neural" in '
             "its place to force one."),
        ],
        [
            (f_lift, "Gains by decile: responders per tenth of the list, share captured, lift.",
             f"{CAMPAIGN}!{LIFT_AT}"),
            (f_roc, "ROC curve points (cross-validated) for the chart.", f"{CAMPAIGN}!{ROC_AT}"),
            (f_compare, "Every candidate model: AUC and spread, accuracy, precision, recall, F1, "
             "Brier score, fit time, and auto's pick.", f"{MODELS_SHEET}!{COMPARE_AT}"),
            (f_drivers, "What drives response: importance in AUC points and direction.",
             f"{MODELS_SHEET}!{DRIVERS_AT}"),
            (f_gender, "Fairness by gender: rates, share selected, TPR, FPR, AUC and the largest gaps.",
             f"{FAIRNESS}!{GENDER_AT}"),
            (f_age, "Fairness by age band.", f"{FAIRNESS}!{AGE_AT}"),
            (f_score, "Response probability of every prospect.", f"{PROSPECTS}!{SCORE_AT}"),
            (f_reasons, "The two attributes raising each prospect's probability most.",
             f"{PROSPECTS}!{REASONS_AT}"),
        ],
        [
            (CAMPAIGN, "What contacting the top of the list buys: the gains table, the gains "
                       "chart and the ROC curve."),
            (MODELS_SHEET, "Model choice (every candidate cross-validated) and the drivers."),
            (FAIRNESS, "The fairness check by gender and by age band."),
            (PROSPECTS, "The next campaign's list with each prospect's probability and reasons."),
            ("Responses", "The last campaign: who got which offer, and who responded."),
        ],
        [("Sample data: generated (xlmarketing.samples.campaign_history and campaign_prospects). "
          "Response rises with recent, frequent purchases and email opens; the discount works for "
          "coupon users and SMS for the under-30s (interactions a straight-line model misses); "
          "gender has no effect."),
         ("All quality figures (gains, ROC, comparison, fairness) are cross-validated: each "
          "customer is scored by a model that did not see them."),
         ("Fairness: demographic parity compares the share of each group selected at the "
          "contact threshold (a setting above); equalized odds compares true and false positive rates. Gaps near "
          "0 (ratio near 1) mean the groups are treated alike.")],
        settings=SETTINGS,
    )

    _campaign_sheet(wb, f_lift, f_roc, pl)
    _models_sheet(wb, f_compare, f_drivers, _n_drivers(hist))
    _fairness_sheet(wb, f_gender, f_age, hist)

    ps = K.add_sheet(wb, PROSPECTS, tab=K.BLUE, one_page=False)
    ps.ws.sheet_view.showGridLines = True
    ps.table(pros, "Prospects")
    sc = ps.spill(14, 1, f_score, pl, 1, label="scores", formats=[K.PROB])
    rn = ps.spill(15, 1, f_reasons, pl, 2, label="reasons")
    assert (sc.anchor, rn.anchor) == (SCORE_AT, REASONS_AT)
    ps.widths({"A": 12, "B": 9, "C": 6, "D": 9, "E": 8, "F": 10, "G": 12, "H": 11, "I": 10,
               "J": 10, "K": 15, "L": 12, "M": 3, "N": 12, "O": 32, "P": 32})
    ps.ws.freeze_panes = "B2"

    hs = K.add_sheet(wb, "Responses", tab=K.GREY, one_page=False)
    hs.ws.sheet_view.showGridLines = True
    hs.table(hist, "Responses")
    hs.widths({"A": 12, "B": 9, "C": 6, "D": 9, "E": 8, "F": 10, "G": 12, "H": 11, "I": 10,
               "J": 10, "K": 15, "L": 12, "M": 11})
    hs.ws.freeze_panes = "B2"
    return wb


def _campaign_sheet(wb: Workbook, f_lift: str, f_roc: str, pl: int) -> None:
    cs = K.add_sheet(wb, CAMPAIGN, tab=K.RED)
    cs.title("Campaign response", f"{N_PROSPECTS} prospects scored by a model trained on "
                                  f"{N_HISTORY} customers of the last campaign.")
    lift = cs.spill(1, 22, f_lift, BINS + 1, 9, label="gains",
                    formats=["0", "#,##0", "#,##0", K.PCT, K.PROB, K.PCT, K.PCT, "0.00", "0.00"])
    roc = cs.spill(12, 22, f_roc, ROC_POINTS + 1, 3, label="roc", formats=[K.PCT, K.PCT, K.PROB])
    assert (lift.anchor, roc.anchor) == (LIFT_AT, ROC_AT)
    # The spilled scores beside the Prospects table, as long as the table (follows pasted rows).
    probs = K.beside(PROSPECTS, 14, "Prospects", MODEL_COLS[0])
    cs.section(1, 4, "At a glance", "Ordinary Excel formulas on the gains table and the scores.")
    cs.kpis(1, 6, [
        ("Prospects scored", f"=COUNT({probs})", K.INT),
        ("Expected responders if all are contacted", f"=SUM({probs})", K.INT),
        ("Response rate in the last campaign", f"=SUM({lift.column(2)})/SUM({lift.column(1)})", K.PCT),
        ("Share of responders reached by contacting the top 20%", f"={lift.cell(2, 6)}", K.PCT),
        ("Lift of the top 10% over random contact", f"={lift.cell(1, 7)}", "0.0"),
        (f'="Prospects with a probability of "&FIXED({SETTINGS["threshold"]}*100, 0)&"% or more"',
         f'=COUNTIF({probs}, ">="&{SETTINGS["threshold"]})', K.INT),
    ], label="kpis", span=3)
    cs.section(1, 20, "Gains by decile", "PROPENSITY_LIFT: customers ranked by cross-validated probability.")
    cs.section(12, 20, "ROC curve", "PROPENSITY_ROC: cross-validated.")

    gains = LineChart()
    first, last = lift.row + 1, lift.row + BINS
    # Series read the spills' data rows only (titles given here), so they never include the
    # header label row of a result.
    captured = Series(Reference(cs.ws, min_col=7, min_row=first, max_row=last), title="Model")
    captured.graphicalProperties.line.solidFill = K.RED
    captured.graphicalProperties.line.width = 28575
    random = Series(Reference(cs.ws, min_col=6, min_row=first, max_row=last),
                    title="Random contact")
    random.graphicalProperties.line.solidFill = "7F7F7F"
    random.graphicalProperties.line.dashStyle = "dash"
    gains.series.extend([captured, random])
    gains.set_categories(Reference(cs.ws, min_col=6, min_row=first, max_row=last))
    gains.y_axis.number_format = "0%"
    gains.height, gains.width = 8, 13
    gains.legend.position = "b"
    K.titles(gains, "Gains: share of responders reached", "Share of the list contacted", "Captured")
    cs.chart(gains, "F4")

    curve = ScatterChart()
    curve.style = 13
    xs = Reference(cs.ws, min_col=12, min_row=roc.row + 1, max_row=roc.row + ROC_POINTS)
    ys = Series(Reference(cs.ws, min_col=13, min_row=roc.row + 1, max_row=roc.row + ROC_POINTS), xs,
                title="Model")
    ys.graphicalProperties.line.solidFill = "2E75B6"
    ys.graphicalProperties.line.width = 28575
    ys.marker.symbol = "none"
    diag = Series(Reference(cs.ws, min_col=12, min_row=roc.row + 1, max_row=roc.row + ROC_POINTS), xs,
                  title="Random")
    diag.graphicalProperties.line.solidFill = "7F7F7F"
    diag.graphicalProperties.line.dashStyle = "dash"
    diag.marker.symbol = "none"
    curve.series.extend([ys, diag])
    curve.x_axis.scaling.min = curve.y_axis.scaling.min = 0
    curve.x_axis.scaling.max = curve.y_axis.scaling.max = 1
    curve.x_axis.number_format = curve.y_axis.number_format = "0%"
    curve.height, curve.width = 8, 10
    curve.legend.position = "b"
    K.titles(curve, "ROC curve", "False positive rate", "True positive rate")
    cs.chart(curve, "M4")
    cs.widths({"A": 8, "B": 11, "C": 11, "D": 9, "E": 11, "F": 12, "G": 10, "H": 8, "I": 10,
               "J": 3, "K": 3, "L": 12, "M": 12, "N": 10})
    cs.ws.freeze_panes = "A3"


def _models_sheet(wb: Workbook, f_compare: str, f_drivers: str, n_drivers: int) -> None:
    from ..core.models import CANDIDATES

    ms = K.add_sheet(wb, MODELS_SHEET, tab=K.BLUE)
    ms.title("Which model?", "Every candidate cross-validated on the same folds; auto keeps the "
                             "simplest model within one standard error of the best.")
    ms.section(1, 4, "Model comparison", "PROPENSITY_COMPARE (at the contact threshold set on About).")
    cmp_ = ms.spill(1, 6, f_compare, len(CANDIDATES) + 1, 10, label="compare",
                    formats=[None, "0.000", "0.000", K.PCT, K.PCT, K.PCT, "0.000", "0.000", "0.00", None])
    ms.section(1, 17, "What drives response?", "PROPENSITY_DRIVERS: importance in AUC points "
                                                "(how much worse the model ranks customers without it).")
    drv = ms.spill(1, 19, f_drivers, n_drivers + 1, 5, label="drivers",
                   formats=[None, "0.000", "0.00", None, "0.0"])
    assert (cmp_.anchor, drv.anchor) == (COMPARE_AT, DRIVERS_AT)
    bars = BarChart()
    bars.type = "bar"
    bars.style = 10
    top = min(n_drivers, 10)
    s = Series(Reference(ms.ws, min_col=5, min_row=drv.row + 1, max_row=drv.row + top),
               title="Importance (AUC points)")
    s.graphicalProperties = K.solid("2E75B6")
    bars.series.append(s)
    bars.set_categories(Reference(ms.ws, min_col=1, min_row=drv.row + 1, max_row=drv.row + top))
    bars.x_axis.scaling.orientation = "maxMin"
    bars.x_axis.tickLblPos = "low"
    bars.legend = None
    bars.height, bars.width = 9, 14
    K.titles(bars, "Top drivers (importance, AUC points)")
    ms.chart(bars, "G19")
    ms.widths({"A": 28, "B": 10, "C": 10, "D": 14, "E": 12, "F": 10, "G": 10, "H": 9, "I": 10, "J": 11})
    ms.ws.freeze_panes = "A3"


def _fairness_sheet(wb: Workbook, f_gender: str, f_age: str, hist) -> None:
    fs = K.add_sheet(wb, FAIRNESS, tab="70AD47")
    fs.title("Is the model fair?", f'="Cross-validated rates per group at a threshold of "&'
                                   f'FIXED({SETTINGS["threshold"]}*100, 0)&"%; the largest gaps '
                                   'below each table."')
    n_gender = hist["Gender"].nunique()
    n_band = hist["Age band"].nunique()
    fs.section(1, 4, "By gender", "PROPENSITY_FAIRNESS with the Gender column.")
    g = fs.spill(1, 6, f_gender, n_gender + 6, 8, label="gender",
                 formats=[None, "#,##0", K.PCT, K.PCT, K.PCT, K.PCT, K.PCT, "0.000"])
    # Room below the gender table for as many groups as the age bands have.
    fs.section(1, 17, "By age band", "PROPENSITY_FAIRNESS with the Age band column.")
    a = fs.spill(1, 19, f_age, n_band + 6, 8, label="age band",
                 formats=[None, "#,##0", K.PCT, K.PCT, K.PCT, K.PCT, K.PCT, "0.000"])
    assert (g.anchor, a.anchor) == (GENDER_AT, AGE_AT)
    fs.widths({"A": 30, "B": 10, "C": 11, "D": 12, "E": 11, "F": 12, "G": 12, "H": 9})
    fs.ws.freeze_panes = "A3"

"""Model choice, rules, gains, ROC and fairness for yes/no models, churn-worded and propensity-worded.

CHURN_COMPARE / PROPENSITY_COMPARE   every candidate model cross-validated on the same folds
CHURN_RULES / PROPENSITY_RULES       the decision tree as if-then rules
CHURN_LIFT / PROPENSITY_LIFT         gains and lift by decile (out-of-fold probabilities)
CHURN_ROC / PROPENSITY_ROC           ROC curve points for a chart (out-of-fold probabilities)
CHURN_FAIRNESS / PROPENSITY_FAIRNESS rates per group and the largest gaps between groups

Like every yes/no function they run on the engine of :mod:`.outcome`, registered once per family
(:mod:`.families`), and share its cache: the comparison behind ``model="auto"`` is the one
CHURN_COMPARE shows, and CHURN_METRICS, CHURN_LIFT, CHURN_ROC and CHURN_FAIRNESS with the same
data, folds, seed and model reuse one cross-validation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import cells, notices
from ..cells import Table
from ..core import churn as core
from ..core import fairness as fair
from ..core import lift
from ..core import models as M
from ..core import rules as R
from ..errors import XLMError
from . import Cells
from .families import CHURN, PROPENSITY
from .outcome import (
    BALANCED,
    FOLDS,
    LABELS,
    MODEL,
    POSITIVE,
    REGULARIZATION,
    SEED_MODEL,
    THRESHOLD,
    TRAIN,
    Family,
    comparison,
    cross_validated,
    family_function,
    fit_model,
    label_key,
    training,
)
from .spec import HEADER_ARG, KEEP_IDS, Arg, Int

_RULES_MODEL = Arg('"tree" (default, depth 4), "tree (depth 3)" or "tree (depth 6)".',
                   lambda v, name: "tree" if cells.scalar(v) is None else MODEL.check(v, name))
_CV_ARGS = {"folds": FOLDS, "positive": POSITIVE, "balanced": BALANCED,
            "regularization": REGULARIZATION, "model": MODEL, "seed": SEED_MODEL,
            "header": HEADER_ARG}


@family_function({
    CHURN: ("CHURN_COMPARE",
            "Which churn model to use: every candidate (logistic, trees, forest, boosting, svm, "
            "neural) tested on the same customers it did not see. ROC AUC and its spread, "
            'accuracy, precision, recall, F1, Brier score, fit time, and the one model="auto" '
            "picks."),
    PROPENSITY: ("PROPENSITY_COMPARE",
                 "Which propensity model to use: every candidate tested on customers it did not "
                 "see, with ROC AUC and spread, accuracy, precision, recall, F1, Brier score, fit "
                 'time and the one model="auto" picks.'),
}, args={
    "train_data": TRAIN, "train_labels": LABELS, "threshold": THRESHOLD, "folds": FOLDS,
    "positive": POSITIVE, "balanced": BALANCED, "regularization": REGULARIZATION,
    "seed": SEED_MODEL, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def compare(train_data: Any, train_labels: Any, threshold: float = 0.5, folds: int = 5,
            positive: str | None = None, balanced: bool = False, regularization: float = 1.0,
            seed: int = 0, header: bool | None = None, keep_ids: bool = False, *,
            family: Family) -> Cells:
    """One row per candidate model: CV ROC AUC and spread, threshold metrics, Brier, fit time, auto's pick."""
    comp = comparison(training(train_data, train_labels, positive, balanced, regularization,
                               M.AUTO, seed, header, keep_ids, family=family), folds)[0]
    rows = []
    for name, cv in comp.results.items():  # auto's grid, simplest first
        m = core.threshold_metrics(cv, threshold, family.outcome)
        rows.append([name, m["ROC AUC"], m["ROC AUC (fold std)"], m["Accuracy"],
                     m["Precision"], m["Recall"], m["F1"], core.brier(cv),
                     round(cv.fit_seconds, 3), "auto picks" if name == comp.chosen else ""])
    return cells.to_cells(rows, labels=["Model", "ROC AUC", "ROC AUC (fold std)", "Accuracy",
                                        "Precision", "Recall", "F1", "Brier score",
                                        "Fit seconds", "Auto"])


@family_function({
    CHURN: ("CHURN_RULES",
            "The churn decision tree as if-then rules you can read: one row per group of "
            "customers, with how many customers it covers, their actual churn rate and the "
            "model's probability, riskiest first."),
    PROPENSITY: ("PROPENSITY_RULES",
                 "The response decision tree as readable if-then rules: customers, actual rate "
                 "and probability per rule, most likely first."),
}, args={
    "train_data": TRAIN, "train_labels": LABELS, "positive": POSITIVE, "balanced": BALANCED,
    "model": _RULES_MODEL, "seed": SEED_MODEL, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def rules(train_data: Any, train_labels: Any, positive: str | None = None,
          balanced: bool = False, model: str = "tree", seed: int = 0, header: bool | None = None,
          keep_ids: bool = False, *, family: Family) -> Cells:
    """The decision tree as if-then rules: one row per leaf, highest probability first."""
    fit = fit_model(training(train_data, train_labels, positive, balanced, 1.0, model, seed,
                             header, keep_ids, family=family))
    key = f"rules:{family.prob_label}"
    if key not in fit.memo:
        d = R.rules(fit.model, fit.table.frame, fit.y)
        block = d[["Rule", "Customers", "Share", "Rate", "Probability"]].to_numpy(dtype=object)
        fit.memo[key] = cells.to_cells(block, labels=["Rule", "Customers", "Share of customers",
                                                      "Actual rate", family.prob_label])
    return fit.memo[key]


@family_function({
    CHURN: ("CHURN_LIFT",
            "Gains and lift by decile, to size a campaign: customers ranked by churn probability "
            "(cross-validated), with churners per group, the share of all churners captured so "
            "far and the lift over random contact."),
    PROPENSITY: ("PROPENSITY_LIFT",
                 "Gains and lift by decile for a campaign: contact the top 20% and reach what "
                 "share of responders? Cross-validated."),
}, args={
    "train_data": TRAIN, "train_labels": LABELS,
    "bins": Arg("How many groups of equal size (default 10: deciles).", Int(default=10, lo=2, hi=100)),
    **_CV_ARGS,
    "keep_ids": KEEP_IDS,
})
def lift_table(train_data: Any, train_labels: Any, bins: int = 10, folds: int = 5,
               positive: str | None = None, balanced: bool = False, regularization: float = 1.0,
               model: str = "logistic", seed: int = 0, header: bool | None = None,
               keep_ids: bool = False, *, family: Family) -> Cells:
    """Gains table: customers ranked by out-of-fold probability, in bins (default 10, deciles)."""
    cv, _, _ = cross_validated(training(train_data, train_labels, positive, balanced,
                               regularization, model, seed, header, keep_ids, family=family), folds)
    g = lift.gains(cv.y, cv.oof, bins)
    return cells.to_cells(g.to_numpy(dtype=object), labels=[
        "Group", "Customers", "Positives", "Rate", "Lowest probability", "Cumulative customers",
        "Captured", "Lift", "Cumulative lift"])


@family_function({
    CHURN: ("CHURN_ROC",
            "The ROC curve for a chart: share of churners caught (true positive rate) against "
            "share of loyal customers wrongly flagged (false positive rate), cross-validated, "
            "with the threshold at each point."),
    PROPENSITY: ("PROPENSITY_ROC",
                 "The ROC curve of the propensity model for a chart (cross-validated): true "
                 "positive rate against false positive rate, with the threshold at each point."),
}, args={
    "train_data": TRAIN, "train_labels": LABELS,
    "points": Arg("How many points on the curve (default 21).", Int(default=21, lo=2, hi=1001)),
    **_CV_ARGS,
    "keep_ids": KEEP_IDS,
})
def roc(train_data: Any, train_labels: Any, points: int = 21, folds: int = 5,
        positive: str | None = None, balanced: bool = False, regularization: float = 1.0,
        model: str = "logistic", seed: int = 0, header: bool | None = None,
        keep_ids: bool = False, *, family: Family) -> Cells:
    """ROC curve of the out-of-fold probabilities at evenly spaced false positive rates."""
    cv, _, _ = cross_validated(training(train_data, train_labels, positive, balanced,
                               regularization, model, seed, header, keep_ids, family=family), folds)
    r = lift.roc_points(cv.y, cv.oof, points)
    return cells.to_cells(r.to_numpy(dtype=np.float64), labels=list(r.columns))


# --------------------------------------------------------------------------- fairness


def _group_values(group: Any, table: Table) -> np.ndarray:
    """One group text per training row: a train_data column named by header, or a range."""
    grid = cells.as_grid(group)
    if len(grid) == 1 and len(grid[0]) == 1 and isinstance(grid[0][0], str) and table.header:
        name = grid[0][0].strip()
        folded = {c.casefold(): c for c in table.columns}
        col = folded.get(name.casefold())
        if col is None:
            raise XLMError("#VALUE!", f"group={name!r} is not a column of train_data "
                           f"({', '.join(table.columns[:6])}{', ...' if len(table.columns) > 6 else ''}). "
                           "Give a column name or a range with one group per customer.")
        kept = table.frame[col].tolist()
    else:
        values, _ = cells.read_beside(grid, table, name="group", fix="Select the same rows for "
                                      "both, or give the name of a train_data column.")
        kept = [v for v, keep in zip(values, table.row_mask) if keep]
    # One group per identity (cells.identity): 'North', 'north ' and 'North\u200b' are one.
    texts, merged = cells.merge_spellings([_group_text(v) for v in kept], what="group")
    if merged:
        notices.say(merged)
    return np.array(texts, dtype=object)


def _group_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "(blank)"
    return label_key(v)


_GROUP = Arg('The groups to compare: a column name of train_data (e.g. "Gender") or a range with '
             "one value per customer (gender, age band, region), same rows as train_data.")


@family_function({
    CHURN: ("CHURN_FAIRNESS",
            "Is the churn model fair across groups? Per group: customers, actual rate, mean "
            "probability, share flagged, true and false positive rates and AUC "
            "(cross-validated); then the largest gaps (demographic parity, equalized odds)."),
    PROPENSITY: ("PROPENSITY_FAIRNESS",
                 "Is the propensity model fair across groups (gender, age band, region)? Rates, "
                 "share selected, true and false positive rates and AUC per group, then the "
                 "largest gaps."),
}, args={
    "train_data": TRAIN, "train_labels": LABELS, "group": _GROUP, "threshold": THRESHOLD,
    **_CV_ARGS,
    "keep_ids": KEEP_IDS,
})
def fairness(train_data: Any, train_labels: Any, group: Any, threshold: float = 0.5,
             folds: int = 5, positive: str | None = None, balanced: bool = False,
             regularization: float = 1.0, model: str = "logistic", seed: int = 0,
             header: bool | None = None, keep_ids: bool = False, *, family: Family) -> Cells:
    """Per group (gender, age band, region): rates, selection, TPR, FPR, AUC; then the largest gaps."""
    grid = cells.as_grid(group) if group is not None else [[None]]
    if len(grid) == 1 and len(grid[0]) == 1 and cells.scalar(grid) is None:
        raise XLMError("#VALUE!", "group is missing. Give the name of a train_data column (e.g. "
                       '"Gender") or a range with one group per customer.')
    cv, _, table = cross_validated(training(train_data, train_labels, positive, balanced,
                                   regularization, model, seed, header, keep_ids,
                                   family=family), folds)
    groups = _group_values(group, table)
    f = fair.by_group(cv.y, cv.oof, groups, threshold)
    labels = ["Group", "Rows", "Actual rate", "Mean probability", "Selection rate",
              "True positive rate", "False positive rate", "AUC"]
    rows = f.table.to_numpy(dtype=object).tolist()
    blank = [""] * (len(labels) - 2)
    rows.append([""] * len(labels))
    rows.append(["Largest gap", "Value"] + blank)
    rows += [[name, value] + blank for name, value in f.gaps.items()]
    if f.small:
        rows.append(["Note", f"Groups with fewer than {fair.MIN_GROUP_ROWS} customers are listed "
                     f"but left out of the largest gaps (too few to compare): "
                     f"{', '.join(map(str, f.small))}."] + blank)
    return cells.to_cells(rows, labels=labels)

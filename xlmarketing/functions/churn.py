"""CHURN_PROB, CHURN_METRICS, CHURN_DRIVERS and CHURN_REASONS: churn risk per customer.

Each implementation is registered for both yes/no families (:mod:`.families`): as CHURN_* for
churn and as PROPENSITY_SCORE, PROPENSITY_METRICS, PROPENSITY_DRIVERS and PROPENSITY_REASONS for
any outcome (ad clicks, offer responses, purchases). The family words the outputs and reads the
labels; the engine (:mod:`.outcome`) fits, caches and scores. Every function takes ``model``
("logistic" by default, "tree", "forest", "boosting", "svm", "neural" or "auto").

The fitted model is cached under the raw training cells, the labels as the family read them and
the parsed options only; ``score_data`` is parsed on every call. So the fill-down pattern
``=CHURN_PROB($A$1:$F$5001, $G$1:$G$5001, A2:F2)`` copied down 5,000 rows fits once and each
row costs a hash of the training range plus scoring one row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import cells
from ..cells import CATEGORY
from ..core import churn as core
from . import Cells
from .families import CHURN, PROPENSITY
from .outcome import (
    BALANCED,
    FOLDS,
    LABELS,
    MODEL,
    POSITIVE,
    REGULARIZATION,
    SCORE,
    SEED_MODEL,
    THRESHOLD,
    TRAIN,
    Family,
    Fit,
    Frame,
    blank_range,
    cross_validated,
    family_function,
    fit_model,
    omitted,
    scored,
    training,
)
from .spec import HEADER_ARG, KEEP_IDS, SEED, Arg, Int


@family_function({
    CHURN: ("CHURN_PROB",
            "Probability (0 to 1) that each customer churns, from a model (logistic regression by "
            "default) trained on customers whose outcome you know. Spills one value per row of "
            "score_data."),
    PROPENSITY: ("PROPENSITY_SCORE",
                 "Propensity: the probability (0 to 1) that each customer clicks, responds or buys, "
                 "learned from customers whose outcome you know. Spills one value per row of "
                 "score_data."),
}, args={
    "train_data": TRAIN, "train_labels": LABELS, "score_data": SCORE, "positive": POSITIVE,
    "balanced": BALANCED, "regularization": REGULARIZATION, "model": MODEL, "seed": SEED_MODEL,
    "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def prob(train_data: Any, train_labels: Any, score_data: Any = None, positive: str | None = None,
         balanced: bool = False, regularization: float = 1.0, model: str = "logistic",
         seed: int = 0, header: bool | None = None, keep_ids: bool = False, *,
         family: Family) -> Cells:
    """Probability of the positive outcome for every row of score_data (default: train_data)."""
    fit = fit_model(training(train_data, train_labels, positive, balanced, regularization, model,
                             seed, header, keep_ids, family=family))
    if omitted(score_data):
        key = f"prob:{family.prob_label}"
        if key not in fit.memo:
            p = fit.model.train_proba
            fit.memo[key] = cells.to_cells(p, fit.table, labels=family.prob_label)
        return fit.memo[key]
    got = scored(fit, score_data, header)
    if got is None:
        return [[""] for _ in range(blank_range(score_data)[1])]
    frame, table = got
    return cells.to_cells(fit.model.predict_proba(frame), table, labels=family.prob_label)


@family_function({
    CHURN: ("CHURN_METRICS",
            "How good the churn model is, measured on customers it did not see (cross-validation): "
            "ROC AUC, accuracy, precision, recall, F1, confusion counts and base churn rate."),
    PROPENSITY: ("PROPENSITY_METRICS",
                 "How good the propensity model is on customers it did not see (cross-validation): "
                 "ROC AUC, accuracy, precision, recall, F1, confusion counts and base rate."),
}, args={
    "train_data": TRAIN, "train_labels": LABELS, "threshold": THRESHOLD, "folds": FOLDS,
    "positive": POSITIVE, "balanced": BALANCED, "regularization": REGULARIZATION, "model": MODEL,
    "seed": SEED, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def metrics(train_data: Any, train_labels: Any, threshold: float = 0.5, folds: int = 5,
            positive: str | None = None, balanced: bool = False, regularization: float = 1.0,
            model: str = "logistic", seed: int = 0, header: bool | None = None,
            keep_ids: bool = False, *, family: Family) -> Cells:
    """Cross-validated quality of the model: a Metric / Value table, then a Note row for each
    column left out or read specially."""
    cv, positive_label, table = cross_validated(
        training(train_data, train_labels, positive, balanced, regularization, model, seed, header,
                 keep_ids, family=family), folds)
    rows: list[list[Any]] = [[name, value] for name, value in
                             core.threshold_metrics(cv, threshold, family.outcome).items()]
    rows.append([family.positive_row, positive_label])
    return cells.with_notes(cells.to_cells(rows, labels=["Metric", "Value"]), table.notes)


@family_function({
    CHURN: ("CHURN_DRIVERS",
            "What drives churn: one row per attribute or category, most important first: "
            "importance in AUC points (the same scale for every model), whether it raises or "
            "lowers churn, and for logistic regression its coefficient and odds ratio."),
    PROPENSITY: ("PROPENSITY_DRIVERS",
                 "What drives the response: one row per attribute or category, most important "
                 "first, with importance in AUC points, direction and (logistic) coefficient and "
                 "odds ratio."),
}, args={
    "train_data": TRAIN, "train_labels": LABELS, "positive": POSITIVE, "balanced": BALANCED,
    "regularization": REGULARIZATION, "model": MODEL, "seed": SEED_MODEL, "header": HEADER_ARG,
    "keep_ids": KEEP_IDS,
})
def drivers(train_data: Any, train_labels: Any, positive: str | None = None,
            balanced: bool = False, regularization: float = 1.0, model: str = "logistic",
            seed: int = 0, header: bool | None = None, keep_ids: bool = False, *,
            family: Family) -> Cells:
    """One row per feature or category level, most important first (permutation importance)."""
    fit = fit_model(training(train_data, train_labels, positive, balanced, regularization, model,
                             seed, header, keep_ids, family=family))
    key = f"drivers:{family.name}"  # the directions are in the family's words
    if key not in fit.memo:
        d = core.drivers(fit.model, fit.table.frame, fit.y, seed=seed, outcome=family.outcome)
        fit.memo[key] = cells.with_notes(
            cells.to_cells(d.to_numpy(dtype=object), labels=list(d.columns)), fit.table.notes)
    return fit.memo[key]



def _fmt(v: float) -> str:
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.3g}"


#: A column is a reason only if it raises this customer's log-odds of the outcome by at least this
#: much compared with the average customer (a factor of about 1.05 on the odds).
MIN_PUSH = 0.05


def _reason_texts(fit: Fit, frame: Frame, top_n: int) -> list[list[str]]:
    model = fit.model
    prep = model.prep
    contrib, cols = core.contributions(model, frame)
    floor = MIN_PUSH if model.family == "logistic" else core.push_floor(model)
    transformed = prep.arrays(frame)
    centre = dict(zip(prep.encoder.numeric, prep.encoder.means))
    out: list[list[str]] = []
    order = np.argsort(-contrib, axis=1, kind="stable")
    values = {c: list(frame[c]) for c in cols}
    for i in range(core.n_rows(frame)):
        texts: list[str] = []
        for j in order[i, :top_n]:
            if contrib[i, j] < floor:
                break
            c = cols[j]
            v = values[c][i]
            kind = prep.kinds[c]
            if kind == CATEGORY:
                texts.append(f"{c}: {v if isinstance(v, str) else 'blank'}")
                continue
            if v is None or np.isnan(v):
                texts.append(f"{c} blank")
                continue
            # Above or below the average customer on the model's own scale (log, days ago).
            above = transformed[c][i] > centre[c]
            if kind == core.DATE:
                days = prep.ref_date - float(v)
                texts.append(f"{c} {'long ago' if above else 'recent'} ({_fmt(days)} days)")
            elif kind == core.BOOL:
                texts.append(f"{c} {'TRUE' if v else 'FALSE'}")
            else:
                texts.append(f"{c} {'high' if above else 'low'} ({_fmt(float(v))})")
        out.append(texts + [""] * (top_n - len(texts)))
    return out


@family_function({
    CHURN: ("CHURN_REASONS",
            "Why each customer is at risk: the top_n attributes that push this customer's churn "
            'risk up most, as text (e.g. "Contract: Monthly"). Exact for logistic regression, SHAP '
            "values for the tree models."),
    PROPENSITY: ("PROPENSITY_REASONS",
                 "Why each customer is likely to respond: the top_n attributes pushing this "
                 "customer's probability up most, as text."),
}, args={
    "train_data": TRAIN, "train_labels": LABELS, "score_data": SCORE,
    "top_n": Arg("How many reasons per customer (default 3).", Int(default=3, lo=1, hi=20)),
    "positive": POSITIVE, "balanced": BALANCED, "regularization": REGULARIZATION, "model": MODEL,
    "seed": SEED_MODEL, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def reasons(train_data: Any, train_labels: Any, score_data: Any = None, top_n: int = 3,
            positive: str | None = None, balanced: bool = False, regularization: float = 1.0,
            model: str = "logistic", seed: int = 0, header: bool | None = None,
            keep_ids: bool = False, *, family: Family) -> Cells:
    """Per score row, the top_n columns pushing this customer's probability up most."""
    n = top_n
    fit = fit_model(training(train_data, train_labels, positive, balanced, regularization, model,
                             seed, header, keep_ids, family=family))
    labels = [f"Reason {i + 1}" for i in range(n)]
    if omitted(score_data):
        key = f"reasons:{n}"
        if key not in fit.memo:
            fit.memo[key] = cells.to_cells(_reason_texts(fit, fit.table.frame, n), fit.table,
                                           labels=labels)
        return fit.memo[key]
    got = scored(fit, score_data, header)
    if got is None:
        return [[""] * n for _ in range(blank_range(score_data)[1])]
    frame, table = got
    return cells.to_cells(_reason_texts(fit, frame, n), table, labels=labels)

"""xlwings user-defined functions: the module Excel imports (``xlmarketing.udfs``).

Thin declarative wrappers, one call each into :mod:`xlmarketing.functions`. Every argument is
taken ``"raw"`` and every result returned ``"raw"``: xlwings' default conversion costs tens of
microseconds per cell on the Office.js path, and the cell adapter cleans values anyway.

How a user mistake (:class:`~xlmarketing.errors.XLMError`) shows:

* Windows Excel (COM add-in): the one-line message as the cell's text, e.g.
  ``#NUM! KMEANS_SEGMENT: k=8 needs at least 8 customers, got 5 rows. ...`` (COM would
  otherwise print a traceback into the cell, and a returned "#NUM!" string is only text).
* Office.js (xlwings Server or Lite): the exception is raised, and the add-in shows an error
  cell carrying the message.
* Headless refresh: a real error cell (``#NUM!``) with the message as its comment and in the report.

An unexpected exception (a bug) is logged with its traceback; on COM the cell shows one line
naming it as an internal error rather than a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import xlwings as xw

from . import functions as F
from .errors import XLMError

log = logging.getLogger(__name__)

#: True under xlwings Server (``XLWINGS_ON_SERVER``) and xlwings Lite (Pyodide).
OFFICE_JS = bool(os.environ.get("XLWINGS_ON_SERVER")) or sys.platform == "emscripten"


def _run(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except XLMError as exc:
        if OFFICE_JS:
            raise
        return [[exc.text]]
    except Exception as exc:
        log.exception("xlmarketing: internal error in %s", fn.__name__)
        if OFFICE_JS:
            raise
        name = getattr(fn, "excel_name", fn.__name__)
        return [[f"#VALUE! {name}: internal error ({type(exc).__name__}: {exc}). Please report it."]]


_DATA_DOC = ("Your customer table: one row per customer, one column per attribute (spend, "
             "visits, channel...). A header row is optional and detected.")
_SCALE_DOC = ("TRUE (default) puts every column on the same scale first, so spend in dollars "
              "and visits in units weigh alike. FALSE uses raw units.")
_SEED_DOC = "Random seed (default 0). Same seed, same answer, every time."
_HEADER_DOC = 'Does the first row hold column names? Blank or "auto" detects it; TRUE or FALSE forces it.'


@xw.func(call_in_wizard=False)
@xw.arg("data", "raw", doc=_DATA_DOC)
@xw.arg("k", "raw", doc='How many segments: a whole number such as 4, or "auto" (or 0) to pick the best k from 2 to 10.')
@xw.arg("scale", "raw", doc=_SCALE_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.ret("raw")
def KMEANS_SEGMENT(data, k, scale=None, seed=None, header=None):
    """Groups customers into k segments of similar behaviour (k-means). Spills one segment number per row: 1 is the largest segment."""
    return _run(F.segment.kmeans_segment, data, k, scale, seed, header)


@xw.func(call_in_wizard=False)
@xw.arg("data", "raw", doc=_DATA_DOC)
@xw.arg("k", "raw", doc='Number of segments, as given to KMEANS_SEGMENT (a number or "auto").')
@xw.arg("scale", "raw", doc=_SCALE_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.ret("raw")
def SEGMENT_PROFILE(data, k, scale=None, seed=None, header=None):
    """Describes each segment: customers, share of the base, the average of every number column and the most common value of every text column."""
    return _run(F.segment.segment_profile, data, k, scale, seed, header)


@xw.func(call_in_wizard=False)
@xw.arg("data", "raw", doc=_DATA_DOC)
@xw.arg("k_max", "raw", doc="Largest number of segments to try (default 10).")
@xw.arg("scale", "raw", doc=_SCALE_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.ret("raw")
def SEGMENT_K(data, k_max=None, scale=None, seed=None, header=None):
    """Helps choose the number of segments: silhouette (higher is better) and inertia for k = 2 to k_max, with the recommended k marked."""
    return _run(F.segment.segment_k, data, k_max, scale, seed, header)


@xw.func
@xw.ret("raw")
def XLM_CACHE_INFO():
    """Shows the model cache: entries, hits, misses, evictions, memory and fits per model."""
    return _run(F.cacheinfo.cache_info)


@xw.func
@xw.ret("raw")
def XLM_CACHE_CLEAR():
    """Empties the model cache so the next calculation refits every model."""
    return _run(F.cacheinfo.cache_clear)


# ---------------------------------------------------------------- churn (CHURN_*)

_TRAIN_DOC = ("Customers whose outcome you know: one row per customer, one column per attribute "
              "(tenure, spend, contract, last purchase date...). A header row is optional and detected.")
_LABELS_DOC = ("The outcome of each training customer, same rows as train_data: Yes/No, 1/0, "
               "TRUE/FALSE, churned/active... A header cell on top is fine.")
_SCORE_DOC = ("Customers to score, with the same columns as train_data (matched by header name, "
              "else by position). Blank: score train_data itself. One row works for fill-down.")
_POSITIVE_DOC = 'Which label value means "churned", e.g. "Lost". Blank: recognised from Yes, 1, TRUE, churned, lost, cancelled...'
_BALANCED_DOC = "TRUE weights churned and retained customers equally (useful when churn is rare). Default FALSE."
_REG_DOC = "Regularisation strength for logistic regression (default 1). Larger values shrink the model towards the average churn rate. Other models ignore it."
_MODEL_DOC = ('Which model: "logistic" (default, regression), "tree" (a shallow decision tree you '
              'can read), "forest" (random forest), "boosting" (gradient boosting) or "auto" '
              "(cross-validated choice that keeps the simpler model unless a richer one wins clearly).")


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("score_data", "raw", doc=_SCORE_DOC)
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.ret("raw")
def CHURN_PROB(train_data, train_labels, score_data=None, positive=None, balanced=None,
               regularization=None, header=None, model=None, seed=None):
    """Probability (0 to 1) that each customer churns, from a model (logistic regression by default) trained on customers whose outcome you know. Spills one value per row of score_data."""
    return _run(F.churn.churn_prob, train_data, train_labels, score_data, positive, balanced,
                regularization, header, model, seed)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("threshold", "raw", doc="Probability from which a customer counts as predicted to churn (default 0.5).")
@xw.arg("folds", "raw", doc="Number of cross-validation folds (default 5).")
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.ret("raw")
def CHURN_METRICS(train_data, train_labels, threshold=None, folds=None, positive=None,
                  balanced=None, regularization=None, seed=None, header=None, model=None):
    """How good the churn model is, measured on customers it did not see (cross-validation): ROC AUC, accuracy, precision, recall, F1, confusion counts and base churn rate."""
    return _run(F.churn.churn_metrics, train_data, train_labels, threshold, folds, positive,
                balanced, regularization, seed, header, model)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.ret("raw")
def CHURN_DRIVERS(train_data, train_labels, positive=None, balanced=None, regularization=None,
                  header=None, model=None, seed=None):
    """What drives churn: one row per attribute or category, most important first: importance in AUC points (the same scale for every model), whether it raises or lowers churn, and for logistic regression its coefficient and odds ratio."""
    return _run(F.churn.churn_drivers, train_data, train_labels, positive, balanced,
                regularization, header, model, seed)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("score_data", "raw", doc=_SCORE_DOC)
@xw.arg("top_n", "raw", doc="How many reasons per customer (default 3).")
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.ret("raw")
def CHURN_REASONS(train_data, train_labels, score_data=None, top_n=None, positive=None,
                  balanced=None, regularization=None, header=None, model=None, seed=None):
    """Why each customer is at risk: the top_n attributes that push this customer's churn risk up most, as text (e.g. "Contract: Monthly"). Exact for logistic regression, SHAP values for the tree models."""
    return _run(F.churn.churn_reasons, train_data, train_labels, score_data, top_n, positive,
                balanced, regularization, header, model, seed)



# ---------------------------------------------------------------- forecast (SALES_FORECAST, FORECAST_*)

_SALES_DOC = ("Sales history, oldest first: one column of sales, or two columns (dates, then "
              "sales) for daily, weekly, monthly or quarterly data. Missing periods are filled "
              "in. A header row is optional.")
_KNOWN_DOC = ("Optional drivers over the history, one row per sales row: price, promotion "
              "(1/0), advertising...")
_SEASON_DOC = ('Season length: blank or "auto" detects it (12 for months, 4 for quarters, 52 '
               "for weeks); 1 means no seasonality.")


@xw.func(call_in_wizard=False)
@xw.arg("sales", "raw", doc=_SALES_DOC)
@xw.arg("horizon", "raw", doc="How many periods ahead to forecast, e.g. 12.")
@xw.arg("known_drivers", "raw", doc=_KNOWN_DOC)
@xw.arg("future_drivers", "raw", doc="The planned driver values for each forecast period: one row per period, same columns as known_drivers.")
@xw.arg("season_length", "raw", doc=_SEASON_DOC)
@xw.arg("interval", "raw", doc="Optional coverage of a prediction interval, e.g. 0.95, to add Lower and Upper columns.")
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.ret("raw")
def SALES_FORECAST(sales, horizon, known_drivers=None, future_drivers=None, season_length=None,
                   interval=None, header=None):
    """Forecasts the next periods of sales with trend, seasonality and optional drivers (price, promotion). Spills Period (with dates), Forecast and, with interval, Lower and Upper."""
    return _run(F.forecast.sales_forecast, sales, horizon, known_drivers, future_drivers,
                season_length, interval, header)


@xw.func(call_in_wizard=False)
@xw.arg("sales", "raw", doc=_SALES_DOC)
@xw.arg("horizon", "raw", doc="Periods ahead to test (default: one season, e.g. 12 for months).")
@xw.arg("season_length", "raw", doc=_SEASON_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.ret("raw")
def FORECAST_ACCURACY(sales, horizon=None, season_length=None, header=None):
    """How far to trust SALES_FORECAST: a backtest on your own history (MAE, RMSE, MAPE, sMAPE, MASE) next to the seasonal naive forecast (same period last year)."""
    return _run(F.forecast.forecast_accuracy, sales, horizon, season_length, header)


@xw.func(call_in_wizard=False)
@xw.arg("sales", "raw", doc=_SALES_DOC)
@xw.arg("known_drivers", "raw", doc="The drivers over the history, one row per sales row: price, promotion (1/0), advertising...")
@xw.arg("season_length", "raw", doc=_SEASON_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.ret("raw")
def FORECAST_DRIVERS(sales, known_drivers, season_length=None, header=None):
    """The effect of each driver on sales, allowing for trend and season: coefficient, elasticity (e.g. -1.5: +1% price, -1.5% sales), % effect per unit, standard error and p-value."""
    return _run(F.forecast.forecast_drivers, sales, known_drivers, season_length, header)


# ---------------------------------------------------------------- model choice and explanations (CHURN_*)

_THRESHOLD_DOC = "Probability from which a customer counts as predicted positive (default 0.5)."
_FOLDS_DOC = "Number of cross-validation folds (default 5)."


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("threshold", "raw", doc=_THRESHOLD_DOC)
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.ret("raw")
def CHURN_COMPARE(train_data, train_labels, threshold=None, folds=None, positive=None,
                  balanced=None, regularization=None, seed=None, header=None):
    """Which churn model to use: every candidate (logistic, trees, forest, boosting) tested on the same customers it did not see. ROC AUC and its spread, accuracy, precision, recall, F1, Brier score, fit time, and the one model="auto" picks."""
    return _run(F.models.churn_compare, train_data, train_labels, threshold, folds, positive,
                balanced, regularization, seed, header)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc='"tree" (default, depth 4), "tree (depth 3)" or "tree (depth 6)".')
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.ret("raw")
def CHURN_RULES(train_data, train_labels, positive=None, balanced=None, header=None, model=None,
                seed=None):
    """The churn decision tree as if-then rules you can read: one row per group of customers, with how many customers it covers, their actual churn rate and the model's probability, riskiest first."""
    return _run(F.models.churn_rules, train_data, train_labels, positive, balanced, header, model,
                seed)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("bins", "raw", doc="How many groups of equal size (default 10: deciles).")
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.ret("raw")
def CHURN_LIFT(train_data, train_labels, bins=None, folds=None, positive=None, balanced=None,
               regularization=None, seed=None, header=None, model=None):
    """Gains and lift by decile, to size a campaign: customers ranked by churn probability (cross-validated), with churners per group, the share of all churners captured so far and the lift over random contact."""
    return _run(F.models.churn_lift, train_data, train_labels, bins, folds, positive, balanced,
                regularization, seed, header, model)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("points", "raw", doc="How many points on the curve (default 21).")
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.ret("raw")
def CHURN_ROC(train_data, train_labels, points=None, folds=None, positive=None, balanced=None,
              regularization=None, seed=None, header=None, model=None):
    """The ROC curve for a chart: share of churners caught (true positive rate) against share of loyal customers wrongly flagged (false positive rate), cross-validated, with the threshold at each point."""
    return _run(F.models.churn_roc, train_data, train_labels, points, folds, positive, balanced,
                regularization, seed, header, model)


_GROUP_DOC = ('The groups to compare: a column name of train_data (e.g. "Gender") or a range '
              "with one value per customer (gender, age band, region), same rows as train_data.")


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_LABELS_DOC)
@xw.arg("group", "raw", doc=_GROUP_DOC)
@xw.arg("threshold", "raw", doc=_THRESHOLD_DOC)
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.ret("raw")
def CHURN_FAIRNESS(train_data, train_labels, group, threshold=None, folds=None, positive=None,
                   balanced=None, regularization=None, seed=None, header=None, model=None):
    """Is the churn model fair across groups? Per group: customers, actual rate, mean probability, share flagged, true and false positive rates and AUC (cross-validated); then the largest gaps (demographic parity, equalized odds)."""
    return _run(F.models.churn_fairness, train_data, train_labels, group, threshold, folds,
                positive, balanced, regularization, seed, header, model)


# ---------------------------------------------------------------- any yes/no outcome (PROPENSITY_*)
# The same engine, cache and outputs as CHURN_*, worded for ad clicks, offer responses, purchases.

_P_TRAIN_DOC = ("Customers whose outcome you know (clicked, responded, bought...): one row per "
                "customer, one column per attribute. A header row is optional and detected.")
_P_LABELS_DOC = ("The outcome of each training customer, same rows as train_data: Yes/No, 1/0, "
                 "TRUE/FALSE... A header cell on top is fine.")
_P_POSITIVE_DOC = ('Which outcome value is the one to predict, e.g. "Clicked". Blank: recognised '
                   "from Yes, 1, TRUE.")


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("score_data", "raw", doc=_SCORE_DOC)
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.ret("raw")
def PROPENSITY_SCORE(train_data, train_labels, score_data=None, positive=None, balanced=None,
                     regularization=None, header=None, model=None, seed=None):
    """Propensity: the probability (0 to 1) that each customer clicks, responds or buys, learned from customers whose outcome you know. Spills one value per row of score_data."""
    return _run(F.REGISTRY["PROPENSITY_SCORE"], train_data, train_labels, score_data, positive,
                balanced, regularization, header, model, seed)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("threshold", "raw", doc=_THRESHOLD_DOC)
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.ret("raw")
def PROPENSITY_METRICS(train_data, train_labels, threshold=None, folds=None, positive=None,
                       balanced=None, regularization=None, seed=None, header=None, model=None):
    """How good the propensity model is on customers it did not see (cross-validation): ROC AUC, accuracy, precision, recall, F1, confusion counts and base rate."""
    return _run(F.REGISTRY["PROPENSITY_METRICS"], train_data, train_labels, threshold, folds,
                positive, balanced, regularization, seed, header, model)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.ret("raw")
def PROPENSITY_DRIVERS(train_data, train_labels, positive=None, balanced=None,
                       regularization=None, header=None, model=None, seed=None):
    """What drives the response: one row per attribute or category, most important first, with importance in AUC points, direction and (logistic) coefficient and odds ratio."""
    return _run(F.REGISTRY["PROPENSITY_DRIVERS"], train_data, train_labels, positive, balanced,
                regularization, header, model, seed)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("score_data", "raw", doc=_SCORE_DOC)
@xw.arg("top_n", "raw", doc="How many reasons per customer (default 3).")
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.ret("raw")
def PROPENSITY_REASONS(train_data, train_labels, score_data=None, top_n=None, positive=None,
                       balanced=None, regularization=None, header=None, model=None, seed=None):
    """Why each customer is likely to respond: the top_n attributes pushing this customer's probability up most, as text."""
    return _run(F.REGISTRY["PROPENSITY_REASONS"], train_data, train_labels, score_data, top_n,
                positive, balanced, regularization, header, model, seed)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("threshold", "raw", doc=_THRESHOLD_DOC)
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.ret("raw")
def PROPENSITY_COMPARE(train_data, train_labels, threshold=None, folds=None, positive=None,
                       balanced=None, regularization=None, seed=None, header=None):
    """Which propensity model to use: every candidate tested on customers it did not see, with ROC AUC and spread, accuracy, precision, recall, F1, Brier score, fit time and the one model="auto" picks."""
    return _run(F.REGISTRY["PROPENSITY_COMPARE"], train_data, train_labels, threshold, folds,
                positive, balanced, regularization, seed, header)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc='"tree" (default, depth 4), "tree (depth 3)" or "tree (depth 6)".')
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.ret("raw")
def PROPENSITY_RULES(train_data, train_labels, positive=None, balanced=None, header=None,
                     model=None, seed=None):
    """The response decision tree as readable if-then rules: customers, actual rate and probability per rule, most likely first."""
    return _run(F.REGISTRY["PROPENSITY_RULES"], train_data, train_labels, positive, balanced,
                header, model, seed)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("bins", "raw", doc="How many groups of equal size (default 10: deciles).")
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.ret("raw")
def PROPENSITY_LIFT(train_data, train_labels, bins=None, folds=None, positive=None,
                    balanced=None, regularization=None, seed=None, header=None, model=None):
    """Gains and lift by decile for a campaign: contact the top 20% and reach what share of responders? Cross-validated."""
    return _run(F.REGISTRY["PROPENSITY_LIFT"], train_data, train_labels, bins, folds, positive,
                balanced, regularization, seed, header, model)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("points", "raw", doc="How many points on the curve (default 21).")
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.ret("raw")
def PROPENSITY_ROC(train_data, train_labels, points=None, folds=None, positive=None,
                   balanced=None, regularization=None, seed=None, header=None, model=None):
    """The ROC curve of the propensity model for a chart (cross-validated): true positive rate against false positive rate, with the threshold at each point."""
    return _run(F.REGISTRY["PROPENSITY_ROC"], train_data, train_labels, points, folds, positive,
                balanced, regularization, seed, header, model)


@xw.func(call_in_wizard=False)
@xw.arg("train_data", "raw", doc=_P_TRAIN_DOC)
@xw.arg("train_labels", "raw", doc=_P_LABELS_DOC)
@xw.arg("group", "raw", doc=_GROUP_DOC)
@xw.arg("threshold", "raw", doc=_THRESHOLD_DOC)
@xw.arg("folds", "raw", doc=_FOLDS_DOC)
@xw.arg("positive", "raw", doc=_P_POSITIVE_DOC)
@xw.arg("balanced", "raw", doc=_BALANCED_DOC)
@xw.arg("regularization", "raw", doc=_REG_DOC)
@xw.arg("seed", "raw", doc=_SEED_DOC)
@xw.arg("header", "raw", doc=_HEADER_DOC)
@xw.arg("model", "raw", doc=_MODEL_DOC)
@xw.ret("raw")
def PROPENSITY_FAIRNESS(train_data, train_labels, group, threshold=None, folds=None,
                        positive=None, balanced=None, regularization=None, seed=None,
                        header=None, model=None):
    """Is the propensity model fair across groups (gender, age band, region)? Rates, share selected, true and false positive rates and AUC per group, then the largest gaps."""
    return _run(F.REGISTRY["PROPENSITY_FAIRNESS"], train_data, train_labels, group, threshold,
                folds, positive, balanced, regularization, seed, header, model)

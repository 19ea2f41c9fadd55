"""xlwings user-defined functions: the module Excel imports (``xlmarketing.udfs``).

Thin declarative wrappers, one line each: :func:`udf` builds the xlwings function from the
specification registered in :mod:`xlmarketing.functions` (argument names and order, optional
flags, the function wizard's texts, ``call_in_wizard=False`` for fitting functions), so a
signature is written once. Every argument is taken ``"raw"`` and every result returned
``"raw"``: xlwings' default conversion costs tens of microseconds per cell on the Office.js
path, and the cell adapter cleans values anyway.

The module exposes only the UDFs (``__all__``) so an import tool picks up nothing else.

How a user mistake (:class:`~xlmarketing.errors.XLMError`) shows:

* Windows Excel (COM add-in): the one-line message as the cell's text, e.g.
  ``#NUM! KMEANS_SEGMENT: k=8 needs at least 8 customers, got 5 rows. ...`` (COM would
  otherwise print a traceback into the cell, and a returned "#NUM!" string is only text).
* Office.js (xlwings Server or Lite): an ``xlwings.XlwingsError`` carrying the line is raised.
  xlwings Server answers it with HTTP 400 and the line as the body, and the add-in shows a
  ``#VALUE!`` error cell whose message (hover the error flag) is the line. Any other exception
  would be an HTTP 500, which the add-in retries three times and then shows only as "An error
  occurred.", so nothing else is ever raised there.
* Headless refresh: a real error cell (``#NUM!``) with the message as its comment and in the report.

An unexpected exception (a bug) is logged with its traceback; on COM the cell shows one line
naming it as an internal error rather than a traceback.
"""

from __future__ import annotations

import inspect as _inspect
import logging as _logging
import os as _os
import sys as _sys
from collections.abc import Callable as _Callable
from typing import Any as _Any

import xlwings as _xw

from .cells import without_jsnull as _without_jsnull
from .errors import XLMError as _XLMError
from .functions import REGISTRY as _REGISTRY
from .parsing import call_culture as _call_culture

_log = _logging.getLogger(__name__)

#: True under xlwings Lite (Pyodide).
_LITE = _sys.platform == "emscripten"
#: True under xlwings Server (``XLWINGS_ON_SERVER``) and xlwings Lite (Pyodide).
_OFFICE_JS = bool(_os.environ.get("XLWINGS_ON_SERVER")) or _LITE


def _run(fn: _Callable[..., _Any], *args: _Any) -> _Any:
    if _LITE:   # Pyodide >= 0.28 hands empty cells of raw range arguments as jsnull
        args = _without_jsnull(args)
    try:
        with _call_culture():   # the Office.js request's culture (Lite, Server)
            return fn(*args)
    except _XLMError as exc:
        text = exc.text
    except Exception as exc:
        _log.exception("xlmarketing: internal error in %s", fn.__name__)
        name = getattr(fn, "excel_name", fn.__name__)
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        text = f"#VALUE! {name}: internal error ({detail}). Please report it."
    if _OFFICE_JS:
        raise _xw.XlwingsError(text)
    return [[text]]


def udf(name: str) -> _Callable[..., _Any]:
    """The xlwings UDF for the registered sheet function ``name``, built from its specification."""
    fn = _REGISTRY[name]
    spec = fn.spec

    def call(*args: _Any) -> _Any:
        return _run(fn, *args)

    P = _inspect.Parameter
    call.__signature__ = _inspect.Signature([  # type: ignore[attr-defined]
        P(p, P.POSITIONAL_OR_KEYWORD, default=P.empty if p in spec.required else None)
        for p in spec.params])
    call.__name__ = call.__qualname__ = name
    call.__doc__ = spec.summary
    call.__module__ = __name__
    call = _xw.ret("raw")(call)
    for p in reversed(spec.params):
        call = _xw.arg(p, "raw", doc=spec.args[p].doc)(call)
    return _xw.func(call_in_wizard=not spec.fits)(call)


# ---------------------------------------------------------------- segmentation
KMEANS_SEGMENT = udf("KMEANS_SEGMENT")
SEGMENT_PROFILE = udf("SEGMENT_PROFILE")
SEGMENT_K = udf("SEGMENT_K")

# ---------------------------------------------------------------- churn
CHURN_PROB = udf("CHURN_PROB")
CHURN_METRICS = udf("CHURN_METRICS")
CHURN_DRIVERS = udf("CHURN_DRIVERS")
CHURN_REASONS = udf("CHURN_REASONS")

# ---------------------------------------------------------------- model choice and explanations
CHURN_COMPARE = udf("CHURN_COMPARE")
CHURN_RULES = udf("CHURN_RULES")
CHURN_LIFT = udf("CHURN_LIFT")
CHURN_ROC = udf("CHURN_ROC")
CHURN_FAIRNESS = udf("CHURN_FAIRNESS")

# ---------------------------------------------------------------- any yes/no outcome (PROPENSITY_*)
# The same engine, cache and outputs as CHURN_*, worded for ad clicks, offer responses, purchases.
PROPENSITY_SCORE = udf("PROPENSITY_SCORE")
PROPENSITY_METRICS = udf("PROPENSITY_METRICS")
PROPENSITY_DRIVERS = udf("PROPENSITY_DRIVERS")
PROPENSITY_REASONS = udf("PROPENSITY_REASONS")
PROPENSITY_COMPARE = udf("PROPENSITY_COMPARE")
PROPENSITY_RULES = udf("PROPENSITY_RULES")
PROPENSITY_LIFT = udf("PROPENSITY_LIFT")
PROPENSITY_ROC = udf("PROPENSITY_ROC")
PROPENSITY_FAIRNESS = udf("PROPENSITY_FAIRNESS")

# ---------------------------------------------------------------- forecast
SALES_FORECAST = udf("SALES_FORECAST")
FORECAST_ACCURACY = udf("FORECAST_ACCURACY")
FORECAST_DRIVERS = udf("FORECAST_DRIVERS")
FORECAST_OUTLIERS = udf("FORECAST_OUTLIERS")

# ---------------------------------------------------------------- customers (RFM, customer value)
RFM_SEGMENT = udf("RFM_SEGMENT")
CUSTOMER_VALUE = udf("CUSTOMER_VALUE")

# ---------------------------------------------------------------- customer texts
TEXT_CLASSIFY = udf("TEXT_CLASSIFY")
TEXT_CLASSIFY_METRICS = udf("TEXT_CLASSIFY_METRICS")
TEXT_KEYWORDS = udf("TEXT_KEYWORDS")
TEXT_TOPICS = udf("TEXT_TOPICS")
TEXT_TOPIC = udf("TEXT_TOPIC")
SENTIMENT = udf("SENTIMENT")

# ---------------------------------------------------------------- recommendations and baskets
RECOMMEND = udf("RECOMMEND")
SIMILAR_ITEMS = udf("SIMILAR_ITEMS")
BASKET_RULES = udf("BASKET_RULES")

# ---------------------------------------------------------------- the model cache
XLM_CACHE_INFO = udf("XLM_CACHE_INFO")
XLM_CACHE_CLEAR = udf("XLM_CACHE_CLEAR")

__all__ = sorted(n for n in _REGISTRY if n in globals())

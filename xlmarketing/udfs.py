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
        return [[f"#VALUE! {getattr(fn, 'excel_name', fn.__name__)}: internal error "
                  f"({type(exc).__name__}: {exc}). Please report it."]]


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


# ---------------------------------------------------------------- forecast (SALES_FORECAST, FORECAST_*)

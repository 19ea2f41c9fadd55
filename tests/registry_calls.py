"""One small, valid call of every registered function, argument by argument (by name).

Shared by the tests that walk the whole registry (tests/test_nested_blanks.py,
tests/test_cache_keys.py). Values are chosen by argument *name*, so a function added with the
house names (``train_data``, ``seed``, ``header``...) is covered without an edit here; a
function with an argument named otherwise fails :func:`call_of` with a message saying which.

``BLOCKS`` are the ranges, each a 2-D list with its header row; ``VALUES`` the parameters;
``OTHER`` other valid values for the parameters (for "changed one at a time").
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from tests.test_text import corpus

_N = 40


def _customers() -> list[list[Any]]:
    rows = [["Spend", "Visits", "Plan"]]
    for i in range(_N):
        rows.append([round(20 + (i * 37 % 53) * 3.5, 2), (i * 7) % 11 + 1,
                     ["basic", "plus", "pro"][i % 3]])
    return rows


def _labels() -> list[list[Any]]:
    return [["Churned"]] + [["Yes" if (i * 37 % 53) < 22 or i % 5 == 0 else "No"]
                            for i in range(_N)]


def _sales() -> list[list[Any]]:
    return [["Sales"]] + [[round(100 + 2 * t + 15 * math.sin(2 * math.pi * t / 12)
                                 + (t * 7 % 5), 2)] for t in range(36)]


def _drivers(n: int = 36) -> list[list[Any]]:
    return [["Promo"]] + [[float((t * t * 13 + 5 * t) % 9 > 5)] for t in range(n)]


def _orders() -> list[list[Any]]:
    rows = [["Customer", "Date", "Amount"]]
    start = dt.datetime(2024, 1, 1)
    for i in range(60):
        rows.append([f"C{i % 12:02d}", start + dt.timedelta(days=(i * 17) % 300),
                     round(10 + (i * 13) % 40, 2)])
    return rows


def _purchases() -> list[list[Any]]:
    rows = [["Customer", "Item"]]
    items = ["tea", "cups", "kettle", "coffee", "filter", "mug"]
    for c in range(15):
        for j in range(3):
            rows.append([f"K{c:02d}", items[(c + j * (1 + c % 2)) % 6]])
    return rows


_text, _text_labels = corpus()

#: Ranges by argument name.
BLOCKS: dict[str, list[list[Any]]] = {
    "train_data": _customers(), "data": _customers(), "train_labels": _labels(),
    "group": [["Region"]] + [["north" if i % 2 else "south"] for i in range(_N)],
    "score_data": [r for r in _customers()[:3]],
    "sales": _sales(), "known_drivers": _drivers(), "future_drivers": _drivers(3)[1:],
    "orders": _orders(), "purchases": _purchases(), "transactions": _purchases(),
    "customers": [["Customer"], ["K01"], ["K02"]], "item": [["tea"]],
}
_TEXT_BLOCKS = {"train_text": _text, "text": _text, "score_text": [["Review"], ["Love it, great"]],
                "labels": _text_labels, "train_labels": _text_labels}

#: Parameters by argument name (None: blank, the default).
VALUES: dict[str, Any] = {
    "k": 3, "k_max": 4, "scale": None, "seed": 0, "header": None, "keep_ids": None,
    "positive": "Yes", "balanced": None, "regularization": None, "model": None,
    "threshold": None, "folds": 3, "top_n": 2, "bins": 4, "points": 5,
    "horizon": 3, "season_length": None, "interval": None, "horizon_months": 6,
    "reference_date": None, "n": 2, "n_words": 3, "min_support": 0.05, "min_confidence": None,
    "max_len": None,
}

#: Other valid values of each parameter.
OTHER: dict[str, list[Any]] = {
    "k": [2], "k_max": [3], "scale": [True, False], "seed": [1], "header": [True],
    "keep_ids": [True], "positive": ["No"], "balanced": [True], "regularization": [0.05],
    "model": ["tree"], "threshold": [0.3], "folds": [4], "top_n": [1], "bins": [5],
    "points": [3], "horizon": [4], "season_length": [6], "interval": [0.5],
    "horizon_months": [12], "reference_date": [dt.datetime(2025, 1, 1)], "n": [1],
    "n_words": [2], "min_support": [0.1], "min_confidence": [0.6], "max_len": [2],
}


def _uplift() -> dict[str, list[list[Any]]]:
    from xlmarketing import experiment_samples

    d = experiment_samples.uplift_customers(300, seed=5)
    feats = ["Age", "Orders (12 months)", "Email opens (90 days)"]
    return {"data": [feats] + d[feats].to_numpy().tolist(),
            "treatment": [["Treatment"]] + [[v] for v in d["Treatment"]],
            "outcome": [["Bought"]] + [[v] for v in d["Bought"]]}


def _media() -> dict[str, list[list[Any]]]:
    from xlmarketing import samples_media

    frame, _ = samples_media.media_mix(weeks=80, seed=3)
    channels = [c for c in frame.columns if c not in ("Week", "Sales", "Price", "Promotion")][:2]
    return {"kpi": [["Sales"]] + [[float(v)] for v in frame["Sales"]],
            "spend": [channels] + frame[channels].astype(float).to_numpy().tolist(),
            "controls": [["Price"]] + [[float(v)] for v in frame["Price"]],
            "bounds": [["Channel", "Lowest", "Highest"]] + [[c, 0.0, None] for c in channels]}


#: Where a function's argument means something other than the house name says (an A/B test's
#: ``data`` is one row per arm, not customers): its own sample ranges and values.
PER_FUNCTION: dict[str, dict[str, Any]] = {
    "AB_TEST": {"data": [["Arm", "Visitors", "Conversions"], ["A", 500, 40], ["B", 500, 55]],
                "control": None},
    "BANDIT_ALLOCATE": {"data": [["Arm", "Trials", "Successes"], ["A", 1000, 30],
                                 ["B", 1000, 45], ["C", 1000, 38]]},
    "SUBSCRIPTION_RETENTION": {"survivors": [["Active"], [1000], [869], [743], [653], [593],
                                             [551], [517], [491]]},
    "UPLIFT_SCORE": _uplift(),
    "UPLIFT_QINI": _uplift(),
}
VALUES.update({"confidence": None, "correct": None, "planned_split": None, "planned_size": None,
               "baseline": 0.05, "lift": 0.2, "power": None, "significance": None,
               "sides": None, "size": None, "lift_type": None, "traffic": None,
               "discount": None, "top": None, "margin": None})
OTHER.update({"baseline": [0.1], "confidence": [0.9], "correct": [True], "planned_size": [5000], "lift": [0.3],
              "power": [0.9], "significance": [0.01], "sides": [1], "size": [2000],
              "lift_type": ["absolute"], "traffic": [1000], "top": [0.2], "margin": [0.3]})
BLOCKS["train_values"] = [["Order value"]] + [[round(30 + 2.5 * r[0] / 10 + 4 * r[1], 2)]
                                              for r in _customers()[1:]]
BLOCKS.update(_media())
VALUES.update({"season": None, "curve": None, "holdout": None, "budget": 5000, "periods": None,
               "max_spend": None})
OTHER.update({"season": [0], "curve": ["logistic"], "holdout": [8], "budget": [8000],
              "periods": [4], "max_spend": [3000]})
BLOCKS["survivors"] = PER_FUNCTION["SUBSCRIPTION_RETENTION"]["survivors"]


def is_range(fn: Any, arg: str) -> bool:
    return fn.spec.args[arg].check is None


def call_of(name: str, fn: Any) -> dict[str, Any]:
    """Keyword arguments of one valid call of the registered function ``fn``."""
    text = name.startswith("TEXT_") or name == "SENTIMENT"
    out: dict[str, Any] = {}
    own = PER_FUNCTION.get(name, {})
    for arg in fn.spec.params:
        if arg in own:
            out[arg] = own[arg]
        elif is_range(fn, arg):
            blocks = {**BLOCKS, **_TEXT_BLOCKS} if text else {**_TEXT_BLOCKS, **BLOCKS}
            if arg not in blocks:
                raise KeyError(f"{name}: no sample range for argument {arg!r} in tests/registry_calls.py")
            out[arg] = blocks[arg]
        else:
            if arg not in VALUES:
                raise KeyError(f"{name}: no sample value for argument {arg!r} in tests/registry_calls.py")
            out[arg] = VALUES[arg]
    return out


#: Functions with nothing to walk (no arguments; they show or clear the cache itself).
SKIP = {"XLM_CACHE_INFO", "XLM_CACHE_CLEAR"}

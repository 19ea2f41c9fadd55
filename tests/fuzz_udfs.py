"""Property-based fuzzing of every public UDF through xlwings' Office.js entry point.

Every function registered in ``xlmarketing.udfs`` is called through
``xlwings.server.custom_functions_call`` with hypothesis-generated ranges (numbers, text,
blanks, booleans, serial dates, Excel error values and Office.js error entities, NaN and
infinities, huge and tiny numbers, ragged rows, single cells, long and wide ranges) and option
values. Each call must, within a time bound, either return a rectangular, JSON-safe 2-D result
with no NaN and no traceback text, or raise XLMError with a one-line message starting with an
Excel error code. Anything else is a failure.

    python tests/fuzz_udfs.py --cases 10000            # every function, 10,000 cases each
    python tests/fuzz_udfs.py --cases 200 --only KMEANS_SEGMENT

The test suite runs a small number of cases per function (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package (valid calls)
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import xlwings as xw  # noqa: E402
import hypothesis  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from xlmarketing import udfs  # noqa: E402
from tests.registry_calls import SKIP  # noqa: E402
from xlmarketing.cells import to_serial  # noqa: E402
from xlmarketing.errors import EXCEL_ERRORS  # noqa: E402

TIME_BOUND = 20.0  # seconds per call; fits here are on at most a few thousand cells

ERROR_ENTITY = st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NUM!"]).map(
    lambda code: {"type": "Error", "basicValue": code, "errorType": "x"})
NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(min_value=-10**6, max_value=10**6),
    st.sampled_from([0.0, 1e308, -1e308, 5e-324, 1e-300, 45000.0]),
)
TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["web", "store", "Yes", "No", "TRUE", "churned", "1,250", "15%", "$40", "#N/A",
                     "=1+1", "@SUM(A1)", "  ", "Spend", "Date", "Month"]),
)
CELL = st.one_of(
    NUMBER, NUMBER, NUMBER,  # numbers most often, as in real data
    TEXT, st.none(), st.just(""), st.booleans(), ERROR_ENTITY,
    st.integers(min_value=36000, max_value=47000),  # serial dates
)


@st.composite
def grids(draw, max_rows=40, max_cols=6):
    shape = draw(st.sampled_from(["small", "small", "small", "single", "long", "wide", "ragged"]))
    if shape == "single":
        return [[draw(CELL)]]
    if shape == "long":
        n_rows, n_cols = draw(st.integers(200, 1500)), draw(st.integers(1, 3))
        base = draw(st.lists(NUMBER, min_size=n_cols, max_size=n_cols))
        noise = draw(st.integers(0, 2**31))
        rows = [[(b if isinstance(b, (int, float)) else 0) + ((i * 7919 + j * 104729 + noise) % 97)
                 for j, b in enumerate(base)] for i in range(n_rows)]
        if draw(st.booleans()):
            rows[draw(st.integers(0, n_rows - 1))][0] = draw(CELL)
        return rows
    if shape == "wide":
        n_rows, n_cols = draw(st.integers(2, 8)), draw(st.integers(30, 120))
    else:
        n_rows, n_cols = draw(st.integers(1, max_rows)), draw(st.integers(1, max_cols))
    if draw(st.booleans()):
        # Plausible data (numbers, a text category, a 0/1 column) with a few odd cells planted.
        seed = draw(st.integers(0, 10**6))
        rows = [[round(((i * 37 + j * 11 + seed) % 101) * (10 ** (j % 3)) / 7, 2) if j % 4 != 3
                 else ["web", "store", "app"][(i + seed) % 3] for j in range(n_cols)]
                for i in range(n_rows)]
        for _ in range(draw(st.integers(0, 3))):
            rows[draw(st.integers(0, n_rows - 1))][draw(st.integers(0, n_cols - 1))] = draw(CELL)
    else:
        rows = [draw(st.lists(CELL, min_size=n_cols, max_size=n_cols)) for _ in range(n_rows)]
    if draw(st.booleans()):
        rows.insert(0, [f"col{j}" for j in range(n_cols)])  # a header row
    if shape == "ragged":
        rows = [r[: draw(st.integers(1, len(r)))] for r in rows]
    return rows


SCALAR = st.one_of(CELL, st.integers(-3, 15), st.sampled_from(["auto", 0.95, 0.8, 1, 2, 3, 4, 12]))
RANGE_PARAMS = {"data", "train_data", "score_data", "sales", "known_drivers", "future_drivers",
                "train_labels", "group"}
TEXT_PARAMS = {"text", "train_text", "score_text", "labels"}

WORDS = ["great", "love", "awful", "broke", "order", "ship", "refund", "quality", "price", "the",
         "<b>bold</b>", "https://x.example/a?b=1", "很好", "质量", "😀", "a" * 300, "\n", "=1+1"]


PLAUSIBLE = {
    "k": st.sampled_from([2, 3, 4, "auto", 0]), "k_max": st.sampled_from([2, 4, 6]),
    "horizon": st.integers(1, 24), "season_length": st.sampled_from([1, 4, 12]),
    "interval": st.sampled_from([0.8, 0.9, 0.95]), "folds": st.sampled_from([2, 3, 5]),
    "threshold": st.sampled_from([0.3, 0.5, 0.7]), "top_n": st.integers(1, 4),
    "scale": st.sampled_from([None, True, False]), "seed": st.integers(0, 5),
    "header": st.sampled_from([None, True, False, "auto"]), "balanced": st.sampled_from([None, True, False]),
    "regularization": st.sampled_from([None, 0.1, 1.0, 10.0]), "positive": st.sampled_from([None, 1, "Yes"]),
    # The model-choice functions (CHURN_COMPARE, CHURN_RULES, CHURN_LIFT, ... and PROPENSITY_*).
    "model": st.sampled_from([None, "logistic", "tree", "forest", "boosting", "auto", "tree (depth 3)"]),
    "bins": st.sampled_from([None, 2, 5, 10]), "points": st.sampled_from([None, 2, 11]),
    "n": st.integers(1, 5), "n_words": st.integers(1, 8),
}


# RECOMMEND, SIMILAR_ITEMS, BASKET_RULES (issue 16): purchase lists and their options.
RANGE_PARAMS |= {"purchases", "transactions", "customers"}
SHOP_ITEMS = ["bread", "milk", "jam", "tea", 7, 8.0]
PLAUSIBLE.update({
    "n": st.integers(1, 4), "min_support": st.sampled_from([0.05, 0.1, 0.3, 1]),
    "min_confidence": st.sampled_from([0.1, 0.5, 1]), "max_len": st.sampled_from([2, 3]),
    "item": st.sampled_from(SHOP_ITEMS + ["butter"]),
    "customers": st.sampled_from([None, "c1", "c2", 3]),
})


@st.composite
def purchases(draw):
    """(customer, item[, quantity]) rows, sometimes with a header, blanks or odd cells."""
    n = draw(st.integers(1, 60))
    rows = [[draw(st.sampled_from(["c1", "c2", "c3", 3, 4.0])), draw(st.sampled_from(SHOP_ITEMS))]
            for _ in range(n)]
    if draw(st.booleans()):
        rows = [r + [draw(st.sampled_from([1, 2, 0, -1, None]))] for r in rows]
    for _ in range(draw(st.integers(0, 2))):
        rows[draw(st.integers(0, n - 1))][draw(st.integers(0, 1))] = draw(CELL)
    if draw(st.booleans()):
        rows.insert(0, ["Customer", "Item", "Qty"][:len(rows[0])])
    return rows


@st.composite
def series(draw):
    """A sales history: one column of numbers (sometimes with a header, blanks or odd cells)."""
    n = draw(st.integers(3, 80))
    level, trend, amp = draw(st.floats(1, 1e5)), draw(st.floats(-50, 50)), draw(st.floats(0, 0.5))
    rows = [[round(level + trend * i + level * amp * ((i % 12) - 5.5) / 6, 2)] for i in range(n)]
    for _ in range(draw(st.integers(0, 2))):
        rows[draw(st.integers(0, n - 1))] = [draw(CELL)]
    if draw(st.booleans()):
        rows.insert(0, ["Sales"])
    return rows


@st.composite
def order_lists(draw):
    """An order list (customer, serial date, amount) for RFM_SEGMENT and CUSTOMER_VALUE, with a
    few odd cells planted now and then."""
    n_customers, n = draw(st.integers(1, 40)), draw(st.integers(1, 300))
    seed = draw(st.integers(0, 10**6))
    rows = [[f"C{(i * 31 + seed) % n_customers}", 45000 + (i * 7 + seed) % 700,
             round(((i * 13 + seed) % 97) * 1.7, 2)] for i in range(n)]
    for _ in range(draw(st.integers(0, 2))):
        rows[draw(st.integers(0, n - 1))][draw(st.integers(0, 2))] = draw(CELL)
    if draw(st.booleans()):
        rows.insert(0, ["Customer", "Date", "Amount"])
    return rows


PLAUSIBLE_ORDERS = {"horizon_months": st.sampled_from([None, 3, 12, 24]),
                    "reference_date": st.sampled_from([None, 46000, "2026-01-31"])}


@st.composite
def texts(draw):
    """A column of customer texts: words (HTML, links, Chinese, emoji), numbers, blanks, errors."""
    n = draw(st.integers(1, 60))
    rows = [[" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12)))]
            for _ in range(n)]
    for _ in range(draw(st.integers(0, 3))):
        rows[draw(st.integers(0, n - 1))] = [draw(CELL)]
    if draw(st.booleans()):
        rows.insert(0, ["Review"])
    return rows


def arg_strategy(name: str, plausible: bool):
    if name in ("purchases", "transactions") and plausible:
        return purchases()
    if name == "orders":
        return order_lists() if plausible else st.one_of(order_lists(), grids())
    if name in PLAUSIBLE_ORDERS and plausible:
        return PLAUSIBLE_ORDERS[name].map(lambda v: [[v]])
    if name in TEXT_PARAMS:
        return texts() if plausible or name != "labels" else grids()
    if name == "sales" and plausible:
        return series()
    if name in ("known_drivers", "future_drivers", "score_data") and plausible:
        return st.just([[None]])  # the optional ranges left out: the plain call
    if name in RANGE_PARAMS:
        return grids()
    if plausible:
        return PLAUSIBLE[name].map(lambda v: [[v]]) if name in PLAUSIBLE else st.just([[None]])
    return st.one_of(SCALAR.map(lambda v: [[v]]), st.just([[None]]))


@st.composite
def labels_for(draw, data):
    """A label column as long as ``data`` (header row included), mostly two valid classes."""
    n = len(data)
    pair = draw(st.sampled_from([(1, 0), ("Yes", "No"), (True, False), ("churned", "active")]))
    labels = [[pair[(i * 7 + draw(st.integers(0, 1))) % 2]] for i in range(n)]
    if n and isinstance(data[0][0], str) and draw(st.booleans()):
        labels[0] = ["Churned"]
    if n and draw(st.integers(0, 5)) == 0:
        labels[draw(st.integers(0, n - 1))] = [draw(CELL)]  # one odd label
    return labels


def args_strategy(params: list[str], func_name: str | None = None):
    """A third of the cases change the registry's valid call a little (:func:`near_valid`); of
    the rest, half give every option a sensible value, so the fitting paths get fuzzed too; then
    a labels range, if any, matches its training range row for row."""
    if not params:
        return st.just(())
    if func_name is not None and func_name not in SKIP:
        return st.one_of(near_valid(func_name, params), args_strategy(params))
    sensible = st.tuples(*[arg_strategy(p, True) for p in params])
    if "train_data" in params and "train_labels" in params:
        i, j = params.index("train_data"), params.index("train_labels")
        sensible = sensible.flatmap(lambda args: labels_for(args[i]).map(
            lambda lab: tuple(lab if k == j else a for k, a in enumerate(args))))
    if "train_data" in params and "group" in params:
        # CHURN_FAIRNESS: a group column as long as the training range (two-valued, like labels).
        i, g = params.index("train_data"), params.index("group")
        sensible = sensible.flatmap(lambda args: labels_for(args[i]).map(
            lambda grp: tuple(grp if k == g else a for k, a in enumerate(args))))
    for t, y in (("train_text", "train_labels"), ("text", "labels")):
        if t in params and y in params:  # categories for the texts, row for row
            i, j = params.index(t), params.index(y)
            sensible = sensible.flatmap(lambda args, i=i, j=j: st.lists(
                st.sampled_from(["praise", "complaint", "question", 1, None]),
                min_size=len(args[i]), max_size=len(args[i])).map(
                lambda lab: tuple([[v] for v in lab] if k == j else a for k, a in enumerate(args))))
    return st.one_of(sensible, st.tuples(*[arg_strategy(p, False) for p in params]))


def _office_js(v: Any) -> Any:
    """A value as Office.js sends it: dates as serial numbers (days since 1899-12-30)."""
    if isinstance(v, list):
        return [_office_js(x) for x in v]
    if isinstance(v, (dt.date, dt.datetime)):
        return to_serial(v)
    return v


@st.composite
def near_valid(draw, func_name: str, params: list[str]):
    """The registry's valid call of the function (tests/registry_calls.py), changed a little:
    as it is, a few odd cells planted in its ranges, a range cut short, or one option odd. So
    the fitting and reporting paths of every function get fuzzed, a new one on day one."""
    from tests.registry_calls import call_of, is_range
    from xlmarketing.functions import REGISTRY

    fn = REGISTRY[func_name]
    kwargs = _office_js(call_of(func_name, fn))
    args = [copy.deepcopy(v) if isinstance(v, list) else [[v]] for v in
            (kwargs[p] for p in params)]
    ranges = [i for i, p in enumerate(params) if is_range(fn, p) and len(args[i]) > 1]
    options = [i for i, p in enumerate(params) if not is_range(fn, p)]
    change = draw(st.sampled_from(["none", "cells", "cells", "cut", "option"]))
    if change == "cells" and ranges:
        for _ in range(draw(st.integers(1, 3))):
            r = args[draw(st.sampled_from(ranges))]
            row = draw(st.integers(0, len(r) - 1))
            r[row][draw(st.integers(0, len(r[row]) - 1))] = draw(CELL)
    elif change == "cut" and ranges:
        r = args[draw(st.sampled_from(ranges))]
        del r[draw(st.integers(1, len(r) - 1)):]
    elif change == "option" and options:
        args[draw(st.sampled_from(options))] = [[draw(SCALAR)]]
    return tuple(args)


def public_udfs() -> dict[str, dict]:
    return {name: fn.__xlfunc__ for name, fn in vars(udfs).items() if hasattr(fn, "__xlfunc__")}


def call(func_name: str, args: list) -> tuple[str, object]:
    payload = {
        "func_name": func_name, "args": args, "version": xw.__version__, "client": "Office.js",
        "caller_address": "Sheet1!Z1", "formula_name": func_name, "culture_info_name": "en-US",
        "date_format": "m/d/yyyy", "runtime": "1.4",
    }
    t0 = time.perf_counter()
    try:
        value = asyncio.run(xw.server.custom_functions_call(payload, udfs))
        outcome = ("value", value)
    except xw.XlwingsError as exc:
        # How udfs hands our one-line errors to xlwings Server on Office.js (HTTP 400 with the
        # line); a bug arrives the same way but says "internal error", which check() refuses.
        outcome = ("XLMError", str(exc))
    except Exception as exc:  # classified below
        outcome = (type(exc).__name__, str(exc))
    elapsed = time.perf_counter() - t0
    check(func_name, args, outcome, elapsed)
    return outcome


def check(func_name: str, args: list, outcome: tuple[str, object], elapsed: float) -> None:
    kind, value = outcome
    where = f"{func_name}({json.dumps(args, default=str)[:400]})"
    assert elapsed < TIME_BOUND, f"{where} took {elapsed:.1f} s"
    if kind == "XLMError":
        msg = str(value)
        assert "\n" not in msg and "Traceback" not in msg, f"{where}: multi-line error {msg!r}"
        assert msg.split(" ", 1)[0] in EXCEL_ERRORS, f"{where}: error without a code: {msg!r}"
        assert "internal error" not in msg, f"{where}: a bug: {msg!r}"
        return
    assert kind == "value", f"{where} raised {kind}: {value}"
    assert isinstance(value, list) and value and all(isinstance(r, list) for r in value), \
        f"{where}: not a 2-D list: {value!r:.200}"
    assert len({len(r) for r in value}) == 1, f"{where}: ragged result"
    text = json.dumps(value, allow_nan=False)  # raises on NaN or infinity
    assert "Traceback" not in text, f"{where}: traceback text in a cell"


def _fuzzer(func_name: str, params: list[str], counts: dict, cases: int, seed: int | None):
    @settings(max_examples=cases, deadline=None, database=None, derandomize=seed is None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(args=args_strategy(params, func_name))
    def fuzz(args):
        kind, _ = call(func_name, list(args))
        counts[kind] = counts.get(kind, 0) + 1

    return fuzz if seed is None else hypothesis.seed(seed)(fuzz)


def run(cases: int, only: list[str] | None = None, seed: int | None = None) -> dict[str, dict]:
    stats: dict[str, dict] = {}
    for func_name, info in sorted(public_udfs().items()):
        if only and func_name not in only:
            continue
        params = [a["name"] for a in info["args"]]
        counts = {"value": 0, "XLMError": 0}

        t0 = time.perf_counter()
        _fuzzer(func_name, params, counts, cases, seed)()
        counts["seconds"] = round(time.perf_counter() - t0, 1)
        stats[func_name] = counts
        print(f"{func_name}: {counts}", flush=True)
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description="Fuzz every public UDF through the Office.js call path.")
    ap.add_argument("--cases", type=int, default=10000, help="cases per function (default 10000)")
    ap.add_argument("--only", nargs="*", help="function names to fuzz (default: all)")
    ap.add_argument("--json", action="store_true", help="print the counts as JSON at the end")
    ap.add_argument("--seed", type=int, help="explore other cases (default: the fixed ones CI runs)")
    args = ap.parse_args()
    stats = run(args.cases, args.only, args.seed)
    if args.json:
        print(json.dumps(stats))


if __name__ == "__main__":
    sys.exit(main())

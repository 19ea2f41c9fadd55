"""Cache keys come from the spec: no argument can be left out of one (issue 25, item 2).

For every registered function, each argument changed on its own to another valid value (a
parameter to another value of tests/registry_calls.OTHER, a range with one cell changed): the
answer with the cache warm from the unchanged call must equal the answer computed cold, and
when the answer changes, the cache keys the call used change too unless the argument is
applied after the cached work. Hypothesis draws the (function, argument, value) cases; the
budget is small by default, ``XLM_KEYS_EXAMPLES=500`` runs longer.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.registry_calls import OTHER, SKIP, call_of, is_range
from xlmarketing.cache import CACHE
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

#: Arguments applied to a cached fit rather than shaping it (scoring rows, output sizes).
AFTER_THE_FIT = {"score_data", "score_text", "top_n", "threshold", "bins", "points", "group",
                 "n", "n_words", "customers", "item", "horizon_months", "interval",
                 "future_drivers", "discount", "margin",
                 # by function, where the same name shapes the fit elsewhere
                 ("AB_TEST", "planned_split"), ("AB_TEST", "planned_size"),
                 ("BANDIT_ALLOCATE", "traffic"), ("SUBSCRIPTION_RETENTION", "horizon"),
                 ("MMM_RESPONSE", "max_spend"), ("BUDGET_OPTIMIZE", "budget"),
                 ("BUDGET_OPTIMIZE", "bounds"), ("BUDGET_OPTIMIZE", "periods"),
                 ("MMM_FIT", "holdout"), ("MMM_FIT", "seed"), ("UPLIFT_QINI", "top")}
EXAMPLES = int(os.environ.get("XLM_KEYS_EXAMPLES", "25"))


def _changed_range(block: list[list[Any]]) -> list[list[Any]] | None:
    """The block with one data cell changed (a number, else a text), or None."""
    if block == [["tea"]]:  # SIMILAR_ITEMS' item: another item of the shop
        return [["cups"]]
    out = copy.deepcopy(block)
    for row in out[1:]:
        for j, v in enumerate(row):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                row[j] = v + 7
                return out
    for row in out[1:]:
        for j, v in enumerate(row):
            if isinstance(v, str):
                row[j] = v + " extra"
                return out
    return None


def _cases() -> list[tuple[str, str, Any]]:
    out = []
    for name, fn in sorted(REGISTRY.items()):
        if name in SKIP:
            continue
        base = call_of(name, fn)
        for arg in fn.spec.params:
            if is_range(fn, arg):
                if base[arg] is not None and (other := _changed_range(base[arg])) is not None:
                    out.append((name, arg, other))
            else:
                out += [(name, arg, v) for v in OTHER.get(arg, [])]
    return out


CASES = _cases()


def _run(fn: Any, kwargs: dict[str, Any], keys: list[str]) -> Any:
    real = CACHE.get_or_fit

    def recording(kind: str, key: str, fit: Any) -> Any:
        keys.append(f"{kind}:{key}")
        return real(kind, key, fit)

    CACHE.get_or_fit = recording  # type: ignore[method-assign]
    try:
        return fn(**kwargs)
    except XLMError as exc:
        return exc.text
    finally:
        del CACHE.get_or_fit


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _without_timings(result: Any) -> Any:
    """Run time columns ("Fit seconds") differ between any two fits: not part of the answer."""
    if isinstance(result, list) and result and isinstance(result[0], list):
        drop = {j for j, h in enumerate(result[0]) if "second" in str(h).lower()}
        if drop:
            return [[v for j, v in enumerate(r) if j not in drop] for r in result]
    return result


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CASES))
def test_a_changed_argument_never_gets_the_cached_answer_of_another(case):
    name, arg, value = case
    fn = REGISTRY[name]
    base = call_of(name, fn)
    changed = {**base, arg: value}
    CACHE.clear()
    base_keys: list[str] = []
    before = _without_timings(_run(fn, base, base_keys))
    warm_keys: list[str] = []
    warm = _without_timings(_run(fn, changed, warm_keys))   # the cache holds the base fit
    CACHE.clear()
    cold = _without_timings(_run(fn, changed, []))
    assert _same(warm, cold), f"{name}: {arg}={value!r} got a cached answer for other settings"
    if not _same(before, cold) and base_keys and sorted(base_keys) == sorted(warm_keys):
        # The same keys with a different answer: only an argument applied after the cached
        # work (read from the fitted model) may do that.
        assert arg in AFTER_THE_FIT or (name, arg) in AFTER_THE_FIT, \
            f"{name}: {arg} changes the answer but not the cache key"


def test_every_argument_of_every_function_is_walked():
    walked = {(n, a) for n, a, _ in CASES}
    missing = [(n, a) for n, fn in REGISTRY.items() if n not in SKIP for a in fn.spec.params
               if (n, a) not in walked and call_of(n, fn)[a] is not None]
    assert not missing, missing


@pytest.mark.parametrize("name", ["KMEANS_SEGMENT", "CHURN_PROB", "SALES_FORECAST"])
def test_an_option_left_at_its_default_shares_the_key_and_a_changed_one_does_not(name):
    fn = REGISTRY[name]
    base = call_of(name, fn)
    option = next(a for a in fn.spec.params if a == "seed" or a == "header")
    k1: list[str] = []
    k2: list[str] = []
    k3: list[str] = []
    _run(fn, base, k1)
    _run(fn, {**base, option: fn.spec.args[option].check(None, option)}, k2)  # its default
    _run(fn, {**base, option: OTHER[option][0]}, k3)
    # The family's reading of the labels ("outcome") depends on neither seed nor header's
    # default: it is shared; the fit itself must not be.
    fits = [{k for k in keys if not k.startswith("outcome:")} for keys in (k1, k2, k3)]
    assert fits[0] and set(k1) == set(k2) and not fits[0] & fits[2]

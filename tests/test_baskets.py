"""BASKET_RULES: known answers, equality with mlxtend, formats, cache and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from xlmarketing.cache import CACHE
from xlmarketing.core import baskets as core
from xlmarketing.core.errors import LimitExceeded
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

RULES = REGISTRY["BASKET_RULES"]
LABELS = ["Antecedent", "Consequent", "Support", "Confidence", "Lift", "Baskets"]

# Four baskets: bread+butter twice, bread+butter+jam once, milk alone once.
TILL = [["Basket", "Item"],
        ["r1", "bread"], ["r1", "butter"], ["r2", "bread"], ["r2", "butter"],
        ["r3", "bread"], ["r3", "butter"], ["r3", "jam"], ["r4", "milk"]]


pytestmark = pytest.mark.usefixtures("fresh_cache")


def test_known_answers_on_hand_made_baskets():
    out = RULES(TILL, 0.25, 0.5, 3)
    assert out[0] == LABELS
    got = {(r[0], r[1]): r[2:] for r in out[1:]}
    # support(bread, butter) = 3/4; confidence 1; lift 1 / (3/4).
    assert got[("bread", "butter")] == [0.75, 1.0, round(4 / 3, 6), 3]
    # jam -> bread, butter: support 1/4, confidence 1, lift 1 / (3/4).
    assert got[("jam", "bread, butter")] == [0.25, 1.0, round(4 / 3, 6), 1]
    # bread -> jam: confidence 1/3 < 0.5, left out; so is anything with milk (no pair).
    assert ("bread", "jam") not in got and not any("milk" in a + c for a, c in got)
    # Strongest first: lift descending.
    # bread, butter -> jam: confidence 1/3, left out. Order: lift, confidence, support, then names.
    lift = round(4 / 3, 6)
    assert out[1:] == [
        ["bread", "butter", 0.75, 1.0, lift, 3], ["butter", "bread", 0.75, 1.0, lift, 3],
        ["bread, jam", "butter", 0.25, 1.0, lift, 1], ["butter, jam", "bread", 0.25, 1.0, lift, 1],
        ["jam", "bread", 0.25, 1.0, lift, 1], ["jam", "bread, butter", 0.25, 1.0, lift, 1],
        ["jam", "butter", 0.25, 1.0, lift, 1]]


def _mlxtend(x: np.ndarray, min_support, min_confidence, max_len):
    from mlxtend.frequent_patterns import apriori, association_rules

    df = pd.DataFrame(x.astype(bool), columns=[f"i{j:02d}" for j in range(x.shape[1])])
    fi = apriori(df, min_support=min_support, use_colnames=True, max_len=max_len)
    if fi.empty:
        return {}
    ar = association_rules(fi, num_itemsets=len(fi), metric="confidence",
                           min_threshold=min_confidence)
    return {(", ".join(sorted(a)), ", ".join(sorted(c))): (s, cf, lf)
            for a, c, s, cf, lf in zip(ar.antecedents, ar.consequents, ar.support,
                                       ar.confidence, ar.lift)}


def _random_baskets(seed: int, n: int = 400, m: int = 14) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random((n, m)) < rng.uniform(0.05, 0.5, m)
    x[:, 1] |= x[:, 0] & (rng.random(n) < 0.7)
    x[:, 2] |= x[:, 0] & x[:, 1] & (rng.random(n) < 0.6)
    return x


@pytest.mark.parametrize("seed,min_support,min_confidence,max_len", [
    (0, 0.05, 0.3, 3), (1, 0.1, 0.5, 2), (2, 0.02, 0.1, 4), (3, 0.3, 0.8, 3)])
def test_figures_equal_mlxtend(seed, min_support, min_confidence, max_len):
    x = _random_baskets(seed)
    theirs = _mlxtend(x, min_support, min_confidence, max_len)
    matrix = [[f"i{j:02d}" for j in range(x.shape[1])]] + x.astype(int).tolist()
    out = RULES(matrix, min_support, min_confidence, max_len)
    ours = {(r[0], r[1]): tuple(r[2:5]) for r in out[1:] if r[1] != ""}
    assert ours.keys() == theirs.keys()
    for k, v in theirs.items():
        np.testing.assert_allclose(ours[k], v, atol=1e-6)
    # The core's unrounded figures agree to machine precision.
    r = core.rules(sp.csc_matrix(x.astype(float)),
                   core.RuleOptions(min_support, min_confidence, max_len))
    names = [f"i{j:02d}" for j in range(x.shape[1])]
    for a, c, s, cf, lf in zip(r.antecedents, r.consequents, r.support, r.confidence, r.lift):
        key = (", ".join(names[i] for i in a), ", ".join(names[i] for i in c))
        np.testing.assert_allclose((s, cf, lf), theirs[key], rtol=1e-12)


def test_list_and_matrix_inputs_agree_with_or_without_a_basket_column():
    x = _random_baskets(5, n=120, m=8)
    x = x[x.any(axis=1)]  # a (basket, item) list cannot show an empty basket
    names = [f"i{j:02d}" for j in range(8)]
    plain = [names] + x.astype(int).tolist()
    with_id = [["Basket", *names]] + [[f"b{i}", *row] for i, row in enumerate(x.astype(int).tolist())]
    pairs = [["Basket", "Item"]] + [[f"b{b}", names[i]] for b, i in zip(*np.nonzero(x))]
    a = RULES(plain, 0.05, 0.3)
    assert RULES(with_id, 0.05, 0.3) == a
    assert RULES(pairs, 0.05, 0.3) == a


def test_no_rule_says_so_and_cache_answers_warm_calls():
    out = RULES(TILL, 0.9)
    assert out[0] == LABELS and out[1][0].startswith("(no rule: no itemset reaches min_support=0.9")
    RULES(TILL, 0.9)
    assert CACHE.fits["basket_rules"] == 1


def _message(*args) -> str:
    with pytest.raises(XLMError) as exc:
        RULES(*args)
    return exc.value.text


@pytest.mark.parametrize("args,message", [
    ((0,), "#NUM! BASKET_RULES: min_support=0 is out of range; it must be above 0 and at most 1."),
    ((1.5,), "#NUM! BASKET_RULES: min_support=1.5 is out of range; it must be above 0 and at most 1."),
    ((0.1, 0), "#NUM! BASKET_RULES: min_confidence=0 is out of range; it must be above 0 and at most 1."),
    ((0.1, -0.2), "#NUM! BASKET_RULES: min_confidence=-0.2 is out of range; it must be above 0 and "
                  "at most 1."),
    ((0.1, 0.5, 1), "#NUM! BASKET_RULES: max_len=1 is out of range. Enter a whole number from 2 to 10."),
])
def test_bad_parameters(args, message):
    assert _message(TILL, *args) == message


def test_too_many_itemsets_is_refused_before_counting(monkeypatch):
    monkeypatch.setattr(core, "MAX_ITEMSETS", 5)
    x = sp.csc_matrix(np.ones((10, 6)))
    with pytest.raises(LimitExceeded, match="Raise min_support or lower max_len"):
        core.rules(x, core.RuleOptions(0.1, 0.1, 3))


def test_a_basket_list_with_error_cells():
    bad = [r[:] for r in TILL]
    bad[4][1] = "#REF!"
    assert _message(bad) == ("#REF! BASKET_RULES: transactions has the error value #REF! in row 5 "
                             "(item column). Fix that cell or clear it.")


def test_counting_in_slices_gives_the_same_rules(monkeypatch):
    # Memory is bounded by counting a level in slices of itemsets; tiny slices must give
    # exactly the rules of one pass.
    from xlmarketing.core import baskets as core_baskets

    rng = np.random.default_rng(5)
    rows, cols = [], []
    for b in range(400):
        items = rng.choice(30, size=6, replace=False, p=np.r_[np.full(10, 0.06), np.full(20, 0.02)])
        rows += [b] * 6
        cols += items.tolist()
    x = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(400, 30))
    opts = core_baskets.RuleOptions(min_support=0.01, min_confidence=0.1, max_len=3)
    whole = core_baskets.rules(x, opts)
    monkeypatch.setattr(core_baskets, "SLICE_ENTRIES", 50)
    sliced = core_baskets.rules(x, opts)
    assert whole.n_itemsets == sliced.n_itemsets > 100
    assert whole.antecedents == sliced.antecedents and whole.consequents == sliced.consequents
    assert np.array_equal(whole.lift, sliced.lift)


def test_too_much_work_is_refused_before_counting(monkeypatch):
    from xlmarketing.core import baskets as core_baskets
    from xlmarketing.core.errors import LimitExceeded

    x = sp.csc_matrix(np.ones((200, 40)))  # every basket holds every item
    monkeypatch.setattr(core_baskets, "MAX_BYTES", 10_000)
    with pytest.raises(LimitExceeded, match=r"GB to count the next size"):
        core_baskets.rules(x, core_baskets.RuleOptions(min_support=0.5, max_len=3))
    monkeypatch.setattr(core_baskets, "MAX_BYTES", 2 * 2**30)
    monkeypatch.setattr(core_baskets, "MAX_ENTRIES", 1000)
    with pytest.raises(LimitExceeded, match=r"candidate itemsets of 2 items"):
        core_baskets.rules(x, core_baskets.RuleOptions(min_support=0.5, max_len=3))

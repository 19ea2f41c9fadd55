"""The one identity rule and the table edges (issue 26, items 1 and 3): a known answer for each.

Every case builds its data here and pins the expected number: a label written in another case,
with an invisible character or a no-break space, and an ID written as a number or as its text
are one value; a total row is left out (labelled) or refused (an unlabelled sum); a one-off
first value is data, not a header.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from xlmarketing import cells, notices
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY as R

from tests.test_segment import blobs

pytestmark = pytest.mark.usefixtures("cache_cleared_after")

MERGED = "read as one value each (case, spaces, invisible characters and number-as-text do not make a new value)."


# --------------------------------------------------------------------------- the rule itself


@pytest.mark.parametrize("a, b", [
    ("Monthly", "monthly"), ("Monthly", "Monthly\u200b"), ("Monthly", "\u00a0Monthly\u00a0"),
    ("Monthly", "Mon\u00adthly"), ("Monthly", "\ufeffMONTHLY"), ("New York", "new  york"),
    (1004, "1004"), (1004.0, "1004"), ("1004.0", 1004), ("Ｔｅａ", "tea"),
])
def test_spellings_of_one_value_share_one_identity(a, b):
    assert cells.identity(a) == cells.identity(b)


@pytest.mark.parametrize("a, b", [("01004", 1004), ("Monthly", "Month ly"), ("1,004", 1004)])
def test_different_values_keep_their_identity(a, b):
    assert cells.identity(a) != cells.identity(b)


def test_merge_keeps_the_most_common_spelling_and_says_so():
    out, note = cells.merge_spellings(["monthly", "Monthly", "Monthly", "Monthly\u200b", None, "Annual"],
                                      what="Plan")
    assert out == ["Monthly", "Monthly", "Monthly", "Monthly", None, "Annual"]
    assert note == f"Plan: 'Monthly' also written 'monthly', 'Monthly\\u200b': {MERGED}"
    assert cells.merge_spellings(["a", "b", None]) == (["a", "b", None], None)


# --------------------------------------------------------------------------- items and customers


def _baskets(number_and_text: bool) -> list[list]:
    """10 baskets: item 101 in baskets 1-4, milk in 1-3, 5, 6, bread in all. So
    support(101, milk) = 0.3, confidence(101 -> milk) = 0.75, lift = 0.75 / 0.5 = 1.5."""
    tx = [["Basket", "Item"]]
    for b in range(1, 11):
        if b <= 4:
            tx.append([b, 101 if b <= 2 or not number_and_text else "101"])
        if b in (1, 2, 3, 5, 6):
            tx.append([b, "milk"])
        tx.append([b, "bread"])
    return tx


def test_an_item_as_number_and_as_text_is_one_item_in_basket_rules():
    with notices.collect() as said:
        out = R["BASKET_RULES"](_baskets(True), 0.1, 0.5, 2)
    assert out[1] == ["101", "milk", 0.3, 0.75, 1.5, 3]
    assert not any(r[0] == r[1] for r in out[1:])                   # never "101" -> "101"
    assert out == R["BASKET_RULES"](_baskets(False), 0.1, 0.5, 2)
    assert list(said) == [f"transactions item column: 101 also written '101': {MERGED}"]


def _purchases() -> list[list]:
    rows = [["Customer", "Item"]]
    for c in range(8):
        for it in ["tea", "cups", "kettle"][: 1 + c % 3]:
            rows.append([1000 + c, it])
    rows += [[1004, "mug"], ["1004", "Tea\u200b"], [1005, "mug"], [1006, "mug"]]
    return rows


def test_recommend_never_offers_what_the_customer_bought_under_another_spelling():
    # Customer 1004 bought tea (as 'Tea\u200b', under the text ID '1004'), cups and mug.
    out = R["RECOMMEND"](_purchases(), [[1004], ["1004"], [" 1004 "]], 2)
    assert out == [["kettle", 1.804348, "", "", "history"]] * 3
    everyone = R["RECOMMEND"](_purchases(), None, 2)
    assert len(everyone) == 1 + 8                                   # 1004 once, not twice
    assert R["SIMILAR_ITEMS"](_purchases(), "TEA", 1)[1][0] == "cups"


# --------------------------------------------------------------------------- categories


def _plans(variants: bool) -> tuple[list[list], list[list]]:
    rng = np.random.default_rng(3)
    data, labels = [["Plan", "Spend"]], [["Churned"]]
    for i in range(80):
        plan = ["Monthly", "Annual"][i % 2]
        shown = [plan.lower(), plan + "\u200b", "\u00a0" + plan][i % 3] if variants and i % 4 == 0 else plan
        data.append([shown, float(rng.integers(10, 100))])
        labels.append(["Yes" if (plan == "Monthly") ^ (i % 5 == 0) else "No"])
    return data, labels


def test_case_and_invisible_variants_are_one_level_in_churn_and_scoring():
    data, labels = _plans(True)
    clean, _ = _plans(False)
    score = [["Plan", "Spend"], ["monthly", 50], ["MONTHLY\u200b", 50], ["Monthly", 50]]
    got = R["CHURN_PROB"](data, labels, score)
    assert got == R["CHURN_PROB"](clean, labels, [["Plan", "Spend"]] + [["Monthly", 50]] * 3)
    assert got[1][0] == pytest.approx(0.7730362251125932, rel=1e-9)
    assert got[1] == got[2] == got[3]                              # 'monthly' is no unseen level
    drivers = R["CHURN_DRIVERS"](data, labels)
    assert [r[0] for r in drivers[1:-1]] == ["Plan = Annual", "Plan = Monthly", "Spend"]
    assert drivers[2][1] == pytest.approx(1.211269058097743, rel=1e-6)
    assert drivers[-1][1] == f"Plan: 'Monthly' also written 'monthly', 'Monthly\\u200b': {MERGED}"


def test_label_spellings_are_one_outcome():
    data, labels = _plans(False)
    messy = [labels[0]] + [[v[0].lower() if i % 3 == 0 else v[0] + "\u200b" if i % 3 == 1 else v[0]]
                           for i, v in enumerate(labels[1:])]
    assert R["CHURN_PROB"](data, messy) == R["CHURN_PROB"](data, labels)


def test_segments_one_hot_one_level_per_category():
    rows, truth = blobs()
    kinds = ["Gold", "gold ", "GOLD\u00a0", "Gold\u200b"]
    data = [["Tier", "Spend", "Visits"]] + [[kinds[i % 4] if t == 0 else "Silver"] + r
                                            for i, (r, t) in enumerate(zip(rows, truth))]
    prof = R["SEGMENT_PROFILE"](data, 3)
    assert [r[:4] for r in prof[1:4]] == [[1, 60, 0.5, "Gold"], [2, 40, pytest.approx(1 / 3), "Silver"],
                                          [3, 20, pytest.approx(1 / 6), "Silver"]]
    assert prof[-1][1] == f"Tier: 'Gold' also written 'gold', 'GOLD', 'Gold\\u200b': {MERGED}"
    assert adjusted_rand_score(truth, [r[0] for r in R["KMEANS_SEGMENT"](data, 3)[1:]]) == 1.0


def test_text_labels_spellings_are_one_category():
    from tests.test_text import corpus

    text, labels = corpus()
    messy = [labels[0]] + [[y[0] if i % 3 else y[0].title() + "\u200b "] for i, y in enumerate(labels[1:])]
    got = R["TEXT_CLASSIFY_METRICS"](text, messy, 3)
    assert [r[0] for r in got[1:4]] == ["complaint", "praise", "question"]
    assert got == R["TEXT_CLASSIFY_METRICS"](text, labels, 3)


def test_customer_ids_mixing_numbers_and_text_are_ids():
    start = dt.datetime(2024, 1, 1)
    orders = [["Customer", "Date", "Amount"]]
    ids = [2000 + i for i in range(38)] + ["C-17", "VIP-2"]
    for i, c in enumerate(ids):
        for j in range(2):
            orders.append([c, start + dt.timedelta(days=7 * i + 30 * j), 10.0 + i])
    orders.append([str(2000), start + dt.timedelta(days=200), 5.0])  # the same customer as text
    out = R["RFM_SEGMENT"](orders)
    assert len(out) == 1 + 40
    assert [r[0] for r in out[1:3]] == [2000, 2001] and [r[0] for r in out[-2:]] == ["C-17", "VIP-2"]
    assert out[1][2] == 3                                             # 2000's three orders


# --------------------------------------------------------------------------- total rows


def test_a_labelled_total_row_is_left_out_with_a_note():
    rows, truth = blobs()
    data = [["Name", "Spend", "Visits"]] + [[f"n{i}"] + r for i, r in enumerate(rows)]
    total = ["Grand Total", sum(r[0] for r in rows), sum(r[1] for r in rows)]
    out = R["KMEANS_SEGMENT"](data + [total], 3)
    assert len(out) == 122 and out[-1] == [""]
    assert adjusted_rand_score(truth, [r[0] for r in out[1:-1]]) == 1.0
    prof = R["SEGMENT_PROFILE"](data + [total], 3)
    assert ["Note", "data: row 122 of the range ('Grand Total') left out: a total of other rows "
            "is no data row of its own."] == prof[-2][:2]


def test_an_unlabelled_sum_row_is_refused_naming_it():
    rows, _ = blobs()
    total = [sum(r[0] for r in rows), sum(r[1] for r in rows)]
    with pytest.raises(XLMError, match=r"data row 122 of the range is the sum of the rows above "
                                       r"it \(a total row\)"):
        R["KMEANS_SEGMENT"]([["Spend", "Visits"]] + rows + [total], 3)


def test_a_few_rows_that_happen_to_sum_are_data():
    # 1, 1, 2, 4: the last is the sum of the others, but four values of one column prove nothing.
    t = cells.read_table([["Qty"], [1], [1], [2], [4]])
    assert t.frame["Qty"].tolist() == [1, 1, 2, 4]


def test_a_total_customer_in_purchases_is_left_out():
    p = _purchases() + [["TOTAL", "tea"], ["TOTAL", "mug"]]
    with notices.collect() as said:
        out = R["RECOMMEND"](p, None, 2)
    assert [r[0] for r in out[1:]] == [1000 + c for c in range(8)]
    assert "purchases: the customer 'TOTAL' left out: a total of other rows is no customer." in said


# --------------------------------------------------------------------------- one-off first values


def test_a_prospect_first_in_customers_is_data_not_a_header():
    with pytest.raises(XLMError, match=r"customers row 1 has 1099, who is not in purchases"):
        R["RECOMMEND"](_purchases(), [[1099], [1001]], 2)
    with pytest.raises(XLMError, match=r"customers row 1 has 'K99', who is not in purchases"):
        R["RECOMMEND"]([["Customer", "Item"]] + [[f"K{c:02d}", it] for c in range(5)
                                                 for it in ("tea", "mug")], [["K99"], ["K01"]], 1)
    # A real header: a header word, or a name over codes.
    assert R["RECOMMEND"](_purchases(), [["Customer"], [1001]], 1)[0] == ["Item 1", "Score 1", "Basis"]


def test_a_rare_first_label_is_a_training_example_not_a_header():
    from tests.test_text import corpus

    text, labels = corpus(header=False)
    text = [["Where do I send the invoice?"]] + text
    labels = [["billing"]] + labels
    # Read as an example, it is a category of one (refused, naming it), not a header row.
    with pytest.raises(XLMError, match="category 'billing' has 1 example"):
        R["TEXT_CLASSIFY"](text, labels)
    text, labels = text + [["Please resend the invoice"]], labels + [["billing"]]
    out = R["TEXT_CLASSIFY"](text, labels)
    assert len(out) == 17 and out[0][0] == "billing"                # no header row out
    assert R["TEXT_CLASSIFY"](*corpus())[0] == ["Predicted category", "Probability"]


def test_order_by_identity_does_not_depend_on_the_spelling():
    from xlmarketing.cells import identity_order

    typed = [2008, 2001, "tea", 2001.5, "Apple", None]
    spelled = ["2008", "2001", "TEA", "2001.5", " apple", None]
    # numbers (typed or as text) first in numeric order, then labels by identity, blanks last
    assert sorted(typed, key=identity_order) == [2001, 2001.5, 2008, "Apple", "tea", None]
    assert [identity_order(v) for v in sorted(spelled, key=identity_order)] == \
        [identity_order(v) for v in sorted(typed, key=identity_order)]


def test_recommend_ties_break_the_same_way_for_ids_typed_as_text():
    """Found by the invariant harness (id_as_text): two items tied for a customer came out in
    another order when some item IDs were text, because numbers sorted before text."""
    fn = R["RECOMMEND"]
    rows = [["Customer", "Item"], [1, 2003], [2, 2003], [2, 2001], [3, 2003], [3, 2008],
            [4, 2005]]
    as_text = [[c, str(i) if i == 2001 else i] if k else [c, i] for k, (c, i) in enumerate(rows)]
    a = fn(rows, None, 2.0)
    b = fn(as_text, None, 2.0)
    assert [a[1][1], a[1][3]] == [2001, 2008]  # customer 1: two equally good items, lower ID first
    assert [[str(v) for v in r] for r in a] == [[str(v) for v in r] for r in b]

"""RECOMMEND and SIMILAR_ITEMS: known answers, a planted taste structure, formats, cache,
fill-down, the Office.js entry point and every bad input's one-line message."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import scipy.sparse as sp

from tests import officejs
from xlmarketing import notices, parsing
from xlmarketing.cache import CACHE
from xlmarketing.core import recommend as core
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

RECOMMEND = REGISTRY["RECOMMEND"]
SIMILAR = REGISTRY["SIMILAR_ITEMS"]

# Hand-made history: ann and dan buy bread + milk, bob bread + jam, cat milk + jam; eve is a
# registered customer with no purchase yet (blank item).
SHOP = [["Customer", "Item", "Qty"],
        ["ann", "bread", 1], ["ann", "milk", 2], ["bob", "bread", 1], ["bob", "jam", 1],
        ["cat", "milk", 1], ["cat", "jam", 1], ["dan", "bread", 1], ["dan", "milk", 1],
        ["eve", None, None]]


pytestmark = pytest.mark.usefixtures("fresh_cache")


def planted(n_customers: int = 200, per_cat: int = 30, seed: int = 0) -> list[list]:
    """Customers of category A buy A items (A01..), of B buy B items; popularity is skewed
    towards B so that plain best sellers would be wrong for A customers."""
    rng = np.random.default_rng(seed)
    rows = [["Customer", "Product"]]
    for c in range(n_customers):
        cat = "A" if c % 3 == 0 else "B"  # B customers are twice as many
        for i in rng.choice(per_cat, 6, replace=False):
            rows.append([f"{cat}-cust{c:03d}", f"{cat}{i + 1:02d}"])
    return rows


# --------------------------------------------------------------------------- known answers


def test_known_answers_on_a_hand_made_shop():
    out = RECOMMEND(SHOP)
    assert out[0] == ["Customer", "Item 1", "Score 1", "Item 2", "Score 2", "Item 3", "Score 3",
                      "Basis"]
    rows = {r[0]: r for r in out[1:]}
    # Each of ann..dan has exactly one item left, and it is recommended from their history.
    assert [rows[c][1] for c in ("ann", "bob", "cat", "dan")] == ["jam", "milk", "bread", "jam"]
    assert all(rows[c][2] > 0 and rows[c][3:7] == ["", "", "", ""] and rows[c][7] == "history"
               for c in ("ann", "bob", "cat", "dan"))
    # eve has no history: the best sellers by distinct buyers (bread 3, milk 3, jam 2; ties in
    # order of first appearance), marked as such.
    assert rows["eve"] == ["eve", "bread", 0.0, "milk", 0.0, "jam", 0.0, "popular"]


def test_rp3beta_scores_match_a_hand_computation():
    # One-step check of RP3beta on the shop: W[i, j] = sum_u x_ui x_uj / (pop_i deg_u) / pop_j^b.
    x = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 0]], float)  # bread, milk, jam
    pop, deg = x.sum(0), x.sum(1)
    w = (x / pop).T @ (x / deg[:, None])
    np.fill_diagonal(w, 0)
    w = w / pop ** 0.5
    w /= w.max()
    data = core.Interactions(sp.csr_matrix(x), list("abcd"), ["bread", "milk", "jam"])
    model = core.fit(data, core.RecommendOptions(neighbours=10, weighting="rp3", beta=0.5))
    np.testing.assert_allclose(model.similarity.toarray(), w, rtol=1e-12)
    recs = core.recommend(model, np.arange(4), 1)
    expected = (x @ w)[np.arange(4), recs.items[:, 0]]
    np.testing.assert_allclose(recs.scores[:, 0], expected, rtol=1e-12)


def test_similar_items_known_answer():
    out = SIMILAR(SHOP, "bread", 2)
    # milk: 2 customers bought both; cosine 2 / sqrt(3 * 3); jam: 1 / sqrt(3 * 2).
    assert out == [["Item", "Similarity", "Bought together"],
                   ["milk", round(2 / 3, 4), 2], ["jam", round(1 / 6 ** 0.5, 4), 1]]


def test_a_planted_taste_structure_is_recovered():
    rows = planted()
    out = RECOMMEND(rows, None, 5)
    for r in out[1:]:
        cat = r[0][0]
        assert r[-1] == "history"
        assert all(item.startswith(cat) for item in r[1:11:2]), r
    sim = SIMILAR(rows, "A05", 5)
    assert all(r[0].startswith("A") for r in sim[1:])


# --------------------------------------------------------------------------- formats and alignment


def test_a_customer_by_item_matrix_gives_the_same_answer_as_the_list():
    items = ["bread", "milk", "jam"]
    counts = {"ann": [1, 2, 0], "bob": [1, 0, 1], "cat": [0, 1, 1], "dan": [1, 1, 0], "eve": [0, 0, 0]}
    matrix = [["Customer", *items]] + [[c, *v] for c, v in counts.items()]
    assert RECOMMEND(matrix) == RECOMMEND(SHOP)


def test_numeric_ids_match_whatever_the_number_format():
    rows = [["Customer", "Item"], [1001, 7], [1001, 8], [1002, 7], [1002, 9], [1003, 8.0]]
    assert RECOMMEND(rows, [[1003.0]], 1) == RECOMMEND(rows, "1003", 1)


def test_customers_column_aligned_with_header_and_blank_rows():
    out = RECOMMEND(SHOP, [["Customer"], ["bob"], [None], ["eve"]], 2)
    assert out[0] == ["Item 1", "Score 1", "Item 2", "Score 2", "Basis"]
    assert out[1][0] == "milk" and out[1][-1] == "history"
    assert out[2] == ["", "", "", "", ""]
    assert out[3] == ["bread", 0.0, "milk", 0.0, "popular"]


def test_fill_down_fits_once_and_matches_the_full_table():
    full = {r[0]: r[1:] for r in RECOMMEND(SHOP, None, 2)[1:]}
    CACHE.clear()
    for c in ("ann", "bob", "cat", "dan", "eve"):
        assert RECOMMEND(SHOP, c, 2) == [full[c]]
    assert CACHE.fits["recommend"] == 1


def test_warm_call_does_not_refit_and_results_are_copies():
    first = RECOMMEND(SHOP)
    first[1][1] = "tampered"
    again = RECOMMEND(SHOP)
    assert CACHE.fits["recommend"] == 1 and CACHE.hits >= 1
    assert again[1][1] != "tampered"
    SIMILAR(SHOP, "milk")  # the same model serves SIMILAR_ITEMS
    assert CACHE.fits["recommend"] == 1


def test_deterministic_across_fits():
    rows = planted(seed=3)
    a = RECOMMEND(rows)
    CACHE.clear()
    assert RECOMMEND(rows) == a


# --------------------------------------------------------------------------- bad input


def _message(fn, *args) -> str:
    with pytest.raises(XLMError) as exc:
        fn(*args)
    return exc.value.text


def test_a_customer_not_in_the_data():
    assert _message(RECOMMEND, SHOP, [["bob"], ["zoe"]]) == (
        "#N/A RECOMMEND: customers row 2 has 'zoe', who is not in purchases. Check the spelling, "
        "or add the customer to purchases (a row with a blank item gives them the popular items).")


def test_an_empty_history():
    assert _message(RECOMMEND, [["Customer", "Item"], ["ann", None], ["bob", ""]]) == (
        "#NUM! RECOMMEND: purchases holds no purchases: every customer's history is empty. "
        "Give at least two customers who bought something.")


def test_n_larger_than_the_catalogue():
    assert _message(RECOMMEND, SHOP, None, 4) == (
        "#NUM! RECOMMEND: n=4 is more than the 3 items in the catalogue. Ask for at most 3.")
    assert _message(SIMILAR, SHOP, "jam", 3) == (
        "#NUM! SIMILAR_ITEMS: n=3 is more than the 2 other items in the catalogue. "
        "Ask for at most 2.")


def test_an_item_not_in_the_data_and_other_bad_cells():
    assert _message(SIMILAR, SHOP, "butter") == (
        "#N/A SIMILAR_ITEMS: item 'butter' is not in purchases. Check the spelling (items are "
        "matched exactly, ignoring surrounding spaces).")
    bad = [r[:] for r in SHOP]
    bad[3][1] = "#N/A"
    assert _message(RECOMMEND, bad) == (
        "#N/A RECOMMEND: purchases has the error value #N/A in row 4 (item column). "
        "Fix that cell or clear it.")
    assert _message(RECOMMEND, SHOP, None, 0) == (
        "#NUM! RECOMMEND: n=0 is out of range. Enter a whole number from 1 to 1000.")
    assert _message(RECOMMEND, [["a"], ["b"]]).startswith("#VALUE! RECOMMEND: purchases has 1 column.")


# --------------------------------------------------------------------------- Office.js


def test_the_office_js_entry_point():
    na = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
    bad = [r[:] for r in SHOP]
    bad[2][0] = na
    calls = [
        ("RECOMMEND", [SHOP, [["bob"], ["eve"]], officejs.arg(2), [[None]]]),
        ("RECOMMEND", [SHOP, [["bob"], ["eve"]], officejs.arg(2), [[None]]]),
        ("SIMILAR_ITEMS", [SHOP, officejs.arg("bread"), officejs.arg(2)]),
        ("RECOMMEND", [SHOP, officejs.arg("zoe")]),
        ("RECOMMEND", [bad]),
    ]
    res, meta, fits = officejs.call(calls, meta=True)
    assert res[0]["value"] == [["milk", res[0]["value"][0][1], "", "", "history"],
                               ["bread", 0.0, "milk", 0.0, "popular"]]
    assert res[1] == res[0] and fits["recommend"] == 1
    assert res[2]["value"][1][:1] == ["milk"]
    assert res[3]["error"] == "XlwingsError"
    assert res[3]["message"].startswith("#N/A RECOMMEND: customers row 1 has 'zoe'")
    assert res[4]["message"] == ("#N/A RECOMMEND: purchases has the error value #N/A in row 3 "
                                 "(customer column). Fix that cell or clear it.")
    funcs = {f["name"]: f for f in meta["functions"]}
    assert [p["name"] for p in funcs["RECOMMEND"]["parameters"]] == ["purchases", "customers", "n",
                                                                     "model", "header"]
    assert [p.get("optional", False) for p in funcs["SIMILAR_ITEMS"]["parameters"]] == [
        False, False, True, True]


def test_header_detected_by_words_or_by_numbers_below():
    rows = [["Kunde", "Artikel", "Menge"], ["a", "x", 1], ["a", "y", 2], ["b", "x", 1]]
    assert RECOMMEND(rows, "b", 1) == [["y", RECOMMEND(rows, "b", 1)[0][1], "history"]]
    assert "Kunde" not in {r[0] for r in RECOMMEND(rows)}


def test_too_much_pair_work_is_refused_before_it_starts(monkeypatch):
    monkeypatch.setattr(core, "MAX_PAIR_WORK", 3)
    with pytest.raises(XLMError, match=r"^#NUM! RECOMMEND: purchases would need 16 item-pair counts"):
        RECOMMEND(SHOP)


def test_numeric_labels_in_messages_read_as_typed():
    rows = [["Customer", "Item"], [1, "a"], [1, "b"], [2, "a"]]
    assert _message(RECOMMEND, rows, [[3.0]]).startswith(
        "#N/A RECOMMEND: customers row 1 has 3, who is not in purchases.")
    assert _message(SIMILAR, rows, 7.0).startswith("#N/A SIMILAR_ITEMS: item 7 is not in purchases.")


# --------------------------------------------------------------------------- messy exports


def _with_qty(qty):
    """SHOP with its quantities replaced, row by row (eve's blank row kept)."""
    return [SHOP[0]] + [[c, i, q] for (c, i, _), q in zip(SHOP[1:-1], qty)] + [SHOP[-1]]


def test_german_quantity_text_reads_like_the_numbers():
    numbers = _with_qty([1234.5, 2.5, 1, 1, 1, 1, 1, 1000])
    text = _with_qty(["1.234,5", "2,5", "1", "1", "1", "1", "1", "1.000"])
    # '1.234,5' settles the decimal comma for the whole column, with or without a culture.
    assert RECOMMEND(text) == RECOMMEND(numbers)
    assert SIMILAR(text, "milk") == SIMILAR(numbers, "milk")
    # '1.000' alone is 1 or 1000: the culture says which, and without one the user is asked.
    alone = _with_qty(["1.000", "2", "1", "1", "1", "1", "1", "1"])
    assert _message(RECOMMEND, alone) == (
        "#VALUE! RECOMMEND: purchases column \"Qty\" has number text that reads as 1 or as 1000 "
        "depending on the decimal mark: '1.000' in row 2 of the range. Enter the column as "
        "numbers, or write it without thousands separators.")
    fits = CACHE.fits["recommend"]
    with parsing.use_culture("de-DE"):
        german = RECOMMEND(alone)
    with parsing.use_culture("en-US"):
        english = RECOMMEND(alone)
    # The same cells in two cultures are two inputs, not a cache hit.
    assert CACHE.fits["recommend"] == fits + 2
    assert german == RECOMMEND(_with_qty([1000, 2, 1, 1, 1, 1, 1, 1]))
    assert english == RECOMMEND(_with_qty([1, 2, 1, 1, 1, 1, 1, 1]))
    assert german != english


def test_an_accounting_negative_quantity_is_a_return_like_minus_one():
    # ann returns her milk: her milk total is 0, so milk is offered to her again.
    returned = SHOP[:-1] + [["ann", "milk", "(2)"], SHOP[-1]]
    rows = {r[0]: r for r in RECOMMEND(returned)[1:]}
    assert RECOMMEND(returned) == RECOMMEND(SHOP[:-1] + [["ann", "milk", -2], SHOP[-1]])
    assert "milk" in rows["ann"][1::2]
    assert _message(RECOMMEND, SHOP[:-1] + [["ann", "milk", "two"], SHOP[-1]]) == (
        "#VALUE! RECOMMEND: purchases has the text 'two' in row 10 of its third column, which "
        "should be a quantity or a date. Enter a number there, or select only the customer and "
        "item columns.")


def test_a_matrix_of_count_text_reads_like_the_numbers():
    items = ["bread", "milk", "jam"]
    counts = {"ann": [1, 2.5, 0], "bob": [1, 0, 1], "cat": [0, 1, 1], "dan": [1, 1, 0]}
    text = {c: [str(v).replace(".", ",") for v in vals] for c, vals in counts.items()}
    numbers = [["Customer", *items]] + [[c, *v] for c, v in counts.items()]
    assert RECOMMEND([["Customer", *items]] + [[c, *v] for c, v in text.items()]) == RECOMMEND(numbers)
    dated = [r[:] for r in numbers]
    dated[2][3] = "2024-03-01"
    assert _message(RECOMMEND, dated) == (
        "#VALUE! RECOMMEND: purchases column \"jam\" holds numbers but row 3 has the date "
        "'2024-03-01'. Enter a number there or clear the cell.")
    dated = SHOP[:-1] + [["ann", "jam", dt.datetime(2024, 3, 1)]]
    assert _message(RECOMMEND, dated) == (
        "#VALUE! RECOMMEND: purchases column \"Qty\" holds numbers but row 10 has the date "
        "2024-03-01 00:00:00. Enter a number there or clear the cell.")


def test_a_first_row_of_names_is_data_unless_its_words_say_header():
    rows = [["David", "bread"], ["ann", "bread"], ["ann", "milk"], ["bob", "milk"]]
    assert [r[0] for r in RECOMMEND(rows)[1:]] == ["David", "ann", "bob"]  # 'id' inside a name
    assert [r[0] for r in RECOMMEND([["CustomerID", "Products"]] + rows)[1:]] == ["David", "ann", "bob"]


def test_a_third_column_of_date_text_is_a_date_not_a_quantity():
    two = [r[:2] for r in SHOP]
    dated = [["Customer", "Item", "Bought"]] + [r[:2] + [f"{13 + i}/04/2024"] for i, r in
                                                enumerate(SHOP[1:])]
    dated[-1][2] = None  # eve: no purchase, no date
    assert RECOMMEND(dated) == RECOMMEND(two)
    # Office.js sends real dates as numbers: under a header that says so they are no quantities.
    serials = [["Customer", "Item", "Order date"]] + [r[:2] + [45385 + i] for i, r in enumerate(SHOP[1:])]
    assert RECOMMEND(serials) == RECOMMEND(two)


def test_a_zero_one_basket_table_of_number_text_reads_like_the_numbers():
    basket = REGISTRY["BASKET_RULES"]
    numbers = [["bread", "milk", "jam"]] + [[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 0], [1, 1, 1]] * 4
    text = [numbers[0]] + [[str(v) for v in r] for r in numbers[1:]]
    assert basket(text, 0.1, 0.1) == basket(numbers, 0.1, 0.1)
    # bread and milk: 16 of 20 baskets each, 12 together: support 0.6, confidence 0.75, lift 0.9375.
    assert basket(text, 0.1, 0.1)[1] == ["bread", "milk", 0.6, 0.75, 0.9375, 12]


def test_text_ids_in_purchases_match_the_same_ids_typed_as_numbers():
    rows = [["Customer", "Item"], ["1001", "7"], ["1001", "8"], ["1002", "7"], ["1003", "8"]]
    assert RECOMMEND(rows, [["1003"]], 1) == RECOMMEND(rows, 1003, 1) == [["7", 1.0, "history"]]
    assert SIMILAR(rows, 8, 1) == SIMILAR(rows, "8", 1)


# --------------------------------------------------------------------------- EASE and auto


def test_ease_weights_are_the_ridge_regression_of_each_item_on_the_others():
    """EASE's closed form against scikit-learn's Ridge, item by item (Steck 2019: column j of B
    regresses item j's buyers on the other items, with B_jj = 0)."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(4)
    x = (rng.random((300, 12)) < rng.uniform(0.05, 0.5, 12)).astype(float)
    binary = sp.csr_matrix(x)
    co = (binary.T @ binary).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    b = core._ease(co, x.sum(axis=0), lam=7.0)
    for j in range(12):
        others = [i for i in range(12) if i != j]
        ridge = Ridge(alpha=7.0, fit_intercept=False).fit(x[:, others], x[:, j])
        np.testing.assert_allclose(b[others, j], ridge.coef_, rtol=1e-8, atol=1e-10)
        assert b[j, j] == 0.0


def test_auto_validates_on_held_out_purchases_and_row_order_changes_nothing():
    rows = planted(seed=5)
    CACHE.clear()
    with notices.collect() as said:
        auto = RECOMMEND(rows, None, 3, "auto")
    chosen = [t for t in said if t.startswith("RECOMMEND model auto chose ")]
    assert len(chosen) == 1 and "held-out recall at 10 of 200 customers" in chosen[0]
    member = "ease" if "chose ease" in chosen[0] else "item-knn"
    assert auto == RECOMMEND(rows, None, 3, member)
    rng = np.random.default_rng(0)
    shuffled = [rows[0]] + [rows[1 + i] for i in rng.permutation(len(rows) - 1)]
    CACHE.clear()
    again = RECOMMEND(shuffled, None, 3, "auto")
    assert sorted(map(tuple, again[1:])) == sorted(map(tuple, auto[1:]))


def test_ease_finds_the_planted_taste_as_item_knn_does():
    rows = planted(seed=6)
    for member in ("ease", "item-knn"):
        out = {r[0]: r for r in RECOMMEND(rows, None, 3, member)[1:]}
        a = [r for c, r in out.items() if c.startswith("A-")]
        assert all(str(item).startswith("A") for r in a for item in r[1:7:2]), member


def test_ease_refuses_a_catalogue_above_its_limit_and_auto_says_why_it_kept_item_knn():
    n = core.EASE_MAX_ITEMS + 1
    rows = [["Customer", "Item"]] + [[f"c{i % 400}", f"item{i}"] for i in range(n)]
    with pytest.raises(XLMError) as err:
        RECOMMEND(rows, None, 1, "ease")
    assert f"ease fits at most {core.EASE_MAX_ITEMS:,} items" in str(err.value)
    with notices.collect() as said:
        RECOMMEND(rows, None, 1)
    assert any(f"EASE is considered up to {core.EASE_MAX_ITEMS:,} items; {n:,} here" in t
               for t in said)


def test_auto_gives_the_same_answer_for_number_and_text_ids():
    rows = planted(seed=7)
    ids = {c: 5000 + k for k, c in enumerate(dict.fromkeys(r[0] for r in rows[1:]))}
    numbers = [rows[0]] + [[ids[c], item] for c, item in rows[1:]]
    texts = [rows[0]] + [[str(ids[c]), item] for c, item in rows[1:]]
    CACHE.clear()
    with notices.collect() as said:
        a = RECOMMEND(numbers, None, 2)
    CACHE.clear()
    with notices.collect() as said_text:
        b = RECOMMEND(texts, None, 2)
    assert [r[1:] for r in a[1:]] == [r[1:] for r in b[1:]]
    assert [t for t in said if "auto chose" in t] == [t for t in said_text if "auto chose" in t]

"""KMEANS_SEGMENT, SEGMENT_PROFILE and SEGMENT_K: known answers, determinism, errors, cache."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from xlmarketing.cache import CACHE
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

KMEANS = REGISTRY["KMEANS_SEGMENT"]
PROFILE = REGISTRY["SEGMENT_PROFILE"]
SEGK = REGISTRY["SEGMENT_K"]


def blobs(sizes=(60, 40, 20), seed=1):
    rng = np.random.default_rng(seed)
    centres = [(100.0, 2.0), (900.0, 12.0), (2500.0, 30.0)]
    rows, truth = [], []
    for label, (n, (spend, visits)) in enumerate(zip(sizes, centres)):
        for _ in range(n):
            rows.append([round(spend + rng.normal(0, 30), 2), round(visits + rng.normal(0, 1), 1)])
            truth.append(label)
    return rows, np.array(truth)


def labels_of(out, header=True):
    return np.array([r[0] for r in out[1 if header else 0:]])


def test_well_separated_segments_are_found_exactly_and_numbered_by_size():
    rows, truth = blobs()
    out = KMEANS([["Spend", "Visits"]] + rows, 3)
    assert out[0] == ["Segment"] and len(out) == len(rows) + 1
    seg = labels_of(out)
    assert adjusted_rand_score(truth, seg) == 1.0
    # 1 is the largest segment (60 customers), 3 the smallest (20).
    assert [int((seg == s).sum()) for s in (1, 2, 3)] == [60, 40, 20]
    assert (seg[truth == 0] == 1).all() and (seg[truth == 2] == 3).all()


def test_scaling_finds_the_visits_segments_that_raw_units_miss():
    # Spend (thousands, wide, no structure) drowns visits (two clear groups) unless scaled.
    rng = np.random.default_rng(7)
    n = 200
    truth = np.repeat([0, 1], n // 2)
    spend = rng.normal(5000, 1500, n)
    visits = np.where(truth == 0, 2.0, 12.0) + rng.normal(0, 0.7, n)
    data = [["Spend", "Visits"]] + np.column_stack([spend, visits]).round(2).tolist()
    scaled = labels_of(KMEANS(data, 2))
    raw = labels_of(KMEANS(data, 2, False))
    assert adjusted_rand_score(truth, scaled) == 1.0
    assert adjusted_rand_score(truth, raw) < 0.1


def test_deterministic_and_independent_of_row_order():
    rows, _ = blobs(sizes=(50, 50, 50), seed=3)
    first = KMEANS(rows, 3)
    CACHE.clear()
    assert KMEANS(rows, 3) == first
    perm = np.random.default_rng(0).permutation(len(rows))
    shuffled = KMEANS([rows[i] for i in perm], 3)
    # Same customers, same segment numbers.
    assert [shuffled[j][0] for j in np.argsort(perm)] == [r[0] for r in first]


def test_text_columns_are_one_hot_and_blank_rows_stay_blank():
    rows, truth = blobs(sizes=(30, 30, 30))
    channel = ["web", "store", "app"]
    data = [["Spend", "Visits", "Channel"]] + [r + [channel[t]] for r, t in zip(rows, truth)]
    data.insert(5, [None, None, None])
    out = KMEANS(data, 3)
    assert out[5] == [""] and len(out) == len(data)
    seg = np.array([r[0] for i, r in enumerate(out[1:], 1) if i != 5])
    assert adjusted_rand_score(truth, seg) == 1.0


def test_blanks_inside_rows_are_imputed():
    rows, truth = blobs()
    rows[0][1] = None
    rows[70][0] = ""
    assert adjusted_rand_score(truth, labels_of(KMEANS(rows, 3), header=False)) == 1.0


def test_auto_k_picks_three_for_three_blobs():
    rows, truth = blobs(sizes=(40, 40, 40))
    out = KMEANS(rows, "auto")
    assert adjusted_rand_score(truth, labels_of(out, header=False)) == 1.0
    assert KMEANS(rows, 0) == out


def test_segment_k_table_recommends_the_true_k():
    rows, _ = blobs(sizes=(40, 40, 40))
    out = SEGK(rows, 6)
    assert out[0] == ["k", "Prediction strength", "Calinski-Harabasz", "Silhouette", "Inertia",
                      "Recommended"]
    assert [r[0] for r in out[1:]] == [2, 3, 4, 5, 6]
    assert [r[0] for r in out[1:] if r[5] == "recommended"] == [3]
    strength = {r[0]: r[1] for r in out[1:]}
    assert strength[3] == 1.0  # three clean blobs reproduce exactly across halves of the rows
    assert all(strength[k] < 0.8 for k in (4, 5, 6))  # splitting a blob does not reproduce
    ch = {r[0]: r[2] for r in out[1:]}
    assert max(ch, key=ch.get) == 3
    inertia = [r[4] for r in out[1:]]
    assert inertia == sorted(inertia, reverse=True)  # more segments, less spread


def test_profile_matches_a_groupby_in_original_units():
    rows, truth = blobs()
    data = [["Spend", "Visits"]] + rows
    prof = PROFILE(data, 3)
    assert prof[0] == ["Segment", "Customers", "Share", "Spend (mean)", "Visits (mean)",
                       "Description", "Scaling"]
    arr = np.array(rows)
    seg = labels_of(KMEANS(data, 3))
    for s, row in enumerate(prof[1:], 1):
        assert row[0] == s and row[1] == int((seg == s).sum())
        assert row[2] == pytest.approx(row[1] / len(rows))
        assert row[3] == pytest.approx(arr[seg == s, 0].mean())
        assert row[4] == pytest.approx(arr[seg == s, 1].mean())
        assert row[6].startswith("standardised (column spreads differ")


def test_recalculation_and_companions_reuse_the_fitted_model():
    rows, _ = blobs(seed=11)
    CACHE.clear()
    first = KMEANS(rows, 3)
    for _ in range(5):
        assert KMEANS([list(r) for r in rows], 3) == first  # equal content, new objects
    PROFILE(rows, 3)
    assert CACHE.fits["kmeans"] == 1
    KMEANS(rows, 3, True, 1)  # another seed is another model
    assert CACHE.fits["kmeans"] == 2


@pytest.mark.parametrize("data, k, message", [
    (None, -2, '#NUM! KMEANS_SEGMENT: k=-2 is negative. Enter a number of segments of at least 1, '
               'or "auto" (or 0) to let the data choose.'),
    (None, "many", "#VALUE! KMEANS_SEGMENT: k must be a whole number of segments, got 'many'. "
                   'Enter a number such as 4, or "auto".'),
    (None, 2.5, "#VALUE! KMEANS_SEGMENT: k must be a whole number of segments, got 2.5. "
                'Enter a number such as 4, or "auto".'),
    (None, None, "#VALUE! KMEANS_SEGMENT: k (the number of segments) is missing."),
    ([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], 8,
     "#NUM! KMEANS_SEGMENT: k=8 needs at least 8 customers, got 5 rows. Lower k or select more rows."),
    ([["Region", "Channel"], ["north", "web"], ["south", "store"]], 2,
     "#VALUE! KMEANS_SEGMENT: data has no numeric column (got only text columns: column 1, column 2). "
     "Include at least one numeric column such as spend or visits."),
    ([[None, None], ["", None]], 2,
     "#VALUE! KMEANS_SEGMENT: data is empty: every cell in the range is blank. Select the cells that hold your data."),
    ([[5, 5]] * 10, 3,
     "#NUM! KMEANS_SEGMENT: k=3 needs at least 3 different customers, but all rows are identical. "
     "Lower k to at most 1 or add varied rows."),
    ([["Spend", "Visits"], [1, 2], [3, "#N/A"], [5, 6]], 2,
     '#N/A KMEANS_SEGMENT: data has the error value #N/A in row 3 of the range (column "Visits"). '
     "Fix that cell or clear it."),
    ([["ID", "Spend"]] + [[f"C{i:03d}", float(i)] for i in range(60)], 2,
     '#VALUE! KMEANS_SEGMENT: data has only ID-like columns (column "ID": every value is a distinct '
     'code; column "Spend": distinct whole numbers in steps of 1), nothing to model. Add the '
     "customers' attributes, or set keep_ids to TRUE to use them anyway."),
])
def test_bad_input_gets_one_clear_line(data, k, message):
    rows, _ = blobs()
    with pytest.raises(XLMError) as e:
        KMEANS(rows if data is None else data, k)
    assert str(e.value).startswith(message)
    assert "\n" not in str(e.value)


def test_bad_options():
    rows, _ = blobs()
    with pytest.raises(XLMError, match="#VALUE! KMEANS_SEGMENT: scale must be \"auto\", TRUE or FALSE, got 'maybe'"):
        KMEANS(rows, 3, "maybe")
    with pytest.raises(XLMError, match="#NUM! SEGMENT_K: k_max=1 is out of range"):
        SEGK(rows, 1)

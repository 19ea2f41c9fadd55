"""scale="auto", k="auto" (prediction strength, then Calinski-Harabasz) and the words of
SEGMENT_PROFILE: known answers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from xlmarketing.core.segment import STRENGTH_MIN, decide_scaling, pick_k
from xlmarketing.functions import REGISTRY

KMEANS = REGISTRY["KMEANS_SEGMENT"]
PROFILE = REGISTRY["SEGMENT_PROFILE"]
SEGK = REGISTRY["SEGMENT_K"]

# Offsets of the blobs inside each of two far-apart groups of blobs.
_OFFSETS = np.array([(0, 0), (12, 0), (0, 12), (12, 12), (6, 20), (20, 6)])


def grouped_blobs(k, seed, n=60):
    """k round blobs in two groups far apart: the silhouette sees the two groups, not the blobs."""
    rng = np.random.default_rng(seed)
    centres = [np.r_[70.0, 70.0] * (i % 2) + _OFFSETS[i // 2] for i in range(k)]
    x = np.vstack([rng.normal(c, 1.5, (n, 2)) for c in centres])
    return [["x", "y"]] + x.round(3).tolist(), np.repeat(np.arange(k), n)


def scattered_blobs(k, seed, n=80, d=3):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (k, d))
    x = np.vstack([rng.normal(c, 1.0, (n, d)) for c in centres])
    return [[f"v{j}" for j in range(d)]] + x.round(3).tolist(), np.repeat(np.arange(k), n)


def segments(out):
    return np.array([r[0] for r in out[1:]])


@pytest.mark.parametrize("k", [3, 4, 6])
@pytest.mark.parametrize("make", [scattered_blobs, grouped_blobs])
def test_auto_k_finds_the_planted_number_of_segments(make, k):
    data, truth = make(k, seed=1)
    table = SEGK(data)
    assert [r[0] for r in table[1:] if r[5] == "recommended"] == [k]
    assert adjusted_rand_score(truth, segments(KMEANS(data, "auto"))) > 0.95


@pytest.mark.parametrize("k", [3, 6])
def test_grouped_blobs_are_where_the_silhouette_alone_picks_2(k):
    data, _ = grouped_blobs(k, seed=1)
    table = SEGK(data)
    by_silhouette = max(table[1:], key=lambda r: r[3])[0]
    assert by_silhouette == 2
    assert [r[0] for r in table[1:] if r[5] == "recommended"] == [k]


def separated_blobs(k, seed, sizes=None, d=3, sep=6.0):
    """k round blobs (sd 1) whose centres are at least ``sep`` apart, of the given sizes."""
    rng = np.random.default_rng(seed)
    centres = []
    while len(centres) < k:
        c = rng.uniform(-12, 12, d)
        if all(np.linalg.norm(c - e) >= sep for e in centres):
            centres.append(c)
    sizes = sizes or [60] * k
    x = np.vstack([rng.normal(c, 1.0, (m, d)) for c, m in zip(centres, sizes)])
    return [[f"v{j}" for j in range(d)]] + x.round(3).tolist(), np.repeat(np.arange(k), sizes)


def recommended(table):
    return [r[0] for r in table[1:] if r[5] == "recommended"]


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6, 7, 8])
def test_auto_k_finds_a_planted_k_from_2_to_8(k):
    data, truth = separated_blobs(k, seed=1)
    table = SEGK(data)
    assert recommended(table) == [k]
    assert table[k - 1][1] == pytest.approx(1.0, abs=0.01)  # the planted blobs reproduce
    assert adjusted_rand_score(truth, segments(KMEANS(data, "auto"))) == 1.0


def test_auto_k_finds_small_segments_beside_a_large_one():
    data, truth = separated_blobs(4, seed=2, sizes=[240, 60, 30, 30])
    assert recommended(SEGK(data)) == [4]
    assert adjusted_rand_score(truth, segments(KMEANS(data, "auto"))) == 1.0


@pytest.mark.parametrize("kind", ["uniform", "gaussian"])
def test_no_structure_gets_the_fewest_segments(kind):
    """A uniform box or one round Gaussian cloud has no segments: no k reproduces across halves
    of the rows, and "auto" gives the fewest there can be, 2."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, (300, 3)) if kind == "uniform" else rng.normal(0, 1, (300, 3))
    table = SEGK([["a", "b", "c"]] + x.round(3).tolist())
    assert recommended(table) == [2]
    assert max(r[1] for r in table[1:]) < STRENGTH_MIN
    assert max(table[1:], key=lambda r: r[2])[0] > 2  # where Calinski-Harabasz alone would split


def test_pick_k_takes_the_best_separated_of_the_reproducible_k():
    t = pd.DataFrame({"k": [2, 3, 4, 5], "strength": [0.95, 0.79, 0.85, 0.85],
                      "calinski_harabasz": [100.0, 500.0, 300.0, 300.0]})
    assert pick_k(t) == 4  # 3 separates best but does not reproduce; 4 and 5 tie: the smaller
    assert pick_k(t.assign(strength=0.5)) == 2  # nothing reproduces: the fewest segments
    assert pick_k(t.assign(strength=[0.5, 0.5, 0.5, 0.81])) == 5


def same_unit_data(seed=0, n=150):
    """Three petal-like measurements, all in cm, with spreads within 4x; a fourth is pure noise
    of the same size as the signal's spread. Standardising would inflate the narrow noise column."""
    rng = np.random.default_rng(seed)
    truth = np.repeat([0, 1, 2], n // 3)
    length = np.array([1.5, 4.3, 5.6])[truth] + rng.normal(0, 0.25, n)
    width = np.array([0.3, 1.3, 2.0])[truth] + rng.normal(0, 0.15, n)
    noise = rng.normal(3.0, 0.35, n)
    return [["Length", "Width", "Depth"]] + np.column_stack([length, width, noise]).round(3).tolist(), truth


def test_auto_scale_keeps_raw_units_when_columns_share_one_scale():
    data, truth = same_unit_data()
    prof = PROFILE(data, 3)
    assert prof[1][-1].startswith("raw units (column spreads within")
    auto = segments(KMEANS(data, 3))
    assert (auto == segments(KMEANS(data, 3, False))).all()
    # Standardising gives the noise column the weight of the signal, and costs accuracy.
    assert adjusted_rand_score(truth, auto) > adjusted_rand_score(truth, segments(KMEANS(data, 3, True)))


def test_auto_scale_standardises_mixed_units_and_true_false_still_force():
    rng = np.random.default_rng(7)
    truth = np.repeat([0, 1], 100)
    spend = rng.normal(5000, 1500, 200)
    visits = np.where(truth == 0, 2.0, 12.0) + rng.normal(0, 0.7, 200)
    data = [["Spend", "Visits"]] + np.column_stack([spend, visits]).round(2).tolist()
    assert PROFILE(data, 2)[1][-1].startswith("standardised (column spreads differ")
    assert adjusted_rand_score(truth, segments(KMEANS(data, 2))) == 1.0
    assert PROFILE(data, 2, False)[1][-1] == "raw units (as asked)"
    assert PROFILE(data, 2, True)[1][-1] == "standardised (as asked)"
    assert KMEANS(data, 2, "auto") == KMEANS(data, 2, True)


def test_auto_scale_standardises_beside_text_date_or_yes_no_columns():
    import pandas as pd
    frame = pd.DataFrame({"cm": [1.0, 2.0, 3.0], "channel": ["web", "app", "web"]})
    assert decide_scaling(frame, {"cm": "number", "channel": "category"}, "auto").standardised
    # Spreads alike (days vs dollars), units not: a date column is standardised with the rest.
    frame = pd.DataFrame({"spend": [100.0, 300.0, 200.0], "joined": [45000.0, 45200.0, 45100.0]})
    kinds = {"spend": "number", "joined": "date"}
    assert decide_scaling(frame, kinds, "auto").reason == "dates or yes/no columns beside numbers"
    assert not decide_scaling(frame, {"spend": "number", "joined": "number"}, "auto").standardised


def davis_like(seed=2, n=200):
    """Height (cm) and weight (kg) of two sexes: spreads within 1.4x, so the spread rule keeps raw
    units, but weight's wider within-group spread then drowns part of height's signal."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    height = np.where(truth, 177, 164) + rng.normal(0, 6.5, n)
    weight = np.where(truth, 75, 58) + rng.normal(0, 10, n)
    return [["Height", "Weight"]] + np.column_stack([height, weight]).round(1).tolist(), truth


def diabetes_like(seed=2, n=150):
    """A relative weight (spread 0.1) beside glucose and insulin areas (spreads in the hundreds)
    that carry the three groups: the spread rule standardises, raw units find the groups better."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    glucose = np.array([350, 500, 1000])[truth] + rng.normal(0, 80, n)
    insulin = np.array([170, 280, 120])[truth] + rng.normal(0, 60, n)
    relwt = rng.normal(1.0, 0.13, n) + 0.05 * truth
    return ([["RelWeight", "Glucose", "Insulin"]]
            + np.column_stack([relwt, glucose, insulin]).round(3).tolist(), truth)


def test_second_look_standardises_when_standardised_segments_fit_raw_units_as_well():
    data, truth = davis_like()
    reason = PROFILE(data, 2)[1][-1]
    assert reason.startswith("standardised (column spreads within 1.4x, but standardised "
                             "segments are as tight in raw units, within ")
    auto = segments(KMEANS(data, 2))
    assert (auto == segments(KMEANS(data, 2, True))).all()
    assert round(adjusted_rand_score(truth, auto), 3) == 0.654
    assert round(adjusted_rand_score(truth, segments(KMEANS(data, 2, False))), 3) == 0.56


def test_second_look_keeps_raw_units_when_wide_columns_carry_the_groups():
    data, truth = diabetes_like()
    reason = PROFILE(data, 3)[1][-1]
    assert reason.startswith("raw units (column spreads differ 2080x, but raw-unit segments are "
                             "as tight standardised, within ")
    assert reason.endswith(", and tighter in raw units)")
    auto = segments(KMEANS(data, 3))
    assert (auto == segments(KMEANS(data, 3, False))).all()
    assert round(adjusted_rand_score(truth, auto), 3) == 0.851
    assert round(adjusted_rand_score(truth, segments(KMEANS(data, 3, True))), 3) == 0.717


def test_second_look_needs_k_and_ignores_row_order():
    import pandas as pd
    data, _ = diabetes_like()
    frame = pd.DataFrame(data[1:], columns=data[0])
    kinds = dict.fromkeys(frame.columns, "number")
    # Without k (k="auto", SEGMENT_K) the spreads alone decide.
    assert decide_scaling(frame, kinds, "auto").text == "standardised (column spreads differ 2080x)"
    assert PROFILE(data, "auto")[1][-1] == "standardised (column spreads differ 2080x)"
    with_k = decide_scaling(frame, kinds, "auto", 3)
    assert not with_k.standardised
    shuffled = frame.sample(frac=1.0, random_state=5).reset_index(drop=True)
    assert decide_scaling(shuffled, kinds, "auto", 3) == with_k
    # Beyond 2,000 rows the second look works on a sample picked by the rows' values.
    big, _ = diabetes_like(n=6000)
    frame = pd.DataFrame(big[1:], columns=big[0])
    shuffled = frame.sample(frac=1.0, random_state=5).reset_index(drop=True)
    from xlmarketing.core.segment import _cross_losses
    losses = _cross_losses(frame.to_numpy(), frame.std(ddof=0).to_numpy(), 3, 0)
    assert _cross_losses(shuffled.to_numpy(), shuffled.std(ddof=0).to_numpy(), 3, 0) == losses
    assert 1.0 < losses[0] < losses[1]  # raw-unit segments lose less standardised than the reverse
    # Same segments in both scalings (well-separated blobs): the spread rule's answer stands.
    blobs, _ = scattered_blobs(3, seed=1)
    assert PROFILE(blobs, 3)[1][-1].startswith("raw units (column spreads within ")


def test_profile_describes_each_segment_in_words():
    rng = np.random.default_rng(3)
    rows = []
    for _ in range(60):  # big spenders who order often on the web
        rows.append([round(rng.normal(2500, 200), 2), round(rng.normal(20, 2)), "Web"])
    for _ in range(90):  # small occasional store shoppers
        rows.append([round(rng.normal(300, 60), 2), round(rng.normal(3, 1)), "Store"])
    for _ in range(50):  # mid spend, app
        rows.append([round(rng.normal(1200, 150), 2), round(rng.normal(10, 2)), "App"])
    prof = PROFILE([["Spend", "Orders", "Channel"]] + rows, 3)
    words = {r[1]: r[-2].split(", ") for r in prof[1:]}  # by segment size; strongest trait first
    assert sorted(words[90]) == ["low orders", "low spend", "mostly store"]
    assert sorted(words[60]) == ["high orders", "high spend", "mostly web"]
    assert "mostly app" in words[50]

"""AB_TEST, AB_SAMPLE_SIZE, BANDIT_ALLOCATE, UPLIFT_SCORE, UPLIFT_QINI: reference answers
(R's prop.test and power.prop.test, statsmodels, scikit-uplift), properties and refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlmarketing import experiment_samples as S
from xlmarketing.cache import CACHE
from xlmarketing.cells import CATEGORY, NUMBER
from xlmarketing.core import bandit as core_bandit
from xlmarketing.core import experiments as E
from xlmarketing.core import uplift as U
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

AB_TEST, AB_SAMPLE_SIZE = REGISTRY["AB_TEST"], REGISTRY["AB_SAMPLE_SIZE"]
BANDIT, UPLIFT_SCORE, UPLIFT_QINI = (REGISTRY["BANDIT_ALLOCATE"], REGISTRY["UPLIFT_SCORE"],
                                     REGISTRY["UPLIFT_QINI"])


def _row(out, label):
    return next(r for r in out if r[0] == label)


# --------------------------------------------------------------------------- AB_TEST


def test_prop_test_with_continuity_correction_matches_r():
    # R: prop.test(c(490, 400), c(500, 500)) -> X-squared = 80.909,
    # 95 percent confidence interval: 0.14085 0.21915
    stat, p, lo, hi = E.prop_test(490, 500, 400, 500, correct=True)
    assert round(stat, 3) == 80.909
    assert (round(lo, 5), round(hi, 5)) == (0.14085, 0.21915)


def test_without_correction_the_chi_square_is_the_z_test_squared():
    sm = pytest.importorskip("statsmodels.stats.proportion")
    for x1, n1, x2, n2 in [(490, 500, 400, 500), (40, 1000, 55, 1000), (3, 50, 9, 70)]:
        z, pz = sm.proportions_ztest([x1, x2], [n1, n2])
        stat, p, _, _ = E.prop_test(x1, n1, x2, n2, correct=False)
        assert stat == pytest.approx(z ** 2, rel=1e-10)
        assert p == pytest.approx(pz, rel=1e-8)


def test_ab_test_sheet_output_reproduces_prop_test_against_the_named_control():
    data = [["Arm", "Visitors", "Conversions"], ["A", 500, 490], ["B", 500, 400]]
    out = AB_TEST(data, "B", correct=True)
    a = _row(out, "A")
    head = out[0]
    assert head[:4] == ["Arm", "Visitors", "Conversions", "Rate"]
    assert round(a[head.index("Chi-square")], 3) == 80.909
    assert (round(a[head.index("CI low")], 5), round(a[head.index("CI high")], 5)) == (0.14085, 0.21915)
    assert a[head.index("Difference")] == pytest.approx(0.18)
    assert "A beats B" in _row(out, "Verdict")[1]


def test_per_visitor_rows_equal_the_summary_rows_and_row_order_does_not_matter():
    rng = np.random.default_rng(0)
    arms = ["A"] * 300 + ["B"] * 300
    ys = list((rng.random(600) < np.r_[np.full(300, 0.1), np.full(300, 0.2)]).astype(int))
    visits = [["Arm", "Converted"]] + [[a, "Yes" if y else "No"] for a, y in zip(arms, ys)]
    summary = [["Arm", "Visitors", "Conversions"], ["A", 300, sum(ys[:300])], ["B", 300, sum(ys[300:])]]
    one, two = AB_TEST(visits), AB_TEST(summary)
    assert one[1:3] == two[1:3]
    body = visits[1:]
    shuffled = [visits[0]] + [body[i] for i in rng.permutation(len(body))]
    three = AB_TEST(shuffled, "A")
    assert _row(three, "B") == _row(one, "B")


def test_amounts_use_welch():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    a, b = rng.gamma(2, 30, 80), rng.gamma(2, 36, 120)
    data = [["Arm", "Order value"]] + [["A", v] for v in a] + [["B", v] for v in b]
    out = AB_TEST(data)
    head = out[0]
    assert head[3] == "Mean"
    ref = stats.ttest_ind(b, a, equal_var=False)
    row = _row(out, "B")
    assert row[head.index("t")] == pytest.approx(ref.statistic)
    assert row[head.index("p-value")] == pytest.approx(ref.pvalue)


def test_two_arm_probability_best_closed_form_equals_monte_carlo():
    rng = np.random.default_rng(2024)
    for (sa, na), (sb, nb) in [((40, 1000), (55, 1000)), ((12, 300), (9, 250)), ((200, 5000), (230, 5000))]:
        exact = E.prob_b_beats_a(sa, na - sa, sb, nb - sb)
        draws = 10 ** 6
        mc = np.mean(rng.beta(1 + sb, 1 + nb - sb, draws) > rng.beta(1 + sa, 1 + na - sa, draws))
        assert abs(exact - mc) < 0.002


def test_closed_form_is_symmetric_and_handles_big_counts():
    p = E.prob_b_beats_a(40, 960, 55, 945)
    assert p + E.prob_b_beats_a(55, 945, 40, 960) == pytest.approx(1, abs=1e-12)
    assert E.prob_b_beats_a(10, 10, 10, 10) == pytest.approx(0.5, abs=1e-12)
    big = E.prob_b_beats_a(3_000_000, 97_000_000, 3_010_000, 96_990_000)  # normal approximation
    assert 0.99 < big <= 1


def test_more_arms_are_monte_carlo_by_seed():
    data = [["Arm", "Visitors", "Conversions"], ["A", 1000, 40], ["B", 1000, 55], ["C", 1000, 50]]
    one, two = AB_TEST(data, seed=1), AB_TEST(data, seed=1)
    col = one[0].index("P(best)")
    assert one == two
    best = [r[col] for r in one[1:4]]
    assert sum(best) == pytest.approx(1)
    assert best[1] > best[2] > best[0]


def test_sample_ratio_mismatch_and_peeking_are_flagged():
    data = [["Arm", "Visitors", "Conversions"], ["A", 5000, 200], ["B", 4500, 230]]
    out = AB_TEST(data, planned_split="50/50", planned_size=10000)
    verdict = _row(out, "Verdict")[1]
    assert verdict.startswith("Provisional") and "sample ratio mismatch" in verdict
    notes = " ".join(r[1] for r in out if r[0] == "Note")
    assert "mismatch" in notes and "Peeking" in notes
    fine = AB_TEST([["Arm", "Visitors", "Conversions"], ["A", 5000, 200], ["B", 4990, 230]],
                   planned_split=[[1, 1]])
    assert "sample ratio" not in _row(fine, "Verdict")[1]


@pytest.mark.parametrize("data, words", [
    ([["A", 10, 2]], "only one arm"),
    ([["A", 10, 12], ["B", 10, 3]], "conversions but only"),
    ([["A", 10, 2], ["B", 10, "x"]], "text"),
    ([["A", 1, 2, 3, 4], ["B", 1, 2, 3, 4]], "3 columns"),
])
def test_ab_test_refusals_are_one_line(data, words):
    with pytest.raises(XLMError) as e:
        AB_TEST(data)
    assert words in str(e.value) and "\n" not in str(e.value)
    assert str(e.value).startswith("#") and "AB_TEST" in str(e.value)


# --------------------------------------------------------------------------- AB_SAMPLE_SIZE


def test_sample_size_matches_r_power_prop_test():
    # R: power.prop.test(p1 = 0.5, p2 = 0.75, power = 0.9) -> n = 76.7
    assert round(E.sample_size(0.5, 0.75, power=0.9), 1) == 76.7
    out = AB_SAMPLE_SIZE(0.5, 0.5, 0.9)
    assert _row(out, "Recipients per arm")[1] == 77
    assert round(_row(out, "Recipients per arm (exact)")[1], 1) == 76.7


def test_detectable_lift_is_the_inverse_and_power_closes_the_loop():
    n = E.sample_size(0.04, 0.05, power=0.8, alpha=0.05, sides=1)
    assert E.detectable_rate(0.04, n, power=0.8, alpha=0.05, sides=1) == pytest.approx(0.05, abs=1e-9)
    out = AB_SAMPLE_SIZE(0.04, None, 0.8, 0.05, "one-sided", n)
    assert _row(out, "Target rate")[1] == pytest.approx(0.05, abs=1e-8)
    both = AB_SAMPLE_SIZE(0.04, 0.01, 0.8, 0.05, "one-sided", n, "absolute")
    assert _row(both, "Power")[1] == pytest.approx(0.8, abs=1e-8)
    assert _row(both, "Solved for")[1] == "Power"
    # a one-sided test needs fewer recipients than a two-sided one
    assert n < E.sample_size(0.04, 0.05, power=0.8, alpha=0.05, sides=2)


def test_sample_size_refusals():
    with pytest.raises(XLMError, match="lift"):
        AB_SAMPLE_SIZE(0.04)
    with pytest.raises(XLMError, match="outside 0% to 100%"):
        AB_SAMPLE_SIZE(0.6, 1.0)
    with pytest.raises(XLMError, match="baseline"):
        AB_SAMPLE_SIZE(1.5, 0.1)


# --------------------------------------------------------------------------- BANDIT_ALLOCATE


def test_bandit_shares_are_the_probability_best_deterministic_by_seed():
    data = [["Arm", "Sent", "Opened"], ["A", 1000, 40], ["B", 1000, 55], ["C", 1000, 50]]
    out = BANDIT(data, 1000, seed=5)
    assert out == BANDIT(data, 1000, seed=5)
    head = out[0]
    rows = out[1:4]
    shares = [r[head.index("Next share")] for r in rows]
    assert sum(shares) == pytest.approx(1)
    assert [r[head.index("P(best)")] for r in rows] == shares
    assert sum(r[head.index("Next visitors")] for r in rows) == 1000
    assert shares[1] == max(shares)
    # the same probabilities as the A/B closed form would give, up to Monte Carlo error
    assert shares[1] == pytest.approx(AB_TEST(data, seed=5)[2][-1], abs=0.02)


def test_bandit_stops_when_the_expected_loss_is_small():
    out = BANDIT([["A", 20000, 400], ["B", 20000, 700]])
    verdict = _row(out, "Verdict")[1]
    assert verdict.startswith("Stop: arm B wins")
    early = BANDIT([["A", 100, 2], ["B", 100, 3]])
    assert _row(early, "Verdict")[1].startswith("Keep going")


def test_expected_loss_matches_its_definition():
    a, b = np.array([41.0, 56.0]), np.array([961.0, 946.0])
    best, loss, _ = core_bandit.thompson(a, b, seed=0, draws=400_000)
    rng = np.random.default_rng(1)
    ta, tb = rng.beta(a[0], b[0], 400_000), rng.beta(a[1], b[1], 400_000)
    assert loss[0] == pytest.approx(np.mean(np.maximum(tb - ta, 0)), abs=2e-4)
    assert best[1] == pytest.approx(E.prob_b_beats_a(40, 960, 55, 945), abs=0.003)


def test_discount_follows_a_drift_and_needs_periods():
    rows = [["Day", "Arm", "Sent", "Opened"]]
    for d in range(1, 21):  # A was better for 15 days, B is better for the last 5
        ra, rb = (0.06, 0.03) if d <= 15 else (0.03, 0.07)
        rows += [[d, "A", 1000, int(1000 * ra)], [d, "B", 1000, int(1000 * rb)]]
    flat = BANDIT(rows, None, 1)
    recent = BANDIT(rows, None, 0.7)
    assert _row(flat, "A")[5] > 0.9       # all history: A
    assert _row(recent, "B")[5] > 0.9     # discounted: B
    auto = BANDIT(rows)                   # blank: the drift is plain, so a discount is chosen
    assert _row(auto, "B")[5] > 0.9
    assert any("discount chosen from the data" in str(r[1]) for r in auto if r[0] == "Note")
    with pytest.raises(XLMError, match="period column"):
        BANDIT([["A", 100, 2], ["B", 100, 3]], None, 0.9)


def test_automatic_discount_is_one_for_steady_rates_and_below_one_for_a_drift():
    rng = np.random.default_rng(3)
    k, periods = 4, 25
    codes = np.tile(np.arange(k), periods)
    age = np.repeat(np.arange(periods)[::-1], k)
    trials = np.full(k * periods, 500.0)
    steady = rng.binomial(500, np.tile([0.02, 0.04, 0.05, 0.06], periods)).astype(float)
    assert core_bandit.choose_discount(codes, k, trials, steady, age) == 1.0
    # the best arm changes: arm 0 falls from 8% to 1% while arm 3 climbs from 1% to 8%
    t = np.repeat(np.linspace(0, 1, periods), k)
    moving = np.where(codes == 0, 0.08 - 0.07 * t, np.where(codes == 3, 0.01 + 0.07 * t, 0.04))
    drift = rng.binomial(500, moving).astype(float)
    d = core_bandit.choose_discount(codes, k, trials, drift, age)
    assert 0.5 <= d < 1
    res = core_bandit.allocate(["a", "b", "c", "d"], codes, trials, drift, age=age)
    assert res.discount == d and res.leader == "d"
    # a discount given is used as given; without periods there is nothing to discount
    assert core_bandit.allocate(["a", "b", "c", "d"], codes, trials, drift, age=age,
                                discount=1.0).discount == 1.0
    assert core_bandit.allocate(["a", "b", "c", "d"], codes, trials, drift).discount == 1.0


def test_the_prior_is_centred_on_the_pooled_rate():
    a, b = core_bandit.posterior(np.array([0, 1]), 3, np.array([1000.0, 1000.0]),
                                 np.array([40.0, 60.0]))
    # arm 2 has no results: it is taken to convert like the test as a whole (101/2002)
    assert a[2] / (a[2] + b[2]) == pytest.approx(101 / 2002)
    assert a[2] + b[2] == pytest.approx(core_bandit.PRIOR_TRIALS)
    assert a[0] - a[2] == 40 and b[0] - b[2] == 960


def test_bandit_row_order_and_label_spelling_do_not_matter():
    a = BANDIT([["Arm", "Sent", "Opened"], ["A", 500, 20], ["b", 400, 30], ["B ", 100, 5]])
    b = BANDIT([["Arm", "Sent", "Opened"], ["a", 500, 20], ["B", 100, 5], ["b", 400, 30]])
    assert [r[1:] for r in a[1:3]] == [r[1:] for r in b[1:3]]


def test_bandit_numbers_follow_the_arms_not_their_order():
    rows = [["A", 1000, 30], ["B", 1000, 45], ["C", 1000, 38], ["D", 800, 33]]
    given = BANDIT([["Arm", "Trials", "Successes"]] + rows, 1000)
    again = BANDIT([["Arm", "Trials", "Successes"]] + rows[::-1], 1000)
    by_arm = {r[0]: r[1:] for r in given[1:5]}
    assert [r[0] for r in again[1:5]] == ["D", "C", "B", "A"]  # listed in the order given
    assert all(r[1:] == by_arm[r[0]] for r in again[1:5])       # the same numbers, exactly
    assert _row(again, "Verdict") == _row(given, "Verdict")
    # Each arm's draws come from its own stream: another arm added leaves its P(best) estimate
    # drawn from the same rates (it only changes who wins each draw).
    a, b = np.array([31.0, 46.0]), np.array([971.0, 956.0])
    p2, _, _ = core_bandit.thompson(a, b, keys=["a", "b"])
    p2r, _, _ = core_bandit.thompson(a[::-1], b[::-1], keys=["b", "a"])
    assert list(p2) == list(p2r[::-1])


# --------------------------------------------------------------------------- uplift


@pytest.fixture(scope="module")
def campaign():
    d = S.uplift_customers(1500, seed=5)
    cols = ["Age", "Region", "Orders (12 months)", "Days since last order",
            "Email opens (90 days)", "Complaints"]
    data = [cols] + d[cols].values.tolist()
    tr = [["Treatment"]] + [[v] for v in d["Treatment"]]
    oc = [["Bought"]] + [[v] for v in d["Bought"]]
    return d, data, tr, oc


def test_qini_and_uplift_at_k_equal_scikit_uplift():
    sk = pytest.importorskip("sklift.metrics")
    rng = np.random.default_rng(7)
    n = 3000
    t = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    y = (rng.random(n) < 0.1 + 0.08 * t * (x > 0)).astype(int)
    for score in (x + rng.normal(0, 0.5, n), rng.normal(size=n), np.round(x, 1)):
        assert U.qini_coefficient(y, score, t) == pytest.approx(sk.qini_auc_score(y, score, t), rel=1e-12)
        tied = np.unique(score).size < n
        for k in (0.1, 0.3, 0.5):
            # scikit-uplift breaks ties by row position; ours splits them evenly (below).
            if not tied:
                assert U.uplift_at_k(y, score, t, k) == pytest.approx(
                    sk.uplift_at_k(y, score, t, strategy="overall", k=k), rel=1e-12)
        xs, ys = U.qini_curve(y, score, t)
        rx, ry = sk.qini_curve(y, score, t)
        np.testing.assert_allclose(xs, rx)
        np.testing.assert_allclose(ys, ry)


def _even_ties_at_k(y, score, t, k):
    """Uplift in the top k with each group of equal scores at the cut taken in equal shares."""
    m, w = int(len(y) * k), np.zeros(len(y))
    for v in sorted(set(score), reverse=True):
        g = score == v
        w[g] = min(g.sum(), m - w.sum()) / g.sum()
        if w.sum() >= m:
            break
    return (w * y * t).sum() / (w * t).sum() - (w * y * (1 - t)).sum() / (w * (1 - t)).sum()


def test_uplift_ties_are_split_evenly_whatever_the_row_order():
    rng = np.random.default_rng(11)
    n = 1000
    t = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    y = (rng.random(n) < 0.1 + 0.08 * t * (x > 0)).astype(int)
    score = np.round(x, 1)  # many ties, and cuts inside groups of them
    pts = U.qini_points(y, score, t, 10)
    for seed in range(3):
        p = np.random.default_rng(seed).permutation(n)
        assert U.qini_points(y[p], score[p], t[p], 10).equals(pts)
        for k in (0.1, 0.3, 0.5):
            assert U.uplift_at_k(y[p], score[p], t[p], k) == pytest.approx(
                _even_ties_at_k(y, score, t, k), rel=1e-12)
    # The curve's points are the tie-split cumulative sums: at 50% targeted, by hand.
    m, w = n // 2, np.zeros(n)
    for v in sorted(set(score), reverse=True):
        g = score == v
        w[g] = min(g.sum(), m - w.sum()) / g.sum()
        if w.sum() >= m:
            break
    nt, nc = (w * t).sum(), (w * (1 - t)).sum()
    want = (w * y * t).sum() - (w * y * (1 - t)).sum() * nt / nc
    assert pts["model"][5] == pytest.approx(want, rel=1e-12)


def test_uplift_qini_sheet_figures_equal_scikit_uplift_on_the_cross_validated_scores(campaign):
    sk = pytest.importorskip("sklift.metrics")
    d, data, tr, oc = campaign
    out = UPLIFT_QINI(data, tr, oc)
    from xlmarketing.functions.experiments import fit_uplift

    f = fit_uplift(data, tr, oc, "auto", 0, None, False).fit
    assert _row(out, "Qini coefficient")[1] == pytest.approx(sk.qini_auc_score(f.y, f.oof, f.t), abs=1e-6)
    assert _row(out, "Uplift in the top 30%")[1] == pytest.approx(
        sk.uplift_at_k(f.y, f.oof, f.t, strategy="overall", k=0.3), abs=1e-6)
    assert _row(out, "Model")[1] in ("two_model", "class_transform")
    curve = out[1:12]
    assert curve[0][:3] == [0.0, 0, 0.0] and curve[-1][2] == pytest.approx(curve[-1][3])


def test_uplift_score_aligns_rows_recovers_the_true_effect_and_names_segments(campaign):
    d, data, tr, oc = campaign
    blank_row = len(data) // 2
    data2 = [list(r) for r in data]
    data2[blank_row] = [None] * len(data2[0])
    out = UPLIFT_SCORE(data2, tr, oc)
    assert out[0] == ["Uplift", "Probability without campaign", "Segment"]
    assert len(out) == len(data)
    assert out[blank_row] == ["", "", ""]
    u = np.array([r[0] for i, r in enumerate(out[1:], 1) if i != blank_row], float)
    truth = np.delete(d["uplift_truth"].to_numpy(), blank_row - 1)
    assert np.corrcoef(u, truth)[0, 1] > 0.5
    segs = {r[2] for r in out[1:] if r[2]}
    assert segs <= {"Persuadable", "Sure thing", "Lost cause", "Do not disturb"}
    assert "Persuadable" in segs and "Do not disturb" in segs


def test_uplift_models_and_determinism(campaign):
    _, data, tr, oc = campaign
    two = UPLIFT_SCORE(data, tr, oc, "two_model")
    ct = UPLIFT_SCORE(data, tr, oc, "class_transform")
    assert two != ct
    CACHE.clear()
    assert UPLIFT_SCORE(data, tr, oc, "two_model") == two


def test_uplift_auto_leaves_two_model_only_on_a_significant_paired_gain():
    cv = {"two_model": 0.10, "class_transform": 0.12}
    base = np.array([0.10, 0.12, 0.08, 0.11, 0.09])
    # mean gain 0.02, paired SE 0.0170 (1.17 SE): above one SE, below the 5% one-sided t value (2.13 SE)
    chance = {"two_model": base, "class_transform": base + np.array([0.07, -0.03, 0.04, 0.0, 0.02])}
    assert U._choose(U.LEARNERS, cv, chance) == "two_model"
    # a steady gain (SE 0.0016, 12.6 SE) switches
    steady = {"two_model": base, "class_transform": base + np.array([0.02, 0.025, 0.015, 0.02, 0.02])}
    assert U._choose(U.LEARNERS, cv, steady) == "class_transform"
    # never toward a learner with the lower pooled Qini
    assert U._choose(U.LEARNERS, {"two_model": 0.12, "class_transform": 0.10}, steady) == "two_model"


def test_uplift_randomisation_auc_equals_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(4)
    for n, levels in ((50, 3), (800, 40), (3000, 0)):
        t = (rng.random(n) < 0.3).astype(int)
        s = rng.integers(0, levels, n).astype(float) if levels else rng.normal(size=n)
        assert U._auc(t, s) == pytest.approx(roc_auc_score(t, s), abs=1e-12)


def test_uplift_refuses_a_treatment_that_does_not_vary(campaign):
    _, data, tr, oc = campaign
    same = [tr[0]] + [["Coupon"]] * (len(tr) - 1)
    with pytest.raises(XLMError, match="does not vary"):
        UPLIFT_SCORE(data, same, oc)


def test_uplift_refuses_a_confounded_treatment_naming_the_feature(campaign):
    d, data, _, oc = campaign
    tr = [["Treatment"]] + [["Coupon" if a < 45 else "Control"] for a in d["Age"]]
    with pytest.raises(XLMError, match='confounded with column "Age"'):
        UPLIFT_SCORE(data, tr, oc)


def test_uplift_refuses_unreadable_labels(campaign):
    _, data, tr, oc = campaign
    odd = [tr[0]] + [["P"] if i % 2 else ["Q"] for i in range(len(tr) - 1)]
    with pytest.raises(XLMError, match="Treated/Control"):
        UPLIFT_SCORE(data, odd, oc)
    with pytest.raises(XLMError, match="rows"):
        UPLIFT_SCORE(data, tr[:-5], oc)


def test_wizard_texts_fit_excels_255_characters():
    for name in ("AB_TEST", "AB_SAMPLE_SIZE", "BANDIT_ALLOCATE", "UPLIFT_SCORE", "UPLIFT_QINI"):
        spec = REGISTRY[name].spec
        assert len(spec.summary) <= 255, name
        assert all(len(a.doc) <= 255 for a in spec.args.values()), name


def test_unchanged_inputs_never_refit(campaign):
    _, data, tr, oc = campaign
    CACHE.clear()
    UPLIFT_SCORE(data, tr, oc)
    UPLIFT_QINI(data, tr, oc)          # the same fit serves both
    AB_TEST([["A", 100, 5], ["B", 100, 9]])
    AB_TEST([["A", 100, 5], ["B", 100, 9]])
    BANDIT([["A", 100, 5], ["B", 100, 9]])
    BANDIT([["A", 100, 5], ["B", 100, 9]], 50)  # traffic only shapes the output
    fits = CACHE.info()["fits"]
    assert (fits.get("uplift"), fits.get("ab_test"), fits.get("bandit")) == (1, 1, 1)


def test_uplift_logit_reaches_scikit_learns_optimum():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(8)
    for n, p in ((60, 3), (2000, 9)):
        X = rng.normal(size=(n, p))
        y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * X[:, 0] - 1)))).astype(int)
        w = rng.uniform(0.5, 2.0, n)
        for sw in (None, w):
            sk = LogisticRegression(C=U.C, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=sw)
            ours = U.Logit().fit(X, y, sw)
            np.testing.assert_allclose(ours.beta[:-1], sk.coef_[0], atol=1e-6)
            assert ours.beta[-1] == pytest.approx(sk.intercept_[0], abs=1e-6)
            np.testing.assert_allclose(ours.proba(X), sk.predict_proba(X)[:, 1], atol=1e-7)


def test_uplift_one_step_folds_are_close_to_fitting_each_fold():
    rng = np.random.default_rng(9)
    n, p = 1500, 6
    X = rng.normal(size=(n, p))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X[:, 0] - X[:, 1] - 1)))).astype(int)
    bounds = np.array([0, 300, 600, 900, 1200, 1500])
    A = U._design(X)
    full = U.Logit().fit_design(A, y)
    for k, beta in enumerate(full.held_out(A, y, None, bounds)):
        train = np.r_[0:bounds[k], bounds[k + 1]:n]
        exact = U.Logit().fit_design(A[train], y[train]).beta
        # the step takes out most of the fold's pull (what is left is of the order of its
        # square): an order of magnitude closer than the fit on every row
        assert np.abs(beta - exact).max() < 0.1 * np.abs(full.beta - exact).max()


def test_uplift_screen_auc_is_the_logistic_models_on_randomised_and_confounded_data():
    rng = np.random.default_rng(10)
    n = 2000
    bounds = np.arange(6) * 400
    for strength in (0.0, 0.5, 2.0):
        X = rng.normal(size=(n, 4))
        t = (rng.random(n) < 1 / (1 + np.exp(-strength * X[:, 0]))).astype(int)
        A = U._design(X)
        score = np.zeros(n)
        for k, b in enumerate(U.Logit().fit_design(A, t).held_out(A, t, None, bounds)):
            score[bounds[k]:bounds[k + 1]] = U.expit(A[bounds[k]:bounds[k + 1]] @ b)
        assert U._screen_auc(A, t, bounds) == pytest.approx(U._auc(t, score), abs=0.01)


def test_uplift_qini_yardsticks_by_counting_equal_the_perfect_rankings_curve():
    rng = np.random.default_rng(12)
    for n, rate in ((500, 0.1), (37, 0.5), (200, 0.0)):
        t = rng.integers(0, 2, n)
        y = (rng.random(n) < rate).astype(int)
        xp, yp = U.qini_curve(y, y * t - y * (1 - t), t)
        base = U._area([0.0, xp[-1]], [0.0, yp[-1]])
        assert U._qini_base(y, t) == pytest.approx((base, U._area(xp, yp) - base), abs=1e-9)


def test_uplift_row_hashes_equal_pandas_and_fold_qini_from_one_sort_equals_each_folds():
    from xlmarketing.core.rows import row_hashes

    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame({
        "x": rng.normal(size=n), "k": rng.integers(0, 5, n), "gap": np.where(rng.random(n) < 0.1, np.nan, 1.0),
        "txt": rng.choice(["a", "b", None], n), "cat": pd.Categorical(rng.choice(["p", "q"], n)),
        "s": pd.array(rng.choice(["u", "v"], n), dtype="string"), "ok": rng.random(n) < 0.5,
        "when": pd.date_range("2024-01-01", periods=n, freq="h")}, index=rng.permutation(n))
    want = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).to_numpy()
    assert np.array_equal(row_hashes(frame), want)
    for trial in range(40):  # ties (rounded scores) and uneven folds: the same figures, exactly
        m = int(rng.integers(30, 900))
        y = (rng.random(m) < rng.random()).astype(float)
        t = (rng.random(m) < 0.5).astype(float)
        u = np.round(rng.normal(size=m), trial % 3)
        bounds = np.r_[0, np.sort(rng.choice(np.arange(1, m), 4, replace=False)), m]
        parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        bases = [U._qini_base(y[k], t[k]) for k in parts]
        whole, per_fold = U._cv_qini(y, u, t, bounds, U._qini_base(y, t), bases)
        assert whole == U.qini_coefficient(y, u, t) or np.isnan(whole)
        each = [U.qini_coefficient(y[k], u[k], t[k], b) for k, b in zip(parts, bases)]
        assert np.array_equal(per_fold, each, equal_nan=True)


def test_uplift_folds_follow_the_customers_not_the_row_order():
    from xlmarketing.core.rows import content_order, deal_folds

    d = S.uplift_customers(600, seed=3)
    frame = d[["Age", "Region", "Orders (12 months)"]].reset_index(drop=True)
    frame["Spend"] = np.random.default_rng(1).normal(size=600)  # every customer distinct
    strata = np.arange(600) % 4
    fold = deal_folds(content_order(frame, pd.DataFrame({"s": strata})), strata, 5, 7)
    p = np.random.default_rng(0).permutation(600)
    moved = frame.iloc[p].reset_index(drop=True)
    again = deal_folds(content_order(moved, pd.DataFrame({"s": strata[p]})), strata[p], 5, 7)
    assert (again == fold[p]).all()
    for s in range(4):  # stratified: each stratum spread evenly over the folds
        counts = np.bincount(fold[strata == s], minlength=5)
        assert counts.max() - counts.min() <= 1
    assert np.ptp(np.bincount(fold, minlength=5)) <= 1


def test_uplift_one_step_cross_validation_chooses_as_exact_folds_do(campaign):
    d, *_ = campaign
    cols = ["Age", "Region", "Orders (12 months)", "Days since last order",
            "Email opens (90 days)", "Complaints"]
    frame = d[cols].reset_index(drop=True)
    frame["Region"] = frame["Region"].astype(str)
    kinds = {c: (CATEGORY if c == "Region" else NUMBER) for c in cols}
    t = (d["Treatment"] == "Coupon").to_numpy(int)
    y = (d["Bought"] == "Yes").to_numpy(int)
    fast = U.fit(frame, kinds, t, y)
    exact = U.fit(frame, kinds, t, y, exact_cv=True)
    assert fast.model == exact.model
    np.testing.assert_array_equal(fast.uplift, exact.uplift)  # the same fit on every row
    for name in U.LEARNERS:
        assert fast.cv_qini[name] == pytest.approx(exact.cv_qini[name], abs=0.01)
        assert np.corrcoef(fast.cv_uplift[name], exact.cv_uplift[name])[0, 1] > 0.99

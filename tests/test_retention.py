"""SUBSCRIPTION_RETENTION: Fader and Hardie's (2007) published cohorts, the curve's properties,
the residual lifetime against its defining sum, and clear errors."""

import numpy as np
import pytest

from xlmarketing.core import retention as core
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

RETENTION = REGISTRY["SUBSCRIPTION_RETENTION"]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


def stats(out):
    return {r[0]: r[1] for r in out if isinstance(r[0], str)}


@pytest.mark.parametrize("cohort, alpha, beta", [(HIGH_END, 0.668, 3.806), (REGULAR, 0.704, 1.182)])
def test_fader_hardie_2007_cohorts(cohort, alpha, beta):
    out = RETENTION([["Active"]] + [[v] for v in cohort])
    s = stats(out)
    assert round(s["alpha"], 3) == alpha and round(s["beta"], 3) == beta
    assert out[0] == ["Period", "Survivors", "Fitted survivors", "Retention", "Fitted retention"]
    curve = out[1:1 + 2 * (len(cohort) - 1) + 1]
    assert [r[0] for r in curve] == list(range(2 * (len(cohort) - 1) + 1))
    assert [r[1] for r in curve[:len(cohort)]] == cohort and curve[len(cohort)][1] == ""
    fitted_rate = np.array([r[4] for r in curve[1:]], float)
    assert np.all(np.diff(fitted_rate) > 0)  # retention rises with tenure
    np.testing.assert_allclose(fitted_rate, (beta + np.arange(len(fitted_rate))) /
                               (alpha + beta + np.arange(len(fitted_rate))), rtol=2e-3)
    assert s["Expected lifetime (periods)"] == "unbounded (alpha <= 1)"


def test_derl_equals_its_defining_sum_and_lifetime_its_mean():
    m = core.ShiftedBetaGeometric(1.8, 3.2)
    k = np.arange(1, 5000)
    for n, d in ((0, 0.1), (7, 0.1), (4, 0.02)):
        by_sum = np.sum(m.survival(n + k) / m.survival(n) / (1 + d) ** k)
        assert m.derl(d, n) == pytest.approx(by_sum, rel=1e-9)
    t = np.arange(0, 200000)
    assert m.expected_lifetime == pytest.approx(np.sum(m.survival(t)), rel=1e-3)
    assert m.derl(0, 0) == pytest.approx(m.expected_lifetime - 1, rel=1e-12)


def test_horizon_and_discount_options():
    out = RETENTION([[v] for v in HIGH_END], 2, 0.2)
    assert max(r[0] for r in out if isinstance(r[0], int)) == 9
    assert stats(out)["DERL after period 7 (discount 0.2)"] < \
        stats(RETENTION([[v] for v in HIGH_END]))["DERL after period 7 (discount 0.1)"]


@pytest.mark.parametrize("cells, message", [
    ([[1000], [900], [950]], "survivors goes up from 900 to 950"),
    ([[1000], [900]], "needs the cohort's size and at least two"),
    ([[1000], ["many"], [800]], "survivors has 'many' in row 2"),
    ([[1000], [1000], [1000]], "never falls"),
])
def test_clear_errors(cells, message):
    with pytest.raises(XLMError, match=message):
        RETENTION(cells)


def test_a_total_under_the_survivors_is_left_out_or_refused_naming_its_row():
    want = RETENTION([["Active"]] + [[v] for v in HIGH_END])
    labelled = RETENTION([["Active"]] + [[v] for v in HIGH_END] + [[" Total "]])
    notes = [r[1] for r in labelled if r[0] == "Note"]
    assert "survivors: row 10 of the range ('Total') left out" in notes[0]
    assert [r for r in labelled if r[0] != "Note"] == [r for r in want if r[0] != "Note"]
    with pytest.raises(XLMError, match=r"survivors row 10 of the range is the sum of the rows "
                                       r"above it \(a total row\)"):
        RETENTION([["Active"]] + [[v] for v in HIGH_END] + [[sum(HIGH_END)]])
    with pytest.raises(XLMError, match="survivors row 3 of the range is the sum"):
        RETENTION([[1000], [600], [1600]])

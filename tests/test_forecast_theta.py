"""The optimised Theta member (forecast_methods.theta_fit / theta_opt_track), used without a season."""

import numpy as np
import pytest

from xlmarketing.core import forecast as core
from xlmarketing.core import forecast_methods as fm


def test_planted_linear_trend_is_recovered():
    t = np.arange(30.0)
    y = 100 + 5 * t + np.random.default_rng(0).normal(0, 3, 30)
    p = fm.theta_fit(y)
    assert p["k"] > 0.9                      # theta well above the classic 2 (k = 1/2): the full trend
    f = fm.theta_opt_track(y, 4)[-1]
    np.testing.assert_allclose(np.diff(f), 5.0, atol=0.3)
    np.testing.assert_allclose(f, 100 + 5 * np.arange(30, 34), rtol=0.01)


def test_constant_history_forecasts_the_constant():
    F = fm.theta_opt_track(np.full(12, 7.0), 3)
    np.testing.assert_allclose(F[-1], 7.0, atol=1e-9)


def _sse(y, p, k, l0):
    """One-step SSE of the Theta model at (alpha, line) from ``p``, with ``k`` and ``l0``."""
    a, n = p["alpha"], len(y)
    A, B = fm._expanding_line(y)
    level, e = l0, []
    for t in range(n):
        if t >= fm._THETA_BURN:
            Ai, Bi = (A[t - 1], B[t - 1]) if p["dynamic"] else (A[-1], B[-1])
            mu = level + k * (Ai * (1 - a) ** t + Bi * (1 - (1 - a) ** (t + 1)) / a)
            e.append(y[t] - mu)
        level = a * y[t] + (1 - a) * level
    return float(np.sum(np.square(e)))


def test_fit_is_no_worse_than_the_classic_theta():
    """k and the initial level are solved exactly: theta = 2 (k = 1/2) at the chosen alpha
    and line cannot have a lower one-step SSE than the fit."""
    rng = np.random.default_rng(4)
    for _ in range(5):
        y = np.cumsum(rng.normal(0.5, 2, 25)) + 40
        p = fm.theta_fit(y)
        assert _sse(y, p, p["k"], p["l0"]) == pytest.approx(p["sse"], rel=1e-6, abs=1e-6)
        for l0 in (y[0], y[0] - 5, p["l0"] + 1):
            assert p["sse"] <= _sse(y, p, 0.5, l0) + 1e-9


def _levels(z, p):
    level, out = p["l0"], []
    for v in z:
        level = p["alpha"] * v + (1 - p["alpha"]) * level
        out.append(level)
    return np.array(out)


def test_track_uses_only_the_history_up_to_its_origin(monkeypatch):
    """With the parameters held, changing the data after origin o leaves rows 0..o unchanged."""
    rng = np.random.default_rng(1)
    y = np.cumsum(rng.normal(1, 1, 20)) + 30
    o = 11
    fit, levels = fm._theta_fit(y)
    np.testing.assert_allclose(levels, _levels(y, fit))
    for dynamic in (False, True):
        p = {**fit, "dynamic": dynamic}
        monkeypatch.setattr(fm, "_theta_fit", lambda z, p=p: (p, _levels(z, p)))
        y2 = y.copy()
        y2[o + 1:] += 50 * rng.normal(size=y.size - o - 1)
        F1, F2 = fm.theta_opt_track(y, 5), fm.theta_opt_track(y2, 5)
        np.testing.assert_array_equal(F1[:o + 1], F2[:o + 1])
        assert not np.allclose(F1[o + 1:], F2[o + 1:])


def test_nonseasonal_fit_uses_the_optimised_theta_and_the_ensemble():
    y = 50 + 4 * np.arange(20.0) + np.random.default_rng(2).normal(0, 6, 20)
    fit = core.fit_forecast(y, 5, candidates=())
    assert fit.m == 1
    np.testing.assert_allclose(fit.members["theta"], fm.theta_opt_track(y, 5)[-1])
    assert fit.method in ("comb", "trend")   # no member alone without a season


def test_length_caches_hold_short_histories_only():
    # The length-only helpers are memoised for short histories (read-only results); a long
    # history computes afresh, so a batch of long series cannot fill memory.
    short, long_ = fm.SHORT_N, fm.SHORT_N + 1
    assert fm._theta_weights(short)[0] is fm._theta_weights(short)[0]
    assert not fm._theta_weights(short)[0].flags.writeable
    a, b = fm._theta_weights(long_)[0], fm._theta_weights(long_)[0]
    assert a is not b and np.array_equal(a, b)

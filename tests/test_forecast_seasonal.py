"""The seasonal path of the forecaster: season detection levels, the seasonal-difference member."""

import numpy as np
import pytest

from xlmarketing.core import forecast as fc
from xlmarketing.core.forecast_sarima import sar_fit, sar_track


def _direct(y, m, H, phi, c, p, o):
    """The seasonal-difference AR forecast from origin ``o``, one step at a time."""
    v, w = list(y[:o + 1]), list(y[m:o + 1] - y[:o + 1 - m])
    out = []
    for _ in range(H):
        step = c + sum(phi[i] * w[-1 - i] for i in range(p) if len(w) - 1 - i >= 0)
        w.append(step)
        v.append(v[-m] + step)
        out.append(v[-1])
    return np.array(out)


def test_sar_track_is_the_seasonal_difference_recursion_at_every_origin():
    rng = np.random.default_rng(1)
    m, n, H = 12, 80, 18
    y = 100 + 10 * np.sin(np.arange(n) * 2 * np.pi / m) + np.cumsum(rng.normal(0, 1, n))
    for max_p in (3, None):                          # with lags, and the default (none)
        F = sar_track(y, m, H, log=False, max_p=max_p)
        phi, c, p = sar_fit(y[m:] - y[:-m], max_p)
        assert (p >= 1) if max_p else (p == 0)       # the wandering level makes w persistent
        for o in (m, 30, n - 1):
            np.testing.assert_allclose(F[o], _direct(y, m, H, phi, c, p, o), rtol=1e-12)
        np.testing.assert_allclose(F[m - 1], np.repeat(y[m - 1], H))   # no full season: naive
    # the default is the last season repeated, plus the drift per season when there is one
    o = n - 1
    np.testing.assert_allclose(F[o], y[o - m + 1 + np.arange(H) % m] + c * (1 + np.arange(H) // m))


def test_sar_track_on_logs_keeps_a_growing_season_a_share_of_the_level():
    t = np.arange(96)
    y = 100 * 1.01 ** t * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    f = sar_track(y, 12, 12, log=True)[-1]
    truth = 100 * 1.01 ** (t[-1] + 1 + np.arange(12)) * (
        1 + 0.3 * np.sin(2 * np.pi * (t[-1] + 1 + np.arange(12)) / 12))
    np.testing.assert_allclose(f, truth, rtol=1e-6)   # exact growth: w is a constant


def test_undated_planted_quarterly_season_is_found():
    found = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        t = np.arange(48)
        season = np.array([8.0, -3.0, -9.0, 4.0])[t % 4]
        y = 300 + 1.5 * t + season + rng.normal(0, 4, t.size)
        found += fc.detect_season(y) == 4
    assert found >= 19


def test_undated_random_walks_rarely_get_a_season():
    # the level shared by the four candidate lengths (SEASON_ALPHA_UNDATED) bounds this
    found = 0
    for seed in range(200):
        rng = np.random.default_rng(1000 + seed)
        y = 500 + np.cumsum(rng.normal(0, 10, 60))
        found += fc.detect_season(y) != 1
    assert found <= 12                                # 6%; 2.5% measured on other seeds


def test_dated_level_is_looser_than_the_undated_one_per_candidate():
    # a season of moderate strength: found with the calendar's one candidate ...
    y = None
    for seed in range(200):
        rng = np.random.default_rng(seed)
        t = np.arange(60)
        cand = 200 + 4 * np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(0, 2, 60))
        p = fc.season_pvalue(cand, 12)
        if fc.SEASON_ALPHA_UNDATED / len(fc.AUTO_SEASONS) < p < fc.SEASON_ALPHA:
            y = cand
            break
    assert y is not None
    assert fc.detect_season(y, (12,)) == 12
    # ... but not among the four lengths tried without dates, whose level is shared
    assert fc.detect_season(y, fc.AUTO_SEASONS) != 12


def test_the_seasonal_ensemble_is_the_mean_of_its_members():
    rng = np.random.default_rng(4)
    t = np.arange(84)
    y = (200 + t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) * (1 + rng.normal(0, 0.03, t.size))
    fit = fc.fit_forecast(y, 12, season_length=12, select=False)
    assert fit.method == "comb" and fit.m == 12
    assert "sar" in fit.members
    members = np.array([fit.members[k] for k in fc.COMBO_SEASONAL])
    np.testing.assert_allclose(fit.forecast(), members.mean(axis=0))
    # the planted peak month stays the peak of the forecast
    assert int(np.argmax(fit.forecast())) == int(np.argmax(np.sin(2 * np.pi * (t[-1] + 1 + np.arange(12)) / 12)))


@pytest.mark.parametrize("m", [4, 12])
def test_seasonal_members_recover_a_clean_season(m):
    t = np.arange(10 * m)
    y = 100 + 0.5 * t + 10 * np.cos(2 * np.pi * t / m)
    fit = fc.fit_forecast(y, m, season_length=m)
    tf = t[-1] + 1 + np.arange(m)
    np.testing.assert_allclose(fit.forecast(), 100 + 0.5 * tf + 10 * np.cos(2 * np.pi * tf / m),
                               rtol=0.03)


def _growing(i: int, n: int = 84, H: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Monthly sales growing 2% a month, their season a share (+-35%) of the level."""
    rng = np.random.default_rng(i)
    t = np.arange(n + H)
    y = 100 * np.exp(0.02 * t + 0.35 * np.sin(2 * np.pi * t / 12 + i) + rng.normal(0, 0.04, n + H))
    return y[:n], y[n:]


def test_log_member_is_picked_and_follows_a_season_that_grows_with_the_level():
    from xlmarketing.core import forecast_members as fm
    err_with, err_without = [], []
    for i in range(8):
        x, xx = _growing(i)
        fit = fc.fit_forecast(x, 12, candidates=(12,))
        assert fit.season.multiplicative and fit.method == "log"
        err_with.append(np.mean(np.abs(fit.forecast() / xx - 1)))
        saved = dict(fm.MEMBERS)
        try:
            fm.MEMBERS.pop("log")
            base = fc.fit_forecast(x, 12, candidates=(12,))
        finally:
            fm.MEMBERS.clear()
            fm.MEMBERS.update(saved)
        assert base.method != "log"
        err_without.append(np.mean(np.abs(base.forecast() / xx - 1)))
    # the additive trend of the seasonally adjusted sales lags a growth by a share a month
    assert np.mean(err_with) < 0.8 * np.mean(err_without)


def test_log_member_runs_only_for_positive_multiplicative_seasons_of_three_years():
    from xlmarketing.core.forecast_members import History, _log_applies
    x, _ = _growing(0)
    season = fc.decompose(x, 12)
    assert season.multiplicative
    assert _log_applies(History(season.adjust(x), x, season, 12))
    short = x[:30]                                   # two and a half seasons
    s2 = fc.decompose(short, 12)
    assert not _log_applies(History(s2.adjust(short), short, s2, 12))
    add = fc.decompose(x, 12, additive=True)         # offsets: not a share of the level
    assert not add.multiplicative
    assert not _log_applies(History(add.adjust(x), x, add, 12))
    # the log member's forecast at the last origin is on the adjusted scale the others use
    h = History(season.adjust(x), x, season, 12)
    F = fc.MEMBERS["log"].track(h)
    assert F.shape == (len(x), 12) and np.isfinite(F).all() and (F > 0).all()


def test_interval_scale_is_per_calendar_frequency():
    assert fc.calendar_frequency((), None) == 1                 # dated years
    assert fc.calendar_frequency((4,), None) == 4
    assert fc.calendar_frequency(fc.AUTO_SEASONS, None) == 0    # no dates: never scaled
    assert fc.calendar_frequency((7,), 365.25) == 7
    assert fc.calendar_frequency((), 365.25 / 7) == 52          # weekly's inner fit
    rng = np.random.default_rng(3)
    y = 1000 + np.cumsum(rng.normal(5, 30, 30))
    dated = fc.fit_forecast(y, 6, candidates=())
    undated = fc.fit_forecast(y, 6, candidates=fc.AUTO_SEASONS)
    assert dated.frequency == 1 and undated.frequency == 0 and undated.m == 1
    np.testing.assert_allclose(dated.forecast(), undated.forecast())
    lo_d, hi_d = dated.interval(0.95)
    lo_u, hi_u = undated.interval(0.95)
    # positive sales: the band is f * exp(+-w), its w scaled by the yearly factor
    np.testing.assert_allclose(np.log(hi_d / dated.forecast()),
                               fc.INTERVAL_SCALE[1] * np.log(hi_u / undated.forecast()))


def _centred_trend(y, m):
    w = np.full(m, 1.0 / m) if m % 2 else np.r_[0.5, np.ones(m - 1), 0.5] / m
    trend = np.convolve(y, w, mode="valid")
    start = (len(w) - 1) // 2
    return trend, np.arange(start, start + len(trend))


def test_amplitude_scaling_is_one_for_a_share_of_the_level_and_zero_for_a_fixed_swing():
    from xlmarketing.core.forecast_seasonality import amplitude_scaling
    t = np.arange(120)
    share = 100 * 1.02 ** t * (1 + 0.3 * np.sin(2 * np.pi * t / 12))   # exact growth
    b, se = amplitude_scaling(share, *_centred_trend(share, 12), 12)
    assert b == pytest.approx(1.0, abs=1e-9) and se < 1e-6
    fixed = 100 + 3.0 * t + 30 * np.sin(2 * np.pi * t / 12)            # the MA is the line
    b, se = amplitude_scaling(fixed, *_centred_trend(fixed, 12), 12)
    assert b == pytest.approx(0.0, abs=1e-9) and se < 1e-6
    flat = 100 + 30 * np.sin(2 * np.pi * t / 12)                       # the level never moves
    assert amplitude_scaling(flat, *_centred_trend(flat, 12), 12) is None
    short = share[:52]                                                 # 3 cycles of the MA
    assert amplitude_scaling(short, *_centred_trend(short, 12), 12) is None


def _wandering(i, kind, n=144, H=12):
    """Monthly sales on a wandering level (a log random walk) with a season that is a share
    of the level (``"mult"``, +-30%) or a fixed swing (``"add"``, +-300); the history and
    the noise-free next year."""
    rng = np.random.default_rng(i)
    t = np.arange(n + H)
    lvl = np.exp(np.log(1000) + np.cumsum(rng.normal(0, 0.06, n + H)))
    phase = rng.uniform(0, 2 * np.pi)
    if kind == "mult":
        clean = lvl * (1 + 0.3 * np.sin(2 * np.pi * t / 12 + phase))
        y = clean * np.exp(rng.normal(0, 0.1, n + H))
    else:
        clean = lvl + 300 * np.sin(2 * np.pi * t / 12 + phase)
        clean = clean - min(clean.min(), 0) + 50
        y = np.maximum(clean + rng.normal(0, 60, n + H), 1)
    return y[:n], clean[n:]


def _with_scale_z(z, fn):
    from xlmarketing.core import forecast_seasonality as fs
    saved, fs.SCALE_Z = fs.SCALE_Z, z
    try:
        return fn()
    finally:
        fs.SCALE_Z = saved


def test_season_shrinking_with_a_falling_level_is_a_share_of_it():
    # issue 31 item 4 (M4 M1000): the level falls fourfold; the smaller remainder over the
    # last eight seasons (the high-level years weigh most) took the additive season, whose
    # swing the forecast keeps at the old level's size
    x, truth = _wandering(20, "mult")
    assert x[-12:].mean() < 0.3 * x[:12].mean()
    old = _with_scale_z(None, lambda: fc.fit_forecast(x, 12, season_length=12))
    new = fc.fit_forecast(x, 12, season_length=12)
    assert not old.season.multiplicative and new.season.multiplicative
    err_new, err_old = (np.mean(np.abs(f.forecast() - truth)) for f in (new, old))
    assert err_new < 0.7 * err_old


def test_season_growing_with_the_level_grows_in_the_forecast():
    t = np.arange(132)
    rng = np.random.default_rng(3)
    y = (100 + 4 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * np.exp(rng.normal(0, 0.03, t.size))
    x, xx = y[:120], y[120:]
    fit = fc.fit_forecast(x, 12, season_length=12)
    assert fit.season.multiplicative
    # the forecast's swing is the last years' (a share of a level 4.6 times the first year's)
    assert np.ptp(fit.forecast()) > 3.5 * np.ptp(x[:12])
    add = _with_scale_z(None, lambda: fc.fit_forecast(x, 12, season_length=12))
    assert np.mean(np.abs(fit.forecast() - xx)) <= np.mean(np.abs(add.forecast() - xx)) + 1e-9


def test_fixed_additive_season_keeps_its_form_and_forecast():
    rng = np.random.default_rng(5)
    t = np.arange(120)
    y = 300 + 2.0 * t + 40 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 5, t.size)
    b, se = fc.amplitude_scaling(y, *_centred_trend(y, 12), 12)
    assert b + 2 * se < 0.5                       # clearly additive: the test decides
    fit = fc.fit_forecast(y, 12, season_length=12)
    before = _with_scale_z(None, lambda: fc.fit_forecast(y, 12, season_length=12))
    assert not fit.season.multiplicative and not before.season.multiplicative
    np.testing.assert_allclose(fit.forecast(), before.forecast(), rtol=0, atol=1e-9)
    lo, hi = fit.interval(0.95)
    lo0, hi0 = before.interval(0.95)
    np.testing.assert_allclose(np.r_[lo, hi], np.r_[lo0, hi0], rtol=0, atol=1e-9)


def test_scale_test_needs_positive_sales():
    t = np.arange(120)
    y = (10 + t) * (1 + 0.5 * np.sin(2 * np.pi * t / 12))
    assert fc.decompose(y, 12).multiplicative
    y0 = y.copy()
    y0[50] = 0.0                                  # one period without a sale: additive only
    season = fc.decompose(y0, 12)
    assert not season.multiplicative
    fit = fc.fit_forecast(y0, 12, season_length=12, clean=False)
    assert (fit.forecast() >= 0).all() and (fit.interval(0.95)[0] >= 0).all()
    neg = y - 40                                  # negative values: additive, not clipped
    assert not fc.decompose(neg, 12).multiplicative

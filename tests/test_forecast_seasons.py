"""The yearly season of daily and weekly sales (core/forecast_seasons.py): known answers on
generated series, through SALES_FORECAST with dates as a user has them."""

import datetime as dt

import numpy as np
import pytest

from xlmarketing.cache import CACHE
from xlmarketing.core import forecast as core
from xlmarketing.core import forecast_seasons as fs
from xlmarketing.functions import forecast as F

YEAR_D, YEAR_W = fs.YEAR["day"], fs.YEAR["week"]


def dated(y, dates):
    return [["Date", "Sales"]] + [[d, float(v)] for d, v in zip(dates, y)]


def days(n, start=dt.datetime(2021, 1, 4)):
    return [start + dt.timedelta(days=i) for i in range(n)]


def weeks(n, start=dt.datetime(2020, 1, 5)):
    return [start + dt.timedelta(weeks=i) for i in range(n)]


def fitted(sales, horizon):
    CACHE.clear()
    return F.fit_sales(sales, horizon, None, None, None).fit


def values(out, col=1):
    return np.array([r[col] for r in out[1:]], dtype=float)


def yearly_daily(n_total, seed=0):
    """Daily sales: a yearly season (+-30%, peak in early summer), a day-of-week pattern, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_total)
    year = np.exp(0.3 * np.sin(2 * np.pi * t / YEAR_D) + 0.1 * np.cos(4 * np.pi * t / YEAR_D))
    weekday = np.array([1.0, 1.0, 1.05, 1.1, 1.3, 1.6, 0.5])[t % 7]
    return 500 * year * weekday * np.exp(rng.normal(0, 0.05, n_total))


def test_planted_yearly_season_in_three_years_of_daily_data_is_found_and_improves_the_forecast():
    n, h = 3 * 365, 60
    y = yearly_daily(n + h)
    sales = dated(y[:n], days(n))
    fit = fitted(sales, h)
    assert fit.yearly is not None and fit.m == 7           # both seasons: year and day of week
    # the fitted season's swing is the planted one: exp(peak - trough) of 0.3 sin + 0.1 cos 2x
    t = np.arange(int(YEAR_D))
    planted = 0.3 * np.sin(2 * np.pi * t / YEAR_D) + 0.1 * np.cos(4 * np.pi * t / YEAR_D)
    assert fit.yearly.swing() == pytest.approx(np.exp(np.ptp(planted)), rel=0.05)
    f = values(F.sales_forecast(sales, h))
    without = core.fit_forecast(y[:n], h, candidates=(7,)).forecast()   # no yearly stage
    err, err0 = np.mean(np.abs(f - y[n:])), np.mean(np.abs(without - y[n:]))
    assert err < 0.8 * err0
    assert np.mean(np.abs(f / y[n:] - 1)) < 0.07               # close to the truth (noise: 5%)


def test_yearly_season_of_weekly_data_is_recovered():
    rng = np.random.default_rng(3)
    n, h = 3 * 52, 13
    t = np.arange(n + h)
    season = 0.25 * np.cos(2 * np.pi * (t - 46) / YEAR_W)            # peak in mid-November
    y = 2000 * (1 + 0.001 * t) * np.exp(season + rng.normal(0, 0.04, n + h))
    fit = fitted(dated(y[:n], weeks(n)), h)
    assert fit.yearly is not None
    assert abs(fit.yearly.period - 52.18) < 0.01                  # 365.25 / 7, not 52
    s = fit.yearly.at(t)
    assert np.corrcoef(s, season)[0, 1] > 0.97
    assert np.ptp(s) == pytest.approx(0.5, rel=0.15)
    f = values(F.sales_forecast(dated(y[:n], weeks(n)), h))
    assert np.mean(np.abs(f / y[n:] - 1)) < 0.08


@pytest.mark.parametrize("kind", ["day", "week"])
def test_dated_random_walks_get_no_season(kind):
    n = 3 * 365 if kind == "day" else 4 * 52
    dates = days(n) if kind == "day" else weeks(n)
    for seed in range(5):
        rng = np.random.default_rng(200 + seed)
        y = 1000 + np.cumsum(rng.normal(0, 8 if kind == "day" else 20, n))
        fit = fitted(dated(y, dates), 14)
        assert fit.yearly is None and fit.m == 1, seed


def test_yearly_pvalue_separates_a_season_from_a_trend():
    t = np.arange(3 * 365)
    rng = np.random.default_rng(1)
    trend = 100 + 0.1 * t + rng.normal(0, 2, t.size)
    seasonal = trend * (1 + 0.1 * np.sin(2 * np.pi * t / YEAR_D))
    assert fs.yearly_pvalue(seasonal, YEAR_D) < 0.01
    assert fs.yearly_pvalue(trend, YEAR_D) > 0.05
    assert fs.yearly_pvalue(seasonal[:600], YEAR_D) == 1.0        # under 23 months: no test
    assert fs.yearly_pvalue(seasonal[:2 * 365], YEAR_D) < fs.YEARLY_ALPHA   # two years


def test_short_daily_history_gets_no_yearly_season_but_keeps_its_weekly_one():
    n = 400                                                         # 13 months
    fit = fitted(dated(yearly_daily(n, seed=2), days(n)), 14)
    assert fit.yearly is None and fit.m == 7


def test_outliers_are_listed_on_the_sales_scale_with_a_yearly_season():
    n = 3 * 365
    y = yearly_daily(n, seed=4)
    y[700] = 40 * y[700]                                            # a typing slip
    sales = dated(y, days(n))
    assert fitted(sales, 14).yearly is not None
    CACHE.clear()
    rows = F.forecast_outliers(sales)
    slip = [r for r in rows[1:] if r[1] == pytest.approx(y[700])]
    assert len(slip) == 1
    used = slip[0][2]
    assert used == pytest.approx(y[700] / 40, rel=0.3)             # near the value it replaced


def test_yearly_forecast_is_deterministic_and_positive():
    n = 3 * 365
    sales = dated(yearly_daily(n, seed=6), days(n))
    runs = []
    for _ in range(2):
        CACHE.clear()
        runs.append(np.array([r[1:] for r in F.sales_forecast(sales, 30, None, None, None, 0.9)[1:]],
                             dtype=float))
    a, b = runs
    assert np.array_equal(a, b)
    f, lo, hi = a.T
    assert np.all(lo > 0) and np.all(lo < f) and np.all(f < hi)

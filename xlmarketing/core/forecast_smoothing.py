"""The smoothing methods' tracks: classic Theta, damped trend, damped Holt-Winters, a straight
least-squares line and TSB for intermittent sales.

Each returns rolling-origin forecasts F with F[o, h-1] = the forecast of step h made at origin
o (after seeing z[0..o]), for every origin o = 0..n-1 and h = 1..H: one vectorised pass per
method, parameters chosen on small fixed grids. The members built on them are listed in
:mod:`.forecast_members`; ETS, the AR and the optimised Theta are in :mod:`.forecast_methods`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .forecast_methods import line_sums, smooth_errors
from .forecast_seasonality import Season

__all__ = ["classic_theta_track", "damped_errors", "damped_grid", "damped_start", "damped_track", "expanding_ols", "hw_track",
           "theta_track", "trend_track", "tsb_track"]

_SES_ALPHAS = np.concatenate([np.arange(0.02, 0.3, 0.02), np.arange(0.3, 1.0001, 0.05)])
_D_ALPHA = np.array([0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0])
_D_BETA_FRAC = np.array([0.02, 0.08, 0.2, 0.5])
_D_PHI = np.array([0.8, 0.88, 0.94, 0.98])


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


def classic_theta_track(z: np.ndarray, H: int) -> np.ndarray:
    """The classic Theta method (theta = 2): SES, its alpha chosen on the theta = 2 line (twice
    the series less its least-squares line), with half the expanding line's slope as drift."""
    t = np.arange(len(z), dtype=np.float64)
    b, a = np.polyfit(t, z, 1)
    _, sse_w = _ses_levels(2 * z - (a + b * t), _SES_ALPHAS)   # SES on the theta = 2 line
    alpha = float(_SES_ALPHAS[int(np.argmin(sse_w))])
    levels, _ = _ses_levels(z, np.array([alpha]))
    return theta_track(z, H, alpha, levels)


@lru_cache(maxsize=1)
def damped_grid() -> tuple[np.ndarray, ...]:
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
    state = np.empty((2, damped_grid()[0].size))
    state[0], state[1] = z[0], _damped_slope0(z)
    return state


def damped_errors(z: np.ndarray) -> np.ndarray:
    """One-step errors (periods 1 on) of every point of the damped trend's grid."""
    _, _, ph, gain = damped_grid()
    return smooth_errors(damped_start(z), np.asarray(z, dtype=np.float64)[1:], gain, ph)


def damped_track(z: np.ndarray, H: int, errors: np.ndarray | None = None
                 ) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Damped-trend (additive) smoothing with parameters from a grid, vectorised over the grid.

    ``errors``: the grid's one-step errors (:func:`damped_errors`), when computed already."""
    a, b, ph, gain = damped_grid()
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


def tsb_track(y: np.ndarray, H: int, alpha: float = 0.1, beta: float = 0.1) -> np.ndarray:
    """Teunter-Syntetos-Babai forecasts of intermittent sales, from every origin: P(sale) x
    mean size, flat over the horizon.

    Probability and size are smoothed separately (the size only in periods with a sale), so
    the forecast decays towards zero while nothing sells, unlike Croston's. The probability
    starts from the share of the first (up to) 12 periods with a sale, the size from the first
    sale.
    """
    sold = y > 0
    p, z = float(np.mean(sold[: max(1, min(len(y), 12))])), float(y[sold][0]) if sold.any() else 0.0
    F = np.empty((len(y), H))
    for t in range(len(y)):
        p += beta * (float(sold[t]) - p)
        if sold[t]:
            z += alpha * (y[t] - z)
        F[t] = p * z
    return F

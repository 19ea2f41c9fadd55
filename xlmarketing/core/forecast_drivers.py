"""Drivers of sales (price, promotion, advertising): one least-squares regression of sales on a
trend, seasonal dummies and the drivers, in logs when that fits better, and the table of their
effects (coefficient, elasticity, relative effect, standard error, p-value)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .errors import DataError, InsufficientData

__all__ = ["DriverModel", "driver_table", "fit_drivers"]


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

"""Long seasons: the yearly season of daily and weekly sales, as Fourier terms.

A year is 365.25 days or 52.18 weeks: not a whole number of periods, and too long for one
seasonal factor per position (365 factors from two or three years of data are mostly noise).
So the yearly season is a short sum of sines and cosines of the time of year,

    s(t) = sum_k a_k cos(2 pi k t / P) + b_k sin(2 pi k t / P),   k = 1..K,

fitted by least squares beside a straight trend, on log sales when sales are positive (then the
season is a share of the level, as a December peak is). It is a seasonal-adjustment stage:
the sales are divided by (or have subtracted) the season, the rest of the forecaster (the
weekly day-of-week season, smoothing, intervals) runs on what is left, and the forecast gets
the season of the future dates back.

Whether there is a yearly season is decided on the history itself, with the test the
forecaster uses for monthly data: the history is summarised by month, and the month-to-month
changes must differ by month of year (a trend or a random walk's wanders do not repeat a year
later, so they do not pass). It needs 23 months of history. Numpy only, deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .forecast_seasonality import kruskal_p

#: periods in a year, by calendar period
YEAR = {"day": 365.25, "week": 365.25 / 7}

#: Fourier pairs of the yearly season: 4 (periods down to three months), chosen among 2, 3, 4,
#: 6 and 10 on the tuning half of the benchmark's daily and weekly collections (M4, Wikipedia,
#: Seattle weather, CO2, PromoData) and validated on the other half (Walmart, bike sharing,
#: CDNOW, taylor).
HARMONICS = 4

#: The Fourier terms are fitted on at most this many recent years (patterns and trends drift).
FIT_YEARS = 4.0

#: Significance level of the yearly-season test (see :func:`yearly_pvalue`). At 0.05, 1 of
#: 160 simulated random walks (2-4 years, daily and weekly) gets a yearly season.
YEARLY_ALPHA = 0.05


def month_means(y: np.ndarray, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Means of ``y`` over consecutive twelfths of a year (``period / 12`` periods each; an
    incomplete last one left out) and each one's month of year (0..11)."""
    y = np.asarray(y, dtype=np.float64)
    b = np.floor(np.arange(y.size) / (period / 12.0)).astype(int)
    cnt = np.bincount(b).astype(np.float64)
    means = np.bincount(b, weights=y) / np.maximum(cnt, 1)
    k = cnt.size if cnt[-1] >= np.floor(period / 12.0) else cnt.size - 1
    return means[:k], np.arange(k) % 12


def yearly_pvalue(y: np.ndarray, period: float) -> float:
    """p-value of "the month-to-month changes differ by month of year".

    The history is summarised by month (twelfths of a year of ``period`` periods), and the
    changes between consecutive months (relative changes for positive sales) are ranked and
    grouped by month of year: the test the forecaster uses for the season of monthly data
    (:func:`forecast_seasonality.season_pvalue`), so a trend or a random walk does not pass it, while a
    season that repeats each year does. Needs 23 months.
    """
    mm, moy = month_means(y, period)
    if mm.size < 23:
        return 1.0
    d = np.diff(np.log(mm)) if np.all(mm > 0) else np.diff(mm)
    if np.ptp(d) == 0:
        return 1.0
    return kruskal_p(d, moy[1:], 12)


def fourier(t: np.ndarray, period: float, K: int) -> np.ndarray:
    """cos and sin of the first ``K`` harmonics of ``period`` at times ``t``: shape (len(t), 2K)."""
    w = 2 * np.pi * np.asarray(t, dtype=np.float64)[:, None] / period * np.arange(1, K + 1)[None, :]
    return np.hstack([np.cos(w), np.sin(w)])


@dataclass
class YearlySeason:
    period: float              # periods in a year
    coef: np.ndarray           # 2K Fourier coefficients (log scale when ``log``)
    log: bool                  # multiplicative: a factor exp(s(t)); else an offset s(t)

    @property
    def K(self) -> int:
        return self.coef.size // 2

    def at(self, t: np.ndarray) -> np.ndarray:
        """The season at periods ``t`` (0 = the first period of the history)."""
        return fourier(np.ravel(t), self.period, self.K) @ self.coef

    def adjust(self, y: np.ndarray) -> np.ndarray:
        s = self.at(np.arange(len(y)))
        return y * np.exp(-s) if self.log else y - s

    def apply(self, f: np.ndarray, t: np.ndarray) -> np.ndarray:
        s = self.at(t).reshape(np.shape(f))
        return f * np.exp(s) if self.log else f + s

    def swing(self) -> float:
        """Peak-to-trough of the season over a year (a ratio when ``log``, else in sales)."""
        s = self.at(np.arange(int(np.ceil(self.period))))
        return float(np.exp(np.ptp(s)) if self.log else np.ptp(s))


def fit_yearly(y: np.ndarray, period: float, K: int) -> YearlySeason:
    """Least squares of (log) sales on a straight trend and ``K`` Fourier pairs of ``period``.

    Fitted on the last ``FIT_YEARS`` years; one reweighting step (residuals beyond 4 robust
    standard deviations get a small weight) keeps a one-off spike from bending the season.
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    log = bool(np.all(y > 0))
    start = max(0, n - int(round(FIT_YEARS * period)))
    t = np.arange(start, n, dtype=np.float64)
    target = np.log(y[start:]) if log else y[start:]
    D = np.column_stack([np.ones(t.size), (t - t.mean()) / max(t.size, 1), fourier(t, period, K)])
    w = np.ones(t.size)
    beta = np.zeros(D.shape[1])
    for _ in range(2):
        sw = np.sqrt(w)
        beta, *_ = np.linalg.lstsq(D * sw[:, None], target * sw, rcond=None)
        r = target - D @ beta
        mad = float(np.median(np.abs(r - np.median(r)))) * 1.4826
        if mad <= 0:
            break
        w = np.where(np.abs(r) > 4 * mad, 0.01, 1.0)
    return YearlySeason(period, beta[2:], log)


def choose_yearly(y: np.ndarray, period: float, K: int | None = None) -> YearlySeason | None:
    """The yearly season of ``y`` (``K`` Fourier pairs, default ``HARMONICS``) when the
    history shows one (:func:`yearly_pvalue` below ``YEARLY_ALPHA``), else None."""
    if period <= 1 or yearly_pvalue(y, period) >= YEARLY_ALPHA:
        return None
    return fit_yearly(y, period, HARMONICS if K is None else K)

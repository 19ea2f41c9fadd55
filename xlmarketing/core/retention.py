"""Contractual retention: the shifted-beta-geometric model (Fader and Hardie, 2007).

Each customer of a cohort renews at the end of every period with a probability of their own,
``1 - theta``, that does not change over time; ``theta`` varies across customers as
Beta(alpha, beta). The cohort's retention rate rises over time because the customers most
likely to leave leave first, which is what a plain average churn rate misses:

* ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``: the share lost in period t;
* ``S(t) = B(alpha, beta + t) / B(alpha, beta)``: the share still active after period t;
* ``r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)``: the retention rate.

Fitted by maximum likelihood on the survivor counts (the customers lost in each period, and the
ones still active at the end, who are censored). Fader and Hardie's "How to project customer
retention" (2007) cohorts give alpha = 0.668, beta = 3.806 ("high end") and 0.704, 1.182
("regular"); the tests check both.

Lifetime in periods counts the period of acquisition: ``E[T] = (alpha + beta - 1) / (alpha - 1)``,
unbounded when ``alpha <= 1`` (a few customers nearly never leave). The discounted expected
residual lifetime (DERL, Fader and Hardie 2010) of a customer still active at the end of period
``n`` is the expected number of further renewals, the k-th discounted by ``(1 + d)^k``:
``sum_k S(n + k) / S(n) / (1 + d)^k = 2F1(1, beta + n; alpha + beta + n; 1/(1+d)) - 1``;
times the payment per period it is that customer's residual value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, hyp2f1

from .errors import DataError, InsufficientData
from .threads import one_thread


@dataclass
class ShiftedBetaGeometric:
    alpha: float
    beta: float

    def survival(self, t: np.ndarray) -> np.ndarray:
        """S(t): the share of the cohort still active after t periods (S(0) = 1)."""
        t = np.asarray(t, dtype=np.float64)
        return np.exp(betaln(self.alpha, self.beta + t) - betaln(self.alpha, self.beta))

    def retention(self, t: np.ndarray) -> np.ndarray:
        """r(t) = S(t) / S(t-1): the share of period t-1's customers who renew in period t."""
        t = np.asarray(t, dtype=np.float64)
        return (self.beta + t - 1) / (self.alpha + self.beta + t - 1)

    @property
    def expected_lifetime(self) -> float:
        """Mean number of periods a new customer stays (inf when alpha <= 1)."""
        if self.alpha <= 1:
            return float("inf")
        return (self.alpha + self.beta - 1) / (self.alpha - 1)

    def derl(self, discount: float, periods: int) -> float:
        """Discounted expected residual lifetime of a customer active after ``periods`` periods."""
        if discount <= 0:
            if self.alpha <= 1:
                return float("inf")
            return (self.alpha + self.beta + periods - 1) / (self.alpha - 1) - 1
        z = 1.0 / (1.0 + discount)
        return float(hyp2f1(1.0, self.beta + periods, self.alpha + self.beta + periods, z) - 1.0)


def check_survivors(survivors: np.ndarray) -> np.ndarray:
    s = np.asarray(survivors, dtype=np.float64)
    if s.size < 3:
        raise InsufficientData(f"{{param}} holds {s.size} value{'s' * (s.size != 1)}; the "
                               "retention model needs the cohort's size and at least two "
                               "periods' survivors (3 numbers).", param="survivors")
    if not np.all(np.isfinite(s)) or s.min() < 0:
        raise DataError("{param} must hold counts of customers (0 or more).", param="survivors")
    if s[0] <= 0:
        raise DataError("{param} starts with the cohort's size, which must be above 0.",
                        param="survivors")
    up = np.flatnonzero(np.diff(s) > 0)
    if up.size:
        i = int(up[0]) + 1
        raise DataError(f"{{param}} goes up from {s[i - 1]:g} to {s[i]:g} at value {i + 1}: "
                        "survivors of one cohort can only stay or fall. Enter the customers of "
                        "the first period still active at the end of each period.",
                        param="survivors")
    if s[-1] == s[0]:
        raise InsufficientData("{param} never falls: no customer left, so there is no churn to "
                               "model. Add periods in which customers left.", param="survivors")
    return s


def loglik(alpha: float, beta: float, survivors: np.ndarray) -> float:
    """Log-likelihood of a cohort's survivor counts (lost each period; the rest censored)."""
    t = np.arange(1, survivors.size)
    lost = -np.diff(survivors)
    log_p = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)
    log_s = betaln(alpha, beta + t[-1]) - betaln(alpha, beta)
    return float(np.sum(lost * log_p) + survivors[-1] * log_s)


def fit(survivors: np.ndarray) -> ShiftedBetaGeometric:
    """Maximum-likelihood alpha and beta for one cohort's survivors (first value: its size)."""
    s = check_survivors(survivors)

    def nll(theta: np.ndarray) -> float:
        v = -loglik(float(np.exp(theta[0])), float(np.exp(theta[1])), s) / s[0]
        return v if np.isfinite(v) else 1e10

    with one_thread():
        res = minimize(nll, np.zeros(2), method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
    alpha, beta = np.exp(res.x)
    if not (np.isfinite(alpha) and np.isfinite(beta)) or alpha < 1e-6 or beta > 1e6:
        raise InsufficientData("{param} cannot be fitted: the churn in these periods does not "
                               "settle on a pattern. Add periods.", param="survivors")
    return ShiftedBetaGeometric(float(alpha), float(beta))

"""Customer value from an order list: BG/NBD purchases and Gamma-Gamma spend, by maximum likelihood.

* BG/NBD (Fader, Hardie and Lee, 2005): while active, a customer buys at a Poisson rate drawn
  from Gamma(r, alpha); after each purchase they drop out with a probability drawn from
  Beta(a, b). Per customer it needs the number of repeat purchases ``x``, the time of the last
  purchase ``t_x`` and the length of observation ``T``, all from their first purchase.
* Gamma-Gamma (Fader, Hardie and Lee, 2005, "RFM and CLV"): the average value of a customer's
  repeat purchases, shrunk towards the base's mean by how many there are (p, q, v).

Time is in weeks, as in the literature (CDNOW: r=0.243, alpha=4.414, a=0.793, b=2.426), and
purchases on one day count once. Both models are fitted with scipy (L-BFGS-B on log
parameters) on the distinct customer histories, weighted by how many customers share them;
the same formulas as the ``lifetimes`` library, which the tests and benchmark compare with.
Expected value = expected purchases over the horizon x expected average purchase value (not
discounted).

* MBG/NBD (Batislam, Denizel and Filiztekin, 2007): BG/NBD where a customer may also drop out
  right after the first purchase. BG/NBD gives every customer without a repeat purchase a
  probability of being active of exactly 1, however long ago they bought (a known property of
  the model: it only lets customers drop out after a repeat); MBG/NBD does not. Its parameters
  on CDNOW equal ``lifetimes.ModifiedBetaGeoFitter``'s.
* Pareto/NBD (Schmittlein, Morrison and Colombo, 1987): while active a customer buys at a
  Poisson rate drawn from Gamma(r, alpha), and their lifetime is exponential with a rate drawn
  from Gamma(s, beta): they can drop out at any time, not only at a purchase. Its likelihood
  (Fader, Hardie and Lee, 2005, "A note on deriving the Pareto/NBD model", eq. 18) has
  Gauss hypergeometric terms, evaluated here in their Euler-transformed form (all terms of
  the series positive and bounded); fitted with L-BFGS-B on log parameters. Its parameters on
  CDNOW equal ``lifetimes.ParetoNBDFitter``'s (r=0.553, alpha=10.58, s=0.606, beta=11.67).
* The usual CLV for a finance team (:func:`discounted_value`): the expected purchases of each
  month of the horizon (the increments of the expected cumulative purchases) x expected value
  x margin, discounted at a monthly rate: ``sum_t (E[X(t)] - E[X(t-1)]) m margin / (1+d)^t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from .errors import InsufficientData
from .orders import OrderBook, per_customer
from .threads import one_thread

WEEK = 7.0
MONTH_DAYS = 365.25 / 12
MIN_CUSTOMERS = 10
MIN_REPEATERS = 5


@dataclass
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float


#: The purchase models: BG/NBD (default), MBG/NBD and Pareto/NBD.
BGNBD_MODEL, MBGNBD_MODEL, PARETO_MODEL = "bgnbd", "mbgnbd", "paretonbd"
PURCHASE_MODELS = (BGNBD_MODEL, MBGNBD_MODEL, PARETO_MODEL)


@dataclass
class MBGNBD(BGNBD):
    """MBG/NBD parameters: the same four as BG/NBD, with a drop-out chance at the first purchase."""


@dataclass
class GammaGamma:
    p: float
    q: float
    v: float

    @property
    def mean(self) -> float:
        return self.v * self.p / (self.q - 1)


@dataclass
class ParetoNBD:
    """Pareto/NBD parameters: purchase rate ~ Gamma(r, alpha), drop-out rate ~ Gamma(s, beta)."""

    r: float
    alpha: float
    s: float
    beta: float


@dataclass
class ValueModel:
    bgnbd: BGNBD | ParetoNBD     # the purchase model (BG/NBD, MBG/NBD or Pareto/NBD)
    gamma: GammaGamma
    summary: pd.DataFrame       # per customer: x, t_x, T (weeks), m (average repeat value)


def rfm_summary(book: OrderBook) -> pd.DataFrame:
    """x, t_x, T in weeks and m (average repeat purchase value, NaN without repeats)."""
    pc = per_customer(book)
    x = pc["days"].to_numpy(dtype=np.float64) - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(x > 0, pc["repeat_amount"].to_numpy() / np.maximum(x, 1), np.nan)
    return pd.DataFrame({
        "x": x,
        "t_x": (pc["last"] - pc["first"]).to_numpy() / WEEK,
        "T": (book.reference_day - pc["first"]).to_numpy() / WEEK,
        "m": m,
    }, index=pc.index)


# --------------------------------------------------------------------------- BG/NBD


def bgnbd_loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under BG/NBD parameters (r, alpha, a, b)."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x)
    return a1 + a2 + np.where(x > 0, np.logaddexp(a3, a4), a3)


def _fit(nll, start: np.ndarray) -> np.ndarray:
    """Minimise ``nll(theta) -> (value, gradient)`` over log parameters from ``start``."""
    # One thread: L-BFGS-B's BLAS calls are tiny, and on a busy machine the BLAS threads'
    # spin-waits made the Fortran step a hundred times slower than the likelihood itself.
    with one_thread():
        res = minimize(nll, np.log(start), method="L-BFGS-B", jac=True)
    if not np.all(np.isfinite(res.x)):
        raise InsufficientData("the purchase model could not be fitted to these orders. "
                               "Include more customers with repeat purchases.")
    return np.exp(res.x)


def bgnbd_gradient(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """d loglik / d (r, alpha, a, b) per customer (4 x n), for the optimiser."""
    r, alpha, a, b = params
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x)
    w4 = np.where(x > 0, expit(a4 - a3), 0.0)  # share of the "dropped out after t_x" term
    w3 = 1 - w4
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(alpha + t_x)
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = (digamma(b + x) - digamma(a + b + x) - digamma(b) + digamma(a + b)
           - w4 / np.maximum(b + x - 1, 1e-300))
    return np.vstack([d_r, d_alpha, d_a, d_b])


def _distinct(columns: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the columns and how often each occurs (the likelihood's weights)."""
    block = np.column_stack(columns)
    uniq, counts = np.unique(block, axis=0, return_counts=True)
    return [uniq[:, j] for j in range(uniq.shape[1])], counts.astype(np.float64)


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BGNBD:
    (ux, ut, uT), w = _distinct([x, t_x, T])
    scale = float(np.mean(T)) or 1.0  # fit in units of the mean observation time: better steps

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p = np.exp(theta)
        args = (ux, ut / scale, uT / scale)
        value = -(w * bgnbd_loglik(p, *args)).sum() / w.sum()
        if not np.isfinite(value):
            return 1e10, np.zeros(4)
        grad = -(bgnbd_gradient(p, *args) @ w) / w.sum() * p  # chain rule: d/d log p
        return float(value), grad

    r, alpha, a, b = _fit(nll, np.array([1.0, 1.0, 1.0, 1.0]))
    return BGNBD(r=r, alpha=alpha * scale, a=a, b=b)


def expected_purchases(m: BGNBD, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T]: equation (10) of Fader, Hardie and Lee (2005)
    (for MBG/NBD, Batislam et al.'s counterpart)."""
    if isinstance(m, ParetoNBD):
        return _pareto_expected(m, t, x, t_x, T)
    if isinstance(m, MBGNBD):
        return _mbg_expected(m, t, x, t_x, T)
    r, alpha, a, b = m.r, m.alpha, m.a, m.b
    if abs(a - 1) < 1e-6:  # the formula's 0/0 at a = 1; the limit is continuous
        a = 1 + 1e-6
    z = t / (alpha + T + t)
    ca, cb, cc = r + x, b + x, a + b + x - 1
    with np.errstate(all="ignore"):
        ln_hyp = np.log(hyp2f1(ca, cb, cc, z))
        # Euler's transformation where the series overflows.
        alt = np.log(hyp2f1(cc - ca, cc - cb, cc, z)) + (cc - ca - cb) * np.log1p(-z)
    ln_hyp = np.where(np.isfinite(ln_hyp), ln_hyp, alt)
    first = (a + b + x - 1) / (a - 1)
    second = 1 - np.exp(ln_hyp + (r + x) * np.log((alpha + T) / (alpha + T + t)))
    return first * second * probability_alive(m, x, t_x, T)


def probability_alive(m: BGNBD, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(still active at T | x, t_x, T); under BG/NBD 1 for customers without a repeat purchase."""
    if isinstance(m, ParetoNBD):
        return expit(-_pareto_log_odds_gone(m, x, t_x, T))
    if isinstance(m, MBGNBD):
        return expit(-_mbg_log_ratio(m, x, t_x, T))
    log_ratio = (m.r + x) * np.log((m.alpha + T) / (m.alpha + t_x)) + \
        np.log(m.a / (m.b + np.maximum(x, 1) - 1))
    return np.where(x > 0, expit(-log_ratio), 1.0)


# --------------------------------------------------------------------------- MBG/NBD


def _mbg_log_ratio(m: BGNBD, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log( a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x) ): the odds of having dropped out."""
    return np.log(m.a / (m.b + x)) + (m.r + x) * np.log((m.alpha + T) / (m.alpha + t_x))


def mbgnbd_loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under MBG/NBD parameters (r, alpha, a, b)."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x + 1) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a / (b + x)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return a1 + a2 + a3 + np.logaddexp(0.0, a4)


def mbgnbd_gradient(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """d loglik / d (r, alpha, a, b) per customer (4 x n), for the optimiser."""
    r, alpha, a, b = params
    a4 = np.log(a / (b + x)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    s = expit(a4)
    d_r = (digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T)
           + s * (np.log(alpha + T) - np.log(alpha + t_x)))
    d_alpha = r / alpha - (r + x) / (alpha + T) + s * (r + x) * (1 / (alpha + T) - 1 / (alpha + t_x))
    d_a = digamma(a + b) - digamma(a + b + x + 1) + s / a
    d_b = digamma(b + x + 1) - digamma(b) + digamma(a + b) - digamma(a + b + x + 1) - s / (b + x)
    return np.vstack([d_r, d_alpha, d_a, d_b])


def fit_mbgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> MBGNBD:
    (ux, ut, uT), w = _distinct([x, t_x, T])
    scale = float(np.mean(T)) or 1.0

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p = np.exp(theta)
        args = (ux, ut / scale, uT / scale)
        value = -(w * mbgnbd_loglik(p, *args)).sum() / w.sum()
        if not np.isfinite(value):
            return 1e10, np.zeros(4)
        grad = -(mbgnbd_gradient(p, *args) @ w) / w.sum() * p
        return float(value), grad

    r, alpha, a, b = _fit(nll, np.array([1.0, 1.0, 1.0, 1.0]))
    return MBGNBD(r=r, alpha=alpha * scale, a=a, b=b)


def _mbg_expected(m: MBGNBD, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] under MBG/NBD (Batislam et al., 2007, eq. 8)."""
    r, alpha, a, b = m.r, m.alpha, m.a, m.b
    if abs(a - 1) < 1e-6:
        a = 1 + 1e-6
    z = t / (alpha + T + t)
    ca, cb, cc = r + x, b + x + 1, a + b + x
    with np.errstate(all="ignore"):
        ln_hyp = np.log(hyp2f1(ca, cb, cc, z))
        alt = np.log(hyp2f1(cc - ca, cc - cb, cc, z)) + (cc - ca - cb) * np.log1p(-z)
    ln_hyp = np.where(np.isfinite(ln_hyp), ln_hyp, alt)
    first = (a + b + x) / (a - 1)
    second = 1 - np.exp(ln_hyp + (r + x) * np.log((alpha + T) / (alpha + T + t)))
    return first * second * expit(-_mbg_log_ratio(m, x, t_x, T))


# --------------------------------------------------------------------------- Pareto/NBD


def _log_hyp_euler(a: float | np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log 2F1(a, b; a + 1; z) for 0 <= z < 1, through Euler's transformation
    ``(1-z)^(1-b) 2F1(1, a + 1 - b; a + 1; z)``: a series of positive terms (a + 1 - b is
    s + 1 or r + x here), so a large b (many purchases) neither overflows nor cancels."""
    return (1 - b) * np.log1p(-z) + np.log(hyp2f1(1.0, a + 1 - b, a + 1, z))


def _pareto_log_a0(params, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log A0 of Fader, Hardie and Lee's note (eqs. 19 and 20): the integral over drop-out times
    between the last purchase and T, as a difference of two hypergeometric terms, in logs."""
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        top, b = alpha, np.full_like(x, s + 1.0, dtype=np.float64)
    else:
        top, b = beta, r + x
    gap = abs(alpha - beta)
    l1 = _log_hyp_euler(rsx, b, gap / (top + t_x)) - rsx * np.log(top + t_x)
    l2 = _log_hyp_euler(rsx, b, gap / (top + T)) - rsx * np.log(top + T)
    with np.errstate(divide="ignore"):  # t_x = T: A0 = 0, log -inf (the sum below handles it)
        return l1 + np.log(-np.expm1(np.minimum(l2 - l1, 0.0)))


def _pareto_log_odds_gone(m: ParetoNBD, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log of P(gone)/P(alive): s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0."""
    log_a0 = _pareto_log_a0((m.r, m.alpha, m.s, m.beta), x, t_x, T)
    return (np.log(m.s) - np.log(m.r + m.s + x) + (m.r + x) * np.log(m.alpha + T)
            + m.s * np.log(m.beta + T) + log_a0)


def pareto_loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under Pareto/NBD parameters
    (r, alpha, s, beta): Fader, Hardie and Lee's note, eq. 18."""
    r, alpha, s, beta = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    gone = np.log(s) - np.log(r + s + x) + _pareto_log_a0(params, x, t_x, T)
    return a1 + np.logaddexp(alive, gone)


def fit_pareto(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> ParetoNBD:
    (ux, ut, uT), w = _distinct([x, t_x, T])
    scale = float(np.mean(T)) or 1.0

    def nll(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = -(w * pareto_loglik(np.exp(theta), ux, ut / scale, uT / scale)).sum() / w.sum()
        return float(value) if np.isfinite(value) else 1e10

    # No closed-form gradient (the hypergeometric terms' parameter derivatives): L-BFGS-B with
    # forward differences. On CDNOW that lands within 1e-4 of lifetimes' Nelder-Mead answer (central
    # differences or a second start cost twice as many evaluations and move the 5th digit);
    # the iteration cap bounds the slow drift along the likelihood's ridge when s and beta grow
    # together (a common drop-out rate: few customers, little to tell them apart).
    with one_thread():
        res = minimize(nll, np.zeros(4), method="L-BFGS-B", jac="2-point",
                       options={"ftol": 1e-12, "gtol": 1e-8, "maxiter": 300})
    if not np.all(np.isfinite(res.x)) or res.fun >= 1e10:
        raise InsufficientData("the purchase model could not be fitted to these orders. "
                               "Include more customers with repeat purchases.")
    r, alpha, s, beta = np.exp(res.x)
    return ParetoNBD(r=r, alpha=alpha * scale, s=s, beta=beta * scale)


def _pareto_expected(m: ParetoNBD, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] under Pareto/NBD (the note's eq. 41):
    P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]."""
    u = np.log1p(t / (m.beta + T))
    d = m.s - 1
    # [1 - e^(-(s-1)u)] / (s-1), continuous at s = 1 (where it is u)
    growth = u if abs(d) < 1e-9 else -np.expm1(-d * u) / d
    rate = (m.r + x) * (m.beta + T) / (m.alpha + T)
    return probability_alive(m, x, t_x, T) * rate * growth


# --------------------------------------------------------------------------- Gamma-Gamma


def gamma_gamma_loglik(params: np.ndarray, x: np.ndarray, mx: np.ndarray) -> np.ndarray:
    p, q, v = params
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
            + (p * x - 1) * np.log(mx) + p * x * np.log(x) - (p * x + q) * np.log(x * mx + v))


def fit_gamma_gamma(x: np.ndarray, mx: np.ndarray) -> GammaGamma:
    (ux, um), w = _distinct([x, mx])
    scale = float(np.median(um))  # fit on spend relative to the median: v then near 1

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q1, v = np.exp(theta)
        q, m = 1 + q1, um / scale
        value = -(w * gamma_gamma_loglik((p, q, v), ux, m)).sum() / w.sum()
        if not np.isfinite(value):
            return 1e10, np.zeros(3)
        common = digamma(p * ux + q) - np.log(ux * m + v)
        d_p = ux * (common - digamma(p * ux) + np.log(m) + np.log(ux))
        d_q = common - digamma(q) + np.log(v)
        d_v = q / v - (p * ux + q) / (ux * m + v)
        grad = -np.array([d_p @ w * p, d_q @ w * q1, d_v @ w * v]) / w.sum()
        return float(value), grad

    p, q1, v = _fit(nll, np.array([1.0, 1.0, 1.0]))
    return GammaGamma(p=p, q=1 + q1, v=v * scale)


def expected_average_value(g: GammaGamma, x: np.ndarray, mx: np.ndarray) -> np.ndarray:
    """E[average purchase value | x, m_x]; the base's mean for customers without repeats."""
    weight = g.p * x / (g.p * x + g.q - 1)
    return np.where(x > 0, (1 - weight) * g.mean + weight * np.nan_to_num(mx), g.mean)


# --------------------------------------------------------------------------- together


def fit_value_model(book: OrderBook, model: str = BGNBD_MODEL) -> ValueModel:
    s = rfm_summary(book)
    if len(s) < MIN_CUSTOMERS:
        raise InsufficientData(f"{{param}} holds {len(s)} customer{'' if len(s) == 1 else 's'}; "
                               "the purchase model needs at "
                               f"least {MIN_CUSTOMERS}. Include more customers' orders.",
                               param="orders")
    spenders = (s["x"] > 0) & (s["m"] > 0)
    if int(spenders.sum()) < MIN_REPEATERS:
        raise InsufficientData(f"only {int(spenders.sum())} customers in {{param}} bought again "
                               f"(on a later day); the spend model needs at least {MIN_REPEATERS}. "
                               "Include a longer order history.", param="orders")
    fit_purchases = {MBGNBD_MODEL: fit_mbgnbd, PARETO_MODEL: fit_pareto}.get(model, fit_bgnbd)
    bg = fit_purchases(s["x"].to_numpy(), s["t_x"].to_numpy(), s["T"].to_numpy())
    gg = fit_gamma_gamma(s.loc[spenders, "x"].to_numpy(), s.loc[spenders, "m"].to_numpy())
    return ValueModel(bgnbd=bg, gamma=gg, summary=s)


def discounted_value(model: ValueModel, horizon_months: float, discount: float = 0.0,
                     margin: float = 1.0) -> np.ndarray:
    """Per customer: the discounted expected margin over the horizon.

    ``sum over months t of (E[X(T, T+t)] - E[X(T, T+t-1)]) x E[value] x margin / (1+d)^t``:
    the expected purchases in each month (the increments of the expected cumulative purchases)
    times the expected purchase value and the share of revenue kept, discounted at the monthly
    rate ``d`` to the end of that month. A last partial month counts its part of the month,
    discounted by its fractional exponent.
    """
    s = model.summary
    x, t_x, T = (s[c].to_numpy() for c in ("x", "t_x", "T"))
    avg = expected_average_value(model.gamma, x, s["m"].to_numpy())
    total = np.zeros(len(x))
    before = np.zeros(len(x))
    ends = list(np.arange(1.0, np.floor(horizon_months) + 1))
    if not ends or ends[-1] < horizon_months:
        ends.append(float(horizon_months))
    for month in ends:
        cumulative = expected_purchases(model.bgnbd, month * MONTH_DAYS / WEEK, x, t_x, T)
        total += (cumulative - before) / (1.0 + discount) ** month
        before = cumulative
    return total * avg * margin


def customer_value(model: ValueModel, horizon_months: float, discount: float | None = None,
                   margin: float | None = None) -> pd.DataFrame:
    """Per customer: repeat purchases so far, expected purchases over the horizon, probability
    of being active, expected average purchase value and expected value over the horizon; with
    ``discount`` (monthly rate) or ``margin`` (share kept) also the discounted expected margin
    (:func:`discounted_value`)."""
    s = model.summary
    x, t_x, T = (s[c].to_numpy() for c in ("x", "t_x", "T"))
    t = horizon_months * MONTH_DAYS / WEEK
    purchases = expected_purchases(model.bgnbd, t, x, t_x, T)
    avg = expected_average_value(model.gamma, x, s["m"].to_numpy())
    out = pd.DataFrame({
        "Customer": s.index.to_numpy(dtype=object),
        "Repeat purchases": x,
        "Expected purchases": purchases,
        "Probability active": probability_alive(model.bgnbd, x, t_x, T),
        "Expected purchase value": avg,
        "Expected value": purchases * avg,
    })
    if discount is not None or margin is not None:
        out["Discounted margin"] = discounted_value(model, horizon_months, discount or 0.0,
                                                    1.0 if margin is None else margin)
    return out

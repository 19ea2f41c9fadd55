"""A/B tests: rates or means per arm, each challenger against the control, and test planning.

Pure numpy/scipy; knows nothing of Excel.

* Conversions (visitors and conversions per arm): the two-proportion test of each arm against the
  control. Without continuity correction its chi-square is the square of the pooled z statistic
  (statsmodels' ``proportions_ztest``); with it, it is R's ``prop.test(correct = TRUE)``: the
  statistic, the p-value and the Wald interval of the difference widened by the same Yates term.
* Amounts (one outcome per customer): Welch's t test and its interval.
* The Bayesian probability that each arm is best: Beta(1 + conversions, 1 + non-conversions)
  posteriors, in closed form for two arms (Evan Miller's sum, "Formulas for Bayesian A/B
  testing"), by Monte Carlo with a seeded generator for more; for amounts, normal posteriors of
  the means.
* Checks: a sample-ratio mismatch against the planned split (a chi-square goodness-of-fit test,
  flagged below :data:`SRM_ALPHA`), and a warning while the sample is short of its planned size.
* Planning: :func:`sample_size` and :func:`detectable_rate`, R's ``power.prop.test`` (with the
  rejections in the opposite tail counted, as its ``strict = TRUE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .errors import DataError, InsufficientData, LimitExceeded, ParameterError

#: A planned split is judged broken (sample-ratio mismatch) below this p-value: the usual
#: threshold, strict because SRM checks run on every experiment.
SRM_ALPHA = 0.001
#: Monte Carlo draws for the probability to be best with more than two arms.
BEST_DRAWS = 100_000
#: Terms of the closed-form sum; beyond, a normal approximation (exact to many digits there).
MAX_EXACT_TERMS = 2_000_000
MAX_ARMS = 50


@dataclass
class ABResult:
    """One row per arm (control first), the test used, a verdict in words and notes."""

    table: pd.DataFrame
    kind: str                      # "conversions" or "amounts"
    test: str
    control: str
    verdict: str
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- two proportions


def prop_test(x1: float, n1: float, x2: float, n2: float, *, correct: bool = False,
              confidence: float = 0.95) -> tuple[float, float, float, float]:
    """R's ``prop.test(c(x1, x2), c(n1, n2), correct=correct)``: chi-square, p-value, interval.

    Returns (statistic, p_value, ci_low, ci_high) for the difference p1 - p2.
    """
    n = np.array([n1, n2], dtype=float)
    x = np.array([x1, x2], dtype=float)
    est = x / n
    delta = est[0] - est[1]
    yates = min(0.5 if correct else 0.0, abs(delta) / np.sum(1 / n))
    z = stats.norm.ppf(0.5 + confidence / 2)
    width = z * np.sqrt(np.sum(est * (1 - est) / n)) + yates * np.sum(1 / n)
    lo, hi = max(delta - width, -1.0), min(delta + width, 1.0)
    p = x.sum() / n.sum()
    observed = np.column_stack([x, n - x])
    expected = np.column_stack([n * p, n * (1 - p)])
    with np.errstate(divide="ignore", invalid="ignore"):
        cells = (np.abs(observed - expected) - yates) ** 2 / expected
    stat = float(np.nansum(cells)) if np.all(expected > 0) else 0.0
    return stat, float(stats.chi2.sf(stat, 1)), float(lo), float(hi)


def welch_test(m1: float, v1: float, n1: float, m2: float, v2: float, n2: float, *,
               confidence: float = 0.95) -> tuple[float, float, float, float]:
    """Welch's two-sample t test of mean1 - mean2: (t, p_value, ci_low, ci_high)."""
    se2 = v1 / n1 + v2 / n2
    delta = m1 - m2
    if se2 <= 0:
        return (0.0, 1.0, delta, delta) if delta == 0 else (float("inf") * np.sign(delta), 0.0, delta, delta)
    df = se2 ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    t = delta / np.sqrt(se2)
    q = stats.t.ppf(0.5 + confidence / 2, df)
    half = q * np.sqrt(se2)
    return float(t), float(2 * stats.t.sf(abs(t), df)), float(delta - half), float(delta + half)


# --------------------------------------------------------------------------- probability best


def prob_b_beats_a(a_success: float, a_fail: float, b_success: float, b_fail: float) -> float:
    """P(p_B > p_A) for Beta(1 + successes, 1 + failures) posteriors, in closed form.

    Evan Miller's sum over i < alpha_B of B(alpha_A + i, beta_A + beta_B) /
    ((beta_B + i) B(1 + i, beta_B) B(alpha_A, beta_A)), in logs. It has alpha_B terms, so the
    roles are swapped (1 - P(A > B)) when A has fewer; past :data:`MAX_EXACT_TERMS` the normal
    approximation of the two posteriors is used (their skew is nil by then).
    """
    aa, ba, ab, bb = 1 + a_success, 1 + a_fail, 1 + b_success, 1 + b_fail
    if ab > aa:
        return 1.0 - prob_b_beats_a(b_success, b_fail, a_success, a_fail)
    if ab > MAX_EXACT_TERMS or any(v != int(v) for v in (aa, ba, ab, bb)):
        return _normal_b_beats_a(aa, ba, ab, bb)
    i = np.arange(int(ab), dtype=float)
    logs = (special.betaln(aa + i, ba + bb) - np.log(bb + i) - special.betaln(1 + i, bb)
            - special.betaln(aa, ba))
    return float(np.clip(np.exp(special.logsumexp(logs)), 0.0, 1.0))


def _normal_b_beats_a(aa: float, ba: float, ab: float, bb: float) -> float:
    def moments(a: float, b: float) -> tuple[float, float]:
        return a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))

    ma, va = moments(aa, ba)
    mb, vb = moments(ab, bb)
    return float(stats.norm.cdf((mb - ma) / np.sqrt(va + vb)))


def prob_best_beta(successes: np.ndarray, trials: np.ndarray, *, seed: int = 0,
                   draws: int = BEST_DRAWS) -> np.ndarray:
    """P(each arm has the highest rate) under Beta(1 + s, 1 + f) posteriors.

    Two arms: the closed form; more: Monte Carlo with ``draws`` draws of a generator seeded by
    ``seed`` (same inputs, same answer).
    """
    s = np.asarray(successes, dtype=float)
    f = np.asarray(trials, dtype=float) - s
    if len(s) == 2:
        pb = prob_b_beats_a(s[0], f[0], s[1], f[1])
        return np.array([1 - pb, pb])
    rng = np.random.default_rng(seed)
    theta = rng.beta(1 + s, 1 + f, size=(draws, len(s)))
    return np.bincount(theta.argmax(axis=1), minlength=len(s)) / draws


def prob_best_normal(means: np.ndarray, ses: np.ndarray, *, seed: int = 0,
                     draws: int = BEST_DRAWS) -> np.ndarray:
    """P(each arm has the highest mean) with normal posteriors N(mean, se^2) (flat prior)."""
    m, se = np.asarray(means, float), np.asarray(ses, float)
    if len(m) == 2:
        sd = np.hypot(se[0], se[1])
        pb = float(stats.norm.cdf((m[1] - m[0]) / sd)) if sd > 0 else float(np.sign(m[1] - m[0]) + 1) / 2
        return np.array([1 - pb, pb])
    rng = np.random.default_rng(seed)
    theta = m + se * rng.standard_normal((draws, len(m)))
    return np.bincount(theta.argmax(axis=1), minlength=len(m)) / draws


# --------------------------------------------------------------------------- the test


def _check_arms(arms: list[str], control: int) -> None:
    if len(arms) < 2:
        only = arms[0] if arms else "none"
        raise InsufficientData(f"{{param}} has only one arm ({only}). An A/B test needs at least "
                               "two: the control and a variant.", param="data")
    if len(arms) > MAX_ARMS:
        raise LimitExceeded(f"{{param}} has {len(arms)} arms; at most {MAX_ARMS} are compared. "
                            "Check that the first column holds the arm names.", param="data")
    if not 0 <= control < len(arms):
        raise ParameterError("{param} is not one of the arms.", param="control")


def ab_conversions(arms: list[str], visitors: np.ndarray, conversions: np.ndarray, *,
                   control: int = 0, confidence: float = 0.95, correct: bool = False,
                   seed: int = 0) -> ABResult:
    """Each arm's conversion rate, and each other arm against ``control`` (an index)."""
    _check_arms(arms, control)
    n = np.asarray(visitors, float)
    x = np.asarray(conversions, float)
    for i, a in enumerate(arms):
        if n[i] <= 0:
            raise InsufficientData(f"{{param}}: arm {a} has no visitors. Every arm needs at least "
                                   "one visitor.", param="data")
        if x[i] < 0 or x[i] > n[i]:
            raise DataError(f"{{param}}: arm {a} has {x[i]:g} conversions out of {n[i]:g} "
                            "visitors. Conversions must be between 0 and the visitors.", param="data")
    rate = x / n
    c = control
    rows = []
    for i in range(len(arms)):
        if i == c:
            rows.append((np.nan,) * 4)
            continue
        rows.append(prop_test(x[i], n[i], x[c], n[c], correct=correct, confidence=confidence))
    stat, p, lo, hi = (np.array(v, float) for v in zip(*rows))
    best = prob_best_beta(x, n, seed=seed)
    table = _table(arms, n, x, rate, c, stat, p, lo, hi, best)
    test = ("Chi-square test of two proportions with continuity correction (R prop.test)"
            if correct else "Two-proportion z test (chi-square without continuity correction)")
    return ABResult(table, "conversions", test, arms[c], _verdict(table, c, confidence, "rate"))


def ab_amounts(arms: list[str], groups: list[np.ndarray], *, control: int = 0,
               confidence: float = 0.95, seed: int = 0) -> ABResult:
    """Each arm's mean amount, and each other arm against ``control`` by Welch's t test."""
    _check_arms(arms, control)
    for a, g in zip(arms, groups):
        if len(g) < 2:
            raise InsufficientData(f"{{param}}: arm {a} has {len(g)} outcome(s); Welch's test needs "
                                   "at least 2 per arm.", param="data")
    n = np.array([len(g) for g in groups], float)
    m = np.array([g.mean() for g in groups])
    v = np.array([g.var(ddof=1) for g in groups])
    c = control
    rows = [(np.nan,) * 4 if i == c else
            welch_test(m[i], v[i], n[i], m[c], v[c], n[c], confidence=confidence)
            for i in range(len(arms))]
    stat, p, lo, hi = (np.array(r, float) for r in zip(*rows))
    best = prob_best_normal(m, np.sqrt(v / n), seed=seed)
    sums = np.array([g.sum() for g in groups])
    table = _table(arms, n, sums, m, c, stat, p, lo, hi, best)
    return ABResult(table, "amounts", "Welch's t test (unequal variances)", arms[c],
                    _verdict(table, c, confidence, "mean"))


def _table(arms, n, total, value, c, stat, p, lo, hi, best) -> pd.DataFrame:
    diff = value - value[c]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(value[c] != 0, diff / value[c], np.nan)
        rel_lo = np.where(value[c] != 0, lo / value[c], np.nan)
        rel_hi = np.where(value[c] != 0, hi / value[c], np.nan)
    diff[c] = rel[c] = np.nan
    return pd.DataFrame({"arm": arms, "n": n, "total": total, "value": value, "diff": diff,
                         "ci_low": lo, "ci_high": hi, "lift": rel, "lift_low": rel_lo,
                         "lift_high": rel_hi, "statistic": stat, "p_value": p, "p_best": best})


def _pct(v: float) -> str:
    return f"{v:.1%}" if abs(v) >= 0.001 or v == 0 else f"{v:.3%}"


def _chance(p: float) -> str:
    """A probability in words that never rounds a near-certainty up to 100% (or down to 0%)."""
    if 0.99 <= p < 1 or 0 < p <= 0.01:
        return f"{p:.1%}" if 0.001 <= p <= 0.999 else ("over 99.9%" if p > 0.5 else "under 0.1%")
    return f"{p:.0%}"


def _verdict(t: pd.DataFrame, c: int, confidence: float, what: str) -> str:
    """The plain-words conclusion. With several challengers the threshold is split among them
    (Bonferroni), so a test of many variants does not crown a winner by chance."""
    alpha = 1 - confidence
    k = len(t) - 1
    level = alpha / k
    show = _pct if what == "rate" else (lambda v: f"{v:,.2f}")
    ctrl = t.loc[c, "arm"]
    sig = t[(t.index != c) & (t["p_value"] < level)]
    winners = sig[sig["diff"] > 0]
    if not winners.empty:
        w = winners.loc[winners["value"].idxmax()]
        lift = f" ({w['lift']:+.1%})" if np.isfinite(w["lift"]) else ""
        return (f"{w['arm']} beats {ctrl}: {what} {show(w['value'])} vs {show(t.loc[c, 'value'])}"
                f"{lift}, p = {w['p_value']:.2g}; {_chance(w['p_best'])} probability it is the best arm.")
    if not sig.empty:
        w = sig.loc[sig["value"].idxmin()]
        return (f"{ctrl} (control) beats {w['arm']}: {what} {show(t.loc[c, 'value'])} vs "
                f"{show(w['value'])}, p = {w['p_value']:.2g}. Keep the control.")
    lead = t.loc[t["p_best"].idxmax()]
    adj = f" (threshold {level:.2g} for {k} comparisons)" if k > 1 else ""
    return (f"No significant difference yet at {confidence:.0%} confidence{adj}: {lead['arm']} leads "
            f"with a {_chance(lead['p_best'])} probability of being best. Keep the test running to its "
            "planned size, or accept that the arms perform alike.")


def sample_ratio_check(n: np.ndarray, planned: np.ndarray) -> tuple[float, float]:
    """Chi-square goodness of fit of the arms' sizes to the planned split: (statistic, p)."""
    n = np.asarray(n, float)
    w = np.asarray(planned, float)
    expected = n.sum() * w / w.sum()
    stat = float(np.sum((n - expected) ** 2 / expected))
    return stat, float(stats.chi2.sf(stat, len(n) - 1))


# --------------------------------------------------------------------------- planning


def power_prop(n: float, p1: float, p2: float, alpha: float = 0.05, sides: int = 2) -> float:
    """Power of the two-proportion test with ``n`` per arm (R's power.prop.test, strict)."""
    q = stats.norm.isf(alpha / sides)
    d = abs(p1 - p2)
    pbar = (p1 + p2) / 2
    sd = np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    spread = q * np.sqrt(2 * pbar * (1 - pbar))
    power = stats.norm.cdf((np.sqrt(n) * d - spread) / sd)
    if sides == 2:  # rejections in the opposite tail count too
        power += stats.norm.sf((np.sqrt(n) * d + spread) / sd)
    return float(power)


MAX_N = 1e10


def sample_size(p1: float, p2: float, power: float = 0.8, alpha: float = 0.05,
                sides: int = 2) -> float:
    """Recipients per arm to detect ``p2`` against a baseline ``p1`` (not rounded up)."""
    if p1 == p2:
        raise ParameterError("{param} is zero: the two rates are equal, so no sample size can "
                             "detect a difference. Enter the smallest lift worth detecting.",
                             param="lift")
    if power <= alpha / sides:
        raise ParameterError(f"{{param}}={power:g} is not above the significance level; enter a "
                             "power such as 0.8.", param="power")

    def gap(n: float) -> float:
        return power_prop(n, p1, p2, alpha, sides) - power

    if gap(MAX_N) < 0:
        raise LimitExceeded("{param} is too small to detect with fewer than 10 billion "
                            "recipients per arm.", param="lift")
    lo = 2.0 if gap(2.0) < 0 else 1e-6
    return float(optimize.brentq(gap, lo, MAX_N, xtol=1e-10, rtol=1e-13))


def detectable_rate(p1: float, n: float, power: float = 0.8, alpha: float = 0.05,
                    sides: int = 2) -> float:
    """The rate above ``p1`` that ``n`` recipients per arm detect with ``power`` (the inverse)."""

    def gap(p2: float) -> float:
        return power_prop(n, p1, p2, alpha, sides) - power

    top = 1 - 1e-12
    if gap(top) < 0:
        raise InsufficientData(f"{{param}}={n:g} per arm is too few to detect even a rise from "
                               f"{p1:.1%} to 100% with this power. Enter a larger size.",
                               param="size")
    return float(optimize.brentq(gap, p1 + 1e-12, top, xtol=1e-13))

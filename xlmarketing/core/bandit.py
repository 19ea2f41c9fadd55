"""Bandit allocation: next period's traffic share per arm by Thompson sampling.

Pure numpy; knows nothing of Excel. Each arm's conversion rate has a Beta(a0 + successes,
b0 + failures) posterior. The prior is the pooled rate p of all arms (successes + 1 over trials
+ 2), worth :data:`PRIOR_TRIALS` trials: a0 = 2p, b0 = 2(1 - p). It weighs as much as the
uniform Beta(1, 1) but is centred on the test's own rate, so an arm with few (or only old)
results is taken to convert like the test as a whole rather than at 50%. Thompson sampling
sends each visitor to the arm whose drawn rate is highest, so over a period an arm gets the
share of visitors equal to its probability of being the best arm: that probability, estimated
from :data:`DRAWS` seeded draws, is the allocation. Each arm draws from its own stream,
seeded by the seed and the arm's name, so the answer does not depend on the order the arms are
listed in.

Drifting rates: with ``discount`` below 1, results ``age`` periods old count ``discount ** age``
times (discounted Thompson sampling), so the posterior follows the recent rates. With
``discount=None`` (the default) and periods given, the discount is chosen from the data by
:func:`choose_discount`: the value of :data:`DISCOUNTS` whose posterior best predicts each
period's results from the periods before it (one-step-ahead beta-binomial log-likelihood
under the uniform prior), kept
only when it beats no discounting by more than :data:`LR_GATE` (half the 5% chi-square
critical value with one degree of freedom, as in a likelihood-ratio test of one parameter);
otherwise 1, all periods alike.

Stopping: the expected loss of stopping now with the leading arm is E[max_j theta_j -
theta_leader] under the posterior (the conversion rate given up, on average, if the leader is
not in fact best). The verdict says stop when that loss is below ``threshold`` times the
leader's rate (default 1%: stopping costs less than a hundredth of the winner's rate).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import betaln

from .errors import DataError, InsufficientData, LimitExceeded

DRAWS = 20_000
THRESHOLD = 0.01
MAX_ARMS = 100
PRIOR_TRIALS = 2.0
#: Candidate discounts for the automatic choice, 1 (none) first.
DISCOUNTS = (1.0, 0.99, 0.98, 0.97, 0.95, 0.93, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5)
LR_GATE = 1.92  # chi2(1) 95% quantile / 2: the log-likelihood gain a discount must show


@dataclass
class BanditResult:
    table: pd.DataFrame        # arm, trials, successes, rate, p_best, share, loss
    leader: str
    loss: float                # expected loss of stopping now with the leader
    stop: bool
    verdict: str
    notes: list[str] = field(default_factory=list)
    discount: float = 1.0      # the discount used (chosen from the data when not given)


def prior(s: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Beta prior (a0, b0) centred on the pooled rate of (weighted) successes s and failures f
    summed over the last axis, worth :data:`PRIOR_TRIALS` trials."""
    s_all, f_all = np.sum(s, axis=-1, keepdims=True), np.sum(f, axis=-1, keepdims=True)
    p = (s_all + 1) / (s_all + f_all + 2)
    return PRIOR_TRIALS * p, PRIOR_TRIALS * (1 - p)


def posterior(arm_index: np.ndarray, n_arms: int, trials: np.ndarray, successes: np.ndarray,
              age: np.ndarray | None = None, discount: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters (alpha, beta) per arm from result rows, old rows discounted."""
    w = np.ones(len(trials)) if age is None else discount ** np.asarray(age, float)
    s = np.bincount(arm_index, weights=w * successes, minlength=n_arms)
    f = np.bincount(arm_index, weights=w * (trials - successes), minlength=n_arms)
    a0, b0 = prior(s, f)
    return a0 + s, b0 + f


def choose_discount(arm_index: np.ndarray, n_arms: int, trials: np.ndarray,
                    successes: np.ndarray, age: np.ndarray) -> float:
    """The discount in :data:`DISCOUNTS` whose posterior best predicts each period's results
    from the earlier periods (summed beta-binomial log predictive probability), or 1 when no
    discount gains more than :data:`LR_GATE` over none.

    The check uses the uniform Beta(1, 1) prior, not the pooled one: with the pooled prior a
    heavy discount also pulls every arm toward the pooled rate, which predicts sparse results
    better whether or not the rates move (on 80 arms with 38 clicks it picked 0.5), so it would
    measure shrinkage rather than drift. With the uniform prior, forgetting only pays when the
    recent results really differ from the old ones."""
    age = np.asarray(age, np.int64)
    periods = int(age.max()) + 1
    if periods < 3:
        return 1.0
    pos = age.max() - age
    s = np.zeros((periods, n_arms))
    n = np.zeros((periods, n_arms))
    np.add.at(s, (pos, arm_index), successes)
    np.add.at(n, (pos, arm_index), trials)
    f = n - s
    d = np.asarray(DISCOUNTS)[:, None]
    S = np.zeros((len(DISCOUNTS), n_arms))
    F = np.zeros_like(S)
    ll = np.zeros(len(DISCOUNTS))
    for t in range(periods):
        if t:  # the first period has nothing before it: the same term for every discount
            a, b = 1 + S, 1 + F
            ll += np.sum(betaln(a + s[t], b + f[t]) - betaln(a, b), axis=1)
        S = d * S + s[t]
        F = d * F + f[t]
    j = int(np.argmax(ll))
    return float(DISCOUNTS[j]) if ll[j] - ll[0] > LR_GATE else 1.0


def arm_stream(seed: int, key: str) -> np.random.Generator:
    """The random stream of one arm: from the seed and the arm's name, never its position, so
    the arms listed in another order draw the same rates."""
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def thompson(alpha: np.ndarray, beta: np.ndarray, *, seed: int = 0, draws: int = DRAWS,
             keys: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P(best) per arm, expected loss of stopping with each arm, posterior mean) from seeded
    posterior draws: each arm's from its own stream (:func:`arm_stream`, ``keys`` naming the
    arms; default their positions)."""
    keys = [str(j) for j in range(len(alpha))] if keys is None else list(keys)
    theta = np.empty((draws, len(alpha)))
    for j, key in enumerate(keys):
        theta[:, j] = arm_stream(seed, key).beta(alpha[j], beta[j], size=draws)
    best = np.bincount(theta.argmax(axis=1), minlength=len(alpha)) / draws
    loss = (theta.max(axis=1)[:, None] - theta).mean(axis=0)
    return best, loss, theta.mean(axis=0)


def allocate(arms: list[str], arm_index: np.ndarray, trials: np.ndarray, successes: np.ndarray, *,
             age: np.ndarray | None = None, discount: float | None = None,
             threshold: float = THRESHOLD, seed: int = 0, draws: int = DRAWS,
             keys: Sequence[str] | None = None) -> BanditResult:
    """Next period's share per arm, P(best), expected loss and the stop-or-continue verdict.

    ``discount`` None: chosen from the data by :func:`choose_discount` when ``age`` is given,
    else 1. ``keys``: each arm's identity (default its name), which seeds its draws and breaks
    ties: the answer does not depend on the order the arms are listed in."""
    k = len(arms)
    keys = list(arms) if keys is None else list(keys)
    if k < 2:
        raise InsufficientData("{param} has only one arm. Traffic can only be shared between two "
                               "or more arms.", param="data")
    if k > MAX_ARMS:
        raise LimitExceeded(f"{{param}} has {k} arms; at most {MAX_ARMS} are allocated. Check "
                            "that the arm column holds arm names.", param="data")
    trials = np.asarray(trials, float)
    successes = np.asarray(successes, float)
    bad = np.flatnonzero((trials < 0) | (successes < 0) | (successes > trials))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{{param}}: arm {arms[arm_index[i]]} has {successes[i]:g} successes out of "
                        f"{trials[i]:g} trials in one row. Successes must be between 0 and the "
                        "trials.", param="data")
    if discount is None:
        discount = 1.0 if age is None else choose_discount(arm_index, k, trials, successes, age)
    a, b = posterior(arm_index, k, trials, successes, age, discount)
    best, loss, mean = thompson(a, b, seed=seed, draws=draws, keys=keys)
    n = np.bincount(arm_index, weights=trials, minlength=k)
    x = np.bincount(arm_index, weights=successes, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / n, np.nan)
    rank = np.argsort(np.argsort(np.array(keys, dtype=object)))
    lead = int(np.lexsort((rank, -mean, -best))[0])  # most often best; ties by mean, then name
    stop = bool(loss[lead] < threshold * mean[lead])
    table = pd.DataFrame({"arm": arms, "trials": n, "successes": x, "rate": rate,
                          "p_best": best, "share": best, "loss": loss})
    if stop:
        verdict = (f"Stop: arm {arms[lead]} wins ({best[lead]:.1%} probability of being best; "
                   f"stopping now gives up {loss[lead]:.3%} of conversion rate on average, under "
                   f"{threshold:.0%} of its rate).")
    else:
        verdict = (f"Keep going: arm {arms[lead]} leads ({best[lead]:.1%} probability of being "
                   f"best) but stopping now would give up {loss[lead]:.3%} of conversion rate on "
                   f"average, more than {threshold:.0%} of its rate. Send the next period's "
                   "traffic by the shares.")
    return BanditResult(table, arms[lead], float(loss[lead]), stop, verdict, discount=discount)

"""Bandit allocation: next period's traffic share per arm by Thompson sampling.

Pure numpy; knows nothing of Excel. Each arm's conversion rate has a Beta(1 + successes,
1 + failures) posterior. Thompson sampling sends each visitor to the arm whose drawn rate is
highest, so over a period an arm gets the share of visitors equal to its probability of being
the best arm: that probability, estimated from :data:`DRAWS` seeded draws, is the allocation.
Each arm draws from its own stream, seeded by the seed and the arm's name, so the answer does
not depend on the order the arms are listed in.

Drifting rates: with ``discount`` below 1, results ``age`` periods old count ``discount ** age``
times (discounted Thompson sampling), so the posterior follows the recent rates.

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

from .errors import DataError, InsufficientData, LimitExceeded

DRAWS = 20_000
THRESHOLD = 0.01
MAX_ARMS = 100


@dataclass
class BanditResult:
    table: pd.DataFrame        # arm, trials, successes, rate, p_best, share, loss
    leader: str
    loss: float                # expected loss of stopping now with the leader
    stop: bool
    verdict: str
    notes: list[str] = field(default_factory=list)


def posterior(arm_index: np.ndarray, n_arms: int, trials: np.ndarray, successes: np.ndarray,
              age: np.ndarray | None = None, discount: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters (alpha, beta) per arm from result rows, old rows discounted."""
    w = np.ones(len(trials)) if age is None else discount ** np.asarray(age, float)
    s = np.bincount(arm_index, weights=w * successes, minlength=n_arms)
    f = np.bincount(arm_index, weights=w * (trials - successes), minlength=n_arms)
    return 1 + s, 1 + f


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
             age: np.ndarray | None = None, discount: float = 1.0, threshold: float = THRESHOLD,
             seed: int = 0, draws: int = DRAWS, keys: Sequence[str] | None = None) -> BanditResult:
    """Next period's share per arm, P(best), expected loss and the stop-or-continue verdict.

    ``keys``: each arm's identity (default its name), which seeds its draws and breaks ties:
    the answer does not depend on the order the arms are listed in."""
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
    return BanditResult(table, arms[lead], float(loss[lead]), stop, verdict)

"""Gains and lift by decile, and ROC curve points, from scores and outcomes.

Pure numpy/scikit-learn. Customers are ranked by score, highest first, and cut into ``bins``
groups as equal as possible. Customers with the same score cannot be told apart, so a group
boundary inside a tied block splits that block's outcomes evenly: each tied customer counts as
the block's average outcome. The table then does not depend on the order of the rows (an export
sorted by outcome would otherwise put all the positives of a tie on one side).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from .errors import InsufficientData


def gains(y: np.ndarray, score: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """One row per group of customers, best scores first.

    Columns: Group (1 = top), Customers, Positives, Rate, Lowest score, Cumulative customers
    (share of all), Captured (cumulative share of all positives), Lift (group rate over the base
    rate) and Cumulative lift. "Contact the top 20%, reach 55% of the positives" reads off row 2.
    """
    y = np.asarray(y, dtype=np.float64)
    score = np.asarray(score, dtype=np.float64)
    n = len(y)
    if n < bins:
        raise InsufficientData(f"{{param}}={bins} groups need at least {bins} customers, got {n}. "
                               "Lower {param} or add rows.", param="bins")
    order = np.argsort(-score, kind="stable")
    groups = np.array_split(order, bins)
    total_pos = math.fsum(y)
    base = total_pos / n
    y = _tie_averaged(y, score)
    rows, cum_n, cum_pos = [], 0, 0.0
    for g, idx in enumerate(groups, start=1):
        pos = math.fsum(y[idx])  # exact, so the row order inside a group cannot change it
        cum_n += len(idx)
        cum_pos += pos
        rate = pos / len(idx)
        rows.append({"Group": g, "Customers": len(idx), "Positives": _count(pos), "Rate": rate,
                     "Lowest score": float(score[idx].min()),
                     "Cumulative customers": cum_n / n,
                     "Captured": cum_pos / total_pos if total_pos else float("nan"),
                     "Lift": rate / base if base else float("nan"),
                     "Cumulative lift": (cum_pos / cum_n) / base if base else float("nan")})
    return pd.DataFrame(rows)


def _tie_averaged(y: np.ndarray, score: np.ndarray) -> np.ndarray:
    """``y`` with each block of equal scores replaced by the block's mean outcome."""
    _, block = np.unique(score, return_inverse=True)
    means = np.bincount(block, weights=y) / np.bincount(block)
    return means[block]


def _count(pos: float) -> int | float:
    """A whole count as an int; a count that a split tie made fractional, to 1e-9."""
    r = round(pos)
    return int(r) if abs(pos - r) < 1e-9 else round(pos, 9)


def roc_points(y: np.ndarray, score: np.ndarray, points: int = 21) -> pd.DataFrame:
    """The ROC curve at ``points`` evenly spaced false positive rates (0 to 1), for a chart.

    True positive rate at each false positive rate is the curve's step value there
    (scikit-learn's ``roc_curve``, interpolated as a step: the best TPR reachable without
    exceeding that FPR).
    """
    fpr, tpr, thr = roc_curve(np.asarray(y), np.asarray(score, dtype=np.float64))
    grid = np.linspace(0.0, 1.0, points)
    idx = np.searchsorted(fpr, grid, side="right") - 1
    thr = np.where(np.isfinite(thr), thr, 1.0)
    return pd.DataFrame({"False positive rate": grid, "True positive rate": tpr[idx],
                         "Threshold": np.clip(thr[idx], 0.0, 1.0)})

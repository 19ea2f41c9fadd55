"""Model fairness by group: rates per group and the largest gaps between groups.

Pure numpy/scikit-learn, with fairlearn's definitions (``MetricFrame`` with ``count``,
``selection_rate``, ``true_positive_rate``, ``false_positive_rate``;
``demographic_parity_difference`` / ``_ratio`` and ``equalized_odds_difference`` with their
defaults: between groups, worst case). The tests check the figures against fairlearn itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .errors import DataError

MAX_GROUPS = 50
#: Groups with fewer rows are listed but left out of the largest gaps: a selection rate of
#: 1 customer is 0 or 1, so a lone customer made a parity gap of 0.37 between groups whose
#: rates differed by 0.03. 30 is the usual smallest sample for a rate (a standard error of at
#: most 0.09).
MIN_GROUP_ROWS = 30


@dataclass
class Fairness:
    table: pd.DataFrame           # one row per group
    gaps: dict[str, float]        # the largest gaps between groups
    small: list = field(default_factory=list)  # groups left out of the gaps (too few rows)


def _rate(num: float, den: float) -> float:
    return num / den if den else float("nan")


def by_group(y: np.ndarray, proba: np.ndarray, groups: np.ndarray, threshold: float,
             min_rows: int = MIN_GROUP_ROWS) -> Fairness:
    """Per group: rows, actual rate, mean probability, selection rate, TPR, FPR and AUC.

    ``groups`` holds one text per row; groups are listed in sorted order. AUC is NaN in a group
    with only one outcome. Gaps: demographic parity difference (largest minus smallest
    selection rate) and ratio (smallest over largest), equalized odds difference (the larger
    of the TPR and FPR ranges), between the groups of at least ``min_rows`` rows when two or
    more have that many (the others are listed in ``small``).
    """
    y = np.asarray(y, dtype=np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    groups = np.asarray(groups, dtype=object)
    pred = (proba >= threshold).astype(np.int64)
    names = sorted(set(groups.tolist()), key=lambda s: (str(s).lower(), str(s)))
    if len(names) > MAX_GROUPS:
        raise DataError(f"{{param}} has {len(names)} different values; a fairness check compares "
                        f"a few groups (at most {MAX_GROUPS}). Use bands (e.g. age 18-29, 30-44) "
                        "instead of raw values.", param="groups")
    rows = []
    for g in names:
        m = groups == g
        yg, pg, sg = y[m], pred[m], proba[m]
        pos, neg = int(yg.sum()), int((1 - yg).sum())
        rows.append({"Group": g, "Rows": int(m.sum()), "Actual rate": float(yg.mean()),
                     "Mean probability": float(sg.mean()), "Selection rate": float(pg.mean()),
                     "True positive rate": _rate(float((pg & yg).sum()), pos),
                     "False positive rate": _rate(float((pg & (1 - yg)).sum()), neg),
                     "AUC": float(roc_auc_score(yg, sg)) if pos and neg else float("nan")})
    table = pd.DataFrame(rows)
    big = table["Rows"].to_numpy() >= min_rows
    # with fewer than two groups of a comparable size, every group counts (and says so)
    counted = table[big] if big.sum() >= 2 else table
    small = [] if big.sum() < 2 else table.loc[~big, "Group"].tolist()
    sel = counted["Selection rate"].to_numpy()
    tpr = counted["True positive rate"].to_numpy()
    fpr = counted["False positive rate"].to_numpy()
    gaps = {
        "Demographic parity difference": float(sel.max() - sel.min()),
        "Demographic parity ratio": float(sel.min() / sel.max()) if sel.max() > 0 else float("nan"),
        "Equalized odds difference": float(max(np.nanmax(tpr) - np.nanmin(tpr),
                                               np.nanmax(fpr) - np.nanmin(fpr))),
    }
    return Fairness(table, gaps, small)

"""A fitted decision tree as readable if-then rules, in the customers' own units.

Pure numpy/scikit-learn. The tree splits the design matrix (standardised, log scales, days ago,
one-hot levels); every threshold is mapped back to the raw column so a rule reads
``Tenure <= 12.5 and Contract = Monthly``. Conditions on the same column along a path merge into
one range (``12.5 < Tenure <= 30``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .churn import BOOL, DATE, ChurnModel, Prep
from .errors import ParameterError


@dataclass
class _Cond:
    """What a path says about one raw column."""

    lo: float = -np.inf      # value > lo
    hi: float = np.inf       # value <= hi
    seen: np.ndarray | None = None  # the column's training values, sorted (for printing cuts)
    eq: str | None = None    # category level it has
    ne: tuple[str, ...] = ()  # category levels it has not
    blank: bool | None = None


def _fmt(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _show(d: float) -> str:
    """``d`` as a rule prints it: thousands separated, no more decimals than it has."""
    if abs(d) >= 100:
        decimals = next(k for k in range(10) if round(d, k) == d) if d == round(d, 9) else 9
        return f"{d:,.{decimals}f}"
    return f"{d:.15g}"


def _cut(v: float, seen: np.ndarray) -> str:
    """The shortest printed number that puts every training customer on the side it is on.

    A split at 151.5 rounded to "152" would put the customers at 152 on the wrong side of the
    text ("<= 152"), so the printed cut is the shortest rounding of ``v`` that still lies
    between the largest value at or below it and the smallest value above it.
    """
    i = int(np.searchsorted(seen, v, side="right"))
    below = seen[i - 1] if i > 0 else -np.inf
    above = seen[i] if i < seen.size else np.inf
    if abs(v) >= 100:
        candidates = [round(v, k) for k in range(10)]
    else:
        candidates = [float(f"{v:.{s}g}") for s in range(3, 18)]
    tol = 1e-9 * max(1.0, abs(v))  # the seen values went through the scaling and back
    return _show(next((d for d in candidates if below - tol <= d < above - tol), v))


def _raw_threshold(prep: Prep, j: int, z: float) -> float:
    """The raw-unit value of a split on standardised numeric feature ``j``."""
    return float(_to_raw(prep, j, np.float64(z)))


def _to_raw(prep: Prep, j: int, z: np.ndarray) -> np.ndarray:
    """Standardised values of numeric feature ``j`` back in the column's own units."""
    enc = prep.encoder
    v = (z * enc.stds[j] + enc.means[j]) * enc.units[j]
    return np.expm1(v) if enc.numeric[j] in prep.log_cols else v


def _describe(prep: Prep, col: str, cond: _Cond) -> str:
    kind = prep.kinds[col]
    levels = prep.encoder.categories.get(col, [])
    rest = [lvl for lvl in levels if lvl not in cond.ne]
    if cond.eq is None and cond.ne and len(rest) == 1:
        cond = _Cond(**{**vars(cond), "eq": rest[0]})   # "not Annual" of two levels: "= Monthly"
    if cond.blank:
        return f"{col} is blank"
    parts = []
    if cond.eq is not None:
        parts.append(f"{col} = {cond.eq}")
    elif cond.ne:
        parts.append(f"{col} is not {' or '.join(cond.ne)}")
    elif kind == BOOL:
        if cond.hi < 1:
            parts.append(f"{col} is FALSE")
        elif cond.lo >= 0:
            parts.append(f"{col} is TRUE")
    elif np.isfinite(cond.lo) or np.isfinite(cond.hi):
        name = f"{col} (days ago)" if kind == DATE else col
        fmt = _fmt if cond.seen is None else (lambda v: _cut(v, cond.seen))
        if np.isfinite(cond.lo) and np.isfinite(cond.hi):
            parts.append(f"{fmt(cond.lo)} < {name} <= {fmt(cond.hi)}")
        elif np.isfinite(cond.hi):
            parts.append(f"{name} <= {fmt(cond.hi)}")
        else:
            parts.append(f"{name} > {fmt(cond.lo)}")
    if cond.blank is False and not parts:
        parts.append(f"{col} is not blank")
    return " and ".join(parts)


def rules(model: ChurnModel, frame: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """One row per leaf, highest probability first.

    Columns: Rule (the conditions), Customers and Rate (training customers in the leaf and
    their actual positive rate), Share (of all training customers), Probability (the tree's
    prediction for the leaf).
    """
    if model.family != "tree":
        raise ParameterError('{param} must be "tree" for rules: only a single decision tree '
                             f'reads as if-then rules, got "{model.name}". Set model to "tree".',
                             param="model")
    prep, est = model.prep, model.estimator
    t = est.tree_
    n_num = len(prep.encoder.numeric)
    feature_col = list(prep.sources)
    levels = [(c, lvl) for c, lvls in prep.encoder.categories.items() for lvl in lvls]
    blank_names = {f"{c} is blank": c for c in prep.blank_cols}

    design = prep.transform(frame)
    raw = [_to_raw(prep, j, np.asarray(design[:, j], dtype=np.float64)) for j in range(n_num)]
    seen = {j: np.unique(v[np.isfinite(v)]) for j, v in enumerate(raw)}
    leaves: list[tuple[int, dict[str, _Cond]]] = []

    def walk(node: int, conds: dict[str, _Cond]) -> None:
        if t.children_left[node] == -1:
            leaves.append((node, conds))
            return
        j, thr = int(t.feature[node]), float(t.threshold[node])
        col = feature_col[j]
        for child, left in ((t.children_left[node], True), (t.children_right[node], False)):
            c2 = {k: _Cond(**vars(v)) for k, v in conds.items()}
            cond = c2.setdefault(col, _Cond())
            if j >= n_num:                                   # a one-hot level
                lvl = levels[j - n_num][1]
                if left:
                    cond.ne = tuple(sorted(set(cond.ne) | {lvl}))
                else:
                    cond.eq = lvl
            elif prep.encoder.numeric[j] in blank_names:     # a blank indicator
                cond.blank = not left
            else:
                raw = _raw_threshold(prep, j, thr)
                cond.seen = seen[j]
                if left:
                    cond.hi = min(cond.hi, raw)
                else:
                    cond.lo = max(cond.lo, raw)
            walk(child, c2)

    walk(0, {})
    leaf_of = est.apply(design)
    y = np.asarray(y, dtype=np.float64)
    rows = []
    for node, conds in leaves:
        inside = leaf_of == node
        value = t.value[node][0]
        texts = [_describe(prep, c, cond) for c, cond in conds.items()]
        texts = [x for x in texts if x]
        rows.append({"Rule": " and ".join(texts) or "all customers",
                     "Customers": int(inside.sum()),
                     "Rate": float(y[inside].mean()) if inside.any() else float("nan"),
                     "Share": float(inside.mean()),
                     "Probability": float(value[1] / value.sum())})
    df = pd.DataFrame(rows)
    return df.sort_values(["Probability", "Customers"], ascending=[False, False],
                          kind="mergesort").reset_index(drop=True)

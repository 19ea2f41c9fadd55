"""Cross-validation folds that do not depend on the order of the rows.

Scikit-learn's shuffled ``StratifiedKFold`` deals rows to folds by their position, so the same
customers sorted another way land in other folds and every cross-validated figure (AUC, lift,
ROC, fairness rates, text metrics, uplift's model choice) moves. The promise is that row order
never changes an answer, so the folds are dealt over the rows sorted by their content (a hash
of each row and its outcome), and each fold's rows are handed to the models in that content
order too (forests and boosting draw their samples by position). Identical rows are
interchangeable, so ties between them change nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

__all__ = ["content_order", "deal_folds", "folds_in_order", "order_free_folds", "row_hashes"]


def content_order(*columns: Any) -> np.ndarray:
    """Row positions sorted by a hash of each row's content over ``columns`` (frames, arrays
    or lists with one entry per row)."""
    key = np.zeros(len(columns[0]), dtype=np.uint64)
    for c in columns:
        frame = c if isinstance(c, pd.DataFrame) else pd.DataFrame(
            np.asarray(c, dtype=object).reshape(len(c), -1)).astype(str)
        key = key * np.uint64(1000003) ^ row_hashes(frame)
    return np.argsort(key, kind="stable")


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """``pd.util.hash_pandas_object(frame, index=False)`` as a numpy array: each column's
    ``pd.util.hash_array`` combined as pandas combines them (CPython's tuple hash), without
    the frame copy and the series pandas builds around it (a quarter of a small uplift fit's
    row hashing)."""
    n_cols = frame.shape[1]
    out = np.full(len(frame), 0x345678, dtype=np.uint64)
    mult = np.uint64(1000003)
    with np.errstate(over="ignore"):
        for i, (_, column) in enumerate(frame.items()):
            values = column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array
            out ^= pd.util.hash_array(values, categorize=True)
            out *= mult
            mult += np.uint64(82520 + 2 * (n_cols - i))
        out += np.uint64(97531)
    return out


def order_free_folds(strata: np.ndarray, folds: int, seed: int, *content: Any
                     ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (train, test) positions dealt over the rows in content order: the same
    customers give the same folds whatever their order in the range."""
    return folds_in_order(content_order(*content, strata), strata, folds, seed)


def folds_in_order(order: np.ndarray, strata: np.ndarray, folds: int, seed: int
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`order_free_folds` over a content order already found (:func:`content_order` of
    the rows and everything ``strata`` is made of): several fold sets from one hashing."""
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(order[tr], order[te]) for tr, te in skf.split(np.zeros(len(order)), np.asarray(strata)[order])]


def deal_folds(order: np.ndarray, strata: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Each row's fold (0 to folds - 1), stratified and order-free like
    :func:`order_free_folds` at a fraction of ``StratifiedKFold``'s cost (it matters when the
    models are cheap): within each stratum the rows, in content order (``order``, from
    :func:`content_order` of the rows and everything ``strata`` is made of), are shuffled by
    ``seed`` and dealt round the folds in turn, each stratum going on where the last left off,
    so the folds' sizes differ by one at most."""
    s = np.asarray(strata)[order]
    rng = np.random.default_rng(seed)
    fold = np.empty(len(order), dtype=int)
    start = 0
    small = s.dtype.kind == "i" and s.size and s.min() >= 0 and s.max() < 1 << 16
    for v in np.flatnonzero(np.bincount(s)) if small else np.unique(s):  # the same values
        idx = np.flatnonzero(s == v)
        fold[order[idx[rng.permutation(len(idx))]]] = (np.arange(len(idx)) + start) % folds
        start += len(idx)
    return fold

"""Customer segmentation with k-means.

Deterministic by construction:

* rows are put in a canonical (lexicographic) order before fitting, so shuffling the input
  rows gives the same partition;
* k-means uses a fixed seed and several initialisations (``n_init``);
* segments are numbered by size: 1 is the largest segment; ties go to the segment whose
  centre comes first in lexicographic order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from ..errors import XLMError
from . import limits
from .features import CATEGORY, FeatureEncoder

N_INIT = 10
K_AUTO_MAX = 10
SILHOUETTE_SAMPLE = 5000
SEARCH_SAMPLE = 20000
PARALLEL_ROWS = 20000


@dataclass
class Segmentation:
    labels: np.ndarray          # segment number 1..k for every row of the frame
    k: int
    inertia: float
    encoder: FeatureEncoder
    centers: np.ndarray         # in the encoded (scaled) space, row s-1 is segment s


@dataclass
class KChoice:
    table: pd.DataFrame         # k, silhouette, inertia
    best: int


def encode(frame: pd.DataFrame, kinds: dict[str, str], scale: bool) -> tuple[np.ndarray, FeatureEncoder]:
    if all(kinds[c] == CATEGORY for c in frame.columns):
        raise XLMError("#VALUE!", "data has no numeric column (got only text columns: "
                       f"{', '.join(frame.columns)}). Include at least one numeric column such "
                       "as spend or visits.")
    enc = FeatureEncoder(scale=scale)
    return enc.fit_transform(frame, kinds), enc


def _canonical_order(X: np.ndarray) -> tuple[np.ndarray, int]:
    """Row order that does not depend on input order, and the number of distinct rows.

    Rows are sorted by a fixed random projection (a tenth of a full lexicographic sort's cost);
    distinct rows practically never share a projection, and identical rows are interchangeable.
    """
    weights = np.random.default_rng(20240229).normal(size=X.shape[1])
    keys = X @ weights
    order = np.argsort(keys, kind="stable")
    distinct = 1 + int(np.count_nonzero(np.diff(keys[order]))) if len(X) else 0
    return order, distinct


def _fit(Xs: np.ndarray, k: int, seed: int, n_init: int) -> KMeans:
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    if len(Xs) >= PARALLEL_ROWS:
        return km.fit(Xs)
    # Small fits are over before OpenMP threads pay off, and on a busy machine the threads'
    # spin-waits make them several times slower.
    with threadpool_limits(limits=1, user_api="openmp"):
        return km.fit(Xs)


def _number_by_size(raw_labels: np.ndarray, centers: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(raw_labels, minlength=k)
    # Sort by size descending, then centre coordinates ascending (lexsort: last key first).
    keys = [centers[:, j] for j in range(centers.shape[1] - 1, -1, -1)] + [-sizes]
    order = np.lexsort(keys)
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(1, k + 1)
    return rank[raw_labels], centers[order]


def segment(frame: pd.DataFrame, kinds: dict[str, str], k: int, *, scale: bool = True,
            seed: int = 0, n_init: int = N_INIT) -> Segmentation:
    """Fit k-means with ``k`` segments (0 chooses k by silhouette) and number the segments."""
    X, enc = encode(frame, kinds, scale)
    order, distinct = _canonical_order(X)
    if k == 0:
        if distinct < 3:
            raise XLMError("#NUM!", f"choosing k automatically needs at least 3 different "
                           f"customers, got {distinct} distinct rows. Add rows or give k.")
        k = choose_k_from(X, order, distinct, K_AUTO_MAX, seed).best
    if k > len(X):
        raise XLMError("#NUM!", f"k={k} needs at least {k} customers, got {len(X)} rows. "
                       "Lower k or select more rows.")
    if k > distinct:
        what = "all rows are identical" if distinct == 1 else f"only {distinct} rows differ"
        raise XLMError("#NUM!", f"k={k} needs at least {k} different customers, but {what}. "
                       f"Lower k to at most {distinct} or add varied rows.")
    limits.check_segments(len(X), k)
    Xs = X[order]
    km = _fit(Xs, k, seed, n_init)
    labels_sorted, centers = _number_by_size(km.labels_, km.cluster_centers_, k)
    labels = np.empty(len(X), dtype=np.int64)
    labels[order] = labels_sorted
    return Segmentation(labels=labels, k=k, inertia=float(km.inertia_), encoder=enc, centers=centers)


def choose_k_from(X: np.ndarray, order: np.ndarray, distinct: int, k_max: int, seed: int) -> KChoice:
    """Silhouette (sampled on large data) and inertia for k = 2..k_max; best = top silhouette."""
    Xs = X[order]
    rng = np.random.default_rng(seed)
    fit_rows = Xs if len(Xs) <= SEARCH_SAMPLE else Xs[np.sort(rng.choice(len(Xs), SEARCH_SAMPLE, replace=False))]
    k_hi = min(k_max, distinct - 1, len(fit_rows) - 1)
    rows = []
    for k in range(2, k_hi + 1):
        km = _fit(fit_rows, k, seed, n_init=4)
        if len(set(km.labels_.tolist())) < 2:
            continue
        sil = silhouette_score(fit_rows, km.labels_, sample_size=min(SILHOUETTE_SAMPLE, len(fit_rows)),
                               random_state=seed)
        rows.append((k, float(sil), float(km.inertia_) * len(Xs) / len(fit_rows)))
    if not rows:
        raise XLMError("#NUM!", "could not compare any k: the rows are too alike. Add varied rows.")
    table = pd.DataFrame(rows, columns=["k", "silhouette", "inertia"])
    best = int(table.loc[table["silhouette"].idxmax(), "k"])
    return KChoice(table=table, best=best)


def choose_k(frame: pd.DataFrame, kinds: dict[str, str], *, k_max: int = K_AUTO_MAX,
             scale: bool = True, seed: int = 0) -> KChoice:
    X, _ = encode(frame, kinds, scale)
    order, distinct = _canonical_order(X)
    if distinct < 3:
        raise XLMError("#NUM!", f"comparing k needs at least 3 different customers, got {distinct} "
                       "distinct rows. Add varied rows.")
    return choose_k_from(X, order, distinct, k_max, seed)


def profile(frame: pd.DataFrame, kinds: dict[str, str], seg: Segmentation) -> pd.DataFrame:
    """One row per segment: size, share, mean of each number (original units), top category."""
    out = pd.DataFrame({"Segment": np.arange(1, seg.k + 1)})
    sizes = np.bincount(seg.labels, minlength=seg.k + 1)[1:]
    out["Customers"] = sizes
    out["Share"] = sizes / sizes.sum()
    groups = frame.groupby(seg.labels, sort=True)
    for c in frame.columns:
        if kinds[c] == CATEGORY:
            top = groups[c].agg(lambda s: s.mode().sort_values().iloc[0] if s.notna().any() else None)
            out[f"{c} (most common)"] = top.reindex(range(1, seg.k + 1)).to_numpy()
        else:
            out[f"{c} (mean)"] = groups[c].mean().reindex(range(1, seg.k + 1)).to_numpy()
    return out

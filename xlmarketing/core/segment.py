"""Customer segmentation with k-means: scaling, the choice of k, fitting and plain-words profiles.

Deterministic by construction:

* rows are put in a canonical order before fitting, so shuffling the input rows gives the same
  partition;
* k-means uses a fixed seed and several initialisations (``n_init``);
* segments are numbered by size: 1 is the largest segment; ties go to the segment whose
  centre comes first in lexicographic order.

Scaling (``scale="auto"``): numbers are standardised when their spreads differ by more than
:data:`SCALE_RATIO` times (dollars beside visit counts) or when text columns (0/1 indicators)
sit beside them; numbers that share one scale (all in cm, all counts of the same thing) keep
their raw units, where standardising would inflate noise columns. With k given and only number
columns, a second look fits both scalings on a sample and takes the one whose segments are
near the best in both spaces (:data:`SCALE_SWITCH`).

The choice of k (``k=0``): the gap statistic (Tibshirani, Walther and Hastie, 2001). For each k
it compares the data's log within-segment spread with that of uniform reference data drawn in
the data's principal-axis bounding box; :func:`pick_by_gap` gives the rule. Unlike the
silhouette it does not favour 2 when groups of segments sit far apart.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import ThreadpoolController, threadpool_limits

from . import limits
from .errors import DataError, InsufficientData, ParameterError
from .features import CATEGORY, FeatureEncoder

N_INIT = 10
K_AUTO_MAX = 10
SILHOUETTE_SAMPLE = 5000
SEARCH_SAMPLE = 20000
PARALLEL_ROWS = 20000
#: Spreads (standard deviations) of the numeric columns differing more than this many times
#: mean different units or scales: ``scale="auto"`` standardises.
SCALE_RATIO = 10.0
#: Gap statistic: reference data sets, rows used (a sample of larger data), inits per fit.
GAP_REFS = 10
GAP_SAMPLE = 2000
GAP_N_INIT = 2
#: How much higher (log spread ratio: log 2, twice as compact against the reference) a later
#: gap peak must be to move k="auto" to a finer level of a hierarchy.
GAP_JUMP = float(np.log(2.0))
#: From this many rows, the initialisations run on a sample and one full-data fit refines the
#: best of them (the full-data fit dominates the cost of a large segmentation otherwise).
SAMPLED_INIT_ROWS = 40000
SAMPLED_INIT_SHARE = 0.1
#: Profile words: a segment mean this many base standard deviations from the base mean is
#: "high"/"low"; from DESCRIBE_VERY_Z, "very high"/"very low". A text value is named when most of
#: the segment has it and its share is DESCRIBE_Z indicator standard deviations above the base's.
DESCRIBE_Z = 0.5
DESCRIBE_VERY_Z = 1.5
DESCRIBE_MAX_TRAITS = 3


@dataclass
class Scaling:
    """Whether numbers were standardised, and why (shown in SEGMENT_PROFILE)."""

    standardised: bool
    reason: str

    @property
    def text(self) -> str:
        return ("standardised" if self.standardised else "raw units") + f" ({self.reason})"


@dataclass
class Segmentation:
    labels: np.ndarray          # segment number 1..k for every row of the frame
    k: int
    inertia: float
    encoder: FeatureEncoder
    centers: np.ndarray         # in the encoded (scaled) space, row s-1 is segment s
    scaling: Scaling
    k_rule: str = ""            # how k was chosen, when it was chosen automatically


@dataclass
class KChoice:
    table: pd.DataFrame         # k, gap, gap_se, silhouette, inertia
    best: int


# --------------------------------------------------------------------------- scaling


#: scale="auto", second look (k given, all columns numbers): k-means runs on a sample in both
#: scalings, and each one's segments are judged in the other's space (within-segment sum of
#: squares over that space's own best). A scaling whose segments stay within this factor of the
#: best in BOTH spaces wins; when both do, standardised (every column counts); when neither
#: does, the spread rule stands. Chosen on the TUNING pool of benchmarks/segment_data.py
#: (bench_segment_quality.py prints the result on both pools).
SCALE_SWITCH = 1.07
#: Both within this factor in both spaces: about the same segments either way, the spreads decide.
SCALE_SAME = 1.01
#: Rows (picked by a hash of their values, so the input's row order does not matter) and the
#: k-means work (rows x starts; 3 to 20 starts) for the second look: a small table gets more
#: starts, so its decision does not hang on one unlucky start, at the cost of a large one's 5.
SCALE_SAMPLE = 2000
SCALE_WORK = 10000


def decide_scaling(frame: pd.DataFrame, kinds: dict[str, str], scale: bool | str, k: int = 0,
                   seed: int = 0) -> Scaling:
    """Standardise or not: ``scale`` True/False forces it, "auto" looks at the columns.

    "auto" first compares the columns' spreads (and standardises beside text, dates or yes/no
    columns). With ``k`` segments given (k >= 2) and only number columns, a second look fits
    both scalings on a sample and may switch (:data:`SCALE_SWITCH`).
    """
    if scale is True or scale is False:
        return Scaling(bool(scale), "as asked")
    numeric = [c for c in frame.columns if kinds[c] != CATEGORY]
    if len(numeric) < len(frame.columns):
        return Scaling(True, "text columns beside numbers")
    if len({kinds[c] for c in numeric}) > 1:  # days, 0/1 flags and amounts are different units
        return Scaling(True, "dates or yes/no columns beside numbers")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-blank column: refused later
        values = frame[numeric].to_numpy(dtype=np.float64)
        all_stds = np.nanstd(values, axis=0)
    stds = all_stds[np.isfinite(all_stds) & (all_stds > 0)]
    if len(stds) < 2:
        return Scaling(False, "one varying column")
    # The 10th and 90th percentile columns (the extremes up to 10 columns): one near-constant
    # column among many same-unit ones (an edge pixel) does not decide for the whole table.
    lo, hi = np.quantile(stds, [0.1, 0.9], method="nearest")
    ratio = float(hi / lo)
    first = ratio > SCALE_RATIO
    spreads = f"column spreads differ {ratio:.0f}x" if first else f"column spreads within {ratio:.1f}x"
    losses = _cross_losses(values, all_stds, k, seed) if k >= 2 else None
    if losses is None:
        return Scaling(first, spreads)
    raw_loss, std_loss = losses  # each scaling's segments, judged in the other's space
    if max(raw_loss, std_loss) < SCALE_SAME:  # about the same segments: the spreads decide
        return Scaling(first, spreads)
    if not first and std_loss < SCALE_SWITCH:
        return Scaling(True, f"{spreads}, but standardised segments are as tight in raw units, "
                             f"within {max(std_loss - 1, 0):.0%}")
    if first and raw_loss < SCALE_SWITCH <= std_loss:
        return Scaling(False, f"{spreads}, but raw-unit segments are as tight standardised, "
                              f"within {max(raw_loss - 1, 0):.0%}, and tighter in raw units")
    return Scaling(first, spreads)


def _scaling_sample(values: np.ndarray, stds: np.ndarray) -> np.ndarray | None:
    """At most SCALE_SAMPLE rows, median-imputed, in canonical order; None without 2 varying
    columns. Rows are picked and ordered by an exact hash of their values' bits, so the input's
    row order cannot change the sample (a float key would: sums depend on order in their last
    bits); O(n), one pass per column, no sort of the full table.
    """
    values = values[:, np.isfinite(stds) & (stds > 0)] + 0.0  # + 0.0: -0.0 hashes as 0.0
    mix = np.uint64(0x9E3779B97F4A7C15)
    hashed = np.zeros(len(values), dtype=np.uint64)
    with np.errstate(all="ignore"):
        for j in range(values.shape[1]):
            hashed = (hashed ^ values[:, j].view(np.uint64)) * mix
            hashed ^= hashed >> np.uint64(29)
        if len(values) > SCALE_SAMPLE:
            pick = np.argpartition(hashed, SCALE_SAMPLE)[:SCALE_SAMPLE]
            values, hashed = values[pick], hashed[pick]
        values = values[np.argsort(hashed, kind="stable")]
        gaps = np.isnan(values)
        if gaps.any():
            values = np.where(gaps, np.nanmedian(values, axis=0), values)
        values = values[:, np.isfinite(values).all(axis=0) & (values.std(axis=0) > 0)]
    return values if values.shape[1] >= 2 else None


_ONE_THREAD: list = []  # a threadpoolctl controller, made once: making one reads /proc maps


def _one_thread():
    if not _ONE_THREAD:
        _ONE_THREAD.append(ThreadpoolController())
    return _ONE_THREAD[0].limit(limits=1, user_api="openmp")


def _within_ss(X: np.ndarray, labels: np.ndarray, k: int) -> float:
    member = np.eye(k)[labels]
    sizes, sums = member.sum(axis=0), member.T @ X
    filled = sizes > 0
    return float((X ** 2).sum() - ((sums[filled] ** 2).sum(axis=1) / sizes[filled]).sum())


def _cross_losses(values: np.ndarray, stds: np.ndarray, k: int, seed: int
                  ) -> tuple[float, float] | None:
    """(raw-unit segments' within-segment sum of squares standardised, over the standardised
    segments' own; standardised segments' in raw units, over the raw-unit segments' own), from
    k-means on a sample; None when a sample cannot say (too few distinct rows).
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # blank columns, duplicate rows: refused or handled later
        S = _scaling_sample(values, stds)
        if S is None or len(S) <= k or len(np.unique(S, axis=0)) < k:
            return None
        raw = (S - S.mean(axis=0)) / np.abs(S).max()  # one factor for all: proportions kept
        std = (S - S.mean(axis=0)) / S.std(axis=0)
        n_init = int(np.clip(SCALE_WORK // len(S), 3, 20))
        with _one_thread():
            lab_raw, lab_std = (KMeans(n_clusters=k, n_init=n_init, random_state=seed)
                                .fit(X).labels_ for X in (raw, std))
        ss = np.array([[_within_ss(X, lab, k) for lab in (lab_raw, lab_std)] for X in (raw, std)])
    if not np.isfinite(ss).all() or (np.diag(ss) <= 0).any():
        return None
    return float(ss[1, 0] / ss[1, 1]), float(ss[0, 1] / ss[0, 0])


def encode(frame: pd.DataFrame, kinds: dict[str, str], scale: bool | str, k: int = 0,
           seed: int = 0) -> tuple[np.ndarray, FeatureEncoder, Scaling]:
    if all(kinds[c] == CATEGORY for c in frame.columns):
        raise DataError("{param} has no numeric column (got only text columns: "
                        f"{', '.join(frame.columns)}). Include at least one numeric column such "
                        "as spend or visits.", param="data")
    scaling = decide_scaling(frame, kinds, scale, k, seed)
    enc = FeatureEncoder(scale=scaling.standardised)
    return enc.fit_transform(frame, kinds), enc, scaling


# --------------------------------------------------------------------------- fitting


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


def _kmeans(Xs: np.ndarray, k: int, seed: int, n_init: int, init: object = "k-means++",
            max_iter: int = 300) -> KMeans:
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed, init=init, max_iter=max_iter)
    if len(Xs) >= PARALLEL_ROWS:
        return km.fit(Xs)
    # Small fits are over before OpenMP threads pay off, and on a busy machine the threads'
    # spin-waits make them several times slower.
    with threadpool_limits(limits=1, user_api="openmp"):
        return km.fit(Xs)


def _fit(Xs: np.ndarray, k: int, seed: int, n_init: int) -> KMeans:
    """k-means with ``n_init`` starts; on large data the starts compete on a sample.

    The best of the sampled starts' centres then seed a single full-data fit, which converges
    in a few iterations: the same optimum as ``n_init`` full fits in practice (the benchmark
    checks inertia) at a fraction of the cost.
    """
    n = len(Xs)
    if n < SAMPLED_INIT_ROWS or n_init == 1:
        return _kmeans(Xs, k, seed, n_init)
    m = max(int(n * SAMPLED_INIT_SHARE), SAMPLED_INIT_ROWS // 2)
    rows = np.sort(np.random.default_rng(seed).choice(n, m, replace=False))
    starts = _kmeans(Xs[rows], k, seed, n_init)
    return _kmeans(Xs, k, seed, 1, init=starts.cluster_centers_)


def _number_by_size(raw_labels: np.ndarray, centers: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(raw_labels, minlength=k)
    # Sort by size descending, then centre coordinates ascending (lexsort: last key first).
    keys = [centers[:, j] for j in range(centers.shape[1] - 1, -1, -1)] + [-sizes]
    order = np.lexsort(keys)
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(1, k + 1)
    return rank[raw_labels], centers[order]


def segment(frame: pd.DataFrame, kinds: dict[str, str], k: int, *, scale: bool | str = "auto",
            seed: int = 0, n_init: int = N_INIT) -> Segmentation:
    """Fit k-means with ``k`` segments (0 chooses k by the gap statistic) and number them."""
    X, enc, scaling = encode(frame, kinds, scale, k, seed)
    order, distinct = _canonical_order(X)
    rule = ""
    if k == 0:
        if distinct < 3:
            raise InsufficientData(f"choosing {{param}} automatically needs at least 3 different "
                                   f"customers, got {distinct} distinct rows. Add rows or give k.",
                                   param="k")
        k = gap_choice(X[order], min(K_AUTO_MAX, distinct - 1), seed).best
        rule = "gap statistic"
    if k > len(X):
        raise ParameterError(f"{{param}}={k} needs at least {k} customers, got {len(X)} rows. "
                             "Lower k or select more rows.", param="k")
    if k > distinct:
        what = "all rows are identical" if distinct == 1 else f"only {distinct} rows differ"
        raise ParameterError(f"{{param}}={k} needs at least {k} different customers, but {what}. "
                             f"Lower k to at most {distinct} or add varied rows.", param="k")
    limits.check_segments(len(X), k)
    Xs = X[order]
    km = _fit(Xs, k, seed, n_init)
    labels_sorted, centers = _number_by_size(km.labels_, km.cluster_centers_, k)
    labels = np.empty(len(X), dtype=np.int64)
    labels[order] = labels_sorted
    return Segmentation(labels=labels, k=k, inertia=float(km.inertia_), encoder=enc,
                        centers=centers, scaling=scaling, k_rule=rule)


# --------------------------------------------------------------------------- choosing k


def _sample(Xs: np.ndarray, size: int, seed: int) -> np.ndarray:
    if len(Xs) <= size:
        return Xs
    return Xs[np.sort(np.random.default_rng(seed).choice(len(Xs), size, replace=False))]


def _reference_sets(X: np.ndarray, refs: int, seed: int) -> list[np.ndarray]:
    """Uniform data in the bounding box of X's principal axes (Tibshirani et al.'s 'b')."""
    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt.T
    lo, hi = proj.min(axis=0), proj.max(axis=0)
    rng = np.random.default_rng(seed)
    return [rng.uniform(lo, hi, size=proj.shape) for _ in range(refs)]


def _log_w(X: np.ndarray, k: int, seed: int) -> float:
    if k == 1:
        w = float(((X - X.mean(axis=0)) ** 2).sum())
    else:
        w = float(_kmeans(X, k, seed, GAP_N_INIT, max_iter=100).inertia_)
    return float(np.log(max(w, 1e-300)))


def gap_table(Xs: np.ndarray, k_max: int, seed: int) -> pd.DataFrame:
    """Gap(k) and its standard error s(k) for k = 1..k_max, on a sample of the rows.

    k = 1 is there for the rule: a data set whose gap is best at 1 has no clear segments.
    """
    X = _sample(Xs, GAP_SAMPLE, seed)
    refs = _reference_sets(X, GAP_REFS, seed)
    k_top = min(k_max, len(X) - 1)
    rows = []
    for k in range(1, k_top + 1):
        ref = np.array([_log_w(R, k, seed) for R in refs])
        rows.append((k, float(ref.mean() - _log_w(X, k, seed)),
                     float(ref.std() * np.sqrt(1 + 1 / GAP_REFS))))
    return pd.DataFrame(rows, columns=["k", "gap", "gap_se"])


def pick_by_gap(gaps: pd.DataFrame, k_max: int) -> int:
    """The number of segments the gap table supports, at least 2.

    1. Tibshirani's rule: the smallest k with Gap(k) >= Gap(k+1) - s(k+1) (k from 1).
    2. Groups of segments: if a later peak k* (one the gap falls after, so not the table's end)
       beats that k by more than :data:`GAP_JUMP` after subtracting its standard error, the data
       has a finer level of structure, and the smallest later k within one standard error of the
       peak is taken (the "global SE max" idea of Dudoit and Fridlyand, 2002). Two far-apart
       groups of three blobs give 6, where the silhouette and rule 1 alone give 2; a gap that
       only creeps up to the end of the table (skewed data, no real groups) does not count.
    3. k = 1 (no structure the gap can see) gives 2, the fewest segments there can be.
    """
    g = gaps[gaps["k"] <= k_max].set_index("k")
    ks = list(g.index)
    gap, se = g["gap"], g["gap_se"]
    first = next((k for k in ks[:-1] if gap[k] >= gap[k + 1] - se[k + 1]), ks[-1])
    later = [k for k in ks if first < k < ks[-1] and gap[k] >= gap[k + 1]]  # peaks
    if later:
        peak = max(later, key=lambda k: (gap[k], -k))
        if gap[peak] - se[peak] > gap[first] + GAP_JUMP:
            first = min(k for k in ks if k > first and gap[k] >= gap[peak] - se[peak])
    return max(2, int(first))


def gap_choice(Xs: np.ndarray, k_max: int, seed: int) -> KChoice:
    if k_max < 2:
        raise InsufficientData("the rows are too alike to compare numbers of segments. "
                               "Add varied rows.")
    gaps = gap_table(Xs, k_max, seed)
    return KChoice(table=gaps, best=pick_by_gap(gaps, k_max))


def choose_k_from(X: np.ndarray, order: np.ndarray, distinct: int, k_max: int, seed: int) -> KChoice:
    """Gap statistic, silhouette (sampled on large data) and inertia for k = 2..k_max."""
    Xs = X[order]
    fit_rows = _sample(Xs, SEARCH_SAMPLE, seed)
    k_hi = min(k_max, distinct - 1, len(fit_rows) - 1)
    choice = gap_choice(Xs, k_hi, seed)
    gaps = choice.table.set_index("k")
    rows = []
    for k in range(2, k_hi + 1):
        km = _kmeans(fit_rows, k, seed, n_init=4)
        if len(set(km.labels_.tolist())) < 2:
            continue
        sil = silhouette_score(fit_rows, km.labels_, sample_size=min(SILHOUETTE_SAMPLE, len(fit_rows)),
                               random_state=seed)
        rows.append((k, float(gaps.at[k, "gap"]), float(gaps.at[k, "gap_se"]), float(sil),
                     float(km.inertia_) * len(Xs) / len(fit_rows)))
    if not rows:
        raise InsufficientData("could not compare any k: the rows are too alike. Add varied rows.")
    table = pd.DataFrame(rows, columns=["k", "gap", "gap_se", "silhouette", "inertia"])
    return KChoice(table=table, best=choice.best)


def choose_k(frame: pd.DataFrame, kinds: dict[str, str], *, k_max: int = K_AUTO_MAX,
             scale: bool | str = "auto", seed: int = 0) -> KChoice:
    X, _, _ = encode(frame, kinds, scale)
    order, distinct = _canonical_order(X)
    if distinct < 3:
        raise InsufficientData(f"comparing k needs at least 3 different customers, got {distinct} "
                               "distinct rows. Add varied rows.")
    return choose_k_from(X, order, distinct, k_max, seed)


# --------------------------------------------------------------------------- profiles


def _number_trait(name: str, z: float) -> str:
    level = "very " if abs(z) >= DESCRIBE_VERY_Z else ""
    return f"{level}{'high' if z > 0 else 'low'} {name.lower()}"


def describe(frame: pd.DataFrame, kinds: dict[str, str], labels: np.ndarray, k: int) -> list[str]:
    """A few words per segment: how its means (in base standard deviations) and its most common
    text values differ from the whole base, strongest first ("high spend, mostly web")."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # A column blank throughout a segment has no mean there: no trait, and no warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        return _describe(frame, kinds, labels, k)


def _describe(frame: pd.DataFrame, kinds: dict[str, str], labels: np.ndarray, k: int) -> list[str]:
    out = []
    numeric = [c for c in frame.columns if kinds[c] != CATEGORY]
    num = frame[numeric].to_numpy(dtype=np.float64)
    base_mean, base_sd = np.nanmean(num, axis=0), np.nanstd(num, axis=0)
    for s in range(1, k + 1):
        inside = labels == s
        traits: list[tuple[float, str]] = []
        z = (np.nanmean(num[inside], axis=0) - base_mean) / base_sd
        for c, zc in zip(numeric, z):
            if np.isfinite(zc) and abs(zc) >= DESCRIBE_Z:
                traits.append((abs(zc), _number_trait(c, zc)))
        for c in frame.columns:
            if kinds[c] != CATEGORY:
                continue
            col = frame[c]
            seg_share = col[inside].value_counts(normalize=True, dropna=True)
            if seg_share.empty:
                continue
            top = sorted(seg_share.index[seg_share == seg_share.max()].astype(str))[0]
            share = float(seg_share[top])
            base_share = float((col == top).sum() / max(col.notna().sum(), 1))
            # The share's lift in the 0/1 indicator's own standard deviations, like the numbers.
            z_share = (share - base_share) / max(np.sqrt(base_share * (1 - base_share)), 1e-9)
            if share >= 0.5 and z_share >= DESCRIBE_Z:
                traits.append((z_share, f"mostly {top.lower()}"))
        traits.sort(key=lambda t: -t[0])
        out.append(", ".join(t for _, t in traits[:DESCRIBE_MAX_TRAITS]) or "close to the average")
    return out


def profile(frame: pd.DataFrame, kinds: dict[str, str], seg: Segmentation) -> pd.DataFrame:
    """One row per segment: size, share, mean of each number (original units), top category,
    a description in words and how the numbers were scaled (the last two columns come last so
    sheets reading the earlier columns by position keep working)."""
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
    out["Description"] = describe(frame, kinds, seg.labels, seg.k)
    out["Scaling"] = seg.scaling.text
    return out

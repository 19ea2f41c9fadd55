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

The choice of k (``k=0``): prediction strength (Tibshirani and Walther, 2005) keeps the numbers
of segments that reproduce across random halves of the rows, and of those the Calinski-Harabasz
index takes the best separated (:func:`pick_k`). Unlike the silhouette it does not favour 2 when
groups of segments sit far apart; data without segments gets the fewest, 2.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import calinski_harabasz_score, silhouette_score

from . import limits
from .errors import DataError, Fix, InsufficientData, ParameterError
from .features import CATEGORY, FeatureEncoder
from .threads import one_thread

N_INIT = 10
K_AUTO_MAX = 10
PARALLEL_ROWS = 20000
#: Spreads (standard deviations) of the numeric columns differing more than this many times
#: mean different units or scales: ``scale="auto"`` standardises.
SCALE_RATIO = 10.0
#: Choosing k: rows the criteria are measured on (a sample of larger data).
K_SAMPLE = 2000
#: Prediction strength: random halvings of the sample (each scored both ways), starts per fit.
STRENGTH_SPLITS = 5
STRENGTH_N_INIT = 2
#: k segments are reproducible when their prediction strength reaches this (Tibshirani and
#: Walther, 2005, suggest 0.8 to 0.9; chosen on the tuning pool of bench_segment_quality).
STRENGTH_MIN = 0.8
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
    table: pd.DataFrame         # k, strength, calinski_harabasz, silhouette, inertia
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
#: Many columns on one shared scale (counts, intensities, Likert answers) keep raw units: at
#: least this many varying number columns, whose median range (max - min) covers at least this
#: share of the whole table's range. Mixed units (dollars beside visits, kg beside cm) have a
#: few wide columns and a median range far below the whole. Chosen on the TUNING pool and the
#: generated high-dimensional sets of benchmarks/segment_data.py.
SHARED_MIN_COLUMNS = 8
#: The second look needs at least this many rows per column.
SCALE_LOOK_ROWS = 10
SHARED_RANGE_SHARE = 0.5
#: Columns whose spread is below this share of the median column's are named nearly constant.
SHARED_QUIET = 0.1


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
    shared = _shared_scale(values, all_stds)
    if shared:
        return Scaling(False, shared)
    ratio = _spread_ratio(stds)
    first = ratio > SCALE_RATIO
    spreads = f"column spreads differ {ratio:.0f}x" if first else f"column spreads within {ratio:.1f}x"
    # Fewer than SCALE_LOOK_ROWS rows per column (gene expression: 60 rows of 6,830 genes):
    # sums of squares within segments are mostly noise there, so the second look cannot judge.
    wide = len(values) < SCALE_LOOK_ROWS * values.shape[1]
    losses = _cross_losses(values, all_stds, k, seed) if k >= 2 and not wide else None
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


def _spread_ratio(stds: np.ndarray) -> float:
    """The spread of the widest column over the narrowest's, for the spread rule; ``stds``: the
    varying columns' standard deviations.

    The 10th and 90th percentile columns (nearest rank: up to 5 columns the extremes; from 6 the
    widest is left out, from 7 the narrowest too): one near-constant column among many same-unit
    ones (an edge pixel) does not decide for the whole table.
    """
    lo, hi = np.quantile(stds, [0.1, 0.9], method="nearest")
    return float(hi / lo)


def _shared_scale(values: np.ndarray, stds: np.ndarray) -> str:
    """The reason to keep raw units when many columns share one scale, else "".

    Pixel counts, intensities, Likert answers, test items: most columns run over most of the
    table's common range. Their spreads can still differ a lot (an edge pixel that is nearly
    always 0); standardising would blow such near-constant columns' noise up to the size of the
    informative ones, so raw units are kept whatever the spreads or k.
    """
    varying = np.isfinite(stds) & (stds > 0)
    if varying.sum() < SHARED_MIN_COLUMNS:
        return ""
    v = values[:, varying]
    lo, hi = np.nanmin(v, axis=0), np.nanmax(v, axis=0)
    whole = float(hi.max() - lo.min())
    share = float(np.median(hi - lo)) / whole if whole > 0 else 0.0
    if share < SHARED_RANGE_SHARE:
        return ""
    near = int((stds[varying] < SHARED_QUIET * np.median(stds[varying])).sum())
    quiet = f", {near} nearly constant" if near else ""
    return (f"{int(varying.sum())} columns on one shared scale, {lo.min():g} to {hi.max():g}"
            f"{quiet}")


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
        with one_thread("openmp"):
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
    with one_thread("openmp"):
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
    """Fit k-means with ``k`` segments (0 chooses k, :func:`pick_k`) and number them."""
    X, enc, scaling = encode(frame, kinds, scale, k, seed)
    order, distinct = _canonical_order(X)
    rule = ""
    if k == 0:
        if distinct < 3:
            raise InsufficientData(f"choosing {{param}} automatically needs at least 3 different "
                                   f"customers, got {distinct} distinct rows. Add rows or give k.",
                                   param="k")
        k = choose_k_from(X, order, distinct, K_AUTO_MAX, seed, display=False).best
        rule = "prediction strength, then Calinski-Harabasz"
    if k > len(X):
        raise ParameterError(f"{{param}}={k} needs at least {k} customers, got {len(X)} rows.",
                             param="k", fix=Fix.LOWER_OR_MORE_ROWS)
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


def _co_membership(train: KMeans, test: np.ndarray, test_labels: np.ndarray, k: int) -> float:
    """Tibshirani and Walther's ps(k) for one pair of halves: for each segment of the test
    half's own fit, the share of its pairs of rows that the training half's centres also put
    together; the worst segment counts (a segment that does not reproduce is not a segment)."""
    assigned = train.predict(test)
    worst = 1.0
    for j in range(k):
        members = assigned[test_labels == j]
        n = len(members)
        if n < 2:
            continue
        counts = np.bincount(members, minlength=k).astype(np.float64)
        worst = min(worst, float((counts * (counts - 1)).sum() / (n * (n - 1))))
    return worst


def strength(S: np.ndarray, k_top: int, seed: int) -> np.ndarray:
    """Mean prediction strength for k = 2..k_top (index k), over :data:`STRENGTH_SPLITS`
    random halvings of ``S``, each scored both ways (half A predicts B's segments, and B, A's)."""
    rng = np.random.default_rng(seed)
    scores = np.zeros(k_top + 1)
    n = len(S)
    for split in range(STRENGTH_SPLITS):
        perm = rng.permutation(n)
        a, b = S[np.sort(perm[: n // 2])], S[np.sort(perm[n // 2:])]
        for k in range(2, k_top + 1):
            fa = _kmeans(a, k, seed + split, STRENGTH_N_INIT, max_iter=100)
            fb = _kmeans(b, k, seed + split, STRENGTH_N_INIT, max_iter=100)
            scores[k] += (_co_membership(fa, b, fb.labels_, k) + _co_membership(fb, a, fa.labels_, k))
    return scores / (2 * STRENGTH_SPLITS)


def pick_k(table: pd.DataFrame) -> int:
    """The number of segments k="auto" takes from a :func:`k_table`.

    1. Reproducible k: those whose prediction strength reaches :data:`STRENGTH_MIN`. Segments
       fitted on one half of the rows must mostly group the other half's rows the way that
       half's own segments do (Tibshirani and Walther, 2005).
    2. Of those, the k with the highest Calinski-Harabasz index (spread between segment centres
       against spread inside them, each per degree of freedom); ties go to the smaller k.
    3. No reproducible k (uniform data, one Gaussian cloud, no segments to find) gives 2, the
       fewest segments there can be.
    """
    ok = table[table["strength"] >= STRENGTH_MIN]
    if ok.empty:
        return 2
    ranked = ok.sort_values(["calinski_harabasz", "k"], ascending=[False, True], kind="stable")
    return int(ranked["k"].iloc[0])


def k_table(Xs: np.ndarray, k_max: int, seed: int, *, display: bool = True) -> pd.DataFrame:
    """Prediction strength, Calinski-Harabasz index, silhouette and inertia for k = 2..k_max.

    Everything but the inertia is measured on a sample of at most :data:`K_SAMPLE` rows (the
    rows in canonical order, so the sample does not depend on the input order); the inertia is
    that of all rows around the sample's segment centres. ``display=False`` (k="auto", which
    needs only the first two) leaves the silhouette blank and gives the sample's inertia.
    """
    S = _sample(Xs, K_SAMPLE, seed)
    k_top = min(k_max, len(S) - 1)
    with warnings.catch_warnings():
        # Halves with fewer distinct rows than k: k-means says so, the strength counts it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        ps = np.full(k_top + 1, np.nan)  # no strength where a half has fewer rows than k
        k_half = min(k_top, len(S) // 2)
        if k_half >= 2:
            ps[:k_half + 1] = strength(S, k_half, seed)
        rows = []
        for k in range(2, k_top + 1):
            km = _kmeans(S, k, seed, n_init=4)
            if len(set(km.labels_.tolist())) < 2:
                continue
            full = display and len(S) < len(Xs)
            inertia = -float(km.score(Xs)) if full else float(km.inertia_)
            rows.append((k, float(ps[k]), float(calinski_harabasz_score(S, km.labels_)),
                         float(silhouette_score(S, km.labels_)) if display else np.nan, inertia))
    if not rows:
        raise InsufficientData("could not compare any k: the rows are too alike. Add varied rows.")
    return pd.DataFrame(rows, columns=["k", "strength", "calinski_harabasz", "silhouette", "inertia"])


def choose_k_from(X: np.ndarray, order: np.ndarray, distinct: int, k_max: int, seed: int, *,
                  display: bool = True) -> KChoice:
    """The k table for k = 2..k_max (capped by the distinct rows) and the k :func:`pick_k` takes."""
    table = k_table(X[order], min(k_max, distinct - 1), seed, display=display)
    return KChoice(table=table, best=pick_k(table))


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

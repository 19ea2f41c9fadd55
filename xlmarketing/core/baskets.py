"""Association rules from market baskets: Apriori with sparse support counting.

The figures are those of mlxtend's ``apriori`` + ``association_rules`` (Agrawal & Srikant
1994): an itemset is frequent when ``support = baskets holding it / baskets >= min_support``;
every frequent itemset of two or more items gives the rules ``A -> C`` for each split into a
non-empty antecedent and consequent, kept when ``confidence = support(A u C) / support(A) >=
min_confidence``; ``lift = confidence / support(C)``.

Counting is sparse: level k keeps a baskets x itemsets 0/1 CSC matrix ``M`` (one column per
frequent (k-1)-itemset), and ``M' X`` counts every one-item extension at once, so no dense
basket x itemset table is ever built. Candidates are pruned by the Apriori property (every
subset frequent) and the number of itemsets is bounded (:data:`MAX_ITEMSETS`) before counting.

Memory is bounded before the work: the count of the products ``M' X`` forms is known in advance
(for itemset ``s``, the items of the baskets that hold it: ``M' r`` with ``r`` the basket sizes),
so a level is counted in slices of itemsets whose products fit :data:`SLICE_ENTRIES`, and a level
whose products exceed :data:`MAX_ENTRIES` in all (hours of counting) is refused up front.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import scipy.sparse as sp

from .errors import InsufficientData, LimitExceeded, ParameterError

#: Frequent itemsets kept at one level before the work is refused (min_support too low).
MAX_ITEMSETS = 200_000
#: Products (itemset, basket item) counted at once: about 40 bytes each while counting, so
#: a slice peaks near 200 MB whatever the data.
SLICE_ENTRIES = 5_000_000
#: Memory for the baskets x itemsets matrix of one level (its entries, and one copy while it
#: is built), checked before it is built.
MAX_BYTES = 2 * 2**30
_BYTES_PER_ENTRY = 24
#: Products at one level beyond which counting is refused before it starts (about a minute's
#: work on a laptop core); far below what the memory of a slice-wise count would allow.
MAX_ENTRIES = 400_000_000


@dataclass(frozen=True)
class RuleOptions:
    min_support: float = 0.01
    min_confidence: float = 0.2
    max_len: int = 3


@dataclass
class Rules:
    """One row per rule, strongest first: item-index tuples and their figures."""

    antecedents: list[tuple[int, ...]]
    consequents: list[tuple[int, ...]]
    support: np.ndarray
    confidence: np.ndarray
    lift: np.ndarray
    count: np.ndarray  # baskets holding antecedent and consequent
    n_baskets: int
    n_itemsets: int


def _check(options: RuleOptions) -> None:
    for name in ("min_support", "min_confidence"):
        v = getattr(options, name)
        if not 0 < v <= 1:
            raise ParameterError(f"{{param}}={v:g} is outside (0, 1]. Enter a share such as 0.02 "
                                 "(2% of baskets).", param=name)
    if options.max_len < 2:
        raise ParameterError(f"{{param}}={options.max_len} allows no rule; a rule needs at least "
                             "2 items. Enter 2 or more.", param="max_len")


def frequent_itemsets(x: sp.csc_matrix, min_support: float, max_len: int) -> dict[tuple[int, ...], int]:
    """Every itemset (sorted item indices) with support >= min_support, and its basket count."""
    n = x.shape[0]
    counts = np.asarray(x.sum(axis=0)).ravel().astype(np.int64)
    f1 = np.flatnonzero(counts / n >= min_support)
    found: dict[tuple[int, ...], int] = {(int(i),): int(counts[i]) for i in f1}
    if f1.size == 0:
        return found
    x1 = x[:, f1].tocsc()  # columns: the frequent single items, in index order
    level = [(int(i),) for i in f1]
    m = x1  # basket x itemset indicator for the current level
    pos = {int(i): j for j, i in enumerate(f1)}
    sizes = np.asarray(x1.sum(axis=1)).ravel()  # frequent items per basket
    for _k in range(2, max_len + 1):
        last = np.array([pos[s[-1]] for s in level])
        rows, cols, vals = _extensions(m, x1, sizes, last, min_support, _k)
        new: list[tuple[int, ...]] = []
        keep_r, keep_c, keep_v = [], [], []
        for r, j, v in zip(rows.tolist(), cols.tolist(), vals.tolist()):
            s = level[r] + (int(f1[j]),)
            # Apriori property: every (k-1)-subset must be frequent too (mlxtend prunes alike).
            if len(s) > 2 and any(sub not in found for sub in combinations(s, len(s) - 1)):
                continue
            new.append(s)
            keep_r.append(r)
            keep_c.append(j)
            keep_v.append(v)
        if len(new) > MAX_ITEMSETS:
            raise LimitExceeded(f"{{param}}={min_support:g} finds more than {MAX_ITEMSETS:,} "
                                f"itemsets of {_k} items. Raise min_support or lower max_len.",
                                param="min_support")
        if not new:
            break
        held = sum(keep_v) * _BYTES_PER_ENTRY  # the baskets of each new itemset, known exactly
        if held > MAX_BYTES:
            raise LimitExceeded(f"{{param}}={min_support:g} finds {len(new):,} itemsets of {_k} "
                                f"items held by baskets {sum(keep_v):,} times: about "
                                f"{held / 2**30:.1f} GB to count the next size (at most "
                                f"{MAX_BYTES / 2**30:.0f} GB). Raise min_support or lower "
                                "max_len.", param="min_support")
        found.update(zip(new, map(int, keep_v)))
        m = _intersect(m, x1, np.array(keep_r, dtype=np.int64), np.array(keep_c, dtype=np.int64))
        level = new
    return found


def _extensions(m: sp.csc_matrix, x1: sp.csc_matrix, sizes: np.ndarray, last: np.ndarray,
                min_support: float, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(itemset, item, count) of every frequent one-item extension of the itemsets ``m`` holds.

    ``M' X`` is computed in slices of itemsets, each bounded by its known number of products.
    """
    n = m.shape[0]
    work = np.asarray(m.T @ sizes).ravel()  # products of each itemset's column with X
    total = float(work.sum())
    if total > MAX_ENTRIES:
        raise LimitExceeded(f"{{param}}={min_support:g} would count about {total:,.0f} candidate "
                            f"itemsets of {k} items (more than {MAX_ENTRIES:,}). Raise "
                            "min_support or lower max_len.", param="min_support")
    bounds = np.searchsorted(np.cumsum(work), np.arange(SLICE_ENTRIES, total, SLICE_ENTRIES))
    parts = []
    for cols in np.split(np.arange(m.shape[1]), np.unique(bounds + 1)):
        if cols.size == 0:
            continue
        c = (m[:, cols].T @ x1).tocoo()  # counts of itemset s extended by item j
        r = cols[c.row]
        ok = (c.col > last[r]) & (c.data / n >= min_support)
        parts.append((r[ok], c.col[ok], c.data[ok]))
    rows, items, counts = (np.concatenate(p) for p in zip(*parts))
    return rows, items, counts


def _intersect(m: sp.csc_matrix, x1: sp.csc_matrix, r: np.ndarray, c: np.ndarray) -> sp.csc_matrix:
    """Columns ``m[:, r] * x1[:, c]`` (the baskets holding each new itemset), in bounded slices:
    the two column selections copy their columns, so all at once they can be gigabytes."""
    work = np.diff(m.indptr)[r] + np.diff(x1.indptr)[c]
    cuts = np.searchsorted(np.cumsum(work), np.arange(SLICE_ENTRIES, work.sum(), SLICE_ENTRIES))
    parts = [m[:, r[i]].multiply(x1[:, c[i]]).tocsc()
             for i in np.split(np.arange(r.size), np.unique(cuts + 1)) if i.size]
    return parts[0] if len(parts) == 1 else sp.hstack(parts, format="csc")


def rules(x: sp.csc_matrix, options: RuleOptions = RuleOptions()) -> Rules:
    """The association rules of the baskets x items 0/1 matrix ``x``, strongest first.

    Strongest: highest lift, then confidence, then support; ties by item order.
    """
    _check(options)
    n = x.shape[0]
    if n == 0 or x.nnz == 0:
        raise InsufficientData("{param} holds no baskets with items. Give a (basket, item) list "
                               "or a basket x item 0/1 table.", param="transactions")
    found = frequent_itemsets(x, options.min_support, options.max_len)
    ant, con, sup, conf, lift, cnt = [], [], [], [], [], []
    for s, c in found.items():
        if len(s) < 2:
            continue
        for size in range(1, len(s)):
            for a in combinations(s, size):
                rest = tuple(i for i in s if i not in a)
                confidence = c / found[a]
                if confidence >= options.min_confidence:
                    ant.append(a)
                    con.append(rest)
                    sup.append(c / n)
                    conf.append(confidence)
                    lift.append(confidence / (found[rest] / n))
                    cnt.append(c)
    sup_a, conf_a, lift_a = np.array(sup), np.array(conf), np.array(lift)
    order = sorted(range(len(ant)), key=lambda i: (-round(lift_a[i], 12), -round(conf_a[i], 12),
                                                   -sup_a[i], ant[i], con[i]))
    return Rules([ant[i] for i in order], [con[i] for i in order], sup_a[order] if order else sup_a,
                 conf_a[order] if order else conf_a, lift_a[order] if order else lift_a,
                 np.array(cnt, dtype=np.int64)[order] if order else np.array(cnt, dtype=np.int64),
                 n, len(found))

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
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import scipy.sparse as sp

from .errors import InsufficientData, LimitExceeded, ParameterError

#: Frequent itemsets kept at one level before the work is refused (min_support too low).
MAX_ITEMSETS = 200_000


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
    for _k in range(2, max_len + 1):
        c = (m.T @ x1).tocoo()  # counts of itemset s extended by item j
        last = np.array([pos[s[-1]] for s in level])
        ok = (c.col > last[c.row]) & (c.data / n >= min_support)
        rows, cols, vals = c.row[ok], c.col[ok], c.data[ok]
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
        found.update(zip(new, map(int, keep_v)))
        m = m[:, keep_r].multiply(x1[:, keep_c]).tocsc()
        level = new
    return found


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

"""Exact TreeSHAP for scikit-learn's tree models, in numpy (no ``shap``, numba or C extension).

Why here: ``shap`` needs numba and llvmlite, which Pyodide (xlwings Lite) cannot install, and
the only thing the project used it for is the exact tree algorithm of Lundberg et al.
("Consistent individualized feature attribution for tree ensembles", 2018; Nature Machine
Intelligence 2020): the *path-dependent* SHAP values, which need no background data because the
expected value of a tree given a subset of features follows the training samples' split
proportions (``tree_.weighted_n_node_samples``; a HistGradientBoosting node's ``count``).

The algorithm, per leaf rather than per recursion (same values, better for numpy):

* A tree's conditional expectation given the features in S is a sum over leaves:
  ``v_l * prod_{j on the path} (o_j if j in S else z_j)``, where for each distinct feature j on
  the root-to-leaf path, ``z_j`` is the product of the cover ratios (child / parent sample
  weight) of its splits on the path, and ``o_j`` is 1 when the row satisfies all of them (its
  value lies in the path's interval for that feature), else 0. Features off the path are dummy
  players of that leaf's term, so its Shapley values are those of a game on the path's d
  distinct features.
* The Shapley weight ``|S|! (d-|S|-1)! / d!`` is the Beta integral
  ``int_0^1 s^|S| (1-s)^(d-|S|-1) ds``, so the leaf adds to feature i
  ``v_l (o_i - z_i) int_0^1 prod_{j != i} (s o_j + (1 - s) z_j) ds``. This is the quantity
  Algorithm 2 computes with EXTEND (building the polynomial ``prod (z_j + o_j t)`` with the
  Shapley weights) and UNWIND (dividing one feature's factor out); here the integrand is a
  polynomial of degree d-1, integrated exactly by Gauss-Legendre quadrature on ceil(d/2) nodes
  (the idea of Linear TreeSHAP, Yu et al. 2022), with "all factors but one" taken as prefix and
  suffix products: no division, so no special case for ``o = 0`` or tiny covers.
* Leaves are grouped by d across all trees of the ensemble and every group is one vectorised
  computation over (rows, leaves, features), in chunks that bound memory.

Scale, as ``shap.TreeExplainer`` gives it for each model: probability of the positive class for
``DecisionTreeClassifier`` and the forests (leaf class fractions, averaged over trees), log-odds
margin for ``HistGradientBoostingClassifier`` and ``GradientBoostingClassifier`` (binary). Rows
sum to ``prediction - expected_value``. Routing follows scikit-learn's own predict: sklearn trees
compare float32 values (``x <= threshold`` goes left), histogram boosting compares float64, and a
missing value follows the node's ``missing_go_to_left``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse as _sparse

#: Elements of one (rows, leaves, features) working array (8 bytes each): about 16 MB.
CHUNK = 1 << 21


@dataclass(frozen=True)
class _Group:
    """Every root-to-leaf path with the same number d of distinct features."""

    feature: np.ndarray   # (L, d) int: the distinct features on each path
    lo: np.ndarray        # (L, d): the path's interval for that feature is lo < x <= hi
    hi: np.ndarray
    nan_in: np.ndarray    # (L, d) bool: a missing value stays on the path
    zero: np.ndarray      # (L, d): product of the cover ratios of the feature's splits
    value: np.ndarray     # (L,): the leaf's value on the output scale


@dataclass(frozen=True)
class TreeExplainer:
    """A parsed tree ensemble: its paths, expected value and how it reads rows."""

    groups: tuple[_Group, ...]
    expected_value: float
    n_features: int
    float32: bool         # scikit-learn's trees compare float32 values

    def shap_values(self, X: Any) -> np.ndarray:
        """SHAP values (n_rows, n_features) on the model's output scale."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got shape {X.shape}")
        if self.float32:
            X = X.astype(np.float32).astype(np.float64)
        out = np.zeros(X.shape)
        for g in self.groups:
            _add_group(g, X, out)
        return out


def explainer(model: Any) -> TreeExplainer:
    """Parse a fitted binary classifier: tree, forest, extra trees or gradient boosting."""
    name = type(model).__name__
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) != 2:
        raise ValueError(f"{name}: only binary classifiers are supported")
    if name == "DecisionTreeClassifier":
        paths, base, f32 = _sklearn_tree(model.tree_, 1.0), 0.0, True
    elif name in ("RandomForestClassifier", "ExtraTreesClassifier"):
        scale = 1.0 / len(model.estimators_)
        paths = [p for e in model.estimators_ for p in _sklearn_tree(e.tree_, scale)]
        base, f32 = 0.0, True
    elif name == "GradientBoostingClassifier":
        if model.init_ == "zero":
            base = 0.0
        else:   # the prior's log-odds, as the fitted model starts from
            base = float(np.ravel(model._raw_predict_init(np.zeros((1, model.n_features_in_))))[0])
        paths = [p for e in model.estimators_[:, 0]
                 for p in _sklearn_tree(e.tree_, model.learning_rate, proba=False)]
        f32 = True
    elif name == "HistGradientBoostingClassifier":
        paths = [p for predictors in model._predictors for p in _hist_tree(predictors[0].nodes)]
        base, f32 = float(np.ravel(model._baseline_prediction)[0]), False
    else:
        raise TypeError(f"TreeSHAP: unsupported model {name}")
    expected = base + sum(v * float(np.prod(z)) for _, _, _, _, z, v in paths)
    return TreeExplainer(_groups(paths), expected, int(model.n_features_in_), f32)


def shap_values(model: Any, X: Any) -> np.ndarray:
    """One-off convenience: :func:`explainer` then :meth:`TreeExplainer.shap_values`."""
    return explainer(model).shap_values(X)


# --------------------------------------------------------------------------- parsing


def _sklearn_tree(t: Any, scale: float, proba: bool = True) -> list[tuple]:
    if proba:   # the positive class's fraction of the (weighted) samples, as predict_proba
        v = t.value[:, 0, :]
        value = v[:, 1] / v.sum(axis=1) * scale
    else:       # regression trees of boosting: the raw value, shrunk by the learning rate
        value = t.value[:, 0, 0] * scale
    nan_left = getattr(t, "missing_go_to_left", None)
    if nan_left is None:
        nan_left = np.ones(t.node_count, dtype=bool)
    return _paths(t.children_left, t.children_right, t.feature, t.threshold, nan_left,
                  t.weighted_n_node_samples, value)


def _hist_tree(nodes: np.ndarray) -> list[tuple]:
    if nodes["is_categorical"].any():
        raise TypeError("TreeSHAP: categorical splits are not supported")
    leaf = nodes["is_leaf"].astype(bool)
    left = np.where(leaf, -1, nodes["left"].astype(np.int64))
    right = np.where(leaf, -1, nodes["right"].astype(np.int64))
    return _paths(left, right, nodes["feature_idx"], nodes["num_threshold"],
                  nodes["missing_go_to_left"].astype(bool), nodes["count"].astype(np.float64),
                  nodes["value"].astype(np.float64))


def _paths(left, right, feature, threshold, nan_left, weight, value) -> list[tuple]:
    """Every leaf as (features, lo, hi, nan_in, zero, value), features in path order."""
    left, right = np.asarray(left).tolist(), np.asarray(right).tolist()
    feature, threshold = np.asarray(feature).tolist(), np.asarray(threshold, float).tolist()
    nan_left, weight = np.asarray(nan_left).tolist(), np.asarray(weight, float).tolist()
    value = np.asarray(value, float).tolist()
    out = []
    # Each stack entry: node, then per distinct feature on the way: [lo, hi, nan_in, zero].
    stack: list[tuple[int, dict[int, list]]] = [(0, {})]
    while stack:
        node, cond = stack.pop()
        if left[node] < 0:
            fs = list(cond)
            out.append((fs, [cond[f][0] for f in fs], [cond[f][1] for f in fs],
                        [cond[f][2] for f in fs], [cond[f][3] for f in fs], value[node]))
            continue
        f, thr, w = feature[node], threshold[node], weight[node]
        for child, go_left in ((right[node], False), (left[node], True)):
            lo, hi, nan_in, zero = cond.get(f, (-np.inf, np.inf, True, 1.0))
            c = dict(cond)
            c[f] = (lo, min(hi, thr), nan_in and nan_left[node], zero * weight[child] / w) \
                if go_left else (max(lo, thr), hi, nan_in and not nan_left[node],
                                 zero * weight[child] / w)
            stack.append((child, c))
    return out


def _groups(paths: list[tuple]) -> tuple[_Group, ...]:
    by_d: dict[int, list[tuple]] = {}
    for p in paths:
        if p[0]:           # a one-leaf tree only shifts the expected value
            by_d.setdefault(len(p[0]), []).append(p)
    groups = []
    for d in sorted(by_d):
        ps = by_d[d]
        groups.append(_Group(
            feature=np.array([p[0] for p in ps], dtype=np.intp),
            lo=np.array([p[1] for p in ps], dtype=np.float64),
            hi=np.array([p[2] for p in ps], dtype=np.float64),
            nan_in=np.array([p[3] for p in ps], dtype=bool),
            zero=np.array([p[4] for p in ps], dtype=np.float64),
            value=np.array([p[5] for p in ps], dtype=np.float64)))
    return tuple(groups)


# --------------------------------------------------------------------------- computing


def _add_group(g: _Group, X: np.ndarray, out: np.ndarray) -> None:
    """Add one group's contributions to ``out`` (n_rows, n_features).

    A leaf's contributions depend on the row only through which of its d path conditions the
    row meets (a d-bit pattern). With many rows (at least 2 x 2^d) each leaf's 2^d possible
    answers are computed once and every row looks its pattern up; otherwise each (row, leaf) is
    computed directly. Either way the same function computes them.
    """
    L, d = g.feature.shape
    n, p = X.shape
    if n < 2 << d:
        _direct(g, X, out)
        return
    width = 1 << d
    bits = np.left_shift(1, np.arange(d)).astype(np.uint8 if d <= 8 else np.uint16 if d <= 16
                                                  else np.int64)
    patterns = (np.arange(width)[:, None] & bits).astype(bool)[:, None, :]    # (2^d, 1, d)
    # The answers as a dense (leaf x pattern, feature) matrix when that is not much wider than
    # the path (then one sparse-times-dense product gathers and sums them per row), else looked
    # up per (row, leaf) and scattered.
    dense = p <= 4 * d
    leaves = min(L, max(1, CHUNK // (width * (p if dense else d))))
    for a in range(0, L, leaves):
        sl = slice(a, a + leaves)
        feat = g.feature[sl]
        Lc = len(feat)
        answers = _leaf_values(patterns, g.zero[sl], g.value[sl]).transpose(1, 0, 2)
        start = np.arange(Lc) * width
        if dense:
            table = np.zeros((Lc, width, p))
            np.put_along_axis(table, np.broadcast_to(feat[:, None, :], answers.shape), answers,
                              axis=-1)
            table = table.reshape(Lc * width, p)
        else:
            table = answers.reshape(Lc * width, d)
        rows = max(1, CHUNK // (Lc * (1 if dense else d)))
        for r in range(0, n, rows):
            code = start + _meets(g, sl, X[r:r + rows]) @ bits     # (R, Lc): the patterns
            R = code.shape[0]
            if dense:
                hits = _sparse.csr_matrix((np.ones(R * Lc), code.ravel(), np.arange(R + 1) * Lc),
                                          shape=(R, Lc * width))
                out[r:r + R] += hits @ table
            else:
                _scatter(table[code], feat, out[r:r + R])


def _direct(g: _Group, X: np.ndarray, out: np.ndarray) -> None:
    L, d = g.feature.shape
    leaves = min(L, max(1, CHUNK // d))
    rows = max(1, CHUNK // (leaves * d))
    for a in range(0, L, leaves):
        sl = slice(a, a + leaves)
        for r in range(0, len(X), rows):
            contrib = _leaf_values(_meets(g, sl, X[r:r + rows]), g.zero[sl], g.value[sl])
            _scatter(contrib, g.feature[sl], out[r:r + rows])


def _meets(g: _Group, sl: slice, X: np.ndarray) -> np.ndarray:
    """(R, Lc, d) bool: whether each row meets each leaf's conditions on each path feature."""
    x = X[:, g.feature[sl]]
    one = (x > g.lo[sl]) & (x <= g.hi[sl])
    missing = np.isnan(x)
    if missing.any():
        one = np.where(missing, g.nan_in[sl], one)
    return one


def _scatter(contrib: np.ndarray, feat: np.ndarray, out: np.ndarray) -> None:
    """Add (R, Lc, d) contributions onto out (R, p) by feature: one bincount, a fixed order."""
    R, p = out.shape
    idx = (np.arange(R)[:, None, None] * p + feat).ravel()
    out += np.bincount(idx, contrib.ravel(), minlength=R * p).reshape(R, p)


def _leaf_values(one: np.ndarray, zero: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Each leaf's SHAP values for its path features, given which conditions a row meets.

    ``one`` (..., L, d) bool, ``zero`` (L, d), ``value`` (L,). Feature i gets
    ``v (o_i - z_i) int_0^1 prod_{j != i} (s o_j + (1 - s) z_j) ds``, the integrand a polynomial
    of degree d - 1: Gauss-Legendre on ceil(d/2) nodes is exact.
    """
    d = zero.shape[-1]
    s, w = np.polynomial.legendre.leggauss((d + 1) // 2)
    s, w = (s + 1) / 2, w / 2                      # nodes and weights on [0, 1]
    diff = one - zero                              # o - z, the factor of feature i itself
    acc = np.zeros(diff.shape)
    for sq, wq in zip(s, w):
        acc += wq * _all_but_one(zero + sq * diff)   # s o + (1 - s) z
    return diff * acc * value[:, None]


def _all_but_one(f: np.ndarray) -> np.ndarray:
    """The product over the last axis of every element but one, for each one (no division)."""
    d = f.shape[-1]
    res = np.ones_like(f)
    if d > 1:
        np.cumprod(f[..., :-1], axis=-1, out=res[..., 1:])            # prefix products
        suffix = np.cumprod(f[..., :0:-1], axis=-1)[..., ::-1]       # f[j+1:] products
        res[..., :-1] *= suffix
    return res

"""The numpy TreeSHAP (xlmarketing.core.treeshap) against brute-force Shapley values and `shap`.

* Brute force: on small trees, every feature subset's path-dependent expectation is enumerated
  and the Shapley formula applied directly (independent of any TreeSHAP code).
* shap: equal to ``shap.TreeExplainer(model).shap_values`` (path-dependent, no background data)
  to 1e-9 on every tree model the churn core fits (each tree, forest and boosting candidate of
  core.models, balanced or not), on the churn core's own design matrix, and on the one-row path.
* Additivity: rows sum to the prediction minus the expected value (missing values too).
"""

import itertools
import math

import numpy as np
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier

from xlmarketing.cells import read_table
from xlmarketing.core import churn as core
from xlmarketing.core import models as M
from xlmarketing.core import treeshap

from .test_churn import customers


def data(n=400, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 1] = rng.integers(0, 3, n)                       # ties and repeated splits
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=n) > 0.5).astype(int)
    return X, y


def raw(model, X):
    """What the SHAP values add up to: probability for trees and forests, log-odds for boosting."""
    if isinstance(model, (HistGradientBoostingClassifier, GradientBoostingClassifier)):
        return model.decision_function(X)
    return model.predict_proba(X)[:, 1]


def brute_force(model, x):
    """Shapley values of the path-dependent game, by enumerating every subset of features."""
    trees = [model] if isinstance(model, DecisionTreeClassifier) else list(model.estimators_)
    p = len(x)

    def expect(t, node, S):       # E[f(x) | x_S] following the training proportions
        if t.children_left[node] < 0:
            v = t.value[node, 0]
            return v[1] / v.sum()
        f, thr = t.feature[node], t.threshold[node]
        left, right = t.children_left[node], t.children_right[node]
        if f in S:
            return expect(t, left if np.float32(x[f]) <= thr else right, S)
        w = t.weighted_n_node_samples
        return (w[left] * expect(t, left, S) + w[right] * expect(t, right, S)) / w[node]

    def value(S):
        return np.mean([expect(e.tree_, 0, S) for e in trees])

    phi = np.zeros(p)
    for i in range(p):
        others = [j for j in range(p) if j != i]
        for k in range(p):
            for S in itertools.combinations(others, k):
                w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
                phi[i] += w * (value(set(S) | {i}) - value(set(S)))
    return phi, value(set())


@pytest.mark.parametrize("model", [
    DecisionTreeClassifier(max_depth=6, random_state=0),
    RandomForestClassifier(n_estimators=3, max_depth=5, random_state=0),
])
def test_equals_brute_force_shapley_values(model):
    X, y = data(300, 5)
    model.fit(X, y)
    ex = treeshap.explainer(model)
    sv = ex.shap_values(X[:6])
    for row, x in zip(sv, X[:6]):
        phi, base = brute_force(model, x)
        assert np.abs(row - phi).max() < 1e-12
        assert ex.expected_value == pytest.approx(base, abs=1e-12)


MODELS = [
    DecisionTreeClassifier(max_depth=8, min_samples_leaf=3, random_state=0),
    DecisionTreeClassifier(max_depth=4, class_weight="balanced", random_state=0),
    RandomForestClassifier(n_estimators=20, max_depth=10, min_samples_leaf=5, random_state=0),
    RandomForestClassifier(n_estimators=10, class_weight="balanced", random_state=0),
    ExtraTreesClassifier(n_estimators=10, max_depth=8, random_state=0),
    HistGradientBoostingClassifier(random_state=0),
    HistGradientBoostingClassifier(class_weight="balanced", max_iter=60, max_depth=3, random_state=0),
    GradientBoostingClassifier(n_estimators=30, random_state=0),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_equals_shap_and_adds_up(model):
    shap = pytest.importorskip("shap")
    X, y = data(500, 6)
    model.fit(X, y)
    ex = treeshap.explainer(model)
    mine = ex.shap_values(X)
    ref = shap.TreeExplainer(model)
    theirs = np.asarray(ref.shap_values(X, check_additivity=False))
    base = np.ravel(ref.expected_value)
    if theirs.ndim == 3:                     # tree and forest: (rows, features, classes)
        theirs, base = theirs[:, :, 1], base[1:]
    assert np.abs(mine - theirs).max() < 1e-9
    assert ex.expected_value == pytest.approx(base[0], abs=1e-9)
    assert np.abs(mine.sum(axis=1) + ex.expected_value - raw(model, X)).max() < 1e-9
    # Few rows take the direct path rather than the pattern tables: the same values.
    assert np.abs(ex.shap_values(X[:3]) - mine[:3]).max() < 1e-12


def test_many_features_use_the_narrow_lookup():
    # 40 features but paths of at most 4: the answers are scattered per path, not as a dense
    # (pattern, feature) table; the values must not change.
    X, y = data(600, 40, seed=4)
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    ex = treeshap.explainer(model)
    many = ex.shap_values(X)
    few = np.vstack([ex.shap_values(X[i:i + 1]) for i in range(20)])
    assert np.abs(many[:20] - few).max() < 1e-12
    assert np.abs(many.sum(axis=1) + ex.expected_value - raw(model, X)).max() < 1e-9


def test_missing_values_follow_the_model():
    X, y = data(600, 4, seed=2)
    X[::7, 0] = np.nan
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    Z = X.copy()
    Z[::3, 2] = np.nan                        # unseen missing values at scoring time too
    ex = treeshap.explainer(model)
    sv = ex.shap_values(Z)
    assert np.abs(sv.sum(axis=1) + ex.expected_value - raw(model, Z)).max() < 1e-9
    shap = pytest.importorskip("shap")
    assert np.abs(sv - shap.TreeExplainer(model).shap_values(Z, check_additivity=False)).max() < 1e-9


def test_rejects_what_it_cannot_explain():
    X, y = data(200, 3)
    with pytest.raises(TypeError):
        treeshap.explainer(object())
    model = DecisionTreeClassifier(max_depth=2).fit(X, np.arange(200) % 3)
    with pytest.raises(ValueError, match="binary"):
        treeshap.explainer(model)
    ex = treeshap.explainer(DecisionTreeClassifier(max_depth=2).fit(X, y))
    with pytest.raises(ValueError, match="3 features"):
        ex.shap_values(X[:, :2])


@pytest.mark.parametrize("name", [c.name for c in M.CANDIDATES if c.family in core.TREE_FAMILIES])
@pytest.mark.parametrize("balanced", [False, True])
def test_churn_models_equal_shap(name, balanced):
    """Every tree candidate the churn core fits, on its own design matrix, equals shap."""
    shap = pytest.importorskip("shap")
    rows, labels, _ = customers(800, seed=5)
    table = read_table(rows, name="d")
    y = np.array([r[0] == "Yes" for r in labels[1:]], dtype=int)
    model = core.fit(table.frame, table.kinds, y, M.Options(model=name, balanced=balanced))
    X = model.prep.transform(table.frame)
    theirs = np.asarray(shap.TreeExplainer(model.estimator).shap_values(X, check_additivity=False))
    if theirs.ndim == 3:
        theirs = theirs[:, :, 1]
    assert np.abs(core._shap_values(model, X) - theirs).max() < 1e-9
    assert np.abs(core._shap_values(model, X[:1]) - theirs[:1]).max() < 1e-9

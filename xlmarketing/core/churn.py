"""Yes/no models (churn, response, purchase): features, fit, cross-validation, drivers and reasons.

Pure pandas/numpy/scikit-learn: the model core knows nothing of Excel. Column kinds are the cell
adapter's ("number", "date", "bool", "category"); dates arrive as serial day numbers.

Feature preparation (learned on the training rows only, so cross-validation has no leakage):

* dates become *days before the reference date*, the latest date in the training data's date
  columns, so "last purchase date" works as recency and the result does not depend on today;
* a skewed non-negative number column (money, counts) is log1p-transformed when that fits the
  outcome better than the raw scale, so a few very large customers cannot wreck the fit;
* a number column with blanks gets its median and a "blank" indicator column;
* text categories are one-hot encoded; blanks are a level of their own, unseen levels all zeros;
* numbers are standardised, so coefficients compare across columns (per standard deviation).

The default model is scikit-learn's ``LogisticRegression`` (L2 penalty ``C = 1/regularization``,
optional balanced class weights); :mod:`.models` adds a tree, a forest, gradient boosting and a
cross-validated "auto" choice, all on the same design matrix. What the outputs and messages call
the outcome (churn, response) is an :class:`~.outcome.Outcome` parameter. Explanations:

* :func:`drivers`: permutation importance in AUC points for every model (the same scale for all),
  with a direction, plus coefficients and odds ratios for the logistic model;
* :func:`contributions`: per-customer pushes, exact for the logistic model (coefficient times the
  distance from the average customer, in log-odds) and TreeSHAP for the tree models (the exact
  tree algorithm, :mod:`.treeshap`; probability points for tree and forest, log-odds for boosting);
  for the SVM and the neural network, which have no exact explainer, occlusion in log-odds
  (:func:`occlusion`: the score minus the score with that column set to the average customer's,
  which for the logistic model is exactly its own contribution, so reasons read alike; cheap,
  deterministic, where KernelSHAP would need a background sample and thousands of predictions
  per customer).
"""

from __future__ import annotations

import functools
import math
import operator
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score

from .rows import content_order, order_free_folds
from . import limits
from . import models as M
from . import treeshap
from .errors import Fix, InsufficientData, ParameterError, col_label
from .features import FeatureEncoder, encoded_width, missing
from .kinds import BOOL, CATEGORY, DATE, NUMBER
from .outcome import YES_NO, Outcome
from .threads import one_thread

BLANK_LEVEL = "(blank)"
_SHAPE = operator.attrgetter("shape")
SKEW_MIN = 1.0          # sample skewness above which a log scale is considered
MAX_ITER = 1000
CLIP = 1e6              # standardised values beyond this (absurd scores) are clipped


# --------------------------------------------------------------------------- features


@dataclass
class Prep:
    """How raw columns become model features; learned on training rows."""

    columns: list[str]
    kinds: dict[str, str]
    ref_date: float | None
    log_cols: list[str]
    blank_cols: list[str]
    encoder: FeatureEncoder
    #: for every encoded feature: its display name and the raw column it comes from
    names: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def arrays(self, raw: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Pre-encoding columns: recency days, log scales, blank indicators, blank levels."""
        out: dict[str, np.ndarray] = {}
        for c in self.columns:
            kind = self.kinds[c]
            if kind == CATEGORY:
                col = np.asarray(raw[c], dtype=object)
                out[c] = np.where(pd.isna(col), BLANK_LEVEL, col)
                continue
            x = np.asarray(raw[c], dtype=np.float64)
            if kind == DATE:
                x = self.ref_date - x
            if c in self.log_cols:
                x = np.log1p(np.clip(x, 0.0, None))
            out[c] = x
            if c in self.blank_cols:
                out[_blank_name(c)] = np.isnan(x).astype(np.float64)
        return out

    def frame(self, raw: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.arrays(raw))

    def enc_kinds(self) -> dict[str, str]:
        kinds = {c: (CATEGORY if self.kinds[c] == CATEGORY else NUMBER) for c in self.columns}
        kinds.update({_blank_name(c): NUMBER for c in self.blank_cols})
        return kinds

    @functools.cached_property
    def _row_plan(self) -> tuple[list[str], list[int], list[int], list[str]]:
        """For :meth:`row`: the number columns, the positions among them of the dates and of
        the log scales, and the text columns."""
        numbers = [c for c in self.columns if self.kinds[c] != CATEGORY]
        return (numbers, [j for j, c in enumerate(numbers) if self.kinds[c] == DATE],
                [j for j, c in enumerate(numbers) if c in self.log_cols],
                [c for c in self.columns if self.kinds[c] == CATEGORY])

    def row(self, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        """:meth:`arrays` of a one-row mapping (every column a 1-element array) as one value
        per encoder column, with the same arithmetic element by element; None for anything
        else (a DataFrame, more rows)."""
        if isinstance(raw, pd.DataFrame):
            return None
        cols = [raw[c] for c in self.columns]
        if set(map(type, cols)) != {np.ndarray} or set(map(_SHAPE, cols)) != {(1,)}:
            return None
        numbers, dates, logs, texts = self._row_plan
        # The cast np.asarray(col, dtype=np.float64) makes in arrays(), for all at once.
        x = (np.concatenate([raw[c] for c in numbers], dtype=np.float64, casting="unsafe")
             if numbers else np.empty(0))
        if dates:
            x[dates] = self.ref_date - x[dates]
        for j in logs:  # one element at a time, as arrays() does for a one-row column
            x[j:j + 1] = np.log1p(np.clip(x[j:j + 1], 0.0, None))
        out: dict[str, Any] = dict(zip(numbers, x.tolist()))
        for c in self.blank_cols:
            out[_blank_name(c)] = 1.0 if math.isnan(out[c]) else 0.0
        for c in texts:
            v = raw[c][0]
            out[c] = BLANK_LEVEL if missing(v) else v
        return out

    def transform(self, raw: Mapping[str, Any]) -> np.ndarray:
        """The design matrix: numbers imputed and standardised, categories one-hot."""
        with np.errstate(over="ignore", invalid="ignore"):
            one = self.row(raw)
            x = self.encoder.transform_row(one) if one is not None else self.encoder.transform(self.arrays(raw))
            return np.clip(x, -CLIP, CLIP)  # absurd scores stay finite


def n_rows(raw: Mapping[str, Any]) -> int:
    """Rows of a DataFrame or of a mapping of column name -> 1-D array."""
    if isinstance(raw, pd.DataFrame):
        return len(raw)
    return len(next(iter(raw.values()))) if raw else 0


def _blank_name(c: str) -> str:
    return f"{c} is blank"


def _skew(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    if x.size < 3:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        s = x.std()
        sk = 0.0 if s == 0 else float(np.mean(((x - x.mean()) / s) ** 3))
    if not (np.isfinite(s) and np.isfinite(sk)):
        return 10.0  # values too large to square are surely skewed
    return sk


def _loglik_1d(x: np.ndarray, y: np.ndarray) -> float:
    """Log-likelihood of a one-feature logistic model (a few Newton steps, tiny ridge)."""
    with np.errstate(over="ignore", invalid="ignore"):
        sd = x.std()
    if not np.isfinite(sd):
        return -np.inf  # too large to fit on this scale
    z = (x - x.mean()) / (sd or 1.0)
    b0 = np.log(max(y.mean(), 1e-6) / max(1 - y.mean(), 1e-6))
    b1 = 0.0
    for _ in range(25):
        p = expit(b0 + b1 * z)
        w = p * (1 - p)
        g0, g1 = np.sum(y - p), np.sum((y - p) * z) - 1e-6 * b1
        h00, h01, h11 = w.sum() + 1e-9, np.sum(w * z), np.sum(w * z * z) + 1e-6
        det = h00 * h11 - h01 * h01
        if det <= 0:
            break
        d0 = (h11 * g0 - h01 * g1) / det
        d1 = (h00 * g1 - h01 * g0) / det
        b0, b1 = b0 + d0, b1 + d1
        if abs(d0) + abs(d1) < 1e-8:
            break
    eta = b0 + b1 * z
    return float(-np.sum(y * np.logaddexp(0, -eta) + (1 - y) * np.logaddexp(0, eta)))


def prepare(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, *,
            what: str = "the data", logs: bool = True, scale: bool = True) -> Prep:
    """Learn the feature preparation from training rows (``y`` decides log scales).

    ``logs=False`` keeps every number on its own scale and ``scale=False`` leaves numbers
    unstandardised: the amount models (:mod:`.regression`) report coefficients per unit of the
    column as the user typed it, and their ``y`` is an amount, not a yes/no outcome.
    """
    columns = list(frame.columns)
    dates = [c for c in columns if kinds[c] == DATE]
    ref = None
    if dates:
        d = frame[dates].to_numpy(dtype=np.float64)
        # All dates blank: no reference; the encoder then reports the blank column.
        ref = float(np.nanmax(d)) if not np.isnan(d).all() else float("nan")
    log_cols: list[str] = []
    blank_cols: list[str] = []
    for c in columns:
        if kinds[c] in (CATEGORY, BOOL):
            continue
        x = frame[c].to_numpy(dtype=np.float64)
        if kinds[c] == DATE:
            x = ref - x
        ok = ~np.isnan(x)
        if ok.any() and not ok.all():
            blank_cols.append(c)
        xs = x[ok]
        if logs and xs.size >= 10 and xs.min() >= 0 and np.unique(xs[:1000]).size > 2 and _skew(xs) > SKEW_MIN:
            # Keep the log scale only when it explains the outcome at least as well as the raw one.
            ys = y[ok].astype(np.float64)
            raw_fit = _loglik_1d(xs, ys)
            if not np.isfinite(raw_fit) or _loglik_1d(np.log1p(xs), ys) >= raw_fit:
                log_cols.append(c)
    prep = Prep(columns, dict(kinds), ref, log_cols, blank_cols, FeatureEncoder(scale=scale))
    with np.errstate(over="ignore", invalid="ignore"):
        prep.encoder.fit(prep.frame(frame), prep.enc_kinds(), what=what)
    enc = prep.encoder
    for j, c in enumerate(enc.numeric):
        if not (np.isfinite(enc.means[j]) and np.isfinite(enc.stds[j])):
            raise ParameterError(f"{{param}} {col_label(c)} holds numbers too large to model "
                           f"(up to {np.nanmax(np.abs(frame[c].to_numpy(dtype=np.float64))):.3g}).",
                           param="frame", fix=Fix.LARGER_UNITS)
    names, sources = [], []
    for c in prep.encoder.numeric:
        src = c[: -len(" is blank")] if c in {_blank_name(b) for b in blank_cols} else c
        label = c
        if c == src and kinds[src] == DATE:
            label = f"{c} (days ago)"
        if c in log_cols:
            label = f"{label} (log)"
        names.append(label)
        sources.append(src)
    for c, levels in prep.encoder.categories.items():
        for lvl in levels:
            names.append(f"{c} = {lvl}")
            sources.append(c)
    prep.names, prep.sources = names, sources
    return prep


# --------------------------------------------------------------------------- model


@dataclass
class ChurnModel:
    """A fitted yes/no model: the feature preparation, the estimator and training facts."""

    prep: Prep
    coef: np.ndarray            # logistic: one per encoded feature (numbers standardised); else empty
    intercept: float
    x_mean: np.ndarray          # mean of every encoded feature on the training rows
    n_rows: int
    base_rate: float
    train_proba: np.ndarray     # probability of every training row
    name: str = "logistic"      # the candidate (models.CANDIDATES) this model is
    estimator: Any = None       # the fitted scikit-learn estimator
    fit_seconds: float = 0.0
    background: np.ndarray | None = None  # training rows that occlusion explains against

    @property
    def family(self) -> str:
        return M.candidate(self.name).family

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        if self.family == "logistic":
            return expit(X @ self.coef + self.intercept)
        return M.positive_proba(self.estimator, X)

    def decision(self, frame: Mapping[str, Any]) -> np.ndarray:
        """Log-odds of the positive outcome."""
        p = np.clip(self.predict_proba(frame), 1e-12, 1 - 1e-12)
        return np.log(p / (1 - p))

    def predict_proba(self, frame: Mapping[str, Any]) -> np.ndarray:
        return self.predict_matrix(self.prep.transform(frame))


def _check_classes(y: np.ndarray) -> None:
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise InsufficientData(f"{{param}} needs both outcomes (yes and no), but all {len(y)} rows "
                               "have the same outcome. Add customers of the other kind.", param="y")


def check_size(frame: pd.DataFrame, kinds: dict[str, str], outcome: Outcome = YES_NO) -> None:
    """Refuse, before any work, data that would make too many features (see core.limits)."""
    numeric = [c for c in frame.columns if kinds[c] != CATEGORY]
    blanks = int(frame[numeric].isna().any().sum()) if numeric else 0  # blank indicators
    limits.check_churn_features(len(frame), encoded_width(frame, kinds) + blanks, outcome.model)


def fit(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, opts: M.Options | None = None,
        *, what: str = "the data", outcome: Outcome = YES_NO, **options: Any) -> ChurnModel:
    """Fit one model on training rows (``y`` is 1 for the positive outcome, 0 otherwise).

    ``opts`` (or its fields as keywords: ``balanced``, ``regularization``, ``model``, ``seed``)
    chooses the model; ``opts.model`` must be a candidate name here ("auto" is resolved by
    :func:`compare` first). ``outcome`` words the messages.
    """
    opts = opts or M.Options(**options)
    if opts.model not in M.BY_NAME:
        raise ValueError(f"fit() needs a concrete model, got {opts.model!r}")
    y = np.asarray(y, dtype=np.int64)
    _check_classes(y)
    check_size(frame, kinds, outcome)
    prep = prepare(frame, kinds, y, what=what)
    X = prep.transform(frame)
    t0 = time.perf_counter()
    est = M.fit_estimator(opts.model, X, y, opts)
    seconds = time.perf_counter() - t0
    if M.candidate(opts.model).family == "logistic":
        coef, intercept = est.coef_[0].copy(), float(est.intercept_[0])
        proba = expit(X @ coef + intercept)
    else:
        coef, intercept = np.empty(0), 0.0
        proba = M.positive_proba(est, X)
    return ChurnModel(prep=prep, coef=coef, intercept=intercept, x_mean=X.mean(axis=0),
                      n_rows=len(y), base_rate=float(y.mean()), train_proba=proba,
                      name=opts.model, estimator=est, fit_seconds=seconds,
                      background=background_rows(X, opts.seed))


# --------------------------------------------------------------------------- evaluation


@dataclass
class CrossVal:
    oof: np.ndarray             # out-of-fold probability for every training row
    fold_auc: np.ndarray
    folds: int
    y: np.ndarray
    name: str = "logistic"
    fit_seconds: float = 0.0    # mean seconds per fold fit


def _check_folds(y: np.ndarray, folds: int) -> None:
    _check_classes(y)
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < folds:
        raise InsufficientData(f"{{param}}={folds} needs at least {folds} customers of each "
                               f"outcome, but the smaller group has {minority}. Lower {{param}} "
                               "or add rows.", param="folds")


def _splits(frame: pd.DataFrame, y: np.ndarray, folds: int, seed: int
            ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds dealt over the rows in content order (:mod:`.rows`): row order in the
    range never moves a cross-validated figure."""
    return order_free_folds(y, folds, seed, frame)


def cross_validate(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray,
                   opts: M.Options | None = None, *, folds: int = 5, seed: int = 0,
                   outcome: Outcome = YES_NO, **options: Any) -> CrossVal:
    """Stratified K-fold out-of-fold probabilities; every fold learns its own preparation.

    ``seed`` splits the folds; ``opts.seed`` seeds the models (the same number by default).
    """
    opts = opts or M.Options(seed=seed, **options)
    y = np.asarray(y, dtype=np.int64)
    _check_folds(y, folds)
    check_size(frame, kinds, outcome)
    return _cv_many(frame, kinds, y, [opts.model], opts, _splits(frame, y, folds, seed))[opts.model]


def _cv_many(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, names: list[str],
             opts: M.Options, splits: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, CrossVal]:
    """Cross-validate several candidates on the same folds, preparing each fold once."""
    oof = {n: np.empty(len(y)) for n in names}
    aucs: dict[str, list[float]] = {n: [] for n in names}
    secs: dict[str, float] = dict.fromkeys(names, 0.0)
    for tr, te in splits:
        f_tr = frame.iloc[tr].reset_index(drop=True)
        prep = prepare(f_tr, kinds, y[tr])
        X_tr, X_te = prep.transform(f_tr), prep.transform(frame.iloc[te].reset_index(drop=True))
        for n in names:
            t0 = time.perf_counter()
            est = M.fit_estimator(n, X_tr, y[tr], replace(opts, model=n))
            secs[n] += time.perf_counter() - t0
            oof[n][te] = M.positive_proba(est, X_te)
            aucs[n].append(roc_auc_score(y[te], oof[n][te]))
    k = len(splits)
    return {n: CrossVal(oof=oof[n], fold_auc=np.asarray(aucs[n]), folds=k, y=y, name=n,
                        fit_seconds=secs[n] / k) for n in names}


@dataclass
class Comparison:
    """Every candidate cross-validated on the same folds, and the one "auto" picks."""

    results: dict[str, CrossVal]
    chosen: str


def compare(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, opts: M.Options | None = None,
            *, folds: int = 5, seed: int = 0, names: list[str] | None = None,
            outcome: Outcome = YES_NO) -> Comparison:
    """Cross-validate the candidates (default: :func:`models.auto_grid`'s) and choose."""
    opts = opts or M.Options(seed=seed)
    y = np.asarray(y, dtype=np.int64)
    _check_folds(y, folds)
    check_size(frame, kinds, outcome)
    names = names or M.auto_grid(len(y))
    results = _cv_many(frame, kinds, y, names, opts, _splits(frame, y, folds, seed))
    return Comparison(results, M.choose({n: r.fold_auc for n, r in results.items()}))


def threshold_metrics(cv: CrossVal, threshold: float, outcome: Outcome = YES_NO) -> dict[str, float]:
    y, pred = cv.y, (cv.oof >= threshold).astype(np.int64)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    return {"ROC AUC": float(cv.fold_auc.mean()), "ROC AUC (fold std)": float(cv.fold_auc.std()),
            "Accuracy": (tp + tn) / len(y), "Precision": precision, "Recall": recall, "F1": f1,
            "True positives": tp, "False positives": fp, "True negatives": tn,
            "False negatives": fn, outcome.base_rate: float(y.mean()), "Rows used": len(y),
            "Folds": cv.folds, "Threshold": threshold}


def brier(cv: CrossVal) -> float:
    return float(np.mean((cv.oof - cv.y) ** 2))


# --------------------------------------------------------------------------- explanation

#: Rows on which permutation importance and tree contributions are computed (a fixed sample of
#: the training rows above this), and the shuffles per feature.
IMPORTANCE_ROWS = 1000
DIRECTION_ROWS = 300
IMPORTANCE_REPEATS = 5


def _training_matrix(model: ChurnModel, frame: pd.DataFrame, y: np.ndarray, seed: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    # Rows in content order (.rows): the shuffles and the sample do not follow the range's order.
    order = content_order(frame, y)
    X, y = model.prep.transform(frame.iloc[order].reset_index(drop=True)), np.asarray(y)[order]
    if len(y) > IMPORTANCE_ROWS:
        idx = np.sort(np.random.default_rng(seed).choice(len(y), IMPORTANCE_ROWS, replace=False))
        X, y = X[idx], y[idx]
    return X, y


def drivers(model: ChurnModel, frame: pd.DataFrame | None = None, y: np.ndarray | None = None,
            *, seed: int = 0, outcome: Outcome = YES_NO) -> pd.DataFrame:
    """One row per encoded feature, most important first.

    ``Importance (AUC points)``: how many points (x100) the ROC AUC on the training rows drops
    when that feature's values are shuffled among customers (scikit-learn's
    ``permutation_importance``, mean of 5 shuffles): the same scale for every model. Without
    ``frame`` and ``y`` it is left out. ``Direction``: whether higher values (a category level:
    having it) raise or lower the probability, from the coefficient for the logistic model and
    from the sign of the correlation between the feature and its TreeSHAP contribution otherwise.
    Coefficient and odds ratio are the logistic model's (blank for the others). The direction
    is worded by ``outcome`` ("raises churn", "lowers the probability").
    """
    names = model.prep.names
    logistic = model.family == "logistic"
    if logistic:
        sign = np.sign(model.coef)
    else:
        X = _training_matrix(model, frame, np.zeros(len(frame)), seed)[0][:DIRECTION_ROWS] \
            if frame is not None else None
        sign = (np.zeros(len(names)) if X is None else _shap_direction(model, X)
                if model.family in TREE_FAMILIES else
                occlusion_direction(lambda Z: _log_odds(model, Z), X, model.background))
    df = pd.DataFrame({
        "Feature": names,
        "Coefficient": model.coef if logistic else [None] * len(names),
        "Odds ratio": np.exp(model.coef) if logistic else [None] * len(names),
        "Direction": np.where(sign > 0, outcome.raises, np.where(sign < 0, outcome.lowers, "no effect")),
    })
    if frame is not None and y is not None:
        imp = importance(model, frame, y, seed=seed)
        df["Importance (AUC points)"] = imp
        order = np.lexsort((df["Feature"].to_numpy(), -np.abs(model.coef) if logistic
                            else np.zeros(len(names)), -np.round(imp, 10)))
    else:
        order = np.lexsort((df["Feature"].to_numpy(), -np.abs(model.coef)))
    return df.iloc[order].reset_index(drop=True)


def importance(model: ChurnModel, frame: pd.DataFrame, y: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Permutation importance of every encoded feature in ROC AUC points (x100).

    scikit-learn's ``permutation_importance`` on the training rows (a fixed sample of
    :data:`IMPORTANCE_ROWS` above that), :data:`IMPORTANCE_REPEATS` shuffles per feature.
    """
    X, yy = _training_matrix(model, frame, np.asarray(y), seed)
    if yy.min() == yy.max():
        return np.zeros(X.shape[1])
    with one_thread():
        r = permutation_importance(model.estimator, X, yy, scoring="roc_auc",
                                   n_repeats=IMPORTANCE_REPEATS, random_state=seed)
    return 100.0 * r.importances_mean


def _shap_values(model: ChurnModel, X: np.ndarray) -> np.ndarray:
    """TreeSHAP contributions per encoded feature (n_rows, n_features) for a tree model.

    The exact path-dependent algorithm for scikit-learn trees (:mod:`.treeshap`, equal to the
    ``shap`` library's ``TreeExplainer`` without background data). Scale: probability for tree
    and forest, log-odds for boosting (what each model adds up).
    """
    # The explainer is built once per fitted model: one-row calls (fill-down) reuse it.
    explainer = model.__dict__.get("_explainer")
    if explainer is None:
        explainer = model.__dict__["_explainer"] = treeshap.explainer(model.estimator)
    return explainer.shap_values(X)


def _shap_direction(model: ChurnModel, X: np.ndarray) -> np.ndarray:
    sv = _shap_values(model, X)
    out = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        x, s = X[:, j], sv[:, j]
        if x.std() > 0 and s.std() > 0:
            out[j] = np.sign(np.corrcoef(x, s)[0, 1])
    return out


#: The families TreeSHAP explains; the others (svm, neural) are explained by occlusion.
TREE_FAMILIES = ("tree", "forest", "boosting")


def _log_odds(model: ChurnModel, X: np.ndarray) -> np.ndarray:
    p = np.clip(model.predict_matrix(X), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def push_floor(model: ChurnModel) -> float:
    """The smallest contribution worth calling a reason, on the model's own scale.

    0.05 in log-odds (a factor of about 1.05 on the odds) for logistic and boosting, one
    probability point for tree and forest, whose TreeSHAP values are probabilities.
    """
    return 0.01 if model.family in ("tree", "forest") else 0.05  # svm, neural: log-odds


def contributions(model: ChurnModel, frame: Mapping[str, Any]) -> tuple[np.ndarray, list[str]]:
    """Each raw column's push on this customer's score, relative to the average customer.

    Logistic: exact, coefficient x (value - training mean) in log-odds. Tree models: TreeSHAP
    (see :func:`_shap_values`). Returns an (n_rows, n_columns) array and the column names; a
    column's contribution sums its encoded features (a category's levels, a number and its
    blank indicator).
    """
    X = model.prep.transform(frame)
    cols = model.prep.columns
    index = {c: j for j, c in enumerate(cols)}
    groups = np.array([index[s] for s in model.prep.sources])
    if model.family not in ("logistic",) + TREE_FAMILIES:  # svm, neural: by occlusion
        return (occlusion(lambda Z: _log_odds(model, Z), X, model.background, groups, len(cols)),
                cols)
    if model.family == "logistic":
        per_feature = (X - model.x_mean) * model.coef
    else:
        per_feature = _shap_values(model, X)
    out = np.zeros((n_rows(frame), len(cols)))
    for j in range(len(cols)):
        out[:, j] = per_feature[:, groups == j].sum(axis=1)
    return out, cols


# --------------------------------------------------------------------------- model-agnostic


def occlusion(predict: Any, X: np.ndarray, background: np.ndarray, groups: np.ndarray,
              n_groups: int) -> np.ndarray:
    """Each group of columns' push on every row's score, relative to typical customers.

    The score minus its average when the group's columns alone take the values of each
    ``background`` row (real training customers, so a text column takes a real level and the
    point stays among the data, unlike setting it to an average of levels). For an additive
    model (the logistic one in log-odds) this is exactly its coefficient x (value - background
    mean), so the models without an explanation of their own (SVM, neural network) are explained
    on the logistic model's terms; interactions are credited to each column they involve.
    ``rows x groups x background`` predictions in one batch. Returns (rows, n_groups).
    """
    n, k = len(X), len(background)
    base = predict(X)
    out = np.empty((n, n_groups))
    for g in range(n_groups):
        cols = groups == g
        batch = np.repeat(X[None, :, :], k, axis=0)
        batch[:, :, cols] = background[:, None, cols]
        moved = predict(batch.reshape(k * n, X.shape[1])).reshape(k, n)
        out[:, g] = base - moved.mean(axis=0)
    return out


def background_rows(X: np.ndarray, seed: int = 0, size: int = 16) -> np.ndarray:
    """A fixed sample of training rows for :func:`occlusion` (all of them when fewer)."""
    if len(X) <= size:
        return X.copy()
    return X[np.sort(np.random.default_rng(seed).choice(len(X), size, replace=False))]


def occlusion_direction(predict: Any, X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """+1/-1/0 per column: the sign of the correlation between the column and its occlusion
    push (:func:`occlusion`, one column per group), as TreeSHAP gives it for the tree models."""
    p = X.shape[1]
    push = occlusion(predict, X, background, np.arange(p), p)
    out = np.zeros(p)
    for j in range(p):
        x, s = X[:, j], push[:, j]
        if x.std() > 0 and s.std() > 0:
            out[j] = np.sign(np.corrcoef(x, s)[0, 1])
    return out

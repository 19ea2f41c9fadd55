"""Churn risk with logistic regression: features, fit, cross-validation, drivers and reasons.

Pure pandas/numpy/scikit-learn: the model core knows nothing of Excel. Column kinds are the cell
adapter's ("number", "date", "bool", "category"); dates arrive as serial day numbers.

Feature preparation (learned on the training rows only, so cross-validation has no leakage):

* dates become *days before the reference date*, the latest date in the training data's date
  columns, so "last purchase date" works as recency and the result does not depend on today;
* a skewed non-negative number column (money, counts) is log1p-transformed when that fits the
  churn outcome better than the raw scale, so a few very large customers cannot wreck the fit;
* a number column with blanks gets its median and a "blank" indicator column;
* text categories are one-hot encoded; blanks are a level of their own, unseen levels all zeros;
* numbers are standardised, so coefficients compare across columns (per standard deviation).

The model is scikit-learn's ``LogisticRegression`` (lbfgs, L2 penalty ``C = 1/regularization``,
optional balanced class weights): deterministic, no random state involved.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ..errors import XLMError, col_label
from . import limits
from .features import FeatureEncoder, encoded_width
from .kinds import BOOL, CATEGORY, DATE, NUMBER

BLANK_LEVEL = "(blank)"
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

    def transform(self, raw: Mapping[str, Any]) -> np.ndarray:
        """The design matrix: numbers imputed and standardised, categories one-hot."""
        with np.errstate(over="ignore", invalid="ignore"):
            return np.clip(self.encoder.transform(self.arrays(raw)), -CLIP, CLIP)  # absurd scores stay finite


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
            what: str = "train_data") -> Prep:
    """Learn the feature preparation from training rows (``y`` decides log scales)."""
    columns = list(frame.columns)
    dates = [c for c in columns if kinds[c] == DATE]
    ref = None
    if dates:
        ref = float(np.nanmax(frame[dates].to_numpy(dtype=np.float64)))
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
        if xs.size >= 10 and xs.min() >= 0 and np.unique(xs[:1000]).size > 2 and _skew(xs) > SKEW_MIN:
            # Keep the log scale only when it explains churn at least as well as the raw one.
            ys = y[ok].astype(np.float64)
            raw_fit = _loglik_1d(xs, ys)
            if not np.isfinite(raw_fit) or _loglik_1d(np.log1p(xs), ys) >= raw_fit:
                log_cols.append(c)
    prep = Prep(columns, dict(kinds), ref, log_cols, blank_cols, FeatureEncoder(scale=True))
    with np.errstate(over="ignore", invalid="ignore"):
        prep.encoder.fit(prep.frame(frame), prep.enc_kinds(), what=what)
    enc = prep.encoder
    for j, c in enumerate(enc.numeric):
        if not (np.isfinite(enc.means[j]) and np.isfinite(enc.stds[j])):
            raise XLMError("#NUM!", f"{what} {col_label(c)} holds numbers too large to model "
                           f"(up to {np.nanmax(np.abs(frame[c].to_numpy(dtype=np.float64))):.3g}). "
                           "Enter them in larger units (thousands, millions) or fix the cells.")
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
    prep: Prep
    coef: np.ndarray            # one per encoded feature (numbers standardised)
    intercept: float
    x_mean: np.ndarray          # mean of every encoded feature on the training rows
    n_rows: int
    base_rate: float
    train_proba: np.ndarray     # churn probability of every training row

    def decision(self, frame: Mapping[str, Any]) -> np.ndarray:
        return self.prep.transform(frame) @ self.coef + self.intercept

    def predict_proba(self, frame: Mapping[str, Any]) -> np.ndarray:
        return expit(self.decision(frame))


def _check_classes(y: np.ndarray) -> None:
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise XLMError("#NUM!", f"train_labels needs both churned and retained customers, but all "
                       f"{len(y)} rows have the same outcome. Add customers of the other kind.")


def check_size(frame: pd.DataFrame, kinds: dict[str, str]) -> None:
    """Refuse, before any work, data that would make too many features (see core.limits)."""
    numeric = [c for c in frame.columns if kinds[c] != CATEGORY]
    blanks = int(frame[numeric].isna().any().sum()) if numeric else 0  # blank indicators
    limits.check_churn_features(len(frame), encoded_width(frame, kinds) + blanks)


def fit(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, *, balanced: bool = False,
        regularization: float = 1.0, what: str = "train_data") -> ChurnModel:
    """Fit the churn model on training rows (``y`` is 1 for churned, 0 for retained)."""
    y = np.asarray(y, dtype=np.int64)
    _check_classes(y)
    check_size(frame, kinds)
    prep = prepare(frame, kinds, y, what=what)
    X = prep.transform(frame)
    lr = LogisticRegression(C=1.0 / regularization, class_weight="balanced" if balanced else None,
                            solver="newton-cholesky", max_iter=MAX_ITER)
    # One BLAS thread: the Newton steps multiply small matrices, where a second thread only
    # adds synchronisation, and under load (a shared server, other calculations) a busy-waiting
    # thread pool makes them many times slower.
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        lr.fit(X, y)
    coef, intercept = lr.coef_[0].copy(), float(lr.intercept_[0])
    return ChurnModel(prep=prep, coef=coef, intercept=intercept, x_mean=X.mean(axis=0),
                      n_rows=len(y), base_rate=float(y.mean()), train_proba=expit(X @ coef + intercept))


# --------------------------------------------------------------------------- evaluation


@dataclass
class CrossVal:
    oof: np.ndarray             # out-of-fold churn probability for every training row
    fold_auc: np.ndarray
    folds: int
    y: np.ndarray


def cross_validate(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, *, folds: int = 5,
                   seed: int = 0, balanced: bool = False, regularization: float = 1.0) -> CrossVal:
    """Stratified K-fold out-of-fold probabilities; every fold learns its own preparation."""
    y = np.asarray(y, dtype=np.int64)
    _check_classes(y)
    check_size(frame, kinds)
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < folds:
        raise XLMError("#NUM!", f"folds={folds} needs at least {folds} customers of each outcome, "
                       f"but the smaller group has {minority}. Lower folds or add rows.")
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = np.empty(len(y))
    aucs = []
    for tr, te in skf.split(np.zeros(len(y)), y):
        m = fit(frame.iloc[tr].reset_index(drop=True), kinds, y[tr], balanced=balanced,
                regularization=regularization)
        oof[te] = m.predict_proba(frame.iloc[te].reset_index(drop=True))
        aucs.append(roc_auc_score(y[te], oof[te]))
    return CrossVal(oof=oof, fold_auc=np.asarray(aucs), folds=folds, y=y)


def threshold_metrics(cv: CrossVal, threshold: float) -> dict[str, float]:
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
            "False negatives": fn, "Base churn rate": float(y.mean()), "Rows used": len(y),
            "Folds": cv.folds, "Threshold": threshold}


# --------------------------------------------------------------------------- explanation


def drivers(model: ChurnModel) -> pd.DataFrame:
    """One row per encoded feature, sorted by |coefficient| (ties by name)."""
    coef = model.coef
    df = pd.DataFrame({"Feature": model.prep.names, "Coefficient": coef,
                       "Odds ratio": np.exp(coef),
                       "Direction": np.where(coef > 0, "raises churn",
                                             np.where(coef < 0, "lowers churn", "no effect"))})
    df["_abs"] = -np.abs(coef)
    return df.sort_values(["_abs", "Feature"], kind="mergesort").drop(columns="_abs").reset_index(drop=True)


def contributions(model: ChurnModel, frame: Mapping[str, Any]) -> tuple[np.ndarray, list[str]]:
    """Each raw column's push on the log-odds of churn, relative to the average customer.

    Returns an (n_rows, n_columns) array and the column names. A column's contribution sums
    its encoded features (a category's levels, a number and its blank indicator).
    """
    X = model.prep.transform(frame)
    per_feature = (X - model.x_mean) * model.coef
    cols = model.prep.columns
    index = {c: j for j, c in enumerate(cols)}
    groups = np.array([index[s] for s in model.prep.sources])
    out = np.zeros((n_rows(frame), len(cols)))
    for j in range(len(cols)):
        out[:, j] = per_feature[:, groups == j].sum(axis=1)
    return out, cols

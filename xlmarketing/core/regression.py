"""Amount models (order value, next-year spend): linear regression and gradient boosting.

Pure pandas/numpy/scipy/scikit-learn: the model core knows nothing of Excel. The input layer is
the yes/no models' (:func:`.churn.prepare`: dates as days before the latest date, a blank
number gets the median and a "blank" indicator, text one-hot), with two differences that an
amount model needs: numbers keep their own scale (no log, no standardising), so a coefficient
reads "per euro of Price"; and the linear model drops the first level of every text column
(treatment coding, as R's ``lm`` and statsmodels do: ``Urban = Yes`` is the difference from
``Urban = No``), so its coefficients and their statistics are those of ``LINEST``/``lm``.

* ``linear``: ordinary least squares with an intercept, solved by QR. A column that is an exact
  combination of earlier ones (a constant, a duplicate) is left out, as R reports it NA, and
  said in the notes. Prediction intervals are the textbook OLS ones:
  ``yhat +- t(df) * s * sqrt(1 + x0' (X'X)^-1 x0)``.
* ``boosting``: scikit-learn's ``HistGradientBoostingRegressor`` (least squares, defaults).
  Its intervals come from the out-of-fold residuals of 5-fold cross-validation (split
  conformal prediction with the folds as calibration sets, often called CV+ or cross-conformal):
  the interval is the prediction plus the (1-level)/2 and (1+level)/2 quantiles of the signed
  residuals, with the finite-sample rank correction ``ceil((n+1) q)``. Why this and not quantile
  boosting: it needs no extra models (the folds are the ones "auto" runs anyway), it carries a
  distribution-free coverage guarantee that quantile loss lacks, and signed quantiles keep the
  skew of amounts (the upper side of spend is longer). Its width is the same for every
  customer: the price of that guarantee without a model of the spread.
* ``auto``: both cross-validated on the same 5 folds; linear unless boosting's mean squared error
  is lower by more than :data:`MIN_GAIN` (half a percent): on a near-tie the model with readable
  coefficients is as good.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold

from .churn import CLIP, Prep, check_size, prepare
from .errors import DataError, InsufficientData, ParameterError
from .outcome import Outcome
from .threads import one_thread

LINEAR, BOOSTING, AUTO = "linear", "boosting", "auto"
MODELS = (LINEAR, BOOSTING)
FOLDS = 5
MIN_ROWS = 5
#: Boosting must have a mean squared error this much lower (relative) than linear's for "auto".
MIN_GAIN = 0.005
IMPORTANCE_ROWS = 1000
IMPORTANCE_REPEATS = 5
#: Columns whose part left after the earlier ones is below this share of their length are
#: exact combinations of them (the usual rank tolerance on unit-length columns).
ALIAS_TOL = 1e-7
AMOUNT = Outcome(model="an amount model", effect="the amount")


def parse_model(value: str | None) -> str:
    """The canonical model name for a user's text (case and spaces ignored)."""
    v = " ".join(str(value or "").strip().lower().split())
    v = {"": LINEAR, "default": LINEAR, "ols": LINEAR, "linear regression": LINEAR,
         "regression": LINEAR, "gradient boosting": BOOSTING, "gbm": BOOSTING}.get(v, v)
    if v in (LINEAR, BOOSTING, AUTO):
        return v
    raise DataError(f'{{param}}="{value}" is not a model. Use "linear" (default), "boosting" or '
                    '"auto" (cross-validated choice).', param="model")


# --------------------------------------------------------------------------- linear


@dataclass
class OLS:
    """Least-squares fit and its statistics (the numbers LINEST and R's ``summary.lm`` give)."""

    names: list[str]            # "(Intercept)" then the kept features, in design order
    coef: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    cov_unscaled: np.ndarray    # (X'X)^-1 of the kept columns, intercept first
    sigma2: float               # residual variance (RSS / df)
    df: int                     # residual degrees of freedom
    n: int
    r2: float
    adj_r2: float
    f: float
    f_p: float
    ss_reg: float
    ss_resid: float
    aliased: list[str] = field(default_factory=list)

    def statistics(self) -> dict[str, float]:
        return {"R²": self.r2, "Adjusted R²": self.adj_r2,
                "Std. error of estimate": float(np.sqrt(self.sigma2)), "F": self.f,
                "F p-value": self.f_p, "Residual degrees of freedom": self.df,
                "SS regression": self.ss_reg, "SS residual": self.ss_resid, "Rows used": self.n}


def _independent(Z: np.ndarray) -> list[int]:
    """Columns of ``Z`` that are not exact combinations of the columns kept before them."""
    keep: list[int] = []
    basis = np.empty((Z.shape[0], 0))
    for j in range(Z.shape[1]):
        v = Z[:, j].astype(np.float64)
        norm = np.linalg.norm(v)
        if norm == 0 or not np.isfinite(norm):
            continue
        v = v / norm
        for _ in range(2):  # Gram-Schmidt twice: orthogonal to working precision
            v = v - basis @ (basis.T @ v)
        rest = np.linalg.norm(v)
        if rest > ALIAS_TOL:
            keep.append(j)
            basis = np.column_stack([basis, v / rest])
    return keep


def fit_ols(X: np.ndarray, y: np.ndarray, names: list[str]) -> tuple[OLS, np.ndarray]:
    """OLS with an intercept on the columns of ``X``; returns the fit and the kept columns."""
    n = len(y)
    Z = np.column_stack([np.ones(n), X])
    kept = _independent(Z)
    if not kept or kept[0] != 0:
        kept = [0] + [j for j in kept if j != 0]
    k = len(kept)
    if n - k < 1:
        raise InsufficientData(
            f"{{param}} has {n} rows for {k} coefficients; the linear model needs more rows than "
            "coefficients (the intercept, each number column and each text value but the first). "
            'Add rows, leave columns out, or use model="boosting".', param="frame")
    Zk = Z[:, kept]
    q, r = np.linalg.qr(Zk)
    coef = np.linalg.solve(r, q.T @ y)
    resid = y - Zk @ coef
    ss_resid = float(resid @ resid)
    df = n - k
    sigma2 = ss_resid / df
    r_inv = np.linalg.solve(r, np.eye(k))
    cov_unscaled = r_inv @ r_inv.T
    se = np.sqrt(np.maximum(np.diag(cov_unscaled) * sigma2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, coef / se, np.nan)
    p = 2 * stats.t.sf(np.abs(t), df)
    tss = float(np.sum((y - y.mean()) ** 2))
    ss_reg = tss - ss_resid
    r2 = 1 - ss_resid / tss if tss > 0 else float("nan")
    adj = 1 - (1 - r2) * (n - 1) / df if tss > 0 else float("nan")
    if k > 1 and sigma2 > 0:
        f = (ss_reg / (k - 1)) / sigma2
        f_p = float(stats.f.sf(f, k - 1, df))
    else:
        f, f_p = float("nan"), float("nan")
    all_names = ["(Intercept)"] + list(names)
    aliased = [all_names[j] for j in range(Z.shape[1]) if j not in set(kept)]
    ols = OLS([all_names[j] for j in kept], coef, se, t, p, cov_unscaled, sigma2, df, n, r2, adj,
              float(f), f_p, ss_reg, ss_resid, aliased)
    return ols, np.asarray(kept[1:], dtype=np.intp) - 1


def _first_levels(prep: Prep) -> np.ndarray:
    """Design columns of the first level of each text column (the reference level)."""
    enc = prep.encoder
    drop, j = [], len(enc.numeric)
    for levels in enc.categories.values():
        drop.append(j)
        j += len(levels)
    return np.asarray(drop, dtype=np.intp)


# --------------------------------------------------------------------------- the model


@dataclass
class ValueModel:
    """A fitted amount model: the feature preparation, the estimator and training facts."""

    prep: Prep
    name: str                       # "linear" or "boosting"
    columns: np.ndarray             # design columns the model uses (linear: after coding)
    names: list[str]                # their display names
    ols: OLS | None = None
    estimator: Any = None
    train_pred: np.ndarray = field(default_factory=lambda: np.empty(0))
    y_mean: float = 0.0
    fit_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def matrix(self, raw: Mapping[str, Any]) -> np.ndarray:
        prep = self.prep
        with np.errstate(over="ignore", invalid="ignore"):
            if self.name == LINEAR:  # raw units: no clipping of amounts in the millions
                X = prep.encoder.transform(prep.arrays(raw))
            else:
                X = np.clip(prep.encoder.transform(prep.arrays(raw)), -CLIP, CLIP)
        return X[:, self.columns]

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        if self.ols is not None:
            return self.ols.coef[0] + X @ self.ols.coef[1:]
        with one_thread():
            return self.estimator.predict(X)

    def predict(self, raw: Mapping[str, Any]) -> np.ndarray:
        return self.predict_matrix(self.matrix(raw))


def _design(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, name: str,
            what: str) -> tuple[Prep, np.ndarray, list[str]]:
    if name == LINEAR:
        prep = prepare(frame, kinds, y, what=what, logs=False, scale=False)
        keep = np.setdiff1d(np.arange(len(prep.names)), _first_levels(prep))
    else:
        prep = prepare(frame, kinds, y, what=what, logs=False, scale=True)
        keep = np.arange(len(prep.names))
    return prep, keep, [prep.names[j] for j in keep]


def _boosting(seed: int) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(random_state=seed)


def check(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray) -> np.ndarray:
    """The amounts as floats, refused before any work when they cannot be modelled."""
    y = np.asarray(y, dtype=np.float64)
    if len(y) < MIN_ROWS:
        raise InsufficientData(f"{{param}} needs at least {MIN_ROWS} rows to fit an amount model, "
                               f"got {len(y)}. Select more rows.", param="frame")
    if not np.all(np.isfinite(y)):
        raise DataError("{param} holds a value that is not a finite number.", param="y")
    if np.ptp(y) == 0:
        raise InsufficientData(f"{{param}} is {y[0]:g} in every row: there is nothing to predict. "
                               "Check that the right column is selected.", param="y")
    check_size(frame, kinds, AMOUNT)
    return y


def fit(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, name: str = LINEAR, *,
        seed: int = 0, what: str = "the data") -> ValueModel:
    """Fit one amount model (``name`` is "linear" or "boosting") on the training rows."""
    if name not in MODELS:
        raise ValueError(f"fit() needs a concrete model, got {name!r}")
    y = check(frame, kinds, y)
    prep, cols, names = _design(frame, kinds, y, name, what)
    model = ValueModel(prep, name, cols, names, y_mean=float(y.mean()))
    X = model.matrix(frame)
    t0 = time.perf_counter()
    if name == LINEAR:
        model.ols, kept = fit_ols(X, y, names)
        model.columns = cols[kept]
        model.names = [names[j] for j in kept]
        model.notes = [f"{c} left out of the linear model: it is an exact combination of the "
                       "columns before it (a constant, a copy, or the levels of another text "
                       "column)." for c in model.ols.aliased]
    else:
        est = _boosting(seed)
        with warnings.catch_warnings(), one_thread():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        model.estimator = est
    model.fit_seconds = time.perf_counter() - t0
    model.train_pred = model.predict_matrix(model.matrix(frame))
    return model


# --------------------------------------------------------------------------- cross-validation


@dataclass
class CrossVal:
    name: str
    oof: np.ndarray             # out-of-fold prediction of every training row (NaN: not fitted)
    fold_mse: np.ndarray
    y: np.ndarray

    @property
    def mse(self) -> float:
        return float(np.mean(self.fold_mse))

    @property
    def rmse(self) -> float:
        return float(np.sqrt(self.mse))


@dataclass
class Comparison:
    results: dict[str, CrossVal]
    chosen: str


def compare(frame: pd.DataFrame, kinds: dict[str, str], y: np.ndarray, *, folds: int = FOLDS,
            seed: int = 0) -> Comparison:
    """Both models cross-validated on the same folds (each fold learns its own preparation)."""
    y = check(frame, kinds, y)
    if len(y) < 2 * folds:
        raise InsufficientData(f"{{param}} needs at least {2 * folds} rows for {folds}-fold "
                               f"cross-validation, got {len(y)}. Add rows.", param="frame")
    splits = list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y))))
    results: dict[str, CrossVal] = {}
    for name in MODELS:
        oof = np.full(len(y), np.nan)
        mse: list[float] = []
        try:
            for tr, te in splits:
                f_tr = frame.iloc[tr].reset_index(drop=True)
                m = fit(f_tr, kinds, y[tr], name, seed=seed)
                oof[te] = m.predict(frame.iloc[te].reset_index(drop=True))
                mse.append(float(np.mean((y[te] - oof[te]) ** 2)))
        except InsufficientData:
            if name == LINEAR:  # more coefficients than rows in a fold: boosting only
                continue
            raise
        results[name] = CrossVal(name, oof, np.asarray(mse), y)
    return Comparison(results, choose(results))


def choose(results: Mapping[str, CrossVal], min_gain: float = MIN_GAIN) -> str:
    """Linear unless boosting's mean squared error is lower by more than ``min_gain``."""
    if LINEAR not in results:
        return BOOSTING
    if BOOSTING in results and results[BOOSTING].mse < (1 - min_gain) * results[LINEAR].mse:
        return BOOSTING
    return LINEAR


# --------------------------------------------------------------------------- intervals


def ols_interval(model: ValueModel, X: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The OLS prediction interval for new rows (a new customer's amount, not the mean)."""
    ols = model.ols
    Z = np.column_stack([np.ones(len(X)), X])
    lever = np.einsum("ij,jk,ik->i", Z, ols.cov_unscaled, Z)
    half = stats.t.ppf((1 + level) / 2, ols.df) * np.sqrt(ols.sigma2 * (1 + lever))
    pred = Z @ ols.coef
    return pred - half, pred + half


def residual_bounds(cv: CrossVal, level: float) -> tuple[float, float, bool]:
    """Lower and upper quantiles of the out-of-fold residuals for a two-sided ``level``.

    Ranks ``floor((n+1) a/2)`` and ``ceil((n+1)(1-a/2))`` of the sorted residuals (the split
    conformal correction); the third value is False when there are too few rows for the level
    (the extreme residuals are then used, and the interval is narrower than asked).
    """
    r = np.sort(cv.y - cv.oof)
    n = r.size
    a = 1 - level
    lo_rank = int(np.floor((n + 1) * a / 2))
    hi_rank = int(np.ceil((n + 1) * (1 - a / 2)))
    enough = lo_rank >= 1 and hi_rank <= n
    return float(r[max(lo_rank, 1) - 1]), float(r[min(hi_rank, n) - 1]), enough


# --------------------------------------------------------------------------- explanation


def importance(model: ValueModel, frame: pd.DataFrame, y: np.ndarray, *, seed: int = 0
               ) -> np.ndarray:
    """Permutation importance of every model feature in R² points (x100).

    On the training rows (a fixed sample of
    :data:`IMPORTANCE_ROWS` above that), :data:`IMPORTANCE_REPEATS` shuffles per feature.
    """
    X, yy = model.matrix(frame), np.asarray(y, dtype=np.float64)
    if len(yy) > IMPORTANCE_ROWS:
        idx = np.sort(np.random.default_rng(seed).choice(len(yy), IMPORTANCE_ROWS, replace=False))
        X, yy = X[idx], yy[idx]

    def r2(X: np.ndarray) -> float:
        resid = yy - model.predict_matrix(X)
        return 1.0 - float(resid @ resid) / float(np.sum((yy - yy.mean()) ** 2))

    # The same procedure as scikit-learn's permutation_importance (which wants an estimator
    # object): each feature shuffled IMPORTANCE_REPEATS times, the mean drop in R².
    rng = np.random.RandomState(seed)
    base = r2(X)
    out = np.zeros(X.shape[1])
    if np.ptp(yy) == 0:
        return out
    for j in range(X.shape[1]):
        drops = []
        for _ in range(IMPORTANCE_REPEATS):
            Xp = X.copy()
            Xp[:, j] = X[rng.permutation(len(X)), j]
            drops.append(base - r2(Xp))
        out[j] = np.mean(drops)
    return 100.0 * out


def directions(model: ValueModel, frame: pd.DataFrame, *, seed: int = 0) -> np.ndarray:
    """+1 / -1 / 0 per model feature: whether higher values (a level: having it) raise the
    prediction, from the sign of the correlation between the feature and the change in the
    prediction when it alone takes other customers' values (occlusion; see
    :func:`.churn.occlusion`)."""
    from .churn import background_rows, occlusion_direction

    X = model.matrix(frame)
    if len(X) > 300:
        X = X[np.sort(np.random.default_rng(seed).choice(len(X), 300, replace=False))]
    return occlusion_direction(model.predict_matrix, X, background_rows(X, seed))


def check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ParameterError("{param} must be a share between 0 and 1, such as 0.9.",
                             param="interval")


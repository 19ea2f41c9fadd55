"""Uplift modelling: whom a campaign changes, from a randomised treated/control test.

Pure numpy/scikit-learn; knows nothing of Excel. Two learners on the same encoded features
(:class:`~.features.FeatureEncoder`, the churn family's preparation) and the same base model
(logistic regression):

* ``two_model``: one response model on the treated, one on the control group; uplift is the
  difference of their probabilities.
* ``class_transform``: Jaskowski and Jaroszewicz's class variable transformation: Z = 1 for a
  treated responder or a control non-responder; with treated and control weighted to equal
  totals (so an unbalanced split stays unbiased), uplift = 2 P(Z = 1 | x) - 1.
* ``auto``: two_model unless class_transform has the higher cross-validated Qini coefficient
  significantly: a one-sided paired t-test on the per-fold Qini differences at the 5% level
  (:data:`SWITCH_LEVEL`).

The Qini curve, the Qini coefficient and uplift at the top k follow scikit-uplift's documented
definitions (``qini_curve``, ``qini_auc_score`` with negative effects, ``uplift_at_k`` with the
"overall" strategy), so the figures can be checked against it.

Refusals: a treatment that does not vary, too few customers in any treated/control x
outcome cell, and a treatment that the features predict almost perfectly (a confounded test:
who was contacted was decided by that feature, so its effect cannot be told from the campaign's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from scipy.stats import t as student_t
from sklearn.linear_model import LogisticRegression
from .rows import order_free_folds
from threadpoolctl import threadpool_limits

from .errors import DataError, InsufficientData, col_label
from .features import FeatureEncoder

LEARNERS = ("two_model", "class_transform")
FOLDS = 5
#: Fewest customers in each of treated/control x responded/not.
MIN_CELL = 5
#: auto leaves two_model for class_transform only when the paired per-fold Qini difference is
#: positive at this one-sided significance level (a t-test with folds - 1 degrees of freedom).
#: One standard error (about 19% false switches with 5 folds) let chance wins through on small
#: data. Chosen on tuning scenarios apart from the benchmark's (benchmarks/tune_uplift_choice.py):
#: on 144 coupon campaigns one SE left two_model 11 times, rightly (class_transform closer to the
#: true effect) 3 times, this level once, rightly; on 80 probability-additive campaigns, which
#: favour class_transform, 14 (8 rightly) against 4 (1). Mean correlation with the true effect
#: 0.592 -> 0.596 and 0.740 -> 0.742 (always two_model: 0.595 and 0.746).
SWITCH_LEVEL = 0.05
#: A feature (or all of them together) that tells treated from control with this AUC means
#: the treatment was assigned by it: refused.
CONFOUNDED_AUC = 0.95
#: Above this AUC the assignment was not random: a note.
NOT_RANDOM_AUC = 0.65
#: Segment cut: an uplift beyond +-1 percentage point is a real change of behaviour.
SEGMENT_MARGIN = 0.01
C = 1.0
MAX_ITER = 1000

PERSUADABLE, SURE_THING, LOST_CAUSE, DO_NOT_DISTURB = (
    "Persuadable", "Sure thing", "Lost cause", "Do not disturb")


@dataclass
class UpliftFit:
    model: str                     # the learner used
    uplift: np.ndarray             # per row, from the learner fitted on every row
    p_control: np.ndarray          # probability of responding without the campaign, per row
    cv_uplift: dict[str, np.ndarray]   # out-of-fold uplift per learner tried
    cv_qini: dict[str, float]
    y: np.ndarray
    t: np.ndarray
    treatment_auc: float
    notes: list[str] = field(default_factory=list)
    encoder: FeatureEncoder | None = field(default=None, repr=False)
    scorer: Any = field(default=None, repr=False)   # encoded rows -> uplift

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Uplift of new customers (same columns as the fitted frame)."""
        return self.scorer(self.encoder.transform(frame))

    @property
    def oof(self) -> np.ndarray:
        return self.cv_uplift[self.model]


# --------------------------------------------------------------------------- metrics


def _order(uplift: np.ndarray) -> np.ndarray:
    """Highest uplift first; scikit-uplift's order (a stable sort, reversed), ties included."""
    return np.argsort(uplift, kind="mergesort")[::-1]


def qini_curve(y: np.ndarray, uplift: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted, incremental responders) at each distinct uplift cut, from (0, 0)."""
    y, uplift, t = (np.asarray(v, float) for v in (y, uplift, t))
    o = _order(uplift)
    y, t, u = y[o], t[o], uplift[o]
    cut = np.r_[np.flatnonzero(np.diff(u)), u.size - 1]
    n_t = np.cumsum(t)[cut]
    y_t = np.cumsum(y * t)[cut]
    y_c = np.cumsum(y * (1 - t))[cut]
    n_all = cut + 1.0
    n_c = n_all - n_t
    ratio = np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c != 0)
    values = y_t - y_c * ratio
    return np.r_[0.0, n_all], np.r_[0.0, values]


def _area(x: Any, y: Any) -> float:
    """Trapezoid area under (x, y) with x ascending: scikit-learn's ``auc`` (numpy's trapezoid,
    the same sum) without its input validation, which cost more than the sum (12 calls a fit)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float((np.diff(x) * (y[1:] + y[:-1]) / 2.0).sum())


def qini_coefficient(y: np.ndarray, uplift: np.ndarray, t: np.ndarray) -> float:
    """Area between the Qini curve and the random line, over that of the perfect ranking."""
    y, t = np.asarray(y, float), np.asarray(t, float)
    xa, ya = qini_curve(y, uplift, t)
    xp, yp = qini_curve(y, y * t - y * (1 - t), t)
    base = _area([0.0, xp[-1]], [0.0, yp[-1]])
    perfect = _area(xp, yp) - base
    return float((_area(xa, ya) - base) / perfect) if perfect != 0 else float("nan")


def top_sums(uplift: np.ndarray, columns: list[np.ndarray], counts: np.ndarray) -> list[np.ndarray]:
    """Each column's sum over the ``counts`` customers of highest uplift. Customers tied on
    uplift are split evenly: a cut inside a group of equal uplifts takes the same share of each
    of them (the average over every order of the group), so the rows' order never matters."""
    uplift = np.asarray(uplift, float)
    o = _order(uplift)
    u = uplift[o]
    n = u.size
    starts = np.r_[0, np.flatnonzero(np.diff(u)) + 1] if n else np.zeros(0, int)
    ends = np.r_[starts[1:], n]
    m = np.asarray(counts, float)
    g = np.minimum(np.searchsorted(ends, m, side="left"), max(len(ends) - 1, 0))
    out = []
    for c in columns:
        cum = np.r_[0.0, np.cumsum(np.asarray(c, float)[o])]
        if not n:
            out.append(np.zeros(m.shape))
            continue
        s, e = starts[g], ends[g]
        share = np.clip((m - s) / (e - s), 0.0, 1.0)
        out.append(cum[s] + (cum[e] - cum[s]) * share)
    return out


def uplift_at_k(y: np.ndarray, uplift: np.ndarray, t: np.ndarray, k: float) -> float:
    """Response rate of the treated minus the control among the top ``k`` share of customers
    (ties on uplift split evenly, :func:`top_sums`)."""
    y, t = np.asarray(y, float), np.asarray(t, float)
    m = np.array([float(int(len(y) * k))])
    yt, nt, yc, nc = (v[0] for v in top_sums(uplift, [y * t, t, y * (1 - t), 1 - t], m))
    if nt <= 0 or nc <= 0:
        return float("nan")
    return float(yt / nt - yc / nc)


def qini_points(y: np.ndarray, uplift: np.ndarray, t: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """The Qini curve at shares 0, 1/bins, ..., 1 of the customers targeted (highest uplift
    first; ties on uplift split evenly, :func:`top_sums`), with the random-targeting line, for
    a chart."""
    y, t = np.asarray(y, float), np.asarray(t, float)
    n = len(y)
    share = np.arange(bins + 1) / bins
    m = np.rint(share * n).astype(int)
    cy_t, cy_c, cn_t = top_sums(uplift, [y * t, y * (1 - t), t], m)
    n_c = m - cn_t
    ratio = np.divide(cn_t, n_c, out=np.zeros(len(m)), where=n_c > 1e-12)
    model = cy_t - cy_c * ratio
    return pd.DataFrame({"share": share, "customers": m, "model": model,
                         "random": share * model[-1]})


# --------------------------------------------------------------------------- learners


def _logit(start: LogisticRegression | None = None) -> LogisticRegression:
    """The base model; ``start``: a fitted one on overlapping rows (the previous fold) whose
    coefficients seed L-BFGS (warm start: the same optimum, reached in fewer iterations)."""
    m = LogisticRegression(C=C, max_iter=MAX_ITER, warm_start=start is not None)
    if start is not None:
        m.coef_, m.intercept_ = start.coef_.copy(), start.intercept_.copy()
    return m


def _proba(model: LogisticRegression, X: np.ndarray) -> np.ndarray:
    return model.predict_proba(X)[:, 1]


def fit_two_model(X: np.ndarray, y: np.ndarray, t: np.ndarray, start: Any = None):
    """``start``: a scorer this function returned on overlapping rows (warm start)."""
    treated = t == 1
    s1, s0 = start.models if start is not None else (None, None)
    m1 = _logit(s1).fit(X[treated], y[treated])
    m0 = _logit(s0).fit(X[~treated], y[~treated])

    def score(Z: np.ndarray) -> np.ndarray:
        return _proba(m1, Z) - _proba(m0, Z)

    score.models = (m1, m0)
    score.control = m0  # the response model without the campaign, reused for p_control
    return score


def fit_class_transform(X: np.ndarray, y: np.ndarray, t: np.ndarray, start: Any = None):
    """``start``: a scorer this function returned on overlapping rows (warm start)."""
    z = (y == t).astype(int)  # treated responder or control non-responder
    p = t.mean()
    w = np.where(t == 1, 0.5 / p, 0.5 / (1 - p))
    m = _logit(start.models[0] if start is not None else None).fit(X, z, sample_weight=w)

    def score(Z: np.ndarray) -> np.ndarray:
        return 2 * _proba(m, Z) - 1

    score.models = (m,)
    return score


FITTERS = {"two_model": fit_two_model, "class_transform": fit_class_transform}


# --------------------------------------------------------------------------- checks


def check_groups(y: np.ndarray, t: np.ndarray) -> None:
    if np.all(t == t[0]):
        who = "treated" if t[0] == 1 else "control"
        raise InsufficientData(f"{{param}} does not vary: every customer is {who}. Uplift needs "
                               "both a treated and a control (held-out) group.", param="treatment")
    for tv, group in ((1, "treated"), (0, "control")):
        for yv, what in ((1, "responders"), (0, "non-responders")):
            n = int(((t == tv) & (y == yv)).sum())
            if n < MIN_CELL:
                raise InsufficientData(f"{{param}}: the {group} group has {n} {what}; at least "
                                       f"{MIN_CELL} are needed to model uplift. Add customers or "
                                       "use a broader outcome.", param="outcome")


def _source_columns(enc: FeatureEncoder) -> list[str]:
    return list(enc.numeric) + [c for c, lv in enc.categories.items() for _ in lv]


def treatment_check(X: np.ndarray, t: np.ndarray, sources: list[str], seed: int,
                    content: Any = None) -> float:
    """Refuse a treatment the features predict almost perfectly; return the features' AUC.
    ``content``: the rows as read (default ``X``), which deal the folds: the encoded features
    differ in their last bits with the row order (means summed in another order)."""
    single = np.array([max(a, 1 - a) if np.ptp(X[:, j]) > 0 else 0.5
                       for j in range(X.shape[1]) for a in [_auc(t, X[:, j])]])
    if single.size and single.max() >= CONFOUNDED_AUC:
        c = sources[int(single.argmax())]
        raise DataError(f"{{param}} is confounded with {col_label(c)}: that feature alone tells "
                        f"treated from control customers (AUC {single.max():.2f}), so the "
                        "campaign's effect cannot be told from its effect. Uplift needs a "
                        "randomised test: treated and control customers alike in their features.",
                        param="treatment")
    if X.shape[1] == 0:
        return 0.5
    score = np.zeros(len(t))
    prev = None  # each fold's model seeds the next (warm start)
    for train, test in order_free_folds(t, 3, seed, X if content is None else content):
        prev = _logit(prev).fit(X[train], t[train])
        score[test] = _proba(prev, X[test])
    auc = _auc(t, score)
    if auc >= CONFOUNDED_AUC:
        c = sources[int(single.argmax())]
        raise DataError(f"{{param}} is confounded with the features (they predict who was treated "
                        f"with AUC {auc:.2f}; most of all {col_label(c)}), so the campaign's "
                        "effect cannot be told from theirs. Uplift needs a randomised test.",
                        param="treatment")
    return auc


def _auc(t: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC of ``s`` for ``t`` (1/0) by the Mann-Whitney rank sum, ties at half: equal to
    scikit-learn's ``roc_auc_score`` at a fraction of its cost (it runs once per feature)."""
    pos = np.asarray(t) == 1
    n1 = int(pos.sum())
    n0 = pos.size - n1
    return float((rankdata(s)[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


# --------------------------------------------------------------------------- fit


def fit(frame: pd.DataFrame, kinds: Mapping[str, str], t: np.ndarray, y: np.ndarray, *,
        model: str = "auto", seed: int = 0, folds: int = FOLDS) -> UpliftFit:
    """Uplift per row of ``frame`` with the chosen (or cross-validated best) learner."""
    t = np.asarray(t, int)
    y = np.asarray(y, int)
    check_groups(y, t)
    enc = FeatureEncoder(scale=True)
    X = enc.fit_transform(frame, kinds, what="data")
    notes = list(enc.notes)
    with threadpool_limits(1):
        auc = treatment_check(X, t, _source_columns(enc), seed, frame)
        if auc > NOT_RANDOM_AUC:
            notes.append(f"The features predict who was treated (AUC {auc:.2f}): the treatment was "
                         "not assigned at random, so the uplift may be biased.")
        tried = LEARNERS if model == "auto" else (model,)
        strata = 2 * t + y
        split = order_free_folds(strata, folds, seed, frame, y)  # the cells, not X's floats
        cv_uplift, cv_qini, fold_qini = {}, {}, {}
        for name in tried:
            oof = np.zeros(len(y))
            prev = None  # each fold's models seed the next's (warm start)
            for train, test in split:
                prev = FITTERS[name](X[train], y[train], t[train], prev)
                oof[test] = prev(X[test])
            cv_uplift[name] = oof
            cv_qini[name] = qini_coefficient(y, oof, t)
            fold_qini[name] = np.array([qini_coefficient(y[te], oof[te], t[te]) for _, te in split])
        chosen = _choose(tried, cv_qini, fold_qini)
        scorer = FITTERS[chosen](X, y, t)  # cold: the fit on every row does not hang on the folds
        uplift = scorer(X)
        control = t == 0
        m0 = getattr(scorer, "control", None)
        if m0 is None:
            m0 = _logit().fit(X[control], y[control])
        p0 = _proba(m0, X)
    if model == "auto":
        notes.append(f'model "auto" chose {chosen} (cross-validated Qini '
                     + ", ".join(f"{n} {q:.3f}" for n, q in cv_qini.items()) + ").")
    return UpliftFit(chosen, uplift, p0, cv_uplift, cv_qini, y, t, auc, notes, enc, scorer)


def _choose(tried: tuple[str, ...], cv_qini: dict[str, float],
            fold_qini: dict[str, np.ndarray]) -> str:
    """The first learner (two_model), unless another beats it significantly: its mean per-fold
    Qini gain exceeds the one-sided :data:`SWITCH_LEVEL` t critical value times the standard
    error of the per-fold difference (paired folds). The class transformation's single model of
    a noisier target often wins a cross-validation by chance on small data, and the two-model
    learner tracks the true effect at least as well unless the evidence says otherwise."""
    chosen = tried[0]
    for name in tried[1:]:
        diff = fold_qini[name] - fold_qini[chosen]
        diff = diff[np.isfinite(diff)]
        if len(diff) < 2:
            continue
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        critical = float(student_t.ppf(1 - SWITCH_LEVEL, len(diff) - 1))
        if cv_qini[name] > cv_qini[chosen] and diff.mean() > critical * se:
            chosen = name
    return chosen


def segments(uplift: np.ndarray, p_control: np.ndarray, base_rate: float,
             margin: float = SEGMENT_MARGIN) -> np.ndarray:
    """Persuadable (uplift above +margin), Do not disturb (below -margin); the rest are Sure
    things when they would respond at least as often as the control group without the
    campaign, else Lost causes."""
    out = np.where(p_control >= base_rate, SURE_THING, LOST_CAUSE).astype(object)
    out[uplift > margin] = PERSUADABLE
    out[uplift < -margin] = DO_NOT_DISTURB
    return out

"""Uplift modelling: whom a campaign changes, from a randomised treated/control test.

Pure numpy/scikit-learn; knows nothing of Excel. Two learners on the same encoded features
(:class:`~.features.FeatureEncoder`, the churn family's preparation) and the same base model
(logistic regression with scikit-learn's ``LogisticRegression(C=1)`` objective, fitted by
Newton's method: :class:`Logit`):

* ``two_model``: one response model on the treated, one on the control group; uplift is the
  difference of their probabilities.
* ``class_transform``: Jaskowski and Jaroszewicz's class variable transformation: Z = 1 for a
  treated responder or a control non-responder; with treated and control weighted to equal
  totals (so an unbalanced split stays unbiased), uplift = 2 P(Z = 1 | x) - 1.
* ``auto``: two_model unless class_transform has the higher cross-validated Qini coefficient
  significantly: a one-sided paired t-test on the per-fold Qini differences at the 5% level
  (:data:`SWITCH_LEVEL`).

Cost: each learner is fitted once, on every row, and that fit is the answer; its 5 cross-
validation folds (which ``auto`` chooses by and UPLIFT_QINI reports) are each one Newton step
from it (:meth:`Logit.held_out`), and the randomisation check screens with a ridge
discriminant whose folds are exact sums (:func:`_screen_auc`). On the benchmark's campaigns
the one-step folds choose the learner the exactly fitted folds choose
(``benchmarks/tune_uplift_choice.py --exact-cv``, ``fit(..., exact_cv=True)``).

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
from scipy.stats import t as student_t
from scipy.special import expit


from .errors import DataError, InsufficientData, col_label
from .features import FeatureEncoder
from .rows import content_order, deal_folds
from .threads import one_thread

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
#: The randomisation check's screen (a linear discriminant, cross-validated): below this AUC
#: the treatment is taken as randomised without the logistic model of it (and its AUC is the
#: screen's); at or above it the logistic model decides, as without the screen.
SCREEN_AUC = 0.6
#: Segment cut: an uplift beyond +-1 percentage point is a real change of behaviour.
SEGMENT_MARGIN = 0.01
C = 1.0
#: Newton steps at most (a fit takes about 4 to 6), and the largest coefficient move that is
#: the last: Newton's method converges quadratically, so what is left after it is about 1e-12.
MAX_ITER = 100
NEWTON_TOL = 1e-6
#: A Newton step whose decrement (squared) is below this is taken whole: the quadratic model
#: predicts a fall of the objective (a sum of log losses) of under a quarter of a nat, so near
#: the optimum no line search is paid for.
FULL_STEP = 0.5

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
    # Highest first; the order within a group of ties does not matter (only each group's end
    # is a point), so the faster unstable sort.
    o = np.argsort(-uplift)
    return _sorted_curve(y[o], uplift[o], t[o])


def _sorted_curve(y: np.ndarray, u: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`qini_curve` of rows already in order of falling uplift ``u`` (floats). Its
    points are at each group of tied uplifts' end, where the sums are counts (exact in floating
    point), so the order within a group never shows."""
    cut = np.append(np.flatnonzero(np.diff(u)), u.size - 1)
    n_t = np.cumsum(t)[cut]
    y_t = np.cumsum(y * t)[cut]
    y_c = np.cumsum(y)[cut] - y_t  # counts: exact in floating point
    n_all = cut + 1.0
    n_c = n_all - n_t
    ratio = np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c != 0)
    values = y_t - y_c * ratio
    # from (0, 0); concatenate, not np.r_, whose parsing costs more than the join
    return np.concatenate(([0.0], n_all)), np.concatenate(([0.0], values))


def _area(x: Any, y: Any) -> float:
    """Trapezoid area under (x, y) with x ascending: scikit-learn's ``auc`` (numpy's trapezoid,
    the same sum) without its input validation, which cost more than the sum (12 calls a fit)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float((np.diff(x) * (y[1:] + y[:-1]) / 2.0).sum())


def _qini_base(y: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    """(area under the random line, area of the perfect ranking above it): the Qini
    coefficient's yardsticks, which depend on the outcomes only. The perfect ranking (treated
    responders, then non-responders, then control responders) has three groups of tied scores,
    so its curve (:func:`qini_curve`) has a point at each group's end, found by counting."""
    y, t = np.asarray(y, float), np.asarray(t, float)
    a, b, d = float(y @ t), float(t.sum() - y @ t), float(y.sum() - y @ t)
    n = float(len(y))
    n_all = np.array([0.0, a, n - d, n])          # customers at each group's end
    n_t = np.array([0.0, a, a + b, a + b])        # treated among them
    y_t = np.array([0.0, a, a, a])                # treated responders
    y_c = np.array([0.0, 0.0, 0.0, d])            # control responders
    n_c = n_all - n_t
    ratio = np.divide(n_t, n_c, out=np.zeros(4), where=n_c != 0)
    yp = y_t - y_c * ratio
    base = _area([0.0, n], [0.0, yp[-1]])
    return base, _area(n_all, yp) - base


def qini_coefficient(y: np.ndarray, uplift: np.ndarray, t: np.ndarray,
                     base: tuple[float, float] | None = None) -> float:
    """Area between the Qini curve and the random line, over that of the perfect ranking.
    ``base``: :func:`_qini_base` of ``y`` and ``t``, when already found."""
    random_area, perfect = _qini_base(y, t) if base is None else base
    return _coefficient(qini_curve(y, uplift, t), random_area, perfect)


def _coefficient(curve: tuple[np.ndarray, np.ndarray], random_area: float, perfect: float
                 ) -> float:
    return float((_area(*curve) - random_area) / perfect) if perfect != 0 else float("nan")


def _cv_qini(y: np.ndarray, uplift: np.ndarray, t: np.ndarray, bounds: np.ndarray,
             whole: tuple[float, float], bases: list[tuple[float, float]]
             ) -> tuple[float, np.ndarray]:
    """:func:`qini_coefficient` of all the rows and of each fold (rows ``bounds[k]:bounds[k +
    1]``; ``whole`` and ``bases``: their :func:`_qini_base`), from one sort: each fold's rows
    taken from the order of all of them keep their order of falling uplift."""
    o = np.argsort(-uplift)
    u = uplift[o]
    q = _coefficient(_sorted_curve(y[o], u, t[o]), *whole)
    fold = np.repeat(np.arange(len(bounds) - 1, dtype=np.int8), np.diff(bounds))[o]
    by_fold = np.argsort(fold, kind="stable")  # within a fold, the order of all (a radix sort)
    o, u = o[by_fold], u[by_fold]
    ys, ts = y[o], t[o]
    per_fold = np.array([_coefficient(_sorted_curve(ys[a:b], u[a:b], ts[a:b]), *base)
                         for a, b, base in zip(bounds[:-1], bounds[1:], bases)])
    return q, per_fold


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


class Logit:
    """scikit-learn's ``LogisticRegression(C=C)``: the same objective (an L2 penalty of
    1 / (2 C) on the coefficients, none on the intercept, each row's log loss scaled by its
    sample weight), fitted by Newton's method with a backtracking line search. With a few
    encoded features a Newton step is one small linear solve, so the fit takes a handful of
    steps (from no coefficients and the base rate's intercept) and none of scikit-learn's
    per-call validation, and its Hessian gives the cross-validation folds (:meth:`held_out`).
    Its last step is one that moves no coefficient by more than :data:`NEWTON_TOL`, which
    leaves it well inside the optimum scikit-learn's L-BFGS stops near (its tolerance is on the
    gradient, 1e-4).

    ``start``: a fitted one on overlapping rows (the fit on every row, for an exactly fitted
    fold) whose coefficients start Newton's method: the same optimum, in fewer steps."""

    def __init__(self, start: Logit | None = None):
        self.beta = None if start is None else start.beta.copy()

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Logit:
        return self.fit_design(_design(X), y, sample_weight)

    def fit_design(self, A: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
                   ) -> Logit:
        """:meth:`fit` on the design matrix: the features and a last column of ones."""
        n, p = A.shape[0], A.shape[1] - 1
        y = np.asarray(y, float)
        weighted = sample_weight is not None
        s = np.asarray(sample_weight, float) if weighted else np.ones(n)
        pen = _penalty(p)
        if self.beta is None:  # no coefficients, the intercept of the base rate
            beta = np.zeros(p + 1)
            rate = min(max(float(s @ y) / float(s.sum()), 1e-9), 1.0 - 1e-9)
            beta[p] = np.log(rate / (1.0 - rate))
        else:
            beta = self.beta

        def objective(b: np.ndarray, z: np.ndarray) -> float:
            return float(s @ (np.logaddexp(0.0, z) - y * z) + 0.5 * (pen * b * b).sum())

        z = A @ beta
        f = None  # the objective at beta, found only when a line search needs it
        for _ in range(MAX_ITER):
            q = expit(z)
            # unweighted, the weights' products (by 1.0: exact) are left out
            g = A.T @ (s * (q - y) if weighted else q - y) + pen * beta
            H = (A.T * (s * q * (1.0 - q) if weighted else q * (1.0 - q))) @ A
            H.flat[::p + 2] += pen
            try:
                step = np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(H, g, rcond=None)[0]
            if float(np.abs(step).max(initial=0.0)) <= NEWTON_TOL:
                beta = beta - step  # converging quadratically: what is left is about its square
                break
            slope = float(g @ step)  # the Newton decrement, squared
            if slope <= FULL_STEP:  # near the optimum: the full step, unchecked
                beta = beta - step
                z, f = A @ beta, None
                continue
            if f is None:
                f = objective(beta, z)
            a = 1.0
            while True:  # backtracking (Armijo): far from the optimum a full step can overshoot
                nb = beta - a * step
                nz = A @ nb
                nf = objective(nb, nz)
                if nf <= f - 1e-4 * a * slope or a < 1e-8:
                    break
                a *= 0.5
            beta, z, f = nb, nz, nf
        self.beta, self.hessian = beta, H
        return self

    def held_out(self, A: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None,
                 bounds: np.ndarray) -> list[np.ndarray]:
        """The coefficients (intercept last) fitted without each fold's rows, by one Newton
        step from this fit on every row. ``A``, ``y``, ``sample_weight``: the design rows
        (:meth:`fit_design`) this was fitted on, fold by fold: fold k is rows
        ``bounds[k]:bounds[k + 1]``.

        At this fit's optimum the gradient without a fold's rows is minus theirs, and the
        Hessian is this one minus theirs; the step leaves an error of the order of its own
        square (the fold's pull on the coefficients, squared). Each fold then costs a pass over
        its own rows instead of a fit on all the others (approximate cross-validation: Beirami
        et al. 2017, Rad and Maleki 2020)."""
        y = np.asarray(y, float)
        s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        q = expit(A @ self.beta)
        r, h = s * (q - y), s * q * (1.0 - q)
        out = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            Ak = A[a:b]
            g = Ak.T @ r[a:b]
            H = self.hessian - (Ak.T * h[a:b]) @ Ak
            try:
                out.append(self.beta + np.linalg.solve(H, g))
            except np.linalg.LinAlgError:
                out.append(self.beta + np.linalg.lstsq(H, g, rcond=None)[0])
        return out

    def proba(self, X: np.ndarray) -> np.ndarray:
        return expit(X @ self.beta[:-1] + self.beta[-1])


def _penalty(p: int) -> np.ndarray:
    """The L2 penalty's weight per coefficient of a design with ``p`` features (none on the
    intercept, last)."""
    pen = np.full(p + 1, 1.0 / C)
    pen[p] = 0.0
    return pen


def _design(X: np.ndarray) -> np.ndarray:
    """The encoded features and a last column of ones (the intercept's)."""
    n, p = X.shape
    A = np.empty((n, p + 1))
    A[:, :p] = X
    A[:, p] = 1.0
    return A


def _parts(name: str, y: np.ndarray, t: np.ndarray
           ) -> list[tuple[np.ndarray | None, np.ndarray, np.ndarray | None]]:
    """Each base model of a learner: (its rows, None for all; its target; its sample weights
    or None)."""
    if name == "two_model":
        treated = t == 1
        return [(treated, y, None), (~treated, y, None)]
    z = (y == t).astype(float)  # treated responder or control non-responder
    p = t.mean()
    w = np.where(t == 1, 0.5 / p, 0.5 / (1 - p))
    return [(None, z, w)]


def _rows_of(v: np.ndarray | None, rows: np.ndarray | None) -> np.ndarray | None:
    """``v[rows]`` (a mask; None: all rows) by ``compress``, several times faster than numpy's
    boolean indexing of a matrix."""
    return v if v is None or rows is None else v.compress(rows, axis=0)


class Learner:
    """A learner's base models fitted on the rows given; called on encoded rows, the uplift.
    ``start``: one fitted on overlapping rows, whose models start Newton's method. ``design``:
    ``X``'s design matrix (:func:`_design`), when already made."""

    def __init__(self, name: str, X: np.ndarray, y: np.ndarray, t: np.ndarray,
                 start: Learner | None = None, design: np.ndarray | None = None):
        self.name = name
        A = _design(X) if design is None else design
        self.parts = _parts(name, y, t)
        # each base model's design rows, target and weights: kept for out_of_fold
        self.data = [(_rows_of(A, rows), _rows_of(np.asarray(target, float), rows),
                      _rows_of(w, rows)) for rows, target, w in self.parts]
        starts = start.models if start is not None else (None,) * len(self.parts)
        self.models = tuple(Logit(m0).fit_design(*data) for data, m0 in zip(self.data, starts))

    def _combine(self, probs: list[np.ndarray]) -> np.ndarray:
        return probs[0] - probs[1] if self.name == "two_model" else 2 * probs[0] - 1

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self._combine([m.proba(Z) for m in self.models])

    @property
    def control(self) -> Logit | None:
        """The response model without the campaign (two_model's), reused for p_control."""
        return self.models[1] if self.name == "two_model" else None

    def out_of_fold(self, A: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Each row's uplift from this learner fitted without its fold (:meth:`Logit.held_out`):
        ``A``, the design rows it was fitted on, fold by fold (fold k is rows
        ``bounds[k]:bounds[k + 1]``)."""
        betas = []
        for (rows, _, _), data, m in zip(self.parts, self.data, self.models):
            # each fold's bounds among the model's rows
            inside = bounds if rows is None else np.concatenate(([0], np.cumsum(rows)))[bounds]
            betas.append(m.held_out(*data, inside))
        out = np.zeros(len(A))
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            Ak = A[a:b]
            out[a:b] = self._combine([expit(Ak @ bk[k]) for bk in betas])
        return out


def fit_two_model(X: np.ndarray, y: np.ndarray, t: np.ndarray, start: Any = None) -> Learner:
    """``start``: a learner this function returned on overlapping rows (warm start)."""
    return Learner("two_model", X, y, t, start)


def fit_class_transform(X: np.ndarray, y: np.ndarray, t: np.ndarray, start: Any = None
                        ) -> Learner:
    """``start``: a learner this function returned on overlapping rows (warm start)."""
    return Learner("class_transform", X, y, t, start)


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


def treatment_check(A: np.ndarray, t: np.ndarray, sources: list[str], bounds: np.ndarray,
                    exact: bool = False) -> float:
    """Refuse a treatment the features predict almost perfectly; return the features'
    cross-validated AUC. ``A``: the design rows (:func:`_design`), fold by fold (fold k is rows
    ``bounds[k]:bounds[k + 1]``, dealt in content order: :func:`.rows.deal_folds`).

    First a screen (:func:`_screen_auc`); below :data:`SCREEN_AUC`, as in a randomised test,
    its AUC is the answer. Otherwise the logistic model of who was treated, each fold's one
    Newton step from the fit on every row (:meth:`Logit.held_out`; fitted on the other folds
    when ``exact``), and each feature's own AUC (to refuse it, or name it) when the features
    together tell treated from control better than :data:`NOT_RANDOM_AUC`: a feature that
    alone reaches :data:`CONFOUNDED_AUC` gives the model of all of them about as high a one."""
    if A.shape[1] == 1:  # no features
        return 0.5
    if not exact:
        screen = _screen_auc(A, t, bounds)
        if screen < SCREEN_AUC:
            return screen
    score = np.zeros(len(t))
    if exact:
        for a, b in zip(bounds[:-1], bounds[1:]):
            train = np.r_[0:a, b:len(t)]
            score[a:b] = expit(A[a:b] @ Logit().fit_design(A[train], t[train]).beta)
    else:
        for k, beta in enumerate(Logit().fit_design(A, t).held_out(A, t, None, bounds)):
            a, b = bounds[k], bounds[k + 1]
            score[a:b] = expit(A[a:b] @ beta)
    auc = _auc(t, score)
    if auc < NOT_RANDOM_AUC:
        return auc
    X = A[:, :-1]
    single = np.array([max(a, 1 - a) if np.ptp(X[:, j]) > 0 else 0.5
                       for j, a in enumerate(_auc(t, X))])
    c = sources[int(single.argmax())]
    if single.max() >= CONFOUNDED_AUC:
        raise DataError(f"{{param}} is confounded with {col_label(c)}: that feature alone tells "
                        f"treated from control customers (AUC {single.max():.2f}), so the "
                        "campaign's effect cannot be told from its effect. Uplift needs a "
                        "randomised test: treated and control customers alike in their features.",
                        param="treatment")
    if auc >= CONFOUNDED_AUC:
        raise DataError(f"{{param}} is confounded with the features (they predict who was treated "
                        f"with AUC {auc:.2f}; most of all {col_label(c)}), so the campaign's "
                        "effect cannot be told from theirs. Uplift needs a randomised test.",
                        param="treatment")
    return auc


def _screen_auc(A: np.ndarray, t: np.ndarray, bounds: np.ndarray) -> float:
    """Cross-validated AUC of the first Newton step of the treatment's logistic model from the
    base rate: a ridge regression of the treatment on the features (a linear discriminant),
    solved without each fold exactly by taking the fold's share out of the sums (one pass over
    the rows for every fold), where the logistic model's folds need a fit and a pass each."""
    p = float(t.mean())
    r = t - p
    pen = _penalty(A.shape[1] - 1)
    grams, sums = [], []
    for a, b in zip(bounds[:-1], bounds[1:]):
        grams.append(A[a:b].T @ A[a:b])
        sums.append(A[a:b].T @ r[a:b])
    gram, total = sum(grams), sum(sums)
    score = np.zeros(len(t))
    for a, b, g, v in zip(bounds[:-1], bounds[1:], grams, sums):
        H = p * (1.0 - p) * (gram - g)
        H.flat[::A.shape[1] + 1] += pen
        try:
            step = np.linalg.solve(H, total - v)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, total - v, rcond=None)[0]
        score[a:b] = A[a:b] @ step
    return _auc(t, score)


def _auc(t: np.ndarray, s: np.ndarray) -> Any:
    """ROC AUC of ``s`` for ``t`` (1/0) by the Mann-Whitney rank sum, ties at half: equal to
    scikit-learn's ``roc_auc_score`` at a fraction of its cost. A matrix ``s`` gives each of
    its columns' AUC."""
    pos = np.asarray(t) == 1
    n1 = int(pos.sum())
    n0 = pos.size - n1
    s = np.asarray(s, float)
    if s.ndim == 2:
        return np.array([_auc(t, s[:, j]) for j in range(s.shape[1])])
    o = np.argsort(s)  # tied scores share their average rank: the order among them is moot
    v = s[o]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(v)) + 1))
    ends = np.append(starts[1:], v.size)
    ranks = np.empty(v.size)
    ranks[o] = np.repeat((starts + ends + 1) / 2.0, ends - starts)  # tied ranks averaged
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


# --------------------------------------------------------------------------- fit

def fit(frame: pd.DataFrame, kinds: Mapping[str, str], t: np.ndarray, y: np.ndarray, *,
        model: str = "auto", seed: int = 0, folds: int = FOLDS, exact_cv: bool = False
        ) -> UpliftFit:
    """Uplift per row of ``frame`` with the chosen (or cross-validated best) learner.

    Each learner is fitted once, on every row: that fit is the answer when it is chosen, and
    its cross-validation folds are one Newton step from it (:meth:`Logit.held_out`). With
    ``exact_cv`` each fold is fitted on its training rows instead (about five times the cost;
    for benchmarks that measure the approximation)."""
    t = np.asarray(t, int)
    y = np.asarray(y, int)
    check_groups(y, t)
    enc = FeatureEncoder(scale=True)
    X = enc.fit_transform(frame, kinds, what="data")
    notes = list(enc.notes)
    strata = 2 * t + y
    # The folds are dealt over the cells as read (not X's floats, whose last bits move with
    # the row order) and both labels; the randomisation check uses them too (they are
    # stratified by the treatment among others). The models see the rows fold by fold, each
    # fold in content order: a fold is a slice, and the row order never reaches the sums.
    order = content_order(frame, pd.DataFrame({"s": strata}))
    fold = deal_folds(order, strata, folds, seed)
    # a stable sort of small integers: a radix sort, unlike int64's
    perm = order[np.argsort(fold[order].astype(np.min_scalar_type(folds)), kind="stable")]
    bounds = np.r_[0, np.cumsum(np.bincount(fold, minlength=folds))]
    yp, tp = y[perm], t[perm]
    Ap = _design(X).take(perm, axis=0)  # take: a fraction of fancy indexing's cost
    Xp = Ap[:, :-1]
    with one_thread():
        auc = treatment_check(Ap, tp, _source_columns(enc), bounds, exact_cv)
        if auc > NOT_RANDOM_AUC:
            notes.append(f"The features predict who was treated (AUC {auc:.2f}): the treatment was "
                         "not assigned at random, so the uplift may be biased.")
        tried = LEARNERS if model == "auto" else (model,)
        slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        # each fold's Qini of a perfect ranking (it depends on the outcomes only): once a fold
        yf, tf = yp.astype(float), tp.astype(float)  # converted once for every Qini below
        bases = [_qini_base(yf[k], tf[k]) for k in slices]
        whole = _qini_base(yf, tf)
        fitted, cv_uplift, cv_qini, fold_qini = {}, {}, {}, {}
        for name in tried:
            fitted[name] = learner = Learner(name, Xp, yp, tp, design=Ap)
            if exact_cv:
                oof = np.zeros(len(y))
                for k in slices:
                    train = np.r_[0:k.start, k.stop:len(y)]
                    oof[k] = Learner(name, Xp[train], yp[train], tp[train], learner)(Xp[k])
            else:
                oof = learner.out_of_fold(Ap, bounds)
            cv_qini[name], fold_qini[name] = _cv_qini(yf, oof, tf, bounds, whole, bases)
            cv_uplift[name] = np.empty(len(y))
            cv_uplift[name][perm] = oof  # back in the rows' order
        chosen = _choose(tried, cv_qini, fold_qini)
        scorer = fitted[chosen]
        if chosen == "two_model":  # its control model's probabilities are p_control
            treated, p0 = (m.proba(X) for m in scorer.models)
            uplift = scorer._combine([treated, p0])
        else:
            uplift = scorer(X)
            m0 = fitted["two_model"].control if "two_model" in fitted else None
            if m0 is None:
                control = tp == 0
                m0 = Logit().fit_design(Ap.compress(control, axis=0), yp[control])
            p0 = m0.proba(X)
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

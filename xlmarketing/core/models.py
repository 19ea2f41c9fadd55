"""The classifiers behind every yes/no model: the candidates, how each is built, how "auto" chooses.

Pure scikit-learn: the model core knows nothing of Excel. Every candidate learns from the same
design matrix (:meth:`xlmarketing.core.churn.Prep.transform`: numbers imputed and standardised,
dates as days ago, skewed amounts on a log scale, text one-hot), so explanations compare across
models and one-row scoring costs the same preparation for all of them.

Families, simplest first (the order "auto" uses to break near-ties):

* ``logistic``: ``LogisticRegression`` (newton-cholesky, L2 ``C = 1/regularization``);
* ``tree``: a shallow ``DecisionTreeClassifier`` (depth 4 by default) whose leaves read as rules;
* ``forest``: ``RandomForestClassifier`` (100 trees of depth 10 at most, leaves of 5 customers);
* ``boosting``: ``HistGradientBoostingClassifier`` with scikit-learn's defaults;
* ``svm``: a support vector machine, RBF kernel (``SVC``) up to :data:`SVM_KERNEL_ROWS` training
  rows and a linear one (``LinearSVC``) above, where the kernel's cost grows with the square of
  the rows; probabilities by Platt scaling fitted on 3 internal folds' scores of the full-data
  machine (``CalibratedClassifierCV(ensemble=False)``, monotone in its score, so the ranking and
  AUC are the machine's own);
* ``neural``: a small network (``MLPClassifier``, 32 and 16 hidden units, L2 ``alpha=1e-3``)
  stopped early on a 10% validation split (from :data:`NEURAL_EARLY_ROWS` rows; fewer rows
  train 200 rounds; below :data:`NEURAL_PATIENT_ROWS` it waits 30 rounds without a gain).

SVM and neural joined the ``"auto"`` grid last (issue 32), ranked after the tree and boosting
families, so "auto" takes one only when it beats every simpler candidate clearly. They are the
costliest to cross-validate (the SVM 4 kernel fits per fold, the network up to a few hundred
rounds), so "auto" leaves the SVM out above :data:`AUTO_SVM_ROWS` (4,000) training rows. On
modeldata's mlc_churn (4,000 training rows a fold) "auto" scored the same 5-fold AUC with them
as without them (0.9208) at 1.72 times the CPU time of the grid without them (1.75 times the
wall-clock time; ``benchmarks/bench_churn_families.py``, which runs both grids on the same folds).

``"auto"`` cross-validates a modest grid (:data:`CANDIDATES`: the six families plus two tree
depths and a slower, shallower boosting) on the same folds and keeps the simplest candidate whose
mean fold AUC is within one standard error of the best one's, or within :data:`MIN_GAIN` (0.005)
when that is larger. The standard error is that of the fold-by-fold *difference* (paired folds),
so a richer model has to win clearly and consistently.

Every fit runs with one thread (threadpoolctl): on a busy machine OpenMP and BLAS spin-waits make
small fits many times slower, and one thread gives bit-identical results run after run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.class_weight import compute_sample_weight

from .errors import DataError
from .threads import one_thread

AUTO = "auto"
MAX_ITER = 1000


@dataclass(frozen=True)
class Options:
    """Everything that shapes a fit (one object instead of a thread of keyword arguments)."""

    model: str = "logistic"       # a family, a candidate name, or "auto"
    balanced: bool = False        # weight both outcomes equally
    regularization: float = 1.0   # logistic only: L2 strength (C = 1/regularization)
    seed: int = 0                 # forest and boosting draw random numbers; trees break ties


@dataclass(frozen=True)
class Candidate:
    """One concrete model setting: its name in sheets, its family and how to build it."""

    name: str
    family: str
    build: Callable[[Options, int], Any]     # (options, training rows) -> unfitted estimator


def _weights(opts: Options) -> str | None:
    return "balanced" if opts.balanced else None


def _logistic(opts: Options, n: int) -> Any:
    return LogisticRegression(C=1.0 / opts.regularization, class_weight=_weights(opts),
                              solver="newton-cholesky", max_iter=MAX_ITER)


def _tree(depth: int) -> Callable[[Options, int], Any]:
    def build(opts: Options, n: int) -> Any:
        # Leaves of at least 1% of the customers (5 at least) keep every rule's rate meaningful.
        return DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(5, n // 100),
                                      class_weight=_weights(opts), random_state=opts.seed)
    return build


def _forest(opts: Options, n: int) -> Any:
    # Depth 10 keeps TreeSHAP explanations fast (their cost grows with depth squared) and 100
    # trees keep "auto" (5 folds of every candidate) quick; with leaves of 5 this costs little
    # AUC on marketing data (benchmarks/bench_models.py).
    return RandomForestClassifier(n_estimators=100, max_depth=10, min_samples_leaf=5,
                                  max_features="sqrt",
                                  class_weight=_weights(opts), random_state=opts.seed, n_jobs=1)


def _boosting(opts: Options, n: int) -> Any:
    return HistGradientBoostingClassifier(class_weight=_weights(opts), random_state=opts.seed)


def _boosting_slow(opts: Options, n: int) -> Any:
    return HistGradientBoostingClassifier(learning_rate=0.05, max_iter=300, max_depth=3,
                                          class_weight=_weights(opts), random_state=opts.seed)


#: Training rows above which the SVM is linear: an RBF kernel fit grows with the rows squared
#: (about 2 s at 5,000 rows, four fits with the calibration).
SVM_KERNEL_ROWS = 5000
#: Training rows from which the network holds out 10% to stop early (fewer: 200 rounds).
NEURAL_EARLY_ROWS = 1000
#: Below these training rows, early stopping waits 30 rounds without a gain, not 10: it scores
#: the held-out 10% by accuracy, which barely moves when that split holds a few dozen churners,
#: so 10 rounds stopped it after 11-28 rounds. On mlc_churn subsamples (5-fold AUC, plain
#: scaling): 800 rows 0.58 -> 0.87 with 200 fixed rounds; 1,500 rows 0.58 -> 0.86 and 3,000
#: rows 0.85 -> 0.87 with patience 30; at 5,000 rows patience 10 is as good (0.897 vs 0.895).
NEURAL_PATIENT_ROWS = 4000


def _svm(opts: Options, n: int) -> Any:
    if n <= SVM_KERNEL_ROWS:
        machine = SVC(kernel="rbf", class_weight=_weights(opts), random_state=opts.seed)
    else:
        machine = LinearSVC(class_weight=_weights(opts), random_state=opts.seed)
    return CalibratedClassifierCV(machine, method="sigmoid",
                                  cv=_calibration_folds(SVM_CALIBRATION_FOLDS, opts.seed),
                                  ensemble=False)


def _calibration_folds(n: int, seed: int) -> StratifiedKFold:
    return StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)


#: Folds of the SVM's sigmoid calibration; fewer when the smaller outcome has fewer rows.
SVM_CALIBRATION_FOLDS = 3


def _fit_calibrated(est: CalibratedClassifierCV, X: np.ndarray, y: np.ndarray) -> None:
    # The calibration's folds need each outcome in every fold. A small training set (an outer
    # fold of a tiny table) may hold only one or two of the smaller outcome: two folds for two,
    # and for one the sigmoid is fitted on the machine's own training scores, the only ones there.
    minority = int(np.unique(y, return_counts=True)[1].min())
    if minority >= 2:
        if minority < est.cv.n_splits:
            est.set_params(cv=_calibration_folds(minority, est.cv.random_state))
        est.fit(X, y)
    else:
        machine = clone(est.estimator).fit(X, y)
        every_row = np.arange(len(y))  # one "fold", every row: the frozen machine's own scores
        est.set_params(estimator=FrozenEstimator(machine), cv=[(every_row, every_row)]).fit(X, y)


def _neural(opts: Options, n: int) -> Any:
    early = n >= NEURAL_EARLY_ROWS
    return MLPClassifier(hidden_layer_sizes=(32, 16), alpha=1e-3, max_iter=500 if early else 200,
                         early_stopping=early,
                         n_iter_no_change=30 if n < NEURAL_PATIENT_ROWS else 10,
                         random_state=opts.seed)


#: The "auto" grid, simplest first. The candidate named like its family is what ``model=family``
#: means; the others are the modest tuning "auto" adds.
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("logistic", "logistic", _logistic),
    Candidate("tree (depth 3)", "tree", _tree(3)),
    Candidate("tree", "tree", _tree(4)),
    Candidate("tree (depth 6)", "tree", _tree(6)),
    Candidate("forest", "forest", _forest),
    Candidate("boosting", "boosting", _boosting),
    Candidate("boosting (depth 3, slower)", "boosting", _boosting_slow),
    Candidate("svm", "svm", _svm),
    Candidate("neural", "neural", _neural),
)
#: The families that joined the grid last (issue 32): the costliest to cross-validate, ranked
#: after the tree and boosting families (benchmarks/bench_churn_families.py runs "auto" without
#: them too, to measure what they cost it).
LATE_FAMILIES = ("svm", "neural")
#: Training rows above which "auto" leaves the SVM out of its grid (name it to fit it). Its RBF
#: kernel's cost grows with the rows squared, the others' about linearly: with the SVM, "auto"
#: cost 1.8x the CPU time of the grid without svm and neural on 4,000 generated customers and
#: 2.3x on 5,000 (without it 1.2x; ``bench_churn_families.py --sizes 4000 5000``). Above 6,250
#: rows the SVM is linear and close to the logistic regression already in the grid.
AUTO_SVM_ROWS = 4000
BY_NAME = {c.name: c for c in CANDIDATES}
#: Simplicity rank: auto keeps a lower rank unless a higher one wins clearly.
RANK = {c.name: i for i, c in enumerate(CANDIDATES)}


def auto_grid(n_rows: int) -> list[str]:
    """The candidates "auto" cross-validates on ``n_rows`` training rows, simplest first."""
    return [c.name for c in CANDIDATES if c.family != "svm" or n_rows <= AUTO_SVM_ROWS]


def parse_model(value: str | None) -> str:
    """The canonical model name for a user's text (case and spaces ignored)."""
    if value is None:
        return "logistic"
    v = " ".join(str(value).strip().lower().split())
    if v in ("", "default"):
        return "logistic"
    aliases = {"logit": "logistic", "logistic regression": "logistic", "decision tree": "tree",
               "random forest": "forest", "gradient boosting": "boosting", "gbm": "boosting",
               "support vector machine": "svm", "neural network": "neural", "mlp": "neural",
               "neural net": "neural"}
    v = aliases.get(v, v)
    if v == AUTO or v in BY_NAME:
        return v
    raise DataError(f'{{param}}="{value}" is not a model. Use "logistic" (default), "tree", '
                         '"forest", "boosting", "svm", "neural" or "auto" (cross-validated '
                         'choice).', param="model")


def candidate(name: str) -> Candidate:
    return BY_NAME[name]


def fit_estimator(name: str, X: np.ndarray, y: np.ndarray, opts: Options) -> Any:
    """Build and fit one candidate on a design matrix, single-threaded and quietly."""
    est = BY_NAME[name].build(opts, len(y))
    with warnings.catch_warnings(), one_thread():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if isinstance(est, CalibratedClassifierCV):
            _fit_calibrated(est, X, y)
        elif isinstance(est, MLPClassifier) and opts.balanced:  # it has no class_weight
            est.fit(X, y, sample_weight=compute_sample_weight("balanced", y))
        else:
            est.fit(X, y)
    return est


def positive_proba(est: Any, X: np.ndarray) -> np.ndarray:
    with one_thread():
        return est.predict_proba(X)[:, 1]


#: A richer candidate must beat a simpler one by more than this much mean fold AUC (or one
#: standard error, when that is larger) to be chosen: on a near-tie the simpler model is as good
#: and easier to explain (on modeldata wa_churn, where logistic regression is best, a plain
#: one-standard-error rule picked forest or boosting in 2 of 5 outer folds and lost 0.0009 AUC).
MIN_GAIN = 0.005


def choose(fold_auc: dict[str, np.ndarray], min_gain: float = MIN_GAIN) -> str:
    """The simplest candidate within ``max(one paired standard error, min_gain)`` of the best.

    ``fold_auc`` maps each candidate to its AUC on every fold (the same folds for all); the
    standard error is that of the fold-by-fold difference to the best candidate.
    """
    best = max(fold_auc, key=lambda n: (float(np.mean(fold_auc[n])), -RANK[n]))
    for name in sorted(fold_auc, key=RANK.__getitem__):
        diff = fold_auc[best] - fold_auc[name]
        se = float(np.std(diff, ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0
        if float(np.mean(diff)) <= max(se, min_gain):
            return name
    return best

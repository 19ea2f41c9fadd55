"""CHURN_PROB model="svm" and model="neural" against plain scikit-learn, and auto against logistic.

The churn sets of benchmarks/bench_churn.py (``pip install -e '.[bench]'``): modeldata's
``mlc_churn`` (5,000 telecom customers). Its ``wa_churn`` is IBM's Telco churn, which this
project's benchmarks for these families leave out; pass --all to include it anyway.

5-fold stratified cross-validation (seed 0), the same folds for all. CHURN_PROB gets the training
rows as cells, the labels and the held-out rows as score_data; the baselines are the plain
pipeline of bench_churn.py (one-hot text, median-imputed standardised numbers) with
scikit-learn's SVC (RBF, defaults, ranked by its decision function) and MLPClassifier (defaults).
Goals: svm and neural AUC within 0.005 of the baselines; auto never below logistic by more
than 0.005. Printed: mean fold AUC and fit+score seconds per fold.

``--with-extras`` also runs "auto" with svm and neural added to its grid (``auto+svm+neural``)
and prints its AUC gain and its cost against the plain "auto" (the question of issue 32: include
them only if they pay and auto's cost stays within 2x).

    python benchmarks/bench_churn_families.py [--with-extras]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

from bench_churn import CHURN_PROB, as_cells, datasets, plain_pipeline
from xlmarketing.cache import CACHE
from xlmarketing.core import models as M

EXTRAS = "auto+svm+neural"


def baseline(X, estimator):
    pipe = plain_pipeline(X)
    pipe.steps[-1] = ("model", estimator)
    return pipe


def run(X, y, lab) -> dict[str, tuple[float, float]]:
    auc: dict[str, list[float]] = {}
    secs: dict[str, list[float]] = {}
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        train, score = as_cells(X.iloc[tr]), as_cells(X.iloc[te])
        labels = [["Churn"]] + [[lab[i]] for i in tr]
        models = ("logistic", "auto", "svm", "neural") + ((EXTRAS,) if "--with-extras" in sys.argv
                                                          else ())
        for model in models:
            CACHE.clear()
            grid = M.CANDIDATES
            if model == EXTRAS:  # auto's grid with the two families it leaves out
                M.CANDIDATES = M.CANDIDATES + M.EXTRA
            t0 = time.perf_counter()
            try:
                out = CHURN_PROB(train, labels, score, model="auto" if model == EXTRAS else model)
            finally:
                M.CANDIDATES = grid
            p = [r[0] for r in out[1:]]
            secs.setdefault(model, []).append(time.perf_counter() - t0)
            auc.setdefault(model, []).append(roc_auc_score(y[te], p))
        for name, est, how in (("plain SVC", SVC(), "decision_function"),
                               ("plain MLPClassifier", MLPClassifier(random_state=0), "predict_proba")):
            t0 = time.perf_counter()
            pipe = baseline(X, est).fit(X.iloc[tr], y[tr])
            s = getattr(pipe, how)(X.iloc[te])
            secs.setdefault(name, []).append(time.perf_counter() - t0)
            auc.setdefault(name, []).append(roc_auc_score(y[te], s if s.ndim == 1 else s[:, 1]))
    return {k: (float(np.mean(v)), float(np.median(secs[k]))) for k, v in auc.items()}


def main() -> None:
    for name, X, y, lab in datasets():
        if "wa_churn" in name and "--all" not in sys.argv:
            continue
        r = run(X, y, lab)
        print(name)
        for k, (a, s) in r.items():
            print(f"  {k:22} AUC {a:.4f}   {s:6.2f} s/fold")
        print(f"  svm - plain SVC {r['svm'][0] - r['plain SVC'][0]:+.4f}; neural - plain MLP "
              f"{r['neural'][0] - r['plain MLPClassifier'][0]:+.4f}; auto - logistic "
              f"{r['auto'][0] - r['logistic'][0]:+.4f} (goals: >= -0.005)")
        if EXTRAS in r:
            print(f"  {EXTRAS} - auto {r[EXTRAS][0] - r['auto'][0]:+.4f} AUC; - logistic "
                  f"{r[EXTRAS][0] - r['logistic'][0]:+.4f}; cost {r[EXTRAS][1] / r['auto'][1]:.2f}x "
                  f"auto's (goal <= 2), {r[EXTRAS][1] / r['logistic'][1]:.1f}x logistic's")


if __name__ == "__main__":
    main()

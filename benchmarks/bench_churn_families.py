"""CHURN_PROB model="svm" and model="neural" against plain scikit-learn, and auto against logistic.

The churn sets of benchmarks/bench_churn.py (``pip install -e '.[bench]'``): modeldata's
``mlc_churn`` (5,000 telecom customers). Its ``wa_churn`` is IBM's Telco churn, which this
project's benchmarks for these families leave out; pass --all to include it anyway.

5-fold stratified cross-validation (seed 0), the same folds for all. CHURN_PROB gets the training
rows as cells, the labels and the held-out rows as score_data; the baselines are the plain
pipeline of bench_churn.py (one-hot text, median-imputed standardised numbers) with
scikit-learn's SVC (RBF, defaults, ranked by its decision function) and MLPClassifier (defaults).
Goals: svm and neural AUC within 0.005 of the baselines; auto (whose grid has svm and neural
since issue 32) never below logistic by more than 0.005, and at most 2x the cost of the grid
without them. Printed: mean fold AUC and median fit+score seconds per fold, wall-clock and CPU
(every fit is single-threaded, so CPU seconds hardly move with the machine's load; the cost ratio
is given on both, as the median of per-fold ratios).

``auto (old grid)`` is "auto" without svm and neural (:data:`models.LATE_FAMILIES`), the grid
before issue 32, run on the same folds in the same run for auto's AUC gain and cost ratio;
``--no-old-grid`` skips it.

``--sizes N [N ...]`` instead measures auto's CPU cost against the old grid on N generated
customers (tests/test_churn.py's ``customers``; one cold CHURN_PROB(model="auto") each, with
svm forced in and with the grid auto uses at that size: svm up to ``models.AUTO_SVM_ROWS``
training rows), the evidence for that limit.

    python benchmarks/bench_churn_families.py [--no-old-grid] [--all]
    python benchmarks/bench_churn_families.py --sizes 3000 4000 5000 6250
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

from bench_churn import CHURN_PROB, as_cells, datasets, plain_pipeline
from xlmarketing.cache import CACHE
from xlmarketing.core import models as M

OLD = "auto (old grid)"


def baseline(X, estimator):
    pipe = plain_pipeline(X)
    pipe.steps[-1] = ("model", estimator)
    return pipe


def run(X, y, lab) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    auc: dict[str, list[float]] = {}
    secs: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    grid = M.CANDIDATES
    old_grid = tuple(c for c in grid if c.family not in M.LATE_FAMILIES)
    models = ("logistic", "auto", "svm", "neural") + (() if "--no-old-grid" in sys.argv else (OLD,))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        train, score = as_cells(X.iloc[tr]), as_cells(X.iloc[te])
        labels = [["Churn"]] + [[lab[i]] for i in tr]
        for model in models:
            CACHE.clear()
            if model == OLD:  # auto's grid before svm and neural joined it
                M.CANDIDATES = old_grid
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                out = CHURN_PROB(train, labels, score, model="auto" if model == OLD else model)
            finally:
                M.CANDIDATES = grid
            p = [r[0] for r in out[1:]]
            secs.setdefault(model, []).append(time.perf_counter() - t0)
            cpu.setdefault(model, []).append(time.process_time() - c0)
            auc.setdefault(model, []).append(roc_auc_score(y[te], p))
        for name, est, how in (("plain SVC", SVC(), "decision_function"),
                               ("plain MLPClassifier", MLPClassifier(random_state=0), "predict_proba")):
            t0, c0 = time.perf_counter(), time.process_time()
            pipe = baseline(X, est).fit(X.iloc[tr], y[tr])
            s = getattr(pipe, how)(X.iloc[te])
            secs.setdefault(name, []).append(time.perf_counter() - t0)
            cpu.setdefault(name, []).append(time.process_time() - c0)
            auc.setdefault(name, []).append(roc_auc_score(y[te], s if s.ndim == 1 else s[:, 1]))
    return auc, secs, cpu


def cpu_seconds(rows, labels) -> float:
    CACHE.clear()
    c0 = time.process_time()
    CHURN_PROB(rows, labels, model="auto")
    return time.process_time() - c0


def sizes(ns: list[int]) -> None:
    from tests.test_churn import customers

    grid, limit = M.CANDIDATES, M.AUTO_SVM_ROWS
    old_grid = tuple(c for c in grid if c.family not in M.LATE_FAMILIES)
    print("generated customers: auto's CPU seconds (one cold CHURN_PROB), ratio to the old grid")
    for n in ns:
        rows, labels, _ = customers(n, seed=0)
        try:
            M.CANDIDATES = old_grid
            old = cpu_seconds(rows, labels)
            M.CANDIDATES, M.AUTO_SVM_ROWS = grid, 10**9
            forced = cpu_seconds(rows, labels)
            M.AUTO_SVM_ROWS = limit
            used = cpu_seconds(rows, labels)
        finally:
            M.CANDIDATES, M.AUTO_SVM_ROWS = grid, limit
        svm = "with svm" if n <= limit else "without svm"
        print(f"  {n:6,} rows: old grid {old:6.1f} s; svm forced in {forced:6.1f} s = {forced / old:.2f}x; "
              f"auto's grid ({svm}) {used:6.1f} s = {used / old:.2f}x (goal <= 2)")


def main() -> None:
    warnings.simplefilter("ignore", ConvergenceWarning)  # plain MLPClassifier's 200 rounds
    if "--sizes" in sys.argv:
        sizes([int(a) for a in sys.argv[sys.argv.index("--sizes") + 1:]])
        return
    for name, X, y, lab in datasets():
        if "wa_churn" in name and "--all" not in sys.argv:
            continue
        auc, secs, cpu = run(X, y, lab)
        r = {k: (float(np.mean(v)), float(np.median(secs[k]))) for k, v in auc.items()}
        print(name)
        for k, (a, s) in r.items():
            print(f"  {k:22} AUC {a:.4f}   {s:6.2f} s/fold   {np.median(cpu[k]):6.2f} CPU s/fold")
        print(f"  svm - plain SVC {r['svm'][0] - r['plain SVC'][0]:+.4f}; neural - plain MLP "
              f"{r['neural'][0] - r['plain MLPClassifier'][0]:+.4f}; auto - logistic "
              f"{r['auto'][0] - r['logistic'][0]:+.4f} (goals: >= -0.005)")
        if OLD in r:  # per-fold ratios (the two ran on the same fold), their median
            print(f"  auto - {OLD} {r['auto'][0] - r[OLD][0]:+.4f} AUC (goal: >= 0)")
            for what, t in (("CPU", cpu), ("wall-clock", secs)):
                ratios = np.asarray(t["auto"]) / np.asarray(t[OLD])
                print(f"  auto's {what} cost {np.median(ratios):.2f}x the old grid's (goal <= 2; "
                      f"per fold {', '.join(f'{q:.2f}' for q in ratios)}), "
                      f"{np.median(t['auto']) / np.median(t['logistic']):.0f}x logistic's")


if __name__ == "__main__":
    main()

"""Replays "auto"'s choice with and without the 0.005 minimum gain (core.models.MIN_GAIN).

Same outer 5 folds as bench_models.py; on each training part every candidate is cross-validated
(core.compare), the choice is made with min_gain 0 (the plain one-standard-error rule) and
0.005, the chosen model is fitted and scored on the held-out part.

    python benchmarks/bench_auto_rule.py [mlc_churn wa_churn Cracker Yogurt]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_models import as_cells, datasets  # noqa: E402

from xlmarketing.cells import read_table  # noqa: E402
from xlmarketing.core import churn as C  # noqa: E402
from xlmarketing.core import models as M  # noqa: E402


def main() -> None:
    for name, X, y in datasets(sys.argv[1:] or None):
        t = read_table(as_cells(X), name="d")
        y = y.astype(int)
        res: dict[float, list[tuple[str, float]]] = {0.0: [], M.MIN_GAIN: []}
        logistic = []
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
            f_tr = t.frame.iloc[tr].reset_index(drop=True)
            f_te = t.frame.iloc[te].reset_index(drop=True)
            comp = C.compare(f_tr, t.kinds, y[tr])
            fold_auc = {n: r.fold_auc for n, r in comp.results.items()}
            for gain in res:
                pick = M.choose(fold_auc, gain)
                m = C.fit(f_tr, t.kinds, y[tr], M.Options(model=pick))
                res[gain].append((pick, roc_auc_score(y[te], m.predict_proba(f_te))))
            m = C.fit(f_tr, t.kinds, y[tr], M.Options(model="logistic"))
            logistic.append(roc_auc_score(y[te], m.predict_proba(f_te)))
        print(f"{name}: logistic {np.mean(logistic):.4f}")
        for gain, r in res.items():
            print(f"  auto, min_gain {gain}: {np.mean([a for _, a in r]):.4f}, picks "
                  f"{[p for p, _ in r]}", flush=True)


if __name__ == "__main__":
    main()

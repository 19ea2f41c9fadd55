"""TreeSHAP speed: xlmarketing.core.treeshap (numpy) against shap's TreeExplainer (C), same run.

Data: 5,000 rows x 10 standard-normal features, a yes/no outcome with an interaction. Models,
as core.models fits them: ``forest`` (100 trees, depth <= 10, leaves >= 5) and ``boosting``
(HistGradientBoosting, scikit-learn's defaults). For each, the SHAP values of all 5,000 rows
(explainer built inside the timing, as a cold CHURN_REASONS call does) and of one row (explainer
built before: the fill-down case), medians of interleaved repeats, wall and this process's CPU
time; printed with the ratio ours / shap (below 1: ours is faster) and the largest difference.

    python benchmarks/bench_treeshap.py [--repeats 3] [--rows 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xlmarketing.core import models as M  # noqa: E402
from xlmarketing.core import treeshap  # noqa: E402


def data(n: int, p: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + 0.5 * X[:, 3] + rng.normal(size=n) > 0).astype(int)
    return X, y


def timed(fn) -> tuple[float, float, object]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def positive(sv) -> np.ndarray:
    sv = np.asarray(sv)
    return sv[:, :, 1] if sv.ndim == 3 else sv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rows", type=int, default=5000)
    args = ap.parse_args()
    import shap

    X, y = data(args.rows)
    print(f"{args.rows} rows x {X.shape[1]} features; medians of {args.repeats} interleaved runs")
    print(f"{'model':10} {'case':9} {'shap s':>8} {'ours s':>8} {'ratio':>6} "
          f"{'shap cpu':>8} {'ours cpu':>8} {'ratio':>6} {'max diff':>9}")
    for name in ("forest", "boosting"):
        est = M.fit_estimator(name, X, y, M.Options(model=name))
        mine_ex, theirs_ex = treeshap.explainer(est), shap.TreeExplainer(est)
        cases = {
            "all rows": (lambda e=est: treeshap.explainer(e).shap_values(X),
                         lambda e=est: shap.TreeExplainer(e).shap_values(X, check_additivity=False)),
            "one row": (lambda m=mine_ex: m.shap_values(X[:1]),
                        lambda t=theirs_ex: t.shap_values(X[:1], check_additivity=False)),
        }
        for case, (ours, theirs) in cases.items():
            t = {"ours": [], "shap": []}
            out = {}
            for _ in range(args.repeats):
                for who, fn in (("shap", theirs), ("ours", ours)):
                    w, c, out[who] = timed(fn)
                    t[who].append((w, c))
            med = {k: (statistics.median(a for a, _ in v), statistics.median(b for _, b in v))
                   for k, v in t.items()}
            diff = np.abs(out["ours"] - positive(out["shap"])).max()
            print(f"{name:10} {case:9} {med['shap'][0]:8.3f} {med['ours'][0]:8.3f} "
                  f"{med['ours'][0] / med['shap'][0]:6.2f} {med['shap'][1]:8.3f} "
                  f"{med['ours'][1]:8.3f} {med['ours'][1] / med['shap'][1]:6.2f} {diff:9.1e}")


if __name__ == "__main__":
    main()

"""Uplift benchmark: UPLIFT_SCORE's learners against scikit-uplift's TwoModels and
ClassTransformation (``pip install scikit-uplift``; in the test and bench extras).

Data: ``xlmarketing.experiment_samples.uplift_customers``, a generated coupon campaign whose
true incremental probability per customer is known (persuadables, sure things, lost causes and
do-not-disturbs driven by orders, region, email opens, complaints and age). Scenarios: 2,000,
5,000 and 20,000 customers, treated share 50% and 30%; each run trains on 70% and measures on
the other 30% (seeded split):

* correlation (Pearson) of the predicted uplift with the true one, and
* the Qini coefficient (scikit-uplift's ``qini_auc_score``) of the predictions with the observed
  outcomes.

Every learner uses the same base model (logistic regression with scikit-learn's
``LogisticRegression(C=1)`` objective; ours fits it by Newton's method, the peers by
scikit-learn's L-BFGS) on the same encoded features (``FeatureEncoder``, as UPLIFT_SCORE encodes
them; the peers' time includes that encoding). Ours also checks the treatment's randomisation
(a cross-validated model of who was treated) and cross-validates its learners (5 folds, dealt
by the rows' content so row order changes nothing; each fold one Newton step from the fit on
every row), which "auto" needs to choose and UPLIFT_QINI reports; its time includes all of it.
The third peer, "sklift CV choice", is what a scikit-uplift user does to get what "auto" gives:
it picks TwoModels or ClassTransformation by 5-fold cross-validated Qini and refits the pick
(:func:`peer_choice`); "auto" is compared for cost with it as well as with each learner alone.
Every learner runs on one thread (ours limits BLAS to one; the peers run under the same limit
here, so a loaded machine's thread contention does not skew the comparison). Printed: medians
over runs per scenario, with each learner's time over each peer's (the median of the per-run
ratios, same runs); then the medians over scenarios: each learner's corr and Qini over the
best peer's (goal: >= 1, at least as good) and its time over each peer's (median over
scenarios, and the highest scenario's in brackets; goal: auto about 1x the best peer).

    python benchmarks/bench_uplift.py            # 10 runs per scenario
    python benchmarks/bench_uplift.py --quick    # 3 runs, the two smaller sizes
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from xlmarketing import experiment_samples as S
from xlmarketing.cells import CATEGORY, NUMBER
from xlmarketing.core import uplift as U
from xlmarketing.core.features import FeatureEncoder

FEATURES = ["Age", "Region", "Orders (12 months)", "Days since last order",
            "Email opens (90 days)", "Complaints"]


def one_run(n: int, share: float, seed: int) -> dict[str, tuple[float, float, float]]:
    from sklift.metrics import qini_auc_score
    from sklift.models import ClassTransformation, TwoModels

    d = S.uplift_customers(n, seed=seed, treated_share=share)
    t = (d["Treatment"] == "Coupon").to_numpy(int)
    y = (d["Bought"] == "Yes").to_numpy(int)
    truth = d["uplift_truth"].to_numpy()
    frame = d[FEATURES].copy()
    kinds = {c: (CATEGORY if c == "Region" else NUMBER) for c in FEATURES}
    frame["Region"] = frame["Region"].astype(str)
    for c in FEATURES:
        if kinds[c] == NUMBER:
            frame[c] = frame[c].astype(float)
    rng = np.random.default_rng(seed)
    test = rng.random(n) < 0.3
    tr, te = frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)
    out: dict[str, tuple[float, float, float]] = {}

    def score(name: str, pred: np.ndarray, secs: float) -> None:
        out[name] = (float(np.corrcoef(pred, truth[test])[0, 1]),
                     float(qini_auc_score(y[test], pred, t[test])), secs)

    for model in ("auto", "two_model", "class_transform"):
        t0 = time.perf_counter()
        f = U.fit(tr, kinds, t[~test], y[~test], model=model, seed=seed)
        pred = f.predict(te)
        score(f"ours {model}", pred, time.perf_counter() - t0)
    enc = FeatureEncoder(scale=True)
    t0 = time.perf_counter()
    Xtr = enc.fit_transform(tr, kinds)
    Xte = enc.transform(te)
    enc_secs = time.perf_counter() - t0
    peers = {
        "sklift TwoModels": TwoModels(LogisticRegression(C=1.0, max_iter=1000),
                                      LogisticRegression(C=1.0, max_iter=1000), method="vanilla"),
        "sklift ClassTransformation": ClassTransformation(LogisticRegression(C=1.0, max_iter=1000)),
    }
    for name, m in peers.items():
        with threadpool_limits(1):
            t0 = time.perf_counter()
            m.fit(Xtr, y[~test], t[~test])
            pred = m.predict(Xte)
            secs = time.perf_counter() - t0 + enc_secs
        score(name, pred, secs)
    with threadpool_limits(1):
        t0 = time.perf_counter()
        pred = peer_choice(peers, Xtr, y[~test], t[~test], seed).predict(Xte)
        score("sklift CV choice", pred, time.perf_counter() - t0 + enc_secs)
    return out


def peer_choice(peers: dict, X: np.ndarray, y: np.ndarray, t: np.ndarray, seed: int) -> object:
    """What a scikit-uplift user does to pick between its learners on their data, as "auto"
    does: the learner with the higher 5-fold cross-validated Qini coefficient (folds
    stratified by treatment and outcome), refitted on every row."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold
    from sklift.metrics import qini_auc_score

    folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(X, 2 * t + y)
    qini = {name: [] for name in peers}
    for tr, te in folds:
        for name, m in peers.items():
            f = clone(m).fit(X[tr], y[tr], t[tr])
            qini[name].append(qini_auc_score(y[te], f.predict(X[te]), t[te]))
    best = max(peers, key=lambda name: float(np.mean(qini[name])))
    return clone(peers[best]).fit(X, y, t)


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 runs, 2,000 and 5,000 customers")
    ap.add_argument("--runs", type=int, default=None)
    args = ap.parse_args()
    runs = args.runs or (3 if args.quick else 10)
    sizes = (2000, 5000) if args.quick else (2000, 5000, 20000)
    t_all = time.perf_counter()
    agg: dict[str, dict[str, list[float]]] = {}
    for n in sizes:
        for share in (0.5, 0.3):
            res: dict[str, list[tuple[float, float, float]]] = {}
            for r in range(runs):
                for name, v in one_run(n, share, seed=100 * r + n % 97).items():
                    res.setdefault(name, []).append(v)
            peers = [p for p in res if p.startswith("sklift")]
            short = {p: p.split()[-1] for p in peers}
            print(f"\n{n:,} customers, {share:.0%} treated, {runs} runs (medians)")
            print(f"  {'learner':<28}{'corr':>8}{'Qini':>8}{'seconds':>9}"
                  + "".join(f"{'/' + short[p]:>21}" for p in peers))
            for name, vals in res.items():
                c, q, s = (statistics.median(x) for x in zip(*vals))
                ratios = {p: statistics.median(v[2] / w[2] for v, w in zip(vals, res[p]))
                          for p in peers}
                print(f"  {name:<28}{c:>8.3f}{q:>8.3f}{s:>9.3f}"
                      + "".join(f"{ratios[p]:>20.2f}x" for p in peers))
                a = agg.setdefault(name, {"corr": [], "qini": [], "secs": []})
                a["corr"].append(c)
                a["qini"].append(q)
                a["secs"].append(s)
                for p in peers:
                    a.setdefault(p, []).append(ratios[p])
    peers = [p for p in agg if p.startswith("sklift")]
    print("\nMedian over scenarios: corr and Qini over the best sklift learner's (goal >= 1); "
          "time over each peer's in the same runs (highest scenario's in brackets)")
    best_c = max(statistics.median(agg[p]["corr"]) for p in peers)
    best_q = max(statistics.median(agg[p]["qini"]) for p in peers)
    for name, a in agg.items():
        c, q, s = (statistics.median(a[k]) for k in ("corr", "qini", "secs"))
        cost = "  ".join(f"{statistics.median(a[p]):.2f}x {p.split()[-1]} ({max(a[p]):.2f}x)"
                         for p in peers)
        print(f"  {name:<28} corr {c:.3f} ({c / best_c:.3f}x)  Qini {q:.3f} ({q / best_q:.3f}x)  "
              f"{s:.3f} s  {cost}")
    print(f"{time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()

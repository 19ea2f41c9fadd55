"""How UPLIFT_SCORE's ``auto`` chooses between its learners, on tuning scenarios apart from
bench_uplift.py's (other seeds, other sizes and a second generator): the choice rule was picked
here, then bench_uplift.py reported.

Two families, trained on 70% of the customers and measured on the other 30% against the true
per-customer effect (Pearson correlation) and the observed outcomes (Qini coefficient):

* coupon campaigns (``experiment_samples.uplift_customers``), 1,000-5,000 customers, 20%, 30%
  or 50% treated, 12 seeds each (10000 and up; the benchmark's are below 1,000);
* a probability-additive campaign that favours the class transformation: five normal features,
  a strong nonlinear baseline (logit 1.5 or 3 x2 + x3^2/2) and a coupon that adds
  0.12 tanh(x1) to the probability; 2,000 or 5,000 customers, 30% or 50% treated, 10 seeds each.

For each rule on the same cross-validated Qinis: the mean correlation and Qini of the learner
it picks, and how often it leaves two_model (and how often rightly: class_transform closer to
the true effect). Rules: one paired standard error (the earlier one), the one-sided 5% t-test
(now :func:`xlmarketing.core.uplift._choose`), the higher CV Qini, each learner always, and the
oracle by correlation.

    python benchmarks/tune_uplift_choice.py            # about 3 minutes on one core
    python benchmarks/tune_uplift_choice.py --quick    # a third of the seeds
    python benchmarks/tune_uplift_choice.py --exact-cv # folds fitted exactly (not one step)
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

from xlmarketing import experiment_samples as S
from xlmarketing.cells import CATEGORY, NUMBER
from xlmarketing.core import uplift as U
from xlmarketing.core.features import FeatureEncoder

FEATURES = ["Age", "Region", "Orders (12 months)", "Days since last order",
            "Email opens (90 days)", "Complaints"]
CT, TWO = "class_transform", "two_model"


def coupon(n: int, seed: int, share: float):
    d = S.uplift_customers(n, seed=seed, treated_share=share)
    frame = d[FEATURES].copy()
    frame["Region"] = frame["Region"].astype(str)
    kinds = {c: (CATEGORY if c == "Region" else NUMBER) for c in FEATURES}
    for c in FEATURES:
        if kinds[c] == NUMBER:
            frame[c] = frame[c].astype(float)
    return (frame, kinds, (d["Treatment"] == "Coupon").to_numpy(int),
            (d["Bought"] == "Yes").to_numpy(int), d["uplift_truth"].to_numpy())


def additive(n: int, seed: int, share: float, strength: float):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    p0 = 1 / (1 + np.exp(-(strength * X[:, 1] + strength * X[:, 2] ** 2 / 2 - 0.5)))
    p1 = np.clip(p0 + 0.12 * np.tanh(X[:, 0]), 0, 1)
    t = (rng.random(n) < share).astype(int)
    y = (rng.random(n) < np.where(t == 1, p1, p0)).astype(int)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    return frame, {c: NUMBER for c in frame}, t, y, p1 - p0


EXACT_CV = False  # --exact-cv: every fold fitted on its training rows (not one Newton step)


def one(data, seed: int) -> dict:
    from sklift.metrics import qini_auc_score

    frame, kinds, t, y, truth = data
    seen = {}
    choose = U._choose

    def spy(tried, cv_qini, fold_qini):
        seen.update(cv=dict(cv_qini), fold={k: v.copy() for k, v in fold_qini.items()})
        return choose(tried, cv_qini, fold_qini)

    test = np.random.default_rng(seed).random(len(t)) < 0.3
    tr, te = frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)
    U._choose = spy
    try:
        U.fit(tr, kinds, t[~test], y[~test], model="auto", seed=seed, exact_cv=EXACT_CV)
    finally:
        U._choose = choose
    enc = FeatureEncoder(scale=True)
    Xtr, Xte = enc.fit_transform(tr, kinds), enc.transform(te)
    res = {}
    for name in U.LEARNERS:
        p = U.FITTERS[name](Xtr, y[~test], t[~test])(Xte)
        res[name] = (float(np.corrcoef(p, truth[test])[0, 1]),
                     float(qini_auc_score(y[test], p, t[test])))
    return {**seen, "res": res}


def one_se(r: dict) -> str:
    d = r["fold"][CT] - r["fold"][TWO]
    se = d.std(ddof=1) / np.sqrt(len(d))
    return CT if r["cv"][CT] > r["cv"][TWO] and d.mean() > se else TWO


RULES = {
    "one paired SE (before)": one_se,
    "one-sided 5% t (now)": lambda r: U._choose(U.LEARNERS, r["cv"], r["fold"]),
    "higher CV Qini": lambda r: CT if r["cv"][CT] > r["cv"][TWO] else TWO,
    "always two_model": lambda r: TWO,
    "always class_transform": lambda r: CT,
    "oracle (correlation)": lambda r: max(U.LEARNERS, key=lambda k: r["res"][k][0]),
}


def report(title: str, rows: list[dict]) -> None:
    print(f"\n{title}: {len(rows)} scenarios")
    print(f"  {'rule':<25}{'corr':>8}{'Qini':>8}{'to CT':>7}{'rightly':>9}")
    for name, rule in RULES.items():
        pick = [rule(r) for r in rows]
        corr = np.mean([r["res"][p][0] for r, p in zip(rows, pick)])
        qini = np.mean([r["res"][p][1] for r, p in zip(rows, pick)])
        ct = [r for r, p in zip(rows, pick) if p == CT]
        right = sum(r["res"][CT][0] > r["res"][TWO][0] for r in ct)
        print(f"  {name:<25}{corr:>8.4f}{qini:>8.4f}{len(ct):>7}{right:>9}")


def main() -> None:
    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a third of the seeds")
    ap.add_argument("--exact-cv", action="store_true",
                    help="fit every fold on its training rows instead of one Newton step")
    args = ap.parse_args()
    global EXACT_CV
    EXACT_CV = args.exact_cv
    k1, k2 = (4, 4) if args.quick else (12, 10)
    rows = []
    for n in (1000, 2000, 3000, 5000):
        for share in (0.2, 0.3, 0.5):
            for r in range(k1):
                seed = 10000 + 37 * r + n + int(share * 10)
                rows.append(one(coupon(n, seed, share), seed))
    report("Coupon campaigns (uplift_customers)", rows)
    rows = []
    for n in (2000, 5000):
        for share in (0.3, 0.5):
            for strength in (1.5, 3.0):
                for r in range(k2):
                    seed = 20000 + 41 * r + n + int(share * 10) + int(strength * 100)
                    rows.append(one(additive(n, seed, share, strength), seed))
    report("Probability-additive campaigns", rows)


if __name__ == "__main__":
    main()

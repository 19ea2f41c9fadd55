"""TEXT_CLASSIFY and SENTIMENT against the plain library scripts, in one run.

1. Per labelled set (benchmarks/text_data.py: reviews, incident and breach reports, titles, item
   names, classification notes; 2 to 47 classes; TUNING and VALIDATION pools): 5-fold
   stratified CV accuracy of TEXT_CLASSIFY's model (its text preparation chosen inside each
   fold) against the plain script ``TfidfVectorizer(ngram_range=(1, 2), min_df=2,
   sublinear_tf=True)`` + ``LogisticRegression()``, same folds (goal: >= plain - 0.005 on every
   set), the preparation chosen on all the texts, and the time of one fit and prediction of all
   the texts against the plain script's (goal <= 2), medians.
2. Speed at scale: TEXT_CLASSIFY on 10,000 reviews (cells in, one prediction per row out)
   against the plain script fitting and predicting the same texts (goal <= 2), medians.
3. SENTIMENT: agreement with ``vaderSentiment`` called directly (goal 100%) and the time ratio.

Not used: the dslabs and trump tweets, kept apart for an independent check.

    python benchmarks/bench_text.py [--repeats 3] [--sets-only | --no-sets]
"""

from __future__ import annotations

import argparse
import os
import statistics
import warnings

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from xlmarketing.cache import CACHE
from xlmarketing.core import text as core
from xlmarketing.functions import REGISTRY
from _common import timed  # noqa: E402
from text_data import SETS, TUNING, load  # noqa: E402


def plain() -> object:
    """The plain script: word 1-2-grams seen twice, sublinear TF-IDF, a default regression."""
    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                         LogisticRegression(max_iter=1000))


def cv_scores(X: list[str], y: list[str]) -> dict[str, tuple[float, float]]:
    Xa, ya = np.asarray(X, dtype=object), np.asarray(y, dtype=object)
    pred = {"plain": np.empty(len(y), dtype=object), "TEXT_CLASSIFY": np.empty(len(y), dtype=object)}
    with threadpool_limits(1):
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(Xa, ya):
            pred["plain"][te] = plain().fit(list(Xa[tr]), list(ya[tr])).predict(list(Xa[te]))
            model = core.fit_classifier(list(Xa[tr]), list(ya[tr]))
            pred["TEXT_CLASSIFY"][te] = model.predict(list(Xa[te]))[0]
    return {k: (accuracy_score(ya, p), f1_score(ya, p, average="macro")) for k, p in pred.items()}


def fit_times(X: list[str], y: list[str], repeats: int) -> tuple[float, float]:
    """Median seconds of one fit and prediction of all the texts: ours, plain (one thread each)."""
    ours, base = [], []
    with threadpool_limits(1):
        for _ in range(repeats):
            ours.append(timed(lambda: core.fit_classifier(X, y).predict(X)))
            base.append(timed(lambda: plain().fit(X, y).predict_proba(X)))
    return statistics.median(ours), statistics.median(base)


def per_set(repeats: int) -> None:
    print(f"{'data':<33} {'pool':<4} {'texts':>5} {'cls':>3} {'plain':>6} {'ours':>6} {'diff':>6} "
          f"{'time':>5}  preparation chosen on all the texts")
    rows = []
    for spec in SETS:
        X, y = load(spec)
        sc = cv_scores(X, y)
        t_ours, t_plain = fit_times(X, y, repeats)
        prep = core.fit_classifier(X, y).preparation
        pool = "T" if spec.name in TUNING else "V"
        diff = sc["TEXT_CLASSIFY"][0] - sc["plain"][0]
        rows.append((pool, diff, t_ours / t_plain))
        print(f"{spec.name:<33} {pool:<4} {len(X):>5} {len(set(y)):>3} {sc['plain'][0]:6.3f} "
              f"{sc['TEXT_CLASSIFY'][0]:6.3f} {diff:+6.3f} {t_ours / t_plain:5.2f}  "
              f"{'chars, ' if prep.characters else ''}links {prep.links}, C={prep.C:g}", flush=True)
    print(f"  load average at the end: {os.getloadavg()[0]:.1f} (1 min)")
    for pool, keep in (("TUNING", "T"), ("VALIDATION", "V"), ("all", "TV")):
        d = np.array([r[1] for r in rows if r[0] in keep])
        t = np.array([r[2] for r in rows if r[0] in keep])
        print(f"  {pool:<10}: {int((d >= -0.005).sum())} of {len(d)} sets within 0.005 of plain or "
              f"better (min {d.min():+.3f}, mean {d.mean():+.3f}); time ratio median "
              f"{np.median(t):.2f}, max {t.max():.2f} (goal <= 2)")



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sets-only", action="store_true")
    ap.add_argument("--no-sets", action="store_true", help="only parts 2 and 3")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    print(f"load average at the start: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cores")
    if not a.no_sets:
        per_set(a.repeats)
    if a.sets_only:
        return
    X, y = load(SETS[0])  # the fine-food reviews

    X2, y2 = X + X[::-1], y + y[::-1]            # 10,000 texts
    cells_x, cells_y = [[t] for t in X2], [[v] for v in y2]
    ours, base = [], []
    for _ in range(a.repeats):
        CACHE.clear()
        ours.append(timed(lambda: REGISTRY["TEXT_CLASSIFY"](cells_x, cells_y)))
        with threadpool_limits(1):
            base.append(timed(lambda: plain().fit(X2, y2).predict_proba(X2)))
    med = statistics.median
    print(f"10,000 reviews, fit and predict, medians of {a.repeats}: TEXT_CLASSIFY "
          f"{med(ours):.2f} s, plain {med(base):.2f} s, ratio {med(ours) / med(base):.2f} "
          "(goal <= 2)")

    vader = SentimentIntensityAnalyzer()
    # SENTIMENT refuses texts in other languages (a few reviews are Italian, French...): the
    # first 2,000 it accepts.
    sample = [t for t in X[:2200] if core._not_english([t]) is None][:2000]
    direct, mine = [], []
    for _ in range(a.repeats):
        CACHE.clear()
        direct.append(timed(lambda: [vader.polarity_scores(t)["compound"] for t in sample]))
        mine.append(timed(lambda: REGISTRY["SENTIMENT"]([[t] for t in sample])))
    ref = [round(vader.polarity_scores(t)["compound"], 4) for t in sample]
    got = [r[0] for r in REGISTRY["SENTIMENT"]([[t] for t in sample])]
    same = np.array([abs(a_ - b) < 1e-9 for a_, b in zip(ref, got)])
    marked = np.array(["<" in t or "http" in t or "www." in t for t in sample])
    print(f"SENTIMENT on 2,000 reviews: agreement with vaderSentiment {same[~marked].mean():.1%} "
          f"on the {(~marked).sum():,} texts without HTML or links, {same.mean():.1%} overall "
          f"(SENTIMENT drops tags and links first); time ratio {med(mine) / med(direct):.2f}")


if __name__ == "__main__":
    main()

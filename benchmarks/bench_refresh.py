"""The headless refresh against its floors, all ratios from one run (issue 10's goals).

1. ``xlmarketing refresh`` of a 10,000-row workbook with ordinary dependents, run as a user
   runs it (a new process each time, start-up included), against the floor: openpyxl load +
   save of the same file plus the models' own fit time (the registry functions called directly
   on the same values, empty cache) plus the start-up any new process doing those fits pays
   (starting Python and importing the called functions' modules, so numpy, pandas and
   scikit-learn: a new process of its own). Goal <= 1.2. The ratio to the warm floor (fits in
   a process that has imported scikit-learn already) is printed beside it: only a long-lived
   worker could meet 1.2 on that one.
2. A no-op refresh (a workbook with no formula of ours) through the command, against openpyxl
   load + save of the same file. Goal <= 0.2.
3. Time per row of a 200,000-row refresh against a 10,000-row one (in-process). Goal <= 1.5.
4. Peak memory of a 100,000-row refresh against openpyxl's own load of the file. Goal <= 1.5.

Medians of interleaved repeats. Run: python benchmarks/bench_refresh.py [--rows 10000]
[--scale 200000] [--big 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from openpyxl.worksheet.table import Table

import _common
from _common import floor_start_up

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
    return [("A1", "=KMEANS_SEGMENT(Customers[[#All],[Spend]:[Channel]], 4)"),
            ("C1", f"=SEGMENT_PROFILE(Data!A1:D{last}, 4)"),
            # SEGMENT_PROFILE spills 9 columns (C:K); each result gets room to its right.
            ("M1", f"=CHURN_PROB(Data!A1:D{last}, Data!E1:E{last})"),
            ("O1", "=SALES_FORECAST(Sales!A1:B157, 12)"),
            ("Y1", f"=AVERAGE(A2:A{last})"), ("Y2", f"=COUNTIF(A2:A{last},1)")]


def _data_workbook(n: int) -> tuple[openpyxl.Workbook, object]:
    """A workbook whose Data sheet holds the n customers (header row first)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(HEADER)
    for r in data(n):
        ws.append(r)
    return wb, ws


def build(path: Path, n: int) -> None:
    wb, ws = _data_workbook(n)
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
    REGISTRY["CHURN_PROB"]([r[:4] for r in rows], [[r[4]] for r in rows])
    REGISTRY["SALES_FORECAST"](sales(), 12.0)
    return time.perf_counter() - t


def build_plain(path: Path, n: int) -> None:
    """The same data and ordinary formulas, no formula of ours (the no-op case)."""
    wb, _ = _data_workbook(n)
    rep = wb.create_sheet("Report")
    rep["A1"] = f"=AVERAGE(Data!A2:A{n + 1})"
    rep["A2"] = f"=COUNTIF(Data!E2:E{n + 1},1)"
    wb.save(path)


def load_save(src: Path, dst: Path) -> float:
    t = time.perf_counter()
    openpyxl.load_workbook(src).save(dst)
    return time.perf_counter() - t


def command(src: Path, dst: Path) -> float:
    """``xlmarketing refresh SRC -o DST`` in a new process, as a user runs it."""
    env = {**os.environ, "XLM_CACHE_DIR": tempfile.mkdtemp(prefix="xlm-bench-cache-")}
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "xlmarketing.cli", "refresh", str(src), "-o",
                          str(dst)], capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - t
    assert res.returncode == 0, res.stdout + res.stderr
    return took


def start_up(funcs: list[str]) -> float:
    """A new process that imports what a refresh calling ``funcs`` needs, and nothing else: the
    command, the engine, and the model modules of those functions (LibreOffice computes the
    dependents, so not the ``formulas`` package)."""
    return _common.start_up(funcs, "xlmarketing.cli, xlmarketing.workbook.scheduler")


def in_process(src: Path, dst: Path) -> tuple[float, str]:
    cache.clear()
    t = time.perf_counter()
    rep = refresh_workbook(src, dst)
    assert rep.ok, rep.lines()
    return time.perf_counter() - t, rep.engine


def peak(code: str, *args: str) -> float:
    """Peak resident memory (MB) of a new process running ``code``.

    Read from VmHWM: ``ru_maxrss`` survives exec on Linux, so a child of this (large) process
    would report the parent's peak.
    """
    tail = ("\nimport re\nprint(int(re.search(r'VmHWM:\\s+(\\d+)', "
            "open('/proc/self/status').read()).group(1)) / 1024)")
    out = subprocess.run([sys.executable, "-c", "import sys\n" + code + tail, *args],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scale", type=int, default=200_000, help="rows of the scaling run (0: skip)")
    ap.add_argument("--big", type=int, default=100_000, help="rows of the memory run (0: skip)")
    args = ap.parse_args()
    m = statistics.median
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        src, plain = d / "book.xlsx", d / "plain.xlsx"
        build(src, args.rows)
        build_plain(plain, args.rows)
        funcs = sorted({f.split("(")[0].lstrip("=") for _, f in calls(args.rows)} & set(REGISTRY))
        print(f"workbook: {args.rows:,} data rows; functions: {', '.join(funcs)}; "
              "ordinary dependents AVERAGE and COUNTIF of their results")
        fits, ls, cmd, ls_plain, noop, start, inproc, fstart = [], [], [], [], [], [], [], []
        for _ in range(args.repeats):
            start.append(start_up(funcs))
            fstart.append(floor_start_up(funcs))
            inproc.append(in_process(src, d / "ip.xlsx")[0])
            fits.append(fit_time(args.rows))
            ls.append(load_save(src, d / "ls.xlsx"))
            cmd.append(command(src, d / "out.xlsx"))
            ls_plain.append(load_save(plain, d / "ls2.xlsx"))
            noop.append(command(plain, d / "noop.xlsx"))
        floor = m(ls) + m(fits)
        cold = floor + m(fstart)
        print(f"1. floor: openpyxl load+save {m(ls):.2f} s + fits {m(fits):.2f} s = {floor:.2f} s; "
              f"with the start-up any new process doing those fits pays ({m(fstart):.2f} s: "
              f"Python, openpyxl, the called functions' modules) {cold:.2f} s")
        print(f"   xlmarketing refresh (process start included): {m(cmd):.2f} s  "
              f"ratio {m(cmd) / cold:.2f} to the floor with start-up (goal <= 1.2), "
              f"{m(cmd) / floor:.2f} to the warm floor")
        print(f"   our command's own start-up (Python, the CLI, the engine, the same modules) "
              f"{m(start):.2f} s; the same refresh in-process {m(inproc):.2f} s  ratio {m(inproc) / floor:.2f} "
              "to the warm floor")
        same = (d / "noop.xlsx").read_bytes() == plain.read_bytes()
        print(f"2. no-op: openpyxl load+save {m(ls_plain):.2f} s; xlmarketing refresh "
              f"{m(noop):.2f} s  ratio {m(noop) / m(ls_plain):.2f}  (goal <= 0.2; "
              f"output byte-identical: {same})")
        if args.scale:
            small, engine = in_process(src, d / "s.xlsx")
            big = d / "scale.xlsx"
            build(big, args.scale)
            large, _ = in_process(big, d / "l.xlsx")
            per_s, per_l = small / args.rows, large / args.scale
            print(f"3. time per row: {args.rows:,} rows {small:.2f} s ({per_s * 1e6:.0f} us/row), "
                  f"{args.scale:,} rows {large:.2f} s ({per_l * 1e6:.0f} us/row)  ratio "
                  f"{per_l / per_s:.2f}  (goal <= 1.5; dependents by {engine})")
            fit_s, fit_l = fit_time(args.rows), fit_time(args.scale)
            eng_s, eng_l = (small - fit_s) / args.rows, (large - fit_l) / args.scale
            print(f"   the engine alone (refresh minus the models' fit time {fit_s:.2f} s / "
                  f"{fit_l:.2f} s): {eng_s * 1e6:.0f} vs {eng_l * 1e6:.0f} us/row  ratio "
                  f"{eng_l / eng_s:.2f}")
        if args.big:
            big = d / "big.xlsx"
            build(big, args.big)
            ours = peak("from xlmarketing.workbook import refresh_workbook\n"
                        "refresh_workbook(sys.argv[1], sys.argv[2])", str(big), str(d / "o.xlsx"))
            base = peak("import openpyxl\nopenpyxl.load_workbook(sys.argv[1])", str(big))
            print(f"4. peak memory, {args.big:,}-row refresh {ours:.0f} MB; openpyxl load alone "
                  f"{base:.0f} MB  ratio {ours / base:.2f}  (goal <= 1.5)")


if __name__ == "__main__":
    main()

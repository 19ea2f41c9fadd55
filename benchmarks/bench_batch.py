"""Batch of 50 workbooks: --jobs 2 against --jobs 1 (speed-up), same template and data.

The default template has a customer table, KMEANS_SEGMENT, SEGMENT_PROFILE (and CHURN_PROB when
registered) and two ordinary dependents, so each job also runs the formula engine.
``--template customer_segmentation.xlsx`` (or any template of ``xlmarketing templates``) batches
that template instead, with generated data for its data sheet. ``--demo`` also prints the wall
time of ``xlmarketing demo`` (build and refresh every template).
Run: python benchmarks/bench_batch.py [--files 50] [--rows 500] [--engine auto]
     [--template NAME] [--demo]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
import time
from pathlib import Path

import openpyxl
from openpyxl.worksheet.table import Table

from xlmarketing import samples, templates
from xlmarketing.functions import REGISTRY
from xlmarketing.workbook import batch

#: Our templates: data sheet and a generator of its data (seed, rows).
TEMPLATE_DATA = {
    "customer_segmentation.xlsx": ("Customers", lambda i, n: samples.customers(n, seed=i)),
    "churn_risk.xlsx": ("Current", lambda i, n: samples.churn_current(n, seed=i)),
    "sales_forecast.xlsx": ("Sales", lambda i, n: samples.monthly_sales(n, 12, seed=i)[0]),
    "marketing_dashboard.xlsx": ("Customers", lambda i, n: samples.churn_current(n, seed=i)),
}

HEADER = ["Spend", "Visits", "Channel", "Churned"]


def rows(seed: int, n: int) -> list[list]:
    rnd = random.Random(seed)
    return [[round(rnd.uniform(5, 900), 2), rnd.randint(1, 30), rnd.choice(["web", "app", "store"]),
             int(rnd.random() < 0.3)] for _ in range(n)]


def template(path: Path, n: int) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(HEADER)
    for r in rows(0, n):
        ws.append(r)
    ws.add_table(Table(displayName="Customers", ref=f"A1:D{n + 1}"))
    rep = wb.create_sheet("Report")
    rep["A1"] = "=KMEANS_SEGMENT(Customers[[#All],[Spend]:[Channel]], 4)"
    rep["C1"] = "=SEGMENT_PROFILE(Customers[[#All],[Spend]:[Channel]], 4)"
    if "CHURN_PROB" in REGISTRY:
        rep["K1"] = "=CHURN_PROB(Customers[[#All],[Spend]:[Channel]], Customers[[#All],[Churned]])"
    rep["M1"] = "=AVERAGE(A:A)"
    rep["M2"] = "=COUNTIF(A:A,1)"
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--rows", type=int, default=500)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--template", default=None, choices=sorted(TEMPLATE_DATA))
    ap.add_argument("--demo", action="store_true", help="also time `xlmarketing demo`")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        data = tmp / "data"
        data.mkdir()
        sheet = "Data"
        others: list[str] = []  # the template's other tables keep their rows (speed only)
        if args.template:
            tpl = templates.build(args.template, tmp)
            sheet, make = TEMPLATE_DATA[args.template]
            from xlmarketing.workbook.tables import read_tables
            from xlmarketing.workbook.xlsx import Package

            others = [t.name for t in read_tables(Package.open(tpl)) if t.sheet != sheet]
            for i in range(args.files):
                make(i + 1, args.rows).to_csv(data / f"store{i:03d}.csv", index=False,
                                              date_format="%Y-%m-%d")
        else:
            tpl = tmp / "template.xlsx"
            template(tpl, args.rows)
            for i in range(args.files):
                with open(data / f"store{i:03d}.csv", "w", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(HEADER)
                    w.writerows(rows(i + 1, args.rows))
        times = {}
        for jobs in (1, 2):
            out = tmp / f"out{jobs}"
            t = time.perf_counter()
            rep = batch(tpl, data, sheet=sheet, out_dir=out, jobs=jobs, formula_engine=args.engine,
                        keep=others)
            times[jobs] = time.perf_counter() - t
            assert rep.ok, rep.lines()
            engines = {i.engine for i in rep.items}
            print(f"--jobs {jobs}: {args.files} workbooks of {args.rows} rows in {times[jobs]:.1f} s "
                  f"({times[jobs] / args.files:.2f} s each; formula engine {', '.join(engines)})")
        print(f"speed-up --jobs 2 vs --jobs 1: {times[1] / times[2]:.2f}")
        if args.demo:
            from xlmarketing.demo import run_demo

            summary = run_demo(tmp / "demo")
            print(f"demo: {len(summary.files)} workbooks built and refreshed in "
                  f"{summary.seconds:.1f} s ({len(summary.errors)} cells in error)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

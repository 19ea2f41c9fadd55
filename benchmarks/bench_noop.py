"""A refresh with nothing to do, as a user runs it, against openpyxl load + save of the same file.

The workbook has 10,000 rows of customer data and ordinary formulas (a total per row and a
summary), but no formula of ours, so ``xlmarketing refresh`` should only look and copy. The
command is timed as a process (start-up included), ``-o`` and ``--in-place``; the baseline is
openpyxl's load and save in this process (no start-up), measured in the same run. Target:
ratio <= 0.2 (issue 27). What the command costs is mostly starting Python: these plain forms of
``refresh`` skip typer's parsing (its pydantic converters, about 0.1 s idle), and a no-op
imports neither openpyxl nor the models. Run: python benchmarks/bench_noop.py [--rows 10000]
[--repeats 5]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

from _common import compare

CLI = [sys.executable, "-m", "xlmarketing.cli", "refresh"]


def make_book(path: Path, rows: int) -> None:
    rnd = random.Random(0)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Customer", "Spend", "Visits", "Tenure", "Channel", "Value"])
    for i in range(rows):
        r = i + 2
        ws.append([f"C{i:05d}", round(rnd.uniform(10, 900), 2), rnd.randint(1, 30),
                   rnd.randint(1, 60), rnd.choice(["web", "store", "app"]), f"=B{r}*C{r}"])
    summary = wb.create_sheet("Summary")
    summary["A1"] = f"=AVERAGE(Data!B2:B{rows + 1})"
    summary["A2"] = f'=COUNTIF(Data!E2:E{rows + 1},"web")'
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book.xlsx"
        make_book(book, args.rows)
        out = Path(tmp) / "out.xlsx"

        def command(*extra: str):  # noqa: ANN202
            return lambda: subprocess.run(CLI + [str(book), *extra], check=True,
                                          capture_output=True)

        def openpyxl_load_save() -> None:
            openpyxl.load_workbook(book).save(Path(tmp) / "openpyxl.xlsx")

        got = compare({"openpyxl load+save": openpyxl_load_save,
                       "refresh -o (command)": command("-o", str(out)),
                       "refresh --in-place (command)": command("--in-place")}, args.repeats)
        assert out.read_bytes() == book.read_bytes(), "the no-op output is not byte-identical"
    base = got["openpyxl load+save"]
    print(f"{args.rows} rows, median of {args.repeats}")
    for name, sec in got.items():
        print(f"  {name:30s} {sec:7.3f} s   ratio {sec / base:5.2f}")


if __name__ == "__main__":
    main()

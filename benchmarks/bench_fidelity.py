"""Fidelity and cost of a headless refresh per engine mode, on the Excel-saved formula corpus.

For each workbook (tests/fidelity.py says how): every formula stripped of its saved value and
one formula of ours added, refreshed with each engine mode; prints per mode the share of
formula cells equal to Excel's saved value, kept (not recomputed, with a reason) and wrong,
and the refresh time against a baseline measured in the same run: our model alone
(--engine none) plus one LibreOffice load-recalculate-save of the same file (goal <= 1.5 on
every workbook). Each refresh starts with an empty model cache; the ratio per workbook is the
median of ``--repeats`` interleaved runs (the machines are shared: one run can be 1.6x off).

A generated lookup-heavy workbook is timed too (``--lookup`` rows, 0 to leave it out): our
KMEANS_SEGMENT spilled down a customer list, and per customer a VLOOKUP, an INDEX/MATCH and an
IF reading it (3 x rows dependents), plus COUNTIF/SUMIF per segment. It has no Excel-saved
values, so it adds to the time ratios only.

    PYTHONPATH=. python benchmarks/bench_fidelity.py [--modes auto,formulas] [--repeats 3]
        [--lookup 3000]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import fidelity as F  # noqa: E402
from xlmarketing import cache  # noqa: E402
from xlmarketing.workbook import recalc, refresh_workbook  # noqa: E402


def lo_roundtrip(src: Path, tmp: Path) -> float:
    exe = recalc.soffice()
    t = time.perf_counter()
    subprocess.run([exe, f"-env:UserInstallation=file://{recalc._lo_profile()}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(tmp / "lo"), str(src)],
                   capture_output=True, check=False)
    return time.perf_counter() - t


def lookup_workbook(path: Path, rows: int) -> None:
    """A customer list segmented by KMEANS_SEGMENT, with lookups of each customer's segment."""
    import openpyxl

    rnd = random.Random(0)
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "Data"
    data.append(["Spend", "Visits", "Segment", "Name", "Segment spend", "Versus segment"])
    for _ in range(rows):
        big = rnd.random() < 0.3
        data.append([round(rnd.gauss(800 if big else 120, 50), 2),
                     rnd.randint(10, 30) if big else rnd.randint(1, 8)])
    last = rows + 1
    data["C2"] = f"=KMEANS_SEGMENT(A2:B{last},3)"
    labels = wb.create_sheet("Labels")
    labels.append(["Segment", "Name", "Customers", "Spend"])
    for s in range(1, 4):
        labels.append([s, f"segment {s}", f"=COUNTIF(Data!$C$2:$C${last},A{s + 1})",
                       f"=SUMIF(Data!$C$2:$C${last},A{s + 1},Data!$A$2:$A${last})"])
    for r in range(2, last + 1):
        data[f"D{r}"] = f"=VLOOKUP(C{r},Labels!$A$2:$B$4,2,FALSE)"
        data[f"E{r}"] = (f"=INDEX(Labels!$D$2:$D$4,MATCH(C{r},Labels!$A$2:$A$4,0))"
                         f"/INDEX(Labels!$C$2:$C$4,C{r})")
        data[f"F{r}"] = f'=IF(A{r}>E{r},"above","below")'
    wb.save(path)


def timed(src: Path, out: Path, engine: str) -> tuple[float, object]:
    cache.clear()  # every refresh fits its own models
    t = time.perf_counter()
    rep = refresh_workbook(src, out, formula_engine=engine)
    return time.perf_counter() - t, rep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modes", default="auto,formulas")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--lookup", type=int, default=3000)
    args = ap.parse_args()
    modes = args.modes.split(",")
    totals = {m: [0, 0, 0, 0] for m in modes}  # cells, agree, kept, wrong
    ratios: dict[str, list[float]] = {m: [] for m in modes}
    cases: list[tuple[str, Path, Path, dict | None]] = []
    for path in F.corpus():
        tmp = Path(tempfile.mkdtemp())
        src = tmp / "in.xlsx"
        F.strip_and_add(path, src)
        cases.append((path.name, src, tmp, F.saved_values(path)))
    if args.lookup:
        tmp = Path(tempfile.mkdtemp())
        lookup_workbook(tmp / "in.xlsx", args.lookup)
        cases.append((f"generated lookups ({args.lookup:,} rows)", tmp / "in.xlsx", tmp, None))
    if recalc.soffice():
        lo_roundtrip(cases[0][1], cases[0][2])  # LibreOffice's first start makes its profile
    for name, src, tmp, saved in cases:
        took: dict[str, list[float]] = {m: [] for m in modes}
        reps: dict[str, object] = {}
        for _ in range(args.repeats):  # interleaved: a slow spell of the machine hits all
            base = timed(src, tmp / "none.xlsx", "none")[0]
            if recalc.soffice():
                base += lo_roundtrip(src, tmp)
            for m in modes:
                t, reps[m] = timed(src, tmp / f"{m}.xlsx", m)
                took[m].append(t / base)
        for m in modes:
            ratio = statistics.median(took[m])
            ratios[m].append(ratio)
            if saved is None:
                print(f"{name[:44]:44s} {m:9s} dependents {reps[m].dependents:5d} "  # type: ignore[attr-defined]
                      f"{'':27s} time/baseline {ratio:.2f}")
                continue
            v = F.judge(saved, tmp / f"{m}.xlsx", reps[m])
            for i, x in enumerate((v.cells, v.agree, v.kept, len(v.wrong))):
                totals[m][i] += x
            print(f"{name[:44]:44s} {m:9s} cells {v.cells:4d} agree {v.agree:4d} "
                  f"kept {v.kept:4d} wrong {len(v.wrong):3d} time/baseline {ratio:.2f}")
    print()
    for m in modes:
        cells, agree, kept, wrong = totals[m]
        print(f"{m:9s} all formula cells {cells}: agree {agree / cells:.1%}, kept {kept / cells:.1%}, "
              f"wrong {wrong / cells:.1%}; time/baseline median {statistics.median(ratios[m]):.2f}, "
              f"max {max(ratios[m]):.2f} (medians of {args.repeats} runs per workbook)")


if __name__ == "__main__":
    main()

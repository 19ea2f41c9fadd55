"""Fidelity and cost of a headless refresh per engine mode, on the Excel-saved formula corpus.

For each workbook (tests/fidelity.py says how): every formula stripped of its saved value and
one formula of ours added, refreshed with each engine mode; prints per mode the share of
formula cells equal to Excel's saved value, kept (not recomputed, with a reason) and wrong,
and the refresh time against a baseline measured in the same run: our model alone
(--engine none) plus one LibreOffice load-recalculate-save of the same file.

    PYTHONPATH=. python benchmarks/bench_fidelity.py [--modes auto,formulas]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import fidelity as F  # noqa: E402
from xlmarketing.workbook import recalc, refresh_workbook  # noqa: E402


def lo_roundtrip(src: Path, tmp: Path) -> float:
    exe = recalc.soffice()
    t = time.perf_counter()
    subprocess.run([exe, f"-env:UserInstallation=file://{recalc._lo_profile()}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(tmp / "lo"), str(src)],
                   capture_output=True, check=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modes", default="auto,formulas")
    args = ap.parse_args()
    modes = args.modes.split(",")
    totals = {m: [0, 0, 0, 0] for m in modes}  # cells, agree, kept, wrong
    ratios: dict[str, list[float]] = {m: [] for m in modes}
    for path in F.corpus():
        tmp = Path(tempfile.mkdtemp())
        saved = F.saved_values(path)
        src = tmp / "in.xlsx"
        F.strip_and_add(path, src)
        t = time.perf_counter()
        refresh_workbook(src, tmp / "none.xlsx", formula_engine="none")
        base = time.perf_counter() - t
        if recalc.soffice():
            base += lo_roundtrip(src, tmp)
        for m in modes:
            t = time.perf_counter()
            rep = refresh_workbook(src, tmp / f"{m}.xlsx", formula_engine=m)
            took = time.perf_counter() - t
            v = F.judge(saved, tmp / f"{m}.xlsx", rep)
            for i, x in enumerate((v.cells, v.agree, v.kept, len(v.wrong))):
                totals[m][i] += x
            ratios[m].append(took / base)
            print(f"{path.name[:44]:44s} {m:9s} cells {v.cells:4d} agree {v.agree:4d} "
                  f"kept {v.kept:4d} wrong {len(v.wrong):3d} time/baseline {took / base:.2f}")
    print()
    for m in modes:
        cells, agree, kept, wrong = totals[m]
        print(f"{m:9s} all formula cells {cells}: agree {agree / cells:.1%}, kept {kept / cells:.1%}, "
              f"wrong {wrong / cells:.1%}; time/baseline median {statistics.median(ratios[m]):.2f}, "
              f"max {max(ratios[m]):.2f}")


if __name__ == "__main__":
    main()

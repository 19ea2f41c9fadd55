"""A template refresh against its floor: our model time plus one LibreOffice load-recalculate-save.

For each template with a data generator (see ``bench_batch.TEMPLATE_DATA``), its main table is
filled with N generated rows (``xlmarketing batch`` with the engine ``none``: data only, nothing
recomputed that the refresh would not recompute), then:

* ``refresh``: ``xlmarketing refresh`` of the filled workbook as a user runs it (a new process,
  start-up and imports included);
* ``models``: the time our functions take inside that refresh (the evaluation of our formulas,
  measured in-process with an empty cache);
* ``lo``: one LibreOffice headless load, recalculate and save (``--convert-to xlsx``) of the
  refreshed file: what computing the ordinary formulas costs at least.

The refresh starts its LibreOffice while it imports and fits (``XLM_LO_SERVER=0`` in the
environment: one ``soffice --convert-to`` per refresh, as before). Last run (2026-12-07, load
average about 2): 2,500 rows churn 1.19, segmentation 1.16, dashboard 0.82, forecast 0.89;
10,000 rows 1.14, 1.20, 1.07 and 0.80 (the forecast at 1,200 months).

* ``start-up``: a new Python process importing openpyxl and the called functions' modules
  (numpy, pandas, scikit-learn as they need): what the models cost a new process before the
  first fit, as LibreOffice's own start is part of ``lo``.

Goal per template: refresh / (models + start-up + lo) <= 1.5; the ratio without the start-up
(models timed in a process that has imported them already) is printed beside it. ``--profile`` prints the top of a cProfile of
the in-process refresh (where the time goes). Medians of ``--repeats`` runs.
Run: python benchmarks/bench_templates.py [--rows 2500] [--repeats 1] [--template NAME] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import floor_start_up
from bench_batch import TEMPLATE_DATA

from xlmarketing import cache, templates
from xlmarketing.workbook import batch, refresh_workbook
from xlmarketing.workbook import scheduler
from xlmarketing.workbook.recalc import soffice
from xlmarketing.workbook.tables import read_tables
from xlmarketing.workbook.xlsx import Package

CLI = [sys.executable, "-m", "xlmarketing.cli", "refresh"]
#: Rows a template's main table can hold at most: the forecast's rows are months, and 10,000
#: months reach back before 1900, where spreadsheet dates begin.
MAX_ROWS = {"sales_forecast.xlsx": 1200}


def filled(name: str, rows: int, tmp: Path) -> Path:
    """The template with its main table replaced by ``rows`` generated rows (not refreshed)."""
    tpl = templates.build(name, tmp)
    sheet, make = TEMPLATE_DATA[name]
    data = tmp / "data.csv"
    make(1, rows).to_csv(data, index=False, date_format="%Y-%m-%d")
    others = [t.name for t in read_tables(Package.open(tpl)) if t.sheet != sheet]
    rep = batch(tpl, [data], sheet=sheet, out_dir=tmp / "filled", jobs=1, formula_engine="none",
                keep=others)
    assert rep.ok, rep.lines()
    return Path(rep.items[0].output)


def model_seconds(path: Path) -> tuple[float, list[str]]:
    """Seconds spent evaluating our own formulas in one in-process refresh (empty cache), and
    the functions called."""
    spent = [0.0]
    original = scheduler.Evaluation._outcome

    def timed(self, node):  # type: ignore[no-untyped-def]
        if not node.ours:
            return original(self, node)
        t = time.perf_counter()
        try:
            return original(self, node)
        finally:
            spent[0] += time.perf_counter() - t

    cache.clear()
    scheduler.Evaluation._outcome = timed
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rep = refresh_workbook(path, Path(tmp) / path.name, formula_engine="none")
    finally:
        scheduler.Evaluation._outcome = original
    return spent[0], sorted(rep.refreshed)


def lo_seconds(path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                        "--norestore", "--convert-to", "xlsx", "--outdir", f"{tmp}/out", str(path)],
                       capture_output=True, check=False)
        took = time.perf_counter() - t
        assert (Path(tmp) / "out" / path.name).exists(), "LibreOffice wrote nothing"
    return took


def cli_seconds(path: Path, out: Path) -> float:
    t = time.perf_counter()
    subprocess.run(CLI + [str(path), "-o", str(out)], check=True, capture_output=True)
    return time.perf_counter() - t


def profile(path: Path, top: int = 25) -> str:
    cache.clear()
    prof = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp:
        prof.enable()
        refresh_workbook(path, Path(tmp) / path.name)
        prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2500)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--template", default=None, choices=sorted(TEMPLATE_DATA))
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if soffice() is None:
        sys.exit("LibreOffice (soffice) is needed for the floor")
    names = [args.template] if args.template else sorted(TEMPLATE_DATA)
    tmp = Path(tempfile.mkdtemp())
    try:
        for name in names:
            work = tmp / name.split(".")[0]
            work.mkdir()
            rows = min(args.rows, MAX_ROWS.get(name, args.rows))
            path = filled(name, rows, work)
            runs = {"refresh": [], "models": [], "lo": [], "start": []}
            for i in range(args.repeats):
                out = work / f"out{i}.xlsx"
                runs["refresh"].append(cli_seconds(path, out))
                took, funcs = model_seconds(path)
                runs["models"].append(took)
                runs["start"].append(floor_start_up(funcs))
                runs["lo"].append(lo_seconds(out))
            m = {k: statistics.median(v) for k, v in runs.items()}
            floor = m["models"] + m["lo"]
            cold = floor + m["start"]
            print(f"{name} ({rows:,} rows): refresh {m['refresh']:.1f} s; floor: models "
                  f"{m['models']:.1f} s + start-up {m['start']:.1f} s + LibreOffice "
                  f"{m['lo']:.1f} s = {cold:.1f} s; ratio {m['refresh'] / cold:.2f} (goal <= 1.5); "
                  f"to the warm floor (no start-up) {m['refresh'] / floor:.2f}", flush=True)
            if args.profile:
                print(profile(path))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

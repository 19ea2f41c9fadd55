"""Shared helpers for the benchmark scripts: medians of interleaved repeats, Office.js calls."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def officejs_mode() -> None:
    """Switch xlwings to its Office.js implementation; call before xlwings is imported."""
    os.environ.setdefault("XLWINGS_ON_SERVER", "true")
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def officejs_call(module: Any, func_name: str, *args: Any) -> Any:
    """One custom-function call exactly as the Office.js add-in makes it."""
    import xlwings as xw

    payload = {
        "func_name": func_name, "args": list(args), "version": xw.__version__,
        "client": "Office.js", "caller_address": "Sheet1!Z1", "formula_name": func_name,
        "culture_info_name": "en-US", "date_format": "m/d/yyyy", "runtime": "1.4",
    }
    return asyncio.run(xw.server.custom_functions_call(payload, module))


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare(named: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds per candidate, running the candidates interleaved to share the noise."""
    times: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(repeats):
        for name, fn in named.items():
            times[name].append(timed(fn))
    return {name: statistics.median(ts) for name, ts in times.items()}


def start_up(funcs: list[str], imports: str = "openpyxl") -> float:
    """Seconds a new Python process takes to import ``imports`` and the modules of ``funcs``."""
    code = (f"import sys, {imports}\n"
            "from xlmarketing.functions import REGISTRY\n"
            "for f in sys.argv[1:]:\n    REGISTRY[f]")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *funcs], check=True)
    return time.perf_counter() - t


def floor_start_up(funcs: list[str]) -> float:
    """Seconds a new Python process takes to be ready to fit ``funcs``: start, import openpyxl
    (to load and save the file) and the modules of those functions (so numpy, pandas, scikit-learn
    as they need). The start-up share of a floor for a command that runs in a new process, as
    LibreOffice's own start is part of a ``soffice --convert-to`` floor. Our engine, CLI and
    LibreOffice client are not imported: they are overhead the floor does not grant."""
    return start_up(funcs, "openpyxl")


def study_main(collect: Callable[[Path], None], report: Callable[[Any, list[str]], None],
               default: Path, pools: list[str]) -> None:
    """``[--tables FILE] [POOL ...]``: the study's tables, collected once into FILE (``default``
    when not named) and reported for the pools asked (``pools`` when none)."""
    import json
    import warnings

    warnings.simplefilter("ignore")
    args = sys.argv[1:]
    path = default
    if args[:1] == ["--tables"]:
        path, args = Path(args[1]), args[2:]
    if not path.exists():
        collect(path)
    report(json.loads(path.read_text()), args or pools)

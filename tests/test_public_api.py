"""What a Python user sees: the public API, and a udfs module holding only our functions."""

from __future__ import annotations

import os
import subprocess
import sys

import xlmarketing
from xlmarketing import udfs
from xlmarketing.functions import REGISTRY


def test_dir_and_all_show_the_public_api_and_each_name_resolves():
    shown = dir(xlmarketing)
    for name in ("refresh_workbook", "batch", "RefreshReport", "BatchReport", "WorkbookError",
                 "XLMError", "workbook", "functions", "udfs"):
        assert name in shown
    import xlmarketing.workbook as wbk
    from xlmarketing.errors import XLMError

    for name in xlmarketing.__all__:
        if name not in ("XLMError", "__version__"):
            assert getattr(xlmarketing, name) is getattr(wbk, name), name
    assert xlmarketing.XLMError is XLMError
    assert xlmarketing.RefreshReport.__name__ == "RefreshReport"
    assert "annotations" not in shown and "Any" not in shown


def test_udfs_exports_only_our_functions():
    public = [n for n in dir(udfs) if not n.startswith("_")]
    assert sorted(n for n in public if n.isupper()) == sorted(REGISTRY)
    assert sorted(udfs.__all__) == sorted(REGISTRY)
    # What `from xlmarketing.udfs import *` (the xlwings Server / Lite recipe) brings in.
    ns: dict = {}
    exec("from xlmarketing.udfs import *", ns)
    assert sorted(k for k in ns if k != "__builtins__") == sorted(REGISTRY)


def test_cli_help_has_no_type_placeholders_on_flags_and_keeps_bracketed_extras():
    out = subprocess.run([sys.executable, "-m", "xlmarketing.cli", "batch", "--help"],
                         capture_output=True, text=True, env=dict(os.environ, COLUMNS="200"),
                         check=True).stdout
    assert "<bool>" not in out
    assert "xlmarketing[dask]" in out
    for cmd in ("refresh", "batch", "demo", "templates", "serve"):
        res = subprocess.run([sys.executable, "-m", "xlmarketing.cli", cmd, "--help"],
                             capture_output=True, text=True, check=True)
        assert "Usage:" in res.stdout and "<bool>" not in res.stdout


def test_cli_report_gives_the_whole_commands_time_next_to_the_engines(tmp_path):
    import json

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Spend", "Visits"])
    for i in range(12):
        ws.append([100.0 * (i % 3) + i, float(i % 3)])
    ws["D1"] = "=KMEANS_SEGMENT(A1:B13, 2)"
    src = tmp_path / "in.xlsx"
    wb.save(src)
    res = subprocess.run([sys.executable, "-m", "xlmarketing.cli", "refresh", str(src), "-o",
                          str(tmp_path / "out.xlsx"), "--json"], capture_output=True, text=True,
                         check=True)
    rep = json.loads(res.stdout)
    assert rep["refreshed"] == {"KMEANS_SEGMENT": 1}
    assert rep["command_seconds"] >= rep["seconds"] > 0
    text = subprocess.run([sys.executable, "-m", "xlmarketing.cli", "refresh", str(src), "-o",
                           str(tmp_path / "out2.xlsx")], capture_output=True, text=True,
                          check=True).stdout
    assert "whole command:" in text.splitlines()[-1]

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
    for name in xlmarketing.__all__:
        assert getattr(xlmarketing, name) is not None
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

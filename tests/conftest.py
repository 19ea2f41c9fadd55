"""Shared test helpers: reading a workbook the way a real spreadsheet (LibreOffice) shows it."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def _libreoffice_sheets(path: Path, tmp: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``path`` as LibreOffice headless shows it (CSV text), by sheet name."""
    exe = shutil.which("soffice")
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp / "lo-csv"
    out.mkdir(exist_ok=True)
    profile = tmp / "lo-profile"
    subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1",
         "--outdir", str(out), str(path)],
        capture_output=True, timeout=300, check=False, env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
    sheets = {}
    for f in out.glob(f"{path.stem}-*.csv"):
        with open(f, newline="", encoding="utf-8") as fh:
            sheets[f.stem[len(path.stem) + 1:]] = list(csv.reader(fh))
    assert sheets, "LibreOffice wrote nothing"
    return sheets


@pytest.fixture(scope="session")
def libreoffice_sheets(tmp_path_factory):
    """``libreoffice_sheets(path)`` -> {sheet name: rows of text} as LibreOffice shows them."""
    tmp = tmp_path_factory.mktemp("lo")
    return lambda path: _libreoffice_sheets(Path(path), tmp)


@pytest.fixture
def fresh_cache():
    """An empty model cache for the test, emptied again after it (counters start at zero)."""
    from xlmarketing.cache import CACHE

    CACHE.clear()
    yield CACHE
    CACHE.clear()


@pytest.fixture(scope="module")
def cache_cleared_after():
    """Leave the process-wide cache empty for the modules after this one (its fit kinds show
    in XLM_CACHE_INFO and its counters, which other tests read)."""
    from xlmarketing.cache import CACHE

    yield CACHE
    CACHE.clear()

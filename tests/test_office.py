"""The long-lived LibreOffice of the refresh (workbook.office) and the lazy registry."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import openpyxl
import pytest

from xlmarketing.workbook import office, recalc
from xlmarketing.workbook.xlsx import Package, read_values


def test_the_registry_imports_only_the_modules_asked_for():
    code = ("import sys; from xlmarketing.functions import REGISTRY as R; "
            "assert 'xlmarketing.functions.churn' not in sys.modules; "
            "assert 'KMEANS_SEGMENT' in R and 'SUM' not in R and R.get('SUM') is None; "
            "mods = sorted(m for m in sys.modules if m.startswith('xlmarketing.functions.')); "
            "assert 'xlmarketing.functions.segment' in mods and "
            "'xlmarketing.functions.churn' not in mods, mods; "
            "from xlmarketing import catalog; assert sorted(R) == sorted(catalog.names()); "
            "assert 'xlmarketing.functions.churn' in sys.modules; print(len(R))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == len(__import__("xlmarketing.functions").functions.REGISTRY)


@pytest.mark.skipif(shutil.which("soffice") is None or office.office_python() is None,
                    reason="LibreOffice with python3-uno is not installed")
def test_one_libreoffice_converts_file_after_file_like_convert_to(tmp_path):
    exe = recalc.soffice()
    got = []
    for n in (2, 3):
        src = tmp_path / f"book{n}.xlsx"
        wb = openpyxl.Workbook()
        wb.active["A1"], wb.active["A2"], wb.active["B1"] = n, 10, "=A1*A2+1"
        wb.save(src)
        out = tmp_path / f"out{n}.xlsx"
        assert office.convert(exe, src, out)
        pkg = Package.open(out)
        got.append(read_values(pkg.text(pkg.sheet_parts()["Sheet"]), pkg.shared_strings,
                               {(1, 2)})[(1, 2)])
    assert got == [21, 31]
    server = office._offices[os.getpid()]
    assert server is not None and server.used and server.proc.poll() is None  # still the same
    # LibreOffice dies between two files: the server starts it again, the next file converts
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != server.proc.pid:
            try:
                if os.getpgid(int(pid)) == server.proc.pid:
                    os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    assert office.convert(exe, tmp_path / "book2.xlsx", tmp_path / "again.xlsx")
    assert server.proc.poll() is None


@pytest.mark.skipif(shutil.which("soffice") is None or office.office_python() is None,
                    reason="LibreOffice with python3-uno is not installed")
def test_the_server_closes_libreoffice_and_removes_its_profile_after_the_command(tmp_path):
    """The command does not wait for LibreOffice to close: the server does that in its own
    session, then removes the profile folder it was handed."""
    import time

    src = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["B1"] = 4, "=A1*2"
    wb.save(src)
    code = ("import sys; from pathlib import Path; from xlmarketing.workbook import office, recalc\n"
            "assert office.convert(recalc.soffice(), Path(sys.argv[1]), Path(sys.argv[2]))\n"
            "import os; o = office._offices[os.getpid()]; print(o.remove, o.proc.pid)")
    out = subprocess.run([sys.executable, "-c", code, str(src), str(tmp_path / "out.xlsx")],
                         capture_output=True, text=True, check=False, timeout=300)
    assert out.returncode == 0, out.stderr
    folder, server = out.stdout.split()
    assert os.path.basename(folder).startswith("xlm-lo-server-")
    deadline = time.monotonic() + 120
    while os.path.exists(folder) or os.path.exists(f"/proc/{server}"):
        assert time.monotonic() < deadline, "the server left its LibreOffice or profile behind"
        time.sleep(0.2)


@pytest.mark.skipif(shutil.which("soffice") is None or office.office_python() is None,
                    reason="LibreOffice with python3-uno is not installed")
def test_a_libreoffice_started_for_nothing_leaves_no_profile(tmp_path):
    """Started while the models load, then not needed (no dependents): killed at exit, and its
    profile removed by the command, since a killed server removes nothing."""
    code = ("import os; from xlmarketing.workbook import office, recalc\n"
            "recalc.warm_up(); o = office._offices[os.getpid()]; print(o.remove)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=300)
    assert out.returncode == 0, out.stderr
    folder = out.stdout.strip()
    assert os.path.basename(folder).startswith("xlm-lo-server-")
    assert not os.path.exists(folder)

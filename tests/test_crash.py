"""Crash safety: kill -9 at random moments during `refresh --in-place` and during `batch`.

The original is always intact and openable, and every output is either complete (a workbook
with our results) or absent. A killed write can leave only its hidden temporary file
(``.~name.host-pid.….xlsx``) behind, never a half-written file under the real name, and the
next run on the same file removes it. Besides kills at random moments of the whole run, one
test waits for the temporary file to appear and kills inside the write and the rename.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

CLI = [sys.executable, "-m", "xlmarketing.cli"]


def make_book(path: Path, n: int = 3000) -> None:
    rnd = random.Random(5)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Spend", "Visits", "Recency"])
    for _ in range(n):
        ws.append([rnd.randint(10, 5000), rnd.randint(1, 40), rnd.randint(1, 365)])
    res = wb.create_sheet("Result")
    res["A1"] = f"=KMEANS_SEGMENT(Data!A1:C{n + 1}, 4)"
    res["C1"] = f"=SEGMENT_PROFILE(Data!A1:C{n + 1}, 4)"
    wb.save(path)


def complete(path: Path) -> bool:
    """A whole workbook holding our results (not the untouched template)."""
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    ws = openpyxl.load_workbook(path, data_only=True)["Result"]
    return ws["A1"].value == "Segment" and ws["A2"].value in (1, 2, 3, 4)


def run_and_kill(cmd: list[str], delay: float) -> int | None:
    """Run ``cmd``; after ``delay`` seconds kill -9 it with every process it started."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.wait(timeout=delay)
        return proc.returncode  # finished before the kill
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch's worker processes too
        proc.wait()
        time.sleep(0.2)  # let the kernel reap the group before we look at the files
        return None


def duration(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def leftovers_are_hidden_temps(folder: Path, expected: set[str]) -> None:
    for p in folder.iterdir():
        assert p.name in expected or p.name.startswith(".~"), f"unexpected file {p.name}"


@pytest.mark.slow
def test_kill_during_refresh_in_place(tmp_path):
    master = tmp_path / "master.xlsx"
    make_book(master)
    original = master.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    book = work / "book.xlsx"
    book.write_bytes(original)
    cmd = CLI + ["refresh", str(book), "--in-place", "--engine", "none"]
    full = duration(cmd)
    rnd = random.Random(1)
    outcomes = {"killed, original intact": 0, "killed, already replaced": 0, "finished": 0}
    for _ in range(30):
        book.write_bytes(original)
        code = run_and_kill(cmd, rnd.uniform(0.0, full * 1.1))
        assert book.exists()
        if book.read_bytes() == original:
            outcomes["killed, original intact"] += code is None
            outcomes["finished"] += code is not None
            assert code is None  # a finished run must have replaced it
            openpyxl.load_workbook(book)  # intact and openable
        else:
            assert complete(book)
            outcomes["finished" if code is not None else "killed, already replaced"] += 1
        leftovers_are_hidden_temps(work, {"book.xlsx"})
    assert outcomes["killed, original intact"] > 0, outcomes


@pytest.mark.slow
def test_kill_during_batch(tmp_path):
    template = tmp_path / "template.xlsx"
    make_book(template, n=400)
    data = tmp_path / "data"
    data.mkdir()
    rnd = random.Random(2)
    for i in range(6):
        rows = ["Spend,Visits,Recency"] + [f"{rnd.randint(10, 5000)},{rnd.randint(1, 40)},{rnd.randint(1, 365)}"
                                           for _ in range(400)]
        (data / f"region{i}.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    cmd = CLI + ["batch", str(template), "--data", str(data), "--sheet", "Data", "--out", str(out),
                 "--jobs", "2", "--engine", "none"]
    full = duration(cmd)
    template_bytes = template.read_bytes()
    seen_partial_runs = 0
    for _ in range(20):
        for p in out.glob("*"):
            p.unlink()
        code = run_and_kill(cmd, rnd.uniform(0.0, full * 1.1))
        assert template.read_bytes() == template_bytes
        finished = [p for p in out.glob("*.xlsx") if not p.name.startswith(".~")]
        for p in finished:
            assert complete(p), p
        leftovers_are_hidden_temps(out, {p.name for p in finished})
        seen_partial_runs += code is None and len(finished) < 6
        if code is not None:
            assert code == 0 and len(finished) == 6
    assert seen_partial_runs > 0


def our_temporaries(folder: Path, stem: str, pid: int | None = None) -> list[Path]:
    """The hidden temporaries of ``stem`` in ``folder`` (of one process if ``pid``)."""
    return [p for p in folder.iterdir() if p.name.startswith(f".~{stem}.")
            and (pid is None or f"-{pid}." in p.name)]


def wait_for_temporary(folder: Path, stem: str, proc: subprocess.Popen, timeout: float = 600) -> bool:
    """Poll until ``proc`` has created its temporary (True) or has ended without one (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if our_temporaries(folder, stem, proc.pid):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.0005)
    raise AssertionError("no temporary file appeared")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["in-place", "output"])
def test_kill_inside_the_write_and_the_rename(tmp_path, mode):
    """kill -9 after the temporary exists, at random moments until past the rename: the
    original stays intact, the output is complete or absent, and the next run removes the
    temporaries the killed runs left."""
    master = tmp_path / "master.xlsx"
    make_book(master, n=4000)
    original = master.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    book = work / "book.xlsx"
    out = work / "report.xlsx"
    target = book if mode == "in-place" else out
    cmd = CLI + ["refresh", str(book), "--engine", "none"] + (
        ["--in-place"] if mode == "in-place" else ["-o", str(out)])
    # How long the write takes, from the temporary appearing to its rename.
    book.write_bytes(original)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for_temporary(work, target.stem, proc)
    t0 = time.perf_counter()
    while our_temporaries(work, target.stem, proc.pid):
        time.sleep(0.0005)
    window = time.perf_counter() - t0
    assert proc.wait() == 0 and complete(target)
    rnd = random.Random(7)
    left_behind = replaced = 0
    for _ in range(8):
        book.write_bytes(original)
        out.unlink(missing_ok=True)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        assert wait_for_temporary(work, target.stem, proc)
        time.sleep(rnd.uniform(0, window * 1.3))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert book.exists()
        if mode == "output":
            assert book.read_bytes() == original
        if target.exists() and target.read_bytes() != original:
            assert complete(target)
            replaced += 1
        else:
            assert not target.exists() or target.read_bytes() == original
            openpyxl.load_workbook(book)  # the original, intact and openable
        left_behind += bool(our_temporaries(work, target.stem, proc.pid))
        leftovers_are_hidden_temps(work, {"book.xlsx", "report.xlsx"})
    assert left_behind > 0, f"no kill landed inside the write ({replaced} after the rename)"
    # The next run removes the temporaries of the killed runs (their processes are gone).
    book.write_bytes(original)
    subprocess.run(cmd, check=True, capture_output=True)
    assert complete(target)
    assert our_temporaries(work, target.stem) == []

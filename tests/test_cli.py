"""The ``xlmarketing`` command: a thin layer over the workbook engine, with exit codes."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import subprocess
import sys

import openpyxl
import pytest
from typer.testing import CliRunner

from xlmarketing import cli
from xlmarketing.cli import app

runner = CliRunner()


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "in.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Spend", "Visits"])
    for i in range(12):
        ws.append([10 * i + (i % 3) * 200, i % 5])
    ws["D1"] = "=KMEANS_SEGMENT(A1:B13, 2)"
    ws["E1"] = "=KMEANS_SEGMENT(A1:B13, H1)"
    ws["H1"] = 2
    wb.save(path)
    return path


def test_refresh_prints_report_and_json(book, tmp_path):
    out = tmp_path / "out.xlsx"
    res = runner.invoke(app, ["refresh", str(book), "-o", str(out), "--engine", "none"])
    assert res.exit_code == 0, res.output
    assert "refreshed" in res.output and "2 KMEANS_SEGMENT" in res.output
    res = runner.invoke(app, ["refresh", str(book), "-o", str(out), "--json", "--engine", "none"])
    data = json.loads(res.output)
    assert data["ok"] and data["refreshed"] == {"KMEANS_SEGMENT": 2} and data["engine"] == "none"


def test_unreadable_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "notes.xlsx"
    bad.write_text("hello")
    res = runner.invoke(app, ["refresh", str(bad), "-o", str(tmp_path / "o.xlsx")])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "not a zip file" in res.stderr
    res = runner.invoke(app, ["refresh", str(tmp_path / "missing.xlsx"), "--in-place"])
    assert res.exit_code == 2 and "no such file" in res.stderr
    res = runner.invoke(app, ["refresh", str(bad)])
    assert res.exit_code == 2 and "-o OUTPUT" in res.stderr


def test_strict_exits_1_and_writes_nothing(book, tmp_path):
    wb = openpyxl.load_workbook(book)
    wb.active["H1"] = 0.5
    wb.save(book)
    out = tmp_path / "out.xlsx"
    res = runner.invoke(app, ["refresh", str(book), "-o", str(out), "--engine", "none"])
    assert res.exit_code == 0 and "error Sheet!E1: #VALUE!" in res.output
    out.unlink()
    res = runner.invoke(app, ["refresh", str(book), "-o", str(out), "--strict", "--engine", "none"])
    assert res.exit_code == 1 and not out.exists() and "strict" in res.stderr


def test_batch_exit_code(book, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.csv").write_text("Spend,Visits\n" + "".join(f"{i * 37 % 500},{i % 4}\n"
                                                                for i in range(15)))
    (data / "bad.csv").write_text("Spend,Visits\n1\n")
    res = runner.invoke(app, ["batch", str(book), "--data", str(data), "--sheet", "Sheet",
                              "--out", str(tmp_path / "out"), "--jobs", "1", "--engine", "none"])
    assert res.exit_code == 1, res.output
    assert "1 of 2 workbooks" in res.output and "failed" in res.output
    assert (tmp_path / "out" / "good.xlsx").exists() and not (tmp_path / "out" / "bad.xlsx").exists()


def test_help_on_every_command():
    for cmd in ("refresh", "batch", "templates", "demo"):
        res = runner.invoke(app, [cmd, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output
    res = subprocess.run([sys.executable, "-m", "xlmarketing.cli", "--help"], capture_output=True,
                         text=True, timeout=300, check=False)
    assert res.returncode == 0 and "refresh" in res.stdout and "batch" in res.stdout


def test_serve_refuses_an_unusable_project_folder_in_one_line(tmp_path, monkeypatch):
    """A project "folder" that is a file: one red line and exit 2, no traceback, no server."""
    # find_spec, not importorskip: importing xlwings_server sets XLWINGS_ON_SERVER in this
    # process's environment, and later subprocesses would then ask for a licence key
    if importlib.util.find_spec("xlwings_server") is None:
        pytest.skip("xlwings-server is not installed")
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    res = runner.invoke(app, ["serve", "--project", str(taken), "--port", "1"])
    assert res.exit_code == 2, res.output
    line = res.stderr.strip()
    assert line.count("\n") == 0 and line.startswith("xlmarketing: ") and "taken" in line
    assert "Traceback" not in res.output


# --------------------------------------------------------------------------- the plain refresh

PLAIN = [["IN", "-o", "OUT"], ["IN", "--in-place"], ["--in-place", "IN"], ["-o", "OUT", "IN"],
         ["IN", "--output", "OUT", "--json", "--engine", "none", "--strict", "--values-only"]]
NOT_PLAIN = [["IN", "--output=OUT"], ["IN", "-o"], ["IN", "-o", "A", "-o", "B"], ["IN", "OUT"],
             ["--help"], [], ["IN", "-o", "OUT", "--jobs", "2"], ["IN", "-oOUT"], ["IN", "--"],
             ["IN", "-o", ""], ["IN", "--in-place", "--in-place"]]


def test_plain_refresh_reads_arguments_as_typer_does(monkeypatch):
    """The quick path's reading of the refresh forms equals typer's (the arguments the command
    receives), and every other form is left to typer."""
    seen = []

    @functools.wraps(cli.refresh)
    def record(**kwargs):  # noqa: ANN003, ANN202
        seen.append(kwargs)

    command = next(c for c in app.registered_commands if c.callback is cli.refresh)
    monkeypatch.setattr(command, "callback", record)
    defaults = {k: p.default for k, p in inspect.signature(cli.refresh).parameters.items()
                if p.default is not p.empty}
    for args in PLAIN:
        res = runner.invoke(app, ["refresh", *args])
        assert res.exit_code == 0, res.output
        assert {**defaults, **cli._plain_call(cli.refresh, args)} == seen.pop(), args
    for args in NOT_PLAIN:
        assert cli._plain_call(cli.refresh, args) is None, args
        assert cli._quick(["refresh", *args]) is None
    assert cli._quick(["--help"]) is None and cli._quick(["batch", "IN"]) is None


def test_plain_refresh_has_the_commands_lines_and_exit_codes(book, tmp_path, capsys):
    out = tmp_path / "out.xlsx"
    assert cli._quick(["refresh", str(book), "-o", str(out), "--engine", "none"]) == 0
    assert "refreshed" in capsys.readouterr().out and out.exists()
    assert cli._quick(["refresh", str(tmp_path / "missing.xlsx"), "--in-place"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("xlmarketing: ") and "no such file" in err
    assert cli._quick(["refresh", str(book)]) == 2
    assert "-o OUTPUT" in capsys.readouterr().err
    assert cli._quick(["refresh", str(book), "-o", str(out), "--engine", "excel"]) == 2
    assert "formula_engine must be one of" in capsys.readouterr().err


def test_the_command_takes_the_plain_path_and_typer_the_rest(book, tmp_path):
    """As a process: a plain refresh never loads typer's value converters (pydantic), and the
    same command with a form typer owns gives the same result through typer."""
    for form in (["-o", str(tmp_path / "a.xlsx")], [f"--output={tmp_path / 'b.xlsx'}"]):
        code = ("import sys\nfrom xlmarketing.cli import app\n"
                f"sys.argv = ['xlmarketing', 'refresh', {str(book)!r}, '--engine', 'none', "
                f"*{form!r}]\ntry:\n    app()\nexcept SystemExit as e:\n    print('exit', e.code)\n"
                "print('pydantic' in sys.modules)")
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=300, check=True)
        lines = run.stdout.splitlines()
        assert lines[0].startswith(f"refreshed {book} -> "), run.stdout + run.stderr
        assert lines[-2:] == ["exit 0", str(form[0] != "-o")]
    assert (tmp_path / "a.xlsx").read_bytes()[:2] == (tmp_path / "b.xlsx").read_bytes()[:2] == b"PK"


@pytest.mark.parametrize("args, code", [(["--engine", "none"], 0), (["--engine", "excel"], 2),
                                        (["--no-such-option"], 2)])
def test_the_command_leaves_at_once_with_its_exit_code_and_exit_handlers_run(book, tmp_path,
                                                                              args, code):
    """As the command (``python -m xlmarketing.cli``), the process skips Python's teardown of
    the libraries (``cli._leave``); it must still run the exit handlers, flush its output and
    keep its exit code."""
    marker = tmp_path / "handler-ran"
    out = tmp_path / "out.xlsx"
    program = ("import atexit, runpy, sys\n"
               f"atexit.register(lambda: open({str(marker)!r}, 'w').write('yes'))\n"

               f"sys.argv = ['xlmarketing', 'refresh', {str(book)!r}, '-o', {str(out)!r}, "
               f"*{args!r}]\n"
               "runpy.run_module('xlmarketing.cli', run_name='__main__', alter_sys=True)\n"
               "print('not reached: the command exits')\n")
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == code, run.stdout + run.stderr
    assert marker.read_text() == "yes"
    assert "not reached" not in run.stdout
    if code == 0:
        assert run.stdout.startswith(f"refreshed {book} -> {out}")
        assert run.stdout.rstrip().splitlines()[-1].startswith("  whole command: ")
        assert openpyxl.load_workbook(out).sheetnames
    else:
        assert run.stderr.strip()

"""The real xlwings Server over HTTP, started by ``xlmarketing serve``, called as Excel calls it.

The request bodies are those of xlwings Server's own ``custom-functions-code.js`` (what Excel's
Office.js runtime sends): ``func_name``, ``args`` (one 2-D list per argument, scalars as
``[[x]]``, empty cells as null, dates as serial numbers, errors as entities), ``caller_address``,
``culture_info_name``, ``date_format``, ``version``, ``runtime`` and ``client``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import xlwings as xw

from xlmarketing.functions import REGISTRY
from xlmarketing.serve import ServeError, ServeOptions, wait_until_up

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("xlwings_server") is None,
    reason="xlwings-server is not installed (pip install 'xlmarketing[server]'); the real-server "
           "tests need it")

NA = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``xlmarketing serve`` on a loopback port; stopped (and checked stopped) at the end."""
    port = _free_port()
    project = tmp_path_factory.mktemp("server")
    env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial")
    # The server's output goes to a file, not a pipe nobody reads while the tests run (a full
    # pipe would block the server mid-request).
    log_path = tmp_path_factory.mktemp("server-log") / "serve.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed at teardown)
    proc = subprocess.Popen(
        [sys.executable, "-m", "xlmarketing.cli", "serve", "--port", str(port), "--project",
         str(project)], env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    opts = ServeOptions(project, port=port)
    base = opts.base_url
    try:
        wait_until_up(opts, proc, timeout=300)               # a busy machine starts slowly
    except ServeError as exc:
        proc.kill()
        log.close()
        pytest.fail(f"xlwings Server did not start ({exc}):\n{log_path.read_text()}")
    yield {"base": base, "proc": proc, "project": project}
    proc.terminate()                                      # what a kill or Ctrl+C does
    proc.wait(timeout=300)
    log.close()
    with pytest.raises(urllib.error.URLError):             # the server went with the command
        urllib.request.urlopen(f"{base}/xlwings/custom-functions-meta", timeout=2)


def _get(server: dict, path: str) -> bytes:
    return urllib.request.urlopen(server["base"] + path, timeout=300).read()


def body(func_name: str, *args: Any) -> dict[str, Any]:
    """The request Excel's Office.js runtime sends for one custom-function call."""
    return {
        "client": "Office.js", "func_name": func_name,
        "args": [a if isinstance(a, list) else [[a]] for a in args],
        "caller_address": "[Book1.xlsx]Sheet1!H1", "session_id": "test-session",
        "culture_info_name": "en-US", "date_format": "M/d/yyyy", "version": xw.__version__,
        "runtime": "1.4",
    }


def post(server: dict, payload: dict[str, Any]) -> tuple[int, Any]:
    req = urllib.request.Request(server["base"] + "/xlwings/custom-functions-call",
                                 data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, json.loads(r.read())["result"]
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def customers(n: int = 60) -> list[list[Any]]:
    rng = np.random.default_rng(3)
    rows: list[list[Any]] = [["Spend", "Visits", "Channel"]]
    for i in range(n):
        g = i % 3
        rows.append([float(round(rng.normal(200 + 800 * g, 40))), float(2 + 6 * g + i % 2),
                     ["web", "store", "app"][g]])
    return rows


def test_startup_prints_the_manifest_and_sideload_steps(server):
    assert (server["project"] / "custom_functions" / "__init__.py").read_text().endswith(
        "from xlmarketing.udfs import *  # noqa: F401,F403\n")
    manifest = _get(server, "/manifest").decode()
    assert manifest.startswith("<?xml") and "<OfficeApp" in manifest


def test_metadata_excel_registers_is_our_spec_exactly(server):
    meta = json.loads(_get(server, "/xlwings/custom-functions-meta"))
    funcs = {f["name"]: f for f in meta["functions"]}
    assert set(funcs) == set(REGISTRY)                      # every function, no stray entries
    for name, fn in REGISTRY.items():
        spec = fn.spec
        got = funcs[name]
        assert got["description"] == spec.summary
        assert [p["name"] for p in got["parameters"]] == list(spec.params)
        assert [p.get("description") for p in got["parameters"]] == [
            spec.args[p].doc for p in spec.params]
        assert [p.get("optional", False) for p in got["parameters"]] == [
            p not in spec.required for p in spec.params]
        assert not got.get("options", {}).get("volatile", False)
    code = _get(server, "/xlwings/custom-functions-code").decode()
    assert "custom-functions-call" in code


def test_values_over_http_equal_the_in_process_functions(server):
    rows = customers()
    status, seg = post(server, body("KMEANS_SEGMENT", rows, 3, None, None, None))
    assert status == 200
    assert seg == REGISTRY["KMEANS_SEGMENT"](rows, 3)
    assert seg[0] == ["Segment"] and sorted({r[0] for r in seg[1:]}) == [1, 2, 3]

    # Empty cells (null), booleans, and dates as serial numbers (what Office.js sends).
    first = dt.date(2021, 1, 1)
    months = [[float((dt.date(2021 + i // 12, 1 + i % 12, 1) - dt.date(1899, 12, 30)).days),
               100.0 + 10 * (i % 12) + i] for i in range(36)]
    assert months[0][0] == (first - dt.date(1899, 12, 30)).days == 44197
    months[5][1] = None                                    # a blank sales cell
    status, fc = post(server, body("SALES_FORECAST", months, 6, None, None, None, 0.9, None))
    assert status == 200
    assert fc == REGISTRY["SALES_FORECAST"](months, 6, None, None, None, 0.9, None)
    assert len(fc) == 6 and all(lo <= f <= hi for _, f, lo, hi in fc)

    labels = [["Churned"]] + [[bool(i % 3 == 0)] for i in range(60)]
    status, prob = post(server, body("CHURN_PROB", rows, labels, None, None, True, None, None))
    assert status == 200 and prob[0] == ["Churn probability"]
    expected = REGISTRY["CHURN_PROB"](rows, labels, None, None, True, None, None)
    assert np.allclose([r[0] for r in prob[1:]], [r[0] for r in expected[1:]])


def test_user_errors_arrive_as_error_cells_with_our_one_line_message(server):
    status, text = post(server, body("KMEANS_SEGMENT", customers(5), 8, None, None, None))
    # HTTP 400 with the line as the body: the add-in shows it as the error cell's message and
    # does not retry (500s are retried three times and then shown as "An error occurred.").
    assert status == 400
    assert text == ("#NUM! KMEANS_SEGMENT: k=8 needs at least 8 customers, got 5 rows. Lower k "
                    "or select more rows.")
    rows = customers(10)
    rows[3][0] = NA                                        # an error cell in the data
    status, text = post(server, body("KMEANS_SEGMENT", rows, 2, None, None, None))
    assert status == 400 and text.startswith(
        '#N/A KMEANS_SEGMENT: data has the error value #N/A in row 4 of the range')
    status, text = post(server, body("SALES_FORECAST", [[1.0], [2.0], [3.0]], None))
    assert status == 400 and text.startswith("#VALUE! SALES_FORECAST: horizon is missing")


def test_sixteen_parallel_calls_give_the_serial_answers(server):
    calls = [body("KMEANS_SEGMENT", customers(40 + 3 * i), 2 + i % 3, None, i % 2, None)
             for i in range(16)]
    serial = [post(server, c) for c in calls]
    with ThreadPoolExecutor(16) as pool:
        parallel = list(pool.map(lambda c: post(server, c), calls))
    assert all(s == 200 for s, _ in serial)
    assert parallel == serial

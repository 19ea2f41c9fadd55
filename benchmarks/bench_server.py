"""KMEANS_SEGMENT over HTTP through the real xlwings Server, against the in-process call.

Starts ``xlmarketing serve`` on a loopback port (needs ``xlmarketing[server]``), then times, in
one run, on 20,000 x 6 cells sent as Office.js sends them:

* cold HTTP round trip (a refit: the cache is cleared through XLM_CACHE_CLEAR over HTTP first)
  against the cold in-process ``custom_functions_call`` of the same payload (goal <= 1.5);
* warm HTTP calls (same inputs: a cache hit) against cold HTTP calls (goal <= 0.15).

    python benchmarks/bench_server.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ["XLWINGS_ON_SERVER"] = "true"

import numpy as np  # noqa: E402
import xlwings as xw  # noqa: E402

from xlmarketing import udfs  # noqa: E402
from xlmarketing.cache import CACHE  # noqa: E402
from xlmarketing.serve import ServeOptions, wait_until_up  # noqa: E402


def payload(func: str, args: list) -> dict:
    return {"client": "Office.js", "func_name": func, "args": args, "version": xw.__version__,
            "caller_address": "[Book1.xlsx]Sheet1!H1", "culture_info_name": "en-US",
            "date_format": "M/d/yyyy", "runtime": "1.4"}


def rows(n: int = 20_000, seed: int = 0) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (4, 6))
    X = centres[rng.integers(0, 4, n)] + rng.normal(0, 1, (n, 6))
    return [["A", "B", "C", "D", "E", "F"]] + np.round(X, 3).tolist()


def post(base: str, body: dict) -> float:
    data = json.dumps(body).encode()
    req = urllib.request.Request(base + "/xlwings/custom-functions-call", data=data,
                                 headers={"Content-Type": "application/json"}, method="POST")
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        r.read()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    project = Path(os.environ.get("TMPDIR", "/tmp")) / f"xlm-bench-server-{port}"
    proc = subprocess.Popen([sys.executable, "-m", "xlmarketing.cli", "serve", "--port", str(port),
                             "--project", str(project)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    opts = ServeOptions(project, port=port)
    try:
        wait_until_up(opts, proc)
        base = opts.base_url
        body = payload("KMEANS_SEGMENT", [rows(), [[4]], [[None]], [[None]], [[None]]])
        clear = payload("XLM_CACHE_CLEAR", [])
        cold_http, warm_http, cold_local = [], [], []
        for _ in range(a.repeats):
            post(base, clear)
            cold_http.append(post(base, body))
            warm_http.append(post(base, body))
            CACHE.clear()
            t = time.perf_counter()
            asyncio.run(xw.server.custom_functions_call(body, udfs))
            cold_local.append(time.perf_counter() - t)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    med = statistics.median
    print(f"KMEANS_SEGMENT 20,000 x 6, k=4, medians of {a.repeats}:")
    print(f"  cold over HTTP     {med(cold_http):.3f} s")
    print(f"  cold in-process    {med(cold_local):.3f} s")
    print(f"  warm over HTTP     {med(warm_http):.3f} s")
    print(f"  HTTP / in-process (cold): {med(cold_http) / med(cold_local):.2f}   (goal <= 1.5)")
    print(f"  warm / cold over HTTP:    {med(warm_http) / med(cold_http):.3f}  (goal <= 0.15)")


if __name__ == "__main__":
    main()

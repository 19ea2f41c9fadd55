"""A function declared once with ``sheet_function`` is served everywhere, with no list edited.

A throwaway NEW_FUNCTION is registered from a module of its own (this test, or a user's file
imported before or after ``xlmarketing.udfs``); it must then be in ``xlmarketing.udfs`` (what
xlwings' COM import reads), in the Office.js registration metadata and calls (xlwings'
``custom_functions_meta`` / ``custom_functions_call``), and in the headless refresh with its
dependents. The registration is removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import openpyxl
import pytest

from xlmarketing import catalog
from xlmarketing.functions import REGISTRY, sheet_function, unregister
from xlmarketing.functions.spec import Arg, Float

USER_MODULE = textwrap.dedent('''
    from xlmarketing.functions import sheet_function
    from xlmarketing.functions.spec import Arg, Float

    @sheet_function("{name}", "Doubles a number.", fits=False, args={{
        "x": Arg("A number.", Float(default=1.0)),
        "plus": Arg("Added after doubling (default 0).", Float(default=0.0)),
    }})
    def doubled(x=1.0, plus=0.0):
        return [[x * 2 + plus]]
''')


@pytest.fixture
def new_function():
    @sheet_function("NEW_FUNCTION", "Doubles a number.", fits=False, args={
        "x": Arg("A number.", Float(default=1.0)),
        "plus": Arg("Added after doubling (default 0).", Float(default=0.0)),
    })
    def new_function(x=1.0, plus=0.0):
        return [[x * 2 + plus]]

    yield new_function
    unregister("NEW_FUNCTION")
    assert "NEW_FUNCTION" not in REGISTRY and not catalog.is_ours("NEW_FUNCTION")


def test_a_registered_function_is_ours_and_served_by_udfs(new_function):
    from xlmarketing import udfs  # already imported by now, or imported here: both must serve it

    assert catalog.is_ours("new_function") and "NEW_FUNCTION" in catalog.names()
    assert catalog.calls_ours("=ROUND(NEW_FUNCTION(2),1)")
    assert catalog.function_of("=1+NEW_FUNCTION(2)") == "NEW_FUNCTION"
    assert catalog.mentions_ours(b"<f>new_function(A1)</f>")
    assert "NEW_FUNCTION" in udfs.__all__
    assert udfs.NEW_FUNCTION(21) == [[42.0]]
    assert udfs.NEW_FUNCTION(21, 1) == [[43.0]]
    assert udfs.NEW_FUNCTION.__doc__ == "Doubles a number."
    unregister("NEW_FUNCTION")
    assert "NEW_FUNCTION" not in udfs.__all__ and not hasattr(udfs, "NEW_FUNCTION")
    assert sorted(udfs.__all__) == sorted(REGISTRY)


def test_headless_refresh_computes_it_and_its_dependents(new_function, tmp_path):
    from xlmarketing.workbook import refresh_workbook

    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "=NEW_FUNCTION(21)"
    ws["B1"] = "=A1*2"
    ws["C1"] = "=ROUND(NEW_FUNCTION(,1),0)"  # nested, with its first argument omitted
    wb.save(src)
    report = refresh_workbook(src, out, formula_engine="formulas")
    assert not report.nothing_to_refresh
    got = openpyxl.load_workbook(out, data_only=True).active
    assert (got["A1"].value, got["B1"].value, got["C1"].value) == (42, 84, 3)


def test_user_module_before_and_after_udfs_is_served_through_office_js(tmp_path):
    """In a fresh Office.js-mode interpreter (xlwings reads its switches at import)."""
    (tmp_path / "xlm_user_before.py").write_text(USER_MODULE.format(name="USER_BEFORE"))
    (tmp_path / "xlm_user_after.py").write_text(USER_MODULE.format(name="USER_AFTER"))
    runner = textwrap.dedent('''
        import asyncio, json, sys
        import xlm_user_before                   # a user's module imported before udfs
        import xlwings as xw
        from xlmarketing import udfs
        import xlm_user_after                    # ... and one imported after it

        def call(name, args):
            payload = {"func_name": name, "args": json.loads(json.dumps(args)),
                       "version": xw.__version__, "client": "Office.js",
                       "caller_address": "Sheet1!A1", "formula_name": name,
                       "culture_info_name": "en-US", "date_format": "m/d/yyyy", "runtime": "1.4"}
            return asyncio.run(xw.server.custom_functions_call(payload, udfs))

        meta = {f["name"]: f for f in xw.server.custom_functions_meta(udfs)["functions"]}
        json.dump({"meta": {n: meta.get(n) for n in ("USER_BEFORE", "USER_AFTER")},
                   "all": udfs.__all__,
                   "before": call("USER_BEFORE", [[[21]], [[None]]]),
                   "after": call("USER_AFTER", [[[21]], [[1]]])}, sys.stdout)
    ''')
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial",
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.getcwd(),
                                           os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for name in ("USER_BEFORE", "USER_AFTER"):
        meta = out["meta"][name]
        assert meta is not None and name in out["all"], name
        assert meta["description"] == "Doubles a number."
        assert [p["name"] for p in meta["parameters"]] == ["x", "plus"]
        assert [p.get("optional", False) for p in meta["parameters"]] == [True, True]
    assert out["before"] == [[42.0]] and out["after"] == [[43.0]]


def test_mentions_ours_is_a_search_for_each_name_with_its_parenthesis():
    """The one-pass search answers as asking ``name(`` of the lowered bytes, name by name."""
    import random

    names = sorted(catalog.names())
    rnd = random.Random(3)
    bits = [b"(", b")", b"<f>", b"</f>", b"_xludf.", b"SUM", b"a", b"1", b" ", b"\xc3\xa9"]
    bits += [n.encode() for n in rnd.sample(names, 5)] + [n[:-1].encode() for n in names[:5]]
    bits += [n.lower().encode() for n in rnd.sample(names, 3)]
    hits = 0
    for _ in range(3000):
        data = b"".join(rnd.choice(bits) for _ in range(rnd.randint(0, 12)))
        low = data.lower()
        expected = any(n.lower().encode() + b"(" in low for n in names)
        hits += expected
        assert catalog.mentions_ours(data) == expected, data
    assert 100 < hits < 2900  # both answers were asked for

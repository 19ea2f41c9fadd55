"""The LibreOffice Calc add-in (xlmarketing.calc): generated from the registry, and run by Calc.

The fast tests check the generated extension and the value bridge in-process. The slow ones use
the real LibreOffice, headless, with a temporary user profile: install, one workbook calling a
function of every family (compared with calling REGISTRY directly on the same cell values), a bad
call's message, the function wizard's texts, a template converted to .ods, and uninstall.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
import struct
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from xlmarketing import samples
from xlmarketing.calc import bridge, extension
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- generated files


def test_every_registered_function_is_in_the_interface_and_the_wizard():
    idl = extension.idl()
    xcu = ET.fromstring(extension.addins_xcu())
    oor = "{http://openoffice.org/2001/registry}"
    nodes = {n.get(f"{oor}name"): n for n in xcu.iter("node")}
    described = [n for n in REGISTRY if getattr(REGISTRY[n], "spec", None) is not None]
    assert len(described) >= 30
    for name in described:
        spec = REGISTRY[name].spec
        args = ", ".join(f"[in] any {extension.idl_name(p)}" for p in spec.params)
        assert f"sequence< sequence< any > > {name}({args});" in idl
        fn = nodes[name]
        texts = {p.get(f"{oor}name"): p.find("value").text for p in fn.findall("prop")}
        assert texts["DisplayName"] == name and texts["Description"] == spec.summary
        params = fn.find("node").findall("node")
        assert [p.get(f"{oor}name") for p in params] == [extension.idl_name(p) for p in spec.params]
        for p, node in zip(spec.params, params):
            shown = {q.get(f"{oor}name"): q.find("value").text for q in node.findall("prop")}
            assert shown["DisplayName"] == p
            assert shown["Description"].endswith(" ".join(spec.args[p].doc.split()))
            assert shown["Description"].startswith("Required. ") == (p in spec.required)


def test_idl_names_are_legal_uno_identifiers():
    # unoidl refuses lower-case names with underscores ("illegal identifier train_data").
    assert extension.idl_name("train_data") == "trainData"
    assert extension.idl_name("k") == "k"
    assert extension.idl_name("type") == "typeArg"
    for spec in (f.spec for f in REGISTRY.values() if getattr(f, "spec", None)):
        names = [extension.idl_name(p) for p in spec.params]
        assert len(set(names)) == len(names)
        assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", n) for n in names), names


def test_the_extension_holds_what_the_manifest_names(tmp_path):
    oxt = extension.build(tmp_path / "x.oxt", paths=["/somewhere"])
    with zipfile.ZipFile(oxt) as z:
        names = set(z.namelist())
        manifest = z.read("META-INF/manifest.xml").decode()
        config = json.loads(z.read("xlmarketing_calc.json"))
        component = z.read(extension.COMPONENT).decode()
    listed = set(re.findall(r'full-path="([^"]+)"', manifest))
    assert listed == {"xlmarketing_calc.idl", extension.COMPONENT, "CalcAddIns.xcu"}
    assert listed <= names and "description.xml" in names
    assert config["paths"] == ["/somewhere"]
    assert config["functions"] == list(extension.functions())
    assert config["python"] == "{}.{}".format(*__import__("sys").version_info[:2])
    compile(component, extension.COMPONENT, "exec")  # LibreOffice's Python compiles it
    assert f'IMPLEMENTATION = "{extension.IMPLEMENTATION}"' in component


def test_import_paths_lead_with_this_package_and_leave_out_the_standard_library():
    import sysconfig

    import xlmarketing

    paths = extension.import_paths()
    assert paths[0] == str(Path(xlmarketing.__file__).resolve().parent.parent)
    assert str(Path(sysconfig.get_paths()["stdlib"]).resolve()) not in paths
    assert any("site-packages" in p or "dist-packages" in p for p in paths)


@pytest.mark.skipif(not Path("/usr/lib/libreoffice/sdk/bin/unoidl-write").exists()
                    and shutil.which("unoidl-write") is None,
                    reason="the LibreOffice SDK (unoidl-write) is not installed")
def test_the_sdk_compiles_the_generated_idl(tmp_path):
    rdb = extension.compile_rdb(extension.idl(), tmp_path)
    assert rdb.stat().st_size > 1000


def test_formulas_are_spelled_for_calc():
    from xlmarketing.calc.manage import calc_formula

    names = ["KMEANS_SEGMENT", "SEGMENT_K", "RFM_SEGMENT"]
    assert calc_formula("RFM_SEGMENT(Orders[#All])", names) == "_xludf.RFM_SEGMENT(Orders[[#All]])"
    assert calc_formula('IF(A1="SEGMENT_K(", kmeans_segment(T[[#All],[A]:[B]], 4), 0)', names) == (
        'IF(A1="SEGMENT_K(", _xludf.KMEANS_SEGMENT(T[[#All],[A]:[B]], 4), 0)')
    assert calc_formula("_xludf.SEGMENT_K(A1:B9)+MY_SEGMENT_K(1)", names) == (
        "_xludf.SEGMENT_K(A1:B9)+MY_SEGMENT_K(1)")


def test_the_build_command_writes_the_extension(tmp_path):
    from typer.testing import CliRunner

    from xlmarketing.cli import app

    out = tmp_path / "x.oxt"
    result = CliRunner().invoke(app, ["libreoffice", "build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    with zipfile.ZipFile(out) as z:
        assert "KMEANS_SEGMENT" in json.loads(z.read("xlmarketing_calc.json"))["functions"]


# --------------------------------------------------------------------------- the value bridge


def _error_number(value) -> int | None:
    if not isinstance(value, float) or not math.isnan(value):
        return None
    return struct.unpack("<Q", struct.pack("<d", value))[0] & 0xFFFF


def test_calc_values_in():
    rng = ((1.5, "x"), ("", None))  # an empty cell is "", a #N/A cell void
    assert bridge.from_calc(rng) == [[1.5, "x"], [None, "#N/A"]]
    assert bridge.from_calc(3.0) == 3.0
    assert bridge.from_calc("") is None and bridge.from_calc(None) is None


def test_calc_values_out():
    out = bridge.to_calc([["a", 1, True, None], [float("nan"), dt.date(1900, 1, 1), "#N/A"]])
    assert out[0] == ("a", 1.0, 1.0, None)
    assert out[1][0] is None and out[1][1] == 2.0 and out[1][3] is None  # padded
    assert _error_number(out[1][2]) == 32767
    assert bridge.to_calc([]) == ((None,),)
    assert _error_number(bridge.to_calc([[float("inf")]])[0][0]) == 503


def test_a_user_mistake_is_the_message_then_error_cells():
    data = [["Spend", "Visits"], [1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(XLMError) as info:
        REGISTRY["KMEANS_SEGMENT"](data, 8)
    out = bridge.call("KMEANS_SEGMENT", (tuple(map(tuple, data)), 8.0))
    assert out[0][0] == info.value.text
    assert info.value.text.startswith("#NUM! KMEANS_SEGMENT: ")
    assert [_error_number(v) for v in (out[0][1], out[1][0], out[1][1])] == [503] * 3


def test_a_call_equals_the_registered_function():
    frame = samples.customers(40)[["Annual spend", "Orders", "Days since last order"]]
    rows = [list(frame.columns)] + frame.astype(float).values.tolist()
    expected = REGISTRY["KMEANS_SEGMENT"](rows, 3)
    got = bridge.call("KMEANS_SEGMENT", (tuple(map(tuple, rows)), 3.0, None, None, None, None))
    assert [list(r) for r in got] == [[None if v == "" else v for v in r] for r in expected]


def test_an_unknown_name_is_a_clear_line():
    out = bridge.call("NOT_A_FUNCTION", ())
    assert out[0][0].startswith("#NAME? NOT_A_FUNCTION: ")


# --------------------------------------------------------------------------- real LibreOffice


def _office_or_skip():
    import sys

    from xlmarketing.calc import CalcError, manage

    try:
        manage.soffice()
        _, version = manage.office_python()
    except CalcError as exc:
        pytest.skip(str(exc))
    if version != "{}.{}".format(*sys.version_info[:2]):
        pytest.skip(f"LibreOffice's Python is {version}: it cannot load this Python's numpy")


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    """A fresh LibreOffice user profile with the extension installed (and the time it took)."""
    _office_or_skip()
    from xlmarketing.calc import install

    folder = tmp_path_factory.mktemp("calc") / "profile"
    start = time.perf_counter()
    info = install(folder)
    info["seconds"] = time.perf_counter() - start
    print(f"\ninstall into a new profile: {info['seconds']:.1f} s")
    return folder, info


def _serial(d) -> float:
    return float((dt.datetime(d.year, d.month, d.day) - dt.datetime(1899, 12, 30)).days)


def _rows(frame) -> list[list]:
    """A table as the cells Calc hands over: a header row, numbers as floats, dates as serials."""
    out = [list(frame.columns)]
    for rec in frame.itertuples(index=False):
        row = []
        for v in rec:
            if isinstance(v, dt.date):  # also datetime and pandas.Timestamp
                row.append(_serial(v))
            elif isinstance(v, str):
                row.append(v)
            else:
                row.append(float(v))
        out.append(row)
    return out


def _family_calls():
    """One call per function family: (sheet, function, [ranges], [typed arguments])."""
    customers = samples.customers(80)[["Region", "Annual spend", "Orders", "Days since last order"]]
    history = samples.churn_history(160)
    features = [c for c in history.columns if c not in ("Customer ID", "Churned")][:5]
    sales, _ = samples.monthly_sales(36)
    orders = samples.orders(40)
    reviews = samples.reviews(40)[["Review"]]
    _, baskets = samples.purchases(40)
    return [
        ("Segments", "KMEANS_SEGMENT", [_rows(customers)], [3.0]),
        ("Churn", "CHURN_PROB", [_rows(history[features]), _rows(history[["Churned"]])],
         [None, "Yes"]),
        ("Forecast", "SALES_FORECAST", [_rows(sales[["Month", "Units sold"]])],
         [6.0]),
        ("RFM", "RFM_SEGMENT", [_rows(orders)], []),
        ("Text", "SENTIMENT", [_rows(reviews)], []),
        ("Baskets", "BASKET_RULES", [_rows(baskets)], [0.05]),
    ]


def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _expected(cells) -> list[list]:
    """A registered function's result as Calc shows it: blanks "", error codes as errors."""
    width = max(len(r) for r in cells)
    out = []
    for r in cells:
        row = []
        for v in list(r) + [None] * (width - len(r)):
            if v is None or v == "":
                row.append("")
            elif isinstance(v, str) and v in bridge.CALC_ERRORS:
                row.append({"error": v})
            elif isinstance(v, bool) or not isinstance(v, str):
                row.append(float(v))
            else:
                row.append(v)
        out.append(row)
    return out


def _literal(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"'
    return repr(v)


def _workbook(path: Path):
    """One sheet per family: its data from A1, the call's array formula beside it; and a bad
    call. Returns {sheet: (first column of the result, expected cells)} and the bad call's line."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    expected = {}
    for sheet, name, ranges, typed in _family_calls():
        ws = wb.create_sheet(sheet)
        col, refs = 1, []
        for rows in ranges:
            for r, row in enumerate(rows, start=1):
                for c, v in enumerate(row, start=col):
                    ws.cell(r, c, v)
            refs.append(f"{_col(col)}1:{_col(col + len(rows[0]) - 1)}{len(rows)}")
            col += len(rows[0]) + 1
        cells = REGISTRY[name](*ranges, *typed)
        want = _expected(cells)
        top_left = f"{_col(col)}1"
        ref = f"{top_left}:{_col(col + len(want[0]) - 1)}{len(want)}"
        args = ", ".join(refs + [_literal(v) for v in typed])
        ws[top_left] = ArrayFormula(ref, f"=_xludf.{name}({args})")
        expected[sheet] = (col - 1, want)
    bad = wb.create_sheet("Bad")
    for r, row in enumerate([["Spend", "Visits"], [1.0, 2.0], [3.0, 4.0]], start=1):
        for c, v in enumerate(row, start=1):
            bad.cell(r, c, v)
    bad["D1"] = ArrayFormula("D1:E3", "=_xludf.KMEANS_SEGMENT(A1:B3, 8)")
    with pytest.raises(XLMError) as info:
        REGISTRY["KMEANS_SEGMENT"]([["Spend", "Visits"], [1.0, 2.0], [3.0, 4.0]], 8)
    wb.save(path)
    return expected, info.value.text


@pytest.mark.slow
def test_the_extension_is_installed(profile):
    from xlmarketing.calc import IDENTIFIER, installed

    folder, info = profile
    assert info["identifier"] == IDENTIFIER
    assert [p["identifier"] for p in installed(folder)] == [IDENTIFIER]
    packages = folder / "user" / "uno_packages" / "cache" / "uno_packages"
    assert list(packages.glob("*/xlmarketing.oxt/xlmarketing_calc.py"))


@pytest.mark.slow
def test_calc_computes_every_family_as_the_registry_does(profile, tmp_path):
    from xlmarketing.calc import recalc

    folder, info = profile
    path = tmp_path / "families.xlsx"
    expected, bad_line = _workbook(path)
    start = time.perf_counter()
    sheets = recalc(path, folder)
    seconds = time.perf_counter() - start
    cells = 0
    for sheet, (col, want) in expected.items():
        got = [row[col:col + len(want[0])] for row in sheets[sheet][:len(want)]]
        assert got == want, sheet
        cells += len(want) * len(want[0])
    print(f"\nCalc recalculated {len(expected)} calls ({cells} cells) in {seconds:.1f} s "
          f"(install {info['seconds']:.1f} s); every value equal to the in-process call")
    # The bad call: the one-line message top-left, real error cells beside and below it
    # (Calc fills the rest of the array with #N/A).
    bad = sheets["Bad"]
    assert bad[0][3] == bad_line
    assert bad[0][4] == {"error": "#NUM!"} and bad[1][3] == {"error": "#NUM!"}
    assert bad[2][3] == {"error": "#N/A"}


@pytest.mark.slow
def test_the_function_wizard_shows_the_specification(profile):
    from xlmarketing.calc.manage import wizard

    folder, _ = profile
    shown = wizard(["KMEANS_SEGMENT", "SALES_FORECAST"], folder)
    for name in ("KMEANS_SEGMENT", "SALES_FORECAST"):
        spec = REGISTRY[name].spec
        assert shown[name]["description"] == spec.summary
        assert [a["name"] for a in shown[name]["arguments"]] == list(spec.params)


@pytest.mark.slow
def test_a_template_converted_to_ods_computes_live(profile, tmp_path):
    from xlmarketing.calc import convert, recalc

    folder, _ = profile
    source = ROOT / "workbooks" / "customer_segmentation.xlsx"
    info = convert(source, tmp_path / "segmentation.ods", folder)
    # Every formula of ours in the template (counted with the catalog) is now a Calc call.
    from openpyxl import load_workbook

    from xlmarketing import catalog

    ours = sum(1 for ws in load_workbook(source).worksheets for row in ws.iter_rows()
               for c in row if isinstance(c.value, str) and c.value.startswith("=")
               and catalog.calls_ours(c.value))
    assert info["calls"] == ours >= 6
    # Only the chart helper's deliberate #N/A cells show an error: nothing is #NAME?.
    assert set(info["errors"]) <= {"#N/A"}
    with zipfile.ZipFile(tmp_path / "segmentation.ods") as z:
        content = z.read("content.xml").decode()
    assert "of:=_XLUDF.KMEANS_SEGMENT(" in content
    # Opened again and recalculated, the segments are numbers (not #NAME?) and equal the
    # in-process call on the same table.
    sheets = recalc(tmp_path / "segmentation.ods", folder)
    import openpyxl

    ws = openpyxl.load_workbook(source)["Customers"]
    table = ws.tables["Customers"]
    first, last = table.ref.split(":")
    rows = [[c.value for c in r] for r in ws[first:last]]
    header = rows[0]
    lo, hi = header.index("Channel"), header.index("Days since last order")
    data = [[None if v is None else (float(v) if isinstance(v, int | float) else v)
             for v in r[lo:hi + 1]] for r in rows]
    want = _expected(REGISTRY["KMEANS_SEGMENT"](data, 4))
    col = next(c.column - 1 for c in ws[1] if str(c.value).startswith("=KMEANS_SEGMENT("))
    got = [[r[col]] for r in sheets["Customers"][:len(want)]]
    assert got == want


@pytest.mark.slow
def test_without_xlmarketing_importable_every_call_says_so(profile, tmp_path):
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    from xlmarketing.calc import install, recalc

    folder, _ = profile
    broken = extension.build(tmp_path / "broken.oxt", paths=[])  # nothing to import from
    assert install(folder, oxt=broken)["replaced"] is True
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = "Spend", 1.0
    wb.active["C1"] = ArrayFormula("C1:D2", "=_xludf.KMEANS_SEGMENT(A1:A2, 2)")
    wb.save(tmp_path / "broken.xlsx")
    rows = recalc(tmp_path / "broken.xlsx", folder)["Sheet"]
    assert rows[0][2].startswith("#VALUE! KMEANS_SEGMENT: xlmarketing cannot be imported by "
                                 "LibreOffice's Python (")
    assert "No module named 'xlmarketing" in rows[0][2]
    assert rows[0][3] == rows[1][2] == {"error": "#VALUE!"}


@pytest.mark.slow
def test_uninstall_leaves_nothing_behind(profile, tmp_path):
    import openpyxl

    from xlmarketing.calc import installed, recalc, uninstall

    folder, _ = profile
    assert uninstall(folder)["removed"] is True
    assert installed(folder) == []
    cache = folder / "user" / "uno_packages" / "cache"
    assert not [p for p in cache.rglob("*") if "xlmarketing" in p.name]
    # The text registries forget it. (The component registry common.rdb is a binary store
    # whose freed blocks may keep the old path's bytes; that it is no longer registered shows
    # below: Calc no longer finds the function.)
    texts = [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".rdb"]
    assert texts and not [p for p in texts if "xlmarketing" in p.read_text(errors="ignore")]
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = "Spend", 1.0
    wb.active["C1"] = "=_xludf.KMEANS_SEGMENT(A1:A2, 2)"
    wb.save(tmp_path / "after.xlsx")
    assert recalc(tmp_path / "after.xlsx", folder)["Sheet"][0][2] == {"error": "#NAME?"}
    assert uninstall(folder)["removed"] is False

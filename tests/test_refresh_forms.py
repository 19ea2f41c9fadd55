"""Golden test of the formula forms analysts write around our functions, refreshed headless.

Every expected value is computed independently of the engine: our functions are called
directly on the same cell values, and what Excel does around them (ROUND, INDEX, SUM, IF,
comparisons, spills, …) is done here by hand with numpy from Excel's documented semantics.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import zipfile

import numpy as np
import openpyxl
import pytest
from openpyxl.styles import numbers
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table

from xlmarketing.functions import REGISTRY
from xlmarketing.workbook import RefreshFailed, refresh_workbook

N = 40
SEG = "KMEANS_SEGMENT(Data!A2:C41,3)"
CHURN = "CHURN_PROB(Data!A2:C41,Data!D2:D41)"


def data() -> tuple[list[list], list[list]]:
    rnd = random.Random(3)
    rows = [["Spend", "Visits", "Tenure"]] + [
        [round(rnd.gauss(800 if i % 3 == 0 else 150, 40), 2), rnd.randint(1, 30), rnd.randint(1, 60)]
        for i in range(N)]
    labels = [["Churned"]] + [[int(rnd.random() < 0.4)] for _ in range(N)]
    return rows, labels


def sales() -> list[list]:
    start = dt.datetime(2022, 1, 3)
    return [["Week", "Sales"]] + [[start + dt.timedelta(weeks=i), 1000 + 10 * i + 200 * (i % 13 < 2)]
                                  for i in range(60)]


def excel_round(x: float, digits: int) -> float:
    """Excel's ROUND: half away from zero."""
    f = 10 ** digits
    return math.copysign(math.floor(abs(x) * f + 0.5) / f, x)


def expected() -> dict[str, object]:
    rows, labels = data()
    nums = [r for r in rows[1:]]
    seg_h = REGISTRY["KMEANS_SEGMENT"](rows, 3)
    seg = np.array([r[0] for r in REGISTRY["KMEANS_SEGMENT"](nums, 3)], dtype=float)
    seg2 = np.array([r[0] for r in REGISTRY["KMEANS_SEGMENT"](nums, 2)], dtype=float)
    churn = np.array([r[0] for r in REGISTRY["CHURN_PROB"](nums, [r for r in labels[1:]])])
    fc = REGISTRY["SALES_FORECAST"](sales(), 4)
    col = seg.reshape(-1, 1)
    return {
        "plain": [[v[0]] for v in seg_h],
        "sum": seg.sum(),
        "round": [[excel_round(p, 2)] for p in churn],
        "index": seg_h[1][0],
        "iferror_caught": "too many",
        "iferror_passed": [[v[0]] for v in seg_h],
        "times": (col * 10).tolist(),
        "two_calls": (col + seg2.reshape(-1, 1)).tolist(),
        "equals": (col == 1).tolist(),
        "if_text": np.where(col == 1, "top", "other").tolist(),
        "max": seg.max(),
        "count2": float((seg == 2).sum()),
        "arg_expr": seg.reshape(-1, 1).tolist(),
        "arg_if": seg.reshape(-1, 1).tolist(),
        "arg_choose": seg.reshape(-1, 1).tolist(),
        "xludf": [[v[0]] for v in seg_h],
        "xlm_prefix": [[v[0]] for v in seg_h],
        "sum_anchorarray": seg.sum(),
        "sum_hash": seg.sum(),
        "rows_spill": float(N + 1),
        "ours_of_spill": [[v[0]] for v in REGISTRY["KMEANS_SEGMENT"](seg_h, 2)],
        "sort": np.sort(seg).reshape(-1, 1).tolist(),
        "xlookup": 2.0 if 2 in seg else "#N/A",
        "cell_times_2": seg[0] * 2,
        "chain": seg[0] * 2 * 3,
        "average": seg.mean(),
        "countif": float((seg == 1).sum()),
        "sumproduct": float(np.dot(seg, [r[0] for r in nums])),
        "round_avg": excel_round(churn.mean(), 3),
        "index_forecast": fc[2][1],
        "table_sum": seg.sum(),
        "name_max": seg.max(),
        "ge": (col >= 2).tolist(),
        "negate": (-col).tolist(),
        "concat": [[f"{int(v)}!"] for v in seg],
        "whole_cols": seg.sum(),
        "forecast": fc,
    }


# (key, cell, formula); each in its own column of sheet F, spaced so spills never meet.
FORMS = [
    ("plain", "=KMEANS_SEGMENT(Data!A1:C41,3)"),
    ("sum", f"=SUM({SEG})"),
    ("round", f"=ROUND({CHURN},2)"),
    ("index", "=INDEX(KMEANS_SEGMENT(Data!A1:C41,3),2,1)"),
    ("iferror_caught", '=IFERROR(KMEANS_SEGMENT(Data!A1:C41,99),"too many")'),
    ("iferror_passed", '=IFERROR(KMEANS_SEGMENT(Data!A1:C41,3),"x")'),
    ("times", f"={SEG}*10"),
    ("two_calls", f"={SEG}+KMEANS_SEGMENT(Data!A2:C41,2)"),
    ("equals", f"={SEG}=1"),
    ("if_text", f'=IF({SEG}=1,"top","other")'),
    ("max", f"=MAX({SEG})"),
    ("count2", f"=SUM(--({SEG}=2))"),
    ("arg_expr", "=KMEANS_SEGMENT(Data!A2:C41*1,3)"),
    ("arg_if", "=KMEANS_SEGMENT(IF(Data!A2:C41>0,Data!A2:C41,0),3)"),
    ("arg_choose", "=KMEANS_SEGMENT(Data!A2:C41,CHOOSE(2,2,3))"),
    ("xludf", "=_xludf.KMEANS_SEGMENT(Data!A1:C41,3)"),
    ("xlm_prefix", "=XLMARKETING.KMEANS_SEGMENT(Data!A1:C41,3)"),
    ("sum_anchorarray", "=SUM(_xlfn.ANCHORARRAY(A1))"),
    ("sum_hash", "=SUM(A1#)"),
    ("rows_spill", "=ROWS(_xlfn.ANCHORARRAY(A1))"),
    ("ours_of_spill", "=KMEANS_SEGMENT(_xlfn.ANCHORARRAY(A1),2)"),
    ("sort", f"=_xlfn._xlws.SORT({SEG})"),
    ("xlookup", f"=_xlfn.XLOOKUP(2,{SEG},{SEG})"),
    ("cell_times_2", "=A2*2"),
    ("chain", "=W1*3"),  # W1 stands for cell_times_2's cell (put in by build())
    ("average", "=AVERAGE(A2:A41)"),
    ("countif", "=COUNTIF(A2:A41,1)"),
    ("sumproduct", "=SUMPRODUCT(A2:A41,Data!A2:A41)"),
    ("round_avg", f"=ROUND(AVERAGE({CHURN}),3)"),
    ("index_forecast", "=INDEX(SALES_FORECAST(Sales!A1:B61,4),3,2)"),
    ("table_sum", "=SUM(KMEANS_SEGMENT(Customers[[Spend]:[Tenure]],3))"),
    ("name_max", "=MAX(KMEANS_SEGMENT(CustData,3))"),
    ("ge", f"={SEG}>=2"),
    ("negate", f"=-{SEG}"),
    ("concat", f'={SEG}&"!"'),
    ("whole_cols", "=SUM(KMEANS_SEGMENT(Data!A:C,3))"),
    ("forecast", "=SALES_FORECAST(Sales!A1:B61,4)"),
]


def cell_of(key: str) -> str:
    """Form i sits in row 1 of column 2i+1 (A1, C1, E1, …)."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(2 * [k for k, _ in FORMS].index(key) + 1)}1"


def build(path) -> None:
    rows, labels = data()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for r, lab in zip(rows, labels, strict=True):
        ws.append(r + lab)
    ws.add_table(Table(displayName="Customers", ref=f"A1:D{N + 1}"))
    wb.defined_names["CustData"] = DefinedName("CustData", attr_text=f"Data!$A$2:$C${N + 1}")
    sh = wb.create_sheet("Sales")
    for r in sales():
        sh.append(r)
    for i in range(2, 62):
        sh[f"A{i}"].number_format = numbers.FORMAT_DATE_YYYYMMDD2
    f = wb.create_sheet("F")
    for key, formula in FORMS:
        f[cell_of(key)] = formula.replace("=W1*3", f"={cell_of('cell_times_2')}*3")
    f["ZZ1"] = "=1+1"  # no saved value, not ours: computed so readers see a value
    f["ZZ2"] = "=RAND()"  # a saved value that must not be re-rolled
    u = wb.create_sheet("Unsupported")
    u["A1"] = "=KMEANS_SEGMENT(Data!A2:C41,NOSUCHFN(3))"
    wb.save(path)
    # give ZZ2 a saved value, as Excel would have
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet3.xml"].decode()
    sheet, n = re.subn(r'(<c r="ZZ2"[^>]*>)<f>RAND\(\)</f><v\s*/?>(?:</v>)?', r"\1<f>RAND()</f><v>0.25</v>",
                       sheet)
    assert n == 1
    parts["xl/worksheets/sheet3.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in parts.items():
            z.writestr(name, blob)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forms")
    src, out = tmp / "forms.xlsx", tmp / "out.xlsx"
    build(src)
    report = refresh_workbook(src, out, formula_engine="formulas")
    return src, out, report


def grid_at(ws, ref: str, rows: int, cols: int) -> list[list]:
    c = ws[ref]
    return [[ws.cell(c.row + i, c.column + j).value for j in range(cols)] for i in range(rows)]


def same(got, want) -> bool:
    if isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=False))
    if isinstance(want, (bool, np.bool_)):
        return got is bool(want) or got == bool(want)
    if isinstance(want, (int, float, np.number)) and not isinstance(got, str):
        return got is not None and math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-12)
    return got == want


@pytest.mark.parametrize("key", [k for k, _ in FORMS if k != "forecast"])
def test_form(refreshed, key):
    _, out, report = refreshed
    want = expected()[key]
    ws = openpyxl.load_workbook(out, data_only=True)["F"]
    ref = cell_of(key)
    if isinstance(want, list):
        got = grid_at(ws, ref, len(want), len(want[0]))
        # the spill ends where the result ends
        below = ws.cell(ws[ref].row + len(want), ws[ref].column).value
        assert below is None, (key, below)
    else:
        got = ws[ref].value
    assert same(got, want), (key, got, want)
    assert not [e for e in report.errors if e.sheet == "F"], report.lines()


def test_date_results_get_a_date_format(refreshed):
    _, out, _ = refreshed
    want = expected()["forecast"]
    ws = openpyxl.load_workbook(out, data_only=True)["F"]
    ref = cell_of("forecast")
    c = ws[ref]
    assert ws.cell(c.row, c.column).value == "Period"
    first = ws.cell(c.row + 1, c.column)
    assert first.is_date and first.value == dt.datetime(1899, 12, 30) + dt.timedelta(days=want[1][0])
    assert not ws.cell(c.row + 1, c.column + 1).is_date  # the forecast itself stays a number
    assert ws.cell(c.row + 1, c.column + 1).value == pytest.approx(want[1][1])


def test_outer_array_results_spill_as_dynamic_arrays(refreshed):
    _, out, _ = refreshed
    ws = openpyxl.load_workbook(out)["F"]
    times = ws[cell_of("times")].value
    assert times.ref == f"{cell_of('times')}:{cell_of('times')[:-1]}{N}"
    assert times.text == f"={SEG}*10"
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet3.xml").decode()
    assert re.search(rf'<c r="{cell_of("sum")}"[^>]*cm="1"', sheet)


def test_only_dependents_change(refreshed):
    src, out, report = refreshed
    ws = openpyxl.load_workbook(out, data_only=True)["F"]
    assert ws["ZZ1"].value == 2  # had no saved value
    assert ws["ZZ2"].value == 0.25  # RAND() not re-rolled: it does not depend on us
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        assert a.read("xl/worksheets/sheet1.xml") == b.read("xl/worksheets/sheet1.xml")
        assert a.read("xl/workbook.xml") == b.read("xl/workbook.xml")  # calc flags kept
    assert report.engine == "formulas"


def test_unsupported_form_is_an_error_cell_with_comment(refreshed, tmp_path):
    src, out, report = refreshed
    [err] = [e for e in report.errors if e.sheet == "Unsupported"]
    assert (err.cell, err.code) == ("A1", "#VALUE!") and "NOSUCHFN" in err.message
    wb = openpyxl.load_workbook(out)
    assert "NOSUCHFN" in wb["Unsupported"]["A1"].comment.text
    assert openpyxl.load_workbook(out, data_only=True)["Unsupported"]["A1"].value == "#VALUE!"
    with pytest.raises(RefreshFailed, match="Unsupported!A1"):
        refresh_workbook(src, tmp_path / "strict.xlsx", strict=True, formula_engine="formulas")
    assert not (tmp_path / "strict.xlsx").exists()


def test_forms_count():
    assert len(FORMS) == 37  # the README's count


def test_whole_column_references_read_the_rows_our_results_add(tmp_path):
    """=COUNTA(A:A) next to a 20-row spill counts the spill, not only the rows saved in the file."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S1"
    ws.append(["Review"])
    for i in range(20):
        ws.append([f"great product {i}" if i % 2 else f"awful, it broke {i}"])
    s2 = wb.create_sheet("S2")
    s2["A1"] = "=SENTIMENT(S1!A1:A21)"
    s2["B1"], s2["C1"] = "=COUNTA(A:A)", "=COUNT(A:A)"
    wb.save(tmp_path / "in.xlsx")
    rep = refresh_workbook(tmp_path / "in.xlsx", tmp_path / "out.xlsx", formula_engine="formulas")
    got = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["S2"]
    assert rep.errors == []
    # The header label and 20 scores; of them, 20 numbers.
    assert (got["B1"].value, got["C1"].value) == (21, 20)
    assert got["A1"].value == "Sentiment"


# --------------------------------------------------------------------------- formulas' names


def test_the_written_down_function_names_are_formulas_own():
    """The names the graph checks without importing ``formulas`` are exactly the package's."""
    import formulas

    from xlmarketing.workbook.formulas_functions import NAMES, VERSION

    known = set(formulas.get_functions())
    assert NAMES == known, (
        f"formulas {formulas.__version__} (the list is from {VERSION}): missing "
        f"{sorted(known - NAMES)[:10]}, extra {sorted(NAMES - known)[:10]}; run "
        "python tools/formulas_functions.py")


def test_building_the_graph_does_not_import_formulas(tmp_path):
    """Ordinary formulas around ours are checked by name only: with the dependents left to
    another engine (here none), the in-process engine (``formulas``, 1-3 s to import with the
    scipy.stats it loads) is never imported."""
    import subprocess
    import sys

    src = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Spend", "Visits"])
    for i in range(12):
        ws.append([10 * i + (i % 3) * 200, i % 5])
    ws["D1"] = "=KMEANS_SEGMENT(A1:B13, 2)"
    ws["F1"] = "=SUM(D2:D13)+NOTAFUNCTION(1)"
    ws["F2"] = "=ROUND(AVERAGE(A2:A13),1)"
    wb.save(src)
    code = ("import sys\nfrom xlmarketing.workbook import refresh_workbook\n"
            f"rep = refresh_workbook({str(src)!r}, {str(tmp_path / 'o.xlsx')!r}, "
            "formula_engine='none')\n"
            "print(rep.cells, 'formulas' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split("\n")[-2] == "1 False", run.stdout + run.stderr

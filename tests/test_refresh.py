"""Golden tests of the headless refresh: a template written with openpyxl, refreshed once with
LibreOffice as the formula engine, then read back with openpyxl, pandas and LibreOffice."""

from __future__ import annotations

import random
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table

from xlmarketing.functions import REGISTRY
from xlmarketing.workbook import refresh_workbook

N = 40  # customers


def customers(seed: int = 7) -> list[list]:
    rnd = random.Random(seed)
    rows = [["Spend", "Visits", "Channel"]]
    for _ in range(N):
        big = rnd.random() < 0.4
        rows.append([round(rnd.gauss(900 if big else 150, 60), 2), rnd.randint(15, 25) if big else
                     rnd.randint(1, 6), rnd.choice(["web", "store"])])
    return rows


def build_template(path) -> None:
    rows = customers()
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "Cust Data"
    for r in rows:
        data.append(r)
    data["D1"] = "Score"
    for i in range(2, N + 2):
        data[f"D{i}"] = f"=A{i}*2"  # formula cells used as inputs (no cached value yet)
    data.add_table(Table(displayName="Customers", ref=f"A1:D{N + 1}"))
    data["A1"].comment = Comment("Spend in dollars", "Analyst")
    dv = DataValidation(type="list", formula1='"web,store"')
    dv.add(f"C2:C{N + 1}")
    data.add_data_validation(dv)
    wb.defined_names["CustData"] = DefinedName("CustData", attr_text=f"'Cust Data'!$A$1:$C${N + 1}")
    wb.defined_names["K"] = DefinedName("K", attr_text="3")

    calc = wb.create_sheet("Calc")
    calc.defined_names["LocalData"] = DefinedName("LocalData",
                                                  attr_text=f"'Cust Data'!$A$2:$B${N + 1}")
    calc["A1"] = f"=KMEANS_SEGMENT('Cust Data'!A1:C{N + 1}, 3)"
    calc["B1"] = "=XLMARKETING.KMEANS_SEGMENT('Cust Data'!$A:$C, K)"
    calc["C1"] = "=XLWINGS.KMEANS_SEGMENT(CustData, 3)"
    calc["D1"] = "=_xludf.KMEANS_SEGMENT(Customers[[Spend]:[Visits]], 3)"
    calc["E1"] = "=[1]!KMEANS_SEGMENT(LocalData, 3)"
    calc["F1"] = "=KMEANS_SEGMENT(Customers[Spend], 2)"
    calc["G1"] = "=KMEANS_SEGMENT(Customers[#Data], 3)"
    calc["H1"] = "=SEGMENT_PROFILE(Customers[#All], 3)"
    calc["U1"] = "=XLM_CACHE_INFO()"
    calc["S1"] = f"=AVERAGE(A2:A{N + 1})"
    calc["S2"] = f"=COUNTIF(A2:A{N + 1},1)"
    calc["S3"] = "=S1*2"
    calc["T1"] = f"=KMEANS_SEGMENT('Cust Data'!A1:C{N + 1}, 99)"
    calc["A1"].font = Font(bold=True)
    for i in range(2, N + 2):
        calc[f"A{i}"].number_format = "0.00"

    rep = wb.create_sheet("Report")
    rep["A1"] = f"=MAX(Calc!A2:A{N + 1})"
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=N + 1), titles_from_data=True)
    rep.add_chart(chart, "C3")
    wb.save(path)


def expected() -> dict[str, list[list]]:
    rows = customers()
    with_score = [r + [r[0] * 2] for r in rows[1:]]
    return {
        "full": REGISTRY["KMEANS_SEGMENT"](rows, 3.0),
        "two_cols": REGISTRY["KMEANS_SEGMENT"]([r[:2] for r in rows[1:]], 3.0),
        "spend": REGISTRY["KMEANS_SEGMENT"]([[r[0]] for r in rows[1:]], 2.0),
        "scored": REGISTRY["KMEANS_SEGMENT"](with_score, 3.0),
        "profile": REGISTRY["SEGMENT_PROFILE"]([rows[0] + ["Score"]] + with_score, 3.0),
    }


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("golden")
    src, out = tmp / "template.xlsx", tmp / "refreshed.xlsx"
    build_template(src)
    before = src.read_bytes()
    report = refresh_workbook(src, out)
    assert src.read_bytes() == before  # the input is never modified
    return src, out, report, expected()


def column(ws, col: str, n: int) -> list:
    return [ws[f"{col}{i}"].value for i in range(1, n + 1)]


def test_values_every_reference_form(golden):
    _, out, report, exp = golden
    ws = openpyxl.load_workbook(out, data_only=True)["Calc"]
    full = [r[0] for r in exp["full"]]
    assert full[0] == "Segment" and set(full[1:]) == {1, 2, 3}
    assert column(ws, "A", N + 1) == full  # plain range, quoted sheet name
    assert column(ws, "B", N + 1) == full  # whole columns + named constant
    assert column(ws, "C", N + 1) == full  # workbook-scope defined name
    assert column(ws, "D", N) == [r[0] for r in exp["two_cols"]]  # Table[[Spend]:[Visits]]
    assert column(ws, "E", N) == [r[0] for r in exp["two_cols"]]  # sheet-scope name, [1]!
    assert column(ws, "F", N) == [r[0] for r in exp["spend"]]  # Table[Spend]
    assert column(ws, "G", N) == [r[0] for r in exp["scored"]]  # formula cells as inputs
    profile = [[c.value for c in row] for row in ws["H1:P4"]]
    assert profile == [[v if v != "" else None for v in r] for r in exp["profile"]]
    assert ws["A42"].value is None and ws["H5"].value is None
    assert report.refreshed["KMEANS_SEGMENT"] == 7 and report.refreshed["SEGMENT_PROFILE"] == 1
    assert report.refreshed["XLM_CACHE_INFO"] == 1


def test_cache_info_and_hits(golden):
    _, out, report, _ = golden
    ws = openpyxl.load_workbook(out, data_only=True)["Calc"]
    info = {ws[f"U{i}"].value: ws[f"V{i}"].value for i in range(1, 40)}
    assert info["Entries"] >= 1 and "Fits: kmeans" in info
    # A, B and C hold the same data and parameters: one fit serves them all
    assert report.cache_hits >= 2


def test_dependents_from_a_real_engine(golden):
    _, out, report, exp = golden
    wb = openpyxl.load_workbook(out, data_only=True)
    seg = [r[0] for r in exp["full"][1:]]
    # LibreOffice, when installed, computes the ordinary dependents (the in-process engine
    # only what feeds our functions); without it, in-process
    import shutil

    assert report.engine == ("formulas+libreoffice" if shutil.which("soffice") else "formulas")
    assert not report.not_recomputed, report.lines()
    assert wb["Calc"]["S1"].value == pytest.approx(sum(seg) / len(seg))
    assert wb["Calc"]["S2"].value == seg.count(1)
    assert wb["Calc"]["S3"].value == pytest.approx(2 * sum(seg) / len(seg))
    assert wb["Report"]["A1"].value == max(seg)
    assert report.dependents >= 4 + N  # S1:S3, Report!A1 and the Score column


def test_formulas_kept_as_dynamic_arrays(golden):
    src, out, _, _ = golden
    ws = openpyxl.load_workbook(out)["Calc"]
    a1 = ws["A1"].value
    assert isinstance(a1, ArrayFormula) and a1.ref == f"A1:A{N + 1}"
    assert a1.text == f"=KMEANS_SEGMENT('Cust Data'!A1:C{N + 1}, 3)"
    assert ws["H1"].value.ref == "H1:P4"
    assert ws["S1"].value == f"=AVERAGE(A2:A{N + 1})"
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
        assert re.search(r'<c r="A1"[^>]*cm="1"[^>]*><f t="array" ref="A1:A41">', sheet)
        assert "XLDAPR" in z.read("xl/metadata.xml").decode()
        assert "sheetMetadata" in z.read("xl/_rels/workbook.xml.rels").decode()
        assert "/xl/metadata.xml" in z.read("[Content_Types].xml").decode()
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        # calc flags (openpyxl's fullCalcOnLoad here) are the author's: kept byte for byte
        assert a.read("xl/workbook.xml") == b.read("xl/workbook.xml")


def test_pandas_reads_values(golden):
    _, out, _, exp = golden
    df = pd.read_excel(out, sheet_name="Calc", usecols="A:C", engine="openpyxl")
    assert df["Segment"].tolist() == [r[0] for r in exp["full"][1:]]
    assert pd.api.types.is_numeric_dtype(df["Segment"])


def test_user_error_becomes_error_cell_with_comment(golden):
    _, out, report, _ = golden
    ws = openpyxl.load_workbook(out)["Calc"]
    assert ws["T1"].comment is not None and "#NUM!" in ws["T1"].comment.text
    assert openpyxl.load_workbook(out, data_only=True)["Calc"]["T1"].value == "#NUM!"
    [err] = report.errors
    assert (err.sheet, err.cell, err.code, err.function) == ("Calc", "T1", "#NUM!", "KMEANS_SEGMENT")
    assert "k=99" in err.message or "99" in err.message


def test_everything_else_survives(golden):
    src, out, _, _ = golden
    wb = openpyxl.load_workbook(out)
    data = wb["Cust Data"]
    assert data["A1"].comment.text == "Spend in dollars"
    assert data.data_validations.dataValidation[0].formula1 == '"web,store"'
    assert data.tables["Customers"].ref == f"A1:D{N + 1}"
    assert data["D2"].value == "=A2*2"
    assert wb.defined_names["CustData"].attr_text == f"'Cust Data'!$A$1:$C${N + 1}"
    assert wb["Calc"].defined_names["LocalData"].attr_text.endswith(f"$B${N + 1}")
    assert wb["Calc"]["A1"].font.bold and wb["Calc"]["A5"].number_format == "0.00"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        charts = [n for n in a.namelist() if "chart" in n]
        assert charts and all(a.read(n) == b.read(n) for n in charts)
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")


def test_libreoffice_reads_the_refreshed_workbook(golden, libreoffice_sheets, tmp_path):
    _, out, _, exp = golden
    seg = [r[0] for r in exp["full"][1:]]
    sheets = libreoffice_sheets(out)
    # dependents keep the values computed from our results
    assert float(sheets["Calc"][0][18]) == pytest.approx(sum(seg) / len(seg))
    assert float(sheets["Report"][0][0]) == max(seg)
    # a static copy (values only) shows our results in any spreadsheet
    static = tmp_path / "static.xlsx"
    refresh_workbook(golden[0], static, values_only=True, formula_engine="none")
    sheets = libreoffice_sheets(static)
    assert [row[0] for row in sheets["Calc"][: N + 1]] == ["Segment"] + [str(s) for s in seg]
    assert float(sheets["Calc"][0][18]) == pytest.approx(sum(seg) / len(seg))

"""A workbook in the exact shape Excel 365 saves a spilled add-in formula (written with
XlsxWriter: namespaced function, array formula over the old spill range, cell metadata, an
existing metadata part), in a macro-enabled .xlsm."""

from __future__ import annotations

import random
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter
from openpyxl.worksheet.formula import ArrayFormula

from xlmarketing.functions import REGISTRY
from xlmarketing.workbook import refresh_workbook

VBA = b"not really a VBA project, but bytes that must survive untouched" * 10


def rows(n: int = 30) -> list[list]:
    rnd = random.Random(3)
    out = [["Spend", "Visits", "Channel"]]
    for i in range(n):
        out.append([round(rnd.uniform(10, 1000), 2), rnd.randint(1, 30), "web" if i % 3 else "app"])
    return out


@pytest.fixture(scope="module")
def excel_book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("excel")
    vba = tmp / "vbaProject.bin"
    vba.write_bytes(VBA)
    src = tmp / "saved_by_excel.xlsm"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Data")
    money = wb.add_format({"num_format": "$#,##0.00"})
    for i, r in enumerate(rows()):
        ws.write_row(i, 0, r)
    ws.set_column("A:A", 12, money)
    # the previous refresh spilled 40 rows; the data now has 30 customers
    ws.write_dynamic_array_formula("E1:E41", "=_xludf.XLMARKETING.KMEANS_SEGMENT(A1:C31,2)",
                                   None, "Segment")
    for r in range(1, 41):
        ws.write_number(r, 4, 7)
    ws.write_dynamic_array_formula("G1:G1", "=XLWINGS.SEGMENT_PROFILE(A1:C31,2)", None, "stale")
    wb.add_vba_project(str(vba))
    wb.close()
    out = tmp / "refreshed.xlsm"
    report = refresh_workbook(src, out, formula_engine="none")
    return src, out, report


def test_excel_shaped_workbook_refreshes(excel_book):
    _, out, report = excel_book
    exp = REGISTRY["KMEANS_SEGMENT"](rows(), 2.0)
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert [ws[f"E{i}"].value for i in range(1, 32)] == [r[0] for r in exp]
    assert all(ws[f"E{i}"].value is None for i in range(32, 42))  # shrunk spill cleared
    prof = REGISTRY["SEGMENT_PROFILE"](rows(), 2.0)
    assert [[c.value for c in r] for r in ws["G1:N3"]] == prof
    assert report.ok and report.refreshed == {"KMEANS_SEGMENT": 1, "SEGMENT_PROFILE": 1}
    f = openpyxl.load_workbook(out)["Data"]["E1"].value
    assert isinstance(f, ArrayFormula) and f.ref == "E1:E31"
    assert f.text == "=_xludf.XLMARKETING.KMEANS_SEGMENT(A1:C31,2)"


def test_excel_parts_survive(excel_book):
    src, out, _ = excel_book
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        assert b.read("xl/vbaProject.bin") == VBA
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")
        assert a.read("xl/metadata.xml") == b.read("xl/metadata.xml")  # reused, not duplicated
        assert sorted(a.namelist()) == sorted(b.namelist())
        sheet = b.read("xl/worksheets/sheet1.xml").decode()
    assert len(re.findall(r'cm="1"', sheet)) == 2
    assert '<f t="array" ref="G1:N3">' in sheet


def test_refresh_is_idempotent(excel_book, tmp_path):
    _, out, _ = excel_book
    again = tmp_path / "again.xlsm"
    refresh_workbook(out, again, formula_engine="none")
    a = openpyxl.load_workbook(out, data_only=True)["Data"]
    b = openpyxl.load_workbook(again, data_only=True)["Data"]
    assert [[c.value for c in r] for r in a["A1:L45"]] == [[c.value for c in r] for r in b["A1:L45"]]
    with zipfile.ZipFile(out) as x, zipfile.ZipFile(again) as y:
        assert x.read("xl/worksheets/sheet1.xml") == y.read("xl/worksheets/sheet1.xml")

"""A headless refresh against Excel's own saved values (see tests/fidelity.py).

Every formula of each Excel-saved corpus workbook is recomputed (saved values stripped, one
formula of ours added), or a constant becomes an equal-valued formula of ours: each formula
then equals Excel's saved value or is listed as not recomputed, with a reason. Independent
formulas with an empty or whitespace saved value keep their XML byte for byte.
"""

from __future__ import annotations

import re
import shutil
import zipfile

import openpyxl
import pytest

from tests import fidelity as F
from tests.xlsx_edit import parts
from xlmarketing.workbook import RefreshFailed, refresh_workbook

CORPUS = F.corpus()


def ident(p):
    return p.name


@pytest.mark.parametrize("path", CORPUS, ids=ident)
def test_in_process_every_formula_matches_excel_or_is_kept(tmp_path, path):
    saved = F.saved_values(path)
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    F.strip_and_add(path, src)
    rep = refresh_workbook(src, out, formula_engine="formulas")
    verdict = F.judge(saved, out, rep)
    assert verdict.ok, verdict.wrong[:5]
    assert all(n.reason for n in rep.not_recomputed)


@pytest.mark.parametrize("path", CORPUS, ids=ident)
def test_a_constant_made_ours_recomputes_its_dependents_as_excel_did(tmp_path, path):
    where = F.a_read_constant(path)
    if where is None:
        pytest.skip("no constant read by a formula")
    saved = F.saved_values(path)
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    F.constant_to_ours(path, src, where)
    rep = refresh_workbook(src, out, formula_engine="formulas")
    assert rep.cells == 1, rep.lines()
    saved.pop(where[:3], None)
    verdict = F.judge(saved, out, rep)
    assert verdict.ok, verdict.wrong[:5]


@pytest.mark.slow
@pytest.mark.parametrize("path", CORPUS, ids=ident)
def test_with_libreoffice_every_formula_matches_excel_or_is_kept(tmp_path, path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    saved = F.saved_values(path)
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    F.strip_and_add(path, src)
    rep = refresh_workbook(src, out)
    verdict = F.judge(saved, out, rep)
    assert verdict.ok, verdict.wrong[:5]


def _book(path, extra):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Spend", "Visits"])
    for i in range(12):
        ws.append([float((i * 37) % 90 + 10), float(i % 5 + 1)])
    ws["D1"] = "=KMEANS_SEGMENT(A1:B13,2)"
    ws["F1"] = "=SUM(D2:D13)"
    ws["H1"] = '=IF(A2>0," ","")'
    ws["H2"] = '=IF(A2>0,"","x")'
    wb.save(path)
    data = parts(path)
    sheet = data["xl/worksheets/sheet1.xml"].decode()
    # as Excel saves text results: a whitespace value with xml:space, and an empty one
    sheet = sheet.replace('<f>IF(A2&gt;0," ","")</f><v /></c>',
                          '<f>IF(A2&gt;0," ","")</f><v xml:space="preserve"> </v></c>')
    sheet = sheet.replace('<f>IF(A2&gt;0,"","x")</f><v /></c>', '<f>IF(A2&gt;0,"","x")</f><v></v></c>')
    sheet = sheet.replace("<f>SUM(D2:D13)</f><v /></c>", "<f>SUM(D2:D13)</f><v>0</v></c>")
    sheet = sheet.replace('<c r="H1">', '<c r="H1" t="str">').replace('<c r="H2">', '<c r="H2" t="str">')
    sheet = extra(sheet)
    with zipfile.ZipFile(path, "w") as z:
        for n, b in data.items():
            z.writestr(n, sheet.encode() if n == "xl/worksheets/sheet1.xml" else b)


@pytest.mark.parametrize("engine", ["formulas", "auto"])
def test_independent_empty_and_whitespace_values_stay_byte_identical(tmp_path, engine):
    if engine == "auto" and shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    _book(src, lambda s: s)
    rep = refresh_workbook(src, out, formula_engine=engine)
    before = parts(src)["xl/worksheets/sheet1.xml"].decode()
    after = parts(out)["xl/worksheets/sheet1.xml"].decode()
    for ref in ("H1", "H2"):
        cell = re.search(rf'<c r="{ref}".*?</c>', before).group(0)
        assert cell in after, (ref, re.search(rf'<c r="{ref}".*?</c>', after).group(0))
    assert not rep.unsaved and not rep.errors, rep.lines()


def test_what_cannot_be_computed_in_process_keeps_its_value_and_strict_fails(tmp_path):
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    # TEXT (formats) and INDIRECT are refused in process; what reads them is kept as well
    _book(src, lambda s: s.replace(
        '<c r="D1"',
        '<c r="J1" t="str"><f>TEXT(F1,"0.0")</f><v>9.0</v></c><c r="K1" t="str"><f>J1&amp;"!"</f>'
        '<v>9.0!</v></c><c r="D1"', 1))
    rep = refresh_workbook(src, out, formula_engine="formulas")
    kept = {n.cell: n.reason for n in rep.not_recomputed}
    assert set(kept) == {"J1", "K1"} and "TEXT" in kept["J1"] and "Data!J1" in kept["K1"]
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert (ws["J1"].value, ws["K1"].value) == ("9.0", "9.0!")
    with pytest.raises(RefreshFailed, match="not be recomputed"):
        refresh_workbook(src, out, formula_engine="formulas", strict=True)


def test_implicit_intersection_row_and_line_breaks_in_process(tmp_path):
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    # rows 2..13: D:D&"/"&B:B (D: our spill) in row 5 takes row 5's cells (Excel's implicit intersection);
    # ROW() is the formula's row; a line break inside a formula is only a space
    _book(src, lambda s: s.replace(
        '<c r="A5"', '<c r="M5" t="str"><f>D:D&amp;"/"&amp;B:B</f><v>x</v></c><c r="A5"', 1)
        .replace('<c r="D1"', '<c r="N1"><f>ROW()+F1*0</f><v>1</v></c>'
                 '<c r="O1"><f>F1+\n1</f><v>1</v></c><c r="D1"', 1))
    rep = refresh_workbook(src, out, formula_engine="formulas")
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert not rep.errors, rep.lines()
    assert ws["N1"].value == 1 and ws["O1"].value == ws["F1"].value + 1
    assert ws["M5"].value == f"{ws['D5'].value:g}/{ws['B5'].value:g}"

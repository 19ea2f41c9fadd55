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


def _segments_sheet():
    """A workbook whose Data sheet holds 12 customers, a KMEANS_SEGMENT and a SUM of its spill."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Spend", "Visits"])
    for i in range(12):
        ws.append([float((i * 37) % 90 + 10), float(i % 5 + 1)])
    ws["D1"] = "=KMEANS_SEGMENT(A1:B13,2)"
    ws["F1"] = "=SUM(D2:D13)"
    return wb, ws


def _book(path, extra):
    wb, ws = _segments_sheet()
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


@pytest.mark.slow
def test_libreoffice_values_excel_would_not_give_are_kept_with_a_reason(tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    wb, ws = _segments_sheet()
    ws["K1"] = True
    formulas = {
        "J1": "=FLOOR(F1,0)",  # Excel #DIV/0!; LibreOffice Err:502, written as #VALUE!
        "J2": "=F1/0",  # #DIV/0! in both
        "J3": "=F1>0",  # in a "0.00" cell LibreOffice answers 1, Excel TRUE
        "J4": "=MODE(D2:D13)",  # 15-digit equality there
        "J5": "=SUM(K1:K3)+F1*0",  # Excel's SUM skips TRUE in a range, LibreOffice adds 1
        "J6": "=_xlfn.AGGREGATE(14,6,D2:D13,1)",  # LARGE: computed
        "J7": "=IF(K1,F1,0)",  # TRUE passed through: computed
        "J8": "=--(F1>0)",  # LibreOffice marks it TRUE; Excel 1
        "J9": "=IF(K1,K1,F1)",  # TRUE, by its type: in a "0.00" cell LibreOffice answered 1
    }
    for ref, f in formulas.items():
        ws[ref] = f
    ws["J3"].number_format = ws["J9"].number_format = "0.00"
    wb.save(src)
    rep = refresh_workbook(src, out)
    kept = {n.cell: n.reason for n in rep.not_recomputed}
    assert set(kept) == {"J1", "J4", "J5"}, kept
    assert "#VALUE!" in kept["J1"] and "MODE" in kept["J4"] and "SUM" in kept["J5"]
    got = openpyxl.load_workbook(out, data_only=True)["Data"]
    segments = [got.cell(r, 4).value for r in range(2, 14)]
    assert got["J2"].value == "#DIV/0!"
    assert got["J3"].value is True
    assert got["J6"].value == max(segments)
    assert got["J7"].value == got["F1"].value == sum(segments)
    assert got["J8"].value == 1 and got["J8"].value is not True
    assert got["J9"].value is True
    with pytest.raises(RefreshFailed):
        refresh_workbook(src, out, strict=True)


@pytest.mark.parametrize("formula,kind", [
    ("AND(Sheet2!C39:U47)", "logical"), ("ROUND(B2,12)=ROUND(C2,12)", "logical"),
    ("(A1>2)", "logical"), ("IFERROR(A1>3,FALSE)", "logical"), ("--(A1>3)", "number"),
    ("(A1>3)*1", "number"), ("IF(A1>3,1,0)", "number"), ("SUM(A1:A3)", "number"), ("1E+3", "number"),
    ("IF(A1>9,TRUE,0)", None), ("A2", None), ("+A2", None), ("'x-y'!A1", None),
    ("Table1[Col-Name]", None), ('"a-b"&A1', None), ("INDEX(A:A,3)", None),
])
def test_the_result_type_a_formula_decides(formula, kind):
    from xlmarketing.workbook.lo_trust import result_type, typed

    assert result_type(formula) == kind
    one = typed(1, kind)
    assert one is True if kind == "logical" else (one == 1 and one is not True)
    assert typed(True, kind) is (True if kind != "number" else 1)


def test_libreoffice_errors_are_taken_only_when_excel_would_agree():
    from xlmarketing.workbook.lo_trust import error_refusal

    assert error_refusal("#VALUE!", 12.0, "FLOOR(A1,0)")  # its Err:502 (Excel #DIV/0!)
    assert error_refusal("#N/A", None, "IRR(A1:A3)")  # its Err:523 (Excel #NUM!)
    assert error_refusal("#VALUE!", "#VALUE!", "A1+1") is None  # as Excel saved it
    assert error_refusal("#DIV/0!", 3, "A1/0") is None
    assert error_refusal("#N/A", 3, "IF(A1>0,NA(),1)") is None
    assert error_refusal("#N/A", 3, 'IF(A1>0,"#N/A",1)')  # a string, not the error
    assert error_refusal(3, "#N/A", "A1") is None


def test_aggregate_is_refused_when_its_function_may_be_mode():
    from types import SimpleNamespace

    from xlmarketing.workbook.lo_trust import lo_refusal

    def node(text):
        return SimpleNamespace(cell=SimpleNamespace(text=text, sheet="S", dynamic=False))

    values = {"A1": 14, "A2": 13}
    constant = lambda sheet, ref: values.get(ref)  # noqa: E731
    assert lo_refusal(node("_xlfn.AGGREGATE(14,6,B1:B9,1)")) is None
    assert "MODE" in lo_refusal(node("_xlfn.AGGREGATE(13,6,B1:B9)"))
    assert lo_refusal(node("_xlfn.AGGREGATE( $A1,6,B1:B9,1)"), constant) is None
    assert lo_refusal(node("_xlfn.AGGREGATE(A2,6,B1:B9)"), constant)
    assert lo_refusal(node("_xlfn.AGGREGATE(A3,6,B1:B9)"), constant)  # a formula or empty
    assert "MODE" in lo_refusal(node("MODE.SNGL(B1:B9)"))


def test_text_with_a_plain_number_format_goes_to_libreoffice_other_formats_do_not():
    # The templates' subtitles and advice lines use TEXT(x, "#,##0") and "0.0%": LibreOffice
    # renders those as Excel does; "#.##", dates and a format from a cell stay refused.
    from xlmarketing.workbook.lo_trust import _plain_number_formats as plain

    assert plain('=TEXT(MAX(A1:A3), "#,##0")&" customers"')
    assert plain('=IF(B1>0, C1&", "&TEXT(D1, "0")&" months", "")&TEXT(E1, "0.0%")')
    assert not plain('=TEXT(A1, "#.##")')
    assert not plain('=TEXT(A1, B1)')
    assert not plain('=TEXT(A1, "0.0%")&TEXT(A2, "yyyy-mm")')

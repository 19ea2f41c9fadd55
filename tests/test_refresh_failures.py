"""Failures: unreadable files, bad references, spill collisions, one bad cell among many,
strict mode; the input is never touched and no partial output is left behind."""

from __future__ import annotations

import itertools
import math
import random
import zipfile

import openpyxl
import pytest

from xlmarketing.functions import REGISTRY
from xlmarketing.workbook import RefreshFailed, WorkbookError, refresh_workbook


def data_rows(n: int = 20) -> list[list]:
    rnd = random.Random(11)
    return [["Spend", "Visits"]] + [[rnd.randint(10, 900), rnd.randint(1, 30)] for _ in range(n)]


def book(path, formulas: dict[str, str], extra=None) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for r in data_rows():
        ws.append(r)
    for ref, f in formulas.items():
        ws[ref] = f
    if extra:
        extra(ws)
    wb.save(path)


@pytest.mark.parametrize("kind, message", [
    ("missing", "no such file"),
    ("text", "not a zip file"),
    ("corrupt", "damaged zip file"),
    ("zip", "not an Excel workbook"),
    ("encrypted", "password-protected"),
])
def test_unreadable_files_fail_with_one_line(tmp_path, kind, message):
    src = tmp_path / "input.xlsx"
    if kind == "text":
        src.write_text("Spend,Visits\n1,2\n")
    elif kind == "corrupt":
        book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)"})
        src.write_bytes(src.read_bytes()[:-200])
    elif kind == "zip":
        with zipfile.ZipFile(src, "w") as z:
            z.writestr("hello.txt", "not a workbook")
    elif kind == "encrypted":
        src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    before = src.read_bytes() if src.exists() else None
    with pytest.raises(WorkbookError) as exc:
        refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    text = str(exc.value)
    assert message in text and "\n" not in text and "input.xlsx" in text
    assert not (tmp_path / "out.xlsx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["input.xlsx"] if before else [])
    if before is not None:
        assert src.read_bytes() == before


def test_bad_cells_among_many(tmp_path):
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    book(src, {
        "D1": "=KMEANS_SEGMENT(A1:B21, 2)",
        "E1": "=KMEANS_SEGMENT(Nowhere!A1:B21, 2)",
        "F1": "=KMEANS_SEGMENT(NoSuchName, 2)",
        "G1": "=KMEANS_SEGMENT(NoTable[Spend], 2)",
        "H1": "=KMEANS_SEGMENT(A1:B21, 0)",   # "auto" k
        "I1": "=KMEANS_SEGMENT(A1:B21, 50)",  # more segments than customers
        "J1": "=KMEANS_SEGMENT(A1:B21, 3, , , TRUE)",
        "K1": "=KMEANS_SEGMENT(A1:B21+1, 3)",  # an expression argument
    })
    before = src.read_bytes()
    rep = refresh_workbook(src, out, formula_engine="none")
    assert src.read_bytes() == before
    got = {e.cell: e.code for e in rep.errors}
    assert got == {"E1": "#REF!", "F1": "#NAME?", "G1": "#REF!", "I1": "#NUM!", "K1": "#VALUE!"}
    assert "Nowhere" in next(e.message for e in rep.errors if e.cell == "E1")
    assert rep.refreshed["KMEANS_SEGMENT"] == 3
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    exp = REGISTRY["KMEANS_SEGMENT"](data_rows(), 2.0)
    assert [ws[f"D{i}"].value for i in range(1, 22)] == [r[0] for r in exp]
    for ref, code in got.items():
        assert ws[ref].value == code
        assert ws[ref.replace("1", "2")].value is None  # an error does not spill
    comments = openpyxl.load_workbook(out)["Data"]
    assert comments["I1"].comment.text.startswith("#NUM! KMEANS_SEGMENT:")
    assert comments["D1"].comment is None
    # the report lines name the address and the message
    assert any(line.startswith("  error Data!I1: #NUM!") for line in rep.lines())


def test_spill_collision(tmp_path):
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"

    def block(ws):
        ws["D10"] = "keep me"

    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)", "F1": "=SEGMENT_PROFILE(A1:B21, 2)"}, block)
    rep = refresh_workbook(src, out, formula_engine="none")
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert ws["D1"].value == "#SPILL!" and ws["D10"].value == "keep me" and ws["D2"].value is None
    [err] = rep.errors
    assert err.code == "#SPILL!" and "D10" in err.message
    assert ws["F1"].value == "Segment" and ws["F3"].value == 2  # the other formula still spills


def test_strict_writes_nothing(tmp_path):
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)", "E1": "=KMEANS_SEGMENT(A1:B21, -1)"})
    out.write_bytes(b"previous output")
    with pytest.raises(RefreshFailed) as exc:
        refresh_workbook(src, out, strict=True, formula_engine="none")
    assert exc.value.report.errors[0].cell == "E1"
    assert out.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]


def test_output_rules(tmp_path):
    src = tmp_path / "in.xlsx"
    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)"})
    with pytest.raises(WorkbookError, match="--in-place"):
        refresh_workbook(src, src)
    with pytest.raises(WorkbookError, match="output"):
        refresh_workbook(src)
    with pytest.raises(WorkbookError, match="does not exist"):
        refresh_workbook(src, tmp_path / "nope" / "out.xlsx")
    before = src.read_bytes()
    refresh_workbook(src, in_place=True, formula_engine="none")
    assert src.read_bytes() != before
    assert openpyxl.load_workbook(src, data_only=True)["Data"]["D2"].value in (1, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]  # no temporary files left


def test_fixed_cell_loses_its_error_comment(tmp_path):
    src, out, fixed, out2 = (tmp_path / n for n in ("a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"))

    def k_cell(ws):
        ws["H1"] = 99

    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, H1)"}, k_cell)
    rep = refresh_workbook(src, out, formula_engine="none")
    assert rep.errors[0].code == "#NUM!"
    wb = openpyxl.load_workbook(out)
    assert wb["Data"]["D1"].comment.author == "xlmarketing"
    wb["Data"]["H1"] = 2
    wb.save(fixed)
    rep = refresh_workbook(fixed, out2, formula_engine="none")
    assert rep.ok
    ws = openpyxl.load_workbook(out2)["Data"]
    assert ws["D1"].comment is None and ws["D1"].value.ref == "D1:D21"


def test_formulas_package_as_fallback_engine(tmp_path):
    pytest.importorskip("formulas")
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)", "F1": "=AVERAGE(D2:D21)", "F2": "=F1*10"})
    rep = refresh_workbook(src, out, formula_engine="formulas")
    seg = [r[0] for r in REGISTRY["KMEANS_SEGMENT"](data_rows(), 2.0)[1:]]
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert rep.engine == "formulas" and rep.dependents == 2
    assert ws["F1"].value == pytest.approx(sum(seg) / 20)
    assert ws["F2"].value == pytest.approx(sum(seg) / 2)


@pytest.mark.parametrize("obstacle, named", [("merged", "the merged cells D5:E6"),
                                             ("table", "the table Blocker (D8:E12)")])
def test_spill_into_merged_cells_or_a_table_is_a_spill_error(tmp_path, obstacle, named):
    from openpyxl.worksheet.table import Table

    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"

    def put(ws):
        if obstacle == "merged":
            ws.merge_cells("D5:E6")  # empty merged cells still block a spill in Excel
        else:
            ws["D8"], ws["E8"] = "Key", "Value"
            ws.add_table(Table(displayName="Blocker", ref="D8:E12"))

    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)"}, put)
    rep = refresh_workbook(src, out, formula_engine="none")
    [err] = rep.errors
    assert (err.cell, err.code) == ("D1", "#SPILL!") and named in err.message
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert ws["D1"].value == "#SPILL!" and ws["D2"].value is None


def test_every_error_cell_left_is_reported_and_strict_fails(tmp_path):
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)", "F1": "=1/(D2-D2)", "F2": "=F1+1",
               "F3": "=IF(D2>0, D2, NA())", "F4": "=SUM(D2:D21)"})
    rep = refresh_workbook(src, out, formula_engine="formulas")
    got = {e.address: e.code for e in rep.errors}
    # F1 divides by zero and F2 reads it; F3's #N/A would be its own NA() (it is not, D2 > 0)
    assert got == {"Data!F1": "#DIV/0!", "Data!F2": "#DIV/0!"}, rep.lines()
    assert any(line.startswith("  error Data!F1: #DIV/0!") for line in rep.lines())
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    seg = [r[0] for r in REGISTRY["KMEANS_SEGMENT"](data_rows(), 2.0)[1:]]
    assert ws["F1"].value == "#DIV/0!" and ws["F3"].value == seg[0] and ws["F4"].value == sum(seg)
    assert "#DIV/0!" in openpyxl.load_workbook(out)["Data"]["F1"].comment.text
    with pytest.raises(RefreshFailed, match="Data!F1"):
        refresh_workbook(src, tmp_path / "strict.xlsx", strict=True, formula_engine="formulas")


def test_with_libreoffice_it_computes_the_dependents_and_without_they_are_kept(tmp_path):
    import shutil

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"

    def other_sheet(ws):
        other = ws.parent.create_sheet("Unread")
        other["A1"] = "=1+1"

    # SUBTOTAL is not in the formulas package: LibreOffice computes it, on a trimmed copy
    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)", "F1": "=SUBTOTAL(9, D2:D21)", "F2": "=F1*2"},
         other_sheet)
    rep = refresh_workbook(src, out)
    seg = [r[0] for r in REGISTRY["KMEANS_SEGMENT"](data_rows(), 2.0)[1:]]
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    # auto with LibreOffice installed: it computes every ordinary dependent (and Unread!A1,
    # saved by openpyxl with no value at all, which the report names)
    assert rep.ok and rep.engine == "libreoffice" and not rep.not_recomputed, rep.lines()
    assert ws["F1"].value == sum(seg) and ws["F2"].value == 2 * sum(seg)
    assert openpyxl.load_workbook(out, data_only=True)["Unread"]["A1"].value == 2
    assert "Unread!A1" in {n.address for n in rep.unsaved}
    # without LibreOffice, in-process only: no error and no guess, the saved values stay and
    # the report says why (SUBTOTAL, and F2 reads F1); strict fails on it
    rep = refresh_workbook(src, out, formula_engine="formulas")
    assert not rep.errors and {n.cell for n in rep.not_recomputed} == {"F1", "F2"}
    why = {n.cell: n.reason for n in rep.not_recomputed}
    assert "SUBTOTAL" in why["F1"] and "Data!F1" in why["F2"]
    cells = openpyxl.load_workbook(out)["Data"]
    assert cells["F1"].comment is None and cells["F2"].comment is None
    with pytest.raises(RefreshFailed, match="not be recomputed"):
        refresh_workbook(src, out, formula_engine="formulas", strict=True)


def test_internal_errors_are_logged_with_their_traceback(tmp_path, caplog, monkeypatch):
    from xlmarketing.functions import REGISTRY as registry

    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)"})

    def broken(*args):
        return {}["no such key"]

    monkeypatch.setitem(registry, "KMEANS_SEGMENT", broken)
    with caplog.at_level("ERROR", logger="xlmarketing.workbook"):
        rep = refresh_workbook(src, out, formula_engine="none")
    [err] = rep.errors
    assert err.code == "#VALUE!" and "internal error (KeyError" in err.message
    [record] = [r for r in caplog.records if "Data!D1" in r.getMessage()]
    assert record.exc_info and record.exc_info[0] is KeyError


def test_filled_down_dependents_are_evaluated_as_one_column(tmp_path):
    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    n = 40  # more than the 32 rows from which a fill-down is evaluated as one array
    rows = [["Spend", "Visits"]] + [[(i * 37) % 101 + (500 if i % 3 == 0 else 0), i % 7 + 1]
                                    for i in range(n)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for r in rows:
        ws.append(r)
    ws["D1"] = f"=KMEANS_SEGMENT(A1:B{n + 1}, 2)"
    for i in range(2, n + 2):
        ws[f"E{i}"] = f"=D{i}*2+A{i}"  # elementwise: one array evaluation
        ws[f"F{i}"] = f'=IF(D{i}=1,"one",ROUND(A{i}/3,1))'
        ws[f"G{i}"] = f"=G{i - 1}+D{i}" if i > 2 else f"=D{i}"  # a running total: one by one
    wb.save(src)
    rep = refresh_workbook(src, out, formula_engine="formulas")
    assert rep.ok and rep.dependents == 3 * n, rep.lines()
    seg = [r[0] for r in REGISTRY["KMEANS_SEGMENT"](rows, 2.0)[1:]]
    got = openpyxl.load_workbook(out, data_only=True)["Data"]
    spend = [r[0] for r in rows[1:]]
    assert [got[f"E{i}"].value for i in range(2, n + 2)] == [s * 2 + a for s, a in zip(seg, spend, strict=True)]
    want_f = ["one" if s == 1 else math.floor(a / 3 * 10 + 0.5) / 10 for s, a in zip(seg, spend, strict=True)]
    assert [got[f"F{i}"].value for i in range(2, n + 2)] == pytest.approx(want_f)
    assert [got[f"G{i}"].value for i in range(2, n + 2)] == list(itertools.accumulate(seg))


def test_shared_formulas_are_read_as_excel_saves_a_fill_down(tmp_path):
    """Excel saves a filled-down column as one shared formula: a master and empty children."""
    import re

    src, out = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    book(src, {"D1": "=KMEANS_SEGMENT(A1:B21, 2)"})
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for i in range(2, 22):
        f = '<f t="shared" ref="E2:E21" si="0">D2*10+$B$2</f>' if i == 2 else '<f t="shared" si="0"/>'
        xml, n = re.subn(rf'(<c r="B{i}"[^>]*>.*?</c>)', rf'\1<c r="E{i}">{f}<v>7</v></c>', xml)
        assert n == 1
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(src, "w") as z:
        for name, blob in parts.items():
            z.writestr(name, blob)
    rep = refresh_workbook(src, out, formula_engine="formulas")
    assert rep.ok and rep.dependents == 20, rep.lines()
    rows = data_rows()
    seg = [r[0] for r in REGISTRY["KMEANS_SEGMENT"](rows, 2.0)[1:]]
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert [ws[f"E{i}"].value for i in range(2, 22)] == [s * 10 + rows[1][1] for s in seg]
    with zipfile.ZipFile(out) as z:  # the shared formula itself is kept as saved
        assert '<f t="shared" si="0"/>' in z.read("xl/worksheets/sheet1.xml").decode()

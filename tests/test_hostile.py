"""Hostile and broken workbooks: each gives a clear error or a safe result, the input stays
untouched and no partial output is left behind."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from xlmarketing.workbook import WorkbookError, batch, refresh_workbook
from xlmarketing.workbook.xlsx import MAX_UNCOMPRESSED


def customers_book(path, formulas: dict[str, str], n: int = 30, extra=None) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Spend", "Visits"])
    for i in range(n):
        ws.append([float((i * 37) % 900 + 10), float(i % 7 + 1)])
    for ref, f in formulas.items():
        ws[ref] = f
    if extra:
        extra(wb, ws)
    wb.save(path)


def refresh_fails(src, tmp_path, message: str) -> str:
    before = src.read_bytes()
    out = tmp_path / "out.xlsx"
    with pytest.raises(WorkbookError) as exc:
        refresh_workbook(src, out, formula_engine="none")
    text = str(exc.value)
    assert message in text and "\n" not in text
    assert src.read_bytes() == before
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]
    return text


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    src = tmp_path / "bomb.xlsx"
    customers_book(src, {"D1": "=KMEANS_SEGMENT(A1:B31, 2)"})
    with zipfile.ZipFile(src, "a", compression=zipfile.ZIP_DEFLATED) as z:
        # Declared and real size just over the limit, a few MB compressed.
        with z.open("xl/media/padding.bin", "w", force_zip64=True) as fh:
            chunk = b"\0" * 2**24
            for _ in range(MAX_UNCOMPRESSED // len(chunk) + 1):
                fh.write(chunk)
    assert src.stat().st_size < 10 * 2**20
    refresh_fails(src, tmp_path, "over the")


def test_xml_entity_expansion_is_refused(tmp_path):
    src = tmp_path / "laughs.xlsx"
    customers_book(src, {"D1": "=KMEANS_SEGMENT(A1:B31, 2)"})
    doctype = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
               + "".join(f'<!ENTITY lol{i} "{"&lol%s;" % ("" if i == 1 else i - 1) * 10}">'
                         for i in range(1, 10)) + "]>")
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # a billion laughs in the header cell
                data = (doctype + data.decode().replace("<t>Spend</t>", "<t>&lol9;</t>")).encode()
            zout.writestr(item, data)
    src.write_bytes(buf.getvalue())
    refresh_fails(src, tmp_path, "cannot read laughs.xlsx")


def test_old_xls_file_gets_a_save_as_hint(tmp_path):
    src = tmp_path / "legacy.xls"
    src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    refresh_fails(src, tmp_path, "save it as an unprotected .xlsx")


@pytest.mark.slow  # a million-row reference: about 25 s
def test_whole_column_and_million_row_references_are_trimmed(tmp_path):
    src = tmp_path / "big-refs.xlsx"
    customers_book(src, {"D1": "=KMEANS_SEGMENT(A:B, 2)", "F1": "=KMEANS_SEGMENT(A1:B1048576, 2)"})
    rep = refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    assert not rep.errors
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["Data"]
    col_d = [ws.cell(r, 4).value for r in range(1, 33)]
    col_f = [ws.cell(r, 6).value for r in range(1, 33)]
    assert col_d[0] == "Segment" and set(col_d[1:31]) == {1, 2} and col_d[31] is None
    assert col_f == col_d


def test_circular_reference_gives_an_error_cell_not_a_hang(tmp_path):
    src = tmp_path / "circle.xlsx"
    # D1 segments A1:B31, while B2 (inside that range) depends on D1's spill.
    customers_book(src, {"D1": "=KMEANS_SEGMENT(A1:B31, 2)", "B2": "=D2+1",
                         "H1": "=KMEANS_SEGMENT(H5:H9, 2)", "H5": "=H1"})
    rep = refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    errors = {e.cell: e for e in rep.errors}
    assert set(errors) == {"D1", "H1"}, rep.lines()
    assert errors["D1"].code == "#REF!" and "circular reference: Data!B2 depends on the result of Data!D1" in errors["D1"].message
    assert errors["H1"].code == "#REF!" and "circular reference: Data!H5" in errors["H1"].message


def test_missing_sheet_and_name_become_ref_errors(tmp_path):
    src = tmp_path / "refs.xlsx"
    customers_book(src, {"D1": "=KMEANS_SEGMENT(Nowhere!A1:B31, 2)", "F1": "=KMEANS_SEGMENT(NoSuchName, 2)",
                         "H1": "=KMEANS_SEGMENT(A1:B31, 2)"})
    rep = refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    codes = {e.cell: e.code for e in rep.errors}
    assert codes == {"D1": "#REF!", "F1": "#NAME?"}, rep.lines()
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["Data"]
    assert ws["H1"].value == "Segment" and ws["H2"].value in (1, 2)


INJECTIONS = ["=KMEANS_SEGMENT(A1:B5, 2)", "=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1:A2)"]


def test_formula_like_text_in_data_stays_text(tmp_path):
    src = tmp_path / "inject.xlsx"

    def add_text(wb, ws):
        for i, text in enumerate(INJECTIONS, start=2):
            ws.cell(i, 10).value = text
            ws.cell(i, 10).data_type = "s"  # typed in as text, as Excel stores it

    customers_book(src, {"D1": "=KMEANS_SEGMENT(A1:B31, 2)"}, extra=add_text)
    rep = refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    assert not rep.errors and sum(rep.refreshed.values()) == 1
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    ws = wb["Data"]
    assert [ws.cell(i, 10).value for i in range(2, 7)] == INJECTIONS
    assert all(ws.cell(i, 10).data_type == "s" for i in range(2, 7))


def test_formula_like_text_in_batch_data_stays_text(tmp_path):
    template = tmp_path / "template.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Spend", "Visits", "Note"])
    for i in range(10):
        ws.append([float(i * 10 + 5), float(i % 3 + 1), "ok"])
    wb.create_sheet("Result")["A1"] = "=KMEANS_SEGMENT(Data!A1:B11, 2)"
    wb.save(template)
    data = tmp_path / "data"
    data.mkdir()
    lines = ["Spend,Visits,Note"] + [f"{i * 10 + 5},{i % 3 + 1},\"{INJECTIONS[i % len(INJECTIONS)]}\""
                                     for i in range(10)]
    (data / "customers.csv").write_text("\n".join(lines) + "\n")
    rep = batch(template, data, sheet="Data", out_dir=tmp_path / "out", jobs=1, formula_engine="none")
    assert rep.ok, [i.error for i in rep.failed]
    out = openpyxl.load_workbook(tmp_path / "out" / "customers.xlsx")["Data"]
    notes = [out.cell(r, 3) for r in range(2, 12)]
    assert [c.value for c in notes] == [INJECTIONS[i % len(INJECTIONS)] for i in range(10)]
    assert all(c.data_type == "s" for c in notes)


# --------------------------------------------------------------------------- unsafe or broken packages
# Each refused with one exact line naming the entry or part, before anything is written, whether
# or not the workbook holds a formula of ours (the no-op path checks the same things).

from pathlib import Path  # noqa: E402

from tests.xlsx_edit import rewrite  # noqa: E402

CORPUS = Path(__file__).parent / "data" / "xlsx_corpus"
OURS = {"D1": "=KMEANS_SEGMENT(A1:B31, 2)"}
NOT_OURS = {"D1": "=SUM(A2:A31)"}


@pytest.mark.parametrize("formulas", [OURS, NOT_OURS], ids=["refresh", "no-op"])
@pytest.mark.parametrize("entry", ["../../evil.txt", "/abs/evil.txt", "xl\\..\\..\\evil.txt",
                                   "C:/evil.txt"])
def test_zip_entries_outside_the_package_are_refused(tmp_path, formulas, entry):
    base = tmp_path.parent / f"{tmp_path.name}-base.xlsx"
    customers_book(base, formulas)
    src = tmp_path / "slip.xlsx"
    rewrite(base, src, add={entry: b"owned"})
    text = refresh_fails(src, tmp_path, "")
    assert text == (f"cannot read slip.xlsx: its zip entry {entry!r} has an absolute path or '..', "
                    "which Excel never writes (a damaged or hostile file); refused")


REL = ('<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
       'relationships/{kind}" Target="{target}"/></Relationships>')


@pytest.mark.parametrize("formulas", [OURS, NOT_OURS], ids=["refresh", "no-op"])
@pytest.mark.parametrize(("kind", "target"), [("worksheet", "../../outside/sheet9.xml"),
                                              ("image", "/../../etc/passwd"),
                                              ("worksheet", "file:///etc/passwd")])
def test_relationships_that_leave_the_package_are_refused(tmp_path, formulas, kind, target):
    base = tmp_path.parent / f"{tmp_path.name}-base.xlsx"
    customers_book(base, formulas)
    src = tmp_path / "rel.xlsx"
    rewrite(base, src, {"xl/_rels/workbook.xml.rels": lambda d: d.replace(
        b"</Relationships>", REL.format(kind=kind, target=target).encode())})
    text = refresh_fails(src, tmp_path, "")
    assert text == ("cannot read rel.xlsx: the relationship rId99 in xl/_rels/workbook.xml.rels "
                    f"points outside the package ({target!r}); refused")


def test_external_hyperlinks_are_not_parts_and_pass(tmp_path):
    def link(wb, ws):
        ws["F1"].hyperlink = "https://example.com/../../x"

    src = tmp_path / "links.xlsx"
    customers_book(src, OURS, extra=link)
    rep = refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    assert rep.cells == 1 and not rep.errors


def broken(tmp_path, formulas, edit) -> Path:
    base = tmp_path.parent / f"{tmp_path.name}-base.xlsx"
    customers_book(base, formulas)
    src = tmp_path / "broken.xlsx"
    rewrite(base, src, edit)
    return src


@pytest.mark.parametrize("formulas", [OURS, NOT_OURS], ids=["refresh", "no-op"])
@pytest.mark.parametrize(("edit", "message"), [
    ({"xl/workbook.xml": lambda d: None},
     "cannot read broken.xlsx: a zip file but not an Excel workbook (no workbook part: "
     "xl/workbook.xml is missing)"),
    ({"xl/worksheets/sheet1.xml": lambda d: None},
     "cannot read broken.xlsx: sheet 'Data' points to xl/worksheets/sheet1.xml, which is not in "
     "the package"),
    ({"xl/_rels/workbook.xml.rels": lambda d: None},
     "cannot read broken.xlsx: sheet 'Data' has no relationship 'rId1' in "
     "xl/_rels/workbook.xml.rels"),
    ({"xl/_rels/workbook.xml.rels": lambda d: "\u00e9t\u00e9".encode("latin-1") + d},
     "cannot read broken.xlsx: the part xl/_rels/workbook.xml.rels is not UTF-8 XML text "
     "(damaged?)"),
])
def test_unreadable_packages_name_the_part(tmp_path, formulas, edit, message):
    text = refresh_fails(broken(tmp_path, formulas, edit), tmp_path, "")
    assert text == message


def test_a_worksheet_openpyxl_cannot_read_is_read_or_named(tmp_path):
    """A number cell holding text: openpyxl raises on it. An engine reading through openpyxl
    must refuse naming the part; one reading the XML itself reads it, and the text in a
    numeric column is then the user's error in our cell. Nothing else is acceptable."""
    import re

    src = broken(tmp_path, OURS, {"xl/worksheets/sheet1.xml": lambda d: re.sub(
        rb'<c r="A2"([^>]*)><v>([^<]*)</v></c>', rb'<c r="A2"\1><v>abc</v></c>', d)})
    out = tmp_path / "out.xlsx"
    try:
        rep = refresh_workbook(src, out, formula_engine="none")
    except WorkbookError as exc:
        assert str(exc) == ("cannot read broken.xlsx: openpyxl cannot read "
                            "xl/worksheets/sheet1.xml (sheet 'Data'): ValueError: invalid literal "
                            "for int() with base 10: 'abc'")
        assert not out.exists()
        return
    assert [(e.cell, e.code) for e in rep.errors] == [("D1", "#VALUE!")]
    assert "row 2 has the text 'abc'" in rep.errors[0].message


def test_a_damaged_entry_is_named(tmp_path):
    # Public test file from calamine's corpus: a CRC that does not match the entry.
    src = tmp_path / "issue252.xlsx"
    src.write_bytes((CORPUS / "calamine" / "issue252.xlsx").read_bytes())
    text = refresh_fails(src, tmp_path, "")
    assert text == ("cannot read issue252.xlsx: the part xl/_rels/workbook.xml.rels is damaged "
                    "(Bad CRC-32 for file 'xl/_rels/workbook.xml.rels')")


def test_a_root_relationship_past_the_root_to_a_real_part_is_accepted(tmp_path):
    # LibreOffice writes Target="../customXml/item1.xml" in _rels/.rels; resolved as RFC 3986
    # says (".." stops at the root) it names customXml/item1.xml, which is there.
    base = tmp_path / "base.xlsx"
    customers_book(base, OURS)
    src = tmp_path / "lo.xlsx"
    rel = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships/customXml" Target="../customXml/item1.xml"/></Relationships>')
    rewrite(base, src, {"_rels/.rels": lambda d: d.replace(b"</Relationships>", rel.encode())},
            add={"customXml/item1.xml": b"<root/>"})
    rep = refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    assert rep.cells == 1 and not rep.errors


@pytest.mark.parametrize("formulas", [OURS, NOT_OURS], ids=["refresh", "no-op"])
@pytest.mark.parametrize("part", ["xl/styles.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"])
def test_a_dtd_in_any_part_is_refused(tmp_path, formulas, part):
    doctype = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    src = broken(tmp_path, formulas, {part: lambda d: d.replace(b"?>", b"?>" + doctype, 1)
                                      if d.startswith(b"<?xml") else doctype + d})
    text = refresh_fails(src, tmp_path, "")
    assert text == (f"cannot read broken.xlsx: the part {part} declares a DTD or entities, which "
                    "Excel never writes (a damaged or hostile file); refused")


def _zip(path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def test_a_binary_workbook_is_named_as_such(tmp_path):
    src = tmp_path / "book.xlsb"
    _zip(src, {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                               b'package/2006/content-types"><Override PartName="/xl/workbook.bin" '
                               b'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
                               b"</Types>",
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                       b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                       b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                       b'Target="xl/workbook.bin"/></Relationships>',
        "xl/workbook.bin": b"\x83\x01\x00\x80\x01\x00\xff\xfe\x9c\x00",
        "xl/worksheets/sheet1.bin": b"\x81\x01\x00\x93\x01\x17",
    })
    refresh_fails(src, tmp_path, "cannot read book.xlsb: binary workbooks (.xlsb) are not "
                                 "supported; save it as .xlsx")


@pytest.mark.parametrize(("stream", "message"), [
    ("Workbook", "it is an old binary .xls workbook (Excel 97-2003), which is not supported; "
                 "save it as .xlsx"),
    ("EncryptedPackage", "the workbook is password-protected (encrypted); save it as an "
                         "unprotected .xlsx"),
])
def test_ole_files_say_whether_they_are_xls_or_encrypted(tmp_path, stream, message):
    src = tmp_path / "legacy.xls"
    # an OLE header, then a directory entry naming the stream (UTF-16)
    src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1016
                    + (stream + "\0").encode("utf-16-le").ljust(64, b"\0") + b"\0" * 2048)
    refresh_fails(src, tmp_path, message)


def test_a_worksheet_written_with_a_namespace_prefix_is_read(tmp_path):
    import re

    plain, prefixed = tmp_path / "plain.xlsx", tmp_path / "prefixed.xlsx"
    customers_book(plain, {**OURS, "F1": "=SUM(D2:D31)"})

    def prefix(data: bytes) -> bytes:  # as some generators write it: <x:worksheet xmlns:x=...>
        text = data.decode()
        text = re.sub(r"<(/?)(?![?!])([A-Za-z]+[ />])", r"<\1x:\2", text)
        return text.replace(' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                            ' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1
                            ).encode()

    rewrite(plain, prefixed, {"xl/worksheets/sheet1.xml": prefix, "xl/workbook.xml": prefix})
    assert b"<x:sheetData>" in zipfile.ZipFile(prefixed).read("xl/worksheets/sheet1.xml")
    outs = []
    for src in (plain, prefixed):
        out = tmp_path / f"out-{src.name}"
        rep = refresh_workbook(src, out, formula_engine="formulas")
        assert rep.cells == 1 and not rep.errors, rep.lines()
        ws = openpyxl.load_workbook(out, data_only=True)["Data"]
        outs.append([[c.value for c in row] for row in ws.iter_rows(min_col=4, max_col=6)])
    assert outs[0] == outs[1] and outs[0][0][2] == sum(r[0] for r in outs[0][1:])


def test_parts_differing_only_in_case_are_refused_naming_both(tmp_path):
    base, src = tmp_path.parent / f"{tmp_path.name}-base.xlsx", tmp_path / "broken.xlsx"
    customers_book(base, OURS)
    sheet = zipfile.ZipFile(base).read("xl/worksheets/sheet1.xml")
    rewrite(base, src, add={"xl/worksheets/Sheet1.xml": sheet})
    refresh_fails(src, tmp_path, "the parts xl/worksheets/sheet1.xml and xl/worksheets/Sheet1.xml "
                                 "differ only in case")

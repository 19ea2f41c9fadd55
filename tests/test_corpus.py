"""Real workbooks (tests/data/xlsx_corpus, most saved by Excel): a refresh touches only what is ours.

* With no formula of ours, the output is the input, byte for byte.
* With a ``KMEANS_SEGMENT`` over a small block injected by editing the sheet XML, only its
  cell and its spill change (plus a dependent ``SUM`` when a formula engine runs): every other
  cell of the sheet keeps its formula, value and style, the sheet's XML outside the cells
  keeps its bytes (but the dimension), and every other part is byte-identical, apart from
  the dynamic-array metadata being registered ([Content_Types].xml and the workbook's
  relationships gain entries; nothing is removed).
* Every chart, pivot, drawing, image and VBA part comes through byte-identical.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.xlsx_edit import BLOCK, cells, first_worksheet, inject_segment, parts, rewrite
from xlmarketing.workbook import refresh_workbook
from xlmarketing.workbook.xlsx import SheetXML

CORPUS = Path(__file__).parent / "data" / "xlsx_corpus"
ALL = sorted(p for p in CORPUS.glob("*/*.xls[xm]"))
EXCEL_SAVED = [p for p in ALL if p.parent.name == "xlsxwriter"]
#: Refused on purpose (tests/test_hostile.py, tests/test_files.py say how).
UNREADABLE = {"issue252.xlsx"}  # a damaged entry
STRICT = {"strict_iso_paths.xlsx"}  # Strict Open XML: refused when there is work to do
KEPT_KINDS = {"chart": r"/charts/", "chartsheet": r"/chartsheets/", "drawing": r"/drawings/",
              "image": r"/media/", "vba": r"vbaProject", "pivot": r"/pivot(Tables|Cache)/",
              "table": r"/tables/", "comments": r"comments\d*\.xml|/threadedComments/"}
#: Parts the refresh may change when it adds a dynamic-array formula.
REGISTERING = {"[Content_Types].xml", "xl/_rels/workbook.xml.rels", "_rels/workbook.xml.rels",
               "xl/metadata.xml", "metadata.xml"}


def ident(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


def test_the_corpus_is_real_and_varied():
    assert (len(ALL), len(EXCEL_SAVED)) == (127, 118)  # as tests/data/xlsx_corpus/README.md lists
    found = {k: [p.name for p in ALL if p.name not in UNREADABLE
                 and any(re.search(rx, n) for n in parts(p))] for k, rx in KEPT_KINDS.items()}
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    assert len(found["chart"]) >= 30 and len(found["vba"]) >= 5 and len(found["drawing"]) >= 30
    assert (CORPUS / "README.md").read_text().count("Licence") >= 2


@pytest.mark.parametrize("path", [p for p in ALL if p.name not in UNREADABLE], ids=ident)
def test_a_plain_refresh_is_byte_identical(tmp_path, path):
    out = tmp_path / ("out" + path.suffix)
    rep = refresh_workbook(path, out)  # the default engine: nothing may be recalculated
    assert rep.nothing_to_refresh and not rep.errors and rep.dependents == 0
    assert out.read_bytes() == path.read_bytes()


INJECTABLE = [p for p in ALL if p.name not in UNREADABLE | STRICT
              and first_worksheet(parts(p)) is not None]


def injected(path: Path, folder: Path) -> tuple[Path, str, dict]:
    title, part = first_worksheet(parts(path))
    where: dict = {}

    def edit(data: bytes) -> bytes:
        xml, got = inject_segment(data.decode("utf-8"))
        where.update(got)
        return xml.encode("utf-8")

    src = folder / ("in" + path.suffix)
    rewrite(path, src, {part: edit})
    return src, part, where


def changed_cells(before: dict, after: dict, where: dict) -> set[tuple[int, int]]:
    ar, ac = where["anchor"]
    allowed = {(ar + i, ac) for i in range(len(BLOCK) + 1)} | {where["dependent"]}
    return {k for k in set(before) | set(after) if k not in allowed and before.get(k) != after.get(k)}


def outside_cells(xml: str) -> tuple[str, str]:
    sheet = SheetXML(xml)
    return (re.sub(r"<dimension\b[^>]*/>", "", sheet.head), sheet.tail)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """Each injectable workbook, injected and refreshed once (without a formula engine)."""
    out = {}
    for path in INJECTABLE:
        folder = tmp_path_factory.mktemp(path.stem)
        src, part, where = injected(path, folder)
        dest = folder / ("out" + path.suffix)
        rep = refresh_workbook(src, dest, formula_engine="none")
        out[path] = (src, dest, part, where, rep)
    return out


@pytest.mark.parametrize("path", INJECTABLE, ids=ident)
def test_an_injected_formula_changes_only_its_cells(refreshed, path):
    src, dest, part, where, rep = refreshed[path]
    assert rep.cells == 1 and not rep.errors, rep.lines()
    before, after = parts(src), parts(dest)
    # other parts: byte for byte; the registering ones only gain entries
    assert set(before) <= set(after) and set(after) - set(before) <= REGISTERING
    differ = {n for n in before if before[n] != after[n]}
    assert differ <= REGISTERING | {part}, differ
    for n in differ - {part}:
        old_entries = re.findall(rb"<[^>?]+>", before[n])
        new = after[n]
        assert all(e in new for e in old_entries), n
    # the sheet: every other cell keeps formula, value and style; the XML around the cells too
    xin, xout = before[part].decode(), after[part].decode()
    assert changed_cells(cells(xin), cells(xout), where) == set()
    assert outside_cells(xin) == outside_cells(xout)
    got = cells(xout)
    ar, ac = where["anchor"]
    assert got[(ar, ac)][0] == f"KMEANS_SEGMENT({_block(where)},2)" and got[(ar, ac)][1] == "Segment"
    assert {got[(ar + i, ac)][1] for i in range(1, len(BLOCK) + 1)} == {1, 2}


def _block(where: dict) -> str:
    from xlmarketing.workbook.xlsx import cell_ref

    r, c = where["data"]
    return f"{cell_ref(r, c)}:{cell_ref(r + len(BLOCK), c + 1)}"


def test_charts_pivots_drawings_and_vba_come_through_byte_identical(refreshed):
    seen = dict.fromkeys(KEPT_KINDS, 0)
    for src, dest, _part, _where, _rep in refreshed.values():
        before, after = parts(src), parts(dest)
        for kind, rx in KEPT_KINDS.items():
            mine = [n for n in before if re.search(rx, n)]
            for n in mine:
                assert after.get(n) == before[n], (dest, n)
            seen[kind] += bool(mine)
    assert all(seen.values()), seen


#: Workbooks with ordinary formulas of their own, refreshed with LibreOffice for the dependents.
WITH_FORMULAS = ["formula_results01.xlsx", "tutorial01.xlsx", "array_formula01.xlsx",
                 "dynamic_array01.xlsx", "pivots.xlsx", "chart_bar01.xlsx"]


@pytest.mark.slow
@pytest.mark.parametrize("name", WITH_FORMULAS)
def test_with_a_formula_engine_only_the_dependents_change_too(tmp_path, name):
    """The dependent SUM over the spill is recalculated; the workbook's own formulas keep
    Excel's saved values and the workbook part (calc flags) its bytes."""
    path = next(p for p in ALL if p.name == name)
    src, part, where = injected(path, tmp_path)
    dest = tmp_path / ("out" + path.suffix)
    rep = refresh_workbook(src, dest, formula_engine="libreoffice")
    assert rep.cells == 1 and not rep.errors, rep.lines()
    before, after = parts(src), parts(dest)
    differ = {n for n in before if before[n] != after[n]}
    assert differ <= REGISTERING | {part}, differ
    xin, xout = before[part].decode(), after[part].decode()
    assert changed_cells(cells(xin), cells(xout), where) == set()
    got = cells(xout)
    ar, ac = where["anchor"]
    spill = [got[(ar + i, ac)][1] for i in range(1, len(BLOCK) + 1)]
    assert got[where["dependent"]][1] == sum(spill)

"""The refresh report's text: many cells read as ranges, --json keeps every cell."""

from xlmarketing.workbook.report import CellNote, RefreshReport, cell_ranges


def notes(sheet: str, refs: list[str]) -> list[CellNote]:
    return [CellNote(sheet, r, "it was saved with no value, so it was computed") for r in refs]


def test_cells_become_the_rectangles_they_form():
    refs = ["A2", "D6", "D7", "D8", "I7", "J7", "K7", "I8", "J8", "K8", "A32", "B32", "C32",
            "A33", "B33", "C33", "J32", "J33"]
    got = cell_ranges(notes("Risk", refs) + notes("My Sheet", ["B3"]))
    assert got == ["Risk!A2", "Risk!D6:D8", "Risk!I7:K8", "Risk!A32:C33", "Risk!J32:J33",
                   "'My Sheet'!B3"]


def test_a_ragged_block_is_covered_exactly():
    refs = ["A1", "B1", "C1", "A2", "B2", "A3"]
    got = cell_ranges(notes("S", refs))
    covered = set()
    for g in got:
        ref = g.split("!")[1]
        a, _, b = ref.partition(":")
        b = b or a
        for row in range(int(a[1:]), int(b[1:]) + 1):
            for col in range(ord(a[0]), ord(b[0]) + 1):
                covered.add(f"{chr(col)}{row}")
    assert covered == set(refs) and len(got) == 3


def test_report_text_is_one_line_json_keeps_each_cell():
    refs = [f"{c}{r}" for r in range(32, 56) for c in "ABCDEFGHJ"]
    rep = RefreshReport("in.xlsx", "out.xlsx", dependents=len(refs), unsaved=notes("Risk", refs))
    lines = [x for x in rep.lines() if "saved with no value" in x]
    assert lines == ["  computed 216 formulas saved with no value: Risk!A32:H55, Risk!J32:J55"]
    assert len(rep.to_dict()["unsaved"]) == 216

"""Files: permissions, symlinks, Strict Open XML, the no-op refresh, leftovers of killed runs,
and workbooks openpyxl cannot read as they are. Each case has its exact expected outcome."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.xlsx_edit import first_worksheet, inject_segment, parts, rewrite
from xlmarketing.workbook import WorkbookError, refresh_workbook
from xlmarketing import catalog
from xlmarketing.workbook.archive import _HOST

CORPUS = Path(__file__).parent / "data" / "xlsx_corpus"
CLI = [sys.executable, "-m", "xlmarketing.cli"]


def book(path: Path, ours: bool = True, formula: str | None = None) -> Path:
    """20 customers (Spend, Visits) with one formula in D1: ours, a plain SUM, or ``formula``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Spend", "Visits"])
    for i in range(20):
        ws.append([float((i * 37) % 900 + 10), float(i % 7 + 1)])
    ws["D1"] = formula or ("=KMEANS_SEGMENT(A1:B21, 2)" if ours else "=SUM(A2:A21)")
    wb.save(path)
    return path


def segments(path: Path) -> list:
    ws = openpyxl.load_workbook(path, data_only=True)["Data"]
    return [ws.cell(r, 4).value for r in range(1, 22)]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def no_temporaries(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.startswith(".~")] == []


def test_our_function_names_are_the_registry():
    """The light catalog (read from the sources, for the no-op refresh) is the registry."""
    from xlmarketing.functions import REGISTRY

    package = Path(catalog.__file__).with_name("functions")
    assert sorted(catalog.declared_in(package)) == sorted(REGISTRY)
    assert sorted(catalog.names()) == sorted(REGISTRY)


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664, 0o604])
def test_in_place_keeps_the_mode(tmp_path, mode):
    src = book(tmp_path / "book.xlsx")
    os.chmod(src, mode)
    inode = src.stat().st_ino
    rep = refresh_workbook(src, in_place=True, formula_engine="none")
    assert rep.cells == 1 and not rep.errors
    assert src.stat().st_ino != inode  # replaced by a rename, so the mode was set, not kept by luck
    assert mode_of(src) == mode
    assert segments(src)[0] == "Segment"
    no_temporaries(tmp_path)


def test_in_place_on_a_read_only_file_is_refused(tmp_path):
    src = book(tmp_path / "book.xlsx")
    os.chmod(src, 0o444)
    before = src.read_bytes()
    with pytest.raises(WorkbookError) as exc:
        refresh_workbook(src, in_place=True, formula_engine="none")
    assert str(exc.value) == ("cannot write book.xlsx: it is read-only; make it writable or "
                              "write a copy with -o OUTPUT")
    assert src.read_bytes() == before and mode_of(src) == 0o444
    old = os.umask(0o022)
    try:
        rep = refresh_workbook(src, tmp_path / "copy.xlsx", formula_engine="none")
    finally:
        os.umask(old)
    assert rep.cells == 1 and mode_of(tmp_path / "copy.xlsx") == 0o444
    plain = book(tmp_path / "plain.xlsx", ours=False)
    os.chmod(plain, 0o444)
    assert refresh_workbook(plain, in_place=True).nothing_to_refresh  # nothing to write: fine


@pytest.mark.parametrize(("mode", "umask", "expected"), [
    (0o644, 0o022, 0o644), (0o666, 0o022, 0o644), (0o640, 0o022, 0o640), (0o644, 0o077, 0o600),
    (0o600, 0o022, 0o600), (0o664, 0o002, 0o664),
])
@pytest.mark.parametrize("ours", [True, False], ids=["refresh", "no-op"])
def test_output_gets_the_input_mode_under_the_umask(tmp_path, mode, umask, expected, ours):
    src = book(tmp_path / "book.xlsx", ours)
    os.chmod(src, mode)
    out = tmp_path / "out.xlsx"
    old = os.umask(umask)
    try:
        rep = refresh_workbook(src, out, formula_engine="none")
    finally:
        os.umask(old)
    assert rep.nothing_to_refresh is (not ours)
    assert mode_of(out) == expected
    assert mode_of(src) == mode


# --------------------------------------------------------------------------- symlinks


def test_in_place_through_a_symlink_writes_the_target(tmp_path):
    (tmp_path / "real").mkdir()
    real = book(tmp_path / "real" / "book.xlsx")
    os.chmod(real, 0o640)
    link = tmp_path / "link.xlsx"
    link.symlink_to(Path("real") / "book.xlsx")  # relative, as people make them
    refresh_workbook(link, in_place=True, formula_engine="none")
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "book.xlsx")
    assert segments(real)[0] == "Segment" and set(segments(real)[1:]) == {1, 2}
    assert mode_of(real) == 0o640
    no_temporaries(tmp_path)
    no_temporaries(tmp_path / "real")


def test_output_through_a_symlink_writes_the_target(tmp_path):
    src = book(tmp_path / "book.xlsx")
    target = book(tmp_path / "old-report.xlsx", ours=False)
    link = tmp_path / "report.xlsx"
    link.symlink_to(target)
    refresh_workbook(src, link, formula_engine="none")
    assert link.is_symlink()
    assert segments(target)[0] == "Segment"


def test_output_that_links_to_the_input_is_refused(tmp_path):
    src = book(tmp_path / "book.xlsx")
    before = src.read_bytes()
    link = tmp_path / "out.xlsx"
    link.symlink_to(src)
    with pytest.raises(WorkbookError) as exc:
        refresh_workbook(src, link, formula_engine="none")
    assert str(exc.value) == "the output out.xlsx is the input; use --in-place to overwrite it"
    assert src.read_bytes() == before


# --------------------------------------------------------------------------- Strict Open XML

STRICT = CORPUS / "calamine" / "strict_iso_paths.xlsx"
STRICT_REFUSED = ("cannot refresh {name}: it is saved as Strict Open XML, which the headless "
                  "refresh cannot write; in Excel use File > Save As > 'Excel Workbook (*.xlsx)' "
                  "(not 'Strict Open XML Spreadsheet') and refresh that copy")


def test_strict_open_xml_with_our_formula_is_refused_in_one_line(tmp_path):
    src = tmp_path / "strict.xlsx"
    _, part = first_worksheet(parts(STRICT))
    rewrite(STRICT, src, {part: lambda d: inject_segment(d.decode())[0].encode()})
    assert b"purl.oclc.org/ooxml/spreadsheetml/main" in parts(src)["xl/workbook.xml"]
    before = src.read_bytes()
    run = subprocess.run(CLI + ["refresh", str(src), "-o", str(tmp_path / "out.xlsx")],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr == "xlmarketing: " + STRICT_REFUSED.format(name="strict.xlsx") + "\n"
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strict.xlsx"]


def test_strict_open_xml_without_our_formulas_is_copied_unchanged(tmp_path):
    out = tmp_path / "out.xlsx"
    rep = refresh_workbook(STRICT, out, formula_engine="none")
    assert rep.nothing_to_refresh
    assert out.read_bytes() == STRICT.read_bytes()


# --------------------------------------------------------------------------- nothing to refresh


def test_no_formula_of_ours_gives_a_byte_identical_copy_and_says_so(tmp_path):
    src = book(tmp_path / "book.xlsx", ours=False)
    out = tmp_path / "out.xlsx"
    rep = refresh_workbook(src, out)  # any engine: nothing may recalculate
    assert out.read_bytes() == src.read_bytes()
    assert rep.nothing_to_refresh and rep.cells == 0 and rep.dependents == 0 and not rep.errors
    assert rep.lines() == [f"nothing to refresh in {src}: it has no xlmarketing formula "
                           f"(written unchanged to {out})"]
    assert rep.to_dict()["nothing_to_refresh"] is True


def test_no_formula_of_ours_in_place_writes_nothing(tmp_path):
    src = book(tmp_path / "book.xlsx", ours=False)
    os.utime(src, ns=(1_000_000_000, 1_000_000_000))
    before = os.stat(src)
    rep = refresh_workbook(src, in_place=True)
    after = os.stat(src)
    assert rep.nothing_to_refresh
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == \
        (before.st_ino, before.st_mtime_ns, before.st_size)
    assert rep.lines()[0].startswith(f"nothing to refresh in {src}: it has no xlmarketing formula")
    no_temporaries(tmp_path)


def test_no_op_loads_neither_openpyxl_nor_the_models(tmp_path):
    src = book(tmp_path / "book.xlsx", ours=False)
    code = ("import sys; from xlmarketing.cli import app; sys.argv = ['xlmarketing', 'refresh', "
            f"{str(src)!r}, '-o', {str(tmp_path / 'out.xlsx')!r}]\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('openpyxl', 'pandas', 'numpy', 'sklearn', "
            "'xlmarketing.workbook.scheduler') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = run.stdout.splitlines()
    assert lines[0] == (f"nothing to refresh in {src}: it has no xlmarketing formula (written "
                        f"unchanged to {tmp_path / 'out.xlsx'})")
    assert lines[-1] == "[]"  # none of those modules was imported


def test_our_name_in_any_letter_case_is_refreshed(tmp_path):
    src = book(tmp_path / "lower.xlsx", formula="=kmeans_segment(A1:B21, 2)")
    rep = refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    assert not rep.nothing_to_refresh
    assert rep.cells == 1, rep.lines()


# --------------------------------------------------------------------------- leftovers of a kill


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_the_temporary_of_a_killed_run_is_removed_by_the_next(tmp_path):
    src = book(tmp_path / "book.xlsx")
    pid = dead_pid()
    stale = tmp_path / f".~book.{_HOST}-{pid}.k3j_x9.xlsx"
    alive = tmp_path / f".~book.{_HOST}-{os.getppid()}.a8d7f2.xlsx"  # a run still writing
    elsewhere = tmp_path / f".~book.otherhost-{pid}.q1w2e3.xlsx"  # another machine's (NFS)
    foreign = tmp_path / ".~book.xlsx"  # not a name we make
    other_book = tmp_path / f".~report.{_HOST}-{pid}.z9y8x7.xlsx"  # another workbook's
    for p in (stale, alive, elsewhere, foreign, other_book):
        p.write_bytes(b"PK partial")
    refresh_workbook(src, in_place=True, formula_engine="none")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["book.xlsx", alive.name, elsewhere.name, foreign.name, other_book.name])


# --------------------------------------------------------------------------- what openpyxl refuses


def test_a_stylesheet_openpyxl_refuses_is_refreshed_and_kept(tmp_path):
    # An empty <fill/> is valid for Excel and calamine; openpyxl raises
    # "TypeError: expected <class 'openpyxl.styles.fills.Fill'>". The engine reads the XML itself.
    base = book(tmp_path / "base.xlsx")
    src = tmp_path / "fill.xlsx"
    rewrite(base, src, {"xl/styles.xml": lambda d: d.replace(b"<fill><patternFill /></fill>",
                                                              b"<fill/>", 1)})
    with pytest.raises(TypeError, match="expected <class 'openpyxl.styles.fills.Fill'>"):
        openpyxl.load_workbook(src)
    out = tmp_path / "out.xlsx"
    rep = refresh_workbook(src, out, formula_engine="none")
    assert rep.cells == 1 and not rep.errors and not rep.warnings, rep.lines()
    assert parts(out)["xl/styles.xml"] == parts(src)["xl/styles.xml"]
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Data").to_python()
    assert rows[0][3] == "Segment" and {r[3] for r in rows[1:21]} == {1, 2}


@pytest.mark.parametrize("name", ["pivots.xlsx", "issue_419.xlsx", "empty_s_attribute.xlsx",
                                  "minimal_package.xlsx"])
def test_files_openpyxl_refuses_whole_are_refreshed(tmp_path, name):
    """Excel and calamine read them; openpyxl alone fails (a pivot cache, a part name in another
    letter case, s="", styles outside xl/). The refresh reads the package XML itself."""
    original = CORPUS / "calamine" / name
    with pytest.raises(Exception):  # noqa: B017, PT011 - openpyxl's own, varying, exceptions
        openpyxl.load_workbook(original)
    src = tmp_path / name
    _, part = first_worksheet(parts(original))
    rewrite(original, src, {part: lambda d: inject_segment(d.decode())[0].encode()})
    out = tmp_path / "out.xlsx"
    rep = refresh_workbook(src, out, formula_engine="none")
    assert rep.cells == 1 and not rep.errors, rep.lines()
    before, after = parts(src), parts(out)
    assert {n for n in before if before[n] != after.get(n)} <= {
        part, "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "_rels/workbook.xml.rels"}



def test_shared_strings_leave_out_phonetic_runs_and_a_missing_part_is_one_line(tmp_path):
    from xlmarketing.workbook.xlsx import Package

    src = Path(__file__).parent / "data" / "xlsx_corpus" / "xlsxwriter" / "autofilter00.xlsx"

    def phonetic(data: bytes) -> bytes:  # a Japanese reading under the first string, as Excel saves it
        return data.replace(b"<si><t>Region</t></si>",
                            '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh></si>'.encode())

    rewrite(src, tmp_path / "ph.xlsx", {"xl/sharedStrings.xml": phonetic})
    assert Package.open(tmp_path / "ph.xlsx").shared_strings[:3] == ["漢字", "Item", "Volume"]

    rewrite(src, tmp_path / "miss.xlsx", {"xl/sharedStrings.xml": lambda data: None})
    pkg = Package.open(tmp_path / "miss.xlsx")
    with pytest.raises(WorkbookError, match=r"^cannot read .*: the shared strings part "
                                            r"xl/sharedStrings.xml is missing from the package$"):
        _ = pkg.shared_strings

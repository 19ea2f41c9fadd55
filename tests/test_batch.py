"""Batch generation: 20 data files into one template (one broken), in parallel processes and
on a local Dask cluster."""

from __future__ import annotations

import csv
import random

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table

from xlmarketing.functions import REGISTRY
from xlmarketing.workbook import batch
from xlmarketing.workbook.batch import plan, safe_name

HEADER = ["Spend", "Visits", "Channel"]


def customers(seed: int, n: int) -> list[list]:
    rnd = random.Random(seed)
    return [[round(rnd.uniform(5, 900), 2), rnd.randint(1, 30), rnd.choice(["web", "app"])]
            for _ in range(n)]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(HEADER)
    for r in customers(0, 10):
        ws.append(r)
    ws.add_table(Table(displayName="Customers", ref="A1:C11"))
    wb.defined_names["AllData"] = DefinedName("AllData", attr_text="Data!$A$1:$C$11")
    rep = wb.create_sheet("Report")
    rep["A1"] = "=KMEANS_SEGMENT(Customers[#All], 3)"
    rep["C1"] = "=SEGMENT_PROFILE(AllData, 3)"
    wb.save(path)
    return path


def write_data(folder, n_files: int) -> list:
    folder.mkdir()
    files = []
    for i in range(n_files - 2):
        p = folder / f"store {i:02d}.csv"
        with open(p, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            w.writerows(customers(i + 1, 12 + i))
        files.append(p)
    x = folder / "store xl.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    for r in customers(99, 25):
        wb.active.append(r)
    wb.save(x)
    files.append(x)
    broken = folder / "broken.csv"
    broken.write_text("Spend,Visits\n1,2\n3,4\n")
    files.append(broken)
    return files


def check_output(path, rows: list[list]) -> None:
    wb = openpyxl.load_workbook(path, data_only=True)
    exp = REGISTRY["KMEANS_SEGMENT"]([HEADER] + rows, 3.0)
    got = [wb["Report"][f"A{i}"].value for i in range(1, len(rows) + 3)]
    assert got == [r[0] for r in exp] + [None]
    prof = REGISTRY["SEGMENT_PROFILE"]([HEADER] + rows, 3.0)
    assert [[c.value for c in r] for r in wb["Report"]["C1:J4"]] == prof
    wbf = openpyxl.load_workbook(path)
    assert wbf["Data"].tables["Customers"].ref == f"A1:C{len(rows) + 1}"
    assert wbf.defined_names["AllData"].attr_text == f"Data!$A$1:$C${len(rows) + 1}"


def test_batch_of_20_with_one_broken(template, tmp_path):
    files = write_data(tmp_path / "data", 20)
    seen = []
    rep = batch(template, tmp_path / "data", sheet="Data", out_dir=tmp_path / "out", jobs=2,
                progress=lambda item, done, total: seen.append((done, total)))
    assert len(rep.items) == 20 and len(rep.failed) == 1
    [bad] = rep.failed
    assert bad.data.endswith("broken.csv")
    assert bad.error.startswith("broken.csv: the table Customers needs the column 'Channel'")
    assert sorted(seen) == [(i, 20) for i in range(1, 21)]
    outs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(outs) == 19 and "store 00.xlsx" in outs and "store xl.xlsx" in outs
    for i in (0, 17):
        check_output(tmp_path / "out" / f"store {i:02d}.xlsx", customers(i + 1, 12 + i))
    check_output(tmp_path / "out" / "store xl.xlsx", customers(99, 25))
    assert [i.data for i in rep.items] == [str(f) for f in sorted(files)]
    assert "1 failed" not in rep.lines()[0] and "19 of 20" in rep.lines()[0]


def test_output_names_stay_in_the_folder(tmp_path):
    assert "/" not in safe_name("../../etc/passwd") and safe_name("..") == "workbook"
    out = tmp_path / "out"
    out.mkdir()
    work = plan(tmp_path / "t.xlsx", [tmp_path / "a.csv", tmp_path / "A.xlsx",
                                      tmp_path / "sub" / "..weird name!.csv"], out)
    names = [o.name for _, o in work]
    assert names == ["a.xlsx", "A-2.xlsx", "weird name_.xlsx"]
    assert all(o.parent == out for _, o in work)


def test_missing_sheet_is_refused_before_any_run(template, tmp_path):
    from xlmarketing.workbook import WorkbookError

    write_data(tmp_path / "data", 3)
    with pytest.raises(WorkbookError, match="the template has no sheet 'Nope'"):
        batch(template, tmp_path / "data", sheet="Nope", out_dir=tmp_path / "out", jobs=1)
    assert not (tmp_path / "out").exists()


def test_dask_local_cluster(template, tmp_path):
    distributed = pytest.importorskip("distributed")
    write_data(tmp_path / "data", 4)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        rep = batch(template, tmp_path / "data", sheet="Data", out_dir=tmp_path / "out",
                    dask_scheduler=cluster.scheduler_address)
    assert rep.scheduler == cluster.scheduler_address
    assert len(rep.items) == 4 and len(rep.failed) == 1
    check_output(tmp_path / "out" / "store 01.xlsx", customers(2, 13))


# --------------------------------------------------------------------------- batch input files

def _run(template, tmp_path, name: str, data: bytes):
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    rep = batch(template, folder / name, sheet="Data", out_dir=tmp_path / "out", jobs=1)
    [item] = rep.items
    return item, rep


def test_bom_semicolons_and_decimal_commas_are_read(template, tmp_path):
    rows = customers(5, 12)
    text = "Spend;Visits;Channel\n" + "".join(
        f"{str(s).replace('.', ',')};{v};{c}\n" for s, v, c in rows)
    item, _ = _run(template, tmp_path, "semi.csv", b"\xef\xbb\xbf" + text.encode())
    assert item.ok, item.error
    check_output(item.output, rows)


def test_header_only_and_empty_files_fail_alone_and_write_nothing(template, tmp_path):
    item, rep = _run(template, tmp_path, "head.csv", b"Spend,Visits,Channel\r\n")
    assert not item.ok and item.output is None
    assert item.error == ("cannot read head.csv: row 1 is a header with no data rows below it; "
                          "nothing was written for it")
    item, _ = _run(template, tmp_path, "empty.csv", b"\n \n")
    assert item.error == "cannot read empty.csv: the file is empty; nothing was written for it"
    assert not (tmp_path / "out" / "head.xlsx").exists()
    assert not (tmp_path / "out" / "empty.xlsx").exists()


def test_headers_match_ignoring_case_and_spaces_and_keep_the_table_spelling(template, tmp_path):
    rows = customers(6, 11)
    text = "SPEND , visits,Channel \n" + "".join(f"{s},{v},{c}\n" for s, v, c in rows)
    item, _ = _run(template, tmp_path, "case.csv", text.encode())
    assert item.ok, item.error
    wb = openpyxl.load_workbook(item.output)
    assert [c.value for c in wb["Data"][1]] == HEADER
    assert [c.name for c in wb["Data"].tables["Customers"].tableColumns] == HEADER
    check_output(item.output, rows)


def test_refusals_name_the_file_the_row_and_the_reason(template, tmp_path):
    item, _ = _run(template, tmp_path, "ragged.csv", b"Spend,Visits,Channel\n1,2,web\n3,4\n")
    assert item.error == ("cannot read ragged.csv: row 3 has 2 fields but the header has 3 (fields "
                          "separated by commas; no delimiter among , ; tab | splits every row alike)")
    item, _ = _run(template, tmp_path, "cols.csv", b"Spend,Vists\n1,2\n")
    assert item.error == ("cols.csv: the table Customers needs the columns 'Visits' (closest "
                          "header in the file: 'Vists'), 'Channel' (no header in the file is "
                          "close); the file's header row has Spend, Vists. Rename the header in "
                          "the file (case, spaces and order do not matter)")
    item, _ = _run(template, tmp_path, "pct.csv", b"Spend,Visits,Channel\n15%,1,web\n15,2,app\n")
    assert item.error == ("cannot read pct.csv: column 'Spend' mixes percentages and plain numbers "
                          "(such as '15'): '15%' in row 2. Write every value as a percentage, or "
                          "none (15% or 0.15, not 15)")


def test_windows_1252_is_read_with_a_note(template, tmp_path):
    rows = customers(7, 10)
    text = "Spend,Visits,Channel\n" + "".join(f"{s},{v},caf\u00e9\n" for s, v, _ in rows)
    item, rep = _run(template, tmp_path, "cp.csv", text.encode("cp1252"))
    assert item.ok, item.error
    assert item.notes == ["not UTF-8: read as Windows-1252 (Western European)"]
    assert any("note" in line and "Windows-1252" in line for line in rep.lines())
    wb = openpyxl.load_workbook(item.output)
    assert wb["Data"]["C2"].value == "caf\u00e9"


@pytest.mark.parametrize("delim", ["\t", "|", ";"])
def test_tab_and_bar_delimiters(tmp_path, delim):
    from xlmarketing.workbook.batch import read_data

    p = tmp_path / "d.csv"
    p.write_text(delim.join(HEADER) + "\n" + delim.join(["12.5", "3", "web"]) + "\n")
    assert read_data(p) == [HEADER, [12.5, 3, "web"]]


def test_dates_one_format_per_column_and_excel_serials(tmp_path):
    import datetime as dt

    from xlmarketing.workbook.batch import read_data
    from xlmarketing.workbook.report import WorkbookError

    p = tmp_path / "mixed.csv"
    p.write_text("Month,Sales\n44197,10\n2021-02-01,12\n2021-03-01,13\n")
    assert [r[0] for r in read_data(p)[1:]] == [dt.datetime(2021, 1, 1), dt.datetime(2021, 2, 1),
                                                 dt.datetime(2021, 3, 1)]
    p.write_text("Month,Sales\n01/31/2024,10\n02/29/2024,12\n03/31/2024,5\n")  # US
    assert [r[0] for r in read_data(p)[1:]] == [dt.datetime(2024, 1, 31), dt.datetime(2024, 2, 29),
                                                 dt.datetime(2024, 3, 31)]
    p.write_text("Month,Sales\n01/02/2024,10\n13/02/2024,12\n")  # one day above 12 settles it
    assert [r[0] for r in read_data(p)[1:]] == [dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 13)]
    p.write_text("Month,Sales\n01/02/2024,10\n03/04/2024,12\n")
    with pytest.raises(WorkbookError) as e:
        read_data(p)
    assert str(e.value) == ("cannot read mixed.csv: column 'Month' has dates that read day first "
                            "or month first, and no day above 12 settles which: '01/02/2024' in "
                            "row 2. Enter real dates, or write them as year-month-day (2024-03-04)")
    p.write_text("Month;Sales\n01/02/2024;10,5\n03/04/2024;12\n")  # European Excel: day first
    assert read_data(p)[1:] == [[dt.datetime(2024, 2, 1), 10.5], [dt.datetime(2024, 4, 3), 12]]

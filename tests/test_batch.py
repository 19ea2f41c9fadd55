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
    assert bad.data.endswith("broken.csv") and "do not match" in bad.error
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


def test_missing_sheet_fails_each_file(template, tmp_path):
    write_data(tmp_path / "data", 3)
    rep = batch(template, tmp_path / "data", sheet="Nope", out_dir=tmp_path / "out", jobs=1)
    assert len(rep.failed) == 3 and "no sheet 'Nope'" in rep.failed[0].error


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

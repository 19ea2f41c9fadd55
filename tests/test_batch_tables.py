"""`xlmarketing batch` and a template's data tables: every table gets the user's data or the run
is refused naming it (optional tables are emptied, with a warning), columns match by header
name, checks join tables, and the reports name every error cell.

The fast tests use small workbooks and the templates' declarations; the slow ones run every
template with user data of other lengths (European CSV files among them) through LibreOffice
and check key figures against pandas."""

from __future__ import annotations

import json
import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.table import Table
from typer.testing import CliRunner

from xlmarketing import samples, templates
from xlmarketing.cli import app
from xlmarketing.functions import REGISTRY
from xlmarketing.templates import (campaign, churn, dashboard, forecast, recommend, reviews,
                                   segmentation)
from xlmarketing.workbook import WorkbookError, batch
from xlmarketing.workbook.batch import split_data
from xlmarketing.workbook.tables import DataTables, declare, declared
from xlmarketing.workbook.xlsx import Package

from tests.test_batch import HEADER, customers

runner = CliRunner()
rows = customers  # the same generated customer rows as tests/test_batch.py


@pytest.fixture(scope="module")
def two_tables(tmp_path_factory):
    """Customers (main) and Regions (optional) tables, and a formula on each."""
    path = tmp_path_factory.mktemp("tpl") / "two.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(HEADER)
    for r in rows(0, 10):
        ws.append(r)
    ws.add_table(Table(displayName="Customers", ref="A1:C11"))
    rg = wb.create_sheet("Regions")
    rg.append(["Region", "Target"])
    for i in range(5):
        rg.append([f"R{i}", 100 + i])
    rg.add_table(Table(displayName="Regions", ref="A1:B6"))
    rep = wb.create_sheet("Report")
    rep["A1"] = "=KMEANS_SEGMENT(Customers[#All], 3)"
    rep["E1"] = "=SUM(Regions[Target])"
    declare(wb, DataTables(main="Customers", optional=("Regions",)))
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return {p.name: p for p in templates.build_all(tmp_path_factory.mktemp("built"))}


def write_csv(path, header, body, sep=","):
    path.write_text("\n".join(sep.join(str(v) for v in r) for r in [header] + body) + "\n",
                    encoding="utf-8")
    return path


def segments(path, n):
    ws = openpyxl.load_workbook(path, data_only=True)["Report"]
    return [ws[f"A{i}"].value for i in range(1, n + 2)]


# --------------------------------------------------------------------------- columns by name


def test_extra_reordered_and_spelled_columns_match_by_name(two_tables, tmp_path):
    body = rows(3, 14)
    want = REGISTRY["KMEANS_SEGMENT"]([HEADER] + body, 3.0)
    # Extra Email column, another order, other case and spacing.
    header = ["channel ", "Email", "VISITS", " spend"]
    f = write_csv(tmp_path / "extra.csv", header,
                  [[c, f"a{i}@x.org", v, s] for i, (s, v, c) in enumerate(body)])
    rep = batch(two_tables, f, out_dir=tmp_path / "out", jobs=1, formula_engine="none")
    [item] = rep.items
    assert item.ok, item.error
    assert segments(item.output, 14) == [r[0] for r in want]
    assert "left out the column Email: the table Customers has no such column" in item.notes
    assert any("no data for the table Regions" in w for w in item.warnings)
    wb = openpyxl.load_workbook(item.output)
    assert [c.value for c in wb["Data"][1]] == HEADER  # the table's own spelling and order
    assert wb["Data"].tables["Customers"].ref == "A1:C15"
    assert [wb["Regions"].cell(row=2, column=c).value for c in (1, 2)] == [None, None]
    assert wb["Regions"].tables["Regions"].ref == "A1:B2"


def test_a_renamed_column_is_refused_naming_the_closest_header(two_tables, tmp_path):
    f = write_csv(tmp_path / "renamed.csv", ["Spend", "Visit count", "Chanel"],
                  [[s, v, c] for s, v, c in rows(4, 5)])
    [item] = batch(two_tables, f, out_dir=tmp_path / "out", jobs=1).items
    assert not item.ok
    assert item.error == (
        "renamed.csv: the table Customers needs the columns 'Visits' (closest header in the "
        "file: 'Visit count'), 'Channel' (closest header in the file: 'Chanel'); the file's "
        "header row has Spend, Visit count, Chanel. Rename the header in the file (case, spaces "
        "and order do not matter)")
    assert not (tmp_path / "out" / "renamed.xlsx").exists()


def test_a_header_given_twice_is_refused(two_tables, tmp_path):
    f = write_csv(tmp_path / "twice.csv", ["Spend", "Visits", "Channel", "spend "],
                  [[1, 2, "web", 3], [4, 5, "app", 6]])
    [item] = batch(two_tables, f, out_dir=tmp_path / "out", jobs=1).items
    assert item.error == ("twice.csv: the column 'spend' is there twice (columns 1 and 4); "
                          "keep one")


# --------------------------------------------------------------------------- every table


def test_table_equals_file_fills_each_table(two_tables, tmp_path):
    body = rows(5, 12)
    c = write_csv(tmp_path / "cust.csv", HEADER, body)
    r = write_csv(tmp_path / "reg.csv", ["Target", "Region"], [[7, "N"], [8, "S"], [9, "E"]])
    plain, named = split_data([f"Customers={c}", f"regions={r}"])
    assert plain == [] and set(named) == {"Customers", "regions"}
    rep = batch(two_tables, plain, tables=named, out_dir=tmp_path / "out", jobs=1)
    [item] = rep.items
    assert item.ok, item.error
    assert item.output.endswith("cust.xlsx") and item.warnings == []
    wb = openpyxl.load_workbook(item.output, data_only=True)
    assert wb["Report"]["E1"].value == 24  # the user's targets, not the template's 510
    assert segments(item.output, 12) == [x[0] for x in REGISTRY["KMEANS_SEGMENT"](
        [HEADER] + body, 3.0)]


def test_a_data_workbook_with_sheets_named_like_the_tables(two_tables, tmp_path):
    body = rows(6, 9)
    x = tmp_path / "both.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "regions"
    for r in [["Region", "Target"], ["A", 1], ["B", 2]]:
        wb.active.append(r)
    ws = wb.create_sheet("Customers")
    for r in [HEADER] + body:
        ws.append(r)
    wb.save(x)
    [item] = batch(two_tables, x, out_dir=tmp_path / "out", jobs=1).items
    assert item.ok, item.error
    got = openpyxl.load_workbook(item.output, data_only=True)
    assert got["Report"]["E1"].value == 3
    assert segments(item.output, 9) == [r[0] for r in REGISTRY["KMEANS_SEGMENT"](
        [HEADER] + body, 3.0)]


def test_naming_one_table_of_the_forecast_is_refused_naming_the_other(built, tmp_path):
    hist, _ = samples.monthly_sales(30, 12, seed=5)
    f = tmp_path / "sales.csv"
    hist.to_csv(f, index=False, date_format="%Y-%m-%d")
    with pytest.raises(WorkbookError) as e:
        batch(built[forecast.FILE], f, sheet="Sales", out_dir=tmp_path / "out")
    assert str(e.value) == (
        "no data for the table Plan: the template's sample rows are never used for your "
        "results. Give --data Plan=FILE (columns Month, Price, Promotion), or a data workbook "
        "with a sheet named like the table")
    assert not (tmp_path / "out").exists()
    res = runner.invoke(app, ["batch", str(built[forecast.FILE]), "--data", str(f), "--sheet",
                              "Sales", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "no data for the table Plan" in res.stderr


def test_every_multi_table_template_refuses_its_main_table_alone(built, tmp_path):
    f = write_csv(tmp_path / "x.csv", ["A"], [[1]])
    for name, missing in [(churn.FILE, "History"), (dashboard.FILE, "History, Sales, Plan"),
                          (campaign.FILE, "Responses")]:
        with pytest.raises(WorkbookError, match=f"no data for the tables? {missing}:"):
            batch(built[name], f, out_dir=tmp_path / "out")


def test_the_plan_must_follow_the_last_sales_month(built, tmp_path):
    hist, plan = samples.monthly_sales(30, 12, seed=6)  # Jul 2023 - Dec 2025, plan 2026
    s = tmp_path / "sales.csv"
    hist.to_csv(s, index=False, date_format="%Y-%m-%d")
    p = tmp_path / "plan.csv"
    late = plan.assign(Month=plan["Month"] + pd.DateOffset(months=2))
    late.to_csv(p, index=False, date_format="%Y-%m-%d")
    [item] = batch(built[forecast.FILE], tables={"Sales": s, "Plan": p},
                   out_dir=tmp_path / "out").items
    assert item.error == ("the table Plan starts in Mar 2026 but Sales ends in Dec 2025: "
                          "Plan[Month] must hold the months right after the last month of "
                          "Sales (Jan 2026 onward)")


def test_current_customers_need_the_training_columns_kinds(built, tmp_path):
    hist, cur = samples.churn_history(60, seed=1), samples.churn_current(20, seed=2)
    cur["Age"] = cur["Age"].astype(str)
    cur.loc[3, "Age"] = "forty"
    h, c = tmp_path / "hist.csv", tmp_path / "cur.csv"
    hist.to_csv(h, index=False, date_format="%Y-%m-%d")
    cur.to_csv(c, index=False, date_format="%Y-%m-%d")
    [item] = batch(built[churn.FILE], c, tables={"History": h}, out_dir=tmp_path / "out").items
    assert item.error == ("Current[Age] has text (such as 'forty') where the model's data "
                          "History[Age] has numbers: give numbers")


def test_the_templates_declare_their_tables(built):
    got = {name: declared(Package.open(p)) for name, p in built.items()}
    assert got[segmentation.FILE] == DataTables(main="Customers", optional=("Orders",))
    assert got[forecast.FILE].follows == (("Plan", "Month", "Sales", "Month"),)
    assert got[churn.FILE].features[0][:2] == ("Current", "History")
    assert got[recommend.FILE].optional == ("OrderLines",)
    assert got[reviews.FILE].main == "Reviews"


def test_unknown_tables_and_keep(two_tables, tmp_path):
    f = write_csv(tmp_path / "c.csv", HEADER, rows(1, 6))
    with pytest.raises(WorkbookError, match=r"no table 'Nope' \(its tables: Customers \(sheet "
                                            r"Data\), Regions\)"):
        batch(two_tables, f, tables={"Nope": f}, out_dir=tmp_path / "out")
    [item] = batch(two_tables, f, keep=["Regions"], out_dir=tmp_path / "out", jobs=1,
                   formula_engine="none").items
    assert item.ok and any("keeps the template's own rows" in w for w in item.warnings)
    assert openpyxl.load_workbook(item.output)["Regions"]["B6"].value == 104


# --------------------------------------------------------------------------- reports


def test_batch_reports_name_every_error_cell_in_text_and_json(two_tables, tmp_path):
    f = write_csv(tmp_path / "tiny.csv", HEADER, rows(2, 2))  # 2 rows: 3 segments cannot be
    out = tmp_path / "out"
    res = runner.invoke(app, ["batch", str(two_tables), "--data", str(f), "--out", str(out),
                              "--jobs", "1", "--engine", "none"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert any(ln.strip().startswith("wrote ") and "1 cells with errors" in ln for ln in lines)
    [err] = [ln for ln in lines if ln.strip().startswith("error ")]
    assert err.strip().startswith("error Report!A1: #")
    res = runner.invoke(app, ["batch", str(two_tables), "--data", str(f), "--out", str(out),
                              "--jobs", "1", "--engine", "none", "--json"])
    [item] = json.loads(res.output)["items"]
    assert [e["address"] for e in item["errors"]] == ["Report!A1"]
    assert item["errors"][0]["message"] == err.strip()[len("error Report!A1: "):]
    assert item["errors"][0]["code"] == item["errors"][0]["message"].split()[0]


def test_refresh_reports_name_every_error_cell_in_text_and_json(tmp_path):
    path = tmp_path / "e.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for r in [HEADER] + rows(1, 2):
        ws.append(r)
    ws["F1"] = "=KMEANS_SEGMENT(A1:C3, 3)"
    ws["H1"] = "=KMEANS_SEGMENT(A1:C3, 99)"
    wb.save(path)
    res = runner.invoke(app, ["refresh", str(path), "-o", str(tmp_path / "o.xlsx"), "--engine",
                              "none"])
    errs = [ln.strip() for ln in res.output.splitlines() if ln.strip().startswith("error ")]
    assert [e.split(":")[0] for e in errs] == ["error S!F1", "error S!H1"]
    res = runner.invoke(app, ["refresh", str(path), "-o", str(tmp_path / "o.xlsx"), "--engine",
                              "none", "--json"])
    got = json.loads(res.output[:res.output.rindex("}") + 1])["errors"]
    assert [(e["address"], e["message"]) for e in got] == [
        (e.split(": ", 1)[0][len("error "):], e.split(": ", 1)[1]) for e in errs]


def test_batch_values_only_writes_no_formula_of_ours(two_tables, tmp_path):
    f = write_csv(tmp_path / "v.csv", HEADER, rows(8, 10))
    res = runner.invoke(app, ["batch", str(two_tables), "--data", str(f), "--out",
                              str(tmp_path / "out"), "--values-only", "--engine", "none"])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(tmp_path / "out" / "v.xlsx")["Report"]
    assert isinstance(ws["A1"].value, str) and not ws["A1"].value.startswith("=")
    assert ws["A1"].value == "Segment"


# --------------------------------------------------------------------------- every template


def european(df: pd.DataFrame, path):
    """A CSV as European Excel writes it: semicolons, decimal commas, day-first dates."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%d/%m/%Y")
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:.2f}".replace(".", ","))
    out.to_csv(path, sep=";", index=False)
    return path


def two_places(col: pd.Series) -> np.ndarray:
    """The numbers as :func:`european` wrote them."""
    return col.map(lambda v: float(f"{v:.2f}")).to_numpy()


def plain(df: pd.DataFrame, path):
    df.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def run_template(built, tmp_path, name, files: dict[str, str]):
    plain_, named = split_data([f"{t}={p}" for t, p in files.items()])
    rep = batch(built[name], plain_, tables=named, out_dir=tmp_path / "out", jobs=1)
    [item] = rep.items
    assert item.ok, item.error
    return openpyxl.load_workbook(item.output, data_only=True), item


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-6)


needs_lo = pytest.mark.skipif(shutil.which("soffice") is None,
                              reason="the ordinary formulas are computed by LibreOffice")


@pytest.mark.slow
@needs_lo
def test_forecast_uses_the_users_sales_and_plan(built, tmp_path):
    hist, plan = samples.monthly_sales(30, 12, seed=77)
    plan["Price"] = plan["Price"] * 1.3  # unlike the sample's ~25
    wb, item = run_template(built, tmp_path, forecast.FILE, {
        "Sales": european(hist, tmp_path / "sales.csv"),
        "Plan": european(plan, tmp_path / "plan.csv")})
    fs = wb["Forecast"]
    assert "30 months of history" in fs["A2"].value
    fc = np.array([fs.cell(row=r, column=2).value for r in range(7, 19)], dtype=float)
    assert (fs["A7"].value.year, fs["A7"].value.month) == (2026, 1)
    actual = hist["Units sold"].tail(12).sum()
    assert fs["I7"].value == approx(actual)
    assert fs["I8"].value == approx(fc.sum() / actual - 1)
    prices = two_places(plan["Price"])
    assert fs["I9"].value == approx((fc * prices).sum())


@pytest.mark.slow
@needs_lo
def test_churn_scores_the_users_current_customers(built, tmp_path):
    hist, cur = samples.churn_history(300, seed=31), samples.churn_current(77, seed=32)
    wb, _ = run_template(built, tmp_path, churn.FILE, {
        "History": european(hist, tmp_path / "h.csv"), "Current": plain(cur, tmp_path / "c.csv")})
    rs, cs = wb["Risk"], wb["Current"]
    assert rs["A2"].value == "77 current customers scored by a model trained on 300 past customers."
    prob = np.array([cs.cell(row=r, column=11).value for r in range(2, 79)], dtype=float)
    assert cs.cell(row=79, column=11).value is None
    assert rs["D6"].value == 77
    assert rs["D11"].value == approx((prob * cur["Monthly spend"].to_numpy()).sum())


@pytest.mark.slow
@needs_lo
def test_dashboard_counts_are_the_users(built, tmp_path):
    hist, cur = samples.churn_history(250, seed=41), samples.churn_current(90, seed=42)
    sales, plan = samples.monthly_sales(40, 12, seed=43)
    wb, _ = run_template(built, tmp_path, dashboard.FILE, {
        "Customers": european(cur, tmp_path / "c.csv"), "History": plain(hist, tmp_path / "h.csv"),
        "Sales": european(sales, tmp_path / "s.csv"), "Plan": plain(plan, tmp_path / "p.csv")})
    sub = wb[dashboard.SHEET]["A2"].value
    assert "90" in sub and "250 past customers" in sub and "40 months of sales" in sub
    assert wb[dashboard.SHEET][f"D{dashboard.KPI_ROW}"].value == 90
    spend = wb[dashboard.SHEET][f"D{dashboard.KPI_ROW + 1}"].value
    assert spend == approx(two_places(cur["Monthly spend"]).sum())


@pytest.mark.slow
@needs_lo
def test_segmentation_with_and_without_orders(built, tmp_path):
    cust = samples.customers(150, seed=51)
    orders = samples.orders(60, seed=52)
    wb, item = run_template(built, tmp_path, segmentation.FILE, {
        "Customers": european(cust, tmp_path / "c.csv"),
        "Orders": european(orders, tmp_path / "o.csv")})
    rfm = wb["RFM & value"] if "RFM & value" in wb.sheetnames else None
    assert rfm is not None
    ids = [rfm.cell(row=r, column=1).value for r in range(7, 7 + 500)]
    listed = [i for i in ids if i not in (None, "")]
    assert len(listed) == orders["Customer"].nunique()
    assert not any("no data" in w for w in item.warnings)
    # Without orders: the sample orders are gone and the report says so.
    rep = batch(built[segmentation.FILE], tmp_path / "c.csv", out_dir=tmp_path / "out2", jobs=1)
    [item] = rep.items
    assert item.ok, item.error
    assert any(w.startswith("no data for the table Orders: its sample rows were removed")
               for w in item.warnings)
    wb = openpyxl.load_workbook(item.output, data_only=True)
    assert wb["Orders"]["A2"].value is None and wb["Orders"]["A3"].value is None
    assert all(wb["RFM & value"].cell(row=r, column=1).value in (None, "")
               for r in range(8, 30))


@pytest.mark.slow
@needs_lo
def test_campaign_reviews_and_recommendations_follow_the_users_tables(built, tmp_path):
    hist, pros = samples.campaign_history(400, seed=61), samples.campaign_prospects(55, seed=62)
    wb, _ = run_template(built, tmp_path, campaign.FILE, {
        "Responses": european(hist, tmp_path / "r.csv"),
        "Prospects": plain(pros, tmp_path / "p.csv")})
    ps = wb[campaign.PROSPECTS]
    col = openpyxl.utils.column_index_from_string(campaign.SCORE_AT[0])
    scores = [ps.cell(row=r, column=col).value for r in range(2, 70)]
    assert sum(isinstance(v, float) for v in scores) == 55 and scores[55] in (None, "")

    rv = samples.reviews(80, seed=63)
    wb, _ = run_template(built, tmp_path / "rv", reviews.FILE,
                         {"Reviews": european(rv, tmp_path / "rv.csv")})
    assert wb["Reviews"].tables["Reviews"].ref.endswith("81")
    n = sum(1 for r in wb["Reviews"].iter_rows(min_row=2, max_col=1, values_only=True)
            if r[0] not in (None, ""))
    assert n == 80

    purchases, lines = samples.purchases(40, seed=64)
    wb, item = run_template(built, tmp_path / "rc", recommend.FILE, {
        "Purchases": european(purchases, tmp_path / "pu.csv"),
        "OrderLines": plain(lines, tmp_path / "ol.csv")})
    assert not any("no data" in w for w in item.warnings)
    assert wb["Purchases"].tables["Purchases"].ref.endswith(str(len(purchases) + 1))
    assert wb["OrderLines"].tables["OrderLines"].ref.endswith(str(len(lines) + 1))

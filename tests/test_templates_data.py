"""Every template follows its data: `xlmarketing batch` puts in tables of 36, 60, 120 and 1,000
rows (and 8 months of sales), and every KPI, summary and subtitle equals the same figure
computed with pandas from the data file and our functions' results; a figure that needs more
data than there is says so in words. LibreOffice opens every refreshed workbook with no
#NAME? in any chart, checked from the chart caches it writes when it saves the file."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from xlmarketing import samples, templates
from xlmarketing.templates import churn, dashboard, forecast, segmentation
from xlmarketing.workbook import batch

pytestmark = [
    # a LibreOffice round trip of every template at four data sizes: several minutes
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None,
                       reason="the ordinary formulas are computed by LibreOffice"),
]
SIZES = (36, 60, 120, 1000)
SHORT = 8  # months of sales: less than a year
# template, data sheet, case name -> the data file's frame
CASES: list[tuple[str, str, str]] = (
    [(segmentation.FILE, "Customers", f"customers{n}") for n in SIZES]
    + [(churn.FILE, "Current", f"current{n}") for n in SIZES]
    + [(forecast.FILE, "Sales", f"sales{n}") for n in SIZES + (SHORT,)]
    + [(dashboard.FILE, "Customers", f"customers{n}") for n in SIZES]
    + [(dashboard.FILE, "Sales", f"sales{SHORT}")]
)


def companions(name: str, sheet: str) -> dict[str, pd.DataFrame]:
    """The template's other tables, given explicitly (batch never uses a table's sample rows
    on its own): the template's own sample data, so the figures they drive are known."""
    from xlmarketing.templates import segmentation_rfm

    sales, plan = samples.monthly_sales(forecast.MONTHS, forecast.HORIZON)
    if name == segmentation.FILE:
        return {"Orders": samples.orders(segmentation_rfm.N_CUSTOMERS)}
    if name == churn.FILE:
        return {"History": samples.churn_history(churn.N_HISTORY)}
    if name == forecast.FILE:
        return {"Plan": plan}  # every case's sales end in Dec 2025: the plan follows
    tables = {"Customers": samples.churn_current(dashboard.N_CURRENT),
              "History": samples.churn_history(dashboard.N_HISTORY), "Sales": sales, "Plan": plan}
    del tables[sheet]
    return tables


def frame(case: str) -> pd.DataFrame:
    """The data of a case: other seeds than the templates' own samples."""
    n = int(re.sub(r"\D", "", case))
    if case.startswith("customers"):
        return samples.customers(n, seed=100 + n)
    if case.startswith("current"):
        df = samples.churn_current(n, seed=200 + n)
        # Customers identical but for their ID get equal probabilities: the top list must still
        # name each customer once.
        cols = df.columns[1:]
        df.loc[n - 3:, cols] = df.loc[:2, cols].to_numpy()
        return df
    if case.startswith("sales"):
        return samples.monthly_sales(n, 12, seed=300 + n)[0]
    raise ValueError(case)


def dash_frame(case: str) -> pd.DataFrame:
    if case.startswith("customers"):
        return samples.churn_current(int(case[9:]), seed=400 + int(case[9:]))
    return frame(case)


@pytest.fixture(scope="module")
def batched(tmp_path_factory) -> dict[tuple[str, str], tuple[pd.DataFrame, Path]]:
    """(template, case) -> (the data as written to the CSV, the refreshed workbook)."""
    root = tmp_path_factory.mktemp("batched")
    tpl = {p.name: p for p in templates.build_all(root / "templates")}
    out: dict[tuple[str, str], tuple[pd.DataFrame, Path]] = {}
    groups: dict[tuple[str, str], list[str]] = {}
    for name, sheet, case in CASES:
        groups.setdefault((name, sheet), []).append(case)
    for (name, sheet), cases in groups.items():
        data = root / "data" / Path(name).stem / sheet
        data.mkdir(parents=True)
        frames = {}
        for case in cases:
            df = dash_frame(case) if name == dashboard.FILE else frame(case)
            df.to_csv(data / f"{case}.csv", index=False, date_format="%Y-%m-%d")
            frames[case] = df
        others = {}
        for table, df in companions(name, sheet).items():
            others[table] = root / "data" / Path(name).stem / f"{sheet}-{table}.csv"
            df.to_csv(others[table], index=False, date_format="%Y-%m-%d")
        dest = root / "out" / Path(name).stem / sheet
        rep = batch(tpl[name], data, sheet=sheet, tables=others, out_dir=dest, jobs=2)
        assert rep.ok, rep.lines()
        for case in cases:
            out[(name, case)] = (frames[case], dest / f"{case}.xlsx")
    return out


@functools.cache
def values(path: Path):
    return load_workbook(path, data_only=True)


def column(ws, col: int, n: int, first: int = 2) -> np.ndarray:
    return np.array([ws.cell(row=r, column=col).value for r in range(first, first + n)], dtype=float)


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-6)


# --------------------------------------------------------------------------- segmentation


@pytest.mark.parametrize("n", SIZES)
def test_segmentation_summaries_follow_the_customers(batched, n):
    df, path = batched[(segmentation.FILE, f"customers{n}")]
    wb = values(path)
    seg = column(wb["Customers"], 8, n)
    k = int(seg.max())  # k is "auto": as many segments as the data supports
    assert set(seg) == set(range(1, k + 1)) and k <= segmentation.MAX_SEGMENTS
    assert wb["Customers"].cell(row=n + 2, column=8).value is None
    ss = wb["Segments"]
    assert f"({n:,} customers)" in ss["A2"].value and f"{k} segments" in ss["A2"].value
    top = segmentation.COUNTS_ROW
    spend = df["Annual spend"].to_numpy()
    total = spend.sum()
    for s in range(k + 1, segmentation.MAX_SEGMENTS + 1):  # room for more: blank
        assert ss.cell(row=top + s, column=1).value in (None, "")
    for s in range(1, k + 1):
        r = top + s
        assert ss.cell(row=r, column=2).value == (seg == s).sum()
        assert ss.cell(row=r, column=3).value == approx(spend[seg == s].sum())
        assert ss.cell(row=r, column=4).value == approx(spend[seg == s].sum() / total)
        assert ss.cell(row=r, column=5).value == approx(spend[seg == s].mean())
        assert ss.cell(row=r, column=2).value == ss.cell(row=6 + s, column=2).value  # profile
    tot = top + segmentation.MAX_SEGMENTS + 1
    assert ss.cell(row=tot, column=2).value == n
    assert ss.cell(row=tot, column=3).value == approx(total)
    assert ss.cell(row=tot, column=5).value == approx(total / n)
    # The scatter: up to 500 customers spread over the table, each in its own segment's column.
    cd = wb["ChartData"]
    assert cd["C2"].value == n
    rows = [cd.cell(row=r, column=1).value for r in range(4, 4 + segmentation.SCATTER_POINTS)]
    picked = [int(v) for v in rows if isinstance(v, (int, float))]
    assert len(picked) == min(n, segmentation.SCATTER_POINTS) and len(set(picked)) == len(picked)
    assert picked[0] == 1 and picked[-1] <= n
    for i in (0, len(picked) - 1):
        k = picked[i]
        assert cd.cell(row=4 + i, column=2).value == df["Days since last order"].iloc[k - 1]
        own = int(seg[k - 1])
        assert cd.cell(row=4 + i, column=2 + own).value == approx(spend[k - 1])


# --------------------------------------------------------------------------- churn


@pytest.mark.parametrize("n", SIZES)
def test_churn_kpis_follow_the_current_customers(batched, n):
    df, path = batched[(churn.FILE, f"current{n}")]
    wb = values(path)
    prob = column(wb["Current"], 11, n)
    assert np.isfinite(prob).all() and wb["Current"].cell(row=n + 2, column=11).value is None
    spend = df["Monthly spend"].to_numpy()
    rs = wb["Risk"]
    assert rs["A2"].value.startswith(f"{n:,} current customers scored")
    high = prob >= churn.THRESHOLD
    assert rs["D6"].value == n
    assert rs["D7"].value == approx(prob.sum())
    assert rs["D8"].value == approx(prob.sum() / n)
    assert rs["D10"].value == high.sum()
    assert rs["D11"].value == approx((prob * spend).sum())
    assert rs["D12"].value == approx((prob * spend).sum() * 12)
    assert rs["D13"].value == approx(spend[high].sum())
    bins = [rs.cell(row=r, column=4).value for r in range(18, 28)]
    edges = np.arange(11) / 10
    expected = [((prob >= a) & ((prob < b) if b < 1 else (prob <= b))).sum()
                for a, b in zip(edges[:-1], edges[1:])]
    assert bins == expected and sum(bins) == n
    order = np.argsort(-prob, kind="stable")
    for i in range(churn.TOP):
        r = 32 + i
        assert rs.cell(row=r, column=2).value == approx(prob[order[i]])
    assert rs["A32"].value == df["Customer ID"].iloc[order[0]]
    listed = [rs.cell(row=32 + i, column=1).value for i in range(churn.TOP)]
    assert len(set(listed)) == churn.TOP
    assert sorted(listed) == sorted(df["Customer ID"].iloc[order[:churn.TOP]])
    assert rs["C32"].value == df["Contract"].iloc[order[0]]
    assert f"{churn.N_HISTORY:,} past customers" in wb["Model"]["A2"].value


# --------------------------------------------------------------------------- forecast


def _plan_prices() -> np.ndarray:
    return samples.monthly_sales(forecast.MONTHS, forecast.HORIZON)[1]["Price"].to_numpy()


@pytest.mark.parametrize("n", SIZES)
def test_forecast_kpis_follow_the_sales_history(batched, n):
    df, path = batched[(forecast.FILE, f"sales{n}")]
    wb = values(path)
    fs = wb["Forecast"]
    assert f"{n:,} months of history" in fs["A2"].value
    fc = column(fs, 2, forecast.HORIZON, first=7)
    assert np.isfinite(fc).all()
    # Forecast periods carry a date format and follow the last month of the data.
    assert fs["A7"].number_format == "mmm yyyy"
    last = df["Month"].iloc[-1]
    assert (fs["A7"].value.year, fs["A7"].value.month) == (last.year + last.month // 12,
                                                          last.month % 12 + 1)
    actual = df["Units sold"].tail(12).sum()
    assert fs["I6"].value == approx(fc.sum())
    assert fs["I7"].value == approx(actual)
    assert fs["I8"].value == approx(fc.sum() / actual - 1)
    assert fs["I9"].value == approx((fc * _plan_prices()).sum())
    cd = wb["ChartData"]
    w = forecast.CHART_HISTORY
    assert cd["G2"].value == n
    assert cd.cell(row=w + 1, column=2).value == df["Units sold"].iloc[-1]
    shown = [cd.cell(row=r, column=2).value for r in range(2, w + 2)]
    assert shown[-min(n, w):] == df["Units sold"].tail(min(n, w)).tolist()
    assert all(v == "#N/A" for v in shown[:max(0, w - n)])
    assert [cd.cell(row=w + 2 + j, column=3).value for j in range(12)] == [approx(v) for v in fc]


def test_forecast_with_eight_months_says_what_is_missing(batched):
    _, path = batched[(forecast.FILE, f"sales{SHORT}")]
    fs = values(path)["Forecast"]
    assert f"{SHORT} months of history" in fs["A2"].value
    assert fs["A6"].value == "#NUM!"  # SALES_FORECAST explains itself in A6's comment
    assert fs["I6"].value == f"needs 24 months of history (has {SHORT})"
    assert fs["I7"].value == f"needs 12 months of history (has {SHORT})"
    assert fs["I8"].value == "needs the two figures above"
    assert fs["I9"].value == "needs the forecast"


# --------------------------------------------------------------------------- dashboard


@pytest.mark.parametrize("n", SIZES)
def test_dashboard_follows_the_customers(batched, n):
    df, path = batched[(dashboard.FILE, f"customers{n}")]
    wb = values(path)
    seg = column(wb["Customers"], 11, n)
    prob = column(wb["Customers"], 12, n)
    spend = df["Monthly spend"].to_numpy()
    ds = wb[dashboard.SHEET]
    assert ds["A2"].value.startswith(f"{n:,} customers in 4 segments")
    k = dashboard.KPI_ROW
    high = prob >= dashboard.THRESHOLD
    assert ds[f"D{k}"].value == n
    assert ds[f"D{k + 1}"].value == approx(spend.sum())
    assert ds[f"D{k + 2}"].value == approx(prob.sum())
    assert ds[f"D{k + 3}"].value == approx((prob * spend).sum())
    assert ds[f"D{k + 5}"].value == high.sum()
    risk = np.array([(prob * spend)[seg == s].sum() for s in range(1, 5)])
    for s in range(1, 5):
        r = dashboard.SEG_ROW + s
        m = seg == s
        assert ds.cell(row=r, column=2).value == m.sum()
        assert ds.cell(row=r, column=4).value == approx(spend[m].sum())
        assert ds.cell(row=r, column=5).value == approx(prob[m].sum())
        assert ds.cell(row=r, column=6).value == approx(risk[s - 1])
        assert ds.cell(row=r, column=7).value == approx(risk[s - 1] / risk.sum())
        assert ds.cell(row=r, column=8).value == (m & high).sum()
        assert ds.cell(row=r, column=9).value == approx(prob[m].mean())
        assert ds.cell(row=r, column=10).value == approx(spend[m].mean())
    tot = dashboard.SEG_ROW + 5
    assert ds.cell(row=tot, column=2).value == n
    assert ds.cell(row=tot, column=6).value == approx(risk.sum())
    assert ds.cell(row=tot, column=4).value == approx(spend.sum())
    assert ds.cell(row=tot, column=8).value == high.sum()
    worst = int(np.argmax(risk)) + 1
    todo = ds.cell(row=dashboard.TODO_ROW, column=6).value
    assert todo.startswith(f"Retention first: segment {worst} holds "
                           f"{risk.max() / risk.sum():.0%} of the monthly revenue at risk")
    assert f"start with its {(high & (seg == worst)).sum()} high-risk customers" in todo
    per = np.array([spend[seg == s].mean() for s in range(1, 5)])
    best = ds.cell(row=dashboard.TODO_ROW + 2, column=6).value
    assert best.startswith(f"Look after segment {int(np.argmax(per)) + 1}:")
    # The sales are the template's own: the forecast figures are numbers, with a sentence.
    kr = dashboard.FC_ROW + 1
    fc = column(wb[dashboard.MODELS], 2, 12, first=5)
    assert ds[f"I{kr}"].value == approx(fc.sum())
    growth = ds[f"I{kr + 2}"].value
    sales = wb["Sales"]
    units = next(c for c in range(1, sales.max_column + 1)
                 if sales.cell(row=1, column=c).value == "Units sold")
    hist = [r[0] for r in sales.iter_rows(min_row=2, min_col=units, max_col=units,
                                          values_only=True) if r[0] is not None]
    assert growth == approx(fc.sum() / sum(hist[-12:]) - 1)
    assert ds.cell(row=dashboard.TODO_ROW + 4, column=6).value.startswith(
        "Plan for growth" if growth >= 0 else "Sales are forecast to fall")


def test_dashboard_with_eight_months_of_sales(batched):
    _, path = batched[(dashboard.FILE, f"sales{SHORT}")]
    ds = values(path)[dashboard.SHEET]
    assert f"; {SHORT} months of sales history." in ds["A2"].value
    kr = dashboard.FC_ROW + 1
    assert ds[f"I{kr}"].value == f"needs 24 months of history (has {SHORT})"
    assert ds[f"I{kr + 2}"].value == "needs the two figures above"
    assert ds.cell(row=dashboard.TODO_ROW + 4, column=6).value == (
        f"Forecast: needs 24 months of history (has {SHORT}).")
    assert all(ds.cell(row=dashboard.FC_ROW + 1 + j, column=2).value in (None, "")
               for j in range(12))
    assert ds[f"D{dashboard.KPI_ROW}"].value == dashboard.N_CURRENT  # the customers stay


def test_pandas_and_calamine_read_the_kpis(batched):
    """The KPIs are cached values in the file: readers that do not calculate see them."""
    pytest.importorskip("python_calamine")
    df, path = batched[(dashboard.FILE, "customers120")]
    k = dashboard.KPI_ROW
    want = values(path)[dashboard.SHEET][f"D{k + 3}"].value
    for engine in ("openpyxl", "calamine"):
        sheet = pd.read_excel(path, sheet_name=dashboard.SHEET, header=None, engine=engine)
        assert sheet.iloc[k + 2, 3] == approx(want), engine


# --------------------------------------------------------------------------- LibreOffice


def lo_charts(paths: list[Path], out: Path) -> dict[str, dict[str, str]]:
    """{workbook: {chart part: XML}} of each workbook as LibreOffice opens and saves it (it
    writes the values it shows into each chart's caches)."""
    out.mkdir(parents=True, exist_ok=True)
    # One call converts them all (each output keeps its input's name: unique names only).
    names = [p.name for p in paths]
    assert len(set(names)) == len(names)
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation=file://{out}/profile",
                    "--headless", "--norestore", "--convert-to", "xlsx", "--outdir", str(out / "x"),
                    *map(str, paths)], capture_output=True, timeout=900, check=False,
                   env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
    charts = {}
    for p in paths:
        conv = out / "x" / p.name
        assert conv.exists(), f"LibreOffice could not open {p}"
        with zipfile.ZipFile(conv) as z:
            charts[p.name] = {n: z.read(n).decode("utf-8") for n in z.namelist()
                              if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}
    return charts


def points(xml: str, tag: str) -> list[list[str]]:
    """Cached point values of every series' ``tag`` (cat, val, xVal, yVal)."""
    out = []
    for block in re.findall(rf"<c:{tag}>(.*?)</c:{tag}>", xml, re.DOTALL):
        got = re.findall(r"<c:v>(.*?)</c:v>", block)
        while got and not got[-1].strip():  # room for more rows (segments k "auto"): blank
            got.pop()
        out.append(got)
    return out


def test_libreoffice_shows_every_chart_without_name_errors(batched, tmp_path):
    paths = []
    for (name, case), (_, path) in sorted(batched.items()):
        if case in ("customers1000", "current1000", "sales120", "sales8", "current36"):
            copy = tmp_path / "in" / f"{Path(name).stem}-{case}.xlsx"
            copy.parent.mkdir(exist_ok=True)
            shutil.copy(path, copy)
            paths.append(copy)
    charts = lo_charts(paths, tmp_path / "lo")
    for book, parts in charts.items():
        assert parts, book
        for part, xml in parts.items():
            assert "#NAME?" not in xml, (book, part)
            cats = points(xml, "cat")
            vals = points(xml, "val") + points(xml, "yVal")
            assert vals and any(vals), (book, part)
            for ser in re.findall(r"<c:ser>(.*?)</c:ser>", xml, re.DOTALL):
                if not any(points(ser, "val") + points(ser, "yVal")):
                    # only a series kept for a segment the data does not have (k "auto":
                    # the scatter has room for 10), named with a blank
                    name = points(ser, "tx")
                    assert "segmentation" in book and not any(x.strip() for n in name
                                                              for x in n), (book, part, name)
            # Bar charts: every category has a label and every bar a number.
            if "<c:barChart>" in xml:
                assert cats and all(c and all(x.strip() for x in c) for c in cats), (book, part)
                for v in vals:
                    assert all(re.fullmatch(r"-?[\d.]+(E-?\d+)?", x) for x in v), (book, part, v)

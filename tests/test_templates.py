"""The template workbooks and `xlmarketing demo`: built deterministically, laid out without spill
collisions, refreshed headless with a value in every cell of ours, charts on the right ranges,
readable by LibreOffice; the committed files equal a fresh build."""

from __future__ import annotations

import functools
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from xlmarketing import templates
from xlmarketing.demo import DemoSummary, run_demo, values_only
from xlmarketing.functions import REGISTRY
from xlmarketing.templates import campaign, churn, dashboard, forecast, reviews, segmentation

ROOT = Path(__file__).resolve().parents[1]
NAMES = list(templates.TEMPLATES)
FORECASTS = {"SALES_FORECAST", "FORECAST_ACCURACY", "FORECAST_DRIVERS"}
OURS = re.compile(r"\b(" + "|".join(sorted(set(REGISTRY) | FORECASTS, key=len, reverse=True))
                  + r")\s*\(")
FORECAST_READY = FORECASTS <= set(REGISTRY)


@functools.cache
def _load(path: Path, data_only: bool):
    return load_workbook(path, data_only=data_only)


def load(path: Path, *, data_only: bool = False):
    """A workbook read once per test module (the tests only read it)."""
    return _load(Path(path), data_only)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("templates")
    return {p.name: p for p in templates.build_all(out)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoSummary:
    return run_demo(tmp_path_factory.mktemp("demo"))


@functools.cache
def anchors(path: Path) -> list[tuple[str, str, str, str | None]]:
    """(sheet, cell, formula, spill ref) of every cell calling one of our functions."""
    out = []
    for ws in load(path).worksheets:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                text, ref = (v.text, v.ref) if isinstance(v, ArrayFormula) else (v, None)
                if isinstance(text, str) and text.startswith("=") and OURS.search(text):
                    out.append((ws.title, c.coordinate, text, ref))
    return out


# --------------------------------------------------------------------------- building


def test_build_all_writes_every_template(built):
    from xlmarketing.templates import TEMPLATES

    committed = sorted(p.name for p in (Path(__file__).parents[1] / "workbooks").glob("*.xlsx"))
    assert sorted(built) == sorted(TEMPLATES) == committed
    assert len(built) >= 8


@pytest.mark.slow  # every template built twice: about 14 s
def test_two_builds_are_byte_identical(built, tmp_path):
    again = templates.build_all(tmp_path)
    for p in again:
        assert p.read_bytes() == built[p.name].read_bytes(), p.name


@pytest.mark.parametrize("name", NAMES)
def test_committed_workbook_equals_a_fresh_build(built, name):
    committed = ROOT / "workbooks" / name
    assert committed.exists(), f"workbooks/{name} is missing: run  xlmarketing templates --out workbooks"
    assert members(committed) == members(built[name]), (
        f"workbooks/{name} is stale: run  xlmarketing templates --out workbooks")


@pytest.mark.parametrize("name", NAMES)
def test_structure_about_data_table_results(built, name):
    wb = load(built[name])
    assert wb.sheetnames[0] == "About"
    about = "\n".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value)
    assert "xlmarketing refresh" in about and "Formulas used" in about
    # The About sheet lists formulas as text, never as formulas (the engine would run them).
    assert not any(isinstance(c.value, str) and c.value.startswith("=")
                   for row in wb["About"].iter_rows() for c in row)
    tables = {t: ws.title for ws in wb.worksheets for t in ws.tables}
    assert tables, "no Excel table"
    found = anchors(built[name])
    assert found
    for _, _, formula, _ in found:
        assert formula.split("(")[0].lstrip("=") in about  # every formula is documented
    charts = [c for ws in wb.worksheets for c in ws._charts]
    assert charts


@pytest.mark.parametrize("name", NAMES)
def test_spill_areas_are_free(built, name):
    """Below and right of each anchor, the cells its result needs are empty in the template."""
    wb = load(built[name])
    need = {  # rows x cols of each result on the sample data
        segmentation.FILE: {"KMEANS_SEGMENT": (501, 1), "SEGMENT_PROFILE": (5, 9),
                            "SEGMENT_K": (10, 6), "RFM_SEGMENT": (401, 9),
                            # 6 columns on "RFM & value", 7 (discount and margin) on "Customer value"
                            "CUSTOMER_VALUE": (401, 7)},
        churn.FILE: {"CHURN_PROB": (401, 1), "CHURN_REASONS": (401, 3),
                     "CHURN_METRICS": (16, 2), "CHURN_DRIVERS": (11, 5)},
        forecast.FILE: {"SALES_FORECAST": (13, 4), "FORECAST_ACCURACY": (10, 4),
                        "FORECAST_DRIVERS": (3, 7)},
        dashboard.FILE: {"KMEANS_SEGMENT": (401, 1), "CHURN_PROB": (401, 1),
                         "SEGMENT_PROFILE": (5, 8), "SALES_FORECAST": (13, 4)},
        reviews.FILE: {"SENTIMENT": (601, 1), "TEXT_TOPIC": (601, 2), "TEXT_CLASSIFY": (601, 2),
                       "TEXT_TOPICS": (5, 4), "TEXT_KEYWORDS": (13, 5),
                       "TEXT_CLASSIFY_METRICS": (7, 5)},
        campaign.FILE: {"PROPENSITY_SCORE": (501, 1), "PROPENSITY_REASONS": (501, 2),
                        "PROPENSITY_LIFT": (11, 9), "PROPENSITY_ROC": (22, 3),
                        "PROPENSITY_COMPARE": (8, 10), "PROPENSITY_DRIVERS": (17, 5),
                        "PROPENSITY_FAIRNESS": (10, 8)},
        "product_recommendations.xlsx": {"RECOMMEND": (151, 8), "SIMILAR_ITEMS": (6, 3),
                                         "BASKET_RULES": (21, 6)},
        "campaign_experiments.xlsx": {"AB_TEST": (8, 11), "AB_SAMPLE_SIZE": (12, 2),
                                      "BANDIT_ALLOCATE": (8, 8), "UPLIFT_SCORE": (2001, 3),
                                      "UPLIFT_QINI": (25, 4),
                                      # the fitted column (801 x 1) and the priced orders (7 x 3)
                                      "VALUE_PREDICT": (801, 3), "VALUE_DRIVERS": (18, 5)},
        "media_mix.xlsx": {"MMM_FIT": (11, 11), "MMM_RESPONSE": (22, 4),
                           "MMM_CONTRIBUTION": (157, 7), "BUDGET_OPTIMIZE": (8, 9)},
    }[name]
    for sheet, cell, formula, _ in anchors(built[name]):
        rows, cols = need[formula[1:].split("(")[0]]
        ws = wb[sheet]
        c0, r0, _, _ = range_boundaries(cell)
        for r in range(r0, r0 + rows):
            for c in range(c0, c0 + cols):
                if (r, c) != (r0, c0):
                    assert ws.cell(row=r, column=c).value is None, (sheet, cell, r, c)


# --------------------------------------------------------------------------- the demo


def test_demo_refreshes_without_errors(demo):
    assert [p.name for p in demo.files] == NAMES
    for rep in demo.reports:
        if not FORECAST_READY and rep.input.endswith(forecast.FILE):
            continue
        assert rep.ok, rep.lines()
        assert rep.cells > 0


@pytest.mark.parametrize("name", NAMES)
def test_every_formula_of_ours_has_a_value_after_demo(demo, name):
    if name == forecast.FILE and not FORECAST_READY:
        pytest.skip("the forecast functions are not registered yet")
    path = demo.out_dir / name
    values = load(path, data_only=True)
    found = anchors(path)
    assert len(found) == len(anchors(ROOT / "workbooks" / name))
    for sheet, cell, formula, ref in found:
        assert ref is not None, f"{sheet}!{cell} was not written as a dynamic array"
        v = values[sheet][cell].value
        assert v not in (None, ""), f"{sheet}!{cell} {formula} has no value"
        assert not (isinstance(v, str) and v.startswith("#")), f"{sheet}!{cell}: {v}"
        c1, _, _, r2 = range_boundaries(ref)
        # The spill is filled: its last row has a value in the first column.
        assert values[sheet].cell(row=r2, column=c1).value not in (None, ""), (sheet, ref)


def _chart_refs(ws) -> list[str]:
    out = []
    for chart in ws._charts:
        for part in [chart] + list(getattr(chart, "_charts", []))[1:]:
            for s in part.series:
                for attr in ("val", "cat", "xVal", "yVal"):
                    d = getattr(s, attr, None)
                    ref = d and (d.numRef or getattr(d, "strRef", None))
                    if ref is not None:
                        out.append(ref.f)
    return out


def _split(ref: str) -> tuple[str, tuple[int, int, int, int]]:
    sheet, rng = ref.rsplit("!", 1)
    return sheet.strip("'"), range_boundaries(rng.replace("$", ""))


@pytest.mark.parametrize("name", NAMES)
def test_charts_point_at_filled_ranges(demo, name):
    """Every chart series reads cells that hold values after the demo, and a series that reads
    one of our results lies inside that result's spill."""
    if name == forecast.FILE and not FORECAST_READY:
        pytest.skip("the forecast functions are not registered yet")
    path = demo.out_dir / name
    formulas, values = load(path), load(path, data_only=True)
    spills = [(sheet, range_boundaries(ref)) for sheet, _, _, ref in anchors(path)]
    refs = [r for ws in formulas.worksheets for r in _chart_refs(ws)]
    assert refs
    for ref in refs:
        sheet, (c1, r1, c2, r2) = _split(ref)
        for r in range(r1, r2 + 1):
            if _unused_segment_row(name, values, sheet, r):
                continue
            for c in range(c1, c2 + 1):
                assert values[sheet].cell(row=r, column=c).value not in (None, ""), (ref, r, c)
        for s_sheet, (sc1, sr1, sc2, sr2) in spills:
            overlaps = s_sheet == sheet and not (c2 < sc1 or c1 > sc2 or r2 < sr1 or r1 > sr2)
            if overlaps:
                assert sc1 <= c1 and c2 <= sc2 and sr1 < r1 and r2 <= sr2, (ref, s_sheet)


def _unused_segment_row(name, values, sheet, r) -> bool:
    """A row of the segmentation's per-segment table or scatter helper left blank because the
    data has fewer segments than the sheet has room for."""
    if name != segmentation.FILE:
        return False
    if sheet == "Segments" and segmentation.COUNTS_ROW < r <= segmentation.COUNTS_ROW + 10:
        return values[sheet].cell(row=r, column=1).value in (None, "")
    return False


def test_chart_ranges_match_the_results(demo):
    seg = load(demo.out_dir / segmentation.FILE)
    bar = seg["Segments"]._charts[1]
    # The bar chart reads the COUNTIF table (ordinary formulas), not our spill: a row for each
    # segment there is room for, blank below the segments found.
    assert bar.series[0].val.numRef.f.endswith("$B$21:$B$30")
    assert bar.series[0].cat.numRef.f.endswith("$A$21:$A$30")
    scatter = seg["Segments"]._charts[0]
    assert len(scatter.series) == segmentation.MAX_SEGMENTS
    seg_v = load(demo.out_dir / segmentation.FILE, data_only=True)
    assert seg_v["Segments"]["B6"].value == "Customers"
    k = len(demo.segments)
    assert [seg_v["Segments"].cell(row=r, column=1).value for r in range(21, 31)] == \
        list(range(1, k + 1)) + [None] * (10 - k)
    # The scatter's helper: a customer's spend appears in exactly its segment's column.
    cd, cust = seg_v["ChartData"], seg_v["Customers"]
    for i in (2, 100, 501):
        assert cd.cell(row=i + 2, column=1).value == i - 1  # every customer (500 of them)
        s = cust.cell(row=i, column=8).value
        row = [cd.cell(row=i + 2, column=3 + j).value for j in range(segmentation.MAX_SEGMENTS)]
        assert row[s - 1] == cust.cell(row=i, column=4).value
        assert cd.cell(row=i + 2, column=2).value == cust.cell(row=i, column=6).value
        assert all(v == "#N/A" for k, v in enumerate(row) if k != s - 1)

    ch = load(demo.out_dir / churn.FILE, data_only=True)
    model = ch["Model"]
    drivers = load(demo.out_dir / churn.FILE)["Model"]._charts[0]
    _, (c1, r1, _, r2) = _split(drivers.series[0].cat.strRef.f if drivers.series[0].cat.strRef
                                else drivers.series[0].cat.numRef.f)
    # The drivers chart covers exactly the drivers: first below the header, last at the end;
    # its labels are a helper column of ordinary formulas repeating the drivers' names.
    assert c1 == 9
    assert model.cell(row=r1 - 1, column=4).value == "Feature"
    assert isinstance(model.cell(row=r2, column=4).value, str)
    assert model.cell(row=r2 + 1, column=4).value in (None, "")
    assert [model.cell(row=r, column=9).value for r in range(r1, r2 + 1)] == \
        [model.cell(row=r, column=4).value for r in range(r1, r2 + 1)]
    hist = load(demo.out_dir / churn.FILE)["Risk"]._charts[0]
    assert hist.series[0].val.numRef.f.endswith("$D$18:$D$27")
    bins = [ch["Risk"].cell(row=r, column=4).value for r in range(18, 28)]
    assert sum(bins) == churn.N_CURRENT


def test_ordinary_formulas_on_top_agree_with_our_results(demo):
    seg = load(demo.out_dir / segmentation.FILE, data_only=True)["Segments"]
    for r in range(21, 25):  # COUNTIF per segment equals the profile's Customers column
        assert seg.cell(row=r, column=2).value == seg.cell(row=r - 14, column=2).value
    risk = load(demo.out_dir / churn.FILE, data_only=True)["Risk"]
    assert risk["D6"].value == churn.N_CURRENT
    assert risk["D11"].value == pytest.approx(demo.revenue_at_risk)
    top = [risk.cell(row=r, column=2).value for r in range(32, 32 + churn.TOP)]
    assert top == sorted(top, reverse=True) and top[0] > 0.5


def test_customer_value_sheet_totals_and_top_customers_agree_with_its_spill(demo):
    """The Customer value sheet: CUSTOMER_VALUE with the About sheet's discount and margin
    (the Discounted margin column equals the model's discounted sum), the totals and the top
    list are what pandas computes from the spill."""
    from xlmarketing.core import clv
    from xlmarketing.functions.customers import order_book
    from xlmarketing.templates import segmentation_value as sv

    wb = load(demo.out_dir / segmentation.FILE, data_only=True)
    ws, about = wb[sv.SHEET], wb["About"]
    setting = {s.key: about[segmentation.SETTINGS[s.key].replace("About!", "").replace("$", "")].value
               for s in segmentation.SETTINGS.items}
    assert (setting["discount"], setting["margin"]) == (0.008, 0.3)
    c0, r0, _, _ = range_boundaries(sv.VALUE_AT)
    rows = [[ws.cell(row=r, column=c0 + j).value for j in range(sv.VALUE_COLS)]
            for r in range(r0, r0 + 402)]
    assert rows[0][-1] == "Discounted margin" and rows[-1][0] is None
    body = pd.DataFrame(rows[1:-1], columns=rows[0])
    assert len(body) == 400
    # The margin column is the model's discounted monthly sum at the About sheet's settings.
    orders = load(demo.out_dir / segmentation.FILE, data_only=True)["Orders"]
    cells = [list(r) for r in orders.iter_rows(min_row=1, max_col=3, values_only=True)]
    model = clv.fit_value_model(order_book(cells, None, None))
    want = clv.discounted_value(model, setting["horizon_months"], 0.008, 0.3)
    np.testing.assert_allclose(body["Discounted margin"].to_numpy(float), want, rtol=1e-9)
    kpi = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(6, 12)}
    assert kpi["Customers"] == 400
    assert kpi["Expected purchases"] == pytest.approx(body["Expected purchases"].sum())
    assert kpi["Likely still active (P ≥ 50%)"] == int((body["Probability active"] >= 0.5).sum())
    assert kpi["Expected revenue"] == pytest.approx(body["Expected value"].sum())
    assert kpi["Discounted margin (CLV)"] == pytest.approx(body["Discounted margin"].sum())
    assert kpi["CLV per customer"] == pytest.approx(body["Discounted margin"].mean())
    top = body.nlargest(sv.TOP, "Discounted margin")
    shown = [[ws.cell(row=r, column=c).value for c in (1, 3, 4)] for r in range(15, 15 + sv.TOP)]
    assert [s[0] for s in shown] == top["Customer"].tolist()
    np.testing.assert_allclose([s[1] for s in shown], top["Discounted margin"], rtol=1e-12)
    np.testing.assert_allclose([s[2] for s in shown], top["Probability active"], rtol=1e-12)


def test_order_value_sheet_prices_the_new_orders_and_averages_per_channel(demo):
    """campaign_experiments' Order value sheet: the priced orders equal VALUE_PREDICT called
    directly, and the per-channel averages equal pandas' (OLS with the channel among its
    columns fits each channel's mean exactly, so the fitted average equals the actual one)."""
    from xlmarketing import experiment_samples
    from xlmarketing.templates import experiments_value as ov

    wb = load(demo.out_dir / "campaign_experiments.xlsx", data_only=True)
    ws, data = wb[ov.SHEET], wb[ov.DATA]
    orders = experiment_samples.campaign_orders(ov.N_ORDERS)
    new = experiment_samples.order_scenarios()
    train = [ov.FEATURES] + orders[ov.FEATURES].astype(object).to_numpy().tolist()
    values = [["Order value"]] + [[v] for v in orders["Order value"]]
    score = [ov.FEATURES] + new.astype(object).to_numpy().tolist()
    want = REGISTRY["VALUE_PREDICT"](train, values, score, 0.9, "auto")
    c0, r0, _, _ = range_boundaries(ov.PRICE_AT)
    got = [[ws.cell(row=r0 + i, column=c0 + j).value for j in range(3)] for i in range(len(want))]
    assert got[0] == want[0] == ["Predicted Order value", "Lower 90%", "Upper 90%"]
    np.testing.assert_allclose(np.array(got[1:], float), np.array(want[1:], float), rtol=1e-9)
    fitted = [data.cell(row=r, column=9).value for r in range(2, ov.N_ORDERS + 2)]
    means = orders.assign(fitted=fitted).groupby("Channel")[["Order value", "fitted"]].mean()
    for r in range(ov.CHANNEL_ROW + 1, ov.CHANNEL_ROW + 4):
        ch, n, avg, avg_fit = (ws.cell(row=r, column=c).value for c in (1, 2, 3, 4))
        assert n == int((orders["Channel"] == ch).sum())
        assert avg == pytest.approx(means.loc[ch, "Order value"])
        assert avg_fit == pytest.approx(means.loc[ch, "fitted"]) == pytest.approx(avg)
    drivers = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value
               for r in range(22, 22 + ov.DRIVER_ROWS)}
    assert drivers["Items"] > 0 and drivers["Device = Mobile"] < 0
    assert drivers["Rows used"] == ov.N_ORDERS


def test_demo_summary(demo):
    text = "\n".join(demo.lines())
    # k is "auto": the k that the workbook's own SEGMENT_K table recommends
    seg = load(demo.out_dir / segmentation.FILE, data_only=True)["Segments"]
    rows = [[seg.cell(row=r, column=c).value for c in (1, 6)]
            for r in range(segmentation.CHOOSE_K_ROW + 1, segmentation.CHOOSE_K_ROW + 10)]
    recommended = [k for k, mark in rows if mark == "recommended"]
    assert len(recommended) == 1
    assert f"Segments found: {recommended[0]}" in text
    assert sum(s["customers"] for s in demo.segments) == segmentation.N_CUSTOMERS
    assert "Top churn drivers" in text and "Contract = Month-to-month" in text
    names = [d[0] for d in demo.churn_drivers[:3]]
    assert "Contract = Month-to-month" in names
    assert 0.7 < demo.churn_auc < 0.95
    assert "Files written:" in text
    for p in demo.files:
        assert str(p) in text and p.exists()
    if FORECAST_READY:
        assert demo.forecast_total and demo.forecast_total > 0
        assert "Forecast total, next 12 months" in text
        # Growth (about 14 % a year) against planned price rises: near last year's total.
        assert 0.85 < demo.forecast_total / demo.forecast_last_year < 1.25


@pytest.mark.slow  # one LibreOffice conversion per template; the dashboard's below stays quick
@pytest.mark.parametrize("name", NAMES)
def test_refreshed_workbook_opens_in_libreoffice(demo, name, libreoffice_sheets, tmp_path):
    """LibreOffice reads every sheet; with our anchors as plain values (as Excel shows them)
    the results and the ordinary formulas on top show numbers, not errors."""
    shown = libreoffice_sheets(values_only(demo.out_dir / name, tmp_path / name))
    assert "About" in shown
    main = {segmentation.FILE: "Segments", churn.FILE: "Risk", forecast.FILE: "Forecast",
            dashboard.FILE: dashboard.SHEET, campaign.FILE: campaign.CAMPAIGN,
            reviews.FILE: reviews.INSIGHTS,
            "product_recommendations.xlsx": "Recommendations",
            "campaign_experiments.xlsx": "Uplift", "media_mix.xlsx": "Budget"}[name]
    # and the value sheets (issue 32): the CLV totals and top list, the priced orders
    more = {segmentation.FILE: ["Customer value"],
            "campaign_experiments.xlsx": ["Order value"]}.get(name, [])
    for sheet in [main] + more:
        cells = [c for row in shown[sheet] for c in row]
        if name != forecast.FILE or FORECAST_READY:
            assert not [c for c in cells if c.startswith("#")], sheet


def test_batch_with_the_segmentation_template_follows_other_row_counts(built, tmp_path):
    """The template's formulas read its table by name, so `batch` can put in any number of
    customers: the spill has one segment per customer and nothing is left of the old rows."""
    from xlmarketing import samples
    from xlmarketing.workbook import batch

    data = tmp_path / "data"
    data.mkdir()
    for n in (120, 700):  # fewer and more customers than the template's 500
        samples.customers(n).to_csv(data / f"stores{n}.csv", index=False)
    rep = batch(built["customer_segmentation.xlsx"], data, sheet="Customers", out_dir=tmp_path / "out",
                jobs=1, formula_engine="none")
    assert rep.ok, [i.error for i in rep.failed]
    for n in (120, 700):
        ws = load(tmp_path / "out" / f"stores{n}.xlsx", data_only=True)["Customers"]
        segs = [ws.cell(r, 8).value for r in range(1, 800)]
        assert segs[0] == "Segment"
        assert all(s in (1, 2, 3, 4) for s in segs[1:n + 1])
        assert all(s is None for s in segs[n + 1:])


def test_dashboard_shows_in_libreoffice_as_refreshed(demo, libreoffice_sheets):
    """The dashboard holds only ordinary formulas: LibreOffice shows it from the refreshed file
    itself (no --values-only), with the figures and texts the refresh computed."""
    path = demo.out_dir / dashboard.FILE
    shown = libreoffice_sheets(path)[dashboard.SHEET]
    cells = [c for row in shown for c in row]
    assert not [c for c in cells if c.startswith("#")]
    ws = load(path, data_only=True)[dashboard.SHEET]
    k = dashboard.KPI_ROW
    assert float(shown[k + 2][3]) == pytest.approx(ws[f"D{k + 3}"].value)  # revenue at risk
    todo = ws.cell(row=dashboard.TODO_ROW, column=6).value
    assert todo.startswith("Retention first: segment ") and todo in cells


def test_demo_summary_has_the_dashboard_and_the_readers(demo):
    text = "\n".join(demo.lines())
    assert len(demo.todo) == 3 and demo.todo[0].startswith("Retention first")
    assert "Dashboard, what to do:" in text
    assert "Which program shows what in these files:" in text
    if shutil.which("soffice"):
        assert re.search(r"Summaries, KPIs and chart data computed by: .*libreoffice", text)
    assert "LibreOffice: " in text and "pandas, calamine" in text
    assert re.search(rf"{len(NAMES)} workbooks built and refreshed in .* \(\d+\.\d s\)", text)
    assert "Customer reviews: 600 scored, average sentiment" in text


@pytest.mark.parametrize("name", NAMES)
def test_about_sheet_says_which_program_shows_what(built, name):
    about = [c.value for row in load(built[name])["About"].iter_rows() for c in row if c.value]
    assert "Which program shows what (after a refresh)" in about
    assert "LibreOffice" in about and "Excel with the add-in" in about


@pytest.mark.parametrize("name", NAMES)
def test_no_summary_uses_fixed_data_addresses(built, name):
    """Ordinary formulas read the data tables by name (or INDEX ranges as long as a table),
    never a fixed block of data rows such as Customers!$H$2:$H$501."""
    wb = load(built[name])
    data_sheets = {ws.title for ws in wb.worksheets if ws.tables}
    fixed = re.compile(r"(?:'?(" + "|".join(map(re.escape, data_sheets)) + r")'?)!\$?[A-Z]+\$?\d+:"
                       r"\$?[A-Z]+\$?\d+")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, str) and v.startswith("="):
                    assert not fixed.search(v), (ws.title, c.coordinate, v)


# --------------------------------------------------------------------------- formula text from the spec


def _our_calls(text: str) -> list[str]:
    """The text of every call of ours in a formula or an About-sheet line: ``NAME(...)``."""
    out = []
    for m in OURS.finditer(text):
        depth, quote = 0, ""
        for i in range(m.end() - 1, len(text)):
            ch = text[i]
            if quote:
                quote = "" if ch == quote else quote
            elif ch == '"':
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    out.append(m.group(1) + text[m.end() - 1:i + 1])
                    break
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_call_of_ours_round_trips_through_its_spec(built, name):
    """Templates write formulas from named arguments (FunctionSpec.formula): read back by name,
    every call, in a result cell or on the About sheet, is what its spec writes for them."""
    wb = load(built[name])
    texts = [f for _, _, f, _ in anchors(built[name])]
    texts += [c.value for row in wb["About"].iter_rows() for c in row
              if isinstance(c.value, str) and OURS.search(c.value)]
    calls = [call for text in texts for call in _our_calls(text)]
    assert len(calls) >= len(anchors(built[name])) > 0
    for call in calls:
        spec = REGISTRY[call.split("(")[0]].spec
        named = spec.formula_args(call)
        assert set(spec.required) <= set(named), call
        assert spec.formula(**named) == call
        if spec.name.startswith(("CHURN_", "PROPENSITY_")):
            # Positions that moved with the one argument order still say what they meant.
            assert named["positive"] == '"Yes"', call
            # the campaign's model is its Settings cell (holding "auto")
            want = campaign.SETTINGS["model"] if (name == campaign.FILE
                                                  and "COMPARE" not in spec.name) else None
            assert named.get("model") == want, call


def test_round_trip_known_arguments(built):
    by_cell = {(s, c): f for s, c, f, _ in anchors(built[churn.FILE])}
    metrics = REGISTRY["CHURN_METRICS"].spec.formula_args(
        next(f for f in by_cell.values() if f.startswith("=CHURN_METRICS")))
    assert metrics == {"train_data": "History[[#All],[Age]:[Days since last purchase]]",
                       "train_labels": "History[[#All],[Churned]]", "threshold": "Risk!$D$9",
                       "folds": "5", "positive": '"Yes"'}

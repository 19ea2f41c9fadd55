"""The forecast UDFs through xlwings' Office.js entry point, and an openpyxl .xlsx round trip."""

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests import officejs
from xlmarketing import udfs
from xlmarketing.cells import to_serial

NA = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


def monthly(n=60, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = (200 + 2 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 2, n)
    d = [dt.datetime(2019 + i // 12, i % 12 + 1, 1) for i in range(n)]
    return d, y


@pytest.fixture(scope="module")
def session():
    d, y = monthly()
    # Office.js sends dates as serial numbers and blanks as null
    data = [["Month", "Sales"]] + [[to_serial(a), float(b)] for a, b in zip(d, y)]
    data[20][1] = None                                   # a missing month inside the history
    ads = [["Ads"]] + [[float(i % 4)] for i in range(60)]
    future = [["Ads"], [1.0], [2.0], [3.0]]
    bad = [["Sales"]] + [[1.0]] * 5 + [[NA]] + [[2.0]] * 20
    slip = [row[:] for row in data]
    slip[30][1] = 1e6                                    # a data-entry slip in a 250-a-month series
    calls = [
        ("SALES_FORECAST", [data, [[12]], [[None]], [[None]], [[None]], [[0.95]], [[None]]]),
        ("SALES_FORECAST", [data, [[12]], [[None]], [[None]], [[None]], [[0.95]], [[None]]]),
        ("FORECAST_ACCURACY", [data, [[None]], [[None]], [[None]]]),
        ("FORECAST_DRIVERS", [data, ads, [[None]], [[None]]]),
        ("SALES_FORECAST", [data, [[3]], ads, future, [[None]], [[None]], [[None]]]),
        ("SALES_FORECAST", [data, [[0]]]),
        ("SALES_FORECAST", [data, [["soon"]]]),
        ("SALES_FORECAST", [data, [[4]], ads, future]),
        ("SALES_FORECAST", [bad, [[3]]]),
        ("FORECAST_OUTLIERS", [slip, [[None]], [[None]]]),
        ("FORECAST_OUTLIERS", [data, [[None]], [[None]]]),
        ("SALES_FORECAST", [slip, [[12]], [[None]], [[None]], [[None]], [[0.95]], [[None]]]),
    ]
    results, meta, fits = officejs.call(calls, meta=True)
    return dict(results=results, meta=meta, fits=fits, d=d)


def test_registration(session):
    funcs = {f["name"]: f for f in session["meta"]["functions"]}
    sf = funcs["SALES_FORECAST"]
    assert [p["name"] for p in sf["parameters"]] == [
        "sales", "horizon", "known_drivers", "future_drivers", "season_length", "interval", "header"]
    assert [p.get("optional", False) for p in sf["parameters"]] == [False, False] + [True] * 5
    assert [p["name"] for p in funcs["FORECAST_ACCURACY"]["parameters"]] == [
        "sales", "horizon", "season_length", "header"]
    assert [p["name"] for p in funcs["FORECAST_DRIVERS"]["parameters"]] == [
        "sales", "known_drivers", "season_length", "header"]


def test_forecast_spills_periods_and_intervals(session):
    out = session["results"][0]["value"]
    assert out[0] == ["Period", "Forecast", "Lower", "Upper"]
    assert len(out) == 13
    assert out[1][0] == to_serial(dt.datetime(2024, 1, 1))
    assert out[12][0] == to_serial(dt.datetime(2024, 12, 1))
    assert all(r[2] < r[1] < r[3] for r in out[1:])
    t = np.arange(60, 72)
    truth = (200 + 2 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
    f = np.array([r[1] for r in out[1:]])
    assert np.mean(np.abs(f - truth) / truth) < 0.03


def test_recalculation_reuses_the_fit(session):
    res = session["results"]
    assert res[1]["value"] == res[0]["value"]
    # one fit each: the plain 12-period forecast, 3 periods with drivers, 4 periods with drivers
    # (that call then fails on its future_drivers), then the two FORECAST_OUTLIERS histories and
    # the forecast of the history with a slip: the recalculation refits nothing
    assert session["fits"]["forecast"] == 6


def test_accuracy_and_drivers_tables(session):
    acc = session["results"][2]["value"]
    assert acc[0] == ["Metric", "SALES_FORECAST", "Seasonal naive", "Best simple peer"]
    assert [r[0] for r in acc[1:6]] == ["MAE", "RMSE", "MAPE", "sMAPE", "MASE"]
    rows = {r[0]: r[1:] for r in acc[1:]}
    assert rows["Season length"] == [12, 12, 12]
    assert rows["sMAPE"][0] < rows["sMAPE"][1]
    # the best simple peer is at least as good as the seasonal naive (it is one of the peers)
    assert rows["MASE"][2] <= rows["MASE"][1] + 1e-12
    assert rows["Method"][2] in ("naive", "seasonal naive", "drift", "mean of the last 12 periods")
    drv = session["results"][3]["value"]
    assert drv[0][:3] == ["Driver", "Coefficient", "Elasticity"] and drv[1][0] == "Ads"
    with_drivers = session["results"][4]["value"]
    assert with_drivers[0] == ["Period", "Forecast"] and len(with_drivers) == 4


def test_errors_reach_excel_as_one_line_messages(session):
    res = session["results"]
    assert res[5]["error"] == "XlwingsError"
    assert res[5]["message"] == ("#NUM! SALES_FORECAST: horizon=0 asks for no forecast. Enter how "
                                 "many periods ahead to forecast, at least 1.")
    assert res[6]["message"].startswith("#VALUE! SALES_FORECAST: horizon must be a whole number "
                                        "of periods, got 'soon'.")
    assert res[7]["message"].startswith("#VALUE! SALES_FORECAST: future_drivers has 3 rows but "
                                        "horizon is 4.")
    assert res[8]["message"].startswith("#N/A SALES_FORECAST: sales has the error value #N/A in row 7")


def test_outliers_are_listed_with_date_and_value_used(session):
    res = session["results"]
    out = res[9]["value"]
    assert out[0] == ["Period", "Value", "Value used", "Note"]
    assert len(out) == 2
    period, value, used, note = out[1]
    assert period == to_serial(session["d"][29]) and value == 1e6
    t = 29
    assert used == pytest.approx((200 + 2 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)), rel=0.1)
    assert note.startswith("outlier")
    clean = res[10]["value"]
    assert len(clean) == 2 and clean[1][:3] == ["", "", ""] and clean[1][3].startswith("no outliers")
    # the slip does not move the forecast: same 12-month total as the clean history, within 2%
    f_slip = sum(r[1] for r in res[11]["value"][1:])
    f_clean = sum(r[1] for r in res[0]["value"][1:])
    assert f_slip == pytest.approx(f_clean, rel=0.02)


def test_outliers_function_is_registered(session):
    funcs = {f["name"]: f for f in session["meta"]["functions"]}
    assert [p["name"] for p in funcs["FORECAST_OUTLIERS"]["parameters"]] == [
        "sales", "season_length", "header"]
    assert "outliers" in funcs["FORECAST_OUTLIERS"]["description"]


def test_xlsx_round_trip(tmp_path):
    d, y = monthly(48, seed=3)
    path = tmp_path / "sales.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sales"
    ws.append(["Month", "Sales"])
    for a, b in zip(d, y):
        ws.append([a, float(b)])
    wb.save(path)

    wb = openpyxl.load_workbook(path)
    ws = wb["Sales"]
    rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=2, values_only=True)]
    assert isinstance(rows[1][0], dt.datetime)
    out = udfs.SALES_FORECAST(rows, 6, None, None, None, 0.9)
    assert out[0] == ["Period", "Forecast", "Lower", "Upper"]
    for i, row in enumerate(out, start=1):
        for j, v in enumerate(row, start=4):
            cell = ws.cell(row=i, column=j, value=v)
            if j == 4 and i > 1:
                cell.number_format = "yyyy-mm-dd"
    wb.save(path)

    back = pd.read_excel(path, sheet_name="Sales", engine="openpyxl")
    assert list(back.columns)[3:] == ["Period", "Forecast", "Lower", "Upper"]
    fc = back.dropna(subset=["Forecast"])
    assert len(fc) == 6
    first = openpyxl.load_workbook(path)["Sales"].cell(row=2, column=4).value
    assert first == dt.datetime(2023, 1, 1)          # the serial, formatted as a date, reads back as one
    assert (fc["Lower"] < fc["Forecast"]).all() and (fc["Forecast"] < fc["Upper"]).all()

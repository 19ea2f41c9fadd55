"""The churn UDFs as Excel calls them: xlwings' Office.js entry point, and a real .xlsx round trip."""

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests import officejs
from tests.test_churn import HEADER, customers, probs
from xlmarketing import udfs
from xlmarketing.cache import CACHE
from xlmarketing.functions import REGISTRY

EPOCH = dt.datetime(1899, 12, 30)
NA = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


def as_officejs(rows):
    """Rows as Office.js sends them: dates as serial numbers, blanks as null."""
    return [[(v - EPOCH).days if isinstance(v, dt.datetime) else v for v in r] for r in rows]


@pytest.fixture(scope="module")
def session():
    data, labels, _ = customers(600, seed=11)
    data_js, none = as_officejs(data), [[None]]
    fill = [("CHURN_PROB", [data_js, labels, [row]]) for row in data_js[1:51]]
    bad_labels = [["Churned"]] + [[NA if i == 4 else r[0]] for i, r in enumerate(labels[1:])]
    calls = [
        ("CHURN_PROB", [data_js, labels, none, none, none, none, none]),
        *fill,                                                       # the fill-down pattern
        ("CHURN_METRICS", [data_js, labels, officejs.arg(0.4)]),
        ("CHURN_DRIVERS", [data_js, labels]),
        ("CHURN_REASONS", [data_js, labels, data_js[:4], officejs.arg(2)]),
        ("CHURN_PROB", [data_js, labels[:500]]),                    # labels selected too short
        ("CHURN_PROB", [data_js, bad_labels]),
    ]
    results, meta, fits = officejs.call(calls, meta=True)
    return {"results": results, "meta": meta, "fits": fits, "data": data, "labels": labels, "n_fill": len(fill)}


def test_registration_metadata(session):
    funcs = {f["name"]: f for f in session["meta"]["functions"]}
    assert {"CHURN_PROB", "CHURN_METRICS", "CHURN_DRIVERS", "CHURN_REASONS"} <= set(funcs)
    cp = funcs["CHURN_PROB"]
    assert [p["name"] for p in cp["parameters"]] == [
        "train_data", "train_labels", "score_data", "positive", "balanced", "regularization", "model",
        "seed", "header", "keep_ids"]
    assert [p.get("optional", False) for p in cp["parameters"]] == [False, False] + [True] * 8
    assert cp["description"].startswith("Probability (0 to 1) that each customer churns")
    cm = funcs["CHURN_METRICS"]
    assert [p["name"] for p in cm["parameters"]] == [
        "train_data", "train_labels", "threshold", "folds", "positive", "balanced",
        "regularization", "model", "seed", "header", "keep_ids"]
    assert [p["name"] for p in funcs["CHURN_REASONS"]["parameters"]][:4] == [
        "train_data", "train_labels", "score_data", "top_n"]


def test_officejs_results_match_the_python_functions_and_fill_down_fits_once(session):
    res, data, labels = session["results"], session["data"], session["labels"]
    spilled = res[0]["value"]
    assert spilled[0] == ["Churn probability"] and len(spilled) == len(data)
    expected = probs(REGISTRY["CHURN_PROB"](data, labels))   # datetimes here, serials there
    assert np.allclose(probs(spilled), expected)
    for i, r in enumerate(res[1:1 + session["n_fill"]], start=1):
        assert r["value"] == [[pytest.approx(spilled[i][0])]]
    assert session["fits"]["churn"] == 1                    # one fit for the whole fill-down
    k = 1 + session["n_fill"]
    metrics = dict(res[k]["value"][1:])
    assert metrics["Threshold"] == 0.4 and metrics["Rows used"] == 600
    assert 0.7 < metrics["ROC AUC"] < 1
    drivers = res[k + 1]["value"]
    assert drivers[0] == ["Feature", "Coefficient", "Odds ratio", "Direction",
                          "Importance (AUC points)"]
    reasons = res[k + 2]["value"]
    assert reasons[0] == ["Reason 1", "Reason 2"] and len(reasons) == 4


def test_officejs_errors_are_error_cells_with_one_line(session):
    res = session["results"]
    short, na = res[-2], res[-1]
    assert "train_labels has 500 rows but train_data has 600 data rows plus a header row" in short["message"]
    assert na["message"].startswith("#N/A CHURN_PROB: train_labels has the error value #N/A in row 6")
    assert "\n" not in na["message"]


def test_xlsx_round_trip(tmp_path):
    data, labels, _ = customers(500, seed=12)
    path = tmp_path / "churn.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    for r, (lab,) in zip(data, labels):
        ws.append(r + [lab])
    ws.insert_rows(20)                                     # a blank customer row
    wb.save(path)

    wb = openpyxl.load_workbook(path)
    ws = wb["Customers"]
    n = ws.max_row
    train = [list(r) for r in ws.iter_rows(min_row=1, max_row=n, max_col=6, values_only=True)]
    outcome = [list(r) for r in ws.iter_rows(min_row=1, max_row=n, min_col=7, max_col=7,
                                             values_only=True)]
    assert isinstance(train[1][4], dt.datetime)
    CACHE.clear()
    spill = udfs.CHURN_PROB(train, outcome)
    assert len(spill) == n and spill[19] == [""]
    for i, (cell,) in enumerate(spill, start=1):
        ws.cell(row=i, column=8, value=None if cell == "" else cell)
    # The fill-down pattern on a second column: one call per row, one fit.
    for i in range(2, 52):
        row = [list(r) for r in ws.iter_rows(min_row=i, max_row=i, max_col=6, values_only=True)]
        (cell,) = udfs.CHURN_PROB(train, outcome, row)
        ws.cell(row=i, column=9, value=None if cell[0] == "" else cell[0])
    reasons = udfs.CHURN_REASONS(train, outcome)
    for i, row in enumerate(reasons, start=1):
        for j, text in enumerate(row):
            ws.cell(row=i, column=10 + j, value=text or None)
    wb.save(path)
    assert CACHE.fits["churn"] == 1

    back = pd.read_excel(path, sheet_name="Customers", engine="openpyxl")
    assert list(back.columns[:8]) == HEADER + ["Churned", "Churn probability"]
    assert list(back.columns[9:12]) == ["Reason 1", "Reason 2", "Reason 3"]
    assert back.iloc[18, :8].isna().all()                  # the blank row stayed blank
    p = back["Churn probability"].dropna().to_numpy()
    assert len(p) == 500 and ((p > 0) & (p < 1)).all()
    assert np.allclose(back.iloc[:50, 8].to_numpy(dtype=float), back.iloc[:50, 7].to_numpy(dtype=float), equal_nan=True)
    y = back["Churned"].dropna() == "Yes"
    assert p[y.to_numpy()].mean() > p[~y.to_numpy()].mean() + 0.15

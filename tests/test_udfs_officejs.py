"""The segmentation UDFs through xlwings' own Office.js entry point (custom_functions_call)."""

import datetime as dt

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from tests import officejs
from tests.test_segment import blobs

NA = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


@pytest.fixture(scope="module")
def session():
    rows, truth = blobs()
    data = [["Spend", "Visits", "Joined"]] + [
        r + [45000 + i] for i, r in enumerate(rows)  # Office.js sends dates as serial numbers
    ]
    data.insert(3, [None, None, None])                 # and empty cells as null
    bad = [["Spend", "Visits"], [1, 2], [NA, 3], [4, 5]]
    calls = [
        ("KMEANS_SEGMENT", [data, officejs.arg(3), [[None]], [[None]], [[None]]]),
        ("KMEANS_SEGMENT", [data, officejs.arg(3), [[None]], [[None]], [[None]]]),  # recalculation
        ("SEGMENT_PROFILE", [data, officejs.arg(3)]),
        ("SEGMENT_K", [data, officejs.arg(5)]),
        ("KMEANS_SEGMENT", [data, officejs.arg(-1)]),
        ("KMEANS_SEGMENT", [bad, officejs.arg(2)]),
        ("XLM_CACHE_INFO", []),
    ]
    results, meta, fits = officejs.call(calls, meta=True)
    return dict(results=results, meta=meta, fits=fits, truth=truth, data=data)


def test_registration_metadata_is_what_excel_receives(session):
    funcs = {f["name"]: f for f in session["meta"]["functions"]}
    assert {"KMEANS_SEGMENT", "SEGMENT_PROFILE", "SEGMENT_K", "XLM_CACHE_INFO", "XLM_CACHE_CLEAR"} <= set(funcs)
    km = funcs["KMEANS_SEGMENT"]
    assert [p["name"] for p in km["parameters"]] == ["data", "k", "scale", "seed", "header", "keep_ids"]
    assert [p.get("optional", False) for p in km["parameters"]] == [False, False, True, True, True, True]
    assert km["description"].startswith("Groups customers into k segments")
    assert "auto" in km["parameters"][1]["description"]
    assert km["result"]["dimensionality"] == "matrix"


def test_segments_spill_aligned_with_header_and_blank_row(session):
    out = session["results"][0]["value"]
    assert out[0] == ["Segment"] and out[3] == [""]
    assert len(out) == len(session["data"])
    seg = [r[0] for i, r in enumerate(out[1:], 1) if i != 3]
    assert adjusted_rand_score(session["truth"], seg) == 1.0


def test_recalculation_hits_the_cache_and_profile_shares_the_model(session):
    res = session["results"]
    assert res[1]["value"] == res[0]["value"]
    assert session["fits"]["kmeans"] == 1


def test_companions(session):
    prof = session["results"][2]["value"]
    assert prof[0][:3] == ["Segment", "Customers", "Share"]
    assert [r[1] for r in prof[1:] if r[0] != "Note"] == [60, 40, 20]
    # Office.js sends dates as plain numbers: under a header naming a date they are dates, as
    # the same cells sent as dates on Windows (before, one join date per day read like a row
    # number and was left out as an ID).
    assert prof[-1][:2] == ["Note", "Joined: numbers read as dates (Excel serial days, as Excel "
                                    "on the web and Mac sends date cells), 2023-03-15 to "
                                    "2023-07-12: the header names a date."]
    k_table = session["results"][3]["value"]
    assert k_table[0] == ["k", "Prediction strength", "Calinski-Harabasz", "Silhouette", "Inertia",
                          "Recommended"]
    assert [r[0] for r in k_table[1:] if r[0] != "Note"] == [2, 3, 4, 5]
    assert len([r for r in k_table[1:] if r[5] == "recommended"]) == 1


def test_user_errors_reach_excel_as_one_line_messages(session):
    neg, bad = session["results"][4], session["results"][5]
    assert neg["error"] == "XlwingsError"   # xlwings Server: HTTP 400 with the line
    assert neg["message"].startswith("#NUM! KMEANS_SEGMENT: k=-1 is negative.")
    assert bad["message"] == ('#N/A KMEANS_SEGMENT: data has the error value #N/A in row 3 of the range '
                              '(column "Spend"). Fix that cell or clear it.')


def test_cache_info_spills_a_table(session):
    info = dict((r[0], r[1]) for r in session["results"][6]["value"][1:])
    assert info["Fits: kmeans"] == 1 and info["Hits"] >= 2


def test_windows_com_shape_gives_the_same_segments_in_process():
    # Without XLWINGS_ON_SERVER the decorators are no-ops (this process): the COM path calls the
    # same wrapper with tuples, datetimes and None, and a user error becomes the cell's text.
    from xlmarketing import udfs

    rows, truth = blobs()
    com = tuple(tuple(r) + (dt.datetime(2023, 3, 1) + dt.timedelta(days=i),) for i, r in enumerate(rows))
    out = udfs.KMEANS_SEGMENT(com, 3.0)
    assert adjusted_rand_score(truth, np.array(out).ravel()) == 1.0
    assert udfs.KMEANS_SEGMENT(com, 500.0) == [[
        "#NUM! KMEANS_SEGMENT: k=500 needs at least 500 customers, got 120 rows. Lower k or select more rows."]]

"""The model-choice UDFs as Excel calls them: xlwings' Office.js entry point (tests/officejs.py).

Every new function (CHURN_COMPARE, CHURN_RULES, CHURN_LIFT, CHURN_ROC, CHURN_FAIRNESS and the
PROPENSITY_* family) is called exactly as the add-in calls it: results equal the Python
functions, the fill-down pattern fits once per model, warm calls never refit and bad inputs
come back as one-line errors.
"""

import pytest

from tests import officejs
from tests.test_churn_excel import as_officejs
from tests.test_models import planted_rule
from xlmarketing.functions import REGISTRY

NEW = ["COMPARE", "RULES", "LIFT", "ROC", "FAIRNESS"]


@pytest.fixture(scope="module")
def session():
    data, labels = planted_rule(400, seed=5)
    data_js = as_officejs(data)
    n = [[None]]
    fill = [("PROPENSITY_SCORE", [data_js, labels, [row], n, n, n, [["tree"]]])
            for row in data_js[1:31]]
    reasons_fill = [("CHURN_REASONS", [data_js, labels, [row], [[2]], n, n, n, [["boosting"]]])
                    for row in data_js[1:11]]
    calls = [
        ("CHURN_COMPARE", [data_js, labels]),
        ("CHURN_RULES", [data_js, labels]),
        ("CHURN_LIFT", [data_js, labels, [[5]]]),
        ("CHURN_ROC", [data_js, labels, [[11]]]),
        ("CHURN_FAIRNESS", [data_js, labels, [["Contract"]], [[0.4]]]),
        *fill,
        *reasons_fill,
        # Warm repeats: none of these may fit again.
        ("CHURN_COMPARE", [data_js, labels]),
        ("PROPENSITY_RULES", [data_js, labels]),
        ("PROPENSITY_LIFT", [data_js, labels, [[5]]]),
        ("PROPENSITY_ROC", [data_js, labels, [[11]]]),
        ("PROPENSITY_FAIRNESS", [data_js, labels, [["Contract"]], [[0.4]]]),
        ("PROPENSITY_COMPARE", [data_js, labels]),
        ("CHURN_PROB", [data_js, labels, n, n, n, n, [["auto"]]]),   # auto reuses the comparison
        # Bad inputs.
        ("CHURN_PROB", [data_js, labels, n, n, n, n, [["knn"]]]),
        ("CHURN_RULES", [data_js, labels, n, n, [["boosting"]]]),
        ("CHURN_FAIRNESS", [data_js, labels, [["Region"]]]),
        ("PROPENSITY_LIFT", [data_js, labels, [[1000]]]),
    ]
    results, meta, fits = officejs.call(calls, meta=True)
    return {"results": dict(enumerate(results)), "calls": calls, "meta": meta, "fits": fits,
            "data": data, "labels": labels}


def test_registration_metadata_names_every_new_function_and_its_model_option(session):
    funcs = {f["name"]: f for f in session["meta"]["functions"]}
    for short in NEW + ["PROB", "METRICS", "DRIVERS", "REASONS"]:
        for fam in ("CHURN", "PROPENSITY"):
            name = f"{fam}_{'SCORE' if fam == 'PROPENSITY' and short == 'PROB' else short}"
            assert name in funcs, name
            params = [p["name"] for p in funcs[name]["parameters"]]
            assert params[:2] == ["train_data", "train_labels"]
            assert "model" in params or short == "COMPARE", name
            assert funcs[name]["description"], name
    assert [p["name"] for p in funcs["CHURN_FAIRNESS"]["parameters"]][:3] == [
        "train_data", "train_labels", "group"]


def test_results_equal_the_python_functions(session):
    res, calls = session["results"], session["calls"]
    data, labels = session["data"], session["labels"]
    for i, short in enumerate(NEW):
        value = res[i]["value"]
        expected = REGISTRY[f"CHURN_{short}"](data, labels, *calls[i][1][2:])
        if short == "COMPARE":   # fit seconds are measured, not computed
            value = [r[:8] + r[9:] for r in value]
            expected = [r[:8] + r[9:] for r in expected]
        assert len(value) == len(expected), short
        for got, want in zip(value, expected):
            numeric = all(isinstance(v, (int, float)) for v in got)
            assert (got == pytest.approx(want, rel=1e-12)) if numeric else got == want, short


def test_fill_down_fits_once_and_warm_calls_never_refit(session):
    res, fits = session["results"], session["fits"]
    n_fill = 30
    first = 5
    cells = [res[first + k]["value"] for k in range(n_fill)]
    assert all(len(c) == 1 and len(c[0]) == 1 and 0 <= c[0][0] <= 1 for c in cells)
    reasons = [res[first + n_fill + k]["value"] for k in range(10)]
    assert all(len(r) == 1 and len(r[0]) == 2 for r in reasons)
    # One comparison (CHURN_COMPARE, PROPENSITY_COMPARE and model="auto" share it), one
    # cross-validation for LIFT, ROC and FAIRNESS, one tree (RULES and the fill-down), one
    # boosting fit (the reasons fill-down) and the model auto chose.
    assert fits["churn_compare"] == 1
    assert fits["churn_cv"] == 1
    assert fits["churn"] == 3


def test_bad_inputs_are_one_line_errors(session):
    res = session["results"]
    errs = [res[k] for k in sorted(res)[-4:]]
    assert all(e.get("error") == "XlwingsError" for e in errs), errs
    msgs = [e["message"] for e in errs]
    assert msgs[0].startswith('#VALUE! CHURN_PROB: model="knn" is not a model')
    assert msgs[1].startswith('#NUM! CHURN_RULES: model must be "tree" for rules')
    assert msgs[2].startswith("#VALUE! CHURN_FAIRNESS: group='Region' is not a column")
    assert msgs[3].startswith("#NUM! PROPENSITY_LIFT: bins=1000 is out of range")
    assert all("\n" not in m for m in msgs)

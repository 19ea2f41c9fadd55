"""One specification per function feeds the validation, the xlwings wrappers and the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import officejs
from xlmarketing import udfs
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_registered_function_has_a_spec_and_a_udf():
    assert all(fn.spec is not None for fn in REGISTRY.values()), "register with args={...}"
    assert sorted(udfs.__all__) == sorted(REGISTRY)
    # Nothing else upper-case that an import tool could mistake for a function.
    public_upper = {n for n in dir(udfs) if n.isupper() and not n.startswith("_")}
    assert public_upper == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_readme_reference_shows_the_spec_signature_and_an_example(name):
    spec = REGISTRY[name].spec
    assert f"**`{spec.usage()}`**" in README, f"README reference lacks {spec.usage()}"
    if spec.params:
        assert re.search(rf"={name}\(", README), f"README has no example formula for {name}"


def test_the_wrapper_signature_is_the_spec():
    import inspect

    sig = inspect.signature(udfs.CHURN_METRICS)
    spec = REGISTRY["CHURN_METRICS"].spec
    assert list(sig.parameters) == list(spec.params)
    assert [p.default is inspect.Parameter.empty for p in sig.parameters.values()] == [
        p in spec.required for p in spec.params]
    assert spec.usage() == ("CHURN_METRICS(train_data, train_labels, [threshold], [folds], [positive], "
                            "[balanced], [regularization], [model], [seed], [header], [keep_ids])")


def test_officejs_registration_matches_the_spec():
    _, meta, _ = officejs.call([], meta=True)
    funcs = {f["name"]: f for f in meta["functions"]}
    assert set(funcs) == set(REGISTRY)
    for name, fn in REGISTRY.items():
        spec = fn.spec
        params = funcs[name]["parameters"]
        assert [p["name"] for p in params] == list(spec.params), name
        assert [p.get("optional", False) for p in params] == [
            p not in spec.required for p in spec.params], name
        assert [p.get("description") for p in params] == [spec.args[p].doc for p in spec.params]
        assert funcs[name]["description"] == spec.summary


def test_checks_run_at_the_edge_with_one_line_messages():
    rows = [[float(i), float(i % 3)] for i in range(12)]
    with pytest.raises(XLMError, match=r"^#VALUE! SEGMENT_K: k_max must be a whole number, got 'x'"):
        REGISTRY["SEGMENT_K"](rows, "x")
    with pytest.raises(XLMError, match=r"^#NUM! SEGMENT_K: k_max=99 is out of range"):
        REGISTRY["SEGMENT_K"](rows, 99)
    with pytest.raises(XLMError, match=r"^#VALUE! SALES_FORECAST: horizon is missing"):
        REGISTRY["SALES_FORECAST"]([[1.0], [2.0], [3.0]], None)
    with pytest.raises(XLMError, match=r"^#VALUE! KMEANS_SEGMENT: takes at most 6 arguments"):
        REGISTRY["KMEANS_SEGMENT"](rows, 2, None, None, None, None, None)
    # Keywords bind like positions; the clean value reaches the model.
    assert REGISTRY["KMEANS_SEGMENT"](rows, k="2") == REGISTRY["KMEANS_SEGMENT"](rows, 2.0)


def test_core_errors_become_excel_errors_with_the_users_argument_name():
    from xlmarketing.core.errors import InsufficientData, ParameterError
    from xlmarketing.functions import core_error_to_xlm

    e = core_error_to_xlm(ParameterError("{param}=40 is longer than the history.",
                                         param="season_length"), {"season_length": "season"})
    assert (e.code, e.message) == ("#NUM!", "season=40 is longer than the history.")
    assert core_error_to_xlm(InsufficientData("needs 3 rows")).code == "#NUM!"


def test_formula_text_from_named_arguments_and_back():
    from xlmarketing.functions.spec import quoted, split_arguments

    km = REGISTRY["KMEANS_SEGMENT"].spec
    text = km.formula(data="Customers[[#All],[Spend]:[Visits]]", k=4, header=True)
    assert text == "KMEANS_SEGMENT(Customers[[#All],[Spend]:[Visits]], 4, , , TRUE)"
    assert km.formula_args("=" + text) == {"data": "Customers[[#All],[Spend]:[Visits]]",
                                           "k": "4", "header": "TRUE"}
    assert km.formula(data="A1:B9", k=4, seed=None) == "KMEANS_SEGMENT(A1:B9, 4)"   # trailing dropped
    prob = REGISTRY["CHURN_PROB"].spec
    text = prob.formula(train_data="A1:C9", train_labels="D1:D9", positive=quoted('say "yes"'),
                        model=quoted("tree"), seed=0.5)
    assert text == 'CHURN_PROB(A1:C9, D1:D9, , "say ""yes""", , , "tree", 0.5)'
    assert prob.formula_args(text)["positive"] == '"say ""yes"""'
    with pytest.raises(ValueError, match="has no argument 'modle'"):
        prob.formula(train_data="A1:C9", train_labels="D1:D9", modle="tree")
    with pytest.raises(ValueError, match="needs 'train_labels'"):
        prob.formula(train_data="A1:C9")
    with pytest.raises(ValueError, match="at most 6 arguments"):
        km.formula_args("KMEANS_SEGMENT(A1, 2, , , , , 7)")
    assert split_arguments("T[[#All],[a'[b]:[c]], 'Q1, Q2'!A1, \"x, y\", INDEX(A:A, 2), , 3") == [
        "T[[#All],[a'[b]:[c]]", "'Q1, Q2'!A1", '"x, y"', "INDEX(A:A, 2)", "", "3"]


def test_functions_check_parameters_only_through_the_spec():
    # One parameter style: the spec's Int/Float/Bool/Choice (cells.param_* implement them).
    import xlmarketing.functions as fns

    for p in Path(fns.__file__).parent.glob("*.py"):
        if p.name != "spec.py":
            assert "cells.param_" not in p.read_text(encoding="utf-8"), p.name


def test_int_auto_zero_and_its_own_wording():
    from xlmarketing.functions.spec import Int, IntWording

    season = Int(lo=0, hi=400, auto=None, zero_is_auto=True)
    assert [season(v, "s") for v in (None, "auto", " AUTO ", 0, 12.0, [[7]])] == [
        None, None, None, None, 12, 7]
    k = Int(lo=0, auto=0, wording=IntWording(negative="{name}={n} is negative.", missing="k?"))
    assert k("auto", "k") == 0 and k(3, "k") == 3
    with pytest.raises(XLMError, match=r"^#NUM! k=-2 is negative\.$"):
        k(-2, "k")
    with pytest.raises(XLMError, match=r"^#VALUE! k\?$"):
        k(None, "k")
    with pytest.raises(XLMError, match="s=401 is out of range"):
        season(401, "s")

"""Issue 26 item 4 and issue 25 item 3a: each yes/no family owns its semantics.

The churn family reads a labels header ("Retained": yes means stayed); the propensity family
does not, and never speaks of churn in its outputs or messages. Both run one engine
(functions/outcome.py), worded by the family, not by rewriting the churn family's text.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.test_churn import customers, probs
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

pytestmark = pytest.mark.usefixtures("cache_cleared_after")

CHURN_WORDS = re.compile(r"churn|retained|stayed", re.IGNORECASE)
SCORE, PROB = REGISTRY["PROPENSITY_SCORE"], REGISTRY["CHURN_PROB"]


@pytest.fixture(scope="module")
def base():
    data, labels, _ = customers(400, seed=2)
    return data, np.array([r[0] == "Yes" for r in labels[1:]])


def _labels(header, outcome, yes="Yes", no="No"):
    return [[header]] + [[yes if v else no] for v in outcome]


def _texts(out) -> list[str]:
    return [v for row in out for v in row if isinstance(v, str)]


@pytest.mark.parametrize("header", ["Subscribed", "Renewed", "Active"])
def test_propensity_scores_the_chance_of_yes_whatever_the_header(base, header):
    data, y = base
    labels = _labels(header, y)
    p = probs(SCORE(data, labels))
    assert np.corrcoef(p, y)[0, 1] > 0.4                       # the chance of Yes
    assert dict(REGISTRY["PROPENSITY_METRICS"](data, labels)[1:])["Positive label"] == "Yes"
    # The churn family reads the same header as "yes means stayed": the chance of No.
    assert np.corrcoef(probs(PROB(data, labels)), y)[0, 1] < -0.4
    assert np.allclose(p + probs(PROB(data, labels)), 1, atol=1e-6)


def test_churn_prob_keeps_its_header_rule(base):
    data, y = base
    # Yes under "Retained" is "stayed": No is churned. Pinned on the code before the families
    # (commit 7c5eb5e gives 0.026550278511492043; there PROPENSITY_SCORE over "Subscribed",
    # "Renewed" or "Active" correlated -0.67 with the outcome on these customers).
    out = PROB(data, _labels("Retained", ~y))
    assert out[1][0] == pytest.approx(0.026550278511492043, rel=1e-9)
    assert out[1:] == PROB(data, _labels("Churned", y))[1:]


def test_every_propensity_output_is_free_of_churn_words(base):
    data, y = base
    few = np.zeros(len(y), dtype=bool)
    few[:12] = True                              # 12 positives: the outputs carry a Note
    for labels in (_labels("Renewed", y), _labels("Subscribed", few)):
        calls = {
            "SCORE": (), "METRICS": (), "DRIVERS": (), "REASONS": (), "COMPARE": (),
            "RULES": (None, None, "tree"), "LIFT": (), "ROC": (), "FAIRNESS": ("Gender",),
        }
        for short, extra in calls.items():
            name = f"PROPENSITY_{short}"
            out = REGISTRY[name](data, labels, *extra)
            texts = _texts(out)
            assert texts, name
            assert not [t for t in texts if CHURN_WORDS.search(t)], (name, texts[:5])
            if labels[0][0] == "Subscribed" and short in ("METRICS", "DRIVERS"):
                assert any(t.startswith("only 12 positive customers ('Yes')") for t in texts)
    directions = {r[3] for r in REGISTRY["PROPENSITY_DRIVERS"](data, _labels("Renewed", y))[1:]}
    assert directions <= {"raises the probability", "lowers the probability", "no effect"}


def _err(fn, *args) -> str:
    with pytest.raises(XLMError) as exc:
        fn(*args)
    return str(exc.value)


def test_every_propensity_error_speaks_of_the_outcome_not_of_churn(base):
    data, y = base
    n = len(y)
    wide = np.random.default_rng(0).normal(size=(10, 1_200)).tolist()
    cases = {
        "one outcome": (data, _labels("Clicked", np.ones(n, dtype=bool))),
        "three values": (data, [["Clicked"]] + [[("Yes", "No", "Maybe")[i % 3]] for i in range(n)]),
        "unknown words": (data, _labels("Tier", y, "Gold", "Silver")),
        "positive not a label": (data, _labels("Clicked", y), None, "Bronze"),
        "too few positives": (data, _labels("Clicked", np.arange(n) < 3)),
        "too few rows": ([[1], [2], [3]], [["Yes"], ["No"], ["Yes"]]),
        "too many features": (wide, [["Yes"], ["No"]] * 5),
    }
    msgs = {what: _err(SCORE, *args) for what, args in cases.items()}
    for what, msg in msgs.items():
        assert msg.startswith(("#VALUE! PROPENSITY_SCORE: ", "#NUM! PROPENSITY_SCORE: ")), what
        assert not CHURN_WORDS.search(msg), (what, msg)
    assert msgs["too few positives"] == (
        "#NUM! PROPENSITY_SCORE: train_labels has only 3 positive customers ('Yes') in 400 rows; a "
        "propensity model needs at least 5 of each outcome to fit and cross-validate. Add positive "
        "customers, or check positive (the value that is the outcome to predict).")
    assert msgs["too many features"].endswith("features for a propensity model. Select fewer columns.")
    assert msgs["unknown words"] == (
        "#VALUE! PROPENSITY_SCORE: cannot tell which label is the outcome to predict: 'Gold', "
        "'Silver'. Set positive to the outcome to predict, e.g. positive=\"Gold\".")
    # The churn family says the same things in its words.
    assert "churned customers ('Yes')" in _err(PROB, *cases["too few positives"])
    assert _err(PROB, *cases["too many features"]).endswith("for a churn model. Select fewer columns.")


def test_propensity_recognises_response_words_not_churn_words(base):
    data, y = base
    p = probs(SCORE(data, _labels("Outcome", y, "Responded", "Ignored")))
    assert np.corrcoef(p, y)[0, 1] > 0.4
    # "Active"/"Inactive" are churn words: the propensity family asks which one to predict.
    assert "cannot tell which label is the outcome to predict" in _err(
        SCORE, data, _labels("Outcome", y, "Inactive", "Active"))
    assert np.corrcoef(probs(PROB(data, _labels("Outcome", y, "Inactive", "Active"))), y)[0, 1] > 0.4


def test_families_read_alike_share_one_fit(base):
    from xlmarketing.cache import CACHE

    data, y = base
    CACHE.clear()
    labels = _labels("Clicked", y)
    assert SCORE(data, labels)[1:] == PROB(data, labels)[1:]
    assert CACHE.fits["churn"] == 1
    SCORE(data, _labels("Renewed", y)), PROB(data, _labels("Renewed", y))   # read differently
    assert CACHE.fits["churn"] == 3

"""scale="auto" on many columns of one shared scale (counts, Likert answers, intensities) and on
wide tables (few rows per column): raw units, known answers."""

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from xlmarketing.core.segment import decide_scaling
from xlmarketing.functions import REGISTRY

KMEANS = REGISTRY["KMEANS_SEGMENT"]
PROFILE = REGISTRY["SEGMENT_PROFILE"]


def likert(n=300, items=20, seed=0):
    """Answers 1..5; 3 groups lean on different statements; the last 8 statements nearly
    everyone rates 5 (standardised, each of their rare 3s weighs six standard deviations)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n // 3)
    lean = np.zeros((3, items))
    for g in range(3):
        lean[g, 4 * g: 4 * g + 4] = 1.5
    x = np.clip(np.rint(3 + lean[y] + rng.normal(0, 0.8, (n, items))), 1, 5)
    x[:, -8:] = 5 - 2 * (rng.random((n, 8)) < 0.03)
    return [[f"q{j + 1}" for j in range(items)]] + x.tolist(), y


def test_likert_answers_keep_raw_units_whatever_k():
    data, y = likert()
    frame = pd.DataFrame(data[1:], columns=data[0])
    kinds = dict.fromkeys(frame.columns, "number")
    want = "raw units (20 columns on one shared scale, 1 to 5)"
    assert decide_scaling(frame, kinds, "auto").text == want
    assert decide_scaling(frame, kinds, "auto", 3).text == want  # no second look overrides it
    assert PROFILE(data, 3)[1][-1] == want
    raw = adjusted_rand_score(y, [r[0] for r in KMEANS(data, 3)[1:]])
    std = adjusted_rand_score(y, [r[0] for r in KMEANS(data, 3, True)[1:]])
    assert round(raw, 3) == 0.96 and std <= raw


def test_mixed_units_in_many_columns_are_not_one_scale():
    rng = np.random.default_rng(1)
    cols = {f"spend{j}": rng.gamma(2, 500, 200) for j in range(4)}
    cols.update({f"visits{j}": rng.poisson(4, 200).astype(float) for j in range(6)})
    frame = pd.DataFrame(cols)
    s = decide_scaling(frame, dict.fromkeys(frame.columns, "number"), "auto")
    assert s.standardised and s.reason.startswith("column spreads differ")


def test_too_few_columns_are_left_to_the_spread_rule():
    data, _ = likert()
    frame = pd.DataFrame(data[1:], columns=data[0]).iloc[:, :7]
    s = decide_scaling(frame, dict.fromkeys(frame.columns, "number"), "auto")
    assert "shared scale" not in s.reason


def test_wide_tables_skip_the_second_look():
    """60 rows of 40 columns (fewer than 10 rows per column): the spread rule decides alone."""
    rng = np.random.default_rng(2)
    x = (rng.normal(0, 1, (60, 40)) * rng.uniform(0.5, 3, 40) + np.repeat([0, 2], 30)[:, None]
         + rng.uniform(0, 100, 40))  # columns at their own levels: not one shared range
    frame = pd.DataFrame(x, columns=[f"g{j}" for j in range(40)])
    kinds = dict.fromkeys(frame.columns, "number")
    assert decide_scaling(frame, kinds, "auto", 2) == decide_scaling(frame, kinds, "auto")
    assert decide_scaling(frame, kinds, "auto", 2).text.startswith("raw units (column spreads within")


def test_nearly_constant_columns_are_named():
    data, _ = likert()
    x = np.array(data[1:])
    x[:, -1] = 5.0
    x[0, -1] = 4.0  # one 4 in 300 rows: a spread under a tenth of the median column's
    frame = pd.DataFrame(x, columns=data[0])
    assert decide_scaling(frame, dict.fromkeys(frame.columns, "number"), "auto").reason == (
        "20 columns on one shared scale, 1 to 5, 1 nearly constant")

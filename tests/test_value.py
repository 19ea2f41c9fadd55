"""VALUE_PREDICT and VALUE_DRIVERS: ISLR's Carseats answers, statsmodels' OLS statistics and
prediction intervals, boosting intervals' coverage, the auto choice, alignment and errors.

Carseats is ISLP's bundled CSV (BSD-3-Clause), kept at tests/data/Carseats.csv with its
licence (tests/data/Carseats.LICENSE), so the test extra does not install ISLP and torch.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

PREDICT = REGISTRY["VALUE_PREDICT"]
DRIVERS = REGISTRY["VALUE_DRIVERS"]


def carseats() -> pd.DataFrame:
    return pd.read_csv(Path(__file__).parent / "data" / "Carseats.csv")


def sheet(frame: pd.DataFrame, cols: list[str], target: str):
    data = [cols] + frame[cols].astype(object).values.tolist()
    values = [[target]] + [[float(v)] for v in frame[target]]
    return data, values


def table(out):
    return {r[0]: r[1:] for r in out[1:]}


# --------------------------------------------------------------------------- known answers


def test_carseats_sales_price_urban_us_gives_islr_coefficients():
    data, values = sheet(carseats(), ["Price", "Urban", "US"], "Sales")
    t = table(DRIVERS(data, values))
    # ISLR 3.6.6 (lm(Sales ~ Price + Urban + US)): the published estimates and R².
    assert t["(Intercept)"][0] == pytest.approx(13.043469, abs=5e-7)
    assert t["Price"][0] == pytest.approx(-0.054459, abs=5e-7)
    assert t["Urban = Yes"][0] == pytest.approx(-0.021916, abs=5e-7)
    assert t["US = Yes"][0] == pytest.approx(1.200573, abs=5e-7)
    assert t["R²"][0] == pytest.approx(0.2393, abs=5e-5)


def test_carseats_statistics_equal_statsmodels_ols():
    smf = pytest.importorskip("statsmodels.formula.api")
    d = carseats()
    cols = ["Price", "Urban", "US", "ShelveLoc", "Advertising"]
    data, values = sheet(d, cols, "Sales")
    t = table(DRIVERS(data, values))
    ref = smf.ols("Sales ~ Price + Urban + US + ShelveLoc + Advertising", d).fit()
    names = {"Intercept": "(Intercept)", "Urban[T.Yes]": "Urban = Yes", "US[T.Yes]": "US = Yes",
             "ShelveLoc[T.Good]": "ShelveLoc = Good", "ShelveLoc[T.Medium]": "ShelveLoc = Medium",
             "Price": "Price", "Advertising": "Advertising"}
    for sm, ours in names.items():
        coef, se, tv, p = t[ours]
        assert coef == pytest.approx(ref.params[sm], rel=1e-9)
        assert se == pytest.approx(ref.bse[sm], rel=1e-9)
        assert tv == pytest.approx(ref.tvalues[sm], rel=1e-9)
        assert p == pytest.approx(ref.pvalues[sm], rel=1e-6, abs=1e-300)
    assert t["R²"][0] == pytest.approx(ref.rsquared, rel=1e-12)
    assert t["Adjusted R²"][0] == pytest.approx(ref.rsquared_adj, rel=1e-12)
    assert t["F"][0] == pytest.approx(ref.fvalue, rel=1e-9)
    assert t["F p-value"][0] == pytest.approx(ref.f_pvalue, rel=1e-6)
    assert t["Residual degrees of freedom"][0] == ref.df_resid
    assert t["Std. error of estimate"][0] == pytest.approx(np.sqrt(ref.scale), rel=1e-12)
    assert t["SS residual"][0] == pytest.approx(ref.ssr, rel=1e-9)


def test_linear_interval_is_the_ols_prediction_interval():
    smf = pytest.importorskip("statsmodels.formula.api")
    d = carseats()
    data, values = sheet(d, ["Price", "Urban", "US"], "Sales")
    new = [["Price", "Urban", "US"], [80.0, "No", "Yes"], [150.0, "Yes", "No"]]
    out = PREDICT(data, values, new, 0.9)
    assert out[0] == ["Predicted Sales", "Lower 90%", "Upper 90%"]
    ref = smf.ols("Sales ~ Price + Urban + US", d).fit().get_prediction(
        pd.DataFrame({"Price": [80.0, 150.0], "Urban": ["No", "Yes"], "US": ["Yes", "No"]})
    ).summary_frame(alpha=0.1)
    np.testing.assert_allclose(np.array(out[1:], dtype=float),
                               ref[["mean", "obs_ci_lower", "obs_ci_upper"]].to_numpy(), rtol=1e-9)
    assert PREDICT(data, values, new, 90) == out  # 90 (percent) means 0.9


def test_a_column_that_repeats_another_is_left_out_with_a_note():
    d = carseats()
    d["Price again"] = d["Price"] * 2
    data, values = sheet(d, ["Price", "Price again", "US"], "Sales")
    out = DRIVERS(data, values)
    t = table(out)
    assert "Price again" not in t
    assert t["US = Yes"][0] == pytest.approx(table(DRIVERS(*sheet(d, ["Price", "US"], "Sales")))
                                             ["US = Yes"][0], rel=1e-9)
    assert any(r[0] == "Note" and "Price again left out" in r[1] for r in out)


# --------------------------------------------------------------------------- boosting and auto


def synthetic(n, seed, curved):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    channel = rng.choice(["Web", "Store"], n)
    signal = (np.sin(2 * x1) * 4 + (x2 > 0) * 3 if curved else 2 * x1 - x2) + (channel == "Web")
    y = 50 + signal + rng.normal(0, 1, n)
    rows = [["Visits", "Tenure", "Channel"]] + [[a, b, c] for a, b, c in zip(x1, x2, channel)]
    return rows, [["Spend"]] + [[v] for v in y]


def test_boosting_interval_covers_new_rows_at_about_its_level():
    data, values = synthetic(1500, 0, curved=True)
    new, new_values = synthetic(2000, 1, curved=True)
    out = np.array(PREDICT(data, values, new, 0.9, "boosting")[1:], dtype=float)
    y = np.array([r[0] for r in new_values[1:]])
    covered = np.mean((out[:, 1] <= y) & (y <= out[:, 2]))
    assert 0.86 <= covered <= 0.94
    assert np.all(out[:, 1] < out[:, 0]) and np.all(out[:, 0] < out[:, 2])


def test_auto_chooses_boosting_for_curves_and_linear_for_straight_lines():
    curved = DRIVERS(*synthetic(800, 2, curved=True), "auto")
    assert curved[0] == ["Feature", "Importance (R² points)", "Direction"]
    assert curved[1][0] == "Visits"  # the strongest effect ranks first
    assert any(r[0] == "Note" and 'chose boosting' in r[1] for r in curved)
    straight = DRIVERS(*synthetic(800, 2, curved=False), "auto")
    assert straight[0][1] == "Coefficient"
    t = table(straight)
    assert t["Visits"][0] == pytest.approx(2, abs=0.1)
    assert t["Tenure"][0] == pytest.approx(-1, abs=0.1)
    assert t["Channel = Web"][0] == pytest.approx(1, abs=0.2)


# --------------------------------------------------------------------------- conventions


def test_rows_align_blank_rows_stay_blank_and_order_does_not_matter():
    data, values = synthetic(200, 3, curved=False)
    data[5] = [None, None, None]
    out = PREDICT(data, values)
    assert out[0] == ["Predicted Spend"] and len(out) == len(data) and out[5] == [""]
    perm = [0] + list(np.random.default_rng(0).permutation(np.arange(1, len(data))))
    shuffled = PREDICT([data[i] for i in perm], [values[i] for i in perm])
    a = np.array([r[0] if r[0] != "" else np.nan for r in out[1:]], dtype=float)
    b = np.array([r[0] if r[0] != "" else np.nan for r in shuffled[1:]], dtype=float)
    np.testing.assert_allclose(b, a[np.array(perm[1:]) - 1], rtol=1e-9)
    no_header = PREDICT([r for r in data[1:]], [r for r in values[1:]], header=False)
    assert len(no_header) == len(data) - 1
    np.testing.assert_allclose(np.array([r[0] if r[0] != "" else np.nan for r in no_header],
                                        dtype=float), a, rtol=1e-12)


def test_one_row_fill_down_equals_the_spill():
    data, values = synthetic(300, 4, curved=True)
    spill = PREDICT(data, values, data, 0.8, "boosting")
    for i in (1, 7, 99):
        assert PREDICT(data, values, [data[i]], 0.8, "boosting") == [spill[i]]


def test_clear_errors():
    data, values = synthetic(50, 5, curved=False)
    bad = [r[:] for r in values]
    bad[3] = ["lots"]
    with pytest.raises(XLMError, match=r"#VALUE! VALUE_PREDICT: train_values has 'lots' in row 4"):
        PREDICT(data, bad)
    bad[3] = [None]
    with pytest.raises(XLMError, match="train_values is blank in row 4"):
        PREDICT(data, bad)
    with pytest.raises(XLMError, match='model="forest" is not a model'):
        PREDICT(data, values, model="forest")
    with pytest.raises(XLMError, match="interval must be a coverage"):
        PREDICT(data, values, interval=0.2)
    same = [values[0]] + [[7.0]] * (len(values) - 1)
    with pytest.raises(XLMError, match="train_values is 7 in every row"):
        PREDICT(data, same)
    wide = [[f"c{j}" for j in range(8)]] + [list(np.random.default_rng(i).normal(size=8))
                                            for i in range(6)]
    with pytest.raises(XLMError, match="needs more rows than coefficients"):
        DRIVERS(wide, values[:7])

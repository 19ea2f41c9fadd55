"""CUSTOMER_VALUE: BG/NBD and Gamma-Gamma recovered from simulated orders, the CDNOW published
parameters, the sheet function through Office.js, errors.

The CDNOW data (Fader, Hardie and Lee's 2,357-customer sample of the CDNOW music store,
1997-1998) ships in the ``lifetimes`` PyPI package (``lifetimes/datasets``); those tests skip
when it is not installed. Its files are read directly, without importing the library.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests import officejs
from xlmarketing import samples
from xlmarketing.cells import to_serial
from xlmarketing.core import clv
from xlmarketing.core import orders as O
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

VALUE = REGISTRY["CUSTOMER_VALUE"]
HEADER = ["Customer", "Repeat purchases", "Expected purchases", "Probability active",
          "Expected purchase value", "Expected value"]
DAY0 = 45000.0


def _cdnow(name):
    spec = importlib.util.find_spec("lifetimes")
    if spec is None:
        pytest.skip("the CDNOW data ships in the lifetimes package, which is not installed")
    return Path(spec.submodule_search_locations[0]) / "datasets" / name


def simulated_book(n, weeks, seed):
    sim = samples.simulate_orders(n, weeks, seed=seed)
    frame = pd.DataFrame({O.CUSTOMER: sim["customer"], O.DAY: DAY0 + np.floor(sim["week"] * 7),
                          O.AMOUNT: sim["amount"]})
    return O.order_book(frame, DAY0 + weeks * 7)


def test_parameters_are_recovered_from_orders_simulated_with_known_ones():
    model = clv.fit_value_model(simulated_book(5000, 78.0, seed=0))
    truth = samples.ORDER_MODEL
    bg, gg = model.bgnbd, model.gamma
    assert bg.r == pytest.approx(truth["r"], rel=0.1)
    assert bg.alpha == pytest.approx(truth["alpha"], rel=0.1)
    assert bg.a == pytest.approx(truth["a"], rel=0.25)
    assert bg.b == pytest.approx(truth["b"], rel=0.25)
    assert gg.p == pytest.approx(truth["p"], rel=0.15)
    assert gg.q == pytest.approx(truth["q"], rel=0.15)
    assert gg.v == pytest.approx(truth["v"], rel=0.15)


def test_cdnow_bgnbd_matches_the_published_parameters():
    d = pd.read_csv(_cdnow("cdnow_customers_summary.csv"))
    m = clv.fit_bgnbd(d["frequency"].to_numpy(float), d["recency"].to_numpy(), d["T"].to_numpy())
    # Fader, Hardie and Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426.
    assert (round(m.r, 3), round(m.alpha, 2), round(m.a, 3), round(m.b, 2)) == \
        pytest.approx((0.243, 4.41, 0.793, 2.42), abs=0.011)


def test_cdnow_gamma_gamma_matches_the_published_parameters():
    d = pd.read_csv(_cdnow("cdnow_customers_summary_with_transactions.csv"))
    d = d[d["x"] > 0]
    g = clv.fit_gamma_gamma(d["x"].to_numpy(float), d["zbar"].to_numpy())
    # Fader, Hardie and Lee (2005), "RFM and CLV": p=6.25, q=3.74, v=15.44.
    assert (g.p, g.q, g.v) == pytest.approx((6.25, 3.74, 15.44), abs=0.02)


def test_cdnow_transactions_through_the_order_list_give_the_same_model():
    raw = pd.read_csv(_cdnow("CDNOW_sample.txt"), sep=r"\s+", header=None,
                      names=["id", "id2", "date", "units", "amount"])
    dates = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    rows = [[int(c), to_serial(d), float(a)] for c, d, a in zip(raw["id"], dates, raw["amount"])]
    # The published summary is for the 39 weeks to 1997-09-30 (1997-09-28 for the customers
    # summary's T of 38.86 weeks from 1997-01-01).
    calibration = [r for r in rows if r[1] <= to_serial(pd.Timestamp("1997-09-30"))]
    out = VALUE(calibration, 3, to_serial(pd.Timestamp("1997-09-30")))
    assert out[0] == HEADER and len(out) == 1 + raw["id"].nunique()
    book = O.order_book(pd.DataFrame(calibration, columns=[O.CUSTOMER, O.DAY, O.AMOUNT]),
                        to_serial(pd.Timestamp("1997-09-30")))
    bg = clv.fit_value_model(book).bgnbd
    assert (bg.r, bg.alpha, bg.a, bg.b) == pytest.approx((0.243, 4.41, 0.79, 2.43), rel=0.06)


def test_sheet_function_values_hold_the_models_properties():
    frame = samples.orders()
    rows = [[c, to_serial(d), a] for c, d, a in frame.itertuples(index=False)]
    short, long = VALUE(rows, 6), VALUE(rows, 24)
    assert short[0] == HEADER and len(short) == 1 + frame["Customer"].nunique()
    body_s, body_l = np.array([r[1:] for r in short[1:]], float), np.array([r[1:] for r in long[1:]], float)
    assert (body_l[:, 1] > body_s[:, 1]).all()                    # more months, more purchases
    assert ((body_s[:, 2] > 0) & (body_s[:, 2] <= 1)).all()       # a probability
    assert (body_s[body_s[:, 0] == 0, 2] == 1).all()              # no repeat yet: not seen leaving
    assert np.allclose(body_s[:, 4], body_s[:, 1] * body_s[:, 3])  # value = purchases x value each
    # The same customers' first rows through the Office.js entry point, cached for the second call.
    res = officejs.call([("CUSTOMER_VALUE", [rows, [[6]], [[None]], [[None]]]),
                         ("CUSTOMER_VALUE", [rows, [[24]], [[None]], [[None]]])], meta=True)
    results, meta, fits = res
    assert results[0]["value"] == short and results[1]["value"] == long
    assert fits["customer_value"] == 1
    funcs = {f["name"]: f for f in meta["functions"]}
    assert [p["name"] for p in funcs["CUSTOMER_VALUE"]["parameters"]] == \
        ["orders", "horizon_months", "reference_date", "header", "discount", "margin", "model"]
    assert [p["name"] for p in funcs["RFM_SEGMENT"]["parameters"]] == ["orders", "reference_date", "header"]


def test_predictions_beat_same_as_last_period_on_a_holdout():
    book = simulated_book(3000, 104.0, seed=5)
    cut = DAY0 + 78 * 7
    f = book.frame
    calib = O.order_book(f[f[O.DAY] <= cut].reset_index(drop=True), cut)
    model = clv.fit_value_model(calib)
    pred = clv.customer_value(model, 26 * 7 / clv.MONTH_DAYS).set_index("Customer")["Expected purchases"]
    hold = f[f[O.DAY] > cut].assign(d=lambda x: np.floor(x[O.DAY])).drop_duplicates([O.CUSTOMER, "d"])
    actual = hold.groupby(O.CUSTOMER).size().reindex(pred.index).fillna(0)
    last = f[(f[O.DAY] > cut - 26 * 7) & (f[O.DAY] <= cut)].assign(d=lambda x: np.floor(x[O.DAY]))
    naive = last.drop_duplicates([O.CUSTOMER, "d"]).groupby(O.CUSTOMER).size().reindex(pred.index).fillna(0)
    assert np.abs(pred - actual).mean() < np.abs(naive - actual).mean()
    assert np.corrcoef(pred, actual)[0, 1] > 0.6
    assert pred.sum() == pytest.approx(actual.sum(), rel=0.15)


@pytest.mark.parametrize("orders, horizon, message", [
    ([["A", 45000 + i, 5.0] for i in range(20)], None,
     "#NUM! CUSTOMER_VALUE: orders holds 1 customer; the purchase model needs at least 10."),
    ([[f"C{i}", 45000 + i, 5.0] for i in range(20)], None,
     "#NUM! CUSTOMER_VALUE: only 0 customers in orders bought again (on a later day)"),
    ([[f"C{i}", 45000 + i, 5.0] for i in range(20)], 0,
     "#NUM! CUSTOMER_VALUE: horizon_months=0 is out of range; it must be above 0 and at most 120."),
    ([[f"C{i}", 45000 + i, 5.0] for i in range(20)], "soon",
     "#VALUE! CUSTOMER_VALUE: horizon_months must be a number, got 'soon'."),
])
def test_bad_input_gets_one_clear_line(orders, horizon, message):
    with pytest.raises(XLMError) as e:
        VALUE(orders, horizon)
    assert str(e.value).startswith(message)
    assert "\n" not in str(e.value)


def test_predictions_equal_the_lifetimes_library_at_the_same_parameters():
    lifetimes = pytest.importorskip("lifetimes")
    d = pd.read_csv(_cdnow("cdnow_customers_summary.csv"))
    x, t_x, T = d["frequency"].to_numpy(float), d["recency"].to_numpy(), d["T"].to_numpy()
    ours = clv.fit_bgnbd(x, t_x, T)
    ref = lifetimes.BetaGeoFitter()
    ref.params_ = pd.Series({"r": ours.r, "alpha": ours.alpha, "a": ours.a, "b": ours.b})
    expected = np.asarray(ref.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T))
    alive = np.asarray(ref.conditional_probability_alive(x, t_x, T))
    assert clv.expected_purchases(ours, 39.0, x, t_x, T) == pytest.approx(expected, rel=1e-9)
    assert clv.probability_alive(ours, x, t_x, T) == pytest.approx(alive, rel=1e-9)


def test_day_first_text_dates_in_several_formats_equal_real_dates():
    frame = samples.orders()
    forms = ["%d/%m/%Y", "%d %b %Y", "%Y-%m-%d", "%B %d, %Y"]
    real = [[c, d, a] for c, d, a in frame.itertuples(index=False)]
    text = [[c, pd.Timestamp(d).strftime(forms[i % 4]), a] for i, (c, d, a) in enumerate(real)]
    assert any(t[1][:2] > "12" and "/" in t[1] for t in text)  # a day above 12 settles day first
    assert VALUE(text, 12) == VALUE(real, 12)
    assert VALUE(text, 12, "31/12/2025") == VALUE(real, 12, "2025-12-31")

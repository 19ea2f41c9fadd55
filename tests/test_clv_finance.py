"""CUSTOMER_VALUE for a finance team: MBG/NBD (one-time buyers can drop out) against lifetimes'
ModifiedBetaGeoFitter on CDNOW, the discounted expected margin, and the BG/NBD notice."""

import numpy as np
import pandas as pd
import pytest

from tests.test_customer_value import HEADER, _cdnow
from xlmarketing import notices, samples
from xlmarketing.cells import to_serial
from xlmarketing.core import clv
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

VALUE = REGISTRY["CUSTOMER_VALUE"]


def cdnow():
    d = pd.read_csv(_cdnow("cdnow_customers_summary.csv"))
    return d["frequency"].to_numpy(float), d["recency"].to_numpy(float), d["T"].to_numpy(float)


def sample_rows():
    frame = samples.orders()
    return [[c, to_serial(d), a] for c, d, a in frame.itertuples(index=False)]


def test_cdnow_mbgnbd_equals_lifetimes_modified_fitter():
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, T = cdnow()
    ours = clv.fit_mbgnbd(x, t_x, T)
    ref = lifetimes.ModifiedBetaGeoFitter().fit(x, t_x, T)
    # lifetimes on CDNOW: r=0.525, alpha=6.183, a=0.891, b=1.614 (its optimiser's tolerance).
    assert (ours.r, ours.alpha, ours.a, ours.b) == pytest.approx(
        tuple(ref.params_[k] for k in ("r", "alpha", "a", "b")), rel=2e-3)
    assert (ours.r, ours.alpha, ours.a, ours.b) == pytest.approx((0.525, 6.183, 0.891, 1.614),
                                                                 abs=2e-3)
    # Same predictions at the same parameters.
    ref.params_ = pd.Series({"r": ours.r, "alpha": ours.alpha, "a": ours.a, "b": ours.b})
    expected = np.asarray(ref.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T))
    alive = np.asarray(ref.conditional_probability_alive(x, t_x, T))
    assert clv.expected_purchases(ours, 39.0, x, t_x, T) == pytest.approx(expected, rel=1e-9)
    assert clv.probability_alive(ours, x, t_x, T) == pytest.approx(alive, rel=1e-9)


def test_mbgnbd_one_time_buyers_from_long_ago_are_not_certainly_active():
    x, t_x, T = cdnow()
    bg, mbg = clv.fit_bgnbd(x, t_x, T), clv.fit_mbgnbd(x, t_x, T)
    zero, weeks = np.zeros(3), np.array([5.0, 20.0, 38.0])
    assert np.all(clv.probability_alive(bg, zero, zero, weeks) == 1.0)  # BG/NBD's property
    p = clv.probability_alive(mbg, zero, zero, weeks)
    assert np.all(p < 1) and np.all(np.diff(p) < 0)  # the longer ago, the less likely active


def test_sheet_model_option_notice_and_positional_calls():
    rows = sample_rows()
    with notices.collect() as said:
        plain = VALUE(rows, 12)
    assert plain[0] == HEADER
    assert any("BG/NBD gives the" in n and 'model="mbgnbd"' in n for n in said)
    with notices.collect() as said:
        modified = VALUE(rows, 12, None, None, None, None, "MBG/NBD")
    assert not any("BG/NBD gives" in n for n in said)
    body = np.array([r[1:] for r in modified[1:]], float)
    one_time = body[:, 0] == 0
    assert one_time.any() and np.all(body[one_time, 2] < 1)
    with pytest.raises(XLMError, match='model="pareto" is not a purchase model'):
        VALUE(rows, 12, model="pareto")


def test_discounted_margin_is_the_monthly_sum():
    rows = sample_rows()
    plain = VALUE(rows, 12)
    undiscounted = VALUE(rows, 12, margin=1.0)
    assert undiscounted[0] == HEADER + ["Discounted margin"]
    # No discount and a margin of 1 over whole months: the monthly increments add up to the total.
    np.testing.assert_allclose([r[-1] for r in undiscounted[1:]], [r[-1] for r in plain[1:]],
                               rtol=1e-9)
    out = VALUE(rows, 12, None, None, 0.01, 0.3)
    # By hand: each month's expected purchases x value x margin / 1.01^t.
    from xlmarketing.functions.customers import order_book

    model = clv.fit_value_model(order_book(rows, None, None))
    s = model.summary
    x, t_x, T = (s[c].to_numpy() for c in ("x", "t_x", "T"))
    avg = clv.expected_average_value(model.gamma, x, s["m"].to_numpy())
    cum = [np.zeros(len(x))] + [clv.expected_purchases(model.bgnbd, m * clv.MONTH_DAYS / clv.WEEK,
                                                       x, t_x, T) for m in range(1, 13)]
    by_hand = sum((cum[m] - cum[m - 1]) / 1.01 ** m for m in range(1, 13)) * avg * 0.3
    np.testing.assert_allclose([r[-1] for r in out[1:]], by_hand, rtol=1e-9)
    assert all(0 < r[-1] < 0.3 * p[-1] for r, p in zip(out[1:], plain[1:]) if p[-1] > 0)
    with pytest.raises(XLMError, match="margin=1.5 is out of range"):
        VALUE(rows, 12, margin=1.5)

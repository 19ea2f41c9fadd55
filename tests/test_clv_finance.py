"""CUSTOMER_VALUE for a finance team: MBG/NBD (one-time buyers can drop out) against lifetimes'
ModifiedBetaGeoFitter on CDNOW, Pareto/NBD against its ParetoNBDFitter, the discounted expected
margin, and the BG/NBD notice."""

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


def test_cdnow_pareto_nbd_equals_lifetimes_pareto_fitter():
    lifetimes = pytest.importorskip("lifetimes")
    from lifetimes.datasets import load_cdnow_summary

    d = load_cdnow_summary()
    x, t_x, T = (d[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    ours = clv.fit_pareto(x, t_x, T)
    ref = lifetimes.ParetoNBDFitter().fit(x, t_x, T)
    params = (ours.r, ours.alpha, ours.s, ours.beta)
    # lifetimes (Nelder-Mead, tol 1e-4): r=0.5533, alpha=10.578, s=0.6062, beta=11.667; the
    # published values (Fader, Hardie and Lee's note): 0.553, 10.578, 0.606, 11.669.
    assert params == pytest.approx(tuple(ref.params_[k] for k in ("r", "alpha", "s", "beta")),
                                   rel=2e-4)
    assert params == pytest.approx((0.553, 10.578, 0.606, 11.669), abs=2e-3)
    # At least as likely as lifetimes' optimum (our log-likelihood is its, term for term).
    ll = clv.pareto_loglik(np.array(params), x, t_x, T)
    ref_ll = ref._conditional_log_likelihood(tuple(ref.params_), x, t_x, T)
    np.testing.assert_allclose(ll, ref._conditional_log_likelihood(params, x, t_x, T), rtol=1e-12)
    assert ll.sum() >= ref_ll.sum() - 1e-6
    # Same P(alive) and expected purchases at the same parameters.
    ref.params_ = pd.Series(dict(zip(("r", "alpha", "s", "beta"), params)))
    expected = np.asarray(ref.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T))
    alive = np.asarray(ref.conditional_probability_alive(x, t_x, T))
    np.testing.assert_allclose(clv.expected_purchases(ours, 39.0, x, t_x, T), expected, rtol=1e-9)
    np.testing.assert_allclose(clv.probability_alive(ours, x, t_x, T), alive, rtol=1e-9)


def test_pareto_nbd_likelihood_is_stable_where_the_plain_series_overflows():
    # Heavy buyers (x in the hundreds) and alpha < beta: the hypergeometric term of the plain
    # formula overflows in floats (lifetimes gives log-likelihoods of +242 and +752 for the two
    # heavy buyers); ours (the Euler form) equals the formula at 50 digits.
    mp = pytest.importorskip("mpmath").mp
    mp.dps = 50
    r, alpha, s, beta = 0.5, 2.0, 0.6, 40.0
    m = clv.ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)
    x = np.array([0.0, 1.0, 50.0, 400.0, 400.0, 3.0])
    t_x = np.array([0.0, 3.0, 30.0, 77.0, 20.0, 78.0])
    T = np.full(6, 78.0)
    ll = clv.pareto_loglik(np.array([r, alpha, s, beta]), x, t_x, T)

    def exact(xi, ti, Ti):
        xi, ti, Ti = mp.mpf(xi), mp.mpf(ti), mp.mpf(Ti)
        rsx = r + s + xi
        big, b = (alpha, s + 1) if alpha >= beta else (beta, r + xi)
        gap = abs(alpha - beta)
        a0 = (mp.hyp2f1(rsx, b, rsx + 1, gap / (big + ti)) / (big + ti) ** rsx
              - mp.hyp2f1(rsx, b, rsx + 1, gap / (big + Ti)) / (big + Ti) ** rsx)
        lik = (mp.gamma(r + xi) * mp.mpf(alpha) ** r * mp.mpf(beta) ** s / mp.gamma(r)
               * (1 / ((alpha + Ti) ** (r + xi) * (beta + Ti) ** s) + s / rsx * a0))
        return float(mp.log(lik))

    np.testing.assert_allclose(ll, [exact(*v) for v in zip(x, t_x, T)], rtol=1e-10)
    alive = clv.probability_alive(m, x, t_x, T)
    assert np.all(np.isfinite(ll)) and np.all((alive >= 0) & (alive <= 1))
    assert alive[5] == 1.0 and alive[4] < 1e-6  # bought on the last day vs a heavy buyer gone quiet
    # s = 1: the expected purchases' 0/0 has a limit, (r+x)/(alpha+T) (beta+T) log(1+t/(beta+T)).
    one = clv.ParetoNBD(r=0.5, alpha=2.0, s=1.0, beta=40.0)
    near = clv.ParetoNBD(r=0.5, alpha=2.0, s=1.0 + 1e-6, beta=40.0)
    np.testing.assert_allclose(clv.expected_purchases(one, 26.0, x, t_x, T),
                               clv.expected_purchases(near, 26.0, x, t_x, T), rtol=1e-5)


def test_pareto_nbd_on_the_sheet():
    rows = sample_rows()
    out = VALUE(rows, 12, model="Pareto/NBD")
    assert out[0] == HEADER and VALUE(rows, 12, model="paretonbd") == out
    body = np.array([r[1:] for r in out[1:]], float)
    assert np.all((body[:, 2] > 0) & (body[:, 2] <= 1)) and np.all(body[:, 1] >= 0)
    # Unlike BG/NBD, a one-time buyer is not certainly active (but for one who bought on the
    # last day).
    one_time = body[:, 0] == 0
    assert np.mean(body[one_time, 2] < 1) > 0.9
    np.testing.assert_allclose(body[:, 4], body[:, 1] * body[:, 3], rtol=1e-12)


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
    with pytest.raises(XLMError, match='model="gamma" is not a purchase model'):
        VALUE(rows, 12, model="gamma")


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

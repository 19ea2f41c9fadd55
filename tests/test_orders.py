"""What an order list means, the same for RFM_SEGMENT and CUSTOMER_VALUE (known answers)."""

from __future__ import annotations

import datetime as dt

import pytest

from xlmarketing import notices
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

pytestmark = pytest.mark.usefixtures("fresh_cache")

D0 = dt.datetime(2024, 1, 1)


def _book(extra=()):
    """30 customers, ids 1000..1029: customer 1000+c orders on days 0, 40c mod 300 ... ."""
    rows = [["Customer", "Order date", "Amount"]]
    for c in range(30):
        for k in range(1 + c % 4):
            rows.append([1000 + c, D0 + dt.timedelta(days=(37 * c + 101 * k) % 360), 20.0 + c])
    return rows + [list(r) for r in extra]


def _by_customer(out):
    head = out[0]
    return {r[0]: dict(zip(head, r)) for r in out[1:]}


def test_a_refund_is_not_an_order_and_does_not_make_a_customer_recent():
    base = _by_customer(REGISTRY["RFM_SEGMENT"](_book()))
    last_day = D0 + dt.timedelta(days=359)
    refunds = [[1001, last_day, -5.0]] + [[1002, D0 + dt.timedelta(days=200 + i), -1.0]
                                         for i in range(10)]
    with notices.collect() as said:
        got = _by_customer(REGISTRY["RFM_SEGMENT"](_book(refunds)))
    for c in (1001, 1002):
        assert got[c]["Recency"] == base[c]["Recency"]
        assert got[c]["Frequency"] == base[c]["Frequency"]
    assert got[1001]["Monetary"] == pytest.approx(base[1001]["Monetary"] - 5.0)
    assert got[1002]["Monetary"] == pytest.approx(base[1002]["Monetary"] - 10.0)
    assert any("11 lines with a negative amount read as refunds" in n for n in said)


def test_lines_of_one_order_are_one_order_in_both_functions():
    # Customer 2000 bought 25 products in one order: one row per product line.
    lines = [[2000, D0 + dt.timedelta(days=100), 4.0] for _ in range(25)]
    rfm = _by_customer(REGISTRY["RFM_SEGMENT"](_book(lines)))
    assert rfm[2000]["Frequency"] == 1 and rfm[2000]["Monetary"] == pytest.approx(100.0)
    value = _by_customer(REGISTRY["CUSTOMER_VALUE"](_book(lines)))
    assert value[2000]["Repeat purchases"] == 0


def test_a_date_far_from_all_others_is_refused_naming_its_row():
    rows = _book()
    rows.insert(7, [1003, dt.datetime(2042, 3, 1), 20.0])  # row 8 of the range: a typo for 2024
    for name in ("RFM_SEGMENT", "CUSTOMER_VALUE"):
        with pytest.raises(XLMError, match=r"orders row 8 has an order dated 2042-03-01"):
            REGISTRY[name](rows)

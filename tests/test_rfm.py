"""RFM_SEGMENT: scores worked out by hand, the segment grid, determinism, errors, Office.js."""

import datetime as dt

import numpy as np
import pytest

from tests import officejs
from xlmarketing import samples
from xlmarketing.cache import CACHE
from xlmarketing.cells import to_serial
from xlmarketing.core.rfm import SEGMENT_GRID, quintile_scores
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

RFM = REGISTRY["RFM_SEGMENT"]
D = dt.datetime
HEADER = ["Customer", "Recency", "Frequency", "Monetary", "R", "F", "M", "Code", "Segment"]

# Five customers; the last order is B's on 2025-06-30 (the default reference date).
ORDERS = [
    ["Customer", "Date", "Amount"],
    ["A", D(2025, 1, 5), 100], ["A", D(2025, 3, 1), 50], ["A", D(2025, 6, 28), 70],
    ["B", D(2025, 6, 30), 20],
    ["C", D(2024, 7, 1), 500], ["C", D(2024, 8, 1), 300],
    ["D", D(2025, 5, 1), 10], ["D", D(2025, 5, 20), 15],
    ["E", D(2024, 12, 24), 40],
]


def test_scores_codes_and_segments_worked_out_by_hand():
    # With 5 customers a score is 1 + the number of customers strictly worse.
    # Recency A 2, B 0, C 333, D 41, E 188 days -> R 4 5 1 3 2; orders 3 1 2 2 1 -> F 5 1 3 3 1;
    # spend 220 20 800 25 40 -> M 4 1 5 2 3.
    assert RFM(ORDERS) == [
        HEADER,
        ["A", 2, 3, 220.0, 4, 5, 4, "454", "Loyal"],
        ["B", 0, 1, 20.0, 5, 1, 1, "511", "New customers"],
        ["C", 333, 2, 800.0, 1, 3, 5, "135", "At risk"],
        ["D", 41, 2, 25.0, 3, 3, 2, "332", "Need attention"],
        ["E", 188, 1, 40.0, 2, 1, 3, "213", "Hibernating"],
    ]


def test_reference_date_moves_recency_not_scores_and_accepts_text_or_serial():
    later = RFM(ORDERS, "2025-12-31")
    assert [r[1] for r in later[1:]] == [186, 184, 517, 225, 372]
    assert [r[7] for r in later[1:]] == ["454", "511", "135", "332", "213"]
    assert RFM(ORDERS, to_serial(D(2025, 12, 31))) == later


def test_quintiles_share_a_score_on_ties_and_span_one_to_five():
    assert quintile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores(np.array([1, 1, 1, 1, 1, 1, 2, 3, 5, 8])).tolist() == [1] * 6 + [4, 4, 5, 5]
    assert quintile_scores(np.arange(10), higher_is_better=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_segment_grid_is_complete_and_names_the_corners():
    assert len(SEGMENT_GRID) == 5 and all(len(row) == 5 for row in SEGMENT_GRID)
    assert SEGMENT_GRID[4][4] == "Champions" and SEGMENT_GRID[0][0] == "Lost"
    assert SEGMENT_GRID[0][4] == "Can't lose them" and SEGMENT_GRID[4][0] == "New customers"


def test_row_order_and_office_js_serial_dates_give_the_same_answer():
    frame = samples.orders(60, seed=3)
    rows = [[c, to_serial(d), a] for c, d, a in frame.itertuples(index=False)]
    first = RFM(rows)
    assert len(first) == 61 and first[0] == HEADER
    perm = np.random.default_rng(0).permutation(len(rows))
    CACHE.clear()
    assert RFM([rows[i] for i in perm]) == first
    [res] = officejs.call([("RFM_SEGMENT", [rows, officejs.arg(None), officejs.arg(None)])])
    assert res["value"] == first


def test_cached_and_numeric_customer_ids_stay_numbers():
    rows = [[i % 7 + 1, 45000 + i, 10.0 + i] for i in range(40)]
    CACHE.clear()
    out = RFM(rows)
    assert [r[0] for r in out[1:]] == [1, 2, 3, 4, 5, 6, 7]
    out[1][0] = "edited"  # a caller editing its result does not change the next answer
    assert RFM([list(r) for r in rows])[1][0] == 1
    assert CACHE.fits["rfm"] == 1


@pytest.mark.parametrize("orders, ref, message", [
    ([["A", 45000, 1, 2]] * 6, None,
     "#VALUE! RFM_SEGMENT: orders must have 3 columns (customer, order date, amount), got 4."),
    ([["A", 45000, "lots"], ["B", 45001, 3], ["C", 45002, "many"]] * 3, None,
     "#VALUE! RFM_SEGMENT: orders has the text 'lots' in row 1 of the amount column"),
    ([["A", "yesterday", 5], ["B", "soon", 3]] * 3, None,
     "#VALUE! RFM_SEGMENT: orders has 'yesterday' in row 1 of the date column (column 2), which is not a date."),
    ([["A", 20250101, 5]] * 6, None,
     "#VALUE! RFM_SEGMENT: orders has 20250101 in row 1 of the date column"),
    ([["A", 45000, 5], ["B", 45001, None]] + [["C", 45002, 1]] * 5, None,
     "#VALUE! RFM_SEGMENT: orders row 2 has no amount. Fill it in or clear the whole row."),
    ([["A", 45000, 5], ["B", 45001, 3]], None,
     "#NUM! RFM_SEGMENT: orders holds 2 customers; this needs at least 5."),
    (ORDERS, "2025-01-01",
     "#NUM! RFM_SEGMENT: reference_date is 2025-01-01, before the last order (2025-06-30)."),
    (ORDERS, "someday", "#VALUE! RFM_SEGMENT: reference_date must be a date, got 'someday'."),
    # an order 292+ years after 1899 (beyond pandas 2's nanosecond timedelta) is still named
    ([["C0", 106752.0, 1.0]], 46000,
     "#NUM! RFM_SEGMENT: reference_date is 2025-12-09, before the last order (2192-04-09)."),
])
def test_bad_input_gets_one_clear_line(orders, ref, message):
    with pytest.raises(XLMError) as e:
        RFM(orders, ref)
    assert str(e.value).startswith(message)
    assert "\n" not in str(e.value)


def _as_text(orders, forms):
    """ORDERS with each date written as text, in turn in each of ``forms`` (strftime)."""
    return [orders[0]] + [[c, d.strftime(forms[i % len(forms)]), a]
                          for i, (c, d, a) in enumerate(orders[1:])]


def test_day_first_text_dates_in_several_formats_equal_real_dates():
    # '05/01/2025' is 5 January: '30/06/2025' elsewhere in the column settles day first.
    text = _as_text(ORDERS, ["%d/%m/%Y", "%d %B %Y", "%B %d, %Y"])
    assert text[1][1] == "05/01/2025" and text[4][1] == "30/06/2025"
    CACHE.clear()
    assert RFM(text) == RFM(ORDERS)
    assert RFM(text, "31/12/2025") == RFM(ORDERS, "2025-12-31")


def test_text_dates_no_day_settles_are_asked_about_or_read_in_the_culture():
    early = [ORDERS[0]] + [[c, d.replace(day=min(d.day, 12)), a] for c, d, a in ORDERS[1:]]
    text = _as_text(early, ["%d/%m/%Y", "%d %B %Y"])
    with pytest.raises(XLMError) as e:
        RFM(text)
    assert e.value.text == (
        "#VALUE! RFM_SEGMENT: orders column \"Date\" has dates that read day first or month first, "
        "and no day above 12 settles which: '05/01/2025' in row 2 of the range. Enter real dates, "
        "or write them as year-month-day (2024-03-04).")
    from xlmarketing import parsing
    with parsing.use_culture("en-GB"):
        assert RFM(text) == RFM(early)
    with pytest.raises(XLMError, match=r"^#VALUE! RFM_SEGMENT: reference_date has dates that read "
                                       r"day first or month first"):
        RFM(ORDERS, "03/04/2025")

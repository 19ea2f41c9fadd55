"""Messy exports shaped like real CRM and shop files: the right answer or a clear error.

Issue 11, items 1-3: ID-like columns, numeric header rows, one parse rule per column (number
separators, accounting negatives, percent signs, d/m/Y against m/d/Y, the caller's culture).
Each case asserts its expected number or its exact error text.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from xlmarketing import cells, parsing
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY
from xlmarketing.functions.forecast import read_history

from tests.test_segment import blobs

KMEANS, PROFILE, SEG_K = REGISTRY["KMEANS_SEGMENT"], REGISTRY["SEGMENT_PROFILE"], REGISTRY["SEGMENT_K"]


pytestmark = pytest.mark.usefixtures("cache_cleared_after")


PROB, DRIVERS, METRICS = REGISTRY["CHURN_PROB"], REGISTRY["CHURN_DRIVERS"], REGISTRY["CHURN_METRICS"]


def segments(out):
    return np.array([r[0] for r in out[1:]])


# --------------------------------------------------------------------------- 1. ID-like columns


def test_a_customer_id_column_is_left_out_of_segments_and_said_so():
    rows, truth = blobs()
    data = [["CustomerID", "Spend", "Visits"]] + [[1000 + i] + r for i, r in enumerate(rows)]
    assert adjusted_rand_score(truth, segments(KMEANS(data, 3))) == 1.0
    assert "CustomerID (mean)" in PROFILE(data, 3, keep_ids=True)[0]  # kept on purpose
    prof = PROFILE(data, 3)
    assert prof[0][:5] == ["Segment", "Customers", "Share", "Spend (mean)", "Visits (mean)"]
    assert prof[-1] == ["Note", "CustomerID left out: it looks like an ID (distinct whole numbers in "
                        "steps of 1). Set keep_ids to TRUE to use it."] + [""] * (len(prof[0]) - 2)
    assert [r[1] for r in prof[1:4]] == [60, 40, 20]
    assert SEG_K(data, 4)[-1][:2] == ["Note", prof[-1][1]]


def test_code_like_text_ids_are_left_out_and_score_data_follows():
    rows, _ = blobs()
    data = [["Customer", "Spend", "Visits"]] + [[f"C-{i:05d}"] + r for i, r in enumerate(rows)]
    prof = PROFILE(data, 3)
    assert prof[-1][1] == ("Customer left out: it looks like an ID (every value is a distinct "
                           "code). Set keep_ids to TRUE to use it.")
    assert "Customer (most common)" not in prof[0]


def churn_sorted_by_status(n=400, seed=3):
    """A CRM export sorted by status: the ID runs with the outcome, the features barely do."""
    rng = np.random.default_rng(seed)
    churned = np.sort(rng.random(n) < 0.3)  # False first: sorted by status
    spend = rng.gamma(2.0, 50.0, n) * np.where(churned, 0.85, 1.0)
    calls = rng.poisson(np.where(churned, 2.5, 1.8))
    head = [["CustomerID", "Spend", "Support calls"]]
    data = head + [[i + 1, round(float(s), 2), int(c)] for i, (s, c) in enumerate(zip(spend, calls))]
    labels = [["Churned"]] + [["Yes" if c else "No"] for c in churned]
    return data, labels


def test_churn_ignores_an_id_that_leaks_the_sort_order():
    data, labels = churn_sorted_by_status()
    drivers = DRIVERS(data, labels)
    names = [r[0] for r in drivers[1:] if r[0] != "Note"]
    assert "CustomerID" not in names and set(names) == {"Spend", "Support calls"}
    assert drivers[-1][:2] == ["Note", "CustomerID left out: it looks like an ID (distinct whole "
                               "numbers in steps of 1). Set keep_ids to TRUE to use it."]
    auc = dict((r[0], r[1]) for r in METRICS(data, labels)[1:])["ROC AUC"]
    assert auc < 0.8  # an honest, modest model
    leaky = dict((r[0], r[1]) for r in METRICS(data, labels, keep_ids=True)[1:])["ROC AUC"]
    assert leaky > 0.95  # what the ID would have shown: leakage dressed as a great model
    assert DRIVERS(data, labels, keep_ids=True)[1][0] == "CustomerID"
    assert METRICS(data, labels)[-1][0] == "Note"


def test_score_data_leaves_out_the_same_id_by_name_and_by_position():
    data, labels = churn_sorted_by_status()
    whole = PROB(data, labels)
    by_name = PROB(data, labels, [data[0]] + data[1:6])
    assert by_name[1:] == whole[1:6]
    by_position = PROB(data, labels, data[1:6])  # no header: matched by position
    assert by_position == whole[1:6]


def test_few_rows_or_repeats_are_not_ids():
    t = cells.read_table([["n", "x"]] + [[i, float(i % 2)] for i in range(1, 8)])
    assert cells.id_columns(t) == {}  # 7 rows prove nothing
    t = cells.read_table([["n"]] + [[i // 2] for i in range(40)])
    assert cells.id_columns(t) == {}  # repeats
    t = cells.read_table([["Account No"]] + [[v] for v in np.random.default_rng(0).permutation(
        np.arange(10_000, 10_210, 7)).tolist()])
    assert cells.id_columns(t) == {"Account No": "distinct whole numbers in steps of 7"}
    t = cells.read_table([["Account No"]] + [[v] for v in [5, 91, 17, 300, 42, 8, 77, 1234, 56, 9,
                                                           610, 33]])
    assert cells.id_columns(t) == {"Account No": "distinct whole numbers and the name says ID"}
    t = cells.read_table([["Paid"]] + [[v] for v in [5, 91, 17, 300, 42, 8, 77, 1234, 56, 9, 610, 33]])
    assert cells.id_columns(t) == {}  # "Paid" ends in "id" but does not say ID


# --------------------------------------------------------------------------- 2. numeric headers


def test_a_header_row_of_years_above_money_is_a_header():
    rng = np.random.default_rng(0)
    body = (rng.gamma(2, 400, size=(30, 3))).round(2).tolist()
    t = cells.read_table([[2019, 2020, 2021]] + body)
    assert t.header is True and t.columns == ["2019", "2020", "2021"] and t.n_rows == 30
    out = KMEANS([[2019, 2020, 2021]] + body, 2)
    assert out[0] == ["Segment"] and len(out) == 31


def test_consecutive_years_above_counts_and_dates_above_numbers_are_headers():
    import datetime as dt

    counts = [[int(a), int(b), int(c)] for a, b, c in
              np.random.default_rng(1).integers(0, 40, size=(12, 3))]
    assert cells.read_table([[2019.0, 2020.0, 2021.0]] + counts).header is True
    assert cells.read_table([["Region", 2022, 2023]] + [["north", 5, 7], ["south", 8, 1]]).header
    months = [dt.datetime(2024, m, 1) for m in (1, 2, 3)]
    assert cells.read_table([months] + counts).columns == ["2024-01-01", "2024-02-01", "2024-03-01"]


def test_years_that_are_data_stay_data():
    # A year column of birth years: the first row follows the pattern of the rows below.
    years = [[1980 + (i * 7) % 30, 1990 + (i * 3) % 20] for i in range(20)]
    assert cells.read_table(years).header is False
    # A single column of whole numbers around 2000 (units sold): 2000 is a sale, not a name.
    assert cells.read_table([[2000], [1500], [2500], [1800], [2200]]).header is False


def test_sales_forecast_does_not_count_a_year_header_as_a_sale():
    sales = [[2024]] + [[round(100 + 10 * np.sin(i) + i, 2)] for i in range(24)]
    hist = read_history(sales)
    assert hist.header is True and hist.y.size == 24 and 2024 not in hist.y.tolist()


# --------------------------------------------------------------------------- 3. number text


def test_german_thousands_need_the_culture_and_then_read_right():
    col = [["Spend"], ["1.234"], ["999"], ["2.500"], ["1.800"]]
    with pytest.raises(XLMError) as e:
        cells.read_table(col)
    assert e.value.text == ("#VALUE! data column \"Spend\" has number text that reads as 1.234 or "
                            "as 1234 depending on the decimal mark: '1.234' in row 2 of the range. "
                            "Enter the column as numbers, or write it without thousands "
                            "separators.")
    de = cells.read_table(col, culture="de-DE")
    assert de.frame["Spend"].tolist() == [1234.0, 999.0, 2500.0, 1800.0]
    assert de.notes == ["Spend: number text read with a decimal comma, as in de-DE."]
    with parsing.use_culture("en-US"):
        assert cells.read_table(col).frame["Spend"].tolist() == [1.234, 999.0, 2.5, 1.8]


@pytest.mark.parametrize("texts, expected", [
    (["1.234,5", "2,25", "10"], [1234.5, 2.25, 10.0]),
    (["1 234", "12 345,5", "7"], [1234.0, 12345.5, 7.0]),
    (["1\u00a0234", "5"], [1234.0, 5.0]),                        # no-break space (fr-FR)
    (["1'234", "1'000'000.5", "3"], [1234.0, 1000000.5, 3.0]),  # de-CH
    (["(1,234)", "1,000", "-5"], [-1234.0, 1000.0, -5.0]),      # accounting negatives
    (["$1,234.50", "€12", "40 €"], [1234.5, 12.0, 40.0]),
    (["15%", "7.5%", "100%"], [0.15, 0.075, 1.0]),
])
def test_number_text_in_every_common_form(texts, expected):
    t = cells.read_table([["Amount"]] + [[x] for x in texts])
    assert t.kinds["Amount"] == "number"
    assert t.frame["Amount"].tolist() == pytest.approx(expected)


def test_percent_next_to_plain_numbers_is_refused():
    with pytest.raises(XLMError) as e:
        cells.read_table([["Discount"], ["15%"], [15], ["20%"]])
    assert e.value.text == ("#VALUE! data column \"Discount\" mixes percentages and plain numbers: "
                            "'15%' in row 2 of the range. Write every value as a percentage, or "
                            "none (15% or 0.15, not 15).")


def test_two_number_formats_in_one_column_are_refused():
    with pytest.raises(XLMError) as e:
        cells.read_table([["Spend"], ["1.234,5"], ["1,234.5"]])
    assert e.value.text == ("#VALUE! data column \"Spend\" mixes two number formats: '1.234,5' in "
                            "row 2 of the range. It also has '1,234.5'; write the whole column "
                            "with one decimal mark (1234.5 or 1234,5).")


def test_profile_mean_of_german_money_text_with_the_culture():
    rows, _ = blobs()
    de = [["Spend", "Visits"]] + [[f"{s:,.2f}".replace(",", " ").replace(".", ",").replace(" ", "."),
                                   v] for s, v in rows]
    plain = [["Spend", "Visits"]] + rows
    with parsing.use_culture("de-DE"):
        assert PROFILE(de, 3) == PROFILE(plain, 3)
    # The decimal comma settles it even without a culture here ("2.512,34").
    assert PROFILE(de, 3) == PROFILE(plain, 3)


# --------------------------------------------------------------------------- 3. dates


def test_day_first_monthly_dates_are_months_not_days():
    dates = [f"01/{m:02d}/2023" for m in range(1, 13)] + ["15/01/2024"]
    sales = [["Month", "Sales"]] + [[d, 100 + i] for i, d in enumerate(dates)]
    hist = read_history(sales)
    assert hist.calendar.period == "month"  # not twelve consecutive days
    assert hist.y.size == 13 and hist.filled == 0


def test_month_first_dates_read_month_first():
    t = cells.read_table([["When"], ["01/31/2024"], ["02/01/2024"]])
    assert t.kinds["When"] == "date"
    assert t.frame["When"].tolist() == [45322.0, 45323.0]  # 31 Jan and 1 Feb 2024


def test_undecidable_dates_ask_with_an_example_cell_and_the_fix():
    with pytest.raises(XLMError) as e:
        cells.read_table([["When", "Spend"], ["01/02/2024", 1], ["03/04/2024", 2]])
    assert e.value.text == ("#VALUE! data column \"When\" has dates that read day first or month "
                            "first, and no day above 12 settles which: '01/02/2024' in row 2 of the "
                            "range. Enter real dates, or write them as year-month-day "
                            "(2024-03-04).")
    uk = cells.read_table([["When", "Spend"], ["01/02/2024", 1], ["03/04/2024", 2]], culture="en-GB")
    assert uk.frame["When"].tolist() == [45323.0, 45385.0]  # 1 Feb, 3 Apr


def test_mixed_date_orders_are_refused():
    with pytest.raises(XLMError, match=r"mixes day-first and month-first dates \('31/01/2024' is "
                                       r"day first\): '01/31/2024' in row 3 of the range"):
        cells.read_table([["When"], ["31/01/2024"], ["01/31/2024"]])


def test_times_with_am_pm_follow_the_column_day_order():
    # pandas alone reads '03/04/2024 10:00 AM' month first and '13/04/2024' day first.
    t = cells.read_table([["When"], ["03/04/2024 10:00 AM"], ["13/04/2024 11:30 PM"]])
    assert t.frame["When"].tolist() == [45385 + 10 / 24, 45395 + 23.5 / 24]  # 3 and 13 April
    with pytest.raises(XLMError, match=r"no day above 12 settles which: '03/04/2024 10:00 AM' in "
                                       r"row 2 of the range\. Enter real dates"):
        cells.read_table([["When"], ["03/04/2024 10:00 AM"], ["05/04/2024 11:00 PM"]])
    with parsing.use_culture("de-DE"):
        de = cells.read_table([["When"], ["03/04/2024 10:00 AM"], ["05/04/2024 12:15 AM"]])
    assert de.frame["When"].tolist() == [45385 + 10 / 24, 45387 + 0.25 / 24]
    assert de.notes == ["When: dates read day first, as in de-DE."]


def test_a_named_format_with_numeric_day_and_month_asks_or_follows_the_culture():
    with pytest.raises(XLMError, match=r"no day above 12 settles which: '03 04 2024' in row 2"):
        cells.read_table([["When"], ["03 04 2024"], ["05 06 2024"]])
    assert cells.read_table([["When"], ["03 04 2024"], ["13 06 2024"]]).frame["When"].tolist() == [
        45385.0, 45456.0]  # 3 April, 13 June
    assert cells.read_table([["When"], ["03 04 2024"], ["05 06 2024"]],
                            culture="en-US").frame["When"].tolist() == [45355.0, 45418.0]
    # Year first is year-month-day in every culture: never 2024-04-03.
    assert cells.read_table([["When"], ["2024.03.04"], ["2024.05.06"]],
                            culture="de-DE").frame["When"].tolist() == [45355.0, 45418.0]


def test_dates_in_several_formats_read_in_one_day_order():
    texts = ["3 March 2024", "March 4, 2024", "13/04/2024", "03/04/2024", "03 04 2024", "Jan 2024"]
    got = parsing.parse_dates(texts)
    assert [got[t] for t in texts] == [45354.0, 45355.0, 45395.0, 45385.0, 45385.0, 45292.0]
    assert parsing.parse_dates(["yesterday", "45385", "4 March 2024"]) == {"4 March 2024": 45355.0}
    with pytest.raises(parsing.ParseError, match=r"no day above 12 settles which: '03 04 2024'"):
        parsing.parse_dates(["3 March 2024", "03 04 2024"])
    assert parsing.parse_dates(["3 March 2024", "03 04 2024"],
                               culture=parsing.culture_info("en-GB"))["03 04 2024"] == 45385.0


def test_sales_dates_in_several_formats_equal_real_dates():
    import datetime as dt

    months = [dt.datetime(2023, m, 1) for m in range(1, 13)] + [dt.datetime(2024, 1, 13)]
    forms = ["%d/%m/%Y", "%d %B %Y", "%B %d, %Y"]
    text = [[d.strftime(forms[i % 3]), 100 + i] for i, d in enumerate(months)]
    real = [[d, 100 + i] for i, d in enumerate(months)]
    a, b = read_history([["Month", "Sales"]] + text), read_history([["Month", "Sales"]] + real)
    assert a.calendar == b.calendar and a.calendar.period == "month"
    assert a.y.tolist() == b.y.tolist() == list(range(100, 113))


# --------------------------------------------------------------------------- culture via Office.js

_RUNNER = r"""
import asyncio, json, sys
import xlwings as xw
from xlmarketing import parsing, udfs

req = json.load(sys.stdin)
out = []
async def main():
    for culture, func, args in req:
        payload = {"func_name": func, "args": args, "version": xw.__version__, "client": "Office.js",
                   "caller_address": "Sheet1!Z1", "formula_name": func, "culture_info_name": culture,
                   "date_format": "dd.mm.yyyy", "runtime": "1.4"}
        try:
            out.append({"value": await parsing.custom_functions_call(payload, udfs)})
        except Exception as exc:
            out.append({"error": str(exc)})
asyncio.run(main())
json.dump(out, sys.stdout)
"""


def test_a_date_among_numbers_is_refused_not_read_as_its_serial_day():
    """Excel turns "3-4" typed into a spend column into 4 March: never a silent 45355."""
    rows, _ = blobs()
    data = [["Spend", "Visits"]] + [list(r) for r in rows]
    data[6][0] = dt.datetime(2024, 3, 4)
    with pytest.raises(XLMError, match=r'^#VALUE! KMEANS_SEGMENT: data column "Spend" holds '
                                       r"numbers but row 7 has the date 2024-03-04"):
        REGISTRY["KMEANS_SEGMENT"](data, 3)


def test_a_few_numbers_among_dates_are_serial_days_and_said_so():
    """A date cell that lost its format (45300) is that day; a non-date number is refused."""
    start = dt.datetime(2024, 1, 1)
    dates = [start + dt.timedelta(days=3 * i) for i in range(20)]
    visits = [float(i % 5) for i in range(20)]
    as_dates = [["Joined", "Visits"]] + [[d, v] for d, v in zip(dates, visits)]
    lost = [list(r) for r in as_dates]
    lost[4][0] = float((dates[3] - dt.datetime(1899, 12, 30)).days)
    table = cells.read_table(lost)
    assert table.kinds["Joined"] == cells.DATE
    assert table.frame["Joined"].tolist() == cells.read_table(as_dates).frame["Joined"].tolist()
    assert any("1 number(s) among the dates read as dates" in n for n in table.notes)
    lost[4][0] = 12.5
    with pytest.raises(XLMError, match=r'column "Joined" holds dates but row 5 has the number 12.5'):
        cells.read_table(lost)


def test_officejs_culture_reaches_the_cell_adapter():
    rows, _ = blobs()
    text = [["Spend", "Visits"]] + [[f"{round(s):,}".replace(",", "."), v] for s, v in rows]
    plain = [["Spend", "Visits"]] + [[float(round(s)), v] for s, v in rows]
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    req = [("de-DE", "SEGMENT_PROFILE", [text, [[3]]]),
           ("de-DE", "SEGMENT_PROFILE", [plain, [[3]]]),
           ("en-US", "SEGMENT_PROFILE", [text, [[3]]])]
    proc = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps(req),
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    de, ref, us = json.loads(proc.stdout)
    assert de["value"][:4] == ref["value"][:4]
    assert de["value"][-1][:2] == ["Note", "Spend: number text read with a decimal comma, as in "
                                           "de-DE."]
    # en-US reads '2.512' as 2.512: the same call then means other numbers (no silent mix).
    assert us["value"][:4] != ref["value"][:4]
    assert us["value"][-1][1] == "Spend: number text read with a decimal point, as in en-US."


def test_officejs_culture_reaches_recommend_quantities_and_order_dates():
    shop = [["Customer", "Item", "Qty"], ["ann", "bread", "1.000"], ["ann", "milk", "2"],
            ["bob", "bread", "1"], ["bob", "jam", "1"], ["cat", "milk", "1"], ["cat", "jam", "3"],
            ["dan", "bread", "1"], ["dan", "milk", "1"]]
    numbers = [shop[0]] + [[c, i, 1000.0 if q == "1.000" else float(q)] for c, i, q in shop[1:]]
    # Day first with no day above 12, in two written formats: only the culture settles it.
    days = [(5, 1), (1, 3), (8, 6), (10, 6), (1, 7), (1, 8), (1, 5), (12, 5), (11, 12)]
    who = "AAABCCDDE"
    text = [["Customer", "Date", "Amount"]] + [
        [c, f"{d:02d}/{m:02d}/2025" if k % 2 else f"{d} {MONTHS[m - 1]} 2025", 10.0 * (k + 1)]
        for k, (c, (d, m)) in enumerate(zip(who, days))]
    serial = [text[0]] + [[c, float(cells.to_serial(dt.date(2025, m, d))), 10.0 * (k + 1)]
                          for k, (c, (d, m)) in enumerate(zip(who, days))]
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    req = [("de-DE", "RECOMMEND", [shop]), (None, "RECOMMEND", [numbers]),
           ("en-US", "RECOMMEND", [shop]), ("de-DE", "RFM_SEGMENT", [text]),
           (None, "RFM_SEGMENT", [serial]), ("en-US", "RFM_SEGMENT", [text])]
    proc = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps(req),
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    de, ref, us, rfm_de, rfm_ref, rfm_us = json.loads(proc.stdout)
    assert de["value"] == ref["value"]
    assert us["value"] != ref["value"]  # '1.000' is 1 in en-US: another input, not a cache hit
    assert rfm_de["value"] == rfm_ref["value"]
    assert rfm_us["value"] != rfm_ref["value"]  # month first: '05/01/2025' is 1 May


def _recency_churn():
    """500 customers whose churn follows the days since their last purchase (2023-2025)."""
    rng = np.random.default_rng(3)
    days = rng.gamma(2.0, 60.0, 500).astype(int)
    spend = np.round(rng.gamma(3.0, 20.0, 500), 2)
    visits = rng.poisson(4, 500)
    logit = -1.0 + 0.02 * (days - 120) - 0.1 * (visits - 4) + rng.normal(0, 0.7, 500)
    last = [dt.datetime(2025, 6, 30) - dt.timedelta(days=int(d)) for d in days]
    labels = [["Churned"]] + [["Yes" if v > 0 else "No"] for v in logit]
    return last, spend, visits, labels


def test_a_date_typo_reads_the_same_as_dates_serial_days_and_text():
    """A date typed 1924 among 2020s dates: Windows sends it as a datetime, Excel on the web and
    Mac as its serial day (8831), a CSV as text. All three are that date (the column's
    recency), not a number that makes the column an amount (AUC 0.97 -> 0.61, its top driver
    gone)."""
    last, spend, visits, labels = _recency_churn()
    encodings = {"datetime": lambda d: d, "serial": lambda d: float(cells.to_serial(d)),
                 "text": lambda d: d.strftime("%Y-%m-%d")}
    results = {}
    for how, enc in encodings.items():
        data = [["Last purchase", "Spend", "Visits"]] + [
            [enc(d), float(s), int(v)] for d, s, v in zip(last, spend, visits)]
        data[5][0] = enc(dt.datetime(1924, 3, 5))
        drivers = [r for r in DRIVERS(data, labels) if r[0] != "Note"]
        results[how] = (METRICS(data, labels)[1], drivers, PROB(data, labels, data))
    auc, drivers, prob = results["datetime"]
    assert auc[0] == "ROC AUC" and round(auc[1], 4) == 0.9700
    assert drivers[1][0] == "Last purchase (days ago) (log)" and round(drivers[1][1], 2) == 4.08
    assert results["serial"] == results["text"] == results["datetime"]
    # The serial days as Office.js sends them (the real xlwings call path): the same drivers.
    serial = [["Last purchase", "Spend", "Visits"]] + [
        [float(cells.to_serial(d)), float(s), int(v)] for d, s, v in zip(last, spend, visits)]
    serial[5][0] = float(cells.to_serial(dt.datetime(1924, 3, 5)))
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.run([sys.executable, "-c", _RUNNER], capture_output=True, text=True,
                          input=json.dumps([("en-US", "CHURN_DRIVERS", [serial, labels])]),
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [got] = json.loads(proc.stdout)
    body = [r for r in got["value"] if r[0] != "Note"]
    assert [r[0] for r in body] == [r[0] for r in drivers]
    assert [r[1] for r in body[1:]] == pytest.approx([r[1] for r in drivers[1:]], rel=1e-9)
    notes = [r[1] for r in got["value"] if r[0] == "Note"]
    assert any(n.startswith("Last purchase: numbers read as dates (Excel serial days") and
               "1924-03-05 to 2025-06-" in n for n in notes)


def test_numbers_under_a_date_header_stay_numbers_unless_they_are_serial_days():
    """Only a header naming a date with serial days of 1950-2100 makes numbers dates: counts of
    days, amounts to date and numbers under other headers stay numbers."""
    serials = [float(cells.to_serial(dt.date(2024, 1, 1) + dt.timedelta(days=9 * i))) for i in range(30)]
    days = [float(3 * i) for i in range(30)]
    kinds = {}
    for head, col in (("Signup date", serials), ("Customer since", serials), ("Week", serials),
                      ("Income", serials), ("Days since last purchase", days),
                      ("Days since signup", serials), ("Spend to date", serials),
                      ("Last order value", serials), ("Signup date", days),
                      ("Tenure (months)", serials)):
        kinds[head, col is serials] = cells.read_table([[head]] + [[v] for v in col]).kinds[head]
    assert kinds == {("Signup date", True): cells.DATE, ("Customer since", True): cells.DATE,
                     ("Week", True): cells.DATE, ("Income", True): cells.NUMBER,
                     ("Days since last purchase", False): cells.NUMBER,
                     ("Days since signup", True): cells.NUMBER,
                     ("Spend to date", True): cells.NUMBER,
                     ("Last order value", True): cells.NUMBER,
                     ("Signup date", False): cells.NUMBER,
                     ("Tenure (months)", True): cells.NUMBER}


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


# --------------------------------------------------------------------------- properties

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

#: How each culture writes 1234567.5 (group, decimal): the texts tables are re-expressed in.
LOCALES = {"de-DE": (".", ","), "fr-FR": ("\u00a0", ","), "de-CH": ("'", "."), "en-US": (",", ".")}


def in_locale(x: float, culture: str, decimals: int) -> str:
    group, dec = LOCALES[culture]
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\0").replace(".", dec).replace("\0", group)


def customer_table(seed: int, n: int):
    """Spend (money, 2 decimals), Orders (whole numbers up to thousands), Channel, and a churn
    outcome that depends on them: what a shop export holds."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    spend = np.round(rng.gamma(2.0, 300.0, n) * (1 + group), 2)
    orders = rng.integers(0, 4000, n) // (1 + group)
    channel = rng.choice(["web", "store", "app"], n)
    logit = 1.5 * (group == 0) - 0.8 * (channel == "web") + rng.normal(0, 1, n)
    churned = logit > np.quantile(logit, 0.65)
    header = ["Spend", "Orders", "Channel"]
    rows = [[float(s), int(o), str(c)] for s, o, c in zip(spend, orders, channel)]
    labels = [["Churned"]] + [["Yes" if c else "No"] for c in churned]
    return header, rows, labels


def seg_and_prob(header, rows, labels, **kw):
    seg = [r[0] for r in KMEANS([header] + rows, 3, **kw)[1:]]
    prob = [r[0] for r in PROB([header] + rows, labels, **kw)[1:]]
    return np.array(seg), np.array(prob, dtype=float)


PROPS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(seed=st.integers(0, 10_000), n=st.integers(40, 90), perm_seed=st.integers(0, 1000))
def test_shuffling_rows_changes_no_segment_or_probability(seed, n, perm_seed):
    header, rows, labels = customer_table(seed, n)
    seg, prob = seg_and_prob(header, rows, labels)
    order = np.random.default_rng(perm_seed).permutation(n)
    seg2, prob2 = seg_and_prob(header, [rows[i] for i in order],
                               [labels[0]] + [labels[1 + i] for i in order])
    assert (seg2 == seg[order]).all()
    np.testing.assert_allclose(prob2, prob[order], rtol=1e-6, atol=1e-9)


@PROPS
@given(seed=st.integers(0, 10_000), n=st.integers(40, 90), at=st.integers(0, 3),
       codes=st.booleans(), start=st.integers(1, 100_000))
def test_adding_an_id_column_changes_no_segment_or_probability(seed, n, at, codes, start):
    header, rows, labels = customer_table(seed, n)
    seg, prob = seg_and_prob(header, rows, labels)
    ids = [f"C-{start + i:06d}" for i in range(n)] if codes else [start + i for i in range(n)]
    h2 = header[:at] + ["Customer ID"] + header[at:]
    r2 = [r[:at] + [ident] + r[at:] for r, ident in zip(rows, ids)]
    seg2, prob2 = seg_and_prob(h2, r2, labels)
    assert (seg2 == seg).all()
    np.testing.assert_allclose(prob2, prob, rtol=1e-9, atol=1e-12)


@PROPS
@given(seed=st.integers(0, 10_000), n=st.integers(40, 90),
       names=st.lists(st.text("abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=12)
                      .map(str.strip).filter(bool), min_size=3, max_size=3, unique=True))
def test_renaming_headers_changes_no_segment_or_probability(seed, n, names):
    header, rows, labels = customer_table(seed, n)
    seg, prob = seg_and_prob(header, rows, labels)
    seg2, prob2 = seg_and_prob([n.title() + " x" for n in names], rows, labels)
    assert (seg2 == seg).all()
    np.testing.assert_allclose(prob2, prob, rtol=1e-9, atol=1e-12)


@PROPS
@given(seed=st.integers(0, 10_000), n=st.integers(40, 90), culture=st.sampled_from(sorted(LOCALES)))
def test_numbers_as_another_locales_text_with_its_culture_change_nothing(seed, n, culture):
    header, rows, labels = customer_table(seed, n)
    seg, prob = seg_and_prob(header, rows, labels)
    text = [[in_locale(s, culture, 2), in_locale(o, culture, 0), c] for s, o, c in rows]
    with parsing.use_culture(culture):
        seg2, prob2 = seg_and_prob(header, text, labels)
    assert (seg2 == seg).all()
    np.testing.assert_allclose(prob2, prob, rtol=1e-9, atol=1e-12)


def test_forecast_accuracy_says_when_the_culture_settled_the_dates():
    dates = [f"01/{m:02d}/{y}" for y in (2021, 2022, 2023) for m in range(1, 13)]
    sales = [["Month", "Sales"]] + [[d, 100 + 10 * (i % 12) + i] for i, d in enumerate(dates)]
    with pytest.raises(XLMError, match=r"'01/02/2021' in row 3 of the range"):
        REGISTRY["FORECAST_ACCURACY"](sales)
    with parsing.use_culture("en-GB"):
        out = REGISTRY["FORECAST_ACCURACY"](sales)
        hist = read_history(sales)
    assert hist.calendar.period == "month" and hist.y.size == 36
    assert out[-1][:2] == ["Note", "Month: dates read day first, as in en-GB."]

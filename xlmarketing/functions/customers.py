"""RFM_SEGMENT and CUSTOMER_VALUE: per-customer answers from an order list.

``orders`` is three columns, in this order: customer (an ID or a name), order date, amount.
A header row is optional. Dates may be real dates (Windows Excel, openpyxl), Excel serial day
numbers (Office.js sends dates as numbers) or date text ("2025-03-31"). One output row per
customer, customers sorted by ID (numbers first, then text), so the answer does not depend on
the order of the rows.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .. import cells, notices
from ..cache import CACHE
from ..cells import CATEGORY, Table
from ..core import clv
from ..core import orders as core_orders
from ..core import rfm as core_rfm
from ..errors import XLMError, col_label
from ..parsing import ParseError, current_culture, parse_dates
from . import Cells, sheet_function
from .spec import HEADER_ARG, Arg, Float, call_key, range_of

MAX_HORIZON_MONTHS = 120
_WHOLE = re.compile(r"-?[1-9]\d{0,14}|0")


def _rows(table: Table) -> np.ndarray:
    return np.flatnonzero(table.row_mask) + 1 + int(table.header)


def _customers(frame: pd.DataFrame, col: str, kind: str) -> np.ndarray:
    """Customer IDs: read as labels (cells' identity rule, so 1004 and '1004' are one customer
    and 2 text IDs among 38 numbers are IDs, not typos); whole-number IDs back as numbers, so
    they sort as numbers."""
    if kind == CATEGORY:
        out = frame[col].to_numpy(dtype=object)
        number = {v: int(v) for v in pd.unique(out[pd.notna(out)]) if _WHOLE.fullmatch(v)}
        if number:
            out = np.array([number.get(v, v) if isinstance(v, str) else v for v in out], dtype=object)
        return out
    vals = frame[col].to_numpy(dtype=np.float64)
    whole = np.isfinite(vals) & (vals == np.round(vals))
    out = vals.astype(object)
    out[whole] = vals[whole].astype(np.int64).tolist()  # IDs 1001, not 1001.0
    return out


def _dates(frame: pd.DataFrame, col: str, kind: str, rows: np.ndarray) -> np.ndarray:
    if kind == CATEGORY:  # dates in several written formats: one day order for the column
        return cells.text_dates(frame[col].tolist(), name="orders", column=col, rows=rows)
    out = frame[col].to_numpy(dtype=np.float64)
    bad = np.flatnonzero(np.isfinite(out) & ((out < cells.SERIAL_MIN) | (out > cells.SERIAL_MAX)))
    if bad.size:
        i = int(bad[0])
        raise XLMError("#VALUE!", f"orders has {out[i]:.15g} in row {rows[i]} of the date column "
                       f"({col_label(col)}), which is not a date. Enter order dates there.")
    return out


def read_orders(values: Any, header: bool | None) -> pd.DataFrame:
    """The order frame (customer, day, amount) a range holds, or a clear XLMError."""
    table = cells.read_table(values, name="orders", header=header, id_columns=(0,))
    cols = table.columns
    if len(cols) != 3:
        raise XLMError("#VALUE!", f"orders must have 3 columns (customer, order date, amount), "
                       f"got {len(cols)}. Select just those three columns, in that order.")
    rows = _rows(table)
    cust_c, date_c, amount_c = cols
    if table.kinds[amount_c] == CATEGORY:
        cells.refuse_text(table, amount_c, where=f"of the amount column ({col_label(amount_c)})",
                          fix="The columns must be customer, order date, amount.")
    frame = pd.DataFrame({
        core_orders.CUSTOMER: _customers(table.frame, cust_c, table.kinds[cust_c]),
        core_orders.DAY: _dates(table.frame, date_c, table.kinds[date_c], rows),
        core_orders.AMOUNT: table.frame[amount_c].to_numpy(dtype=np.float64),
    })
    missing = frame.isna().to_numpy()
    if missing.any():
        i, j = (int(v[0]) for v in np.nonzero(missing))
        what = ("customer", "order date", "amount")[j]
        raise XLMError("#VALUE!", f"orders row {rows[i]} has no {what}. Fill it in or clear the "
                       "whole row.")
    frame.attrs["rows"] = rows.tolist()  # each line's row in the range, for messages
    return frame


def order_book(values: Any, header: bool | None, reference_date: float | None,
               min_customers: int = 1) -> core_orders.OrderBook:
    """The checked order book of an order range, a far-off date named by its row."""
    frame = read_orders(values, header)
    try:
        return core_orders.order_book(frame, reference_date, min_customers=min_customers)
    except core_orders.FarDate as exc:
        raise XLMError("#VALUE!", exc.render(f"orders row {frame.attrs['rows'][exc.index]}")
                       ) from None


def _say(notes: list[str]) -> None:
    """The order list's notes (refunds, lines of one order) into the refresh report, each call."""
    for note in notes:
        notices.say(f"orders: {note}")


def _param_date(value: Any, name: str) -> float | None:
    v = cells.scalar(value)
    if v is None:
        return None
    if isinstance(v, float) and cells.SERIAL_MIN <= v <= cells.SERIAL_MAX:
        return v
    if isinstance(v, str):
        try:  # the same reading as a date column of one cell, in the caller's culture
            serial = parse_dates([v], culture=current_culture()).get(v)
        except ParseError as exc:
            raise XLMError("#VALUE!", f"{name} {exc}.") from None
        if serial is not None:
            return serial
    raise XLMError("#VALUE!", f"{name} must be a date, got {cells._show(value)}. Enter a date such "
                   "as 2025-12-31, or leave it blank to use the last order date.")


def _label_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A result frame (customer first, then numbers, then any text) as JSON-safe cells.

    Built column-wise: tens of thousands of customers make the per-cell path of
    :func:`cells.to_cells` the slowest step of the whole call.
    """
    columns = []
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            arr = col.to_numpy(dtype=np.float64) if col.dtype.kind == "f" else col.to_numpy()
            values = arr.astype(object)
            if arr.dtype.kind == "f":
                values[~np.isfinite(arr)] = ""
            columns.append(values.tolist())
        else:
            columns.append(["" if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                            else v for v in col.tolist()])
    return [list(frame.columns)] + [list(r) for r in zip(*columns)]


_ORDERS = Arg("Your order list: three columns, in this order: customer ID, order date, amount. "
              "One row per order. A header row is optional and detected.")
_REFERENCE = Arg('The "today" of the analysis. Blank: the last order date in the list, so the '
                 "answer does not change from one day to the next.", _param_date)


@sheet_function("RFM_SEGMENT", "RFM segmentation from an order list: per customer, days since "
                "the last order, number of orders, total spend, their 1-5 scores, the RFM code "
                "(e.g. 545) and a named segment (Champions, Loyal, At risk, Hibernating, Lost...).",
                args={"orders": _ORDERS, "reference_date": _REFERENCE, "header": HEADER_ARG})
def rfm_segment(orders: Any, reference_date: float | None = None, header: bool | None = None) -> Cells:
    """Per customer: Recency (days), Frequency (orders), Monetary (total), R, F, M scores 1-5,
    the RFM code and the named segment (see :data:`xlmarketing.core.rfm.SEGMENT_GRID`)."""
    rng = range_of(orders)

    def fit() -> tuple[Cells, list[str]]:
        book = order_book(rng, header, reference_date, min_customers=5)
        return _label_rows(core_rfm.rfm(book)), book.notes

    rows, notes = CACHE.get_or_fit("rfm", call_key(), fit)
    _say(notes)
    return [list(r) for r in rows]  # a copy: a caller editing its result cannot change the cache


def _purchase_model(value: Any, name: str) -> str:
    v = cells.scalar(value)
    text = "".join(str(v or "").lower().split()).replace("/", "").replace("-", "")
    if text in ("", "default"):
        return clv.BGNBD_MODEL
    if text in clv.PURCHASE_MODELS:
        return text
    if text == "pareto":
        return clv.PARETO_MODEL
    raise XLMError("#VALUE!", f'{name}="{v}" is not a purchase model. Use "bgnbd" (default), '
                   '"mbgnbd" (lets customers drop out after their first purchase too) or '
                   '"paretonbd" (customers drop out at any time).')


@sheet_function("CUSTOMER_VALUE", "What each customer is likely to be worth: expected purchases "
                "over the next months, the probability of still being active and the expected value "
                "(BG/NBD and Gamma-Gamma); with discount or margin, the discounted expected margin "
                "(CLV).", args={
    "orders": _ORDERS,
    "horizon_months": Arg("How many months ahead to value (default 12).",
                          Float(default=12.0, lo=0.0, hi=MAX_HORIZON_MONTHS, lo_open=True)),
    "reference_date": _REFERENCE, "header": HEADER_ARG,
    "discount": Arg("Monthly discount rate, e.g. 0.008 (about 10% a year). Set, it adds a "
                    "Discounted margin column: each month's expected purchases x expected value x "
                    "margin / (1 + discount)^month, summed over the horizon.",
                    Float(default=None, lo=0.0, hi=1.0)),
    "margin": Arg("Share of revenue you keep, e.g. 0.3 for a 30% margin (default 1: revenue). "
                  "Set, it adds the Discounted margin column.",
                  Float(default=None, lo=0.0, hi=1.0, lo_open=True)),
    "model": Arg('Purchase model: "bgnbd" (default), "mbgnbd" or "paretonbd". BG/NBD counts a '
                 "customer who never bought again as surely active, however long ago; MBG/NBD "
                 "lets them drop out too; Pareto/NBD lets anyone drop out at any time.",
                 _purchase_model),
})
def customer_value(orders: Any, horizon_months: float = 12.0, reference_date: float | None = None,
                   header: bool | None = None, discount: float | None = None,
                   margin: float | None = None, model: str = clv.BGNBD_MODEL) -> Cells:
    """Per customer: repeat purchases so far, expected purchases over the horizon (BG/NBD),
    probability of still being active, expected purchase value (Gamma-Gamma) and expected
    value over the horizon; with discount or margin, the discounted expected margin."""
    rng = range_of(orders)

    def fit() -> tuple[clv.ValueModel, list[str]]:
        book = order_book(rng, header, reference_date)
        return clv.fit_value_model(book, model), book.notes

    # horizon, discount and margin are applied to the fitted model afterwards
    fitted, notes = CACHE.get_or_fit("customer_value", call_key(
        drop=("horizon_months", "discount", "margin")), fit)
    _say(notes)
    if model == clv.BGNBD_MODEL:
        one_time = int((fitted.summary["x"] == 0).sum())
        if one_time:
            notices.say(f"CUSTOMER_VALUE: BG/NBD gives the {one_time:,} customers without a repeat "
                        "purchase a probability active of 1, however long ago they bought (the "
                        'model only lets customers drop out after a repeat). model="mbgnbd" lets '
                        "them drop out too.")
    return _label_rows(clv.customer_value(fitted, horizon_months, discount, margin))

"""Order lists (customer, date, amount) summarised per customer, for RFM and customer value.

Dates are serial day numbers (days since 1899-12-30, possibly with a time of day). Customers
come out sorted by their label (numbers numerically, then texts), so the answer does not depend
on the order of the rows.

What an order list means, for every function that reads one:

* **An order is a customer's purchase day.** Lines of one customer on one day are one order
  (a line-level export with one row per product gives one order, not 25), as in the BG/NBD
  literature's purchase occasions.
* **Negative amounts are refunds.** They net into the money (total and repeat spend) but are not
  orders and do not make a customer recent; a customer with refunds only is left out. Both are
  said in :attr:`OrderBook.notes`.
* **A date far outside the rest is refused** (:class:`FarDate`, naming the line): a typo such
  as 2042 for 2024 would otherwise become everybody's "today" (recency of thousands of days, a
  probability of being active near 0). Far means more than a year, and more than the span of
  all the other dates, beyond the nearest other date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataError, InsufficientData, ParameterError
from .serial import date_of

#: Column names of the order frame the core works on.
CUSTOMER, DAY, AMOUNT = "customer", "day", "amount"


@dataclass
class OrderBook:
    """Orders of many customers, validated, with the reference day ("today" of the analysis)."""

    frame: pd.DataFrame          # customer, day (float serial), amount; one row per line
    reference_day: float
    customers: list              # sorted customer labels (customers with a purchase)
    notes: list[str] = field(default_factory=list)  # what was read other than as given

    @property
    def last_day(self) -> float:
        return float(self.frame.loc[self.frame[AMOUNT] >= 0, DAY].max())


def _sorted_labels(labels: list) -> list:
    """Numbers first (numerically), then texts; the common all-one-kind cases without a key."""
    kinds = set(map(type, labels))
    if kinds <= {int, float} or kinds == {str}:
        return sorted(labels)
    return sorted(labels, key=_sort_key)


def _sort_key(label: object) -> tuple:
    return (0, float(label), "") if isinstance(label, (int, float)) else (1, 0.0, str(label))


class FarDate(DataError):
    """A date far outside the others (``index``: its position in the frame given)."""

    def __init__(self, index: int, day: float, nearest: float):
        self.index = index
        # {param}: "orders", or where the line is ("orders row 17") when the caller knows
        super().__init__(f"{{param}} has an order dated {_iso(day)}, more than a year and more "
                         f"than the span of all other dates away from the nearest one "
                         f"({_iso(nearest)}). Correct the date (a typo?) or remove the line.",
                         param="orders")


def _far_date(days: np.ndarray) -> int | None:
    """The position of a date far outside the others (see the module), or None."""
    u = np.unique(np.floor(days[np.isfinite(days)]))
    if u.size < 3:
        return None
    for gap, span, day in ((u[-1] - u[-2], u[-2] - u[0], u[-1]), (u[1] - u[0], u[-1] - u[1], u[0])):
        if gap > max(365.0, span):
            return int(np.flatnonzero(np.floor(days) == day)[0])
    return None


def _purchases(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The frame without customers who only have refunds, and notes on refunds and lines."""
    amount = frame[AMOUNT].to_numpy(dtype=np.float64)
    notes = []
    refund = amount < 0
    if refund.any():
        buyers = set(frame.loc[~refund, CUSTOMER].tolist())
        only = sorted(set(frame.loc[refund, CUSTOMER].tolist()) - buyers, key=_sort_key)
        notes.append(f"{_lines(int(refund.sum()))} with a negative amount read as refunds: "
                     "netted into the money, not counted as orders.")
        if only:
            notes.append(f"{_customers(len(only))} with refunds only left out (e.g. {only[0]}).")
            frame = frame[frame[CUSTOMER].isin(buyers)]
    day_n = np.floor(frame.loc[frame[AMOUNT] >= 0, DAY].to_numpy(dtype=np.float64))
    buys = frame.loc[frame[AMOUNT] >= 0, CUSTOMER]
    orders = len(pd.DataFrame({"c": buys.to_numpy(), "d": day_n}).drop_duplicates())
    if orders < len(buys):
        notes.append(f"{_lines(len(buys))} of purchases are {orders:,} orders: lines of one "
                     "customer on one day count as one order.")
    return frame, notes


def order_book(frame: pd.DataFrame, reference_day: float | None = None, *,
               min_customers: int = 1) -> OrderBook:
    """Check an order frame and fix its reference day (default: the last order's day)."""
    far = _far_date(frame[DAY].to_numpy(dtype=np.float64))
    if far is not None:
        days = np.floor(frame[DAY].to_numpy(dtype=np.float64))
        others = np.delete(days, np.flatnonzero(days == days[far]))
        raise FarDate(far, float(days[far]), float(others[np.abs(others - days[far]).argmin()]))
    frame, notes = _purchases(frame)
    if frame.empty:
        raise InsufficientData("{param} holds refunds only (negative amounts); it needs "
                               "purchases. Give the order list with its purchases.",
                               param="orders")
    last = float(frame.loc[frame[AMOUNT] >= 0, DAY].max())
    if reference_day is None:
        reference_day = float(np.floor(last))
    elif reference_day < np.floor(last):
        raise ParameterError(f"{{param}} is {_iso(reference_day)}, before the last order "
                             f"({_iso(last)}). Leave it blank to use the last order date, or give "
                             "a later date.", param="reference_date")
    customers = _sorted_labels(frame[CUSTOMER].unique().tolist())
    if len(customers) < min_customers:
        raise InsufficientData(f"{{param}} holds {_customers(len(customers))}; this needs at least "
                               f"{min_customers}. Include more customers' orders.", param="orders")
    return OrderBook(frame=frame, reference_day=float(reference_day), customers=customers,
                     notes=notes)


def _customers(n: int) -> str:
    return f"{n:,} customer" + ("" if n == 1 else "s")


def _lines(n: int) -> str:
    return f"{n:,} line" + ("" if n == 1 else "s")


def _iso(serial: float) -> str:
    # the standard library's dates: pandas 2's nanosecond Timedelta stops at 292 years
    return date_of(np.floor(serial)).isoformat()


def per_customer(book: OrderBook) -> pd.DataFrame:
    """Per customer (sorted): orders (purchase days), net amount, first and last order day
    (whole days), distinct purchase days, and the net amount spent after the first purchase
    day (never below 0)."""
    f = book.frame
    # Sums in a fixed order (by day, then amount), so shuffled rows give the same last digit.
    f = f.iloc[np.lexsort((f[AMOUNT].to_numpy(), f[DAY].to_numpy()))]
    f = f.assign(day_n=np.floor(f[DAY].to_numpy(dtype=np.float64)))
    buys = f[f[AMOUNT] >= 0]
    g = buys.groupby(CUSTOMER, sort=False)
    # Lines of one customer and day are one order, one purchase occasion for the purchase
    # models (as in the BG/NBD literature); refunds net into the money only.
    daily = buys.groupby([CUSTOMER, "day_n"], sort=False)[AMOUNT].sum().reset_index()
    days = daily.groupby(CUSTOMER, sort=False).size()
    out = pd.DataFrame({
        "orders": days,
        "amount": f.groupby(CUSTOMER, sort=False)[AMOUNT].sum(),
        "first": g["day_n"].min(),
        "last": g["day_n"].max(),
    })
    out["days"] = days
    first = out["first"].reindex(f[CUSTOMER]).to_numpy()
    later = f[f["day_n"].to_numpy() > first]
    repeat = later.groupby(CUSTOMER, sort=False)[AMOUNT].sum().clip(lower=0.0)
    out["repeat_amount"] = repeat.reindex(out.index).fillna(0.0)
    return out.reindex(pd.Index(book.customers, dtype=object))

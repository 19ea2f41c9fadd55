"""Order lists (customer, date, amount) summarised per customer, for RFM and customer value.

Dates are Excel serial day numbers (days since 1899-12-30, possibly with a time of day); the
core never sees a sheet. Customers come out sorted by their label (numbers numerically, then
texts), so the answer does not depend on the order of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InsufficientData, ParameterError
from .serial import date_of

#: Column names of the order frame the core works on.
CUSTOMER, DAY, AMOUNT = "customer", "day", "amount"


@dataclass
class OrderBook:
    """Orders of many customers, validated, with the reference day ("today" of the analysis)."""

    frame: pd.DataFrame          # customer, day (float serial), amount; one row per order
    reference_day: float
    customers: list              # sorted customer labels

    @property
    def last_day(self) -> float:
        return float(self.frame[DAY].max())


def _sorted_labels(labels: list) -> list:
    """Numbers first (numerically), then texts; the common all-one-kind cases without a key."""
    kinds = set(map(type, labels))
    if kinds <= {int, float} or kinds == {str}:
        return sorted(labels)
    return sorted(labels, key=_sort_key)


def _sort_key(label: object) -> tuple:
    return (0, float(label), "") if isinstance(label, (int, float)) else (1, 0.0, str(label))


def order_book(frame: pd.DataFrame, reference_day: float | None = None, *,
               min_customers: int = 1) -> OrderBook:
    """Check an order frame and fix its reference day (default: the last order's day)."""
    last = float(frame[DAY].max())
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
    return OrderBook(frame=frame, reference_day=float(reference_day), customers=customers)


def _customers(n: int) -> str:
    return f"{n} customer" + ("" if n == 1 else "s")


def _iso(serial: float) -> str:
    # the standard library's dates: pandas 2's nanosecond Timedelta stops at 292 years
    return date_of(np.floor(serial)).isoformat()


def per_customer(book: OrderBook) -> pd.DataFrame:
    """Per customer (sorted): orders, total amount, first and last order day (whole days),
    distinct purchase days, and the amount spent after the first purchase day."""
    f = book.frame
    # Sums in a fixed order (by day, then amount), so shuffled rows give the same last digit.
    f = f.iloc[np.lexsort((f[AMOUNT].to_numpy(), f[DAY].to_numpy()))]
    f = f.assign(day_n=np.floor(f[DAY].to_numpy(dtype=np.float64)))
    g = f.groupby(CUSTOMER, sort=False)
    out = pd.DataFrame({
        "orders": g.size(),
        "amount": g[AMOUNT].sum(),
        "first": g["day_n"].min(),
        "last": g["day_n"].max(),
    })
    # Several orders on one day count as one purchase occasion for the purchase models (as in
    # the BG/NBD literature), and the repeat spend is what was bought after the first day.
    daily = f.groupby([CUSTOMER, "day_n"], sort=False)[AMOUNT].sum().reset_index()
    out["days"] = daily.groupby(CUSTOMER, sort=False).size()
    first = daily.groupby(CUSTOMER, sort=False)["day_n"].transform("min")
    repeat = daily[daily["day_n"] > first].groupby(CUSTOMER, sort=False)[AMOUNT].sum()
    out["repeat_amount"] = repeat.reindex(out.index).fillna(0.0)
    return out.reindex(pd.Index(book.customers, dtype=object))

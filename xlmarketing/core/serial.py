"""Excel serial days: the one conversion between dates and day numbers.

Excel stores a date as the number of days since 1899-12-30 (its "1900 date system", with the
fraction the time of day), and every layer of xlmarketing does too: the cell adapter reads dates
into serial days, the model core works on them (a date column of a table, the days of an order
list, the periods of a sales history), and the workbook engine writes them back as dates.

The rule: this module is the only place that knows the epoch. It sits in the core, which
imports nothing above itself, so the core and everything above it (the cell layer, the parsing
of date text, the workbook engine) can all use it; the cell layer re-exports
:func:`to_serial` and :func:`from_serial` (``xlmarketing.cells.to_serial``). Standard library only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: Day 0 of Excel's serial days (1899-12-30, so that 1900-03-01 is day 61 as in Excel).
EPOCH = dt.datetime(1899, 12, 30)

#: Excel serial days of 1900-01-01 and 9999-12-31: a number outside is no date.
SERIAL_MIN, SERIAL_MAX = 1.0, 2958465.0


def to_serial(value: Any) -> float:
    """A date or datetime (also a pandas Timestamp or numpy datetime64, its time zone dropped)
    as Excel's serial day number: whole days for a date, with the time of day as a fraction."""
    if type(value).__name__ == "datetime64":   # numpy's, without importing numpy here
        import pandas as pd

        value = pd.Timestamp(value)
    if hasattr(value, "to_pydatetime"):          # a pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return (value - EPOCH).total_seconds() / 86400.0
    return float((value - EPOCH.date()).days)


def from_serial(serial: float) -> dt.datetime:
    """Serial day ``serial`` as a datetime (the fraction as the time of day)."""
    return EPOCH + dt.timedelta(days=float(serial))


def date_of(serial: float) -> dt.date:
    """The calendar day of a whole serial day number (callers round as their data needs)."""
    return EPOCH.date() + dt.timedelta(days=int(serial))

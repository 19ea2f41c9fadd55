"""Periods of a sales history: which calendar step the dates follow, and the regular grid.

Dates arrive as Excel serial day numbers (the cell adapter turns datetimes into serials, and
Office.js sends serials). Year numbers (2019, 2020, ...) are accepted as yearly periods, and
period codes YYYYMM (202301, 202302, ...) as months, their forecast periods named the same way
(202313 is never a period: after 202312 comes 202401).
Pure numpy/pandas; knows nothing of Excel beyond the serial-day convention. Errors are core
errors (:mod:`xlmarketing.core.errors`); ``name`` is the caller's word for the history in
messages (the ``{param}`` of the error).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace

import numpy as np

from .errors import DataError
from .serial import date_of, to_serial


#: period name -> (default season length, typical spacing in days)
PERIODS = {"day": (7, 1), "week": (52, 7), "month": (12, 30.4), "quarter": (4, 91.3),
           "year": (1, 365.25)}


def _date(serial: float) -> dt.date:
    return date_of(np.floor(serial + 1e-9))


def _serial(d: dt.date) -> float:
    return to_serial(d)


@dataclass
class Calendar:
    """The period of a dated history and how to name its future periods."""

    period: str               # day, week, month, quarter or year
    start: float              # serial (or year number) of the first period
    last: float               # serial (or year number) of the last period
    day_rule: str = "same"    # months/quarters: "first", "end" or "same" day of month
    years: bool = False       # dates were plain year numbers
    codes: bool = False       # dates were YYYYMM month codes (start and last are serials)

    @property
    def season(self) -> int:
        return PERIODS[self.period][0]

    def is_current(self, today: float) -> bool:
        """True when the last period is the one ``today`` (a serial day) falls in: still running."""
        if self.years:
            return int(self.last) == _date(today).year
        if self.period == "day":
            return int(self.last) == int(today)
        if self.period == "week":                    # a week is labelled by its first or last day
            return abs(today - self.last) <= 6
        last, now = _date(self.last), _date(today)
        div = {"month": 1, "quarter": 3, "year": 12}[self.period]
        return (last.year * 12 + last.month - 1) // div == (now.year * 12 + now.month - 1) // div

    def future(self, horizon: int) -> np.ndarray:
        """Serial numbers (or years) of the next ``horizon`` periods after the last one."""
        k = np.arange(1, horizon + 1)
        if self.years:
            return self.last + k
        if self.period == "day":
            return self.last + k
        if self.period == "week":
            return self.last + 7 * k
        step = {"month": 1, "quarter": 3, "year": 12}[self.period]
        d = _date(self.last)
        out = []
        if self.codes:  # the same names as the history's: YYYYMM
            months = d.year * 12 + d.month - 1 + step * k
            return (months // 12 * 100 + months % 12 + 1).astype(np.float64)
        for i in k:
            months = d.month - 1 + step * int(i)
            y, mo = d.year + months // 12, months % 12 + 1
            last_day = calendar.monthrange(y, mo)[1]
            day = 1 if self.day_rule == "first" else last_day if self.day_rule == "end" \
                else min(d.day, last_day)
            out.append(_serial(dt.date(y, mo, day)))
        return np.asarray(out)


def _month_index(serials: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ds = [_date(s) for s in serials]
    years = np.array([d.year for d in ds])
    months = np.array([d.month for d in ds])
    days = np.array([d.day for d in ds])
    return years, months, days


def _year_numbers(d: np.ndarray) -> bool:
    """Do sorted ``d`` read as year numbers: whole, 1000..3000, increasing, mostly by one?"""
    # Array methods rather than the np.* wrappers: on a short history the wrappers cost more
    # than the arithmetic (here and in infer_calendar's year path).
    if not ((d == d.round()).all() and d[0] >= 1000 and d[-1] <= 3000):
        return False
    steps = d[1:] - d[:-1]
    # Whole steps of at least one: their median is 1 exactly when more than half are 1
    # (counting is cheaper than np.median's sort).
    return bool((steps >= 1).all() and 2 * np.count_nonzero(steps == 1) > steps.size)


def _month_codes(d: np.ndarray) -> np.ndarray | None:
    """Sorted ``d`` as serial days (the first of each month) when they are YYYYMM codes."""
    if not ((d == d.round()).all() and d[0] >= 100001 and d[-1] <= 299912):
        return None
    month = d % 100
    if not ((month >= 1) & (month <= 12)).all():
        return None
    return np.array([_serial(dt.date(int(v) // 100, int(v) % 100, 1)) for v in d])


def infer_calendar(dates: np.ndarray, rows: np.ndarray, *, name: str = "history") -> tuple[Calendar, np.ndarray]:
    """The calendar of ``dates`` (serials, in row order) and each date's period index (0 = first).

    ``rows`` are the 1-based range rows of the dates, for messages. Raises a DataError when the
    spacing is not daily, weekly, monthly, quarterly or yearly, or two dates share a period.
    """
    dates = np.asarray(dates, dtype=np.float64)
    order = dates.argsort(kind="stable")
    d = dates[order]
    if d.size < 2:
        raise DataError(f"{{param}} has only {d.size} dated row. Give at least 3 periods "
                       "of history.", param=name)
    codes = _month_codes(d)
    if codes is not None:
        cal, idx = infer_calendar(codes[order.argsort()], rows, name=name)
        if cal.period != "month":
            raise DataError(f"{{param}}: the period codes {d[0]:.0f} to {d[-1]:.0f} read as "
                            f"months are one {cal.period} apart. Give one row per month.",
                            param=name)
        return replace(cal, codes=True), idx
    if _year_numbers(d):
        idx = (d - d[0]).astype(int)
        cal = Calendar("year", float(d[0]), float(d[-1]), years=True)
        return cal, _check_unique(idx, order, rows, name, "year")[order.argsort()]
    if d.min() < 1 or d.max() > 2958465:
        raise DataError(f"{{param}}: the first column should hold dates, but it holds "
                       f"{d.min():g} to {d.max():g}, which are not dates. Put dates (or year "
                       "numbers) in the first column and the values in the second.",
                        param=name)
    gaps = np.diff(np.floor(d))
    gaps = gaps[gaps > 0]
    step = float(np.median(gaps)) if gaps.size else 0.0
    if step == 0:
        raise DataError("{param}: all dates fall on the same day. Give one row per "
                       "day, week, month, quarter or year.", param=name)
    if step <= 1.5:
        period = "day"
    elif 5 <= step <= 9:
        period = "week"
    elif 26 <= step <= 35:
        period = "month"
    elif 85 <= step <= 95:
        period = "quarter"
    elif 350 <= step <= 380:
        period = "year"
    else:
        raise DataError(f"{{param}}: the dates are {step:g} days apart, which is not "
                       "daily, weekly, monthly, quarterly or yearly. Use one row per period.",
                        param=name)
    day0 = np.floor(d[0])
    if period == "day":
        idx = (np.floor(d) - day0).astype(int)
        rule = "same"
    elif period == "week":
        idx = np.round((np.floor(d) - day0) / 7).astype(int)
        rule = "same"
    else:
        years, months, days = _month_index(d)
        months_abs = years * 12 + months - 1
        div = {"month": 1, "quarter": 3, "year": 12}[period]
        pidx = months_abs // div
        idx = (pidx - pidx[0]).astype(int)
        ends = np.array([calendar.monthrange(int(y), int(m))[1] for y, m in zip(years, months)])
        rule = "first" if np.all(days == 1) else "end" if np.all(days == ends) else "same"
    _check_unique(idx, order, rows, name, period)
    cal = Calendar(period, float(d[0]), float(d[-1]), day_rule=rule)
    out = np.empty_like(idx)
    out[order] = idx
    return cal, out


def _check_unique(idx: np.ndarray, order: np.ndarray, rows: np.ndarray, name: str,
                  period: str) -> np.ndarray:
    same = idx[1:] == idx[:-1]
    if same.any():
        dup = same.nonzero()[0]
        a, b = sorted((int(rows[order[dup[0]]]), int(rows[order[dup[0] + 1]])))
        raise DataError(f"{{param}}: rows {a} and {b} fall in the same {period}. Give one "
                       f"row per {period} (add the two up first).", param=name)
    return idx


def fill_gaps(values: np.ndarray, *, max_gap: int, name: str = "history",
              what: str = "periods") -> tuple[np.ndarray, int]:
    """Interpolate missing (NaN) values linearly, as FORECAST.ETS does; returns (filled, count).

    Leading and trailing gaps are not allowed here (the caller trims them). A run of more than
    ``max_gap`` missing values, or more than 30% missing overall, raises a DataError.
    """
    y = np.asarray(values, dtype=np.float64).copy()
    miss = np.isnan(y)
    n_miss = int(miss.sum())
    if not n_miss:
        return y, 0
    if n_miss > 0.3 * y.size:
        raise DataError(f"{{param}} is missing {n_miss} of {y.size} {what} (more than "
                       "30%). Fill in the missing values or give a shorter, complete history.",
                        param=name)
    run, longest = 0, 0
    for m in miss:
        run = run + 1 if m else 0
        longest = max(longest, run)
    if longest > max_gap:
        raise DataError(f"{{param}} has {longest} missing {what} in a row; at most "
                       f"{max_gap} in a row are filled in by interpolation. Fill in the gap or "
                       "start the history after it.", param=name)
    t = np.arange(y.size)
    y[miss] = np.interp(t[miss], t[~miss], y[~miss])
    return y, n_miss

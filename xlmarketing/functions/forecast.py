"""SALES_FORECAST, FORECAST_ACCURACY, FORECAST_DRIVERS and FORECAST_OUTLIERS.

``sales`` is one column of history (oldest first), or two columns: dates, then sales. Two
columns always mean (dates, sales): the first column may hold real dates (Windows Excel and
openpyxl send datetimes), Excel serial day numbers (Office.js sends dates as numbers), date
text such as "2024-01" or year numbers (2019, 2020, ...). The period (day, week, month,
quarter, year) is inferred from the spacing, rows may come in any order, and missing periods
are filled by linear interpolation, as FORECAST.ETS does, up to a limit.

What real sales data does, and what happens to it:

* **A trailing partial period.** When the dates show that the last row is the current period
  (this month, this week, today) and its value is below the 90% range of what the rest of the
  history predicts, it is still running: it is left out of the fit, the forecast periods stay
  those after it (the first is forecast from the full history before it), and
  FORECAST_OUTLIERS lists it. The result then depends on today's date, by design.
* **Outliers and one-off spikes** are replaced by a robust fit's value for the fit (see
  :mod:`xlmarketing.core.forecast_clean`) and listed, with the value used, by
  FORECAST_OUTLIERS. Not with drivers: promotions are meant to make spikes.
* **Zeros and returns.** Where the history has no negative values, forecasts and lower bounds
  are never negative; intermittent sales (many zero periods) get the TSB method when its
  backtest is better.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .. import cells, notices
from ..cache import CACHE
from ..cells import CATEGORY
from ..core import forecast as core
from ..core import forecast_checks as checks
from ..core.forecast_calendar import Calendar, fill_gaps, infer_calendar
from ..core.forecast_seasons import YEAR
from ..errors import XLMError
from . import Cells, sheet_function
from .spec import HEADER_ARG, Arg, Float, Int, IntWording, call_key, key_of

MAX_HORIZON = 1000


@dataclass
class History:
    y: np.ndarray                      # regular history, gaps filled
    header: bool
    calendar: Calendar | None
    X: np.ndarray | None = None
    driver_names: list[str] = field(default_factory=list)
    filled: int = 0
    partial: tuple[float, float] | None = None   # (period, value) of a left-out partial period
    first_row: int = 1                 # range row (1-based, header included) of the first period
    notes: list[str] = field(default_factory=list)  # how text was read (cells.Table.notes)

    def period_label(self, i: int) -> float:
        """Period ``i`` of the history: its date serial (or year), or its range row undated."""
        cal = self.calendar
        if cal is None:
            return float(self.first_row + i)
        return cal.start if i == 0 else float(replace(cal, last=cal.start).future(i)[-1])

    @property
    def candidates(self) -> tuple[int, ...]:
        if self.calendar is None:
            return core.AUTO_SEASONS
        return (self.calendar.season,) if self.calendar.season > 1 else ()

    @property
    def year(self) -> float | None:
        """Periods in a year for daily and weekly data (their yearly season), else None."""
        return YEAR.get(self.calendar.period) if self.calendar is not None else None


# --------------------------------------------------------------------------- parameters


_HORIZON_WORDING = IntWording(
    unit=" of periods",
    fix="Enter a number such as 12.",
    negative="{name}={n} is negative. Enter how many periods ahead to forecast, at least 1.",
    zero="{name}=0 asks for no forecast. Enter how many periods ahead to forecast, at least 1.",
    too_high="{name}={n} is too far ahead; at most {hi} periods are forecast. Enter a smaller "
             "{name}.",
)

#: The ``horizon`` check: a whole number of periods from 1 to MAX_HORIZON; required, or
#: (FORECAST_ACCURACY's) optional, None when blank.
_horizon = Int(lo=1, hi=MAX_HORIZON, missing="Enter how many periods to forecast, e.g. 12.",
               wording=_HORIZON_WORDING)
_optional_horizon = Int(lo=1, hi=MAX_HORIZON, wording=_HORIZON_WORDING)

#: The ``season_length`` check: None to detect it ("auto", blank or 0), else 1..400.
_season = Int(lo=0, hi=400, auto=None, zero_is_auto=True)


_SALES = Arg("Sales history, oldest first: one column of sales, or two columns (dates, then "
             "sales) for daily, weekly, monthly or quarterly data. Missing periods are filled "
             "in. A header row is optional.")
_KNOWN = Arg("Optional drivers over the history, one row per sales row: price, promotion "
             "(1/0), advertising...")
_SEASON = Arg('Season length: blank or "auto" detects it (12 for months, 4 for quarters, 52 '
              "for weeks); 1 means no seasonality.", _season)
_INTERVAL = Arg("Optional coverage of a prediction interval, e.g. 0.95, to add Lower and Upper "
                "columns.", Float(lo=0.0, hi=1.0, lo_open=True, hi_open=True))


# --------------------------------------------------------------------------- reading history


def _max_gap(cal: Calendar | None) -> int:
    return max(3, (cal.season if cal else 1) // 4)


def _date_serials(table: cells.Columns, col: str, rows: np.ndarray) -> np.ndarray:
    if table.kinds[col] != CATEGORY:
        return table.numbers(col)
    # Dates in several written formats: one day order for the column.
    return cells.text_dates(table.table().frame[col].tolist(), name="sales", column=col,
                            rows=rows)


def read_history(sales: Any, known_drivers: Any = None, header: bool | None = None) -> History:
    """The regular history (and drivers) a range holds; see the module docstring."""
    grid = cells.as_grid(sales)
    if len(grid) == 1 and len(grid[0]) > 2:
        grid = [[v] for v in grid[0]]  # a single row of sales counts as a column
    width = len(grid[0])
    if width > 2:
        raise XLMError("#VALUE!", f"sales has {width} columns; it must be one column of sales, "
                       "or two columns: dates, then sales. Put price, promotion and other "
                       "drivers in known_drivers.")
    has_header = cells.resolve_header(grid, header)
    # The columns without their DataFrame: building it costs more than reading a short range.
    table = cells.read_columns(grid, name="sales", header=has_header, allow_text=width == 2)
    cols = table.columns
    # Array methods rather than the np.* wrappers below: on a short range those cost more
    # than the arithmetic.
    pos = table.row_mask.nonzero()[0]                 # body positions of the frame's rows
    rows = pos + 1 + int(has_header)                  # 1-based rows of the range
    yname = cols[-1]
    if table.kinds[yname] == CATEGORY:
        cells.refuse_text(table.table(), yname)
    values = table.numbers(yname)
    keep = ~np.isnan(values)
    if not keep.any():
        raise XLMError("#VALUE!", "sales has no numbers: every sales cell is blank. Select the "
                       "cells that hold your sales.")
    _refuse_huge(values, "sales")
    n_body = table.row_mask.size
    Xbody, dnames = _read_drivers(known_drivers, n_body, header) if known_drivers is not None \
        else (None, [])

    if width == 1:
        cal = None
        full = np.full(n_body, np.nan)
        full[pos] = values
        Xfull = Xbody
    else:
        dates = _date_serials(table, cols[0], rows)
        nodate = (np.isnan(dates) & keep).nonzero()[0]
        if nodate.size:
            raise XLMError("#VALUE!", f"sales row {rows[nodate[0]]} has a sales figure but no "
                           "date. Enter the date or clear the row.")
        cal, idx = infer_calendar(dates[keep], rows[keep], name="sales")
        full = np.full(int(idx.max()) + 1, np.nan)
        full[idx] = values[keep]
        Xfull = None
        if Xbody is not None:
            Xfull = np.full((full.size, Xbody.shape[1]), np.nan)
            Xfull[idx] = Xbody[pos[keep]]
    present = (~np.isnan(full)).nonzero()[0]
    lo, hi = int(present[0]), int(present[-1]) + 1
    y, filled = fill_gaps(full[lo:hi], max_gap=_max_gap(cal), name="sales")
    X = None
    if Xfull is not None:
        X = Xfull[lo:hi]
        for j in range(X.shape[1]):
            col = X[:, j]
            if np.isnan(col[0]) or np.isnan(col[-1]):
                raise XLMError("#VALUE!", f'known_drivers column "{dnames[j]}" is blank at the '
                               "start or end of the history. Fill in the driver for every "
                               "period with sales.")
            X[:, j], _ = fill_gaps(col, max_gap=_max_gap(cal), name="known_drivers")
    first_row = lo + 1 + int(has_header) if cal is None else 1
    return History(y, has_header, cal, X, dnames, filled, first_row=first_row,
                   notes=list(table.notes))


#: Beyond this, squared errors overflow float64 long before a forecast means anything.
HUGE = 1e100


def _refuse_huge(values: np.ndarray, name: str) -> None:
    # fmax skips NaN (blanks) and starts from 0: np.nanmax without its all-NaN check and warning.
    big = np.fmax.reduce(np.abs(values), axis=None, initial=0.0)
    if big > HUGE:
        raise XLMError("#NUM!", f"{name} holds numbers too large to forecast (up to {big:.3g}). "
                       "Enter them in larger units (thousands, millions) or fix the cells.")


def _read_drivers(values: Any, n_rows: int, header: bool | None) -> tuple[np.ndarray, list[str]]:
    table = cells.read_table(values, name="known_drivers", header=header, allow_text=False)
    if table.row_mask.size != n_rows:
        raise XLMError("#VALUE!", f"known_drivers has {table.row_mask.size} data rows but sales "
                       f"has {n_rows}. Select one row of drivers per row of sales, side by side.")
    X = np.full((n_rows, len(table.columns)), np.nan)
    X[table.row_mask] = table.frame.to_numpy(dtype=np.float64)
    _refuse_huge(X, "known_drivers")
    names = [c if not c.startswith("column ") else f"driver {c.split()[1]}" for c in table.columns]
    return X, names


def _read_future(values: Any, horizon: int, hist: History, header: bool | None) -> np.ndarray:
    if values is None or cells.as_grid(values) == [[None]]:
        raise XLMError("#VALUE!", "future_drivers is missing. With known_drivers, give the "
                       f"planned driver values for each of the {horizon} forecast periods.")
    table = cells.read_table(values, name="future_drivers", header=header, allow_text=False)
    n = table.row_mask.size
    if n != horizon:
        raise XLMError("#VALUE!", f"future_drivers has {n} rows but horizon is {horizon}. Give "
                       "one row of planned driver values per forecast period.")
    k = len(hist.driver_names)
    if len(table.columns) != k:
        raise XLMError("#VALUE!", f"future_drivers has {len(table.columns)} columns but "
                       f"known_drivers has {k}. Use the same driver columns in the same order.")
    if not table.row_mask.all():
        i = int(np.flatnonzero(~table.row_mask)[0])
        raise XLMError("#VALUE!", f"future_drivers row {i + 1 + table.header} is blank. Enter "
                       "the planned driver values for every forecast period.")
    F = table.frame.to_numpy(dtype=np.float64)
    if np.isnan(F).any():
        i, j = (int(a[0]) for a in np.nonzero(np.isnan(F)))
        raise XLMError("#VALUE!", f"future_drivers has a blank cell in row {i + 1 + table.header}, "
                       f"column {j + 1}. Enter the planned value of every driver.")
    _refuse_huge(F, "future_drivers")
    if table.header and all(not c.startswith("column ") for c in table.columns) \
            and set(table.columns) == set(hist.driver_names) and table.columns != hist.driver_names:
        F = F[:, [table.columns.index(c) for c in hist.driver_names]]
    return F


# --------------------------------------------------------------------------- fitting


@dataclass
class _Fit:
    hist: History
    fit: core.ForecastFit
    skip: int = 0              # forecast steps to drop (1 when a partial period was left out)
    X_last: np.ndarray | None = None   # the left-out period's drivers (its forecast step needs them)

    def forecast(self, X_future: np.ndarray | None) -> np.ndarray:
        return self.fit.forecast(self._future(X_future))[self.skip:]

    def interval(self, level: float, X_future: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.fit.interval(level, self._future(X_future))
        return lo[self.skip:], hi[self.skip:]

    def _future(self, X_future: np.ndarray | None) -> np.ndarray | None:
        if X_future is None or not self.skip:
            return X_future
        return np.vstack([self.X_last, X_future])


def today_serial() -> float:
    """Today as an Excel serial day number (the partial-period check compares dates with it)."""
    return cells.to_serial(dt.datetime.combine(dt.date.today(), dt.time()))


def leave_out_partial(hist: History, season: int | None, today: float) -> History | None:
    """The history without its last period if that is a partial current one, else None."""
    if not checks.partial_last(hist.y, hist.calendar, today, X=hist.X, season_length=season,
                               candidates=hist.candidates, driver_names=hist.driver_names):
        return None
    X = hist.X[:-1] if hist.X is not None else None
    return replace(hist, y=hist.y[:-1], X=X, partial=(hist.calendar.last, float(hist.y[-1])))


def fit_sales(sales: Any, horizon: int, known_drivers: Any, season: int | None,
              header: bool | None) -> _Fit:
    """The cached forecast fit for these raw inputs (future drivers are applied afterwards)."""
    today = today_serial()

    def fit() -> _Fit:
        hist = read_history(sales, known_drivers if cells.has_values(known_drivers) else None, header)
        _check_reach(horizon, hist.y.size)
        cut = leave_out_partial(hist, season, today)
        skip = 0 if cut is None else 1
        X_last = hist.X[-1:] if cut is not None and hist.X is not None else None
        h = cut or hist
        f = core.fit_forecast(h.y, horizon + skip, season_length=season, candidates=h.candidates,
                              X=h.X, driver_names=h.driver_names, year=h.year)
        return _Fit(h, f, skip, X_last)

    # Keyed by this helper's own arguments: FORECAST_OUTLIERS calls it with horizon 1 and no
    # drivers, SALES_FORECAST with its own (future drivers and interval are applied afterwards).
    key = key_of((sales, known_drivers), (horizon, season, header), int(today))
    res = CACHE.get_or_fit("forecast", key, fit)
    if horizon > res.hist.y.size:
        notices.say(f"sales: a forecast {horizon} periods ahead from {res.hist.y.size} periods "
                    "of history reaches further than the history itself; read it as a rough "
                    "guide.")
    return res


#: A forecast reaches at most this many times the length of the history.
MAX_REACH = 2


def _check_reach(horizon: int, n: int) -> None:
    """Refuse a horizon far longer than the history (3 months cannot say much about a year)."""
    if horizon > MAX_REACH * n:
        raise XLMError("#NUM!", f"horizon={horizon} is more than {MAX_REACH} times the {n} "
                       f"periods of history. Forecast at most {MAX_REACH * n} periods ahead, or "
                       "give a longer history.")


#: core parameter names -> the sheet arguments they come from
_ARGS = {"y": "sales", "X": "known_drivers"}


@sheet_function("SALES_FORECAST", "Forecasts the next periods of sales with trend, seasonality "
                "and optional drivers (price, promotion). Spills Period (with dates), Forecast "
                "and, with interval, Lower and Upper. FORECAST_OUTLIERS lists what it changed.",
                args={
    "sales": _SALES,
    "horizon": Arg("How many periods ahead to forecast, e.g. 12.", _horizon),
    "known_drivers": _KNOWN,
    "future_drivers": Arg("The planned driver values for each forecast period: one row per "
                          "period, same columns as known_drivers."),
    "season_length": _SEASON, "interval": _INTERVAL, "header": HEADER_ARG,
}, arg_names=_ARGS)
def sales_forecast(sales: Any, horizon: int, known_drivers: Any = None, future_drivers: Any = None,
                   season_length: int | None = None, interval: float | None = None,
                   header: bool | None = None) -> Cells:
    """The next ``horizon`` periods: [Period,] Forecast[, Lower, Upper]."""
    h, m, level, hd = horizon, season_length, interval, header
    has_known = cells.has_values(known_drivers)
    if not has_known and cells.has_values(future_drivers):
        raise XLMError("#VALUE!", "future_drivers is given but known_drivers is not. Give the "
                       "drivers' history in known_drivers too, or leave both out.")
    res = fit_sales(sales, h, known_drivers if has_known else None, m, hd)
    Xf = _read_future(future_drivers, h, res.hist, hd) if has_known else None
    fc = res.forecast(Xf)
    cols, labels = [], []
    if res.hist.calendar is not None:
        cols.append(res.hist.calendar.future(h))
        labels.append("Period")
    cols.append(fc)
    labels.append("Forecast")
    if level is not None:
        lo, hi = res.interval(level, Xf)
        cols += [lo, hi]
        labels += ["Lower", "Upper"]
    block = np.column_stack(cols).astype(object)
    return cells.to_cells(block, labels=labels if res.hist.header else None)


@sheet_function("FORECAST_ACCURACY", "How far to trust SALES_FORECAST: a backtest on your own "
                "history (MAE, RMSE, MAPE, sMAPE, MASE) next to the seasonal naive forecast "
                "(same period last year) and the best simple method (naive, drift, recent "
                "mean): does the model earn its keep?", args={
    "sales": _SALES,
    "horizon": Arg("Periods ahead to test (default: one season, e.g. 12 for months, or less "
                   "when the history is short).",
                   _optional_horizon),
    "season_length": _SEASON, "header": HEADER_ARG,
}, arg_names=_ARGS)
def forecast_accuracy(sales: Any, horizon: int | None = None, season_length: int | None = None,
                      header: bool | None = None) -> Cells:
    """Rolling-origin backtest: SALES_FORECAST against seasonal naive and the best simple peer."""
    hz, m_param, hd = horizon, season_length, header
    today = today_serial()

    def fit() -> dict[str, Any]:
        hist = read_history(sales, None, hd)
        return backtest(leave_out_partial(hist, m_param, today) or hist, hz, m_param), hist.notes

    r, notes = CACHE.get_or_fit("forecast_accuracy", call_key(int(today)), fit)
    rows: list[list[Any]] = [["Metric", "SALES_FORECAST", "Seasonal naive", "Best simple peer"]]
    for k in ("MAE", "RMSE", "MAPE", "sMAPE", "MASE"):
        rows.append([k, r.ours[k], r.naive[k], r.peer[k]])
    rows += [["Method", core.method_label(r.method, r.m), "seasonal naive", r.peer_name],
             ["Season length", r.m, r.m, r.m],
             ["Horizon", r.h, r.h, r.h],
             ["Backtest origins", r.origins, r.origins, r.origins]]
    return cells.with_notes(cells.to_cells(np.array(rows[1:], dtype=object), labels=rows[0]),
                            notes)


def backtest(hist: History, horizon: int | None, season: int | None) -> checks.Backtest:
    """FORECAST_ACCURACY's backtest of this history (see :func:`.forecast_checks.backtest`)."""
    cal_season = hist.calendar.season if hist.calendar is not None else 1
    return checks.backtest(hist.y, horizon, season_length=season, candidates=hist.candidates,
                           year=hist.year, calendar_season=cal_season)


@sheet_function("FORECAST_OUTLIERS", "What SALES_FORECAST changed in your history before "
                "forecasting: outliers (one-off spikes, typing slips) with the value it used "
                "instead, and a still-running current period it left out. Spills Period, Value, "
                "Value used, Note.", args={
    "sales": _SALES, "season_length": _SEASON, "header": HEADER_ARG,
}, arg_names=_ARGS)
def forecast_outliers(sales: Any, season_length: int | None = None,
                      header: bool | None = None) -> Cells:
    """What SALES_FORECAST changed in the history: outliers replaced, a partial period left out.

    One row per change: Period (date, year, or the range row without dates), Value as given,
    Value used by the fit (blank when the period was left out), Note. One row saying so when
    nothing was changed.
    """
    res = fit_sales(sales, 1, None, season_length, header)
    hist = res.hist
    rows: list[list[Any]] = []
    for o in sorted(res.fit.outliers, key=lambda o: o.index):
        rows.append([hist.period_label(o.index), o.value, o.used,
                     "outlier: far from the rest of the history; the fit used the value shown"])
    if hist.partial is not None:
        rows.append([hist.partial[0], hist.partial[1], None,
                     "partial period: the current period, far below what the history predicts; "
                     "left out of the fit"])
    if not rows:
        rows.append([None, None, None, "no outliers and no partial period: every period is "
                     "used as given"])
    return cells.to_cells(np.array(rows, dtype=object),
                          labels=["Period", "Value", "Value used", "Note"])


@sheet_function("FORECAST_DRIVERS", "The effect of each driver on sales, allowing for trend and "
                "season: coefficient, elasticity (e.g. -1.5: +1% price, -1.5% sales), % effect "
                "per unit, standard error and p-value.", args={
    "sales": _SALES,
    "known_drivers": Arg("The drivers over the history, one row per sales row: price, promotion "
                         "(1/0), advertising..."),
    "season_length": _SEASON, "header": HEADER_ARG,
}, arg_names=_ARGS)
def forecast_drivers(sales: Any, known_drivers: Any, season_length: int | None = None,
                     header: bool | None = None) -> Cells:
    """The effect of each driver: coefficient, elasticity, % effect per unit, std. error, p-value."""
    m_param, hd = season_length, header
    if not cells.has_values(known_drivers):
        raise XLMError("#VALUE!", "known_drivers is missing. Select the driver columns (price, "
                       "promotion, advertising...) next to the sales history.")

    def fit() -> tuple[core.DriverModel, list[str]]:
        hist = read_history(sales, known_drivers, hd)
        m = m_param if m_param is not None else core.detect_season_with_drivers(
            hist.y, hist.candidates, hist.X)
        if m > 1 and hist.y.size < 2 * m:
            raise XLMError("#NUM!", f"season_length={m} needs at least two full seasons "
                           f"({2 * m} periods) of history, got {hist.y.size}. Give a longer "
                           "history, a shorter season_length, or 1 for no seasonality.")
        return core.fit_drivers(hist.y, hist.X, hist.driver_names, m), hist.notes

    dm, notes = CACHE.get_or_fit("forecast_drivers", call_key(), fit)
    labels = ["Driver", "Coefficient", "Elasticity", "Effect per unit (%)", "Std. error",
              "p-value", "Model"]
    form = "log sales" if dm.log else "sales"
    block = [[r["driver"], r["coef"], r["elasticity"], r["pct"], r["se"], r["p"], form]
             for r in core.driver_table(dm)]
    return cells.with_notes(cells.to_cells(np.array(block, dtype=object), labels=labels), notes)

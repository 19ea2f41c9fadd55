"""MMM_FIT, MMM_CONTRIBUTION, MMM_RESPONSE and BUDGET_OPTIMIZE: media-mix modelling.

The family shares its data arguments: ``kpi`` (one column, one row per period, oldest first),
``spend`` (one column per channel, the same rows) and optional ``controls`` (price, promotion,
holidays: the same rows), then ``season`` and ``curve``. The four functions with the same data
and options share one cached fit, so the sheet fits the model once. See :mod:`..core.mmm`.

Rows: the periods are the rows from the first to the last with a KPI. A blank KPI between them
is refused (every period is needed for the carry-over); a blank spend cell is read as no spend
(said in a Note); a blank control cell is refused. Rows before or after the periods get blank
cells in MMM_CONTRIBUTION.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import cells
from ..cache import CACHE, Memo
from ..core import mmm as core
from ..core.errors import CoreError
from ..errors import XLMError, col_label
from . import Cells, sheet_function
from .spec import HEADER_ARG, SEED, Arg, Choice, Float, Int, key_of, range_of

#: season "auto": a yearly season of 52 weeks once there are this many periods.
AUTO_SEASON, AUTO_SEASON_MIN = 52, 78
MAX_PERIODS = 5000
MAX_CHANNELS = 20


# --------------------------------------------------------------------------- parameters


_SEASON_LENGTH = Int(lo=0, hi=400, auto=None)


def _season(value: Any, name: str) -> int | None:
    """None for "auto" (blank), else 0 for none (0 or 1) or a season length 2..400."""
    n = _SEASON_LENGTH(value, name)
    return n if n is None else 0 if n <= 1 else n


_holdout = Int(lo=0, hi=MAX_PERIODS, auto=None)
_AMOUNT = Float(lo=0.0)


def _budget(value: Any, name: str) -> float:
    if cells.scalar(value) is None:
        raise XLMError("#VALUE!", f"{name} is missing. Enter the total spend per period to share "
                       "between the channels, e.g. 50000.")
    return _AMOUNT(value, name)


_KPI = Arg("The KPI per period, oldest first: one column of sales, revenue or conversions (one "
           "row per week or month). A header row is optional.")
_SPEND = Arg("Spend per period on each channel: one column per channel (TV, Search, Social...), "
             "the same rows as kpi. Blank cells count as no spend.")
_CONTROLS = Arg("Optional other drivers over the same rows: price, promotion (1/0), holidays. "
                "They are allowed for, so media get no credit for them.")
_SEASON = Arg('Season length in periods: blank or "auto" uses 52 (a yearly season in weeks) '
              "when there are at least 78 periods, else none; 12 for months; 1 for no season.",
              _season)
_CURVE = Arg('Shape of diminishing returns: "hill" (default; may be S-shaped: little effect '
             'until spend builds up) or "logistic" (returns fall from the first dollar).',
             Choice(core.CURVES, "hill"))


# --------------------------------------------------------------------------- reading


@dataclass
class _Data:
    y: np.ndarray
    spend: np.ndarray
    controls: np.ndarray
    channels: list[str]
    control_names: list[str]
    header: bool                 # the kpi range has a header row
    n_rows: int                  # data rows of the kpi range
    first: int                   # row index (0-based, body) of the first period
    notes: list[str] = field(default_factory=list)
    spend_header: bool = True    # spend has a header row (its channels have names)


def _read_block(values: Any, name: str, header: bool | None, unnamed: str) -> tuple[np.ndarray, list[str], bool, list[str]]:
    cols = cells.read_columns(values, name=name, header=header, allow_text=False,
                              mixed_dates=False)
    X = np.column_stack([cols.values[c] for c in cols.columns]).astype(float)
    names = [f"{unnamed} {c.split()[1]}" if c.startswith("column ") else c for c in cols.columns]
    return X, names, cols.header, list(cols.notes)


def _row_text(rows: int, header: bool) -> str:
    return f"{rows} data rows" + (" plus a header row" if header else "")


def read_data(kpi: Any, spend: Any, controls: Any, header: bool | None) -> _Data:
    Y, ynames, yh, notes = _read_block(kpi, "kpi", header, "KPI")
    if Y.shape[1] != 1:
        raise XLMError("#VALUE!", f"kpi has {Y.shape[1]} columns; it must be one column (sales or "
                       "conversions per period). Put spend in spend and other drivers in controls.")
    X, channels, xh, xnotes = _read_block(spend, "spend", header, "Channel")
    notes += xnotes
    n_rows = Y.shape[0]
    if X.shape[0] != n_rows:
        raise XLMError("#VALUE!", f"spend has {_row_text(X.shape[0], xh)} but kpi has "
                       f"{_row_text(n_rows, yh)}. Select the same rows (periods) for both.")
    if X.shape[1] > MAX_CHANNELS:
        raise XLMError("#NUM!", f"spend has {X.shape[1]} channels; at most {MAX_CHANNELS} are "
                       "modelled. Combine small channels into one column.")
    Z, znames = np.zeros((n_rows, 0)), []
    if cells.has_values(controls):
        Z, znames, zh, znotes = _read_block(controls, "controls", header, "Control")
        notes += znotes
        if Z.shape[0] != n_rows:
            raise XLMError("#VALUE!", f"controls has {_row_text(Z.shape[0], zh)} but kpi has "
                           f"{_row_text(n_rows, yh)}. Select the same rows (periods) for all three.")
    y = Y[:, 0]
    filled = np.flatnonzero(~np.isnan(y))
    if filled.size == 0:
        raise XLMError("#VALUE!", "kpi has no numbers. Select the column that holds your sales "
                       "or conversions per period.")
    lo, hi = int(filled[0]), int(filled[-1]) + 1
    if hi - lo > MAX_PERIODS:
        raise XLMError("#NUM!", f"kpi has {hi - lo} periods; at most {MAX_PERIODS} are modelled. "
                       "Use weekly rather than daily data.")
    gap = np.flatnonzero(np.isnan(y[lo:hi]))
    if gap.size:
        r = lo + int(gap[0]) + 1 + int(yh)
        raise XLMError("#VALUE!", f"kpi row {r} is blank between periods with a KPI. Every period "
                       "is needed (spend carries over): enter its KPI, or select only the rows "
                       "after it.")
    Xp = X[lo:hi]
    blanks = int(np.isnan(Xp).sum())
    if blanks:
        notes.append(f"{blanks} blank spend cell{'s' if blanks > 1 else ''} read as no spend (0).")
        Xp = np.nan_to_num(Xp, nan=0.0)
    Zp = Z[lo:hi]
    if Zp.size and np.isnan(Zp).any():
        i, j = (int(a[0]) for a in np.nonzero(np.isnan(Zp)))
        raise XLMError("#VALUE!", f'controls has a blank cell in row {lo + i + 1 + int(yh)} '
                       f'("{znames[j]}"). Enter a value for every period with a KPI.')
    outside = [i for i in list(range(lo)) + list(range(hi, n_rows))
               if not np.all(np.isnan(X[i]))]
    if outside:
        notes.append(f"{len(outside)} row{'s' if len(outside) > 1 else ''} with spend but no KPI "
                     "left out (before the first or after the last KPI).")
    for arr, what in ((y[lo:hi], "kpi"), (Xp, "spend"), (Zp, "controls")):
        if arr.size and np.abs(arr).max() > 1e100:
            raise XLMError("#NUM!", f"{what} holds numbers too large to model. Enter them in "
                           "larger units (thousands, millions).")
    return _Data(y[lo:hi], Xp, Zp, channels, znames, yh, n_rows, lo, notes, spend_header=xh)


# --------------------------------------------------------------------------- the cached fit


@dataclass
class _Fit:
    data: _Data
    model: core.MMMFit
    season: int
    memo: Memo = field(default_factory=Memo)

    @property
    def notes(self) -> list[str]:
        return self.data.notes + self.model.notes


def _resolve_season(season: int | None, n: int) -> int:
    if season is None:
        return AUTO_SEASON if n >= AUTO_SEASON_MIN else 0
    return season


def _key(kpi, spend, controls, *opts) -> str:
    """Keyed by the shared fit's own arguments: the four MMM functions share one fit."""
    return key_of(tuple(range_of(v) for v in (kpi, spend, controls) if v is not None),
                  (controls is None, *opts))


def fit_mmm(kpi: Any, spend: Any, controls: Any, season: int | None, curve: str,
            header: bool | None) -> _Fit:
    """The cached model for these cells and options (fitted on a cache miss)."""
    controls = controls if cells.has_values(controls) else None

    def fit() -> _Fit:
        data = read_data(kpi, spend, controls, header)
        s = _resolve_season(season, data.y.size)
        model = core.fit(data.y, data.spend, data.controls, channel_names=data.channels,
                         control_names=data.control_names, season=s, curve=curve)
        return _Fit(data, model, s)

    return CACHE.get_or_fit("mmm", _key(kpi, spend, controls, season, curve, header), fit)


def _draws(fit: _Fit, key: str, seed: int) -> np.ndarray:
    return CACHE.get_or_fit("mmm_boot", key_of((), (key, seed)),
                            lambda: core.bootstrap_roi(fit.model, seed=seed))


def _num(v: float, digits: int = 6) -> float | str:
    """``v`` to ``digits`` significant digits; blank when not finite (an infinite marginal ROI
    at zero spend): NaN and infinity are no cell values, and no valid JSON for Office.js."""
    v = float(v)
    return float(f"{v:.{digits}g}") if math.isfinite(v) else ""


# --------------------------------------------------------------------------- MMM_FIT


@sheet_function("MMM_FIT", "Media-mix model: per channel, how long its effect carries over "
                "(decay), where returns halve, what it brought (contribution, share of the KPI), ROI "
                "with a range and the return on the next dollar (marginal ROI); then the fit's "
                "quality.", args={
    "kpi": _KPI, "spend": _SPEND, "controls": _CONTROLS, "season": _SEASON, "curve": _CURVE,
    "holdout": Arg('How many of the last periods to forecast as a check of the model (fitted '
                   'without them): blank or "auto" takes a tenth of the periods (4 to 13); 0 '
                   "skips the check.", _holdout),
    "interval": Arg("Coverage of the ROI range (default 0.9: a 90% range).",
                    Float(default=0.9, lo=0.0, hi=1.0, lo_open=True, hi_open=True)),
    "seed": SEED, "header": HEADER_ARG,
})
def mmm_fit(kpi: Any, spend: Any, controls: Any = None, season: int | None = None,
            curve: str = "hill", holdout: int | None = None, interval: float = 0.9, seed: int = 0,
            header: bool | None = None) -> Cells:
    """One row per channel, then fit-quality rows, then Note rows."""
    fit = fit_mmm(kpi, spend, controls, season, curve, header)
    m = fit.model
    key = _key(kpi, spend, controls if cells.has_values(controls) else None, season, curve, header)
    lo, hi = core.interval(_draws(fit, key, seed), interval, m.roi())
    contrib, roi, mroi = m.contribution(), m.roi(), m.marginal_roi()
    total_y = float(m.y.sum())
    pct = f"{interval:.0%}"
    head = ["Channel", "Decay", "Half-saturation spend", "Shape", "Spend", "Contribution",
            "Share of KPI", "ROI", f"ROI low ({pct})", f"ROI high ({pct})", "Marginal ROI"]
    rows: list[list[Any]] = [head]
    for c, ch in enumerate(m.channels):
        rows.append([ch.name, _num(ch.decay, 4), _num(ch.half), _num(ch.shape, 4),
                     _num(m.spend[:, c].sum()), _num(contrib[c]),
                     _num(contrib[c] / total_y, 4) if total_y else "", _num(roi[c]),
                     _num(lo[c]), _num(hi[c]), _num(mroi[c])])
    width = len(head)

    def line(label: str, value: Any) -> list[Any]:
        return [label, value] + [""] * (width - 2)

    rows.append(line("R² (in sample)", _num(m.r2, 4)))
    n = m.n
    h = min(13, max(4, n // 10)) if holdout is None else holdout
    notes = list(fit.notes)
    if h:
        if n - h < core.PERIODS_PER_PARAM * m.n_params:
            notes.append(f"holdout check skipped: without the last {h} periods too few remain to "
                         "fit the model.")
        else:
            try:
                err = CACHE.get_or_fit("mmm_holdout", key_of((), (key, h)), lambda: core.holdout_error(
                    m.y, m.spend, m.controls, h, season=fit.season, curve=curve))
            except CoreError as exc:  # e.g. a channel with no spend before the holdout
                notes.append(f"holdout check skipped: without the last {h} periods, "
                             f"{exc.render('kpi')}")
            else:
                rows.append(line(f"Holdout MAPE, last {h} periods (%)", _num(err["mape"], 4)))
                rows.append(line("Naive holdout MAPE (%)", _num(err["naive_mape"], 4)))
    rows.append(line("Periods", n))
    rows.append(line("Numbers estimated", m.n_params))
    rows.append(line("Season length", fit.season if fit.season else "none"))
    return cells.with_notes(rows, notes)


# --------------------------------------------------------------------------- MMM_CONTRIBUTION


@sheet_function("MMM_CONTRIBUTION", "Splits the KPI of each period into the base (level, trend "
                "and season), each control and each channel, with the model's fitted KPI (the "
                "sum of the parts). Spills one row per input row.", args={
    "kpi": _KPI, "spend": _SPEND, "controls": _CONTROLS, "season": _SEASON, "curve": _CURVE,
    "header": HEADER_ARG,
})
def mmm_contribution(kpi: Any, spend: Any, controls: Any = None, season: int | None = None,
                     curve: str = "hill", header: bool | None = None) -> Cells:
    fit = fit_mmm(kpi, spend, controls, season, curve, header)

    def build() -> Cells:
        m, d = fit.model, fit.data
        parts = [m.base()[:, None]]
        if m.controls.size:
            parts.append(m.control_effects())
        parts += [m.media(), m.fitted()[:, None]]
        block = np.hstack(parts)
        full = np.full((d.n_rows, block.shape[1]), np.nan)
        full[d.first:d.first + m.n] = block
        labels = ["Base"] + m.control_names + m.channel_names + ["Fitted"]
        return cells.to_cells(np.round(full, 6), labels=labels if d.header else None)

    return fit.memo.get("contribution", build)


# --------------------------------------------------------------------------- MMM_RESPONSE


@sheet_function("MMM_RESPONSE", "Each channel's response curve: the KPI per period that a "
                "steady spend per period brings, on a grid of spends from 0 (one column per "
                "channel). Where a curve flattens, more money buys little.", args={
    "kpi": _KPI, "spend": _SPEND,
    "max_spend": Arg("Largest spend per period on the grid (default: twice the largest "
                     "channel's average spend).", Float(lo=0.0, lo_open=True)),
    "points": Arg("Number of spend levels on the grid (default 21).", Int(default=21, lo=3, hi=501)),
    "controls": _CONTROLS, "season": _SEASON, "curve": _CURVE, "header": HEADER_ARG,
})
def mmm_response(kpi: Any, spend: Any, max_spend: float | None = None, points: int = 21,
                 controls: Any = None, season: int | None = None, curve: str = "hill",
                 header: bool | None = None) -> Cells:
    fit = fit_mmm(kpi, spend, controls, season, curve, header)
    m = fit.model
    top = max_spend if max_spend is not None else 2.0 * float(m.current_spend().max())
    grid = np.linspace(0.0, top, points)
    cols = [grid] + [ch.response(grid, m.curve) for ch in m.channels]
    block = np.round(np.column_stack(cols), 6)
    return cells.to_cells(block, labels=["Spend per period"] + m.channel_names)


# --------------------------------------------------------------------------- BUDGET_OPTIMIZE


def _bounds_header(first: list[Any]) -> bool:
    """A bounds range's first row is a header when its last two cells hold a word (no digit:
    "Lowest", "Max"); amounts written as text in any culture ("0,0", "1.000") hold digits."""
    return any(isinstance(v, str) and v.strip() and not any(ch.isdigit() for ch in v)
               for v in first[-2:])


def _read_bounds(bounds: Any, fit: _Fit, budget: float) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Lowest and highest spend per channel (0 and the budget where blank), and notes.

    The amounts are read column by column with the shared rule in the caller's culture. Three
    columns name their channels: matched by name to spend's header, or, when spend has no header
    row (its columns are "Channel 1", ...), by position unless the names are those."""
    model = fit.model
    C = len(model.channels)
    lo, hi = np.zeros(C), np.full(C, budget)
    if not cells.has_values(bounds):
        return lo, hi, []
    grid = cells.as_grid(bounds)
    width = len(grid[0])
    if width not in (2, 3):
        raise XLMError("#VALUE!", f"bounds has {width} columns; give two (lowest, highest spend "
                       "per period), one row per channel in the order of spend, or three "
                       "(channel name, lowest, highest).")
    has_header = _bounds_header(grid[0])
    cols = cells.read_columns(grid, name="bounds", header=has_header, mixed_dates=False,
                              id_columns=(0,) if width == 3 else ())
    notes = list(cols.notes)
    rows = np.flatnonzero(cols.row_mask)
    amounts = []
    for c in cols.columns[-2:]:
        v = cols.values[c]
        if cols.kinds[c] != cells.NUMBER:
            i = next(i for i in rows.tolist() if not pd.isna(v[i]))
            raise XLMError("#VALUE!", f"bounds {col_label(c)} must hold amounts of spend per "
                           f"period, but row {i + 1 + has_header} has {cells.show(v[i])}. Enter "
                           "a number or leave the cell blank (no limit).")
        amounts.append(v)
    shown = ", ".join(ch.name for ch in model.channels)
    if width == 3:
        labels = cols.values[cols.columns[0]]
        names = [cells.clean_text(ch.name).casefold() for ch in model.channels]
        keys = {int(i): ("" if pd.isna(labels[i]) else cells.clean_text(str(labels[i])).casefold()) for i in rows}
        by_name = fit.data.spend_header or all(k in names for k in keys.values())
        if by_name:
            order = []
            for i, k in keys.items():
                if k not in names:
                    raise XLMError("#VALUE!", f"bounds row {i + 1 + has_header} names the channel "
                                   f"{cells.show(labels[i])}, which is not a spend column. Use the "
                                   f"names in spend's header: {shown}.")
                order.append((names.index(k), i))
        elif len(rows) != C:
            raise XLMError("#VALUE!", f"bounds has {len(rows)} rows but spend has {C} channels "
                           f"and no header row to match their names ({shown}). Give one row per "
                           "channel in the order of spend's columns, or a header to spend.")
        else:
            order = list(enumerate(rows.tolist()))
            notes.append("bounds: spend has no header row, so its rows go with spend's columns "
                         "in order (their names are not matched).")
    else:
        if len(rows) != C:
            raise XLMError("#VALUE!", f"bounds has {len(rows)} rows but spend has {C} channels. "
                           "Give one row (lowest, highest) per channel, in the order of spend.")
        order = list(enumerate(rows.tolist()))
    for c, i in order:
        a, b = (float(x[i]) for x in amounts)
        va = None if math.isnan(a) else _AMOUNT(a, "bounds (lowest)")
        vb = None if math.isnan(b) else _AMOUNT(b, "bounds (highest)")
        if va is not None:
            lo[c] = va
        if vb is not None:
            hi[c] = vb
        if lo[c] > hi[c]:
            raise XLMError("#NUM!", f'bounds for "{model.channels[c].name}": the lowest spend '
                           f"({lo[c]:g}) is above the highest ({hi[c]:g}). Swap them.")
    return lo, hi, notes


@sheet_function("BUDGET_OPTIMIZE", "Shares a budget per period between the channels to bring "
                "the most KPI, within each channel's lowest and highest spend, and compares it "
                "with your current mix at the same budget: spend, KPI, ROI and the return on "
                "the next dollar per channel.", args={
    "kpi": _KPI, "spend": _SPEND,
    "budget": Arg("Total spend per period (per week for weekly rows) to share between the "
                  "channels.", _budget),
    "bounds": Arg("Optional lowest and highest spend per period per channel: two columns, one "
                  "row per channel in spend's order, or three with the channel's name first "
                  "(matched to spend's header, else by position). Blank: no limit.", None),
    "periods": Arg("Optional plan length in periods: the KPI over the next periods, counting "
                   "the carry-over of recent spend. Blank: the long-run KPI per period.",
                   Int(lo=1, hi=520)),
    "controls": _CONTROLS, "season": _SEASON, "curve": _CURVE, "header": HEADER_ARG,
})
def budget_optimize(kpi: Any, spend: Any, budget: float, bounds: Any = None,
                    periods: int | None = None, controls: Any = None, season: int | None = None,
                    curve: str = "hill", header: bool | None = None) -> Cells:
    """One row per channel, a Total row, the expected KPI with the base, the gain, Notes."""
    fit = fit_mmm(kpi, spend, controls, season, curve, header)
    m = fit.model
    lo, hi, bound_notes = _read_bounds(bounds, fit, budget)
    best = core.optimize(m, budget, lo, hi, periods)
    mix = m.current_spend()
    cur = mix / mix.sum() * budget if mix.sum() > 0 else np.full(len(mix), budget / len(mix))
    cur_kpi = np.array([float(m.plan_response(c, np.array([cur[c]]), periods)[0])
                        for c in range(len(cur))])
    scale = 1 if periods is None else periods
    unit = "per period" if periods is None else f"over {periods} periods"
    head = ["Channel", "Current spend", "Optimal spend", "Change", f"Current KPI ({unit})",
            f"Optimal KPI ({unit})", "Current ROI", "Optimal ROI", "Marginal ROI at optimum"]
    mroi = m.marginal_roi(best.spend) if periods is None else np.array([
        (float(m.plan_response(c, np.array([best.spend[c] * 1.001 + 1e-9]), periods)[0])
         - float(best.kpi[c])) / ((best.spend[c] * 0.001 + 1e-9) * periods) for c in range(len(cur))])

    def ratio(a: float, b: float) -> Any:
        return _num(a / b) if b > 0 else ""

    rows: list[list[Any]] = [head]
    for c, ch in enumerate(m.channels):
        rows.append([ch.name, _num(cur[c]), _num(best.spend[c]), _num(best.spend[c] - cur[c]),
                     _num(cur_kpi[c]), _num(best.kpi[c]), ratio(cur_kpi[c], cur[c] * scale),
                     ratio(best.kpi[c], best.spend[c] * scale), _num(mroi[c])])
    tc, tb = float(cur_kpi.sum()), float(best.kpi.sum())
    rows.append(["Total", _num(cur.sum()), _num(best.spend.sum()), 0.0, _num(tc), _num(tb),
                 ratio(tc, budget * scale), ratio(tb, budget * scale), ""])
    base = m.base_level() * scale
    rows.append(["Expected KPI with the base", "", "", "", _num(base + tc), _num(base + tb), "",
                 "", ""])
    gain = (tb - tc) / (base + tc) if base + tc else 0.0
    rows.append(["Gain from the optimal mix", "", "", "", "", _num(gain, 4), "", "", ""])
    notes = list(fit.notes) + bound_notes
    notes.append("Current spend: your average mix over the data, scaled to this budget.")
    off = [ch.name for c, ch in enumerate(m.channels) if cur[c] < lo[c] - 1e-9 or cur[c] > hi[c] + 1e-9]
    if off:
        notes.append(f"the current mix is outside the bounds for {', '.join(off)}.")
    return cells.with_notes(rows, notes)

"""The forecasting methods as a table of members, and how the ensemble is made of them.

A member is one forecasting method as a unit: its words for the user and a *track* function
that turns the seasonally adjusted history into rolling-origin forecasts ``F[o, h-1]`` (step
``h`` made after seeing ``z[0..o]``, for every origin ``o``), on the seasonally adjusted scale.
:data:`MEMBERS` lists them in the order they run. A member of the ensemble runs when the
ensemble for the history (:data:`COMBO` without a season, :data:`COMBO_SEASONAL` with one)
names it; an *alternative* (the straight line, TSB) runs only when the validation may pick
it (``select``) and its ``applies`` test passes, and then replaces the ensemble when its
rolling-origin error is lower by its ``margin``. Adding a method is one entry here.

The track functions are in :mod:`.forecast_smoothing` (Theta, damped trend, Holt-Winters,
line, TSB), :mod:`.forecast_methods` (ETS, AR, optimised Theta) and :mod:`.forecast_sarima`
(the seasonal AR); the forecaster that scores and combines the members is
:func:`.forecast.fit_forecast`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .forecast_clean import is_intermittent
from .forecast_methods import (ar_track, cached_for_short, ets_errors_with, ets_track,
                               theta_opt_track)
from .forecast_sarima import sar_track
from .forecast_seasonality import Season, decompose
from .forecast_smoothing import (classic_theta_track, damped_grid, damped_start, damped_track,
                                 hw_track, trend_track, tsb_track)

__all__ = ["COMBO", "COMBO_HOW", "COMBO_SEASONAL", "MEMBERS", "MEMBER_MARGIN", "MEMBER_POOL",
           "MEMBER_POOL_NONSEASONAL", "SWITCH_MARGIN", "THETA_OPT_MIN", "History", "Member",
           "combine", "ensemble", "method_label", "pool", "step_times", "tracks"]


@dataclass
class History:
    """What a member's track is computed from: the seasonally adjusted history ``z``, the base
    sales it came from (drivers taken out, season still in), the season and the horizon.
    Work two members share is done once (:attr:`smoothing_errors`)."""

    z: np.ndarray
    base: np.ndarray
    season: Season
    H: int

    @property
    def n(self) -> int:
        return len(self.z)

    @property
    def m(self) -> int:
        return self.season.m

    @cached_property
    def step_times(self) -> np.ndarray:
        return step_times(self.n, self.H)

    @cached_property
    def smoothing_errors(self) -> tuple[np.ndarray, np.ndarray]:
        """One-step errors of the ETS grid and of the damped trend's grid, in one pass (the
        same numbers as two, half the calls)."""
        _, _, ph, gain = damped_grid()
        return ets_errors_with(self.z, damped_start(self.z), gain, ph)


@dataclass(frozen=True)
class Member:
    """One forecasting method: its words, its track, and when it runs."""

    label: str
    track: Callable[[History], np.ndarray]
    #: Its words when the history has a season, if they differ (the damped trend becomes
    #: damped Holt-Winters).
    seasonal_label: str | None = None
    #: An alternative to the ensemble rather than a member of it: runs only when the
    #: validation may pick it and ``applies``, and replaces the ensemble when its error is
    #: below ``margin`` times the ensemble's (``against="ensemble"``) or the method picked so
    #: far (``against="picked"``).
    alternative: bool = False
    applies: Callable[[History], bool] = lambda h: True
    margin: float = 1.0
    against: str = "ensemble"

    def label_for(self, m: int) -> str:
        return self.seasonal_label if m > 1 and self.seasonal_label else self.label


#: Without a season, the Theta member is the optimised Theta model (its theta coefficient,
#: smoothing and initial level fitted, and the static or dynamic trend line chosen, by
#: :func:`forecast_methods.theta_fit`) from this many periods on; the classic theta = 2 below.
#: Alone, it had a 12% lower MASE than the classic method on M1 yearly, 6% on M3 yearly.
THETA_OPT_MIN = 6

#: Another method replaces the ensemble only when its validation error is this much lower.
SWITCH_MARGIN = 0.8


def _theta(h: History) -> np.ndarray:
    if h.m == 1 and h.n >= THETA_OPT_MIN:
        return theta_opt_track(h.z, h.H)
    return classic_theta_track(h.z, h.H)


def _damped(h: History) -> np.ndarray:
    """Damped Holt-Winters on the base sales with a season, else damped-trend smoothing."""
    if h.m > 1:
        return h.season.adjust_track(hw_track(h.base, h.season, h.H), h.step_times)
    F, _ = damped_track(h.z, h.H, h.smoothing_errors[1])
    return F


def _sar(h: History) -> np.ndarray:
    F = sar_track(h.base, h.m, h.H, log=h.season.multiplicative)
    return h.season.adjust_track(F, h.step_times)


def _ets(h: History) -> np.ndarray:
    return ets_track(h.z, h.H, h.smoothing_errors[0]) if h.m == 1 else ets_track(h.z, h.H)


def _arima(h: History) -> np.ndarray:
    return ar_track(h.z, h.H)


def _trend(h: History) -> np.ndarray:
    return trend_track(h.z, h.H)


def _tsb(h: History) -> np.ndarray:
    return tsb_track(h.z, h.H)


#: The members the log member averages on log sales (a name twice: weight 2).
LOG_ENSEMBLE = ("theta", "theta", "damped", "arima", "sar")

#: The log member runs when the history has at least this many seasons (its validation needs
#: forecasts from origins past the first two seasons to judge it).
LOG_MIN_SEASONS = 3


def _log_applies(h: History) -> bool:
    return (h.m > 1 and h.season.multiplicative and h.n >= LOG_MIN_SEASONS * h.m
            and bool((h.base > 0).all()))


def _log(h: History) -> np.ndarray:
    """The seasonal ensemble on log sales (an additive season and trend of the logs: a season
    and a growth that are shares of the level), back on the sales' seasonally adjusted scale.

    The decomposition's multiplicative season keeps the trend additive; when sales grow by a
    share a year, the log form follows the growth where the additive trend lags it."""
    lb = np.log(h.base)
    season = decompose(lb, h.m, additive=True)
    sub = History(season.adjust(lb), lb, season, h.H)
    runs = {k: MEMBERS[k].track(sub) for k in dict.fromkeys(LOG_ENSEMBLE)}
    F = combine([runs[k] for k in LOG_ENSEMBLE])
    F = np.exp(season.apply(F, h.step_times))
    return h.season.adjust_track(F, h.step_times)


#: Every method, in the order they run (and are listed in a fit's ``members``).
MEMBERS: dict[str, Member] = {
    "theta": Member("Theta", _theta),
    "damped": Member("damped trend", _damped, seasonal_label="damped Holt-Winters"),
    "sar": Member("seasonal AR", _sar),
    "ets": Member("ETS", _ets),
    "arima": Member("AR", _arima),
    "log": Member("ensemble on log sales", _log, alternative=True, applies=_log_applies,
                  margin=0.9),
    "trend": Member("linear trend", _trend, alternative=True, margin=SWITCH_MARGIN),
    "tsb": Member("intermittent demand (TSB)", _tsb, alternative=True, against="picked",
                  applies=lambda h: h.m == 1 and is_intermittent(h.z)),
}

#: The members of the ensemble, averaged with equal weights (chosen on M1 among means and
#: medians of subsets of the four; validated on M3 and Tourism monthly).
COMBO = ("theta", "damped", "ets", "arima")
COMBO_HOW = "mean"

#: The members averaged when there is a season: Theta with double weight, damped
#: Holt-Winters, the AR on changes and the seasonal-difference member (:mod:`.forecast_sarima`:
#: the last season plus a drift, for seasons that drift). Chosen on M1 monthly and quarterly
#: (every series, dated and not) among 20 subsets and weightings. (theta, theta, arima, sar)
#: scored 0.5% better there, all of it on quarterly data, but lost on M3 quarterly in the
#: validation (sMAPE +0.3% against the former mix, where this one gains 0.6%), so the
#: runner-up is used. Validated on M3 monthly and quarterly (dated or not) and Tourism
#: monthly (MASE -5%). ETS on the adjusted series is left out: beside Theta it added nothing.
COMBO_SEASONAL = ("theta", "theta", "damped", "arima", "sar")

#: The members the validation may pick alone. Not ETS or the AR: their parameters (and initial
#: states) are fitted to the whole history, so their backtest looks better than they forecast
#: (letting the validation pick them alone lost 7% sMAPE on M1 monthly, and coverage).
MEMBER_POOL = ("theta", "damped")

#: Without a season no member is picked alone: with the optimised Theta in the ensemble, the
#: pick lost 3% MASE on M3 yearly (and gained nothing on M1 yearly). The trend switch stays.
MEMBER_POOL_NONSEASONAL: tuple[str, ...] = ()

#: A member of the ensemble replaces it only when its validation error is this much lower.
#: A wider per-series choice was replayed at four origins (issue 31 item 4,
#: ``benchmarks/study_forecast_picks.py --members``) and did not pay on the tuning pool (M1
#: and the M4 samples, mean sMAPE, MASE weighted by forecasts, relative to these settings):
#: every ensemble member in the pool 1.007, 1.005; with the seasonal AR 1.004, 1.006; theta or
#: damped at margin 1.0 with three seasons of validation origins 1.002, 1.000; an honest
#: hold-out (the forecaster refitted ``h`` periods earlier, about 2x the call) 1.016, 1.009 at
#: margin 0.9 and 1.012, 1.006 at 0.7. The ensemble alone read 1.003, 0.998. So these stay.
MEMBER_MARGIN = 0.9


def ensemble(m: int) -> tuple[str, ...]:
    """The members averaged for a history with season length ``m`` (a name twice: weight 2)."""
    return COMBO_SEASONAL if m > 1 else COMBO


def pool(m: int) -> tuple[str, ...]:
    """The members the validation may pick alone for season length ``m``."""
    return MEMBER_POOL if m > 1 else MEMBER_POOL_NONSEASONAL


def method_label(method: str, m: int) -> str:
    """The words for a fit's method: a member's, or the ensemble's with its members named."""
    if method == "comb":
        names = dict.fromkeys(MEMBERS[k].label_for(m) for k in ensemble(m))
        return f"ensemble ({', '.join(names)})"
    return MEMBERS[method].label_for(m)


def tracks(h: History, select: bool) -> dict[str, np.ndarray]:
    """Rolling-origin forecasts of every member that runs for this history, on the seasonally
    adjusted scale, in the order of :data:`MEMBERS`."""
    combo = ensemble(h.m)
    out = {}
    for name, member in MEMBERS.items():
        runs = (select and member.applies(h)) if member.alternative else name in combo
        if runs:
            out[name] = member.track(h)
    return out


@cached_for_short
def step_times(n: int, H: int) -> np.ndarray:
    """The period each rolling-origin forecast is for: T[o, h-1] = o + h (cached by size)."""
    out = np.arange(n)[:, None] + np.arange(1, H + 1)[None, :]
    out.flags.writeable = False
    return out


def combine(members: list[np.ndarray]) -> np.ndarray:
    """The ensemble of the members' tracks (:data:`COMBO_HOW`). The mean adds them in turn
    and divides once, what ``np.mean`` over a stack of them computes, without the stack."""
    if COMBO_HOW == "median":
        return np.median(np.array(members), axis=0)
    total = members[0] + members[1]
    for F in members[2:]:
        total += F
    total /= len(members)
    return total

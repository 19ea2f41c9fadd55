"""Two checks around a forecast fit: a still-running last period, and a rolling-origin backtest.

* :func:`partial_last` — the last period is the current one (by the calendar and today's date)
  and far below what the rest of the history predicts: it is still running, and a fit that
  counted it would read a collapse.
* :func:`backtest` — refit at each of the last origins and score every step against the truth,
  beside the seasonal naive forecast and the best simple peer (:func:`.forecast.simple_forecasts`)
  on the same origins, so a user sees whether the model earns its keep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import forecast as fc
from .errors import CoreError, InsufficientData
from .forecast_calendar import Calendar

#: Backtest origins at most (each is one refit).
MAX_ORIGINS = 12

#: A current last period below this range of the one-step forecast counts as partial.
PARTIAL_LEVEL = 0.9


def partial_last(y: np.ndarray, cal: Calendar | None, today: float, *,
                 X: np.ndarray | None = None, **fit_options) -> bool:
    """True when the last period of ``y`` is the current one and still running.

    ``today`` is an Excel serial day number; ``fit_options`` go to
    :func:`.forecast.fit_forecast` (season, candidates, driver names). Drivers of the last
    period (``X[-1]``) are those the one-step forecast uses.
    """
    if cal is None or y.size < 7 or not cal.is_current(today):
        return False
    try:
        f = fc.fit_forecast(y[:-1], 1, X=X[:-1] if X is not None else None, **fit_options)
        lo, _ = f.interval(PARTIAL_LEVEL, X[-1:] if X is not None else None)
    except CoreError:
        return False
    return bool(y[-1] < lo[0])


@dataclass(frozen=True)
class Backtest:
    """Metrics (MAE, RMSE, MAPE, sMAPE, MASE) of our forecasts and two peers on one backtest."""

    ours: dict[str, float]
    naive: dict[str, float]        # the seasonal naive forecast (the naive one without season)
    peer: dict[str, float]         # the best simple peer, by MAE
    peer_name: str
    method: str                    # the method the full history's fit uses
    m: int                         # season length
    h: int                         # horizon
    origins: int


def backtest(y: np.ndarray, horizon: int | None, *, season_length: int | None,
             candidates: tuple[int, ...], year: float | None = None,
             calendar_season: int = 1) -> Backtest:
    """Rolling-origin backtest of :func:`.forecast.fit_forecast` on ``y``.

    ``horizon`` None: one season, or half of what a short history leaves after its two
    seasons of training (a quarter of the history, at most 6, without a season).
    ``calendar_season``: the calendar's own season length, used for the seasonal naive
    forecast when a yearly season replaces it (weekly data: 52).
    """
    n = y.size
    full = fc.fit_forecast(y, 1, season_length=season_length, candidates=candidates, year=year)
    m = full.m
    refit: dict = {"season_length": m}
    if full.yearly is not None:
        # a yearly season: each origin refits it (and the day-of-week season) as SALES_FORECAST
        # does; weekly data's season is then the year's 52 weeks (the seasonal naive's too)
        refit = {"season_length": None, "candidates": candidates, "year": year}
        m = m if m > 1 else calendar_season
    min_train = max(2 * m, 6) if m > 1 else 6
    if horizon is not None:
        h = horizon
    else:
        h = min(6, max(1, n // 4))
        if m > 1:
            # one season; when the history leaves less than that after two seasons of
            # training, half of what it leaves, so that several origins test it (130 weeks
            # with a yearly season: 13 weeks, 12 origins). The Horizon row says which.
            h = m if n - min_train + 1 >= m else max(1, (n - min_train + 1) // 2)
    n_orig = min(MAX_ORIGINS, n - h - min_train + 1)
    if n_orig < 1:
        raise InsufficientData(f"{{param}} has {n} periods: too little history to backtest a "
                               f"{h}-period forecast with season length {m} (it needs at least "
                               f"{min_train + h}). Give a longer history or a shorter horizon.",
                               param="y")
    A, F, N = [], [], []
    P: dict[str, list[np.ndarray]] = {}
    first = n - h - n_orig + 1
    for o in range(first, n - h + 1):
        f = fc.fit_forecast(y[:o], h, **refit)
        A.append(y[o:o + h])
        F.append(f.forecast())
        N.append(fc.seasonal_naive(y[:o], h, m))
        for name, p in fc.simple_forecasts(y[:o], h, m).items():
            P.setdefault(name, []).append(p)
    lag = m if first > m else 1
    scale = float(np.mean(np.abs(y[lag:first] - y[:first - lag])))
    A, F, N = np.concatenate(A), np.concatenate(F), np.concatenate(N)
    peers = {name: fc.metrics(A, np.concatenate(v), scale) for name, v in P.items()}
    # best by MAE (the same order as MASE: one scale for all), the first listed on ties
    best = min(peers, key=lambda k: np.nan_to_num(peers[k]["MAE"], nan=np.inf))
    final = fc.fit_forecast(y, h, season_length=season_length, candidates=candidates, year=year)
    return Backtest(ours=fc.metrics(A, F, scale), naive=fc.metrics(A, N, scale),
                    peer=peers[best], peer_name=best, method=final.method, m=m, h=h,
                    origins=n_orig)

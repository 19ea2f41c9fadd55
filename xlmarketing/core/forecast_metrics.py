"""The simple peers a forecast must beat (naive, seasonal naive, drift, recent mean) and the
accuracy metrics of a backtest (MAE, RMSE, MAPE, sMAPE, MASE)."""

from __future__ import annotations

import numpy as np

__all__ = ["metrics", "seasonal_naive", "simple_forecasts"]


def seasonal_naive(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    """The last season repeated (the last value when m = 1)."""
    m = max(1, min(m, len(y)))
    h = np.arange(horizon)
    return y[len(y) - m + (h % m)]


def simple_forecasts(y: np.ndarray, horizon: int, m: int) -> dict[str, np.ndarray]:
    """The simple peers a model must beat: naive, seasonal naive, drift, mean of the last season.

    "drift" is the line through the first and last values (a random walk with drift); the
    seasonal naive is left out when there is no season (it is the naive forecast then).
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    h = np.arange(1, horizon + 1)
    out = {"naive": np.repeat(y[-1], horizon)}
    if m > 1:
        out["seasonal naive"] = seasonal_naive(y, horizon, m)
    slope = (y[-1] - y[0]) / (n - 1) if n > 1 else 0.0
    out["drift"] = y[-1] + slope * h
    k = min(n, max(m, 3))
    out[f"mean of the last {k} periods"] = np.repeat(float(np.mean(y[-k:])), horizon)
    return out


def metrics(actual: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), sMAPE (%) and MASE of paired actuals and forecasts."""
    a, f = np.asarray(actual, float), np.asarray(forecast, float)
    e = a - f
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.where(a != 0, np.abs(e) / np.abs(a), np.nan)
        den = np.abs(a) + np.abs(f)
        sape = np.where(den > 0, 2 * np.abs(e) / den, 0.0)
    return {
        "MAE": float(np.mean(np.abs(e))),
        "RMSE": float(np.sqrt(np.mean(e * e))),
        "MAPE": float(np.nanmean(ape) * 100) if np.isfinite(ape).any() else np.nan,
        "sMAPE": float(np.mean(sape) * 100),
        "MASE": float(np.mean(np.abs(e)) / scale) if scale > 0 else np.nan,
    }

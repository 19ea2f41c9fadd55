"""The forecaster's answers on 50 varied generated series, pinned to what the code computed
before the methods were reorganised as a table of members (tests/data/forecast_members.json).

The series: yearly, quarterly, monthly, weekly and daily shapes (trends, seasons that grow with
the level, random walks, spikes, drivers, intermittent sales, very short histories), each run
through :func:`fit_forecast` with the options the sheet functions use. A change in the members,
the ensemble, the validation's pick or the intervals moves these numbers.

The values were computed by the code before the reorganisation; the tolerance only absorbs
another platform's last-bit rounding (on the machine that made them they match exactly).
Regenerate (only after a deliberate change of the forecaster) with
``python tests/test_forecast_members.py --write``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from xlmarketing.core import forecast as core

FIXTURE = Path(__file__).parent / "data" / "forecast_members.json"


def _case(name, y, horizon, **kw):
    return {"name": name, "y": np.asarray(y, dtype=np.float64), "horizon": horizon, **kw}


def series() -> list[dict]:
    """The 50 cases: history, horizon and fit_forecast's options."""
    out = []
    for i in range(8):   # monthly: trend + season, additive or multiplicative, noise, level
        rng = np.random.default_rng(i)
        n = 36 + 12 * (i % 4)
        t = np.arange(n)
        level = 100.0 * (i + 1)
        s = np.sin(2 * np.pi * t / 12 + i)
        y = (level + 2.0 * t) * (1 + 0.2 * s) if i % 2 else level + 2.0 * t + 0.2 * level * s
        y = y + rng.normal(0, 0.03 * level, n)
        out.append(_case(f"monthly {i}", y, 12, candidates=(12,), season_length=None))
    for i in range(5):   # quarterly
        rng = np.random.default_rng(20 + i)
        n = 20 + 4 * i
        t = np.arange(n)
        y = 500 + 5 * t + 60 * np.cos(2 * np.pi * t / 4) + rng.normal(0, 10, n)
        out.append(_case(f"quarterly {i}", y, 8, candidates=(4,)))
    for i in range(6):   # yearly: trends, damped growth, random walks, short
        rng = np.random.default_rng(40 + i)
        n = 8 + 4 * i
        y = 1000 + np.cumsum(rng.normal(5 * (i % 3), 30, n))
        out.append(_case(f"yearly {i}", y, 6, candidates=()))
    for i in range(5):   # undated: the candidates 12, 4, 7, 52 searched
        rng = np.random.default_rng(60 + i)
        n = 40 + 15 * i
        t = np.arange(n)
        m = (12, 4, 7, 12, 4)[i]
        y = 300 + t + (40 if i % 2 else 0) * np.sin(2 * np.pi * t / m) + rng.normal(0, 8, n)
        out.append(_case(f"undated {i}", y, 10))
    for i in range(4):   # weekly over 2-3 years: a yearly season fitted first
        rng = np.random.default_rng(80 + i)
        n = 110 + 25 * i
        t = np.arange(n)
        y = 2000 + 3 * t + 300 * np.sin(2 * np.pi * t / 52.18) + rng.normal(0, 60, n)
        out.append(_case(f"weekly {i}", y, 13, candidates=(52,), year=365.25 / 7))
    for i in range(4):   # daily: day of week, some with a yearly season
        rng = np.random.default_rng(100 + i)
        n = 120 if i < 2 else 760
        t = np.arange(n)
        dow = np.array([1.0, 1.0, 1.1, 1.2, 1.5, 1.7, 0.6])[t % 7]
        y = (50 + 0.02 * t) * dow * (1 + 0.3 * np.sin(2 * np.pi * t / 365.25) * (i >= 2))
        y = y * (1 + rng.normal(0, 0.05, n))
        out.append(_case(f"daily {i}", y, 14, candidates=(7,), year=365.25))
    for i in range(5):   # drivers: price and promotion
        rng = np.random.default_rng(120 + i)
        n = 48 + 6 * i
        t = np.arange(n)
        price = 10 + rng.normal(0, 0.8, n)
        promo = (rng.random(n) < 0.2).astype(float)
        y = np.exp(6 + 0.01 * t - 0.5 * np.log(price) + 0.3 * promo
                   + 0.1 * np.sin(2 * np.pi * t / 12) * (i % 2) + rng.normal(0, 0.04, n))
        X = np.column_stack([price, promo])
        out.append(_case(f"drivers {i}", y[:-6], 6, candidates=(12,) if i < 3 else (),
                         X=X[:-6], driver_names=["price", "promo"], X_future=X[-6:]))
    for i in range(5):   # intermittent sales
        rng = np.random.default_rng(140 + i)
        n = 30 + 10 * i
        y = np.where(rng.random(n) < 0.35 + 0.1 * (i % 3), rng.poisson(4, n) + 1.0, 0.0)
        out.append(_case(f"intermittent {i}", y, 6, candidates=()))
    for i in range(4):   # outliers, negatives, constants, a given season
        rng = np.random.default_rng(160 + i)
        y = 100 + np.arange(48.0) + rng.normal(0, 3, 48)
        if i == 0:
            y[20] = 900.0
        elif i == 1:
            y = y - 130.0                       # crosses zero
        elif i == 2:
            y = np.full(24, 42.0)
        out.append(_case(f"special {i}", y, 6, season_length=12 if i == 3 else None,
                         candidates=(12,)))
    for i in range(4):   # very short histories, with and without selection or cleaning
        y = [5.0, 7.0, 6.0, 9.0, 8.0][: 3 + i % 3] + [10.0] * (i // 3)
        out.append(_case(f"short {i}", y, 3, candidates=(), select=bool(i % 2),
                         clean=i != 2))
    assert len(out) == 50
    return out


def _fit_kw(case: dict) -> dict:
    return {k: case[k] for k in ("season_length", "candidates", "X", "driver_names", "select",
                                 "clean", "year") if k in case}


def answers(case: dict) -> dict:
    """Everything the sheet functions read from a fit, as lists of floats."""
    fit = core.fit_forecast(case["y"], case["horizon"], **_fit_kw(case))
    Xf = case.get("X_future")
    lo, hi = fit.interval(0.9, Xf)
    return {
        "method": fit.method, "m": fit.m,
        "forecast": fit.forecast(Xf).tolist(), "lower": lo.tolist(), "upper": hi.tolist(),
        "sigma": fit.sigma.tolist(),
        "scores": {k: v for k, v in sorted(fit.scores.items())},
        "members": {k: v.tolist() for k, v in sorted(fit.members.items())},
        "outliers": [o.index for o in fit.outliers],
    }


def _same(a, b, path: str) -> None:
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float),
                                   rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=path)
    elif isinstance(a, float):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=path)
    else:
        assert a == b, path


CASES = series()
PINNED = json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_forecasts_match_the_pinned_answers(case):
    _same(answers(case), PINNED[case["name"]], case["name"])


def test_the_cases_cover_every_member_and_pick():
    methods = {PINNED[c["name"]]["method"] for c in CASES}
    members = set().union(*(PINNED[c["name"]]["members"] for c in CASES))
    assert {"comb", "tsb", "trend"} <= methods
    assert members == {"theta", "damped", "ets", "arima", "sar", "log", "trend", "tsb", "comb"}


def test_method_words_come_from_the_table():
    assert core.method_label("comb", 12) == "ensemble (Theta, damped Holt-Winters, AR, seasonal AR)"
    assert core.method_label("comb", 1) == "ensemble (Theta, damped trend, ETS, AR)"
    assert core.method_label("damped", 12) == "damped Holt-Winters"
    assert [core.method_label(k, 1) for k in ("theta", "trend", "tsb")] == [
        "Theta", "linear trend", "intermittent demand (TSB)"]


def test_a_new_method_is_one_entry_in_the_table(monkeypatch):
    from xlmarketing.core import forecast_members as fm

    last = fm.Member("last value", lambda h: np.repeat(h.z[:, None], h.H, axis=1),
                     alternative=True)
    monkeypatch.setitem(fm.MEMBERS, "last", last)
    y = 100 + np.cumsum(np.random.default_rng(5).normal(0, 10, 60))     # a random walk
    fit = core.fit_forecast(y, 4, candidates=())
    assert "last" in fit.members and "last" in fit.scores
    np.testing.assert_array_equal(fit.members["last"], np.repeat(y[-1], 4))
    # the last alternative in the table, compared with the ensemble: it has the last word
    assert (fit.method == "last") == (fit.scores["last"] < fit.scores["comb"])
    assert core.method_label("last", 1) == "last value"
    # without selection an alternative does not run
    assert "last" not in core.fit_forecast(y, 4, candidates=(), select=False).members


def test_no_import_circle_between_the_forecast_rooms():
    from pathlib import Path

    import xlmarketing.core as pkg

    for p in Path(pkg.__file__).parent.glob("forecast_*.py"):
        assert "from .forecast import" not in p.read_text(encoding="utf-8"), p.name


if __name__ == "__main__" and "--write" in sys.argv:
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps({c["name"]: answers(c) for c in CASES}, separators=(",", ":"))
                       + "\n")
    print(f"wrote {FIXTURE}")

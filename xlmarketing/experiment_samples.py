"""Generated, deterministic sample data for the campaign experiments (A/B, bandit, uplift).

In the style of :mod:`xlmarketing.samples` (a seeded generator per data set, plain pandas
frames), kept apart so the experiments family does not edit that module. The uplift customers
carry their true incremental probability (``uplift_truth``), which the benchmarks and tests use
and the template leaves out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

REGIONS = ("North", "South", "East", "West")


def ab_results(seed: int = 31) -> pd.DataFrame:
    """An email subject-line test: one row per arm and day over 14 days (arm, visitors,
    conversions), variant B converting about 20% better than the control A."""
    rng = np.random.default_rng(seed)
    first = dt.date(2025, 3, 3)
    rows = []
    for day in range(14):
        for arm, rate in (("A (control)", 0.040), ("B", 0.048)):
            n = int(rng.integers(380, 420))
            rows.append((first + dt.timedelta(days=day), arm, n, int(rng.binomial(n, rate))))
    return pd.DataFrame(rows, columns=["Date", "Arm", "Visitors", "Conversions"])


def bandit_days(days: int = 10, seed: int = 32) -> pd.DataFrame:
    """A daily newsletter test of four subject lines, sent by Thompson sampling shares each day
    (period, arm, sends, opens); open rates 3%, 4%, 5.5% and 4.5%."""
    from .core import bandit

    rng = np.random.default_rng(seed)
    arms = ["Subject 1", "Subject 2", "Subject 3", "Subject 4"]
    rates = np.array([0.03, 0.04, 0.055, 0.045])
    first = dt.date(2025, 4, 1)
    rows: list[tuple] = []
    share = np.full(len(arms), 1 / len(arms))
    for d in range(days):
        sends = rng.multinomial(2000, share)
        opens = rng.binomial(sends, rates)
        rows += [(first + dt.timedelta(days=d), a, int(n), int(o))
                 for a, n, o in zip(arms, sends, opens)]
        frame = pd.DataFrame(rows, columns=["Day", "Subject line", "Sent", "Opened"])
        codes = frame["Subject line"].map({a: i for i, a in enumerate(arms)}).to_numpy()
        a, b = bandit.posterior(codes, len(arms), frame["Sent"].to_numpy(float),
                                frame["Opened"].to_numpy(float))
        share = bandit.thompson(a, b, seed=d)[0]
    return frame


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def uplift_customers(n: int = 2000, seed: int = 33, treated_share: float = 0.5) -> pd.DataFrame:
    """A randomised coupon campaign: attributes, Treatment (Coupon / Control), Bought (Yes/No)
    and the true incremental probability of each customer (``uplift_truth``).

    Recent, engaged customers buy anyway (sure things); the coupon persuades mid-engagement
    customers with few orders, mostly in the South and East; frequent email openers who have
    complained dislike being contacted (do not disturb).
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 76, n)
    orders = rng.poisson(3, n)
    days = rng.exponential(90, n).round().astype(int) + 1
    opens = rng.poisson(4, n)
    complaints = rng.binomial(1, 0.12, n)
    region = rng.choice(REGIONS, n, p=[0.3, 0.25, 0.25, 0.2])
    t = (rng.random(n) < treated_share).astype(int)
    base = -2.6 + 0.25 * np.minimum(orders, 8) - 0.006 * days + 0.08 * opens - 0.3 * complaints
    lift = (0.9 * (orders <= 2) + 0.5 * np.isin(region, ["South", "East"])
            + 0.04 * (opens - 4) - 1.6 * complaints * (opens >= 5) - 0.012 * (age - 45))
    p0 = _sigmoid(base)
    p1 = _sigmoid(base + lift)
    bought = rng.random(n) < np.where(t == 1, p1, p0)
    return pd.DataFrame({
        "Customer ID": [f"U{10001 + i}" for i in range(n)],
        "Age": age, "Region": region, "Orders (12 months)": orders,
        "Days since last order": days, "Email opens (90 days)": opens,
        "Complaints": complaints,
        "Treatment": np.where(t == 1, "Coupon", "Control"),
        "Bought": np.where(bought, "Yes", "No"),
        "uplift_truth": p1 - p0,
    })

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


ORDER_CHANNELS = ("Email", "SMS", "Social ad")
ORDER_DEVICES = ("Desktop", "Mobile")
#: The order-value model the sample orders are drawn from (log scale): a base basket, a price
#: per item that flattens after a few, channel and device effects, a discount code that raises
#: the basket (people top up to reach it) and returning customers spending more.
ORDER_VALUE_EFFECTS = {"base": 3.4, "per_item": 0.28, "Email": 0.10, "SMS": -0.05,
                       "Social ad": 0.0, "Mobile": -0.12, "discount": 0.15, "returning": 0.20}


def _order_frame(n: int, rng: np.random.Generator, id_prefix: str) -> pd.DataFrame:
    channel = rng.choice(ORDER_CHANNELS, size=n, p=[0.45, 0.2, 0.35])
    device = rng.choice(ORDER_DEVICES, size=n, p=[0.4, 0.6])
    items = 1 + rng.poisson(np.where(channel == "Email", 2.2, 1.6))
    code = rng.random(n) < 0.35
    returning = rng.random(n) < np.where(channel == "Email", 0.7, 0.4)
    return pd.DataFrame({
        "Order ID": [f"{id_prefix}{i:05d}" for i in range(1, n + 1)],
        "Channel": channel,
        "Device": device,
        "Items": items.astype(int),
        "Discount code": np.where(code, "Yes", "No"),
        "Returning customer": np.where(returning, "Yes", "No"),
    })


def order_log_value(frame: pd.DataFrame) -> np.ndarray:
    """The mean log order value of each order under :data:`ORDER_VALUE_EFFECTS`."""
    e = ORDER_VALUE_EFFECTS
    return (e["base"] + e["per_item"] * 3 * np.log1p(frame["Items"].to_numpy(float))
            + frame["Channel"].map(e).to_numpy(float)
            + np.where(frame["Device"] == "Mobile", e["Mobile"], 0.0)
            + np.where(frame["Discount code"] == "Yes", e["discount"], 0.0)
            + np.where(frame["Returning customer"] == "Yes", e["returning"], 0.0))


def campaign_orders(n: int = 800, seed: int = 34) -> pd.DataFrame:
    """Orders from a campaign's three channels with what each was worth: channel, device,
    items, discount code, returning customer and ``Order value`` (log-normal around
    :func:`order_log_value`, 2 decimals)."""
    rng = np.random.default_rng(seed)
    frame = _order_frame(n, rng, "O")
    noise = rng.normal(0.0, 0.2, size=n)
    frame["Order value"] = np.round(np.exp(order_log_value(frame) + noise), 2)
    return frame


def order_scenarios() -> pd.DataFrame:
    """A few orders to price (the Order value sheet's what-if rows): one per typical basket."""
    rows = [("Email", "Desktop", 3, "No", "Yes"), ("Email", "Mobile", 1, "Yes", "No"),
            ("SMS", "Desktop", 2, "No", "No"), ("SMS", "Mobile", 2, "Yes", "Yes"),
            ("Social ad", "Mobile", 2, "No", "No"), ("Social ad", "Desktop", 4, "Yes", "Yes")]
    return pd.DataFrame(rows, columns=["Channel", "Device", "Items", "Discount code",
                                       "Returning customer"])

"""Deterministic media-mix sample data with a known truth, for the template, tests and benchmark.

Weekly sales driven by a base with a trend and a yearly season, price (a control), promotion
weeks (a control), and three media channels, each with its own carry-over (geometric adstock)
and diminishing returns (a Hill curve). Because the truth is known, the true ROI of every
channel (sales it brought / money spent on it) is known too, and a fit can be checked
against it.

* :func:`media_mix` – the template's table: Week, Sales, TV, Search, Social, Price, Promotion.
* :func:`simulate` – a randomised data set (channels' curves, spend patterns, noise drawn from
  ``seed``) with its truth, for coverage tests and the benchmark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .core.mmm import adstock, saturation


@dataclass(frozen=True)
class ChannelTruth:
    name: str
    decay: float
    half: float      # weekly spend at half the largest effect
    shape: float     # Hill exponent
    beta: float      # largest weekly effect (sales)


@dataclass
class MediaTruth:
    channels: list[ChannelTruth]
    media: np.ndarray            # weeks x channels: each channel's true weekly effect
    spend: np.ndarray            # weeks x channels

    @property
    def roi(self) -> np.ndarray:
        """Sales each channel brought over the data per unit spent on it."""
        return self.media.sum(axis=0) / self.spend.sum(axis=0)


def _effects(spend: np.ndarray, channels: list[ChannelTruth]) -> np.ndarray:
    return np.column_stack([
        ch.beta * saturation(adstock(spend[:, c], ch.decay), ch.half, ch.shape, "hill")
        for c, ch in enumerate(channels)])


#: The template's channels: TV in bursts with a long carry-over and an S-shaped curve, search
#: always on following demand, social always on with a short carry-over.
TEMPLATE_CHANNELS = (
    ChannelTruth("TV", decay=0.6, half=18000.0, shape=1.8, beta=90000.0),
    ChannelTruth("Search", decay=0.1, half=9000.0, shape=1.0, beta=70000.0),
    ChannelTruth("Social", decay=0.3, half=7000.0, shape=1.2, beta=40000.0),
)


def media_mix(weeks: int = 156, seed: int = 30) -> tuple[pd.DataFrame, MediaTruth]:
    """Three years of weekly sales (revenue), spend on TV, Search and Social, price and
    promotions. The true ROIs are about 2.3 (TV), 4.4 (Search) and 3.0 (Social)."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    season = np.sin(2 * np.pi * t / 52.0) + 0.4 * np.cos(4 * np.pi * t / 52.0)
    # TV: flights of 4-8 weeks on air, 3-8 weeks off; spend per week varies between flights.
    tv = np.zeros(weeks)
    i = int(rng.integers(0, 4))
    while i < weeks:
        on = int(rng.integers(4, 9))
        tv[i:i + on] = rng.uniform(12000, 32000) * rng.uniform(0.85, 1.15, size=len(tv[i:i + on]))
        i += on + int(rng.integers(3, 9))
    search = 6000 * (1 + 0.25 * season) * rng.lognormal(0.0, 0.35, weeks)
    social = np.clip(5000 + 2500 * np.sin(2 * np.pi * t / 17.0 + 1.0) + rng.normal(0, 1500, weeks),
                     500, None)
    spend = np.round(np.column_stack([tv, search, social]), 0)
    price = np.round(19.9 + np.where(rng.uniform(size=weeks) < 0.15, -3.0, 0.0)
                     + rng.normal(0, 0.4, weeks), 2)
    promo = (rng.uniform(size=weeks) < 0.1).astype(int)
    channels = list(TEMPLATE_CHANNELS)
    media = _effects(spend, channels)
    base = 300000 + 40000 * t / weeks + 35000 * season
    sales = (base - 9000 * (price - 19.9) + 25000 * promo + media.sum(axis=1)
             + rng.normal(0, 12000, weeks))
    start = dt.date(2023, 1, 2)
    frame = pd.DataFrame({
        "Week": [start + dt.timedelta(weeks=int(k)) for k in t],
        "Sales": np.round(sales, 0),
        "TV": spend[:, 0], "Search": spend[:, 1], "Social": spend[:, 2],
        "Price": price, "Promotion": promo,
    })
    return frame, MediaTruth(channels, media, spend)


def simulate(seed: int, weeks: int = 130, n_channels: int = 3, noise: float = 0.04
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, MediaTruth]:
    """A randomised data set: (kpi, spend weeks x channels, controls weeks x 1, truth).

    Each channel draws a carry-over (0-0.7), a Hill shape (0.8-2.2), a spend pattern (always
    on, or in bursts), a typical spend and a half-point around it, and an effect size; the
    noise is ``noise`` times the mean KPI.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    season = np.sin(2 * np.pi * t / 52.0 + rng.uniform(0, 2 * np.pi))
    spend = np.zeros((weeks, n_channels))
    channels = []
    for c in range(n_channels):
        level = float(rng.uniform(2000, 20000))
        if rng.uniform() < 0.4:   # bursts
            on = rng.uniform(size=weeks) < 0.45
            x = np.where(on, level * rng.uniform(0.6, 1.6, weeks), 0.0)
        else:                     # always on, varying
            x = level * rng.lognormal(0.0, 0.45, weeks)
        spend[:, c] = np.round(x, 0)
        typical = float(spend[:, c][spend[:, c] > 0].mean())
        channels.append(ChannelTruth(f"Channel {c + 1}", float(rng.uniform(0.0, 0.7)),
                                     typical * float(rng.uniform(0.6, 2.0)),
                                     float(rng.uniform(0.8, 2.2)),
                                     float(rng.uniform(1500, 6000))))
    media = _effects(spend, channels)
    price = 10 + rng.normal(0, 0.5, weeks)
    base = 20000 + 2000 * t / weeks + 2000 * season - 800 * (price - 10)
    mean = float((base + media.sum(axis=1)).mean())
    y = base + media.sum(axis=1) + rng.normal(0, noise * mean, weeks)
    return y, spend, price[:, None], MediaTruth(channels, media, spend)

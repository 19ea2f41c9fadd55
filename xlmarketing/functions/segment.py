"""KMEANS_SEGMENT, SEGMENT_PROFILE and SEGMENT_K."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import cells
from ..cache import CACHE, content_key
from ..cells import Table
from ..core import segment as core
from ..errors import XLMError
from . import Cells, sheet_function


@dataclass
class _Fit:
    table: Table
    seg: core.Segmentation
    memo: dict[str, Cells] = field(default_factory=dict)


def _param_k(k: Any, *, allow_auto: bool = True) -> int:
    v = cells.scalar(k)
    if v is None:
        raise XLMError("#VALUE!", "k (the number of segments) is missing. Enter a whole number "
                       'such as 4, or "auto".')
    if isinstance(v, str) and v.strip().lower() == "auto" and allow_auto:
        return 0
    if isinstance(v, bool) or not isinstance(v, float) or not v.is_integer():
        raise XLMError("#VALUE!", f"k must be a whole number of segments, got {cells._show(k)}. "
                       'Enter a number such as 4, or "auto".')
    if v < 0:
        raise XLMError("#NUM!", f"k={int(v)} is negative. Enter a number of segments of at least "
                       '1, or "auto" (or 0) to let the data choose.')
    return int(v)


def param_scale(scale: Any) -> bool | str:
    """The ``scale`` option: blank or "auto" lets the data decide; TRUE or FALSE forces it."""
    v = cells.scalar(scale)
    if v is None or (isinstance(v, str) and v.strip().lower() == "auto"):
        return "auto"
    try:
        return cells.param_bool(v, "scale", default=True)
    except XLMError:
        raise XLMError("#VALUE!", f'scale must be "auto", TRUE or FALSE, got {cells._show(scale)}. '
                       'Leave it blank to let the data decide.') from None


def _options(scale: Any, seed: Any, header: Any) -> tuple[bool | str, int, bool | None]:
    return (param_scale(scale),
            cells.param_int(seed, "seed", default=0, lo=0, hi=2**31 - 1),
            cells.param_header(header))


def fit_segments(data: Any, k: Any, scale: Any = None, seed: Any = None, header: Any = None) -> _Fit:
    """The cached segmentation for these raw inputs (fits on a cache miss)."""
    kk = _param_k(k)
    sc, sd, hd = _options(scale, seed, header)

    rng = cells.Range(data)

    def fit() -> _Fit:
        table = cells.read_table(rng, name="data", header=hd)
        return _Fit(table, core.segment(table.frame, table.kinds, kk, scale=sc, seed=sd))

    return CACHE.get_or_fit("kmeans", content_key(rng.fingerprint, kk, sc, sd, hd), fit)


@sheet_function("KMEANS_SEGMENT")
def kmeans_segment(data: Any, k: Any, scale: Any = None, seed: Any = None, header: Any = None) -> Cells:
    """One segment number per data row (1 = largest segment), aligned with the range."""
    fit = fit_segments(data, k, scale, seed, header)
    if "labels" not in fit.memo:
        fit.memo["labels"] = cells.to_cells(fit.seg.labels, fit.table, labels="Segment")
    return fit.memo["labels"]


@sheet_function("SEGMENT_PROFILE")
def segment_profile(data: Any, k: Any, scale: Any = None, seed: Any = None, header: Any = None) -> Cells:
    """One row per segment: size, share, a description, each column's mean (or most common
    text) and the scaling used."""
    fit = fit_segments(data, k, scale, seed, header)
    prof = core.profile(fit.table.frame, fit.table.kinds, fit.seg)
    return cells.to_cells(prof.to_numpy(dtype=object), labels=list(prof.columns))


@sheet_function("SEGMENT_K")
def segment_k(data: Any, k_max: Any = None, scale: Any = None, seed: Any = None, header: Any = None) -> Cells:
    """k, gap statistic (and its standard error), silhouette and inertia for k = 2..k_max,
    with the k that k="auto" takes marked."""
    km = cells.param_int(k_max, "k_max", default=core.K_AUTO_MAX, lo=2, hi=50)
    sc, sd, hd = _options(scale, seed, header)

    rng = cells.Range(data)

    def fit() -> core.KChoice:
        table = cells.read_table(rng, name="data", header=hd)
        return core.choose_k(table.frame, table.kinds, k_max=km, scale=sc, seed=sd)

    choice = CACHE.get_or_fit("kmeans_k", content_key(rng.fingerprint, km, sc, sd, hd), fit)
    t = choice.table
    rec = ["recommended" if k == choice.best else "" for k in t["k"]]
    block = list(zip(t["k"].tolist(), t["gap"].round(4).tolist(), t["gap_se"].round(4).tolist(),
                     t["silhouette"].round(4).tolist(), t["inertia"].round(4).tolist(), rec))
    return cells.to_cells(block, labels=["k", "Gap", "Gap SE", "Silhouette", "Inertia", "Recommended"])

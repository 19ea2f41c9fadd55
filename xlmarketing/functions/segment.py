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


def _options(scale: Any, seed: Any, header: Any) -> tuple[bool, int, bool | None]:
    return (cells.param_bool(scale, "scale", default=True),
            cells.param_int(seed, "seed", default=0, lo=0, hi=2**31 - 1),
            cells.param_header(header))


def fit_segments(data: Any, k: Any, scale: Any = None, seed: Any = None, header: Any = None,
                 keep_ids: Any = None) -> _Fit:
    """The cached segmentation for these raw inputs (fits on a cache miss)."""
    kk = _param_k(k)
    sc, sd, hd = _options(scale, seed, header)
    ki = cells.param_keep_ids(keep_ids)

    rng = cells.Range(data)

    def fit() -> _Fit:
        table = cells.leave_out_ids(cells.read_table(rng, name="data", header=hd), ki)
        return _Fit(table, core.segment(table.frame, table.kinds, kk, scale=sc, seed=sd))

    return CACHE.get_or_fit("kmeans", content_key(rng.fingerprint, kk, sc, sd, hd, ki), fit)


@sheet_function("KMEANS_SEGMENT")
def kmeans_segment(data: Any, k: Any, scale: Any = None, seed: Any = None, header: Any = None,
                   keep_ids: Any = None) -> Cells:
    """One segment number per data row (1 = largest segment), aligned with the range."""
    fit = fit_segments(data, k, scale, seed, header, keep_ids)
    if "labels" not in fit.memo:
        fit.memo["labels"] = cells.to_cells(fit.seg.labels, fit.table, labels="Segment")
    return fit.memo["labels"]


@sheet_function("SEGMENT_PROFILE")
def segment_profile(data: Any, k: Any, scale: Any = None, seed: Any = None, header: Any = None,
                    keep_ids: Any = None) -> Cells:
    """One row per segment: size, share and each column's mean (or most common text), then
    a Note row for each column left out or read specially."""
    fit = fit_segments(data, k, scale, seed, header, keep_ids)
    prof = core.profile(fit.table.frame, fit.table.kinds, fit.seg)
    return cells.with_notes(cells.to_cells(prof.to_numpy(dtype=object), labels=list(prof.columns)),
                            fit.table.notes)


@sheet_function("SEGMENT_K")
def segment_k(data: Any, k_max: Any = None, scale: Any = None, seed: Any = None, header: Any = None,
              keep_ids: Any = None) -> Cells:
    """k, silhouette and inertia for k = 2..k_max, with the recommended k marked."""
    km = cells.param_int(k_max, "k_max", default=core.K_AUTO_MAX, lo=2, hi=50)
    sc, sd, hd = _options(scale, seed, header)
    ki = cells.param_keep_ids(keep_ids)

    rng = cells.Range(data)

    def fit() -> tuple[core.KChoice, list[str]]:
        table = cells.leave_out_ids(cells.read_table(rng, name="data", header=hd), ki)
        return core.choose_k(table.frame, table.kinds, k_max=km, scale=sc, seed=sd), table.notes

    choice, notes = CACHE.get_or_fit("kmeans_k", content_key(rng.fingerprint, km, sc, sd, hd, ki),
                                     fit)
    t = choice.table
    rec = ["recommended" if k == choice.best else "" for k in t["k"]]
    block = list(zip(t["k"].tolist(), t["silhouette"].round(4).tolist(),
                     t["inertia"].round(4).tolist(), rec))
    return cells.with_notes(cells.to_cells(block, labels=["k", "Silhouette", "Inertia", "Recommended"]),
                            notes)

"""KMEANS_SEGMENT, SEGMENT_PROFILE and SEGMENT_K."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import cells
from ..cache import CACHE, Memo, content_key
from ..cells import Table
from ..core import segment as core
from . import Cells, sheet_function
from .spec import HEADER_ARG, SEED, Arg, Bool, Int


@dataclass
class _Fit:
    table: Table
    seg: core.Segmentation
    memo: Memo = field(default_factory=Memo)  # outputs handed out as copies


_K_WORDING = cells.IntWording(
    unit=" of segments",
    fix='Enter a number such as 4, or "auto".',
    missing='k (the number of segments) is missing. Enter a whole number such as 4, or "auto".',
    negative='k={n} is negative. Enter a number of segments of at least 1, or "auto" (or 0) to '
             "let the data choose.",
)


_DATA = Arg("Your customer table: one row per customer, one column per attribute (spend, "
            "visits, channel...). A header row is optional and detected.")
_SCALE = Arg("TRUE (default) puts every column on the same scale first, so spend in dollars "
             "and visits in units weigh alike. FALSE uses raw units.", Bool(default=True))
_K_INT = Int(auto=0)


def _k(value: Any, name: str) -> int:
    """k: a whole number of segments, or "auto" / 0 (returned as 0) to let the data choose."""
    v = cells.scalar(value)
    if isinstance(v, str) and v.strip().lower() == "auto":
        return 0
    return cells.param_int(value, name, lo=0, wording=_K_WORDING)


_K = _k


def fit_segments(data: Any, k: int, scale: bool, seed: int, header: bool | None) -> _Fit:
    """The cached segmentation for these raw data cells and clean options (fits on a cache miss).

    ``k`` = 0 means "choose k automatically".
    """
    rng = cells.Range(data)

    def fit() -> _Fit:
        table = cells.read_table(rng, name="data", header=header)
        seg = core.segment(table.frame, table.kinds, k, scale=scale, seed=seed)
        table.notes.extend(seg.encoder.notes)  # e.g. rare text levels grouped as (other)
        return _Fit(table, seg)

    return CACHE.get_or_fit("kmeans", content_key(rng.fingerprint, k, scale, seed, header), fit)


@sheet_function("KMEANS_SEGMENT", "Groups customers into k segments of similar behaviour "
                "(k-means). Spills one segment number per row: 1 is the largest segment.", args={
    "data": _DATA,
    "k": Arg('How many segments: a whole number such as 4, or "auto" (or 0) to pick the best k '
             "from 2 to 10.", _K),
    "scale": _SCALE, "seed": SEED, "header": HEADER_ARG,
})
def kmeans_segment(data: Any, k: int, scale: bool = True, seed: int = 0,
                   header: bool | None = None) -> Cells:
    """One segment number per data row (1 = largest segment), aligned with the range."""
    fit = fit_segments(data, k, scale, seed, header)
    if "labels" not in fit.memo:
        fit.memo["labels"] = cells.to_cells(fit.seg.labels, fit.table, labels="Segment")
    return fit.memo["labels"]


@sheet_function("SEGMENT_PROFILE", "Describes each segment: customers, share of the base, the "
                "average of every number column and the most common value of every text column.",
                args={
    "data": _DATA,
    "k": Arg('Number of segments, as given to KMEANS_SEGMENT (a number or "auto").', _K),
    "scale": _SCALE, "seed": SEED, "header": HEADER_ARG,
})
def segment_profile(data: Any, k: int, scale: bool = True, seed: int = 0,
                    header: bool | None = None) -> Cells:
    """One row per segment: size, share and each column's mean (or most common text)."""
    fit = fit_segments(data, k, scale, seed, header)
    prof = core.profile(fit.table.frame, fit.table.kinds, fit.seg)
    return cells.to_cells(prof.to_numpy(dtype=object), labels=list(prof.columns))


@sheet_function("SEGMENT_K", "Helps choose the number of segments: silhouette (higher is "
                "better) and inertia for k = 2 to k_max, with the recommended k marked.", args={
    "data": _DATA,
    "k_max": Arg("Largest number of segments to try (default 10).",
                 Int(default=core.K_AUTO_MAX, lo=2, hi=50)),
    "scale": _SCALE, "seed": SEED, "header": HEADER_ARG,
})
def segment_k(data: Any, k_max: int = core.K_AUTO_MAX, scale: bool = True, seed: int = 0,
              header: bool | None = None) -> Cells:
    """k, silhouette and inertia for k = 2..k_max, with the recommended k marked."""
    rng = cells.Range(data)

    def fit() -> core.KChoice:
        table = cells.read_table(rng, name="data", header=header)
        return core.choose_k(table.frame, table.kinds, k_max=k_max, scale=scale, seed=seed)

    choice = CACHE.get_or_fit("kmeans_k", content_key(rng.fingerprint, k_max, scale, seed, header), fit)
    t = choice.table
    rec = ["recommended" if k == choice.best else "" for k in t["k"]]
    block = list(zip(t["k"].tolist(), t["silhouette"].round(4).tolist(),
                     t["inertia"].round(4).tolist(), rec))
    return cells.to_cells(block, labels=["k", "Silhouette", "Inertia", "Recommended"])

"""KMEANS_SEGMENT, SEGMENT_PROFILE and SEGMENT_K."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import cells
from ..cache import CACHE, Memo
from ..cells import Table
from ..core import segment as core
from . import Cells, sheet_function
from .spec import HEADER_ARG, KEEP_IDS, SEED, Arg, Bool, Int, IntWording, call_key, range_of


@dataclass
class _Fit:
    table: Table
    seg: core.Segmentation
    memo: Memo = field(default_factory=Memo)  # outputs handed out as copies


#: k: a whole number of segments, or "auto" / 0 (both given as 0) to let the data choose.
_K = Int(lo=0, auto=0, wording=IntWording(
    unit=" of segments",
    fix='Enter a number such as 4, or "auto".',
    missing='k (the number of segments) is missing. Enter a whole number such as 4, or "auto".',
    negative='k={n} is negative. Enter a number of segments of at least 1, or "auto" (or 0) to '
             "let the data choose.",
))


_DATA = Arg("Your customer table: one row per customer, one column per attribute (spend, "
            "visits, channel...). A header row is optional and detected.")


_SCALE = Arg('Blank or "auto" (default) puts the columns on one scale only when their spreads '
             "or units differ (spend in dollars beside visits); TRUE always does, FALSE keeps raw "
             "units.", Bool(default=True, auto="auto"))


def fit_segments(data: Any, k: int, scale: bool | str, seed: int, header: bool | None,
                 keep_ids: bool = False) -> _Fit:
    """The cached segmentation for these raw data cells and clean options (fits on a cache miss).

    ``k`` = 0 means "choose k automatically". ID-like columns are left out unless ``keep_ids``.
    """
    rng = range_of(data)

    def fit() -> _Fit:
        table = cells.leave_out_ids(cells.read_table(rng, name="data", header=header), keep_ids)
        seg = core.segment(table.frame, table.kinds, k, scale=scale, seed=seed)
        table.notes.extend(seg.encoder.notes)  # e.g. rare text levels grouped as (other)
        return _Fit(table, seg)

    return CACHE.get_or_fit("kmeans", call_key(), fit)


@sheet_function("KMEANS_SEGMENT", "Groups customers into k segments of similar behaviour "
                "(k-means). Spills one segment number per row: 1 is the largest segment.", args={
    "data": _DATA,
    "k": Arg('How many segments: a whole number such as 4, or "auto" (or 0) to let the data '
             "choose k from 2 to 10 (prediction strength, then Calinski-Harabasz; see SEGMENT_K).", _K),
    "scale": _SCALE, "seed": SEED, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def kmeans_segment(data: Any, k: int, scale: bool | str = "auto", seed: int = 0,
                   header: bool | None = None, keep_ids: bool = False) -> Cells:
    """One segment number per data row (1 = largest segment), aligned with the range."""
    fit = fit_segments(data, k, scale, seed, header, keep_ids)
    if "labels" not in fit.memo:
        fit.memo["labels"] = cells.to_cells(fit.seg.labels, fit.table, labels="Segment")
    return fit.memo["labels"]


@sheet_function("SEGMENT_PROFILE", "Describes each segment: customers, share of the base, the "
                "average of every number column, the most common value of every text column, a "
                "short description in words and the scaling used.",
                args={
    "data": _DATA,
    "k": Arg('Number of segments, as given to KMEANS_SEGMENT (a number or "auto").', _K),
    "scale": _SCALE, "seed": SEED, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def segment_profile(data: Any, k: int, scale: bool | str = "auto", seed: int = 0,
                    header: bool | None = None, keep_ids: bool = False) -> Cells:
    """One row per segment: size, share, each column's mean (or most common text), a
    description and the scaling used, then a Note row for each column left out or read specially."""
    fit = fit_segments(data, k, scale, seed, header, keep_ids)
    prof = core.profile(fit.table.frame, fit.table.kinds, fit.seg)
    return cells.with_notes(cells.to_cells(prof.to_numpy(dtype=object), labels=list(prof.columns)),
                            fit.table.notes)


@sheet_function("SEGMENT_K", "Helps choose the number of segments: prediction strength (how "
                "well segments reproduce on another half of the rows), Calinski-Harabasz index, "
                "silhouette (higher is better for all three) and inertia for k = 2 to k_max, with "
                'the k that "auto" picks marked.', args={
    "data": _DATA,
    "k_max": Arg("Largest number of segments to try (default 10).",
                 Int(default=core.K_AUTO_MAX, lo=2, hi=50)),
    "scale": _SCALE, "seed": SEED, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def segment_k(data: Any, k_max: int = core.K_AUTO_MAX, scale: bool | str = "auto", seed: int = 0,
              header: bool | None = None, keep_ids: bool = False) -> Cells:
    """k, prediction strength, Calinski-Harabasz index, silhouette and inertia for k = 2..k_max,
    with the k that k="auto" takes marked, then Note rows."""
    rng = range_of(data)

    def fit() -> tuple[core.KChoice, list[str]]:
        table = cells.leave_out_ids(cells.read_table(rng, name="data", header=header), keep_ids)
        return (core.choose_k(table.frame, table.kinds, k_max=k_max, scale=scale, seed=seed),
                table.notes)

    choice, notes = CACHE.get_or_fit("kmeans_k", call_key(), fit)
    t = choice.table
    rec = ["recommended" if k == choice.best else "" for k in t["k"]]
    block = list(zip(t["k"].tolist(), t["strength"].round(4).tolist(),
                     t["calinski_harabasz"].round(4).tolist(), t["silhouette"].round(4).tolist(),
                     t["inertia"].round(4).tolist(), rec))
    return cells.with_notes(
        cells.to_cells(block, labels=["k", "Prediction strength", "Calinski-Harabasz",
                                      "Silhouette", "Inertia", "Recommended"]),
        notes)

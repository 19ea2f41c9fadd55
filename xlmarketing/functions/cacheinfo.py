"""XLM_CACHE_INFO and XLM_CACHE_CLEAR: see and empty the model cache from a sheet."""

from __future__ import annotations

from typing import Any

from .. import cache
from . import Cells, sheet_function


@sheet_function("XLM_CACHE_INFO", "Shows the model cache: entries, hits, misses, evictions, "
                "memory and fits per model.", args={}, fits=False)
def cache_info() -> Cells:
    info = cache.info()
    rows: list[list[Any]] = [["Metric", "Value"]]
    for key in ("entries", "max_entries", "hits", "misses", "evictions"):
        rows.append([key.replace("_", " ").capitalize(), info[key]])
    rows.append(["Megabytes", round(info["bytes"] / 2**20, 3)])
    rows.append(["Max megabytes", round(info["max_bytes"] / 2**20, 3)])
    for kind, n in sorted(info["fits"].items()):
        rows.append([f"Fits: {kind}", n])
    return rows


@sheet_function("XLM_CACHE_CLEAR", "Empties the model cache so the next calculation refits "
                "every model.", args={}, fits=False)
def cache_clear() -> Cells:
    return [[f"Cleared {cache.clear()} cached models"]]

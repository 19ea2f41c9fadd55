"""Writing results back: values aligned row for row with the input range, JSON-safe, and the
Note rows companion outputs end with."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .reading import Table
from .values import gc_paused

__all__ = ["to_cells", "with_notes"]

_ONE = ((1,), (1, 1))  # the shapes of one value for one row


def with_notes(rows: list[list[Any]], notes: list[str]) -> list[list[Any]]:
    """A report table (e.g. a profile) with one ``Note`` row per note at the bottom.

    Companion outputs use it to say what was changed or left out: ``["Note", text, "", ...]``
    padded to the table's width (a one-column table gets ``"Note: text"``).
    """
    if not notes:
        return rows
    width = max((len(r) for r in rows), default=1)
    extra = [["Note", n] + [""] * (width - 2) if width >= 2 else [f"Note: {n}"] for n in notes]
    return [list(r) for r in rows] + extra


def to_cells(
    values: Any,
    table: Table | None = None,
    *,
    labels: list[str] | str | None = None,
    blank: Any = "",
) -> list[list[Any]]:
    """Results as 2-D cells aligned row for row with ``table``'s range.

    ``values``: one value per row of ``table.frame`` (1-D) or a 2-D block with one row per
    frame row. Rows that were blank in the input get blank cells; with a header row in the
    input, ``labels`` form the first output row. Without a table, ``values`` is written as is
    (a report table); ``labels`` then form the first row if given. NaN, None and infinities
    become ``blank``; numpy scalars become Python numbers, so the result is JSON-safe.
    """
    if isinstance(labels, str):
        labels = [labels]
    if (type(values) is np.ndarray and values.shape in _ONE and values.dtype == np.float64
            and (table is None or (table.row_mask.shape == (1,) and table.row_mask[0]))):
        # One number for one row (a filled-down formula): what the general path below makes.
        v = values.item()
        rows = [[v if math.isfinite(v) else blank]]
        if labels is not None and (table is None or table.header):
            rows.insert(0, list(labels))
        return rows
    numeric = np.asarray(values) if not isinstance(values, list) else None
    if numeric is not None and numeric.dtype.kind in "biuf":
        # Vectorised: numpy hands back Python ints/floats when filling an object array.
        if numeric.ndim == 1:
            numeric = numeric.reshape(-1, 1)
        bad = ~np.isfinite(numeric) if numeric.dtype.kind == "f" else None
        n = table.row_mask.size if table is not None else numeric.shape[0]
        block = np.empty((n, numeric.shape[1]), dtype=object)
        block[:] = blank
        if bad is not None and bad.any():
            obj = numeric.astype(object)
            obj[bad] = blank
            numeric = obj
        if table is not None:
            block[table.row_mask] = numeric
        else:
            block[:] = numeric
        with gc_paused():
            rows = block.tolist()
    else:
        block = np.asarray(values, dtype=object)
        if block.ndim == 1:
            block = block.reshape(-1, 1)
        if table is not None:
            full = np.full((table.row_mask.size, block.shape[1]), None, dtype=object)
            full[table.row_mask] = block
            block = full
        rows = [[_cell(v, blank) for v in row] for row in block.tolist()]
    if labels is not None and (table is None or table.header):
        rows.insert(0, list(labels))
    return rows or [[blank]]


def _cell(v: Any, blank: Any) -> Any:
    if v is None:
        return blank
    if isinstance(v, np.generic):  # before float: np.float64 is a float subclass
        v = v.item()
    if isinstance(v, float):
        return v if math.isfinite(v) else blank
    if isinstance(v, (bool, str, int)):
        return v
    if v is pd.NA or v is pd.NaT:
        return blank
    return v

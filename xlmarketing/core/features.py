"""Turning a typed table into a numeric design matrix.

Pure pandas/numpy: the model core knows nothing of Excel. Column kinds are :class:`~.kinds.Kind`
(numbers, dates as serial day numbers, booleans as 0/1, text categories).

Columns are encoded as given: which columns a model should not use (ID-like ones) is decided
by the one ID rule, in the cell layer (:mod:`xlmarketing.cells.ids`), before a table gets here.

Cost is bounded before anything is allocated: a text column one-hot encodes at most
:data:`~.limits.MAX_LEVELS` levels (the most common; the rest share one ``(other)`` column, and
:attr:`FeatureEncoder.notes` says so), and the whole matrix must fit
:data:`~.limits.MAX_DESIGN_BYTES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import limits
from .errors import DataError, Fix, col_label
from .kinds import CATEGORY, Kind

__all__ = ["CATEGORY", "FeatureEncoder", "Kind", "category_levels", "encoded_width", "missing"]


def missing(v: Any) -> bool:
    """pandas' missing-value test of one cell (text is never missing: the common case, free)."""
    return type(v) is not str and bool(pd.isna(v))


def category_levels(values: pd.Series) -> tuple[list[str], int]:
    """The levels a text column is encoded with, and how many rarer levels go to "(other)".

    The MAX_LEVELS most common levels (ties by text) are kept, listed alphabetically.
    """
    counts = values.value_counts(dropna=True)
    if len(counts) <= limits.MAX_LEVELS:
        return sorted(counts.index.astype(str)), 0
    ranked = sorted(zip(counts.to_numpy(), counts.index.astype(str)), key=lambda t: (-t[0], t[1]))
    kept = sorted(name for _, name in ranked[: limits.MAX_LEVELS])
    return kept, len(counts) - limits.MAX_LEVELS


def encoded_width(frame: pd.DataFrame, kinds: Mapping[str, str]) -> int:
    """Columns of the design matrix :class:`FeatureEncoder` would make, counted cheaply."""
    width = 0
    for c in frame.columns:
        if kinds[c] != CATEGORY:
            width += 1
        else:
            n = int(frame[c].nunique(dropna=True))
            width += n if n <= limits.MAX_LEVELS else limits.MAX_LEVELS + 1
    return width


@dataclass
class FeatureEncoder:
    """Median-impute numbers, optionally standardise them, one-hot encode categories.

    Categories are one-hot 0/1 columns (blank and unseen levels give all zeros; in a column with
    more than MAX_LEVELS levels, non-blank values outside the kept levels set its ``(other)``
    column). Standardising only the numbers keeps a one-hot column from outweighing them when a
    level is rare. ``notes`` lists, in words for the user, what the encoding changed.
    """

    scale: bool = True
    numeric: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    others: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    units: np.ndarray | None = None
    medians: np.ndarray | None = None
    means: np.ndarray | None = None
    stds: np.ndarray | None = None
    _lookup: dict[str, pd.Index] = field(default_factory=dict, repr=False, compare=False)
    _positions: dict[str, dict[str, int]] = field(default_factory=dict, repr=False, compare=False)

    def fit(self, frame: pd.DataFrame, kinds: Mapping[str, str], *, what: str = "data") -> FeatureEncoder:
        """Learn imputation, scaling and levels. ``what`` names the data in messages."""
        n = len(frame)
        self.numeric = [c for c in frame.columns if kinds[c] != CATEGORY]
        self.categories, self.others, self.notes = {}, set(), []
        self._lookup, self._positions = {}, {}
        for c in frame.columns:
            if kinds[c] != CATEGORY:
                continue
            n_levels = int(frame[c].nunique(dropna=True))
            levels, rare = category_levels(frame[c])
            self.categories[c] = levels + ([limits.OTHER_LEVEL] if rare else [])
            if rare:
                self.others.add(c)
                self.notes.append(
                    f"{col_label(c)} has {n_levels:,} different texts: the {limits.MAX_LEVELS} most "
                    f"common are modelled, the other {rare:,} together as \"{limits.OTHER_LEVEL}\".")
        limits.check_design(n, len(self.names))
        num = frame[self.numeric].to_numpy(dtype=np.float64) if self.numeric else np.empty((n, 0))
        all_blank = [c for j, c in enumerate(self.numeric) if np.isnan(num[:, j]).all()]
        if all_blank:
            raise DataError(f"{{param}} {col_label(all_blank[0])} is blank in every row.",
                            param=what, fix=Fix.FILL_OR_DROP_COLUMN)
        self.units = self._units(num)
        num = num / self.units
        gaps = np.isnan(num)
        if gaps.any():
            self.medians = np.nanmedian(num, axis=0)
            filled = np.where(gaps, self.medians, num)
        else:  # the common case: np.median is several times faster than nanmedian
            self.medians = np.median(num, axis=0) if self.numeric else np.empty(0)
            filled = num
        self.means = filled.mean(axis=0) if self.numeric else np.empty(0)
        std = filled.std(axis=0) if self.numeric else np.empty(0)
        self.stds = np.where(std > 0, std, 1.0)
        return self

    def _units(self, num: np.ndarray) -> np.ndarray:
        """Powers of two that bring huge columns near 1, so squares and sums cannot overflow.

        Exact (a power of two only shifts the exponent). Per column when standardising, one for
        all columns otherwise, so raw-unit distances keep their proportions.
        """
        if not self.numeric:
            return np.empty(0)
        big = np.nanmax(np.abs(num), axis=0)
        _, exponent = np.frexp(big)  # big = mantissa * 2**exponent, mantissa in [0.5, 1)
        units = np.where(big > 1e100, np.ldexp(1.0, exponent - 1), 1.0)
        return units if self.scale else np.full(units.shape, units.max())

    @property
    def names(self) -> list[str]:
        return self.numeric + [f"{c}={lvl}" for c, lvls in self.categories.items() for lvl in lvls]

    def transform(self, columns: pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray:
        """The design matrix for a frame, or for a mapping of column name to 1-D array.

        The mapping form skips pandas' per-column overhead, which dominates when scoring one
        row at a time (the fill-down pattern).
        """
        n = len(columns) if isinstance(columns, pd.DataFrame) else len(next(iter(columns.values())))
        limits.check_design(n, len(self.names))
        if self.numeric:
            num = np.column_stack([np.asarray(columns[c], dtype=np.float64) for c in self.numeric])
            num = np.where(np.isnan(num), self.medians, num / self.units)
            if self.scale:
                num = (num - self.means) / self.stds
        else:
            num = np.empty((n, 0))
        parts = [num]
        for c, levels in self.categories.items():
            parts.append(self._one_hot(c, np.asarray(columns[c], dtype=object), levels))
        return np.hstack(parts) if len(parts) > 1 else num

    def transform_row(self, values: Mapping[str, Any]) -> np.ndarray:
        """:meth:`transform` of one row given as column name -> cell value (a float for a
        numeric column), as a 1 x width matrix: the same arithmetic, element by element, in a
        few numpy calls instead of several per column (scoring one customer at a time)."""
        num = np.array([values[c] for c in self.numeric], dtype=np.float64)
        num = np.where(np.isnan(num), self.medians, num / self.units)
        if self.scale:
            num = (num - self.means) / self.stds
        out = np.zeros(len(num) + sum(map(len, self.categories.values())))
        out[:len(num)] = num
        at = len(num)
        for c, levels in self.categories.items():
            v = values[c]
            code = self._positions_of(c, levels).get(v, -1) if isinstance(v, str) else -1
            if code < 0 and c in self.others and not missing(v):
                code = len(levels) - 1
            if code >= 0:
                out[at + code] = 1.0
            at += len(levels)
        return out.reshape(1, -1)

    def _index(self, c: str, levels: list[str]) -> pd.Index:
        """The levels of ``c`` that are looked up (all but "(other)"), built once per column:
        scoring one row at a time reuses it."""
        index = self._lookup.get(c)
        if index is None:
            index = self._lookup[c] = pd.Index(levels[:-1] if c in self.others else levels,
                                               dtype=object)
        return index

    def _positions_of(self, c: str, levels: list[str]) -> dict[str, int]:
        """Level -> column position within ``c``'s one-hot block (a dict: faster than a pandas
        Index for a few rows)."""
        position = self._positions.get(c)
        if position is None:
            position = self._positions[c] = {lvl: j for j, lvl in enumerate(self._index(c, levels))}
        return position

    def _one_hot(self, c: str, col: np.ndarray, levels: list[str]) -> np.ndarray:
        """0/1 columns by level; the hash lookup is linear in rows, whatever the level count."""
        other = c in self.others
        index = self._index(c, levels)
        if len(col) <= 16:  # a few rows (fill-down): a dict beats building a pandas Index
            position = self._positions_of(c, levels)
            codes = np.array([position.get(v, -1) if isinstance(v, str) else -1 for v in col],
                             dtype=np.intp)
        else:
            codes = index.get_indexer(col)
        if other:
            codes = np.where((codes < 0) & ~pd.isna(col), len(index), codes)
        out = np.zeros((len(col), len(levels)))
        hit = codes >= 0
        out[np.flatnonzero(hit), codes[hit]] = 1.0
        return out

    def fit_transform(self, frame: pd.DataFrame, kinds: Mapping[str, str], *, what: str = "data") -> np.ndarray:
        return self.fit(frame, kinds, what=what).transform(frame)

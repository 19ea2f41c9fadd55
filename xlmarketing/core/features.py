"""Turning a typed table into a numeric design matrix.

Pure pandas/numpy: the model core knows nothing of Excel. Column kinds are the adapter's
("number", "date", "bool", "category"); dates arrive as serial day numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import XLMError, col_label

CATEGORY = "category"


@dataclass
class FeatureEncoder:
    """Median-impute numbers, optionally standardise them, one-hot encode categories.

    Categories are one-hot 0/1 columns (blank and unseen levels give all zeros). Standardising
    only the numbers keeps a one-hot column from outweighing them when a level is rare.
    """

    scale: bool = True
    numeric: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    units: np.ndarray | None = None
    medians: np.ndarray | None = None
    means: np.ndarray | None = None
    stds: np.ndarray | None = None

    def fit(self, frame: pd.DataFrame, kinds: dict[str, str], *, what: str = "data") -> FeatureEncoder:
        n = len(frame)
        self.numeric = [c for c in frame.columns if kinds[c] != CATEGORY]
        self.categories = {}
        for c in frame.columns:
            if kinds[c] != CATEGORY:
                continue
            counts = frame[c].value_counts(dropna=True)
            if len(counts) > max(20, n // 2) and len(counts) > 0.5 * counts.sum():
                raise XLMError("#VALUE!", f"{what} {col_label(c)} has {len(counts)} different texts "
                               f"in {n} rows, so it looks like an ID or a name. Leave that "
                               "column out of the range.")
            self.categories[c] = sorted(counts.index.astype(str))
        num = frame[self.numeric].to_numpy(dtype=np.float64) if self.numeric else np.empty((n, 0))
        all_blank = [c for j, c in enumerate(self.numeric) if np.isnan(num[:, j]).all()]
        if all_blank:
            raise XLMError("#VALUE!", f"{what} {col_label(all_blank[0])} is blank in every row. "
                           "Fill it in or leave it out of the range.")
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
        if self.numeric:
            num = np.column_stack([np.asarray(columns[c], dtype=np.float64) for c in self.numeric])
            num = np.where(np.isnan(num), self.medians, num / self.units)
            if self.scale:
                num = (num - self.means) / self.stds
        else:
            num = np.empty((n, 0))
        parts = [num]
        for c, levels in self.categories.items():
            col = np.asarray(columns[c], dtype=object)
            parts.append((col[:, None] == np.asarray(levels, dtype=object)[None, :]).astype(np.float64))
        return np.hstack(parts) if len(parts) > 1 else num

    def fit_transform(self, frame: pd.DataFrame, kinds: dict[str, str], *, what: str = "data") -> np.ndarray:
        return self.fit(frame, kinds, what=what).transform(frame)

"""Turning a typed table into a numeric design matrix.

Pure pandas/numpy: the model core knows nothing of Excel. Column kinds are the adapter's
("number", "date", "bool", "category"); dates arrive as serial day numbers.
"""

from __future__ import annotations

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
        self.medians = np.nanmedian(num, axis=0) if self.numeric else np.empty(0)
        filled = np.where(np.isnan(num), self.medians, num)
        self.means = filled.mean(axis=0) if self.numeric else np.empty(0)
        std = filled.std(axis=0) if self.numeric else np.empty(0)
        self.stds = np.where(std > 0, std, 1.0)
        return self

    @property
    def names(self) -> list[str]:
        return self.numeric + [f"{c}={lvl}" for c, lvls in self.categories.items() for lvl in lvls]

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        n = len(frame)
        num = frame[self.numeric].to_numpy(dtype=np.float64) if self.numeric else np.empty((n, 0))
        num = np.where(np.isnan(num), self.medians, num)
        if self.scale:
            num = (num - self.means) / self.stds
        parts = [num]
        for c, levels in self.categories.items():
            col = frame[c].astype(object).to_numpy()
            parts.append((col[:, None] == np.asarray(levels, dtype=object)[None, :]).astype(np.float64))
        return np.hstack(parts) if len(parts) > 1 else num

    def fit_transform(self, frame: pd.DataFrame, kinds: dict[str, str], *, what: str = "data") -> np.ndarray:
        return self.fit(frame, kinds, what=what).transform(frame)

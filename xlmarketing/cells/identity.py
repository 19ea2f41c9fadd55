"""The one identity rule for labels, categories, items, customers and groups.

Two cells name the same thing when Excel would say they are equal after the cleaning a person
does not see: Unicode NFKC (full-width letters, ligatures), invisible characters removed (zero
width space U+200B and joiners, byte order mark U+FEFF, soft hyphen U+00AD), no-break and thin
spaces read as spaces, spaces trimmed and runs of spaces collapsed, and case ignored (Excel's
``="Monthly"="monthly"`` is TRUE). A number and its plain numeric text are one ID: 1004,
1004.0 and "1004" (but "01004", a code with a leading zero, stays text).

:func:`identity` gives the key two cells share; :func:`merge_spellings` rewrites a column of
labels to one spelling per key (the most common one, ties to the first seen) and says what it
merged; :func:`onto` maps labels of a second range (score_data) onto the first range's spellings.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TOTAL_WORDS", "clean_text", "identity", "is_total_label", "merge_spellings",
           "merged_note", "onto"]

#: Characters nobody sees: removed from labels (zero width space, non-joiner, joiner, word
#: joiner, byte order mark / zero width no-break space, soft hyphen, left-to-right marks).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"))
_SPACES = re.compile(r"\s+")
#: Plain numeric text that is the same ID as the number: no leading zero, no separators.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:0|[1-9]\d*)(?:\.\d+)?")


def clean_text(s: str) -> str:
    """Text as the identity rule reads it: NFKC, invisible characters removed, every kind of
    space a plain space, trimmed and collapsed. Case is kept (it is the spelling shown)."""
    if s.isascii():
        t = s.strip()
        return _SPACES.sub(" ", t) if "  " in t or "\t" in t or "\n" in t else t
    t = unicodedata.normalize("NFKC", s).translate(_INVISIBLE)
    return _SPACES.sub(" ", t).strip()


def _number_key(x: float) -> str:
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def identity(v: Any) -> Hashable | None:
    """The key two cells share when they are the same label/ID; None for a blank.

    Numbers and plain numeric text give the number's text ("1004"); other text its cleaned,
    case-folded form; booleans "TRUE"/"FALSE" (Excel's spelling)."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return _number_key(float(v))
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else _number_key(float(v))
    if not isinstance(v, str):
        if v is pd.NA or v is pd.NaT:
            return None
        v = str(v)
    t = clean_text(v)
    if not t:
        return None
    if _PLAIN_NUMBER.fullmatch(t):
        return _number_key(float(t))
    return t.casefold()


def identity_order(v: Any) -> tuple[int, float, str]:
    """A sort key that depends on the identity only, not on its spelling: labels that are
    numbers (whether typed as numbers or as text) first, in numeric order, then the others by
    their identity; blanks last. Tie-breaks "by name" use it, so that an ID typed as text
    sorts where the same ID typed as a number does."""
    key = identity(v)
    if key is None:
        return (2, 0.0, "")
    if isinstance(key, str) and _PLAIN_NUMBER.fullmatch(key):
        return (0, float(key), key)
    return (1, 0.0, str(key))


def merge_spellings(values: Sequence[Any] | np.ndarray, *, what: str = "") -> tuple[list[Any], str | None]:
    """``values`` (blanks None/NaN) with every label written in its key's most common spelling
    (ties: the first seen), and a note naming what was merged (None when nothing was).

    Text is cleaned (:func:`clean_text`) even when it has no other spelling, so an invisible
    character never survives into an output."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    if not len(uniques):
        return list(arr), None
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    best: dict[Hashable, tuple[int, int]] = {}  # key -> (count, unique index) of the spelling shown
    keys = []
    for j, u in enumerate(uniques):
        k = identity(u)
        keys.append(k)
        if k is None:
            continue
        c = int(counts[j])
        if k not in best or c > best[k][0]:
            best[k] = (c, j)
    shown = []
    variants: dict[Hashable, list[Any]] = {}
    for j, (u, k) in enumerate(zip(uniques, keys)):
        if k is None:
            shown.append(None)
            continue
        s = uniques[best[k][1]]
        s = clean_text(s) if isinstance(s, str) else s
        shown.append(s)
        if j != best[k][1]:
            variants.setdefault(k, [uniques[best[k][1]]]).append(u)
    if all(s is u for s, u in zip(shown, uniques)) and not variants:
        return list(arr), None
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = shown
    table[-1] = None
    out = table[codes].tolist()
    return out, merged_note(variants, what) if variants else None


def merged_note(variants: dict[Hashable, list[Any]], what: str = "") -> str:
    """'Plan: 'Monthly' also written 'monthly', 'Monthly\\u200b': read as one value.'"""
    parts = []
    for spellings in list(variants.values())[:3]:
        first, *rest = spellings
        parts.append(f"{first!r} also written " + ", ".join(repr(r) for r in rest[:3])
                     + (", ..." if len(rest) > 3 else ""))
    more = f" and {len(variants) - 3} more" if len(variants) > 3 else ""
    lead = f"{what}: " if what else ""
    return (f"{lead}{'; '.join(parts)}{more}: read as one value each (case, spaces, invisible "
            "characters and number-as-text do not make a new value).")


def onto(values: Iterable[Any], known: Iterable[Any]) -> list[Any]:
    """``values`` (a second range's labels) in the spelling of ``known`` (the first range's)
    wherever the identity rule says they are the same; others kept as they are (cleaned)."""
    spelling: dict[Hashable, Any] = {}
    for k in known:
        key = identity(k)
        if key is not None:
            spelling.setdefault(key, k)
    out = []
    for v in values:
        key = identity(v)
        if key is None:
            out.append(v)
        else:
            out.append(spelling.get(key, clean_text(v) if isinstance(v, str) else v))
    return out


#: A row labelled as a total of the rows above (any text cell of the row, identity-cleaned).
TOTAL_WORDS = frozenset({
    "total", "totals", "sum", "grand total", "subtotal", "sub-total", "sub total", "total:",
    "sum:", "grand total:", "subtotal:", "summe", "gesamt", "gesamtsumme",
    "total général", "somme", "totale", "suma", "totaal",
})


def is_total_label(v: Any) -> bool:
    """Is this cell a total row's label ("Total", "Grand total", "SUBTOTAL", " Sum ")?"""
    return isinstance(v, str) and len(v) < 40 and clean_text(v).casefold() in TOTAL_WORDS

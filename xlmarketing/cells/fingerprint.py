"""Fingerprints of ranges for the fitted-models cache: a range's cells hashed once, without
converting them when they are not all numbers, and pickling as a canonical byte form.

:class:`Range` also keeps the numeric block it converted for the fingerprint, so reading the
same range into a table (:func:`~xlmarketing.cells.read_table`) does not convert it twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import operator
import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np

from .values import _fast_numeric_grid, as_grid, gc_paused

__all__ = ["UNPICKLABLE", "Range", "digest_cells", "pickled"]


class Range:
    """A range's values normalised once, then hashed for the cache and read into a table.

    Numeric rows are converted to one float array in a single C pass; that array is both the
    cache fingerprint's input (hashing its bytes is much cheaper than serialising a hundred
    thousand Python floats) and the fast path of :func:`read_table`, so a cold call converts
    once. Other ranges are hashed column by column without converting any cell
    (:func:`digest_cells`), which is all a cache hit needs.
    """

    __slots__ = ("_raw", "_grid", "_blocks", "_fingerprint", "_exact")

    def __init__(self, values: Any):
        if isinstance(values, Range):
            self._raw, self._grid = values._raw, values._grid
        else:
            self._raw, self._grid = values, None
        self._blocks: dict[int, np.ndarray | None] = {}
        self._fingerprint: bytes | None = None
        self._exact: bytes | None = None

    @property
    def grid(self) -> list[list[Any]]:
        """The cells as a rectangular 2-D list (:func:`as_grid`), made when first needed: the
        fingerprint of a range of text and numbers does without it, so a cache hit never
        checks the shape of its 5,000 rows."""
        if self._grid is None:
            self._grid = as_grid(self._raw)
        return self._grid

    def numeric_block(self, start: int) -> np.ndarray | None:
        """Rows ``start:`` as float64 when they are all numbers and blanks, else None."""
        if start not in self._blocks:
            rows = self.grid[start:]
            self._blocks[start] = _fast_numeric_grid(rows) if rows else None
        return self._blocks[start]

    @property
    def fingerprint(self) -> bytes:
        """A 20-byte digest of the cells, for the cache key.

        Numeric rows (after a text first row, if any) are hashed as one float array, other
        ranges cell by cell with :func:`digest_cells`. Cells that read alike (None and NaN,
        TRUE and 1 in a numeric block) may share a fingerprint because the adapter reads them
        alike too; cells that read differently never do.
        """
        if self._fingerprint is None:
            self._fingerprint = self._digest()
        return self._fingerprint

    def _digest(self) -> bytes:
        if _text_in_rows(self._raw, 2):
            # No numeric block can start at row 0 or 1 (its first row would hold text): the
            # check read_table's fast path makes, done on the rows as sent.
            return self.exact_fingerprint
        for start in (0, 1):
            block = self.numeric_block(start)
            if block is not None:
                h = hashlib.sha256(b"xlm-numeric")
                h.update(pickled(self.grid[:start]))
                h.update(repr(block.shape).encode())
                h.update(block.tobytes())
                return h.digest()[:20]
        return self.exact_fingerprint

    @property
    def exact_fingerprint(self) -> bytes:
        """A digest of the cells exactly as sent (TRUE and 1 differ: labels need that),
        computed once: a 2-D list or tuple as it is (:func:`_digest_as_sent`), anything else
        by :func:`digest_cells` of its grid. A range that is not all numbers has it as its
        :attr:`fingerprint`."""
        if self._exact is None:
            self._exact = _digest_as_sent(self._raw) or digest_cells(self.grid)
        return self._exact


_ROWS = (list, tuple)
_ROW_TYPES = frozenset(_ROWS)


def _text_in_rows(raw: Any, n: int) -> bool:
    """Whether ``raw`` is a sequence whose first ``n`` items are rows that each hold a text
    (``str``) cell. Such rows are rows of the grid too: :func:`as_grid` keeps a row's cells and
    only pads it with blanks."""
    return (type(raw) in _ROWS and len(raw) >= n
            and all(type(row) in _ROWS and str in set(map(type, row)) for row in raw[:n]))


def _digest_as_sent(raw: Any) -> bytes | None:
    """The digest of a 2-D list or tuple exactly as the runtime sent it, without making a grid
    first (checking the shape of every row, copying COM's tuples into lists); None when it is
    not such a value.

    Most ranges are pickled whole in one C pass: the pickle holds every cell with its type and
    every row as it is, so different cells never share a digest. When the first data row holds
    datetimes (Windows COM, openpyxl), a range whose rows are all lists or tuples of one length
    goes column by column (:func:`digest_cells`); other such ranges return None. The same
    cells in another shape (tuples instead of lists, ragged rows) may get another digest: only
    a refit, and a runtime always sends one shape.
    """
    if type(raw) not in _ROWS or not raw or type(raw[0]) not in _ROWS:
        return None
    probe = raw[1] if len(raw) > 1 else ()
    if type(probe) not in _ROWS:
        return None
    if dt.datetime not in set(map(type, probe)):
        h = hashlib.sha256(b"xlm-sent")
        h.update(pickled(raw))
        return h.digest()[:20]
    # Columns by zip: only for rows of one length (zip would drop what a longer row has).
    if set(map(type, raw)) <= _ROW_TYPES and len(set(map(len, raw))) == 1:
        return digest_cells(raw)
    return None


_TZINFO = operator.attrgetter("tzinfo")


#: What pickling an exotic runtime object (COM, JsProxy) raises.
UNPICKLABLE = (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError)


def pickled(obj: Any, *, strict: bool = False) -> bytes:
    """pickle without its memo: a C-speed canonical form of nested lists of floats, text and
    None that depends on the content only (no back-references); never loaded. An object
    pickle refuses is written as its repr, or with ``strict`` raises one of UNPICKLABLE."""
    f = io.BytesIO()
    pickler = pickle.Pickler(f, protocol=5)
    pickler.fast = True  # no memo: a third faster on cells, and shared objects cannot matter
    try:
        pickler.dump(obj)
    except UNPICKLABLE:
        if strict:
            raise
        return repr(obj).encode()  # exotic runtime objects (COM, JsProxy)
    return f.getvalue()


def _datetime_blob(col: tuple[Any, ...]) -> bytes | None:
    """A column of naive datetimes as 8 bytes per cell, or None if it is not one.

    Pickling a datetime costs ten times a float. A naive datetime's ``hash`` is SipHash of its
    exact 10-byte state (cached on the object by CPython), so 64 bits per cell with no
    systematic collisions, computed in C. Numbers are never hashed this way: ``hash(-1) ==
    hash(-2)``. Time-zone aware datetimes hash their UTC instant, which the adapter does not
    read, so they are pickled instead.
    """
    if set(map(type, col)) != {dt.datetime} or set(map(_TZINFO, col)) != {None}:
        return None
    return np.fromiter(map(hash, col), dtype=np.int64, count=len(col)).tobytes()


def digest_cells(grid: Sequence[Sequence[Any]]) -> bytes:
    """A 20-byte SHA-256 digest of a rectangular grid of raw cells, without converting them.

    Most grids are pickled whole in one C call. When the first data row holds datetimes
    (Windows COM, openpyxl), the rows below the first are hashed column by column instead, so
    that each date column takes the fast path of :func:`_datetime_blob`.
    """
    # SHA-256 rather than BLAKE2b: the CPU's SHA instructions make it half again as fast.
    h = hashlib.sha256(b"xlm-cells")
    h.update(f"{len(grid)}x{len(grid[0]) if grid else 0}".encode())
    probe = grid[1] if len(grid) > 1 else ()
    dates = {j for j, v in enumerate(probe) if type(v) is dt.datetime}
    if not dates:
        h.update(pickled(grid))
        return h.digest()[:20]
    h.update(pickled(grid[0]))
    # The column tuples cannot form cycles; without the pause, the collections their
    # allocations trigger rescan the whole heap (the big range included).
    with gc_paused():
        for j, col in enumerate(zip(*grid[1:])):
            stamps = _datetime_blob(col) if j in dates else None
            blob = b"P" + pickled(col) if stamps is None else b"D" + stamps
            h.update(len(blob).to_bytes(8, "little"))
            h.update(blob)
    return h.digest()[:20]

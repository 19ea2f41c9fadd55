"""The cell adapter: 2-D cell values in, validated tables out, and results back into cells.

Every runtime delivers a range differently:

* Windows Excel (COM, ``raw`` conversion): tuples of tuples, ``None`` for blanks, ``datetime``
  for dates, floats for numbers and COM error integers (``-2146826246`` is ``#N/A``) for errors;
* Office.js (xlwings Server/Lite, ``raw`` conversion): lists of lists, ``None`` for blanks,
  serial numbers for dates, error entities ``{"type": "Error", "basicValue": "#N/A", ...}``;
* the headless workbook engine: lists of lists with openpyxl values (``datetime``, ``"#N/A"``);
* Python callers: numpy arrays and DataFrames.

A 1×1 range arrives as a bare scalar on all of them. This module is the one place that cleans
values. Numeric columns take a vectorised fast path; only columns holding text, dates or errors
are looked at cell by cell.
"""

from __future__ import annotations

import array
import contextlib
import datetime as dt
import gc
import hashlib
import io
import itertools
import math
import operator
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .core.kinds import Kind
from .errors import EXCEL_ERRORS, XLMError, col_label
from .parsing import (ParseError, current_culture, culture_info, parse_column, parse_dates,
                      parse_number_en)

#: What COM hands over for an error cell read with the raw converter.
COM_ERRORS = {
    -2146826288: "#NULL!", -2146826281: "#DIV/0!", -2146826273: "#VALUE!",
    -2146826265: "#REF!", -2146826259: "#NAME?", -2146826252: "#NUM!", -2146826246: "#N/A",
}
_ERROR_SET = frozenset(EXCEL_ERRORS)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)

# Kinds of column: one enum shared with the model core (the names stay importable from here).
NUMBER, DATE, BOOL, CATEGORY = Kind.NUMBER, Kind.DATE, Kind.BOOL, Kind.CATEGORY

# Kinds of cell, used only on the slow path.
_BLANK, _NUM, _DATE, _BOOL, _TEXT, _ERR = range(6)


@dataclass
class Table:
    """A validated table read from a range.

    ``frame`` holds only the data rows that are not entirely blank (index 0..n-1), numeric kinds
    as float64 (dates as Excel serial days, booleans as 0/1) and categories as strings with NaN
    for blanks. ``row_mask`` marks, for every data row of the range, whether it is in ``frame``;
    :func:`to_cells` uses it to align results row for row with the range.
    """

    frame: pd.DataFrame
    kinds: dict[str, Kind]
    header: bool
    row_mask: np.ndarray
    name: str = "data"
    notes: list[str] = field(default_factory=list)
    #: Columns read from the range but left out of the model (ID-like), and all the range's
    #: columns in order, so a second range (score_data) can leave out the same ones.
    dropped: list[str] = field(default_factory=list)
    source_columns: list[str] | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def n_rows(self) -> int:
        """Data rows in ``frame`` (blank rows excluded)."""
        return len(self.frame)

    def numeric_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k != CATEGORY]

    def category_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k == CATEGORY]

    def range_row(self, i: int) -> int:
        """1-based row number within the range of the i-th row of ``frame``."""
        return int(np.flatnonzero(self.row_mask)[i]) + 1 + int(self.header)


# --------------------------------------------------------------------------- reading values


#: Text columns: pandas' string dtype with NaN for blanks (pandas 3's "str"). Spelled out, as
#: pandas 2.x reads "str" as a numpy text array, which turns a blank cell into the text "None".
TEXT_DTYPE = pd.StringDtype(na_value=np.nan)


def without_jsnull(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Arguments with Pyodide's ``jsnull`` replaced by None (blank), at any depth.

    Pyodide 0.28 and later convert JavaScript ``null`` to the ``pyodide.ffi.jsnull`` sentinel,
    and Office.js sends an empty cell of a range argument as null: xlwings cleans it only in
    its default argument conversion, not in the ``"raw"`` arguments our functions take. Outside
    Pyodide (no ``pyodide.ffi``) the arguments are returned unchanged.
    """
    try:
        from pyodide.ffi import JsNull
    except ImportError:
        return args

    def clean(v: Any) -> Any:
        if isinstance(v, JsNull):
            return None
        if isinstance(v, (list, tuple)):
            return [clean(x) if isinstance(x, (list, tuple, JsNull)) else x for x in v]
        return v

    return tuple(clean(a) for a in args)


def as_grid(values: Any) -> list[list[Any]]:
    """Any range value (scalar, 1-D, 2-D, numpy array, DataFrame) as a rectangular 2-D list.

    A 1-D sequence is one row: Office.js unwraps a one-row range to a flat list. Ragged rows
    are padded with blanks.
    """
    if isinstance(values, pd.DataFrame):
        return [list(map(str, values.columns))] + values.astype(object).values.tolist()
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    if isinstance(values, np.ndarray):
        values = values.tolist() if values.ndim else values.item()
    if not isinstance(values, (list, tuple)):
        return [[values]]
    if len(values) == 0:
        return [[None]]
    first = values[0]
    # Already rectangular lists (Office.js, openpyxl): the common case, no copy. map() keeps
    # the check in C, which matters for the fill-down pattern's many calls on a big range.
    if type(first) is list and set(map(type, values)) == {list} and len(set(map(len, values))) == 1:
        return values if first else [[None]]
    if not any(isinstance(r, (list, tuple)) for r in values):
        return [list(values)]
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in values]
    width = max(len(r) for r in rows) or 1
    for r in rows:
        if len(r) < width:
            r.extend([None] * (width - len(r)))
    return rows


class Range:
    """A range's values normalised once, then hashed for the cache and read into a table.

    Numeric rows are converted to one float array in a single C pass; that array is both the
    cache fingerprint's input (hashing its bytes is much cheaper than serialising a hundred
    thousand Python floats) and the fast path of :func:`read_table`, so a cold call converts
    once. Other ranges are hashed column by column without converting any cell
    (:func:`digest_cells`), which is all a cache hit needs.
    """

    __slots__ = ("grid", "_blocks", "_fingerprint")

    def __init__(self, values: Any):
        self.grid: list[list[Any]] = values.grid if isinstance(values, Range) else as_grid(values)
        self._blocks: dict[int, np.ndarray | None] = {}
        self._fingerprint: bytes | None = None

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
        for start in (0, 1):
            block = self.numeric_block(start)
            if block is not None:
                h = hashlib.sha256(b"xlm-numeric")
                h.update(pickled(self.grid[:start]))
                h.update(repr(block.shape).encode())
                h.update(block.tobytes())
                return h.digest()[:20]
        return digest_cells(self.grid)


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


def digest_cells(grid: list[list[Any]]) -> bytes:
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


def error_code(value: Any) -> str | None:
    """The Excel error code a cell value stands for, or None if it is not an error."""
    if isinstance(value, str):
        v = value.strip().upper()
        return v if v in _ERROR_SET else None
    if isinstance(value, dict):
        if value.get("type") == "Error":
            code = str(value.get("basicValue") or "").upper()
            return code if code in _ERROR_SET else "#VALUE!"
        return None
    if type(value) is int and value in COM_ERRORS:
        return COM_ERRORS[value]
    return None


def _classify(value: Any) -> tuple[int, Any]:
    """(kind, cleaned value) of one cell on its own (parameters, labels, header rows): number
    text in the English reading. Table columns read their text with one rule per column."""
    kind, v = _classify_raw(value)
    if kind == _TEXT:
        num = parse_number(v)
        if num is not None:
            return _NUM, num
    return kind, v


def _classify_raw(value: Any) -> tuple[int, Any]:
    """(kind, cleaned value) of one cell, text left unparsed (stripped), on the slow path."""
    if value is None:
        return _BLANK, None
    # The common cells by their exact type first: what the isinstance chain below gives them.
    if type(value) is float:
        return (_BLANK, None) if math.isnan(value) else (_NUM, value)
    if type(value) is str:
        return _classify_str(value)
    if isinstance(value, dict):
        code = error_code(value)
        if code:
            return _ERR, code
        value = value.get("basicValue")  # FormattedNumber and other Office.js entities
        if value is None:
            return _BLANK, None
    if isinstance(value, (bool, np.bool_)):
        return _BOOL, float(value)
    if isinstance(value, (int, np.integer)):
        if type(value) is int and value in COM_ERRORS:
            return _ERR, COM_ERRORS[value]
        return _NUM, float(value)
    if isinstance(value, (float, np.floating)):
        return (_BLANK, None) if math.isnan(value) else (_NUM, float(value))
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp, np.datetime64)):
        return _DATE, to_serial(value)
    if isinstance(value, dt.time):
        return _NUM, (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    if isinstance(value, str):
        return _classify_str(value)
    if getattr(value, "is_nan", None) or value is pd.NA or value is pd.NaT:
        return _BLANK, None
    return _TEXT, str(value)


def _classify_str(value: str) -> tuple[int, Any]:
    s = value.strip()
    if not s:
        return _BLANK, None
    if s.upper() in _ERROR_SET:
        return _ERR, s.upper()
    if s.upper() in ("TRUE", "FALSE"):
        return _BOOL, float(s.upper() == "TRUE")
    return _TEXT, s


def parse_number(s: str) -> float | None:
    """Numeric text ("12", "1,234.5", "$40", "15%", "1e3", "(12)") as a float, else None.

    English reading, for single values; table columns settle one rule per column
    (:func:`xlmarketing.parsing.parse_column`).
    """
    return parse_number_en(s)


def to_serial(value: Any) -> float:
    """A date or datetime as Excel's serial day number (days since 1899-12-30)."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return (value - _EXCEL_EPOCH).total_seconds() / 86400.0
    return float((value - _EXCEL_EPOCH.date()).days)


def from_serial(serial: float) -> dt.datetime:
    return _EXCEL_EPOCH + dt.timedelta(days=float(serial))


def _holds_text(rows: list[list[Any]]) -> bool:
    """Does any cell hold a str? numpy would convert numeric text ("1.234") on its own terms."""
    return str in set(map(type, itertools.chain.from_iterable(rows)))


#: Every COM error code is a large negative integer: a value above this one is none of them.
_COM_MAX = max(COM_ERRORS)


def _com_suspects(arr: np.ndarray) -> np.ndarray | None:
    """Where ``arr`` equals a COM error code (as a number), or None when nowhere.

    One comparison clears the common case (no value that low) without ``np.isin``, which
    costs as much as converting a short range.
    """
    if not (arr <= _COM_MAX).any():
        return None
    suspects = np.isin(arr, list(COM_ERRORS))
    return suspects if suspects.any() else None


def _fast_numeric(col: list[Any]) -> np.ndarray | None:
    """The column as float64 when every cell is a number or blank, else None.

    numpy converts floats, ints, bools and None (to NaN) in C; dates and dicts make it fail and
    send the column to the slow path, and so does any text (numpy would read "1.234" as 1.234
    whatever the column's rule). COM error integers are caught afterwards.
    """
    if str in set(map(type, col)):
        return None
    try:
        arr = np.array(col, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.ndim != 1:
        return None
    candidates = _com_suspects(arr)
    if candidates is not None and any(type(col[i]) is int for i in np.flatnonzero(candidates)):
        return None
    if np.isinf(arr).any():
        return None  # let the slow path name the cell
    return arr


#: Public for callers that read one column of a big range themselves (a purchase list's
#: quantities): the C-speed path before :func:`read_table`'s column rule.
fast_numeric = _fast_numeric


def _fast_numeric_grid(body: list[list[Any]]) -> np.ndarray | None:
    """The whole block as float64 in one C pass when every cell is a number or blank.

    Text never passes, not even numeric text: numpy would read ``"1.234"`` as 1.234 whatever
    its column's rule. ``array.array`` refuses text (and blanks) while converting, so a block
    without blanks costs one pass; a block with blanks is converted by numpy after a type scan.
    """
    if any(type(v) is str for v in body[0]):
        return None  # a text column: numpy would only find out after converting everything
    try:
        flat = array.array("d", itertools.chain.from_iterable(body))
        arr = np.frombuffer(flat, dtype=np.float64).reshape(len(body), -1)
    except (TypeError, ValueError, OverflowError):
        if _holds_text(body):
            return None
        try:
            arr = np.array(body, dtype=np.float64)
        except (TypeError, ValueError):
            return None
    if arr.ndim != 2 or np.isinf(arr).any():
        return None
    suspects = _com_suspects(arr)
    if suspects is not None and any(type(body[i][j]) is int for i, j in zip(*np.nonzero(suspects))):
        return None
    return arr


def _classify_all(col: list[Any], classify: Any = _classify,
                  memo: dict[str, tuple[int, Any]] | None = None) -> list[tuple[int, Any]]:
    """``classify`` for every cell; each distinct text is classified once (categories repeat).

    ``memo`` (filled in, first appearance first) maps each distinct text to its result."""
    memo = {} if memo is None else memo
    out = []
    for v in col:
        if type(v) is str:
            r = memo.get(v)
            if r is None:
                r = memo[v] = classify(v)
            out.append(r)
        else:
            out.append(classify(v))
    return out


@dataclass
class _Column:
    """One slow-path column: cell kinds, cleaned values, and a note on how its text was read."""

    kinds: np.ndarray
    values: list[Any]
    note: str | None = None


def _column_kinds(col: list[Any], culture: Any = None) -> _Column:
    """Classify a column's cells, reading all its number and date text with one rule.

    Raises :class:`~xlmarketing.parsing.ParseError` when the text has no single safe reading.
    """
    memo: dict[str, tuple[int, Any]] = {}
    pairs = _classify_all(col, _classify_raw, memo)
    ck = np.fromiter((p[0] for p in pairs), dtype=np.int8, count=len(pairs))
    cv = [p[1] for p in pairs]
    text = ck == _TEXT
    if not text.any():
        return _Column(ck, cv)
    idx = np.flatnonzero(text)
    parsed = parse_column([r[1] for r in memo.values() if r[0] == _TEXT], culture=culture,
                          plain_numbers=bool((ck == _NUM).any()))
    if parsed.numbers or parsed.dates:
        for i in idx.tolist():
            t = cv[i]
            if t in parsed.numbers:
                ck[i], cv[i] = _NUM, parsed.numbers[t]
            elif t in parsed.dates:
                ck[i], cv[i] = _DATE, parsed.dates[t]
    return _Column(ck, cv, parsed.note)


def _looks_like_header(grid: list[list[Any]]) -> bool:
    """Is the first row a header? Either all text while some column below it holds numbers,
    dates or booleans, or numeric names (years such as 2019, dates) that the rows below do not
    follow: see :func:`_numeric_header`."""
    if len(grid) < 2:
        return False
    first = [_classify(v) for v in grid[0]]
    kinds = [k for k, _ in first]
    if any(k not in (_TEXT, _BLANK) for k in kinds):
        return _numeric_header(grid, first)
    if not any(k == _TEXT for k in kinds):
        return False
    # Row by row, so a typical table answers on its first data row.
    if any(_classify(v)[0] in (_NUM, _DATE, _BOOL) for row in grid[1:] for v in row):
        return True
    return _text_reads_as_values(grid)


def _text_reads_as_values(grid: list[list[Any]]) -> bool:
    """Does a column below the first row read as dates or numbers under its column rule
    ("31/01/2024", "1.234,5")? Then the all-text first row above it is names."""
    below = grid[1:1 + _HEADER_SAMPLE]
    for j in range(len(grid[0])):
        texts = [v.strip() for row in below if isinstance(v := row[j], str) and v.strip()]
        if not texts:
            continue
        try:
            parsed = parse_column(texts, culture=current_culture())
        except ParseError:
            return True  # values, if unsettled ones: read_table then says what is unclear
        if parsed.dates or parsed.numbers:
            return True
    return False


#: Whole numbers read as years in a header row.
_YEARS = (1900, 2100)
#: Rows below a numeric header row looked at to tell it from data (enough to see a pattern).
_HEADER_SAMPLE = 500


def _is_year(kind: int, v: Any) -> bool:
    return kind == _NUM and float(v).is_integer() and _YEARS[0] <= v <= _YEARS[1]


def _numeric_header(grid: list[list[Any]], first: list[tuple[int, Any]]) -> bool:
    """A first row of years or dates (text names may sit beside them) is a header when the
    columns below differ in kind (2019 over money or counts, a date over numbers), or when
    its years run on by one (2019, 2020, 2021) and the next row does not repeat that pattern.
    A lone number over values of its own kind and range stays data."""
    cols = [j for j, (k, _) in enumerate(first) if k not in (_TEXT, _BLANK)]
    if any(not (first[j][0] == _DATE or _is_year(*first[j])) for j in cols):
        return False
    below = grid[1:1 + _HEADER_SAMPLE]
    differs = []
    for j in cols:
        cells_j = [c for c in (_classify(row[j]) for row in below) if c[0] != _BLANK]
        if not cells_j:
            return False
        h_kind, h = first[j]
        if h_kind == _DATE:
            differs.append(not any(k == _DATE for k, _ in cells_j))
            continue
        years = sum(_is_year(k, v) for k, v in cells_j)
        nums = [v for k, v in cells_j if k == _NUM]
        # A lone year-like number over numbers in its own range (2000 over 1500..2500 whole
        # numbers) may well be data; over fractions (money) or other magnitudes it is a name.
        alone = len(cols) == 1 and len(first) == 1
        plausible = bool(nums) and min(nums) <= h <= max(nums) and all(float(v).is_integer()
                                                                        for v in nums)
        differs.append(years < 0.5 * len(cells_j) and not (alone and plausible))
    if all(differs):
        return True
    years_row = [first[j][1] for j in cols if first[j][0] == _NUM]
    runs_on = len(years_row) >= 2 and all(b - a == 1 for a, b in zip(years_row, years_row[1:]))
    if not runs_on:
        return False
    nxt = [_classify(grid[1][j]) for j in cols]
    repeated = all(k == _NUM for k, _ in nxt) and all(
        b[1] - a[1] == 1 for a, b in zip(nxt, nxt[1:]))
    return not repeated


def resolve_header(grid: list[list[Any]], header: Any) -> bool:
    """Decide whether the range's first row is a header (``header`` None = detect)."""
    if header is None:
        return _looks_like_header(grid)
    return bool(header)


def read_table(values: Any, **options: Any) -> Table:
    """Turn a range's values into a validated :class:`Table`: :func:`read_columns` with the
    same keyword options (``name``, ``header``, ``allow_text``, ``culture``, ``first_column``,
    ``mixed_dates``), checks and errors, and the DataFrame built."""
    return read_columns(values, **options).table()


@dataclass
class Columns:
    """What :func:`read_table` reads, before the DataFrame is built (which costs more than
    reading a short range): every column over all the range's data rows, blank rows included.

    ``table()`` builds the :class:`Table`; ``numbers(c)`` is column ``c`` of ``table().frame``
    as float64 without building it (numeric kinds only).
    """

    values: dict[str, Any]
    kinds: dict[str, Kind]
    header: bool
    row_mask: np.ndarray
    name: str = "data"
    notes: list[str] = field(default_factory=list)
    _table: Table | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.values)

    def numbers(self, column: str) -> np.ndarray:
        if self.kinds[column] == CATEGORY:
            raise TypeError(f"{column} is a category column")
        return self.values[column][self.row_mask]

    def table(self) -> Table:
        if self._table is None:
            keep = self.row_mask
            frame = pd.DataFrame({c: v[keep] for c, v in self.values.items()})
            frame.index = pd.RangeIndex(len(frame))
            self._table = Table(frame=frame, kinds=self.kinds, header=self.header, row_mask=keep,
                                name=self.name, notes=self.notes)
        return self._table


def read_columns(
    values: Any,
    *,
    name: str = "data",
    header: bool | None = None,
    allow_text: bool = True,
    culture: str | None = None,
    first_column: int = 1,
    mixed_dates: bool = True,
) -> Columns:
    """Read a range's values into validated :class:`Columns` (``table()`` builds the
    :class:`Table` that :func:`read_table` returns).

    ``header``: None detects a header row (first row all text while the rows below are not),
    True/False force it. Error values anywhere raise an XLMError naming the cell. A column
    that is numbers except for a few stray text cells is refused (naming the first one), rather
    than silently treated as a category. An all-blank range is refused.

    Number and date text is read with one rule per column (:mod:`xlmarketing.parsing`), in
    ``culture`` (e.g. ``"de-DE"``) or else the one set by ``parsing.use_culture``; a column
    with no single safe reading is refused naming a cell, and a reading the culture settled is
    added to ``notes``. ``first_column``: the number of the range's first column in the
    caller's range, for unnamed columns ("column 3") when only part of it is read here.
    A date among numbers is refused (Excel turns "3-4" typed into a number column into a
    date); a few numbers among dates are read as serial days, with a note, when they are
    valid ones. ``mixed_dates`` False refuses any mix (counts, quantities).
    """
    rng = values if isinstance(values, Range) else Range(values)
    grid = rng.grid
    has_header = resolve_header(grid, header)
    width = len(grid[0])
    if has_header:
        names = _column_names(grid[0], first_column)
        body = grid[1:]
    else:
        names = [f"column {j + first_column}" for j in range(width)]
        body = grid
    if not body:
        raise XLMError("#VALUE!", f"{name} has a header row but no data rows below it. "
                       "Select the data rows too.")

    columns: dict[str, Any] = {}
    kinds: dict[str, Kind] = {}
    notes: list[str] = []
    cul = culture_info(culture) if culture else current_culture()
    blank = np.ones(len(body), dtype=bool)
    whole = rng.numeric_block(int(has_header))  # None when any cell is text (even "1.234")
    cols = None if whole is not None else list(zip(*body))
    for j, cname in enumerate(names):
        if whole is not None:
            arr, col = whole[:, j], None
        else:
            col = list(cols[j])
            arr = _fast_numeric(col)
        if arr is not None:
            blank &= np.isnan(arr)
            columns[cname], kinds[cname] = arr, NUMBER
            continue
        try:
            parsed = _column_kinds(col, cul)
        except ParseError as exc:
            i = next(i for i, v in enumerate(col) if isinstance(v, str) and v.strip() == exc.example)
            raise XLMError("#VALUE!", f"{name} {col_label(cname)} "
                           f"{exc.message(f'row {i + 1 + has_header} of the range')}.") from None
        ck, cv = parsed.kinds, parsed.values
        if parsed.note:
            notes.append(f"{cname}: {parsed.note}.")
        err = np.flatnonzero(ck == _ERR)
        if err.size:
            i = int(err[0])
            raise XLMError(cv[i], f"{name} has the error value {cv[i]} in row {i + 1 + has_header}"
                           f" of the range ({col_label(cname)}). Fix that cell or clear it.")
        for i in np.flatnonzero(ck == _NUM):
            if not math.isfinite(cv[i]):
                raise XLMError("#NUM!", f"{name} has the non-finite number {cv[i]} in row "
                               f"{i + 1 + has_header} ({col_label(cname)}). Enter a finite number.")
        n_dates, n_nums = int((ck == _DATE).sum()), int((ck == _NUM).sum())
        if n_dates and n_nums:
            if not mixed_dates or n_dates <= n_nums:
                # A date among numbers is almost always Excel's doing ("3-4" typed into a spend
                # column becomes 4 March): read as its serial day it would be a silent 45355.
                i = int(np.flatnonzero(ck == _DATE)[0])
                raise XLMError("#VALUE!", f"{name} {col_label(cname)} holds numbers but row "
                               f"{i + 1 + has_header} has the date {show(col[i])}. Enter a "
                               "number there or clear the cell.")
            _numbers_among_dates(ck, cv, name, cname, has_header, notes)
        blank &= ck == _BLANK
        n_text = int((ck == _TEXT).sum())
        n_filled = int((ck != _BLANK).sum())
        if n_text == 0:
            present = set(ck[ck != _BLANK].tolist())
            kind = DATE if present == {_DATE} else BOOL if present == {_BOOL} else NUMBER
            columns[cname] = np.array([np.nan if v is None else v for v in cv], dtype=np.float64)
            kinds[cname] = kind
        elif not allow_text:
            i = int(np.flatnonzero(ck == _TEXT)[0])
            raise XLMError("#VALUE!", f"{name} has the text {cv[i]!r} in row {i + 1 + has_header} "
                           f"({col_label(cname)}); it needs numbers. Fix that cell or clear it.")
        elif n_text < n_filled and n_text <= 0.1 * n_filled:
            i = int(np.flatnonzero(ck == _TEXT)[0])
            raise XLMError("#VALUE!", f"{name} {col_label(cname)} holds numbers but row "
                           f"{i + 1 + has_header} has the text {cv[i]!r}. Enter a number there "
                           "or clear the cell.")
        else:
            # Mixed text and numbers (e.g. plan codes 1, 2, "Gold"): all become category labels.
            labels = [None if k == _BLANK else _label(v) for k, v in zip(ck.tolist(), cv)]
            columns[cname] = pd.array(labels, dtype=TEXT_DTYPE)
            kinds[cname] = CATEGORY
    if blank.all():
        raise XLMError("#VALUE!", f"{name} is empty: every cell in the range is blank. "
                       "Select the cells that hold your data.")
    return Columns(columns, kinds, has_header, ~blank, name, notes)


def _numbers_among_dates(ck: np.ndarray, cv: list[Any], name: str, cname: str,
                         has_header: bool, notes: list[str]) -> None:
    """Numbers in a column of dates: serial days (a cell that lost its date format), noted."""
    idx = np.flatnonzero(ck == _NUM)
    for i in idx.tolist():
        if not (SERIAL_MIN <= cv[i] <= SERIAL_MAX) or cv[i] != int(cv[i]):
            raise XLMError("#VALUE!", f"{name} {col_label(cname)} holds dates but row "
                           f"{i + 1 + has_header} has the number {show(cv[i])}. Enter a date "
                           "there or clear the cell.")
        ck[i] = _DATE
    notes.append(f"{cname}: {idx.size} number(s) among the dates read as dates (Excel serial "
                 f"days), e.g. row {int(idx[0]) + 1 + has_header}.")


#: Excel serial days of 1900-01-01 and 9999-12-31: a number outside is no date.
SERIAL_MIN, SERIAL_MAX = 1.0, 2958465.0


def text_dates(labels: list[Any], *, name: str, column: str, rows: np.ndarray) -> np.ndarray:
    """A date column :func:`read_table` left as text (a CATEGORY column: dates written in
    several formats) as Excel serial days, NaN for blanks.

    The labels of cells the column rule read as dates or numbers are their serial days; the
    other texts go through :func:`xlmarketing.parsing.parse_dates` together, so the whole
    column is read in one day order (never a per-cell month-first guess). ``rows`` are the
    labels' rows in the range, for the messages: text that is no date, or whose day order
    nothing settles, raises an XLMError naming its row.
    """
    out = np.full(len(labels), np.nan)
    texts: dict[str, float | None] = {}
    for v in labels:
        if isinstance(v, str) and v not in texts:
            try:
                x = float(v)
            except ValueError:
                x = None
            # read_table writes a number cell's label with _label: that text is a number.
            texts[v] = x if x is not None and _label(x) == v else None
    try:
        dates = parse_dates([t for t, x in texts.items() if x is None], culture=current_culture())
    except ParseError as exc:
        i = labels.index(exc.example)
        raise XLMError("#VALUE!", f"{name} {col_label(column)} "
                       f"{exc.message(f'row {rows[i]} of the range')}.") from None
    for i, v in enumerate(labels):
        if not isinstance(v, str):
            continue  # a blank: NaN, pd.NA or None
        x = texts[v]
        x = dates.get(v) if x is None else (x if SERIAL_MIN <= x <= SERIAL_MAX else None)
        if x is None:
            raise XLMError("#VALUE!", f"{name} has {v!r} in row {rows[i]} of the date column "
                           f"({col_label(column)}), which is not a date. Enter a date there, "
                           "or clear the row.")
        out[i] = x
    return out


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _header_name(v: Any) -> str:
    """A header cell as a column name: 2019.0 → "2019", a date → "2024-01-31"."""
    kind, x = _classify(v)
    if kind == _DATE:
        d = from_serial(x)
        return d.date().isoformat() if d.time() == dt.time() else d.isoformat(sep=" ")
    if kind == _NUM and isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
        return _label(x)
    return str(v).strip() if v is not None else ""


def _column_names(row: list[Any], first_column: int = 1) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, v in enumerate(row):
        base = _header_name(v) or f"column {j + first_column}"
        n = seen.get(base, 0)
        seen[base] = n + 1
        names.append(base if n == 0 else f"{base} ({n + 1})")
    return names


def read_vector(values: Any, *, name: str, header: bool | None = None) -> tuple[list[Any], bool]:
    """A one-column range as a list of cleaned cell values (None for blanks), and its header flag.

    Values keep their meaning (numbers as floats, text stripped, booleans as bool) so callers
    such as label parsing can interpret them. Error values raise an XLMError naming the row.
    """
    grid = as_grid(values)
    if len(grid[0]) != 1 and len(grid) == 1:
        grid = [[v] for v in grid[0]]  # a single row counts as a vector too
    if len(grid[0]) != 1:
        raise XLMError("#VALUE!", f"{name} must be a single column, got {len(grid[0])} columns. "
                       "Select one column.")
    has_header = resolve_header(grid, header)
    out: list[Any] = []
    for i, (kind, v) in enumerate(_classify_all([row[0] for row in grid[int(has_header):]])):
        if kind == _ERR:
            raise XLMError(v, f"{name} has the error value {v} in row {i + 1 + has_header}. "
                           "Fix that cell or clear it.")
        out.append(bool(v) if kind == _BOOL else v)
    return out, has_header


def read_beside(values: Any, table: Table, *, name: str, fix: str = "Select the same rows for both."
                ) -> tuple[list[Any], bool]:
    """A one-column range that goes with ``table`` row for row (labels, groups), and its header flag.

    It may have its own header cell when the table has a header row; any other length is
    refused, naming both counts. The values cover every data row of the table's range (before
    blank rows were left out: filter with ``table.row_mask``).
    """
    grid = as_grid(values)
    rows = len(grid[0]) if len(grid) == 1 and len(grid[0]) > 1 else len(grid)  # a row counts too
    body = table.row_mask.size
    if table.header and rows == body + 1:
        has_header = True
    elif rows == body:
        has_header = False
    else:
        extra = " plus a header row" if table.header else ""
        raise XLMError("#VALUE!", f"{name} has {rows} rows but {table.name} has {body} data "
                       f"rows{extra}. {fix}")
    out, _ = read_vector(grid, name=name, header=has_header)
    return out, has_header


# --------------------------------------------------------------------------- ID-like columns

#: Filled rows a column needs before it can look like an ID: a handful of rows proves nothing.
MIN_ID_ROWS = 10
#: Code-like text: letters, an optional separator, digits (C-00017, CUST0001, 0017, AB-12-X).
_CODE = re.compile(r"^[A-Za-z]{0,8}[-_#/.]?\d+(?:[-_/.]?[A-Za-z0-9]+)*$")
#: Column names that say "identifier": Customer ID, customer_id, CustomerID, Cust No, Account #.
_ID_NAME = re.compile(r"(?i:(?:^|[\s_\-.])(?:id|no\.?|nr|number|#))$|[a-z](?:ID|Id)$")


def _id_reason(name: str, values: pd.Series, kind: str) -> str | None:
    """Why a column looks like an ID (to say so in the outputs), or None."""
    if kind in (DATE, BOOL) or values.size < MIN_ID_ROWS:
        return None
    named = bool(_ID_NAME.search(name.strip()))
    if kind == CATEGORY:
        head = [v for v in values.iloc[:64].tolist() if isinstance(v, str)]
        if len(set(head)) < len(head):
            return None  # a repeat in the first rows: a category, not an identifier
        texts = values.dropna().astype(str)
        if len(texts) < MIN_ID_ROWS or not texts.is_unique:
            return None
        if texts.str.fullmatch(_CODE).all() and texts.str.contains(r"\d").all():
            return "every value is a distinct code"
        return "every value is distinct and the name says ID" if named else None
    x = values.to_numpy(dtype=np.float64)
    # Most number columns have a fraction in their first rows: answer before sorting anything.
    head = x[:64][~np.isnan(x[:64])]
    if not np.all(head == np.round(head)):
        return None
    x = x[~np.isnan(x)]
    if x.size < MIN_ID_ROWS or not np.all(x == np.round(x)):
        return None
    s = np.sort(x)
    steps = np.diff(s)
    if steps.size == 0 or steps.min() <= 0:
        return None  # repeats: not an identifier
    if steps.min() == steps.max():
        return "distinct whole numbers in steps of " + _label(float(steps[0]))
    return "distinct whole numbers and the name says ID" if named else None


def id_columns(table: Table) -> dict[str, str]:
    """Columns that look like IDs, each with the reason: distinct whole numbers in equal steps
    (1, 2, 3... or 1001, 1002...), distinct code-like text (C-00017), or distinct values under
    an ID-like name (Customer ID). An ID carries no behaviour, only row order, and a model
    that uses it learns the file's sort order (leakage)."""
    out: dict[str, str] = {}
    for c, kind in table.kinds.items():
        why = _id_reason(c, table.frame[c], kind)
        if why:
            out[c] = why
    return out


def leave_out_ids(table: Table, keep_ids: bool = False) -> Table:
    """``table`` without its ID-like columns (:func:`id_columns`), each named in ``notes``.

    ``keep_ids`` (the sheet functions' option of the same name) keeps them. A table whose every
    column looks like an ID is refused: there would be nothing left to model.
    """
    ids = {} if keep_ids else id_columns(table)
    if not ids:
        return table
    if len(ids) == len(table.kinds):
        shown = "; ".join(f"{col_label(c)}: {why}" for c, why in list(ids.items())[:3])
        raise XLMError("#VALUE!", f"{table.name} has only ID-like columns ({shown}), nothing to "
                       "model. Add the customers' attributes, or set keep_ids to TRUE to use "
                       "them anyway.")
    frame = table.frame.drop(columns=list(ids))
    notes = list(table.notes) + [f"{c} left out: it looks like an ID ({why}). Set keep_ids to "
                                 "TRUE to use it." for c, why in ids.items()]
    return Table(frame=frame, kinds={c: k for c, k in table.kinds.items() if c not in ids},
                 header=table.header, row_mask=table.row_mask, name=table.name, notes=notes,
                 dropped=list(table.dropped) + list(ids),
                 source_columns=table.source_columns or table.columns)


def leave_out_same(table: Table, like: Table) -> Table:
    """``table`` (e.g. score_data) without the columns ``like`` (the training table) left out:
    by name when both have headers, else by position when it has all of ``like``'s columns."""
    if not like.dropped:
        return table
    if table.header and like.header:
        drop = {c.casefold() for c in like.dropped}
        gone = [c for c in table.columns if c.casefold() in drop]
    elif like.source_columns and len(table.columns) == len(like.source_columns):
        gone = [t for t, s in zip(table.columns, like.source_columns) if s in like.dropped]
    else:
        return table
    if not gone:
        return table
    return Table(frame=table.frame.drop(columns=gone),
                 kinds={c: k for c, k in table.kinds.items() if c not in gone},
                 header=table.header, row_mask=table.row_mask, name=table.name,
                 notes=table.notes, dropped=gone, source_columns=table.columns)


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


# --------------------------------------------------------------------------- parameters


def scalar(value: Any) -> Any:
    """A parameter cell's value: unwraps 1×1 ranges; blanks and missing arguments become None."""
    # The usual parameters (a number, or left out) without the cell classifier; the same values.
    if value is None:
        return None
    if type(value) is float and not math.isnan(value):
        return value
    if type(value) is int and value not in COM_ERRORS:
        return float(value)
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (list, tuple)):
        raise XLMError("#VALUE!", f"expected a single value, got a range of {len(value)} cells. "
                       "Use one cell or a typed value.")
    kind, v = _classify(value)
    if kind == _BLANK:
        return None
    if kind == _ERR:
        raise XLMError(v, f"a parameter is the error value {v}. Fix the cell it refers to.")
    if kind == _BOOL:
        return bool(v)
    return v


@dataclass(frozen=True)
class IntWording:
    """How :func:`param_int` words its errors for one parameter; blank fields keep the generic text.

    Each message is a format string with ``{name}``, ``{n}`` (the whole number received),
    ``{lo}`` and ``{hi}``.

    * ``unit``: what the number counts, e.g. ``" of segments"`` in "k must be a whole number of
      segments";
    * ``fix``: the sentence after a wrong-type message (default "Enter a whole number ...");
    * ``missing``: the #VALUE! message for a blank without a default (default: blank is allowed);
    * ``negative`` / ``zero`` / ``too_high``: #NUM! messages for n < 0, n == 0 and n > hi,
      used before the generic out-of-range message.
    """

    unit: str = ""
    fix: str = ""
    missing: str = ""
    negative: str = ""
    zero: str = ""
    too_high: str = ""


_GENERIC_INT = IntWording()


def param_int(value: Any, name: str, *, default: int | None = None, lo: int | None = None,
              hi: int | None = None, wording: IntWording = _GENERIC_INT) -> int | None:
    """A whole-number parameter, validated, or ``default`` when blank."""
    w = wording
    fmt = {"name": name, "lo": lo, "hi": hi}
    v = scalar(value)
    if v is None:
        if w.missing and default is None:
            raise XLMError("#VALUE!", w.missing.format(**fmt))
        return default
    if isinstance(v, bool) or not isinstance(v, float) or not v.is_integer():
        fix = w.fix.format(**fmt) if w.fix else f"Enter a whole number{_range_hint(lo, hi)}."
        raise XLMError("#VALUE!", f"{name} must be a whole number{w.unit}, got {show(value)}. {fix}")
    n = int(v)
    fmt["n"] = n
    for message, hit in ((w.negative, n < 0), (w.zero, n == 0),
                         (w.too_high, hi is not None and n > hi)):
        if message and hit:
            raise XLMError("#NUM!", message.format(**fmt))
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise XLMError("#NUM!", f"{name}={n} is out of range. Enter a whole number{_range_hint(lo, hi)}.")
    return n


def param_float(value: Any, name: str, *, default: float | None = None, lo: float | None = None,
                hi: float | None = None, lo_open: bool = False, hi_open: bool = False) -> float | None:
    v = scalar(value)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, float):
        raise XLMError("#VALUE!", f"{name} must be a number, got {show(value)}.")
    bad_lo = lo is not None and (v <= lo if lo_open else v < lo)
    bad_hi = hi is not None and (v >= hi if hi_open else v > hi)
    if bad_lo or bad_hi:
        lo_s = "" if lo is None else f"{'above' if lo_open else 'at least'} {lo:g}"
        hi_s = "" if hi is None else f"{'below' if hi_open else 'at most'} {hi:g}"
        raise XLMError("#NUM!", f"{name}={v:g} is out of range; it must be "
                       f"{' and '.join(s for s in (lo_s, hi_s) if s)}.")
    return v


def param_bool(value: Any, name: str, *, default: bool) -> bool:
    v = scalar(value)
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    if isinstance(v, float) and v in (0.0, 1.0):
        return bool(v)
    if isinstance(v, str) and v.lower() in ("yes", "no", "y", "n"):
        return v.lower().startswith("y")
    raise XLMError("#VALUE!", f"{name} must be TRUE or FALSE, got {show(value)}.")


def param_header(value: Any) -> bool | None:
    """The shared ``header`` option: blank or "auto" detects, TRUE/FALSE force."""
    v = scalar(value)
    if v is None or (isinstance(v, str) and v.lower() == "auto"):
        return None
    return param_bool(v, "header", default=False)


def param_choice(value: Any, name: str, choices: tuple[str, ...], *, default: str) -> str:
    v = scalar(value)
    if v is None:
        return default
    s = str(v).strip().lower()
    if s not in choices:
        raise XLMError("#VALUE!", f"{name} must be one of {', '.join(choices)}; got {show(value)}.")
    return s


def show(value: Any) -> str:
    """A received value as messages quote it: text in quotes, a 1×1 range unwrapped."""
    v = value
    while isinstance(v, (list, tuple)) and len(v) == 1:
        v = v[0]
    return repr(v) if isinstance(v, str) else str(v)


_show = show  # the old private name, for code written before it was public


def _range_hint(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f" from {lo} to {hi}"
    if lo is not None:
        return f" of at least {lo}"
    if hi is not None:
        return f" of at most {hi}"
    return ""


# --------------------------------------------------------------------------- writing results


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


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Build many small lists without the cyclic GC rescanning the whole heap meanwhile.

    A spill of 100,000 one-cell rows allocates 100,000 lists; with a big input range alive,
    the collections those allocations trigger cost ten times the building itself. Lists of
    numbers cannot form cycles, so nothing is missed.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


# --------------------------------------------------------------------------- text columns

#: First cells that name a column of customer texts: a header row is recognised by them.
TEXT_HEADER_WORDS = frozenset({
    "text", "texts", "review", "reviews", "comment", "comments", "message", "messages",
    "feedback", "ticket", "tickets", "body", "description", "answer", "answers", "response",
    "responses", "tweet", "tweets", "post", "posts", "title", "note", "notes", "content",
    "subject", "verbatim", "verbatims", "review text", "comment text", "survey answer",
})


def text_of(value: Any) -> str | None:
    """A cell as text for text analysis: None when blank; numbers, booleans and dates as written."""
    kind, v = _classify(value)
    if kind == _BLANK:
        return None
    if kind == _BOOL:
        return "TRUE" if v else "FALSE"
    if kind == _NUM:
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"
    if kind == _DATE:
        return from_serial(v).date().isoformat() if isinstance(v, float) else str(v)
    if kind == _ERR:
        raise ValueError(v)
    return value.strip() if isinstance(value, str) else str(v)


def read_texts(values: Any, *, name: str, header: bool | None = None
               ) -> tuple[list[str | None], bool]:
    """A one-column range of texts (None for blanks) and whether its first cell is a header.

    Numbers in a text column are text ("15"). With ``header`` None, the first cell is a header
    when it is one of :data:`TEXT_HEADER_WORDS` (``Review``, ``Comment``...); TRUE/FALSE force it.
    """
    grid = as_grid(values)
    if len(grid[0]) != 1 and len(grid) == 1:
        grid = [[v] for v in grid[0]]
    if len(grid[0]) != 1:
        raise XLMError("#VALUE!", f"{name} must be a single column of texts, got {len(grid[0])} "
                       "columns. Select one column.")
    out: list[str | None] = []
    for i, row in enumerate(grid):
        try:
            out.append(text_of(row[0]))
        except ValueError as exc:
            code = str(exc)
            raise XLMError(code, f"{name} has the error value {code} in row {i + 1}. Fix that "
                           "cell or clear it.") from None
    if header is None:
        first = out[0]
        header = (len(out) > 1 and isinstance(first, str)
                  and first.strip().lower().rstrip(":") in TEXT_HEADER_WORDS)
    return (out[1:] if header else out), bool(header)

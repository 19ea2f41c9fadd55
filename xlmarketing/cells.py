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

import contextlib
import datetime as dt
import gc
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import EXCEL_ERRORS, XLMError, col_label

#: What COM hands over for an error cell read with the raw converter.
COM_ERRORS = {
    -2146826288: "#NULL!", -2146826281: "#DIV/0!", -2146826273: "#VALUE!",
    -2146826265: "#REF!", -2146826259: "#NAME?", -2146826252: "#NUM!", -2146826246: "#N/A",
}
_ERROR_SET = frozenset(EXCEL_ERRORS)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_NUMERIC_TEXT = re.compile(r"^[-+]?[$€£]?\s*(\d{1,3}(,\d{3})+|\d*)(\.\d+)?([eE][-+]?\d+)?%?$")

# Kinds of column.
NUMBER, DATE, BOOL, CATEGORY = "number", "date", "bool", "category"

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
    kinds: dict[str, str]
    header: bool
    row_mask: np.ndarray
    name: str = "data"
    notes: list[str] = field(default_factory=list)

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
    cache fingerprint (hashing its bytes is much cheaper than serialising a hundred thousand
    Python floats) and the fast path of :func:`read_table`, so a cold call converts once.
    """

    __slots__ = ("grid", "_blocks")

    def __init__(self, values: Any):
        self.grid: list[list[Any]] = values.grid if isinstance(values, Range) else as_grid(values)
        self._blocks: dict[int, np.ndarray | None] = {}

    def numeric_block(self, start: int) -> np.ndarray | None:
        """Rows ``start:`` as float64 when they are all numbers and blanks, else None."""
        if start not in self._blocks:
            rows = self.grid[start:]
            self._blocks[start] = _fast_numeric_grid(rows) if rows else None
        return self._blocks[start]

    @property
    def fingerprint(self) -> Any:
        """What the cache hashes: the numeric rows as one array (after a text first row, if
        any), else the cells themselves. Cells that read alike (None and NaN, TRUE and 1) may
        share a fingerprint because the adapter reads them alike too."""
        for start in (0, 1):
            block = self.numeric_block(start)
            if block is not None:
                return ("numeric", start, self.grid[:start], block)
        return self.grid


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
    """(kind, cleaned value) of one cell, on the slow path."""
    if value is None:
        return _BLANK, None
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
        s = value.strip()
        if not s:
            return _BLANK, None
        if s.upper() in _ERROR_SET:
            return _ERR, s.upper()
        num = parse_number(s)
        if num is not None:
            return _NUM, num
        if s.upper() in ("TRUE", "FALSE"):
            return _BOOL, float(s.upper() == "TRUE")
        return _TEXT, s
    if getattr(value, "is_nan", None) or value is pd.NA or value is pd.NaT:
        return _BLANK, None
    return _TEXT, str(value)


def parse_number(s: str) -> float | None:
    """Numeric text ("12", "1,234.5", "$40", "15%", "1e3") as a float, else None."""
    if not _NUMERIC_TEXT.match(s) or not any(ch.isdigit() for ch in s):
        return None
    t = s.replace(",", "").replace("$", "").replace("€", "").replace("£", "").replace(" ", "")
    pct = t.endswith("%")
    try:
        x = float(t.rstrip("%"))
    except ValueError:
        return None
    return x / 100 if pct else x


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


def _fast_numeric(col: list[Any]) -> np.ndarray | None:
    """The column as float64 when every cell is a number or blank, else None.

    numpy converts floats, ints, bools and None (to NaN) in C; text, dates and dicts make it
    fail and send the column to the slow path. COM error integers are caught afterwards.
    """
    try:
        arr = np.array(col, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.ndim != 1:
        return None
    candidates = np.isin(arr, list(COM_ERRORS))
    if candidates.any() and any(type(col[i]) is int for i in np.flatnonzero(candidates)):
        return None
    if np.isinf(arr).any():
        return None  # let the slow path name the cell
    return arr


def _fast_numeric_grid(body: list[list[Any]]) -> np.ndarray | None:
    """The whole block as float64 in one C pass when every cell is a number or blank."""
    if any(type(v) is str for v in body[0]):
        return None  # a text column: numpy would only find out after converting everything
    try:
        arr = np.array(body, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.ndim != 2 or np.isinf(arr).any():
        return None
    suspects = np.isin(arr, list(COM_ERRORS))
    if suspects.any() and any(type(body[i][j]) is int for i, j in zip(*np.nonzero(suspects))):
        return None
    return arr


def _classify_all(col: list[Any]) -> list[tuple[int, Any]]:
    """_classify for every cell; each distinct text is classified once (categories repeat)."""
    memo: dict[str, tuple[int, Any]] = {}
    out = []
    for v in col:
        if type(v) is str:
            r = memo.get(v)
            if r is None:
                r = memo[v] = _classify(v)
            out.append(r)
        else:
            out.append(_classify(v))
    return out


def _column_kinds(col: list[Any]) -> tuple[np.ndarray, list[Any]]:
    pairs = _classify_all(col)
    return np.fromiter((p[0] for p in pairs), dtype=np.int8, count=len(pairs)), [p[1] for p in pairs]


def _looks_like_header(grid: list[list[Any]]) -> bool:
    """First row all text while some column below it holds numbers, dates or booleans."""
    if len(grid) < 2:
        return False
    first = [_classify(v) for v in grid[0]]
    if not any(k == _TEXT for k, _ in first) or any(k not in (_TEXT, _BLANK) for k, _ in first):
        return False
    # Row by row, so a typical table answers on its first data row.
    return any(_classify(v)[0] in (_NUM, _DATE, _BOOL) for row in grid[1:] for v in row)


def resolve_header(grid: list[list[Any]], header: Any) -> bool:
    """Decide whether the range's first row is a header (``header`` None = detect)."""
    if header is None:
        return _looks_like_header(grid)
    return bool(header)


def read_table(
    values: Any,
    *,
    name: str = "data",
    header: bool | None = None,
    allow_text: bool = True,
) -> Table:
    """Turn a range's values into a validated :class:`Table`.

    ``header``: None detects a header row (first row all text while the rows below are not),
    True/False force it. Error values anywhere raise an XLMError naming the cell. A column
    that is numbers except for a few stray text cells is refused (naming the first one), rather
    than silently treated as a category. An all-blank range is refused.
    """
    rng = values if isinstance(values, Range) else Range(values)
    grid = rng.grid
    has_header = resolve_header(grid, header)
    width = len(grid[0])
    if has_header:
        names = _column_names(grid[0])
        body = grid[1:]
    else:
        names = [f"column {j + 1}" for j in range(width)]
        body = grid
    if not body:
        raise XLMError("#VALUE!", f"{name} has a header row but no data rows below it. "
                       "Select the data rows too.")

    columns: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    blank = np.ones(len(body), dtype=bool)
    whole = rng.numeric_block(int(has_header))
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
        ck, cv = _column_kinds(col)
        err = np.flatnonzero(ck == _ERR)
        if err.size:
            i = int(err[0])
            raise XLMError(cv[i], f"{name} has the error value {cv[i]} in row {i + 1 + has_header}"
                           f" of the range ({col_label(cname)}). Fix that cell or clear it.")
        for i in np.flatnonzero(ck == _NUM):
            if not math.isfinite(cv[i]):
                raise XLMError("#NUM!", f"{name} has the non-finite number {cv[i]} in row "
                               f"{i + 1 + has_header} ({col_label(cname)}). Enter a finite number.")
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
            columns[cname] = pd.array(labels, dtype="str")
            kinds[cname] = CATEGORY
    if blank.all():
        raise XLMError("#VALUE!", f"{name} is empty: every cell in the range is blank. "
                       "Select the cells that hold your data.")
    keep = ~blank
    frame = pd.DataFrame({c: v[keep] for c, v in columns.items()})
    frame.index = pd.RangeIndex(len(frame))
    return Table(frame=frame, kinds=kinds, header=has_header, row_mask=keep, name=name)


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _column_names(row: list[Any]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, v in enumerate(row):
        base = str(v).strip() if v is not None and str(v).strip() else f"column {j + 1}"
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


# --------------------------------------------------------------------------- parameters


def scalar(value: Any) -> Any:
    """A parameter cell's value: unwraps 1×1 ranges; blanks and missing arguments become None."""
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


def param_int(value: Any, name: str, *, default: int | None = None, lo: int | None = None,
              hi: int | None = None) -> int | None:
    """A whole-number parameter, validated, or ``default`` when blank."""
    v = scalar(value)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, float) or not v.is_integer():
        raise XLMError("#VALUE!", f"{name} must be a whole number, got {_show(value)}. "
                       f"Enter a whole number{_range_hint(lo, hi)}.")
    n = int(v)
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise XLMError("#NUM!", f"{name}={n} is out of range. Enter a whole number{_range_hint(lo, hi)}.")
    return n


def param_float(value: Any, name: str, *, default: float | None = None, lo: float | None = None,
                hi: float | None = None, lo_open: bool = False, hi_open: bool = False) -> float | None:
    v = scalar(value)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, float):
        raise XLMError("#VALUE!", f"{name} must be a number, got {_show(value)}.")
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
    raise XLMError("#VALUE!", f"{name} must be TRUE or FALSE, got {_show(value)}.")


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
        raise XLMError("#VALUE!", f"{name} must be one of {', '.join(choices)}; got {_show(value)}.")
    return s


def _show(value: Any) -> str:
    v = value
    while isinstance(v, (list, tuple)) and len(v) == 1:
        v = v[0]
    return repr(v) if isinstance(v, str) else str(v)


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
        with _gc_paused():
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
def _gc_paused() -> Iterator[None]:
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


def error_cells(exc: XLMError) -> list[list[Any]]:
    """A user error as a 1×1 result holding its one-line text."""
    return [[exc.text]]


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

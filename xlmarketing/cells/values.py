"""Cell values one by one: what a cell holds (number, date, text, boolean, error, blank) on every
runtime, numbers read in one C pass, and the small helpers every other room of the cell layer
uses (a range as a 2-D grid, a value as messages quote it).

Dates are Excel serial days throughout (:mod:`xlmarketing.core.serial` holds the one
conversion; :func:`to_serial` and :func:`from_serial` are re-exported from here).
"""

from __future__ import annotations

import array
import contextlib
import datetime as dt
import gc
import itertools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from ..core.kinds import Kind
from ..core.serial import SERIAL_MAX, SERIAL_MIN, from_serial, to_serial
from ..errors import EXCEL_ERRORS
from ..parsing import parse_number_en
from .identity import clean_text

__all__ = ["BOOL", "CATEGORY", "COM_ERRORS", "DATE", "NUMBER", "SERIAL_MAX", "SERIAL_MIN",
           "as_grid", "error_code", "fast_numeric", "from_serial", "gc_paused", "parse_number",
           "show", "to_serial"]

#: What COM hands over for an error cell read with the raw converter.
COM_ERRORS = {
    -2146826288: "#NULL!", -2146826281: "#DIV/0!", -2146826273: "#VALUE!",
    -2146826265: "#REF!", -2146826259: "#NAME?", -2146826252: "#NUM!", -2146826246: "#N/A",
}
_ERROR_SET = frozenset(EXCEL_ERRORS)


# Kinds of column: one enum shared with the model core (the names stay importable from here).
NUMBER, DATE, BOOL, CATEGORY = Kind.NUMBER, Kind.DATE, Kind.BOOL, Kind.CATEGORY

# Kinds of cell, used only on the slow path.
_BLANK, _NUM, _DATE, _BOOL, _TEXT, _ERR = range(6)


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
    s = clean_text(value)  # the identity rule's cleaning: NFKC, no invisible characters
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


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def show(value: Any) -> str:
    """A received value as messages quote it: text in quotes, a 1×1 range unwrapped."""
    v = value
    while isinstance(v, (list, tuple)) and len(v) == 1:
        v = v[0]
    return repr(v) if isinstance(v, str) else str(v)


_show = show  # the old private name, for code written before it was public


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


def has_values(value: Any) -> bool:
    """Whether an optional range argument holds anything (not omitted, not all blank)."""
    return value is not None and any(v is not None and v != "" for r in as_grid(value) for v in r)

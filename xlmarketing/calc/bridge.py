"""Calc's values in, the registered function, Calc's values out: what the add-in runs per call.

The extension's component (``oxt/xlmarketing_calc.py``, inside LibreOffice) calls :func:`call`
with the function's name and the arguments exactly as Calc passed them. What Calc passes to an
argument declared ``any`` (measured, LibreOffice 7.4):

* a range: a tuple of row tuples; numbers (dates are serial days, TRUE is 1.0) as floats,
  text as str, an empty cell as ``""``. A range holding an error cell (even ``#N/A``) is
  refused by Calc before the call: the cells show ``Err:504``;
* one cell or a typed value: a float or a str (an empty cell is 0.0, as in Calc's arithmetic);
* a left-out argument: ``None``.

Results go back as a tuple of row tuples of floats, strings and ``None`` (an empty cell). A cell
whose value is an Excel error code (``"#N/A"``) and every error of a user mistake become real
error cells: Calc reads a NaN double whose low bits hold its internal error number as that error.

A user mistake (:class:`~xlmarketing.errors.XLMError`) shows as :func:`error_block`: the one-line
message in the top-left cell, and real error cells with its code (``#NUM!``) beside and below it
(Calc fills the rest of a larger array with ``#N/A``), so formulas that read the block see an
error, not numbers.

Known LibreOffice 7.4 limit (measured): the text of a mixed result block is not entered in the
document's string pool, so ``=``, COUNTIF, MATCH and VLOOKUP in other formulas find none of it
(``range&""`` compares). A text-only block returned as ``sequence<sequence<string>>`` is pooled,
but a method declared ``any`` (to choose the type per call) made every call #VALUE!.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import numbers
import struct
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..core.serial import to_serial
from ..errors import XLMError
from ..functions import REGISTRY

_log = logging.getLogger(__name__)

#: LibreOffice's internal error numbers (FormulaError) for Excel's codes; others read as #VALUE!.
CALC_ERRORS = {
    "#NULL!": 521, "#DIV/0!": 532, "#VALUE!": 519, "#REF!": 524, "#NAME?": 525, "#NUM!": 503,
    "#N/A": 32767,
}

#: Calc's range conversion leaves an element void only for an error cell (it refuses such ranges
#: in 7.4, but would pass #N/A where allowed): a void element is handed on as this code, so the
#: cell layer reports an error cell rather than reading a blank.
RANGE_ERROR = "#N/A"


def calc_error(code: str) -> float:
    """The double Calc shows as the error ``code`` (a quiet NaN carrying the error number)."""
    number = CALC_ERRORS.get(code, CALC_ERRORS["#VALUE!"])
    return struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000000 | number))[0]


def error_block(code: str, text: str) -> tuple[tuple[Any, ...], ...]:
    """The cells of a user mistake: the message top-left, error cells beside and below it."""
    err = calc_error(code)
    return ((text, err), (err, err))


def from_calc(value: Any) -> Any:
    """One argument as the cell layer reads it: lists of rows, blanks as None."""
    if isinstance(value, tuple):
        return [[_cell_in(v) for v in row] if isinstance(row, tuple) else [_cell_in(row)]
                for row in value]
    if value == "":
        return None
    return value


def _cell_in(v: Any) -> Any:
    if v is None:
        return RANGE_ERROR
    if v == "":
        return None
    return v


def to_calc(cells: Any) -> tuple[tuple[Any, ...], ...]:
    """A function's 2-D result as a rectangle of Calc values (short rows padded with blanks)."""
    if not isinstance(cells, Sequence) or isinstance(cells, str):
        cells = [[cells]]
    rows = [list(r) if isinstance(r, Sequence) and not isinstance(r, str) else [r] for r in cells]
    width = max((len(r) for r in rows), default=0)
    if not rows or width == 0:
        return ((None,),)
    return tuple(tuple(_cell_out(v) for v in r) + (None,) * (width - len(r)) for r in rows)


def _cell_out(v: Any) -> Any:
    if v is None or isinstance(v, str) and v == "":
        return None
    if isinstance(v, str):
        return calc_error(v) if v in CALC_ERRORS else v
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return None
        return f if math.isfinite(f) else calc_error("#NUM!")
    if isinstance(v, dt.date):  # datetimes and pandas Timestamps too: the one conversion
        return to_serial(v)
    if pd.isna(v):  # pandas' NA and NaT
        return None
    return str(v)


def call(name: str, args: Sequence[Any]) -> tuple[tuple[Any, ...], ...]:
    """Run the registered function ``name`` on Calc's arguments; never raises."""
    fn = REGISTRY.get(name)
    if fn is None:
        return error_block("#NAME?", f"#NAME? {name}: this xlmarketing has no such function; "
                           "run 'xlmarketing libreoffice install' again.")
    try:
        return to_calc(fn(*[from_calc(a) for a in args]))
    except XLMError as exc:
        return error_block(exc.code, exc.text)
    except Exception as exc:  # a bug: logged with its traceback, one line in the cell
        _log.exception("xlmarketing: internal error in %s", name)
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        return error_block("#VALUE!", f"#VALUE! {name}: internal error ({detail}). "
                           "Please report it.")

"""Parameter cells: one value each, unwrapped, typed and range-checked.

These are the implementations behind the declarative checks of
:mod:`xlmarketing.functions.spec` (``Int``, ``Float``, ``Bool``, ``Choice``, ``HEADER``), which
the sheet functions use; a function module does not call them itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import XLMError
from .values import _BLANK, _BOOL, _ERR, COM_ERRORS, _classify, show

__all__ = ["IntWording", "param_bool", "param_choice", "param_float", "param_header",
           "param_int", "scalar"]


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


def _range_hint(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f" from {lo} to {hi}"
    if lo is not None:
        return f" of at least {lo}"
    if hi is not None:
        return f" of at most {hi}"
    return ""

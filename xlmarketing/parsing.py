"""One parse rule per column: number and date text read the way the whole column is written.

A cell such as ``'1.234'`` means 1.234 in an English export and 1234 in a German one; ``'03/04/2024'``
is 3 April or 4 March. Reading each cell on its own (as a generic parser does) silently mixes
the two. This module looks at *all* the distinct texts of a column, plus the caller's culture
when the runtime gives one, and settles one rule for the column:

* numbers: the decimal mark and the thousands separator (``1.234,5`` / ``1,234.5`` / ``1 234`` /
  ``1'234``), currency signs, accounting negatives ``(1,234)``, and percent signs (a column is
  all-percent or it is refused: ``15%`` next to ``15`` has no safe reading);
* dates: day first or month first (a day above 12 settles it), ISO ``2024-01-31``, and any other
  single format pandas can name (``Jan 2024``, ``2024-01``) that every value follows.

When the texts allow two readings that give different numbers and nothing settles it, a
:class:`ParseError` names an example; the callers (the cell adapter, batch input) add the cell
or file row. The culture is an optional context (:func:`use_culture`): Office.js sends
``culture_info_name`` with every call, but xlwings 0.37 does not hand it to the function: a
host can set it around the call (:func:`custom_functions_call`), and otherwise every sheet
function call takes it from the payload of the xlwings entry point that is running it
(:func:`call_culture`), which covers xlwings Lite and xlwings Server's own router.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .core.serial import to_serial

# --------------------------------------------------------------------------- culture


@dataclass(frozen=True)
class Culture:
    """What a culture (``de-DE``) says about number and date text."""

    name: str
    decimal: str       # "." or ","
    group: str         # ",", ".", " " or "'"
    date_order: str    # "mdy", "dmy" or "ymd"


# Language defaults, then whole-culture exceptions. Windows' regional settings for each; a
# small table rather than a locale-data dependency: only these three facts are needed.
_LANG = {
    **dict.fromkeys(["en", "ja", "zh", "ko", "he", "th", "hi", "ms", "fil", "ga"], (".", ",", "dmy")),
    **dict.fromkeys(["de", "nl", "it", "es", "pt", "da", "tr", "id", "ro", "el", "hr", "sl", "sr",
                     "vi", "is", "ca", "eu", "gl"], (",", ".", "dmy")),
    **dict.fromkeys(["fr", "ru", "pl", "cs", "sk", "fi", "sv", "uk", "hu", "bg", "lt", "lv", "et",
                     "nb", "nn", "no", "be", "kk"], (",", " ", "dmy")),
}
_CULTURE = {
    "en-us": (".", ",", "mdy"), "en-ph": (".", ",", "mdy"), "en-ca": (".", ",", "mdy"),
    "es-mx": (".", ",", "dmy"), "es-us": (".", ",", "mdy"), "zh-cn": (".", ",", "ymd"),
    "ja-jp": (".", ",", "ymd"), "ko-kr": (".", ",", "ymd"), "zh-tw": (".", ",", "ymd"),
    "de-ch": (".", "'", "dmy"), "de-li": (".", "'", "dmy"), "it-ch": (".", "'", "dmy"),
    "fr-ch": (".", "'", "dmy"), "pt-pt": (",", " ", "dmy"), "sv-se": (",", " ", "ymd"),
    "hu-hu": (",", " ", "ymd"), "lt-lt": (",", " ", "ymd"), "es-es": (",", ".", "dmy"),
}


def culture_info(name: str | None) -> Culture | None:
    """The number and date conventions of a culture name such as ``de-DE``; None if unknown."""
    if not name or not isinstance(name, str):
        return None
    key = name.strip().replace("_", "-").lower()
    spec = _CULTURE.get(key) or _LANG.get(key.split("-")[0])
    if spec is None:
        return None
    return Culture(name.strip(), *spec)


_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("xlmarketing_culture",
                                                                     default=None)


@contextlib.contextmanager
def use_culture(name: str | None) -> Iterator[None]:
    """Read number and date text in the culture ``name`` (e.g. ``"de-DE"``) inside the block."""
    token = _CURRENT.set(name)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_culture() -> Culture | None:
    """The culture set by :func:`use_culture`, or None (no culture known)."""
    return culture_info(_CURRENT.get())


def culture_key() -> str | None:
    """The current culture for cache keys: the same text cells read in two cultures are two
    different inputs (``'1.234'`` is 1234 in de-DE and 1.234 in en-US)."""
    c = current_culture()
    return None if c is None else f"{c.decimal}{c.group}{c.date_order}"


def _payload_culture() -> str | None:
    """The ``culture_info_name`` of the Office.js call running this code, or None.

    xlwings Lite's runtime and xlwings Server's router call xlwings'
    ``custom_functions_call(data, module, ...)``, which calls the sheet function synchronously
    without handing it the payload: its ``data`` is found on the call stack (a few frames up).
    """
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "custom_functions_call":
            data = frame.f_locals.get("data")
            if isinstance(data, dict) and "func_name" in data:
                name = data.get("culture_info_name")
                return name if isinstance(name, str) else None
        frame = frame.f_back
    return None


@contextlib.contextmanager
def call_culture() -> Iterator[None]:
    """Around one sheet function call: the culture set by :func:`use_culture` if any, else the
    culture of the Office.js request running the call (none on Windows COM or in Python)."""
    if _CURRENT.get() is not None:
        yield
        return
    with use_culture(_payload_culture()):
        yield


async def custom_functions_call(data: dict[str, Any], module: Any, *args: Any, **kwargs: Any) -> Any:
    """``xlwings.server.custom_functions_call`` with the payload's culture applied.

    A host (an xlwings Server router, xlwings Lite's runtime) calls this instead of xlwings'
    own function, so number and date text is read in the user's Excel culture.
    """
    import xlwings.server

    with use_culture(data.get("culture_info_name")):
        return await xlwings.server.custom_functions_call(data, module, *args, **kwargs)


# --------------------------------------------------------------------------- errors


class ParseError(ValueError):
    """A column whose text has no single safe reading.

    ``what`` describes the problem, ``example`` is the text of a cell that shows it (the caller
    adds where that cell is), ``fix`` says what to do.
    """

    def __init__(self, what: str, example: str, fix: str):
        self.what, self.example, self.fix = what, example, fix
        super().__init__(f"{what}: {example!r}. {fix}")

    def message(self, where: str) -> str:
        """One sentence naming the example cell, e.g. ``where="row 5"``."""
        return f"{self.what}: {self.example!r} in {where}. {self.fix}"


# --------------------------------------------------------------------------- numbers

_NUM_SHAPE = re.compile(
    r"^(?P<sign>[-+])?\s*(?P<cur>[$€£¥])?\s*(?P<sign2>[-+])?\s*"
    r"(?P<body>[\d.,' ]*\d[\d.,' ]*|[\d.]*\d[eE][-+]?\d+)\s*"
    r"(?P<cur2>[$€£¥]|EUR|USD|GBP|CHF)?\s*(?P<pct>%)?$"
)
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2019": "'"})
#: (decimal, group) readings a number text may follow.
_RULES = ((".", ","), (",", "."), (".", " "), (",", " "), (".", "'"), (",", "'"))
_BODY_RES = {
    (d, g): re.compile(rf"^(\d{{1,3}}({re.escape(g)}\d{{3}})+({re.escape(d)}\d*)?"
                       rf"|\d*({re.escape(d)}\d+)?|\d+{re.escape(d)})$")
    for d, g in _RULES
}
_EXP = re.compile(r"^(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


@dataclass(frozen=True)
class _NumText:
    negative: bool
    body: str
    percent: bool


def _number_shape(text: str) -> _NumText | None:
    """The parts of number text (sign, digits and separators, percent), or None."""
    t = text.translate(_SPACES).strip()
    neg = False
    if t.startswith("(") and t.endswith(")"):  # accounting negative: (1,234)
        t, neg = t[1:-1].strip(), True
    m = _NUM_SHAPE.match(t)
    if not m:
        return None
    sign = m.group("sign") or m.group("sign2")
    if sign and neg:
        return None
    return _NumText(neg or sign == "-", m.group("body").strip(), bool(m.group("pct")))


def _read_body(body: str, rule: tuple[str, str]) -> float | None:
    if _EXP.match(body):
        return float(body) if rule[0] == "." else None
    if not _BODY_RES[rule].match(body):
        return None
    d, g = rule
    return float(body.replace(g, "").replace(d, "."))


def _readings(body: str) -> dict[tuple[str, str], float]:
    return {r: v for r in _RULES if (v := _read_body(body, r)) is not None}


def parse_number_en(text: str) -> float | None:
    """Number text in the English reading ("1,234.5", "$40", "15%", "(12)"), else None.

    For single values (parameters); columns go through :func:`parse_column`.
    """
    shape = _number_shape(text)
    if shape is None:
        return None
    v = _read_body(shape.body, (".", ","))
    if v is None:
        return None
    v = -v if shape.negative else v
    return v / 100 if shape.percent else v


# --------------------------------------------------------------------------- dates

_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})"
                  r"(?:[\sT]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?$")


def _serial(y: int, m: int, d: int, hh: str | None = None, mm: str | None = None,
            ss: str | None = None) -> float | None:
    try:
        when = dt.datetime(y, m, d, int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None
    return _serial_of(when)


def _serial_of(when: Any) -> float:
    """A datetime (or pandas Timestamp, its time zone dropped) as an Excel serial day."""
    return to_serial(when)


def _year(y: str) -> int:
    n = int(y)
    if len(y) == 4:
        return n
    return 2000 + n if n < 70 else 1900 + n  # Excel's two-digit year rule


# --------------------------------------------------------------------------- columns


@dataclass
class ColumnParse:
    """How a column's texts read: ``numbers`` and ``dates`` (Excel serials) map text → value;
    texts in neither stay text. ``rule`` names the rule (for notes), e.g. ``"1.234,5"``."""

    numbers: dict[str, float] = field(default_factory=dict)
    dates: dict[str, float] = field(default_factory=dict)
    percent: bool = False
    note: str | None = None


def parse_column(texts: Iterable[str], *, culture: Culture | None = None,
                 plain_numbers: bool = False) -> ColumnParse:
    """Settle one number rule and one date rule for a column's distinct, stripped ``texts``.

    ``plain_numbers``: the column also holds numbers that are not text (they count against an
    all-percent reading). Raises :class:`ParseError` when the column has no single safe reading.
    """
    texts = list(dict.fromkeys(texts))
    out = ColumnParse()
    shapes = {t: s for t in texts if (s := _number_shape(t)) is not None}
    if shapes:
        _numbers(shapes, culture, plain_numbers, out)
    rest = [t for t in texts if t not in out.numbers]
    if rest:
        _dates(rest, culture, out)
    return out


def _numbers(shapes: dict[str, _NumText], culture: Culture | None, plain_numbers: bool,
             out: ColumnParse) -> None:
    readings = {t: _readings(s.body) for t, s in shapes.items()}
    readings = {t: r for t, r in readings.items() if r}
    if not readings:
        return
    pct = [t for t in readings if shapes[t].percent]
    if pct and (plain_numbers or len(pct) < len(readings)):
        plain = next((t for t in readings if not shapes[t].percent), None)
        raise ParseError(
            "mixes percentages and plain numbers" + (f" (such as {plain!r})" if plain else ""),
            pct[0], "Write every value as a percentage, or none (15% or 0.15, not 15)")
    rules = [r for r in _RULES if all(r in rd for rd in readings.values())]
    if not rules:
        _mixed_formats(readings)
    rule, by_culture = _choose_rule(rules, readings, culture)
    for t, rd in readings.items():
        v = -rd[rule] if shapes[t].negative else rd[rule]
        out.numbers[t] = v / 100 if shapes[t].percent else v
    out.percent = bool(pct)
    if by_culture and culture is not None:
        mark = "comma" if rule[0] == "," else "point"
        out.note = f"number text read with a decimal {mark}, as in {culture.name}"


def _mixed_formats(readings: dict[str, dict[tuple[str, str], float]]) -> None:
    """No rule reads every text: name two texts that need different rules."""
    texts = list(readings)
    first = texts[0]
    other = next((t for t in texts[1:] if not set(readings[t]) & set(readings[first])), texts[-1])
    raise ParseError("mixes two number formats", first,
                     f"It also has {other!r}; write the whole column with one decimal mark "
                     "(1234.5 or 1234,5)")


def _choose_rule(rules: list[tuple[str, str]], readings: dict[str, dict[tuple[str, str], float]],
                 culture: Culture | None) -> tuple[tuple[str, str], bool]:
    """The one rule among those that read every text (and whether the culture chose it);
    asks when they disagree."""
    def same(rs: list[tuple[str, str]]) -> bool:
        return all(len({rd[r] for r in rs}) == 1 for rd in readings.values())

    if same(rules):
        return rules[0], False
    if culture is not None:
        mine = [r for r in rules if r[0] == culture.decimal]
        if mine and same(mine):
            return mine[0], True
        mine = [r for r in mine if r[1] == culture.group]
        if mine:
            return mine[0], True
        example = next(t for t, rd in readings.items() if len({rd[r] for r in rules}) > 1)
        raise ParseError("has number text with no single reading in the culture "
                         f"{culture.name}", example, "Enter the column as numbers")
    # No culture known: the English reading, unless a dotted text could be a thousands
    # group ("1.234"): English would then silently turn 1,234 into 1.234.
    dotted = [t for t, rd in readings.items() if "." in t and (",", ".") in rd
              and rd.get((".", ",")) != rd[(",", ".")]]
    if (".", ",") in rules and not dotted:
        return (".", ","), False
    example = dotted[0] if dotted else next(iter(readings))
    a, b = readings[example].get((".", ",")), readings[example].get((",", "."))
    if a is None or b is None:
        raise ParseError("has number text with no single reading", example,
                         "Enter the column as numbers")
    raise ParseError(f"has number text that reads as {a:g} or as {b:g} depending on the "
                     "decimal mark", example,
                     "Enter the column as numbers, or write it without thousands separators")


def _dates(texts: list[str], culture: Culture | None, out: ColumnParse) -> str | None:
    """Read the date texts into ``out``; the day order ("dmy", "mdy") a/b/year texts settled."""
    iso = {t: m for t in texts if (m := _ISO.match(t))}
    for t, m in iso.items():
        y, mo, d, hh, mm, ss = m.groups()
        v = _serial(int(y), int(mo), int(d), hh, mm, ss)
        if v is not None:
            out.dates[t] = v
    slashed = {t: m for t in texts if t not in iso and (m := _DMY.match(t))}
    order = None
    if slashed:
        order, by_culture = _day_order(slashed, culture)
        for t, m in slashed.items():
            a, _, b, y, hh, mm, ss, half = m.groups()
            d, mo = (int(a), int(b)) if order == "dmy" else (int(b), int(a))
            v = _serial(_year(y), mo, d, _hour(hh, half), mm, ss)
            if v is None:
                raise ParseError("has a date that does not exist", t,
                                 "Fix the date or clear the cell")
            out.dates[t] = v
        if by_culture and culture is not None:
            out.note = (f"dates read {'day' if order == 'dmy' else 'month'} first, as in "
                        f"{culture.name}")
    rest = [t for t in texts if t not in out.dates]
    if rest and any(c.isdigit() for c in rest[0]):
        order = _named_format(rest, culture, out) or order
    return order


def _hour(hh: str | None, half: str | None) -> str | None:
    """The 24-hour hour of ``10`` with ``PM`` ("22"); an hour no 12-hour clock has is "99"."""
    if hh is None or half is None:
        return hh
    h = int(hh)
    if h > 12:
        return "99"  # 13:00 PM: _serial refuses it
    return str(h % 12 + (12 if half in "Pp" else 0))


def _day_order(slashed: dict[str, re.Match[str]], culture: Culture | None) -> tuple[str, bool]:
    """"dmy" or "mdy" for a column of a/b/year texts (a day above 12 settles it), and whether
    the culture chose it."""
    day_first = next((t for t, m in slashed.items() if int(m.group(1)) > 12), None)
    month_first = next((t for t, m in slashed.items() if int(m.group(3)) > 12), None)
    if day_first and month_first:
        raise ParseError(f"mixes day-first and month-first dates ({day_first!r} is day first)",
                         month_first, "Write every date in one order, e.g. 2024-01-31")
    if day_first:
        return "dmy", False
    if month_first:
        return "mdy", False
    if all(m.group(1) == m.group(3) for m in slashed.values()):
        return "dmy", False  # 01/01, 02/02: both orders agree
    example = next(t for t, m in slashed.items() if m.group(1) != m.group(3))
    return _culture_order(culture, example), True


def _culture_order(culture: Culture | None, example: str) -> str:
    """The culture's day order for dates whose texts do not settle it; else ask the user."""
    if culture is not None and culture.date_order in ("dmy", "mdy"):
        return culture.date_order
    raise ParseError("has dates that read day first or month first, and no day above 12 "
                     "settles which", example,
                     "Enter real dates, or write them as year-month-day (2024-03-04)")


def _named_format(texts: list[str], culture: Culture | None, out: ColumnParse) -> str | None:
    """Dates in one other format pandas can name ("Jan 2024", "03 04 2024"), if all follow it.

    A format with a numeric day and month is tried both ways: when both read every text and
    give different dates, the culture's order decides, or the user is asked. Returns the day
    order that settled ("dmy" or "mdy"), if one did."""
    import pandas as pd
    from pandas.tseries.api import guess_datetime_format

    readings = {}
    for dayfirst in (False, True):
        fmt = guess_datetime_format(texts[0], dayfirst=dayfirst)
        if fmt is None or fmt in readings or _year_day_month(fmt):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(pd.Series(texts, dtype=object), format=fmt, errors="coerce")
        if not parsed.isna().any():
            readings[fmt] = parsed
    if not readings:
        return None
    order = None
    if len(readings) == 2:
        (f1, p1), (f2, p2) = readings.items()
        if not p1.equals(p2):
            example = next(t for t, a, b in zip(texts, p1, p2) if a != b)
            order = _culture_order(culture, example)
            fmt = next(f for f in (f1, f2) if (f.find("%d") < f.find("%m")) == (order == "dmy"))
            readings = {fmt: readings[fmt]}
            if culture is not None:
                out.note = (f"dates read {'day' if order == 'dmy' else 'month'} first, as in "
                            f"{culture.name}")
    parsed = next(iter(readings.values()))
    for t, ts in zip(texts, parsed):
        out.dates[t] = _serial_of(ts)
    return order


def _year_day_month(fmt: str) -> bool:
    """A year-day-month format (2024.04.03 for 3 April): no culture writes it; never guessed."""
    y, d, m = (fmt.find(c) for c in ("%Y", "%d", "%m"))
    return 0 <= y < d < m


def parse_dates(texts: Iterable[str], *, culture: Culture | None = None) -> dict[str, float]:
    """The date texts of a column as Excel serial days, read with one day order for the column.

    For a column whose dates are written in several formats ("3 March 2024" beside
    "2024-03-04" and "March 4, 2024"), which :func:`parse_column` leaves as text: year-month-day,
    day/month/year and one named format are read as there; every other text is read on its
    own when its day and month cannot swap (a month name, a day above 12), else in the day
    order the column's a/b/year texts settled or the culture's. Texts that are no date (or
    are numbers) are left out. Raises :class:`ParseError` when nothing settles a day order.
    """
    texts = list(dict.fromkeys(texts))
    periods = _periods(texts)
    if periods is not None:
        return periods
    out = ColumnParse()
    order = _dates(texts, culture, out)
    for t in texts:
        shape = _number_shape(t)
        if t in out.dates or (shape is not None and _readings(shape.body)):
            continue
        month_first = _free_date(t, dayfirst=False)
        day_first = None if re.match(r"^\d{4}\D", t) else _free_date(t, dayfirst=True)
        if month_first is not None and day_first is not None and month_first != day_first:
            order = order or _culture_order(culture, t)
            out.dates[t] = day_first if order == "dmy" else month_first
        elif month_first is not None or day_first is not None:
            out.dates[t] = month_first if month_first is not None else day_first
    return out.dates


_MONTHS = {m.lower(): i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3})[a-z]*\.?[\s\-'/]*('?\d{2}|\d{4})$")
_QUARTER = (re.compile(r"^(\d{4})\s*[-/ ]?\s*Q([1-4])$", re.I),     # 2023-Q1, 2023 Q1, 2023Q1
            re.compile(r"^Q([1-4])\s*[-/ ]?\s*(\d{4})$", re.I))     # Q1 2023, Q1-2023


def _periods(texts: list[str]) -> dict[str, float] | None:
    """A column of period names, each text the first day of its period; None if it is not one.

    Month-and-year texts ("Jan 21", "Jan 2021", "January '21") and quarters ("2023-Q1",
    "Q1 2023") are periods, not days: "Jan 21" in a column of months is January 2021, never
    the 21st of January of no year. Only a column whose every text has one of these forms is
    read so.
    """
    out: dict[str, float] = {}
    for t in texts:
        s = t.strip()
        m = _MONTH_YEAR.match(s)
        if m and m.group(1).lower() in _MONTHS and s[:3].isalpha():
            serial = _serial(_year(m.group(2).lstrip("'")), _MONTHS[m.group(1).lower()], 1)
        elif q := next((r.match(s) for r in _QUARTER if r.match(s)), None):
            y, n = (q.group(1), q.group(2)) if len(q.group(1)) == 4 else (q.group(2), q.group(1))
            serial = _serial(int(y), 3 * int(n) - 2, 1)
        else:
            return None
        if serial is None:
            return None
        out[t] = serial
    return out or None


def _free_date(text: str, *, dayfirst: bool) -> float | None:
    """One text read by pandas' free-form parser as a serial day, or None."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = pd.to_datetime(text, errors="coerce", dayfirst=dayfirst)
    if pd.isna(ts):
        return None
    return _serial_of(ts)


__all__ = ["ColumnParse", "Culture", "ParseError", "culture_info", "current_culture",
           "culture_key", "custom_functions_call", "parse_column", "parse_dates", "parse_number_en",
           "use_culture"]

"""When a value computed by LibreOffice (7.4) is Excel's value, and when it is not.

LibreOffice computes the ordinary formulas that read our results (see :mod:`.recalc`). Its
answers differ from Excel's in ways measured on Excel-saved workbooks (tests/data/formula_corpus,
tests/test_refresh_fidelity.py); each way is either corrected here or the formula keeps its saved
value and is reported as not recomputed:

* functions it computes differently (:data:`LO_INEXACT`) and forms it lacks: refused before;
* error codes: #DIV/0! is Excel's, but its own errors have no Excel code and are written to .xlsx as ``#VALUE!`` or
  ``#N/A`` (``Err:502`` for FLOOR(1,0), Excel ``#DIV/0!``; for CEILING(2.5,-1), Excel ``#NUM!``;
  ``Err:523`` for IRR({-1,-1,-1}), Excel ``#NUM!``), and some real codes differ too
  (LARGE(A1:A2,5): ``#VALUE!``, Excel ``#NUM!``; POWER(0,-1): ``#NUM!``, Excel ``#DIV/0!``;
  INDEX(A1:A2,5): ``#VALUE!``, Excel ``#REF!``). An error is taken only when it is the error
  Excel saved for that cell (:func:`error_refusal`);
* TRUE/FALSE: it has no logical type, only numbers shown as TRUE/FALSE by the cell's format, so a
  logical result in a number-formatted cell comes back as 0/1 and ``--(A1>3)`` comes back TRUE.
  The formula's own result type, where its text decides it, wins (:func:`result_type`);
  logical cells are 1/0 to its functions (MAX(TRUE cell,0) is 1 there, 0 in Excel; TRUE=1 is TRUE
  there, FALSE in Excel), so a formula reading one is refused unless it only passes it through
  IF/AND/OR/NOT/CHOOSE/IFERROR (:func:`logical_refusal`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..errors import EXCEL_ERRORS

#: Functions LibreOffice does not compute as Excel does (or a value Excel cannot be held to).
LO_INEXACT = {
    # TEXT, measured on 133 Excel-saved TEXT cells (pycel's tests/fixtures/text.xlsx, GPL, not
    # kept here): 54 differ, with no rule telling which beforehand, since the value's type only
    # shows at run time: "#.##" of 1 is "1." in Excel, "1" here; TEXT(TRUE,..) is "TRUE" there,
    # "1" here; text that looks like a time ("23:99") is read as one by Excel only; dates past
    # 9999 and negative times are #VALUE! in Excel, numbers here; "[hh]" is #FMT here; literal
    # characters between digit placeholders and thousands separators are placed differently.
    "TEXT": "TEXT formats are rendered differently by LibreOffice",
    "INFO": "INFO describes the machine that computes it",
    "CELL": "CELL describes the machine and file that compute it",
    # MODE: LibreOffice counts numbers equal to 15 digits as one value (28 and
    # 27.999999999999996 made 28 the mode there; Excel's mode of the same list is 77)
    "MODE": "LibreOffice's MODE treats numbers equal to 15 digits as equal",
    "MODE.SNGL": "LibreOffice's MODE treats numbers equal to 15 digits as equal",
    "MODE.MULT": "LibreOffice's MODE treats numbers equal to 15 digits as equal",
}
_CALL_NAME = re.compile(r"(?<![\w.])((?:_xlfn\.|_xlws\.)?[A-Za-z][\w.]*)\(")
_EXTERNAL = re.compile(r"\[\d+\]|\[[^\]]+\.xl\w*\]", re.IGNORECASE)
_AGGREGATE = re.compile(r"(?<![\w.])(?:_xlfn\.)?AGGREGATE\(\s*([^,)]*)", re.IGNORECASE)
_DYNAMIC_ONLY = {"FILTER", "SORT", "SORTBY", "UNIQUE", "SEQUENCE", "RANDARRAY", "XLOOKUP",
                 "XMATCH", "LET", "LAMBDA", "MAP", "REDUCE", "SCAN", "MAKEARRAY", "BYROW",
                 "BYCOL", "TAKE", "DROP", "CHOOSEROWS", "CHOOSECOLS", "VSTACK", "HSTACK",
                 "TOCOL", "TOROW", "WRAPROWS", "WRAPCOLS", "EXPAND", "TEXTSPLIT", "TEXTBEFORE",
                 "TEXTAFTER", "ISOMITTED", "IMAGE"}


def lo_refusal(node: Any, constant: Any = None) -> str | None:
    """Why LibreOffice (7.4) cannot compute this formula as Excel does, or None.

    ``constant(sheet, ref)``, when given, is the value of a cell holding no formula (None for a
    formula or an empty cell): an AGGREGATE function number read from such a cell is known.
    """
    cell = node.cell
    text = strings_out(cell.text)
    if _EXTERNAL.search(text):
        return "it reads another workbook (external link), which the refresh cannot open"
    if cell.dynamic:
        return "it is a dynamic-array formula, which LibreOffice 7.4 cannot spill"
    for name in calls(text):
        if name == "TEXT" and _plain_number_formats(cell.text):
            continue
        if name in LO_INEXACT:
            return f"{LO_INEXACT[name]} (it calls {name})"
        if name in _DYNAMIC_ONLY:
            return f"it calls {name}, which LibreOffice 7.4 does not have"
    for m in _AGGREGATE.finditer(text):
        # function 13 is MODE.SNGL (above); a number read from a formula could become 13
        arg = m.group(1).strip()
        number = arg if re.fullmatch(r"\d+", arg) else None
        if number is None and constant is not None and re.fullmatch(r"\$?[A-Za-z]{1,3}\$?\d+", arg):
            number = constant(cell.sheet, arg.replace("$", ""))
        if not isinstance(number, (int, float, str)) or str(number).strip() in ("13", "13.0") \
                or not re.fullmatch(r"\d+(?:\.0)?", str(number).strip()):
            return ("LibreOffice's AGGREGATE(13, ...) (MODE.SNGL) treats numbers equal to 15 "
                    "digits as equal (it calls AGGREGATE with function 13 or one read from a cell)")
    return None


#: Number formats that LibreOffice renders as Excel does for a number: digits, thousands
#: separators, decimals, a percent sign ("0", "#,##0", "0.0%", "#,##0.00"). The cases measured
#: to differ are elsewhere: "#.##" (a trailing point), dates and times, literal characters
#: between placeholders, and a TRUE/FALSE value (a formula reading a TRUE/FALSE cell is
#: refused on its own, see :func:`logical_refusal`).
_PLAIN_NUMBER_FORMAT = re.compile(r"^[#,]*0(?:\.0+)?%?$")


def _plain_number_formats(formula: str) -> bool:
    """Whether every TEXT call in ``formula`` has a literal plain number format."""
    from openpyxl.formula import Tokenizer
    from openpyxl.formula.tokenizer import Token

    try:
        tokens = [t for t in Tokenizer(formula if formula.startswith("=") else "=" + formula).items
                  if t.type != Token.WSPACE]
    except Exception:
        return False
    stack: list[list[Any]] = []  # per open call: [is TEXT, tokens of its current argument]
    for t in tokens:
        if t.subtype == Token.OPEN:
            stack.append([t.type == Token.FUNC and calls(t.value + ")") == ["TEXT"], []])
        elif t.subtype == Token.CLOSE and stack:
            is_text, last = stack.pop()
            if is_text and not (len(last) == 1 and last[0].type == Token.OPERAND
                                and last[0].subtype == Token.TEXT
                                and _PLAIN_NUMBER_FORMAT.match(last[0].value[1:-1])):
                return False
            if stack:
                stack[-1][1].append(t)
        elif t.type == Token.SEP and t.subtype == Token.ARG and stack:
            stack[-1][1] = []
        elif stack:
            stack[-1][1].append(t)
    return True


def calls(text: str) -> list[str]:
    """Names of the functions a formula (strings taken out) calls, without _xlfn. prefixes."""
    return [re.sub(r"^(?:_xlfn\.|_xlws\.)+", "", n, flags=re.IGNORECASE).upper()
            for n in _CALL_NAME.findall(text)]


def strings_out(text: str) -> str:
    """The formula with its string literals emptied and quoted sheet names as plain words."""
    text = re.sub(r'"(?:[^"]|"")*"', '""', text)
    return re.sub(r"'(?:[^']|'')+'!", "S!", text)


# --------------------------------------------------------------------------- errors


def error_refusal(got: Any, saved: Any, formula: str = "") -> str | None:
    """Why LibreOffice's error result is not taken, or None: taken when it is the error Excel
    saved for the cell, one the formula writes itself (``=#N/A``, ``NA()``), or #DIV/0!."""
    if not (isinstance(got, str) and got in EXCEL_ERRORS) or got == saved:
        return None
    if got == "#DIV/0!":
        # only its division by zero is written so; Excel agreed on 1/0, MOD(1,0), STDEV(1)
        return None
    own = re.sub(r'"(?:[^"]|"")*"', '""', formula).upper()
    if got in own or (got == "#N/A" and re.search(r"(?<![\w.])NA\(\s*\)", own)):
        return None
    if got == "#NAME?":
        return "it calls a function LibreOffice does not have (#NAME? there)"
    return (f"LibreOffice computed {got}, and its error codes are not Excel's (its own errors "
            f"are written as #VALUE! or #N/A)")


# --------------------------------------------------------------------------- TRUE/FALSE

_LOGICAL_FUNCS = {"AND", "OR", "NOT", "XOR", "TRUE", "FALSE", "ISBLANK", "ISERR", "ISERROR",
                  "ISNA", "ISNUMBER", "ISTEXT", "ISNONTEXT", "ISLOGICAL", "ISREF", "ISEVEN",
                  "ISODD", "ISFORMULA", "EXACT"}
_NUMBER_FUNCS = {"SUM", "SUMIF", "SUMIFS", "SUMPRODUCT", "COUNT", "COUNTA", "COUNTBLANK",
                 "COUNTIF", "COUNTIFS", "AVERAGE", "AVERAGEA", "AVERAGEIF", "AVERAGEIFS", "MIN",
                 "MAX", "MINA", "MAXA", "MINIFS", "MAXIFS", "MEDIAN", "PRODUCT", "ROUND",
                 "ROUNDUP", "ROUNDDOWN", "INT", "TRUNC", "ABS", "SIGN", "MOD", "SQRT", "POWER",
                 "EXP", "LN", "LOG", "LOG10", "N", "VALUE", "LEN", "FIND", "SEARCH", "MATCH",
                 "ROWS", "COLUMNS", "ROW", "COLUMN", "DATE", "YEAR", "MONTH", "DAY", "WEEKDAY",
                 "EDATE", "EOMONTH", "DAYS", "NETWORKDAYS", "WORKDAY", "LARGE", "SMALL",
                 "RANK", "RANK.EQ", "RANK.AVG", "STDEV", "STDEV.S", "STDEV.P", "VAR", "VAR.S",
                 "VAR.P", "CEILING", "FLOOR", "CEILING.MATH", "FLOOR.MATH", "MROUND", "PI",
                 "PERCENTILE", "PERCENTILE.INC", "PERCENTILE.EXC", "QUARTILE", "NPV", "PMT",
                 "CORREL", "SLOPE", "INTERCEPT", "FORECAST", "SUBTOTAL", "CODE", "HOUR",
                 "MINUTE", "SECOND", "TIME", "DATEDIF", "YEARFRAC"}
_BRANCHES = {"IF": lambda a: a[1:3], "IFERROR": lambda a: a[:2], "IFNA": lambda a: a[:2],
             "CHOOSE": lambda a: a[1:], "IFS": lambda a: a[1::2]}
_CALL = re.compile(r"((?:_xlfn\.|_xlws\.)*[A-Za-z][\w.]*)\((.*)\)", re.DOTALL)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?")


def result_type(formula: str) -> str | None:
    """``"logical"`` or ``"number"`` when the formula's text decides its result type, else None."""
    from .calls import shape_of

    # cell references decide nothing here: a filled-down column is looked at once
    return _result_type(shape_of(formula))


@functools.lru_cache(maxsize=4096)
def _result_type(formula: str) -> str | None:
    text = strings_out(formula).strip().lstrip("=").strip()
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    top = _top_level(text)
    if re.search(r"[<>=]", top):
        return "logical"  # comparisons bind loosest
    if "&" in top:
        return None  # text
    if _NUMBER.fullmatch(text) or re.match(r"\+*-", top):
        return "number"  # a literal, or negated (--(A1>3) is 1 in Excel)
    if re.search(r"[-+*/^%]", top.lstrip("+")):
        return "number"
    if text.upper() in ("TRUE", "FALSE"):
        return "logical"
    m = _CALL.fullmatch(text)
    if m is None or _closing(text, len(m.group(1))) != len(text) - 1:
        return None
    name = calls(m.group(1) + "(")[0]
    if name in _LOGICAL_FUNCS:
        return "logical"
    if name in _NUMBER_FUNCS:
        return "number"
    if name in _BRANCHES:
        kinds = {result_type(a) for a in _BRANCHES[name](_split_args(m.group(2)))}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def typed(value: Any, kind: str | None) -> Any:
    """LibreOffice's 0/1/TRUE/FALSE as the type the formula returns in Excel."""
    if kind is None or not isinstance(value, (bool, int, float)) or value not in (0, 1):
        return value
    if kind == "logical":
        return bool(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _top_level(text: str) -> str:
    """The formula's characters outside parentheses and braces (strings already taken out)."""
    out, depth = [], 0
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    # the sign in 1E+3 is not an operator
    return re.sub(r"(?i)(\d)e[+-]", r"\1e", "".join(out))


def _closing(text: str, at: int) -> int:
    depth = 0
    for i in range(at, len(text)):
        if text[i] in "({":
            depth += 1
        elif text[i] in ")}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split_args(text: str) -> list[str]:
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


# Functions that take a TRUE/FALSE cell as Excel does: passed through, or as 1/0 where one
# number is asked for (ROUND(TRUE cell,12) is 1 in both; measured in functions-excel-2010)
_LOGICAL_SAFE = {"IF", "IFS", "IFERROR", "IFNA", "AND", "OR", "NOT", "XOR", "CHOOSE", "TRUE",
                 "FALSE", "ROUND", "ROUNDUP", "ROUNDDOWN", "INT", "TRUNC", "ABS", "SIGN", "N"}


def logical_refusal(formula: str) -> str | None:
    """Why a formula reading a TRUE/FALSE cell is not taken from LibreOffice, or None."""
    text = strings_out(formula)
    other = sorted(set(calls(text)) - _LOGICAL_SAFE)
    if other:
        return (f"it reads a TRUE/FALSE cell, which LibreOffice's {other[0]} takes as 1/0 "
                "(Excel's functions skip logical values in references)")
    if re.search(r"[<>=]", text.lstrip("=")):
        return ("it compares with a TRUE/FALSE cell read, which LibreOffice takes as 1/0 "
                "(TRUE=1 is TRUE there, FALSE in Excel)")
    return None

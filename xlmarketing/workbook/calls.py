"""Finding our function calls in formulas, and resolving their arguments to cell blocks.

A formula is ours when it is one call of one of our functions (:mod:`xlmarketing.catalog`), in
any of the forms Excel saves an add-in function in::

    KMEANS_SEGMENT(...)  XLMARKETING.KMEANS_SEGMENT(...)  XLWINGS.KMEANS_SEGMENT(...)
    _xludf.KMEANS_SEGMENT(...)  [1]!KMEANS_SEGMENT(...)  'C:\\addins\\x.xlam'!KMEANS_SEGMENT(...)

Each argument is a literal, a reference (cell, range, whole columns or rows, any sheet), a
defined name (sheet or workbook scope) or a table structured reference; an omitted argument is
None. Nested expressions inside the arguments are not evaluated (they are reported).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl.formula import Tokenizer
from openpyxl.formula.tokenizer import Token
from openpyxl.utils.cell import range_boundaries

from ..catalog import calls_ours, is_ours
from ..errors import XLMError
from .model import Area, WorkbookModel


@dataclass
class Literal:
    value: Any


@dataclass
class Ref:
    text: str


@dataclass
class Call:
    """One call of a registered function: its Excel name and its argument expressions."""

    function: str
    args: list[Literal | Ref | None]


class Unsupported(Exception):
    """A formula that calls our function in a shape the engine does not evaluate."""


def function_name(token_value: str) -> str:
    """``XLMARKETING.KMEANS_SEGMENT(`` / ``[1]!KMEANS_SEGMENT(`` -> ``KMEANS_SEGMENT``."""
    name = token_value.rstrip("(")
    if "!" in name:
        name = name.rsplit("!", 1)[1]
    return name.rsplit(".", 1)[-1].upper()


# A cell reference outside strings and quoted sheet names: what differs between the cells of a
# filled-down formula. With each replaced by a placeholder, the rest is the formula's shape.
_SHAPE = re.compile(r"\"(?:[^\"]|\"\")*\"?|'(?:[^']|'')*'?"
                    r"|(?<![\w.$\\])(\$?[A-Za-z]{1,3}\$?\d+)(?![\w(!.\[$])")
_HOLE = "\x01"
_shapes: dict[str, list[Token] | None] = {}  # shape -> its tokens (None: tokenize each formula)


def shape_of(formula: str) -> str:
    """``formula`` with each cell reference outside strings replaced by one placeholder
    (``=A2*$B$1`` and ``=A3*$B$1`` have one shape)."""
    return _SHAPE.sub(lambda m: m.group(0) if m.group(1) is None else _HOLE, formula)


def tokenize(formula: str) -> list[Token]:
    """openpyxl's ``Tokenizer(formula).items``, tokenized once per shape.

    The 3,000 cells of a filled-down ``=VLOOKUP(C2,$A$2:$B$4,2,FALSE)`` differ only in their
    cell references, which the tokenizer copies into operand tokens without looking at them:
    the first cell of a shape is tokenized (and checked against its shape's tokens), the others
    get the shape's tokens with their own references put back. Raises what the tokenizer raises.
    """
    if _HOLE in formula:
        return Tokenizer(formula).items
    refs: list[str] = []

    def hole(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return m.group(0)
        refs.append(m.group(1))
        return _HOLE

    shape = _SHAPE.sub(hole, formula)
    if not refs:
        return Tokenizer(formula).items
    if shape not in _shapes:
        items = Tokenizer(formula).items
        if len(_shapes) > 20_000:
            _shapes.clear()
        _shapes[shape] = _checked(shape, items, refs)
        return items
    known = _shapes[shape]
    if known is None:
        return Tokenizer(formula).items
    return _filled(known, refs)


def _filled(shape: list[Token], refs: list[str]) -> list[Token]:
    it = iter(refs)
    out = []
    for t in shape:
        if _HOLE in t.value:
            parts = t.value.split(_HOLE)
            value = parts[0] + "".join(next(it) + p for p in parts[1:])
            t = Token(value, t.type, t.subtype)
        out.append(t)
    return out


def _checked(shape: str, items: list[Token], refs: list[str]) -> list[Token] | None:
    """The shape's tokens when filling them with ``refs`` gives ``items`` exactly, else None."""
    try:
        got = Tokenizer(shape).items
        filled = _filled(got, refs)
    except Exception:  # noqa: BLE001 - this shape is tokenized formula by formula
        return None
    same = len(filled) == len(items) and all(
        (a.value, a.type, a.subtype) == (b.value, b.type, b.subtype) for a, b in zip(filled, items))
    return got if same else None


def parse_call(formula: str) -> Call | None:
    """The call if ``formula`` uses one of our functions; None if it does not use any.

    Raises :class:`Unsupported` when our function is nested in a larger expression or one of
    its arguments is itself an expression.
    """
    if not formula.startswith("="):
        formula = "=" + formula
    if not calls_ours(formula):
        return None
    try:
        tokens = [t for t in Tokenizer(formula).items if t.type != Token.WSPACE]
    except Exception as exc:  # noqa: BLE001
        raise Unsupported(f"the formula cannot be parsed ({exc})") from None
    ours = [i for i, t in enumerate(tokens)
            if t.type == Token.FUNC and t.subtype == Token.OPEN and is_ours(function_name(t.value))]
    if not ours:
        return None
    if ours != [0] or not (tokens[-1].type == Token.FUNC and tokens[-1].subtype == Token.CLOSE):
        raise Unsupported("our function must be the whole formula, e.g. "
                          "=KMEANS_SEGMENT(A1:C201, 4); nested formulas are not evaluated headless")
    name = function_name(tokens[0].value)
    inner = tokens[1:-1]
    args: list[Literal | Ref | None] = []
    cur: list[Token] = []
    depth = 0
    for t in inner + [None]:  # type: ignore[list-item]
        if t is None or (depth == 0 and t.type == Token.SEP and t.subtype == Token.ARG):
            args.append(_argument(cur, name))
            cur = []
            continue
        if t.subtype == Token.OPEN:
            depth += 1
        elif t.subtype == Token.CLOSE:
            depth -= 1
        cur.append(t)
    if len(args) == 1 and args[0] is None:
        args = []
    return Call(name, args)


def _argument(tokens: list[Token], func: str) -> Literal | Ref | None:
    if not tokens:
        return None
    sign = 1.0
    while tokens and tokens[0].type == Token.OP_PRE and tokens[0].value in "+-":
        sign = -sign if tokens[0].value == "-" else sign
        tokens = tokens[1:]
    if len(tokens) != 1 or tokens[0].type != Token.OPERAND:
        text = "".join(t.value for t in tokens)
        raise Unsupported(f"argument {text!r} of {func} is an expression; put it in a cell and "
                          "refer to that cell")
    t = tokens[0]
    if t.subtype == Token.NUMBER:
        return Literal(sign * float(t.value))
    if sign != 1.0:
        raise Unsupported(f"argument -{t.value} of {func} is an expression")
    if t.subtype == Token.TEXT:
        return Literal(t.value[1:-1].replace('""', '"'))
    if t.subtype == Token.LOGICAL:
        return Literal(t.value.upper() == "TRUE")
    if t.subtype == Token.ERROR:
        return Literal(t.value.upper())
    return Ref(t.value)


# --------------------------------------------------------------------------- references


@functools.lru_cache(maxsize=65_536)
def _boundaries(ref: str) -> tuple[int | None, ...]:
    """openpyxl's ``range_boundaries`` of an A1 reference (``$`` and letter case ignored);
    a filled-down column reads the same absolute range in every row."""
    return range_boundaries(ref.replace("$", "").upper())


def split_sheet(text: str) -> tuple[str | None, str]:
    """``'My ''x'''!A1`` -> ("My 'x'", "A1"); ``A1`` -> (None, "A1")."""
    if text.startswith("'"):
        i = 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1: i + 2] == "'":
                    i += 2
                    continue
                break
            i += 1
        sheet = text[1:i].replace("''", "'")
        rest = text[i + 1:]
        if not rest.startswith("!"):
            raise XLMError("#REF!", f"the reference {text} cannot be read.")
        return sheet, rest[1:]
    if "!" in text and "[" not in text.split("!", 1)[0]:
        sheet, rest = text.split("!", 1)
        return sheet, rest
    if text.startswith("[") and "!" in text:
        raise XLMError("#REF!", f"the reference {text} points into another workbook; "
                       "copy the data into this workbook.")
    return None, text


_A1 = re.compile(r"^\$?[A-Za-z]{1,3}\$?\d+(:\$?[A-Za-z]{1,3}\$?\d+)?$|^\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}$"
                 r"|^\$?\d+:\$?\d+$")
_TABLE = re.compile(r"^([^\[\]]+)\[(.*)\]$", re.DOTALL)
_SPECIALS = ("#all", "#data", "#headers", "#totals", "#this row")


class Resolver:
    """Resolves references (cells, ranges, names, tables, spill refs) against the read model.

    ``spill`` gives the current spill range of a dynamic-array anchor (for ``A1#``), or None
    when the cell is not one. ``extent`` gives, by lower-case sheet name, the (rows, columns)
    that results written in this refresh reach, so whole columns and rows cover them too.
    """

    def __init__(self, model: WorkbookModel,
                 spill: Callable[[str, int, int], Area | None] | None = None,
                 extent: Callable[[str], tuple[int, int] | None] | None = None):
        self.model = model
        self.spill = spill
        self.extent = extent
        self.at: tuple[int, int] | None = None  # the formula's (row, column), for #This Row

    def three_d(self, text: str, home: str) -> list[Area] | None:
        """``Sheet1:Sheet3!A1``: the area on every sheet from the first to the last (workbook
        order); None when ``text`` is not a 3-D reference."""
        try:
            sheet, rest = split_sheet(text)
        except XLMError:
            return None
        if sheet is None or ":" not in sheet or not _A1.match(rest):
            return None
        first, _, last = sheet.partition(":")
        a, b = self.model.sheet(first), self.model.sheet(last)
        if a is None or b is None:
            return None
        lo, hi = sorted((a.index, b.index))
        return [self._a1(sm, rest) for sm in self.model if lo <= sm.index <= hi]

    def name_formula(self, text: str, home: str) -> tuple[str, str] | None:
        """(formula, sheet it is read from) when ``text`` is a defined name holding a formula."""
        try:
            sheet, rest = split_sheet(text)
            ws = self.worksheet(sheet if sheet is not None else home)
        except XLMError:
            return None
        value = ws.names.get(rest.lower())
        if value is None and sheet is None:
            value = self.model.names.get(rest.lower())
        if value is None:
            return None
        return value.lstrip("="), ws.title

    def worksheet(self, name: str) -> Any:
        ws = self.model.sheet(name)
        if ws is None:
            raise XLMError("#REF!", f"the sheet {name!r} does not exist in this workbook. "
                           "Check the sheet name in the formula.")
        return ws

    def resolve(self, text: str, home: str, _depth: int = 0) -> Area | Literal:
        """A reference as an Area (or a Literal, for a name holding a constant)."""
        if _depth > 10:
            raise XLMError("#REF!", f"the name {text} refers to itself.")
        sheet, rest = split_sheet(text)
        ws = self.worksheet(sheet if sheet is not None else home)
        if rest.endswith("#"):
            return self.spill_ref(ws, rest[:-1], text)
        m = _TABLE.match(rest)
        if m and sheet is None:
            return self._table(m.group(1), m.group(2), text)
        if _A1.match(rest):
            return self._a1(ws, rest)
        if ":" in rest and "!" not in rest:  # A1:name style ranges are not supported
            raise XLMError("#REF!", f"the reference {text} cannot be read.")
        # a defined name: sheet scope first, then workbook scope
        value = ws.names.get(rest.lower())
        if value is None and sheet is None:
            value = self.model.names.get(rest.lower())
        if value is None:
            if sheet is None and rest.lower() in self.model.tables:
                return self._table(rest, "", text)
            raise XLMError("#NAME?", f"the name {rest!r} is not defined in this workbook. "
                           "Define it (Formulas > Name Manager) or use a cell range.")
        value = value.lstrip("=")
        try:
            tokens = [t for t in Tokenizer("=" + value).items if t.type != Token.WSPACE]
        except Exception:  # noqa: BLE001
            tokens = []
        if len(tokens) == 1 and tokens[0].type == Token.OPERAND:
            arg = _argument(tokens, rest)
            if isinstance(arg, Literal):
                return arg
            return self.resolve(arg.text, ws.title, _depth + 1)  # type: ignore[union-attr]
        raise XLMError("#REF!", f"the name {rest!r} holds a formula ({value}) that the headless "
                       "engine does not evaluate; make it refer to a range.")

    def spill_ref(self, ws: Any, ref: str, text: str) -> Area:
        """``A1#``: the range the dynamic array anchored at A1 spills into."""
        if not re.fullmatch(r"\$?[A-Za-z]{1,3}\$?\d+", ref):
            raise XLMError("#REF!", f"the spill reference {text} cannot be read.")
        cell = self._a1(ws, ref)
        got = self.spill(ws.title, cell.min_row, cell.min_col) if self.spill else None
        if got is None:
            raise XLMError("#REF!", f"{text} refers to {ref}, which holds no spilled array "
                           "formula. Point it at the cell of the array formula.")
        return got

    def _a1(self, ws: Any, ref: str) -> Area:
        min_col, min_row, max_col, max_row = _boundaries(ref)
        if min_row is None or min_col is None:  # whole columns or rows, trimmed to the used range
            rows, cols = (self.extent(ws.title.lower()) if self.extent else None) or (0, 0)
            if min_row is None:
                min_row, max_row = 1, max(ws.max_row, rows, 1)
            if min_col is None:
                min_col, max_col = 1, max(ws.max_column, cols, 1)
        return Area(ws.title, min_row, min_col, max_row, max_col)

    def _table(self, name: str, spec: str, text: str) -> Area:
        table = self.model.tables.get(name.lower())
        if table is None:
            raise XLMError("#REF!", f"the table {name!r} in {text} does not exist in this "
                           "workbook. Check the table name (Table Design > Table Name).")
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        headers, totals, columns = table.header_rows, table.totals_rows, table.columns
        specials, cols = _parse_spec(spec, text)
        rows = {
            "#all": (min_row, max_row),
            "#data": (min_row + headers, max_row - totals),
            "#headers": (min_row, min_row + headers - 1),
            "#totals": (max_row - totals + 1, max_row),
        }
        if "#this row" in specials:
            here = self.at
            first, last = rows["#data"]
            if here is None:
                raise XLMError("#VALUE!", f"{text}: a this-row reference (@) gives one cell per "
                               "row; refer to the whole column instead, e.g. Table1[Spend].")
            if not first <= here[0] <= last:
                raise XLMError("#VALUE!", f"{text} is used outside the table's rows.")
            rows["#this row"] = (here[0], here[0])
        picked = [rows[s] for s in (specials or ["#data"])]
        r1, r2 = min(p[0] for p in picked), max(p[1] for p in picked)
        if r2 < r1:
            raise XLMError("#REF!", f"{text} is empty (the table has no such rows).")
        c1, c2 = min_col, max_col
        if cols:
            idx = []
            for c in cols:
                low = [x.lower() for x in columns]
                if c.lower() not in low:
                    raise XLMError("#REF!", f"the table {name} has no column {c!r} (it has "
                                   f"{', '.join(columns)}).")
                idx.append(low.index(c.lower()))
            c1, c2 = min_col + min(idx), min_col + max(idx)
        return Area(table.sheet, r1, c1, r2, c2)


def _parse_spec(spec: str, text: str) -> tuple[list[str], list[str]]:
    """``[Spend]:[Visits]`` / ``#Data`` / ``[#All],[Spend]`` -> (specials, column names)."""
    spec = spec.strip()
    if not spec:
        return [], []
    if not spec.startswith("["):
        items = [spec]
    else:
        items = []
        i = 0
        while i < len(spec):
            if spec[i] == "[":
                j = i + 1
                buf = []
                while j < len(spec) and spec[j] != "]":
                    if spec[j] == "'" and j + 1 < len(spec):
                        j += 1
                    buf.append(spec[j])
                    j += 1
                items.append("".join(buf))
                i = j + 1
            elif spec[i] in ",: ":
                i += 1
            else:
                raise XLMError("#REF!", f"the table reference {text} cannot be read.")
    specials = [s.lower() for s in items if s.strip().lower() in _SPECIALS]
    cols = [s for s in items if s.strip().lower() not in _SPECIALS]
    if len(cols) > 2:
        raise XLMError("#REF!", f"the table reference {text} cannot be read.")
    if not items and spec:
        raise XLMError("#REF!", f"the table reference {text} cannot be read.")
    return [s.strip() for s in specials], [c.strip() if c.strip() else c for c in cols]


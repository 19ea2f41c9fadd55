"""Evaluating one formula headless: our calls anywhere in it, Excel's functions around them.

A formula is tokenized with openpyxl's ``Tokenizer`` and rewritten into a *template*: every
reference (cell, range, name, table, spill ``A1#`` / ``_xlfn.ANCHORARRAY(A1)``) is resolved by
the :class:`~.calls.Resolver` and replaced by a placeholder input, ``_xlfn.``/``_xlws.``
prefixes and the add-in prefixes of our functions are dropped. The template is compiled once by
the ``formulas`` package (Excel's functions with array semantics), with our functions handed
to that one parse (``formulas``' global function table is left alone), and evaluated on the
values of its inputs. A fill-down of one formula compiles once. The plain form
``=OUR_FUNCTION(ref, literal, …)`` skips ``formulas`` entirely.

An omitted argument of our function (``F(a,,,b)``) is a blank wherever the call sits: the
template writes it as the input ``XLM_BLANK``, which reaches our function as None (``formulas``
itself would pass 0 or FALSE, a different option).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from openpyxl.formula.tokenizer import Token

from ..errors import EXCEL_ERRORS, XLMError
from ..catalog import is_ours
from ..functions import REGISTRY
from .calls import Literal, Ref, Resolver, Unsupported, function_name, parse_call, tokenize
from .formulas_functions import NAMES
from .model import Area

_PREFIXES = re.compile(r"^(?:_xlfn\.|_xlws\.|_xludf\.)+", re.IGNORECASE)
# "L1#" as typed (Excel saves it as _xlfn.ANCHORARRAY(L1)); outside strings only.
_SPILL_HASH = re.compile(r"""("(?:[^"]|"")*")|((?:'(?:[^']|'')+'!|[A-Za-z0-9_.]+!)?\$?[A-Za-z]{1,3}\$?\d+)#""")

Reader = Callable[[Area], list[list[Any]]]

#: The input an omitted argument of our function becomes in a template (a blank cell's value).
BLANK = "XLM_BLANK"

#: Functions that work cell by cell on arrays, so a fill-down of one formula can be evaluated
#: as one array formula (aggregates such as SUM, AND or MAX are not among them).
ELEMENTWISE = frozenset("""IF IFERROR IFNA ROUND ROUNDUP ROUNDDOWN ABS INT MOD SIGN SQRT EXP LN
LOG10 POWER ISNUMBER ISTEXT ISBLANK ISERROR ISNA NOT LEN LEFT RIGHT MID UPPER LOWER TRIM""".split())


#: Functions the in-process engine lacks or computes differently from Excel: refused.
INEXACT = {
    "TEXT": "TEXT formats are not rendered as Excel does",
    "INDIRECT": "INDIRECT is not evaluated in process",
    "OFFSET": "OFFSET is not evaluated in process",
    "SUBTOTAL": "SUBTOTAL is not evaluated in process",
    "AGGREGATE": "AGGREGATE is not evaluated in process",
    "CELL": "CELL describes the file and machine",
    "INFO": "INFO describes the machine",
    "FORMULATEXT": "FORMULATEXT is not evaluated in process",
    "ISFORMULA": "ISFORMULA is not evaluated in process",
    "ISREF": "ISREF is not evaluated in process",
    "AREAS": "AREAS is not evaluated in process",
    "HYPERLINK": "HYPERLINK is not evaluated in process",
    "GETPIVOTDATA": "GETPIVOTDATA reads a pivot table",
    # measured against Excel's saved values (tests/data/formula_corpus): different answers
    **{f: f"{f} answers differently from Excel in process" for f in
       "CEILING FLOOR CEILING.MATH CEILING.PRECISE FLOOR.MATH FLOOR.PRECISE ISO.CEILING "
       "POISSON.DIST POISSON".split()},
    **{f: "complex-number functions are not evaluated in process" for f in
       "COMPLEX IMABS IMAGINARY IMARGUMENT IMCONJUGATE IMCOS IMDIV IMEXP IMLN IMLOG10 IMLOG2 "
       "IMPOWER IMPRODUCT IMREAL IMSIN IMSQRT IMSUB IMSUM".split()},
}
#: Functions whose result depends on the date system (refused in 1904 workbooks).
DATE_FUNCTIONS = frozenset("""DATE DATEVALUE DAY MONTH YEAR WEEKDAY WEEKNUM ISOWEEKNUM EDATE
EOMONTH NETWORKDAYS WORKDAY DAYS DAYS360 DATEDIF YEARFRAC TODAY NOW TEXT""".split())
#: Arguments (0-based; "*" all) that take a range, by function: elsewhere an ordinary formula
#: intersects a range with its own row or column.
RANGE_ARGS: dict[str, Any] = {
    **dict.fromkeys("""SUM SUMSQ AVERAGE AVERAGEA COUNT COUNTA COUNTBLANK MAX MAXA MIN MINA
        PRODUCT STDEV STDEVA STDEVP STDEVPA STDEV.S STDEV.P VAR VARA VARP VARPA VAR.S VAR.P
        MEDIAN MODE MODE.SNGL AND OR XOR CONCAT SUMPRODUCT MAXIFS MINIFS SUMIFS GEOMEAN
        HARMEAN AVEDEV DEVSQ KURT SKEW ROWS COLUMNS CORREL COVAR COVARIANCE.P COVARIANCE.S
        PEARSON RSQ SLOPE INTERCEPT STEYX MMULT TRANSPOSE FREQUENCY SUMX2MY2 SUMX2PY2 SUMXMY2
        IRR MIRR""".split(), "*"),
    "TEXTJOIN": "*", "NPV": "*", "LARGE": {0}, "SMALL": {0}, "PERCENTILE": {0},
    "PERCENTILE.INC": {0}, "PERCENTILE.EXC": {0}, "QUARTILE": {0}, "QUARTILE.INC": {0},
    "QUARTILE.EXC": {0}, "RANK": {1}, "RANK.EQ": {1}, "RANK.AVG": {1}, "PERCENTRANK": {0},
    "SUMIF": {0, 2}, "COUNTIF": {0}, "AVERAGEIF": {0, 2}, "COUNTIFS": "even",
    "AVERAGEIFS": "avgifs", "VLOOKUP": {1}, "HLOOKUP": {1}, "LOOKUP": {1, 2}, "MATCH": {1},
    "INDEX": {0}, "FORECAST": {1, 2}, "FORECAST.LINEAR": {1, 2}, "TREND": {0, 1, 2},
    "GROWTH": {0, 1, 2}, "LINEST": {0, 1}, "LOGEST": {0, 1}, "CHOOSE": "rest",
    "NETWORKDAYS": {2}, "WORKDAY": {2}, "XNPV": {1, 2}, "XIRR": {0, 1},
}
#: Functions whose arguments each take one value (a range there is intersected).
SCALAR_ARGS = frozenset("""ABS ROUND ROUNDUP ROUNDDOWN INT TRUNC MOD SIGN SQRT EXP LN LOG LOG10
POWER IF IFERROR IFNA ISNUMBER ISTEXT ISBLANK ISERROR ISERR ISNA ISLOGICAL ISNONTEXT NOT LEN
LEFT RIGHT MID UPPER LOWER PROPER TRIM CLEAN VALUE CONCATENATE EXACT FIND SEARCH SUBSTITUTE
REPLACE REPT N T CHAR CODE FLOOR CEILING EVEN ODD FACT DATE YEAR MONTH DAY WEEKDAY HOUR MINUTE
SECOND TIME EDATE EOMONTH DATEVALUE TIMEVALUE DOLLAR FIXED PI RADIANS DEGREES SIN COS TAN
ASIN ACOS ATAN ATAN2 MROUND QUOTIENT GCD LCM""".split())
#: Functions that evaluate their arguments as arrays even in an ordinary formula.
ARRAY_CONTEXT = frozenset({"SUMPRODUCT", "MMULT", "TRANSPOSE", "FREQUENCY", "LINEST", "LOGEST",
                           "TREND", "GROWTH"})


def _takes_range(name: str, k: int) -> bool:
    spec = RANGE_ARGS.get(name)
    if spec is None:
        return False
    if spec == "*":
        return True
    if spec == "even":
        return k % 2 == 0
    if spec == "avgifs":
        return k == 0 or k % 2 == 1
    if spec == "rest":
        return k > 0
    return k in spec


_WHOLE_LINE = re.compile(r"(?:^|!)\$?(?:[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}|\d+:\$?\d+)$")


def _neighbour(tokens: list[Any], i: int, step: int) -> Any:
    j = i + step
    while 0 <= j < len(tokens) and tokens[j].type == Token.WSPACE:
        j += step
    return tokens[j] if 0 <= j < len(tokens) else None


def _whole_argument(tokens: list[Any], i: int) -> bool:
    """The token at ``i`` is a function argument by itself (``F(…, A1:A9, …)``)."""
    before, after = _neighbour(tokens, i, -1), _neighbour(tokens, i, 1)
    return (before is not None and (before.subtype == Token.OPEN and before.type == Token.FUNC
                                    or before.type == Token.SEP and before.subtype == Token.ARG)
            and after is not None and (after.subtype == Token.CLOSE and after.type == Token.FUNC
                                       or after.type == Token.SEP and after.subtype == Token.ARG))


def _between_operands(tokens: list[Any], i: int) -> bool:
    before, after = _neighbour(tokens, i, -1), _neighbour(tokens, i, 1)
    ends = (Token.OPERAND,)
    return (before is not None and after is not None and before.type in ends
            and before.subtype == Token.RANGE and after.type in ends and after.subtype == Token.RANGE)


@dataclass
class Outcome:
    """What a formula gave: a grid of values (1×1 for a scalar) and the error behind it, if any."""

    grid: list[list[Any]]
    error: XLMError | None = None
    reads: list[Area] = field(default_factory=list)


@dataclass
class Template:
    text: str  # the rewritten formula, inputs as XLM_R0, XLM_R1, …
    areas: list[Area]
    errors: list[XLMError]
    ours: bool  # calls one of our functions
    problem: str | None = None  # why it cannot be evaluated in-process (areas still complete)
    elementwise: bool = False  # operators and cell-by-cell functions only (see ELEMENTWISE)


class Evaluator:
    """Evaluates formulas of one workbook; ``read`` gives the current values of an area."""

    def __init__(self, resolver: Resolver, read: Reader):
        self.resolver = resolver
        self.read = read
        self._compiled: dict[str, Any] = {}

    # -- references a formula reads (also what the dependency graph is built from) ---------

    def template(self, formula: str, home: str, at: tuple[int, int] | None = None,
                 array: bool | None = None) -> Template:
        """The formula rewritten with placeholder inputs (``problem`` says if it cannot run).

        ``at`` is the formula's (row, column) and ``array`` whether it is an array formula: with
        them, ROW()/COLUMN() and ``Table[[#This Row],…]`` resolve, and a range in a position
        that takes one value in an ordinary formula is implicitly intersected with the
        formula's row or column, as Excel does. Raises :class:`Unsupported` only when the
        formula cannot even be tokenized.
        """
        text = _SPILL_HASH.sub(lambda m: m.group(1) or f"_xlfn.ANCHORARRAY({m.group(2)})",
                               formula)
        try:
            tokens = tokenize("=" + text)
        except Exception as exc:  # noqa: BLE001
            raise Unsupported(f"the formula cannot be parsed ({exc})") from None
        out: list[str] = []
        areas: list[Area] = []
        errors: list[XLMError] = []
        ours = False
        problems: list[str] = []
        elementwise = True
        stack: list[list[Any]] = []  # [function name or "(", argument index, ours?]
        after: str | None = None  # "open"/"sep": just after our call's "(" or one of its ","
        if array is False and any(t.type == Token.FUNC and t.subtype == Token.OPEN
                                  and is_ours(function_name(t.value)) for t in tokens):
            array = True  # ours spill: Excel saves them as dynamic arrays (no intersection)
        old_at, self.resolver.at = getattr(self.resolver, "at", None), at
        model = self.resolver.model
        i = 0
        try:
            while i < len(tokens):
                t = tokens[i]
                if t.type != Token.WSPACE:
                    if stack and stack[-1][2] and after is not None and (
                            (t.type == Token.SEP and t.subtype == Token.ARG)
                            or (t.subtype == Token.CLOSE and after == "sep")):
                        out.append(BLANK)  # an omitted argument of ours: a blank, not formulas' 0
                    after = None
                if t.type == Token.WSPACE:
                    # a line break (Alt+Enter) or spaces between tokens: one space for the
                    # engine (a space between two references is Excel's intersection operator)
                    if _between_operands(tokens, i):
                        problems.append("it uses the intersection operator (a space)")
                    out.append(" ")
                elif t.type == Token.FUNC and t.subtype == Token.OPEN:
                    name = _PREFIXES.sub("", t.value[:-1])
                    bare = function_name(name + "(")
                    if bare == "ANCHORARRAY" and i + 2 < len(tokens) \
                            and tokens[i + 1].subtype == Token.RANGE and tokens[i + 2].subtype == Token.CLOSE:
                        out.append(self._operand(tokens[i + 1].value + "#", home, areas, errors,
                                                 problems))
                        i += 3
                        continue
                    if bare in ("ROW", "COLUMN") and at is not None and array is False:
                        got = self._row_column(bare, tokens, i, home, at, areas, errors)
                        if got is not None:
                            out.append(got[0])
                            i = got[1]
                            continue
                    if name.upper() not in ELEMENTWISE:
                        elementwise = False
                    if is_ours(bare):
                        ours = True
                        name = bare
                        after = "open"
                    elif ":" in name:  # A1:INDEX(…) reaches the tokenizer as one function name
                        shown = ("…" if name.startswith(":") else "") + name
                        problems.append(f"a range that ends in a function's result ({shown}(…)) "
                                        "needs LibreOffice")
                    elif "!" in name or "[" in name:
                        problems.append(f"the function {name} belongs to another add-in or workbook")
                    elif not _known(name):
                        problems.append(f"the function {name.upper()} is not available in process")
                    elif name.upper() in INEXACT:
                        problems.append(f"{INEXACT[name.upper()]} (it calls {name.upper()})")
                    elif model.date1904 and name.upper() in DATE_FUNCTIONS:
                        problems.append(f"it calls {name.upper()} in a workbook using the 1904 "
                                        "date system")
                    stack.append([bare if is_ours(bare) else name.upper(), 0, is_ours(bare)])
                    out.append(name + "(")
                elif t.subtype == Token.OPEN:  # a parenthesis or an array constant
                    stack.append(["(", 0, False])
                    out.append(t.value)
                elif t.subtype == Token.CLOSE:
                    if stack:
                        stack.pop()
                    out.append(t.value)
                elif t.type == Token.SEP and t.subtype == Token.ARG:
                    if stack:
                        stack[-1][1] += 1
                        after = "sep" if stack[-1][2] else None
                    out.append(t.value)
                elif t.type == Token.OPERAND and t.subtype == Token.RANGE:
                    n = len(areas)
                    ref = self._operand(t.value, home, areas, errors, problems)
                    if len(areas) > n and array is False and at is not None:
                        ref = self._scalar_position(tokens, i, stack, areas, ref, at, problems)
                    out.append(ref)
                elif (t.type == Token.OP_PRE and t.value == "-" and i + 1 < len(tokens)
                        and tokens[i + 1].type == Token.OP_PRE and tokens[i + 1].value == "-"):
                    out.append("1*")  # --x (a number from TRUE/FALSE): formulas reads it as 0
                    i += 2
                    continue
                else:
                    if t.type == Token.OPERAND and t.subtype == Token.TEXT or t.type == "ARRAY":
                        elementwise = elementwise and t.type != "ARRAY"
                    out.append(t.value)
                i += 1
        finally:
            self.resolver.at = old_at
        if model.date1904 and not ours and not problems:
            problems.append("the workbook uses the 1904 date system, which the in-process "
                            "engine does not")
        return Template("=" + "".join(out), areas, errors, ours, problems[0] if problems else None,
                        elementwise and not errors and not ours)

    def _row_column(self, bare: str, tokens: list[Any], i: int, home: str, at: tuple[int, int],
                    areas: list[Area], errors: list[XLMError]) -> tuple[str, int] | None:
        """``ROW()``/``COLUMN()``/``ROW(ref)`` of an ordinary formula: the number itself."""
        j = i + 1
        if j < len(tokens) and tokens[j].subtype == Token.CLOSE:
            return str(at[0] if bare == "ROW" else at[1]), j + 1
        if j + 1 < len(tokens) and tokens[j].subtype == Token.RANGE \
                and tokens[j + 1].subtype == Token.CLOSE:
            try:
                got = self.resolver.resolve(tokens[j].value, home)
            except XLMError:
                return None
            if isinstance(got, Literal):
                return None
            # the first row/column: what Excel shows for ROW(A1:A3) in an ordinary cell
            return str(got.min_row if bare == "ROW" else got.min_col), j + 2
        return None

    def _scalar_position(self, tokens: list[Any], i: int, stack: list[list[Any]],
                         areas: list[Area], ref: str, at: tuple[int, int],
                         problems: list[str]) -> str:
        """A range in an ordinary formula: kept where a range is taken, else Excel's implicit
        intersection with the formula's row (a column range) or column (a row range)."""
        area = areas[-1]
        if area.size == 1:
            return ref
        whole = _whole_argument(tokens, i)
        if whole and stack and stack[-1][0] != "(":
            name, k = stack[-1][:2]
            if name in REGISTRY or _takes_range(name, k):
                if name in ("COUNTBLANK", "ROWS", "COLUMNS") and _WHOLE_LINE.search(tokens[i].value):
                    problems.append(f"{name} of a whole column or row")
                return ref
            if name not in SCALAR_ARGS:
                problems.append(f"a range is given to {name}, which the in-process engine "
                                "cannot tell takes a range or one value")
                return ref
        if any(f in ARRAY_CONTEXT for f, *_ in stack):
            return ref  # evaluated as an array (SUMPRODUCT and the like)
        r, c = at
        if area.min_col == area.max_col and area.min_row <= r <= area.max_row:
            hit = Area(area.sheet, r, area.min_col, r, area.min_col)
        elif area.min_row == area.max_row and area.min_col <= c <= area.max_col:
            hit = Area(area.sheet, area.min_row, c, area.min_row, c)
        else:
            if area.min_col != area.max_col and area.min_row != area.max_row:
                problems.append("a two-dimensional range where one value is expected")
                return ref
            areas.pop()
            return "#VALUE!"  # Excel's answer: the range does not meet the formula's row/column
        areas[-1] = hit
        return ref

    def _operand(self, ref: str, home: str, areas: list[Area], errors: list[XLMError],
                 problems: list[str] | None = None) -> str:
        if ref.startswith("[") or "]" in ref.split("!", 1)[0] and "!" in ref:
            if problems is not None:  # [1]Sheet1!A1: another workbook's cell
                problems.append("it reads another workbook (external link)")
                return "#REF!"
        sheets = self.resolver.three_d(ref, home)
        if sheets is not None:  # Sheet1:Sheet3!A1 reads every sheet between (LibreOffice does)
            areas.extend(sheets)
            if problems is not None:
                problems.append("it has a 3-D reference (several sheets)")
            return f"XLM_R{len(areas) - 1}"
        try:
            got = self.resolver.resolve(ref, home)
        except XLMError as exc:
            inner = self.resolver.name_formula(ref, home)
            if inner is not None and problems is not None:  # a name holding a formula
                value, owner = inner
                with contextlib.suppress(Unsupported, XLMError, RecursionError):
                    areas.extend(self.template(value, owner).areas)
                problems.append(f"the name {ref} holds a formula ({value})")
                return "#REF!"
            errors.append(exc)
            return exc.code
        if isinstance(got, Literal):
            return _literal(got.value)
        areas.append(got)
        return f"XLM_R{len(areas) - 1}"

    # -- evaluation ------------------------------------------------------------------------

    def direct(self, formula: str, home: str) -> Outcome | None:
        """The plain form ``=OURS(ref, literal, …)`` evaluated without the formula engine."""
        try:
            call = parse_call(formula)
        except Unsupported:
            return None
        if call is None:
            return None
        reads: list[Area] = []
        try:
            args = []
            for a in call.args:
                if a is None or isinstance(a, Literal):
                    args.append(None if a is None else a.value)
                    continue
                assert isinstance(a, Ref)
                got = self.resolver.resolve(a.text, home)
                if isinstance(got, Literal):
                    args.append(got.value)
                    continue
                reads.append(got)
                args.append(_udf_block(self.read(got)))
            result = REGISTRY[call.function](*args)
        except XLMError as exc:
            if exc.func is None:
                exc.func = call.function
            return Outcome([[exc.code]], exc, reads)
        return Outcome(grid_of(result), None, reads)

    def run(self, formula: str, home: str, at: tuple[int, int] | None = None,
            array: bool | None = None) -> Outcome:
        """Evaluate any formula; raises :class:`Unsupported` for a form that cannot be."""
        tpl = self.template(formula, home, at, array)
        if tpl.problem:
            raise Unsupported(tpl.problem)
        fn = self._compile(tpl.text)
        values = []
        for name in fn.inputs:
            if str(name).upper() == BLANK:
                values.append(_engine_block([[None]]))
                continue
            m = re.fullmatch(r"XLM_R(\d+)", str(name), re.IGNORECASE)
            if not m:
                raise Unsupported(f"the formula refers to {name}, which cannot be resolved")
            values.append(_engine_block(self.read(tpl.areas[int(m.group(1))])))
        raised: list[XLMError] = []
        with _calls_into(raised):
            try:
                result = fn(*values)
            except Exception as exc:  # noqa: BLE001 - the formula engine's own failure
                raise Unsupported(f"the formula engine cannot evaluate it "
                                  f"({type(exc).__name__})") from exc
        grid = grid_of(_from_engine(result))
        code = grid[0][0] if grid and grid[0] else None
        error = None
        if isinstance(code, str) and code in EXCEL_ERRORS:
            error = next((e for e in raised + tpl.errors if e.code == code), None)
        return Outcome(grid, error, list(tpl.areas))

    def run_many(self, text: str, inputs: list[list[list[Any]]]) -> list[Any] | None:
        """One elementwise template evaluated for many formulas at once (a fill-down).

        ``inputs[k]`` holds input k's value for every formula; the engine broadcasts the
        operators over the column. None when the result does not come back one per formula.
        """
        fn = self._compile(text)
        order = []
        for name in fn.inputs:
            m = re.fullmatch(r"XLM_R(\d+)", str(name), re.IGNORECASE)
            if not m:
                return None
            order.append(int(m.group(1)))
        n = len(inputs[0]) if inputs else 0
        arrays = []
        for k in order:
            col = np.empty((n, 1), dtype=object)
            for i, v in enumerate(inputs[k]):
                col[i, 0] = _to_engine(v)
            arrays.append(col)
        try:
            result = fn(*arrays)
        except Exception:  # noqa: BLE001 - evaluated one by one instead
            return None
        a = np.asarray(result, dtype=object)
        if a.shape != (n, 1):
            return None
        return [_plain(v, 0) for v in a[:, 0].tolist()]

    def _compile(self, text: str) -> Any:
        fn = self._compiled.get(text)
        if fn is None:
            try:
                with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
                    fn = _parser().ast(text)[1].compile()
            except Exception as exc:  # noqa: BLE001
                raise Unsupported(f"the formula engine cannot read it ({type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
            self._compiled[text] = fn
        return fn


# --------------------------------------------------------------------------- our functions


_raised: list[list[XLMError]] = []


@contextlib.contextmanager
def _calls_into(sink: list[XLMError]):  # type: ignore[no-untyped-def]
    _raised.append(sink)
    try:
        yield
    finally:
        _raised.pop()


class _Own:
    """The functions this bridge hands to one parse: ours, and two fixes of ``formulas``.

    Looked up by name as the parser meets a call: only the model modules of the functions a
    formula calls are imported (the registry loads a module when asked for one of its names).
    """

    # formulas answers #VALUE! for these on arrays (a spill range, say)
    FIXES: dict[str, Callable[..., Any]] = {
        "ROWS": lambda a: float(np.atleast_2d(np.asarray(a, dtype=object)).shape[0]),
        "COLUMNS": lambda a: float(np.atleast_2d(np.asarray(a, dtype=object)).shape[1]),
    }

    def __init__(self) -> None:
        self._wrapped: dict[str, Callable[..., Any]] = {}

    def get(self, name: str, default: Any = None) -> Any:
        if name in self.FIXES:
            return self.FIXES[name]
        if name not in self._wrapped:
            fn = REGISTRY.get(name) if is_ours(name) else None
            if fn is None:
                return default
            self._wrapped[name] = _wrap(name, fn)
        return self._wrapped[name]


def _parser() -> Any:
    """A ``formulas`` parser whose function calls look in our table first.

    ``formulas`` finds a function by name in its process-wide table
    (``formulas.get_functions()``) while it parses; writing ours there would change every other
    user of the package in the process. The parser's function token is swapped for one that
    asks this parser's own table first, so nothing global changes.
    """
    import formulas
    from formulas.tokens.function import Function

    global _Parser
    if _Parser is None:
        class Call(Function):
            def process(self, match, context=None, parser=None):  # type: ignore[no-untyped-def]
                attr = super().process(match, context, parser)
                self._own = getattr(parser, "own", {}).get(str(attr.get("name", "")).upper())
                return attr

            def compile(self):  # type: ignore[no-untyped-def]
                own = getattr(self, "_own", None)
                return own if own is not None else super().compile()

        class Parser(formulas.Parser):
            filters = [Call if f is Function else f for f in formulas.Parser.filters]

        _Parser = Parser
    parser = _Parser()
    parser.own = _Own()
    return parser


_Parser: Any = None


def _wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        from formulas.functions import Array

        try:
            result = fn(*[_udf_arg(a) for a in args])
        except XLMError as exc:
            if exc.func is None:
                exc.func = name
            if _raised:
                _raised[-1].append(exc)
            return _xl_error(exc.code)
        grid = grid_of(result)
        out = np.empty((len(grid), len(grid[0])), dtype=object)
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                out[i, j] = _to_engine(v)
        return out.view(Array)

    call.__name__ = name
    return call


def _known(name: str) -> bool:
    """Whether the in-process engine computes ``name``: read from a list written down from
    ``formulas`` (:mod:`.formulas_functions`), so that building the dependency graph imports
    neither ``formulas`` nor scipy.stats (seconds) when LibreOffice computes the dependents."""
    return name.upper() in NAMES or name.upper() in ("ROWS", "COLUMNS")


# --------------------------------------------------------------------------- conversions


def _empty() -> Any:
    import schedula as sh

    return sh.EMPTY


def _xl_error(code: str) -> Any:
    from formulas.tokens.operand import Error

    return Error.errors.get(code) or Error.errors["#VALUE!"]


def _to_engine(v: Any) -> Any:
    if v is None:
        return _empty()
    if isinstance(v, str) and v in EXCEL_ERRORS:
        return _xl_error(v)
    if isinstance(v, (dt.date, dt.datetime)):
        from ..cells import to_serial

        return to_serial(v)
    return v


def _engine_block(rows: list[list[Any]]) -> np.ndarray:
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            out[i, j] = _to_engine(v)
    return out


def _udf_block(rows: list[list[Any]]) -> Any:
    """An area as the UDF receives it: a 2-D list, a 1×1 area as a scalar."""
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    return rows


def _udf_value(v: Any) -> Any:
    name = type(v).__name__
    if name == "XlError":
        return str(v)
    if name == "Token" or v is None:
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def _udf_arg(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        rows = [[_udf_value(v) for v in row] for row in np.atleast_2d(a).tolist()]
        return _udf_block(rows)
    return _udf_value(a)


def _from_engine(result: Any) -> Any:
    """A formulas result as plain Python: a value or a 2-D list."""
    if isinstance(result, np.ndarray):
        a = np.atleast_2d(result)
        if a.ndim > 2:
            a = a.reshape(a.shape[0], -1)
        if a.size == 1:
            return _plain(a.flat[0], 0)
        return [[_plain(v, None) for v in row] for row in a.tolist()]
    return _plain(result, 0)


def _plain(v: Any, empty: Any) -> Any:
    """One value; ``empty`` for a blank (0 for a scalar, as Excel shows ``=A1`` of a blank)."""
    name = type(v).__name__
    if name == "XlError":
        return str(v)
    if name == "Token" or v is None:
        return empty
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return "#NUM!"
    return v


def grid_of(result: Any) -> list[list[Any]]:
    """A function's result as a rectangular grid (short rows padded with blanks)."""
    if not isinstance(result, (list, tuple)):
        return [[_cell(result)]]
    if not result:
        return [[""]]
    if not isinstance(result[0], (list, tuple)):
        return [[_cell(v)] for v in result]
    width = max(len(r) for r in result) or 1
    return [[_cell(v) for v in r] + [None] * (width - len(r)) for r in result]


def _cell(v: Any) -> Any:
    if isinstance(v, dict) and v.get("type") == "Error":
        return str(v.get("basicValue") or "#VALUE!")
    return v


def _literal(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(float(v)) if not float(v).is_integer() else str(int(v))
    s = str(v)
    if s in EXCEL_ERRORS:
        return s
    return '"' + s.replace('"', '""') + '"'

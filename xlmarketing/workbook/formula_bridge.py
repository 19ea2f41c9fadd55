"""Evaluating one formula headless: our calls anywhere in it, Excel's functions around them.

A formula is tokenized with openpyxl's ``Tokenizer`` and rewritten into a *template*: every
reference (cell, range, name, table, spill ``A1#`` / ``_xlfn.ANCHORARRAY(A1)``) is resolved by
the :class:`~.calls.Resolver` and replaced by a placeholder input, ``_xlfn.``/``_xlws.``
prefixes and the add-in prefixes of our functions are dropped. The template is compiled once by
the ``formulas`` package (Excel's functions with array semantics), with the functions of
``REGISTRY`` injected, and evaluated on the values of its inputs. A fill-down of one formula
compiles once. The plain form ``=OUR_FUNCTION(ref, literal, …)`` skips ``formulas`` entirely.
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
from openpyxl.formula import Tokenizer
from openpyxl.formula.tokenizer import Token

from ..errors import EXCEL_ERRORS, XLMError
from ..functions import REGISTRY
from .calls import Literal, Ref, Resolver, Unsupported, function_name, parse_call
from .model import Area

_PREFIXES = re.compile(r"^(?:_xlfn\.|_xlws\.|_xludf\.)+", re.IGNORECASE)
# "L1#" as typed (Excel saves it as _xlfn.ANCHORARRAY(L1)); outside strings only.
_SPILL_HASH = re.compile(r"""("(?:[^"]|"")*")|((?:'(?:[^']|'')+'!|[A-Za-z0-9_.]+!)?\$?[A-Za-z]{1,3}\$?\d+)#""")

Reader = Callable[[Area], list[list[Any]]]

#: Functions that work cell by cell on arrays, so a fill-down of one formula can be evaluated
#: as one array formula (aggregates such as SUM, AND or MAX are not among them).
ELEMENTWISE = frozenset("""IF IFERROR IFNA ROUND ROUNDUP ROUNDDOWN ABS INT MOD SIGN SQRT EXP LN
LOG10 POWER ISNUMBER ISTEXT ISBLANK ISERROR ISNA NOT LEN LEFT RIGHT MID UPPER LOWER TRIM""".split())


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

    def template(self, formula: str, home: str) -> Template:
        """The formula rewritten with placeholder inputs (``problem`` says if it cannot run).

        Raises :class:`Unsupported` only when the formula cannot even be tokenized.
        """
        text = _SPILL_HASH.sub(lambda m: m.group(1) or f"_xlfn.ANCHORARRAY({m.group(2)})",
                               formula)
        try:
            tokens = Tokenizer("=" + text).items
        except Exception as exc:  # noqa: BLE001
            raise Unsupported(f"the formula cannot be parsed ({exc})") from None
        out: list[str] = []
        areas: list[Area] = []
        errors: list[XLMError] = []
        ours = False
        problem = None
        elementwise = True
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t.type == Token.FUNC and t.subtype == Token.OPEN:
                name = _PREFIXES.sub("", t.value[:-1])
                bare = function_name(name + "(")
                if bare == "ANCHORARRAY" and i + 2 < len(tokens) \
                        and tokens[i + 1].subtype == Token.RANGE and tokens[i + 2].subtype == Token.CLOSE:
                    out.append(self._operand(tokens[i + 1].value + "#", home, areas, errors))
                    i += 3
                    continue
                if name.upper() not in ELEMENTWISE:
                    elementwise = False
                if bare in REGISTRY:
                    ours = True
                    name = bare
                elif ":" in name:  # A1:INDEX(…) reaches the tokenizer as one function name
                    shown = ("…" if name.startswith(":") else "") + name
                    problem = problem or (f"a range that ends in a function's result ({shown}(…)) "
                                          "needs LibreOffice")
                elif "!" in name or "[" in name:
                    problem = problem or f"the function {name} belongs to another add-in or workbook"
                elif not _known(name):
                    problem = problem or f"the function {name.upper()} is not available headless"
                out.append(name + "(")
            elif t.type == Token.OPERAND and t.subtype == Token.RANGE:
                out.append(self._operand(t.value, home, areas, errors))
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
        return Template("=" + "".join(out), areas, errors, ours, problem,
                        elementwise and not errors and not ours)

    def _operand(self, ref: str, home: str, areas: list[Area], errors: list[XLMError]) -> str:
        try:
            got = self.resolver.resolve(ref, home)
        except XLMError as exc:
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
            call = parse_call(formula, REGISTRY)
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

    def run(self, formula: str, home: str) -> Outcome:
        """Evaluate any formula; raises :class:`Unsupported` for a form that cannot be."""
        tpl = self.template(formula, home)
        if tpl.problem:
            raise Unsupported(tpl.problem)
        fn = self._compile(tpl.text)
        values = []
        for name in fn.inputs:
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
            import formulas

            _install()
            try:
                with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
                    fn = formulas.Parser().ast(text)[1].compile()
            except Exception as exc:  # noqa: BLE001
                raise Unsupported(f"the formula engine cannot read it ({type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
            self._compiled[text] = fn
        return fn


# --------------------------------------------------------------------------- our functions


_raised: list[list[XLMError]] = []
_installed = False


@contextlib.contextmanager
def _calls_into(sink: list[XLMError]):  # type: ignore[no-untyped-def]
    _raised.append(sink)
    try:
        yield
    finally:
        _raised.pop()


def _install() -> None:
    """Put every function of REGISTRY into the ``formulas`` function table (once)."""
    global _installed
    if _installed:
        return
    import formulas

    table = formulas.get_functions()
    for name, fn in REGISTRY.items():
        table[name] = _wrap(name, fn)
    # formulas answers #VALUE! for these on arrays (a spill range, say)
    table["ROWS"] = lambda a: float(np.atleast_2d(np.asarray(a, dtype=object)).shape[0])
    table["COLUMNS"] = lambda a: float(np.atleast_2d(np.asarray(a, dtype=object)).shape[1])
    _installed = True


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
    import formulas

    return name.upper() in formulas.get_functions()


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

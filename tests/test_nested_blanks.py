"""An omitted argument of ours is a blank at every depth of a formula (issue 27, item 6).

Through the ``formulas`` package, an omitted argument (``F(a,,,b)``) inside ROUND, SUM, INDEX,
IF, IFERROR, arithmetic or an argument expression used to reach our function as 0 or FALSE
("regularization=0 is out of range"; a blank ``scale`` became FALSE and SUM silently added up
another segmentation). For every registered function and each optional argument, the call with
that argument omitted is wrapped in one of those forms in a workbook, refreshed headless, and
compared with the same call made directly (the top-level value).

By default each (function, argument) gets one wrapping form, rotating through all of them;
``XLM_NESTED_FULL=1`` runs every form for every argument.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from tests.registry_calls import SKIP, call_of, is_range
from xlmarketing.errors import EXCEL_ERRORS, XLMError
from xlmarketing.functions import REGISTRY

FULL = os.environ.get("XLM_NESTED_FULL") == "1"
FORMS = ("index", "round", "sum", "if", "iferror", "times", "argexpr")


def _literal(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return '"' + str(v).replace('"', '""') + '"'


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class Book:
    """The sample ranges laid out side by side on a Data sheet, each placed once."""

    def __init__(self) -> None:
        self.wb = openpyxl.Workbook()
        self.data = self.wb.active
        self.data.title = "Data"
        self.sheet = self.wb.create_sheet("F")
        self.col = 1
        self.placed: dict[int, str] = {}
        self.expected: list[tuple[str, str, str, Any]] = []  # cell, function, form, value

    def ref(self, block: list[list[Any]]) -> str:
        if id(block) not in self.placed:
            for i, row in enumerate(block):
                for j, v in enumerate(row):
                    self.data.cell(i + 1, self.col + j, v)
            width = max(len(r) for r in block)
            a = f"${get_column_letter(self.col)}$1"
            b = f"${get_column_letter(self.col + width - 1)}${len(block)}"
            self.placed[id(block)] = f"Data!{a}:{b}"
            self.col += width + 1
        return self.placed[id(block)]


def _call_text(name: str, fn: Any, kwargs: dict[str, Any], book: Book, expr: bool) -> str:
    parts, done = [], not expr
    for arg in fn.spec.params:
        v = kwargs[arg]
        if is_range(fn, arg) and v is not None:
            text = book.ref(v)
            if not done:  # an argument expression: the engine must evaluate it
                text, done = f"({text})", True
        else:
            text = _literal(v)
            if not done and _number(v):
                text, done = f"({text}+0)", True
        parts.append(text)
    while parts and parts[-1] == "":
        parts.pop()  # trailing blanks as Excel writes them: left out
    return f"{name}({','.join(parts)})"


def _target(grid: list[list[Any]]) -> tuple[int, int]:
    cells = [(i, j) for i, row in enumerate(grid) for j, v in enumerate(row)]
    for i, j in cells:
        if _number(grid[i][j]) and i > 0:
            return i, j
    return next(((i, j) for i, j in cells if grid[i][j] not in (None, "")), (0, 0))


def _summable(grid: list[list[Any]]) -> bool:
    """Whether SUM over the whole result is a fair check: no run time in it ("Fit seconds"),
    and no text that reads as a number (the ``formulas`` package adds those up in an array,
    which Excel does not: an engine difference, not a blank)."""
    def numeric_text(x: Any) -> bool:
        try:
            return isinstance(x, str) and math.isfinite(float(x))
        except ValueError:
            return False

    return not any("second" in str(h).lower() for h in grid[0]) and not any(
        numeric_text(x) for row in grid for x in row)


def _formula(form: str, call: str, grid: list[list[Any]]) -> tuple[str, Any]:
    i, j = _target(grid)
    v = grid[i][j]
    at = f"INDEX({call},{i + 1},{j + 1})"
    if v in EXCEL_ERRORS:  # wrapped without INDEX (formulas' INDEX of an error is #REF!)
        wrap = {"round": "=ROUND({},4)", "sum": "=SUM({})", "times": "={}*1",
                "iferror": '=IFERROR({},"failed")'}.get(form, "=IF(TRUE,{})")
        return wrap.format(call), "failed" if form == "iferror" else v
    if form == "round" and _number(v):
        return f"=ROUND({at},4)", round(v, 4)
    if form == "sum" and _summable(grid):
        return f"=SUM({call})", sum(x for row in grid for x in row if _number(x))
    if form == "sum" and _number(v):
        return f"=SUM({at},1)", v + 1
    if form == "if":
        return f"=IF(TRUE,{at})", v
    if form == "iferror":
        return f'=IFERROR({at},"failed")', v
    if form == "times" and _number(v):
        return f"={at}*1", v
    return f"={at}", v


def _cases() -> list[tuple[str, str, str]]:
    out = []
    k = 0
    for name, fn in sorted(REGISTRY.items()):
        if name in SKIP:
            continue
        for arg in fn.spec.params:
            if arg in fn.spec.required:
                continue
            forms = FORMS if FULL else (FORMS[k % len(FORMS)],)
            k += 1
            out += [(name, arg, form) for form in forms]
    return out


def _same(got: Any, want: Any) -> bool:
    if _number(want):
        return _number(got) and math.isclose(got, want, rel_tol=1e-7, abs_tol=1e-9)
    if want in (None, ""):
        return got in (None, "", 0)
    if isinstance(want, dt.datetime) and _number(got):
        return True  # a date cell of ours written as a serial number
    return got == want


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    from xlmarketing.workbook import refresh_workbook

    book = Book()
    cases = _cases()
    for n, (name, arg, form) in enumerate(cases):
        fn = REGISTRY[name]
        kwargs = {**call_of(name, fn), arg: None}
        try:
            grid = fn(**kwargs)
        except XLMError as exc:  # the top level answers an error: so must the nested form
            grid = [[exc.code]]
        call = _call_text(name, fn, kwargs, book, form == "argexpr")
        formula, value = _formula(form, call, grid)
        cell = f"A{n + 1}"
        book.sheet[cell] = formula
        book.expected.append((cell, f"{name} without {arg} ({form}): {formula}", form, value))
    folder = tmp_path_factory.mktemp("nested")
    src, out = folder / "in.xlsx", folder / "out.xlsx"
    book.wb.save(src)
    refresh_workbook(src, out, formula_engine="formulas")
    got = openpyxl.load_workbook(out, data_only=True)["F"]
    return [(what, got[cell].value, value) for cell, what, _, value in book.expected]


@pytest.mark.slow  # its fixture refreshes a workbook of every optional argument of every function
def test_every_function_reads_an_omitted_argument_as_blank_inside_any_formula(refreshed):
    wrong = [f"{what}: got {got!r}, top level gives {want!r}"
             for what, got, want in refreshed if not _same(got, want)]
    assert not wrong, "\n".join(wrong)


def test_the_walk_covers_every_optional_argument_of_every_function():
    seen = {(name, arg) for name, arg, _ in _cases()}
    for name, fn in REGISTRY.items():
        if name not in SKIP:
            assert {a for a in fn.spec.params if a not in fn.spec.required} <= {
                a for n, a in seen if n == name}, name

"""The spreadsheet functions, runtime-neutral.

Each function here takes cell values exactly as a runtime delivers them (2-D lists, scalars,
blanks as None), and returns a 2-D list of cells or raises :class:`~xlmarketing.errors.XLMError`.
It composes the three rooms below it: the cell adapter (``cells``), the model cache (``cache``)
and the model core (``core``). The xlwings wrappers in ``udfs.py`` and the headless workbook
engine both call these, so a refreshed cell equals what Excel with the add-in shows.

``REGISTRY`` maps the Excel name of every function to its implementation; the workbook engine
finds functions there, so a new module registered below needs no change elsewhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..errors import function_context

Cells = list[list[Any]]
REGISTRY: dict[str, Callable[..., Cells]] = {}


def sheet_function(name: str) -> Callable[[Callable[..., Cells]], Callable[..., Cells]]:
    """Register ``fn`` under its Excel ``name``; XLMErrors raised inside it name the function."""

    def register(fn: Callable[..., Cells]) -> Callable[..., Cells]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Cells:
            with function_context(name):
                return fn(*args, **kwargs)

        wrapper.excel_name = name  # type: ignore[attr-defined]
        REGISTRY[name] = wrapper
        return wrapper

    return register


# Importing the modules registers their functions.
from . import cacheinfo, churn, forecast, segment  # noqa: E402,F401

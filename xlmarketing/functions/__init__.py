"""The spreadsheet functions, runtime-neutral.

Each function here takes cell values exactly as a runtime delivers them (2-D lists, scalars,
blanks as None), and returns a 2-D list of cells or raises :class:`~xlmarketing.errors.XLMError`.
It composes the three rooms below it: the cell adapter (``cells``), the model cache (``cache``)
and the model core (``core``). The xlwings wrappers in ``udfs.py`` and the headless workbook
engine both call these, so a refreshed cell equals what Excel with the add-in shows.

``REGISTRY`` maps the Excel name of every function to its implementation, and is the only list
of them: ``xlmarketing.udfs`` (Excel, xlwings Server and Lite) and the headless workbook engine
serve every function registered with :func:`sheet_function`, here or in a user's own module
imported before use (:mod:`xlmarketing.catalog` answers "is it ours?" without the models).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from .. import catalog
from ..core.errors import CoreError, DataError, InsufficientData, LimitExceeded, ParameterError
from ..errors import SHEET_FIXES, XLMError, function_context
from .spec import Arg, CallArgs, calling, make_spec

Cells = list[list[Any]]
REGISTRY: dict[str, Callable[..., Cells]] = {}

#: The Excel error code each core error becomes in a cell.
EXCEL_CODE = {
    DataError: "#VALUE!",
    ParameterError: "#NUM!",
    InsufficientData: "#NUM!",
    LimitExceeded: "#NUM!",
}


def core_error_to_xlm(exc: CoreError, arg_names: Mapping[str, str] | None = None) -> XLMError:
    """The sheet form of a core error: its Excel code, and ``{param}`` as the user's argument name.

    ``arg_names`` maps core parameter names to the function's sheet argument names where they
    differ (``{"season_length": "season"}``); by default the core's name is shown. The core's
    remedies are said in sheet words (:data:`~xlmarketing.errors.SHEET_FIXES`).
    """
    code = next((c for cls, c in EXCEL_CODE.items() if isinstance(exc, cls)), "#VALUE!")
    name = (arg_names or {}).get(exc.param or "", exc.param)
    return XLMError(code, exc.render(name, SHEET_FIXES))


def sheet_function(name: str, summary: str = "", *, args: Mapping[str, Arg] | None = None,
                   fits: bool = True, arg_names: Mapping[str, str] | None = None
                   ) -> Callable[[Callable[..., Cells]], Callable[..., Cells]]:
    """Register ``fn`` under its Excel ``name`` with its specification.

    ``summary`` is the function wizard's description and ``args`` one :class:`~.spec.Arg` per
    parameter of ``fn``, in order (see :mod:`.spec`): the registered function runs every check
    before calling ``fn`` with the clean values. ``fits``: the function fits a model, so Excel
    must not run it while the user types in the function wizard. XLMErrors raised inside name
    the function; core errors (:mod:`xlmarketing.core.errors`) become XLMErrors through
    :func:`core_error_to_xlm` with ``arg_names``.
    """

    def register(fn: Callable[..., Cells]) -> Callable[..., Cells]:
        spec = make_spec(name, summary or (fn.__doc__ or ""), fn, args, fits) if args is not None else None

        @functools.wraps(fn)
        def wrapper(*a: Any, **kw: Any) -> Cells:
            with function_context(name):
                try:
                    if spec is None:
                        return fn(*a, **kw)
                    clean = spec.parse(a, kw)
                    with calling(CallArgs(spec, clean)):
                        return fn(**clean)
                except CoreError as exc:
                    raise core_error_to_xlm(exc, arg_names) from exc

        wrapper.excel_name = name  # type: ignore[attr-defined]
        wrapper.spec = spec  # type: ignore[attr-defined]
        REGISTRY[name] = wrapper
        catalog.add(name)  # served from now on: udfs, the Office.js metadata, the refresh
        return wrapper

    return register


def unregister(name: str) -> None:
    """Remove a function registered with :func:`sheet_function` (a user's or a test's)."""
    if REGISTRY.pop(name, None) is not None:
        catalog.remove(name)


# Importing the modules registers their functions.
from . import cacheinfo, churn, forecast, segment, text  # noqa: E402,F401
from . import customers, models  # noqa: E402,F401
from . import recommend  # noqa: E402,F401
from . import experiments  # noqa: E402,F401
from . import value  # noqa: E402,F401
from . import retention  # noqa: E402,F401
from . import mmm  # noqa: E402,F401

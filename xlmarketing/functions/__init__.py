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
import importlib
from collections.abc import Callable, Mapping
from typing import Any

from .. import catalog
from ..core.errors import CoreError, DataError, InsufficientData, LimitExceeded, ParameterError
from ..errors import SHEET_FIXES, XLMError, function_context
from .spec import Arg, CallArgs, calling, make_spec

Cells = list[list[Any]]

#: The modules that register the package's functions, in the order they were always imported.
MODULES = ("cacheinfo", "churn", "forecast", "segment", "text", "customers", "models",
           "recommend", "experiments", "value", "retention", "mmm")


class Registry(dict[str, Callable[..., Cells]]):
    """Excel name -> function; a package function's module is imported when first asked for.

    Importing every model module costs seconds (scikit-learn, scipy.stats, statsforecast): the
    headless refresh of a workbook that calls two functions imports their two modules only.
    ``REGISTRY[name]``, ``name in REGISTRY`` and ``get`` import the module that registers
    ``name`` (:func:`~xlmarketing.catalog.module_of`, read from the sources); iterating, ``len``,
    ``keys``/``items``/``values`` and the rest of dict's views import them all first, so the
    registry still is the whole list of names.
    """

    _complete = False

    def _load(self, name: object) -> bool:
        if not isinstance(name, str) or self._complete:
            return False
        module = catalog.module_of(name)
        if module is None or not catalog.is_ours(name):  # not ours, or unregistered
            return False
        importlib.import_module(f"{__name__}.{module}")
        return dict.__contains__(self, name)

    def load_all(self) -> None:
        if not self._complete:
            for module in MODULES:
                importlib.import_module(f"{__name__}.{module}")
            Registry._complete = True

    def __missing__(self, name: str) -> Callable[..., Cells]:
        if self._load(name):
            return dict.__getitem__(self, name)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or self._load(name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.load_all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self.load_all()
        return dict.__len__(self)

    def __repr__(self) -> str:
        self.load_all()
        return dict.__repr__(self)

    def __eq__(self, other: object) -> bool:
        self.load_all()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def keys(self):  # type: ignore[no-untyped-def,override]
        self.load_all()
        return dict.keys(self)

    def items(self):  # type: ignore[no-untyped-def,override]
        self.load_all()
        return dict.items(self)

    def values(self):  # type: ignore[no-untyped-def,override]
        self.load_all()
        return dict.values(self)

    def pop(self, name: str, *default: Any) -> Any:  # type: ignore[override]
        self._load(name)
        return dict.pop(self, name, *default)

    def copy(self) -> dict[str, Callable[..., Cells]]:  # type: ignore[override]
        self.load_all()
        return dict(dict.items(self))

    def __reversed__(self):  # type: ignore[no-untyped-def]
        self.load_all()
        return dict.__reversed__(self)


REGISTRY: Registry = Registry()

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


# Importing the modules registers their functions: each is imported when one of its names is
# first asked for (REGISTRY), or when it is reached as an attribute (functions.churn).


def __getattr__(name: str) -> Any:
    if name in MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

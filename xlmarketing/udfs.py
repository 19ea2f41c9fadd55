"""xlwings user-defined functions: the module Excel imports (``xlmarketing.udfs``).

Thin declarative wrappers, none written by hand: :func:`udf` builds the xlwings function from the
specification registered in :mod:`xlmarketing.functions` (argument names and order, optional
flags, the function wizard's texts, ``call_in_wizard=False`` for fitting functions), so a
signature is written once. Every argument is taken ``"raw"`` and every result returned
``"raw"``: xlwings' default conversion costs tens of microseconds per cell on the Office.js
path, and the cell adapter cleans values anyway.

Every function of the registry is served, including one registered later (a user's own module
imported after this one): a registration listener adds its wrapper here. The module exposes only
the UDFs (``__all__``) so an import tool picks up nothing else.

How a user mistake (:class:`~xlmarketing.errors.XLMError`) shows:

* Windows Excel (COM add-in): the one-line message as the cell's text, e.g.
  ``#NUM! KMEANS_SEGMENT: k=8 needs at least 8 customers, got 5 rows. ...`` (COM would
  otherwise print a traceback into the cell, and a returned "#NUM!" string is only text).
* Office.js (xlwings Server or Lite): an ``xlwings.XlwingsError`` carrying the line is raised.
  xlwings Server answers it with HTTP 400 and the line as the body, and the add-in shows a
  ``#VALUE!`` error cell whose message (hover the error flag) is the line. Any other exception
  would be an HTTP 500, which the add-in retries three times and then shows only as "An error
  occurred.", so nothing else is ever raised there.
* Headless refresh: a real error cell (``#NUM!``) with the message as its comment and in the report.

An unexpected exception (a bug) is logged with its traceback; on COM the cell shows one line
naming it as an internal error rather than a traceback.
"""

from __future__ import annotations

import importlib.util as _importlib_util
import inspect as _inspect
import logging as _logging
import os as _os
import sys as _sys
from collections.abc import Callable as _Callable
from typing import Any as _Any

import xlwings as _xw

from . import catalog as _catalog
from .cells import without_jsnull as _without_jsnull
from .errors import XLMError as _XLMError
from .functions import REGISTRY as _REGISTRY
from .functions.spec import Arg as _Arg
from .functions.spec import make_spec as _make_spec
from .parsing import call_culture as _call_culture

_log = _logging.getLogger(__name__)

#: True under xlwings Lite (Pyodide).
_LITE = _sys.platform == "emscripten"
#: True under xlwings Server (``XLWINGS_ON_SERVER``) and xlwings Lite (Pyodide).
_OFFICE_JS = bool(_os.environ.get("XLWINGS_ON_SERVER")) or _LITE


def _fail_pyodide_imports_fast() -> None:
    """Under xlwings Server, make ``import pyodide`` fail at once instead of after a search.

    xlwings' Office.js entry point runs ``from pyodide.ffi import JsNull`` for every argument of
    every call (``js_to_none``); off Pyodide each try searches the whole ``sys.path`` before it
    fails: about 0.13 ms on an idle machine, ten times for a CHURN_PROB call, as much as the
    rest of a cache hit. A
    None in ``sys.modules`` is the import system's own way to say "not importable": the import
    raises the same ImportError without searching. Only when pyodide is really not installed,
    and never under Lite (Pyodide has the real module).
    """
    if _OFFICE_JS and not _LITE and "pyodide" not in _sys.modules:
        if _importlib_util.find_spec("pyodide") is None:
            _sys.modules["pyodide"] = _sys.modules["pyodide.ffi"] = None  # type: ignore[assignment]


_fail_pyodide_imports_fast()


def _run(fn: _Callable[..., _Any], *args: _Any) -> _Any:
    if _LITE:   # Pyodide >= 0.28 hands empty cells of raw range arguments as jsnull
        args = _without_jsnull(args)
    try:
        with _call_culture():   # the Office.js request's culture (Lite, Server)
            return fn(*args)
    except _XLMError as exc:
        text = exc.text
    except Exception as exc:
        _log.exception("xlmarketing: internal error in %s", fn.__name__)
        name = getattr(fn, "excel_name", fn.__name__)
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        text = f"#VALUE! {name}: internal error ({detail}). Please report it."
    if _OFFICE_JS:
        raise _xw.XlwingsError(text)
    return [[text]]


def udf(name: str) -> _Callable[..., _Any]:
    """The xlwings UDF for the registered sheet function ``name``, built from its specification."""
    fn = _REGISTRY[name]
    spec = fn.spec or _make_spec(name, fn.__doc__ or "", fn, {  # registered without args={...}
        p: _Arg("") for p in _inspect.signature(fn).parameters}, True)

    def call(*args: _Any) -> _Any:
        return _run(fn, *args)

    P = _inspect.Parameter
    call.__signature__ = _inspect.Signature([  # type: ignore[attr-defined]
        P(p, P.POSITIONAL_OR_KEYWORD, default=P.empty if p in spec.required else None)
        for p in spec.params])
    call.__name__ = call.__qualname__ = name
    call.__doc__ = spec.summary
    call.__module__ = __name__
    # xlwings' Office.js entry point runs typing.get_type_hints on the function at every call;
    # the string annotations above would be compiled and evaluated each time.
    call.__annotations__ = {}
    call = _xw.ret("raw")(call)
    for p in reversed(spec.params):
        call = _xw.arg(p, "raw", doc=spec.args[p].doc)(call)
    return _xw.func(call_in_wizard=not spec.fits)(call)


def _serve(name: str, added: bool) -> None:
    """Keep the module's attributes and ``__all__`` equal to the registry (late registrations
    included), which is what xlwings' COM import and ``custom_functions_meta`` read."""
    if added and name in _REGISTRY:
        globals()[name] = udf(name)
    else:
        globals().pop(name, None)
    __all__[:] = sorted(n for n in _REGISTRY if n in globals())


__all__: list[str] = []
for _name in list(_REGISTRY):
    _serve(_name, True)
del _name
_catalog.on_change(_serve)

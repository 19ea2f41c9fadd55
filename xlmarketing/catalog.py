"""Which spreadsheet functions are ours: the one answer, and it needs no model imported.

The registry (:data:`xlmarketing.functions.REGISTRY`, filled by ``@sheet_function``) is the
only list of our functions. This module answers "is this one of ours?" for everything else
(the xlwings module, the headless refresh, the demo), without importing the models:

* the package's own functions are *read* from the sources of ``xlmarketing/functions/`` (the
  names given to ``sheet_function(...)`` and ``family_function(...)``), so a refresh with nothing to do
  stays light; ``tests/test_catalog.py`` checks that this reading equals the registry;
* every registration adds its name here at run time (:func:`add`), so a function registered in
  a module of its own, or in a user's module imported before use, is ours from then on, and
  the listeners (:func:`on_change`; ``xlmarketing.udfs`` is one) hear of it.

Standard library only: importing it never imports pandas, scikit-learn or openpyxl.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable

# `@sheet_function("NAME", ...`, and `@family_function({CHURN: ("NAME", ...), PROPENSITY:
# ("OTHER_NAME", ...)}, ...`: the decorators that register a function in the package's sources.
_DECLARED = re.compile(r"\bsheet_function\(\s*((?:\"[A-Z][A-Z0-9_.]*\"\s*,\s*)+)")
_NAME = re.compile(r"\"([A-Z][A-Z0-9_.]*)\"")
_FAMILY = re.compile(r"\bfamily_function\(\s*\{(.*?)\},\s*args=", re.S)
_MEMBER = re.compile(r"\b[A-Z][A-Z0-9_]*\s*:\s*\(\s*\"([A-Z][A-Z0-9_.]*)\"")

_lock = threading.Lock()
_declared: frozenset[str] | None = None  # read from the package's sources, once
_modules: dict[str, str] | None = None  # name -> module stem, read with _declared
_registered: set[str] = set()  # added at run time by sheet_function
_removed: set[str] = set()
_listeners: list[Callable[[str, bool], None]] = []
_cache: tuple[frozenset[str], tuple[str, ...], tuple[bytes, ...]] | None = None


def declared_in(folder: Traversable) -> frozenset[str]:
    """The function names the modules in ``folder`` register (read, not imported)."""
    return frozenset(declared_by(folder))


def declared_by(folder: Traversable) -> dict[str, str]:
    """{function name: the module of ``folder`` (file stem) that registers it} (read only)."""
    found: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".py"):
            continue
        try:
            text = entry.read_text(encoding="utf-8")
        except OSError:
            continue
        stem = entry.name[:-3]
        for group in _DECLARED.findall(text):
            found.update(dict.fromkeys(_NAME.findall(group), stem))
        for members in _FAMILY.findall(text):
            found.update(dict.fromkeys(_MEMBER.findall(members), stem))
    return found


def _package_modules() -> dict[str, str]:
    # importlib.resources reads a zipped install too, and never imports the functions. An
    # install without sources finds nothing here: its functions are ours once imported.
    global _modules
    if _modules is None:
        _modules = declared_by(resources.files(__package__) / "functions")
    return _modules


def _package_names() -> frozenset[str]:
    global _declared
    if _declared is None:
        _declared = frozenset(_package_modules())
    return _declared


def module_of(name: str) -> str | None:
    """The module of ``xlmarketing.functions`` (its file stem) that registers the package
    function ``name``, read from the sources; None for any other name."""
    return _package_modules().get(name)


def _snapshot() -> tuple[frozenset[str], tuple[str, ...], tuple[bytes, ...]]:
    global _cache
    got = _cache
    if got is None:
        with _lock:
            names = frozenset((_package_names() | _registered) - _removed)
            got = _cache = (names, tuple(n + "(" for n in sorted(names)),
                            tuple(n.lower().encode() + b"(" for n in sorted(names)))
    return got


def names() -> frozenset[str]:
    """Every function of ours, in upper case as Excel shows them."""
    return _snapshot()[0]


def is_ours(name: str) -> bool:
    """Whether ``name`` (already stripped of add-in prefixes) is one of our functions."""
    return name.upper() in _snapshot()[0]


def calls_ours(text: str) -> bool:
    """Whether a formula's text names one of our functions followed by ``(``.

    A superset test (a name inside a string literal counts too); the formula's tokens decide
    precisely (:mod:`xlmarketing.workbook.formula_bridge`).
    """
    upper = text.upper()
    return any(n in upper for n in _snapshot()[1])


def function_of(text: str) -> str:
    """The first of our functions a formula calls (for reports and comments), or "formula"."""
    upper = text.upper()
    hits = [(upper.find(n), n[:-1]) for n in _snapshot()[1] if n in upper]
    return min(hits)[1] if hits else "formula"


def mentions_ours(data: bytes) -> bool:
    """Whether raw bytes (a workbook part) mention one of our functions, in any letter case.

    With the opening parenthesis: a call always has one, and words such as "recommend" occur
    in ordinary text. The lowered bytes are cut at each "(" and the piece before it is asked
    whether it ends with a name: one pass over the bytes instead of one per name (a part
    without "(" at all, a data sheet, costs only the lowering), and ~100x faster than a
    case-blind regex.
    """
    low = data.lower()
    if b"(" not in low:
        return False
    names = _snapshot()[2]
    stems = tuple(n[:-1] for n in names)
    longest = max(map(len, stems), default=0)
    return any(piece[-longest:].endswith(stems) for piece in low.split(b"(")[:-1])


def add(name: str) -> None:
    """Record a registration (called by ``sheet_function``) and tell the listeners."""
    _change(name, True)


def remove(name: str) -> None:
    """Forget a registration (``xlmarketing.functions.unregister``) and tell the listeners."""
    _change(name, False)


def _change(name: str, added: bool) -> None:
    global _cache
    with _lock:
        (_registered.add if added else _registered.discard)(name)
        (_removed.discard if added else _removed.add)(name)
        _cache = None
        listeners = list(_listeners)
    for listen in listeners:
        listen(name, added)


def on_change(listener: Callable[[str, bool], None]) -> None:
    """Call ``listener(name, added)`` on every later registration (True) or removal (False)."""
    with _lock:
        _listeners.append(listener)


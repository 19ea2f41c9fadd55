"""One declarative specification per sheet function.

A function's signature is written once, as the Python ``def`` in its ``functions/`` module:
argument names, their order, and which are optional (those with a default). Next to it, the
:func:`~xlmarketing.functions.sheet_function` decorator takes one :class:`Arg` per argument: the
text Excel's function wizard shows, and a declarative check in the spirit of scikit-learn's
``_parameter_constraints``. That single specification feeds

* the validation: the registered function checks and converts every parameter at the edge, so
  the implementation receives clean values (``k=4``, ``scale=True``, ``header=None``) and the
  raw ranges untouched;
* the xlwings wrapper: :mod:`xlmarketing.udfs` builds each UDF from it (argument names, docs,
  optional flags, ``call_in_wizard``);
* the README reference: a test checks that the README shows every function with the signature
  line :meth:`FunctionSpec.usage` gives.

Example::

    @sheet_function("SEGMENT_K", "Helps choose the number of segments ...", args={
        "data": Arg(DATA_DOC),                                  # a range: passed as it came
        "k_max": Arg("Largest k to try (default 10).", Int(default=10, lo=2, hi=50)),
        "header": Arg(HEADER_DOC, HEADER),
    })
    def segment_k(data, k_max=None, header=None): ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import cells
from ..errors import XLMError

_NOTHING = object()


# --------------------------------------------------------------------------- checks


#: How an :class:`Int` words its errors for one parameter (unit, fix, per-case messages).
IntWording = cells.IntWording


@dataclass(frozen=True)
class Int:
    """A whole number from ``lo`` to ``hi``, ``default`` when blank.

    * ``auto``: the value that the text "auto" means (and 0 too, with ``zero_is_auto``);
    * ``missing``: set, the argument is required, and this sentence says how to fill it in
      ("{name} is missing. " comes before it);
    * ``wording``: this parameter's own error messages (:class:`IntWording`: its unit, the
      fix, what a blank, a negative number, zero or a too-high number is told).
    """

    default: int | None = None
    lo: int | None = None
    hi: int | None = None
    auto: Any = _NOTHING
    zero_is_auto: bool = False
    missing: str = ""
    wording: IntWording = IntWording()

    def __call__(self, value: Any, name: str) -> int | None:
        v = cells.scalar(value)
        if v is None and self.missing:
            raise XLMError("#VALUE!", f"{name} is missing. {self.missing}")
        if self.auto is not _NOTHING and isinstance(v, str) and v.strip().lower() == "auto":
            return self.auto
        n = cells.param_int(value, name, default=self.default, lo=self.lo, hi=self.hi,
                            wording=self.wording)
        return self.auto if self.zero_is_auto and n == 0 else n


@dataclass(frozen=True)
class Float:
    """A number, ``default`` when blank, within [lo, hi] (open ends with ``lo_open``/``hi_open``)."""

    default: float | None = None
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def __call__(self, value: Any, name: str) -> float | None:
        return cells.param_float(value, name, default=self.default, lo=self.lo, hi=self.hi,
                                 lo_open=self.lo_open, hi_open=self.hi_open)


@dataclass(frozen=True)
class Bool:
    """TRUE/FALSE (also 1/0, yes/no), ``default`` when blank. ``auto``: set, blank and the
    text "auto" give it (the data decide), and TRUE/FALSE force the choice."""

    default: bool = False
    auto: Any = _NOTHING

    def __call__(self, value: Any, name: str) -> Any:
        if self.auto is _NOTHING:
            return cells.param_bool(value, name, default=self.default)
        v = cells.scalar(value)
        if v is None or (isinstance(v, str) and v.strip().lower() == "auto"):
            return self.auto
        try:
            return cells.param_bool(v, name, default=self.default)
        except XLMError:
            raise XLMError("#VALUE!", f'{name} must be "auto", TRUE or FALSE, got '
                           f"{cells.show(value)}. Leave it blank to let the data decide.") from None


@dataclass(frozen=True)
class Choice:
    """One of ``choices`` (case-insensitive), ``default`` when blank."""

    choices: tuple[str, ...]
    default: str

    def __call__(self, value: Any, name: str) -> str:
        return cells.param_choice(value, name, self.choices, default=self.default)


@dataclass(frozen=True)
class Header:
    """The shared ``header`` option: blank or "auto" detects (None); TRUE/FALSE force it."""

    def __call__(self, value: Any, name: str) -> bool | None:
        return cells.param_header(value)


HEADER = Header()

#: A check receives the raw parameter value and the argument's name, and returns the clean value
#: or raises XLMError.
Check = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Arg:
    """One argument: the wizard text and, for a parameter, its check.

    ``check=None`` marks a data range (or a value the function reads itself, such as a label to
    look up in the data); it is passed to the implementation exactly as the runtime sent it.
    """

    doc: str
    check: Check | None = None


# --------------------------------------------------------------------------- the specification


@dataclass(frozen=True)
class FunctionSpec:
    """Everything the wrapper, the validation and the README need to know about one function."""

    name: str
    summary: str
    args: Mapping[str, Arg]
    required: tuple[str, ...]
    fits: bool = True

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.args)

    def usage(self) -> str:
        """The README's signature line: ``KMEANS_SEGMENT(data, k, [scale], [seed], [header])``."""
        parts = [p if p in self.required else f"[{p}]" for p in self.params]
        return f"{self.name}({', '.join(parts)})"

    def parse(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Bind the runtime's arguments by position or name and run every check, in order."""
        if len(args) > len(self.args):
            raise XLMError("#VALUE!", f"takes at most {len(self.args)} arguments "
                           f"({', '.join(self.params)}), got {len(args)}.")
        bound = dict(zip(self.params, args))
        for key, value in kwargs.items():
            if key not in self.args or key in bound:
                raise TypeError(f"{self.name}() got an unexpected or repeated argument {key!r}")
            bound[key] = value
        out: dict[str, Any] = {}
        for name, arg in self.args.items():
            value = bound.get(name)
            out[name] = value if arg.check is None else arg.check(value, name)
        return out


def make_spec(name: str, summary: str, fn: Callable[..., Any], args: Mapping[str, Arg],
              fits: bool) -> FunctionSpec:
    """Check that ``args`` documents exactly ``fn``'s parameters, in order, and build the spec."""
    sig = inspect.signature(fn)
    names = [p.name for p in sig.parameters.values()]
    if list(args) != names:
        raise TypeError(f"{name}: the argument specs {list(args)} do not match the parameters "
                        f"{names} of {fn.__qualname__}")
    required = tuple(p.name for p in sig.parameters.values() if p.default is inspect.Parameter.empty)
    return FunctionSpec(name, " ".join(summary.split()), dict(args), required, fits)


# --------------------------------------------------------------------------- shared options
# The same option name means the same thing in every function, so its spec is written once.

SEED = Arg("Random seed (default 0). Same seed, same answer, every time.",
           Int(default=0, lo=0, hi=2**31 - 1))
HEADER_ARG = Arg('Does the first row hold column names? Blank or "auto" detects it; TRUE or FALSE '
                 "forces it.", HEADER)
KEEP_IDS = Arg("TRUE uses columns that look like IDs (customer numbers 1, 2, 3..., codes such as "
               "C-00017) in the model. FALSE (default) leaves them out and says so in the "
               "companion outputs (profile, drivers, metrics).", Bool(default=False))

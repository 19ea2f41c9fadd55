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
* the cache key: :func:`call_key` makes it from the call's arguments as the spec parsed them
  (every range fingerprinted from its raw cells, every parameter by its clean value, the
  culture), so no function lists its options by hand and none can be left out;
* the README reference: a test checks that the README shows every function with the signature
  line :meth:`FunctionSpec.usage` gives;
* formula text: templates write their calls with :meth:`FunctionSpec.formula` (named arguments
  in, positional text out), and :meth:`FunctionSpec.formula_args` reads such text back.

Example::

    @sheet_function("SEGMENT_K", "Helps choose the number of segments ...", args={
        "data": Arg(DATA_DOC),                                  # a range: passed as it came
        "k_max": Arg("Largest k to try (default 10).", Int(default=10, lo=2, hi=50)),
        "header": Arg(HEADER_DOC, HEADER),
    })
    def segment_k(data, k_max=None, header=None): ...
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import cells
from ..cache import content_key
from ..errors import XLMError
from ..parsing import culture_key

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

    def formula(self, **args: Any) -> str:
        """The formula text of a call: named arguments in, positional text out.

        ``spec.formula(data="Customers[[#All],[Spend]:[Visits]]", k=4, header=True)`` gives
        ``KMEANS_SEGMENT(Customers[[#All],[Spend]:[Visits]], 4, , , TRUE)``. A text value is
        formula text as it stands (a reference, an expression; wrap a text literal in
        :func:`quoted`), numbers are written as numbers, booleans as TRUE/FALSE; None or a
        missing name leaves the argument out, and trailing left-out arguments are dropped.
        Unknown names and missing required arguments are refused (ValueError).
        """
        unknown = [k for k in args if k not in self.args]
        if unknown:
            raise ValueError(f"{self.name} has no argument {unknown[0]!r} ({', '.join(self.params)})")
        missing = [p for p in self.required if args.get(p) is None]
        if missing:
            raise ValueError(f"{self.name} needs {missing[0]!r}")
        parts = [_formula_value(args.get(p)) for p in self.params]
        while parts and parts[-1] == "":
            parts.pop()
        return f"{self.name}({', '.join(parts)})"

    def formula_args(self, text: str) -> dict[str, str]:
        """The named arguments of a call's formula text (the reverse of :meth:`formula`).

        ``text`` is one call, ``NAME(arg, , arg)`` (a leading "=" is allowed); each argument
        given comes back as its formula text, keyed by its name; left-out ones are absent.
        """
        body = text.strip().lstrip("=").strip()
        head = f"{self.name}("
        if not (body.startswith(head) and body.endswith(")")):
            raise ValueError(f"not a call of {self.name}: {text!r}")
        values = split_arguments(body[len(head):-1])
        if len(values) > len(self.params):
            raise ValueError(f"{self.name} takes at most {len(self.params)} arguments, got "
                             f"{len(values)}: {text!r}")
        return {p: v for p, v in zip(self.params, values) if v}

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


def quoted(text: str) -> str:
    """A text literal in formula text: ``Yes`` -> ``"Yes"`` (quotes inside doubled)."""
    return '"' + text.replace('"', '""') + '"'


def _formula_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"cannot write {value!r} into a formula")


def split_arguments(text: str) -> list[str]:
    """The top-level, comma-separated arguments of a call's inner text, each stripped.

    Commas inside quotes ("a, b"), sheet names ('Q1, Q2'!A1), brackets (Table[[#All],[A]]) and
    nested calls (INDEX(A:A, 2)) do not split; ``""`` is a left-out argument.
    """
    out, depth, brackets, start, quote, escaped = [], 0, 0, 0, "", False
    for i, ch in enumerate(text):
        if escaped:                  # the character after ' inside a structured reference
            escaped = False
        elif quote:
            if ch == quote:
                quote = ""  # a doubled quote closes and reopens: the same as staying inside
        elif ch == "'" and brackets:
            escaped = True
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
            brackets += ch == "["
        elif ch in ")]}":
            depth -= 1
            brackets -= ch == "]"
        elif ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return [] if out == [""] else out


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


# --------------------------------------------------------------------------- cache keys


def key_of(ranges: Sequence[Any], params: Any, *extra: Any) -> str:
    """The one way a cache key is made: ranges by fingerprint, parameters, the culture, extra.

    A :class:`~xlmarketing.cells.Range` (a range the function reads as a table) is
    fingerprinted as the adapter reads it; any other range by its exact raw cells
    (:func:`~xlmarketing.cells.digest_cells`: TRUE and 1 differ, which labels need). Both are
    cheap next to converting the cells. ``params`` are clean values; the culture (decimal
    separator, date order) changes how text cells read, so it is always part of the key.
    """
    call = _CALL.get()
    prints = tuple(r.fingerprint if isinstance(r, cells.Range) else
                   call.exact(r) if call is not None else cells.Range(r).exact_fingerprint
                   for r in ranges)
    return content_key(prints, params, culture_key(), *extra)


@dataclass
class CallArgs:
    """The arguments of the sheet function call in progress, as parsed (ranges as sent)."""

    spec: FunctionSpec
    clean: dict[str, Any]
    tables: dict[int, cells.Range] = field(default_factory=dict)  # by id of the raw value
    #: Exact digests of raw ranges, by id (the value is kept: its id stays its own).
    exacts: dict[int, tuple[Any, bytes]] = field(default_factory=dict)

    def range(self, value: Any) -> cells.Range:
        """The one :class:`~xlmarketing.cells.Range` of a raw range value in this call."""
        got = self.tables.get(id(value))
        if got is None:
            got = self.tables[id(value)] = cells.Range(value)
        return got

    def exact(self, value: Any) -> bytes:
        """The exact digest of a raw range (:attr:`~xlmarketing.cells.Range.exact_fingerprint`),
        computed once per call however many keys hold it (the churn family's label reading and
        its fit both key the labels)."""
        got = self.exacts.get(id(value))
        if got is None:
            rng = self.tables.get(id(value)) or cells.Range(value)
            got = self.exacts[id(value)] = (value, rng.exact_fingerprint)
        return got[1]

    def key(self, *extra: Any, drop: Sequence[str] = (), **override: Any) -> str:
        ranges, params = [], []
        for name in sorted(self.spec.args):
            if name in drop or name in override:
                continue
            if self.spec.args[name].check is None:
                raw = self.clean[name]
                table = self.tables.get(id(raw))
                ranges.append(table if table is not None else raw)
                params.append(name)  # which argument each fingerprint is
            else:
                params.append((name, self.clean[name]))
        params += sorted(override.items())
        return key_of(ranges, tuple(params), *extra)


_CALL: contextvars.ContextVar[CallArgs | None] = contextvars.ContextVar("xlm_call", default=None)


@contextlib.contextmanager
def calling(args: CallArgs) -> Iterator[None]:
    """Make ``args`` the call in progress (the ``sheet_function`` wrapper does)."""
    token = _CALL.set(args)
    try:
        yield
    finally:
        _CALL.reset(token)


def call_key(*extra: Any, drop: Sequence[str] = (), **override: Any) -> str:
    """The cache key of the sheet function call in progress, from its parsed arguments.

    Every argument is in it, so an option can't be left out by mistake: ``drop`` names the ones
    used only after the cached work (``score_data``, ``n_words``), so that functions sharing one
    fit share one key; ``override`` replaces an argument's value (or adds one a shared fit
    needs); ``extra`` adds parts that are not arguments (``int(today)`` for a forecast).
    Arguments are keyed by name, so two functions with the same arguments share a key.
    """
    args = _CALL.get()
    if args is None:
        raise RuntimeError("call_key() is for the body of a registered sheet function")
    return args.key(*extra, drop=drop, **override)


def range_of(value: Any) -> cells.Range:
    """The call's :class:`~xlmarketing.cells.Range` of a raw range (one per call: its numeric
    block and fingerprint are computed once, for the key and for reading)."""
    args = _CALL.get()
    return args.range(value) if args is not None else cells.Range(value)

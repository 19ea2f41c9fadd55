"""The cache of fitted models, keyed by the content of the inputs and the parameters.

Keys are a BLAKE2b digest of the *raw* cell values exactly as the runtime delivered them (taken
before any conversion, which is the expensive part) plus the parameters, so the same data in any
cell or sheet reuses the model, and a recalculation with unchanged inputs never refits.

Cached results cannot be changed by a caller: outputs memoised on a model (:class:`Memo`) are
kept privately and handed out as fresh lists. Every entry is charged what it holds
(:func:`approx_size` of the model, its key and its memoised outputs), re-measured as outputs
are added.

The cache lives in memory only: nothing is written to disk and nothing is ever unpickled.
It is bounded by entries and by approximate bytes (least recently used entries go first) and
is thread-safe: the Office.js server calls functions concurrently, and two callers asking for
the same missing key wait for one fit instead of fitting twice.

Limits come from ``XLM_CACHE_MAX_ENTRIES`` (default 128) and ``XLM_CACHE_MAX_MB`` (default 512).
Clear it with ``=XLM_CACHE_CLEAR()`` in a sheet or ``xlmarketing.cache.clear()`` in Python.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .cells import UNPICKLABLE, gc_paused, pickled


def content_key(*parts: Any) -> str:
    """A digest of raw cell values and parameters.

    pickle serialises nested lists of floats, strings, None, datetimes and dicts in C and
    deterministically for equal content, which makes it a fast canonical form; it runs without
    its memo (content only, no back-references) and is only ever dumped here, never loaded.
    The parts are pickled together, as one tuple (a pickle is self-delimiting, so where one
    part ends still counts), unless one of them is an object pickle refuses: then each part
    on its own, that one by its repr.
    """
    try:
        blobs = [pickled(parts, strict=True)]  # one pickler for a range and its parameters
    except UNPICKLABLE:
        blobs = [pickled(part) for part in parts]
    h = hashlib.blake2b(digest_size=20)
    for blob in blobs:
        h.update(len(blob).to_bytes(8, "little"))
        h.update(blob)
    return h.hexdigest()


#: Objects in a list, tuple or object array measured one by one; bigger ones are sampled.
_SAMPLE = 64


def approx_size(obj: Any) -> int:
    """Bytes held by ``obj`` and everything it references, estimated without copying.

    Everything reachable is counted once (shared objects and numpy bases included): numpy
    buffers exactly, DataFrames by their columns (object columns by a sample of their values),
    containers, instance ``__dict__``s (their values: attribute names are the class's) and
    ``__slots__``. Long lists, tuples and object arrays are estimated from a sample of their
    items. The estimate is what the cache charges an entry against its byte limit;
    ``tests/test_cache.py`` checks it against real allocations.
    """
    return _Sizer().size(obj)


#: Exact types measured by ``sys.getsizeof`` alone (the common leaves of a fitted model).
_LEAVES = frozenset({int, float, str, bytes, complex})

# How ``_Sizer.size`` measures an object, decided once per type (see ``_kind``).
_SKIP, _LEAF, _ARRAY, _PANDAS, _DICT, _SEQ, _SET, _MEMO, _OBJECT = range(9)
_KINDS: dict[type, int] = {}
_SLOTS: dict[type, Any] = {}  # the ``__slots__`` of each _OBJECT type


def _kind(tp: type) -> int:
    """How objects of type ``tp`` are measured; a fitted model holds a few dozen objects of a
    handful of types, so the isinstance chain runs once per type, not once per object."""
    kind = (_SKIP if issubclass(tp, (bool, type)) else
            _LEAF if issubclass(tp, (int, float, str, bytes, complex)) else
            _ARRAY if issubclass(tp, np.ndarray) else
            _PANDAS if issubclass(tp, (pd.DataFrame, pd.Series, pd.Index)) else
            _DICT if issubclass(tp, dict) else
            _SEQ if issubclass(tp, (list, tuple)) else
            _SET if issubclass(tp, (set, frozenset)) else
            _MEMO if issubclass(tp, Memo) else _OBJECT)
    _SLOTS[tp] = getattr(tp, "__slots__", ())  # before _KINDS: a type found there has both
    _KINDS[tp] = kind
    return kind


class _Sizer:
    def __init__(self) -> None:
        self.seen: set[int] = set()

    def size(self, obj: Any, depth: int = 0) -> int:
        if obj is None or id(obj) in self.seen:
            return 0
        kind = _KINDS.get(type(obj))
        if kind is None:
            kind = _kind(type(obj))
        if kind == _SKIP:
            return 0
        self.seen.add(id(obj))
        if kind == _LEAF:
            return sys.getsizeof(obj)
        if kind == _ARRAY:
            return self._array(obj, depth)
        if kind == _PANDAS:
            return self._pandas(obj, depth)
        if depth > 12:
            return sys.getsizeof(obj)
        own = sys.getsizeof(obj)
        if kind == _DICT:
            return own + self._dict(obj, depth)
        if kind == _SEQ:
            return own + self._items(obj, depth)
        if kind == _SET:
            return own + self._items(list(obj), depth)
        if kind == _MEMO:
            return own + obj.bytes
        total = own
        attrs = getattr(obj, "__dict__", None)
        if attrs is not None:
            total += self._namespace(attrs, depth + 1)
        for slot in _SLOTS[type(obj)]:
            total += self.size(getattr(obj, slot, None), depth + 1)
        return total

    def _dict(self, obj: dict, depth: int) -> int:
        """Keys and values of a dict, in order."""
        return self._many(itertools.chain.from_iterable(obj.items()), depth)

    def _namespace(self, attrs: Any, depth: int) -> int:
        """An instance's ``__dict__`` and its values. Not its keys: attribute names are the
        class's (interned strings in its code, the dict's keys shared by every instance), so
        they stay allocated when the entry goes."""
        if type(attrs) is not dict or depth > 12 or id(attrs) in self.seen:
            return self.size(attrs, depth)
        self.seen.add(id(attrs))
        return sys.getsizeof(attrs) + self._many(attrs.values(), depth)

    def _many(self, values: Iterable[Any], depth: int) -> int:
        """The objects a container at ``depth`` holds. Leaves (names, numbers) and arrays are
        measured in line, which is what ``size`` would give them, without a call each (a
        fitted model holds dozens)."""
        seen, total = self.seen, 0
        for v in values:
            tp = type(v)
            if tp in _LEAVES:
                if id(v) not in seen:
                    seen.add(id(v))
                    total += sys.getsizeof(v)
            elif tp is np.ndarray:
                if id(v) not in seen:
                    seen.add(id(v))
                    total += self._array(v, depth + 1)
            elif v is not None and tp is not bool:
                total += self.size(v, depth + 1)
        return total

    def _items(self, items: Any, depth: int) -> int:
        n = len(items)
        if n <= _SAMPLE:
            return sum(self.size(v, depth + 1) for v in items)
        step = n / _SAMPLE
        sample = [items[int(i * step)] for i in range(_SAMPLE)]
        return sum(self.size(v, depth + 1) for v in sample) * n // _SAMPLE

    def _array(self, arr: np.ndarray, depth: int) -> int:
        base = arr
        while isinstance(base.base, np.ndarray):  # a view keeps its base's buffer alive
            base = base.base
        total = 112
        if base is arr or id(base) not in self.seen:
            self.seen.add(id(base))
            total += base.nbytes
        if arr.dtype.kind == "O" and arr.size:
            total += self._items(arr.ravel(), depth)
        return total

    def _pandas(self, obj: Any, depth: int) -> int:
        if isinstance(obj, pd.DataFrame):
            return 200 + self._pandas(obj.index, depth) + sum(
                self._pandas(obj.iloc[:, j], depth) for j in range(obj.shape[1]))
        values = obj.array if not isinstance(obj, pd.Index) else obj
        total = 100 + int(obj.memory_usage(deep=False))
        # Text held as Python objects: an object column, or pandas' string dtype without pyarrow
        # (its "python" storage); pyarrow-backed strings are counted by memory_usage already.
        python_text = isinstance(obj.dtype, pd.StringDtype) and obj.dtype.storage == "python"
        if (obj.dtype == object or python_text) and len(obj):
            total += self._items(np.asarray(values, dtype=object), depth)
        return total


class Memo:
    """Outputs derived from one cached model (a spill, a drivers table), built once.

    A dict-like store: ``memo[name] = cells`` keeps the rows and charges their bytes to the
    cache entry holding the model, so memoised outputs count against the cache's byte limit as
    they appear; ``memo[name]`` hands back a fresh list of lists (the stored rows are never
    handed out), so a caller that edits its result cannot change later answers.
    """

    def __init__(self) -> None:
        self._store: dict[str, list[list[Any]]] = {}
        self._lock = threading.Lock()
        self._owner: tuple[ModelCache, str] | None = None
        self.bytes = 0

    def __contains__(self, name: str) -> bool:
        return name in self._store

    def __getitem__(self, name: str) -> list[list[Any]]:
        with gc_paused():  # 100,000 new lists: let the collector not rescan the heap for each
            return [list(row) for row in self._store[name]]

    def __setitem__(self, name: str, rows: Any) -> None:
        with gc_paused():
            kept = [list(row) for row in rows]  # our own copy: nobody else holds these lists
        size = approx_size(kept) + sys.getsizeof(name)
        with self._lock:
            old = self._store.get(name)
            if old is not None:
                size -= approx_size(old) + sys.getsizeof(name)
            self._store[name] = kept
            self.bytes += size
            owner = self._owner
        if owner is not None:
            owner[0]._grow(owner[1], size)

    def __len__(self) -> int:
        return len(self._store)

    def get(self, name: str, build: Callable[[], Any]) -> list[list[Any]]:
        """The output ``name``, built (once) by ``build()`` when missing."""
        if name not in self._store:
            self[name] = build()
        return self[name]


@dataclass
class _Entry:
    value: Any
    size: int
    kind: str


class ModelCache:
    """A bounded, thread-safe LRU map from content keys to fitted models."""

    def __init__(self, max_entries: int = 128, max_bytes: int = 512 * 2**20):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Event] = {}
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self.fits: Counter[str] = Counter()

    def get_or_fit(self, kind: str, key: str, fit: Callable[[], Any]) -> Any:
        """The cached value for ``key``, or ``fit()``'s result stored under it.

        ``kind`` names the model family (for ``XLM_CACHE_INFO`` and fit counts). Exceptions from
        ``fit`` (user errors included) are not cached, so a corrected input refits.
        """
        full = f"{kind}:{key}"
        while True:
            with self._lock:
                entry = self._data.get(full)
                if entry is not None:
                    self._data.move_to_end(full)
                    self.hits += 1
                    return entry.value
                waiter = self._inflight.get(full)
                if waiter is None:
                    self._inflight[full] = threading.Event()
                    self.misses += 1
                    break
            waiter.wait()  # another thread is fitting this key: use its result
        try:
            value = fit()
            memo = getattr(value, "memo", None)
            if isinstance(memo, Memo):  # outputs memoised later are charged to this entry
                memo._owner = (self, full)
            size = approx_size(value) + sys.getsizeof(full)
            with self._lock:
                self.fits[kind] += 1
                self._store(full, _Entry(value, size, kind))
            return value
        finally:
            with self._lock:
                self._inflight.pop(full).set()

    def _store(self, full: str, entry: _Entry) -> None:
        if entry.size > self.max_bytes:
            return  # too big to keep; the caller still gets the value
        old = self._data.pop(full, None)
        if old is not None:
            self.bytes -= old.size
        self._data[full] = entry
        self.bytes += entry.size
        self._evict()

    def _grow(self, full: str, added: int) -> None:
        """Charge ``added`` bytes (a new memoised output) to entry ``full``, then evict."""
        with self._lock:
            entry = self._data.get(full)
            if entry is None:
                return  # already evicted: the memo goes when its last user lets go
            entry.size += added
            self.bytes += added
            if entry.size > self.max_bytes:
                self._data.pop(full)
                self.bytes -= entry.size
                self.evictions += 1
            self._evict()

    def _evict(self) -> None:
        while self._data and (len(self._data) > self.max_entries or self.bytes > self.max_bytes):
            _, gone = self._data.popitem(last=False)
            self.bytes -= gone.size
            self.evictions += 1

    def clear(self) -> int:
        """Drop every entry; returns how many there were. Counters are reset too."""
        with self._lock:
            n = len(self._data)
            self._data.clear()
            self.bytes = 0
            self.hits = self.misses = self.evictions = 0
            self.fits.clear()
            return n

    def __len__(self) -> int:
        return len(self._data)

    def info(self) -> dict[str, Any]:
        with self._lock:
            by_kind = Counter(e.kind for e in self._data.values())
            return {
                "entries": len(self._data),
                "max_entries": self.max_entries,
                "bytes": self.bytes,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
                "evictions": self.evictions,
                "fits": dict(self.fits),
                "entries_by_kind": dict(by_kind),
            }


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


#: The process-wide cache every function uses.
CACHE = ModelCache(
    max_entries=_env_int("XLM_CACHE_MAX_ENTRIES", 128),
    max_bytes=_env_int("XLM_CACHE_MAX_MB", 512) * 2**20,
)


def clear() -> int:
    """Empty the process-wide model cache."""
    return CACHE.clear()


def info() -> dict[str, Any]:
    """Entries, bytes, hits, misses, evictions and fit counts of the process-wide cache."""
    return CACHE.info()

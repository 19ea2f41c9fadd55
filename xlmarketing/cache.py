"""The cache of fitted models, keyed by the content of the inputs and the parameters.

Keys are a BLAKE2b digest of the *raw* cell values exactly as the runtime delivered them (taken
before any conversion, which is the expensive part) plus the parameters, so the same data in any
cell or sheet reuses the model, and a recalculation with unchanged inputs never refits.

The cache lives in memory only: nothing is written to disk and nothing is ever unpickled.
It is bounded by entries and by approximate bytes (least recently used entries go first) and
is thread-safe: the Office.js server calls functions concurrently, and two callers asking for
the same missing key wait for one fit instead of fitting twice.

Limits come from ``XLM_CACHE_MAX_ENTRIES`` (default 128) and ``XLM_CACHE_MAX_MB`` (default 512).
Clear it with ``=XLM_CACHE_CLEAR()`` in a sheet or ``xlmarketing.cache.clear()`` in Python.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def content_key(*parts: Any) -> str:
    """A digest of raw cell values and parameters.

    pickle serialises nested lists of floats, strings, None, datetimes and dicts in C and
    deterministically for equal content, which makes it a fast canonical form; it is only ever
    dumped here, never loaded.
    """
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        try:
            blob = pickle.dumps(part, protocol=5)
        except (pickle.PicklingError, TypeError, AttributeError):
            blob = repr(part).encode()  # exotic runtime objects (COM, JsProxy)
        h.update(len(blob).to_bytes(8, "little"))
        h.update(blob)
    return h.hexdigest()


def approx_size(obj: Any, _depth: int = 0) -> int:
    """Approximate bytes held by a fitted model: numpy arrays and frames dominate."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes) + 112
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return int(obj.memory_usage(deep=False).sum() if isinstance(obj, pd.DataFrame)
                   else obj.memory_usage(deep=False))
    if _depth > 6:
        return sys.getsizeof(obj)
    if isinstance(obj, dict):
        return sys.getsizeof(obj) + sum(approx_size(v, _depth + 1) for v in obj.values())
    if isinstance(obj, (list, tuple, set)):
        if len(obj) > 64:  # big lists of cells: estimate from a sample
            sample = list(obj)[:64]
            return sys.getsizeof(obj) + len(obj) * sum(approx_size(v, _depth + 1) for v in sample) // 64
        return sys.getsizeof(obj) + sum(approx_size(v, _depth + 1) for v in obj)
    if hasattr(obj, "__dict__"):
        return sys.getsizeof(obj) + approx_size(vars(obj), _depth + 1)
    return sys.getsizeof(obj)


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
            size = approx_size(value)
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

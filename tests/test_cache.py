"""The model cache: content keys, bounds, counters and thread safety."""

import threading
import time

import numpy as np

from xlmarketing.cache import ModelCache, approx_size, content_key


def test_content_key_depends_on_content_not_identity():
    a = [[1.0, "web"], [2.0, None]]
    b = [[1.0, "web"], [2.0, None]]
    assert content_key(a, 3) == content_key(b, 3)
    assert content_key(a, 3) != content_key(a, 4)
    assert content_key(a, 3) != content_key([[1.0, "web"], [2.5, None]], 3)
    # Argument boundaries count: ([1], [2, 3]) is not ([1, 2], [3]).
    assert content_key([1], [2, 3]) != content_key([1, 2], [3])


def test_hit_miss_and_fit_counts():
    c = ModelCache()
    calls = []
    for _ in range(3):
        assert c.get_or_fit("m", "k1", lambda: calls.append(1) or "model") == "model"
    assert calls == [1] and c.hits == 2 and c.misses == 1 and c.fits["m"] == 1


def test_failed_fits_are_not_cached():
    c = ModelCache()

    def boom():
        raise ValueError("bad input")

    for _ in range(2):
        try:
            c.get_or_fit("m", "k", boom)
        except ValueError:
            pass
    assert len(c) == 0 and c.misses == 2


def test_entry_bound_evicts_least_recently_used():
    c = ModelCache(max_entries=3)
    for i in range(5):
        c.get_or_fit("m", f"k{i}", lambda i=i: i)
    assert len(c) == 3 and c.evictions == 2
    c.get_or_fit("m", "k2", lambda: -1)          # touch k2: now most recent
    c.get_or_fit("m", "k5", lambda: 5)           # evicts k3, the least recent
    assert c.get_or_fit("m", "k2", lambda: -1) == 2
    assert c.get_or_fit("m", "k3", lambda: "refit") == "refit"


def test_byte_bound_holds():
    c = ModelCache(max_entries=1000, max_bytes=10 * 2**20)
    for i in range(40):
        c.get_or_fit("m", f"k{i}", lambda: np.zeros(2**18))  # 2 MiB each
    assert c.bytes <= 10 * 2**20 and len(c) == 4 and c.evictions == 36
    assert approx_size(np.zeros(2**18)) >= 2 * 2**20


def test_concurrent_callers_share_one_fit():
    c = ModelCache()
    fits = []

    def slow_fit():
        fits.append(1)
        time.sleep(0.2)
        return "model"

    results = []
    threads = [threading.Thread(target=lambda: results.append(c.get_or_fit("m", "same", slow_fit)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["model"] * 8 and fits == [1] and c.fits["m"] == 1


def test_clear():
    c = ModelCache()
    c.get_or_fit("m", "k", lambda: 1)
    assert c.clear() == 1 and len(c) == 0 and c.bytes == 0

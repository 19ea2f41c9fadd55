"""The model cache: content keys, bounds, counters and thread safety."""

import gc
import threading
import time
import tracemalloc
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from xlmarketing.cache import CACHE, Memo, ModelCache, approx_size, content_key


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


# --------------------------------------------------------------------------- results are copies


def _customers(n, seed):
    from tests.test_churn import customers

    data, labels, _ = customers(n, seed=seed)
    return data, labels


def test_a_caller_editing_a_result_cannot_change_later_answers():
    from xlmarketing.functions import REGISTRY

    CACHE.clear()
    data, labels = _customers(300, seed=4)
    first = REGISTRY["CHURN_PROB"](data, labels)
    expected = [list(r) for r in first]
    first[1][0] = "tampered"
    first.append(["extra row"])
    assert REGISTRY["CHURN_PROB"](data, labels) == expected
    drivers = REGISTRY["CHURN_DRIVERS"](data, labels)
    kept = [list(r) for r in drivers]
    drivers[1].clear()
    assert REGISTRY["CHURN_DRIVERS"](data, labels) == kept
    segs = REGISTRY["KMEANS_SEGMENT"]([r[:3] for r in data], 3)
    before = [list(r) for r in segs]
    segs[0][0] = 99
    assert REGISTRY["KMEANS_SEGMENT"]([r[:3] for r in data], 3) == before
    assert CACHE.fits["churn"] == 1 and CACHE.fits["kmeans"] == 1


def test_memo_keeps_its_own_rows_and_hands_out_fresh_lists():
    m = Memo()
    given = [["Segment"], [1], [2]]
    m["out"] = given
    given[1][0] = "changed after storing"                # the caller's list is not the stored one
    a, b = m["out"], m["out"]
    assert a == b == [["Segment"], [1], [2]] and a is not b and a[0] is not b[0]
    assert m.get("out", lambda: 1 / 0) == a            # built once: build is not called again


# --------------------------------------------------------------------------- memory accounting


def test_memoised_outputs_are_charged_to_their_entry_and_can_evict():
    c = ModelCache(max_entries=100, max_bytes=4 * 2**20)

    @dataclass
    class Fit:
        model: np.ndarray
        memo: Memo = field(default_factory=Memo)

    fits = [c.get_or_fit("m", f"k{i}", lambda: Fit(np.zeros(1000))) for i in range(3)]
    charged = c.bytes
    assert 3 * 8000 < charged < 3 * 8000 + 3000
    spill = [[float(i)] for i in range(10_000)]                     # about 0.8 MB as tuples
    fits[0].memo["prob"] = spill
    grown = c.bytes - charged
    assert 0.5 * 2**20 < grown < 1.2 * 2**20
    assert c._data["m:k0"].size > 0.5 * 2**20                       # re-measured in the entry
    for f in fits[1:]:
        f.memo["prob"] = spill                                      # 3 x 0.8 MB + models <= 4 MB
    assert len(c) == 3 and c.bytes <= c.max_bytes
    f = c.get_or_fit("m", "k3", lambda: Fit(np.zeros(1000)))
    f.memo["prob"] = spill * 3                                      # 2.4 MB more: evicts the oldest
    assert c.bytes <= c.max_bytes and "m:k0" not in c._data and c.evictions >= 1
    fits[0].memo["again"] = spill                                   # an evicted entry's memo: no charge
    assert c.bytes <= c.max_bytes


def test_approx_size_counts_shared_buffers_once_and_text_by_value():
    a = np.zeros(100_000)
    assert approx_size([a, a[:10], a]) < 1.01 * a.nbytes + 2000    # views and repeats: once
    words = np.array([f"customer number {i}" for i in range(10_000)], dtype=object)
    assert approx_size(words) > 10_000 * (8 + 49)                   # the strings, not just pointers
    frame = pd.DataFrame({"name": pd.Series(words, dtype=object)})
    assert frame["name"].dtype == object and approx_size(frame) > 10_000 * (8 + 49)
    text = pd.DataFrame({"name": pd.array(words, dtype="str")})     # pandas' own string dtype
    assert approx_size(text) > 10_000 * len("customer number 1234")


@dataclass
class _Part:
    index: np.ndarray
    m: int


@dataclass
class _Model:
    y: np.ndarray
    method: str
    part: _Part
    scores: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    nonneg: bool = True


def test_approx_size_of_fitted_dataclasses_counts_what_they_hold():
    """A fitted model is dataclasses of arrays, numbers and names: what keeping thousands of
    them allocates is what they are charged, give or take what is shared (attribute names are
    the class's; the same short keys in every model's dict are counted in each)."""
    def make(i):
        return _Model(np.arange(20.0) + i, f"method {i}", _Part(np.ones(4) * i, 1000 + i),
                      {"theta": 0.1 * i, "ets": 0.2 * i}, [f"note {i}"])

    make(0)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        models = [make(i) for i in range(3000)]
        growth = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    counted = sum(approx_size(m) for m in models)
    assert 0.9 * growth <= counted <= 1.5 * growth, (counted, growth)


def _allocated() -> int:
    """Bytes allocated now by Python objects (tracemalloc) plus pyarrow's pool (strings), where
    pandas stores text with pyarrow; without it, text is Python objects tracemalloc sees."""
    try:
        import pyarrow as pa
    except ImportError:
        return tracemalloc.get_traced_memory()[0]
    return tracemalloc.get_traced_memory()[0] + pa.total_allocated_bytes()


@pytest.mark.slow  # fills the cache through every real function, memory traced
def test_real_memory_growth_stays_within_the_byte_limit():
    """Fill the real cache through the real functions and measure what stays allocated."""
    from xlmarketing.functions import REGISTRY

    limit = 6 * 2**20
    old = CACHE.max_bytes, CACHE.max_entries
    CACHE.clear()
    data, labels = _customers(1500, seed=0)
    REGISTRY["CHURN_PROB"](data, labels)                            # warm imports and caches
    REGISTRY["KMEANS_SEGMENT"]([r[:3] for r in data], 3)
    CACHE.clear()
    del data, labels
    CACHE.max_bytes, CACHE.max_entries = limit, 10_000
    gc.collect()
    tracemalloc.start()
    try:
        base = _allocated()
        for seed in range(1, 13):
            data, labels = _customers(1500, seed=seed)
            REGISTRY["CHURN_PROB"](data, labels)                    # model + memoised spill
            REGISTRY["CHURN_DRIVERS"](data, labels)
            REGISTRY["CHURN_REASONS"](data, labels)                 # a 1,500 x 3 text spill
            REGISTRY["KMEANS_SEGMENT"]([r[:3] for r in data], 3)
            del data, labels
        gc.collect()
        growth = _allocated() - base
    finally:
        tracemalloc.stop()
        CACHE.max_bytes, CACHE.max_entries = old
    counted = CACHE.info()["bytes"]
    assert CACHE.evictions > 0, "the test must fill the cache past its limit"
    assert counted <= limit
    # What really stays allocated is the cache's content: within the limit (plus 1 MB for
    # the allocator and interned objects), and the counted figure is not a gross overestimate.
    assert growth <= limit + 2**20, f"real growth {growth / 2**20:.1f} MB over a {limit / 2**20:.0f} MB limit"
    assert growth >= 0.6 * counted, f"counted {counted / 2**20:.1f} MB, real {growth / 2**20:.1f} MB"
    CACHE.clear()


# --------------------------------------------------------------------------- fill-down


def test_a_one_row_hit_scores_exactly_like_the_full_parse():
    """The fill-down fast path gives what reading the row as a table gives, cell kind by kind."""
    import datetime as dt

    from xlmarketing.functions import REGISTRY
    from xlmarketing.functions import outcome
    from xlmarketing.functions.families import CHURN

    prob = REGISTRY["CHURN_PROB"]
    CACHE.clear()
    data, labels = _customers(300, seed=6)
    fit = outcome.fit_model(outcome.training(data, labels, family=CHURN))
    serial = (dt.datetime(2024, 5, 1) - dt.datetime(1899, 12, 30)).days
    rows = {
        "plain": data[1],
        "blanks": [None, 80.0, None, "Monthly", None, None],
        "unseen level": [12, 80.0, 1, "Weekly", dt.datetime(2024, 5, 1), "F"],
        "serial date": [12, 80.0, 1, "Annual", serial, "M"],
        "number text": ["12", "1,250", 1, "Annual", serial, "M"],      # parsed: slow path
        "spaces": [12, 80.0, 1, " Monthly ", serial, "F"],           # stripped: slow path
    }
    for name, row in rows.items():
        one = prob(data, labels, [row])[0][0]
        two = prob(data, labels, [row, row])[1][0]                   # two rows: the full parse
        assert one == pytest.approx(two, rel=1e-12, abs=1e-15), name  # BLAS: last bits only
    fast = {name: outcome._one_row(fit, [row]) is not None for name, row in rows.items()}
    assert fast == {"plain": True, "blanks": True, "unseen level": True, "serial date": True,
                    "number text": False, "spaces": False}
    assert prob(data, labels, [[None] * 6]) == [[""]]
    assert CACHE.fits["churn"] == 1

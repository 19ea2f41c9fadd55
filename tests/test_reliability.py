"""Concurrency and bounded memory of the UDF call path and the model cache."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from xlmarketing import udfs
from xlmarketing.cache import CACHE


def customers(seed: int, n: int = 150) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    centres = np.array([[100.0, 2.0], [900.0, 12.0], [2500.0, 30.0]])
    return (centres[rng.integers(0, 3, n)] + rng.normal(0, [40.0, 1.5], (n, 2))).round(2).tolist()


def test_many_threads_get_the_serial_answers_and_fit_each_model_once():
    datasets = [customers(s) for s in range(4)]
    jobs = [(fn, d, k) for fn in (udfs.KMEANS_SEGMENT, udfs.SEGMENT_PROFILE)
            for d in range(4) for k in (2, 3)] * 6  # overlapping and distinct inputs
    CACHE.clear()
    serial = {(fn.__name__, d, k): fn(datasets[d], k) for fn, d, k in jobs}
    CACHE.clear()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(jobs))
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [(jobs[i], pool.submit(jobs[i][0], [list(r) for r in datasets[jobs[i][1]]], jobs[i][2]))
                   for i in order]
        for (fn, d, k), fut in futures:
            assert fut.result() == serial[(fn.__name__, d, k)]
    # 4 datasets x 2 values of k, shared by both functions: each model fitted exactly once.
    assert CACHE.fits["kmeans"] == 8
    assert CACHE.hits == len(jobs) - 8


@pytest.fixture
def small_cache():
    saved = CACHE.max_entries, CACHE.max_bytes
    CACHE.clear()
    CACHE.max_entries, CACHE.max_bytes = 64, 2 * 2**20
    yield CACHE
    CACHE.max_entries, CACHE.max_bytes = saved
    CACHE.clear()


@pytest.mark.slow  # 2,000 fits
def test_two_thousand_distinct_fits_stay_within_the_bound(small_cache):
    base = customers(99, n=12)
    peak_entries = peak_bytes = 0

    def fit(i: int) -> list:
        data = [list(r) for r in base]
        data[0][0] = float(i)  # every call is a distinct model
        return udfs.KMEANS_SEGMENT(data, 2)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for i, out in enumerate(pool.map(fit, range(2000))):
            assert len(out) == 12
            if i % 50 == 0:
                peak_entries = max(peak_entries, len(small_cache))
                peak_bytes = max(peak_bytes, small_cache.bytes)
    info = small_cache.info()
    assert info["fits"]["kmeans"] == 2000
    assert info["entries"] <= 64 and peak_entries <= 64
    assert info["bytes"] <= 2 * 2**20 and peak_bytes <= 2 * 2**20
    assert info["evictions"] == 2000 - info["entries"]

"""Fits run with one BLAS/OpenMP thread, by a controller made once (core/threads.py)."""

import sys
import types

from threadpoolctl import threadpool_info

from xlmarketing.core import threads


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_one_thread_inside_and_restored_after():
    before = _blas_threads()
    with threads.one_thread():
        assert _blas_threads() <= {1}
    assert _blas_threads() == before


def test_the_controller_is_made_once_and_again_after_an_import():
    first = threads.controller()
    assert threads.controller() is first
    sys.modules["_xlm_threads_probe"] = types.ModuleType("_xlm_threads_probe")
    try:
        assert threads.controller() is not first  # a new module may have brought a library
    finally:
        del sys.modules["_xlm_threads_probe"]

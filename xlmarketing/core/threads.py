"""One BLAS/OpenMP thread during a fit, by a threadpoolctl controller made once.

Every fit runs with one thread: on a busy machine, OpenMP and BLAS spin-waits make small fits
slower, not faster, and the server and batch run several calls side by side. ``threadpool_limits``
looks the loaded libraries up again on every call (it reads the process's memory map: 7-10 ms,
a tenth of a small fit and most of a cached one-row call), so the controller is made once and
made again only when modules were imported since (the only way a new native library arrives).
"""

from __future__ import annotations

import sys
from typing import Any

from threadpoolctl import ThreadpoolController

_made: list[tuple[int, ThreadpoolController]] = []  # (modules loaded then, the controller)


def controller() -> ThreadpoolController:
    loaded = len(sys.modules)
    if not _made or _made[0][0] != loaded:
        _made[:] = [(loaded, ThreadpoolController())]
    return _made[0][1]


def one_thread(user_api: str | None = None) -> Any:
    """A context manager: at most one thread for ``user_api`` ("blas", "openmp"; None: both)."""
    return controller().limit(limits=1, user_api=user_api)

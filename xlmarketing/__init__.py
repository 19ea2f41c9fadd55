"""xlmarketing: marketing machine learning as spreadsheet functions.

Layers, each in its own room (dependencies point down only):

* ``xlmarketing.core``      – the model core (pandas, numpy, scikit-learn); knows nothing of Excel
* ``xlmarketing.cells``     – the cell adapter: 2-D cell values <-> validated tables
* ``xlmarketing.cache``     – fitted models keyed by the content of the inputs and the parameters
* ``xlmarketing.errors``    – the one exception type for user mistakes (:class:`XLMError`)
* ``xlmarketing.functions`` – the spreadsheet functions, runtime-neutral, and their registry
* ``xlmarketing.udfs``      – thin xlwings wrappers (the module Excel imports)
* ``xlmarketing.workbook``  – the headless workbook engine (openpyxl), and ``xlmarketing.cli``
"""

from __future__ import annotations

import logging
from typing import Any

from .errors import XLMError

# A library logs, the application decides where it goes: internal errors are logged with their
# traceback under "xlmarketing", and without this handler Python's fallback would print each
# traceback to stderr above the one-line message the user is meant to see. The CLI shows them
# with XLM_DEBUG=1.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

#: The headless engine's public names, loaded on first use (it pulls in openpyxl machinery).
_WORKBOOK_API = ("refresh_workbook", "batch", "RefreshReport", "BatchReport", "BatchItem",
                 "CellError", "RefreshFailed", "WorkbookError")
_SUBMODULES = ("cache", "cells", "core", "errors", "functions", "udfs", "workbook", "samples",
               "templates", "serve")
__all__ = ["XLMError", "__version__", *_WORKBOOK_API]


def __getattr__(name: str) -> Any:
    if name in _WORKBOOK_API:
        from . import workbook

        return getattr(workbook, name)
    raise AttributeError(f"module 'xlmarketing' has no attribute {name!r}")


def __dir__() -> list[str]:
    # What tab completion offers: the public API and the rooms, not import machinery.
    return sorted({*__all__, *_SUBMODULES})

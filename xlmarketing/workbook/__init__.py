"""The headless workbook engine: refresh a workbook's xlmarketing formulas without Excel.

* :func:`refresh_workbook` finds every cell calling one of our functions (``REGISTRY``),
  evaluates it with the same code the UDFs run, and writes the results into the package XML
  the way Excel 365 saves a spilled dynamic array; ordinary formulas that depend on them are
  recomputed by a real formula engine (LibreOffice headless, or the ``formulas`` package).
* :func:`batch` fills a template's data sheet from many data files and refreshes each one,
  in parallel processes or on a Dask cluster.
"""

from __future__ import annotations

from typing import Any

from .files import refresh_workbook
from .report import BatchItem, BatchReport, CellError, RefreshFailed, RefreshReport, WorkbookError

__all__ = [
           "BatchItem",
           "BatchReport",
           "CellError",
           "RefreshFailed",
           "RefreshOptions",
           "RefreshReport",
           "WorkbookError",
           "batch",
           "refresh_package",
           "refresh_workbook",
]


def __getattr__(name: str) -> Any:
    # The engine and the batch pull in the models: load them only when asked for, so that a
    # refresh with nothing to do (workbook.files) starts fast.
    if name == "batch":
        from .batch import batch as value  # importing the submodule set .batch to the module
    elif name == "refresh_package":
        from .scheduler import refresh_package as value
    elif name == "RefreshOptions":
        from .options import RefreshOptions as value
    else:
        raise AttributeError(name)
    globals()[name] = value
    return value

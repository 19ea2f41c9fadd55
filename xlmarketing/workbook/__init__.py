"""The headless workbook engine: refresh a workbook's xlmarketing formulas without Excel.

* :func:`refresh_workbook` finds every cell calling one of our functions (``REGISTRY``),
  evaluates it with the same code the UDFs run, and writes the results into the package XML
  the way Excel 365 saves a spilled dynamic array; ordinary formulas that depend on them are
  recomputed by a real formula engine (LibreOffice headless, or the ``formulas`` package).
* :func:`batch` fills a template's data sheet from many data files and refreshes each one,
  in parallel processes or on a Dask cluster.
"""

from __future__ import annotations

from .batch import batch
from .engine import RefreshFailed, refresh_package, refresh_workbook
from .options import RefreshOptions
from .report import BatchItem, BatchReport, CellError, RefreshReport, WorkbookError

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

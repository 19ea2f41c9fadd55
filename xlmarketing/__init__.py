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

from typing import Any

from .errors import XLMError

__version__ = "0.1.0"
__all__ = ["XLMError", "__version__", "refresh_workbook", "batch"]


def __getattr__(name: str) -> Any:
    # The workbook engine pulls in openpyxl machinery: load it only when asked for.
    if name in ("refresh_workbook", "batch"):
        from . import workbook

        return getattr(workbook, name)
    raise AttributeError(name)

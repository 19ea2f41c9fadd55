"""The template workbooks: built by code, deterministic, committed under ``workbooks/``.

``build_all(out_dir)`` writes every template and returns their paths; ``xlmarketing templates
--out DIR`` calls it. Each template has an About sheet, a data sheet (an Excel table of sample
data from :mod:`xlmarketing.samples`), result sheets with the xlmarketing formulas and ordinary
Excel formulas on top, and native charts. Our formulas are written as plain formulas in their
anchor cells with enough empty room below and to the right for their spill; refreshing
(in Excel with the add-in, or ``xlmarketing refresh``) fills them in. Each workbook declares
its data tables (each module's ``DATA_TABLES``) for ``xlmarketing batch``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openpyxl.workbook import Workbook

from ..workbook.tables import DataTables, declare
from . import (_kit, campaign, churn, dashboard, experiments, forecast, media_mix, recommend, reviews,
               segmentation)

#: The template modules, in the order they are built: each has FILE, build and DATA_TABLES.
_MODULES = (segmentation, churn, forecast, dashboard, campaign, reviews, recommend, experiments,
            media_mix)

#: File name → builder, in the order they are built.
TEMPLATES: dict[str, Callable[[], Workbook]] = {m.FILE: m.build for m in _MODULES}

#: File name → its data tables, as written into the workbook for `xlmarketing batch`.
DATA_TABLES: dict[str, DataTables] = {m.FILE: m.DATA_TABLES for m in _MODULES}


def build(name: str, out_dir: str | Path) -> Path:
    """Build one template (by file name) into ``out_dir``."""
    if name not in TEMPLATES:
        raise KeyError(f"unknown template {name!r}; choose from {', '.join(TEMPLATES)}")
    wb = TEMPLATES[name]()
    declare(wb, DATA_TABLES[name])
    return _kit.save(wb, Path(out_dir) / name)


def build_all(out_dir: str | Path) -> list[Path]:
    """Build every template workbook into ``out_dir`` (created if missing); return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [build(name, out) for name in TEMPLATES]


__all__ = ["DATA_TABLES", "TEMPLATES", "build", "build_all"]

"""The cell adapter: 2-D cell values in, validated tables out, and results back into cells.

Every runtime delivers a range differently:

* Windows Excel (COM, ``raw`` conversion): tuples of tuples, ``None`` for blanks, ``datetime``
  for dates, floats for numbers and COM error integers (``-2146826246`` is ``#N/A``) for errors;
* Office.js (xlwings Server/Lite, ``raw`` conversion): lists of lists, ``None`` for blanks,
  serial numbers for dates, error entities ``{"type": "Error", "basicValue": "#N/A", ...}``;
* the headless workbook engine: lists of lists with openpyxl values (``datetime``, ``"#N/A"``);
* Python callers: numpy arrays and DataFrames.

A 1×1 range arrives as a bare scalar on all of them. This module is the one place that cleans
values. Numeric columns take a vectorised fast path; only columns holding text, dates or errors
are looked at cell by cell.

The package's rooms, by job (each name stays importable from ``xlmarketing.cells``):

* :mod:`.values`: what one cell holds, numbers in one C pass, serial dates (re-exported from
  :mod:`xlmarketing.core.serial`, the one conversion), a range as a grid;
* :mod:`.fingerprint`: :class:`Range`, the cache fingerprint of a range, canonical pickling;
* :mod:`.reading`: header rows, columns read with one rule each, :class:`Table`, one-column
  ranges beside a table, and the "numbers expected" check (:func:`refuse_text`);
* :mod:`.identity`: the one identity rule (case, spaces, invisible characters and
  number-as-text make no new label), total rows;
* :mod:`.ids`: the one ID rule (ID-like columns left out, with a note);
* :mod:`.params`: parameter cells (behind the checks of ``functions/spec.py``);
* :mod:`.writing`: results back into cells, Note rows;
* :mod:`.texts`: columns of customer texts.

Layering: the cell layer imports the core's pure helpers (kinds, serial days), ``errors`` and
``parsing``, never ``functions``, ``cache`` or ``workbook``.
"""

from __future__ import annotations

from ..errors import EXCEL_ERRORS, XLMError, col_label
from .fingerprint import UNPICKLABLE, Range, digest_cells, pickled
from .identity import (TOTAL_WORDS, clean_text, identity, identity_order, is_total_label, merge_spellings,
                       merged_note, onto)
from .ids import MIN_ID_ROWS, id_columns, leave_out_ids, leave_out_same
from .params import (IntWording, param_bool, param_choice, param_float, param_header, param_int,
                     scalar)
from .reading import (TEXT_DTYPE, Columns, Table, first_text, header_like, read_beside, read_columns,
                      read_table, read_vector, refuse_sum_row, refuse_text, resolve_header,
                      text_dates)
from .texts import TEXT_HEADER_WORDS, read_texts, text_of
from .values import (BOOL, CATEGORY, COM_ERRORS, DATE, NUMBER, SERIAL_MAX, SERIAL_MIN, Kind,
                     as_grid, error_code, fast_numeric, from_serial, gc_paused, parse_number,
                     show, to_serial, has_values, without_jsnull)
from .values import _show  # noqa: F401  the old private name of show, still imported
from .writing import to_cells, with_notes

__all__ = [
    "BOOL", "CATEGORY", "COM_ERRORS", "DATE", "EXCEL_ERRORS", "MIN_ID_ROWS", "NUMBER",
    "SERIAL_MAX", "SERIAL_MIN", "TEXT_DTYPE", "TEXT_HEADER_WORDS", "TOTAL_WORDS", "UNPICKLABLE",
    "Columns", "clean_text", "header_like", "identity", "identity_order", "is_total_label", "merge_spellings",
    "merged_note", "onto",
    "IntWording", "Kind", "Range", "Table", "XLMError", "as_grid", "col_label", "digest_cells",
    "error_code", "fast_numeric", "first_text", "from_serial", "gc_paused", "id_columns", "leave_out_ids",
    "leave_out_same", "param_bool", "param_choice", "param_float", "param_header", "param_int",
    "parse_number", "pickled", "read_beside", "read_columns", "read_table", "read_texts",
    "read_vector", "refuse_sum_row", "refuse_text", "resolve_header", "scalar", "show", "text_dates", "text_of", "to_cells",
    "to_serial", "with_notes", "without_jsnull", "has_values",
]

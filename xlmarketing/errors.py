"""The one exception type for user mistakes.

An :class:`XLMError` carries an Excel error code and one sentence that says what is wrong,
what was received and how to fix it. Its text is the cell's message on every runtime::

    #NUM! KMEANS_SEGMENT: k=8 needs at least 8 customers, got 5 rows. Lower k or select more rows.

Only user mistakes are XLMErrors. Programming bugs stay ordinary exceptions so they are
never disguised as a user's fault.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .core.errors import Fix, col_label  # col_label re-exported: a column label for messages

__all__ = ["EXCEL_ERRORS", "SHEET_FIXES", "XLMError", "col_label", "function_context"]

#: Excel error codes, in the spelling Excel shows.
EXCEL_ERRORS = (
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
    "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!",
    "#BUSY!", "#UNKNOWN!",
)


#: The core's remedies (:class:`~xlmarketing.core.errors.Fix`) in a spreadsheet's words: the
#: data the user gave is a range they selected.
SHEET_FIXES = {
    Fix.FEWER_ROWS: "Select fewer rows.",
    Fix.FEWER_COLUMNS: "Select fewer columns.",
    Fix.FEWER_ROWS_OR_COLUMNS: ("Select fewer rows or columns, or leave out text columns with "
                                "many different values."),
    Fix.DROP_COLUMN: "Leave that column out of the range.",
    Fix.FILL_OR_DROP_COLUMN: "Fill it in or leave it out of the range.",
    Fix.LARGER_UNITS: "Enter them in larger units (thousands, millions) or fix the cells.",
    Fix.LOWER_OR_MORE_ROWS: "Lower {param} or select more rows.",
    Fix.LONGER_HISTORY: "Select a longer history.",
    Fix.SHORTEN_TEXT: "(one Excel cell) are read. Shorten it.",
    Fix.SAMPLE_TEXTS: "Select a sample of the rows.",
    Fix.SAMPLE_OR_NO_CV: "Select a sample of the rows, or use TEXT_CLASSIFY alone.",
    Fix.SPLIT_TEXTS: "Split the rows over several formulas: each text's result does not depend on the others.",
}
assert set(SHEET_FIXES) == set(Fix), "every remedy needs its sheet wording"


class XLMError(ValueError):
    """A user mistake: an Excel error code plus a one-line message.

    ``func`` is the spreadsheet function's name; it is filled in by :func:`function_context`
    when the error is raised from code that does not know which function called it.
    """

    def __init__(self, code: str, message: str, func: str | None = None):
        if code not in EXCEL_ERRORS:
            raise TypeError(f"unknown Excel error code {code!r}")
        self.code = code
        self.message = " ".join(str(message).split())  # always one line
        self.func = func
        super().__init__(self.text)

    @property
    def text(self) -> str:
        where = f"{self.func}: " if self.func else ""
        return f"{self.code} {where}{self.message}"

    def __str__(self) -> str:
        return self.text


@contextlib.contextmanager
def function_context(func: str) -> Iterator[None]:
    """Name the spreadsheet function in every XLMError raised inside the block."""
    try:
        yield
    except XLMError as exc:
        if exc.func is None:
            exc.func = func
            exc.args = (exc.text,)
        raise

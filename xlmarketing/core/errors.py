"""Errors of the model core.

The core knows nothing of Excel: these exceptions carry no Excel error code and no sheet
argument name. ``functions/`` translates them into :class:`~xlmarketing.errors.XLMError`
(see :func:`xlmarketing.functions.core_error_to_xlm`), choosing the code from the class and the
argument name from the function's own parameter names.

A message is one sentence that says what is wrong, what was received and how to fix it. Where
it refers to one of the core function's parameters, it writes ``{param}`` and sets ``param`` to
the core's parameter name, so the sheet layer can put in the name the user typed::

    raise ParameterError("{param}=40 is longer than half the history (60 periods). ...",
                         param="season_length")

Messages speak of data, rows, columns and parameters, never of cells, ranges or selecting. Where
the remedy is something the user does to the data they gave (use fewer rows, leave a column
out), the message ends with a :class:`Fix` instead of a sentence of its own: its text says it in
data words, and the sheet layer says it in the words of a spreadsheet ("Select fewer rows.").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Fix(enum.Enum):
    """A remedy the user applies to the data they gave; the value is its wording in data words.

    The error's text is its message, a space and the remedy (see :meth:`CoreError.render`):
    the sheet layer passes its own wording for each one (``functions.SHEET_FIXES``).
    """

    FEWER_ROWS = "Use fewer rows."
    FEWER_COLUMNS = "Use fewer columns."
    FEWER_ROWS_OR_COLUMNS = ("Use fewer rows or columns, or leave out text columns with many "
                             "different values.")
    DROP_COLUMN = "Leave that column out of the data."
    FILL_OR_DROP_COLUMN = "Fill it in or leave it out of the data."
    LARGER_UNITS = "Enter them in larger units (thousands, millions) or correct them."
    LOWER_OR_MORE_ROWS = "Lower {param} or add rows."
    LONGER_HISTORY = "Give a longer history."
    #: ends "text 3 has 40,000 characters; at most 32,767": the limit's reason is the sheet's
    SHORTEN_TEXT = "are read. Shorten it."
    SAMPLE_TEXTS = "Use a sample of the texts."
    SAMPLE_OR_NO_CV = "Use a sample of the texts, or fit the classifier without cross-validation."
    SPLIT_TEXTS = "Score the texts in several parts: each text's score does not depend on the others."


class CoreError(ValueError):
    """Base class: the data or a setting cannot be modelled as given."""

    def __init__(self, message: str, *, param: str | None = None, fix: Fix | None = None):
        self.message = " ".join(str(message).split())  # always one line
        self.param = param
        self.fix = fix
        super().__init__(self.render())

    def render(self, param_name: str | None = None,
               fixes: Mapping[Fix, str] | None = None) -> str:
        """The message and its remedy, with ``{param}`` replaced by ``param_name`` (default: the
        core's name); ``fixes`` words the remedies for another medium (default: data words)."""
        name = param_name or self.param or "value"
        text = self.message
        if self.fix is not None:
            text = f"{text} {(fixes or {}).get(self.fix, self.fix.value)}"
        return text.replace("{param}", name)

    def __str__(self) -> str:
        return self.render()


class DataError(CoreError):
    """Values of the wrong kind, or data that cannot be used as given (Excel: #VALUE!)."""


class ParameterError(CoreError):
    """A setting that is out of range for this data (Excel: #NUM!)."""


class InsufficientData(CoreError):
    """Too few rows, periods or cases of an outcome for what was asked (Excel: #NUM!)."""


class LimitExceeded(CoreError):
    """The work would exceed a size, memory or time limit; checked before it starts (Excel: #NUM!)."""


def col_label(name: str) -> str:
    """'column 3' for an unnamed column, 'column "Spend"' for a named one: for messages."""
    return name if name.startswith("column ") else f'column "{name}"'

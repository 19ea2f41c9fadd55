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
"""

from __future__ import annotations


class CoreError(ValueError):
    """Base class: the data or a setting cannot be modelled as given."""

    def __init__(self, message: str, *, param: str | None = None):
        self.message = " ".join(str(message).split())  # always one line
        self.param = param
        super().__init__(self.render())

    def render(self, param_name: str | None = None) -> str:
        """The message with ``{param}`` replaced by ``param_name`` (default: the core's name)."""
        name = param_name or self.param or "value"
        return self.message.replace("{param}", name)

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

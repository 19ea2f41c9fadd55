"""The options of a refresh: one object, built once (by the command) and passed whole."""

from __future__ import annotations

from dataclasses import dataclass

#: The formula engines (recalc takes them from here; importing recalc would load openpyxl).
ENGINES = ("auto", "libreoffice", "formulas", "none")


@dataclass(frozen=True)
class RefreshOptions:
    """Everything a refresh is asked to do, built once (by the command) and passed whole.

    ``formula_engine``: ``auto`` evaluates ordinary formulas in-process (the ``formulas``
    package) and hands forms it cannot evaluate to LibreOffice when installed; ``formulas``
    in-process only; ``libreoffice`` every dependent by LibreOffice; ``none`` no ordinary
    formula is evaluated (they keep their saved values). ``values_only`` writes our results as
    plain values; ``strict`` makes a refresh with error cells fail without writing.
    """

    formula_engine: str = "auto"
    values_only: bool = False
    strict: bool = False

    def __post_init__(self) -> None:
        if self.formula_engine not in ENGINES:
            raise ValueError(f"formula_engine must be one of {', '.join(ENGINES)}, "
                             f"got {self.formula_engine!r}")

"""The one definition of column kinds, shared by the cell adapter and the model core.

``Kind`` is a ``StrEnum``: every member equals its old string value (``Kind.NUMBER == "number"``)
and hashes like it, so code and cached tables that still compare with plain strings keep
working. The module-level names ``NUMBER``, ``DATE``, ``BOOL`` and ``CATEGORY`` are aliases of
the members, for modules that imported those constants before the enum existed.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a table column holds, as read by the cell adapter.

    * ``NUMBER``: numbers (float64, blanks NaN);
    * ``DATE``: dates as Excel serial days (float64);
    * ``BOOL``: TRUE/FALSE as 1.0/0.0;
    * ``CATEGORY``: text labels (strings, blanks NaN).
    """

    NUMBER = "number"
    DATE = "date"
    BOOL = "bool"
    CATEGORY = "category"

    @property
    def numeric(self) -> bool:
        """True for every kind stored as float64 (all but CATEGORY)."""
        return self is not Kind.CATEGORY


NUMBER, DATE, BOOL, CATEGORY = Kind.NUMBER, Kind.DATE, Kind.BOOL, Kind.CATEGORY

__all__ = ["BOOL", "CATEGORY", "DATE", "NUMBER", "Kind"]

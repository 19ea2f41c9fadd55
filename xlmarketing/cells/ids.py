"""The ID rule: columns that look like identifiers are left out of a model, each with a note.

An ID carries no behaviour, only the file's row order, and a model that uses it learns that
order (leakage). This is the one rule for the whole project: the sheet functions apply it to
their tables (:func:`leave_out_ids`, turned off by their ``keep_ids`` option), and the model
core has none of its own (it encodes whatever columns it is given, with at most
``core.limits.MAX_LEVELS`` levels per text column).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import XLMError, col_label
from .reading import Table
from .values import BOOL, CATEGORY, DATE, _label

__all__ = ["MIN_ID_ROWS", "id_columns", "leave_out_ids", "leave_out_same"]


#: Filled rows a column needs before it can look like an ID: a handful of rows proves nothing.
MIN_ID_ROWS = 10
#: Code-like text: letters, an optional separator, digits (C-00017, CUST0001, 0017, AB-12-X).
_CODE = re.compile(r"^[A-Za-z]{0,8}[-_#/.]?\d+(?:[-_/.]?[A-Za-z0-9]+)*$")
#: Column names that say "identifier": Customer ID, customer_id, CustomerID, Cust No, Account #.
_ID_NAME = re.compile(r"(?i:(?:^|[\s_\-.])(?:id|no\.?|nr|number|#))$|[a-z](?:ID|Id)$")


def _id_reason(name: str, values: pd.Series, kind: str) -> str | None:
    """Why a column looks like an ID (to say so in the outputs), or None."""
    if kind in (DATE, BOOL) or values.size < MIN_ID_ROWS:
        return None
    named = bool(_ID_NAME.search(name.strip()))
    if kind == CATEGORY:
        return _text_reason(values, named)
    x = values.to_numpy(dtype=np.float64)
    # Most number columns have a fraction in their first rows: answer before sorting anything.
    head = x[:64][~np.isnan(x[:64])]
    if not np.all(head == np.round(head)):
        return None
    x = x[~np.isnan(x)]
    if x.size < MIN_ID_ROWS or not np.all(x == np.round(x)):
        return None
    s = np.sort(x)
    steps = np.diff(s)
    if steps.size == 0 or steps.min() <= 0:
        return None  # repeats: not an identifier
    if steps.min() == steps.max():
        return "distinct whole numbers in steps of " + _label(float(steps[0]))
    return "distinct whole numbers and the name says ID" if named else None


def _text_reason(values: pd.Series, named: bool) -> str | None:
    """Why a text column looks like an ID: distinct codes, distinct values under an ID-like
    name, or more different texts than a grouping has (:func:`_too_many_texts`)."""
    head = [v for v in values.iloc[:64].tolist() if isinstance(v, str)]
    if len(set(head)) == len(head):  # a repeat in the first rows: not a distinct identifier
        texts = values.dropna().astype(str)
        if len(texts) >= MIN_ID_ROWS and texts.is_unique:
            if texts.str.fullmatch(_CODE).all() and texts.str.contains(r"\d").all():
                return "every value is a distinct code"
            if named:
                return "every value is distinct and the name says ID"
    return _too_many_texts(values)


#: A text column names rows rather than grouping them when it has more different texts than
#: this many and than half its rows, and they fill more than half of it with different values
#: (customer names, e-mail addresses, free-text notes): one level per row teaches a model nothing.
MANY_TEXTS = 20


def _too_many_texts(values: pd.Series) -> str | None:
    n = values.size
    n_levels = int(values.nunique(dropna=True))
    if n_levels > max(MANY_TEXTS, n // 2) and n_levels > 0.5 * int(values.notna().sum()):
        return f"{n_levels:,} different texts in {n:,} rows, like names: too many for groups"
    return None


def id_columns(table: Table) -> dict[str, str]:
    """Columns that look like IDs, each with the reason: distinct whole numbers in equal steps
    (1, 2, 3... or 1001, 1002...), distinct code-like text (C-00017), distinct values under
    an ID-like name (Customer ID), or text with about one value per row (names, e-mails).
    An ID carries no behaviour, only row order, and a model that uses it learns the file's
    sort order (leakage)."""
    out: dict[str, str] = {}
    for c, kind in table.kinds.items():
        why = _id_reason(c, table.frame[c], kind)
        if why:
            out[c] = why
    return out


def leave_out_ids(table: Table, keep_ids: bool = False) -> Table:
    """``table`` without its ID-like columns (:func:`id_columns`), each named in ``notes``.

    ``keep_ids`` (the sheet functions' option of the same name) keeps them. A table whose every
    column looks like an ID is refused: there would be nothing left to model.
    """
    ids = {} if keep_ids else id_columns(table)
    if not ids:
        return table
    if len(ids) == len(table.kinds):
        shown = "; ".join(f"{col_label(c)}: {why}" for c, why in list(ids.items())[:3])
        raise XLMError("#VALUE!", f"{table.name} has only ID-like columns ({shown}), nothing to "
                       "model. Add the customers' attributes, or set keep_ids to TRUE to use "
                       "them anyway.")
    frame = table.frame.drop(columns=list(ids))
    notes = list(table.notes) + [f"{c} left out: it looks like an ID ({why}). Set keep_ids to "
                                 "TRUE to use it." for c, why in ids.items()]
    return Table(frame=frame, kinds={c: k for c, k in table.kinds.items() if c not in ids},
                 header=table.header, row_mask=table.row_mask, name=table.name, notes=notes,
                 dropped=list(table.dropped) + list(ids),
                 source_columns=table.source_columns or table.columns)


def leave_out_same(table: Table, like: Table) -> Table:
    """``table`` (e.g. score_data) without the columns ``like`` (the training table) left out:
    by name when both have headers, else by position when it has all of ``like``'s columns."""
    if not like.dropped:
        return table
    if table.header and like.header:
        drop = {c.casefold() for c in like.dropped}
        gone = [c for c in table.columns if c.casefold() in drop]
    elif like.source_columns and len(table.columns) == len(like.source_columns):
        gone = [t for t, s in zip(table.columns, like.source_columns) if s in like.dropped]
    else:
        return table
    if not gone:
        return table
    return Table(frame=table.frame.drop(columns=gone),
                 kinds={c: k for c, k in table.kinds.items() if c not in gone},
                 header=table.header, row_mask=table.row_mask, name=table.name,
                 notes=table.notes, dropped=gone, source_columns=table.columns)

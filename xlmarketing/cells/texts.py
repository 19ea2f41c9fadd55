"""Text columns: customer reviews, comments and tickets read as texts (numbers as written)."""

from __future__ import annotations

from typing import Any

from .. import notices
from ..errors import XLMError
from .identity import clean_text, is_total_label
from .values import _BLANK, _BOOL, _DATE, _ERR, _NUM, _classify, as_grid, from_serial

__all__ = ["TEXT_HEADER_WORDS", "read_texts", "text_of"]


#: First cells that name a column of customer texts: a header row is recognised by them.
TEXT_HEADER_WORDS = frozenset({
    "text", "texts", "review", "reviews", "comment", "comments", "message", "messages",
    "feedback", "ticket", "tickets", "body", "description", "answer", "answers", "response",
    "responses", "tweet", "tweets", "post", "posts", "title", "note", "notes", "content",
    "subject", "verbatim", "verbatims", "review text", "comment text", "survey answer",
})


def text_of(value: Any) -> str | None:
    """A cell as text for text analysis: None when blank; numbers, booleans and dates as written."""
    kind, v = _classify(value)
    if kind == _BLANK:
        return None
    if kind == _BOOL:
        return "TRUE" if v else "FALSE"
    if kind == _NUM:
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"
    if kind == _DATE:
        return from_serial(v).date().isoformat() if isinstance(v, float) else str(v)
    if kind == _ERR:
        raise ValueError(v)
    return value.strip() if isinstance(value, str) else str(v)


def read_texts(values: Any, *, name: str, header: bool | None = None
               ) -> tuple[list[str | None], bool]:
    """A one-column range of texts (None for blanks) and whether its first cell is a header.

    Numbers in a text column are text ("15"). With ``header`` None, the first cell is a header
    when it is one of :data:`TEXT_HEADER_WORDS` (``Review``, ``Comment``...); TRUE/FALSE force it.
    """
    grid = as_grid(values)
    if len(grid[0]) != 1 and len(grid) == 1:
        grid = [[v] for v in grid[0]]
    if len(grid[0]) != 1:
        raise XLMError("#VALUE!", f"{name} must be a single column of texts, got {len(grid[0])} "
                       "columns. Select one column.")
    out: list[str | None] = []
    for i, row in enumerate(grid):
        try:
            out.append(text_of(row[0]))
        except ValueError as exc:
            code = str(exc)
            raise XLMError(code, f"{name} has the error value {code} in row {i + 1}. Fix that "
                           "cell or clear it.") from None
    if header is None:
        first = out[0]
        header = (len(out) > 1 and isinstance(first, str)
                  and clean_text(first).lower().rstrip(":") in TEXT_HEADER_WORDS)
    body = out[1:] if header else out
    totals = [i for i, t in enumerate(body) if t is not None and is_total_label(t)]
    if totals:  # a "Total" line under a column of texts is no text: left out like a blank
        notices.say(f"{name}: row {totals[0] + 1 + bool(header)} ({body[totals[0]]!r}) left out: "
                    "a total line is no text.")
        for i in totals:
            body[i] = None
    return body, bool(header)

"""Notes about one call that have no cell of their own, for the headless report.

Companion outputs (drivers, metrics, profile) carry the notes about a model. A note that
depends on one call's arguments, such as "score_data was matched to train_data by position",
has nowhere to go in a result aligned row for row with the input. A sheet function records it
with :func:`say`; whoever runs the functions can :func:`collect` the notes (the headless engine
puts each distinct note once in its report, with how many calls made it). With nobody
collecting, :func:`say` costs one context-variable lookup and the note is dropped.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar

_SINK: ContextVar[Counter[str] | None] = ContextVar("xlmarketing_notices", default=None)


@contextlib.contextmanager
def collect() -> Iterator[Counter[str]]:
    """Collect the notes said inside the block: note text -> number of calls that said it."""
    said: Counter[str] = Counter()
    token = _SINK.set(said)
    try:
        yield said
    finally:
        _SINK.reset(token)


def collecting() -> bool:
    """True inside :func:`collect`: callers skip building a note nobody will read."""
    return _SINK.get() is not None


def say(text: str | Callable[[], str]) -> None:
    """Record a note (or a function that builds it, called only while collecting)."""
    sink = _SINK.get()
    if sink is not None:
        sink[text() if callable(text) else text] += 1


def summary(said: Counter[str]) -> list[str]:
    """One line per distinct note, in the order first said, with its count of calls."""
    return [text if n == 1 else f"{text} ({n:,} calls)" for text, n in said.items()]

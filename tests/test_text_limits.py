"""The TEXT_* size limits: above each one the call is refused at once with a line naming it;
exactly at it the size check lets the call through (the next check, or the work, answers).

The texts are long runs of one letter, so reaching a limit of millions of characters costs a
few hundred cells and no fitting: the refusal must come before any work.
"""

from __future__ import annotations

import pytest

from tests.test_text import corpus
from xlmarketing.cache import CACHE
from xlmarketing.core import text as core
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY


def texts_of(total: int, letter: str = "x") -> list[list[str]]:
    """A column of cells holding exactly ``total`` characters, each cell at most one Excel cell."""
    n, rest = divmod(total, core.MAX_TEXT_CHARS)
    full = letter * core.MAX_TEXT_CHARS
    return [[full]] * n + ([[letter * rest]] if rest else [])


def labels_for(cells: list[list[str]], *names: str) -> list[list[str]]:
    """Labels cycling through ``names`` over the first rows, then the last name."""
    return [[names[i] if i < len(names) else names[-1]] for i in range(len(cells))]


def refused(call, message: str) -> None:
    CACHE.clear()
    with pytest.raises(XLMError) as e:
        call()
    assert str(e.value) == message


def over(limit: int) -> str:
    return f"the texts hold {limit + 1:,} characters, more than the {limit:,} this work handles within seconds."


@pytest.mark.parametrize("name, limit, call, fix, at_limit", [
    ("TEXT_CLASSIFY", core.MAX_CLASSIFY_CHARS,
     lambda t: REGISTRY["TEXT_CLASSIFY"](t, labels_for(t, "a")),
     "Select a sample of the rows.",
     "#NUM! TEXT_CLASSIFY: the labels hold only one category ('a'). Label examples of at least "
     "two categories."),
    ("TEXT_CLASSIFY_METRICS", core.MAX_METRICS_CHARS,
     lambda t: REGISTRY["TEXT_CLASSIFY_METRICS"](t, labels_for(t, "b", "a")),
     "Select a sample of the rows, or use TEXT_CLASSIFY alone.",
     "#NUM! TEXT_CLASSIFY_METRICS: category 'b' has 1 example(s); at least 5 per category are "
     "needed. Label more examples of it or leave it out."),
    ("TEXT_KEYWORDS", core.MAX_KEYWORDS_CHARS,
     lambda t: REGISTRY["TEXT_KEYWORDS"](t, labels_for(t, "a")),
     "Select a sample of the rows.",
     "#NUM! TEXT_KEYWORDS: keywords compare groups, but all texts are in one group. Give labels "
     "with at least two values."),
    ("TEXT_TOPICS", core.MAX_TOPICS_CHARS,
     lambda t: REGISTRY["TEXT_TOPICS"](t, 2),
     "Select a sample of the rows.",
     None),
    ("TEXT_TOPIC", core.MAX_TOPICS_CHARS,
     lambda t: REGISTRY["TEXT_TOPIC"](t, 2),
     "Select a sample of the rows.",
     None),
    ("SENTIMENT", core.MAX_SENTIMENT_CHARS,
     lambda t: REGISTRY["SENTIMENT"](t),
     "Split the rows over several formulas: each text's result does not depend on the others.",
     None),
])
def test_limit_refuses_above_and_not_at_it(name, limit, call, fix, at_limit):
    cells = texts_of(limit + 1, "ж" if name == "SENTIMENT" else "x")
    refused(lambda: call(cells), f"#NUM! {name}: {over(limit)} {fix}")
    cells = texts_of(limit, "ж" if name == "SENTIMENT" else "x")
    if name.startswith("TEXT_TOPIC"):  # two different texts: the next check refuses k=2
        at_limit = (f"#NUM! {name}: 2 topics need at least 4 different texts; the {len(cells)} "
                    f"texts hold 2 different ones. Ask for fewer topics or give more texts.")
    if name == "SENTIMENT":  # the language check comes next
        at_limit = (f"#VALUE! SENTIMENT: text 1 ('{'ж' * 40}') does not look like English. "
                    "SENTIMENT uses an English word list (VADER); for other languages, label "
                    "some examples as positive or negative and use TEXT_CLASSIFY.")
    refused(lambda: call(cells), at_limit)


@pytest.mark.parametrize("name, limit, fix, at_limit", [
    ("TEXT_CLASSIFY", core.MAX_CLASSIFY_TEXTS, "Select a sample of the rows.",
     "#NUM! TEXT_CLASSIFY: the labels hold only one category ('a'). Label examples of at least "
     "two categories."),
    ("TEXT_CLASSIFY_METRICS", core.MAX_METRICS_TEXTS,
     "Select a sample of the rows, or use TEXT_CLASSIFY alone.",
     "#NUM! TEXT_CLASSIFY_METRICS: the labels hold only one category ('a'). Label examples of "
     "at least two categories."),
])
def test_text_count_limit_refuses_above_and_not_at_it(name, limit, fix, at_limit):
    """Short texts cost per text more than per character: the classifier's fits also count them."""
    cells = [[f"t{i}"] for i in range(limit + 1)]
    refused(lambda: REGISTRY[name](cells, [["a"]] * len(cells)),
            f"#NUM! {name}: the call holds {limit + 1:,} texts, more than the {limit:,} this work "
            f"handles within seconds. {fix}")
    refused(lambda: REGISTRY[name](cells[:limit], [["a"]] * limit), at_limit)


def test_scoring_limit_refuses_above_and_scores_at_it():
    text, labels = corpus()
    over_ = texts_of(core.MAX_SCORE_CHARS + 1)
    refused(lambda: REGISTRY["TEXT_CLASSIFY"](text, labels, over_),
            f"#NUM! TEXT_CLASSIFY: {over(core.MAX_SCORE_CHARS)} Split the rows over several "
            "formulas: each text's result does not depend on the others.")
    at = texts_of(core.MAX_SCORE_CHARS)
    out = REGISTRY["TEXT_CLASSIFY"](text, labels, at)
    assert len(out) == len(at) and all(r[0] in {"praise", "complaint", "question"} for r in out)


def test_limits_are_ordered_by_the_work():
    """Cross-validation refits in every fold: its limit is the lowest; scoring is cheaper than
    learning; none is above what one call reads."""
    assert core.MAX_METRICS_CHARS < core.MAX_CLASSIFY_CHARS <= core.MAX_SCORE_CHARS
    assert core.MAX_METRICS_TEXTS < core.MAX_CLASSIFY_TEXTS
    assert max(core.MAX_CLASSIFY_CHARS, core.MAX_SCORE_CHARS, core.MAX_KEYWORDS_CHARS,
               core.MAX_TOPICS_CHARS, core.MAX_SENTIMENT_CHARS) <= 50_000_000

"""TEXT_CLASSIFY, TEXT_CLASSIFY_METRICS, TEXT_KEYWORDS, TEXT_TOPICS, TEXT_TOPIC and SENTIMENT.

Texts are one column of cells: reviews, survey answers, tickets, posts. Blank cells give blank
outputs and are left out of every fit; numbers in a text column count as text. Results line up
row for row with the text range, with a header label when the range has a header row.

Header rows: next to a labels column, both ranges have a header when the labels' first cell is
not one of the label values (``Category`` above ``praise``/``complaint``...). A text column on
its own has a header when its first cell names it (``Review``, ``Comment``, ``Text``...); set
``header`` TRUE or FALSE to decide it yourself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import cells, notices
from ..cache import CACHE
from ..core import text as core
from ..errors import XLMError
from . import Cells, sheet_function
from .spec import HEADER_ARG, SEED, Arg, Int, call_key

_TEXT = Arg("Customer texts, one per row: reviews, survey answers, tickets, posts. Any language. "
            "Blank rows give blank results.")
_LABELS = Arg("The category of each text, same rows as the texts: complaint / praise / question, "
              "or any categories of yours. Blank labels are left out of training.")


# --------------------------------------------------------------------------- reading


@dataclass
class _Labelled:
    """Texts with labels: ``rows`` are the positions (in the texts) used for training."""

    texts: list[str | None]
    labels: list[str | None]
    header: bool
    rows: np.ndarray

    def train(self) -> tuple[list[str], list[str]]:
        return [self.texts[i] for i in self.rows], [self.labels[i] for i in self.rows]


#: Words that name a labels column (its header cell): "Category", "Label", "Sentiment"...
_LABEL_HEADER_WORDS = frozenset({
    "label", "category", "categorie", "class", "type", "topic", "tag", "sentiment", "group",
    "segment", "outcome", "target", "intent", "theme", "churned", "churn", "kind", "rating",
})


def _labels_header(values: Any, text: Any = None) -> bool:
    """A labels column has a header when its first cell is text that the categories below, which
    repeat, never repeat, and it is no one-off category: it names the column (``Category``,
    ``Sentiment``), differs in kind from the labels (text over numbers or codes), or the text
    column beside it starts with a header word (``Review``)."""
    grid = cells.as_grid(values)
    col = [r[0] for r in grid] if len(grid[0]) == 1 else list(grid[0])
    try:
        first = cells.text_of(col[0])
        rest = [t for t in (cells.text_of(v) for v in col[1:]) if t is not None]
    except ValueError:
        return False
    if not (isinstance(col[0], str) and first is not None and first not in rest
            and len(set(rest)) < len(rest)):
        return False
    return cells.header_like(col[0], col[1:], _LABEL_HEADER_WORDS) or _text_header(text)


def _text_header(text: Any) -> bool:
    """Does a text column start with a header word (Review, Comment, Text...)?"""
    if text is None:
        return False
    grid = cells.as_grid(text)
    first = grid[0][0] if grid and grid[0] else None
    return isinstance(first, str) and (
        cells.clean_text(first).lower().rstrip(":") in cells.TEXT_HEADER_WORDS)


def _read_labelled(text: Any, labels: Any, header: bool | None, what: str) -> _Labelled:
    hd = _labels_header(labels, text) if header is None else header
    texts, _ = cells.read_texts(text, name=what, header=hd)
    labs, _ = cells.read_texts(labels, name="labels", header=hd)
    if len(labs) != len(texts):
        extra = " (plus a header row)" if hd else ""
        raise XLMError("#VALUE!", f"labels has {len(labs)} rows but {what} has {len(texts)}"
                       f"{extra}. Select the same rows for both.")
    # One label per identity (cells.identity): 'Praise', 'praise ' and 'praise\u200b' are one.
    labs, merged = cells.merge_spellings(labs, what="labels")
    if merged:
        notices.say(merged)
    rows = np.array([i for i, (t, y) in enumerate(zip(texts, labs)) if t and y], dtype=int)
    return _Labelled(texts, labs, hd, rows)


def _aligned(values: list[Any], texts: list[str | None], header: bool, labels: list[str]) -> Cells:
    """One output row per text row; blank texts get blank cells; a header row gets ``labels``."""
    out: Cells = [list(labels)] if header else []
    it = iter(values)
    width = len(labels)
    for t in texts:
        out.append(list(next(it)) if t else [""] * width)
    return out


# --------------------------------------------------------------------------- classification


def _fit_classifier(train_text: Any, train_labels: Any, header: bool | None
                    ) -> tuple[core.TextClassifier, _Labelled]:
    """The cached classifier for these raw training ranges (fits on a cache miss)."""
    def fit() -> tuple[core.TextClassifier, _Labelled]:
        data = _read_labelled(train_text, train_labels, header, "train_text")
        texts, labs = data.train()
        return core.fit_classifier(texts, labs), data

    return CACHE.get_or_fit("text_classify", call_key(drop=("score_text",)), fit)


@sheet_function("TEXT_CLASSIFY", "Learns your categories (complaint, praise, question...) from "
                "labelled example texts and gives each text its most likely category and the "
                "probability. Any language.", args={
    "train_text": Arg("Example texts whose category you know, one per row. Any language."),
    "train_labels": _LABELS,
    "score_text": Arg("Texts to classify, one per row. Blank: classify train_text itself. One "
                      "cell works for fill-down."),
    "header": HEADER_ARG,
})
def text_classify(train_text: Any, train_labels: Any, score_text: Any = None,
                  header: bool | None = None) -> Cells:
    """Predicted category and its probability per text (default: the training texts)."""
    model, data = _fit_classifier(train_text, train_labels, header)
    if score_text is None or cells.as_grid(score_text) == [[None]]:
        texts, hd = data.texts, data.header
    else:
        one = len(cells.as_grid(score_text)) == 1
        texts, hd = cells.read_texts(score_text, name="score_text",
                                     header=False if one else header)
    todo = [t for t in texts if t]
    pred, prob = model.predict(todo) if todo else ([], np.array([]))
    values = [[p, round(float(q), 6)] for p, q in zip(pred, prob)]
    return _aligned(values, texts, hd, ["Predicted category", "Probability"])


@sheet_function("TEXT_CLASSIFY_METRICS", "How well TEXT_CLASSIFY recognises each category, "
                "measured on examples it did not see (cross-validation): precision, recall, F1 "
                "and count per category, accuracy and macro F1, and the text preparation "
                "TEXT_CLASSIFY chose on your examples.", args={
    "train_text": Arg("Example texts whose category you know, one per row."),
    "train_labels": _LABELS,
    "folds": Arg("Number of cross-validation folds (default 5).", Int(default=5, lo=2, hi=20)),
    "seed": SEED, "header": HEADER_ARG,
})
def text_classify_metrics(train_text: Any, train_labels: Any, folds: int = 5, seed: int = 0,
                          header: bool | None = None) -> Cells:
    """Category | Precision | Recall | F1 | Texts, then Accuracy and Macro F1 rows."""

    def fit() -> core.ClassifierScores:
        data = _read_labelled(train_text, train_labels, header, "train_text")
        texts, labs = data.train()
        return core.cross_validate(texts, labs, folds=folds, seed=seed)

    sc = CACHE.get_or_fit("text_metrics", call_key(), fit)
    rows: Cells = [["Category", "Precision", "Recall", "F1", "Texts"]]
    for i, c in enumerate(sc.classes):
        rows.append([c, round(float(sc.precision[i]), 4), round(float(sc.recall[i]), 4),
                     round(float(sc.f1[i]), 4), int(sc.support[i])])
    total = int(sc.support.sum())
    rows.append(["Accuracy", "", "", round(sc.accuracy, 4), total])
    rows.append(["Macro F1", "", "", round(sc.macro_f1, 4), total])
    rows.append([f"{sc.folds}-fold cross-validation, the text preparation chosen again in "
                 "each fold", "", "", "", ""])
    rows.append([f"Text preparation: {sc.preparation.text}", "", "", "", ""])
    return rows


# --------------------------------------------------------------------------- keywords


@sheet_function("TEXT_KEYWORDS", "The words and phrases that most distinguish each group of "
                "texts (each label, segment or churn group), strongest first, with a score and "
                "how many texts use them.", args={
    "text": _TEXT,
    "labels": Arg("The group of each text, same rows: a label, a segment number, churned "
                  "Yes/No..."),
    "n": Arg("How many keywords per group (default 10).", Int(default=10, lo=1, hi=200)),
    "header": HEADER_ARG,
})
def text_keywords(text: Any, labels: Any, n: int = 10, header: bool | None = None) -> Cells:
    """Group | Keyword | Score | Texts in group | Texts elsewhere."""

    def fit() -> list[core.Keyword]:
        data = _read_labelled(text, labels, header, "text")
        texts, labs = data.train()
        return core.keywords(texts, labs, n)

    kws = CACHE.get_or_fit("text_keywords", call_key(), fit)
    rows: Cells = [["Group", "Keyword", "Score", "Texts in group", "Texts elsewhere"]]
    rows += [[k.group, k.term, round(k.score, 3), k.in_group, k.elsewhere] for k in kws]
    return rows


# --------------------------------------------------------------------------- topics

_K = Arg("How many topics to find, e.g. 5.",
         Int(lo=2, hi=50, missing="Enter how many topics to find, e.g. 5."))


def _fit_topics(text: Any, k: int, seed: int, header: bool | None
                ) -> tuple[core.Topics, list[str | None], bool]:
    def fit() -> tuple[core.Topics, list[str | None], bool]:
        texts, hd = cells.read_texts(text, name="text", header=header)
        found = core.topics([t for t in texts if t], k, seed=seed, n_words=20)
        return found, texts, hd

    return CACHE.get_or_fit("text_topics", call_key(drop=("n_words",)), fit)


@sheet_function("TEXT_TOPICS", "Finds k topics in the texts: for each, its top words and how "
                "many texts are mostly about it (1 = the largest topic).", args={
    "text": _TEXT, "k": _K,
    "n_words": Arg("How many top words per topic (default 8).", Int(default=8, lo=1, hi=20)),
    "seed": SEED, "header": HEADER_ARG,
})
def text_topics(text: Any, k: int, n_words: int = 8, seed: int = 0,
                header: bool | None = None) -> Cells:
    """Topic | Top words | Texts | Share, and a "No topic" row for texts with no repeated word.

    Shares are of all the texts, so with a "No topic" row they still add up to 100%.
    """
    found, _, _ = _fit_topics(text, k, seed, header)
    total = max(len(found.topic), 1)
    rows: Cells = [["Topic", "Top words", "Texts", "Share"]]
    for t, words in enumerate(found.words):
        rows.append([t + 1, ", ".join(words[:n_words]), int(found.sizes[t]),
                     round(int(found.sizes[t]) / total, 4)])
    none = int((found.topic < 0).sum())
    if none:
        rows.append(["No topic", "(none of their words appears in another text)", none,
                     round(none / total, 4)])
    return rows


@sheet_function("TEXT_TOPIC", "The topic each text is mostly about (as numbered by TEXT_TOPICS) "
                "and its weight, the share of the text that topic explains (0 to 1).", args={
    "text": _TEXT, "k": _K, "seed": SEED, "header": HEADER_ARG,
})
def text_topic(text: Any, k: int, seed: int = 0, header: bool | None = None) -> Cells:
    """Topic | Weight per text, aligned with the range."""
    found, texts, hd = _fit_topics(text, k, seed, header)
    values = [[int(t) + 1 if t >= 0 else "", round(float(w), 4)]
              for t, w in zip(found.topic, found.weight)]
    return _aligned(values, texts, hd, ["Topic", "Weight"])


# --------------------------------------------------------------------------- sentiment


@sheet_function("SENTIMENT", "How positive each text is, from -1 (very negative) to 1 (very "
                "positive), with no labels needed (English, VADER word list). For other "
                "languages use TEXT_CLASSIFY.", args={"text": _TEXT, "header": HEADER_ARG},
                fits=False)
def sentiment(text: Any, header: bool | None = None) -> Cells:
    """Sentiment per text, aligned with the range."""

    def fit() -> tuple[np.ndarray, list[str | None], bool]:
        texts, hd = cells.read_texts(text, name="text", header=header)
        filled = [i for i, t in enumerate(texts) if t]
        try:
            return core.sentiment([texts[i] for i in filled]), texts, hd
        except core.NotEnglish as exc:  # name the row of the range, blanks and header counted
            raise XLMError("#VALUE!", f"text {filled[exc.index] + 1 + hd} ({exc.sample!r}) "
                           "does not look like English. SENTIMENT uses an English word list "
                           "(VADER); for other languages, label some examples as positive or "
                           "negative and use TEXT_CLASSIFY.") from None

    scores, texts, hd = CACHE.get_or_fit("sentiment", call_key(), fit)
    return _aligned([[round(float(s), 4)] for s in scores], texts, hd, ["Sentiment"])

"""Reading what customers write: classification, keywords, topics and sentiment.

Pure scikit-learn (plus the VADER lexicon for English sentiment). Texts arrive as a list of
strings; blanks are the callers' business. HTML and web addresses are removed from the features
only (:func:`clean`), never from the user's cells.

* :func:`fit_classifier`: TF-IDF of word 1-2-grams and a logistic regression; for texts in
  scripts written without spaces (Chinese, Japanese, Thai...) character 1-3-grams join them,
  so no word segmenter is needed. The settings were chosen by cross-validation on a public
  review set (``benchmarks/bench_text.py``): on English reviews character n-grams added 0.3
  points of accuracy and 1.2 of macro F1 for about twice the time (past the speed goal of 1.3x
  the plain script), so spaced scripts go without.
* :func:`keywords`: the words and phrases that most distinguish each group, by the log-odds
  ratio with an informative Dirichlet prior (Monroe, Colaresi and Quinn, 2008), as a z-score.
* :func:`topics`: NMF on TF-IDF, deterministic (``nndsvda`` start), topics numbered by size.
* :func:`sentiment`: VADER's compound score from -1 to 1 (English only; other languages are
  refused with the way forward).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from .rows import order_free_folds
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from .errors import DataError, Fix, InsufficientData, LimitExceeded, ParameterError

#: Excel's own limit for one cell; a longer text cannot come from a sheet.
MAX_TEXT_CHARS = 32_767
#: All texts of one call together: about 50 MB of text, a few seconds of work.
MAX_TOTAL_CHARS = 50_000_000

_TAG = re.compile(r"<[^>]{0,2000}>")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_WORD = r"(?u)\b\w\w+\b"


def clean(text: str) -> str:
    """Text for the features: HTML tags, entities, web and e-mail addresses removed, lower case."""
    text = html.unescape(_TAG.sub(" ", text))
    return _EMAIL.sub(" ", _URL.sub(" ", text)).lower()


def check_sizes(texts: list[str]) -> None:
    """Refuse, before any work, a text longer than a cell can hold or too much text in all."""
    total = 0
    for i, t in enumerate(texts):
        if len(t) > MAX_TEXT_CHARS:
            raise LimitExceeded(f"text {i + 1} has {len(t):,} characters; at most "
                                f"{MAX_TEXT_CHARS:,}", fix=Fix.SHORTEN_TEXT)
        total += len(t)
    if total > MAX_TOTAL_CHARS:
        raise LimitExceeded(f"the texts hold {total:,} characters; at most {MAX_TOTAL_CHARS:,} "
                            "are read in one call.", fix=Fix.FEWER_ROWS)


# --------------------------------------------------------------------------- classification


#: Scripts written without spaces between words: Chinese, Japanese, Thai, Lao, Khmer, Myanmar.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                       r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def needs_characters(texts: list[str]) -> bool:
    """True when at least a tenth of the texts are in a script written without spaces."""
    hits = sum(1 for t in texts if len(_UNSPACED.findall(t)) >= 2)
    return hits >= max(1, len(texts) // 10)


def _features(characters: bool) -> TfidfVectorizer | FeatureUnion:
    words = TfidfVectorizer(preprocessor=clean, token_pattern=_WORD, ngram_range=(1, 2),
                            sublinear_tf=True)
    if not characters:
        return words
    # Character 1-3-grams stand in for words where no space separates them.
    return FeatureUnion([
        ("words", words),
        ("chars", TfidfVectorizer(preprocessor=clean, analyzer="char", ngram_range=(1, 3),
                                  sublinear_tf=True)),
    ])


#: Inverse regularisation of the logistic regression, chosen by cross-validation (see module doc).
CLASSIFIER_C = 3.0


def _pipeline(characters: bool) -> Pipeline:
    return Pipeline([("features", _features(characters)),
                     ("model", LogisticRegression(C=CLASSIFIER_C, max_iter=2000))])


@dataclass
class TextClassifier:
    """A fitted classifier: ``classes`` in the model's order."""

    pipeline: Pipeline
    classes: list[str]

    def predict(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        """The most likely label of each text and its probability."""
        with threadpool_limits(1):
            proba = self.pipeline.predict_proba(texts)
        best = proba.argmax(axis=1)
        return [self.classes[j] for j in best], proba[np.arange(len(texts)), best]


def _check_labels(labels: list[str], min_per_class: int) -> list[str]:
    classes, counts = np.unique(np.asarray(labels, dtype=object), return_counts=True)
    if classes.size == 0:
        raise InsufficientData("no text has a category next to it. Label some examples.")
    if classes.size < 2:
        raise InsufficientData(f"the labels hold only one category ({classes[0]!r}). Label "
                               "examples of at least two categories.")
    if counts.min() < min_per_class:
        rare = classes[counts.argmin()]
        raise InsufficientData(f"category {rare!r} has {counts.min()} example(s); at least "
                               f"{min_per_class} per category are needed. Label more examples "
                               "of it or leave it out.")
    return [str(c) for c in classes]


def fit_classifier(texts: list[str], labels: list[str]) -> TextClassifier:
    """Learn the user's categories from labelled texts (at least 2 examples per category)."""
    check_sizes(texts)
    _check_labels(labels, 2)
    pipe = _pipeline(needs_characters(texts))
    with threadpool_limits(1):
        pipe.fit(texts, labels)
    return TextClassifier(pipe, [str(c) for c in pipe.classes_])


@dataclass
class ClassifierScores:
    """Cross-validated quality: per class precision, recall, F1 and support; overall accuracy."""

    classes: list[str]
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    accuracy: float
    macro_f1: float
    folds: int


def cross_validate(texts: list[str], labels: list[str], *, folds: int = 5,
                   seed: int = 0) -> ClassifierScores:
    """Stratified ``folds``-fold cross-validation of :func:`fit_classifier`'s model."""
    check_sizes(texts)
    classes = _check_labels(labels, folds)
    y = np.asarray(labels, dtype=object)
    X = np.asarray(texts, dtype=object)
    pred = np.empty(len(y), dtype=object)
    chars = needs_characters(texts)
    with threadpool_limits(1):
        for tr, te in order_free_folds(y, folds, seed, X):
            pipe = _pipeline(chars).fit(list(X[tr]), list(y[tr]))
            pred[te] = pipe.predict(list(X[te]))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    return ClassifierScores(classes, p, r, f, s, float(accuracy_score(y, pred)), float(f.mean()),
                            folds)


# --------------------------------------------------------------------------- keywords

_CLAUSE = re.compile(r"[.,;:!?()\[\]\"\n]+|\s-\s")
_TOKEN = re.compile(_WORD)


def _terms(text: str) -> list[str]:
    """Words and 2-word phrases of a text, for keywords: no stop word alone or at either end of
    a phrase, and no phrase across punctuation ("poor quality, it broke" gives no "quality broke")."""
    out: list[str] = []
    for clause in _CLAUSE.split(clean(text)):
        toks = _TOKEN.findall(clause)
        out += [t for t in toks if t not in ENGLISH_STOP_WORDS]
        out += [f"{a} {b}" for a, b in zip(toks, toks[1:])
                if a not in ENGLISH_STOP_WORDS and b not in ENGLISH_STOP_WORDS]
    return out



@dataclass
class Keyword:
    group: str
    term: str
    score: float      # z-score of the log-odds ratio: above 2 is a clear difference
    in_group: int     # texts of the group that contain the term
    elsewhere: int    # texts of the other groups that contain it


def keywords(texts: list[str], groups: list[str], n: int = 10) -> list[Keyword]:
    """Per group, the ``n`` words and 2-word phrases most over-represented in its texts."""
    check_sizes(texts)
    names = sorted(set(groups))
    if len(names) < 2:
        raise InsufficientData("keywords compare groups, but all texts are in one group. Give "
                               "labels with at least two values.")
    vec = CountVectorizer(analyzer=_terms, min_df=2, binary=True)
    try:
        X = vec.fit_transform(texts).tocsc()
    except ValueError:
        raise InsufficientData("no word appears in two or more texts, so nothing can be "
                               "compared. Give more texts.") from None
    terms = vec.get_feature_names_out()
    g = np.asarray(groups, dtype=object)
    prior = np.asarray(X.sum(axis=0)).ravel().astype(float) + 0.01
    a0 = prior.sum()
    out: list[Keyword] = []
    for name in names:
        mask = g == name
        yi = np.asarray(X[mask].sum(axis=0)).ravel().astype(float)
        yj = np.asarray(X[~mask].sum(axis=0)).ravel().astype(float)
        ni, nj = yi.sum(), yj.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = (np.log((yi + prior) / (ni + a0 - yi - prior))
                     - np.log((yj + prior) / (nj + a0 - yj - prior)))
            z = delta / np.sqrt(1 / (yi + prior) + 1 / (yj + prior))
        # One term in every text leaves no odds to compare (0/0): no keyword, never NaN.
        z = np.where(np.isfinite(z), z, 0.0)
        order = np.lexsort((terms, -z))  # strongest first; ties by the term, deterministic
        for j in order[:n]:
            if z[j] <= 0 or yi[j] == 0:
                break
            out.append(Keyword(name, str(terms[j]), float(z[j]), int(yi[j]), int(yj[j])))
    return out


# --------------------------------------------------------------------------- topics


@dataclass
class Topics:
    """``words[t]``: the top words of topic t+1 (1 = the largest); per text its topic and weight."""

    words: list[list[str]]
    sizes: np.ndarray
    topic: np.ndarray    # 0-based topic per text; -1 where a text has no known word
    weight: np.ndarray   # the topic's share of the text's topic mix, 0..1


def topics(texts: list[str], k: int, *, n_words: int = 8, seed: int = 0) -> Topics:
    """``k`` topics by NMF on TF-IDF (English stop words left out), numbered by size."""
    check_sizes(texts)
    if k < 2:
        raise ParameterError(f"{{param}}={k} asks for fewer than 2 topics. Enter 2 or more.",
                             param="k")
    if len(texts) < 2 * k:
        raise InsufficientData(f"{k} topics need at least {2 * k} texts, got {len(texts)}. "
                               "Give more texts or ask for fewer topics.")
    distinct = {" ".join(clean(t).lower().split()) for t in texts}
    if len(distinct) == 1:
        raise InsufficientData(f"all {len(texts)} texts are the same ({texts[0][:40]!r}), so "
                               "there are no topics to tell apart. Give the texts themselves, "
                               "not one text repeated.")
    if len(distinct) < 2 * k:
        raise InsufficientData(f"{k} topics need at least {2 * k} different texts; the "
                               f"{len(texts)} texts hold {len(distinct)} different ones. Ask "
                               "for fewer topics or give more texts.")
    vec = TfidfVectorizer(preprocessor=clean, token_pattern=_WORD,
                          stop_words=sorted(ENGLISH_STOP_WORDS), min_df=2, max_df=0.95,
                          sublinear_tf=True)
    try:
        X = vec.fit_transform(texts)
    except ValueError:
        raise InsufficientData("too few words repeat across the texts to find topics. Give "
                               "more or longer texts.") from None
    if X.shape[1] < k:
        raise InsufficientData(f"only {X.shape[1]} words repeat across the texts, fewer than "
                               f"{k} topics. Ask for fewer topics or give more texts.")
    with threadpool_limits(1):
        nmf = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=500)
        W = nmf.fit_transform(X)
    H = nmf.components_
    raw_topic = W.argmax(axis=1)
    empty = W.sum(axis=1) <= 0
    counts = np.bincount(raw_topic[~empty], minlength=k)
    # Number topics by size (1 = most texts); ties by the first top word, so it is deterministic.
    terms = vec.get_feature_names_out()
    first = [terms[H[t].argmax()] for t in range(k)]
    order = sorted(range(k), key=lambda t: (-counts[t], first[t]))
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    words = [[str(terms[j]) for j in np.argsort(-H[t], kind="stable")[:n_words] if H[t, j] > 0]
             for t in order]
    share = W.max(axis=1) / np.where(empty, 1.0, W.sum(axis=1))
    return Topics(words, counts[order], np.where(empty, -1, rank[raw_topic]),
                  np.where(empty, 0.0, share))


# --------------------------------------------------------------------------- sentiment

_ANALYZER = None
_NON_LATIN = re.compile(r"[^\W\d_a-zA-Z\u00C0-\u024F]")  # letters outside the Latin scripts


def _analyzer():  # the lexicon loads in about 0.1 s: once per process
    global _ANALYZER
    if _ANALYZER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _ANALYZER = SentimentIntensityAnalyzer()
    return _ANALYZER


#: Languages a review column is told apart from English by (py3langid's model, restricted:
#: fewer candidates make the call on two-word texts reliable). Latin-script languages common
#: in customer reviews; other scripts are caught by the letter check first.
_LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "pt", "sv", "da", "no", "fi", "pl", "tr",
              "id", "ro", "cs", "hu")
#: How much likelier (in log-probability) another language must be than English for a text to
#: be refused. Short English reviews ("Runs small", "Terrible") score at most 2 for another
#: language; short German, Spanish, French, Italian, Dutch ones at least 6.7 (tests/test_text.py).
_MARGIN = 4.5
_LANGID = None


def _language_model():
    """py3langid's identifier over :data:`_LANGUAGES`, our own copy (its module-level one is
    shared with any other user of the library); the bundled model loads once per process."""
    global _LANGID
    if _LANGID is None:
        from py3langid import langid

        ident = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE)
        ident.set_languages(list(_LANGUAGES))
        _LANGID = ident
    return _LANGID


def _not_english(texts: list[str]) -> int | None:
    """The index of a text that is not English, or None if they all may be.

    A text in another script is caught by its letters; a text in Latin script by a language
    model (py3langid), per text, so two-word reviews are judged both ways: "Sehr gut" is
    refused and "Great value" is not.
    """
    for i, t in enumerate(texts):
        letters = sum(c.isalpha() for c in t)
        if letters >= 4 and len(_NON_LATIN.findall(t)) > letters / 2:
            return i
    model = None
    for i, t in enumerate(texts):
        if sum(c.isalpha() for c in t) < 4:
            continue  # "ok", "A+": nothing to tell a language by
        model = model or _language_model()
        ranks = dict(model.rank(t))
        if max(v for k, v in ranks.items() if k != "en") - ranks["en"] > _MARGIN:
            return i
    return None


class NotEnglish(DataError):
    """A text the English word list cannot score; ``index`` is its position in the list given."""

    def __init__(self, index: int, sample: str):
        self.index, self.sample = index, sample
        super().__init__(f"text {index + 1} ({sample!r}) does not look like English. This score "
                         "uses an English word list (VADER); for other languages, label some "
                         "examples as positive or negative and train a text classifier on them.")


def sentiment(texts: list[str]) -> np.ndarray:
    """VADER's compound score, -1 (negative) to 1 (positive), per text (HTML and links removed)."""
    check_sizes(texts)
    bad = _not_english(texts)
    if bad is not None:
        sample = texts[bad][:40]
        raise NotEnglish(bad, sample)
    an = _analyzer()
    plain = [_EMAIL.sub(" ", _URL.sub(" ", html.unescape(_TAG.sub(" ", t)))) for t in texts]
    return np.array([an.polarity_scores(t)["compound"] for t in plain], dtype=float)

"""Reading what customers write: classification, keywords, topics and sentiment.

Pure scikit-learn (plus the VADER lexicon for English sentiment). Texts arrive as a list of
strings; blanks are the callers' business. HTML and web addresses are removed from the features
of keywords, topics and sentiment (:func:`clean`), and from the classifier's where that is
chosen, never from the user's cells.

* :func:`fit_classifier`: TF-IDF of word 1-2-grams and a logistic regression, the text
  preparation chosen per call on the user's own training texts (:func:`choose_preparation`):
  links and mentions kept or removed, character n-grams or not, C. Settings chosen once on one
  pool did not carry over (C = 3 and links removed, chosen on reviews, lost 4 points on short
  posts against a plain script). For texts in scripts written without spaces (Chinese,
  Japanese, Thai...) character n-grams always join them, so no word segmenter is needed.
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
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from .errors import DataError, Fix, InsufficientData, LimitExceeded, ParameterError
from .rows import order_free_folds
from .threads import one_thread

#: Excel's own limit for one cell; a longer text cannot come from a sheet.
MAX_TEXT_CHARS = 32_767
#: All the texts of one call together, per kind of work: what one core of a shared 2-core
#: machine does in about 15 s on reviews of about 80 words (benchmarks/bench_text_limits.py).
#: Checked before any work, so a larger call is refused at once instead of running for minutes.
MAX_CLASSIFY_CHARS = 10_000_000   # fit_classifier: learning from labelled texts
MAX_SCORE_CHARS = 30_000_000      # TextClassifier.predict: scoring texts with a fitted one
MAX_METRICS_CHARS = 3_000_000     # cross_validate: the fit again in every fold
MAX_KEYWORDS_CHARS = 25_000_000   # keywords
MAX_TOPICS_CHARS = 20_000_000     # topics
MAX_SENTIMENT_CHARS = 5_000_000   # sentiment (VADER reads word by word, in Python)
#: Texts of one call, for the classifier's fits: on short texts (titles, posts) the cost is per
#: text more than per character (texts of 28 characters: 200,000 took 10 s to fit, 50,000 17 s
#: to cross-validate).
MAX_CLASSIFY_TEXTS = 200_000
MAX_METRICS_TEXTS = 30_000

_TAG = re.compile(r"<[^>]{0,2000}>")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_WORD = r"(?u)\b\w\w+\b"


def clean(text: str) -> str:
    """Text for the features: HTML tags, entities, web and e-mail addresses removed, lower case."""
    text = html.unescape(_TAG.sub(" ", text))
    return _EMAIL.sub(" ", _URL.sub(" ", text)).lower()


def check_sizes(texts: list[str], most: int, fix: Fix = Fix.SAMPLE_TEXTS,
                most_texts: int | None = None) -> None:
    """Refuse, before any work, a text longer than a cell can hold, more than ``most``
    characters in all or more than ``most_texts`` texts (the limits of the work asked for:
    ``MAX_*_CHARS``, ``MAX_*_TEXTS``); ``fix`` is the remedy said when there are too many."""
    if most_texts is not None and len(texts) > most_texts:
        raise LimitExceeded(f"the call holds {len(texts):,} texts, more than the {most_texts:,} "
                            "this work handles within seconds.", fix=fix)
    total = 0
    for i, t in enumerate(texts):
        if len(t) > MAX_TEXT_CHARS:
            raise LimitExceeded(f"text {i + 1} has {len(t):,} characters; at most "
                                f"{MAX_TEXT_CHARS:,}", fix=Fix.SHORTEN_TEXT)
        total += len(t)
    if total > most:
        raise LimitExceeded(f"the texts hold {total:,} characters, more than the {most:,} this "
                            "work handles within seconds.", fix=fix)


# --------------------------------------------------------------------------- classification


#: Scripts written without spaces between words: Chinese, Japanese, Thai, Lao, Khmer, Myanmar.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                       r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def needs_characters(texts: list[str]) -> bool:
    """True when at least a tenth of the texts are in a script written without spaces."""
    hits = sum(1 for t in texts if len(_UNSPACED.findall(t)) >= 2)
    return hits >= max(1, len(texts) // 10)


#: The text preparation is chosen per call on the user's own training texts (see
#: :func:`choose_preparation`) among these candidates; settings chosen on one pool of labelled
#: sets did not carry over to others (short posts lost 4 points of accuracy with links removed).
CHOICE_C = (1.0, 3.0, 10.0)
#: Inner cross-validation: folds, and at most this many texts (a stratified sample in a canonical
#: order) so that choosing costs about one plain fit of the features whatever the size.
CHOICE_FOLDS = 3
CHOICE_ROWS = 1200
#: The inner fits stop earlier than the final one, with a cheaper solver (SAGA, warm-started
#: along the C grid): they only rank the candidates.
CHOICE_TOL = 1e-2
#: Fewer labelled texts than this, or a category with fewer than CHOICE_FOLDS, is too little to
#: choose on: the default preparation is used (:data:`DEFAULT_PREPARATION`).
CHOICE_MIN_TEXTS = 30
#: Character n-grams are a candidate only where the texts are short on average (posts, titles,
#: subject lines, item names): there they help; on long reviews they add many times the word
#: features' entries (measured with the 2-5-grams of before: 3-4x the cost) for +0.3 points.
CHOICE_CHAR_MAX_LEN = 120
#: Links, mentions or markup in at least this share of the texts make "removed" a candidate.
CHOICE_MARKED_SHARE = 0.01
#: A candidate must beat the simpler one (first of all the plain preparation: links kept, words,
#: C=1) by this much inner accuracy to be taken, and by CHOICE_Z standard errors of the paired
#: per-text difference (the one-standard-error rule): the inner CV's noise is about a point on
#: 1,200 texts, and a choice made on noise loses on new texts (with the margin alone, C=3 won
#: one outer fold of the bird-strike remarks, a validation set, and lost 2.5 points there; the
#: rule is the textbook one, not fitted to that set). On the tuning pool every
#: choice that paid off on new texts won by 1.5 to 11 standard errors (course titles, menu items:
#: C and character n-grams; bench_text.py), so the rule keeps them all.
CHOICE_MARGIN = 0.005
CHOICE_Z = 1.0

_MENTION = re.compile(r"(?<![\w@])[@#]\w+")
_WORD_MARKED = r"(?u)[@#]?\b\w\w+\b"  # links and mentions kept: @name and #tag stay tokens
def clean_removed(text: str) -> str:
    """Links, e-mail addresses, HTML and @mentions/#tags removed, lower case."""
    return _MENTION.sub(" ", clean(text))


def keep_marked(text: str) -> str:
    """Only lower case: links' words (https, the domain...), @mentions, #tags and markup stay."""
    return text.lower()


@dataclass(frozen=True)
class Preparation:
    """How texts become features: links kept or removed, with character n-grams or not, C."""

    links: str = "kept"          # "kept" or "removed"
    characters: bool = False
    C: float = 3.0
    accuracy: float | None = None  # inner cross-validated accuracy, when chosen by it
    rule: str = "default"        # how it was chosen
    unspaced: bool = False       # texts in a script without spaces: the wider character block

    @property
    def text(self) -> str:
        grams = "word and character n-grams" if self.characters else "word n-grams"
        out = f"links and mentions {self.links}, {grams}, C={self.C:g}"
        if self.accuracy is not None:
            out += f" (inner {CHOICE_FOLDS}-fold accuracy {self.accuracy:.3f})"
        return f"{out}; {self.rule}"


DEFAULT_PREPARATION = Preparation()


#: Character n-grams within words: 3-grams as the candidate for spaced scripts, 2-5-grams for
#: scripts without spaces, where they are the words. On the tuning pool (5-fold CV, words and
#: characters at C=10) 3-grams kept all but 0.002 of the 2-5-grams' gain with a third of their
#: entries: course titles 0.633 against 0.635 (words alone 0.603), 91,000 entries against
#: 285,000 per fold; menu items 0.802 against 0.804 (words 0.771). The final fit on the course
#: titles went from about 8 s to 2.
CHAR_GRAMS = (3, 3)
UNSPACED_GRAMS = (2, 5)


def _chars(unspaced: bool) -> str:
    """The character block's kind: the wider n-grams for scripts without spaces."""
    return "unspaced" if unspaced else "chars"


def _part(links: str, kind: str, min_df: int) -> TfidfVectorizer:
    """One block of features: word 1-2-grams, or character n-grams within words ("chars":
    :data:`CHAR_GRAMS`, "unspaced": :data:`UNSPACED_GRAMS`)."""
    prep = keep_marked if links == "kept" else clean_removed
    if kind in ("chars", "unspaced"):
        grams = CHAR_GRAMS if kind == "chars" else UNSPACED_GRAMS
        return TfidfVectorizer(preprocessor=prep, analyzer="char_wb", ngram_range=grams,
                               sublinear_tf=True, min_df=min_df, dtype=np.float64)
    return TfidfVectorizer(preprocessor=prep, token_pattern=_WORD_MARKED if links == "kept"
                           else _WORD, ngram_range=(1, 2), sublinear_tf=True, min_df=min_df,
                           dtype=np.float64)


class _Features:
    """Word 1-2-grams (and character n-grams within words) as one sparse matrix, from fitted
    vectorisers (:func:`_vectorise`, :func:`_features_for`)."""

    def __init__(self, parts: list[TfidfVectorizer]):
        self.parts = parts

    def transform(self, texts: list[str]):
        mats = [p.transform(texts) for p in self.parts]
        return mats[0] if len(mats) == 1 else sp.hstack(mats, format="csr")


def _fit_part(texts: list[str], links: str, kind: str, min_df: int | None = None
              ) -> tuple[TfidfVectorizer, object, int]:
    """A fitted block, its matrix and its min_df: terms seen in one text only are dropped
    (min_df=2) unless that leaves nothing (a handful of short examples)."""
    for m in (2, 1) if min_df is None else (min_df,):
        vec = _part(links, kind, m)
        try:
            X = vec.fit_transform(texts)
        except ValueError:  # no term in two texts
            continue
        if X.shape[1] > 0:
            return vec, X, m
    raise InsufficientData("the texts hold no word of two or more letters. Give texts with words.")


def _vectorise(texts: list[str], links: str, characters: bool, unspaced: bool = False
               ) -> tuple[_Features, object]:
    """Fitted features and the matrix of these texts."""
    words, X, min_df = _fit_part(texts, links, "words")
    if not characters:
        return _Features([words]), X
    chars, C = _fit_part(texts, links, _chars(unspaced), min_df)[:2]
    return _Features([words, chars]), sp.hstack([X, C], format="csr")


def _model(C: float, seed: int = 0) -> LogisticRegression:
    return LogisticRegression(C=C, solver=FINAL_SOLVER, max_iter=2000, tol=FINAL_TOL, random_state=seed)


FINAL_SOLVER = "saga"
FINAL_TOL = 1e-3


def _canonical(texts: list[str], labels: list[str]) -> np.ndarray:
    """Row order that does not depend on the input's: by text, then label."""
    return np.asarray(sorted(range(len(texts)), key=lambda i: (texts[i], labels[i])), dtype=int)


def _inner_sample(y: np.ndarray, seed: int) -> np.ndarray:
    """At most CHOICE_ROWS rows, stratified, deterministic (positions in canonical order)."""
    n = len(y)
    if n <= CHOICE_ROWS:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    keep: list[np.ndarray] = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        m = max(CHOICE_FOLDS, int(round(len(rows) * CHOICE_ROWS / n)))
        keep.append(rng.choice(rows, min(m, len(rows)), replace=False))
    return np.sort(np.concatenate(keep))


def _inner_accuracy(X, y: np.ndarray, Cs: tuple[float, ...], seed: int,
                    starts: dict | None = None, right: dict | None = None
                    ) -> dict[float, float]:
    """Inner cross-validated accuracy of the logistic regression for each C.

    The features were fitted on all the texts (vocabulary and IDF use no label), so only the
    regression is refitted per fold: the choice costs regressions, not vectorising. The inner
    fits use SAGA with a loose tolerance, ascending C, each starting from the last one's
    coefficients: on unit-length TF-IDF rows it reaches the ranking in a few passes. ``starts``,
    when given, receives per C the folds' mean coefficients and intercepts (where the final fit
    may start from); ``right``, per C whether each text was predicted right (for
    :func:`_beats`).
    """
    hits = dict.fromkeys(Cs, 0)
    ok = {C: np.zeros(len(y), dtype=bool) for C in Cs}
    folds = StratifiedKFold(CHOICE_FOLDS, shuffle=True, random_state=seed)
    for tr, te in folds.split(np.zeros(len(y)), y):
        model = LogisticRegression(solver="saga", tol=CHOICE_TOL, max_iter=100, warm_start=True,
                                   random_state=seed)
        Xtr, Xte = X[tr], X[te]
        for C in sorted(Cs):
            pred = model.set_params(C=C).fit(Xtr, y[tr]).predict(Xte)
            ok[C][te] = pred == y[te]
            hits[C] += int(ok[C][te].sum())
            if starts is not None:
                coef, icpt = starts.get(C, (0.0, 0.0))
                starts[C] = (coef + model.coef_ / CHOICE_FOLDS,
                             icpt + model.intercept_ / CHOICE_FOLDS)
    if right is not None:
        right.update(ok)
    return {C: hits[C] / len(y) for C in Cs}


def _beats(new: np.ndarray, old: np.ndarray, margin: float) -> bool:
    """Whether a candidate that got the texts ``new`` right (the one it would replace ``old``)
    is better beyond the inner CV's noise: its gain in accuracy exceeds ``margin`` and
    :data:`CHOICE_Z` standard errors of the paired per-text difference."""
    d = new.astype(float) - old
    gain = float(d.mean())
    se = float(d.std(ddof=1)) / np.sqrt(len(d)) if len(d) > 1 else 0.0
    return gain > max(margin, CHOICE_Z * se)


def _best_c(acc: dict[float, float], right: dict[float, np.ndarray], base: float) -> float:
    """The C with the best accuracy, unless it does not beat ``base``'s (:func:`_beats`)."""
    best = max(sorted(acc), key=lambda c: acc[c])
    return best if best != base and _beats(right[best], right[base], CHOICE_MARGIN) else base


def _marked(texts: list[str]) -> int:
    return sum(1 for t in texts if _URL.search(t) or _MENTION.search(t) or _TAG.search(t)
               or _EMAIL.search(t))


#: Blocks fitted on all the training texts during the choice, by (links, "words"/"chars"):
#: the vectoriser and its matrix, reused by the final fit.
_Fitted = dict[tuple[str, str], tuple[TfidfVectorizer, object]]


def choose_preparation(texts: list[str], labels: list[str], seed: int = 0
                       ) -> tuple[Preparation, _Fitted, tuple | None]:
    """The preparation with the best inner cross-validated accuracy on these texts (canonical
    order), the feature blocks it fitted on all of them (for the final fit to reuse) and, when
    the chosen preparation's blocks are all among them, the inner folds' mean coefficients and
    intercepts at its C (for the final fit to start from; else None).

    Candidates, simplest first (a later one must win by :data:`CHOICE_MARGIN` and
    :data:`CHOICE_Z` standard errors, :func:`_beats`):

    1. links and mentions kept as tokens (as a plain TF-IDF script sees them), word 1-2-grams,
       C in :data:`CHOICE_C` (1 unless a larger C wins by the margin);
    2. links, mentions and markup removed (only when enough texts have them), at the best C;
    3. character 3-grams added (only for short texts, :data:`CHOICE_CHAR_MAX_LEN`), at that C.
    Scripts without spaces always get character n-grams (:func:`needs_characters`).

    Cost: the word features of candidate 1 are fitted once on all the texts (the final model
    needs them anyway) and their rows of the inner sample are cross-validated; vocabulary and
    IDF then include each inner fold's held-out texts. That leak uses no label, is the same for
    every candidate and only ranks them; the reported figures (TEXT_CLASSIFY_METRICS) refit
    everything inside each outer fold. The other candidates' blocks are fitted on the inner
    sample only (on all the texts later, if chosen), and the character block is stacked beside
    the word block already made, never recomputed with it.
    """
    y = np.asarray(labels, dtype=object)
    forced = needs_characters(texts)
    counts = np.unique(y, return_counts=True)[1]
    if len(texts) < CHOICE_MIN_TEXTS or counts.min() < CHOICE_FOLDS:
        return (Preparation(characters=forced, unspaced=forced,
                            rule="too few examples to choose on"), {}, None)
    rows = _inner_sample(y, seed)
    full = len(rows) == len(texts)
    sample, ys = [texts[i] for i in rows], y[rows]
    marked = _marked(sample) >= max(2, CHOICE_MARKED_SHARE * len(sample))
    # The plain word block on all the texts (the final fit reuses it), unless "removed" may
    # win on a large set: then both are tried on the sample and the chosen one made on all.
    on_all = texts if full or not marked else sample
    words, Xw, min_df = _fit_part(on_all, "kept", "words")
    fitted: _Fitted = {("kept", "words"): (words, Xw)} if on_all is texts else {}

    def block(links: str, kind: str):
        """The block's rows of the inner sample (fitted on the sample, or on all the texts)."""
        if (links, kind) in fitted:
            return fitted[links, kind][1][rows]
        if (links, kind) == ("kept", "words"):
            return Xw
        vec, X = _fit_part(sample, links, _chars(forced) if kind == "chars" else kind,
                           min_df)[:2]
        if full:
            fitted[links, kind] = (vec, X)
        return X

    def matrix(links: str, characters: bool):
        X = block(links, "words")
        return sp.hstack([X, block(links, "chars")], format="csr") if characters else X

    starts: dict = {}
    right: dict = {}
    acc = _inner_accuracy(matrix("kept", forced), ys, CHOICE_C, seed, starts, right)
    C = _best_c(acc, right, CHOICE_C[0])
    best = Preparation("kept", forced, C, acc[C], "chosen by inner cross-validation", forced)
    start, best_right = starts[C], right[C]
    if marked:
        starts, right = {}, {}
        a = _inner_accuracy(matrix("removed", forced), ys, (C,), seed, starts, right)[C]
        if _beats(right[C], best_right, CHOICE_MARGIN):
            best = Preparation("removed", forced, C, a, best.rule, forced)
            start, best_right = starts[C], right[C]
    mean_len = float(np.mean([len(t) for t in sample]))
    if not forced and mean_len <= CHOICE_CHAR_MAX_LEN:
        # Cold: started from the word candidate's solutions (zeros for the characters) SAGA
        # took twice as long on the course titles, and the final fit a third more passes.
        starts, right = {}, {}
        a = _inner_accuracy(matrix(best.links, True), ys, (C,), seed, starts, right)[C]
        if _beats(right[C], best_right, CHOICE_MARGIN):
            best, start = Preparation(best.links, True, C, a, best.rule), starts[C]
    blocks = [(best.links, "words")] + [(best.links, "chars")] * best.characters
    return best, fitted, (start if all(b in fitted for b in blocks) else None)


def _features_for(prep: Preparation, texts: list[str], fitted: _Fitted
                  ) -> tuple[_Features, object]:
    """The chosen preparation's features and matrix on all the texts, reusing fitted blocks."""
    if (prep.links, "words") not in fitted:
        return _vectorise(texts, prep.links, prep.characters, prep.unspaced)
    words, X = fitted[prep.links, "words"]
    if not prep.characters:
        return _Features([words]), X
    if (prep.links, "chars") in fitted:
        chars, C = fitted[prep.links, "chars"]
    else:
        chars, C = _fit_part(texts, prep.links, _chars(prep.unspaced), words.min_df)[:2]
    return _Features([words, chars]), sp.hstack([X, C], format="csr")


@dataclass
class TextClassifier:
    """A fitted classifier: ``classes`` in the model's order, and the preparation chosen."""

    features: _Features
    model: LogisticRegression
    classes: list[str]
    preparation: Preparation

    def predict(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        """The most likely label of each text and its probability."""
        check_sizes(texts, MAX_SCORE_CHARS, Fix.SPLIT_TEXTS)
        with one_thread():
            proba = self.model.predict_proba(self.features.transform(texts))
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


def _fit(texts: list[str], labels: list[str], seed: int) -> TextClassifier:
    order = _canonical(texts, labels)
    texts, labels = [texts[i] for i in order], [labels[i] for i in order]
    with one_thread():
        prep, fitted, start = choose_preparation(texts, labels, seed)
        feats, X = _features_for(prep, texts, fitted)
        model = _model(prep.C, seed)
        if start is not None:  # the inner folds' mean solution: fewer passes to converge
            model.set_params(warm_start=True)
            model.coef_, model.intercept_ = start
        model.fit(X, np.asarray(labels, dtype=object))
    return TextClassifier(feats, model, [str(c) for c in model.classes_], prep)


def fit_classifier(texts: list[str], labels: list[str], seed: int = 0) -> TextClassifier:
    """Learn the user's categories from labelled texts (at least 2 examples per category); the
    text preparation is chosen on them (:func:`choose_preparation`)."""
    check_sizes(texts, MAX_CLASSIFY_CHARS, most_texts=MAX_CLASSIFY_TEXTS)
    _check_labels(labels, 2)
    return _fit(texts, labels, seed)


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
    preparation: Preparation | None = None  # what TEXT_CLASSIFY uses on all these texts


def cross_validate(texts: list[str], labels: list[str], *, folds: int = 5,
                   seed: int = 0) -> ClassifierScores:
    """Stratified ``folds``-fold cross-validation of :func:`fit_classifier`'s model, its text
    preparation chosen again inside each fold (so the figure is honest), and the preparation
    chosen on all the texts (what TEXT_CLASSIFY uses)."""
    check_sizes(texts, MAX_METRICS_CHARS, Fix.SAMPLE_OR_NO_CV, MAX_METRICS_TEXTS)
    classes = _check_labels(labels, folds)
    order = _canonical(texts, labels)
    y = np.asarray(labels, dtype=object)[order]
    X = np.asarray(texts, dtype=object)[order]
    pred = np.empty(len(y), dtype=object)
    for tr, te in order_free_folds(y, folds, seed, X):
        pred[te] = _fit(list(X[tr]), list(y[tr]), seed).predict(list(X[te]))[0]
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    with one_thread():  # what _fit would choose on all the texts, without fitting
        chosen = choose_preparation(list(X), list(y), seed)[0]
    return ClassifierScores(classes, p, r, f, s, float(accuracy_score(y, pred)), float(f.mean()),
                            folds, chosen)


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
    check_sizes(texts, MAX_KEYWORDS_CHARS)
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
    check_sizes(texts, MAX_TOPICS_CHARS)
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
    with one_thread():
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
    check_sizes(texts, MAX_SENTIMENT_CHARS, Fix.SPLIT_TEXTS)
    bad = _not_english(texts)
    if bad is not None:
        sample = texts[bad][:40]
        raise NotEnglish(bad, sample)
    an = _analyzer()
    plain = [_EMAIL.sub(" ", _URL.sub(" ", html.unescape(_TAG.sub(" ", t)))) for t in texts]
    return np.array([an.polarity_scores(t)["compound"] for t in plain], dtype=float)

"""Customer texts: TEXT_CLASSIFY(_METRICS), TEXT_KEYWORDS, TEXT_TOPICS/TEXT_TOPIC, SENTIMENT."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tests import officejs
from xlmarketing.cache import CACHE
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

PRAISE = ["Great product, I love it", "Love the quality, great value", "Excellent, works great",
          "Really happy with it, love it", "Great service and great price"]
COMPLAINT = ["It broke after a day, awful", "Terrible quality, broke fast", "Awful service, never again",
             "Broken on arrival, terrible", "Refund please, it is awful"]
QUESTION = ["When will my order ship?", "Where is my order?", "How do I track the order?",
            "Can I change the order address?", "When does the order arrive?"]


def corpus(header: bool = True) -> tuple[list[list], list[list]]:
    texts = PRAISE + COMPLAINT + QUESTION
    labels = ["praise"] * 5 + ["complaint"] * 5 + ["question"] * 5
    t = [[x] for x in texts]
    y = [[x] for x in labels]
    return ([["Review"]] + t, [["Category"]] + y) if header else (t, y)


def test_classify_learns_the_users_categories_and_aligns_with_the_rows():
    text, labels = corpus()
    out = REGISTRY["TEXT_CLASSIFY"](text, labels)
    assert out[0] == ["Predicted category", "Probability"]
    assert [r[0] for r in out[1:]] == [y[0] for y in labels[1:]]      # fits its own examples
    new = [["Review"], ["I love it, great quality"], [None], ["It is broken, awful"],
           ["Where is the order now?"]]
    got = REGISTRY["TEXT_CLASSIFY"](text, labels, new)
    assert got[0] == ["Predicted category", "Probability"]
    assert [r[0] for r in got[1:]] == ["praise", "", "complaint", "question"]
    assert got[2] == ["", ""]                                           # blank in, blank out
    assert all(1 / 3 < r[1] <= 1 for r in got[1:] if r[0])
    # One cell: the fill-down form, no header row assumed.
    one = REGISTRY["TEXT_CLASSIFY"](text, labels, "It is broken, awful")
    assert one == [got[3]]


def test_chinese_is_classified_without_a_word_segmenter():
    good = ["这个产品很好，非常满意", "质量很好，很喜欢", "非常好用，推荐购买", "很满意，质量好", "服务很好，很喜欢"]
    bad = ["质量太差了，很失望", "坏了，非常失望", "太差了，不推荐", "很失望，退货", "差评，质量太差"]
    text = [[t] for t in good + bad]
    labels = [["好评"]] * 5 + [["差评"]] * 5
    got = REGISTRY["TEXT_CLASSIFY"](text, labels, [["非常喜欢，质量很好"], ["太失望了，质量差"]])
    assert [r[0] for r in got] == ["好评", "差评"]


def test_classify_metrics_are_cross_validated_per_category():
    text, labels = corpus()
    m = REGISTRY["TEXT_CLASSIFY_METRICS"](text, labels, 5)
    assert m[0] == ["Category", "Precision", "Recall", "F1", "Texts"]
    per = {r[0]: r for r in m[1:4]}
    assert set(per) == {"praise", "complaint", "question"}
    assert all(r[4] == 5 for r in per.values())
    acc = next(r for r in m if r[0] == "Accuracy")
    assert acc[3] >= 0.8 and acc[4] == 15
    macro = next(r for r in m if r[0] == "Macro F1")
    assert macro[3] == pytest.approx(np.mean([r[3] for r in per.values()]), abs=1e-3)


def test_keywords_name_what_each_group_says_that_others_do_not():
    text, labels = corpus()
    kw = REGISTRY["TEXT_KEYWORDS"](text, labels, 2)
    assert kw[0] == ["Group", "Keyword", "Score", "Texts in group", "Texts elsewhere"]
    top = {}
    for g, term, score, n_in, _elsewhere in kw[1:]:
        top.setdefault(g, []).append(term)
        assert score > 0 and n_in >= 2
    assert top["question"][0] == "order"                  # in all 5 questions, nowhere else
    assert "great" in top["praise"] and ("awful" in top["complaint"] or "broke" in top["complaint"])


def test_html_and_links_are_cleaned_out_of_the_features_not_out_of_the_cells():
    text = [["Review"]] + [[f"<p>Great product <b>love</b> it</p> https://shop.example/item/{i}"]
                          for i in range(4)] + [[f"Awful, broke<br/> www.example.com/{i}"]
                                                for i in range(4)]
    labels = [["Group"]] + [["good"]] * 4 + [["bad"]] * 4
    kw = REGISTRY["TEXT_KEYWORDS"](text, labels, 10)
    terms = {r[1] for r in kw[1:]}
    assert terms and not terms & {"https", "shop", "example", "www", "br", "com", "item", "p"}
    got = REGISTRY["TEXT_CLASSIFY"](text, labels)
    assert len(got) == len(text)                          # the cells themselves are untouched


def test_planted_topics_are_recovered():
    rng = np.random.default_rng(0)
    pools = [["delivery", "courier", "late", "package", "shipping", "arrived"],
             ["battery", "charge", "screen", "power", "charger", "display"],
             ["refund", "return", "money", "policy", "exchange", "receipt"]]
    truth = rng.integers(0, 3, 150)
    texts = [[" ".join(rng.choice(pools[t], 5)) + " the product"] for t in truth]
    got = REGISTRY["TEXT_TOPIC"](texts, 3)
    assert len(got) == 150 and all(0 < r[1] <= 1 for r in got)
    assert adjusted_rand_score(truth, [r[0] for r in got]) > 0.95
    table = REGISTRY["TEXT_TOPICS"](texts, 3, 3)
    assert table[0] == ["Topic", "Top words", "Texts", "Share"]
    assert sum(r[2] for r in table[1:]) == 150
    assert [r[2] for r in table[1:]] == sorted((r[2] for r in table[1:]), reverse=True)
    for r in table[1:]:                                    # each topic's words come from one pool
        words = set(r[1].split(", "))
        assert any(words <= set(p) for p in pools)


def test_sentiment_equals_vader_and_refuses_other_languages_with_the_way_forward():
    texts = ["I love this, it is great!", "This is terrible and I hate it.", None, 15.0,
             "The package arrived on Tuesday."]
    out = REGISTRY["SENTIMENT"]([[t] for t in texts])
    vader = SentimentIntensityAnalyzer()
    expect = [round(vader.polarity_scores(t)["compound"], 4) for t in
              ["I love this, it is great!", "This is terrible and I hate it.", "15",
               "The package arrived on Tuesday."]]
    assert [r[0] for r in out if r[0] != ""] == expect and out[2] == [""]
    assert out[0][0] > 0.5 and out[1][0] < -0.5
    with pytest.raises(XLMError, match=r"^#VALUE! SENTIMENT: text 2 \('这个产品很好'\) does not look "
                                       r"like English.*use TEXT_CLASSIFY\.$"):
        REGISTRY["SENTIMENT"]([["Great"], ["这个产品很好"]])
    # the row named is the range's own row: blanks and the header count
    with pytest.raises(XLMError, match=r"^#VALUE! SENTIMENT: text 4 \('这个产品很好'\)"):
        REGISTRY["SENTIMENT"]([["Review"], ["Great"], [None], ["这个产品很好"]])


def test_cached_and_deterministic():
    text, labels = corpus()
    CACHE.clear()
    a = REGISTRY["TEXT_CLASSIFY"](text, labels)
    b = REGISTRY["TEXT_CLASSIFY"](text, labels, "love it")
    c = REGISTRY["TEXT_CLASSIFY"](text, labels)
    assert a == c and CACHE.fits.get("text_classify") == 1 and b
    t1 = REGISTRY["TEXT_TOPICS"](text, 3)
    CACHE.clear()
    assert REGISTRY["TEXT_TOPICS"](text, 3) == t1


@pytest.mark.parametrize("call, message", [
    (lambda t, y: REGISTRY["TEXT_CLASSIFY"](t, y[:-2]),
     "#VALUE! TEXT_CLASSIFY: labels has 13 rows but train_text has 15 (plus a header row). Select the same rows for both."),
    (lambda t, y: REGISTRY["TEXT_CLASSIFY"](t, [["Category"]] + [["praise"]] * 15),
     "#NUM! TEXT_CLASSIFY: the labels hold only one category ('praise'). Label examples of at least two categories."),
    (lambda t, y: REGISTRY["TEXT_CLASSIFY"](t, y, [["x" * 40_000]]),
     "#NUM! TEXT_CLASSIFY: text 1 has 40,000 characters; at most 32,767 (one Excel cell) are read. Shorten it."),
    (lambda t, y: REGISTRY["TEXT_TOPICS"](t, None),
     "#VALUE! TEXT_TOPICS: k is missing. Enter how many topics to find, e.g. 5."),
    (lambda t, y: REGISTRY["TEXT_TOPICS"](t, 9),
     "#NUM! TEXT_TOPICS: 9 topics need at least 18 texts, got 15. Give more texts or ask for fewer topics."),
    (lambda t, y: REGISTRY["TEXT_CLASSIFY_METRICS"](t, y, 6),
     "#NUM! TEXT_CLASSIFY_METRICS: category 'complaint' has 5 example(s); at least 6 per category are needed. Label more examples of it or leave it out."),
])
def test_bad_input_gets_one_clear_line(call, message):
    text, labels = corpus()
    with pytest.raises(XLMError) as e:
        call(text, labels)
    assert str(e.value) == message


def test_through_the_officejs_entry_point():
    text, labels = corpus()
    res = officejs.call([
        ("TEXT_CLASSIFY", [text, labels, [["Awful, it broke"]], [[None]]]),
        ("SENTIMENT", [[["I love it"], [None], ["awful"]], [[None]]]),
        ("TEXT_TOPICS", [text, [[2]], [[None]], [[None]], [[None]]]),
        ("TEXT_CLASSIFY", [text, [["Category"], ["praise"]], [[None]], [[None]]]),
    ])
    assert res[0]["value"] == [["complaint", pytest.approx(res[0]["value"][0][1])]]
    assert res[1]["value"][0][0] > 0 and res[1]["value"][1] == [""] and res[1]["value"][2][0] < 0
    assert res[2]["value"][0] == ["Topic", "Top words", "Texts", "Share"]
    assert res[3]["error"] == "XlwingsError" and res[3]["message"].startswith(
        "#VALUE! TEXT_CLASSIFY: labels has 2 rows but train_text has 16. Select the same rows")


# Short reviews, both ways: two-word English ones are scored, two-word German, Spanish, French,
# Italian and Dutch ones are refused (VADER would score "Absolut fantastisch" -0.84 otherwise).
SHORT_ENGLISH = ["Great value", "Fast shipping", "Love it", "Works fine", "Broke after two days",
                 "Terrible", "ok", "Arrived late, box damaged", "Five stars", "Would buy again",
                 "Good quality for the price", "Not worth it", "Cheap and cheerful", "Meh",
                 "Excellent", "Very happy", "Poor fit", "Runs small", "Nice colour",
                 "Perfect gift", "Awful customer service", "Highly recommend", "So comfy",
                 "Fell apart", "As described", "Decent", "Waste of money", "Super fast delivery",
                 "Amazing!", "Not bad", "Too expensive", "Good"]
SHORT_OTHER = ["Sehr gut, schnelle Lieferung", "Absolut fantastisch, ich bin begeistert!",
               "Muy bueno", "Excelente producto, llegó rápido", "Très bien", "Perfetto",
               "Prima product, snel geleverd", "Nicht gut", "Me encanta", "No funciona",
               "Ottimo prodotto", "Produit de mauvaise qualité", "Geht so"]


def test_short_english_reviews_are_scored():
    out = REGISTRY["SENTIMENT"]([[t] for t in SHORT_ENGLISH])
    scores = [r[0] for r in out]
    assert len(scores) == len(SHORT_ENGLISH) and all(isinstance(v, float) for v in scores)
    assert scores[0] > 0.5 and scores[5] < -0.4  # "Great value", "Terrible"


@pytest.mark.parametrize("text", SHORT_OTHER)
def test_short_reviews_in_other_languages_are_refused(text):
    texts = [[t] for t in SHORT_ENGLISH[:10]] + [[text]]
    with pytest.raises(XLMError, match=r"text 11 .*does not look like English"):
        REGISTRY["SENTIMENT"](texts)


def test_identical_texts_get_their_own_message():
    with pytest.raises(XLMError, match=r"all 12 texts are the same"):
        REGISTRY["TEXT_TOPICS"]([["Where is my parcel?"]] * 12, 2)


def test_texts_without_a_topic_get_a_row_and_shares_add_up():
    # 6 tickets about refunds, 6 about delivery, 6 one-offs sharing no word with any other.
    texts = ([f"refund not received for order {i}, refund please" for i in range(6)]
             + [f"delivery late again, delivery driver lost parcel {i}" for i in range(6)]
             + ["zebra", "quantum", "violin", "avocado", "glacier", "saxophone"])
    out = REGISTRY["TEXT_TOPICS"]([[t] for t in texts], 2)
    assert out[-1][0] == "No topic" and out[-1][2] == 6
    assert sum(r[2] for r in out[1:]) == 18
    assert sum(r[3] for r in out[1:]) == pytest.approx(1.0, abs=1e-3)

"""customer_reviews.xlsx: built, refreshed headless, and every figure checked independently."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from xlmarketing import samples, templates
from xlmarketing.templates import reviews
from xlmarketing.workbook import refresh_workbook


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    out = tmp_path_factory.mktemp("reviews")
    src = templates.build(reviews.FILE, out)
    rep = refresh_workbook(src, out / "refreshed.xlsx")
    return load_workbook(out / "refreshed.xlsx", data_only=True), rep


def test_refresh_fills_every_result_without_errors(refreshed):
    _, rep = refreshed
    assert rep.errors == []
    assert sorted(rep.refreshed) == ["SENTIMENT", "TEXT_CLASSIFY", "TEXT_CLASSIFY_METRICS",
                                     "TEXT_KEYWORDS", "TEXT_TOPIC", "TEXT_TOPICS"]


def test_sentiment_and_the_monthly_table_equal_an_independent_computation(refreshed):
    wb, _ = refreshed
    data = samples.reviews(reviews.N_REVIEWS, labelled=reviews.N_LABELLED)
    vader = SentimentIntensityAnalyzer()
    expect = np.array([vader.polarity_scores(t)["compound"] for t in data["Review"]])
    rv = wb[reviews.REVIEWS]
    got = np.array([r[0] for r in rv.iter_rows(min_row=2, min_col=8, max_col=8, values_only=True)])
    assert rv["H1"].value == "Sentiment"
    assert np.allclose(got, np.round(expect, 4))

    ins = wb[reviews.INSIGHTS]
    frame = pd.DataFrame({"month": pd.to_datetime(data["Date"]).dt.to_period("M"),
                          "s": np.round(expect, 4)})
    by_month = frame.groupby("month")["s"].agg(["count", "mean"])
    rows = list(ins.iter_rows(min_row=7, max_row=7 + reviews.MONTHS - 1, min_col=13, max_col=15,
                              values_only=True))
    assert rows[0][0] == dt.datetime(2024, 1, 1)
    for month, count, mean in rows:
        p = pd.Period(month, "M")
        assert count == by_month.loc[p, "count"]
        assert mean == pytest.approx(by_month.loc[p, "mean"])
    kpi = {ins.cell(row=r, column=1).value: ins.cell(row=r, column=4).value for r in range(6, 10)}
    assert kpi["Reviews"] == len(data)
    assert kpi["Average sentiment (-1 to 1)"] == pytest.approx(np.round(expect, 4).mean())
    assert kpi["Share negative (below -0.05)"] == pytest.approx((np.round(expect, 4) < -0.05).mean())


def test_topics_keywords_and_classifier_find_the_planted_story(refreshed):
    wb, _ = refreshed
    ins = wb[reviews.INSIGHTS]
    topics = [r for r in ins.iter_rows(min_row=15, max_row=14 + reviews.K_TOPICS, max_col=4,
                                       values_only=True)]
    first_words = {r[1].split(", ")[0] for r in topics}
    assert first_words == {"quality", "delivery", "value", "customer"}  # the four planted topics
    assert sum(r[2] for r in topics) == reviews.N_REVIEWS
    kw = {(r[0], r[1]) for r in ins.iter_rows(min_row=15, max_row=26, min_col=6, max_col=7,
                                              values_only=True)}
    assert ("low (1-2)", "broke") in kw and ("high (4-5)", "great") in kw
    acc = next(r for r in ins.iter_rows(min_row=23, max_row=30, max_col=5, values_only=True)
               if r[0] == "Accuracy")
    assert acc[3] > 0.9 and acc[4] == reviews.N_LABELLED
    # The unlabelled half: predictions agree with the tone the rating implies.
    data = samples.reviews(reviews.N_REVIEWS, labelled=reviews.N_LABELLED)
    rv = wb[reviews.REVIEWS]
    pred = [r[0] for r in rv.iter_rows(min_row=2, min_col=11, max_col=11, values_only=True)]
    truth = np.where(data["Rating"] == 3, "question",
                     np.where(data["Rating"] <= 2, "complaint", "praise"))
    unl = data["Category"].isna().to_numpy()
    assert (np.array(pred)[unl] == truth[unl]).mean() > 0.9

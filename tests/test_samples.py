"""The sample-data generators: deterministic, and with the marketing structure they promise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from xlmarketing import samples
from xlmarketing.functions import REGISTRY


@pytest.mark.parametrize("make", [samples.customers, samples.churn_history, samples.churn_current,
                                  lambda: samples.monthly_sales()[0],
                                  lambda: samples.monthly_sales()[1]])
def test_same_call_same_table(make):
    pd.testing.assert_frame_equal(make(), make())


def test_other_seed_other_customers():
    assert not samples.customers(seed=1).equals(samples.customers(seed=2))


def test_customers_have_segments_that_kmeans_finds_again():
    c = samples.customers()
    assert len(c) == 500 and c["Customer ID"].is_unique
    assert set(c["Channel"]) == set(samples.CHANNELS)
    assert (c["Annual spend"] > 0).all() and (c["Orders"] >= 1).all()
    persona = pd.Series(c.attrs["persona"])
    by = c.groupby(persona.to_numpy())
    # The personas differ the way their names say.
    assert by["Annual spend"].median().idxmax() == "Loyal big spenders"
    assert by["Days since last order"].median().idxmax() == "Lapsed"
    assert by["Channel"].agg(lambda s: s.mode()[0])["Online bargain hunters"] == "Web"
    cols = ["Channel", "Annual spend", "Orders", "Days since last order"]
    grid = [cols] + c[cols].to_numpy(dtype=object).tolist()
    labels = np.array([r[0] for r in REGISTRY["KMEANS_SEGMENT"](grid, 4)[1:]])
    # Each segment is dominated by one persona, and the four segments find four personas.
    table = pd.crosstab(labels, persona.to_numpy())
    purity = table.max(axis=1).sum() / len(c)
    assert purity > 0.8
    assert table.idxmax(axis=1).nunique() == 4


def test_churn_follows_its_story():
    h = samples.churn_history()
    assert len(h) == 1200 and set(h["Churned"]) == {"Yes", "No"}
    assert 0.2 < (h["Churned"] == "Yes").mean() < 0.4
    rate = h.assign(y=h["Churned"] == "Yes").groupby("Contract")["y"].mean()
    assert rate["Month-to-month"] > rate["One year"] > rate["Two year"]
    # Recency matches the last purchase date at the history's snapshot, six months back.
    snap = pd.Timestamp(samples.SNAPSHOT) - pd.Timedelta(days=183)
    assert ((snap - h["Last purchase"]).dt.days == h["Days since last purchase"]).all()
    x = pd.get_dummies(h[["Tenure (months)", "Complaints (12 months)", "Days since last purchase",
                          "Age", "Contract"]], dtype=float)
    model = LogisticRegression(max_iter=5000, C=100).fit(x, h["Churned"] == "Yes")
    coef = dict(zip(x.columns, model.coef_[0]))
    assert coef["Tenure (months)"] < 0
    assert coef["Complaints (12 months)"] > 0.3
    assert coef["Days since last purchase"] > 0
    assert coef["Contract_Month-to-month"] > coef["Contract_Two year"] + 1


def test_current_customers_are_scored_on_the_same_columns():
    h, c = samples.churn_history(), samples.churn_current()
    assert list(c.columns) == list(h.columns[:-1])
    assert c["Customer ID"].is_unique and not set(c["Customer ID"]) & set(h["Customer ID"])
    assert (c["Last purchase"] <= pd.Timestamp(samples.SNAPSHOT)).all()


def test_sales_have_trend_season_price_and_promotion():
    hist, plan = samples.monthly_sales()
    assert len(hist) == 60 and len(plan) == 12
    assert hist["Month"].iloc[-1] == pd.Timestamp(2025, 12, 1)
    assert plan["Month"].iloc[0] == pd.Timestamp(2026, 1, 1)
    assert list(plan.columns) == ["Month", "Price", "Promotion"]
    assert set(hist["Promotion"]) == {0, 1}
    # Log-linear regression recovers the story: growth, December peak, elasticity, uplift.
    y = np.log(hist["Units sold"].to_numpy(dtype=float))
    month = hist["Month"].dt.month.to_numpy()
    X = np.column_stack([np.arange(len(hist)), np.log(hist["Price"]), hist["Promotion"]]
                        + [(month == m).astype(float) for m in range(2, 13)])
    fit = LinearRegression().fit(X, y)
    trend, elasticity, promo = fit.coef_[:3]
    assert 0.005 < trend < 0.02
    assert -2.0 < elasticity < -0.8
    assert 0.12 < promo < 0.35
    december = fit.coef_[3 + 10]
    assert december > 0.3  # December well above January

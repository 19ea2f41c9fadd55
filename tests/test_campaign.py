"""campaign_response.xlsx and its generated data: the story is in the data, and a headless
refresh fills every result with figures that agree with each other."""

import numpy as np
import pytest
from openpyxl import load_workbook

from xlmarketing import samples, templates
from xlmarketing.core.models import AUTO_SVM_ROWS, CANDIDATES
from xlmarketing.templates import campaign
from xlmarketing.workbook import refresh_workbook


def test_campaign_data_is_deterministic_and_tells_its_story():
    h = samples.campaign_history()
    assert h.equals(samples.campaign_history())
    assert len(h) == campaign.N_HISTORY and set(h["Responded"]) == {"Yes", "No"}
    yes = h["Responded"] == "Yes"
    assert 0.08 < yes.mean() < 0.25
    # The planted interactions: SMS works for the under-30s, the discount for coupon users.
    sms = h["Offer channel"] == "SMS"
    young = h["Age"] < 30
    assert yes[sms & young].mean() > 2 * yes[sms & ~young].mean()
    disc = h["Offer"] == "20% discount"
    assert yes[disc & (h["Coupons redeemed"] >= 2)].mean() > 2 * yes[disc & (h["Coupons redeemed"] == 0)].mean()
    # Age bands follow ages; gender and age band stay out of the model columns.
    assert list(h["Age band"]) == samples.age_band(h["Age"].to_numpy())
    assert not {"Gender", "Age band", "Customer ID", "Responded"} & set(campaign.MODEL_COLS)
    cols = list(h.columns)
    assert cols[cols.index(campaign.MODEL_COLS[0]):cols.index(campaign.MODEL_COLS[-1]) + 1] == campaign.MODEL_COLS
    p = samples.campaign_prospects()
    assert len(p) == campaign.N_PROSPECTS and "Responded" not in p


pytestmark = pytest.mark.usefixtures("cache_cleared_after")


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    out = tmp_path_factory.mktemp("campaign")
    path = templates.build(campaign.FILE, out)
    report = refresh_workbook(path, in_place=True, formula_engine="none")
    assert report.ok, report.lines()
    return load_workbook(path, data_only=True)


def _block(ws, anchor, rows, cols):
    c = ws[anchor]
    return [[ws.cell(row=c.row + i, column=c.column + j).value for j in range(cols)]
            for i in range(rows)]


def test_refreshed_workbook_has_consistent_results(refreshed):
    wb = refreshed
    lift = _block(wb[campaign.CAMPAIGN], campaign.LIFT_AT, campaign.BINS + 1, 9)
    assert lift[0][:3] == ["Group", "Customers", "Positives"]
    rows = lift[1:]
    assert sum(r[1] for r in rows) == campaign.N_HISTORY
    captured = [r[6] for r in rows]
    assert captured == sorted(captured) and captured[-1] == pytest.approx(1.0)
    assert rows[0][3] > rows[-1][3]                              # the top decile responds more
    roc = _block(wb[campaign.CAMPAIGN], campaign.ROC_AT, campaign.ROC_POINTS + 1, 3)
    tpr = [r[1] for r in roc[1:]]
    assert tpr == sorted(tpr) and tpr[-1] == 1
    compare = _block(wb[campaign.MODELS_SHEET], campaign.COMPARE_AT, len(CANDIDATES) + 1, 10)
    assert [r[0] for r in compare[1:]] == [c.name for c in CANDIDATES]  # svm and neural too
    assert campaign.N_HISTORY <= AUTO_SVM_ROWS
    assert [r[-1] for r in compare[1:]].count("auto picks") == 1
    assert all(0.5 < r[1] < 1 for r in compare[1:])
    drivers = _block(wb[campaign.MODELS_SHEET], campaign.DRIVERS_AT, 17, 5)
    names = [r[0] for r in drivers[1:]]
    assert not any(n.startswith(("Gender", "Age band")) for n in names)
    assert drivers[1][4] > 0
    for anchor, groups in ((campaign.GENDER_AT, ["Female", "Male"]),
                           (campaign.AGE_AT, ["18-29", "30-44", "45-59", "60+"])):
        fair = _block(wb[campaign.FAIRNESS], anchor, len(groups) + 6, 8)
        assert [r[0] for r in fair[1:1 + len(groups)]] == groups
        assert sum(r[1] for r in fair[1:1 + len(groups)]) == campaign.N_HISTORY
        gaps = {r[0]: r[1] for r in fair[-3:]}
        sel = [r[4] for r in fair[1:1 + len(groups)]]
        assert gaps["Demographic parity difference"] == pytest.approx(max(sel) - min(sel))
    scores = _block(wb[campaign.PROSPECTS], campaign.SCORE_AT, campaign.N_PROSPECTS + 1, 1)
    p = np.array([r[0] for r in scores[1:]], dtype=float)
    assert p.shape == (campaign.N_PROSPECTS,) and np.all((p > 0) & (p < 1))

"""CHURN_PROB, CHURN_METRICS, CHURN_DRIVERS and CHURN_REASONS: known answers, label forms,
column matching, dates, the fill-down cache pattern and clear errors."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from xlmarketing.cache import CACHE
from xlmarketing.core import churn as core
from xlmarketing.core import limits
from xlmarketing.core.kinds import CATEGORY, DATE, NUMBER
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

PROB = REGISTRY["CHURN_PROB"]
METRICS = REGISTRY["CHURN_METRICS"]
DRIVERS = REGISTRY["CHURN_DRIVERS"]
REASONS = REGISTRY["CHURN_REASONS"]

HEADER = ["Tenure", "Spend", "SupportCalls", "Contract", "LastPurchase", "Gender"]
REF = dt.datetime(2024, 6, 30)
CONTRACT = {"Monthly": 1.2, "Annual": 0.0, "Two-year": -1.0}


def customers(n=3000, seed=0):
    """Customers with a known churn model; returns (rows with header, labels, true probability).

    True log-odds: -1 - 0.06 (tenure - 24) - 0.8 (log spend - 4) + 0.5 (calls - 1.5)
    + contract effect + 0.012 (days since last purchase - 90); gender has no effect.
    """
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n)
    spend = np.round(rng.lognormal(4, 1, n), 2)               # skewed money
    calls = rng.poisson(1.5, n)                              # skewed count
    contract = rng.choice(list(CONTRACT), n, p=[0.5, 0.3, 0.2])
    days = rng.integers(0, 240, n)
    gender = rng.choice(["F", "M"], n)
    z = (-1 - 0.06 * (tenure - 24) - 0.8 * (np.log(spend) - 4) + 0.5 * (calls - 1.5)
         + np.array([CONTRACT[c] for c in contract]) + 0.012 * (days - 90))
    p = 1 / (1 + np.exp(-z))
    y = rng.random(n) < p
    rows = [[int(t), float(s), int(c), str(k), REF - dt.timedelta(days=int(d)), str(g)]
            for t, s, c, k, d, g in zip(tenure, spend, calls, contract, days, gender)]
    return [HEADER] + rows, [["Churned"]] + [["Yes" if v else "No"] for v in y], p


def probs(out, header=True):
    return np.array([np.nan if r[0] == "" else r[0] for r in out[1 if header else 0:]], dtype=float)


@pytest.fixture(scope="module")
def base():
    return customers()


# --------------------------------------------------------------------------- known answers


def test_drivers_recover_signs_and_ranking_of_the_known_model(base):
    data, labels, _ = base
    out = DRIVERS(data, labels)
    assert out[0] == ["Feature", "Coefficient", "Odds ratio", "Direction", "Importance (AUC points)"]
    rows = {r[0]: r[:4] for r in out[1:]}
    assert set(rows) == {"Tenure", "Spend (log)", "SupportCalls", "LastPurchase (days ago)",
                         "Contract = Monthly", "Contract = Annual", "Contract = Two-year",
                         "Gender = F", "Gender = M"}
    for name, sign in [("Tenure", -1), ("Spend (log)", -1), ("SupportCalls", 1),
                       ("LastPurchase (days ago)", 1), ("Contract = Monthly", 1),
                       ("Contract = Two-year", -1)]:
        coef, odds, direction = rows[name][1:]
        assert np.sign(coef) == sign, name
        assert odds == pytest.approx(np.exp(coef))
        assert direction == ("raises churn" if sign > 0 else "lowers churn")
    # Sorted by permutation importance (AUC points, the scale every model shares); tenure
    # (sd 20 months x 0.06) is strongest, gender (no effect) weakest.
    imps = [r[4] for r in out[1:]]
    assert imps == sorted(imps, reverse=True)
    assert out[1][0] == "Tenure" and out[1][4] > 5
    assert all(abs(r[4]) < 0.3 for r in out[1:] if r[0].startswith("Gender"))
    # Gender and "Contract = Annual" (the middle level, close to the average) come last.
    assert {r[0] for r in out[-3:]} == {"Gender = F", "Gender = M", "Contract = Annual"}
    assert abs(rows["Gender = F"][1]) < 0.1 and abs(rows["Gender = M"][1]) < 0.1
    # Standardised coefficients close to the truth: 0.06 x sd(tenure), 0.5 x sd(calls).
    tenure = np.array([r[0] for r in data[1:]], dtype=float)
    calls = np.array([r[2] for r in data[1:]], dtype=float)
    assert rows["Tenure"][1] == pytest.approx(-0.06 * tenure.std(), rel=0.15)
    assert rows["SupportCalls"][1] == pytest.approx(0.5 * calls.std(), rel=0.2)


def test_probabilities_and_cross_validated_auc_match_the_true_model(base):
    data, labels, p_true = base
    y = np.array([r[0] == "Yes" for r in labels[1:]])
    p = probs(PROB(data, labels))
    assert np.corrcoef(p, p_true)[0, 1] > 0.98
    metrics = dict(METRICS(data, labels)[1:])
    assert metrics["ROC AUC"] == pytest.approx(roc_auc_score(y, p_true), abs=0.015)
    assert metrics["Rows used"] == 3000
    assert metrics["Base churn rate"] == pytest.approx(y.mean())


def test_metrics_table_is_consistent_and_threshold_does_not_refit(base):
    data, labels, _ = base
    CACHE.clear()
    out = METRICS(data, labels, 0.5, 5)
    assert out[0] == ["Metric", "Value"]
    m = dict(out[1:])
    assert list(m)[:6] == ["ROC AUC", "ROC AUC (fold std)", "Accuracy", "Precision", "Recall", "F1"]
    tp, fp, tn, fn = (m[k] for k in ("True positives", "False positives", "True negatives",
                                     "False negatives"))
    assert tp + fp + tn + fn == m["Rows used"] == 3000
    assert m["Accuracy"] == pytest.approx((tp + tn) / 3000)
    assert m["Precision"] == pytest.approx(tp / (tp + fp))
    assert m["Recall"] == pytest.approx(tp / (tp + fn))
    assert m["F1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert (tp + fn) / 3000 == pytest.approx(m["Base churn rate"])
    assert m["Folds"] == 5 and m["Threshold"] == 0.5 and m["Churned label"] == "Yes"
    low = dict(METRICS(data, labels, 0.2, 5)[1:])
    assert low["Recall"] > m["Recall"] and low["ROC AUC"] == m["ROC AUC"]
    assert CACHE.fits["churn_cv"] == 1
    CACHE.clear()
    assert METRICS(data, labels, 0.5, 5) == out          # deterministic
    assert dict(METRICS(data, labels, 0.5, 5, None, None, None, None, 7)[1:])["ROC AUC"] != m["ROC AUC"]


def test_reasons_name_what_pushes_each_customer_up(base):
    data, labels, _ = base
    out = REASONS(data, labels)
    assert out[0] == ["Reason 1", "Reason 2", "Reason 3"] and len(out) == len(data)
    risky = [[2, 12.0, 6, "Monthly", REF - dt.timedelta(days=230), "F"]]
    (r,) = REASONS(data, labels, risky, 5)
    # True pushes (log-odds vs the average customer): calls 2.2, tenure 2.0, recency 1.3,
    # spend 1.2, contract 0.8; gender none.
    assert set(r) == {"SupportCalls high (6)", "Tenure low (2)", "LastPurchase long ago (230 days)",
                      "Spend low (12)", "Contract: Monthly"}
    assert set(r[:2]) == {"SupportCalls high (6)", "Tenure low (2)"} and r[-1] == "Contract: Monthly"
    loyal = [[70, 400.0, 0, "Two-year", REF, "M"]]
    (r,) = REASONS(data, labels, loyal)
    assert r == ["", "", ""] or all("Gender" in t for t in r if t)  # nothing real pushes up


# --------------------------------------------------------------------------- labels


LABEL_FORMS = [
    ("ones", lambda y: 1 if y else 0, None),
    ("floats", lambda y: 1.0 if y else 0.0, None),
    ("bools", lambda y: bool(y), None),
    ("TRUE text", lambda y: "TRUE" if y else "FALSE", None),
    ("yes/no", lambda y: "yes" if y else "no", None),
    ("Y/N", lambda y: "Y" if y else "N", None),
    ("churned/active", lambda y: "Churned" if y else "Active", None),
    ("cancelled/renewed", lambda y: "cancelled" if y else "renewed", None),
    ("Lost/Won with positive", lambda y: "Lost" if y else "Won", "Lost"),
    ("A/B with positive", lambda y: "B" if y else "A", "b"),
]


@pytest.mark.parametrize("name,form,positive", LABEL_FORMS, ids=[f[0] for f in LABEL_FORMS])
def test_every_label_form_gives_the_same_model(name, form, positive):
    data, labels, _ = customers(400, seed=2)
    ref = probs(PROB(data, labels))
    y = [r[0] == "Yes" for r in labels[1:]]
    with_header = [["Outcome"]] + [[form(v)] for v in y]   # a header cell above the outcomes
    assert np.allclose(probs(PROB(data, with_header, None, positive)), ref)
    without_header = [[form(v)] for v in y]               # labels selected from row 2
    assert np.allclose(probs(PROB(data, without_header, None, positive)), ref)


def test_positive_option_flips_the_outcome():
    data, labels, _ = customers(400, seed=2)
    p_yes = probs(PROB(data, labels))
    p_no = probs(PROB(data, labels, None, "No"))
    assert np.allclose(p_yes + p_no, 1, atol=1e-6)
    assert dict(METRICS(data, labels, None, None, "no")[1:])["Churned label"] == "No"


def test_labels_as_one_row_and_headerless_data():
    data, labels, _ = customers(300, seed=3)
    ref = probs(PROB(data, labels))
    row = [[r[0] for r in labels[1:]]]
    assert np.allclose(probs(PROB(data, row)), ref)
    out = PROB(data[1:], labels[1:])                   # no header anywhere: no label row out
    assert len(out) == 300 and np.allclose(probs(out, header=False), ref)


# --------------------------------------------------------------------------- score data


def test_score_data_matched_by_header_in_any_order_or_by_position(base):
    data, labels, _ = base
    ref = probs(PROB(data, labels))
    order = [4, 2, 0, 5, 3, 1]
    shuffled = [[r[j] for j in order] for r in data[:21]]
    out = PROB(data, labels, shuffled)
    assert out[0] == ["Churn probability"]
    assert np.allclose(probs(out), ref[:20])
    lower = [[h.lower() for h in data[0]]] + data[1:21]     # header case does not matter
    assert np.allclose(probs(PROB(data, labels, lower)), ref[:20])
    by_position = PROB(data, labels, data[1:21])
    assert len(by_position) == 20 and np.allclose(probs(by_position, header=False), ref[:20])


def test_unseen_categories_blanks_and_blank_rows_in_score_data(base):
    data, labels, _ = base
    rows = [HEADER,
            [24, 50.0, 1, "Weekly", REF, "F"],        # a contract type never seen in training
            [None, None, None, None, None, None],     # a blank customer row
            [24, None, 1, "Monthly", None, None]]      # blanks inside a row: imputed
    out = PROB(data, labels, rows)
    assert len(out) == 4 and out[2] == [""]
    assert 0 < out[1][0] < 1 and 0 < out[3][0] < 1
    # An unseen level scores like a customer with none of the known levels: between the extremes.
    monthly, weekly, two = (PROB(data, labels, [[24, 50.0, 1, c, REF, "F"]])[0][0]
                            for c in ("Monthly", "Weekly", "Two-year"))
    assert two < weekly < monthly
    assert PROB(data, labels, [[None] * 6]) == [[""]]   # fill-down past the last customer
    # header=TRUE applies to score ranges of several rows; a single row is always a customer.
    one = PROB(data, labels, [data[1]], None, None, None, None, None, True)
    assert one == PROB(data, labels, [data[1]])
    assert PROB(data, labels, data[:3], None, None, None, None, None, True)[0] == ["Churn probability"]


def test_dates_become_recency_so_shifting_all_dates_changes_nothing():
    data, labels, _ = customers(500, seed=4)
    ref = probs(PROB(data, labels))
    shifted = [data[0]] + [r[:4] + [r[4] + dt.timedelta(days=365)] + r[5:] for r in data[1:]]
    assert np.allclose(probs(PROB(shifted, labels)), ref)
    # Office.js sends dates as serial numbers: the same model.
    serial = [data[0]] + [r[:4] + [(r[4] - dt.datetime(1899, 12, 30)).days] + r[5:]
                          for r in data[1:]]
    assert np.allclose(probs(PROB(serial, labels)), ref)
    # Scoring with serial dates against a datetime-trained model.
    one = data[7][:4] + [(data[7][4] - dt.datetime(1899, 12, 30)).days] + data[7][5:]
    assert PROB(data, labels, [one])[0][0] == pytest.approx(ref[6])


def test_skewed_money_and_missing_indicators():
    data, labels, _ = customers(800, seed=5)
    holes = [data[0]] + [r[:1] + [None if i % 9 == 0 else r[1]] + r[2:]
                         for i, r in enumerate(data[1:])]
    holes[5][1] = 1e9                                     # one absurd spend value
    names = [r[0] for r in DRIVERS(holes, labels)[1:]]
    assert "Spend (log)" in names and "Spend is blank" in names
    d = {r[0]: r[1] for r in DRIVERS(holes, labels)[1:]}
    assert d["Spend (log)"] < -0.3                        # the outlier did not wreck the effect
    p = probs(PROB(holes, labels))
    assert np.isfinite(p).all() and ((p > 0) & (p < 1)).all()


def test_fill_down_reuses_the_cached_model(base):
    data, labels, _ = base
    CACHE.clear()
    spilled = probs(PROB(data, labels))
    for i in range(1, 301):                               # =CHURN_PROB($A$1:$F$3001, $G$1:$G$3001, A2:F2)
        (cell,) = PROB(data, labels, [data[i]])
        assert cell[0] == pytest.approx(spilled[i - 1])
    REASONS(data, labels, [data[1]])
    DRIVERS(data, labels)
    assert CACHE.fits["churn"] == 1
    assert CACHE.hits >= 302


def _awkward_model():
    """A model whose preparation uses every step: a date, a log scale with a blank indicator,
    a text column with a blank level and one with more levels than are modelled ("(other)")."""
    rng = np.random.default_rng(3)
    n = 600
    spend = np.round(rng.lognormal(4, 1.2, n), 2)
    frame = pd.DataFrame({
        "Spend": np.where(rng.random(n) < 0.1, np.nan, spend),
        "Tenure": rng.integers(1, 72, n).astype(float),
        "Joined": 45000.0 + rng.integers(0, 400, n),
        "Plan": pd.Series(rng.choice(["A", "B", None], n), dtype=object),
        "City": pd.Series([f"c{i}" for i in rng.integers(0, limits.MAX_LEVELS + 10, n)],
                          dtype=object),
    })
    kinds = {"Spend": NUMBER, "Tenure": NUMBER, "Joined": DATE, "Plan": CATEGORY, "City": CATEGORY}
    y = (rng.random(n) < 1 / (1 + np.exp(np.log(spend) - 4))).astype(int)
    model = core.fit(frame, kinds, y)
    prep = model.prep
    assert prep.log_cols == ["Spend"] and prep.blank_cols == ["Spend"]
    assert prep.encoder.others == {"City"} and "(blank)" in prep.encoder.categories["Plan"]
    return model, frame, kinds


@pytest.mark.parametrize("values", [
    [55.5, 3.0, 45210.0, "A", "c1"],
    [np.nan, 70.0, 45000.0, None, "c59"],            # blanks; a City level modelled as (other)
    [0.0, 1.0, 46000.0, "Z", "nowhere"],             # unseen levels; a date after the reference
    [1e300, -5.0, np.nan, np.nan, None],              # absurd number, blank date and texts
    [-20.0, 0.0, 44000.0, "B", "c2"],                 # a negative amount under a log scale
])
def test_one_row_scoring_is_the_frame_path_to_the_bit(values):
    """The fill-down path (a mapping of 1-element columns, :meth:`Prep.row`) builds exactly
    the design row and probability the DataFrame path builds for the same customer."""
    model, _, kinds = _awkward_model()
    one = {c: np.array([v], dtype=object if kinds[c] == CATEGORY else np.float64)
           for c, v in zip(kinds, values)}
    assert model.prep.row(one) is not None                        # the fast path is taken
    assert model.prep.row(pd.DataFrame(one)) is None
    fast, frame_path = model.prep.transform(one), model.prep.transform(pd.DataFrame(one))
    assert fast.shape == frame_path.shape == (1, len(model.prep.names))
    assert fast.tobytes() == frame_path.tobytes()
    assert model.predict_proba(one).tobytes() == model.predict_proba(pd.DataFrame(one)).tobytes()


def test_one_row_scoring_matches_the_spilled_rows():
    model, frame, _ = _awkward_model()
    for i in range(0, 600, 37):
        one = {c: frame[c].to_numpy()[i:i + 1] for c in frame.columns}
        assert model.predict_proba(one)[0] == pytest.approx(model.train_proba[i], rel=1e-12)


def test_a_one_row_call_with_an_integer_beyond_64_bits_reads_it_as_a_number(base):
    data, labels, _ = base
    row = [2**70] + data[1][1:]
    assert PROB(data, labels, [row]) == PROB(data, labels, [[float(2**70)] + data[1][1:]])
    assert PROB(data, labels, [row])[0][0] < PROB(data, labels, [data[1]])[0][0]  # long tenure


def test_options_change_the_model_and_are_cached_separately():
    data, labels, _ = customers(400, seed=6)
    CACHE.clear()
    plain = probs(PROB(data, labels))
    balanced = probs(PROB(data, labels, None, None, True))
    strong = probs(PROB(data, labels, None, None, None, 1000))
    y = np.array([r[0] == "Yes" for r in labels[1:]])
    assert balanced.mean() > plain.mean()                 # rare churn weighted up
    assert strong.std() < 0.25 * plain.std()              # heavy shrinkage towards the base rate
    assert abs(strong.mean() - y.mean()) < 0.05
    assert CACHE.fits["churn"] == 3


# --------------------------------------------------------------------------- errors


def _err(fn, *args):
    with pytest.raises(XLMError) as info:
        fn(*args)
    return str(info.value)


def test_clear_errors_for_bad_labels():
    data = [["Spend", "Visits"], [1, 2], [3, 4], [5, 6], [7, 8], [9, 1], [2, 2]]
    assert "only one outcome ('No' in all 6 rows)" in _err(PROB, data, [["No"]] * 6)
    msg = _err(PROB, data, [["Yes"], ["No"], ["Maybe"], ["No"], ["Yes"], ["No"]])
    assert msg.startswith("#VALUE! CHURN_PROB: train_labels must hold two outcomes")
    assert "3 different values: 'Maybe', 'No', 'Yes'" in msg
    assert "has 4 rows but train_data has 6 data rows plus a header row" in _err(
        PROB, data, [["Yes"], ["No"], ["Yes"], ["No"]])
    na = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
    msg = _err(PROB, data, [["Yes"], ["No"], [na], ["No"], ["Yes"], ["No"]])
    assert msg.startswith("#N/A CHURN_PROB: train_labels has the error value #N/A in row 3")
    assert "train_labels is blank in row 2" in _err(
        PROB, data, [["Yes"], [None], ["No"], ["No"], ["Yes"], ["No"]])
    msg = _err(PROB, data, [["Gold"], ["Silver"], ["Gold"], ["Silver"], ["Gold"], ["Silver"]])
    assert "cannot tell which label means churned: 'Gold', 'Silver'. Set positive" in msg
    assert "positive='Bronze' is not one of the label values" in _err(
        PROB, data, [["Gold"], ["Silver"]] * 3, None, "Bronze")


def test_clear_errors_for_bad_data():
    labels = [["Yes"], ["No"], ["Yes"], ["No"]]
    assert "train_data is empty" in _err(PROB, [[None, None]] * 4, labels)
    assert "train_data has the error value #DIV/0! in row 2" in _err(
        PROB, [[1, 2], ["#DIV/0!", 3], [4, 5], [6, 7]], labels)
    assert "needs at least 4 customers" in _err(PROB, [[1], [2], [3]], [["Yes"], ["No"], ["Yes"]])
    data, lab, _ = customers(200, seed=1)
    msg = _err(PROB, data, lab, [[1, 2, 3]])
    assert "score_data has 3 columns but train_data has 6" in msg
    renamed = [["Tenure", "Spend", "Calls", "Contract", "LastPurchase", "Gender"], data[1]]
    msg = _err(PROB, data, lab, renamed)
    assert 'score_data lacks column "SupportCalls"' in msg and "same column headers" in msg
    assert "where train_data has numbers" in _err(PROB, data, lab, [["many"] + data[1][1:]])
    assert "folds=20 needs at least 20 customers of each outcome" in _err(
        METRICS, data[:40], lab[:40], None, 20)
    assert "threshold=1.5 is out of range" in _err(METRICS, data, lab, 1.5)
    assert "regularization=0 is out of range" in _err(PROB, data, lab, None, None, None, 0)
    huge = [["Spend", "Visits"]] + [[v, i] for i, v in enumerate([1.7e308, -1.7e308, 1, 2] * 3)]
    # Huge numbers are rescaled exactly (powers of two) before standardising: finite answers.
    probs = [r[0] for r in PROB(huge, [["Yes"], ["No"]] * 6)[1:]]
    assert len(probs) == 12 and all(0 <= p <= 1 for p in probs)
    # Absurd values in score_data still give a probability, not a crash.
    (cell,) = PROB(data, lab, [[1e300, -1e300, 1e300, "Monthly", 1e300, "F"]])
    assert 0 <= cell[0] <= 1


# --------------------------------------------------------------------------- properties

CELL = st.one_of(
    st.none(), st.integers(-5, 500), st.floats(-1e6, 1e9, allow_nan=False), st.booleans(),
    st.sampled_from(["a", "b", "Gold", "", " ", "1,250", "15%"]),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2025, 1, 1)),
)


@st.composite
def tables(draw):
    n = draw(st.integers(4, 40))
    width = draw(st.integers(1, 4))
    kinds = draw(st.lists(st.sampled_from(["num", "text", "date", "mixed"]), min_size=width,
                          max_size=width))
    col = {"num": st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False), st.integers(0, 50),
                            st.floats(-1.7e308, 1.7e308, allow_nan=False, allow_infinity=False)),
           "text": st.one_of(st.none(), st.sampled_from(["web", "store", "app"])),
           "date": st.one_of(st.none(), st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2025, 1, 1))),
           "mixed": CELL}
    rows = [[draw(col[k]) for k in kinds] for _ in range(n)]
    y = draw(st.lists(st.sampled_from(["Yes", "No"]), min_size=n, max_size=n))
    header = draw(st.booleans())
    data = ([[f"c{j}" for j in range(width)]] + rows) if header else rows
    labels = ([["Churned"]] + [[v] for v in y]) if header else [[v] for v in y]
    return data, labels, draw(st.sampled_from([None, True])), draw(st.sampled_from([None, 0.1, 10]))


@settings(max_examples=30, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(case=tables())
def test_any_table_gives_aligned_probabilities_or_one_clear_error(case):
    data, labels, balanced, reg = case
    calls = ((PROB, (None, None, balanced, reg)), (DRIVERS, (None, balanced, reg)),
             (REASONS, (None, 2)), (METRICS, (None, 2, None, balanced, reg)))
    for fn, args in calls:
        try:
            out = fn(data, labels, *args)
        except XLMError as exc:
            assert "\n" not in str(exc) and str(exc).split(" ")[0].startswith("#")
            continue
        assert all(isinstance(r, list) for r in out) and len({len(r) for r in out}) == 1
        if fn is PROB:
            assert len(out) == len(data)
            p = [r[0] for r in out if isinstance(r[0], float)]
            assert all(0 <= v <= 1 for v in p)

"""Issue 11, items 4, 5 and 7: label meaning, outcome counts, size limits and the column kinds.

Every case asserts its expected number or its exact error text. Each size limit must answer
with its error well within 10 s (a generous bound on a busy machine, not a benchmark).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tests.test_churn import customers, probs
from xlmarketing import cells
from xlmarketing.core import churn as core_churn
from xlmarketing.core import features, limits
from xlmarketing.core.errors import LimitExceeded
from xlmarketing.core.kinds import Kind
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY, core_error_to_xlm
from xlmarketing.functions import families, outcome

PROB = REGISTRY["CHURN_PROB"]
METRICS = REGISTRY["CHURN_METRICS"]
DRIVERS = REGISTRY["CHURN_DRIVERS"]
KMEANS = REGISTRY["KMEANS_SEGMENT"]
SECONDS = 10


def _err(fn, *args) -> str:
    with pytest.raises(XLMError) as exc:
        fn(*args)
    return str(exc.value)


@pytest.fixture(scope="module")
def base():
    data, labels, _ = customers(400, seed=2)
    churned = [r[0] == "Yes" for r in labels[1:]]
    return data, churned, probs(PROB(data, labels))


def _notes(data, labels, positive=None):
    return outcome.fit_model(outcome.training(data, labels, positive, family=families.CHURN)).table.notes


# --------------------------------------------------------------------------- label meaning


STAYED = ["Retained", "Active", "Stayed", "Renewed", "IsActive", "still_active", "Not churned",
          "Customer retained?"]
CHURNED = ["Churned", "Left", "Churn flag", "Not retained", "HasCancelled", "Outcome", "Label"]


@pytest.mark.parametrize("header", STAYED)
def test_yes_under_a_stayed_header_means_not_churned(base, header):
    data, churned, ref = base
    labels = [[header]] + [["No" if c else "Yes"] for c in churned]
    assert np.allclose(probs(PROB(data, labels)), ref)
    assert dict(METRICS(data, labels)[1:])["Churned label"] == "No"
    assert _notes(data, labels) == [f"train_labels header {header!r}: 'Yes' read as stayed, so 'No' "
                                    "means churned. Set positive to change it."]


@pytest.mark.parametrize("header", CHURNED)
def test_yes_under_a_churn_or_neutral_header_means_churned(base, header):
    data, churned, ref = base
    labels = [[header]] + [["Yes" if c else "No"] for c in churned]
    assert np.allclose(probs(PROB(data, labels)), ref)
    assert _notes(data, labels) == []


def test_one_and_zero_and_booleans_follow_the_header_too(base):
    data, churned, ref = base
    for stayed, churn in ((1, 0), (True, False), ("TRUE", "FALSE"), ("y", "n")):
        labels = [["Active"]] + [[churn if c else stayed] for c in churned]
        assert np.allclose(probs(PROB(data, labels)), ref)


def test_descriptive_values_decide_whatever_the_header(base):
    data, churned, ref = base
    labels = [["Retained"]] + [["Churned" if c else "Active"] for c in churned]
    assert np.allclose(probs(PROB(data, labels)), ref)
    assert _notes(data, labels) == []


def test_positive_overrides_the_header(base):
    data, churned, ref = base
    labels = [["Retained"]] + [["No" if c else "Yes"] for c in churned]
    flipped = probs(PROB(data, labels, None, "Yes"))          # the user says Yes = churned
    assert np.allclose(flipped + ref, 1, atol=1e-6)


@pytest.mark.parametrize("header", ["Status", "Churned or retained", "Active/Left"])
def test_an_unclear_header_over_yes_no_asks_for_positive(base, header):
    data, churned, _ = base
    labels = [[header]] + [["Yes" if c else "No"] for c in churned]
    assert _err(PROB, data, labels) == (
        f"#VALUE! CHURN_PROB: the train_labels header {header!r} does not say whether 'Yes' means "
        "churned or stayed. Set positive to the value that means churned: positive=\"Yes\" or "
        "positive=\"No\".")
    assert np.allclose(probs(PROB(data, labels, None, "Yes")), base[2])


def test_header_sense_reads_words_and_negations():
    sense = families.header_sense
    assert [sense(h) for h in ("Retained", "NOT_RETAINED", "didn't renew", "churn", "y", None, 7)] == [
        "stayed", "churned", "churned", "churned", None, None, None]
    assert sense("Status") == sense("Retained / churned") == "unclear"


# --------------------------------------------------------------------------- outcome counts


def _with_churners(n_churned: int, n: int = 400):
    data, _, _ = customers(n, seed=5)
    labels = [["Churned"]] + [["Yes" if i < n_churned else "No"] for i in range(n)]
    return data, labels


def test_one_churner_in_400_rows_is_refused():
    data, labels = _with_churners(1)
    assert _err(PROB, data, labels) == (
        "#NUM! CHURN_PROB: train_labels has only 1 churned customer ('Yes') in 400 rows; a churn "
        "model needs at least 5 of each outcome to fit and cross-validate. Add churned customers, "
        "or check positive (the value that means churned).")
    assert "has only 4 churned customers ('Yes') in 400 rows" in _err(DRIVERS, *_with_churners(4))


def test_few_retained_customers_are_refused_too():
    data, labels = _with_churners(397)
    assert _err(METRICS, data, labels).startswith(
        "#NUM! CHURN_METRICS: train_labels has only 3 retained customers ('No') in 400 rows")


def test_few_churners_fit_with_a_warning_note():
    data, labels = _with_churners(12)
    assert len(DRIVERS(data, labels)) > 1
    # 6 columns: 3 numbers, a 3-level contract, a date and a 2-level gender = 9 model features
    assert _notes(data, labels) == [
        "only 12 churned customers ('Yes') for 9 model features: drivers and probabilities are "
        "unstable below about 90 (10 per feature). Add rows or leave columns out."]


def test_a_comfortable_count_has_no_warning():
    data, labels = _with_churners(120)
    assert _notes(data, labels) == []


# --------------------------------------------------------------------------- size limits


def _timed(fn, *args) -> tuple[str, float]:
    t0 = time.perf_counter()
    msg = _err(fn, *args)
    return msg, time.perf_counter() - t0


def test_churn_on_10_rows_by_16384_columns_is_refused_within_seconds():
    wide = np.random.default_rng(0).normal(size=(10, 16_384)).tolist()
    msg, took = _timed(PROB, wide, [["Yes"], ["No"]] * 5)
    assert msg == ("#NUM! CHURN_PROB: the data would give 16,384 model features (numbers, blank "
                   "indicators and text levels), above the limit of 1,000 features for a churn "
                   "model. Select fewer columns.")
    assert took < SECONDS


def test_kmeans_with_k_10000_on_20000_rows_is_refused_within_seconds():
    rows = np.random.default_rng(0).normal(size=(20_000, 3)).tolist()
    msg, took = _timed(KMEANS, rows, 10_000)
    assert msg == ("#NUM! KMEANS_SEGMENT: k=10,000 segments is above the limit of 200 segments. "
                   "Enter a smaller number of segments.")
    assert took < SECONDS


def test_kmeans_work_limit_names_the_largest_k_that_fits():
    rows = np.random.default_rng(0).normal(size=(100_000, 2)).tolist()
    msg, took = _timed(KMEANS, rows, 150)
    assert msg == ("#NUM! KMEANS_SEGMENT: k=150 segments on 100,000 rows is above the work limit "
                   "of 10,000,000 rows x segments. Enter at most 100 segments, or segment a "
                   "sample of the rows.")
    assert took < SECONDS


@pytest.mark.slow  # 200,000 rows: about 13 s
def test_a_5000_level_text_column_on_200000_rows_keeps_50_levels_plus_other():
    n = 200_000
    rng = np.random.default_rng(0)
    # Level i is drawn with weight 1/(i+1): a long tail, as real city or product columns have.
    w = 1 / np.arange(1, 5001)
    city = rng.choice(5000, n, p=w / w.sum())
    spend = rng.gamma(2.0, 50.0, n)
    y = rng.random(n) < 1 / (1 + np.exp(-(-1 + (city < 3) * 1.5 - spend / 200)))
    rows = [["Spend", "City"]] + [[float(s), f"city {c}"] for s, c in zip(spend, city)]
    labels = [["Churned"]] + [["Yes" if v else "No"] for v in y]
    t0 = time.perf_counter()
    out = DRIVERS(rows, labels)
    took = time.perf_counter() - t0
    names = [r[0] for r in out[1:] if r[0] != "Note"]
    assert len(names) == 1 + limits.MAX_LEVELS + 1 and "City = (other)" in names
    assert "City = city 0" in names and "City = city 4999" not in names
    # The planted effect is found: the three heavy-churn cities raise churn most (largest
    # coefficients; the table is ranked by importance, where spend counts for every customer).
    coefs = [r for r in out[1:] if isinstance(r[1], float)]
    top3 = {r[0] for r in sorted(coefs, key=lambda r: -r[1])[:3]}
    assert top3 == {"City = city 0", "City = city 1", "City = city 2"}
    kept = len({c for c in city.tolist()}) - limits.MAX_LEVELS
    assert _notes(rows, labels)[-1] == (f'column "City" has {kept + 50:,} different texts: the 50 '
                                        f'most common are modelled, the other {kept:,} together '
                                        'as "(other)".')
    assert took < 60  # a real fit on 200,000 rows: bounded, no longer minutes and gigabytes


def test_the_design_matrix_budget_is_checked_before_allocating():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"t{j}": rng.integers(0, 80, 20_000).astype(str) for j in range(40)})
    kinds = {c: Kind.CATEGORY for c in frame.columns}
    t0 = time.perf_counter()
    with pytest.raises(LimitExceeded) as exc:
        features.FeatureEncoder().fit(frame, kinds)
    # The core speaks of data (issue 25 item 6); the sheet layer says "Select".
    assert str(exc.value) == (
        "the model would need a table of 20,000 rows x 2,040 encoded columns (311 MB), above the "
        "limit of 256 MB. Use fewer rows or columns, or leave out text columns with many "
        "different values.")
    assert core_error_to_xlm(exc.value).message == (
        "the model would need a table of 20,000 rows x 2,040 encoded columns (311 MB), above the "
        "limit of 256 MB. Select fewer rows or columns, or leave out text columns with many "
        "different values.")
    assert time.perf_counter() - t0 < SECONDS
    assert features.encoded_width(frame, kinds) == 40 * (limits.MAX_LEVELS + 1)


def test_churn_feature_limit_counts_text_levels():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({f"t{j}": rng.integers(0, 60, 300).astype(str) for j in range(20)})
    kinds = {c: Kind.CATEGORY for c in frame.columns}
    with pytest.raises(LimitExceeded, match="would give 1,020 model features"):
        core_churn.fit(frame, kinds, np.arange(300) % 2)


def test_features_raise_core_errors_only():
    frame = pd.DataFrame({"x": np.full(100, np.nan), "y": np.arange(100.0)})
    kinds = {"x": Kind.NUMBER, "y": Kind.NUMBER}
    with pytest.raises(features.DataError) as exc:
        features.FeatureEncoder().fit(frame, kinds, what="data")
    assert not isinstance(exc.value, XLMError)
    assert str(exc.value) == ('data column "x" is blank in every row. Fill it in or leave it out '
                              "of the data.")
    assert core_error_to_xlm(exc.value).message == (
        'data column "x" is blank in every row. Fill it in or leave it out of the range.')


def test_one_id_rule_the_cells_leave_out_a_names_column_the_core_encodes_what_it_gets():
    # Formerly the core refused a column of names with a rule of its own; now the one ID rule
    # (cells.ids) leaves it out with a note, and the core encodes the columns it is given.
    names = [f"Customer {i} Smith" for i in range(100)]
    grid = [["Name", "Spend"]] + [[nm, float(i % 7)] for i, nm in enumerate(names)]
    table = cells.leave_out_ids(cells.read_table(grid))
    assert table.columns == ["Spend"]
    assert table.notes == ["Name left out: it looks like an ID (100 different texts in 100 rows, "
                           "like names: too many for groups). Set keep_ids to TRUE to use it."]
    kept = cells.leave_out_ids(cells.read_table(grid), keep_ids=True)
    enc = features.FeatureEncoder().fit(kept.frame, kept.kinds)
    assert len(enc.names) == 1 + limits.MAX_LEVELS + 1          # the most common, then (other)
    assert "100 different texts" in enc.notes[0]
    # a grouping with many rows per level is no ID
    plans = cells.read_table([["Plan", "Spend"]] + [[f"P{i % 30}x", 1.0] for i in range(100)])
    assert cells.id_columns(plans) == {}


# --------------------------------------------------------------------------- one enum for kinds


def test_one_enum_for_column_kinds_everywhere():
    assert cells.NUMBER is Kind.NUMBER and cells.CATEGORY is Kind.CATEGORY
    assert core_churn.DATE is Kind.DATE and core_churn.BOOL is Kind.BOOL
    assert features.CATEGORY is Kind.CATEGORY
    assert Kind.NUMBER == "number" and {"category": 1}[Kind.CATEGORY] == 1   # old strings still work
    t = cells.read_table([["Spend", "Plan", "Joined"], [1.0, "a", pd.Timestamp("2024-01-02")],
                          [2.0, "b", pd.Timestamp("2024-02-03")]])
    assert t.kinds == {"Spend": Kind.NUMBER, "Plan": Kind.CATEGORY, "Joined": Kind.DATE}
    assert all(type(k) is Kind for k in t.kinds.values())
    assert [k.numeric for k in Kind] == [True, True, True, False]


def test_show_is_public_and_the_old_name_still_works():
    assert cells.show([["abc"]]) == "'abc'" and cells.show(2.5) == "2.5"
    assert cells._show is cells.show



# --------------------------------------------------------------------------- matched by position


def test_score_data_matched_by_position_is_said_in_the_headless_report(tmp_path):
    import openpyxl

    from xlmarketing.workbook import refresh_workbook

    data, labels, _ = customers(120, seed=3)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row, lab in zip(data, labels):
        ws.append(row + lab)
    score = wb.create_sheet("Score")
    for r in range(1, 4):                                    # three customers, no header row
        for c, v in enumerate(data[r], start=1):
            score.cell(row=r, column=c, value=v)
        score.cell(row=r, column=8, value=f"=CHURN_PROB(Data!$A$1:$F$121, Data!$G$1:$G$121, A{r}:F{r})")
    score["J1"] = "=CHURN_PROB(Data!$A$1:$F$121, Data!$G$1:$G$121, A1:F3)"  # a spilled call
    src = tmp_path / "score.xlsx"
    wb.save(src)
    report = refresh_workbook(src, tmp_path / "out.xlsx", formula_engine="none")
    assert report.ok, report.errors
    note = ("score_data has no header row, so its columns were matched to train_data's by "
            "position (Tenure, Spend, SupportCalls, Contract, LastPurchase, Gender). Give "
            "score_data the same header row to match by name.")
    assert report.warnings.count(f"{note} (4 calls)") == 1
    assert f"  warning: {note} (4 calls)" in report.lines()


def test_the_core_imports_nothing_of_the_excel_side():
    """core/ knows nothing of Excel: no import of errors, cells, parsing, cache or functions."""
    import ast
    from pathlib import Path

    import xlmarketing.core

    outside = []
    for path in sorted(Path(xlmarketing.core.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                name = "." * node.level + (node.module or "")
                if node.level >= 2 or (node.level == 0 and name.startswith("xlmarketing")
                                       and not name.startswith("xlmarketing.core")):
                    outside.append(f"{path.name}: {name}")
            elif isinstance(node, ast.Import):
                outside += [f"{path.name}: {a.name}" for a in node.names
                            if a.name.startswith("xlmarketing") and
                            not a.name.startswith("xlmarketing.core")]
    assert outside == []
    assert cells.col_label("Spend") == 'column "Spend"' and cells.col_label("column 3") == "column 3"

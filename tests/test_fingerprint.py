"""Range fingerprints, the cache keys' view of the cells: every changed cell changes them, the
same cells sent afresh (a new JSON array, new COM tuples) keep them."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from xlmarketing.cells import Range, as_grid

D = dt.datetime(2024, 3, 1)


def _mixed() -> list[list]:
    """Text, numbers, blanks and a serial-date column (what Office.js sends)."""
    return [["Tenure", "Plan", "Spend", "Joined"],
            [12, "Monthly", 80.5, 45352],
            [3, "Annual", None, 45360],
            [40, "Monthly", 12.0, 45001]]


def _dated() -> list[list]:
    """A datetime column in the first data row (what COM and openpyxl send)."""
    return [["Tenure", "Plan", "Joined"],
            [12, "Monthly", D],
            [3, "Annual", D + dt.timedelta(days=3)],
            [40, "Monthly", D - dt.timedelta(days=40)]]


def _variants(grid: list[list]) -> list[list[list]]:
    """The grid with each data cell changed on its own (numbers +1, text and dates altered,
    a blank filled, a number turned into TRUE)."""
    out = []
    for i in range(1, len(grid)):
        for j, v in enumerate(grid[i]):
            for new in _others(v):
                g = copy.deepcopy(grid)
                g[i][j] = new
                out.append(g)
    return out


def _others(v):
    if v is None:
        return [0]
    if isinstance(v, dt.datetime):
        return [v + dt.timedelta(days=1), (v - dt.datetime(1899, 12, 30)).days]
    if isinstance(v, str):
        return [v + "x", v.lower()]
    return [v + 1, float(v) + 0.5] + ([True] if v == 1 else [])


@pytest.mark.parametrize("make", [_mixed, _dated])
@pytest.mark.parametrize("shape", [list, tuple])
def test_every_changed_cell_changes_the_fingerprint(make, shape):
    def sent(g):
        return shape(shape(r) for r in g)

    base = Range(sent(make())).fingerprint
    prints = [Range(sent(g)).fingerprint for g in _variants(make())]
    assert base not in prints
    assert len(set(prints)) == len(prints)


def test_the_same_cells_sent_afresh_keep_their_fingerprint():
    text = json.dumps(_mixed())
    assert Range(json.loads(text)).fingerprint == Range(json.loads(text)).fingerprint
    com = _dated()
    assert (Range(tuple(map(tuple, com))).fingerprint
            == Range(tuple(map(tuple, copy.deepcopy(com)))).fingerprint)


def test_labels_keep_true_and_1_apart():
    ones = [["Churned"], [1], [0], [1]]
    trues = [["Churned"], [True], [False], [True]]
    assert Range(ones).exact_fingerprint != Range(trues).exact_fingerprint


@pytest.mark.parametrize("make", [_mixed, _dated])
def test_an_extra_or_missing_cell_changes_the_fingerprint(make):
    base = make()
    longer = copy.deepcopy(base)
    longer[2].append("extra")        # a ragged row: zip would drop its last cell
    shorter = copy.deepcopy(base)
    shorter[3].pop()
    prints = {Range(g).fingerprint for g in (base, longer, shorter)}
    assert len(prints) == 3


def test_a_text_row_is_not_a_row_of_its_characters():
    rows = _dated()
    as_text = rows[:3] + ["abc"]
    as_cells = rows[:3] + [["a", "b", "c"]]
    assert Range(as_text).fingerprint != Range(as_cells).fingerprint


def test_the_grid_is_the_cells_made_rectangular():
    ragged = [["a", "b"], ["c"], "d"]
    assert Range(ragged).grid == as_grid(ragged) == [["a", "b"], ["c", None], ["d", None]]
    rng = Range(_mixed())
    assert Range(rng).grid is rng.grid

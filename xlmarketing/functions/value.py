"""VALUE_PREDICT and VALUE_DRIVERS: an amount per customer (order value, next-year spend).

The input layer is the yes/no functions' (:mod:`.outcome`): ``train_data`` is a customer table
(header optional, ID-like columns left out unless ``keep_ids``), the numbers to learn sit beside
it in ``train_values``, and ``score_data`` is matched to ``train_data`` by header or position.
The model (:mod:`xlmarketing.core.regression`) is linear regression by default, gradient
boosting, or "auto" (chosen by cross-validated error). The fit is cached under the raw cells and
the options, so a fill-down of one-row calls fits once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import cells
from ..cache import CACHE, Memo
from ..cells import Table
from ..core import regression as core
from ..errors import XLMError
from . import Cells, sheet_function
from .outcome import SCORE, Fit, blank_range, omitted, scored
from .spec import HEADER_ARG, KEEP_IDS, SEED, Arg, Float, key_of, range_of

#: Core parameter names -> the sheet argument names, for core errors.
ARG_NAMES = {"frame": "train_data", "y": "train_values"}


@dataclass
class ValueFit:
    """A fitted amount model with the training table (notes included) and the amounts."""

    table: Table
    y: np.ndarray
    label: str                          # the amounts' header ("Sales"), or "value"
    model: core.ValueModel
    comparison: core.Comparison | None = None
    memo: Memo = field(default_factory=Memo)
    spellings: dict[str, dict[Any, str]] = field(default_factory=dict)

    #: score_data text in the training spelling, as the yes/no fits read it (one rule)
    levels = Fit.levels


# --------------------------------------------------------------------------- reading


def _amounts(train_values: Any, table: Table) -> tuple[np.ndarray, str]:
    """The amount of every kept row of ``table`` and the amounts' header text (or "value")."""
    grid = cells.as_grid(train_values)
    values, has_header = cells.read_beside(grid, table, name="train_values")
    label = "value"
    if has_header:
        head = cells.scalar(grid[0][0])
        label = str(head).strip() if head is not None and str(head).strip() else label
    out = []
    for i, (v, keep) in enumerate(zip(values, table.row_mask)):
        if not keep:
            continue
        row = i + 1 + has_header
        if v is None:
            raise XLMError("#VALUE!", f"train_values is blank in row {row} while that customer "
                           "has data. Enter the amount or leave the row out.")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise XLMError("#VALUE!", f"train_values has {cells.show(v)} in row {row}; it needs "
                           "numbers (amounts such as 120.50). Enter a number there.")
        out.append(float(v))
    return np.asarray(out, dtype=np.float64), label


def _read(rng: cells.Range, train_values: Any, header: bool | None, keep_ids: bool
          ) -> tuple[Table, np.ndarray, str]:
    table = cells.leave_out_ids(cells.read_table(rng, name="train_data", header=header), keep_ids)
    y, label = _amounts(train_values, table)
    return table, y, label


def _comparison(rng: cells.Range, train_values: Any, seed: int, header: bool | None,
                keep_ids: bool) -> tuple[core.Comparison, Table, np.ndarray, str]:
    """Both models cross-validated on the same folds (cached): "auto" and boosting intervals."""

    def fit() -> tuple[core.Comparison, Table, np.ndarray, str]:
        table, y, label = _read(rng, train_values, header, keep_ids)
        comp = core.compare(table.frame, table.kinds, y, seed=seed)
        return comp, table, y, label

    # keyed by this helper's own arguments: shared by "auto" and the boosting intervals
    key = key_of((rng, train_values), (seed, header, keep_ids))
    return CACHE.get_or_fit("value_compare", key, fit)


def fit_value(train_data: Any, train_values: Any, model: str, seed: int, header: bool | None,
              keep_ids: bool) -> ValueFit:
    """The cached amount model for these ranges and options (fits on a cache miss)."""
    rng = range_of(train_data)

    def fit() -> ValueFit:
        comp = None
        if model == core.AUTO:
            comp, table, y, label = _comparison(rng, train_values, seed, header, keep_ids)
            chosen = comp.chosen
        else:
            table, y, label = _read(rng, train_values, header, keep_ids)
            chosen = model
        fitted = core.fit(table.frame, table.kinds, y, chosen, seed=seed, what="train_data")
        notes = table.notes + fitted.prep.encoder.notes + fitted.notes
        if comp is not None:
            notes = notes + [_auto_note(comp)]
        return ValueFit(dataclasses.replace(table, notes=notes), y, label, fitted, comp)

    # keyed by this helper's own arguments: VALUE_PREDICT and VALUE_DRIVERS share the fit
    key = key_of((rng, train_values), (model, seed, header, keep_ids))
    return CACHE.get_or_fit("value", key, fit)


def _auto_note(comp: core.Comparison) -> str:
    errors = ", ".join(f"{n} {r.rmse:.4g}" for n, r in comp.results.items())
    return (f'model "auto" chose {comp.chosen} (cross-validated root mean squared error: '
            f"{errors}; linear is kept unless boosting is clearly better).")


# --------------------------------------------------------------------------- arguments


def _model(value: Any, name: str) -> str:
    v = cells.scalar(value)
    return core.parse_model(None if v is None else str(v))


_LEVEL = Float(lo=0.0, hi=99.99)


def _interval(value: Any, name: str) -> float | None:
    """Blank or 0: no interval; a share (0.9) or a percentage (90) of coverage."""
    v = cells.scalar(value)
    if v is None:
        return None
    level = _LEVEL(value, name)
    if level == 0:
        return None
    level = level / 100 if level >= 1 else level
    if not 0.5 <= level < 1:
        raise XLMError("#NUM!", f"{name} must be a coverage between 0.5 and 0.999 (or 50 to "
                       f"99.9 percent), got {cells.show(v)}. Enter e.g. 0.9 for a 90% interval.")
    return level


TRAIN = Arg("Customers (or orders) whose amount you know: one row each, one column per "
            "attribute. A header row is optional and detected.")
VALUES = Arg("The amount to learn for each training row, same rows as train_data: order value, "
             "next-year spend... Numbers only. A header cell on top is fine.")
SCORE_ROWS = Arg(SCORE.doc.replace("Customers to score", "Rows to predict"))
INTERVAL = Arg("Blank (default): just the prediction. A coverage such as 0.9 (or 90) adds Lower "
               "and Upper columns: a range that holds the actual amount 9 times in 10.", _interval)
MODEL = Arg('Which model: "linear" (default, linear regression with readable coefficients), '
            '"boosting" (gradient boosting: curves and interactions) or "auto" (cross-validated '
            "choice that keeps linear unless boosting is clearly better).", _model)
SEED_MODEL = Arg("Random seed (default 0) for the folds and for boosting. Same seed, same "
                 "answer, every time.", SEED.check)


# --------------------------------------------------------------------------- functions


def _labels(fit: ValueFit, level: float | None) -> list[str]:
    first = f"Predicted {fit.label}"
    if level is None:
        return [first]
    pct = f"{100 * level:g}%"
    return [first, f"Lower {pct}", f"Upper {pct}"]


def _predictions(fit: ValueFit, X: np.ndarray, level: float | None, seed: int, train_data: Any,
                 train_values: Any, header: bool | None, keep_ids: bool) -> np.ndarray:
    model = fit.model
    pred = model.predict_matrix(X)
    if level is None:
        return pred
    if model.ols is not None:
        lo, hi = core.ols_interval(model, X, level)
    else:
        comp = fit.comparison or _comparison(cells.Range(train_data), train_values, seed, header,
                                             keep_ids)[0]
        d_lo, d_hi, _ = core.residual_bounds(comp.results[core.BOOSTING], level)
        lo, hi = pred + d_lo, pred + d_hi
    return np.column_stack([pred, lo, hi])


@sheet_function("VALUE_PREDICT", "Predicts an amount for each row (order value, next-year spend) "
                "from rows whose amount you know: linear regression by default, gradient boosting "
                "or a cross-validated choice. With interval, also a range that holds the actual "
                "amount with that probability.", args={
    "train_data": TRAIN, "train_values": VALUES, "score_data": SCORE_ROWS, "interval": INTERVAL,
    "model": MODEL, "seed": SEED_MODEL, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
}, arg_names=ARG_NAMES)
def value_predict(train_data: Any, train_values: Any, score_data: Any = None,
                  interval: float | None = None, model: str = "linear", seed: int = 0,
                  header: bool | None = None, keep_ids: bool = False) -> Cells:
    """The predicted amount for every row of score_data (default: train_data), with Lower and
    Upper bounds when interval is set."""
    fit = fit_value(train_data, train_values, model, seed, header, keep_ids)
    labels = _labels(fit, interval)
    if omitted(score_data):
        key = f"predict:{interval}"
        if key not in fit.memo:
            out = _predictions(fit, fit.model.matrix(fit.table.frame), interval, seed, train_data,
                               train_values, header, keep_ids)
            fit.memo[key] = cells.to_cells(out, fit.table, labels=labels)
        return fit.memo[key]
    got = scored(fit, score_data, header)  # type: ignore[arg-type]  (needs only .table)
    if got is None:
        return [[""] * len(labels) for _ in range(blank_range(score_data)[1])]
    frame, table = got
    out = _predictions(fit, fit.model.matrix(frame), interval, seed, train_data, train_values,
                       header, keep_ids)
    return cells.to_cells(out, table, labels=labels)


@sheet_function("VALUE_DRIVERS", "What drives the amount. Linear regression: LINEST's statistics "
                "per attribute or category (coefficient, standard error, t, p-value) and for the "
                "model (R², F...). Boosting: importance in R² points and direction, most important "
                "first.", args={
    "train_data": TRAIN, "train_values": VALUES, "model": MODEL, "seed": SEED_MODEL,
    "header": HEADER_ARG, "keep_ids": KEEP_IDS,
}, arg_names=ARG_NAMES)
def value_drivers(train_data: Any, train_values: Any, model: str = "linear", seed: int = 0,
                  header: bool | None = None, keep_ids: bool = False) -> Cells:
    """Linear: one row per coefficient, then the model's statistics. Boosting: one row per
    feature, most important first. Then a Note row for each column left out or read specially."""
    fit = fit_value(train_data, train_values, model, seed, header, keep_ids)
    if "drivers" not in fit.memo:
        fit.memo["drivers"] = cells.with_notes(_drivers(fit, seed), fit.table.notes)
    return fit.memo["drivers"]


def _drivers(fit: ValueFit, seed: int) -> Cells:
    m = fit.model
    if m.ols is not None:
        o = m.ols
        rows: list[list[Any]] = [["Feature", "Coefficient", "Std. error", "t", "p-value"]]
        rows += [[n, c, s, t, p] for n, c, s, t, p in zip(o.names, o.coef, o.se, o.t, o.p)]
        rows += [[name, value, "", "", ""] for name, value in o.statistics().items()]
        return cells.to_cells(rows)
    imp = core.importance(m, fit.table.frame, fit.y, seed=seed)
    sign = core.directions(m, fit.table.frame, seed=seed)
    words = np.where(sign > 0, "raises the amount", np.where(sign < 0, "lowers the amount",
                                                             "no clear direction"))
    order = np.lexsort((np.array(m.names, dtype=object), -np.round(imp, 10)))
    rows = [["Feature", "Importance (R² points)", "Direction"]]
    rows += [[m.names[j], imp[j], words[j]] for j in order]
    rows.append(["Model", m.name, ""])
    return cells.to_cells(rows)

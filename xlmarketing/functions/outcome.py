"""The engine behind every yes/no function family: reading the outcome, fitting, scoring.

CHURN_* (:mod:`.churn`, :mod:`.models`) and PROPENSITY_* are one implementation each, registered
once per :class:`Family` with :func:`family_function`. A family owns its semantics: its words in
outputs and messages (the probability header, "raises churn", "a churn model") and how it reads
the outcome labels (which values mean the positive outcome, and whether a header such as
"Retained" turns "yes" around). The families themselves are defined in :mod:`.families`.

Reading the labels is the family's; the fit is not: the fitted model is cached under the raw
training cells, the positive label the family read (with its notes) and the parsed options. So a
CHURN_* call and a PROPENSITY_* call that read the labels alike share one fit, and the fill-down
pattern ``=CHURN_PROB($A$1:$F$5001, $G$1:$G$5001, A2:F2)`` copied down 5,000 rows fits once:
each row costs a hash of the training range, two cache look-ups and scoring one row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import cells, notices
from ..cache import CACHE, Memo
from ..cells import CATEGORY, Table
from ..core import churn as core
from ..core import limits
from ..core import models as M
from ..core.features import encoded_width
from ..core.outcome import Outcome
from ..errors import XLMError, col_label
from . import Cells, sheet_function
from .spec import SEED, Arg, Bool, Float, Int, key_of, range_of

#: Label values that are a plain yes or no, in every family: what they mean may depend on the
#: header above them, where the family says so (:attr:`Family.header_rule`).
YES_VALUES = frozenset({"1", "true", "yes", "y"})
NO_VALUES = frozenset({"0", "false", "no", "n"})

#: Core parameter names -> the sheet argument names, for core errors.
ARG_NAMES = {"frame": "train_data", "y": "train_labels", "groups": "group"}


@dataclass(frozen=True, eq=False)
class Family:
    """One family of yes/no functions: its words, and how it reads the outcome labels.

    The message fields are phrases the engine's messages are built from; for the churn family
    they read "train_labels has only 3 churned customers ('Yes') in 400 rows; a churn model
    needs at least 5 of each outcome ... or check positive (the value that means churned)".
    """

    name: str                       # "churn": memo keys, and the cache key of its label reading
    outcome: Outcome                # the core's words: the model, driver directions, base rate
    prob_label: str                 # the probability column's header: "Churn probability"
    positive_row: str               # the metrics row naming the positive label: "Churned label"
    positive_group: str             # customers with the positive outcome: "churned"
    negative_group: str             # ... and with the other one: "retained"
    two_outcomes: str               # "churned or not"
    means: str                      # what the positive label does: "means churned"
    positive_value: str             # "the churned value"
    #: Label values (lower case) read as the positive / the negative outcome when no header
    #: rule decides and ``positive`` is blank.
    positive_words: frozenset[str]
    negative_words: frozenset[str]
    #: What "yes" means under a labels header: "positive", "negative", "unclear" or None (no
    #: direction: yes is positive). None: the family gives headers no meaning.
    header_rule: Callable[[Any], str | None] | None = None
    #: The two directions of the header rule in messages: ("churned", "stayed").
    header_words: tuple[str, str] = ("positive", "negative")
    #: Wizard texts that differ from the shared ones (:data:`SHARED_ARGS`), by argument name.
    args: Mapping[str, Arg] = field(default_factory=dict)


def family_function(names: Mapping[Family, tuple[str, str]], args: Mapping[str, Arg]
                    ) -> Callable[[Callable[..., Cells]], Callable[..., Cells]]:
    """Register one implementation under each family's sheet name and summary.

    ``names`` maps a family to its (Excel name, wizard summary). The implementation takes a
    keyword-only ``family``; each registered form passes its own, and gets the family's wizard
    texts (:attr:`Family.args`) where they differ from ``args``. Returns the implementation.
    """

    def register(impl: Callable[..., Cells]) -> Callable[..., Cells]:
        sig = inspect.signature(impl)
        sig = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "family"])

        def bind(family: Family, name: str, summary: str) -> None:
            def fn(*a: Any, **kw: Any) -> Cells:
                return impl(*a, family=family, **kw)
            fn.__signature__ = sig  # type: ignore[attr-defined]
            fn.__name__ = fn.__qualname__ = name.lower()
            fn.__doc__ = impl.__doc__
            specs = {k: family.args.get(k, v) for k, v in args.items()}
            sheet_function(name, summary, args=specs, arg_names=ARG_NAMES)(fn)

        for family, (name, summary) in names.items():
            bind(family, name, summary)
        return impl

    return register


def row_plan(train: Table) -> tuple[list[str], list[tuple[str, bool] | None]]:
    """For scoring one row (:func:`_one_row`): the training range's columns in order, and for
    each (model column, is it text), or None for a column the model leaves out."""
    source = train.source_columns or train.columns
    wanted = set(train.columns)
    return source, [(c, train.kinds[c] == CATEGORY) if c in wanted else None for c in source]


#: Columns to score: the training Table's frame, or score_data's columns as numpy arrays.
Frame = pd.DataFrame | dict[str, np.ndarray]


@dataclass
class Fit:
    """A fitted model with the training table it came from (notes included)."""

    table: Table
    y: np.ndarray
    positive: str
    model: core.ChurnModel
    memo: Memo = field(default_factory=Memo)  # outputs handed out as copies
    #: Per text column: identity (cells.identity) -> the training spelling, built on first use.
    spellings: dict[str, dict[Any, str]] = field(default_factory=dict)

    @functools.cached_property
    def row_plan(self) -> tuple[list[str], list[tuple[str, bool] | None]]:
        """:func:`row_plan` of the training table, made once."""
        return row_plan(self.table)

    def levels(self, column: str, values: Any) -> np.ndarray:
        """score_data text ``values`` in the training spelling of ``column`` wherever the
        identity rule says they are the same ('monthly' scores as the training 'Monthly')."""
        known = self.spellings.get(column)
        if known is None:
            known = self.spellings[column] = {
                cells.identity(v): v for v in pd.unique(self.table.frame[column].dropna())}
        out = np.empty(len(values), dtype=object)
        out[:] = [known.get(cells.identity(v), v) if isinstance(v, str) else v for v in values]
        return out


# --------------------------------------------------------------------------- labels


def label_key(v: Any) -> str:
    """A label value's text form: 1.0 → "1", True → "TRUE", " Yes " → "Yes"."""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()


def _show_values(values: list[str], n: int = 4) -> str:
    shown = ", ".join(repr(v) for v in values[:n])
    return shown + (", ..." if len(values) > n else "")


@dataclass(frozen=True)
class Reading:
    """How a family read the labels: the positive label and what it noted on the user's behalf."""

    positive: str
    notes: tuple[str, ...] = ()


def _label_values(train_labels: Any, table: Table) -> tuple[list[str], Any, str | None]:
    """The label text of every kept row of ``table``, the labels' header cell (or None), and
    a note when spellings of one label were merged (cells' identity rule: 'yes', 'Yes ')."""
    grid = cells.as_grid(train_labels)
    values, lab_header = cells.read_beside(grid, table, name="train_labels")
    header = cells.scalar(grid[0][0]) if lab_header else None
    mask = table.row_mask
    for i, (v, keep) in enumerate(zip(values, mask)):
        if keep and v is None:
            raise XLMError("#VALUE!", f"train_labels is blank in row {i + 1 + lab_header} while "
                           "that customer has data. Enter the outcome (e.g. Yes/No) or leave the "
                           "row out.")
    keys, merged = cells.merge_spellings([label_key(v) for v, keep in zip(values, mask) if keep],
                                         what="train_labels")
    return keys, header, merged


def read_outcome(keys: list[str], header: Any, table: Table, positive: Any,
                 family: Family) -> Reading:
    """Which label means the family's positive outcome, and the notes saying what was decided
    on the user's behalf (a header that turns yes around, few customers of one outcome)."""
    distinct = sorted(set(keys), key=lambda s: (s.lower(), s))
    f = family
    if len(distinct) > 2:
        raise XLMError("#VALUE!", f"train_labels must hold two outcomes ({f.two_outcomes}), got "
                       f"{len(distinct)} different values: {_show_values(distinct)}. Use two "
                       "values such as Yes/No.")
    if len(distinct) < 2:
        raise XLMError("#NUM!", f"train_labels has only one outcome ({distinct[0]!r} in all "
                       f"{len(keys)} rows); {f.outcome.model} needs {f.positive_group} and "
                       f"{f.negative_group} customers. Add customers with the other outcome.")
    notes: list[str] = []
    pos = _positive(positive, distinct, header, notes, f)
    if table.n_rows >= 4:  # fewer rows: the row-count check answers first
        n_pos = sum(k == pos for k in keys)
        neg = next(d for d in distinct if d != pos)
        _check_outcome_counts(n_pos, len(keys), pos, neg, table, notes, f)
    return Reading(pos, tuple(notes))


def _check_outcome_counts(n_pos: int, n: int, pos: str, neg: str, table: Table,
                          notes: list[str], f: Family) -> None:
    """Refuse too few customers of one outcome; note a count below a comfortable one."""
    counts = {f.positive_group: (n_pos, pos), f.negative_group: (n - n_pos, neg)}
    which = min(counts, key=lambda k: counts[k][0])
    m, label = counts[which]
    if m < limits.MIN_OUTCOME_ROWS:
        raise XLMError("#NUM!", f"train_labels has only {m} {which} customer{'s' * (m != 1)} "
                       f"({label!r}) in {n} rows; {f.outcome.model} needs at least "
                       f"{limits.MIN_OUTCOME_ROWS} of each outcome to fit and cross-validate. Add "
                       f"{which} customers, or check positive (the value that {f.means}).")
    features = encoded_width(table.frame, table.kinds)
    comfortable = max(limits.COMFORT_OUTCOME_ROWS, limits.COMFORT_PER_FEATURE * features)
    if m < comfortable:
        notes.append(
            f"only {m} {which} customers ({label!r}) for {features} model features: drivers and "
            f"probabilities are unstable below about {comfortable} ({limits.COMFORT_PER_FEATURE} per "
            "feature). Add rows or leave columns out.")


def _positive(positive: Any, distinct: list[str], header: Any, notes: list[str],
              f: Family) -> str:
    p = cells.scalar(positive)
    if p is not None:
        want = label_key(p).lower()
        for d in distinct:
            if d.lower() == want:
                return d
        raise XLMError("#VALUE!", f"positive={label_key(p)!r} is not one of the label values "
                       f"{_show_values(distinct)}. Enter the value that {f.means}.")
    low = [d.lower() for d in distinct]
    yes = [d for d, lo in zip(distinct, low) if lo in YES_VALUES]
    no = [d for d, lo in zip(distinct, low) if lo in NO_VALUES]
    if len(yes) == 1 and len(no) == 1:
        sense = f.header_rule(header) if f.header_rule else None
        said, other = f.header_words
        if sense == "unclear":
            raise XLMError("#VALUE!", f"the train_labels header {header!r} does not say whether "
                           f"{yes[0]!r} means {said} or {other}. Set positive to the value that "
                           f"{f.means}: positive=\"{yes[0]}\" or positive=\"{no[0]}\".")
        if sense == "negative":
            notes.append(f"train_labels header {header!r}: {yes[0]!r} read as {other}, so "
                         f"{no[0]!r} {f.means}. Set positive to change it.")
            return no[0]
        return yes[0]
    pos = [d for d, lo in zip(distinct, low) if lo in f.positive_words]
    neg = [d for d, lo in zip(distinct, low) if lo in f.negative_words]
    if len(pos) == 1 and pos[0] not in neg:
        return pos[0]
    if not pos and len(neg) == 1:
        return next(d for d in distinct if d != neg[0])
    raise XLMError("#VALUE!", f"cannot tell which label {f.means}: {_show_values(distinct)}. "
                   f"Set positive to {f.positive_value}, e.g. positive=\"{distinct[0]}\".")


# --------------------------------------------------------------------------- shared arguments


def _positive_label(value: Any, name: str) -> str | None:
    """The ``positive`` option: the label text of the positive outcome, or None to recognise it."""
    v = cells.scalar(value)
    return None if v is None else label_key(v)


SCORE = Arg("Customers to score, with the same columns as train_data (matched by header name, "
            "else by position). Blank: score train_data itself. One row works for fill-down.")
REGULARIZATION = Arg("Regularisation strength for logistic regression (default 1). Larger values "
                     "shrink the model towards the average rate. Other models ignore it.",
                     Float(default=1.0, lo=0.0, lo_open=True, hi=1e6))
MODEL = Arg('Which model: "logistic" (default), "tree" (readable), "forest", "boosting", "svm", '
            '"neural" (a small network) or "auto" (cross-validated choice among them all; the '
            "simpler model unless a richer one wins clearly).", lambda v, name: M.parse_model(None if cells.scalar(v) is None
                                                        else str(cells.scalar(v))))
SEED_MODEL = Arg("Random seed (default 0) for the folds and for forest, boosting, svm and neural. "
                 "Same seed, same answer, every time.", SEED.check)
THRESHOLD = Arg("Probability from which a customer counts as predicted positive (default 0.5).",
                Float(default=0.5, lo=0.0, hi=1.0))
FOLDS = Arg("Number of cross-validation folds (default 5).", Int(default=5, lo=2, hi=20))

#: The arguments whose wizard text each family words itself (:attr:`Family.args`); these are
#: the plain texts for a family that does not.
TRAIN = Arg("Customers whose outcome you know: one row per customer, one column per attribute. "
            "A header row is optional and detected.")
LABELS = Arg("The outcome of each training customer, same rows as train_data: Yes/No, 1/0, "
             "TRUE/FALSE... A header cell on top is fine.")
POSITIVE = Arg('Which outcome value is the one to predict, e.g. "Clicked". Blank: recognised from '
               "Yes, 1, TRUE.", _positive_label)
BALANCED = Arg("TRUE weights both outcomes equally (useful when one is rare). Default FALSE.",
               Bool(default=False))


def positive_arg(doc: str) -> Arg:
    """A family's wizard text for ``positive``, with the shared check."""
    return Arg(doc, _positive_label)


# --------------------------------------------------------------------------- options and fit

#: Folds "auto" cross-validates with when it chooses a model for CHURN_PROB and friends.
AUTO_FOLDS = 5


def _astuple(v: Any) -> tuple[Any, ...]:
    """``dataclasses.astuple`` without its deep copy of every field (the options are read
    on every call of a fill-down): the same content, so the same cache key."""
    return tuple(_astuple(x) if dataclasses.is_dataclass(x) and not isinstance(x, type) else x
                 for x in (getattr(v, f.name) for f in dataclasses.fields(v)))


@dataclass(frozen=True)
class Training:
    """The training ranges, the family reading them and every option that shapes a fit.

    One object instead of a thread of arguments through :func:`fit_model`,
    :func:`cross_validated` and :func:`comparison`; :meth:`key` is what their cached results
    depend on: the cells, the options and the family's :class:`Reading` of the labels (not the
    family itself, so families that read the labels alike share one fit).
    """

    data: Any
    labels: Any
    family: Family
    positive: str | None = None
    header: bool | None = None
    keep_ids: bool = False
    options: M.Options = M.Options()

    @functools.cached_property
    def range(self) -> cells.Range:
        return range_of(self.data)

    @functools.cached_property
    def _observed(self) -> tuple[Table, list[str], Any]:
        """The training table, the label of each kept row and the labels' header: read once."""
        # IDs go first, so the outcome-count check counts only the features the model will use
        # (leaving columns out keeps the rows and the header as they are).
        table = cells.leave_out_ids(cells.read_table(self.range, name="train_data",
                                                     header=self.header), self.keep_ids)
        keys, header, merged = _label_values(self.labels, table)
        if merged:
            table = dataclasses.replace(table, notes=[*table.notes, merged])
        return table, keys, header

    def reading(self) -> Reading:
        """The family's reading of the labels, cached: a warm call reads nothing."""

        def read() -> Reading:
            table, keys, header = self._observed
            got = read_outcome(keys, header, table, self.positive, self.family)
            if table.n_rows < 4:
                raise XLMError("#NUM!", f"train_data needs at least 4 customers to fit "
                               f"{self.family.outcome.model}, got {table.n_rows}. Select more rows.")
            return got

        key = key_of((self.range, self.labels), (self.positive, self.header, self.keep_ids),
                     self.family.name)
        return CACHE.get_or_fit("outcome", key, read)

    def key(self, *extra: Any) -> str:
        """Every field of the training (derived, so a new option is keyed too) with the family's
        reading of the labels in place of the family, and ``extra``."""
        r = self.reading()
        fields = [(f.name, _astuple(v) if dataclasses.is_dataclass(v) else v)
                  for f in dataclasses.fields(self) if f.name not in ("data", "labels", "family")
                  for v in [getattr(self, f.name)]]
        return key_of((self.range, self.labels), (tuple(fields), r.positive, tuple(r.notes)),
                      *extra)

    def read(self) -> tuple[Table, np.ndarray, str]:
        """The validated training table (the reading's notes added), the 0/1 outcomes and the
        positive outcome's label."""
        table, keys, _ = self._observed
        r = self.reading()
        y = np.fromiter((k == r.positive for k in keys), dtype=np.int64, count=len(keys))
        return dataclasses.replace(table, notes=table.notes + list(r.notes)), y, r.positive


def training(train_data: Any, train_labels: Any, positive: str | None = None,
             balanced: bool = False, regularization: float = 1.0, model: str = "logistic",
             seed: int = 0, header: bool | None = None, keep_ids: bool = False, *,
             family: Family) -> Training:
    """A :class:`Training` from a spreadsheet function's own (already checked) arguments."""
    return Training(train_data, train_labels, family, positive, header, keep_ids,
                    M.Options(model, balanced, regularization, seed))


def comparison(t: Training, folds: int) -> tuple[core.Comparison, Table, np.ndarray, str]:
    """The cached cross-validated comparison of every candidate (CHURN_COMPARE, model="auto").

    Shared by every model choice: the key holds "auto" whatever ``t``'s model is.
    """
    t = dataclasses.replace(t, options=dataclasses.replace(t.options, model=M.AUTO))

    def fit() -> tuple[core.Comparison, Table, np.ndarray, str]:
        table, y, positive_label = t.read()
        comp = core.compare(table.frame, table.kinds, y, t.options, folds=folds,
                            seed=t.options.seed, outcome=t.family.outcome)
        return comp, table, y, positive_label

    return CACHE.get_or_fit("churn_compare", t.key(folds), fit)


def fit_model(t: Training) -> Fit:
    """The cached model for these raw ranges and clean options (fits on a cache miss).

    ``model="auto"`` takes the cached comparison's choice (and fits it on all rows).
    """

    def fit() -> Fit:
        chosen = t.options
        if chosen.model == M.AUTO:
            comp, table, y, positive_label = comparison(t, AUTO_FOLDS)
            chosen = dataclasses.replace(chosen, model=comp.chosen)
        else:
            table, y, positive_label = t.read()
        fitted = core.fit(table.frame, table.kinds, y, chosen, what="train_data",
                          outcome=t.family.outcome)
        # A new Table: with "auto" the one read belongs to the cached comparison, which other
        # functions share and must not see this fit's notes.
        table = dataclasses.replace(table, notes=table.notes + fitted.prep.encoder.notes)
        return Fit(table, y, positive_label, fitted)

    return CACHE.get_or_fit("churn", t.key(), fit)


def cross_validated(t: Training, folds: int) -> tuple[core.CrossVal, str, Table]:
    """Cached out-of-fold probabilities (CHURN_METRICS, CHURN_LIFT, CHURN_ROC, CHURN_FAIRNESS).

    For "auto" they are the chosen candidate's, from the folds it was chosen on (slightly
    optimistic, and far cheaper than cross-validating the choice itself).
    """
    if t.options.model == M.AUTO:
        comp, table, _, positive_label = comparison(t, folds)
        return comp.results[comp.chosen], positive_label, table

    def fit() -> tuple[core.CrossVal, str, Table]:
        table, y, positive_label = t.read()
        cv = core.cross_validate(table.frame, table.kinds, y, t.options, folds=folds,
                                 seed=t.options.seed, outcome=t.family.outcome)
        return cv, positive_label, table

    return CACHE.get_or_fit("churn_cv", t.key(folds), fit)


# --------------------------------------------------------------------------- score data


def blank_range(values: Any) -> tuple[bool, int]:
    """Whether every cell of ``values`` is blank, and its number of rows."""
    grid = cells.as_grid(values)
    blank = all(v is None or (isinstance(v, str) and not v.strip())
                or (isinstance(v, float) and np.isnan(v)) for row in grid for v in row)
    return blank, len(grid)


def _as_label(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan
    return label_key(float(v)) if isinstance(v, (int, float)) else str(v)


#: Where a one-row score_data without header lands: one data row, no label row.
_ONE_ROW = Table(frame=pd.DataFrame(), kinds={}, header=False, row_mask=np.ones(1, dtype=bool),
                 name="score_data")
_PLAIN_TEXT = re.compile(r"^[^\W\d_]")  # starts with a letter: never number or error text
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _one_row(fit: Fit, score_data: Any) -> tuple[dict[str, np.ndarray], Table] | None:
    """The fill-down fast path: one row of plain cells as model columns, else None.

    Taken only when every cell reads the same whatever the parse rules: numbers (and dates
    as datetimes) in number and date columns, blanks, and text that starts with a letter (and
    is not TRUE or FALSE) in text columns. Anything else (number text, booleans, errors, text where numbers belong) goes
    through :func:`cells.read_table`, which parses and words the errors. This skips building
    DataFrames for one customer, the bulk of a cache hit's cost.
    """
    row = score_data[0] if type(score_data) in (list, tuple) and len(score_data) == 1 else score_data
    if type(row) not in (list, tuple) or any(type(v) in (list, tuple) for v in row):
        return None
    source, plan = fit.row_plan if isinstance(fit, Fit) else row_plan(fit.table)
    if len(row) != len(source):
        return None
    out: dict[str, np.ndarray] = {}
    blank = True
    for col, v in zip(plan, row):
        if col is None:
            continue  # a column the model leaves out (e.g. an ID)
        c, text = col
        t = type(v)
        if text:
            if v is None:
                out[c] = np.array([np.nan], dtype=object)
                continue
            if t is not str or not _PLAIN_TEXT.match(v) or v.strip().upper() in ("TRUE", "FALSE"):
                return None
            out[c] = fit.levels(c, [v])
        elif v is None:
            out[c] = np.array([np.nan])
            continue
        elif t is float:
            if not math.isfinite(v):
                return None
            out[c] = np.array([v])
        elif t is int:
            if v in cells.COM_ERRORS or not _INT64_MIN <= v <= _INT64_MAX:
                return None  # an error code, or too large for the fast path's checks
            out[c] = np.array([float(v)])
        elif t is dt.datetime:
            out[c] = np.array([cells.to_serial(v)])
        else:
            return None
        blank = False
    if blank:
        return None
    if fit.table.header:
        notices.say(lambda: _by_position_note(source))
    return out, _ONE_ROW


def _by_position_note(columns: list[str]) -> str:
    shown = ", ".join(columns[:8]) + (", ..." if len(columns) > 8 else "")
    return (f"score_data has no header row, so its columns were matched to train_data's by "
            f"position ({shown}). Give score_data the same header row to match by name.")


def _score_frame(fit: Fit, score_data: Any, hd: bool | None) -> tuple[dict[str, np.ndarray], Table]:
    """score_data as a frame with the training columns (matched by header or position)."""
    fast = _one_row(fit, score_data)
    if fast is not None:
        return fast
    train = fit.table
    if len(cells.as_grid(score_data)) == 1:
        hd = False  # one row is a customer, even with header=TRUE (the fill-down pattern)
    score = cells.leave_out_same(cells.read_table(score_data, name="score_data", header=hd), train)
    cols = train.columns
    if train.header and score.header:
        # Exact names first, then ignoring case ("spend" matches "Spend").
        folded = {c.casefold(): c for c in score.columns}
        name = {c: c if c in score.frame.columns else folded.get(c.casefold()) for c in cols}
        missing = [c for c in cols if name[c] is None]
        extra = [c for c in score.columns if c not in set(name.values())]
        if missing or extra:
            what = (f"lacks {col_label(missing[0])}" if missing else
                    f"has {col_label(extra[0])}, which train_data lacks")
            raise XLMError("#VALUE!", f"score_data {what}. Give score_data the same column "
                           f"headers as train_data ({', '.join(cols[:6])}"
                           f"{', ...' if len(cols) > 6 else ''}), in any order.")
        src = {c: score.frame[name[c]] for c in cols}
        score = Table(score.frame, {c: score.kinds[name[c]] for c in cols}, score.header,
                      score.row_mask, score.name)
    else:
        if score.frame.shape[1] != len(cols):
            raise XLMError("#VALUE!", f"score_data has {score.frame.shape[1]} columns but "
                           f"train_data has {len(cols)}. Select the same columns in the same "
                           "order (or give both ranges a header row to match by name).")
        if train.header:
            notices.say(lambda: _by_position_note(cols))
        src = {c: score.frame[s] for c, s in zip(cols, score.columns)}
        score = Table(score.frame, dict(zip(cols, score.kinds.values())), score.header,
                      score.row_mask, score.name)
    out: dict[str, Any] = {}
    for c in cols:
        s = np.asarray(src[c], dtype=object)
        s_kind = score.kinds[c]
        if train.kinds[c] == CATEGORY:
            out[c] = fit.levels(c, s if s_kind == CATEGORY else [_as_label(v) for v in s])
        elif s_kind == CATEGORY:
            bad = next(v for v in s if isinstance(v, str))
            raise XLMError("#VALUE!", f"score_data {col_label(c)} has the text {bad!r} "
                           "where train_data has numbers. Enter a number there or clear the cell.")
        else:
            out[c] = s.astype(np.float64)
    return out, score


def omitted(score_data: Any) -> bool:
    """score_data left out: missing, or a single blank cell (Office.js sends [[None]])."""
    if score_data is None:
        return True
    grid = cells.as_grid(score_data)
    return len(grid) == 1 and len(grid[0]) == 1 and blank_range(grid)[0]


def scored(fit: Fit, score_data: Any, hd: bool | None) -> tuple[Frame, Table] | None:
    """(frame, table) to score; None when score_data is entirely blank."""
    blank, _ = blank_range(score_data)
    if blank:
        return None
    return _score_frame(fit, score_data, hd)

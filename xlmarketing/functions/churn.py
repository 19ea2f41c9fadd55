"""CHURN_PROB, CHURN_METRICS, CHURN_DRIVERS and CHURN_REASONS: churn risk per customer.

The same implementations serve the propensity family for any yes/no outcome (ad clicks, offer
responses, purchases): PROPENSITY_SCORE, PROPENSITY_METRICS, PROPENSITY_DRIVERS and
PROPENSITY_REASONS differ only in their wording (:class:`Wording`) and wizard texts. Every
function takes ``model`` ("logistic" by default, "tree", "forest", "boosting" or "auto").

The fitted model is cached under the raw training cells, the raw labels and the parsed options
only; ``score_data`` is parsed on every call. So the fill-down pattern
``=CHURN_PROB($A$1:$F$5001, $G$1:$G$5001, A2:F2)`` copied down 5,000 rows fits once and each
row costs a hash of the training range plus scoring one row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
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
from ..errors import XLMError, col_label
from . import Cells, sheet_function
from .spec import HEADER_ARG, KEEP_IDS, SEED, Arg, Bool, Float, Int, key_of, range_of

#: Label values recognised as "churned" / "stayed" (compared case-insensitively).
POSITIVE_WORDS = frozenset({
    "1", "true", "yes", "y", "churn", "churned", "churner", "lost", "left", "cancelled",
    "canceled", "cancel", "attrited", "lapsed", "inactive", "gone", "quit", "exited",
    "terminated", "closed", "unsubscribed", "defected",
})
NEGATIVE_WORDS = frozenset({
    "0", "false", "no", "n", "active", "retained", "stayed", "stay", "current", "kept",
    "existing", "loyal", "renewed", "subscribed", "not churned", "no churn",
})

PROB_LABEL = "Churn probability"


@dataclass(frozen=True)
class Wording:
    """How a family of functions names the outcome in its outputs."""

    prob: str            # the probability column's header
    effect: str          # the outcome in "raises ..." / "lowers ..."
    base_rate: str       # the base rate row of the metrics table
    positive: str        # the row naming the positive label


CHURN = Wording(PROB_LABEL, "churn", "Base churn rate", "Churned label")
PROPENSITY = Wording("Probability", "the probability", "Base rate", "Positive label")

#: Core parameter names -> the sheet argument names, for core errors.
ARG_NAMES = {"frame": "train_data", "y": "train_labels", "groups": "group"}


def twin(churn_name: str, propensity_name: str, churn_summary: str, propensity_summary: str,
         args: Mapping[str, Arg]) -> Callable[[Callable[..., Cells]], Callable[..., Cells]]:
    """Register one implementation under its CHURN_* and its PROPENSITY_* name.

    The implementation takes a keyword-only ``wording``; the CHURN_* form gets :data:`CHURN`,
    the PROPENSITY_* form :data:`PROPENSITY`, its own summary, and the propensity wizard texts
    for the arguments in :data:`PROPENSITY_ARGS`. Returns the CHURN_* function.
    """

    def register(impl: Callable[..., Cells]) -> Callable[..., Cells]:
        sig = inspect.signature(impl)
        sig = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "wording"])

        def bind(wording: Wording, name: str, summary: str, specs: Mapping[str, Arg]
                 ) -> Callable[..., Cells]:
            def fn(*a: Any, **kw: Any) -> Cells:
                return impl(*a, wording=wording, **kw)
            fn.__signature__ = sig  # type: ignore[attr-defined]
            fn.__name__ = fn.__qualname__ = name.lower()
            fn.__doc__ = impl.__doc__
            return sheet_function(name, summary, args=specs, arg_names=ARG_NAMES)(fn)

        bind(PROPENSITY, propensity_name, propensity_summary,
             {k: PROPENSITY_ARGS.get(k, v) for k, v in args.items()})
        return bind(CHURN, churn_name, churn_summary, args)

    return register

#: Columns to score: the training Table's frame, or score_data's columns as numpy arrays.
Frame = pd.DataFrame | dict[str, np.ndarray]


@dataclass
class _Fit:
    table: Table
    y: np.ndarray
    positive: str
    model: core.ChurnModel
    memo: Memo = field(default_factory=Memo)  # outputs handed out as copies


# --------------------------------------------------------------------------- labels


def _label_key(v: Any) -> str:
    """A label value's text form: 1.0 → "1", True → "TRUE", " Yes " → "Yes"."""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()


def _show_values(values: list[str], n: int = 4) -> str:
    shown = ", ".join(repr(v) for v in values[:n])
    return shown + (", ..." if len(values) > n else "")


#: Label values that are a plain yes or no: what they mean depends on the header above them.
YES_VALUES = frozenset({"1", "true", "yes", "y"})
NO_VALUES = frozenset({"0", "false", "no", "n"})
#: Header words for which "yes" means the customer churned ...
CHURN_HEADER_WORDS = frozenset({
    "churn", "churned", "churns", "churner", "churning", "left", "leave", "leaver", "lost",
    "cancelled", "canceled", "cancel", "cancellation", "attrition", "attrited", "lapsed", "lapse",
    "inactive", "gone", "quit", "exited", "exit", "terminated", "closed", "unsubscribed",
    "defected", "dropped", "departed",
})
#: ... for which "yes" means the customer stayed ...
STAYED_HEADER_WORDS = frozenset({
    "retained", "retain", "retains", "retention", "active", "stayed", "stay", "stays", "staying",
    "renewed", "renew", "renews", "renewal", "loyal", "current", "kept", "existing", "subscribed",
    "subscriber", "alive", "continuing", "continued", "remained", "remain", "survived",
})
#: ... which turn the next one around ("Not retained") ...
NEGATION_WORDS = frozenset({"not", "no", "non", "never", "didn", "hasn", "isn", "wasn"})
#: ... and which say nothing of the direction: yes/no under them is ambiguous.
STATE_HEADER_WORDS = frozenset({"status", "state"})

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def header_sense(header: Any) -> str | None:
    """What "yes" means under a labels header: "churned", "stayed", "unclear" or None.

    The header is split into words ("IsActive" -> is, active; "not_retained" -> not,
    retained). None: no header, or no word that gives a direction ("Outcome", "Label"), where
    yes keeps its usual meaning of churned. "unclear": words pointing both ways, or a bare
    state word ("Status").
    """
    if not isinstance(header, str):
        return None
    senses: set[str] = set()
    negate = False
    words = [w.lower() for w in _WORD.findall(header)]
    for w in words:
        if w in NEGATION_WORDS:
            negate = not negate
            continue
        sense = "churned" if w in CHURN_HEADER_WORDS else "stayed" if w in STAYED_HEADER_WORDS else None
        if sense:
            senses.add(sense if not negate else {"churned": "stayed", "stayed": "churned"}[sense])
            negate = False
    if len(senses) > 1 or (not senses and STATE_HEADER_WORDS & set(words)):
        return "unclear"
    return senses.pop() if senses else None


def _labels(train_labels: Any, table: Table, positive: Any) -> tuple[np.ndarray, str]:
    """0/1 outcome per row of ``table.frame``, and the positive (churned) label.

    What was decided on the user's behalf (a header that turns yes into "stayed", few
    customers of one outcome) is added to ``table.notes``, which the companion outputs show.
    """
    grid = cells.as_grid(train_labels)
    values, lab_header = cells.read_beside(grid, table, name="train_labels")
    header = cells.scalar(grid[0][0]) if lab_header else None
    mask = table.row_mask
    kept = [v for v, keep in zip(values, mask) if keep]
    for i, (v, keep) in enumerate(zip(values, mask)):
        if keep and v is None:
            raise XLMError("#VALUE!", f"train_labels is blank in row {i + 1 + lab_header} while "
                           "that customer has data. Enter the outcome (e.g. Yes/No) or leave the "
                           "row out.")
    keys = [_label_key(v) for v in kept]
    distinct = sorted(set(keys), key=lambda s: (s.lower(), s))
    if len(distinct) > 2:
        raise XLMError("#VALUE!", f"train_labels must hold two outcomes (churned or not), got "
                       f"{len(distinct)} different values: {_show_values(distinct)}. Use two "
                       "values such as Yes/No.")
    if len(distinct) < 2:
        raise XLMError("#NUM!", f"train_labels has only one outcome ({distinct[0]!r} in all "
                       f"{len(keys)} rows); a churn model needs churned and retained customers. "
                       "Add customers with the other outcome.")
    pos = _positive(positive, distinct, header, table.notes)
    y = np.fromiter((k == pos for k in keys), dtype=np.int64, count=len(keys))
    if table.n_rows >= 4:  # fewer rows: the row-count check in _training answers first
        _check_outcome_counts(y, pos, next(d for d in distinct if d != pos), table)
    return y, pos


def _check_outcome_counts(y: np.ndarray, pos: str, neg: str, table: Table) -> None:
    """Refuse too few customers of one outcome; note a count below a comfortable one."""
    n_pos = int(y.sum())
    counts = {"churned": (n_pos, pos), "retained": (len(y) - n_pos, neg)}
    which = min(counts, key=lambda k: counts[k][0])
    n, label = counts[which]
    if n < limits.MIN_OUTCOME_ROWS:
        raise XLMError("#NUM!", f"train_labels has only {n} {which} customer{'s' * (n != 1)} "
                       f"({label!r}) in {len(y)} rows; a churn model needs at least "
                       f"{limits.MIN_OUTCOME_ROWS} of each outcome to fit and cross-validate. Add "
                       f"{which} customers, or check positive (the value that means churned).")
    features = encoded_width(table.frame, table.kinds)
    comfortable = max(limits.COMFORT_OUTCOME_ROWS, limits.COMFORT_PER_FEATURE * features)
    if n < comfortable:
        table.notes.append(
            f"only {n} {which} customers ({label!r}) for {features} model features: drivers and "
            f"probabilities are unstable below about {comfortable} ({limits.COMFORT_PER_FEATURE} per "
            "feature). Add rows or leave columns out.")


def _positive(positive: Any, distinct: list[str], header: Any = None,
              notes: list[str] | None = None) -> str:
    p = cells.scalar(positive)
    if p is not None:
        want = _label_key(p).lower()
        for d in distinct:
            if d.lower() == want:
                return d
        raise XLMError("#VALUE!", f"positive={_label_key(p)!r} is not one of the label values "
                       f"{_show_values(distinct)}. Enter the value that means churned.")
    low = [d.lower() for d in distinct]
    yes = [d for d, lo in zip(distinct, low) if lo in YES_VALUES]
    no = [d for d, lo in zip(distinct, low) if lo in NO_VALUES]
    if len(yes) == 1 and len(no) == 1:
        sense = header_sense(header)
        if sense == "unclear":
            raise XLMError("#VALUE!", f"the train_labels header {header!r} does not say whether "
                           f"{yes[0]!r} means churned or stayed. Set positive to the value that "
                           f"means churned: positive=\"{yes[0]}\" or positive=\"{no[0]}\".")
        if sense == "stayed":
            if notes is not None:
                notes.append(f"train_labels header {header!r}: {yes[0]!r} read as stayed, so "
                             f"{no[0]!r} means churned. Set positive to change it.")
            return no[0]
        return yes[0]
    pos = [d for d, lo in zip(distinct, low) if lo in POSITIVE_WORDS]
    neg = [d for d, lo in zip(distinct, low) if lo in NEGATIVE_WORDS]
    if len(pos) == 1 and pos[0] not in neg:
        return pos[0]
    if not pos and len(neg) == 1:
        return next(d for d in distinct if d != neg[0])
    raise XLMError("#VALUE!", f"cannot tell which label means churned: {_show_values(distinct)}. "
                   f"Set positive to the churned value, e.g. positive=\"{distinct[0]}\".")


# --------------------------------------------------------------------------- options and fit


def _positive_label(value: Any, name: str) -> str | None:
    """The ``positive`` option: the label text that means churned, or None to recognise it."""
    v = cells.scalar(value)
    return None if v is None else _label_key(v)


_TRAIN = Arg("Customers whose outcome you know: one row per customer, one column per attribute "
             "(tenure, spend, contract, last purchase date...). A header row is optional and "
             "detected.")
_LABELS = Arg("The outcome of each training customer, same rows as train_data: Yes/No, 1/0, "
              "TRUE/FALSE, churned/active... A header cell on top is fine.")
_SCORE = Arg("Customers to score, with the same columns as train_data (matched by header name, "
             "else by position). Blank: score train_data itself. One row works for fill-down.")
_POSITIVE = Arg('Which label value means "churned", e.g. "Lost". Blank: recognised from Yes, 1, '
                "TRUE, churned, lost, cancelled...", _positive_label)
_BALANCED = Arg("TRUE weights churned and retained customers equally (useful when churn is rare). "
                "Default FALSE.", Bool(default=False))
_REG = Arg("Regularisation strength for logistic regression (default 1). Larger values shrink "
           "the model towards the average rate. Other models ignore it.",
           Float(default=1.0, lo=0.0, lo_open=True, hi=1e6))


_MODEL = Arg('Which model: "logistic" (default, regression), "tree" (a shallow decision tree you '
              'can read), "forest" (random forest), "boosting" (gradient boosting) or "auto" '
              "(cross-validated choice that keeps the simpler model unless a richer one wins "
              "clearly).", lambda v, name: M.parse_model(None if cells.scalar(v) is None
                                                          else str(cells.scalar(v))))
_SEED_MODEL = Arg("Random seed (default 0) for the folds and for forest and boosting. Same seed, "
                  "same answer, every time.", SEED.check)

#: The propensity family's wizard texts where they differ from the churn ones.
PROPENSITY_ARGS = {
    "train_data": Arg("Customers whose outcome you know (clicked, responded, bought...): one row "
                      "per customer, one column per attribute. A header row is optional and "
                      "detected."),
    "train_labels": Arg("The outcome of each training customer, same rows as train_data: "
                        "Yes/No, 1/0, TRUE/FALSE... A header cell on top is fine."),
    "positive": Arg('Which outcome value is the one to predict, e.g. "Clicked". Blank: '
                    "recognised from Yes, 1, TRUE.", _positive_label),
}

#: Folds "auto" cross-validates with when it chooses a model for CHURN_PROB and friends.
AUTO_FOLDS = 5


@dataclass(frozen=True)
class Training:
    """The training ranges and every option that shapes a churn or propensity fit.

    One object instead of a thread of arguments through :func:`fit_churn`,
    :func:`cross_validated` and :func:`comparison`; :meth:`key` is what their cached results
    depend on.
    """

    data: Any
    labels: Any
    positive: str | None = None
    header: bool | None = None
    keep_ids: bool = False
    options: M.Options = M.Options()

    @functools.cached_property
    def range(self) -> cells.Range:
        return range_of(self.data)

    def key(self, *extra: Any) -> str:
        """Every field of the training (derived, so a new option is keyed too), and ``extra``."""
        fields = [(f.name, dataclasses.astuple(v) if dataclasses.is_dataclass(v) else v)
                  for f in dataclasses.fields(self) if f.name not in ("data", "labels")
                  for v in [getattr(self, f.name)]]
        return key_of((self.range, self.labels), tuple(fields), *extra)

    def read(self) -> tuple[Table, np.ndarray, str]:
        """The validated training table, the 0/1 outcomes and the positive outcome's label."""
        # IDs go first, so the outcome-count check counts only the features the model will use
        # (leaving columns out keeps the rows and the header as they are).
        table = cells.leave_out_ids(cells.read_table(self.range, name="train_data",
                                                     header=self.header), self.keep_ids)
        y, positive_label = _labels(self.labels, table, self.positive)
        if table.n_rows < 4:
            raise XLMError("#NUM!", f"train_data needs at least 4 customers to fit a churn model, "
                           f"got {table.n_rows}. Select more rows.")
        return table, y, positive_label


def training(train_data: Any, train_labels: Any, positive: str | None = None,
             balanced: bool = False, regularization: float = 1.0, header: bool | None = None,
             model: str = "logistic", seed: int = 0, keep_ids: bool = False) -> Training:
    """A :class:`Training` from a spreadsheet function's own (already checked) arguments."""
    return Training(train_data, train_labels, positive, header, keep_ids,
                    M.Options(model, balanced, regularization, seed))


def comparison(t: Training, folds: int) -> tuple[core.Comparison, Table, np.ndarray, str]:
    """The cached cross-validated comparison of every candidate (CHURN_COMPARE, model="auto").

    Shared by every model choice: the key holds "auto" whatever ``t``'s model is.
    """
    t = dataclasses.replace(t, options=dataclasses.replace(t.options, model=M.AUTO))

    def fit() -> tuple[core.Comparison, Table, np.ndarray, str]:
        table, y, positive_label = t.read()
        comp = core.compare(table.frame, table.kinds, y, t.options, folds=folds, seed=t.options.seed)
        return comp, table, y, positive_label

    return CACHE.get_or_fit("churn_compare", t.key(folds), fit)


def fit_churn(t: Training) -> _Fit:
    """The cached model for these raw ranges and clean options (fits on a cache miss).

    ``model="auto"`` takes the cached comparison's choice (and fits it on all rows).
    """

    def fit() -> _Fit:
        chosen = t.options
        if chosen.model == M.AUTO:
            comp, table, y, positive_label = comparison(t, AUTO_FOLDS)
            chosen = dataclasses.replace(chosen, model=comp.chosen)
        else:
            table, y, positive_label = t.read()
        fitted = core.fit(table.frame, table.kinds, y, chosen, what="train_data")
        # A new Table: with "auto" the one read belongs to the cached comparison, which other
        # functions share and must not see this fit's notes.
        table = dataclasses.replace(table, notes=table.notes + fitted.prep.encoder.notes)
        return _Fit(table, y, positive_label, fitted)

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
                                 seed=t.options.seed)
        return cv, positive_label, table

    return CACHE.get_or_fit("churn_cv", t.key(folds), fit)


# --------------------------------------------------------------------------- score data


def _blank_range(values: Any) -> tuple[bool, int]:
    grid = cells.as_grid(values)
    blank = all(v is None or (isinstance(v, str) and not v.strip())
                or (isinstance(v, float) and np.isnan(v)) for row in grid for v in row)
    return blank, len(grid)


def _as_label(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan
    return _label_key(float(v)) if isinstance(v, (int, float)) else str(v)


#: Where a one-row score_data without header lands: one data row, no label row.
_ONE_ROW = Table(frame=pd.DataFrame(), kinds={}, header=False, row_mask=np.ones(1, dtype=bool),
                 name="score_data")
_PLAIN_TEXT = re.compile(r"^[^\W\d_]")  # starts with a letter: never number or error text


def _one_row(fit: _Fit, score_data: Any) -> tuple[dict[str, np.ndarray], Table] | None:
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
    train = fit.table
    source = getattr(train, "source_columns", None) or train.columns
    if len(row) != len(source):
        return None
    wanted = set(train.columns)
    out: dict[str, np.ndarray] = {}
    blank = True
    for c, v in zip(source, row):
        if c not in wanted:
            continue  # a column the model leaves out (e.g. an ID)
        t = type(v)
        if train.kinds[c] == CATEGORY:
            if v is None:
                out[c] = np.array([np.nan], dtype=object)
                continue
            if t is not str or not _PLAIN_TEXT.match(v) or v.strip().upper() in ("TRUE", "FALSE"):
                return None
            out[c] = np.array([v.strip()], dtype=object)
        elif v is None:
            out[c] = np.array([np.nan])
            continue
        elif t is float or (t is int and v not in cells.COM_ERRORS):
            if not np.isfinite(v):
                return None
            out[c] = np.array([float(v)])
        elif t is dt.datetime:
            out[c] = np.array([cells.to_serial(v)])
        else:
            return None
        blank = False
    if blank:
        return None
    if train.header:
        notices.say(lambda: _by_position_note(source))
    return out, _ONE_ROW


def _by_position_note(columns: list[str]) -> str:
    shown = ", ".join(columns[:8]) + (", ..." if len(columns) > 8 else "")
    return (f"score_data has no header row, so its columns were matched to train_data's by "
            f"position ({shown}). Give score_data the same header row to match by name.")


def _score_frame(fit: _Fit, score_data: Any, hd: bool | None) -> tuple[dict[str, np.ndarray], Table]:
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
            out[c] = s if s_kind == CATEGORY else np.array([_as_label(v) for v in s], dtype=object)
        elif s_kind == CATEGORY:
            bad = next(v for v in s if isinstance(v, str))
            raise XLMError("#VALUE!", f"score_data {col_label(c)} has the text {bad!r} "
                           "where train_data has numbers. Enter a number there or clear the cell.")
        else:
            out[c] = s.astype(np.float64)
    return out, score


def _omitted(score_data: Any) -> bool:
    """score_data left out: missing, or a single blank cell (Office.js sends [[None]])."""
    if score_data is None:
        return True
    grid = cells.as_grid(score_data)
    return len(grid) == 1 and len(grid[0]) == 1 and _blank_range(grid)[0]


def _scored(fit: _Fit, score_data: Any, hd: bool | None) -> tuple[Frame, Table] | None:
    """(frame, table) to score; None when score_data is entirely blank."""
    blank, _ = _blank_range(score_data)
    if blank:
        return None
    return _score_frame(fit, score_data, hd)


# --------------------------------------------------------------------------- functions


@twin("CHURN_PROB", "PROPENSITY_SCORE",
      "Probability (0 to 1) that each customer churns, from a model (logistic regression by "
      "default) trained on customers whose outcome you know. Spills one value per row of "
      "score_data.",
      "Propensity: the probability (0 to 1) that each customer clicks, responds or buys, learned "
      "from customers whose outcome you know. Spills one value per row of score_data.", args={
    "train_data": _TRAIN, "train_labels": _LABELS, "score_data": _SCORE, "positive": _POSITIVE,
    "balanced": _BALANCED, "regularization": _REG, "header": HEADER_ARG, "model": _MODEL,
    "seed": _SEED_MODEL, "keep_ids": KEEP_IDS,
})
def churn_prob(train_data: Any, train_labels: Any, score_data: Any = None,
               positive: str | None = None, balanced: bool = False, regularization: float = 1.0,
               header: bool | None = None, model: str = "logistic", seed: int = 0,
               keep_ids: bool = False, *, wording: Wording = CHURN) -> Cells:
    """Probability of the positive outcome for every row of score_data (default: train_data)."""
    fit = fit_churn(training(train_data, train_labels, positive, balanced, regularization, header,
                             model, seed, keep_ids))
    if _omitted(score_data):
        key = f"prob:{wording.prob}"
        if key not in fit.memo:
            p = fit.model.train_proba
            fit.memo[key] = cells.to_cells(p, fit.table, labels=wording.prob)
        return fit.memo[key]
    got = _scored(fit, score_data, header)
    if got is None:
        return [[""] for _ in range(_blank_range(score_data)[1])]
    frame, table = got
    return cells.to_cells(fit.model.predict_proba(frame), table, labels=wording.prob)


_THRESHOLD = Arg("Probability from which a customer counts as predicted positive (default 0.5).",
                 Float(default=0.5, lo=0.0, hi=1.0))
_FOLDS = Arg("Number of cross-validation folds (default 5).", Int(default=5, lo=2, hi=20))


@twin("CHURN_METRICS", "PROPENSITY_METRICS",
      "How good the churn model is, measured on customers it did not see (cross-validation): ROC "
      "AUC, accuracy, precision, recall, F1, confusion counts and base churn rate.",
      "How good the propensity model is on customers it did not see (cross-validation): ROC AUC, "
      "accuracy, precision, recall, F1, confusion counts and base rate.", args={
    "train_data": _TRAIN, "train_labels": _LABELS, "threshold": _THRESHOLD, "folds": _FOLDS,
    "positive": _POSITIVE, "balanced": _BALANCED, "regularization": _REG, "seed": SEED,
    "header": HEADER_ARG, "model": _MODEL, "keep_ids": KEEP_IDS,
})
def churn_metrics(train_data: Any, train_labels: Any, threshold: float = 0.5, folds: int = 5,
                  positive: str | None = None, balanced: bool = False, regularization: float = 1.0,
                  seed: int = 0, header: bool | None = None, model: str = "logistic",
                  keep_ids: bool = False, *, wording: Wording = CHURN) -> Cells:
    """Cross-validated quality of the model: a Metric / Value table, then a Note row for each
    column left out or read specially."""
    cv, positive_label, table = cross_validated(
        training(train_data, train_labels, positive, balanced, regularization, header, model, seed,
                 keep_ids), folds)
    rows: list[list[Any]] = []
    for name, value in core.threshold_metrics(cv, threshold).items():
        rows.append([wording.base_rate if name == "Base churn rate" else name, value])
    rows.append([wording.positive, positive_label])
    return cells.with_notes(cells.to_cells(rows, labels=["Metric", "Value"]), table.notes)


@twin("CHURN_DRIVERS", "PROPENSITY_DRIVERS",
      "What drives churn: one row per attribute or category, most important first: importance in "
      "AUC points (the same scale for every model), whether it raises or lowers churn, and for "
      "logistic regression its coefficient and odds ratio.",
      "What drives the response: one row per attribute or category, most important first, with "
      "importance in AUC points, direction and (logistic) coefficient and odds ratio.", args={
    "train_data": _TRAIN, "train_labels": _LABELS, "positive": _POSITIVE, "balanced": _BALANCED,
    "regularization": _REG, "header": HEADER_ARG, "model": _MODEL, "seed": _SEED_MODEL,
    "keep_ids": KEEP_IDS,
})
def churn_drivers(train_data: Any, train_labels: Any, positive: str | None = None,
                  balanced: bool = False, regularization: float = 1.0,
                  header: bool | None = None, model: str = "logistic", seed: int = 0,
                  keep_ids: bool = False, *, wording: Wording = CHURN) -> Cells:
    """One row per feature or category level, most important first (permutation importance)."""
    fit = fit_churn(training(train_data, train_labels, positive, balanced, regularization, header,
                             model, seed, keep_ids))
    if "drivers" not in fit.memo:
        d = core.drivers(fit.model, fit.table.frame, fit.y, seed=seed)
        fit.memo["drivers"] = cells.with_notes(
            cells.to_cells(d.to_numpy(dtype=object), labels=list(d.columns)), fit.table.notes)
    out = fit.memo["drivers"]  # a fresh copy: safe to reword
    if wording is not CHURN:
        j = out[0].index("Direction")
        for row in out[1:]:
            if row[0] != "Note":
                row[j] = row[j].replace("churn", wording.effect)
    return out


def _fmt(v: float) -> str:
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.3g}"


#: A column is a reason only if it raises this customer's log-odds of churn by at least this
#: much compared with the average customer (a factor of about 1.05 on the odds).
MIN_PUSH = 0.05


def _reason_texts(fit: _Fit, frame: Frame, top_n: int) -> list[list[str]]:
    model = fit.model
    prep = model.prep
    contrib, cols = core.contributions(model, frame)
    floor = MIN_PUSH if model.family == "logistic" else core.push_floor(model)
    transformed = prep.arrays(frame)
    centre = dict(zip(prep.encoder.numeric, prep.encoder.means))
    out: list[list[str]] = []
    order = np.argsort(-contrib, axis=1, kind="stable")
    values = {c: list(frame[c]) for c in cols}
    for i in range(core.n_rows(frame)):
        texts: list[str] = []
        for j in order[i, :top_n]:
            if contrib[i, j] < floor:
                break
            c = cols[j]
            v = values[c][i]
            kind = prep.kinds[c]
            if kind == CATEGORY:
                texts.append(f"{c}: {v if isinstance(v, str) else 'blank'}")
                continue
            if v is None or np.isnan(v):
                texts.append(f"{c} blank")
                continue
            # Above or below the average customer on the model's own scale (log, days ago).
            above = transformed[c][i] > centre[c]
            if kind == core.DATE:
                days = prep.ref_date - float(v)
                texts.append(f"{c} {'long ago' if above else 'recent'} ({_fmt(days)} days)")
            elif kind == core.BOOL:
                texts.append(f"{c} {'TRUE' if v else 'FALSE'}")
            else:
                texts.append(f"{c} {'high' if above else 'low'} ({_fmt(float(v))})")
        out.append(texts + [""] * (top_n - len(texts)))
    return out


@twin("CHURN_REASONS", "PROPENSITY_REASONS",
      "Why each customer is at risk: the top_n attributes that push this customer's churn risk up "
      'most, as text (e.g. "Contract: Monthly"). Exact for logistic regression, SHAP values for '
      "the tree models.",
      "Why each customer is likely to respond: the top_n attributes pushing this customer's "
      "probability up most, as text.", args={
    "train_data": _TRAIN, "train_labels": _LABELS, "score_data": _SCORE,
    "top_n": Arg("How many reasons per customer (default 3).", Int(default=3, lo=1, hi=20)),
    "positive": _POSITIVE, "balanced": _BALANCED, "regularization": _REG, "header": HEADER_ARG,
    "model": _MODEL, "seed": _SEED_MODEL, "keep_ids": KEEP_IDS,
})
def churn_reasons(train_data: Any, train_labels: Any, score_data: Any = None, top_n: int = 3,
                  positive: str | None = None, balanced: bool = False, regularization: float = 1.0,
                  header: bool | None = None, model: str = "logistic", seed: int = 0,
                  keep_ids: bool = False, *, wording: Wording = CHURN) -> Cells:
    """Per score row, the top_n columns pushing this customer's probability up most."""
    n = top_n
    fit = fit_churn(training(train_data, train_labels, positive, balanced, regularization, header,
                             model, seed, keep_ids))
    labels = [f"Reason {i + 1}" for i in range(n)]
    if _omitted(score_data):
        key = f"reasons:{n}"
        if key not in fit.memo:
            fit.memo[key] = cells.to_cells(_reason_texts(fit, fit.table.frame, n), fit.table,
                                           labels=labels)
        return fit.memo[key]
    got = _scored(fit, score_data, header)
    if got is None:
        return [[""] * n for _ in range(_blank_range(score_data)[1])]
    frame, table = got
    return cells.to_cells(_reason_texts(fit, frame, n), table, labels=labels)

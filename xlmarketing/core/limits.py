"""Every size limit of the model core, in one place, and the checks that apply them.

The checks run on counts known *before* the expensive work (rows, columns, text levels, k), so
a request that is too big is refused in milliseconds with :class:`~.errors.LimitExceeded`
naming the limit, instead of running for minutes and ending in a MemoryError. The figures were
measured on a 2-core machine: at each limit the fit still finishes in tens of seconds.
"""

from __future__ import annotations

from .errors import Fix, LimitExceeded

#: Bytes a dense design matrix (rows x encoded columns, float64) may take.
MAX_DESIGN_BYTES = 256 * 2**20
#: Text levels of one column that are one-hot encoded; rarer levels share one "(other)" column.
MAX_LEVELS = 50
#: The label of the shared column for the levels beyond MAX_LEVELS.
OTHER_LEVEL = "(other)"
#: Encoded features of a churn model (the Newton solver's matrix is features x features).
MAX_CHURN_FEATURES = 1000
#: Segments k-means may make.
MAX_SEGMENTS = 200
#: rows x k for one k-means fit (10 initialisations): 20,000 x 100 took 2 s, 200,000 x 50 22 s.
MAX_SEGMENT_WORK = 10_000_000


#: Fewest customers of each outcome (churned, retained) a churn model is fitted with: with
#: fewer, the five-fold cross-validation cannot give every fold one of each, and one or two
#: churners cannot tell a driver from chance.
MIN_OUTCOME_ROWS = 5
#: Below this many customers of the smaller outcome, the churn outputs carry a warning ...
COMFORT_OUTCOME_ROWS = 20
#: ... and below this many per model feature (the "10 events per variable" rule of thumb for
#: logistic regression, Peduzzi et al. 1996).
COMFORT_PER_FEATURE = 10


def _n(x: int) -> str:
    return f"{x:,}"


def check_design(n_rows: int, n_features: int) -> None:
    """Refuse a design matrix above MAX_DESIGN_BYTES before it is allocated."""
    need = n_rows * n_features * 8
    if need > MAX_DESIGN_BYTES:
        raise LimitExceeded(
            f"the model would need a table of {_n(n_rows)} rows x {_n(n_features)} encoded columns "
            f"({need / 2**20:,.0f} MB), above the limit of {MAX_DESIGN_BYTES // 2**20} MB.",
            fix=Fix.FEWER_ROWS_OR_COLUMNS)


def check_churn_features(n_rows: int, n_features: int, model: str = "a yes/no model") -> None:
    """Refuse a yes/no model (``model`` names it: "a churn model") with more than
    MAX_CHURN_FEATURES encoded features."""
    if n_features > MAX_CHURN_FEATURES:
        raise LimitExceeded(
            f"the data would give {_n(n_features)} model features (numbers, blank indicators and "
            f"text levels), above the limit of {_n(MAX_CHURN_FEATURES)} features for {model}.",
            fix=Fix.FEWER_COLUMNS)
    check_design(n_rows, n_features)


def check_segments(n_rows: int, k: int) -> None:
    """Refuse k-means with more than MAX_SEGMENTS segments or above MAX_SEGMENT_WORK."""
    if k > MAX_SEGMENTS:
        raise LimitExceeded(
            f"{{param}}={_n(k)} segments is above the limit of {MAX_SEGMENTS} segments. Enter a "
            "smaller number of segments.", param="k")
    if n_rows * k > MAX_SEGMENT_WORK:
        most = max(1, MAX_SEGMENT_WORK // max(n_rows, 1))
        raise LimitExceeded(
            f"{{param}}={_n(k)} segments on {_n(n_rows)} rows is above the work limit of "
            f"{_n(MAX_SEGMENT_WORK)} rows x segments. Enter at most {_n(most)} segments, or "
            "segment a sample of the rows.", param="k")

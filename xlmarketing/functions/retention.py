"""SUBSCRIPTION_RETENTION: a subscription cohort's retention curve, projected (shifted-beta-geometric).

``survivors`` is one column (or row): the cohort's size, then the number of its customers still
active at the end of each period (1000, 869, 743, ...). The model
(:mod:`xlmarketing.core.retention`) explains why retention rises with tenure (the likeliest
leavers go first) and projects it beyond the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import cells
from ..cache import CACHE
from ..core import retention as core
from ..errors import XLMError
from . import Cells, sheet_function
from .spec import HEADER_ARG, Arg, Float, Int, call_key

MAX_PERIODS = 1000


def _survivors(values: Any, header: bool | None, notes: list[str]) -> np.ndarray:
    """The survivors as numbers; a row labelled Total is left out (said in ``notes``) and an
    unlabelled last row that is the sum of the rows above is refused (the shared total-row
    rule: survivors cannot grow, so two rows above are enough)."""
    got, has_header = cells.read_vector(values, name="survivors", header=header, notes=notes)
    cells.refuse_sum_row([v if isinstance(v, float) else None for v in got], name="survivors",
                         has_header=has_header, min_above=2)
    out = []
    for i, v in enumerate(got):
        if v is None:
            continue  # blank cells below the data (a column selected generously)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise XLMError("#VALUE!", f"survivors has {cells.show(v)} in row {i + 1 + has_header}; "
                           "it needs numbers of customers. Enter the cohort's size, then the "
                           "customers still active at the end of each period.")
        out.append(float(v))
    if len(out) > MAX_PERIODS:
        raise XLMError("#NUM!", f"survivors has {len(out):,} periods, above the limit of "
                       f"{MAX_PERIODS:,}. Use longer periods (months instead of weeks).")
    return np.asarray(out)


@sheet_function("SUBSCRIPTION_RETENTION", "A subscription cohort's retention: from the customers "
                "still active at the end of each period, the retention curve (observed, fitted, "
                "projected), the expected lifetime and the discounted expected residual lifetime "
                "(shifted-beta-geometric model).", args={
    "survivors": Arg("One column: the cohort's size (customers at the start), then how many of "
                     "them are still active at the end of each period, e.g. 1000, 869, 743, ..."),
    "horizon": Arg("Periods to project beyond the data (default: as many as observed).",
                   Int(default=None, lo=0, hi=MAX_PERIODS)),
    "discount": Arg("Discount rate per period for the residual lifetime (default 0.1: 10% a "
                    "period, as in Fader and Hardie's yearly example; about 0.008 for months "
                    "at 10% a year). 0: not discounted.", Float(default=0.1, lo=0.0, hi=10.0)),
    "header": HEADER_ARG,
})
def subscription_retention(survivors: Any, horizon: int | None = None, discount: float = 0.1,
                           header: bool | None = None) -> Cells:
    """The curve (Period, Survivors, Fitted survivors, Retention, Fitted retention), then alpha,
    beta, the expected lifetime and the DERL of a customer active at the end of the data."""
    notes: list[str] = []
    s = _survivors(survivors, header, notes)

    def fit() -> core.ShiftedBetaGeometric:
        return core.fit(s)

    # horizon and discount are applied to the fitted model afterwards
    model = CACHE.get_or_fit("retention", call_key(drop=("horizon", "discount")), fit)
    n = s.size - 1
    ahead = n if horizon is None else horizon
    t = np.arange(0, n + ahead + 1)
    fitted = s[0] * model.survival(t)
    fitted_rate = model.retention(t)
    rows: list[list[Any]] = [["Period", "Survivors", "Fitted survivors", "Retention",
                              "Fitted retention"]]
    for k in t:
        seen = k <= n
        rows.append([int(k), s[k] if seen else "", float(fitted[k]),
                     (s[k] / s[k - 1] if s[k - 1] > 0 else "") if 0 < k <= n else "",
                     float(fitted_rate[k]) if k > 0 else ""])
    life = model.expected_lifetime
    derl = model.derl(discount, n)
    stats: list[tuple[str, Any]] = [
        ("alpha", model.alpha), ("beta", model.beta),
        ("Average churn probability in period 1", model.alpha / (model.alpha + model.beta)),
        ("Expected lifetime (periods)", life if np.isfinite(life) else "unbounded (alpha <= 1)"),
        (f"DERL after period {n} (discount {discount:g})",
         derl if np.isfinite(derl) else "unbounded (alpha <= 1): set discount"),
    ]
    rows += [[name, value, "", "", ""] for name, value in stats]
    if not np.isfinite(life):
        notes.append("alpha <= 1: some customers almost never leave, so the mean lifetime has no "
                     "finite value; the discounted residual lifetime (DERL) is finite.")
    return cells.with_notes(cells.to_cells(rows), notes)

"""RFM segmentation: recency, frequency and monetary value from an order list.

* Recency: days from the customer's last order to the reference day (default: the last order
  in the data, so the answer does not drift with today's date). Frequency: number of orders.
  Monetary: total amount.
* Scores 1-5 by quintile, 5 best (most recent, most orders, most spend). A customer's score
  is ``1 + floor(5 * share of customers strictly worse)``: tied customers share a score and the
  rule needs no random tie-break, so it is deterministic and independent of row order.
* The RFM code is the three scores as text ("545"). The named segment follows the widely
  used recency x frequency grid (:data:`SEGMENT_GRID`; monetary is reported but, as in that
  scheme, does not move a customer between names).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .orders import OrderBook, per_customer

#: Named segment by (R score, F score). Rows are R = 1..5, columns F = 1..5.
SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    # F=1           F=2              F=3              F=4                F=5
    ("Lost", "Hibernating", "At risk", "At risk", "Can't lose them"),                    # R=1
    ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"),             # R=2
    ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),            # R=3
    ("Promising", "Potential loyalist", "Potential loyalist", "Loyal", "Loyal"),         # R=4
    ("New customers", "Potential loyalist", "Potential loyalist", "Champions", "Champions"),  # R=5
)


def quintile_scores(values: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """1..5: one plus five times the share of customers with a strictly worse value, floored."""
    v = np.asarray(values, dtype=np.float64)
    key = v if higher_is_better else -v
    worse = np.searchsorted(np.sort(key), key, side="left")  # how many are strictly below
    return 1 + np.floor(5 * worse / len(v)).astype(np.int64)


def rfm(book: OrderBook) -> pd.DataFrame:
    """One row per customer (sorted): Recency, Frequency, Monetary, R, F, M, Code, Segment."""
    pc = per_customer(book)
    recency = (np.floor(book.reference_day) - pc["last"].to_numpy()).astype(np.int64)
    out = pd.DataFrame({
        "Customer": pc.index.to_numpy(dtype=object),
        "Recency": recency,
        "Frequency": pc["orders"].to_numpy(dtype=np.int64),
        "Monetary": pc["amount"].to_numpy(dtype=np.float64),
    })
    out["R"] = quintile_scores(recency, higher_is_better=False)
    out["F"] = quintile_scores(out["Frequency"].to_numpy())
    out["M"] = quintile_scores(out["Monetary"].to_numpy())
    out["Code"] = [f"{r}{f}{m}" for r, f, m in zip(out["R"], out["F"], out["M"])]
    out["Segment"] = [SEGMENT_GRID[r - 1][f - 1] for r, f in zip(out["R"], out["F"])]
    return out

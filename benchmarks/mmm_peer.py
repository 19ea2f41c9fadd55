"""PyMC-Marketing's MMM on one data set, for bench_mmm.py (run in a Python that has it).

Reads a JSON file {"y": [...], "spend": [[...]], "controls": [[...]], "draws": N, "seed": S}
and prints a JSON line {"seconds": ..., "roi": [...]}: the posterior mean ROI per channel
(the channel's contribution on the original scale summed over the periods / its spend) and
the wall time of building and sampling. Geometric adstock (8 lags), logistic saturation, two
yearly Fourier modes and the controls: the library's example configuration.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd


def main(path: str) -> None:
    warnings.simplefilter("ignore")
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    job = json.load(open(path))
    y = np.asarray(job["y"], dtype=float)
    spend = np.asarray(job["spend"], dtype=float)
    controls = np.asarray(job["controls"], dtype=float).reshape(len(y), -1)
    n, C = spend.shape
    X = pd.DataFrame({"date": pd.date_range("2020-01-06", periods=n, freq="W-MON")})
    channels = [f"x{c + 1}" for c in range(C)]
    for c, name in enumerate(channels):
        X[name] = spend[:, c]
    ctl = [f"z{j + 1}" for j in range(controls.shape[1])]
    for j, name in enumerate(ctl):
        X[name] = controls[:, j]
    X["t"] = np.arange(n, dtype=float)
    t0 = time.perf_counter()
    mmm = MMM(date_column="date", channel_columns=channels, control_columns=ctl + ["t"],
              adstock=GeometricAdstock(l_max=8), saturation=LogisticSaturation(),
              yearly_seasonality=2)
    mmm.fit(X, pd.Series(y, name="y"), chains=2, draws=job["draws"], tune=job["draws"],
            random_seed=job["seed"], progressbar=False, target_accept=0.9)
    seconds = time.perf_counter() - t0
    contrib = mmm.compute_channel_contribution_original_scale()   # chain, draw, date, channel
    total = np.asarray(contrib.sum(dim="date").mean(dim=("chain", "draw")))
    print(json.dumps({"seconds": seconds, "roi": (total / spend.sum(axis=0)).tolist()}))


if __name__ == "__main__":
    main(sys.argv[1])

"""VALUE_PREDICT model="auto" against plain scikit-learn regressors, on public data sets.

Data sets installable offline: scikit-learn's bundled diabetes, and the CSVs bundled in the
PyPI package ISLP (BSD-3-Clause; ``pip install --no-deps ISLP``): Carseats (Sales), Hitters
(Salary), Credit (Balance), Boston (medv), Auto (mpg), College (Outstate), Wage (wage).

For each set, 5-fold cross-validation (seed 0; the same outer folds for everyone): VALUE_PREDICT
with model="auto" gets the training rows as cells (header included), the amounts column and the
held-out rows as score_data (its own inner 5-fold choice between linear and boosting); the
baselines are scikit-learn's LinearRegression and HistGradientBoostingRegressor (defaults) on the
same rows one-hot encoded (pandas get_dummies, drop_first). Printed: the RMSE of each, and the
ratio of auto's RMSE to the better baseline's (goal <= 1.005).

    python benchmarks/bench_value.py [--sets Carseats,Wage]
"""

from __future__ import annotations

import argparse
import importlib.resources

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold

from xlmarketing.cache import CACHE
from xlmarketing.functions import REGISTRY

PREDICT = REGISTRY["VALUE_PREDICT"]

ISLP_SETS = {  # name: (target, columns to leave out: IDs, names, the target's other forms)
    "Carseats": ("Sales", []),
    "Hitters": ("Salary", []),
    "Credit": ("Balance", ["ID"]),
    "Boston": ("medv", []),
    "Auto": ("mpg", ["name"]),
    "College": ("Outstate", []),
    "Wage": ("wage", ["logwage"]),
}


def datasets(only: set[str] | None) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    out = []
    d = load_diabetes(as_frame=True)
    out.append(("diabetes (sklearn)", d.data, d.target.to_numpy(dtype=float)))
    for name, (target, drop) in ISLP_SETS.items():
        f = pd.read_csv(importlib.resources.files("ISLP") / "data" / f"{name}.csv")
        f = f.drop(columns=[c for c in ("Unnamed: 0",) if c in f.columns] + drop).dropna()
        out.append((name, f.drop(columns=target), f[target].to_numpy(dtype=float)))
    return [s for s in out if only is None or s[0].split()[0] in only]


def rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - p) ** 2)))


def cells_of(X: pd.DataFrame) -> list[list]:
    return [list(map(str, X.columns))] + X.astype(object).values.tolist()


def run(name: str, X: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    dummies = pd.get_dummies(X, drop_first=True, dtype=float).to_numpy()
    pred = {k: np.empty(len(y)) for k in ("auto", "linear", "boosting")}
    chosen = []
    for tr, te in KFold(5, shuffle=True, random_state=0).split(X):
        CACHE.clear()
        out = PREDICT(cells_of(X.iloc[tr]), [["y"]] + [[v] for v in y[tr]],
                      cells_of(X.iloc[te]), None, "auto")
        pred["auto"][te] = [r[0] for r in out[1:]]
        chosen.append(REGISTRY["VALUE_DRIVERS"](cells_of(X.iloc[tr]),
                                                [["y"]] + [[v] for v in y[tr]], "auto")[0][1])
        pred["linear"][te] = LinearRegression().fit(dummies[tr], y[tr]).predict(dummies[te])
        hgb = HistGradientBoostingRegressor(random_state=0).fit(dummies[tr], y[tr])
        pred["boosting"][te] = hgb.predict(dummies[te])
    res = {k: rmse(y, p) for k, p in pred.items()}
    res["boosting chosen"] = sum(c != "Coefficient" for c in chosen)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="", help="comma-separated names (default: all)")
    only = set(ap.parse_args().sets.split(",")) - {""} or None
    print(f"{'data set':22} {'rows':>6} {'auto':>10} {'linear':>10} {'boosting':>10} "
          f"{'auto/best':>9}  folds choosing boosting")
    ratios = []
    for name, X, y in datasets(only):
        r = run(name, X, y)
        best = min(r["linear"], r["boosting"])
        ratios.append(r["auto"] / best)
        print(f"{name:22} {len(y):>6} {r['auto']:>10.4g} {r['linear']:>10.4g} "
              f"{r['boosting']:>10.4g} {ratios[-1]:>9.4f}  {r['boosting chosen']}/5")
    print(f"median auto/best {np.median(ratios):.4f}, worst {max(ratios):.4f} (goal <= 1.005)")


if __name__ == "__main__":
    main()

"""Variants of scale="auto" on the TUNING pools (issue 31 item 2): labelled tuning sets and the
high-dimensional tuning draws (segment_data.HIGH_DIM_TUNING).

Per set: the ARI of KMEANS_SEGMENT at the true k with scale="auto" over the better of TRUE and
FALSE (as bench_segment_quality.py), for the current rule and for variants patched in here:

* ``floor f``: columns on one shared scale are standardised, each column's spread counted as at
  least f x the median column's (near-constant columns cannot dominate), instead of raw units;
* ``extremes``: up to 10 varying columns the spread rule compares the widest and the narrowest
  column, not the 10th and 90th percentile ones (which leave out the widest from 6 columns).

    python benchmarks/study_scaling_rules.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from segment_data import HIGH_DIM_TUNING, SETS, TUNING, load, load_high_dim  # noqa: E402
from xlmarketing import cache  # noqa: E402
from xlmarketing.core import segment as core  # noqa: E402
from xlmarketing.core.features import FeatureEncoder  # noqa: E402
from xlmarketing.functions import REGISTRY  # noqa: E402

KMEANS = REGISTRY["KMEANS_SEGMENT"]
ORIGINAL = core.decide_scaling, core._spread_ratio, core.FeatureEncoder
STATE = {"floor": 0.0, "extremes": False, "next_floor": 0.0}


class FlooredEncoder(FeatureEncoder):
    def fit(self, frame, kinds, *, what="data"):  # type: ignore[override]
        super().fit(frame, kinds, what=what)
        floor, STATE["next_floor"] = STATE["next_floor"], 0.0
        if self.scale and floor > 0 and self.numeric:
            num = frame[self.numeric].to_numpy(dtype=np.float64) / self.units
            std = np.where(np.isnan(num), self.medians, num).std(axis=0)
            self.stds = np.maximum(self.stds, floor * float(np.median(std[std > 0])))
        return self


def decide(frame, kinds, scale, k=0, seed=0):
    s = ORIGINAL[0](frame, kinds, scale, k, seed)
    if STATE["floor"] > 0 and "on one shared scale" in s.reason:
        STATE["next_floor"] = STATE["floor"]
        return core.Scaling(True, s.reason + f", floored at {STATE['floor']:g}")
    return s


def spread_ratio(stds: np.ndarray) -> float:
    if STATE["extremes"] and len(stds) <= 10:
        return float(stds.max() / stds.min())
    return ORIGINAL[1](stds)


def main() -> None:
    warnings.simplefilter("ignore")
    core.decide_scaling, core._spread_ratio, core.FeatureEncoder = decide, spread_ratio, FlooredEncoder
    sets = [load(s) for s in SETS if s.name in TUNING] + [load_high_dim(h) for h in HIGH_DIM_TUNING]
    variants = {"current": (0.0, False), "floor 0.25": (0.25, False), "floor 0.5": (0.5, False),
                "extremes": (0.0, True)}

    def ari(data: list, y: np.ndarray, k: int, scale: object) -> float:
        return adjusted_rand_score(y, [r[0] for r in KMEANS(data, k, scale)[1:]])

    best = {name: max(ari(d, y, int(y.max() + 1), s) for s in (True, False)) for d, y, name in sets}
    ratios: dict[str, dict[str, float]] = {}
    for v, (floor, extremes) in variants.items():
        STATE.update(floor=floor, extremes=extremes)
        cache.clear()
        ratios[v] = {name: ari(d, y, int(y.max() + 1), "auto") / best[name] if best[name] > 0 else 1.0
                     for d, y, name in sets}
    print(f"{'data':<31} {'better':>6} " + " ".join(f"{v:>10}" for v in variants))
    for _, _, name in sets:
        print(f"{name:<31} {best[name]:6.3f} " + " ".join(f"{ratios[v][name]:10.3f}" for v in variants))
    for v in variants:
        r = np.array(list(ratios[v].values()))
        f = np.array([q for n, q in ratios[v].items() if best[n] >= 0.2])
        print(f"{v:<11}: {int((r >= 0.97).sum())} of {len(r)} sets meet 0.97 (min {r.min():.3f}); "
              f"where k-means finds the groups: {int((f >= 0.97).sum())} of {len(f)} (min {f.min():.3f})")


if __name__ == "__main__":
    main()

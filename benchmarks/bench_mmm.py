"""MMM_FIT against a peer, in one run: fit time and ROI error against the known truth.

Data sets with a known ROI per channel: PyMC-Marketing's example simulation (rebuilt in
tests/test_mmm.py) and simulated weekly data (xlmarketing.samples_media.simulate, seeds from
200 on: not the seeds the tests or the interval calibration use).

Candidates, all on the same sets in the same run:

* **ours**: the point fit (``core.fit``), and the whole of MMM_FIT's work (the fit plus the
  bootstrap ranges);
* **baseline**: plain scipy least squares on the same model, without the ridge, the pulls of
  decay and shape, and the decay/half-point grid (one start: decay 0.3, half-point at typical
  spend);
* **PyMC-Marketing** (its ``MMM``: geometric adstock, logistic saturation, two yearly Fourier
  modes, NUTS with 2 chains), when ``--pymc-python`` names a Python that has it (it pulls
  pymc, pytensor and numba, so it lives in its own environment, e.g. ``python -m venv
  /tmp/pymc && /tmp/pymc/bin/pip install pymc-marketing``). Its ROI is the posterior mean.

Printed: per set the median absolute relative ROI error over the channels and the seconds;
then medians over the sets and the ratios (peer / ours for time, ours / peer for error), and
per comparison a paired summary: the median of the per-set error ratios, the sets each side is
the more accurate on, a sign test and a Wilcoxon signed-rank p-value.

    python benchmarks/bench_mmm.py [--sets 4] [--pymc-python /tmp/pymc/bin/python] [--draws 500]
                                   [--peer-cache peer.json]

The peer takes minutes per fit, so ``--peer-cache FILE`` keeps its result per set (keyed by the
set, the draws and a hash of the data) and reuses it in a later run: the error ratios then
compare this run's fits with the stored posterior means; the peer's seconds are those of the
run that stored them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tests.test_mmm import pymc_marketing_example  # noqa: E402
from xlmarketing.core import mmm as core  # noqa: E402
from xlmarketing.samples_media import simulate  # noqa: E402


def data_sets(n_sim: int) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    y, spend, events, roi = pymc_marketing_example()
    out = [("pymc example", y, spend, events, roi)]
    for s in range(200, 200 + n_sim):
        y, spend, controls, truth = simulate(s)
        out.append((f"simulated {s}", y, spend, controls, truth.roi))
    return out


def baseline_fit(y: np.ndarray, spend: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """Plain bounded least squares: no penalties, one start."""
    saved = core.RIDGE, core.BETA_RIDGE, core.SHAPE_PULL, core.DECAY_PULL
    core.RIDGE = core.BETA_RIDGE = core.SHAPE_PULL = core.DECAY_PULL = 0.0
    try:
        prob = core._problem(y, spend, controls, 52, "hill")
        C = prob.C
        F = prob.features(np.full(C, 0.3), np.ones(C), np.ones(C))
        coef, _ = prob.linear_solve(F, prob.y)
        th0 = prob.pack(coef[:prob.p_lin], np.maximum(coef[prob.p_lin:], 1e-6), np.full(C, 0.3),
                        np.ones(C), np.ones(C))
        th = prob.solve(prob.y, th0)
        _, beta, decay, half, shape = prob.unpack(th)
        contrib = (prob.features(decay, half, shape) * beta).sum(axis=0) * prob.y_scale
        return contrib / spend.sum(axis=0)
    finally:
        core.RIDGE, core.BETA_RIDGE, core.SHAPE_PULL, core.DECAY_PULL = saved


def peer_fit(python: str, y, spend, controls, draws: int) -> tuple[float, np.ndarray]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"y": y.tolist(), "spend": spend.tolist(), "controls": controls.tolist(),
                   "draws": draws, "seed": 0}, f)
    out = subprocess.run([python, str(Path(__file__).with_name("mmm_peer.py")), f.name],
                         capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return res["seconds"], np.array(res["roi"])


def peer_cached(cache: Path | None, name: str, python: str, y, spend, controls,
                draws: int) -> tuple[float, np.ndarray]:
    if cache is None:
        return peer_fit(python, y, spend, controls, draws)
    digest = hashlib.sha256(np.concatenate([y.ravel(), spend.ravel(), controls.ravel()])
                            .tobytes()).hexdigest()[:16]
    key = f"{name}|{draws}|{digest}"
    store = json.loads(cache.read_text()) if cache.exists() else {}
    if key not in store:
        seconds, roi = peer_fit(python, y, spend, controls, draws)
        store = json.loads(cache.read_text()) if cache.exists() else {}
        store[key] = {"seconds": seconds, "roi": roi.tolist()}
        cache.write_text(json.dumps(store, indent=1))
    return store[key]["seconds"], np.array(store[key]["roi"])


def err(roi: np.ndarray, truth: np.ndarray) -> float:
    return float(np.median(np.abs(roi / truth - 1)))


def paired(rows: list[dict], key: str, label: str) -> str:
    """Set by set: the median of the error ratios ours / the other, the sets each is the more
    accurate on, a two-sided sign test and the Wilcoxon signed-rank test on the differences."""
    from scipy.stats import binomtest, wilcoxon

    ours = np.array([r["ours"] for r in rows])
    other = np.array([r[key] for r in rows])
    ratio = float(np.median(ours / other))
    wins, losses = int((ours < other).sum()), int((ours > other).sum())
    sign_p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
    diff = ours - other
    wil_p = float(wilcoxon(diff[diff != 0]).pvalue) if (diff != 0).sum() >= 2 else 1.0
    return (f"paired over {len(rows)} sets, ours vs {label}: median error ratio {ratio:.2f}; "
            f"ours lower on {wins}, higher on {losses}; sign test p={sign_p:.2f}, "
            f"Wilcoxon p={wil_p:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", type=int, default=4, help="simulated data sets (besides the "
                    "PyMC-Marketing example)")
    ap.add_argument("--pymc-python", help="a Python with pymc-marketing installed")
    ap.add_argument("--draws", type=int, default=500, help="PyMC tuning and drawn samples per chain")
    ap.add_argument("--peer-cache", type=Path, help="a JSON file keeping the peer's results")
    ap.add_argument("--first", type=int, default=0, help="skip the first FIRST sets")
    ap.add_argument("--peer-only", action="store_true", help="only run (and cache) the peer")
    args = ap.parse_args()
    rows = []
    print(f"{'set':<14} {'ours err':>9} {'fit s':>6} {'+ranges s':>9} {'base err':>9} "
          f"{'base s':>6} {'peer err':>9} {'peer s':>7}")
    for name, y, spend, controls, truth in data_sets(args.sets)[args.first:]:
        if args.peer_only:
            t_peer, roi = peer_cached(args.peer_cache, name, args.pymc_python, y, spend,
                                      controls, args.draws)
            print(f"{name:<14} peer err {err(roi, truth):.3f} ({t_peer:.1f} s)", flush=True)
            continue
        t0 = time.perf_counter()
        m = core.fit(y, spend, controls, season=52)
        t_fit = time.perf_counter() - t0
        core.bootstrap_roi(m, seed=0)
        t_all = time.perf_counter() - t0
        t0 = time.perf_counter()
        base = baseline_fit(y, spend, controls)
        t_base = time.perf_counter() - t0
        row = {"ours": err(m.roi(), truth), "t_fit": t_fit, "t_all": t_all,
               "base": err(base, truth), "t_base": t_base}
        if args.pymc_python:
            t_peer, roi = peer_cached(args.peer_cache, name, args.pymc_python, y, spend,
                                      controls, args.draws)
            row.update(peer=err(roi, truth), t_peer=t_peer)
        rows.append(row)
        print(f"{name:<14} {row['ours']:>9.3f} {t_fit:>6.2f} {t_all:>9.2f} {row['base']:>9.3f} "
              f"{t_base:>6.2f} {row.get('peer', float('nan')):>9.3f} "
              f"{row.get('t_peer', float('nan')):>7.1f}", flush=True)

    if args.peer_only:
        return

    def med(k: str) -> float:
        return statistics.median(r[k] for r in rows)

    print(f"\nmedians over {len(rows)} sets: ours err {med('ours'):.3f} (fit {med('t_fit'):.2f} s, "
          f"with ranges {med('t_all'):.2f} s); baseline err {med('base'):.3f} ({med('t_base'):.2f} s)")
    print(f"ratio ROI error ours / baseline: {med('ours') / med('base'):.2f}")
    print(paired(rows, "base", "baseline"))
    if args.pymc_python:
        print(f"PyMC-Marketing err {med('peer'):.3f} ({med('t_peer'):.1f} s)")
        print(f"ratio ROI error ours / PyMC-Marketing: {med('ours') / med('peer'):.2f}")
        print(paired(rows, "peer", "PyMC-Marketing"))
        print(f"ratio time PyMC-Marketing / ours (with ranges): {med('t_peer') / med('t_all'):.1f}")


if __name__ == "__main__":
    main()

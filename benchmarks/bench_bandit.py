"""Bandit benchmark: cumulative regret of BANDIT_ALLOCATE's policy against uniform A/B splitting
and against mabwiser's Thompson sampling (``pip install -e '.[bench]'`` for mabwiser).

Simulated campaigns: 3, 5 and 10 arms with conversion rates drawn from 0.5% to 10%, run for
``--periods`` periods of ``--visitors`` visitors each; stationary (fixed rates) and drifting
(each arm's rate moves in a straight line from one random rate to another over the campaign,
so the best arm changes). Every policy sees the same rates and the same first period (an even
split: nothing is known yet). After that, each period:

* BANDIT_ALLOCATE (its core, ``xlmarketing.core.bandit.allocate``, as the sheet function calls
  it): visitors split by its next shares (a seeded multinomial), from the per-period results
  with its default discount (blank: chosen from the data, the same rule in both kinds of
  scenario; ``--discount D`` fixes it at D in the drifting ones instead);
* uniform: an even split, the A/B test's;
* mabwiser ``MAB(arms, LearningPolicy.ThompsonSampling(), seed)``: one ``predict`` per visitor
  (its batch form), ``partial_fit`` with the period's per-visitor rewards.

Regret is the expected conversions lost: sum over periods of visitors x (best rate - rate of
the arm they got). Printed: median over runs of each policy's regret and the ratios
ours / uniform (goal <= 0.5) and ours / mabwiser (goal <= 1.05), per scenario and overall
(the ratio of the summed regrets).

    python benchmarks/bench_bandit.py            # 100 runs per scenario
    python benchmarks/bench_bandit.py --quick    # 10 runs, fewer periods
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from xlmarketing.core import bandit


def rates_over_time(rng: np.random.Generator, k: int, periods: int, drift: bool) -> np.ndarray:
    start = rng.uniform(0.005, 0.10, k)
    if not drift:
        return np.tile(start, (periods, 1))
    end = rng.uniform(0.005, 0.10, k)
    w = np.linspace(0, 1, periods)[:, None]
    return (1 - w) * start + w * end


def run_ours(rates: np.ndarray, visitors: int, seed: int, discount: float | None) -> float:
    rng = np.random.default_rng(seed)
    periods, k = rates.shape
    arms = [f"arm {i}" for i in range(k)]
    codes, trials, succ, when = [], [], [], []
    share = np.full(k, 1 / k)
    regret = 0.0
    for p in range(periods):
        n = rng.multinomial(visitors, share)
        s = rng.binomial(n, rates[p])
        regret += float(np.sum(n * (rates[p].max() - rates[p])))
        codes += range(k)
        trials += n.tolist()
        succ += s.tolist()
        when += [p] * k
        age = p - np.array(when)
        res = bandit.allocate(arms, np.array(codes), np.array(trials, float), np.array(succ, float),
                              age=age, discount=discount, seed=seed * 1000 + p)
        share = res.table["share"].to_numpy()
    return regret


def run_uniform(rates: np.ndarray, visitors: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    periods, k = rates.shape
    regret = 0.0
    for p in range(periods):
        n = rng.multinomial(visitors, np.full(k, 1 / k))
        regret += float(np.sum(n * (rates[p].max() - rates[p])))
    return regret


def run_mabwiser(rates: np.ndarray, visitors: int, seed: int) -> float:
    from mabwiser.mab import MAB, LearningPolicy

    rng = np.random.default_rng(seed)
    periods, k = rates.shape
    arms = list(range(k))
    mab = MAB(arms, LearningPolicy.ThompsonSampling(), seed=seed)
    regret = 0.0
    for p in range(periods):
        if p == 0:
            chosen = rng.permutation(np.repeat(arms, visitors // k + 1))[:visitors]
        else:
            chosen = np.asarray(mab.predict(np.zeros((visitors, 1))))
        rewards = (rng.random(visitors) < rates[p][chosen]).astype(int)
        regret += float(np.sum(rates[p].max() - rates[p][chosen]))
        if p == 0:
            mab.fit(chosen, rewards)
        else:
            mab.partial_fit(chosen, rewards)
    return regret


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 runs per scenario, 20 periods")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--periods", type=int, default=None)
    ap.add_argument("--visitors", type=int, default=1000, help="visitors per period (default 1000)")
    ap.add_argument("--discount", type=float, default=None,
                    help="BANDIT_ALLOCATE's discount in the drifting scenarios (default: blank, "
                    "chosen from the data as for a user who leaves it blank)")
    args = ap.parse_args()
    runs = args.runs or (10 if args.quick else 100)
    periods = args.periods or (20 if args.quick else 30)
    try:
        import mabwiser  # noqa: F401
        have_mab = True
    except ImportError:
        have_mab = False
        print("mabwiser is not installed (pip install -e '.[bench]'): its column is left out.")
    print(f"{runs} runs per scenario, {periods} periods of {args.visitors} visitors, rates 0.5%-10%")
    print(f"{'scenario':<22}{'ours':>10}{'uniform':>10}{'mabwiser':>10}{'ours/unif':>11}{'ours/mab':>10}")
    totals = {"ours": 0.0, "uniform": 0.0, "mabwiser": 0.0}
    t0 = time.perf_counter()
    for drift in (False, True):
        for k in (3, 5, 10):
            res: dict[str, list[float]] = {"ours": [], "uniform": [], "mabwiser": []}
            for r in range(runs):
                seed = 1000 * k + r + (500 if drift else 0)
                rates = rates_over_time(np.random.default_rng(seed), k, periods, drift)
                res["ours"].append(run_ours(rates, args.visitors, seed,
                                            args.discount if drift else None))
                res["uniform"].append(run_uniform(rates, args.visitors, seed))
                if have_mab:
                    res["mabwiser"].append(run_mabwiser(rates, args.visitors, seed))
            med = {n: statistics.median(v) if v else float("nan") for n, v in res.items()}
            for n, v in res.items():
                totals[n] += sum(v)
            name = f"{k} arms, {'drifting' if drift else 'stationary'}"
            print(f"{name:<22}{med['ours']:>10.1f}{med['uniform']:>10.1f}{med['mabwiser']:>10.1f}"
                  f"{sum(res['ours']) / sum(res['uniform']):>11.3f}"
                  f"{(sum(res['ours']) / sum(res['mabwiser'])) if have_mab else float('nan'):>10.3f}")
    print(f"{'all scenarios':<22}{'':>30}{totals['ours'] / totals['uniform']:>11.3f}"
          f"{(totals['ours'] / totals['mabwiser']) if have_mab else float('nan'):>10.3f}")
    print("ratios: summed regret of BANDIT_ALLOCATE's policy over the peer's; goals <= 0.5 "
          f"(uniform) and <= 1.05 (mabwiser). {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

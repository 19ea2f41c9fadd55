"""Variants of the k="auto" rule on the SEGMENT_K tables of the four pools (issue 31 item 3).

Collects, once, each set's SEGMENT_K table (prediction strength and Calinski-Harabasz for
k = 2..10) and the ARI of KMEANS_SEGMENT at every k, into a JSON file; then scores rules that
read only the table: the threshold of prediction strength, the largest reproducible k, a
fallback to a lower threshold when only k = 2 reproduces, and CH x PS^a. Per pool: mean ARI at
the chosen k, matches with the true k, and data without structure given 2.

    python benchmarks/study_k_rules.py [--tables /tmp/k_tables.json] [POOL ...]
    (pools: "gen T", "lab T", "gen V", "lab V"; default the two tuning pools)
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import study_main  # noqa: E402


def collect(path: Path) -> None:
    from sklearn.metrics import adjusted_rand_score

    from bench_segment_k import generated, labelled
    from segment_data import TUNING, VALIDATION
    from xlmarketing.functions import REGISTRY

    K, S = REGISTRY["KMEANS_SEGMENT"], REGISTRY["SEGMENT_K"]
    pools = [("gen T", generated(100)), ("lab T", labelled(TUNING)),
             ("gen V", generated(200)), ("lab V", labelled(VALIDATION))]
    out = []
    for pool, sets in pools:
        for name, data, y in sets:
            rows = [r[:5] for r in S(data, 10)[1:] if isinstance(r[0], int)]
            ari = {} if y is None else {
                r[0]: adjusted_rand_score(y, [q[0] for q in K(data, r[0])[1:]]) for r in rows}
            out.append(dict(pool=pool, name=name, k=None if y is None else int(y.max() + 1),
                            rows=rows, ari=ari))
            path.write_text(json.dumps(out))
            print(pool, name, flush=True)

def rule_factory(kind: str, t: float, t2: float | None = None):
    """A rule reading a SEGMENT_K table's rows (k, strength, CH, silhouette, inertia)."""
    def pick(rows: list) -> int:
        ks = [r[0] for r in rows]
        ps = {r[0]: r[1] for r in rows}
        ch = {r[0]: r[2] for r in rows}

        def best_ch(cands: list[int]) -> int:
            return max(cands, key=lambda k: (ch[k], -k))

        ok = [k for k in ks if ps[k] == ps[k] and ps[k] >= t]
        if kind == "CH":
            return best_ch(ok) if ok else 2
        if kind == "largest":
            return max(ok) if ok else 2
        if kind == "CH+fallback":  # only k = 2 reproduces at t: the best CH with ps >= t2
            if ok and max(ok) > 2:
                return best_ch(ok)
            ok2 = [k for k in ks if ps[k] == ps[k] and ps[k] >= t2]
            return best_ch(ok2) if ok2 else (best_ch(ok) if ok else 2)
        ok2 = [k for k in ks if ps[k] == ps[k] and ps[k] >= t2]  # "CHxPS": CH * PS^t
        return max(ok2, key=lambda k: (ch[k] * ps[k] ** t, -k)) if ok2 else 2
    return pick


RULES = {"current": rule_factory("CH", 0.8)}
for _t in (0.7, 0.75, 0.85):
    RULES[f"CH ps>={_t}"] = rule_factory("CH", _t)
for _t in (0.7, 0.8):
    RULES[f"largest ps>={_t}"] = rule_factory("largest", _t)
for _t2 in (0.5, 0.6, 0.7):
    RULES[f"CH 0.8 fb {_t2}"] = rule_factory("CH+fallback", 0.8, _t2)
for _a, _t2 in itertools.product((2, 4, 8), (0.6, 0.7)):
    RULES[f"CH*PS^{_a} ps>={_t2}"] = rule_factory("CHxPS", _a, _t2)


def report(tables: list[dict], pools: list[str]) -> None:
    print(f"{'rule':<22}" + "".join(f"{p:>22}" for p in pools))
    for name, pick in RULES.items():
        line = f"{name:<22}"
        for p in pools:
            sets = [d for d in tables if d["pool"] == p]
            lab = [d for d in sets if d["k"] is not None]
            none = [d for d in sets if d["k"] is None]
            aris = [d["ari"].get(str(pick(d["rows"])), np.nan) for d in lab]
            m = sum(pick(d["rows"]) == d["k"] for d in lab)
            two = sum(pick(d["rows"]) == 2 for d in none)
            line += (f"{np.nanmean(aris):8.3f} {m:3d}/{len(lab):<3d}"
                     + (f" 2:{two}/{len(none)}" if none else "      "))
        print(line)
    for p in pools:
        lab = [d for d in tables if d["pool"] == p and d["k"] is not None]
        if lab:
            print(p, "mean ARI at the true k",
                  round(float(np.mean([d["ari"].get(str(d["k"]), np.nan) for d in lab])), 3))


def main() -> None:
    study_main(collect, report, Path("/tmp/k_tables.json"), ["gen T", "lab T"])


if __name__ == "__main__":
    main()

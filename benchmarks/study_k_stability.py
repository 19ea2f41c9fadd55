"""k="auto" with a stability criterion beside prediction strength (issue 31 item 3), four pools.

For every set of bench_segment_k.py's pools, on the rows k="auto" sees (encoded with
scale="auto", canonical order, at most K_SAMPLE rows): for k = 2..10, the prediction strength
of segment.strength's halvings, the split-half stability of the same fits (the mean ARI between
the two halves' segments when each half's centres assign the whole sample; Lange et al., 2004),
the Calinski-Harabasz index of a 4-start fit and the ARI of that fit against the known groups.
The stability costs predictions only, no extra fit. Rules read these columns: the current one
(prediction strength >= 0.8, then the best CH), stability as a gate beside prediction strength,
in place of it, either of them, and CH x stability^a. Per pool: mean ARI at the chosen k,
matches with the true k, data without structure given 2.

    python benchmarks/study_k_stability.py [--tables /tmp/k_stability.json] [POOL ...]
    (pools: "gen T", "lab T", "gen V", "lab V"; default the two tuning pools; the tables are
    collected once, about 6 minutes on one core)
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
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.metrics import calinski_harabasz_score

    from bench_segment_k import generated, labelled
    from segment_data import TUNING, VALIDATION
    from xlmarketing.core import segment as core

    pools = [("gen T", generated(100)), ("lab T", labelled(TUNING)),
             ("gen V", generated(200)), ("lab V", labelled(VALIDATION))]
    out = []
    for pool, sets in pools:
        for name, data, y in sets:
            frame = pd.DataFrame(data[1:], columns=data[0])
            X, _, _ = core.encode(frame, dict.fromkeys(frame.columns, "number"), "auto")
            order, distinct = core._canonical_order(X)
            Xs = X[order]
            S = core._sample(Xs, core.K_SAMPLE, 0)
            ys = None
            if y is not None:
                ys = np.asarray(y)[order]
                if len(S) < len(Xs):  # the rows core._sample picks
                    ys = ys[np.sort(np.random.default_rng(0).choice(len(Xs), core.K_SAMPLE,
                                                                    replace=False))]
            k_top = min(10, distinct - 1, len(S) // 2)
            rng, n = np.random.default_rng(0), len(S)
            ps, stab = np.zeros(k_top + 1), np.zeros(k_top + 1)
            for split in range(core.STRENGTH_SPLITS):  # as segment.strength, seed 0
                perm = rng.permutation(n)
                a, b = S[np.sort(perm[: n // 2])], S[np.sort(perm[n // 2:])]
                for k in range(2, k_top + 1):
                    fa = core._kmeans(a, k, split, core.STRENGTH_N_INIT, max_iter=100)
                    fb = core._kmeans(b, k, split, core.STRENGTH_N_INIT, max_iter=100)
                    ps[k] += (core._co_membership(fa, b, fb.labels_, k)
                              + core._co_membership(fb, a, fa.labels_, k))
                    stab[k] += ari(fa.predict(S), fb.predict(S))
            ps, stab = ps / (2 * core.STRENGTH_SPLITS), stab / core.STRENGTH_SPLITS
            rows = []
            for k in range(2, k_top + 1):
                km = core._kmeans(S, k, 0, n_init=4)
                rows.append(dict(k=k, ps=ps[k], stab=stab[k],
                                 ch=float(calinski_harabasz_score(S, km.labels_)),
                                 ari=None if ys is None else float(ari(ys, km.labels_))))
            out.append(dict(pool=pool, name=name, k=None if y is None else int(np.max(y) + 1),
                            rows=rows))
            path.write_text(json.dumps(out))
            print(pool, name, flush=True)


def rule(kind: str, t: float = 0.8, t2: float = 0.8, a: float = 1.0):
    """A rule reading the rows (k, ps, stab, ch) of one set."""
    def pick(rows: list[dict]) -> int:
        r = {q["k"]: q for q in rows}

        def best_ch(cands: list[int]) -> int:
            return max(cands, key=lambda k: (r[k]["ch"], -k)) if cands else 2

        if kind == "current":
            return best_ch([k for k in r if r[k]["ps"] >= 0.8])
        if kind == "and":
            return best_ch([k for k in r if r[k]["stab"] >= t and r[k]["ps"] >= t2])
        if kind == "or":
            return best_ch([k for k in r if r[k]["stab"] >= t or r[k]["ps"] >= t2])
        if kind == "stab":
            return best_ch([k for k in r if r[k]["stab"] >= t])
        cands = [k for k in r if r[k]["ps"] >= t2]  # "CHxstab"
        return max(cands, key=lambda k: (r[k]["ch"] * r[k]["stab"] ** a, -k)) if cands else 2
    return pick


RULES = {"current (ps >= 0.8, CH)": rule("current")}
for _t, _t2 in itertools.product((0.75, 0.8, 0.85), (0.6, 0.7, 0.8)):
    RULES[f"stab >= {_t} & ps >= {_t2}"] = rule("and", _t, _t2)
for _t in (0.75, 0.8, 0.85):
    RULES[f"stab >= {_t} or ps >= 0.8"] = rule("or", _t)
for _t in (0.7, 0.8, 0.9):
    RULES[f"stab >= {_t} alone"] = rule("stab", _t)
for _a, _t2 in itertools.product((2, 8), (0.7, 0.8)):
    RULES[f"CH x stab^{_a}, ps >= {_t2}"] = rule("CHxstab", t2=_t2, a=_a)


def report(tables: list[dict], pools: list[str]) -> None:
    print(f"{'rule':<27}" + "".join(f"{p:>23}" for p in pools))
    for name, pick in RULES.items():
        line = f"{name:<27}"
        for p in pools:
            sets = [d for d in tables if d["pool"] == p]
            lab = [d for d in sets if d["k"] is not None]
            none = [d for d in sets if d["k"] is None]
            aris = [next(q["ari"] for q in d["rows"] if q["k"] == pick(d["rows"])) for d in lab]
            m = sum(pick(d["rows"]) == d["k"] for d in lab)
            two = sum(pick(d["rows"]) == 2 for d in none)
            line += f"{np.mean(aris):8.3f} {m:3d}/{len(lab):<3d}" + (
                f" 2:{two}/{len(none)}" if none else "      ")
        print(line)


def main() -> None:
    study_main(collect, report, Path("/tmp/k_stability.json"), ["gen T", "lab T"])


if __name__ == "__main__":
    main()

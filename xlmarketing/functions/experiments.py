"""AB_TEST, AB_SAMPLE_SIZE, BANDIT_ALLOCATE, UPLIFT_SCORE and UPLIFT_QINI: campaign experiments.

* AB_TEST reads either one row per arm (arm, visitors, conversions; rows of the same arm, e.g.
  one per day, are added up) or one row per visitor (arm, outcome: Yes/No, 1/0 or amounts).
* AB_SAMPLE_SIZE plans a test: recipients per arm, or the lift a given size can detect.
* BANDIT_ALLOCATE reads arm, trials, successes (or period, arm, trials, successes to discount old
  periods) and gives next period's traffic shares.
* UPLIFT_SCORE and UPLIFT_QINI read customer attributes, a treated/control column and an
  outcome column from a randomised campaign test.

Arms are listed in the order they first appear. The control is the arm named in ``control``,
else an arm called Control (or Baseline, Holdout, Original, Champion), else the first arm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import cells
from ..cache import CACHE
from ..cells import BOOL, CATEGORY, Table
from ..core import bandit as core_bandit
from ..core import experiments as core
from ..core import uplift as core_uplift
from ..errors import XLMError, col_label
from . import Cells, sheet_function
from .spec import HEADER_ARG, KEEP_IDS, SEED, Arg, Bool, Choice, Float, Int, call_key, key_of, range_of

CONTROL_NAMES = ("control", "baseline", "holdout", "original", "champion")
YES = frozenset({"1", "true", "yes", "y", "converted", "conversion", "bought", "purchased",
                 "responded", "response", "clicked", "click", "opened", "won", "success"})
NO = frozenset({"0", "false", "no", "n", "none", "not converted", "no conversion", "not bought",
                "no response", "not responded", "not clicked", "lost", "failure"})
TREATED = frozenset({"1", "true", "yes", "y", "treated", "treatment", "test", "offer",
                     "contacted", "exposed", "mailed", "targeted", "campaign", "variant", "b"})
CONTROL = frozenset({"0", "false", "no", "n", "control", "holdout", "held out", "hold-out",
                     "not contacted", "untreated", "none", "baseline", "not mailed", "a"})


def _label(v: Any) -> str:
    """A cell as an arm or outcome label: 2.0 -> "2", TRUE -> "TRUE", " B " -> "B"."""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    return str(v).strip()


def _rows(table: Table) -> np.ndarray:
    return np.flatnonzero(table.row_mask) + 1 + int(table.header)


def _labels_of(table: Table, col: str) -> list[str]:
    rows = _rows(table)
    out = []
    for i, v in enumerate(table.frame[col].tolist()):
        if v is None or (isinstance(v, float) and v != v):
            raise XLMError("#VALUE!", f"{table.name} row {rows[i]} has no arm name "
                           f"({col_label(col)}). Fill it in or clear the whole row.")
        out.append(_label(v))
    return out


def _numbers(table: Table, col: str, what: str) -> np.ndarray:
    rows = _rows(table)
    if table.kinds[col] == CATEGORY:
        vals = table.frame[col].tolist()
        i = next(i for i, v in enumerate(vals) if isinstance(v, str))
        raise XLMError("#VALUE!", f"{table.name} has the text {vals[i]!r} in row {rows[i]} of the "
                       f"{what} column ({col_label(col)}); it needs numbers.")
    x = table.frame[col].to_numpy(dtype=np.float64)
    gap = np.flatnonzero(np.isnan(x))
    if gap.size:
        raise XLMError("#VALUE!", f"{table.name} row {rows[gap[0]]} has no {what} "
                       f"({col_label(col)}). Fill it in or clear the whole row.")
    bad = np.flatnonzero((x < 0) | (x != np.round(x)))
    if bad.size:
        raise XLMError("#VALUE!", f"{table.name} has {x[bad[0]]:g} {what} in row {rows[bad[0]]} "
                       f"({col_label(col)}); {what} are counts (whole numbers, 0 or more).")
    return x


def _arm_order(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """Arms in order of first appearance (case and spacing variants are one arm), and codes."""
    names: dict[str, int] = {}
    shown: list[str] = []
    codes = np.empty(len(labels), dtype=np.intp)
    for i, lab in enumerate(labels):
        key = " ".join(lab.lower().split())
        if key not in names:
            names[key] = len(shown)
            shown.append(lab)
        codes[i] = names[key]
    return shown, codes


def _control_index(arms: list[str], control: Any) -> int:
    keys = [" ".join(a.lower().split()) for a in arms]
    v = cells.scalar(control)
    if v is not None:
        want = " ".join(_label(v).lower().split())
        if want not in keys:
            raise XLMError("#VALUE!", f"control={_label(v)!r} is not one of the arms "
                           f"({', '.join(arms[:6])}{', ...' if len(arms) > 6 else ''}). Enter an "
                           "arm name exactly as in the data, or leave it blank for the first arm.")
        return keys.index(want)
    return next((i for i, k in enumerate(keys) if k in CONTROL_NAMES), 0)


def _binary(labels: list[str], yes: frozenset[str], no: frozenset[str]) -> np.ndarray | None:
    """0/1 for two label values read as yes/no (or treated/control), else None."""
    low = {lab.lower() for lab in labels}
    if low <= yes | no and low & yes and not (low & yes & no):
        return np.array([lab.lower() in yes for lab in labels], dtype=np.int64)
    if len(low) == 1 and low <= yes | no:
        return np.array([lab.lower() in yes for lab in labels], dtype=np.int64)
    if len(low) == 2:  # e.g. Coupon / Control: the value read as "no" tells the other
        known_no, known_yes = low & no, low & yes
        if len(known_no) == 1 and not known_yes:
            return np.array([lab.lower() not in no for lab in labels], dtype=np.int64)
        if len(known_yes) == 1 and not known_no:
            return np.array([lab.lower() in yes for lab in labels], dtype=np.int64)
    return None


# --------------------------------------------------------------------------- AB_TEST


def _split(value: Any, name: str) -> tuple[float, ...] | None:
    """planned_split: blank; text such as "50/50" or "1:1:2"; or a range of numbers."""
    grid = cells.as_grid(value)
    flat = [v for row in grid for v in row if v is not None and v != ""]
    if not flat:
        return None
    if len(flat) == 1 and isinstance(flat[0], str):
        parts = [p for p in re.split(r"[/:;,|\s]+", flat[0].strip().rstrip("%")) if p]
        flat = [cells.parse_number(p.rstrip("%")) for p in parts]
    try:
        out = tuple(float(v) for v in flat)
    except (TypeError, ValueError):
        out = ()
    if len(out) < 2 or not all(np.isfinite(out)) or min(out) <= 0:
        raise XLMError("#VALUE!", f"{name} must be the planned share of each arm, such as "
                       f'"50/50" or "1:1:2", or a range of positive numbers; got {cells.show(value)}.')
    return out


_AB_DATA = Arg("Your test results, either one row per arm: arm, visitors, conversions (several "
               "rows of an arm, e.g. one per day, are added up); or one row per visitor: arm, "
               "outcome (Yes/No, 1/0, or an amount such as order value). A header row is optional.")
_CONTROL = Arg('The control arm\'s name, e.g. "A". Blank: the arm called Control (or Baseline, '
               "Holdout, Original), else the first arm listed.")
_CONFIDENCE = Arg("Confidence level (default 0.95): the intervals cover the true difference this "
                  "often, and a difference counts as significant when p is below 1 minus it.",
                  Float(default=0.95, lo=0.5, hi=0.9999))


@sheet_function("AB_TEST", "Reads an A/B test: each arm's rate (or mean amount), difference and "
                "lift vs the control with a confidence interval, p-value, probability of being "
                "best, and a verdict in plain words; checks the planned split and size.", args={
    "data": _AB_DATA,
    "control": _CONTROL,
    "confidence": _CONFIDENCE,
    "correct": Arg("TRUE applies the continuity correction of the chi-square test (as R's "
                   "prop.test does): slightly more cautious p-values and intervals. Default FALSE "
                   "(the two-proportion z test). Amounts ignore it.", Bool(default=False)),
    "planned_split": Arg('The traffic split you planned, e.g. "50/50" or "1:1:2" (arms in the order '
                         "they appear). A split far from it (p < 0.001) flags a sample ratio "
                         "mismatch: a broken assignment that makes the test untrustworthy.", _split),
    "planned_size": Arg("Visitors per arm you planned before starting. While any arm has fewer, "
                        "the verdict is marked provisional: stopping at the first significant "
                        "result (peeking) crowns false winners.",
                        Float(default=None, lo=1.0)),
    "seed": SEED, "header": HEADER_ARG,
})
def ab_test(data: Any, control: Any = None, confidence: float = 0.95, correct: bool = False,
            planned_split: tuple[float, ...] | None = None, planned_size: float | None = None,
            seed: int = 0, header: bool | None = None) -> Cells:
    """One row per arm: size, conversions (or total), rate (or mean), difference vs control with
    its interval, relative lift, test statistic, p-value and P(best); then Verdict, Test and
    Note rows."""
    rng = range_of(data)

    def fit() -> core.ABResult:
        table = cells.read_table(rng, name="data", header=header)
        if header is None and not table.header and _text_header(rng.grid):
            table = cells.read_table(rng, name="data", header=True)
        result = _ab(table, control, confidence, correct, seed)
        result.notes[:0] = table.notes
        return result

    # the planned split and size are checked against the result afterwards
    res = CACHE.get_or_fit("ab_test", call_key(drop=("planned_split", "planned_size")), fit)
    notes = list(res.notes)
    verdict = res.verdict
    t = res.table
    if planned_split is not None:
        if len(planned_split) != len(t):
            raise XLMError("#VALUE!", f"planned_split has {len(planned_split)} shares but the data "
                           f"has {len(t)} arms ({', '.join(t['arm'][:6])}). Give one share per arm.")
        stat, p = core.sample_ratio_check(t["n"].to_numpy(), np.array(planned_split))
        if p < core.SRM_ALPHA:
            verdict = (f"Do not trust this test: sample ratio mismatch (the arms' sizes are far "
                       f"from the planned split, p = {p:.2g}). Fix the assignment and restart. "
                       + verdict)
        notes.append(f"Sample ratio check against the planned split: chi-square {stat:.3g}, "
                     f"p = {p:.3g} ({'mismatch' if p < core.SRM_ALPHA else 'fine'}; mismatch "
                     f"below {core.SRM_ALPHA}).")
    if planned_size is not None and t["n"].min() < planned_size:
        short = t.loc[t["n"].idxmin()]
        verdict = "Provisional (below the planned size): " + verdict
        notes.append(f"Arm {short['arm']} has {short['n']:,.0f} of the planned {planned_size:,.0f} "
                     f"visitors ({short['n'] / planned_size:.0%}). Peeking warning: the p-value is "
                     "only valid at the planned size; stopping at the first significant result "
                     "makes false winners common.")
    conv = res.kind == "conversions"
    header_row = ["Arm", "Visitors" if conv else "Customers", "Conversions" if conv else "Total",
                  "Rate" if conv else "Mean", "Difference", "CI low", "CI high", "Relative lift",
                  "Chi-square" if conv else "t", "p-value", "P(best)"]
    cols = ["arm", "n", "total", "value", "diff", "ci_low", "ci_high", "lift", "statistic",
            "p_value", "p_best"]
    body = cells.to_cells(t[cols].to_numpy(dtype=object), labels=header_row)
    width = len(header_row)
    extra = [["Verdict", verdict] + [""] * (width - 2),
             ["Test", f"{res.test}; control: {res.control}"] + [""] * (width - 2)]
    return cells.with_notes(body + extra, notes)


def _text_header(grid: list[list[Any]]) -> bool:
    """Two text columns (arm, Yes/No) defeat the usual header detection: a first row whose arm
    and outcome both appear nowhere below (e.g. "Arm", "Converted") is a header."""
    if len(grid) < 3 or len(grid[0]) != 2 or not all(isinstance(v, str) for v in grid[0]):
        return False
    keys = [tuple(_label(v).lower() if v is not None else "" for v in row) for row in grid]
    first = keys[0]
    return all(r[0] != first[0] for r in keys[1:]) and all(r[1] != first[1] for r in keys[1:])


def _ab(table: Table, control: Any, confidence: float, correct: bool, seed: int) -> core.ABResult:
    cols = table.columns
    if len(cols) == 3:
        arm_c, n_c, x_c = cols
        labels = _labels_of(table, arm_c)
        n = _numbers(table, n_c, "visitors")
        x = _numbers(table, x_c, "conversions")
        arms, codes = _arm_order(labels)
        bad = np.flatnonzero(x > n)
        if bad.size:
            i = int(bad[0])
            raise XLMError("#VALUE!", f"data row {_rows(table)[i]} has {x[i]:g} conversions but "
                           f"only {n[i]:g} visitors. The columns must be arm, visitors, conversions.")
        nn = np.bincount(codes, weights=n, minlength=len(arms))
        xx = np.bincount(codes, weights=x, minlength=len(arms))
        notes = []
        if len(codes) > len(arms):
            notes.append(f"{len(codes)} rows added up into {len(arms)} arms.")
        res = core.ab_conversions(arms, nn, xx, control=_control_index(arms, control),
                                  confidence=confidence, correct=correct, seed=seed)
        res.notes = notes
        return res
    if len(cols) != 2:
        raise XLMError("#VALUE!", f"data must have 3 columns (arm, visitors, conversions) or 2 "
                       f"(arm, outcome per visitor), got {len(cols)}. Select just those columns.")
    arm_c, y_c = cols
    labels = _labels_of(table, arm_c)
    arms, codes = _arm_order(labels)
    rows = _rows(table)
    y_raw = table.frame[y_c]
    gap = np.flatnonzero(y_raw.isna().to_numpy())
    if gap.size:
        raise XLMError("#VALUE!", f"data row {rows[gap[0]]} has no outcome ({col_label(y_c)}). "
                       "Fill it in or clear the whole row.")
    ctrl = _control_index(arms, control)
    kind = table.kinds[y_c]
    if kind == CATEGORY or kind == BOOL:
        y = _binary([_label(v) for v in y_raw.tolist()], YES, NO)
        if y is None:
            vals = sorted({_label(v) for v in y_raw.tolist()})[:4]
            raise XLMError("#VALUE!", f"data {col_label(y_c)} must hold Yes/No outcomes or amounts, "
                           f"got {', '.join(map(repr, vals))}. Use Yes/No, 1/0 or numbers.")
    else:
        values = y_raw.to_numpy(dtype=np.float64)
        y = values.astype(np.int64) if set(np.unique(values)) <= {0.0, 1.0} else None
        if y is None:
            groups = [values[codes == i] for i in range(len(arms))]
            return core.ab_amounts(arms, groups, control=ctrl, confidence=confidence, seed=seed)
    n = np.bincount(codes, minlength=len(arms)).astype(float)
    x = np.bincount(codes, weights=y, minlength=len(arms))
    return core.ab_conversions(arms, n, x, control=ctrl, confidence=confidence, correct=correct,
                               seed=seed)


# --------------------------------------------------------------------------- AB_SAMPLE_SIZE


def _rate(value: Any, name: str) -> float:
    v = cells.scalar(value)
    if v is None:
        raise XLMError("#VALUE!", f"{name} is missing. Enter the current conversion rate, e.g. 0.04 "
                       "or 4%.")
    return Float(lo=0.0, hi=1.0, lo_open=True, hi_open=True)(v, name)


@sheet_function("AB_SAMPLE_SIZE", "Plans an A/B test: how many recipients each arm needs to detect "
                "a given lift over your baseline conversion rate, or (with size instead of lift) "
                "the smallest lift a test of that size can detect, or (with both) its power.",
                fits=False, args={
    "baseline": Arg("Your current conversion rate, e.g. 0.04 (4%).", _rate),
    "lift": Arg("The smallest lift worth detecting, relative to the baseline: 0.1 means +10% (4% "
                "to 4.4%). Leave blank and give size to get the detectable lift instead.",
                Float(default=None, lo=-1.0, lo_open=True, hi=1e6)),
    "power": Arg("Chance of detecting the lift if it is real (default 0.8).",
                 Float(default=0.8, lo=0.0, hi=1.0, lo_open=True, hi_open=True)),
    "significance": Arg("False-alarm rate accepted (default 0.05, i.e. 95% confidence).",
                        Float(default=0.05, lo=0.0, hi=0.5, lo_open=True, hi_open=True)),
    "sides": Arg('"two-sided" (default: a lift or a drop counts) or "one-sided" (only a lift).',
                 Choice(("two-sided", "one-sided"), "two-sided")),
    "size": Arg("Recipients per arm you can afford. With lift blank: the smallest lift this size "
                "detects.", Float(default=None, lo=2.0, hi=1e10)),
    "lift_type": Arg('"relative" (default: lift is a share of the baseline) or "absolute" (lift '
                     "is in rate points: 0.01 = one point).", Choice(("relative", "absolute"), "relative")),
})
def ab_sample_size(baseline: float, lift: float | None = None, power: float = 0.8,
                   significance: float = 0.05, sides: str = "two-sided", size: float | None = None,
                   lift_type: str = "relative") -> Cells:
    """Recipients per arm (rounded up and exact), total for two arms, the two rates, the lift,
    power and significance, as label/value rows."""
    s = 1 if sides == "one-sided" else 2
    p1 = baseline
    if lift is None and size is None:
        raise XLMError("#VALUE!", "enter lift (to get the size per arm) or size (to get the lift "
                       "it can detect).")
    if lift is not None:
        p2 = p1 * (1 + lift) if lift_type == "relative" else p1 + lift
        if not 0 < p2 < 1:
            raise XLMError("#NUM!", f"lift={lift:g} takes the {p1:.2%} baseline to {p2:.2%}, "
                           "outside 0% to 100%. Enter a smaller lift.")
        if p2 == p1:
            raise XLMError("#NUM!", "lift is 0: no test can detect no difference. Enter the "
                           "smallest lift worth detecting, e.g. 0.1 for +10%.")
    if lift is not None and size is not None:
        n = size
        power = core.power_prop(n, p1, p2, significance, s)
        mode = "power"
    elif lift is not None:
        n = core.sample_size(p1, p2, power, significance, s)
        mode = "size"
    else:
        n = size
        p2 = core.detectable_rate(p1, n, power, significance, s)
        mode = "lift"
    per_arm = int(np.ceil(n - 1e-9))
    rows = [["Recipients per arm", per_arm],
            ["Recipients per arm (exact)", round(float(n), 4)],
            ["Recipients for two arms", 2 * per_arm],
            ["Baseline rate", p1], ["Target rate", round(float(p2), 10)],
            ["Relative lift", round(float(p2 / p1 - 1), 10)],
            ["Absolute lift", round(float(p2 - p1), 10)],
            ["Power", round(float(power), 10)], ["Significance", significance],
            ["Test", f"{sides}, two-proportion z test (R power.prop.test)"]]
    what = {"size": "Recipients per arm", "lift": "Detectable lift", "power": "Power"}[mode]
    return [["Plan", "Value"]] + rows + [["Solved for", what]]


# --------------------------------------------------------------------------- BANDIT_ALLOCATE


@dataclass
class _BanditInput:
    arms: list[str]
    codes: np.ndarray
    trials: np.ndarray
    successes: np.ndarray
    age: np.ndarray | None
    notes: list[str]


def _bandit_input(table: Table) -> _BanditInput:
    cols = table.columns
    if len(cols) not in (3, 4):
        raise XLMError("#VALUE!", f"data must have 3 columns (arm, trials, successes) or 4 (period, "
                       f"arm, trials, successes), got {len(cols)}. Select just those columns.")
    age = None
    notes: list[str] = []
    if len(cols) == 4:
        per_c = cols[0]
        per = table.frame[per_c]
        rows = _rows(table)
        gap = np.flatnonzero(per.isna().to_numpy())
        if gap.size:
            raise XLMError("#VALUE!", f"data row {rows[gap[0]]} has no period ({col_label(per_c)}). "
                           "Fill in the date or period number, or clear the whole row.")
        if table.kinds[per_c] == CATEGORY:
            keys = per.astype(str).str.strip()
            ordered = sorted(set(keys), key=lambda s: (len(s), s)) if keys.str.isdigit().all() \
                else sorted(set(keys))
            rank = {k: i for i, k in enumerate(ordered)}
            pos = np.array([rank[k] for k in keys])
        else:
            _, pos = np.unique(per.to_numpy(dtype=np.float64), return_inverse=True)
        age = pos.max() - pos
        notes.append(f"{int(pos.max()) + 1} periods; the latest counts fully.")
        cols = cols[1:]
    arm_c, n_c, x_c = cols
    arms, codes = _arm_order(_labels_of(table, arm_c))
    n = _numbers(table, n_c, "trials")
    x = _numbers(table, x_c, "successes")
    return _BanditInput(arms, codes, n, x, age, notes)


_traffic = Int(default=None, lo=1, hi=10**12)


@sheet_function("BANDIT_ALLOCATE", "Shares next period's traffic among the arms of a running "
                "test by Thompson sampling (each arm gets its probability of being best), with "
                'the expected loss of stopping now and a "stop: arm X wins" verdict.', args={
    "data": Arg("Results so far: arm, trials (sends, visitors), successes (opens, clicks, sales); "
                "one row per arm, or one per arm and day (rows of an arm are added up). With a "
                "period column first (date or number), old periods can be discounted."),
    "traffic": Arg("Visitors you will send next period. Given: a column with how many go to each "
                   "arm. Blank: shares only.", _traffic),
    "discount": Arg("Weight of results one period older, 0 to 1 (0.9: a result 10 periods old "
                    "counts a third; 1: all alike). Blank: chosen from the data when there is a "
                    "period column (what best predicts each period from the earlier ones; 1 "
                    "unless the rates drift).",
                    Float(default=None, lo=0.0, hi=1.0, lo_open=True)),
    "threshold": Arg("Stop when the expected loss of stopping now is below this share of the "
                     "leading arm's rate (default 0.01: under 1% of its rate).",
                     Float(default=core_bandit.THRESHOLD, lo=0.0, hi=1.0, lo_open=True)),
    "seed": SEED, "header": HEADER_ARG,
})
def bandit_allocate(data: Any, traffic: int | None = None, discount: float | None = None,
                    threshold: float = core_bandit.THRESHOLD, seed: int = 0,
                    header: bool | None = None) -> Cells:
    """One row per arm: trials, successes, rate, P(best), next share (and visitors), expected
    loss of stopping with it; then a Verdict row and Note rows."""
    rng = range_of(data)

    def fit() -> core_bandit.BanditResult:
        table = cells.read_table(rng, name="data", header=header)
        inp = _bandit_input(table)
        if discount is not None and discount < 1 and inp.age is None:
            raise XLMError("#VALUE!", f"discount={discount:g} needs a period column: data must be "
                           "period, arm, trials, successes, so older results can weigh less.")
        res = core_bandit.allocate(inp.arms, inp.codes, inp.trials, inp.successes, age=inp.age,
                                   discount=discount, threshold=threshold, seed=seed,
                                   keys=_arm_keys(inp.arms))
        used = res.discount
        how = "chosen from the data" if discount is None else "given"
        res.notes = table.notes + inp.notes + [
            f"Thompson sampling from Beta posteriors, {core_bandit.DRAWS:,} draws (seed {seed})."
            + (f" Results one period older weigh {used:g} times as much (discount {how})."
               if used < 1 else
               " No discount: the rates show no drift." if discount is None and inp.age is not None
               else "")]
        return res

    res = CACHE.get_or_fit("bandit", call_key(drop=("traffic",)), fit)  # traffic: applied after
    t = res.table
    labels = ["Arm", "Trials", "Successes", "Rate", "P(best)", "Next share", "Expected loss"]
    block = t[["arm", "trials", "successes", "rate", "p_best", "share", "loss"]].to_numpy(dtype=object)
    if traffic is not None:
        labels.append("Next visitors")
        block = np.column_stack([block, _apportion(t["share"].to_numpy(), traffic,
                                                   _arm_keys(list(t["arm"])))])
    body = cells.to_cells(block, labels=labels)
    width = len(labels)
    return cells.with_notes(body + [["Verdict", res.verdict] + [""] * (width - 2)], res.notes)


def _arm_keys(arms: list[str]) -> list[str]:
    """Each arm's identity (case, spaces and invisible characters aside): it seeds the arm's
    draws and breaks ties, so the arms in another order get the same numbers."""
    return [str(cells.identity(a)) for a in arms]


def _apportion(share: np.ndarray, total: int, keys: list[str]) -> np.ndarray:
    """Whole visitors per arm adding up to ``total`` (largest remainders, ties by arm name)."""
    raw = share * total
    out = np.floor(raw).astype(np.int64)
    left = total - int(out.sum())
    rank = np.argsort(np.argsort(np.array(keys, dtype=object)))
    order = np.lexsort((rank, -(raw - out)))
    out[order[:left]] += 1
    return out


# --------------------------------------------------------------------------- uplift


@dataclass
class _UpliftFit:
    table: Table
    fit: core_uplift.UpliftFit
    base_rate: float


def _beside01(values: cells.Range, table: Table, name: str, yes: frozenset[str], no: frozenset[str],
              fix: str) -> np.ndarray:
    vals, has_header = cells.read_beside(values.grid, table, name=name)
    kept = [v for v, k in zip(vals, table.row_mask) if k]
    for i, (v, k) in enumerate(zip(vals, table.row_mask)):
        if k and v is None:
            raise XLMError("#VALUE!", f"{name} is blank in row {i + 1 + has_header} while that "
                           "customer has data. Fill it in or leave the row out.")
    labels = [_label(v) for v in kept]
    distinct = {lab.lower() for lab in labels}
    if len(distinct) == 1:
        raise XLMError("#NUM!", f"{name} does not vary: every customer has {labels[0]!r}. Uplift "
                       "needs treated and control customers, and responders and non-responders "
                       "among both.")
    out = _binary(labels, yes, no)
    if out is None:
        shown = sorted(set(labels))[:4]
        raise XLMError("#VALUE!", f"{name} must hold two values {fix}; got "
                       f"{', '.join(map(repr, shown))}{', ...' if len(set(labels)) > 4 else ''}.")
    return out


_model = Choice(("auto", "two_model", "class_transform"), default="auto")


def fit_uplift(data: Any, treatment: Any, outcome: Any, model: str, seed: int,
               header: bool | None, keep_ids: bool) -> _UpliftFit:
    """The cached uplift fit for these cells and options (fits on a cache miss)."""
    rng, tr, oc = range_of(data), range_of(treatment), range_of(outcome)

    def fit() -> _UpliftFit:
        table = cells.leave_out_ids(cells.read_table(rng, name="data", header=header), keep_ids)
        t = _beside01(tr, table, "treatment", TREATED, CONTROL,
                      "such as Treated/Control, Yes/No or 1/0 (1 = got the campaign)")
        y = _beside01(oc, table, "outcome", YES, NO, "such as Yes/No or 1/0 (1 = responded)")
        f = core_uplift.fit(table.frame, table.kinds, t, y, model=model, seed=seed)
        table.notes.extend(f.notes)
        return _UpliftFit(table, f, float(y[t == 0].mean()))

    # keyed by this helper's own arguments: UPLIFT_SCORE and UPLIFT_QINI share the fit
    return CACHE.get_or_fit("uplift", key_of((rng, tr, oc), (model, seed, header, keep_ids)), fit)


_U_DATA = Arg("Customer attributes from your campaign test: one row per customer, one column per "
              "attribute (age, orders, region...). A header row is optional and detected.")
_U_TREAT = Arg("Who got the campaign, same rows as data: Treated/Control, Yes/No or 1/0. The "
               "control group must have been held out at random.")
_U_OUT = Arg("Whether each customer responded (bought, clicked...), same rows as data: Yes/No "
             "or 1/0.")
_U_MODEL = Arg('"auto" (default: two_model unless class_transform has a significantly better '
               'cross-validated Qini), '
               '"two_model" (a response model for each group) or "class_transform" (one model of '
               "a transformed outcome).", _model)


@sheet_function("UPLIFT_SCORE", "How much the campaign changes each customer's chance of "
                "responding (incremental probability), the chance without it, and the segment: "
                "Persuadable, Sure thing, Lost cause or Do not disturb. One row per customer.", args={
    "data": _U_DATA, "treatment": _U_TREAT, "outcome": _U_OUT, "model": _U_MODEL,
    "seed": SEED, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def uplift_score(data: Any, treatment: Any, outcome: Any, model: str = "auto", seed: int = 0,
                 header: bool | None = None, keep_ids: bool = False) -> Cells:
    """Per data row: uplift (treated minus untreated probability), probability without the
    campaign, segment; aligned with the range, with a header row when data has one."""
    u = fit_uplift(data, treatment, outcome, model, seed, header, keep_ids)
    f = u.fit
    seg = core_uplift.segments(f.uplift, f.p_control, u.base_rate)
    block = np.empty((len(seg), 3), dtype=object)
    block[:, 0] = np.round(f.uplift, 6).tolist()
    block[:, 1] = np.round(f.p_control, 6).tolist()
    block[:, 2] = seg
    return cells.to_cells(block, u.table, labels=["Uplift", "Probability without campaign",
                                                  "Segment"])


@sheet_function("UPLIFT_QINI", "Checks an uplift model (cross-validated): the Qini curve (extra "
                "responders from targeting the highest uplift first, vs random), the Qini "
                "coefficient, the uplift among the top customers and the segment counts.", args={
    "data": _U_DATA, "treatment": _U_TREAT, "outcome": _U_OUT, "model": _U_MODEL,
    "top": Arg("Share of customers for the uplift-at-top figure (default 0.3: the top 30%).",
               Float(default=0.3, lo=0.0, hi=1.0, lo_open=True, hi_open=True)),
    "bins": Arg("Points on the Qini curve after 0% (default 10: every 10%).",
                Int(default=10, lo=2, hi=100)),
    "seed": SEED, "header": HEADER_ARG, "keep_ids": KEEP_IDS,
})
def uplift_qini(data: Any, treatment: Any, outcome: Any, model: str = "auto", top: float = 0.3,
                bins: int = 10, seed: int = 0, header: bool | None = None,
                keep_ids: bool = False) -> Cells:
    """bins + 1 curve rows (share targeted, customers, extra responders by the model and at
    random), then summary rows (model, Qini coefficient, uplift at the top share, each learner's
    cross-validated Qini, segment counts) and Note rows."""
    u = fit_uplift(data, treatment, outcome, model, seed, header, keep_ids)
    f = u.fit
    pts = core_uplift.qini_points(f.y, f.oof, f.t, bins)
    rows: list[list[Any]] = [["Share targeted", "Customers", "Extra responders (model)",
                              "Extra responders (random)"]]
    rows += [[float(s), int(c), round(float(m), 6), round(float(r), 6)]
             for s, c, m, r in pts.itertuples(index=False)]
    at_k = core_uplift.uplift_at_k(f.y, f.oof, f.t, top)
    rows.append(["Model", f.model, "", ""])
    rows.append(["Qini coefficient", round(core_uplift.qini_coefficient(f.y, f.oof, f.t), 6), "", ""])
    rows.append([f"Uplift in the top {top:.0%}", "" if np.isnan(at_k) else round(at_k, 6), "", ""])
    rows.append(["Uplift overall (treated minus control rate)",
                 round(float(f.y[f.t == 1].mean() - f.y[f.t == 0].mean()), 6), "", ""])
    for name, q in f.cv_qini.items():
        rows.append([f"Cross-validated Qini: {name}", round(q, 6), "", ""])
    seg = pd.Series(core_uplift.segments(f.uplift, f.p_control, u.base_rate))
    for s in (core_uplift.PERSUADABLE, core_uplift.SURE_THING, core_uplift.LOST_CAUSE,
              core_uplift.DO_NOT_DISTURB):
        rows.append([f"{s}s" if not s.endswith("disturb") else f"{s} customers",
                     int((seg == s).sum()), "", ""])
    notes = list(u.table.notes) + [
        f"Qini curve and figures are cross-validated ({core_uplift.FOLDS} folds): each customer is "
        "scored by a model that did not see them.",
        f"Segments: uplift above +{core_uplift.SEGMENT_MARGIN:.0%} Persuadable, below "
        f"-{core_uplift.SEGMENT_MARGIN:.0%} Do not disturb; the rest Sure thing if they respond "
        f"without the campaign at least as often as the control group ({u.base_rate:.1%}), else "
        "Lost cause."]
    return cells.with_notes(rows, notes)

"""RECOMMEND, SIMILAR_ITEMS and BASKET_RULES: recommendations and market baskets.

The purchase ranges are read here (cells -> codes), the models live in
:mod:`xlmarketing.core.recommend` and :mod:`xlmarketing.core.baskets`, and both are cached on
the raw range's fingerprint and the clean options, so a recalculation or a filled-down column
of ``=RECOMMEND($A$2:$C$100000, E2)`` fits once.

Reading is column-wise with pandas' factorize (C speed), so a million-row transaction list is
read in about a second; only the distinct labels are inspected cell by cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from operator import itemgetter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import cells, notices
from ..cache import CACHE, Memo
from ..core import baskets as bcore
from ..core import recommend as core
from ..errors import XLMError, col_label
from . import Cells, sheet_function
from .spec import HEADER_ARG, Arg, Choice, Float, Int, call_key, range_of

# Words that mark a header row of a purchase list (detection when header is blank).
_HEADER_WORDS = ("customer", "client", "user", "member", "account", "id", "item", "product",
                 "sku", "article", "basket", "order", "transaction", "receipt", "invoice",
                 "quantity", "qty", "units", "amount", "count", "date", "time", "name")


# --------------------------------------------------------------------------- reading ranges


def _key(v: Any) -> Any:
    """A label as a dictionary key: 1001 and 1001.0 alike, text stripped, blanks None."""
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        return s or None
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return int(v) if v.is_integer() else v
    if isinstance(v, np.generic):
        return _key(v.item())
    return v


def _first_error(col: list[Any]) -> tuple[int, str] | None:
    for i, v in enumerate(col):
        code = cells.error_code(v)
        if code:
            return i, code
    return None


def _factorize(col: list[Any], name: str, what: str, offset: int,
               notes: list[str]) -> tuple[np.ndarray, list[Any]]:
    """Codes (first appearance order, -1 for blanks) and labels of one label column."""
    arr = np.empty(len(col), dtype=object)
    arr[:] = col
    try:
        codes, uniques = pd.factorize(arr)
    except TypeError:  # unhashable cells: Office.js error entities
        codes, uniques = None, None
    bad = _first_error(list(uniques)) if uniques is not None else _first_error(col)
    if bad is not None:
        row = bad[0] if uniques is None else int(np.flatnonzero(codes == bad[0])[0])
        code = bad[1]
        raise XLMError(code, f"{name} has the error value {code} in row {row + 1 + offset} "
                       f"({what} column). Fix that cell or clear it.")
    # One label per identity (cells.identity): 1004 and '1004', 'Tea' and 'tea\u200b' are one
    # item; each is shown in its most common spelling.
    keys = np.empty(len(uniques), dtype=object)
    keys[:] = [cells.identity(u) for u in uniques]
    kcodes, kuniques = pd.factorize(keys)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    best = np.full(len(kuniques), -1)
    for j in np.argsort(-counts, kind="stable"):
        if kcodes[j] >= 0 and best[kcodes[j]] < 0:
            best[kcodes[j]] = j
    labels = [_spelling(uniques[j]) for j in best]
    if len(kuniques) < int((kcodes >= 0).sum()):
        variants: dict[Any, list[Any]] = {}
        for j, k in enumerate(kcodes):
            if k >= 0 and j != best[k]:
                variants.setdefault(k, [labels[k]]).append(uniques[j])
        notes.append(cells.merged_note(variants, f"{name} {what} column"))
    mapping = np.append(kcodes, -1)  # code -1 stays -1
    return mapping[codes], labels


def _spelling(v: Any) -> Any:
    """A label as shown: 1001 rather than 1001.0, text cleaned (no invisible characters)."""
    k = _key(v)
    return cells.clean_text(k) if isinstance(k, str) else k


def _shown(v: Any) -> str:
    """A label as the user typed it: 1001 rather than 1001.0, text quoted."""
    k = _key(v)
    return repr(k) if isinstance(k, str) else str(k)


def _all_text(row: list[Any]) -> bool:
    return bool(row) and all(isinstance(v, str) and v.strip() for v in row)


_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _header_words(row: list[Any]) -> bool:
    """A purchase list's header by its words (Customer, Product name, CustomerID, qty): an
    all-text row above all-text rows shows no other sign. Cells with digits are data (SKU123)."""
    if not _all_text(row):
        return False
    for v in row:
        if any(c.isdigit() for c in v):
            continue
        for w in _WORD.findall(v):
            w = w.lower()
            if w in _HEADER_WORDS or (w.endswith("s") and w[:-1] in _HEADER_WORDS):
                return True
    return False


def _has_header(grid: list[list[Any]], header: bool | None) -> bool:
    """A header by its words, or by the rule of every table (text names above numbers or
    dates, in the caller's culture)."""
    if header is not None:
        return header
    return _header_words(grid[0]) or cells.resolve_header(grid[:50], None)


def _blank(rows: list[list[Any]]) -> bool:
    """Every cell blank (counted in C: a purchase list may have a million rows)."""
    return sum(r.count(None) + r.count("") for r in rows) == sum(map(len, rows))


def _amounts(col: list[Any], name: str, top: list[Any]) -> np.ndarray | None:
    """The optional third column: quantities read by the column rule ('1.234,5' in a German
    export, '(2)' a return of two), a blank counting as one purchase; None when it holds dates
    (or its header says so). ``top`` is its header cell in a list, empty without a header."""
    label = str(top[0]).lower() if top else ""
    head = [v for v in col[:50] if v is not None]
    if any(w in label for w in ("date", "time", "day", "when")) or _blank([col]) or all(
            isinstance(v, (dt.date, dt.datetime)) for v in head):
        return None  # dates: skipped without reading a million of them
    fast = cells.fast_numeric(col)  # numbers and blanks only: no text to read
    if fast is not None:
        return np.nan_to_num(fast, nan=1.0)
    with cells.gc_paused():  # a million one-cell lists: no collections meanwhile
        rows = [[v] for v in col]
    table = cells.read_table([top, *rows] if top else rows, name=name, header=bool(top),
                             first_column=3, mixed_dates=False)
    [c] = table.columns
    if table.kinds[c] == cells.DATE:
        return None
    if table.kinds[c] == cells.CATEGORY:
        cells.refuse_text(table, c, where="of its third column",
                          needs=", which should be a quantity or a date",
                          fix="Enter a number there, or select only the customer and item columns.")
    out = np.ones(len(col))
    out[table.row_mask] = np.nan_to_num(table.frame[c].to_numpy(dtype=np.float64), nan=1.0)
    return out


def _counts(rows: list[list[Any]], top: list[Any] | None, name: str, first_column: int) -> np.ndarray:
    """A block of counts read by the column rule, NaN for blanks; ``top`` is the header row
    above it (item names), None without one. Text and dates are refused naming the cell."""
    m = np.full((len(rows), len(rows[0])), np.nan)
    if _blank(rows):
        return m
    table = cells.read_table(rows if top is None else [list(top), *rows], name=name,
                             header=top is not None, allow_text=False, first_column=first_column,
                             mixed_dates=False)
    dated = next((c for c, k in table.kinds.items() if k == cells.DATE), None)
    if dated is not None:
        raise XLMError("#VALUE!", f"{name} {col_label(dated)} holds dates where counts belong. "
                       "Enter counts there, or give one row per purchase.")
    m[table.row_mask] = table.frame.to_numpy(dtype=np.float64)
    return m


@dataclass
class Pairs:
    """A purchase or basket range as codes: who (customer/basket), what (item), how much."""

    who: np.ndarray
    what: np.ndarray
    amount: np.ndarray | None
    who_labels: list[Any]
    item_labels: list[Any]
    notes: list[str] = field(default_factory=list)


def read_pairs(values: Any, name: str, header: bool | None, who: str) -> Pairs:
    """A (who, item[, quantity or date]) list, or a who x item matrix of counts with item names
    in the first row and the who label in the first column."""
    grid = cells.as_grid(values)
    width = len(grid[0])
    if width < 2:
        raise XLMError("#VALUE!", f"{name} has 1 column. Give two columns ({who}, item), "
                       f"optionally a quantity, or a {who} x item table of counts.")
    if width > 3:  # a matrix: item names across the first row (its corner cell may be blank)
        has_header = header if header is not None else _all_text(grid[0][1:])
        if not has_header:
            raise XLMError("#VALUE!", f"{name} has {width} columns and no header row. Give "
                           f"({who}, item[, quantity]) columns, or a {who} x item table with "
                           "the item names in its first row.")
    else:
        has_header = _has_header(grid, header)
    body = grid[int(has_header):]
    if not body:
        raise XLMError("#VALUE!", f"{name} has a header row but no rows below it. Select the "
                       "purchase rows too.")
    # Column by column with itemgetter: ten times faster than zip(*body) on a million rows.
    cols = [list(map(itemgetter(j), body)) for j in range(min(width, 3))]
    notes: list[str] = []
    who_codes, who_labels = _factorize(cols[0], name, who, int(has_header), notes)
    who_codes = _without_totals(who_codes, who_labels, name, who, notes)
    if width <= 3:
        item_codes, item_labels = _by_name(*_factorize(cols[1], name, "item", int(has_header), notes))
        amount = None
        if width == 3:
            amount = _amounts(cols[2], name, grid[0][2:3] if has_header else [])
        keep = who_codes >= 0
        if amount is not None:
            amount = amount[keep]
        return Pairs(who_codes[keep], item_codes[keep], amount, who_labels, item_labels, notes)
    # A who x item matrix: item names across the first row.
    counts = np.nan_to_num(_counts([list(r[1:]) for r in body], grid[0][1:], name, 2), nan=0.0)
    items = [_key(v) if _key(v) is not None else f"column {j + 2}" for j, v in enumerate(grid[0][1:])]
    m = sp.coo_matrix(np.where(counts > 0, counts, 0))
    rows = who_codes[m.row]
    ok = rows >= 0
    # Customers whose row is all zero stay known (no history): add them with item -1.
    present = np.flatnonzero(who_codes >= 0)
    return Pairs(np.concatenate([rows[ok], who_codes[present]]),
                 np.concatenate([m.col[ok], np.full(len(present), -1)]),
                 np.concatenate([m.data[ok], np.zeros(len(present))]), who_labels, items, notes)


def _by_name(codes: np.ndarray, labels: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Item codes numbered in the order of their names, not of first appearance: ties between
    equally good items are broken by code, and row order must not change an answer."""
    order = sorted(range(len(labels)), key=lambda j: cells.identity_order(labels[j]))
    renumber = np.full(len(labels) + 1, -1)
    renumber[order] = np.arange(len(order))
    return renumber[codes], [labels[j] for j in order]


def _without_totals(codes: np.ndarray, labels: list[Any], name: str, who: str,
                    notes: list[str]) -> np.ndarray:
    """Codes with the rows of a "Total" customer or basket left out (-1) and the label removed
    from ``labels`` (in place), with a note: a total line of a purchase export is no customer."""
    totals = [j for j, v in enumerate(labels) if cells.is_total_label(v)]
    if not totals:
        return codes
    notes.append(f"{name}: the {who} {labels[totals[0]]!r} left out: a total of other rows is "
                 f"no {who}.")
    renumber = np.full(len(labels) + 1, -1)  # the last slot: code -1 stays -1
    kept = [j for j in range(len(labels)) if j not in set(totals)]
    renumber[kept] = np.arange(len(kept))
    labels[:] = [labels[j] for j in kept]
    return renumber[codes]


# --------------------------------------------------------------------------- the model


@dataclass
class _Fit:
    model: core.ItemModel
    index: dict[Any, int]  # customer key -> row
    item_index: dict[Any, int]
    notes: list[str] = field(default_factory=list)
    memo: Memo = field(default_factory=Memo)


def _lookup(labels: list[Any]) -> dict[Any, int]:
    """Identity (cells.identity) -> position: a customers cell or an item argument matches its
    label whatever its case, spaces or number-as-text ('1003' and 1003 alike)."""
    return {cells.identity(k): i for i, k in reversed(list(enumerate(labels)))}


def fit_recommender(purchases: Any, header: bool | None, model: str = "auto") -> _Fit:
    """The cached model for these purchase cells (fits on a cache miss)."""
    rng = range_of(purchases)
    options = core.RecommendOptions(model=model)

    def fit() -> _Fit:
        p = read_pairs(rng.grid, "purchases", header, "customer")
        amount = None if p.amount is None else p.amount
        if amount is not None:
            amount = np.where(p.what >= 0, amount, 0)
        keys = ([cells.identity(v) for v in p.who_labels], [cells.identity(v) for v in p.item_labels])
        data = core.interactions(p.who, p.what, amount, p.who_labels, p.item_labels, keys)
        fitted = core.fit(data, options)
        notes = p.notes + ([f"RECOMMEND model auto chose {fitted.choice}."] if fitted.choice else [])
        return _Fit(fitted, _lookup(p.who_labels), _lookup(p.item_labels), notes)

    # The culture is part of the input: '1.234' is 1234 in de-DE and 1.234 in en-US.
    # Who to recommend for (customers, item) and how many (n) are read from the fitted model.
    got = CACHE.get_or_fit("recommend", call_key(options, drop=("customers", "item", "n", "model")), fit)
    for note in got.notes:  # every call, a cached fit too: the refresh report counts them
        notices.say(note)
    return got


def _labels(n: int) -> list[str]:
    out: list[str] = []
    for k in range(1, n + 1):
        out += [f"Item {k}", f"Score {k}"]
    return out + ["Basis"]


def _rows(fit: _Fit, recs: core.Recommendations) -> list[list[Any]]:
    """Item, score, ..., basis per customer, as plain Python cells (built in numpy)."""
    names = np.empty(fit.model.data.n_items + 1, dtype=object)
    names[:-1] = fit.model.data.items
    names[-1] = ""  # index -1: no item left for this slot
    n = recs.items.shape[1]
    block = np.empty((recs.items.shape[0], 2 * n + 1), dtype=object)
    block[:, 0:2 * n:2] = names[recs.items]
    scores = np.round(recs.scores, 6).astype(object)
    scores[np.isnan(recs.scores)] = ""
    block[:, 1:2 * n:2] = scores
    block[:, -1] = recs.basis
    return block.tolist()


_PURCHASES = Arg("Purchase history: one row per purchase with columns customer, item and "
                 "optionally quantity (or date); or a customer x item table of counts with item "
                 "names in the first row.")
_N = Int(default=None, lo=1, hi=1000)  # blank: 5, or the whole catalogue if smaller
_MODEL = Choice(core.MODELS, "auto")


def _customer_rows(fit: _Fit, customers: Any, header: bool | None) -> tuple[list[int | None], bool]:
    """Data rows of the requested customers (None for blank cells) and the header flag."""
    values, _ = cells.read_vector(customers, name="customers", header=False)
    has_header = False
    if header is not False and values and isinstance(values[0], str) and len(values) > 1:
        first = cells.identity(values[0])
        has_header = (first not in fit.index and cells.header_like(values[0], values[1:], _HEADER_WORDS)
                      and any(cells.identity(v) in fit.index for v in values[1:]))
    rows: list[int | None] = []
    for i, v in enumerate(values[int(has_header):]):
        k = cells.identity(v)
        if k is None:
            rows.append(None)
            continue
        if k not in fit.index:
            raise XLMError("#N/A", f"customers row {i + 1 + has_header} has {_shown(v)}, "
                           "who is not in purchases. Check the spelling, or add the customer to "
                           "purchases (a row with a blank item gives them the popular items).")
        rows.append(fit.index[k])
    return rows, has_header


@sheet_function("RECOMMEND", "The top n products to offer each customer next (item-to-item "
                "collaborative filtering on purchase history), leaving out what they already "
                "bought, with a score. Customers without history get the best sellers.", args={
    "purchases": _PURCHASES,
    "customers": Arg("The customers to score (a column of customer names or ids). Blank: every "
                     "customer in purchases, one row each."),
    "n": Arg("How many products per customer (default 5).", _N),
    "model": Arg("auto (default): item-to-item similarity, or EASE when the catalogue has at "
                 f"most {core.EASE_MAX_ITEMS:,} items and it finds more of the purchases held "
                 "back from your own data; item-knn or ease to choose.", _MODEL),
    "header": HEADER_ARG,
})
def recommend(purchases: Any, customers: Any = None, n: int | None = None,
              model: str = "auto", header: bool | None = None) -> Cells:
    """One row per customer: item 1, score 1, ..., item n, score n and the basis."""
    fit = fit_recommender(purchases, header, model)
    n = n or min(5, fit.model.data.n_items)
    if cells.as_grid(customers) == [[None]]:
        key = f"all:{n}"
        if key not in fit.memo:
            fitted = fit.model
            recs = core.recommend(fitted, np.arange(fitted.data.n_customers), n)
            body = [[c, *r] for c, r in zip(fitted.data.customers, _rows(fit, recs))]
            fit.memo[key] = [["Customer", *_labels(n)], *body]
        return fit.memo[key]
    rows, has_header = _customer_rows(fit, customers, header)
    known = [r for r in rows if r is not None]
    recs = core.recommend(fit.model, np.array(known, dtype=np.int64), n)
    filled = iter(_rows(fit, recs))
    width = 2 * n + 1
    out = [next(filled) if r is not None else [""] * width for r in rows]
    if has_header:
        out.insert(0, _labels(n))
    return out or [[""]]


@sheet_function("SIMILAR_ITEMS", "Customers who bought this item also bought: the n items most "
                "often bought by the same customers, with their similarity (0 to 1) and how "
                "many customers bought both.", args={
    "purchases": _PURCHASES,
    "item": Arg("The item to start from, exactly as written in purchases."),
    "n": Arg("How many similar items (default 5).", _N),
    "header": HEADER_ARG,
})
def similar_items(purchases: Any, item: Any, n: int | None = None,
                  header: bool | None = None) -> Cells:
    """n rows: similar item, similarity and customers who bought both."""
    # RECOMMEND's default model: one cached fit serves both on a sheet that has both (the
    # similarities shown here are co-purchase cosines, the same whichever member was chosen).
    fit = fit_recommender(purchases, header)
    n = n or min(5, fit.model.data.n_items - 1)
    v = cells.scalar(item)
    k = cells.identity(v)
    if k is None:
        raise XLMError("#VALUE!", "item is missing. Enter an item name exactly as in purchases.")
    if k not in fit.item_index:
        raise XLMError("#N/A", f"item {_shown(v)} is not in purchases. Check the spelling "
                       "(items are matched exactly, ignoring surrounding spaces).")
    sim = core.similar_items(fit.model, fit.item_index[k], n)
    names = fit.model.data.items
    body = [[names[i], round(float(s), 4), int(t)]
            for i, s, t in zip(sim.items, sim.similarity, sim.together)]
    if not body:
        body = [["(no customer bought it with another item)", "", ""]]
    return cells.to_cells(body, labels=["Item", "Similarity", "Bought together"])


# --------------------------------------------------------------------------- basket rules

#: Rules shown at most; the last row says how many more there were.
MAX_RULES_SHOWN = 5000


def _basket_matrix(transactions: Any, header: bool | None
                   ) -> tuple[sp.csc_matrix, list[Any], list[str]]:
    """Baskets x items 0/1 from a (basket, item) list or a 0/1 table (item names on top, with or
    without a basket column first)."""
    grid = cells.as_grid(transactions)
    named = header is not False and _all_text(grid[0]) and len(grid) > 1
    for first_col in (0, 1):
        probe = grid[int(named)][first_col:]
        if len(probe) < 2 or not (named or header is False) or _zero_one([probe], first_col) is None:
            continue  # the first data row already says it is no 0/1 table
        m = _zero_one([r[first_col:] for r in (grid[1:] if named else grid)], first_col)
        if m is not None:
            names = [_key(v) for v in grid[0][first_col:]] if named else \
                [f"column {j + 1 + first_col}" for j in range(m.shape[1])]
            return sp.csc_matrix(m), names, []
    p = read_pairs(grid, "transactions", header, "basket")
    keep = p.what >= 0
    if p.amount is not None:
        keep &= p.amount > 0
    m = sp.csc_matrix((np.ones(int(keep.sum())), (p.who[keep], p.what[keep])),
                      shape=(len(p.who_labels), len(p.item_labels)))
    m.sum_duplicates()
    m.data[:] = 1.0  # an item twice in one basket is still one basket
    return m, p.item_labels, p.notes


def _zero_one(rows: list[list[Any]], first_col: int) -> np.ndarray | None:
    """The block as a 0/1 matrix (blanks 0) when every filled cell reads as 0 or 1, else None."""
    try:
        a = _counts(rows, None, "transactions", first_col + 1)
    except XLMError:
        return None
    filled = a[~np.isnan(a)]
    if not filled.size or not np.isin(filled, (0.0, 1.0)).all():
        return None
    return np.nan_to_num(a, nan=0.0)


@sheet_function("BASKET_RULES", "Market basket analysis: rules 'customers who buy A also buy C' "
                "with support, confidence and lift, strongest (highest lift) first.", args={
    "transactions": Arg("One row per item in a basket (basket id, item), or a basket x item "
                        "table of 0/1 with item names in the first row."),
    "min_support": Arg("Least share of baskets a rule's items appear in together (default 0.01 "
                       "= 1%).", Float(default=0.01, lo=0, hi=1, lo_open=True)),
    "min_confidence": Arg("Least share of baskets with A that also hold C (default 0.2).",
                          Float(default=0.2, lo=0, hi=1, lo_open=True)),
    "max_len": Arg("Most items in a rule, antecedent and consequent together (default 3).",
                   Int(default=3, lo=2, hi=10)),
    "header": HEADER_ARG,
})
def basket_rules(transactions: Any, min_support: float = 0.01, min_confidence: float = 0.2,
                 max_len: int = 3, header: bool | None = None) -> Cells:
    """Antecedent, consequent, support, confidence, lift and baskets, one row per rule."""
    rng = range_of(transactions)
    opts = bcore.RuleOptions(min_support, min_confidence, max_len)

    def fit() -> Cells:
        x, names, notes = _basket_matrix(rng.grid, header)
        r = bcore.rules(x, opts)

        def text(s: tuple[int, ...]) -> str:
            return ", ".join(sorted(str(names[i]) for i in s))

        ant, con = [text(a) for a in r.antecedents], [text(c) for c in r.consequents]
        # Strongest first; ties by name, so a list and a table of the same baskets agree.
        order = sorted(range(len(ant)), key=lambda i: (-round(float(r.lift[i]), 12),
                                                       -round(float(r.confidence[i]), 12),
                                                       -float(r.support[i]), ant[i], con[i]))
        body = [[ant[i], con[i], round(float(r.support[i]), 6), round(float(r.confidence[i]), 6),
                 round(float(r.lift[i]), 6), int(r.count[i])] for i in order[:MAX_RULES_SHOWN]]
        if len(r.antecedents) > MAX_RULES_SHOWN:
            body.append([f"... {len(r.antecedents) - MAX_RULES_SHOWN:,} weaker rules not shown; "
                         "raise min_support or min_confidence", "", "", "", "", ""])
        if not body:
            body = [[f"(no rule: no itemset reaches min_support={min_support:g} with "
                     f"confidence {min_confidence:g}; {r.n_baskets:,} baskets)", "", "", "", "", ""]]
        return cells.to_cells(body, labels=["Antecedent", "Consequent", "Support", "Confidence",
                                            "Lift", "Baskets"]), notes

    rows, notes = CACHE.get_or_fit("basket_rules", call_key(), fit)
    for note in notes:
        notices.say(note)
    return [list(r) for r in rows]

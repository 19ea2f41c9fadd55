"""Reading ranges: header rows, columns read with one rule each, validated tables, and one-column
ranges (labels, groups) that go with a table row for row."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from ..core.kinds import Kind
from ..errors import XLMError, col_label
from ..parsing import ParseError, culture_info, current_culture, parse_column, parse_dates
from .fingerprint import Range
from .identity import clean_text, is_total_label, merge_spellings
from .values import (_BLANK, _BOOL, _DATE, _ERR, _NUM, _TEXT, BOOL, CATEGORY, DATE, NUMBER,
                     SERIAL_MAX, SERIAL_MIN, _classify, _classify_all, _classify_raw,
                     _fast_numeric, _label, as_grid, from_serial, parse_number, show)

__all__ = ["TEXT_DTYPE", "Columns", "Table", "first_text", "header_like", "read_beside", "read_columns",
           "read_table", "read_vector", "refuse_sum_row", "refuse_text", "resolve_header", "text_dates"]


@dataclass
class Table:
    """A validated table read from a range.

    ``frame`` holds only the data rows that are not entirely blank (index 0..n-1), numeric kinds
    as float64 (dates as Excel serial days, booleans as 0/1) and categories as strings with NaN
    for blanks. ``row_mask`` marks, for every data row of the range, whether it is in ``frame``;
    :func:`to_cells` uses it to align results row for row with the range.
    """

    frame: pd.DataFrame
    kinds: dict[str, Kind]
    header: bool
    row_mask: np.ndarray
    name: str = "data"
    notes: list[str] = field(default_factory=list)
    #: Columns read from the range but left out of the model (ID-like), and all the range's
    #: columns in order, so a second range (score_data) can leave out the same ones.
    dropped: list[str] = field(default_factory=list)
    source_columns: list[str] | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def n_rows(self) -> int:
        """Data rows in ``frame`` (blank rows excluded)."""
        return len(self.frame)

    def numeric_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k != CATEGORY]

    def category_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k == CATEGORY]

    def range_row(self, i: int) -> int:
        """1-based row number within the range of the i-th row of ``frame``."""
        return int(np.flatnonzero(self.row_mask)[i]) + 1 + int(self.header)


#: Text columns: pandas' string dtype with NaN for blanks (pandas 3's "str"). Spelled out, as
#: pandas 2.x reads "str" as a numpy text array, which turns a blank cell into the text "None".
TEXT_DTYPE = pd.StringDtype(na_value=np.nan)


@dataclass
class _Column:
    """One slow-path column: cell kinds, cleaned values, and a note on how its text was read."""

    kinds: np.ndarray
    values: list[Any]
    note: str | None = None


def _column_kinds(col: list[Any], culture: Any = None) -> _Column:
    """Classify a column's cells, reading all its number and date text with one rule.

    Raises :class:`~xlmarketing.parsing.ParseError` when the text has no single safe reading.
    """
    memo: dict[str, tuple[int, Any]] = {}
    pairs = _classify_all(col, _classify_raw, memo)
    ck = np.fromiter((p[0] for p in pairs), dtype=np.int8, count=len(pairs))
    cv = [p[1] for p in pairs]
    text = ck == _TEXT
    if not text.any():
        return _Column(ck, cv)
    idx = np.flatnonzero(text)
    parsed = parse_column([r[1] for r in memo.values() if r[0] == _TEXT], culture=culture,
                          plain_numbers=bool((ck == _NUM).any()))
    if parsed.numbers or parsed.dates:
        for i in idx.tolist():
            t = cv[i]
            if t in parsed.numbers:
                ck[i], cv[i] = _NUM, parsed.numbers[t]
            elif t in parsed.dates:
                ck[i], cv[i] = _DATE, parsed.dates[t]
    return _Column(ck, cv, parsed.note)


def _looks_like_header(grid: list[list[Any]]) -> bool:
    """Is the first row a header? Either all text while some column below it holds numbers,
    dates or booleans, or numeric names (years such as 2019, dates) that the rows below do not
    follow: see :func:`_numeric_header`."""
    if len(grid) < 2:
        return False
    first = [_in_culture(_classify(v)) for v in grid[0]]
    kinds = [k for k, _ in first]
    if any(k not in (_TEXT, _BLANK) for k in kinds):
        return _numeric_header(grid, first)
    if not any(k == _TEXT for k in kinds):
        return False
    # Row by row, so a typical table answers on its first data row.
    if any(_classify(v)[0] in (_NUM, _DATE, _BOOL) for row in grid[1:] for v in row):
        return True
    return _text_reads_as_values(grid)


def _in_culture(cell: tuple[int, Any]) -> tuple[int, Any]:
    """A first-row cell's text read as a number or date in the caller's culture ("0,5" and
    "31.12.2024" in de-DE): such a cell is a value, as the column rule reads it below."""
    kind, v = cell
    if kind != _TEXT or not any(c.isdigit() for c in v):
        return cell
    try:
        parsed = parse_column([v], culture=current_culture())
    except ParseError:
        return cell
    if v in parsed.numbers:
        return _NUM, parsed.numbers[v]
    if v in parsed.dates:
        return _DATE, parsed.dates[v]
    return cell


def _text_reads_as_values(grid: list[list[Any]]) -> bool:
    """Does a column below the first row read as dates or numbers under its column rule
    ("31/01/2024", "1.234,5")? Then the all-text first row above it is names."""
    below = grid[1:1 + _HEADER_SAMPLE]
    for j in range(len(grid[0])):
        texts = [v.strip() for row in below if isinstance(v := row[j], str) and v.strip()]
        if not texts:
            continue
        try:
            parsed = parse_column(texts, culture=current_culture())
        except ParseError:
            return True  # values, if unsettled ones: read_table then says what is unclear
        if parsed.dates or parsed.numbers:
            return True
    return False


#: Whole numbers read as years in a header row.
_YEARS = (1900, 2100)
#: Rows below a numeric header row looked at to tell it from data (enough to see a pattern).
_HEADER_SAMPLE = 500


def _is_year(kind: int, v: Any) -> bool:
    return kind == _NUM and float(v).is_integer() and _YEARS[0] <= v <= _YEARS[1]


def _numeric_header(grid: list[list[Any]], first: list[tuple[int, Any]]) -> bool:
    """A first row of years or dates (text names may sit beside them) is a header when the
    columns below differ in kind (2019 over money or counts, a date over numbers), or when
    its years run on by one (2019, 2020, 2021) and the next row does not repeat that pattern.
    A lone number over values of its own kind and range stays data."""
    cols = [j for j, (k, _) in enumerate(first) if k not in (_TEXT, _BLANK)]
    if any(not (first[j][0] == _DATE or _is_year(*first[j])) for j in cols):
        return False
    below = grid[1:1 + _HEADER_SAMPLE]
    differs = []
    for j in cols:
        cells_j = [c for c in (_classify(row[j]) for row in below) if c[0] != _BLANK]
        if not cells_j:
            return False
        h_kind, h = first[j]
        if h_kind == _DATE:
            differs.append(not any(k == _DATE for k, _ in cells_j))
            continue
        years = sum(_is_year(k, v) for k, v in cells_j)
        nums = [v for k, v in cells_j if k == _NUM]
        # A lone year-like number over numbers in its own range (2000 over 1500..2500 whole
        # numbers) may well be data; over fractions (money) or other magnitudes it is a name.
        alone = len(cols) == 1 and len(first) == 1
        plausible = bool(nums) and min(nums) <= h <= max(nums) and all(float(v).is_integer()
                                                                        for v in nums)
        differs.append(years < 0.5 * len(cells_j) and not (alone and plausible))
    if all(differs):
        return True
    years_row = [first[j][1] for j in cols if first[j][0] == _NUM]
    runs_on = len(years_row) >= 2 and all(b - a == 1 for a, b in zip(years_row, years_row[1:]))
    if not runs_on:
        return False
    nxt = [_classify(grid[1][j]) for j in cols]
    repeated = all(k == _NUM for k, _ in nxt) and all(
        b[1] - a[1] == 1 for a, b in zip(nxt, nxt[1:]))
    return not repeated


_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def header_like(first: Any, rest: list[Any], words: Collection[str] = ()) -> bool:
    """Is a one-column range's first cell a name rather than a one-off value of the column?

    A one-off value (a prospect among customers, a rare category) shares the other values'
    kind; a header does not, or says what the column is. So the first cell is a header when it
    is text and either holds one of ``words`` (lower case; a plural counts), or every other
    filled cell is a number, date or boolean, or the others (nearly) all hold digits (codes
    such as K017) while it holds none."""
    if not isinstance(first, str) or _classify(first)[0] != _TEXT:
        return False
    text = clean_text(first)
    for w in _WORDS.findall(text):
        w = w.lower()
        if w in words or (w.endswith("s") and w[:-1] in words):
            return True
    others = [c for c in (_classify(v) for v in rest) if c[0] != _BLANK]
    if not others:
        return False
    texts = [v for k, v in others if k == _TEXT]
    if not texts:
        return True
    with_digits = sum(any(ch.isdigit() for ch in t) for t in texts)
    return not any(ch.isdigit() for ch in text) and with_digits >= 0.9 * len(texts)


def resolve_header(grid: list[list[Any]], header: Any) -> bool:
    """Decide whether the range's first row is a header (``header`` None = detect)."""
    if header is None:
        return _looks_like_header(grid)
    return bool(header)


def read_table(values: Any, **options: Any) -> Table:
    """Turn a range's values into a validated :class:`Table`: :func:`read_columns` with the
    same keyword options (``name``, ``header``, ``allow_text``, ``culture``, ``first_column``,
    ``mixed_dates``), checks and errors, and the DataFrame built."""
    return read_columns(values, **options).table()


@dataclass
class Columns:
    """What :func:`read_table` reads, before the DataFrame is built (which costs more than
    reading a short range): every column over all the range's data rows, blank rows included.

    ``table()`` builds the :class:`Table`; ``numbers(c)`` is column ``c`` of ``table().frame``
    as float64 without building it (numeric kinds only).
    """

    values: dict[str, Any]
    kinds: dict[str, Kind]
    header: bool
    row_mask: np.ndarray
    name: str = "data"
    notes: list[str] = field(default_factory=list)
    _table: Table | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.values)

    def numbers(self, column: str) -> np.ndarray:
        if self.kinds[column] == CATEGORY:
            raise TypeError(f"{column} is a category column")
        return self.values[column][self.row_mask]

    def table(self) -> Table:
        if self._table is None:
            keep = self.row_mask
            frame = pd.DataFrame({c: v[keep] for c, v in self.values.items()})
            frame.index = pd.RangeIndex(len(frame))
            self._table = Table(frame=frame, kinds=self.kinds, header=self.header, row_mask=keep,
                                name=self.name, notes=self.notes)
        return self._table


def read_columns(
    values: Any,
    *,
    name: str = "data",
    header: bool | None = None,
    allow_text: bool = True,
    culture: str | None = None,
    first_column: int = 1,
    mixed_dates: bool = True,
    id_columns: Collection[int] = (),
) -> Columns:
    """Read a range's values into validated :class:`Columns` (``table()`` builds the
    :class:`Table` that :func:`read_table` returns).

    ``header``: None detects a header row (first row all text while the rows below are not),
    True/False force it. Error values anywhere raise an XLMError naming the cell. A column
    that is numbers except for a few stray text cells is refused (naming the first one), rather
    than silently treated as a category. An all-blank range is refused.

    Number and date text is read with one rule per column (:mod:`xlmarketing.parsing`), in
    ``culture`` (e.g. ``"de-DE"``) or else the one set by ``parsing.use_culture``; a column
    with no single safe reading is refused naming a cell, and a reading the culture settled is
    added to ``notes``. ``first_column``: the number of the range's first column in the
    caller's range, for unnamed columns ("column 3") when only part of it is read here.
    A date among numbers is refused (Excel turns "3-4" typed into a number column into a
    date); a few numbers among dates are read as serial days, with a note, when they are
    valid ones. ``mixed_dates`` False refuses any mix (counts, quantities).

    Labels follow the one identity rule (:mod:`.identity`): the spellings of one value (case,
    spaces, invisible characters, 1004 beside "1004") become its most common spelling, with a
    note. ``id_columns`` (0-based positions) hold IDs or names: numbers and text mixed in any
    proportion are read as labels (customer 1004 beside customer "C-17"), never refused.

    Total rows (:func:`_total_rows`): a row labelled Total, Sum, Grand total or Subtotal in any
    of its text cells is left out, with a note; an unlabelled last row that is exactly the sum
    of the rows above in every number column is refused, naming its row.
    """
    rng = values if isinstance(values, Range) else Range(values)
    grid = rng.grid
    has_header = resolve_header(grid, header)
    width = len(grid[0])
    if has_header:
        names = _column_names(grid[0], first_column)
        body = grid[1:]
    else:
        names = [f"column {j + first_column}" for j in range(width)]
        body = grid
    if not body:
        raise XLMError("#VALUE!", f"{name} has a header row but no data rows below it. "
                       "Select the data rows too.")

    columns: dict[str, Any] = {}
    kinds: dict[str, Kind] = {}
    notes: list[str] = []
    cul = culture_info(culture) if culture else current_culture()
    blank = np.ones(len(body), dtype=bool)
    whole = rng.numeric_block(int(has_header))  # None when any cell is text (even "1.234")
    cols = None if whole is not None else [list(c) for c in zip(*body)]
    if cols is not None:
        _leave_out_totals(cols, name, has_header, notes)
    ids = set(id_columns)
    for j, cname in enumerate(names):
        if whole is not None:
            arr, col = whole[:, j], None
        else:
            col = list(cols[j])
            arr = _fast_numeric(col)
        if arr is not None and j not in ids:
            blank &= np.isnan(arr)
            note = _serial_dates(cname, arr) if has_header else None
            columns[cname], kinds[cname] = arr, DATE if note else NUMBER
            if note:
                notes.append(note)
            continue
        if col is None:
            col = whole[:, j].tolist()
        try:
            parsed = _column_kinds(col, cul)
        except ParseError as exc:
            i = next(i for i, v in enumerate(col) if isinstance(v, str) and v.strip() == exc.example)
            raise XLMError("#VALUE!", f"{name} {col_label(cname)} "
                           f"{exc.message(f'row {i + 1 + has_header} of the range')}.") from None
        ck, cv = parsed.kinds, parsed.values
        if parsed.note:
            notes.append(f"{cname}: {parsed.note}.")
        err = np.flatnonzero(ck == _ERR)
        if err.size:
            i = int(err[0])
            raise XLMError(cv[i], f"{name} has the error value {cv[i]} in row {i + 1 + has_header}"
                           f" of the range ({col_label(cname)}). Fix that cell or clear it.")
        for i in np.flatnonzero(ck == _NUM):
            if not math.isfinite(cv[i]):
                raise XLMError("#NUM!", f"{name} has the non-finite number {cv[i]} in row "
                               f"{i + 1 + has_header} ({col_label(cname)}). Enter a finite number.")
        n_dates, n_nums = int((ck == _DATE).sum()), int((ck == _NUM).sum())
        if j in ids:
            ck[ck == _DATE] = _TEXT  # an ID that looks like a date is still that ID's text
            cv = [v if k != _DATE or not isinstance(v, float) else col[i] for i, (k, v)
                  in enumerate(zip(ck.tolist(), cv))]
            n_dates = 0
        if n_dates and n_nums:
            if not mixed_dates or n_dates <= n_nums:
                # A date among numbers is almost always Excel's doing ("3-4" typed into a spend
                # column becomes 4 March): read as its serial day it would be a silent 45355.
                i = int(np.flatnonzero(ck == _DATE)[0])
                raise XLMError("#VALUE!", f"{name} {col_label(cname)} holds numbers but row "
                               f"{i + 1 + has_header} has the date {show(col[i])}. Enter a "
                               "number there or clear the cell.")
            _numbers_among_dates(ck, cv, name, cname, has_header, notes)
        blank &= ck == _BLANK
        n_text = int((ck == _TEXT).sum())
        n_filled = int((ck != _BLANK).sum())
        if n_text == 0 and j not in ids:
            present = set(ck[ck != _BLANK].tolist())
            kind = DATE if present == {_DATE} else BOOL if present == {_BOOL} else NUMBER
            columns[cname] = np.array([np.nan if v is None else v for v in cv], dtype=np.float64)
            kinds[cname] = kind
        elif not allow_text:
            i = int(np.flatnonzero(ck == _TEXT)[0])
            raise XLMError("#VALUE!", _needs_numbers(name, cv[i], i + 1 + has_header,
                                                      f"({col_label(cname)})"))
        elif n_text < n_filled and n_text <= 0.1 * n_filled and j not in ids:
            i = int(np.flatnonzero(ck == _TEXT)[0])
            raise XLMError("#VALUE!", f"{name} {col_label(cname)} holds numbers but row "
                           f"{i + 1 + has_header} has the text {cv[i]!r}. Enter a number there "
                           "or clear the cell.")
        else:
            # Mixed text and numbers (e.g. plan codes 1, 2, "Gold"): all become category labels.
            # Text as typed (trimmed), so the note names the variants the identity rule merged
            # (an invisible character too); merge_spellings shows each value cleaned.
            labels = [None if k == _BLANK else r.strip() if k == _TEXT and type(r) is str
                      else _label(v) for k, v, r in zip(ck.tolist(), cv, col)]
            labels, merged = merge_spellings(labels, what=cname)
            if merged:
                notes.append(merged)
            columns[cname] = pd.array(labels, dtype=TEXT_DTYPE)
            kinds[cname] = CATEGORY
    _refuse_sum_row(columns, kinds, blank, name, has_header)
    if blank.all():
        raise XLMError("#VALUE!", f"{name} is empty: every cell in the range is blank. "
                       "Select the cells that hold your data.")
    return Columns(columns, kinds, has_header, ~blank, name, notes)


def _leave_out_totals(cols: list[list[Any]], name: str, has_header: bool,
                      notes: list[str]) -> None:
    """Blank, in every column, the rows labelled as totals (Total, Sum, Grand total, Subtotal
    in a text cell), with a note: a total is no customer, order or period, and a model that
    sees one takes it for an extreme case (k-means gives it a segment of its own)."""
    rows: set[int] = set()
    for col in cols:
        try:
            distinct = set(col)
        except TypeError:  # unhashable cells (Office.js error entities)
            distinct = {v for v in col if type(v) is str}
        words = {v for v in distinct if type(v) is str and is_total_label(v)}
        if words:
            rows.update(i for i, v in enumerate(col) if type(v) is str and v in words)
    if not rows:
        return
    first = min(rows)
    label = next(v for col in cols for v in [col[first]] if type(v) is str and is_total_label(v))
    for col in cols:
        for i in rows:
            col[i] = None
    shown = ", ".join(str(i + 1 + has_header) for i in sorted(rows)[:5])
    notes.append(f"{name}: row{'s' * (len(rows) > 1)} {shown}{', ...' if len(rows) > 5 else ''} "
                 f"of the range ({clean_text(label)!r}) left out: a total of other rows is no "
                 "data row of its own.")


#: Rows above an unlabelled sum row before it counts as one: with one number column a short
#: list may sum to its last value by chance (1, 1, 2, 4), with two or more columns hardly.
_SUM_ROWS_ONE_COLUMN, _SUM_ROWS = 10, 3


def refuse_sum_row(values: Any, *, name: str, has_header: bool, min_above: int) -> None:
    """The total-row rule of :func:`read_columns` for one column read on its own (None or NaN
    for blanks): refuse a last value that is exactly the sum of at least ``min_above`` values
    above it, naming its row. For a column that cannot grow (a cohort's survivors), two rows
    above are enough: a sum of counts is above each of them."""
    x = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    _refuse_sum_row({name: x}, {name: NUMBER}, np.isnan(x), name, has_header, min_above)


def _refuse_sum_row(columns: dict[str, Any], kinds: dict[str, Kind], blank: np.ndarray,
                    name: str, has_header: bool, min_above: int | None = None) -> None:
    """Refuse a last data row that is exactly the sum of the rows above it in every number
    column (an unlabelled total), naming it: left in, it would count every customer twice."""
    numeric = [c for c, k in kinds.items() if k == NUMBER]
    filled = np.flatnonzero(~blank)
    if min_above is None:
        min_above = _SUM_ROWS if len(numeric) > 1 else _SUM_ROWS_ONE_COLUMN
    if not numeric or filled.size < 1 + min_above:
        return
    last, above = int(filled[-1]), filled[:-1]
    grows = False
    for c in numeric:
        x = columns[c]
        v, up = x[last], x[above]
        if np.isnan(v) or np.isnan(up).any():
            return
        total = float(up.sum())
        if not math.isclose(v, total, rel_tol=1e-9, abs_tol=1e-9):
            return
        grows |= total != 0 and abs(total) > float(np.abs(up).max()) * (1 + 1e-9)
    if grows:
        raise XLMError("#VALUE!", f"{name} row {last + 1 + has_header} of the range is the sum "
                       "of the rows above it (a total row). Leave it out of the range, or label "
                       "it Total to have it left out.")


#: A header that names a date: "Signup date", "Joined", "Customer since", "Last purchase",
#: "Week", "Month" (not "months", "Days since signup" counts, "Spend to date" amounts).
_DATE_HEADER = re.compile(
    r"\b(?:dates?|dated|datum|fecha|day|when|joined|sign[- ]?up|signed up|since|created|birth"
    r"|birthday|dob|expiry|expires|renewal|week|month)\b"
    r"|\b(?:last|first|latest|most recent)\s+(?:purchase|order|visit|seen|login|log-in|activity"
    r"|contact|transaction|payment|booking|renewal|interaction)\b"
    r"(?!\s*(?:value|amount|total|size|count|spend|revenue|number|no\b|#))", re.IGNORECASE)
_NOT_A_DATE_HEADER = re.compile(r"\bto date\b|\bdays?\b.*\b(?:since|ago|to|until|from)\b"
                                r"|\b(?:per|a|each|this)\s+(?:day|week|month)\b", re.IGNORECASE)
#: Serial days of 1950-01-01 and 2100-01-01: where the dates of customers and orders fall.
_PLAUSIBLE_SERIALS = (18264.0, 73051.0)


def _serial_dates(cname: str, arr: np.ndarray) -> str | None:
    """A note when a column of numbers is dates sent as Excel serial days (Excel on the web
    and Mac sends date cells as day numbers; Windows as dates), else None.

    Read as dates, like the same cells sent as dates or date text, when the header names a
    date and every number is a serial day, nine in ten of them between 1950 and 2100: a date
    typed wrong (1924 among 2020s dates) is then that date on every path, not a number that
    turns the column into an amount."""
    if not (_DATE_HEADER.search(cname) and not _NOT_A_DATE_HEADER.search(cname)):
        return None
    x = arr[~np.isnan(arr)]
    if x.size == 0 or x.min() < SERIAL_MIN or x.max() > SERIAL_MAX:
        return None
    lo, hi = _PLAUSIBLE_SERIALS
    if np.count_nonzero((x >= lo) & (x <= hi)) < 0.9 * x.size:
        return None
    first, last = (from_serial(float(v)).date().isoformat() for v in (x.min(), x.max()))
    return (f"{cname}: numbers read as dates (Excel serial days, as Excel on the web and Mac "
            f"sends date cells), {first} to {last}: the header names a date.")


def _numbers_among_dates(ck: np.ndarray, cv: list[Any], name: str, cname: str,
                         has_header: bool, notes: list[str]) -> None:
    """Numbers in a column of dates: serial days (a cell that lost its date format), noted."""
    idx = np.flatnonzero(ck == _NUM)
    for i in idx.tolist():
        if not (SERIAL_MIN <= cv[i] <= SERIAL_MAX) or cv[i] != int(cv[i]):
            raise XLMError("#VALUE!", f"{name} {col_label(cname)} holds dates but row "
                           f"{i + 1 + has_header} has the number {show(cv[i])}. Enter a date "
                           "there or clear the cell.")
        ck[i] = _DATE
    notes.append(f"{cname}: {idx.size} number(s) among the dates read as dates (Excel serial "
                 f"days), e.g. row {int(idx[0]) + 1 + has_header}.")


def text_dates(labels: list[Any], *, name: str, column: str, rows: np.ndarray) -> np.ndarray:
    """A date column :func:`read_table` left as text (a CATEGORY column: dates written in
    several formats) as Excel serial days, NaN for blanks.

    The labels of cells the column rule read as dates or numbers are their serial days; the
    other texts go through :func:`xlmarketing.parsing.parse_dates` together, so the whole
    column is read in one day order (never a per-cell month-first guess). ``rows`` are the
    labels' rows in the range, for the messages: text that is no date, or whose day order
    nothing settles, raises an XLMError naming its row.
    """
    out = np.full(len(labels), np.nan)
    texts: dict[str, float | None] = {}
    for v in labels:
        if isinstance(v, str) and v not in texts:
            try:
                x = float(v)
            except ValueError:
                x = None
            # read_table writes a number cell's label with _label: that text is a number.
            texts[v] = x if x is not None and _label(x) == v else None
    try:
        dates = parse_dates([t for t, x in texts.items() if x is None], culture=current_culture())
    except ParseError as exc:
        i = labels.index(exc.example)
        raise XLMError("#VALUE!", f"{name} {col_label(column)} "
                       f"{exc.message(f'row {rows[i]} of the range')}.") from None
    for i, v in enumerate(labels):
        if not isinstance(v, str):
            continue  # a blank: NaN, pd.NA or None
        x = texts[v]
        x = dates.get(v) if x is None else (x if SERIAL_MIN <= x <= SERIAL_MAX else None)
        if x is None:
            raise XLMError("#VALUE!", f"{name} has {v!r} in row {rows[i]} of the date column "
                           f"({col_label(column)}), which is not a date. Enter a date there, "
                           "or clear the row.")
        out[i] = x
    return out


def _header_name(v: Any) -> str:
    """A header cell as a column name: 2019.0 → "2019", a date → "2024-01-31"."""
    kind, x = _classify(v)
    if kind == _DATE:
        d = from_serial(x)
        return d.date().isoformat() if d.time() == dt.time() else d.isoformat(sep=" ")
    if kind == _NUM and isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
        return _label(x)
    return clean_text(str(v)) if v is not None else ""


def _column_names(row: list[Any], first_column: int = 1) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, v in enumerate(row):
        base = _header_name(v) or f"column {j + first_column}"
        n = seen.get(base, 0)
        seen[base] = n + 1
        names.append(base if n == 0 else f"{base} ({n + 1})")
    return names


# --------------------------------------------------------------------------- numbers expected


def _needs_numbers(name: str, text: str, row: int, where: str, needs: str = "; it needs numbers",
                   fix: str = "Fix that cell or clear it.") -> str:
    return f"{name} has the text {text!r} in row {row} {where}{needs}. {fix}"


def first_text(table: Table, column: str) -> tuple[str, int]:
    """The first cell of ``column`` whose text is no number, and its row in the range: for a
    column that should hold numbers but was read as text labels (a CATEGORY column)."""
    labels = table.frame[column].tolist()
    i = next(i for i, v in enumerate(labels) if isinstance(v, str) and parse_number(v) is None)
    return labels[i], table.range_row(i)


def refuse_text(table: Table, column: str, *, where: str | None = None,
                needs: str = "; it needs numbers", fix: str = "Fix that cell or clear it.") -> NoReturn:
    """Raise the one "numbers expected" error for ``column`` (read as text labels), naming its
    first text cell (:func:`first_text`): "sales has the text 'many' in row 4 (column 2); it
    needs numbers. Fix that cell or clear it." ``where`` (default: the column's label),
    ``needs`` and ``fix`` adapt the sentence to the caller's range."""
    text, row = first_text(table, column)
    raise XLMError("#VALUE!", _needs_numbers(table.name, text, row,
                                             f"({col_label(column)})" if where is None else where,
                                             needs, fix))


def read_vector(values: Any, *, name: str, header: bool | None = None,
                notes: list[str] | None = None) -> tuple[list[Any], bool]:
    """A one-column range as a list of cleaned cell values (None for blanks), and its header flag.

    Values keep their meaning (numbers as floats, text stripped, booleans as bool) so callers
    such as label parsing can interpret them. Error values raise an XLMError naming the row.
    A column of numbers with text among them is read by :func:`read_columns`' rules: number
    text in the caller's culture, and a row labelled Total left out (None), said in ``notes``
    when given.
    """
    grid = as_grid(values)
    if len(grid[0]) != 1 and len(grid) == 1:
        grid = [[v] for v in grid[0]]  # a single row counts as a vector too
    if len(grid[0]) != 1:
        raise XLMError("#VALUE!", f"{name} must be a single column, got {len(grid[0])} columns. "
                       "Select one column.")
    has_header = resolve_header(grid, header)
    out: list[Any] = []
    body = [row[0] for row in grid[int(has_header):]]
    for i, (kind, v) in enumerate(_classify_all(body)):
        if kind == _ERR:
            raise XLMError(v, f"{name} has the error value {v} in row {i + 1 + has_header}. "
                           "Fix that cell or clear it.")
        out.append(bool(v) if kind == _BOOL else v)
    if any(isinstance(v, str) for v in body):
        # Number text is read with the one rule for the whole column, in the caller's culture
        # ("1.000" is a thousand in de-DE), as read_columns reads a table's column.
        try:
            cols = read_columns([row[:1] for row in grid], name=name, header=has_header)
        except XLMError:
            return out, has_header  # no single numeric reading: the cells as they are
        col = cols.columns[0]
        if cols.kinds[col] == NUMBER:
            numbers, kept = cols.values[col], cols.row_mask
            out = [None if v is None or v == "" or not kept[i] else float(numbers[i])
                   for i, v in enumerate(body)]
            if notes is not None:
                notes.extend(cols.notes)
    return out, has_header


def read_beside(values: Any, table: Table, *, name: str, fix: str = "Select the same rows for both."
                ) -> tuple[list[Any], bool]:
    """A one-column range that goes with ``table`` row for row (labels, groups), and its header flag.

    It may have its own header cell when the table has a header row; any other length is
    refused, naming both counts. The values cover every data row of the table's range (before
    blank rows were left out: filter with ``table.row_mask``).
    """
    grid = as_grid(values)
    rows = len(grid[0]) if len(grid) == 1 and len(grid[0]) > 1 else len(grid)  # a row counts too
    body = table.row_mask.size
    if table.header and rows == body + 1:
        has_header = True
    elif rows == body:
        has_header = False
    else:
        extra = " plus a header row" if table.header else ""
        raise XLMError("#VALUE!", f"{name} has {rows} rows but {table.name} has {body} data "
                       f"rows{extra}. {fix}")
    out, _ = read_vector(grid, name=name, header=has_header)
    return out, has_header

"""A template's data tables: which Excel tables a batch fills, which may be left out, and the
checks that join two tables (a plan that follows the sales history, customers to score that
carry the model's columns).

The template says it in one custom document property, ``xlmarketing data tables`` (File >
Properties > Custom in Excel), a short JSON text written by the template builders from a
:class:`DataTables` declaration. A workbook without it has every Excel table as a required
data table and no checks. Light on purpose: the template builders import it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

#: The custom document property that holds a template's declaration.
PROPERTY = "xlmarketing data tables"


@dataclass(frozen=True)
class DataTables:
    """What ``xlmarketing batch`` needs to know about a template's data tables.

    ``main``: the table a lone ``--data FILE`` fills. ``optional``: tables a run may leave out
    (their sample rows are then removed and the report says so). ``follows``: (table, column,
    earlier table, column): the first table's periods must start right after the earlier
    table's last period (a plan after the sales history). ``features``: (table, training
    table, columns): the rows to score carry the training table's model columns, with the same
    kind of values (numbers, or text).
    """

    main: str | None = None
    optional: tuple[str, ...] = ()
    follows: tuple[tuple[str, str, str, str], ...] = ()
    features: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def to_json(self) -> str:
        d: dict[str, Any] = {}
        if self.main:
            d["main"] = self.main
        if self.optional:
            d["optional"] = list(self.optional)
        if self.follows:
            d["follows"] = [list(f) for f in self.follows]
        if self.features:
            d["features"] = [[t, s, list(c)] for t, s, c in self.features]
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> DataTables:
        try:
            d = json.loads(text)
            return cls(d.get("main"), tuple(d.get("optional", ())),
                       tuple(tuple(f) for f in d.get("follows", ())),  # type: ignore[misc]
                       tuple((t, s, tuple(c)) for t, s, c in d.get("features", ())))
        except (ValueError, TypeError, AttributeError):
            return cls()  # a damaged declaration: every table required, no checks


def declare(wb: Any, tables: DataTables) -> None:
    """Write ``tables`` into an openpyxl workbook as the custom document property."""
    from openpyxl.packaging.custom import StringProperty

    wb.custom_doc_props.append(StringProperty(name=PROPERTY, value=tables.to_json()))


def declared(pkg: Any) -> DataTables:
    """The declaration saved in a package (an empty one when there is none)."""
    from .xlsx import unescape

    part = next((pkg.target("", rel) for rel in pkg.rels("")
                 if rel.get("Type", "").endswith("/custom-properties")), None)
    if part is None or part not in pkg.parts:
        return DataTables()
    text = pkg.text(part)
    for m in re.finditer(r'<property\b[^>]*\bname="([^"]*)"[^>]*>(.*?)</property>', text,
                         re.DOTALL):
        if unescape(m.group(1)) == PROPERTY:
            value = re.search(r"<vt:lpwstr>(.*?)</vt:lpwstr>", m.group(2), re.DOTALL)
            return DataTables.from_json(unescape(value.group(1))) if value else DataTables()
    return DataTables()


@dataclass
class TableInfo:
    """An Excel table of the template: its name, sheet, table part and column names."""

    name: str
    sheet: str
    part: str
    columns: list[str]
    optional: bool = False

    @property
    def label(self) -> str:
        return self.name if self.name.casefold() == self.sheet.casefold() else \
            f"{self.name} (sheet {self.sheet})"


def read_tables(pkg: Any) -> list[TableInfo]:
    """Every Excel table of the package, in sheet order, marked optional as declared."""
    from .xlsx import unescape

    optional = {t.casefold() for t in declared(pkg).optional}
    out = []
    for title, part in pkg.sheet_parts().items():
        for rel in pkg.rels(part):
            if not rel.get("Type", "").endswith("/table"):
                continue
            tpart = pkg.target(part, rel)
            text = pkg.text(tpart)
            head = re.search(r"<table\b[^>]*>", text)
            name = re.search(r'\bdisplayName="([^"]*)"', head.group(0)) if head else None
            if name is None:
                continue
            cols = [unescape(n) for n in re.findall(r'<tableColumn\b[^>]*?\bname="([^"]*)"', text)]
            display = unescape(name.group(1))
            out.append(TableInfo(display, title, tpart, cols, display.casefold() in optional))
    return out


def find_table(tables: list[TableInfo], key: str) -> TableInfo | None:
    """The table named ``key``, or the one table on the sheet named ``key`` (case ignored)."""
    k = key.strip().casefold()
    for t in tables:
        if t.name.casefold() == k:
            return t
    on_sheet = [t for t in tables if t.sheet.casefold() == k]
    return on_sheet[0] if len(on_sheet) == 1 else None


# --------------------------------------------------------------------------- checks across tables

Rows = dict[str, tuple[list[str], list[list[Any]]]]  # table -> (header, rows) in its own order


def _column(data: Rows, table: str, column: str) -> list[Any] | None:
    got = next((v for k, v in data.items() if k.casefold() == table.casefold()), None)
    if got is None:
        return None
    header, rows = got
    keys = [h.casefold() for h in header]
    if column.casefold() not in keys:
        return None
    j = keys.index(column.casefold())
    return [r[j] for r in rows if j < len(r) and r[j] not in (None, "")]


def _month(d: dt.datetime) -> str:
    return d.strftime("%b %Y")


def check_follows(data: Rows, table: str, column: str, before: str, before_col: str) -> str | None:
    """Why ``table``'s periods do not start right after ``before``'s last period (None: they do)."""
    plan, hist = _column(data, table, column), _column(data, before, before_col)
    if not plan or not hist:
        return None  # an empty optional table: nothing to compare
    if not all(isinstance(v, dt.datetime) for v in plan + hist):
        return None  # not dates: the functions say what they need
    hist_sorted, plan_sorted = sorted(hist), sorted(plan)
    last, first = hist_sorted[-1], plan_sorted[0]
    gaps = {(b - a).days for a, b in zip(hist_sorted, hist_sorted[1:])}
    if gaps and all(28 <= g <= 31 for g in gaps):  # months
        nxt = (last.year + last.month // 12, last.month % 12 + 1)
        if (first.year, first.month) != nxt:
            expected = dt.datetime(nxt[0], nxt[1], 1)
            return (f"the table {table} starts in {_month(first)} but {before} ends in "
                    f"{_month(last)}: {table}[{column}] must hold the months right after the "
                    f"last month of {before} ({_month(expected)} onward)")
        months = [(d.year, d.month) for d in plan_sorted]
        for (y1, m1), (y2, m2) in zip(months, months[1:]):
            if (y2 * 12 + m2) - (y1 * 12 + m1) != 1:
                return (f"{table}[{column}] skips or repeats a month after "
                        f"{dt.date(y1, m1, 1):%b %Y}: give one row per month, in a row")
        return None
    if len(gaps) == 1:
        step = gaps.pop()
        if (first - last).days != step:
            return (f"the table {table} starts on {first:%Y-%m-%d} but {before} ends on "
                    f"{last:%Y-%m-%d}: {table}[{column}] must start one period ({step} days) "
                    f"after the last period of {before}")
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_features(data: Rows, table: str, training: str, columns: tuple[str, ...]
                   ) -> tuple[str | None, list[str]]:
    """(why ``table`` cannot be scored by a model of ``training``, notes). Both tables have the
    columns by then (each table's columns are matched by name first); the kinds must agree."""
    notes: list[str] = []
    for c in columns:
        score, train = _column(data, table, c), _column(data, training, c)
        if score is None or train is None or not score or not train:
            continue
        s_num, t_num = all(_is_number(v) for v in score), all(_is_number(v) for v in train)
        if t_num and not s_num:
            bad = next(v for v in score if not _is_number(v))
            return (f"{table}[{c}] has text (such as {bad!r}) where the model's data "
                    f"{training}[{c}] has numbers: give numbers", notes)
        if s_num and not t_num:
            return (f"{table}[{c}] has numbers where the model's data {training}[{c}] has "
                    f"text labels: give the same labels", notes)
        if not t_num:
            seen = {str(v).strip().casefold() for v in train}
            new = sorted({str(v).strip() for v in score if str(v).strip().casefold() not in seen})
            if new:
                notes.append(f"{table}[{c}] has labels the model never saw in {training} "
                             f"({', '.join(new[:5])}{', …' if len(new) > 5 else ''}); they "
                             "count as none of the known labels")
    return None, notes


def check_across(decl: DataTables, data: Rows) -> tuple[str | None, list[str]]:
    """Every declared check across tables: (the first refusal, notes)."""
    notes: list[str] = []
    for table, column, before, before_col in decl.follows:
        why = check_follows(data, table, column, before, before_col)
        if why:
            return why, notes
    for table, training, columns in decl.features:
        why, more = check_features(data, table, training, columns)
        notes.extend(more)
        if why:
            return why, notes
    return None, notes


__all__ = ["PROPERTY", "DataTables", "TableInfo", "check_across", "declare", "declared",
           "find_table", "read_tables"]

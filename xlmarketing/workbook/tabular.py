"""Reading a batch data file (CSV or the first sheet of a workbook) the way a careful person would.

* Encoding: a byte-order mark says it (UTF-8, UTF-16); else UTF-8 if the bytes are valid UTF-8;
  else Windows-1252 (what Excel on Windows writes as "CSV"), said in a note.
* Delimiter: ``,`` ``;`` tab or ``|``, sniffed by :class:`csv.Sniffer` and checked: every row
  must have the header's number of fields; if the sniffed one fails that, the candidate that
  passes is taken.
* Values: one rule per column for number and date text, the same code the cell adapter uses
  (:func:`xlmarketing.parsing.parse_column`): ``1.234,5``, ``(1,234)``, ``31/01/2024`` read
  alike in every row of a column; in a date column, whole numbers are Excel serial days
  (44197 is 2021-01-01). A ``;``-separated file is read as European Excel writes it: decimal
  comma, day first, where the text alone does not settle it.
* A header-only or empty file is refused; every refusal names the file, the row and the reason.
* Columns are matched to a table's by header name (:func:`match_columns`), ignoring case,
  spaces, underscores and order; extra columns are left out with a note, a missing one is named
  with the closest header the file has.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.serial import SERIAL_MAX, SERIAL_MIN, from_serial
from ..parsing import Culture, ParseError, parse_column
from .report import WorkbookError

#: Candidate delimiters, most common first.
DELIMITERS = (",", ";", "\t", "|")
_DELIM_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars (|)"}
#: What a ';'-separated file implies when its text alone does not settle a reading.
_SEMICOLON = Culture("a ';'-separated file", ",", ".", "dmy")
_INT = re.compile(r"^[-+]?\d+$")
#: Excel serial days that are dates (1900-01-01 to 9999-12-31).
_SERIALS = (SERIAL_MIN, SERIAL_MAX)


@dataclass
class DataFile:
    """A data file's header and typed data rows, with the file rows they came from."""

    header: list[Any]
    rows: list[list[Any]]
    file_rows: list[int]
    notes: list[str] = field(default_factory=list)

    def as_rows(self) -> list[list[Any]]:
        return [list(self.header)] + self.rows


def decode(path: Path, data: bytes) -> tuple[str, str | None]:
    """The file's text and a note when the encoding was guessed (Windows-1252)."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), None
            except UnicodeDecodeError as exc:
                raise WorkbookError(f"cannot read {path.name}: it starts with a {enc} byte-order "
                                    f"mark but is not valid {enc} (byte {exc.start})") from None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "not UTF-8: read as Windows-1252 (Western European)"
    except UnicodeDecodeError as exc:
        raise WorkbookError(f"cannot read {path.name}: neither UTF-8 nor Windows-1252 text "
                            f"(byte {exc.start}); save it as CSV UTF-8") from None


def _split(text: str, delim: str) -> list[tuple[int, list[str]]]:
    """(file row, fields) of the non-blank rows; a quoted field may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    out = []
    try:
        for fields in reader:
            if any(f.strip() for f in fields):
                out.append((reader.line_num, fields))
    except csv.Error as exc:
        raise WorkbookError(f"row {reader.line_num + 1}: {exc}") from None
    return out


def _consistent(rows: list[tuple[int, list[str]]]) -> bool:
    return bool(rows) and len({len(f) for _, f in rows}) == 1


def sniff_rows(path: Path, text: str) -> tuple[list[tuple[int, list[str]]], str]:
    """The file's rows and the delimiter that splits every row into the header's width."""
    try:
        guess = csv.Sniffer().sniff(text[:65536], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        guess = ","
    order = [guess] + [d for d in DELIMITERS if d != guess]
    split: dict[str, list[tuple[int, list[str]]]] = {}
    for d in order:
        try:
            split[d] = _split(text, d)
        except WorkbookError as exc:
            if d == guess:
                raise WorkbookError(f"cannot read {path.name}: {exc}") from None
    for d, rows in split.items():
        if _consistent(rows) and len(rows[0][1]) > 1:
            return rows, d
    rows = split[guess]
    if all(len(f) == 1 for _, f in rows):
        return rows, guess  # a one-column file
    width = len(rows[0][1])
    line, fields = next((r, f) for r, f in rows if len(f) != width)
    raise WorkbookError(f"cannot read {path.name}: row {line} has {len(fields)} fields but the "
                        f"header has {width} (fields separated by {_DELIM_NAMES[guess]}; no "
                        "delimiter among , ; tab | splits every row alike)")


def read_csv(path: Path) -> DataFile:
    """A CSV data file as typed rows; see the module docstring."""
    text, enc_note = decode(path, path.read_bytes())
    if not text.strip():
        raise WorkbookError(f"cannot read {path.name}: the file is empty; nothing was written "
                            "for it")
    rows, delim = sniff_rows(path, text)
    header = [f.strip() for f in rows[0][1]]
    body = rows[1:]
    if not body:
        raise WorkbookError(f"cannot read {path.name}: row {rows[0][0]} is a header with no "
                            "data rows below it; nothing was written for it")
    df = type_columns(path, header, [f for _, f in body], [r for r, _ in body],
                      _SEMICOLON if delim == ";" else None)
    if enc_note:
        df.notes.insert(0, enc_note)
    return df


def type_columns(path: Path, header: list[Any], body: list[list[Any]], file_rows: list[int],
                 culture: Culture | None = None) -> DataFile:
    """Cells as typed values: text read with one rule per column, other values kept.

    Raises a WorkbookError naming the file, the row and the column when a column's text has no
    single safe reading.
    """
    width = len(header)
    grid = [list(r) + [None] * (width - len(r)) for r in body]
    notes: list[str] = []
    for j in range(width):
        col = [r[j] for r in grid]
        texts = [v.strip() for v in col if isinstance(v, str) and v.strip()
                 and v.strip().upper() not in ("TRUE", "FALSE")]
        if not texts:
            for r in grid:
                if isinstance(r[j], str) and not r[j].strip():
                    r[j] = None
            continue
        name = str(header[j]).strip() or f"column {j + 1}"
        plain = any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in col)
        try:
            parsed = parse_column(texts, culture=culture, plain_numbers=plain)
        except ParseError as exc:
            i = next(i for i, v in enumerate(col) if isinstance(v, str) and v.strip() == exc.example)
            raise WorkbookError(f"cannot read {path.name}: column {name!r} "
                                f"{exc.message(f'row {file_rows[i]}')}") from None
        if parsed.note:
            notes.append(f"{name}: {parsed.note}")
        dates = bool(parsed.dates) and len(parsed.dates) >= len(parsed.numbers)
        for r in grid:
            r[j] = _typed(r[j], parsed.numbers, parsed.dates, dates)
    return DataFile(list(header), grid, list(file_rows), notes)


def _typed(v: Any, numbers: dict[str, float], dates: dict[str, float], date_column: bool) -> Any:
    if not isinstance(v, str):
        if date_column and isinstance(v, (int, float)) and not isinstance(v, bool) \
                and float(v).is_integer() and _SERIALS[0] <= v <= _SERIALS[1]:
            return from_serial(v)
        return v
    t = v.strip()
    if not t:
        return None
    if t.upper() in ("TRUE", "FALSE"):
        return t.upper() == "TRUE"
    if t in dates:
        return from_serial(dates[t])
    if t in numbers:
        x = numbers[t]
        if date_column and x.is_integer() and _SERIALS[0] <= x <= _SERIALS[1]:
            return from_serial(x)  # an Excel serial day in a date column
        return int(x) if _INT.match(t) else x
    return v


def header_key(name: Any) -> str:
    """A header as compared: case, spaces and underscores ignored ("Units_sold" = "units sold")."""
    return re.sub(r"[\s_]+", "", "" if name is None else str(name)).casefold()


def match_columns(source: str, data: DataFile, columns: list[str], table: str
                  ) -> tuple[list[list[Any]], list[str]]:
    """The file's rows reordered to ``columns`` (the table's), and notes on extra columns.

    Headers match by :func:`header_key`. Raises a WorkbookError naming every missing column with
    the closest header the file has, or a header given twice.
    """
    got = ["" if h is None else str(h).strip() for h in data.header]
    where: dict[str, int] = {}
    for j, h in enumerate(got):
        k = header_key(h)
        if not k:
            continue
        if k in where:
            raise WorkbookError(f"{source}: the column {h!r} is there twice (columns "
                                f"{where[k] + 1} and {j + 1}); keep one")
        where[k] = j
    wanted = [header_key(c) for c in columns]
    missing = [c for c, k in zip(columns, wanted) if k not in where]
    if missing:
        spare = [h for h in got if header_key(h) and header_key(h) not in wanted]
        pool = spare or [h for h in got if header_key(h)]
        parts = []
        for c in missing:
            close = difflib.get_close_matches(header_key(c), [header_key(h) for h in pool], 1, 0.5)
            near = next((h for h in pool if close and header_key(h) == close[0]), None)
            parts.append(f"{c!r} (closest header in the file: {near!r})" if near
                         else f"{c!r} (no header in the file is close)")
        many = len(missing) > 1
        raise WorkbookError(
            f"{source}: the table {table} needs the column{'s' if many else ''} "
            f"{', '.join(parts)}; the file's header row has {', '.join(got) or 'nothing'}. "
            "Rename the header in the file (case, spaces and order do not matter)")
    order = [where[k] for k in wanted]
    rows = [[r[j] if j < len(r) else None for j in order] for r in data.rows]
    notes = []
    extra = [h for h in got if header_key(h) and header_key(h) not in wanted]
    if extra:
        notes.append(f"left out the column{'s' if len(extra) > 1 else ''} {', '.join(extra)}: "
                     f"the table {table} has no such column")
    blank = sum(1 for h in got if not header_key(h))
    if blank and any(r[j] not in (None, "") for r in data.rows
                     for j, h in enumerate(got) if not header_key(h) and j < len(r)):
        notes.append(f"left out {blank} column{'s' if blank > 1 else ''} with no header")
    return rows, notes


__all__ = ["DataFile", "decode", "header_key", "match_columns", "read_csv", "sniff_rows",
           "type_columns"]

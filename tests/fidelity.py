"""Fidelity of a headless refresh against Excel's own saved values (tests and benchmarks).

Two edits of an Excel-saved workbook, each refreshed headless, each judged cell by cell against
the values Excel saved in the original:

* ``strip``: every formula loses its saved value (``<v>`` removed) and one formula of ours is
  added where nothing is: every formula is then computed (each named in ``report.unsaved``);
* ``constant``: a constant that formulas read becomes an equal-valued formula of ours
  (``=IF(ROWS(KMEANS_SEGMENT(block,2))>0,constant)``): its dependents are recomputed.

A formula cell *agrees* when its new value equals Excel's (numbers to 1e-9 relative, text
exactly, errors by code), or is listed as not recomputed. Volatile formulas (RAND, NOW, ...)
are left out: no engine can match a saved roll of the dice.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.xlsx_edit import BLOCK, rewrite, used_columns
from xlmarketing.workbook.model import read_model
from xlmarketing.workbook.xlsx import Package, SheetXML, cached_value, cell_ref, value_cell

VOLATILE = re.compile(r"\b(RAND|RANDBETWEEN|RANDARRAY|NOW|TODAY|INFO|CELL)\(", re.IGNORECASE)
_V = re.compile(r"<v\b[^>]*>.*?</v>|<v\s*/>", re.DOTALL)
_T = re.compile(r'\st="(?:str|e|b|n)"')


@dataclass
class Verdict:
    cells: int = 0  # formula cells judged
    agree: int = 0  # equal to Excel's saved value
    kept: int = 0  # listed as not recomputed (saved value kept)
    wrong: list[tuple[str, Any, Any]] = field(default_factory=list)  # (address, got, excel)

    @property
    def ok(self) -> bool:
        return not self.wrong


def same(got: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
    if want in (None, "") and got in (None, ""):
        return True
    return got == want


def saved_values(path: Path) -> dict[tuple[str, int, int], tuple[str, Any]]:
    """(sheet, row, col) -> (formula, Excel's saved value) for every formula cell."""
    model = read_model(Package.open(path))
    out = {}
    for sm in model:
        for (r, c), f in sm.formulas.items():
            x = sm.xml.get(r, c)
            if x is None or f.kind == "dataTable":
                continue
            out[(sm.title, r, c)] = (f.text, cached_value(x, model.pkg.shared_strings))
        if sm.formulas:
            for (r, c), f in list(sm.formulas.items()):
                if f.kind == "array" and f.ref:
                    from xlmarketing.workbook.model import _area

                    for rr, cc in _area(sm.title, f.ref).cells():
                        if (rr, cc) != (r, c) and (sm.title, rr, cc) not in out:
                            x = sm.xml.get(rr, cc)
                            out[(sm.title, rr, cc)] = (f.text, cached_value(x, model.pkg.shared_strings)
                                                       if x else None)
    return out


def values_of(path: Path, keys) -> dict[tuple[str, int, int], Any]:
    model = read_model(Package.open(path))
    out = {}
    for s, r, c in keys:
        x = model.sheets[s.lower()].xml.get(r, c)
        out[(s, r, c)] = cached_value(x, model.pkg.shared_strings) if x else None
    return out


def _sheet_parts(path: Path) -> dict[str, str]:
    model = read_model(Package.open(path))
    return {sm.title: sm.part for sm in model}


def _add_ours(sheet: SheetXML, value: Any = None) -> tuple[str, tuple[int, int]]:
    """A customer block and a formula of ours right of everything: (its formula, its cell)."""
    # below and right of everything: whole-column and whole-row references do not reach it
    c0 = used_columns(sheet) + 3
    r0 = max(sheet.rows, default=0) + 3
    for i, (spend, visits) in enumerate(BLOCK):
        sheet.set(r0 + i, c0, value_cell(cell_ref(r0 + i, c0), spend, None))
        sheet.set(r0 + i, c0 + 1, value_cell(cell_ref(r0 + i, c0 + 1), visits, None))
    block = f"{cell_ref(r0, c0)}:{cell_ref(r0 + len(BLOCK) - 1, c0 + 1)}"
    return block, (r0, c0 + 3)


def strip_and_add(src: Path, dst: Path) -> None:
    """``src`` with every formula's saved value removed and a KMEANS_SEGMENT added."""
    parts = _sheet_parts(src)
    first = next(iter(parts.values()))

    def strip(data: bytes, add: bool) -> bytes:
        text = data.decode("utf-8")

        def cell(m: re.Match[str]) -> str:
            x = m.group(0)
            if "<f" not in x or 't="dataTable"' in x:
                return x
            head_end = x.index(">")
            return _T.sub("", x[: head_end]) + _V.sub("", x[head_end:])

        text = re.sub(r"<c\b[^>]*?(?:/>|>.*?</c>)", cell, text, flags=re.DOTALL)
        if add:
            sheet = SheetXML(text)
            block, (r, c) = _add_ours(sheet)
            sheet.set(r, c, f'<c r="{cell_ref(r, c)}"><f>KMEANS_SEGMENT({block},2)</f></c>')
            text = sheet.serialize()
        return text.encode("utf-8")

    rewrite(src, dst, {p: (lambda d, p=p: strip(d, p == first)) for p in parts.values()})


def a_read_constant(src: Path) -> tuple[str, int, int, Any] | None:
    """A number or text constant that formulas read (the one read most), or None."""
    from xlmarketing.workbook.scheduler import Evaluation
    from xlmarketing.workbook.options import RefreshOptions

    model = read_model(Package.open(src))
    run = Evaluation(model, RefreshOptions(formula_engine="none"))
    best, count = None, 0
    for sm in model:
        for r in sorted(sm.xml.rows)[:200]:
            for c, x in (sm.xml._cells(r) or {}).items():
                if "<f" in x:
                    continue
                v = cached_value(x, model.pkg.shared_strings)
                if v is None or isinstance(v, bool) or (isinstance(v, str) and
                                                        (v.startswith("#") or '"' in v)):
                    continue
                from xlmarketing.workbook.model import Area

                n = len(run.graph.dependents([Area(sm.title, r, c, r, c)]))
                if n > count:
                    best, count = (sm.title, r, c, v), n
    return best


def constant_to_ours(src: Path, dst: Path, where: tuple[str, int, int, Any]) -> None:
    title, r, c, v = where
    part = _sheet_parts(src)[title]

    def edit(data: bytes) -> bytes:
        sheet = SheetXML(data.decode("utf-8"))
        block, _ = _add_ours(sheet)
        lit = repr(v) if isinstance(v, float) else str(v) if isinstance(v, int) else \
            '"' + str(v).replace('"', '""') + '"'
        from xlmarketing.workbook.xlsx import attrs, xml_text

        old = sheet.get(r, c) or ""
        style = attrs(old).get("s") if old else None
        s = f' s="{style}"' if style else ""
        formula = f"IF(ROWS(KMEANS_SEGMENT({block},2))>0,{lit})"
        sheet.set(r, c, f'<c r="{cell_ref(r, c)}"{s}><f>{xml_text(formula)}</f></c>')
        return sheet.serialize().encode("utf-8")

    rewrite(src, dst, {part: edit})


def judge(saved: dict, out: Path, report: Any, only: set | None = None) -> Verdict:
    """Every formula cell of ``saved`` (or of ``only``) against Excel's value, in ``out``."""
    kept = {(n.sheet, *_rc(n.cell)) for n in report.not_recomputed}
    keys = [k for k in saved if (only is None or k in only) and not VOLATILE.search(saved[k][0])]
    got = values_of(out, keys)
    v = Verdict()
    for k in keys:
        v.cells += 1
        anchor_kept = k in kept
        if anchor_kept:
            v.kept += 1
        elif same(got[k], saved[k][1]):
            v.agree += 1
        else:
            v.wrong.append((f"{k[0]}!{cell_ref(k[1], k[2])}", got[k], saved[k][1]))
    return v


def _rc(ref: str) -> tuple[int, int]:
    from xlmarketing.workbook.xlsx import split_ref

    return split_ref(ref)


def corpus() -> list[Path]:
    here = Path(__file__).parent / "data"
    files = sorted((here / "formula_corpus").glob("*.xlsx"))
    files += [here / "xlsx_corpus" / "xlsxwriter" / n for n in
              ("formula_results01.xlsx", "array_formula01.xlsx", "date_1904_02.xlsx",
               "tutorial01.xlsx")]
    return [p for p in files if p.exists() and zipfile.is_zipfile(p)]

"""What an analyst sees: each refreshed template rendered by LibreOffice as the README's pictures
are made (a values-only copy printed to PDF), read back as text, and the README's demo block
against what ``xlmarketing demo`` prints now.

* no visible #N/A (chart helpers are hidden sheets or hidden columns) and no LibreOffice error
  text (Err:502, #NAME?, #VALUE!) on any printed page;
* every header of every data table and of every ordinary block prints whole (no "Days since
  last orde" cut by a narrow column);
* the settings the formulas read are labelled cells on About, and our formulas reference them;
* the README's demo output lines are lines the demo prints (numbers included).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlmarketing import templates
from xlmarketing.demo import pdf_text, run_demo
from xlmarketing.templates import _kit

ROOT = Path(__file__).resolve().parents[1]
NAMES = list(templates.TEMPLATES)

pytestmark = pytest.mark.slow

pypdfium2 = pytest.importorskip("pypdfium2")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import shutil

    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed")
    return run_demo(tmp_path_factory.mktemp("render"))


def _flat(text: str) -> str:
    """PDF text with line breaks and runs of spaces as single spaces (a wrapped header is whole)."""
    return re.sub(r"\s+", " ", text.replace("\u00ad", "").replace("\ufffe", ""))


def _headers(path: Path) -> list[str]:
    """Every table header and every header cell of our blocks that is plain text, per visible
    sheet (hidden sheets do not print)."""
    wb = load_workbook(path)
    out = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for table in ws.tables.values():
            min_col, min_row, max_col, _ = _bounds(table.ref)
            for c in range(min_col, max_col + 1):
                if ws.column_dimensions[_letter(c)].hidden:
                    continue
                v = ws.cell(row=min_row, column=c).value
                if isinstance(v, str) and not v.startswith("="):
                    out.append(v)
    return out


def _bounds(ref: str):
    from openpyxl.utils.cell import range_boundaries

    return range_boundaries(ref)


def _letter(c: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(c)


@pytest.mark.parametrize("name", NAMES)
def test_rendered_template_shows_no_error_text_and_whole_headers(demo, name):
    path = demo.out_dir / name
    pages = pdf_text(path, as_excel=True)
    text = "\n".join(pages)
    # (the About sheet's own words mention #NAME?, followed by ":" or ".")
    for bad in ("#N/A", r"#NAME\?(?![.:])", "#VALUE!", "#REF!", "#DIV/0!", "Err:"):
        assert not re.search(bad, text), f"{name} prints {bad}"
    flat = _flat(text)
    headers = _headers(path)
    missing = [h for h in headers if _flat(h) not in flat]
    assert not missing, f"{name}: headers missing in print: {missing}"
    cut = [c for h in headers if (c := _clipped(h, flat))]
    assert not cut, f"{name}: headers cut by a narrow column: {cut}"


def _clipped(header: str, flat: str) -> str | None:
    """The printed piece of ``header`` when a column too narrow cuts it inside a word (what
    LibreOffice prints: "Days since last orde" then the next cell, which starts with a capital
    or a digit), else None. A piece followed by a lower-case word is prose ("Conversion rate
    by arm" is a chart title, not "Conversions" cut)."""
    h = _flat(header)
    for n in range(max(8, len(h) // 2), len(h)):  # shorter pieces are words of their own
        if h[n - 1].isalnum() and h[n].isalnum():
            if re.search(r"(?<!\w)" + re.escape(h[:n]) + r"(?=\s+[A-Z0-9#]|\s*$)", flat):
                return h[:n]
    return None


def test_settings_are_cells_that_the_formulas_read(demo):
    for name, module in ((n, m) for n, m in _modules().items()):
        settings = getattr(module, "SETTINGS", None)
        if settings is None:
            continue
        wb = load_workbook(demo.out_dir / name)
        about = wb["About"]
        formulas = "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows()
                             for c in row if isinstance(c.value, str) and c.value.startswith("="))
        formulas += "\n".join(str(c.value.text) for ws in wb.worksheets for row in ws.iter_rows()
                              for c in row if hasattr(c.value, "text"))
        for s in settings.items:
            ref = settings[s.key]
            row = int(ref.rsplit("$", 1)[1])
            assert about.cell(row=row, column=2).value == s.label
            assert about.cell(row=row, column=3).fill.fgColor.rgb.endswith(_kit.INPUT_FILL.fgColor.rgb[-6:])
            assert ref in formulas, f"{name}: nothing reads the setting {s.label} ({ref})"


def _modules():
    from xlmarketing.templates import (campaign, churn, dashboard, experiments, forecast,
                                       recommend, reviews, segmentation)

    return {m.FILE: m for m in (segmentation, churn, forecast, dashboard, campaign, reviews,
                                recommend, experiments)}


def test_readme_demo_block_is_what_the_demo_prints(demo):
    """Each line of the README's demo block (but the elisions and the wall time) is a line of
    the demo's summary, the demo directory and wall time aside."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("### What the main job produces", 1)[1].split("```", 2)[1]
    printed = [_normal(line) for line in demo.lines()]
    for line in block.strip("\n").splitlines()[1:]:
        if "…" in line or not line.strip():
            continue
        assert _normal(line) in printed, f"README line not printed by the demo: {line!r}"


def _normal(line: str) -> str:
    """A summary line with the output folder and timings taken out."""
    line = re.sub(r"\(\d+(\.\d+)? s\)", "(… s)", line)
    line = re.sub(r"refreshed in \S+ \(", "refreshed in demo (", line)
    return re.sub(r"\S*/(\w+\.xlsx)", r"demo/\1", line).rstrip()

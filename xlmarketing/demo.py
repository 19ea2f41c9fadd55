"""``xlmarketing demo``: build the template workbooks, refresh them headless, summarise the results.

:func:`run_demo` is the README's main job. It needs nothing but this package (LibreOffice, when
installed, also computes the ordinary Excel formulas that depend on our results; the summary
itself is read from our functions' own results, so it does not depend on it).

:func:`render_png` turns a workbook page into a picture with LibreOffice headless and pdftoppm;
it made the pictures in ``docs/``::

    python -m xlmarketing.demo OUT_DIR --pictures docs
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import templates
from .templates import _kit, churn, dashboard, forecast, reviews, segmentation


@dataclass
class DemoSummary:
    """What the demo found, read back from the refreshed workbooks."""

    out_dir: Path
    files: list[Path]
    reports: list[Any] = field(default_factory=list)          # RefreshReport per workbook
    segments: list[dict[str, Any]] = field(default_factory=list)
    churn_drivers: list[tuple[str, float, str]] = field(default_factory=list)
    churn_auc: float | None = None
    customers_scored: int = 0
    expected_churners: float | None = None
    revenue_at_risk: float | None = None
    forecast_total: float | None = None
    forecast_last_year: float | None = None
    forecast_months: int = 0
    todo: list[str] = field(default_factory=list)              # the dashboard's "what to do"
    more: list[str] = field(default_factory=list)              # other templates' summary lines
    seconds: float = 0.0

    @property
    def errors(self) -> list[str]:
        return [f"{Path(r.output).name} {e.address}: {e.message}"
                for r in self.reports for e in r.errors]

    def lines(self) -> list[str]:
        out = [(f"xlmarketing demo: {len(self.files)} workbooks built and refreshed in "
               f"{self.out_dir} ({self.seconds:.1f} s)")]
        if self.segments:
            out.append(f"Segments found: {len(self.segments)}")
            for s in self.segments:
                out.append(f"  {s['segment']}: {s['customers']} customers ({s['share']:.0%}), "
                           f"mostly {s['channel']}, spend {s['spend']:,.0f} a year, "
                           f"{s['orders']:.1f} orders, last order {s['recency']:.0f} days ago")
        else:
            out.append("Segments found: none (the segmentation did not refresh)")
        if self.churn_drivers:
            auc = f" (cross-validated ROC AUC {self.churn_auc:.2f})" if self.churn_auc else ""
            out.append(f"Top churn drivers{auc}:")
            for name, odds, direction in self.churn_drivers:
                out.append(f"  {name}: {direction} (odds ratio {odds:.2f})")
        else:
            out.append("Top churn drivers: none (the churn model did not refresh)")
        if self.revenue_at_risk is not None:
            out.append(f"Churn risk: {self.customers_scored} customers scored, "
                       f"{self.expected_churners:,.0f} expected to churn, monthly revenue at risk "
                       f"{self.revenue_at_risk:,.0f}")
        if self.forecast_total is not None:
            growth = ""
            if self.forecast_last_year:
                growth = (f" ({self.forecast_total / self.forecast_last_year - 1:+.1%} on the "
                          f"last {self.forecast_months} months' {self.forecast_last_year:,.0f})")
            out.append(f"Forecast total, next {self.forecast_months} months: "
                       f"{self.forecast_total:,.0f} units{growth}")
        else:
            out.append("Forecast total: none (the forecast did not refresh)")
        if self.todo:
            out.append("Dashboard, what to do:")
            out.extend(f"  {t}" for t in self.todo)
        out.extend(self.more)
        engines = sorted({r.engine for r in self.reports if r.engine != "none"})
        if engines:
            out.append(f"Summaries, KPIs and chart data computed by: {', '.join(engines)}")
        elif self.reports:
            out.append("Summaries, KPIs and chart data: not computed (no formula engine took the "
                       "templates' formulas; install LibreOffice), so they stay empty until Excel "
                       "recalculates them")
        out.append("Which program shows what in these files:")
        out.extend(f"  {reader}: {what}" for reader, what in _kit.READERS)
        for e in self.errors:
            out.append(f"Error: {e}")
        out.append("Files written:")
        out.extend(f"  {f}" for f in self.files)
        return out


def run_demo(out_dir: str | Path) -> DemoSummary:
    """Build every template into ``out_dir``, refresh each in place, and summarise the results."""
    from .workbook import refresh_workbook

    t0 = time.perf_counter()
    out = Path(out_dir)
    files = templates.build_all(out)
    summary = DemoSummary(out_dir=out, files=files)
    for f in files:
        summary.reports.append(refresh_workbook(f, in_place=True))
    for f in files:
        reader = READ_BACK.get(f.name)
        if reader is not None:
            reader(summary, f)
    summary.seconds = time.perf_counter() - t0
    return summary


# --------------------------------------------------------------------------- reading back


def _values(path: Path) -> Any:
    from openpyxl import load_workbook

    return load_workbook(path, data_only=True)


def _block(ws: Any, anchor: str, rows: int, cols: int) -> list[list[Any]]:
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letter, row = coordinate_from_string(anchor)
    col = column_index_from_string(letter)
    return [[ws.cell(row=row + i, column=col + j).value for j in range(cols)] for i in range(rows)]


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _read_segments(summary: DemoSummary, path: Path) -> None:
    wb = _values(path)
    ws = wb[segmentation.RESULTS]
    block = _block(ws, segmentation.PROFILE_AT, segmentation.MAX_SEGMENTS + 1,
                   3 + len(segmentation.FEATURES))
    header, rows = block[0], block[1:]
    if not header or header[0] != "Segment":
        return
    col = {h: j for j, h in enumerate(header)}
    for r in rows:
        if _num(r[0]) is None:
            continue
        summary.segments.append({
            "segment": int(r[0]), "customers": int(r[col["Customers"]]), "share": r[col["Share"]],
            "channel": r[col["Channel (most common)"]], "spend": r[col["Annual spend (mean)"]],
            "orders": r[col["Orders (mean)"]], "recency": r[col["Days since last order (mean)"]],
        })


def _read_churn(summary: DemoSummary, path: Path) -> None:
    wb = _values(path)
    model = wb[churn.MODEL]
    drivers = _block(model, churn.DRIVERS_AT, 4, 4)
    if drivers[0][:1] == ["Feature"]:
        summary.churn_drivers = [(r[0], float(r[2]), r[3]) for r in drivers[1:]
                                 if isinstance(r[0], str) and _num(r[2]) is not None]
    for name, value in _block(model, churn.METRICS_AT, churn.METRIC_ROWS, 2):
        if name == "ROC AUC" and _num(value) is not None:
            summary.churn_auc = float(value)
    cur = wb[churn.CURRENT]
    probs = [_num(r[0]) for r in _block(cur, churn.PROB_AT, churn.N_CURRENT + 1, 1)[1:]]
    spend = [_num(r[0]) for r in _block(cur, churn.SPEND_AT, churn.N_CURRENT + 1, 1)[1:]]
    pairs = [(p, s) for p, s in zip(probs, spend) if p is not None and s is not None]
    if pairs:
        summary.customers_scored = len(pairs)
        summary.expected_churners = sum(p for p, _ in pairs)
        summary.revenue_at_risk = sum(p * s for p, s in pairs)


def _read_forecast(summary: DemoSummary, path: Path) -> None:
    wb = _values(path)
    block = _block(wb[forecast.RESULTS], forecast.FORECAST_AT, forecast.HORIZON + 1, 2)
    if block[0][1:2] != ["Forecast"]:
        return
    values = [_num(r[1]) for r in block[1:]]
    if any(v is None for v in values):
        return
    summary.forecast_months = len(values)
    summary.forecast_total = sum(values)
    sales = wb[forecast.DATA]
    hist = [_num(sales.cell(row=r, column=2).value) for r in range(2, sales.max_row + 1)]
    hist = [v for v in hist if v is not None]
    if len(hist) >= len(values):
        summary.forecast_last_year = sum(hist[-len(values):])


def _read_dashboard(summary: DemoSummary, path: Path) -> None:
    """The "what to do" sentences, as the refresh's formula engine computed them."""
    ws = _values(path)[dashboard.SHEET]
    for i in range(3):
        v = ws.cell(row=dashboard.TODO_ROW + 2 * i, column=6).value
        if isinstance(v, str) and v:
            summary.todo.append(v)


def _read_reviews(summary: DemoSummary, path: Path) -> None:
    """Average sentiment, the topics and the classifier's accuracy from customer_reviews.xlsx."""
    wb = _values(path)
    ins = wb[reviews.INSIGHTS]
    scores = [r[0] for r in wb[reviews.REVIEWS].iter_rows(min_row=2, min_col=8, max_col=8,
                                                          values_only=True)
              if isinstance(r[0], (int, float))]
    if not scores:
        summary.more.append("Customer reviews: none scored (the reviews did not refresh)")
        return
    summary.more.append(f"Customer reviews: {len(scores)} scored, average sentiment "
                        f"{sum(scores) / len(scores):+.2f} (-1 to 1); topics:")
    for row in ins.iter_rows(min_row=15, max_row=14 + reviews.K_TOPICS, max_col=4,
                             values_only=True):
        if isinstance(row[0], (int, float)):
            summary.more.append(f"  {row[0]:.0f}: {row[1]} ({row[2]:.0f} reviews)")
    for row in ins.iter_rows(min_row=23, max_row=30, max_col=4, values_only=True):
        if row[0] == "Accuracy" and isinstance(row[3], (int, float)):
            summary.more.append(f"  classifier accuracy on the labelled reviews "
                                f"(cross-validated): {row[3]:.2f}")


#: Template file -> the function that reads its results back into the summary. A new template
#: adds its builder to ``templates.TEMPLATES`` and, for a line in the summary, a reader here.
READ_BACK = {
    segmentation.FILE: _read_segments,
    churn.FILE: _read_churn,
    forecast.FILE: _read_forecast,
    dashboard.FILE: _read_dashboard,
    reviews.FILE: _read_reviews,
}


# --------------------------------------------------------------------------- pictures


def values_only(src: str | Path, dst: str | Path) -> Path:
    """A copy of a refreshed workbook whose xlmarketing formulas are plain values: the refresh's
    own values-only path (``xlmarketing refresh --values-only``), so there is one.

    LibreOffice recalculates every array formula on load and does not know our functions, so a
    refreshed anchor shows #NAME? there (with its whole spill). For pictures of what Excel with
    the add-in shows, our formulas are written as their values; every other cell (the ordinary
    formulas keep their computed values), style and chart is kept. The refresh recomputes our
    functions: in the process that refreshed ``src`` the fits come from the cache.
    """
    from .workbook import refresh_workbook
    from .workbook.options import RefreshOptions

    refresh_workbook(src, dst, options=RefreshOptions(formula_engine="none", values_only=True))
    return Path(dst)


def render_pdf(xlsx: str | Path, out_dir: str | Path, *, timeout: float = 180) -> Path:
    """Convert a workbook to PDF with LibreOffice headless (own temporary profile)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    xlsx, out_dir = Path(xlsx), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlm-lo-") as profile:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(out_dir), str(xlsx)],
                       check=False, capture_output=True, timeout=timeout)
    pdf = out_dir / (xlsx.stem + ".pdf")
    if not pdf.exists():  # soffice exits 0 even when loading fails
        raise RuntimeError(f"LibreOffice could not convert {xlsx.name} to PDF")
    return pdf


def render_png(xlsx: str | Path, png: str | Path, *, page: int = 2, dpi: int = 110,
               as_excel: bool = True) -> Path:
    """One page of a workbook (page 2: the sheet after About) as a PNG picture.

    ``as_excel`` renders a :func:`values_only` copy, so the picture shows our results as Excel
    with the add-in does rather than LibreOffice's #NAME?. The PDF page is rasterised with
    pdftoppm (poppler) when installed, else with pypdfium2 (``pip install 'xlmarketing[docs]'``).
    """
    png = Path(png)
    with tempfile.TemporaryDirectory(prefix="xlm-pdf-") as tmp:
        if as_excel:
            xlsx = values_only(xlsx, Path(tmp) / Path(xlsx).name)
        pdf = render_pdf(xlsx, Path(tmp) / "pdf")
        png.parent.mkdir(parents=True, exist_ok=True)
        if shutil.which("pdftoppm") is not None:
            stem = Path(tmp) / "page"
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                            "-singlefile", str(pdf), str(stem)], check=True, capture_output=True)
            shutil.move(str(stem.with_suffix(".png")), png)
        else:
            _rasterise(pdf, page, dpi, png)
    return png


def _rasterise(pdf: Path, page: int, dpi: int, png: Path) -> None:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise RuntimeError("pictures need pdftoppm (poppler-utils) or pypdfium2 "
                           "(pip install 'xlmarketing[docs]')") from None
    doc = pdfium.PdfDocument(str(pdf))
    try:
        doc[min(page, len(doc)) - 1].render(scale=dpi / 72).to_pil().save(png)
    finally:
        doc.close()


def pdf_text(xlsx: str | Path, *, as_excel: bool = False) -> list[str]:
    """The text of every page of a workbook as LibreOffice prints it (needs pypdfium2)."""
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory(prefix="xlm-pdf-") as tmp:
        if as_excel:
            xlsx = values_only(xlsx, Path(tmp) / Path(xlsx).name)
        doc = pdfium.PdfDocument(str(render_pdf(xlsx, Path(tmp) / "pdf")))
        try:
            return [p.get_textpage().get_text_range() for p in doc]
        finally:
            doc.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m xlmarketing.demo OUT_DIR [--pictures DIR]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    pictures = None
    if "--pictures" in args:
        i = args.index("--pictures")
        pictures = Path(args[i + 1])
        del args[i:i + 2]
    summary = run_demo(args[0] if args else "demo")
    print("\n".join(summary.lines()))
    if pictures is not None:
        for f in summary.files:
            print(render_png(f, pictures / (f.stem + ".png")))
    return 0 if not summary.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The RFM and customer-value sheets of customer_segmentation.xlsx.

:func:`add_rfm_sheets` adds an Orders sheet (an Excel table of sample orders) and a "RFM & value"
sheet: RFM_SEGMENT and CUSTOMER_VALUE spilled side by side (both list customers in the same
sorted order, so their rows line up), and a summary per named segment with COUNTIF and SUMIF
on top. It also lists the two formulas on the About sheet.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Font
from openpyxl.workbook import Workbook

from .. import samples
from ..core.rfm import SEGMENT_GRID
from . import _kit as K

ORDERS_SHEET, SHEET = "Orders", "RFM & value"
N_CUSTOMERS = 400
HORIZON_MONTHS = 12
#: Where the two spills start (the demo and tests read them there).
RFM_AT, VALUE_AT = "A6", "K6"
RFM_COLS, VALUE_COLS = 9, 6
#: The RFM sheet's setting (on the workbook's About sheet, with the segmentation's).
HORIZON_SETTING = K.Setting(
    "horizon_months", "Customer value: months ahead", HORIZON_MONTHS,
    "The period CUSTOMER_VALUE forecasts purchases and value over (RFM & value sheet).")


def _segment_names() -> list[str]:
    seen: list[str] = []
    for row in reversed(SEGMENT_GRID):  # best first: Champions ... Lost
        for name in reversed(row):
            if name not in seen:
                seen.append(name)
    return seen


def _about_rows(wb: Workbook, orders_ref: str, horizon: str) -> None:
    """Append the RFM sheet's formulas to the About sheet, below what is there."""
    ws = wb["About"]
    r = ws.max_row + 2
    ws.cell(row=r, column=2, value="RFM and customer value").font = K.SECTION
    lines = [
        (K.call("RFM_SEGMENT", orders=orders_ref).lstrip("="),
         "Per customer: recency (days), frequency (orders), monetary (total), 1-5 scores, RFM "
         "code and named segment (Champions, Loyal, At risk, Hibernating, Lost...).",
         f"'{SHEET}'!{RFM_AT}"),
        (K.call("CUSTOMER_VALUE", orders=orders_ref, horizon_months=horizon).lstrip("="),
         "Per customer: expected purchases over the months ahead (a setting above), probability "
         "of still being active and expected value (BG/NBD and Gamma-Gamma models).",
         f"'{SHEET}'!{VALUE_AT}"),
        ("COUNTIF / SUMIF", "Customers and expected value per RFM segment.", f"'{SHEET}'!R6"),
    ]
    for i, (formula, what, where) in enumerate(lines, 1):
        a = ws.cell(row=r + i, column=2, value=formula)
        a.font = Font(name="Consolas", size=10, bold=True, color=K.BLUE)
        a.alignment = K.WRAP
        ws.cell(row=r + i, column=3, value=what).alignment = K.WRAP
        ws.cell(row=r + i, column=4, value=where).alignment = K.WRAP
        ws.row_dimensions[r + i].height = 15 * (1 + len(what) // 60)
    note = ws.cell(row=r + len(lines) + 1, column=2,
                   value=(f"The {ORDERS_SHEET} sheet holds generated sample orders "
                          "(xlmarketing.samples.orders): replace them with your own order list "
                          "(customer, order date, amount), keeping the header row."))
    note.alignment = K.WRAP
    ws.merge_cells(start_row=note.row, start_column=2, end_row=note.row, end_column=4)
    ws.row_dimensions[note.row].height = 30


def add_rfm_sheets(wb: Workbook, horizon: str) -> None:
    """Add the Orders and "RFM & value" sheets (and their About rows) to ``wb``; ``horizon`` is
    the cell holding CUSTOMER_VALUE's months ahead."""
    orders = samples.orders(N_CUSTOMERS)
    n_customers = orders["Customer"].nunique()
    orders_ref = "Orders[#All]"
    os_ = K.add_sheet(wb, ORDERS_SHEET, tab=K.BLUE, one_page=False)
    os_.ws.sheet_view.showGridLines = True
    os_.table(orders, "Orders", formats={"Order date": K.DATE, "Amount": K.MONEY})
    os_.widths({"A": 12, "B": 13, "C": 11})
    os_.ws.freeze_panes = "A2"

    ss = K.add_sheet(wb, SHEET, tab=K.NAVY, one_page=False)
    ss.title("RFM segments and customer value",
             f"From {len(orders):,} orders of {n_customers} customers; the reference date is the "
             "last order date.")
    ss.section(1, 4, "RFM segments", "RFM_SEGMENT: scores 1-5 by quintile (5 best); the segment "
               "comes from the recency and frequency scores.")
    rows = n_customers + 1
    rfm = ss.spill(1, 6, K.call("RFM_SEGMENT", orders=orders_ref), rows, RFM_COLS, label="rfm",
                   formats=[None, K.INT, K.INT, K.MONEY0, "0", "0", "0", None, None])
    ss.section(11, 4, "Customer value over the months ahead set on About",
               "CUSTOMER_VALUE: BG/NBD purchases and Gamma-Gamma spend, same customer order.")
    value = ss.spill(11, 6, K.call("CUSTOMER_VALUE", orders=orders_ref, horizon_months=horizon), rows, VALUE_COLS,
                     label="customer value",
                     formats=[None, K.INT, K.DEC2, K.PROB, K.MONEY, K.MONEY])
    assert (rfm.anchor, value.anchor) == (RFM_AT, VALUE_AT)

    ss.section(18, 4, "Per RFM segment", "COUNTIF and SUMIF on the two spills.")
    seg_col = rfm.column(8, sheet=False)
    value_col = value.column(5, sheet=False)
    names = _segment_names()
    table = []
    for i, name in enumerate(names):
        r = 7 + i
        table.append([name, f"=COUNTIF({seg_col}, R{r})", f"=SUMIF({seg_col}, R{r}, {value_col})",
                      f"=IF(S{r}>0, T{r}/S{r}, 0)"])
    total = 7 + len(names)
    table.append(["Total", f"=SUM(S7:S{total - 1})", f"=SUM(T7:T{total - 1})",
                  f"=IF(S{total}>0, T{total}/S{total}, 0)"])
    ss.formulas(18, 6, ["Segment", "Customers", f'="Expected value ("&{horizon}&" m)"',
                        "Value per customer"], table,
                formats=[None, K.INT, K.MONEY0, K.MONEY0], label="per segment")
    for j in range(4):
        ss.ws.cell(row=total, column=18 + j).font = K.BOLD
    for r in range(7, total + 1):
        ss.ws.cell(row=r, column=18).alignment = Alignment(horizontal="left")
    # The scores and the code centred in columns wide enough for their headers: M beside Code
    # must not read as one number ("1 521").
    for r in range(rfm.row + 1, rfm.row + rfm.rows):
        for c in (5, 6, 7, 8):
            ss.ws.cell(row=r, column=c).alignment = Alignment(horizontal="center")
    ss.widths({"A": 11, "B": 9, "C": 10, "D": 11, "E": 8, "F": 8, "G": 8, "H": 8, "I": 17,
               "J": 3, "K": 11, "L": 10, "M": 10, "N": 10, "O": 12, "P": 12, "Q": 3, "R": 18,
               "S": 11, "T": 14, "U": 13})
    ss.ws.freeze_panes = "A7"
    _about_rows(wb, orders_ref, horizon)

"""The "Customer value" sheet of customer_segmentation.xlsx: lifetime value for a finance team.

CUSTOMER_VALUE on the Orders table with the discount and margin settings (labelled input cells
on the About sheet), so it adds the Discounted margin column (the CLV); totals, the share of
customers likely still active and the ten most valuable customers are ordinary formulas on top
(SUM, COUNTIF, LARGE, INDEX, MATCH), with a bar chart of those ten.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.workbook import Workbook

from .. import samples
from . import _kit as K
from .segmentation_rfm import N_CUSTOMERS

SHEET = "Customer value"
#: Where the spill starts (the tests read it there) and its columns with discount or margin.
VALUE_AT, VALUE_COLS = "E6", 7
TOP = 10
#: The sheet's settings (on the workbook's About sheet, below the segmentation's).
SETTINGS = [
    K.Setting("discount", "Customer value: monthly discount rate", 0.008,
              "The monthly rate CUSTOMER_VALUE discounts each month's expected margin by on the "
              "Customer value sheet (0.008 is about 10% a year; 0 or blank: none).", fmt="0.0%"),
    K.Setting("margin", "Customer value: margin", 0.3,
              "The share of revenue you keep (0.3 = 30%; blank: 1, revenue), for the discounted "
              "margin (CLV) on the Customer value sheet.", fmt="0%"),
    K.Setting("value_model", "Customer value: purchase model", "bgnbd",
              '"bgnbd" (BG/NBD), "mbgnbd" (MBG/NBD: one-time buyers can drop out too) or '
              '"paretonbd" (Pareto/NBD: customers drop out at any time); blank: bgnbd.'),
]


def _about_rows(wb: Workbook, formula: str) -> None:
    """List the sheet's formulas on the About sheet, below what is there."""
    ws = wb["About"]
    r = ws.max_row + 2
    ws.cell(row=r, column=2, value="Customer lifetime value").font = K.SECTION
    lines = [
        (formula.lstrip("="),
         "Per customer: the columns of the RFM & value sheet's CUSTOMER_VALUE and the Discounted "
         "margin: each month's expected purchases x expected purchase value x margin, "
         "discounted at the monthly rate (the settings above).", f"'{SHEET}'!{VALUE_AT}"),
        ("SUM / COUNTIF / LARGE / INDEX / MATCH",
         f"Totals over all customers and the {TOP} most valuable customers.", f"'{SHEET}'!A6"),
    ]
    for i, (text, what, where) in enumerate(lines, 1):
        a = ws.cell(row=r + i, column=2, value=text)
        a.font = Font(name="Consolas", size=10, bold=True, color=K.BLUE)
        a.alignment = K.WRAP
        ws.cell(row=r + i, column=3, value=what).alignment = K.WRAP
        ws.cell(row=r + i, column=4, value=where).alignment = K.WRAP
        ws.row_dimensions[r + i].height = 15 * (1 + len(what) // 60)


def add_value_sheet(wb: Workbook, settings: K.Settings) -> None:
    """Add the Customer value sheet (and its About rows) to ``wb``; ``settings`` holds the
    horizon and this sheet's settings (:data:`SETTINGS`)."""
    n_customers = samples.orders(N_CUSTOMERS)["Customer"].nunique()
    horizon, discount, margin = (settings[k] for k in ("horizon_months", "discount", "margin"))
    f_value = K.call("CUSTOMER_VALUE", orders="Orders[#All]", horizon_months=horizon,
                     discount=discount, margin=margin, model=settings["value_model"])
    ss = K.add_sheet(wb, SHEET, tab=K.NAVY, one_page=False)
    model = settings["value_model"]
    ss.title("Customer lifetime value",
             f'="Discounted margin over the next "&{horizon}&" months: "&'
             f'IF(ISNUMBER({margin}), FIXED({margin}*100, 0)&"% margin", "revenue")&'
             f'", discounted at "&FIXED(N({discount})*100, 1)&"% a month ("&'
             f'IF(LEN({model})>0, {model}, "bgnbd")&" model; the settings are on About)."')
    ss.section(1, 4, "Totals", "Ordinary formulas on the CUSTOMER_VALUE columns.")
    value = ss.spill(5, 6, f_value, n_customers + 1, VALUE_COLS, label="customer value",
                     formats=[None, K.INT, K.DEC2, K.PROB, K.MONEY, K.MONEY, K.MONEY])
    assert value.anchor == VALUE_AT
    ss.section(5, 4, "Per customer", "CUSTOMER_VALUE with discount and margin: the last column "
               "is the CLV.")
    cust, purchases, alive, expected, clv = (value.column(j, sheet=False) for j in (0, 2, 3, 5, 6))
    kpis = [("Customers", f"=COUNTA({cust})", K.INT),
            ("Expected purchases", f"=SUM({purchases})", K.INT),
            ("Likely still active (P ≥ 50%)", f'=COUNTIF({alive}, ">=0.5")', K.INT),
            ("Expected revenue", f"=SUM({expected})", K.MONEY0),
            ("Discounted margin (CLV)", f"=SUM({clv})", K.MONEY0),
            ("CLV per customer", "=IF(B6>0, B10/B6, 0)", K.MONEY0)]
    ss.kpis(1, 6, kpis, label="totals")
    top_row = 14
    ss.section(1, top_row - 2, f"The {TOP} most valuable customers", "LARGE, INDEX and MATCH on "
               "the CLV column.")
    rows = []
    for i in range(TOP):
        r = top_row + 1 + i
        rows.append([f"=INDEX({cust}, MATCH(C{r}, {clv}, 0))", i + 1,
                     f"=LARGE({clv}, B{r})", f"=INDEX({alive}, MATCH(C{r}, {clv}, 0))"])
    # columns: A customer, B rank, C CLV, D probability active
    ss.formulas(1, top_row, ["Customer", "Rank", "CLV", "P(active)"], rows,
                formats=[None, "0", K.MONEY0, K.PROB], label="top customers")
    for r in range(top_row + 1, top_row + 1 + TOP):
        ss.ws.cell(row=r, column=1).alignment = Alignment(horizontal="left")
    bar = BarChart()
    bar.type = "bar"
    bar.style = 10
    bar.add_data(Reference(ss.ws, min_col=3, min_row=top_row + 1, max_row=top_row + TOP),
                 titles_from_data=False)
    bar.set_categories(Reference(ss.ws, min_col=1, min_row=top_row + 1, max_row=top_row + TOP))
    bar.x_axis.scaling.orientation = "maxMin"
    bar.legend = None
    bar.height, bar.width = 7.5, 11
    K.value_labels(bar.series[0])
    K.titles(bar, f"The {TOP} most valuable customers: discounted margin")
    ss.chart(bar, "M4")
    ss.widths({"A": 27, "B": 12, "C": 11, "D": 11, "E": 11, "F": 10, "G": 11, "H": 10, "I": 12,
               "J": 12, "K": 12, "L": 3})
    ss.ws.freeze_panes = "A3"
    _about_rows(wb, f_value)

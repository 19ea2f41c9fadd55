"""product_recommendations.xlsx: what should we offer each customer next, and what sells together?"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.workbook import Workbook

from .. import samples
from ..workbook.tables import DataTables
from . import _kit as K

FILE = "product_recommendations.xlsx"
#: The data tables `xlmarketing batch` fills: OrderLines (the basket rules) may be left out.
DATA_TABLES = DataTables(main="Purchases", optional=("OrderLines",))
N_CUSTOMERS = 150
TOP_N = 3
START_ITEM = "Espresso beans"
RULE_ROWS = 30  # room reserved for the rules spill (the sample data gives 20 rules)
# Where results are anchored.
RESULTS, RECS_AT, RULES_SHEET = "Recommendations", "A5", "Baskets"
SIMILAR_N, MIN_SUPPORT, MIN_CONFIDENCE = 5, 0.02, 0.3
#: The settings (input cells on About) our formulas read.
SETTINGS = K.Settings([
    K.Setting("n", "Products per customer", TOP_N,
              f"1 to {TOP_N} (the sheet has room for {TOP_N}): how many products to recommend."),
    K.Setting("similar", "Similar products", SIMILAR_N,
              f"1 to {SIMILAR_N}: how many products to list beside the one in Baskets!B4."),
    K.Setting("support", "Rules: minimum support", MIN_SUPPORT,
              "Share of orders a rule's products must appear in together (0.02 = 2 %).", K.PCT),
    K.Setting("confidence", "Rules: minimum confidence", MIN_CONFIDENCE,
              "Share of the orders with A that also hold C (0.3 = 30 %).", K.PCT),
])


def build() -> Workbook:
    purchases, lines = samples.purchases(N_CUSTOMERS)
    n_cust = purchases["Customer"].nunique()
    products = [p for ps in samples.CATALOGUE.values() for p in ps]
    hist_ref = "Purchases[[#All],[Customer]:[Quantity]]"
    basket_ref = "OrderLines[[#All],[Order]:[Product]]"
    st = SETTINGS
    f_rec = K.call("RECOMMEND", purchases=hist_ref, n=st["n"])
    f_sim = K.call("SIMILAR_ITEMS", purchases=hist_ref, item="$B$4", n=st["similar"])
    f_rules = K.call("BASKET_RULES", transactions=basket_ref, min_support=st["support"],
                     min_confidence=st["confidence"])
    wb = K.new_workbook("Product recommendations")

    K.about_sheet(
        wb, "Product recommendations",
        "What should we offer each customer next, and which products sell together? "
        "Item-to-item collaborative filtering on the purchase history recommends the "
        f"{TOP_N} products each customer is most likely to want and has not bought yet; "
        "market basket analysis finds the rules \"orders with A also hold C\".",
        [
            ("Replace the rows of the Purchases table with your own order lines (customer, "
             "product, quantity; the other columns are for you), and the OrderLines table with "
             "(order, product) pairs. Keep the header rows."),
            ("The formulas read the tables by name, so they follow them when you paste more or "
             "fewer rows. Type another product in Baskets!B4 to see what sells with it."),
            ("Refresh: in Excel with the xlmarketing add-in, the formulas recalculate as you type; "
             f"headless, run  xlmarketing refresh {FILE} -o result.xlsx  and open the result."),
            ("A customer with no history (a row with a blank product) gets the best sellers, "
             "marked \"popular\" in the Basis column."),
        ],
        [
            (f_rec[1:], f"The top {TOP_N} products per customer, with scores and the basis.",
             f"{RESULTS}!{RECS_AT}"),
            (f_sim[1:], "The products most often bought by the same customers as B4.",
             f"{RULES_SHEET}!A6"),
            (f_rules[1:], "Association rules with support, confidence and lift, strongest first.",
             f"{RULES_SHEET}!A15"),
            ("=COUNTIF", "Ordinary Excel formulas on top: how often each product is the first "
             "recommendation.", f"{RESULTS}!K5"),
        ],
        [
            ("Purchases", "The purchase history: one row per order line (an Excel table)."),
            ("OrderLines", "The same orders as (order, product) pairs, for basket analysis."),
            (RESULTS, "Recommendations per customer and the products recommended most, charted."),
            (RULES_SHEET, "Similar products for the product in B4, and the basket rules, charted."),
        ],
        [("Sample data: a generated online grocer (xlmarketing.samples.purchases) whose "
          "customers each prefer one of four categories (coffee, tea, baking, snacks), with "
          "products that sell together (espresso beans and a milk frother, flour and yeast)."),
         ("Deterministic: the same purchases always give the same recommendations and rules.")],
        settings=SETTINGS,
    )

    ps = K.add_sheet(wb, "Purchases", tab=K.BLUE, one_page=False)
    ps.ws.sheet_view.showGridLines = True
    ps.table(purchases, "Purchases", formats={"Quantity": K.INT, "Date": K.DATE})
    ps.widths({"A": 11, "B": 16, "C": 10, "D": 11, "E": 10, "F": 12})
    ps.ws.freeze_panes = "A2"

    os_ = K.add_sheet(wb, "OrderLines", tab=K.BLUE, one_page=False)
    os_.ws.sheet_view.showGridLines = True
    os_.table(lines, "OrderLines")
    os_.widths({"A": 10, "B": 16})
    os_.ws.freeze_panes = "A2"

    # Recommendations: the spill and, on top, how often each product comes first.
    rs = K.add_sheet(wb, RESULTS, tab=K.NAVY, one_page=False)
    rs.title("Recommendations per customer",
             f"RECOMMEND: the top {TOP_N} products each of the {n_cust} customers has not bought "
             "yet, learned from who bought what (item-to-item similarity, or EASE where it finds "
             "more of your customers' purchases).")
    rs.section(1, 3, "Next best offers", "Score: higher is stronger, within one customer's row.")
    width = 2 + 2 * TOP_N
    rec = rs.spill(1, 5, f_rec, n_cust + 1, width, label="recommendations",
                   formats=[None] + [None, K.DEC3] * TOP_N + [None])
    assert rec.anchor == RECS_AT
    rs.section(11, 3, "First recommendation, per product",
               "Ordinary Excel formulas (COUNTIF) on the Item 1 column.")
    first = rec.column(1)
    rows = [[p, f"=COUNTIF({first}, K{6 + i})"] for i, p in enumerate(products)]
    rs.formulas(11, 5, ["Product", "Customers"], rows, formats=[None, K.INT], label="counts")
    rs.widths({"A": 10, "B": 15, "C": 8, "D": 15, "E": 8, "F": 15, "G": 8, "H": 11, "I": 3,
               "J": 3, "K": 16, "L": 11})
    bar = BarChart()
    bar.type = "bar"
    bar.style = 10
    bar.height, bar.width = 11, 14
    bar.add_data(Reference(rs.ws, min_col=12, min_row=6, max_row=5 + len(products)),
                 titles_from_data=False)
    bar.set_categories(Reference(rs.ws, min_col=11, min_row=6, max_row=5 + len(products)))
    bar.legend = None
    K.titles(bar, "Customers whose first recommendation it is", None, "Customers")
    rs.chart(bar, "N5")
    rs.ws.freeze_panes = "B6"

    # Baskets: similar items for one product, and the rules.
    bs = K.add_sheet(wb, RULES_SHEET, tab=K.NAVY)
    bs.title("What sells together", "SIMILAR_ITEMS for one product, and BASKET_RULES over all "
             f"{lines['Order'].nunique()} orders.")
    bs.ws["A4"] = "Product:"
    bs.ws["A4"].font = K.BOLD
    bs.ws["B4"] = START_ITEM
    bs.ws["B4"].fill = K.INPUT_FILL
    bs.reserve("formulas", 1, 4, 2, 4, "product input")
    bs.spill(1, 6, f_sim, 6, 3, label="similar items", formats=[None, K.DEC3, K.INT])
    bs.section(1, 13, "Basket rules", "Orders holding the antecedent also hold the consequent; "
               "lift above 1: they sell together.")
    rules = bs.spill(1, 15, f_rules, RULE_ROWS, 6, label="rules",
                     formats=[None, None, K.PCT, K.PCT, "0.00", K.INT])
    bs.widths({"A": 26, "B": 26, "C": 10, "D": 11, "E": 8, "F": 9, "G": 3})
    lift = BarChart()
    lift.type = "bar"
    lift.style = 10
    lift.height, lift.width = 9, 14
    lift.add_data(Reference(bs.ws, min_col=5, min_row=rules.row + 1, max_row=rules.row + 10),
                  titles_from_data=False)
    lift.set_categories(Reference(bs.ws, min_col=2, min_row=rules.row + 1, max_row=rules.row + 10))
    lift.legend = None
    K.titles(lift, "Top 10 rules by lift (consequent shown)", None, "Lift")
    bs.chart(lift, "H6")
    wb.move_sheet(RESULTS, offset=-2)
    wb.move_sheet(RULES_SHEET, offset=-2)
    return wb

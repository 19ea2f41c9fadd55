"""The order-value sheets of campaign_experiments.xlsx: what is a campaign's order worth?

"Order data" holds the campaign's past orders (an Excel table, CampaignOrders) with VALUE_PREDICT's
fitted value beside each. "Order value" has the model and interval settings (yellow cells), a
few orders to price (the NewOrders table, with VALUE_PREDICT's prediction and range beside it),
VALUE_DRIVERS (what raises or lowers the amount), and the average actual and predicted order
value per channel (AVERAGEIF, charted).
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.workbook import Workbook

from .. import experiment_samples as samples
from . import _kit as K

DATA, SHEET = "Order data", "Order value"
N_ORDERS = 800
FEATURES = ["Channel", "Device", "Items", "Discount code", "Returning customer"]
MODEL_AT, INTERVAL_AT = "$C$5", "$C$6"
# Where the results are anchored (the tests read them back).
FITTED_AT, PRICE_AT, DRIVERS_AT = "I1", "K10", "A21"
DRIVER_ROWS = 20
CHANNEL_ROW = 12        # header row of the per-channel AVERAGEIF table
TRAIN = f"CampaignOrders[[#All],[{FEATURES[0]}]:[{FEATURES[-1]}]]"
VALUES = "CampaignOrders[[#All],[Order value]]"


def _calls() -> dict[str, str]:
    model, interval = f"'{SHEET}'!{MODEL_AT}", f"'{SHEET}'!{INTERVAL_AT}"
    return {
        "fitted": K.call("VALUE_PREDICT", train_data=TRAIN, train_values=VALUES, model=model),
        "price": K.call("VALUE_PREDICT", train_data=TRAIN, train_values=VALUES,
                        score_data="NewOrders[#All]", interval=interval, model=model),
        "drivers": K.call("VALUE_DRIVERS", train_data=TRAIN, train_values=VALUES, model=model),
    }


#: (formula, what it returns, where) for the About sheet.
ABOUT_FORMULAS = [
    (_calls()["price"], "For each order to price: the predicted order value and a 90% range "
     "(interval and model set on the Order value sheet).", f"'{SHEET}'!{PRICE_AT}"),
    (_calls()["drivers"], "What raises or lowers the order value: coefficients with their "
     "statistics (linear) or importance and direction (boosting).", f"'{SHEET}'!{DRIVERS_AT}"),
    (_calls()["fitted"], "The fitted value of every past order, beside it.", f"'{DATA}'!{FITTED_AT}"),
    ("=AVERAGEIF", "Ordinary Excel formulas: average actual and predicted order value per "
     "channel.", f"'{SHEET}'!A{CHANNEL_ROW}"),
]
ABOUT_SHEETS = [
    (SHEET, "What an order is worth: orders to price, what drives the value, per channel."),
    (DATA, "The campaign's past orders with their value, the fitted value beside each."),
]
ABOUT_STEP = ("Order value: replace the CampaignOrders rows (sheet Order data) with your own "
              "orders and their value, and the NewOrders rows (sheet Order value) with the orders "
              "to price; keep the headers (Channel to Returning customer go into the model).")


def add_order_value_sheets(wb: Workbook) -> None:
    orders = samples.campaign_orders(N_ORDERS)
    new = samples.order_scenarios()
    calls = _calls()

    s = K.add_sheet(wb, SHEET, tab="ED7D31")
    s.title("What is an order worth?",
            "VALUE_PREDICT learns the order value from the CampaignOrders table (sheet Order data); "
            "VALUE_DRIVERS says what drives it.")
    s.section(1, 3, "Settings", "Yellow cells are yours to change.")
    s.reserve("formulas", 1, 5, 3, 6, "settings")
    for i, (label, value, fmt) in enumerate([
            ('Model ("linear", "boosting", "auto")', "auto", None),
            ("Range to show (coverage)", 0.9, "0%")]):
        s.ws.cell(row=5 + i, column=1, value=label)
        c = s.ws.cell(row=5 + i, column=3, value=value)
        c.fill = K.INPUT_FILL
        c.border = K.BOX
        if fmt:
            c.number_format = fmt
    s.kpis(1, 8, [("Past orders", f"=ROWS({K.tcol('CampaignOrders', 'Order value')})", K.INT),
                  ("Average order value", f"=AVERAGE({K.tcol('CampaignOrders', 'Order value')})",
                   K.MONEY)], label="kpis", span=2)

    s.section(5, 3, "Orders to price", "Type the orders in the NewOrders table; the prediction and "
              "its range spill beside them.")
    s.table(new, "NewOrders", col=5, row=10, formats={"Items": K.INT})
    price = s.spill(5 + len(FEATURES) + 1, 10, calls["price"], len(new) + 1, 3, label="prices",
                    formats=[K.MONEY, K.MONEY, K.MONEY])
    assert price.anchor == PRICE_AT

    s.section(1, CHANNEL_ROW - 2, "By channel", "AVERAGEIF on the table and the fitted values.")
    fitted = K.beside(f"'{DATA}'", 9, "CampaignOrders", "Order ID")
    channel = K.tcol("CampaignOrders", "Channel")
    value = K.tcol("CampaignOrders", "Order value")
    rows = []
    for i, ch in enumerate(samples.ORDER_CHANNELS):
        r = CHANNEL_ROW + 1 + i
        rows.append([ch, f"=COUNTIF({channel}, A{r})",
                     f'=IF(B{r}>0, AVERAGEIF({channel}, A{r}, {value}), "")',
                     f'=IF(B{r}>0, AVERAGEIF({channel}, A{r}, {fitted}), "")'])
    s.formulas(1, CHANNEL_ROW, ["Channel", "Orders", "Average value", "Average fitted"], rows,
               formats=[None, K.INT, K.MONEY, K.MONEY], label="per channel")

    s.section(1, 19, "What drives the order value", "VALUE_DRIVERS: coefficients (linear) or "
              "importance (boosting); the Note says which model \"auto\" chose.")
    drivers = s.spill(1, 21, calls["drivers"], DRIVER_ROWS, 5, label="drivers",
                      formats=[None, "#,##0.00", "#,##0.00", "0.00", "0.0000"])
    assert drivers.anchor == DRIVERS_AT

    bar = BarChart()
    bar.style = 10
    first, last = CHANNEL_ROW, CHANNEL_ROW + len(samples.ORDER_CHANNELS)
    bar.add_data(Reference(s.ws, min_col=3, max_col=4, min_row=first, max_row=last),
                 titles_from_data=True)
    bar.set_categories(Reference(s.ws, min_col=1, min_row=first + 1, max_row=last))
    bar.y_axis.number_format = "#,##0"
    bar.legend.position = "b"
    bar.height, bar.width = 7, 12
    K.titles(bar, "Average order value by channel", None, "Order value")
    s.chart(bar, "G19")
    s.widths({"A": 24, "B": 12, "C": 12, "D": 12, "E": 11, "F": 10, "G": 11, "H": 13, "I": 20,
              "J": 11, "K": 12, "L": 12, "M": 12})
    s.ws.freeze_panes = "A3"

    ds = K.add_sheet(wb, DATA, tab=K.GREY, one_page=False)
    ds.ws.sheet_view.showGridLines = True
    ds.table(orders, "CampaignOrders", formats={"Items": K.INT, "Order value": K.MONEY})
    fit = ds.spill(9, 1, calls["fitted"], len(orders) + 1, 1, label="fitted values",
                   formats=[K.MONEY])
    assert fit.anchor == FITTED_AT
    ds.widths({"A": 11, "B": 11, "C": 9, "D": 8, "E": 15, "F": 20, "G": 13, "H": 3, "I": 14})
    ds.ws.freeze_panes = "B2"

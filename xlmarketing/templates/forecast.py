"""sales_forecast.xlsx: how much will we sell in the next 12 months, and what do price and promotions do?"""

from __future__ import annotations

from openpyxl.chart import AreaChart, LineChart, Reference, Series
from openpyxl.chart.legend import LegendEntry
from openpyxl.styles import Alignment
from openpyxl.workbook import Workbook

from .. import samples
from ..workbook.tables import DataTables
from . import _kit as K

FILE = "sales_forecast.xlsx"
MONTHS = 60
HORIZON = 12
SEASON = 12
INTERVAL = 0.9
ACCURACY_ROWS = 10      # reserved for FORECAST_ACCURACY (8 rows today)
DRIVER_ROWS, DRIVER_COLS = 6, 8   # reserved for FORECAST_DRIVERS (header + a row per driver)
CHART_HISTORY = 48      # months of history the chart shows before the forecast
# Where the demo reads results back.
RESULTS, FORECAST_AT, DATA = "Forecast", "A6", "Sales"
#: The data tables `xlmarketing batch` fills: both; the plan starts after the last sales month.
DATA_TABLES = DataTables(main="Sales", follows=(("Plan", "Month", "Sales", "Month"),))
#: The settings (input cells on About) our formulas and the figures read.
SETTINGS = K.Settings([
    K.Setting("horizon", "Months ahead", HORIZON,
              f"1 to {HORIZON} (the sheets have room for {HORIZON}); the Plan table needs a row "
              "for each month ahead."),
    K.Setting("season", "Season length", SEASON,
              'Periods in a season: 12 for months; blank or "auto" detects it.'),
    K.Setting("interval", "Forecast range", INTERVAL,
              "Coverage of the Lower-Upper range, e.g. 0.9 for 90 %; blank for no range.", K.PCT),
    K.Setting("backtest", "Backtest horizon", None,
              "Months ahead each backtest forecasts. Blank: one season, shortened so the "
              "history holds enough backtests (3 months ahead with 30 months of history)."),
])


def kpi_rows(forecast: str, total_at: str, actual_at: str,
             horizon: str | None = None) -> list[tuple[str, str, str]]:
    """The forecast's figures at a glance as (label, formula, number format): forecast total,
    last year's actual, growth and planned revenue. ``forecast`` is the range of the forecast
    values (the second column of the SALES_FORECAST spill); ``total_at`` and ``actual_at`` are
    the cells where the first two figures land. A figure that needs more data than the Sales
    table holds shows a text saying so, never 0. ``horizon`` is the cell holding the number of
    months ahead (the Settings cell); without it the figures are for ``HORIZON`` months."""
    months = f"COUNT({K.tcol('Sales', 'Units sold')})"
    h = horizon or str(HORIZON)
    units = K.tcol("Sales", "Units sold")
    rows = K.nrows("Sales", "Units sold")
    last_h = f"INDEX({units}, {rows}-{h}+1):INDEX({units}, {rows})"
    first_h = f"INDEX({forecast}, 1):INDEX({forecast}, {h})"
    label = (lambda text: f'="{text[0]}"&{h}&"{text[1]}"') if horizon else (
        lambda text: f"{text[0]}{HORIZON}{text[1]}")
    return [
        (label(("Forecast total, next ", " months")),
         f"=IF(COUNT({forecast})={h}, SUM({forecast}), IF({months}<{2 * SEASON}, "
         f'"needs {2 * SEASON} months of history (has "&{months}&")", "no forecast: see the '
         'SALES_FORECAST cell"))', K.INT),
        (label(("Actual, last ", " months")),
         f"=IF({months}>={h}, SUM({last_h}), "
         f'"needs "&{h}&" months of history (has "&{months}&")")', K.INT),
        (label(("Growth on the last ", " months")),
         f"=IF(AND(ISNUMBER({total_at}), ISNUMBER({actual_at})), IF({actual_at}>0, "
         f'{total_at}/{actual_at}-1, "no sales to compare"), "needs the two figures above")',
         "+0.0%;-0.0%"),
        ("Planned revenue (forecast × planned price)",
         f'=IF(ISNUMBER({total_at}), SUMPRODUCT({first_h}, INDEX({K.tcol("Plan", "Price")}, '
         f'1):INDEX({K.tcol("Plan", "Price")}, {h})), "needs the forecast")', K.MONEY0),
    ]


def build() -> Workbook:
    hist, plan = samples.monthly_sales(MONTHS, HORIZON)
    # Table references follow the tables when rows are pasted in Excel or replaced by `batch`.
    sales = "Sales[[#All],[Month]:[Units sold]]"
    drivers = "Sales[[#All],[Price]:[Promotion]]"
    planned = "Plan[[#All],[Price]:[Promotion]]"
    st = SETTINGS
    f_fc = K.call("SALES_FORECAST", sales=sales, horizon=st["horizon"], known_drivers=drivers,
                  future_drivers=planned, season_length=st["season"], interval=st["interval"])
    f_acc = K.call("FORECAST_ACCURACY", sales=sales, horizon=st["backtest"],
                   season_length=st["season"])
    f_drv = K.call("FORECAST_DRIVERS", sales=sales, known_drivers=drivers,
                   season_length=st["season"])
    wb = K.new_workbook("Sales forecast")

    K.about_sheet(
        wb, "Sales forecast",
        f"How many units will we sell in each of the next {HORIZON} months, with a "
        f"{INTERVAL:.0%} range, given the planned prices and promotions? How accurate is the "
        "forecast on past data, and how much do price and promotions move sales?",
        [
            ("Sales sheet: replace the table rows with your monthly history (Month, Units sold, "
            "and the drivers Price and Promotion; keep the headers). Plan sheet: enter the "
            f"planned price and promotion for each of the next {HORIZON} months."),
            ("Everything follows the tables: the xlmarketing formulas read Sales and Plan by "
            "name, and the subtitle, the figures at a glance and the chart are ordinary formulas "
            "over them (structured references and INDEX ranges), so a history of any length "
            f"works. With a yearly season the models need {2 * SEASON} months of history; a "
            f"figure that needs more data than there is says so instead of showing 0. The chart "
            f"shows the last {CHART_HISTORY} months of history. The settings above set the "
            "months ahead (the Plan table needs one row per month ahead), the season, the "
            "forecast range and the backtest."),
            ("Refresh: in Excel with the xlmarketing add-in, the formulas recalculate as you type; "
            "headless, run  xlmarketing refresh sales_forecast.xlsx -o result.xlsx."),
            "Try a scenario: change a planned price or promotion on the Plan sheet and refresh.",
        ],
        [
            (f_fc, (f"Period, forecast and the {INTERVAL:.0%} interval (Lower, Upper) for each of "
                   f"the next {HORIZON} months."), "Forecast!A6"),
            (f_acc, ("Backtest errors (MAE, RMSE, MAPE, sMAPE, MASE) of SALES_FORECAST against a "
                    "seasonal naive forecast."), "Forecast!A23"),
            (f_drv, ("Each driver's coefficient and elasticity from a regression on trend, "
                    "season and the drivers."), "Forecast!A37"),
            ("=SUM / SUMPRODUCT", ("Ordinary Excel formulas on top: forecast total, last year's "
                                  "total, growth and planned revenue."), "Forecast!F6"),
        ],
        [
            ("Forecast", "The forecast with its interval, totals, accuracy, drivers and the chart."),
            ("Sales", "Monthly history (an Excel table): units sold, price and promotion."),
            ("Plan", "Planned price and promotion for the months ahead (an Excel table)."),
            ("ChartData", "Helper columns joining history and forecast for the chart."),
        ],
        [("Sample data: generated monthly unit sales (xlmarketing.samples.monthly_sales) with "
         "growth, a November–December peak, a price elasticity of about -1.4 and a promotion "
         "uplift of about 25 %."),
         ("Promotion is 1 in a month with a promotion, 0 otherwise. Dates are the first day of "
         "each month.")],
        settings=SETTINGS,
    )

    fs = K.add_sheet(wb, RESULTS, tab=K.NAVY)
    fs.title("Sales forecast", f'="Units sold: "&{K.count_text("Sales", "Units sold", "months")}'
                               f'&" of history, "&{st["horizon"]}&" months ahead with the planned '
                               'prices and promotions."')
    fs.section(1, 4, "The months ahead",
               "SALES_FORECAST with the range set on About (Lower, Upper).")
    fc = fs.spill(1, 6, f_fc, HORIZON + 1, 4, label="forecast",
                  formats=[K.MONTH, K.INT, K.INT, K.INT])
    assert fc.anchor == FORECAST_AT
    first, last = fc.row + 1, fc.row + HORIZON
    fs.section(6, 4, "At a glance", "Ordinary Excel formulas on the forecast.")
    fs.kpis(6, 6, kpi_rows(f"B{first}:B{last}", "I6", "I7", st["horizon"]), label="kpis", span=3)
    fs.section(1, 21, "How accurate is it?",
               "FORECAST_ACCURACY: rolling backtest on the history, against a seasonal naive forecast.")
    # Metric, SALES_FORECAST, seasonal naive and the best simple peer.
    acc = fs.spill(1, 23, f_acc, ACCURACY_ROWS, 4, label="accuracy",
                   formats=[None, "#,##0.00", "#,##0.00", "#,##0.00"])
    # Rows after the five error measures: the method (text, wrapped) and whole numbers.
    for r in range(acc.row + 6, acc.row + acc.rows):
        for c in (2, 3, 4):
            cell = fs.ws.cell(row=r, column=c)
            cell.number_format = "0"
            cell.alignment = Alignment(horizontal="right", vertical="top", wrap_text=True)
    fs.ws.row_dimensions[acc.row + 6].height = 48  # the method: up to three wrapped lines
    fs.section(1, 35, "What do price and promotions do?",
               "FORECAST_DRIVERS: elasticity = % change in sales per 1 % change in the driver.")
    drv = fs.spill(1, 37, f_drv, DRIVER_ROWS, DRIVER_COLS, label="drivers",
                   formats=[None] + ["#,##0.000"] * (DRIVER_COLS - 1))
    for r in range(drv.row + 1, drv.row + drv.rows):  # the model (text) after the p-value
        fs.ws.cell(row=r, column=7).alignment = Alignment(horizontal="left", indent=1)
    fs.widths({"A": 16, "B": 20, "C": 20, "D": 14, "E": 12, "F": 14, "G": 14, "H": 14, "I": 22})

    # Data sheets.
    ss = K.add_sheet(wb, DATA, tab=K.BLUE, one_page=False)
    ss.ws.sheet_view.showGridLines = True
    ss.table(hist, "Sales", formats={"Month": K.MONTH, "Units sold": K.INT, "Price": K.MONEY,
                                     "Promotion": "0"})
    ss.widths({"A": 12, "B": 12, "C": 10, "D": 11})
    ss.ws.freeze_panes = "A2"
    ps = K.add_sheet(wb, "Plan", tab=K.BLUE)
    ps.ws.sheet_view.showGridLines = True
    ps.table(plan, "Plan", formats={"Month": K.MONTH, "Price": K.MONEY, "Promotion": "0"})
    ps.widths({"A": 12, "B": 10, "C": 11})
    ps.ws.freeze_panes = "A2"

    band = chart_with_data(wb, RESULTS, first, CHART_HISTORY, SETTINGS["interval"])
    band.height, band.width = 9.5, 19
    fs.chart(band, "F11")
    fs.ws.freeze_panes = "A3"
    return wb

def chart_with_data(wb: Workbook, source: str, first: int, history: int,
                    interval: str | None = None) -> AreaChart:
    """A ChartData sheet and the chart drawn from it: the last ``history`` months of the Sales
    table, then the forecast read from ``source``'s SALES_FORECAST spill (first forecast row
    ``first``, columns A to D), with the interval band stacked on the lower bound. ``interval``
    is the Settings cell of the range's coverage (the legend names the band from it).

    Everything on ChartData is an ordinary formula reading the tables by position, so any
    history length works and every reader shows the chart from the cached values."""
    cd = K.add_sheet(wb, "ChartData", tab=K.GREY, one_page=False)
    cd.ws.sheet_state = "hidden"  # helper columns (#N/A gaps for the chart): not for reading
    cd.ws.sheet_view.showGridLines = True
    units, month_col = K.tcol("Sales", "Units sold"), K.tcol("Sales", "Month")
    w = history
    rows = []
    for i in range(1, w + 1):
        k = f"($G$2-{w - i})" if i < w else "$G$2"
        is_last = i == w
        actual = f"INDEX({units}, {k})"
        rows.append([f"=IF({k}>=1, INDEX({month_col}, {k}), EDATE(INDEX({month_col}, 1), {k}-1))",
                     f"=IF({k}>=1, {actual}, NA())",
                     f"=IF({k}>=1, {actual}, NA())" if is_last else "=NA()",
                     f"=IF({k}>=1, {actual}, 0)" if is_last else 0, 0])
    for j in range(HORIZON):
        r = f"{source}!$A${first + j}"
        b, c, d = (r.replace("$A$", f"${x}$") for x in "BCD")
        rows.append([f"=IF(ISNUMBER({r}), {r}, EDATE(INDEX({month_col}, $G$2), {j + 1}))", "=NA()",
                     f"=IF(ISNUMBER({b}), {b}, NA())", f"=IF(ISNUMBER({c}), {c}, NA())",
                     f"=IF(ISNUMBER({d}), {d}-{c}, NA())"])
    band_name = (f'=IF(ISNUMBER({interval}), FIXED({interval}*100, 0)&"% range", "Range")'
                 if interval else f"{INTERVAL:.0%} range")
    cd.formulas(1, 1, ["Month", "Actual", "Forecast", "Lower", band_name], rows,
                formats=[K.MONTH, K.INT, K.INT, K.INT, K.INT], label="chart data")
    cd.ws["G1"] = "Months of history"
    cd.ws["G2"] = f"=ROWS({month_col})"
    cd.reserve("formulas", 7, 1, 7, 2, "history length")
    cd.widths({"A": 12, "B": 10, "C": 10, "D": 10, "E": 12, "G": 18})
    cd.ws.freeze_panes = "A2"
    total = w + HORIZON + 1

    # The band is an area chart under the lines; besides drawing the interval it makes
    # LibreOffice leave the #N/A points out of the lines (a line chart alone draws them as 0).
    band = AreaChart()
    band.grouping = "stacked"
    lower = Series(Reference(cd.ws, min_col=4, min_row=1, max_row=total), title_from_data=True)
    lower.graphicalProperties.noFill = True
    lower.graphicalProperties.line.noFill = True
    width = Series(Reference(cd.ws, min_col=5, min_row=1, max_row=total), title_from_data=True)
    width.graphicalProperties.solidFill = "BDD7EE"
    width.graphicalProperties.line.noFill = True
    band.series.extend([lower, width])
    line = LineChart()
    for col, colour, dash in ((2, "1F3864", None), (3, "ED7D31", "dash")):
        s = Series(Reference(cd.ws, min_col=col, min_row=1, max_row=total), title_from_data=True)
        s.graphicalProperties.line.solidFill = colour
        s.graphicalProperties.line.width = 28575
        if dash:
            s.graphicalProperties.line.dashStyle = dash
        s.smooth = False
        line.series.append(s)
    months = Reference(cd.ws, min_col=1, min_row=2, max_row=total)
    band.set_categories(months)
    line.set_categories(months)
    band.y_axis.number_format = "#,##0"
    band.x_axis.number_format = "mmm yy"
    band.x_axis.tickLblSkip = band.x_axis.tickMarkSkip = max(1, (history + HORIZON) // 10)
    band += line
    band.legend.position = "b"
    band.legend.legendEntry = [LegendEntry(idx=0, delete=True)]  # the invisible lower bound
    K.titles(band, f"Units sold: the last {history} months and the forecast with its range",
             y="Units")
    return band

"""media_mix.xlsx: what did each channel's spend bring, and where should the next dollar go?"""

from __future__ import annotations

import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.workbook import Workbook

from .. import samples_media
from ..workbook.tables import DataTables
from . import _kit as K

FILE = "media_mix.xlsx"
#: The weekly media data; the budget's per-channel bounds may be left out by a batch (no bounds).
DATA_TABLES = DataTables(main="Media", optional=("Bounds",))
WEEKS = 156
SEASON = 52
BUDGET = 25000          # the budget input's starting value (a little above the sample's 23,000)
POINTS = 21             # spend levels on the response grid
CHANNELS = ("TV", "Search", "Social")
CONTROLS = ("Price", "Promotion")
FIT_ROWS, FIT_COLS = 13, 11        # MMM_FIT: header, 3 channels, 6 fit rows, up to 3 notes
OPT_ROWS, OPT_COLS = 10, 9         # BUDGET_OPTIMIZE: header, 3 channels, 3 summary rows, notes
# Where results are anchored.
MODEL, CONTRIB, BUDGET_SHEET, DATA = "Model", "Contributions", "Budget", "Data"
FIT_AT, RESPONSE_AT, CONTRIB_AT, OPT_AT = "A5", "A21", "A5", "A9"


def build() -> Workbook:
    frame, _ = samples_media.media_mix(WEEKS)
    kpi = "Media[[#All],[Sales]]"
    spend = f"Media[[#All],[{CHANNELS[0]}]:[{CHANNELS[-1]}]]"
    controls = f"Media[[#All],[{CONTROLS[0]}]:[{CONTROLS[-1]}]]"
    f_fit = f"=MMM_FIT({kpi}, {spend}, {controls}, {SEASON})"
    f_resp = f"=MMM_RESPONSE({kpi}, {spend}, , {POINTS}, {controls}, {SEASON})"
    f_contrib = f"=MMM_CONTRIBUTION({kpi}, {spend}, {controls}, {SEASON})"
    f_opt = (f"=BUDGET_OPTIMIZE({kpi}, {spend}, $B$4, Bounds[[#All],[Channel]:[Highest]], , "
             f"{controls}, {SEASON})")
    wb = K.new_workbook("Media mix")

    K.about_sheet(
        wb, "Media mix",
        "What did each marketing channel's spend bring in sales, what is its return (ROI) with "
        "a range, how long does its effect last, where do its returns flatten, and how should "
        "next week's budget be shared between the channels to sell the most?",
        [
            (f"{DATA} sheet: replace the rows of the Media table with your own weekly history "
             "(the week, the KPI such as sales, spend per channel, and price and promotion as "
             "controls; keep the headers). Rename or add channel columns between TV and Social "
             "so the formulas' column range still covers them."),
            (f"{BUDGET_SHEET} sheet: type the weekly budget in B4 and, in the Bounds table, the "
             "lowest and highest weekly spend each channel may get (blank: no limit)."),
            ("Refresh: in Excel with the xlmarketing add-in, the formulas recalculate as you "
             f"type; headless, run  xlmarketing refresh {FILE} -o result.xlsx."),
            ("Read the ROI range before acting: a wide range means the history cannot pin that "
             "channel down; vary its spend (a test) to learn more."),
        ],
        [
            (f_fit[1:], "Per channel: decay, half-saturation spend, shape, contribution, ROI "
             "with a 90% range and marginal ROI; then R², the holdout error and notes.",
             f"{MODEL}!{FIT_AT}"),
            (f_resp[1:], "Each channel's weekly sales at a steady weekly spend, on a grid.",
             f"{MODEL}!{RESPONSE_AT}"),
            (f_contrib[1:], "Each week's sales split into base, price, promotion and each channel.",
             f"{CONTRIB}!{CONTRIB_AT}"),
            (f_opt[1:], "The best split of the weekly budget in B4, against your current mix.",
             f"{BUDGET_SHEET}!{OPT_AT}"),
            ("=INDEX", "Ordinary Excel formulas on top: the gain from the optimal mix.",
             f"{BUDGET_SHEET}!F4"),
        ],
        [
            (MODEL, "The fitted model per channel and the response curves, charted."),
            (CONTRIB, "Weekly sales split by driver, charted as stacked columns."),
            (BUDGET_SHEET, "The budget input, the bounds per channel and the optimal allocation."),
            (DATA, "Weekly history (an Excel table): sales, spend per channel, price, promotion."),
        ],
        [("Sample data: generated weekly sales (xlmarketing.samples_media.media_mix) with a "
          "trend, a yearly season, price and promotion effects, and three channels with known "
          "carry-over and diminishing returns: TV in bursts (decay 0.6, S-shaped), Search "
          "always on (decay 0.1), Social always on (decay 0.3)."),
         ("Spend and sales are per week; ROI is sales per 1 spent. Deterministic: the same "
          "history gives the same model, ranges and allocation.")],
    )

    # The model and the response curves.
    ms = K.add_sheet(wb, MODEL, tab=K.NAVY, one_page=False)
    ms.title("Media-mix model", f'="Weekly sales: "&{K.count_text("Media", "Sales", "weeks")}'
                                '&" of history; TV, Search and Social with price and promotion."')
    ms.section(1, 3, "What each channel did", "MMM_FIT: ROI = sales per 1 spent, with a 90% range; "
               "marginal ROI = sales from the next 1 spent at today's level.")
    fit = ms.spill(1, 5, f_fit, FIT_ROWS, FIT_COLS, label="fit",
                   formats=[None, K.DEC3, K.INT, "0.00", K.INT, K.INT, K.PCT, K.DEC3, K.DEC3,
                            K.DEC3, K.DEC3])
    assert fit.anchor == FIT_AT
    for r in range(fit.row + 1 + len(CHANNELS), fit.row + FIT_ROWS):
        ms.ws.cell(row=r, column=2).number_format = "General"   # R², MAPE, counts
    ms.section(1, 19, "Response curves", "MMM_RESPONSE: weekly sales at a steady weekly spend.")
    resp = ms.spill(1, 21, f_resp, POINTS + 1, 1 + len(CHANNELS), label="response",
                    formats=[K.INT] * (1 + len(CHANNELS)))
    assert resp.anchor == RESPONSE_AT
    ms.widths({"A": 30, "B": 11, "C": 15, "D": 9, "E": 12, "F": 12, "G": 10, "H": 9, "I": 11,
               "J": 11, "K": 11})
    curves = LineChart()
    for j in range(len(CHANNELS)):
        curves.add_data(Reference(ms.ws, min_col=2 + j, min_row=resp.row,
                                  max_row=resp.row + POINTS), titles_from_data=True)
    curves.set_categories(Reference(ms.ws, min_col=1, min_row=resp.row + 1,
                                    max_row=resp.row + POINTS))
    for s, colour in zip(curves.series, K.SEGMENT_COLOURS):
        s.graphicalProperties.line.solidFill = colour
        s.graphicalProperties.line.width = 28575
        s.smooth = True
    curves.x_axis.number_format = "#,##0"
    curves.y_axis.number_format = "#,##0"
    curves.x_axis.tickLblSkip = 5
    curves.legend.position = "b"
    curves.height, curves.width = 9, 16
    K.titles(curves, "Weekly sales from a steady weekly spend", "Spend per week", "Sales")
    ms.chart(curves, "F21")
    ms.ws.freeze_panes = "A3"

    # Contributions.
    cs = K.add_sheet(wb, CONTRIB, tab=K.NAVY, one_page=False)
    cs.title("Sales by driver, week by week",
             "MMM_CONTRIBUTION: base (level, trend, season), price and promotion (against their "
             "usual values), each channel; Fitted is their sum.")
    cs.section(1, 3, "Contributions", "One row per week of the Media table.")
    parts = ["Base", *CONTROLS, *CHANNELS, "Fitted"]
    contrib = cs.spill(1, 5, f_contrib, WEEKS + 1, len(parts), label="contributions",
                       formats=[K.INT] * len(parts))
    assert contrib.anchor == CONTRIB_AT
    cs.widths({c: 11 for c in "ABCDEFG"})
    stack = BarChart()
    stack.type = "col"
    stack.grouping = "stacked"
    stack.overlap = 100
    stack.gapWidth = 10
    for j in range(len(parts) - 1):
        stack.add_data(Reference(cs.ws, min_col=1 + j, min_row=contrib.row,
                                 max_row=contrib.row + WEEKS), titles_from_data=True)
    colours = ("BFBFBF", "A5A5A5", "FFC000", *K.SEGMENT_COLOURS)
    for s, colour in zip(stack.series, colours):
        s.graphicalProperties = K.solid(colour)
    stack.y_axis.number_format = "#,##0"
    stack.x_axis.tickLblPos = "low"        # below the negative bars, not across them
    stack.x_axis.tickLblSkip = stack.x_axis.tickMarkSkip = 13
    stack.legend.position = "b"
    stack.height, stack.width = 11, 24
    K.titles(stack, "Weekly sales split by driver", "Week", "Sales")
    cs.chart(stack, "I5")
    cs.ws.freeze_panes = "A6"

    # The budget: input, bounds and the optimiser.
    bs = K.add_sheet(wb, BUDGET_SHEET, tab=K.NAVY)
    bs.title("Where the next dollar goes",
             "BUDGET_OPTIMIZE: the weekly budget shared to sell the most, within the bounds.")
    bs.ws["A4"] = "Weekly budget:"
    bs.ws["A4"].font = K.BOLD
    bs.ws["B4"] = BUDGET
    bs.ws["B4"].fill = K.INPUT_FILL
    bs.ws["B4"].number_format = K.INT
    bs.reserve("formulas", 1, 4, 2, 4, "budget input")
    bs.section(1, 7, "Optimal allocation", "Current: your average mix over the history at this "
               "budget. KPI = weekly sales from media.")
    opt = bs.spill(1, 9, f_opt, OPT_ROWS, OPT_COLS, label="optimiser",
                   formats=[None, K.INT, K.INT, "+#,##0;-#,##0", K.INT, K.INT, K.DEC3, K.DEC3,
                            K.DEC3])
    assert opt.anchor == OPT_AT
    gain_row = opt.row + len(CHANNELS) + 3
    bs.ws.cell(row=gain_row, column=6).number_format = "+0.0%;-0.0%"
    bs.kpis(4, 4, [("Gain in weekly sales from the optimal mix",
                    f'=IF(ISNUMBER(F{gain_row}), F{gain_row}, "refresh to see")', "+0.0%;-0.0%")],
            label="gain", span=2)
    bs.section(11, 3, "Bounds per channel", "Lowest and highest weekly spend; blank: no limit.")
    bounds = pd.DataFrame({"Channel": list(CHANNELS), "Lowest": [5000, 2000, None],
                           "Highest": [None, None, 12000]})
    bs.table(bounds, "Bounds", col=11, row=5, formats={"Lowest": K.INT, "Highest": K.INT})
    for r in range(6, 6 + len(CHANNELS)):
        for c in (12, 13):
            bs.ws.cell(row=r, column=c).fill = K.INPUT_FILL
    bs.widths({"A": 28, "B": 13, "C": 13, "D": 11, "E": 14, "F": 14, "G": 11, "H": 11, "I": 13,
               "J": 3, "K": 11, "L": 10, "M": 10})
    bars = BarChart()
    bars.type = "col"
    for j in (1, 2):
        bars.add_data(Reference(bs.ws, min_col=1 + j, min_row=opt.row,
                                max_row=opt.row + len(CHANNELS)), titles_from_data=True)
    bars.set_categories(Reference(bs.ws, min_col=1, min_row=opt.row + 1,
                                  max_row=opt.row + len(CHANNELS)))
    for s, colour in zip(bars.series, ("A5A5A5", K.BLUE)):
        s.graphicalProperties = K.solid(colour)
    bars.y_axis.number_format = "#,##0"
    bars.legend.position = "b"
    bars.height, bars.width = 8, 14
    K.titles(bars, "Weekly spend per channel: current mix and optimal", None, "Spend per week")
    bs.chart(bars, "A21")

    # Data.
    ds = K.add_sheet(wb, DATA, tab=K.BLUE, one_page=False)
    ds.ws.sheet_view.showGridLines = True
    ds.table(frame, "Media", formats={"Week": K.DATE, "Sales": K.INT, "TV": K.INT,
                                      "Search": K.INT, "Social": K.INT, "Price": K.MONEY,
                                      "Promotion": "0"})
    ds.widths({"A": 12, "B": 10, "C": 10, "D": 10, "E": 10, "F": 9, "G": 11})
    ds.ws.freeze_panes = "A2"
    return wb

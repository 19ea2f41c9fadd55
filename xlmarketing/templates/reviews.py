"""customer_reviews.xlsx: what are customers saying? Sentiment over time, topics, keywords of
low against high ratings, and a classifier trained on a labelled part of the reviews.

The Reviews table holds one review per row (date, product, rating, text, rating group, and a
category for the first rows only). Beside it spill SENTIMENT, TEXT_TOPIC and TEXT_CLASSIFY; the
Insights sheet has the monthly sentiment (ordinary formulas over the table and the spilled
sentiment column, so every reader draws the chart), TEXT_TOPICS, TEXT_KEYWORDS and
TEXT_CLASSIFY_METRICS.
"""

from __future__ import annotations

from openpyxl.chart import LineChart, Reference, Series
from openpyxl.workbook import Workbook

from .. import samples
from ..workbook.tables import DataTables
from . import _kit as K

FILE = "customer_reviews.xlsx"
#: The one data table `xlmarketing batch` fills.
DATA_TABLES = DataTables(main="Reviews")
N_REVIEWS = 600
N_LABELLED = 300
K_TOPICS = 4
MONTHS = 24
REVIEWS, INSIGHTS = "Reviews", "Insights"
# Where the tests read results back.
SENTIMENT_AT, TOPIC_AT, CLASS_AT = "H1", "I1", "K1"
TOPICS_AT, KEYWORDS_AT, METRICS_AT, MONTHLY_AT = "A14", "F14", "A22", "M6"
MAX_TOPICS = 5          # room on the Insights sheet
N_WORDS, N_KEYWORDS = 6, 4
#: The settings (input cells on About) our formulas read.
SETTINGS = K.Settings([
    K.Setting("k", "Topics", K_TOPICS,
              f"2 to {MAX_TOPICS} (the Insights sheet has room for {MAX_TOPICS}): how many "
              "topics to find in the reviews."),
    K.Setting("n_words", "Words per topic", N_WORDS, "The words that describe each topic."),
    K.Setting("n", "Keywords per rating group", N_KEYWORDS,
              f"1 to {N_KEYWORDS}: the words that set low ratings apart from high ones."),
])


def build() -> Workbook:
    data = samples.reviews(N_REVIEWS, labelled=N_LABELLED)
    text = "Reviews[[#All],[Review]]"
    category = "Reviews[[#All],[Category]]"
    f_sent = K.call("SENTIMENT", text=text)
    st = SETTINGS
    f_topic = K.call("TEXT_TOPIC", text=text, k=st["k"])
    f_class = K.call("TEXT_CLASSIFY", train_text=text, train_labels=category, score_text=text)
    f_topics = K.call("TEXT_TOPICS", text=text, k=st["k"], n_words=st["n_words"])
    f_keywords = K.call("TEXT_KEYWORDS", text=text, labels="Reviews[[#All],[Rating group]]",
                        n=st["n"])
    f_metrics = K.call("TEXT_CLASSIFY_METRICS", train_text=text, train_labels=category)
    wb = K.new_workbook("Customer reviews")

    K.about_sheet(
        wb, "Customer reviews",
        "What are customers saying, and is it getting better or worse? Every review gets a "
        "sentiment score and a topic; the Insights sheet shows sentiment month by month, the "
        "topics customers write about, the words that set low ratings apart from high "
        "ones, and how well a classifier trained on the labelled reviews sorts the rest into "
        "praise, complaint and question.",
        [
            ("Replace the rows of the Reviews table with your own reviews, survey answers or "
             "tickets (keep the header row): a date, a product, a rating, the text, a rating "
             "group (low / mid / high, or any groups to compare) and, for some rows, a category "
             "you assigned by hand. Rows with a blank category are classified by the model."),
            ("Everything follows the Reviews table: the xlmarketing formulas read it by name, and "
             "the monthly table and its chart are ordinary formulas over the table and the "
             f"spilled sentiment column, so paste any number of rows. The chart shows {MONTHS} "
             "months from the first review."),
            ("Refresh: in Excel with the xlmarketing add-in, the formulas recalculate as you type; "
             "headless, run  xlmarketing refresh customer_reviews.xlsx -o result.xlsx."),
            ("SENTIMENT reads English (the VADER word list). For reviews in other languages, "
             "label some as praise or complaint and use TEXT_CLASSIFY, which works in any "
             "language."),
        ],
        [
            (f_sent, "Sentiment of each review, -1 (negative) to 1 (positive).",
             f"{REVIEWS}!{SENTIMENT_AT}"),
            (f_topic, "The topic each review is mostly about, and its weight.",
             f"{REVIEWS}!{TOPIC_AT}"),
            (f_class, "Category predicted from the labelled reviews, with its probability.",
             f"{REVIEWS}!{CLASS_AT}"),
            (f_topics, "The topics: top words, number of reviews, share.", f"{INSIGHTS}!{TOPICS_AT}"),
            (f_keywords, "Words that set each rating group apart.", f"{INSIGHTS}!{KEYWORDS_AT}"),
            (f_metrics, "Cross-validated precision, recall and F1 per category.",
             f"{INSIGHTS}!{METRICS_AT}"),
        ],
        [
            (INSIGHTS, "Sentiment over time and its chart, topics, keywords of low against high "
                       "ratings, and the classifier's quality."),
            (REVIEWS, "The reviews (an Excel table) with sentiment, topic and predicted category "
                      "spilled beside them."),
        ],
        [("Sample data: generated reviews (xlmarketing.samples.reviews) of four products about "
          "delivery, quality, price and service; ratings follow the tone, and delivery "
          "complaints grow in the last six months."),
         ("Topics are numbered by size (1 = the most reviews); keywords' score is a z-score, "
          "above 2 a clear difference.")],
        settings=SETTINGS,
    )

    _insights_sheet(wb, f_topics, f_keywords, f_metrics)

    rs = K.add_sheet(wb, REVIEWS, tab=K.BLUE, one_page=False)
    rs.ws.sheet_view.showGridLines = True
    rs.table(data, "Reviews", formats={"Date": "yyyy-mm-dd"})
    n = len(data) + 1
    sent = rs.spill(8, 1, f_sent, n, 1, label="sentiment", formats=["0.00"])
    topic = rs.spill(9, 1, f_topic, n, 2, label="topics", formats=["0", "0.00"])
    klass = rs.spill(11, 1, f_class, n, 2, label="classes", formats=[None, K.PROB])
    assert (sent.anchor, topic.anchor, klass.anchor) == (SENTIMENT_AT, TOPIC_AT, CLASS_AT)
    rs.widths({"A": 11, "B": 16, "C": 7, "D": 70, "E": 11, "F": 11, "G": 3, "H": 10, "I": 7,
               "J": 8, "K": 18, "L": 11})
    rs.ws.freeze_panes = "A2"
    return wb


def _insights_sheet(wb: Workbook, f_topics: str, f_keywords: str, f_metrics: str) -> None:
    ins = K.add_sheet(wb, INSIGHTS, tab=K.RED)
    ins.title("What customers say", f'={K.count_text("Reviews", "Review", "reviews")}&", '
                                    f'"&FIXED(COUNTA(Reviews[Category]), 0)&" labelled by hand."')
    sentiment = K.beside(REVIEWS, 8, "Reviews", "Review")
    dates = K.tcol("Reviews", "Date")
    ins.section(1, 4, "At a glance", "Ordinary Excel formulas on the spilled results.")
    ins.kpis(1, 6, [
        ("Reviews", f"=COUNTA({K.tcol('Reviews', 'Review')})", K.INT),
        ("Average sentiment (-1 to 1)", f"=IFERROR(AVERAGE({sentiment}), \"no scores yet\")", "0.00"),
        ("Share negative (below -0.05)",
         f'=IFERROR(COUNTIF({sentiment}, "<-0.05")/COUNT({sentiment}), "no scores yet")', K.PCT),
        ("Predicted complaints among unlabelled reviews",
         f'=COUNTIFS({K.beside(REVIEWS, 11, "Reviews", "Review")}, "complaint", '
         f'Reviews[Category], "")', K.INT),
    ], label="kpis", span=3)
    ins.section(1, 12, "Topics", "TEXT_TOPICS: non-negative matrix factorisation of the texts.")
    top = ins.spill(1, 14, f_topics, MAX_TOPICS + 1, 4, label="topics",
                    formats=["0", None, "#,##0", K.PCT])
    ins.section(6, 12, "Low against high ratings", "TEXT_KEYWORDS by rating group.")
    kw = ins.spill(6, 14, f_keywords, 13, 5, label="keywords",
                   formats=[None, None, "0.0", "#,##0", "#,##0"])
    ins.section(1, 20, "The classifier", "TEXT_CLASSIFY_METRICS: 5-fold cross-validation on the "
                                          "labelled reviews.")
    met = ins.spill(1, 22, f_metrics, 7, 5, label="metrics",
                    formats=[None, "0.00", "0.00", "0.00", "#,##0"])
    assert (top.anchor, kw.anchor, met.anchor) == (TOPICS_AT, KEYWORDS_AT, METRICS_AT)

    # Sentiment by month: ordinary formulas over the table (any reader computes them).
    first = f"DATE(YEAR(MIN({dates})), MONTH(MIN({dates})), 1)"
    rows = []
    r0 = 7
    for i in range(MONTHS):
        r = r0 + i
        start = f"M{r}"
        month = f"=EDATE({first}, {i})"
        count = f'=COUNTIFS({dates}, ">="&{start}, {dates}, "<"&EDATE({start}, 1))'
        avg = (f'=IF(N{r}=0, NA(), AVERAGEIFS({sentiment}, {dates}, ">="&{start}, {dates}, '
               f'"<"&EDATE({start}, 1)))')
        rows.append([month, count, avg])
    ins.section(13, 4, "Sentiment by month", f"The first {MONTHS} months from the first review.")
    ins.formulas(13, r0 - 1, ["Month", "Reviews", "Average sentiment"], rows,
                 formats=["mmm yyyy", "#,##0", "0.00"], label="monthly")
    chart = LineChart()
    line = Series(Reference(ins.ws, min_col=15, min_row=r0, max_row=r0 + MONTHS - 1),
                  title="Average sentiment")
    line.graphicalProperties.line.solidFill = "2E75B6"
    line.graphicalProperties.line.width = 28575
    chart.series.append(line)
    chart.set_categories(Reference(ins.ws, min_col=13, min_row=r0, max_row=r0 + MONTHS - 1))
    chart.x_axis.number_format = "mmm yy"
    chart.height, chart.width = 8, 16
    chart.legend = None
    K.titles(chart, "Sentiment by month", None, "Average sentiment")
    K.show_axes(chart)
    ins.chart(chart, "Q6")
    ins.widths({"A": 8, "B": 40, "C": 9, "D": 9, "E": 3, "F": 12, "G": 18, "H": 9, "I": 12,
                "J": 14, "K": 3, "L": 3, "M": 11, "N": 9, "O": 12})

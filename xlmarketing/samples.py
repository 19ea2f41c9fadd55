"""Deterministic sample data with believable marketing structure, for the template workbooks.

Nothing here is uniform noise: each generator draws from a small causal story, with a fixed
seed (numpy ``Generator``), so the same call always returns the same table and the models in
the templates find something real.

* :func:`customers` – a customer base of four personas (loyal big spenders, regulars, online
  bargain hunters, lapsed customers) that differ in spend, orders, recency and channel, so
  k-means finds the segments again.
* :func:`churn_history` / :func:`churn_current` – subscription customers whose churn odds rise
  with month-to-month contracts, complaints and days since the last purchase and fall with
  tenure; age, gender and spend are there too (spend and age a little, gender not at all).
  The history has the outcome (``Churned`` Yes/No); the current base is to be scored.
* :func:`monthly_sales` – units sold per month with a growth trend, multiplicative yearly
  seasonality (a November–December peak), a price elasticity of about -1.4 and a promotion
  uplift of about 25 %; plus the planned price and promotions for the months ahead.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

#: The day the sample data is "as of".
SNAPSHOT = dt.date(2025, 12, 31)

CHANNELS = ("Store", "Web", "App")
REGIONS = ("North", "South", "East", "West")

# name, share, median annual spend, spend spread (log sd), mean orders, mean days since last
# order, channel probabilities (Store, Web, App)
_PERSONAS = (
    ("Loyal big spenders", 0.16, 2600.0, 0.25, 22.0, 9.0, (0.15, 0.25, 0.60)),
    ("Regulars", 0.36, 950.0, 0.30, 10.0, 30.0, (0.80, 0.12, 0.08)),
    ("Online bargain hunters", 0.28, 380.0, 0.35, 6.0, 45.0, (0.04, 0.90, 0.06)),
    ("Lapsed", 0.20, 420.0, 0.40, 2.5, 260.0, (0.60, 0.30, 0.10)),
)


def customers(n: int = 500, seed: int = 2024) -> pd.DataFrame:
    """A customer base: ID, region, channel, annual spend, orders and days since last order.

    The hidden persona of every customer is in ``frame.attrs["persona"]`` (for tests), not in a
    column: the template's job is to find it.
    """
    rng = np.random.default_rng(seed)
    shares = np.array([p[1] for p in _PERSONAS])
    persona = rng.choice(len(_PERSONAS), size=n, p=shares / shares.sum())
    spend = np.empty(n)
    orders = np.empty(n, dtype=np.int64)
    recency = np.empty(n, dtype=np.int64)
    channel = np.empty(n, dtype=object)
    for i, (_, _, med, sd, mean_orders, mean_days, ch) in enumerate(_PERSONAS):
        idx = np.flatnonzero(persona == i)
        m = len(idx)
        orders[idx] = 1 + rng.poisson(mean_orders - 1, m)
        # Spend follows orders (bigger baskets for some), around the persona's median.
        basket = med / mean_orders * np.exp(rng.normal(0.0, sd, m))
        spend[idx] = orders[idx] * basket
        recency[idx] = np.minimum(1 + rng.gamma(5.0, mean_days / 5.0, m).astype(np.int64), 720)
        channel[idx] = rng.choice(CHANNELS, size=m, p=ch)
    frame = pd.DataFrame({
        "Customer ID": [f"C{i + 1:04d}" for i in range(n)],
        "Region": rng.choice(REGIONS, size=n, p=(0.3, 0.25, 0.25, 0.2)),
        "Channel": channel.astype(str),
        "Annual spend": np.round(spend, 2),
        "Orders": orders,
        "Days since last order": recency,
    })
    frame.attrs["persona"] = [_PERSONAS[p][0] for p in persona]
    return frame


# --------------------------------------------------------------------------- churn

CONTRACTS = ("Month-to-month", "One year", "Two year")
#: True log-odds effects of the churn story (per unit of each column).
CHURN_EFFECTS = {
    "intercept": -1.75,
    "Month-to-month": 1.10, "One year": 0.0, "Two year": -1.10,
    "Tenure (months)": -0.035,
    "Complaints (12 months)": 0.65,
    "Days since last purchase": 0.018,
    "Monthly spend": -0.006,
    "Age": -0.012,
}


def _churn_base(n: int, rng: np.random.Generator, snapshot: dt.date, id_prefix: str) -> pd.DataFrame:
    contract = rng.choice(CONTRACTS, size=n, p=(0.50, 0.28, 0.22))
    two = contract == "Two year"
    one = contract == "One year"
    # Long contracts come with longer tenure.
    tenure = np.clip(rng.gamma(2.0, np.where(two, 22.0, np.where(one, 14.0, 8.0))), 1, 96).astype(np.int64)
    age = np.clip(rng.normal(42.0, 13.0, n), 18, 85).astype(np.int64)
    gender = rng.choice(("Female", "Male"), size=n, p=(0.52, 0.48))
    spend = np.round(np.clip(rng.lognormal(np.log(55.0), 0.45, n) + 0.15 * tenure, 10, 400), 2)
    complaints = rng.poisson(np.where(contract == "Month-to-month", 0.8, 0.45))
    days = np.minimum(rng.gamma(1.6, 22.0, n).astype(np.int64) + 1, 365)
    last = [snapshot - dt.timedelta(days=int(d)) for d in days]
    return pd.DataFrame({
        "Customer ID": [f"{id_prefix}{i + 1:05d}" for i in range(n)],
        "Last purchase": pd.to_datetime(last),
        "Age": age,
        "Gender": gender,
        "Tenure (months)": tenure,
        "Contract": contract,
        "Monthly spend": spend,
        "Complaints (12 months)": complaints,
        "Days since last purchase": days,
    })


def churn_logit(frame: pd.DataFrame) -> np.ndarray:
    """The true churn log-odds of each row under the story in :data:`CHURN_EFFECTS`."""
    e = CHURN_EFFECTS
    z = np.full(len(frame), e["intercept"])
    z += frame["Contract"].map({c: e[c] for c in CONTRACTS}).to_numpy(dtype=float)
    for col in ("Tenure (months)", "Complaints (12 months)", "Days since last purchase"):
        z += e[col] * frame[col].to_numpy(dtype=float)
    z += e["Monthly spend"] * (frame["Monthly spend"].to_numpy(dtype=float) - 60.0)
    z += e["Age"] * (frame["Age"].to_numpy(dtype=float) - 42.0)
    return z


def churn_history(n: int = 1200, seed: int = 7) -> pd.DataFrame:
    """Past customers as they were six months ago, with whether they churned since (Yes/No)."""
    rng = np.random.default_rng(seed)
    frame = _churn_base(n, rng, SNAPSHOT - dt.timedelta(days=183), "H")
    p = 1.0 / (1.0 + np.exp(-churn_logit(frame)))
    frame["Churned"] = np.where(rng.random(n) < p, "Yes", "No")
    return frame


def churn_current(n: int = 400, seed: int = 8) -> pd.DataFrame:
    """Today's active customers, to be scored (no outcome yet)."""
    return _churn_base(n, np.random.default_rng(seed), SNAPSHOT, "C")


# --------------------------------------------------------------------------- sales

#: Multiplicative seasonal index for January..December (mean 1).
SEASON = np.array([0.86, 0.80, 0.92, 0.95, 1.00, 0.97, 0.93, 0.95, 1.00, 1.04, 1.22, 1.36])
SEASON = SEASON / SEASON.mean()
PRICE_ELASTICITY = -1.4
PROMO_UPLIFT = 0.25


def _month_starts(first: dt.date, count: int) -> list[dt.date]:
    return [dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
            for i in range(count)]


def _units(t: np.ndarray, months: np.ndarray, price: np.ndarray, promo: np.ndarray) -> np.ndarray:
    trend = 4200.0 * (1.0 + 0.011) ** t  # about 14 % a year
    return trend * SEASON[months - 1] * (price / 24.0) ** PRICE_ELASTICITY * (1.0 + PROMO_UPLIFT * promo)


def monthly_sales(months: int = 60, horizon: int = 12, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly history (Month, Units sold, Price, Promotion) ending at :data:`SNAPSHOT`, and the
    plan for the next ``horizon`` months (Month, Price, Promotion)."""
    rng = np.random.default_rng(seed)
    total = months + horizon
    end = dt.date(SNAPSHOT.year, SNAPSHOT.month, 1)
    index = end.year * 12 + end.month - 1 - (months - 1)
    first = dt.date(index // 12, index % 12 + 1, 1)
    dates = _month_starts(first, total)
    t = np.arange(total, dtype=float)
    month_no = np.array([d.month for d in dates])
    # List price steps up once a year (in March), with a temporary discount now and then.
    years = np.array([d.year + (d.month >= 3) for d in dates]) - dates[0].year
    price = 21.0 * 1.035 ** years
    discount = rng.random(total) < 0.12
    price = np.round(np.where(discount, price * 0.9, price), 2)
    # About one month in four has a promotion, a little more often before the peak.
    promo = (rng.random(total) < np.where(np.isin(month_no, (4, 9, 10)), 0.5, 0.2)).astype(np.int64)
    units = _units(t, month_no, price, promo) * np.exp(rng.normal(0.0, 0.045, total))
    history = pd.DataFrame({
        "Month": pd.to_datetime(dates[:months]),
        "Units sold": np.round(units[:months]).astype(np.int64),
        "Price": price[:months],
        "Promotion": promo[:months],
    })
    plan = pd.DataFrame({
        "Month": pd.to_datetime(dates[months:]),
        "Price": price[months:],
        "Promotion": promo[months:],
    })
    return history, plan


# --------------------------------------------------------------------------- orders (RFM, value)

#: The buying story of :func:`orders`, in weeks: BG/NBD (purchase rate ~ Gamma(r, alpha), drop-out
#: after each repeat purchase with probability ~ Beta(a, b)) and Gamma-Gamma spend (purchase
#: value ~ Gamma(p, nu), nu ~ Gamma(q, v); mean purchase v*p/(q-1) = 40).
ORDER_MODEL = {"r": 0.6, "alpha": 6.0, "a": 0.7, "b": 3.0, "p": 6.0, "q": 4.0, "v": 20.0}


def simulate_orders(n_customers: int, weeks: float, *, model: dict[str, float] | None = None,
                    seed: int = 0, cohort_weeks: float = 52.0) -> pd.DataFrame:
    """Orders of customers who follow BG/NBD and Gamma-Gamma exactly, as (customer, week, amount).

    Each customer's first purchase falls uniformly in the first ``cohort_weeks``; observation
    ends at ``weeks``. The tests recover the model's parameters from these orders.
    """
    m = {**ORDER_MODEL, **(model or {})}
    rng = np.random.default_rng(seed)
    lam = rng.gamma(m["r"], 1.0 / m["alpha"], n_customers)
    drop = rng.beta(m["a"], m["b"], n_customers)
    nu = rng.gamma(m["q"], 1.0 / m["v"], n_customers)
    start = rng.uniform(0.0, cohort_weeks, n_customers)
    rows: list[tuple[int, float, float]] = []
    for i in range(n_customers):
        t = start[i]
        while True:
            rows.append((i + 1, t, float(rng.gamma(m["p"], 1.0 / nu[i]))))
            if len(rows) > 1 and rows[-2][0] == i + 1 and rng.random() < drop[i]:
                break  # drops out after a repeat purchase
            t += rng.exponential(1.0 / lam[i]) if lam[i] > 0 else np.inf
            if t > weeks:
                break
    return pd.DataFrame(rows, columns=["customer", "week", "amount"])


def orders(n_customers: int = 400, seed: int = 11) -> pd.DataFrame:
    """Two years of orders (Customer, Order date, Amount) ending at :data:`SNAPSHOT`, from the
    :data:`ORDER_MODEL` buying story: many one-off buyers, some loyal repeaters, some lapsed."""
    weeks = 104.0
    sim = simulate_orders(n_customers, weeks, seed=seed)
    day0 = pd.Timestamp(SNAPSHOT) - pd.Timedelta(days=weeks * 7)
    dates = day0 + pd.to_timedelta(np.floor(sim["week"].to_numpy() * 7), unit="D")
    frame = pd.DataFrame({
        "Customer": [f"K{c:04d}" for c in sim["customer"]],
        "Order date": dates.astype("datetime64[s]"),
        "Amount": np.round(sim["amount"].to_numpy(), 2),
    })
    return frame.sort_values(["Order date", "Customer"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- campaign response

OFFERS = ("20% discount", "Free shipping", "Loyalty points")
OFFER_CHANNELS = ("Email", "SMS", "Social ad")
AGE_BANDS = ((18, "18-29"), (30, "30-44"), (45, "45-59"), (60, "60+"))


def age_band(age: np.ndarray) -> list[str]:
    """The age band label of each age (18-29, 30-44, 45-59, 60+)."""
    out = []
    for a in np.asarray(age):
        out.append(next(label for lo, label in reversed(AGE_BANDS) if a >= lo))
    return out


def campaign_logit(frame: pd.DataFrame) -> np.ndarray:
    """The true response log-odds of each customer under the campaign story.

    Response rises with recent and frequent purchases and with email engagement; the discount
    works mainly for price-sensitive customers (many coupon redemptions) and SMS mainly for
    customers under 30: two interactions a straight-line model misses. Gender has no effect;
    age acts only through the SMS interaction and a small preference of 30-59 year olds.
    """
    days = frame["Days since last purchase"].to_numpy(dtype=float)
    orders = frame["Orders (12 months)"].to_numpy(dtype=float)
    opens = frame["Email opens (90 days)"].to_numpy(dtype=float)
    coupons = frame["Coupons redeemed"].to_numpy(dtype=float)
    impressions = frame["Ad impressions"].to_numpy(dtype=float)
    age = frame["Age"].to_numpy(dtype=float)
    offer = frame["Offer"].to_numpy(dtype=object)
    channel = frame["Offer channel"].to_numpy(dtype=object)
    z = -3.4 - 0.015 * (days - 60) + 0.22 * (orders - 4) + 0.28 * (opens - 3)
    z += 0.45 * np.log1p(impressions)
    z += np.where(offer == "20% discount", -0.6 + 0.9 * coupons, 0.0)
    z += np.where(offer == "Free shipping", 0.35, 0.0)
    z += np.where(channel == "SMS", np.where(age < 30, 1.6, -0.9), 0.0)
    z += np.where(channel == "Social ad", -0.4, 0.0)
    z += np.where((age >= 30) & (age < 60), 0.3, 0.0)
    return z


def _campaign_base(n: int, rng: np.random.Generator, id_prefix: str) -> pd.DataFrame:
    age = np.clip(rng.normal(43.0, 14.0, n), 18, 85).astype(np.int64)
    return pd.DataFrame({
        "Customer ID": [f"{id_prefix}{i + 1:05d}" for i in range(n)],
        "Gender": rng.choice(("Female", "Male"), size=n, p=(0.53, 0.47)),
        "Age band": age_band(age),
        "Age": age,
        "Region": rng.choice(REGIONS, size=n, p=(0.3, 0.25, 0.25, 0.2)),
        "Orders (12 months)": rng.poisson(4.0, n),
        "Days since last purchase": np.minimum(rng.gamma(1.5, 45.0, n).astype(np.int64) + 1, 365),
        "Email opens (90 days)": rng.poisson(3.0, n),
        "Coupons redeemed": rng.poisson(np.where(age < 35, 1.6, 0.8)),
        "Ad impressions": rng.poisson(6.0, n),
        "Offer": rng.choice(OFFERS, size=n),
        "Offer channel": rng.choice(OFFER_CHANNELS, size=n, p=(0.5, 0.25, 0.25)),
    })


def campaign_history(n: int = 1500, seed: int = 21) -> pd.DataFrame:
    """Customers who got an offer in the last campaign, with whether they responded (Yes/No)."""
    rng = np.random.default_rng(seed)
    frame = _campaign_base(n, rng, "R")
    p = 1.0 / (1.0 + np.exp(-campaign_logit(frame)))
    frame["Responded"] = np.where(rng.random(n) < p, "Yes", "No")
    return frame


def campaign_prospects(n: int = 500, seed: int = 22) -> pd.DataFrame:
    """Customers planned for the next campaign, with the offer and channel each would get."""
    return _campaign_base(n, np.random.default_rng(seed), "P")


# --------------------------------------------------------------------------- customer reviews

REVIEW_PRODUCTS = ("Wireless earbuds", "Coffee maker", "Running shoes", "Travel backpack")

# Topic -> (praise phrases, complaint phrases, question phrases). A review mixes the topic of its
# story with one of the product's own aspects; its rating decides the tone.
_REVIEW_TOPICS = {
    "delivery": (["the delivery was fast and the package arrived a day early",
                  "quick delivery, the package was well packed", "delivery on time, package intact"],
                 ["the delivery was late and the package arrived damaged",
                  "delivery took three weeks and the package was opened",
                  "the delivery driver lost my package"],
                 ["when will the delivery of my package arrive?",
                  "can I change the delivery address for the package?"]),
    "quality": (["excellent build quality, solid and well made", "great quality, well made and sturdy",
                 "the quality is superb and it feels solid"],
                ["poor quality, it broke after two weeks", "cheap quality, it broke and fell apart",
                 "bad quality, it broke on day one"],
                ["is the quality covered by the warranty?", "what quality of material is it?"]),
    "price": (["great price, good value for money", "worth the price, great value",
               "the price is fair and good value"],
              ["the price is too high for the value", "overpriced, poor value for money",
               "the price went up again, bad value"],
              ["will the price drop, any discount?", "is there a discount on the price?"]),
    "service": (["customer service was helpful and the refund was quick",
                 "the support team was helpful and friendly", "customer service solved it quickly"],
                ["customer service never answered, still no refund",
                 "support was rude and the refund is missing", "customer service ignored my emails"],
                ["how do I contact customer service?", "how do I ask support for a refund?"]),
}
_REVIEW_ASPECTS = {
    "Wireless earbuds": ("the battery lasts all day", "the battery dies quickly", "sound"),
    "Coffee maker": ("the coffee tastes great", "the coffee tastes burnt", "cleaning"),
    "Running shoes": ("they fit perfectly", "they are too narrow", "sizing"),
    "Travel backpack": ("lots of room and pockets", "the zip broke", "carry-on size"),
}
_OPENERS = {"praise": ["Love it!", "Very happy.", "Brilliant.", "Five stars."],
            "complaint": ["Disappointed.", "Not happy.", "Terrible.", "Avoid."],
            "question": ["Quick question:", "Hi,", "Hello,", "Before I buy:"]}


def reviews(n: int = 600, seed: int = 11, labelled: int = 300) -> pd.DataFrame:
    """Customer reviews: date, product, rating 1-5, text, rating group and a category label.

    Each review has a hidden topic (delivery, quality, price, service; in ``attrs["topic"]``)
    and a tone that follows the rating: 4-5 praise, 1-2 complaint, and about one in six of all
    reviews a question (rating 3). Ratings drift down in the last six months as delivery
    complaints grow, so sentiment over time has a story. The first ``labelled`` rows carry their
    ``Category`` (praise / complaint / question), the rest are blank: the classifier's job.
    """
    rng = np.random.default_rng(seed)
    first = dt.date(2024, 1, 1)
    days = np.sort(rng.integers(0, 730, n))
    topics = list(_REVIEW_TOPICS)
    rows, hidden = [], []
    for i, d in enumerate(days):
        late = d > 545
        topic = rng.choice(topics, p=[0.45, 0.25, 0.15, 0.15] if late else [0.2, 0.35, 0.25, 0.2])
        product = REVIEW_PRODUCTS[rng.integers(0, len(REVIEW_PRODUCTS))]
        if rng.random() < 1 / 6:
            tone, rating = "question", 3
        else:
            p_bad = 0.55 if late and topic == "delivery" else 0.3
            tone = "complaint" if rng.random() < p_bad else "praise"
            rating = int(rng.integers(1, 3)) if tone == "complaint" else int(rng.integers(4, 6))
        good, bad, ask = _REVIEW_TOPICS[topic]
        a_good, a_bad, a_ask = _REVIEW_ASPECTS[product]
        opener = _OPENERS[tone][rng.integers(0, 4)]
        if tone == "praise":
            body = f"{good[rng.integers(0, len(good))]}." + (f" Also {a_good}." if rng.random() < 0.4 else "")
        elif tone == "complaint":
            body = f"{bad[rng.integers(0, len(bad))]}." + (f" Also {a_bad}." if rng.random() < 0.4 else "")
        else:
            body = f"{ask[rng.integers(0, len(ask))]}" + (f" And the {a_ask}?" if rng.random() < 0.4 else "")
        text = f"{opener} {body[0].upper()}{body[1:]}"
        group = "low (1-2)" if rating <= 2 else ("high (4-5)" if rating >= 4 else "mid (3)")
        rows.append([first + dt.timedelta(days=int(d)), product, rating, text, group,
                     tone if i < labelled else None])
        hidden.append(topic)
    frame = pd.DataFrame(rows, columns=["Date", "Product", "Rating", "Review", "Rating group",
                                        "Category"])
    frame.attrs["topic"] = hidden
    return frame
# --------------------------------------------------------------------------- purchases (issue 16)

#: Product catalogue of the purchase sample: category -> products. The first two products of a
#: category often sell together (a "bundle"), so basket rules have something to find.
CATALOGUE = {
    "Coffee": ("Espresso beans", "Milk frother", "Filter coffee", "Coffee mugs", "Decaf beans"),
    "Tea": ("Green tea", "Teapot", "Earl Grey", "Herbal tea", "Honey"),
    "Baking": ("Flour", "Yeast", "Baking tray", "Sugar", "Vanilla"),
    "Snacks": ("Crisps", "Salsa dip", "Chocolate", "Nuts", "Popcorn"),
}


def purchases(n_customers: int = 150, seed: int = 16) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Order lines of a small online grocer with taste structure.

    Each customer prefers one category (80% of their items come from it, the rest from any
    category); within a category, popularity falls off (the first products sell most), and
    buying a category's first product adds its second to the same order half the time.
    Returns ``(purchases, order_lines)``: purchases with Customer, Product, Quantity, Category,
    Order and Date (one row per order line), and the same order lines as Order, Product.
    """
    rng = np.random.default_rng(seed)
    cats = list(CATALOGUE)
    rows = []
    order_no = 0
    for c in range(n_customers):
        cust = f"C{c + 1:04d}"
        taste = cats[c % len(cats)] if rng.random() < 0.9 else cats[int(rng.integers(len(cats)))]
        for _ in range(int(rng.integers(1, 5))):  # 1 to 4 orders
            order_no += 1
            day = SNAPSHOT - dt.timedelta(days=int(rng.integers(1, 365)))
            basket: list[tuple[str, str]] = []
            for _ in range(int(rng.integers(1, 4))):
                cat = taste if rng.random() < 0.8 else cats[int(rng.integers(len(cats)))]
                items = CATALOGUE[cat]
                weights = 1.0 / np.arange(1, len(items) + 1)
                product = items[int(rng.choice(len(items), p=weights / weights.sum()))]
                basket.append((product, cat))
                if product == items[0] and rng.random() < 0.5:
                    basket.append((items[1], cat))
            seen: set[str] = set()
            for product, cat in basket:
                if product in seen:
                    continue
                seen.add(product)
                rows.append((cust, product, int(rng.integers(1, 4)), cat, f"O{order_no:05d}",
                             pd.Timestamp(day)))
    frame = pd.DataFrame(rows, columns=["Customer", "Product", "Quantity", "Category", "Order",
                                        "Date"])
    return frame, frame[["Order", "Product"]].copy()

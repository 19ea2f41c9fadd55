"""Item-item collaborative filtering on implicit feedback (purchases), on sparse matrices.

The model is item-kNN: an item x item similarity computed sparsely from the customer x item
purchase matrix (X'X), each item keeping its ``neighbours`` most similar items; a customer's
score for an item is the sum of its similarities to the items the customer bought, and items
the customer has are left out. The default similarity is RP3beta (Paudel et al. 2017,
"Updatable, accurate, diverse, and scalable recommendations for interactive applications"):
the probability of a random walk item -> customer -> item, divided by the target's popularity
to the power ``beta``, which keeps best sellers from crowding out every list. The cosine of
Sarwar et al. (2001) on BM25- or TF-IDF-weighted columns (``implicit``'s CosineRecommender)
is the alternative; benchmarks/bench_recommend.py chose RP3beta by inner validation.
Customers with no history get the most popular items (most distinct buyers).

The other member is EASE (Steck 2019, "Embarrassingly shallow autoencoders for sparse data"):
item weights ``B`` from one ridge regression of every item's column on all the others,
``B = I - P / diag(P)`` with ``P = (X'X + lambda I)^-1``, whose weights may be negative (an item
that customers of A rarely buy). It needs a dense item x item inverse, so it is fitted only
for catalogues of at most :data:`EASE_MAX_ITEMS` items, and its weights stay dense (18 MB at
that size; cutting each row to its 200 largest weights cost more time than it saved). ``model="auto"`` holds out one purchase of every customer with at
least three (chosen by a hash of customer and item, so row order changes nothing), fits both
members on the rest, and takes EASE only when its recall at 10 on the held-out purchases is
at least :data:`EASE_GAIN` times item-kNN's. The ridge strength ``lambda`` is
:data:`EASE_LAMBDA` times the mean number of buyers per item (recall at 10 on InstEval moved
by under 0.01 for multiples from 0.03 to 0.8, so one value spares the validation a grid of
inverses).

Everything is sparse: the customer x item matrix is CSR, similarities are pruned to
``neighbours`` per item, and scores are computed for blocks of customers whose dense width is
bounded (:data:`SCORE_BLOCK_CELLS`), so 1,000,000 transactions never build a dense
customer x item table. Deterministic: ties are broken by popularity, then first appearance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .errors import InsufficientData, LimitExceeded, ParameterError

#: Dense score cells (customers x items) computed at once when scoring many customers.
SCORE_BLOCK_CELLS = 4_000_000
#: Item pairs the similarity product X'X may produce (about 12 bytes each).
MAX_PAIR_WORK = 150_000_000
#: BM25 constants, as in implicit.nearest_neighbours.bm25_weight.
BM25_K1 = 1.2
BM25_B = 0.75
#: EASE's dense item x item inverse: the largest catalogue it is fitted for (about 2 s per
#: inverse on one core at this size, 32 MB per dense matrix).
EASE_MAX_ITEMS = 1_500
#: EASE's ridge strength, as a multiple of the mean number of buyers per item.
EASE_LAMBDA = 0.2
#: EASE is taken when its held-out recall is at least this multiple of item-kNN's.
EASE_GAIN = 1.01
#: Customers used for the validation at most (a content-hash sample above this).
VALIDATION_CUSTOMERS = 5_000
#: Recommendations per customer the validation scores (recall at this many).
VALIDATION_TOP = 10
MODELS = ("auto", "item-knn", "ease")


@dataclass(frozen=True)
class RecommendOptions:
    """How the item similarities are built. Defaults chosen by benchmarks/bench_recommend.py."""

    neighbours: int = 200
    weighting: str = "rp3"  # "rp3" (RP3beta), or cosine on "bm25", "tfidf" or "none" weights
    beta: float = 0.5  # rp3 only: how much popular items are held back
    model: str = "item-knn"  # "item-knn", "ease", or "auto" (chosen by validation, see above)
    ease_lambda: float | None = None  # EASE's ridge strength; None: chosen (or 0.2 x popularity)


@dataclass
class Interactions:
    """Who bought what: ``matrix[c, i]`` > 0 is the amount customer c bought of item i."""

    matrix: sp.csr_matrix
    customers: list  # labels, in order of first appearance
    items: list
    # Each label's identity (the reader's rule: 1004 and "1004", "Bob" and "bob" alike), for
    # tie-breaks that must not depend on which spelling was kept; None: the labels as text.
    identities: tuple[list, list] | None = None

    @property
    def n_customers(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_items(self) -> int:
        return self.matrix.shape[1]


def interactions(customer_codes: np.ndarray, item_codes: np.ndarray, amounts: np.ndarray | None,
                 customers: list, items: list,
                 identities: tuple[list, list] | None = None) -> Interactions:
    """Build the sparse matrix from one (customer code, item code, amount) triple per purchase.

    Item code -1 marks a customer listed without a purchase (known, no history). Repeated
    pairs add up; pairs whose total is not positive (returns cancelling sales) are dropped.
    """
    keep = item_codes >= 0
    vals = np.ones(int(keep.sum())) if amounts is None else np.asarray(amounts, float)[keep]
    m = sp.csr_matrix((vals, (customer_codes[keep], item_codes[keep])),
                      shape=(len(customers), len(items)))
    m.sum_duplicates()
    m.data[m.data < 0] = 0
    m.eliminate_zeros()
    if m.nnz == 0:
        raise InsufficientData("{param} holds no purchases: every customer's history is empty. "
                               "Give at least two customers who bought something.",
                               param="purchases")
    return Interactions(m.astype(np.float64), customers, items, identities)


def _weighted(x: sp.csr_matrix, weighting: str) -> sp.csr_matrix:
    """The purchase matrix as the similarity sees it (see module docstring)."""
    x = x.copy()
    n = x.shape[0]
    df = np.bincount(x.indices, minlength=x.shape[1])
    if weighting == "none":
        x.data[:] = 1.0
    elif weighting == "tfidf":
        x.data = np.sqrt(x.data) * (np.log(n) - np.log1p(df))[x.indices]
    else:  # bm25
        idf = np.log(n) - np.log1p(df)
        lengths = np.asarray(x.sum(axis=1)).ravel()
        norm = (1.0 - BM25_B) + BM25_B * lengths / lengths.mean()
        rows = np.repeat(np.arange(n), np.diff(x.indptr))
        x.data = x.data * (BM25_K1 + 1.0) / (BM25_K1 * norm[rows] + x.data) * idf[x.indices]
    return x


def _top_per_row(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of every row (ties: lower column first)."""
    m.sort_indices()
    counts = np.diff(m.indptr)
    if counts.max(initial=0) <= k:
        return m
    keep = np.ones(m.nnz, dtype=bool)
    for r in np.flatnonzero(counts > k):
        lo, hi = m.indptr[r], m.indptr[r + 1]
        order = np.lexsort((m.indices[lo:hi], -m.data[lo:hi]))
        keep[lo + order[k:]] = False
    rows = np.repeat(np.arange(m.shape[0]), counts)
    return sp.csr_matrix((m.data[keep], (rows[keep], m.indices[keep])), shape=m.shape)


@dataclass
class ItemModel:
    """A fitted item-kNN model (see :func:`fit`)."""

    data: Interactions
    similarity: sp.csr_matrix | np.ndarray  # items x items, row i = item i's weights, no
    # diagonal: sparse neighbours (item-kNN) or dense (EASE)
    buyers: np.ndarray  # distinct customers per item
    popular: np.ndarray  # item indices, most popular first
    co_counts: sp.csr_matrix  # items x items, customers who bought both (same pattern as X'X)
    member: str = "item-knn"  # the member fitted: "item-knn" or "ease"
    choice: str = ""  # how auto chose, in words ("" when the member was asked for)


def fit(data: Interactions, options: RecommendOptions = RecommendOptions()) -> ItemModel:
    """Item weights and popularity from the purchases, by ``options.model``."""
    if options.weighting not in ("bm25", "tfidf", "none", "rp3"):
        raise ParameterError(f"{{param}}={options.weighting!r} is not a weighting; use rp3, "
                             "bm25, tfidf or none.", param="weighting")
    if options.model not in MODELS:
        raise ParameterError(f"{{param}}={options.model!r} is not a model; use auto, item-knn "
                             "or ease.", param="model")
    if options.model == "ease" and data.n_items > EASE_MAX_ITEMS:
        raise LimitExceeded(f"{{param}}=ease fits at most {EASE_MAX_ITEMS:,} items (its item x "
                            f"item inverse is dense); the purchases hold {data.n_items:,}. Use "
                            "model item-knn or auto.", param="model")
    x = data.matrix
    binary = x.copy()
    binary.data[:] = 1.0
    per_customer = np.diff(x.indptr).astype(np.int64)
    work = int((per_customer ** 2).sum())
    if min(work, data.n_items ** 2) > MAX_PAIR_WORK:
        raise LimitExceeded(f"{{param}} would need {work:,} item-pair counts (limit "
                            f"{MAX_PAIR_WORK:,}): customers with very long histories. Use fewer "
                            "rows or leave out the heaviest buyers.", param="purchases")
    buyers = np.asarray(binary.sum(axis=0)).ravel()
    popular = np.lexsort((np.arange(data.n_items), -buyers))
    bt = binary.T.tocsr()
    co = (bt @ binary).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    member, choice = options.model, ""
    if member == "auto":
        member, choice = _choose(data, binary, options)
    if member == "ease":
        sim = _ease(co, buyers, _lambda(buyers, options.ease_lambda))
    elif options.weighting == "rp3":
        sim = _top_per_row(_rp3(binary, bt, buyers, options.beta), options.neighbours)
    else:
        sim = _top_per_row(_cosine(_weighted(x, options.weighting)), options.neighbours)
    return ItemModel(data, sim, buyers, popular, co, member, choice)


def _lambda(buyers: np.ndarray, lam: float | None) -> float:
    """EASE's ridge strength: given, or :data:`EASE_LAMBDA` x the mean buyers per item."""
    return float(lam) if lam is not None else EASE_LAMBDA * max(float(buyers.mean()), 1.0)


def _ease(co: sp.csr_matrix, buyers: np.ndarray, lam: float, dtype: type = np.float64
          ) -> np.ndarray:
    """EASE's item weights, dense (module docstring); ``float32`` for the validation's
    ranking, where half the work matters more than the last digits."""
    g = co.toarray().astype(dtype, copy=False)
    g[np.diag_indices_from(g)] = buyers + lam  # X'X of the 0/1 matrix: buyers on the diagonal
    p = _spd_inverse(g)
    b = p / -np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


def _spd_inverse(g: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix by its Cholesky factor: half the
    work of a general inverse (X'X + lambda I with lambda > 0 always qualifies)."""
    from scipy.linalg import lapack

    single = g.dtype == np.float32
    potrf, potri = (lapack.spotrf, lapack.spotri) if single else (lapack.dpotrf, lapack.dpotri)
    c, info = potrf(g, lower=False)
    if info == 0:
        p, info = potri(c, lower=False, overwrite_c=True)
    if info != 0:  # not expected for lambda > 0; numpy's general inverse then
        return np.linalg.inv(g)
    return np.triu(p) + np.triu(p, 1).T  # potri fills the upper triangle only


def _pair_hash(data: Interactions, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """A hash of (customer, item) identity per purchase: order-free tie-breaks. Each label is
    hashed once (as text), then the pairs are mixed in numpy."""
    import pandas as pd

    def hashed(labels: list) -> np.ndarray:
        text = pd.Series([str(v) for v in labels], dtype=object)
        return pd.util.hash_pandas_object(text, index=False).to_numpy()

    who, what = data.identities or (data.customers, data.items)
    mixed = hashed(who)[rows] * np.uint64(0x9E3779B97F4A7C15) ^ hashed(what)[cols]
    # A final avalanche (splitmix64's), so that the order of mixed pairs is well shuffled.
    mixed ^= mixed >> np.uint64(31)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    return mixed ^ (mixed >> np.uint64(27))


def _holdout(data: Interactions, binary: sp.csr_matrix
             ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray] | None:
    """One held-out purchase per customer with at least three (the one whose hash is least),
    at most VALIDATION_CUSTOMERS customers (those whose held-out hash is least): the training
    matrix, the customers and their held-out items. None when too few customers qualify."""
    coo = binary.tocoo()
    h = _pair_hash(data, coo.row, coo.col)
    counts = np.bincount(coo.row, minlength=binary.shape[0])
    order = np.lexsort((h, coo.row))  # by customer, then hash
    first = np.searchsorted(coo.row[order], np.arange(binary.shape[0]))
    eligible = np.flatnonzero(counts >= 3)
    if len(eligible) < 20:
        return None
    pick = order[first[eligible]]
    if len(pick) > VALIDATION_CUSTOMERS:
        pick = pick[np.argsort(h[pick], kind="stable")[:VALIDATION_CUSTOMERS]]
    keep = np.ones(coo.nnz, dtype=bool)
    keep[pick] = False
    train = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=binary.shape)
    return train, coo.row[pick], coo.col[pick]


def _recall(train: sp.csr_matrix, weights: sp.csr_matrix | np.ndarray, who: np.ndarray,
            held: np.ndarray) -> float:
    """Share of the held-out items that rank in the customer's top VALIDATION_TOP unbought
    items (ties count against the held-out item)."""
    sub = train[who]
    scores = sub @ weights
    scores = scores.toarray() if sp.issparse(scores) else np.asarray(scores)
    bought = np.repeat(np.arange(len(who)), np.diff(sub.indptr))
    scores[bought, sub.indices] = -np.inf
    target = scores[np.arange(len(who)), held]
    ahead = (scores >= target[:, None]).sum(axis=1) - 1  # the held item itself is >=
    return float(np.mean((ahead < VALIDATION_TOP) & (target > 0)))


def _choose(data: Interactions, binary: sp.csr_matrix, options: RecommendOptions
            ) -> tuple[str, str]:
    """(member, words) for model="auto": EASE when the catalogue is small enough
    and it beats item-kNN on the held-out purchases by EASE_GAIN (module docstring)."""
    if data.n_items > EASE_MAX_ITEMS:
        return "item-knn", (f"item-knn (EASE is considered up to {EASE_MAX_ITEMS:,} items; "
                                  f"{data.n_items:,} here)")
    split = _holdout(data, binary)
    if split is None:
        return "item-knn", "item-knn (too few customers with three purchases to compare)"
    train, who, held = split
    buyers = np.asarray(train.sum(axis=0)).ravel()
    if options.weighting == "rp3":
        knn_w = _top_per_row(_rp3(train, train.T.tocsr(), buyers, options.beta), options.neighbours)
    else:
        knn_w = _top_per_row(_cosine(_weighted(train, options.weighting)), options.neighbours)
    co = (train.T @ train).tocsr()
    co.setdiag(0)
    # Dense weights score the held-out customers in one BLAS product, as EASE's do.
    knn = _recall(train, knn_w.toarray(), who, held)
    ease = _recall(train, _ease(co, buyers, _lambda(buyers, None), np.float32), who, held)
    words = (f"held-out recall at {VALIDATION_TOP} of {len(who):,} customers: EASE {ease:.3f}, "
             f"item-kNN {knn:.3f}")
    if ease >= EASE_GAIN * knn and ease > 0:
        return "ease", "ease (" + words + ")"
    return "item-knn", "item-knn (" + words + ")"


def _cosine(w: sp.csr_matrix) -> sp.csr_matrix:
    """Cosine similarity of the columns of ``w``, sparse, without the diagonal."""
    norms = np.sqrt(np.asarray(w.multiply(w).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    sim = (w.T.tocsr() @ w).tocsr()
    sim.setdiag(0)
    sim.eliminate_zeros()
    rows = np.repeat(np.arange(sim.shape[0]), np.diff(sim.indptr))
    sim.data = sim.data / (norms[rows] * norms[sim.indices])
    return sim


def _rp3(binary: sp.csr_matrix, bt: sp.csr_matrix, buyers: np.ndarray, beta: float) -> sp.csr_matrix:
    """RP3beta (Paudel et al. 2017): the 3-step random-walk probability item -> customer ->
    item, divided by the target item's popularity to the power ``beta``."""
    deg_u = np.diff(binary.indptr).astype(np.float64)
    deg_u[deg_u == 0] = 1.0
    pop = np.maximum(buyers, 1.0)
    p_ui = sp.diags(1.0 / deg_u) @ binary
    p_iu = sp.diags(1.0 / pop) @ bt
    w = (p_iu @ p_ui).tocsr()
    w.setdiag(0)
    w.eliminate_zeros()
    w.data = w.data / pop[w.indices] ** beta
    if w.nnz:
        w.data /= w.data.max()  # scale only (the largest similarity is 1): rankings unchanged
    return w


@dataclass
class Recommendations:
    """For each scored customer: ``items``/``scores`` (n columns; -1 / NaN where none is left)
    and ``basis`` ("history", "history + popular" or "popular")."""

    items: np.ndarray
    scores: np.ndarray
    basis: list[str]


def _check_n(model: ItemModel, n: int) -> None:
    if n > model.data.n_items:
        raise ParameterError(f"{{param}}={n} is more than the {model.data.n_items} items in the "
                             f"catalogue. Ask for at most {model.data.n_items}.", param="n")


def recommend(model: ItemModel, rows: np.ndarray, n: int) -> Recommendations:
    """The top ``n`` unbought items for the customers at ``rows`` (indices into the data)."""
    _check_n(model, n)
    x = model.data.matrix
    n_items = model.data.n_items
    rows = np.asarray(rows, dtype=np.int64)
    items = np.full((len(rows), n), -1, dtype=np.int64)
    scores = np.full((len(rows), n), np.nan)
    basis: list[str] = []
    # Tie-break by popularity: a tiny, strictly ordered bonus below any similarity difference.
    rank = np.empty(n_items)
    rank[model.popular] = np.arange(n_items)
    block = max(1, SCORE_BLOCK_CELLS // max(n_items, 1))
    sim = model.similarity
    for start in range(0, len(rows), block):
        r = rows[start:start + block]
        sub = x[r]
        key = sub @ sim
        key = key.toarray() if sp.issparse(key) else np.asarray(key)
        bought = np.repeat(np.arange(len(r)), np.diff(sub.indptr))
        key[bought, sub.indices] = -np.inf  # never recommend what the customer has
        n_pos = (key > 0).sum(axis=1)
        short = np.flatnonzero(n_pos < n)
        if short.size:
            # Not enough scored items: unbought best sellers fill the rest, in popularity order.
            sk = key[short]
            fill = -1.0 - rank / n_items
            key[short] = np.where(sk > 0, sk, np.where(np.isneginf(sk), sk, fill))
        top = np.argpartition(-key, n - 1, axis=1)[:, :n] if n < n_items else \
            np.tile(np.arange(n_items), (len(r), 1))
        part = np.take_along_axis(key, top, axis=1)
        order = np.lexsort((rank[top], -part), axis=1)  # by score; ties by popularity
        top = np.take_along_axis(top, order, axis=1)
        topkey = np.take_along_axis(part, order, axis=1).astype(np.float64)
        ok = np.isfinite(topkey)
        items[start:start + len(r)] = np.where(ok, top, -1)
        scores[start:start + len(r)] = np.where(ok, np.maximum(topkey, 0.0), np.nan)
        has = np.diff(sub.indptr) > 0
        filled = ok.sum(axis=1)
        positive = (topkey > 0).sum(axis=1)
        basis.extend(np.where(~has, "popular", np.where(positive == filled, "history",
                                                         "history + popular")).tolist())
    return Recommendations(items, scores, basis)


@dataclass
class Similar:
    """The ``n`` items most similar to one item: indices, cosine similarity, co-buyers."""

    items: np.ndarray
    similarity: np.ndarray
    together: np.ndarray


def similar_items(model: ItemModel, item: int, n: int) -> Similar:
    """The items most often bought by the customers who bought ``item``: binary cosine
    ``both / sqrt(buyers_i * buyers_j)``, ties by co-buyers, then catalogue order."""
    if n > model.data.n_items - 1:
        raise ParameterError(f"{{param}}={n} is more than the {model.data.n_items - 1} other items "
                             f"in the catalogue. Ask for at most {model.data.n_items - 1}.", param="n")
    co = model.co_counts.getrow(item)
    cand, both = co.indices, co.data
    cos = both / np.sqrt(model.buyers[item] * model.buyers[cand]) if cand.size else both
    order = np.lexsort((cand, -both, -cos))[:n]
    return Similar(cand[order], cos[order], both[order].astype(np.int64))

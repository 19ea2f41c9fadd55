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


@dataclass(frozen=True)
class RecommendOptions:
    """How the item similarities are built. Defaults chosen by benchmarks/bench_recommend.py."""

    neighbours: int = 200
    weighting: str = "rp3"  # "rp3" (RP3beta), or cosine on "bm25", "tfidf" or "none" weights
    beta: float = 0.5  # rp3 only: how much popular items are held back


@dataclass
class Interactions:
    """Who bought what: ``matrix[c, i]`` > 0 is the amount customer c bought of item i."""

    matrix: sp.csr_matrix
    customers: list  # labels, in order of first appearance
    items: list

    @property
    def n_customers(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_items(self) -> int:
        return self.matrix.shape[1]


def interactions(customer_codes: np.ndarray, item_codes: np.ndarray, amounts: np.ndarray | None,
                 customers: list, items: list) -> Interactions:
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
    return Interactions(m.astype(np.float64), customers, items)


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
    similarity: sp.csr_matrix  # items x items, row i = neighbours of item i, no diagonal
    buyers: np.ndarray  # distinct customers per item
    popular: np.ndarray  # item indices, most popular first
    co_counts: sp.csr_matrix  # items x items, customers who bought both (same pattern as X'X)


def fit(data: Interactions, options: RecommendOptions = RecommendOptions()) -> ItemModel:
    """Item similarities and popularity from the purchases."""
    if options.weighting not in ("bm25", "tfidf", "none", "rp3"):
        raise ParameterError(f"{{param}}={options.weighting!r} is not a weighting; use rp3, "
                             "bm25, tfidf or none.", param="weighting")
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
    if options.weighting == "rp3":
        sim = _rp3(binary, bt, buyers, options.beta)
    else:
        sim = _cosine(_weighted(x, options.weighting))
    return ItemModel(data, _top_per_row(sim, options.neighbours), buyers, popular, co)


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
        key = (sub @ sim).toarray()
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

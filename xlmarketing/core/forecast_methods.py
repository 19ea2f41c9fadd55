"""Members of the forecast ensemble beyond Holt-Winters: ETS by AICc, an ARIMA-like AR, and the
optimised Theta model used on histories without a season.

Both work on the seasonally adjusted series ``z`` and return rolling-origin forecasts
``F[o, h-1]`` (step ``h`` made after seeing ``z[0..o]``) for every origin, like the tracks of
:mod:`.forecast_smoothing`: the parameters are fitted once on the whole history, then the
fitted model is run through the history. numpy only, deterministic, vectorised over a
parameter grid. :mod:`.forecast_members` lists them as members of the ensemble.

* :func:`ets_track` - exponential smoothing with additive errors and no, additive or damped
  trend (ANN, AAN, AAdN in Hyndman's taxonomy), the model chosen by AICc. For each smoothing
  parameter set on a grid, the initial level and slope that minimise the one-step squared
  errors are solved exactly: with additive errors the errors are linear in the initial states,
  so three passes of the recursion (data with zero initial states, and the response to a unit
  initial level and slope) give them by a 2x2 least squares per grid point.
* :func:`ar_track` - an autoregression on the first differences (ARIMA(p,1,0)), with or
  without drift, p = 0..3 and the drift chosen by AICc, fitted by least squares.
* :func:`theta_opt_track` - the optimised Theta models of Fiorucci et al. (2016), OTM and
  DOTM (the static or the expanding least-squares line), the one with the lower SSE; theta,
  alpha and the initial level by least squares over an alpha grid (see :func:`theta_fit`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: The ETS grid (beta as a fraction of alpha). A finer grid (13 x 5 x 4) forecast no better
#: on M1 and took 60% longer.
_ALPHA = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 0.99])
_BETA_FRAC = np.array([0.02, 0.1, 0.3])
_PHI = np.array([0.8, 0.9, 0.95, 0.98])


ETS_FORMS = ("N", "A", "Ad")


def _aicc(sse, n: int, k):
    """AICc of Gaussian models with ``k`` parameters (the variance included) and SSE ``sse``;
    infinite where ``n`` leaves no degree of freedom for the correction. Arrays broadcast."""
    two_k, correction = _aicc_penalty(n, tuple(np.ravel(k).tolist()), np.shape(k))
    return n * np.log(np.maximum(sse, 1e-300) / n) + two_k + correction


@lru_cache(maxsize=64)
def _aicc_penalty(n: int, k: tuple, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The terms of :func:`_aicc` that depend on the length and the parameter counts alone
    (cached: a few lengths and count lists recur), added separately in the same order."""
    k = np.asarray(k, dtype=np.float64).reshape(shape)
    dof = n - k - 1
    out = (2 * k, np.where(dof > 0, 2 * k * (k + 1) / np.maximum(dof, 1e-9), np.inf))
    for v in out:
        v.flags.writeable = False
    return out


def _run(y: np.ndarray, a: np.ndarray, b: np.ndarray, ph: np.ndarray, l0, b0) -> np.ndarray:
    """One-step errors (n, G) of the damped-trend recursion, vectorised over the grid."""
    shape = np.broadcast_shapes(np.shape(y)[1:], a.shape, np.shape(l0), np.shape(b0))
    state = np.empty((2,) + shape)
    state[0], state[1] = l0, b0
    gain = np.empty_like(state)
    gain[0], gain[1] = a, b
    return smooth_errors(state, y, gain, ph)


def smooth_errors(state: np.ndarray, y: np.ndarray, gain: np.ndarray, ph) -> np.ndarray:
    """One-step errors of the damped-trend recursion over the rows of ``y``, from ``state``
    (level and slope stacked, updated in place); ``gain``: alpha and beta (stacked likewise),
    ``ph`` the damping. Stacked, one operation updates both states: the same numbers as
    level + alpha * e and phi * slope + beta * e, in 5 array operations a period instead of 7."""
    level, slope = state
    step = np.empty_like(state)
    E = np.empty((len(y),) + state.shape[1:])
    for e, yt in zip(E, y):
        np.multiply(ph, slope, out=slope)        # the damped slope
        level += slope                           # the prediction
        np.subtract(yt, level, out=e)
        np.multiply(gain, e, out=step)
        state += step
    return E


#: Length-only helpers are cached for histories up to this long (where their cost matters
#: next to the fit's); longer ones compute afresh, so the caches stay below ~10 MB in all.
SHORT_N = 128
SHORT_CACHE = 32


def cached_for_short(fn):
    """``fn(..., n, ...)`` memoised (read-only results) when its length argument ``n`` is at
    most :data:`SHORT_N`: an unbounded length would let a bounded entry count hold megabytes."""
    memo = lru_cache(maxsize=SHORT_CACHE)(fn)

    def call(*args):
        n = max(a for a in args if isinstance(a, (int, np.integer)))
        return memo(*args) if n <= SHORT_N else fn(*args)
    call.__wrapped__ = fn
    call.__doc__ = fn.__doc__
    return call


@lru_cache(maxsize=4)
def _grid(forms: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """Smoothing parameters of the model forms, one grid, and each point's parameter count."""
    a, b, ph, k, form = [], [], [], [], []
    for f in forms:
        if f == "N":
            A, Bf, P = _ALPHA, np.zeros_like(_ALPHA), np.zeros_like(_ALPHA)
        else:
            A, Bf, P = (g.ravel() for g in np.meshgrid(
                _ALPHA, _BETA_FRAC, _PHI if f == "Ad" else [1.0], indexing="ij"))
        a.append(A)
        b.append(A * Bf)
        ph.append(P)
        k.append(np.full(A.size, {"N": 3, "A": 5, "Ad": 6}[f]))   # smoothing, initial, sigma
        form.append(np.full(A.size, f))
    return tuple(np.concatenate(v) for v in (a, b, ph, k, form))


@cached_for_short
def _unit_response(forms: tuple[str, ...], n: int) -> tuple[np.ndarray, ...]:
    """One-step errors of no data from a unit initial level and from a unit initial slope,
    their cross products, and which grid points have a solvable 2x2 system (with safe
    divisors): they depend on the grid and the length only, so they are cached."""
    a, b, ph, _, _ = _grid(forms)
    E = _run(np.zeros((n, 2, 1)), a, b, ph, np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]))
    El, Eb = np.ascontiguousarray(E[:, 0]), np.ascontiguousarray(E[:, 1])
    s11, s12, s22 = np.sum(El * El, 0), np.sum(El * Eb, 0), np.sum(Eb * Eb, 0)
    det = s11 * s22 - s12 * s12
    ok = (_grid(forms)[4] != "N") & (np.abs(det) > 1e-12 * np.maximum(s11 * s22, 1e-300))
    out = (El, Eb, s11, s12, s22, ok, np.where(ok, det, 1.0), np.where(s11 > 0, s11, 1.0))
    for v in out:
        v.flags.writeable = False
    return out


def _ets_forms(n: int) -> tuple[str, ...]:
    """The ETS forms tried on ``n`` periods (the damped trend from 8 on)."""
    return tuple(f for f in ETS_FORMS if n >= 8 or f != "Ad")


def ets_fit(z: np.ndarray, E0: np.ndarray | None = None) -> dict:
    """The ETS(A, N/A/Ad, N) model with the lowest AICc: parameters and initial states.

    One pass of the recursion over the whole grid and three inputs at once: the data with
    zero initial states, and no data with a unit initial level or slope. The one-step errors
    are ``E0 + l0 * El + b0 * Eb``, so the best initial states solve a 2x2 least squares.
    ``E0``: the data's errors from zero initial states, when run already
    (:func:`ets_errors_with`).
    """
    z = np.asarray(z, dtype=np.float64)
    n = len(z)
    forms = _ets_forms(n)
    a, b, ph, k, form = _grid(forms)
    if E0 is None:
        E0 = _run(z[:, None], a, b, ph, 0.0, 0.0)
    El, Eb, s11, s12, s22, ok, safe, s11_safe = _unit_response(forms, n)
    r1, r2 = -np.sum(E0 * El, 0), -np.sum(E0 * Eb, 0)
    l0 = np.where(ok, (s22 * r1 - s12 * r2) / safe, r1 / s11_safe)
    b0 = np.where(ok, (s11 * r2 - s12 * r1) / safe, 0.0)
    sse = np.sum((E0 + l0 * El + b0 * Eb) ** 2, axis=0)
    aicc = _aicc(sse, n, k)
    j = int(np.argmin(aicc))
    return {"aicc": float(aicc[j]), "trend": str(form[j]), "alpha": float(a[j]),
            "beta": float(b[j]), "phi": float(ph[j]), "l0": float(l0[j]), "b0": float(b0[j]),
            "sse": float(sse[j])}


def ets_errors_with(z: np.ndarray, state: np.ndarray, gain: np.ndarray, ph: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The data's one-step errors over the ETS grid from zero initial states (what
    :func:`ets_fit` runs) and, in the same pass, those of another grid of the same recursion
    (see :func:`smooth_errors`) started at period 0 from ``state``, for periods 1 on.
    One pass over both grids costs little more than one over either (the per-period cost is
    numpy's call overhead), and every number is the one the separate runs give."""
    z = np.asarray(z, dtype=np.float64)
    a, b, ph_ets, _, _ = _grid(_ets_forms(len(z)))
    G = a.size
    joint = np.empty((2, G + state.shape[1]))
    joint[:, :G] = 0.0
    joint[:, G:] = state
    gains = np.concatenate([np.stack([a, b]), gain], axis=1)
    first = smooth_errors(joint[:, :G], z[:1], gains[:, :G], ph_ets)   # ETS's period 0
    rest = smooth_errors(joint, z[1:], gains, np.concatenate([ph_ets, ph]))
    return np.concatenate([first, rest[:, :G]]), rest[:, G:]


def ets_track(z: np.ndarray, H: int, E0: np.ndarray | None = None) -> np.ndarray:
    """Rolling-origin forecasts of the ETS model chosen by AICc (see :func:`ets_fit`)."""
    p = ets_fit(z, E0)
    a, b, ph = p["alpha"], p["beta"], p["phi"]
    level, slope = p["l0"], p["b0"]
    L, B = [], []
    for zt in np.asarray(z, dtype=np.float64).tolist():
        # the recursion of _run for one parameter set, in plain floats (no array overhead)
        pred = level + ph * slope
        e = zt - pred
        level = pred + a * e
        slope = ph * slope + b * e
        L.append(level)
        B.append(slope)
    cum = np.cumsum(ph ** np.arange(1, H + 1)) if p["trend"] != "N" else np.zeros(H)
    return np.array(L)[:, None] + np.array(B)[:, None] * cum[None, :]


def _stationary(phi: np.ndarray) -> bool:
    """All roots of the AR polynomial well outside the unit circle (forecasts that settle)."""
    if phi.size == 0:
        return True
    if phi.size == 1:
        return abs(float(phi[0])) < 0.98
    comp = np.zeros((phi.size, phi.size))
    comp[0] = phi
    comp[np.arange(1, phi.size), np.arange(phi.size - 1)] = 1.0
    return bool(np.max(np.abs(np.linalg.eigvals(comp))) < 0.98)


def ar_fit(z: np.ndarray, max_p: int = 3) -> tuple[np.ndarray, float, int]:
    """AR(p) on the first differences, with or without a drift term, by AICc.

    Returns (AR coefficients, drift constant, p); p = 0 without drift is the random walk.
    Every order is fitted on the same observations (so their AICc compare), all from one
    cross-product matrix of the drift column and the lags.
    """
    return ar_by_aicc(np.diff(np.asarray(z, dtype=np.float64)), max_p)


def ar_by_aicc(d: np.ndarray, max_p: int) -> tuple[np.ndarray, float, int]:
    """AR(p) on ``d`` itself, p <= max_p, with or without a constant, by AICc (see ar_fit)."""
    P = min(max_p, max((d.size - 4) // 3, 0))
    start = P
    if d.size - start < 3:
        return np.zeros(0), float(np.mean(d)) if d.size else 0.0, 0
    target = d[start:]
    N = target.size
    D = np.empty((N, P + 1))                   # the drift column and the lags
    D[:, 0] = 1.0
    for i in range(1, P + 1):
        D[:, i] = d[start - i:d.size - i]
    G, g, yy = D.T @ D, D.T @ target, float(target @ target)
    best = (np.zeros(0), 0.0, 0, np.inf)
    # the normal equations of each (p, drift), solved together by size (the same solutions)
    coefs: dict[tuple[int, bool], np.ndarray] = {}
    systems, identity = _ar_systems(P)
    # one call: each system padded to the largest size with an identity block (the padding
    # neither pivots nor changes the leading block's elimination)
    size = P + 1
    M = identity.copy()
    r = np.zeros((len(systems), size, 1))
    for i, (p, lo) in enumerate(systems):
        m = p + 1 - lo
        M[i, :m, :m] = G[lo:p + 1, lo:p + 1]
        r[i, :m, 0] = g[lo:p + 1]
    try:
        sol = np.linalg.solve(M, r)[..., 0]
        for i, (p, lo) in enumerate(systems):
            coefs[p, lo == 0] = sol[i, :p + 1 - lo]
    except np.linalg.LinAlgError:              # one by one, leaving the singular one out
        for p, lo in systems:
            try:
                coefs[p, lo == 0] = np.linalg.solve(G[lo:p + 1, lo:p + 1], g[lo:p + 1])
            except np.linalg.LinAlgError:
                pass                           # a lag that repeats another (constant data)
    fits = []                                  # (p, drift, coef, sse, k) of each order
    for p in range(P + 1):
        for drift in (False, True):
            lo = 0 if drift else 1
            if p + 1 > lo:
                if (p, drift) not in coefs:
                    continue
                coef = coefs[p, drift]
                sse = yy - float(coef @ g[lo:p + 1])
            else:
                coef, sse = np.zeros(0), yy
            fits.append((p, drift, coef, sse, p + 2 - lo))
    aiccs = _aicc(np.array([f[3] for f in fits]), N, [f[4] for f in fits]).tolist()
    for (p, drift, coef, _, _), aicc in zip(fits, aiccs):
        if aicc >= best[3]:
            continue
        phi = coef[1:] if drift else coef
        if _stationary(phi):                   # else the forecast would explode
            best = (phi, float(coef[0]) if drift else 0.0, p, aicc)
    return best[:3]


@lru_cache(maxsize=8)
def _ar_systems(P: int) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The (order, first column) of each AR system up to order ``P`` and a stack of identity
    matrices of the largest size, one per system, to pad them with (built once per ``P``)."""
    systems = [(p, lo) for p in range(P + 1) for lo in (1, 0) if p + 1 > lo]
    identity = np.zeros((len(systems), P + 1, P + 1))
    identity[:, np.arange(P + 1), np.arange(P + 1)] = 1.0
    identity.flags.writeable = False
    return systems, identity


def ar_track(z: np.ndarray, H: int) -> np.ndarray:
    """Rolling-origin forecasts of ARIMA(p,1,0) with drift (see :func:`ar_fit`)."""
    z = np.asarray(z, dtype=np.float64)
    n = len(z)
    phi, c, p = ar_fit(z)
    d = np.concatenate([np.zeros(max(p, 1)), np.diff(z)])            # d[off + k - 1] = z[k] - z[k-1]
    off = max(p, 1)
    # lagged differences known at each origin o: d_o, d_{o-1}, ... (zeros before the start)
    lags = np.column_stack([d[off - 1 + np.arange(n) - i] for i in range(p)]) if p else \
        np.zeros((n, 0))
    lags[:1] = 0.0                                        # origin 0 has no difference yet
    F = np.empty((n, H))
    level = z.copy()
    for h in range(H):
        step = c + lags @ phi if p else c                 # the drift alone, as a scalar
        level = level + step
        F[:, h] = level
        if p:                                             # the step becomes the first lag
            new = np.empty_like(lags)
            new[:, 0] = step
            new[:, 1:] = lags[:, :-1]
            lags = new
    return F



# --------------------------------------------------------------------------- optimised Theta

#: Smoothing parameters tried by the optimised Theta (Fiorucci et al. bound alpha to 0.1-0.99).
_THETA_ALPHA = np.r_[np.arange(0.1, 0.951, 0.05), 0.99]

#: The first one-step errors left out of the Theta fit (the expanding line needs a few points).
_THETA_BURN = 3

#: A tiny ridge pulling the initial level towards the first value: with alpha near 1 the data
#: hardly determine it (its weight decays as (1 - alpha)^t), and an unpinned one could be huge.
_THETA_RIDGE = 1e-10


def _expanding_line(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intercept (at time 0) and slope of the least-squares line through z[0..o] against times
    1..o+1, for every origin o (intercept z[0] and slope 0 at the first origin)."""
    t, _, st, ok, den = line_sums(len(z), 1)
    sz, stz = np.cumsum(z), np.cumsum(t * z)
    slope = np.where(ok, (t * stz - st * sz) / den, 0.0)
    return (sz - slope * st) / t, slope


@cached_for_short
def line_sums(n: int, t0: int) -> tuple[np.ndarray, ...]:
    """What the expanding least-squares lines against times t0, t0 + 1, ... take from the
    times alone: the times, the point counts, the times' running sums, where the line is
    determined, and its determinant there (1 elsewhere, a safe divisor). Cached by length."""
    t = np.arange(t0, t0 + n, dtype=np.float64)
    cnt = np.arange(1, n + 1, dtype=np.float64)
    st, stt = np.cumsum(t), np.cumsum(t * t)
    den = cnt * stt - st * st
    ok = den > 0
    out = (t, cnt, st, ok, np.where(ok, den, 1.0))
    for v in out:
        v.flags.writeable = False
    return out


def theta_fit(z: np.ndarray) -> dict:
    """See :func:`_theta_fit` (the fitted parameters alone)."""
    return _theta_fit(z)[0]


@cached_for_short
def _theta_weights(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The weights of the initial level and of the line in the Theta model's one-step
    predictions past the burn-in, and the initial level's cross product (cached by length)."""
    a = _THETA_ALPHA
    t = np.arange(n, dtype=np.float64)[min(_THETA_BURN, n - 2):, None]
    decay = (1 - a) ** t                # weight of the initial level in l_{t-1}
    grow = (1 - (1 - a) ** (t + 1)) / a
    out = (decay, grow, np.sum(decay * decay, 0) + _THETA_RIDGE)
    for v in out:
        v.flags.writeable = False
    return out


def _theta_fit(z: np.ndarray) -> tuple[dict, np.ndarray]:
    """The optimised Theta model (OTM or DOTM of Fiorucci et al. 2016) with the lowest SSE.

    The model: ``mu_t = l_{t-1} + k * (A (1-a)^t + B (1 - (1-a)^(t+1)) / a)``, ``l_t = a z_t +
    (1-a) l_{t-1}``, with ``k = 1 - 1/theta`` (theta = 2, the classic method, is k = 1/2) and
    ``A, B`` the least-squares line through the whole history (OTM) or through z[0..t-1]
    (DOTM, the "dynamic" model). For each ``a`` on a grid the one-step errors are linear in the
    initial level and in ``k``, so both are solved exactly by a 2x2 least squares (k kept in
    [0, 1), i.e. theta >= 1); the (model, a) with the lowest SSE wins, as in AutoTheta.
    Returns the parameters and the fitted model's levels ``l_t``.
    """
    z = np.asarray(z, dtype=np.float64)
    n = len(z)
    a = _THETA_ALPHA
    S = np.empty((n, a.size))          # SES levels from a zero initial level
    level = np.zeros(a.size)
    a1 = 1 - a
    for row, azt in zip(S, np.multiply.outer(z, a)):   # a * z_t + (1 - a) * l_{t-1}
        np.multiply(a1, level, out=row)
        row += azt
        level = row
    sl = slice(min(_THETA_BURN, n - 2), n)
    decay, grow, s11 = _theta_weights(n)
    s0 = sl.start
    prev = S[s0 - 1:n - 1] if s0 > 0 else np.concatenate([np.zeros((1, a.size)), S[:-1]])
    R = z[sl, None] - prev                 # the data less the levels from a zero start
    A, B = _expanding_line(z)
    r1 = (decay * R).sum(0) + _THETA_RIDGE * z[0]
    if s0 > 0:                          # the line through z[0..t-1] (z[0] and 0 at t = 0)
        Ap, Bp = A[s0 - 1:n - 1], B[s0 - 1:n - 1]
    else:
        Ap, Bp = np.concatenate([z[:1], A[:-1]]), np.concatenate([[0.0], B[:-1]])
    # both models at once (the same operations on each): the line's intercept and slope at
    # every period, the whole history's (OTM, row 0) and the one up to it (DOTM, row 1)
    Al, Bl = np.empty((2, n - s0, 1)), np.empty((2, n - s0, 1))
    Al[0], Bl[0] = A[-1], B[-1]
    Al[1, :, 0], Bl[1, :, 0] = Ap, Bp
    D = Al * decay + Bl * grow
    # array methods rather than numpy's functions: the same operations, without the
    # functions' argument handling (which costs more than the sums over 20 values)
    s12, s22, r2 = (decay * D).sum(1), (D * D).sum(1), (D * R).sum(1)
    det = s11 * s22 - s12 * s12
    ok = abs(det) > 1e-12 * np.maximum(s11 * s22, 1e-300)
    k = np.where(ok, (s11 * r2 - s12 * r1) / np.where(ok, det, 1.0), 0.5).clip(0.0, 0.999)
    l0 = (r1 - k * s12) / s11
    sse = ((R - decay * l0[:, None] - D * k[:, None]) ** 2).sum(1)
    best: dict = {"sse": np.inf}
    for i, dynamic in enumerate((False, True)):
        j = int(sse[i].argmin())
        if sse[i, j] < best["sse"]:
            best = {"sse": float(sse[i, j]), "dynamic": dynamic, "alpha": float(a[j]),
                    "k": float(k[i, j]), "l0": float(l0[i, j])}
            jbest = j
    al = best["alpha"]
    return best, S[:, jbest] + (1 - al) ** np.arange(1, n + 1) * best["l0"]


def theta_opt_track(z: np.ndarray, H: int) -> np.ndarray:
    """Rolling-origin forecasts of the optimised Theta model (see :func:`theta_fit`).

    The parameters (a, k, initial level) are fitted once on the whole history, as for the other
    members; the line at origin ``o`` is the one through z[0..o] only (both models), so no
    forecast sees data after its origin. The dynamic model's line keeps absorbing its own
    forecasts over the horizon; the static model's slope is then ``k * B``.
    """
    z = np.asarray(z, dtype=np.float64)
    n = len(z)
    p, L = _theta_fit(z)
    a, k = p["alpha"], p["k"]
    A, B = _expanding_line(z)
    cnt = np.arange(1, n + 1, dtype=np.float64)      # points seen at origin o
    mean = np.cumsum(z) / cnt
    F = np.empty((n, H))
    a1 = 1 - a
    idx = cnt[:, None] + np.arange(H + 2, dtype=np.float64)[None, :]   # i, i + 1, i + 2 per step
    Pw = a1 ** idx[:, :H + 1]
    rest = 1 - Pw[:, 1:]
    dynamic = p["dynamic"]
    if not dynamic:                  # a fixed line: its part of every step at once
        drift = (k * (A[:, None] * Pw[:, :H] + B[:, None] * rest[:, :H] / a)).T
    for h in range(H):
        # step h + 1, made at each origin
        mu = L + (k * (A * Pw[:, h] + B * rest[:, h] / a) if dynamic else drift[h])
        F[:, h] = mu
        L = a * mu + a1 * L
        if dynamic:                                  # the line takes in the forecast
            i, i1, i2 = idx[:, h], idx[:, h + 1], idx[:, h + 2]
            new_mean = (i * mean + mu) / i1
            B = ((i - 1) * B + 6 * (mu - mean) / i1) / i2
            mean = new_mean
            A = mean - B * i2 / 2
    return F

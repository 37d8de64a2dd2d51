"""Statistical dimension of the ℓ₁ descent cone seen through a design: δ(Σ^{1/2}D).

For inputs x ~ N(0, Σ), exact recovery of an s-sparse w* from the active rows is basis pursuit
whose measurement vectors are Σ^{1/2}g: the null-space condition on h becomes one on u = Σ^{1/2}h
with isotropic Gaussian measurements, so the phase transition sits at the statistical dimension
of the transformed descent cone K = Σ^{1/2}D, D = {h : ⟨sign(w*_S), h_S⟩ + ‖h_Sᶜ‖₁ ≤ 0}
(Amelunxen, Lotz, McCoy & Tropp 2014, for Gaussian measurements of any cone). With g ~ N(0, I),

    δ(K) = E‖Π_K(g)‖² = E dist²(g, K°),   K° = Σ^{−1/2}·cone(∂‖w*‖₁),

and cone(∂‖w*‖₁) = {v : v_S = τ·sign(w*_S), ‖v_Sᶜ‖_∞ ≤ τ, τ ≥ 0}. So each Monte Carlo draw is
the least-squares problem min_{v ∈ cone(∂‖w*‖₁)} ‖g − Bv‖², B = Σ^{−1/2}: a projection onto a
cone with a closed-form Euclidean projection (:func:`project_subdifferential_cone`), solved for
all draws at once by accelerated projected gradient. Σ = I gives back δ(s, N)
(:func:`nettrim.suite.theory.statistical_dimension`). The support and signs of w* are drawn
afresh for every draw (uniform support, fair signs), as the sweeps plant them, so the value is
the prediction averaged over planted vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_int, check_matrix, check_scalar
from .theory import crossing


@dataclass(frozen=True)
class ConeDimension:
    """A Monte Carlo estimate of a statistical dimension: ``delta`` ± ``stderr`` (one standard
    error over ``draws`` draws); ``converged`` says whether every draw's projection met the
    tolerance."""

    delta: float
    stderr: float
    draws: int
    converged: bool


def project_subdifferential_cone(U: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row u of U onto {v : v_S = τσ_S, ‖v_Sᶜ‖_∞ ≤ τ, τ ≥ 0}.

    ``signs`` holds σ on S and 0 on Sᶜ, row by row. For a given τ the best v clips u_Sᶜ to
    [−τ, τ]; the best τ ≥ 0 then solves s·τ − ⟨σ, u⟩ + Σ_{j∈Sᶜ}(τ − |u_j|)₊ = 0, a piecewise
    linear equation: with a_(1) ≥ a_(2) ≥ … the sorted |u_Sᶜ| and k of them above τ,
    τ_k = (⟨σ, u⟩ + a_(1) + … + a_(k)) / (s + k), and the right k is the one with
    a_(k) > τ_k ≥ a_(k+1). A negative root means τ = 0 (v = 0).
    """
    on = signs != 0
    s = on.sum(axis=1, keepdims=True)
    c = (signs * U).sum(axis=1, keepdims=True)
    a = -np.sort(-np.where(on, 0.0, np.abs(U)), axis=1)       # |u_Sᶜ| descending, S as 0
    n = a.shape[1]
    k = np.arange(n + 1)
    tau_k = (c + np.concatenate([np.zeros_like(c), np.cumsum(a, axis=1)], axis=1)) / (s + k)
    above = np.concatenate([np.full_like(c, np.inf), a], axis=1)      # a_(k), a_(0) = ∞
    below = np.concatenate([a, np.zeros_like(c)], axis=1)             # a_(k+1), a_(n+1) = 0
    valid = (above > tau_k) & (tau_k >= below)
    # the equation's left side increases in τ, so exactly one k is valid (ties: the first)
    tau = np.take_along_axis(tau_k, valid.argmax(axis=1)[:, None], axis=1)
    tau = np.maximum(tau, 0.0)
    return np.where(on, tau * signs, np.clip(U, -tau, tau))


def _random_signs(rng: np.random.Generator, draws: int, N: int, s: int) -> np.ndarray:
    """``draws`` rows of σ: s uniformly placed ±1 entries, 0 elsewhere."""
    signs = np.zeros((draws, N))
    support = np.argsort(rng.random((draws, N)), axis=1)[:, :s]
    np.put_along_axis(signs, support, rng.choice([-1.0, 1.0], size=(draws, s)), axis=1)
    return signs


def _inverse_sqrt(Sigma: np.ndarray) -> np.ndarray:
    """Σ^{−1/2} of a symmetric positive definite Σ scaled to unit mean eigenvalue (δ does not
    depend on the scale of Σ; the scale keeps the step size and tolerances meaningful)."""
    vals, vecs = np.linalg.eigh(Sigma)
    if vals[0] <= 1e-12 * vals[-1]:
        raise ValueError("Sigma must be positive definite (its smallest eigenvalue is "
                         f"{vals[0]:.3g} against a largest of {vals[-1]:.3g})")
    vals = vals / vals.mean()
    return (vecs / np.sqrt(vals)) @ vecs.T


def design_statistical_dimension(Sigma, s: int, *, draws: int = 400, rng=None,
                                 tol: float = 1e-8, max_iter: int = 200_000,
                                 signs=None) -> ConeDimension:
    """δ(Σ^{1/2}D): the statistical dimension of the ℓ₁ descent cone at a random s-sparse w*
    seen through inputs of second-moment matrix Σ (module docstring).

    Parameters
    ----------
    Sigma : array of shape (N, N)
        Symmetric positive definite second-moment matrix E[xxᵀ] of the inputs.
    s : int
        Sparsity of w*, 0 ≤ s ≤ N.
    draws : int, default 400
        Monte Carlo draws of (g, support, signs).
    rng : numpy Generator or int, optional
    tol : float, default 1e-8
        A draw's projection has converged when its squared distance changes by less than
        tol·N between iterations (checked every 50).
    max_iter : int, default 200000
        FISTA iterations per batch of draws (a rarely active deep neuron's Σ can have
        condition 10⁸ and need ~10⁵).
    signs : array of shape (N,), optional
        sign(w*) of one planted vector (s entries ±1, the rest 0): δ at that w* instead of the
        average over random supports and signs.

    Returns
    -------
    ConeDimension
        ``delta`` (the mean of the draws' squared distances), ``stderr``, ``draws`` and
        ``converged`` (False when any draw reached ``max_iter``: the estimate is then biased
        upwards and must not be reported as a result).
    """
    Sigma = check_matrix(Sigma, "Sigma")
    N = Sigma.shape[0]
    if Sigma.shape != (N, N) or not np.allclose(Sigma, Sigma.T, rtol=1e-10, atol=0):
        raise ValueError(f"Sigma must be a symmetric (N, N) matrix; got shape {Sigma.shape}")
    s = check_int(s, "s", low=0)
    if s > N:
        raise ValueError(f"s must be <= N = {N}; got {s}")
    draws = check_int(draws, "draws", low=2)
    tol = check_scalar(tol, "tol", low=0.0, low_inclusive=False)
    max_iter = check_int(max_iter, "max_iter", low=1)
    rng = np.random.default_rng(rng)
    if signs is not None:
        signs = np.asarray(signs, dtype=float)
        if (signs.shape != (N,) or not np.isin(signs, (-1.0, 0.0, 1.0)).all()
                or np.count_nonzero(signs) != s):
            raise ValueError(f"signs must be a vector of N = {N} entries in {{-1, 0, 1}} with "
                             f"s = {s} nonzeros")
    if s == 0:   # w* = 0: D = {h : ‖h‖₁ ≤ 0} = {0}
        return ConeDimension(0.0, 0.0, draws, True)

    B = _inverse_sqrt(Sigma)
    G = rng.standard_normal((draws, N))
    signs = (_random_signs(rng, draws, N, s) if signs is None
             else np.broadcast_to(signs, (draws, N)))
    dist2, converged = _squared_distances(B, G, signs, tol, max_iter)
    return ConeDimension(float(dist2.mean()), float(dist2.std(ddof=1) / np.sqrt(draws)), draws,
                         bool(converged.all()))


def _squared_distances(B, G, signs, tol, max_iter):
    """dist²(g, B·cone(∂‖w*‖₁)) for each row g of G (σ in the same row of ``signs``), by FISTA
    on ½‖g − Bv‖² over the cone, all rows at once; B symmetric. Also which rows converged.

    The momentum restarts row by row when it points uphill (O'Donoghue & Candès 2015): the
    deep layers' Σ have condition numbers up to 10⁵, where plain FISTA oscillates for tens of
    thousands of iterations and restarting converges linearly."""
    draws, N = G.shape
    BtB = B @ B
    step = 1.0 / np.linalg.eigvalsh(BtB)[-1]
    V = np.zeros((draws, N))
    W, t = V, np.ones((draws, 1))
    BtG = G @ B
    previous = np.full(draws, np.inf)
    converged = np.zeros(draws, dtype=bool)
    for it in range(1, max_iter + 1):
        V_new = project_subdifferential_cone(W - step * (W @ BtB - BtG), signs)
        uphill = np.sum((W - V_new) * (V_new - V), axis=1, keepdims=True) > 0
        t = np.where(uphill, 1.0, t)
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        W = V_new + ((t - 1) / t_new) * (V_new - V)
        V, t = V_new, t_new
        if it % 50 == 0:
            dist2 = np.sum((G - V @ B) ** 2, axis=1)
            converged = np.abs(dist2 - previous) <= tol * N
            if converged.all():
                break
            previous = dist2
    return np.sum((G - V @ B) ** 2, axis=1), converged


def planted_layer_dimensions(net, X: np.ndarray, layer: int, *, draws: int = 200,
                             rng=None) -> list[dict]:
    """Design-aware prediction for every neuron of layer ``layer`` (0-based) of a planted net.

    The layer program's rows are the augmented inputs x̃ = (h, 1) (h the previous layer's
    signal for a sample of X, 1 the bias row) on the neuron's active samples, w*ᵀx̃ > 0. Its
    second-moment matrix Σ = E[x̃x̃ᵀ | w*ᵀx̃ > 0] is estimated from X's samples; inputs that
    are zero on every sample (dead ReLUs of the previous layer) are dropped, as the recovery
    test ignores them. δ = δ(Σ^{1/2}D) at the neuron's own support and signs.

    Parameters
    ----------
    net : Network
        A planted network (biases 0: the bias weight is not in the support).
    X : array of shape (n₀, P)
        Many input samples (a few thousand or more: Σ is estimated from them).
    layer : int
    draws, rng
        As in :func:`design_statistical_dimension`.

    Returns
    -------
    list of dict
        One per live neuron: ``neuron``, ``n_live`` (inputs nonzero on its active rows, bias
        included), ``s`` (support on them), ``q`` (active fraction), ``delta``, ``stderr``,
        ``converged`` and ``p50`` = δ/q, the neuron's predicted 50% sample count.
    """
    rng = np.random.default_rng(rng)
    H = net.forward(X)[layer]
    live = np.abs(H).max(axis=1) > 0
    H = np.vstack([H[live], np.ones(H.shape[1])])
    W = np.vstack([net.weights[layer][live], net.biases[layer]])
    rows = [{"neuron": m, **row} for m in range(W.shape[1])
            if (row := _neuron_dimension(W[:, m], H, draws, rng)) is not None]
    return rows


def _neuron_dimension(w: np.ndarray, X: np.ndarray, draws: int, rng) -> dict | None:
    """δ(Σ^{1/2}D) at w* = w with Σ = E[xxᵀ | wᵀx > 0] estimated from the columns of X, and
    the neuron's active fraction q and p50 = δ/q; None for a neuron active on no sample."""
    active = w @ X > 0
    if not active.any():
        return None                          # a dead neuron: nothing to recover
    Xa = X[:, active]
    Sigma = Xa @ Xa.T / Xa.shape[1]
    signs = np.sign(w)
    # an input that is zero on all of this neuron's active rows meets no equation: the
    # program leaves its weight at 0, so it is out of the cone's space (if w* uses it,
    # the active rows cannot recover that weight, as in the trials)
    seen = np.diag(Sigma) > 1e-12 * np.diag(Sigma).max()
    Sigma, signs = Sigma[np.ix_(seen, seen)], signs[seen]
    s = int(np.count_nonzero(signs))
    est = design_statistical_dimension(Sigma, s, draws=draws, rng=rng, signs=signs)
    q = float(active.mean())
    return {"n_live": len(signs), "s": s, "q": q, "delta": est.delta, "stderr": est.stderr,
            "converged": est.converged, "p50": est.delta / q}


def _network_dimensions(seed_seq, sizes, s, values, sampler, samples, draws) -> pd.DataFrame:
    """Every layer's neuron rows (:func:`planted_layer_dimensions`) for one planted network."""
    from .planted import planted_network

    rng = np.random.default_rng(seed_seq)
    net = planted_network(rng, sizes, s, values=values)
    X = np.asarray(sampler(rng, sizes[0], samples), dtype=float)
    return pd.DataFrame([{"layer": layer + 1, **row} for layer in range(net.n_layers)
                         for row in planted_layer_dimensions(net, X, layer, draws=draws,
                                                             rng=rng)])


def check_design(design) -> None:
    """A deep-recovery config's ``design`` entry (or None: no design-aware prediction),
    checked before a sweep runs; each error names the key.

    Parameters
    ----------
    design : mapping or None
        ``networks`` (≥ 1), ``samples`` and ``draws`` (≥ 2), as
        :func:`planted_network_prediction` takes them.
    """
    if not design:
        return
    for key in ("networks", "samples", "draws"):
        if design.get(key) is None:
            raise ValueError(f"design.{key} must be an integer; got "
                             f"{'nothing' if key not in design else 'null'} (to skip the "
                             f"design-aware prediction, set the whole entry: design=null)")
        check_int(design[key], f"design.{key}", low=2 if key != "networks" else 1)


def planted_network_prediction(sizes, s, sampler, *, values: str = "gaussian",
                               networks: int = 6, samples: int = 20000, draws: int = 100,
                               seed: int = 0, n_jobs: int = 1) -> pd.DataFrame:
    """Design-aware P50 prediction for each layer of a planted network (deep recovery).

    Draws ``networks`` planted networks as the deep-recovery trials do
    (:func:`nettrim.suite.planted.planted_network`), ``samples`` inputs from ``sampler`` for
    each, and computes every live neuron's δ and q (:func:`planted_layer_dimensions`). The
    measured P50 is where the mean fraction of neurons recovered reaches ½, so a layer's
    prediction is where mean_m Pr(Binomial(P, q_m) ≥ δ_m) crosses ½ over its neurons (the rule
    :func:`sampler_dimension` uses for planted w*). Network k uses the k-th child of
    SeedSequence(seed): the result does not depend on ``n_jobs``.

    Returns
    -------
    DataFrame
        One row per layer (1-based): ``neurons`` (live neurons over all networks),
        ``p50_design`` (that crossing), the quartiles of the neurons' own δ/q
        ``p50_design_q1``/``_q3`` (the spread behind a wide transition), the mean
        ``delta`` and ``q``, and ``design_converged`` (every projection converged; an
        estimate that did not must not be reported as a result).
    """
    from joblib import Parallel, delayed

    sizes = [check_int(n, "sizes", low=1) for n in sizes]
    networks = check_int(networks, "networks", low=1)
    samples = check_int(samples, "samples", low=2)
    children = np.random.SeedSequence(check_int(seed, "seed", low=0)).spawn(networks)
    parts = Parallel(n_jobs=n_jobs)(
        delayed(_network_dimensions)(child, sizes, s, values, sampler, samples, draws)
        for child in children)
    rows = pd.concat(parts, ignore_index=True)
    out = rows.groupby("layer").agg(
        neurons=("p50", "size"),
        p50_design_q1=("p50", lambda p: p.quantile(0.25)),
        p50_design_q3=("p50", lambda p: p.quantile(0.75)),
        delta=("delta", "mean"), q=("q", "mean"),
        design_converged=("converged", "all")).reset_index()
    mixture = {layer: _mixture_p50(g["delta"].to_numpy(), g["q"].to_numpy())
               for layer, g in rows.groupby("layer")}
    out.insert(2, "p50_design", out["layer"].map(mixture))
    return out


def sampler_dimension(sampler, N: int, s: int, *, values: str = "gaussian", bias: bool = False,
                      bias_value: float | None = None, vectors: int = 20, draws: int = 20,
                      samples: int = 20000, seed: int = 0) -> dict:
    """Design-aware δ for a single planted neuron with inputs from ``sampler`` (phase transition).

    For each of ``vectors`` planted w* (:func:`nettrim.suite.planted.planted_weights`, with a
    bias row when ``bias``, planted at ``bias_value`` or drawn) the active rows'
    second-moment matrix Σ = E[x̃x̃ᵀ | w*ᵀx̃ > 0] (x̃ = x, or [x; 1] with the bias row) is
    estimated from ``samples`` inputs and δ(Σ^{1/2}D) computed at w*'s signs with ``draws``
    Monte Carlo draws. For a centred, sign-symmetric law without a bias Σ is E[xxᵀ] itself;
    for others the conditioning matters. Vector k uses the k-th child of SeedSequence(seed).

    A sweep's success rate averages the w*'s own curves, and a w* with active fraction q_w
    succeeds about when its |Ω| ~ Binomial(P, q_w) reaches δ_w; so the prediction is where
    mean_w Pr(Binomial(P, q_w) ≥ δ_w) crosses ½ — not mean δ over mean q, which a law whose q_w
    varies with w* (a common mean: q_w = Φ(μ𝟙ᵀw*/‖w*‖)) gets badly wrong. A w* active on none of
    the samples (for a non-negative law, every w* without a positive weight) never succeeds.

    Returns
    -------
    dict
        ``delta`` (mean δ_w over the live vectors), ``delta_se`` (its standard error: Monte
        Carlo noise and the spread over w* together), ``p50`` (the mixture's ½-crossing,
        :func:`_mixture_p50`; +∞ if it never gets there), ``converged`` and ``dead`` (the
        fraction of dead w*; NaN ``delta`` if all are).
    """
    from .planted import planted_weights

    vectors = check_int(vectors, "vectors", low=2)
    samples = check_int(samples, "samples", low=2)
    deltas, qs, converged = [], [], True
    for child in np.random.SeedSequence(check_int(seed, "seed", low=0)).spawn(vectors):
        rng = np.random.default_rng(child)
        w = planted_weights(rng, N, s, 1, values=values, bias=bias, bias_value=bias_value)[:, 0]
        X = np.asarray(sampler(rng, N, samples), dtype=float)
        if bias:
            X = np.vstack([X, np.ones(samples)])
        row = _neuron_dimension(w, X, draws, rng)
        if row is None:     # a dead neuron (e.g. negative weights on non-negative inputs)
            continue
        deltas.append(row["delta"])
        qs.append(row["q"])
        converged &= row["converged"]
    deltas = np.asarray(deltas)
    live = deltas.size
    return {"delta": float(deltas.mean()) if live else np.nan,
            "delta_se": float(deltas.std(ddof=1) / np.sqrt(live)) if live > 1 else np.nan,
            "p50": _mixture_p50(deltas, np.asarray(qs), vectors - live),
            "converged": converged and live > 0, "dead": 1.0 - live / vectors}


def _mixture_p50(deltas: np.ndarray, qs: np.ndarray, dead: int = 0) -> float:
    """Where mean_w Pr(Binomial(P, q_w) ≥ δ_w) first reaches ½ (P on the integers, the
    crossing interpolated in log P), with ``dead`` more w* that never succeed; +∞ if never."""
    from scipy import stats

    n = deltas.size + dead
    if n == 0 or 2 * dead >= n:
        return np.inf
    need = np.ceil(deltas - 1e-9)                          # |Ω| must reach δ_w
    top = int(min(np.max(need / qs) * 4 + 10, 1e6))
    P = np.arange(1, top + 1)
    rate = stats.binom.sf(need[None, :] - 1, P[:, None], qs[None, :]).sum(axis=1) / n
    p50 = crossing(P, rate)
    return p50 if np.isfinite(p50) else np.inf


def with_design_prediction(summary: pd.DataFrame, sampler, *, values: str = "gaussian",
                           bias: bool = False, bias_value: float | None = None,
                           vectors: int = 20, draws: int = 20, samples: int = 20000,
                           seed: int = 0) -> pd.DataFrame:
    """A phase-transition summary (one row per N, s, with ``q_hat`` and ``p50``) with the
    design-aware prediction added: ``delta_design`` ± ``delta_design_se``
    (:func:`sampler_dimension`; ``values``, ``bias``, ``bias_value`` as the trials planted),
    ``design_dead`` (fraction of planted w* that are never active: such trials cannot
    succeed, so the success rate tops out at 1 − that), ``p50_design`` (where the w*'s
    mixture of success curves crosses ½, :func:`sampler_dimension`) and ``ratio_design`` =
    p50/p50_design; NaN where the Monte Carlo did not converge (never a number it cannot
    back)."""
    est = [sampler_dimension(sampler, int(N), int(s), values=values, bias=bias,
                             bias_value=bias_value, vectors=vectors, draws=draws,
                             samples=samples, seed=seed)
           for N, s in zip(summary["N"], summary["s"])]
    ok = np.array([e["converged"] for e in est])
    out = summary.copy()
    out["delta_design"] = np.where(ok, [e["delta"] for e in est], np.nan)
    out["delta_design_se"] = np.where(ok, [e["delta_se"] for e in est], np.nan)
    out["design_dead"] = [e["dead"] for e in est]
    out["p50_design"] = np.where(ok, [e["p50"] for e in est], np.nan)
    out["ratio_design"] = out["p50"] / out["p50_design"]
    return out


__all__ = ["ConeDimension", "design_statistical_dimension", "planted_layer_dimensions",
           "planted_network_prediction", "sampler_dimension", "with_design_prediction"]

"""Statistical dimension of the ℓ₁ descent cone seen through a design: δ(Σ^{1/2}D).

For inputs x ~ N(0, Σ), exact recovery of an s-sparse w* from the active rows is basis pursuit
whose measurement vectors are Σ^{1/2}g: the null-space condition on h becomes one on u = Σ^{1/2}h
with isotropic Gaussian measurements, so the phase transition sits at the statistical dimension
of the transformed descent cone K = Σ^{1/2}D, D = {h : ⟨sign(w*_S), h_S⟩ + ‖h_Sᶜ‖₁ ≤ 0}
(Amelunxen, Lotz, McCoy & Tropp 2014, for Gaussian measurements of any cone). With g ~ N(0, I),

    δ(K) = E‖Π_K(g)‖² = E dist²(g, K°),   K° = Σ^{−1/2}·cone(∂‖w*‖₁),

and cone(∂‖w*‖₁) = {v : v_S = τ·sign(w*_S), ‖v_Sᶜ‖_∞ ≤ τ, τ ≥ 0}. So each Monte Carlo draw is
the least-squares problem min_{v ∈ cone(∂‖w*‖₁)} ‖g − Bv‖², B = Σ^{−1/2}: a projection onto a
cone with a closed-form Euclidean projection (:func:`_project_subdifferential_cone`), solved for
all draws at once by accelerated projected gradient. Σ = I gives back δ(s, N)
(:func:`nettrim.suite.theory.statistical_dimension`). The support and signs of w* are drawn
afresh for every draw (uniform support, fair signs), as the sweeps plant them, so the value is
the prediction averaged over planted vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_matrix, check_scalar


@dataclass(frozen=True)
class ConeDimension:
    """A Monte Carlo estimate of a statistical dimension: ``delta`` ± ``stderr`` (one standard
    error over ``draws`` draws); ``converged`` says whether every draw's projection met the
    tolerance."""

    delta: float
    stderr: float
    draws: int
    converged: bool


def _project_subdifferential_cone(U: np.ndarray, signs: np.ndarray) -> np.ndarray:
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
                                 tol: float = 1e-8, max_iter: int = 20000) -> ConeDimension:
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
    max_iter : int, default 20000

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
    if s == 0:   # w* = 0: D = {h : ‖h‖₁ ≤ 0} = {0}
        return ConeDimension(0.0, 0.0, draws, True)

    B = _inverse_sqrt(Sigma)
    G = rng.standard_normal((draws, N))
    signs = _random_signs(rng, draws, N, s)
    dist2, converged = _squared_distances(B, G, signs, tol, max_iter)
    return ConeDimension(float(dist2.mean()), float(dist2.std(ddof=1) / np.sqrt(draws)), draws,
                         bool(converged.all()))


def _squared_distances(B, G, signs, tol, max_iter):
    """dist²(g, B·cone(∂‖w*‖₁)) for each row g of G (σ in the same row of ``signs``), by FISTA
    on ½‖g − Bv‖² over the cone, all rows at once; B symmetric. Also which rows converged."""
    draws, N = G.shape
    BtB = B @ B
    step = 1.0 / np.linalg.eigvalsh(BtB)[-1]
    V = np.zeros((draws, N))
    W, t = V, 1.0
    BtG = G @ B
    previous = np.full(draws, np.inf)
    converged = np.zeros(draws, dtype=bool)
    for it in range(1, max_iter + 1):
        V_new = _project_subdifferential_cone(W - step * (W @ BtB - BtG), signs)
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


__all__ = ["ConeDimension", "design_statistical_dimension"]

"""ADMM for the Net-Trim layer program (the paper's splitting, with adaptive ρ).

Write the program as  min ‖W2‖₁ + 1_C(W1)  s.t.  W1 = W3ᵀX,  W2 = W3,  i.e. the standard form
min f(x) + g(z) s.t. Ax = z with x = W3, z = (W1, W2) and A(W3) = (W3ᵀX, W3).  Scaled ADMM
(Boyd et al. 2011, §3.1) with duals (U1, U2) and over-relaxation α then reads

    W3 ← (XXᵀ + I)⁻¹ [X(W1 − U1)ᵀ + W2 − U2]          (ρ cancels: factorise once)
    Ŵ  ← α·A(W3) + (1 − α)·(W1, W2)
    W1 ← Π_C(Ŵ1 + U1)                                  (ball on Ω, clip at V on Ωᶜ)
    W2 ← S_{1/ρ}(Ŵ2 + U2)                              (soft threshold)
    U  ← U + Ŵ − (W1, W2)

Residuals:  r = A(W3) − (W1, W2)  (primal),  s = ρAᵀ(Δ(W1, W2)) = ρ(XΔW1ᵀ + ΔW2)  (dual).
We keep XW1ᵀ and XU1ᵀ (both N×M) up to date so that an iteration costs two N·M·P products
(W3ᵀX and XW1ᵀ): the x-update's right-hand side and the dual residual come for free, and
XZᵀ = (XXᵀ)W3 uses the Gram matrix (N²M) when N ≤ P.  The data are first equilibrated (X, Y,
V, ε divided by the rms singular value of X, which leaves the solutions unchanged); ρ then adapts
by residual balancing and the scaled duals are rescaled with it.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from .._validation import check_int, check_matrix, check_scalar
from ..problem import LayerProblem
from .base import SolverResult, register


class _GramSolve:
    """Solves (XXᵀ + I) W = R with one Cholesky factorisation.

    When P < N, the P×P Woodbury form (I + XXᵀ)⁻¹ = I − X(I + XᵀX)⁻¹Xᵀ is cheaper.
    """

    def __init__(self, X: np.ndarray):
        N, P = X.shape
        self.woodbury = P < N
        if self.woodbury:
            self.X = X
            self.chol = cho_factor(X.T @ X + np.eye(P))
        else:
            self.chol = cho_factor(X @ X.T + np.eye(N))

    def __call__(self, R: np.ndarray) -> np.ndarray:
        if self.woodbury:
            return R - self.X @ cho_solve(self.chol, self.X.T @ R)
        return cho_solve(self.chol, R)


def _ratio(a: float, b: float) -> float:
    """a/b, with 0/0 = 0 and a/0 = inf (a residual against a zero scale)."""
    return a / b if b > 0 else (0.0 if a == 0 else np.inf)


def _soft_threshold(V: np.ndarray, t: float) -> np.ndarray:
    return np.sign(V) * np.maximum(np.abs(V) - t, 0.0)


@register("admm")
def solve_admm(problem: LayerProblem, *, rho: float = 1.0, alpha: float = 1.6,
               eps_abs: float = 1e-6, eps_rel: float = 1e-4, max_iter: int = 20000,
               adaptive_rho: bool = True, adapt_every: int = 10, feas_tol: float = 1e-4,
               W0=None) -> SolverResult:
    """Solve a :class:`~nettrim.problem.LayerProblem` by ADMM.

    Parameters
    ----------
    problem : LayerProblem
    rho : float, default 1.0
        Initial penalty ρ (the paper's fixed value); adapted when ``adaptive_rho``.
    alpha : float, default 1.6
        Over-relaxation α ∈ (0, 2); 1 is plain ADMM.
    eps_abs, eps_rel : float
        Absolute and relative tolerances of the residual stopping rule: the primal residual
        r = (W3ᵀX − W1, W3 − W2) passes if ‖r‖ ≤ √(MP+NM)·eps_abs or each block is within
        eps_rel of its own scale (‖W1‖, ‖W2‖); the dual residual s passes if
        ‖s‖ ≤ √(NM)·eps_abs or ‖s‖ ≤ eps_rel·ρ·max(‖XU1ᵀ‖, ‖U2‖).
    feas_tol : float, default 1e-4
        When the residuals pass, the returned W2 must also be feasible to this relative
        tolerance (see :meth:`LayerProblem.report`); otherwise iterations go on.
    max_iter : int, default 20000
        Iteration cap; reaching it gives status ``"max_iter"``.
    adaptive_rho : bool, default True
        Residual balancing: multiply ρ by √(‖r‖/‖s‖) when that factor is outside [1/5, 5]
        (the problem is equilibrated first, so raw norms are comparable). Checked every
        ``adapt_every`` iterations at first; each change doubles the wait before the next, so
        ρ settles and the fixed-ρ convergence guarantee applies.
    W0 : array of shape (N, M), optional
        Warm start for W3 (and W2).

    Returns
    -------
    SolverResult
        ``W`` is the soft-thresholded (exactly sparse) iterate W2; ``info`` holds
        ``iterations``, ``time``, ``primal_residual``, ``dual_residual``, ``rho``.
    """
    rho = check_scalar(rho, "rho", low=0.0, low_inclusive=False)
    alpha = check_scalar(alpha, "alpha", low=0.0, low_inclusive=False, high=2.0,
                         high_inclusive=False)
    eps_abs = check_scalar(eps_abs, "eps_abs", low=0.0)
    eps_rel = check_scalar(eps_rel, "eps_rel", low=0.0)
    max_iter = check_int(max_iter, "max_iter", low=1)
    feas_tol = check_scalar(feas_tol, "feas_tol", low=0.0)
    adapt_every = check_int(adapt_every, "adapt_every", low=1)

    t0 = time.perf_counter()
    # Equilibrate: divide X, Y, V, ε by the rms singular value of X (same solutions U), so that
    # the W3ᵀX and W3 blocks of the residual have comparable scales and one ρ suits both.
    problem = problem.rescaled(np.linalg.norm(problem.X) / np.sqrt(problem.N))
    X = problem.X
    N, M, P = problem.N, problem.M, problem.P
    gram_solve = _GramSolve(X)
    G = X @ X.T if N <= P else None

    if W0 is None:
        W3 = np.zeros((N, M))
    else:
        W3 = check_matrix(W0, "W0")
        if W3.shape != (N, M):
            raise ValueError(f"W0 must have shape (N, M) = ({N}, {M}); got {W3.shape}")
    W1 = problem.project(W3.T @ X)
    W2 = W3.copy()
    U1 = np.zeros((M, P))
    U2 = np.zeros((N, M))
    XW1 = X @ W1.T
    XU1 = np.zeros((N, M))

    sq_pri = np.sqrt(M * P + N * M) * eps_abs
    sq_dual = np.sqrt(N * M) * eps_abs
    interval = next_adapt = adapt_every
    status, k, r, s = "max_iter", 0, np.inf, np.inf
    for k in range(1, max_iter + 1):
        W3 = gram_solve(XW1 - XU1 + W2 - U2)
        Z = W3.T @ X
        XZ = G @ W3 if G is not None else X @ Z.T

        Z_hat = alpha * Z + (1 - alpha) * W1
        XZ_hat = alpha * XZ + (1 - alpha) * XW1
        W3_hat = alpha * W3 + (1 - alpha) * W2

        XW1_old, W2_old = XW1, W2
        W1 = problem.project(Z_hat + U1)
        XW1 = X @ W1.T
        W2 = _soft_threshold(W3_hat + U2, 1.0 / rho)
        U1 += Z_hat - W1
        XU1 += XZ_hat - XW1
        U2 += W3_hat - W2

        r1, r2 = np.linalg.norm(Z - W1), np.linalg.norm(W3 - W2)
        r = np.hypot(r1, r2)
        s = rho * np.linalg.norm(XW1 - XW1_old + W2 - W2_old)
        # Each primal block is measured against its own scale (‖Y‖ for W1 = W3ᵀX, ‖W‖ for
        # W2 = W3): a pooled scale lets the large block hide a loose small one.
        rel_r = max(_ratio(r1, np.linalg.norm(W1)), _ratio(r2, np.linalg.norm(W2)))
        # f ≡ 0 forces ‖ρAᵀu‖ = ‖s‖ exactly, so Boyd's relative scale ‖ρAᵀu‖ is useless here;
        # use the size of the two terms that cancel in Aᵀy = XY1ᵀ + Y2 = 0 instead.
        rel_s = _ratio(s, rho * max(np.linalg.norm(XU1), np.linalg.norm(U2)))
        if (r <= sq_pri or rel_r <= eps_rel) and (s <= sq_dual or rel_s <= eps_rel):
            if problem.report(W2, rtol=feas_tol).feasible:
                status = "converged"
                break

        if adaptive_rho and k >= next_adapt and r > 0 and s > 0:
            next_adapt = k + interval
            factor = np.sqrt(r / s)
            if not 0.2 <= factor <= 5.0:
                new_rho = float(np.clip(rho * factor, 1e-8, 1e8))
                # scaled duals are y/ρ: keep y fixed
                U1 *= rho / new_rho
                U2 *= rho / new_rho
                rho = new_rho
                # ADMM converges for any fixed ρ; changing it ever less often keeps that
                interval *= 2
                XU1 = X @ U1.T  # also resets round-off drift of the running product

    info = {
        "solver": "admm",
        "iterations": k,
        "time": time.perf_counter() - t0,
        "primal_residual": float(r),
        "dual_residual": float(s),
        "rho": rho,
    }
    return SolverResult(W=W2, status=status, info=info)

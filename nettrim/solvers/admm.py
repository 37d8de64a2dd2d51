"""ADMM for the Net-Trim layer program, with a certified stop and gap-balanced ρ.

Write the program as  min ‖W2‖₁ + 1_C(W1)  s.t.  W1 = W3ᵀX,  W2 = W3,  i.e. the standard form
min f(x) + g(z) s.t. Ax = z with x = W3, z = (W1, W2) and A(W3) = (W3ᵀX, W3).  Scaled ADMM
(Boyd et al. 2011, §3.1) with duals (U1, U2) and over-relaxation α then reads

    W3 ← (XXᵀ + I)⁻¹ [X(W1 − U1)ᵀ + W2 − U2]          (ρ cancels: factorise once)
    Ŵ  ← α·A(W3) + (1 − α)·(W1, W2)
    W1 ← Π_C(Ŵ1 + U1)                                  (ball on Ω, clip at V on Ωᶜ)
    W2 ← S_{1/ρ}(Ŵ2 + U2)                              (soft threshold)
    U  ← U + Ŵ − (W1, W2)

When N ≤ P (the *primal* form) we keep XW1ᵀ and XU1ᵀ (both N×M) up to date so that an
iteration costs two N·M·P products (W3ᵀX and XW1ᵀ); XZᵀ = (XXᵀ)W3 costs nothing, since
(XXᵀ + I)W3 = R gives XXᵀW3 = R − W3; (XXᵀ + I)⁻¹ is formed once, so the W3 update is one
N²M product. When P < N (the *kernel* form, ``_GramSolve.kernel_step``) the Woodbury
identity gives W3 and W3ᵀX from two N·M·P products and one P²M, with no running product.
The data are first equilibrated (X, Y, V, ε divided so that ‖X‖²_F = max(N, P)·gram_scale;
same solutions).

*Stopping.* Residual tests (‖r‖, ‖s‖ small) turned out to be poor proxies here: at a good ρ
the objective is optimal to 1e-5 long before the dual residual is small, and at a bad ρ the
residuals balance while ‖W2‖₁ crawls.  So every ``check_every`` iterations we test what the
user wants directly: the returned W2 is feasible (:meth:`LayerProblem.infeasibility` ≤
``feas_tol``) and its objective is within ``gap_tol`` of the dual bound
d(ρU1) (:meth:`LayerProblem.dual_objective`), i.e. *certified* within ``gap_tol`` of optimal.

*Penalty.* Large ρ buys feasibility, small ρ buys a good multiplier (a small gap).  ρ adapts
by balancing those two stopping quantities, each against its tolerance: ρ is multiplied by
√(primal/f ÷ gap/gap_tol) when that factor is outside [1/5, 5] — [1/2, 2] when only one of
the two is met (``RHO_BAND``, ``RHO_SPLIT_BAND``) — capped at 10×, with
f = min(feas_tol, ``RHO_FEAS_AIM``) and
primal = max(infeasibility of W2, ‖W3ᵀX − W1‖/‖W1‖, ‖W3 − W2‖/‖W2‖),
with the wait between changes doubling so that ρ settles and the fixed-ρ convergence theory
applies.  On eight test layers (planted dense/sparse, trained, moons, a linear last layer,
ε = 0) this came within 1.5× of the hindsight-best fixed ρ (better on three), where residual
balancing settled at ρ ≈ 5 and needed 5–15× more iterations (measured with the earlier
common-scale dual bound; the per-neuron scaling and then the best row scaling of the layer
form only shortened the runs, and so did the narrower band when one quantity is met: see
results/solver_benchmark/README.md).

*Precision.*  The two N·M·P products run at twice the speed in float32, and at the default
tolerances (gap 1e-3, feasibility 1e-4) float32 rounding costs no iterations on the benchmark
layers; so ``precision="auto"`` keeps the M×P side (Z = W3ᵀX, the projection, U1) in float32
and everything else (the N×M state, the Gram solve, the certificate) in float64.  Two sums
over P had to be kept out of float32: XW1ᵀ is updated by increments X(W1 − W1_old)ᵀ, whose
rounding is relative to the shrinking step, and X·U1ᵀ is recomputed at each test; rounded
directly they stalled a trained layer's gap at 1.3e-3.  The Gram solve is the same kind of
sum: a float32 inverse took four times the iterations on MNIST layer 1; but between tests W3
moves by (XXᵀ + I)⁻¹(R − R_old), that product in float32 (its rounding relative to the step),
and each test solves it afresh in float64 (the same 200 iterations there, the N²M product
at twice the speed).  The kernel form keeps no running
product and runs its three products (two N·M·P, one P²M with K, whose eigenvalues lie in
(0, 1]) in float32 too: on LeNet's FC1 at P = 1,000 that took 510 iterations, as float64 did
(the PyTorch solver in float32, an exploratory run; then this loop: 49.1 s against 90.0 s).
Tighter tolerances run in float64 throughout, and a float32 run that stops making progress
while its iterate moves no more than float32 rounding would goes on in float64
(``info["promoted_at"]``; a slow plateau that still moves waits four times as long).  Each
test first estimates the certificate in float32; the float64 one runs only where the estimate
is within ``SCREEN_MARGIN`` of the tolerances, and a result is "converged" only when that
float64 certificate of the returned W2 says so.

*Kernels.*  Between the products an iteration updates a dozen arrays elementwise; numpy
spends a memory pass on each operation, and on MNIST layer 1 those passes took a third of the
solve. With numba installed (``kernels="auto"``) they run as five fused loops
(:mod:`nettrim.solvers.admm_fused`), the same arithmetic to round-off.

*Bias repair.* On a layer with a bias at ε > 0 the iterate's objective is often certified long
before the iterate is feasible: on MNIST layer 1 (P = 1,000, gain 0.04) the gap was below
1e-3 by iteration ~190, while the last ReLU inequalities of Ωᶜ (a max over M·P entries)
took until 280 to come within 1e-4. A constant input moves a neuron's whole row of WᵀX, so
at each test whose W2 is within ``REPAIR_REACH`` of ``feas_tol`` each neuron's bias is moved
by the least that meets the inequalities and the ball to ``REPAIR_AIM``·feas_tol
(:func:`bias_repair`, O(MP) work from the test's own WᵀX); that W2 goes through the same
certificate with the same multiplier, and the ρ rule balances the gap against its
infeasibility. The returned W is then certified as before, and sits near the edge of the
feasibility tolerance rather than inside it.

*Pattern solve.* Once the iterate's support holds between two tests, the program restricted to
the pattern it points at (support, signs, active inequalities) has a closed-form solution up
to one scalar (``_pattern_solve``); a few active-set corrections fix a near-miss guess
(``_polish``).  Its answer goes through the same certificate and, when it passes, is the
optimum to round-off.  For ε = 0 this is what decides exact-recovery trials near the phase
transition, where the certificate alone can take 50,000 iterations.  Its flops are capped at a
share of the iterations' (``POLISH_SHARE``), so dense solutions, where it costs |S|²·P per
neuron, mostly skip it.
"""

from __future__ import annotations

import functools
import time

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from .._validation import check_bool, check_int, check_matrix, check_scalar
from ..problem import LayerProblem
from . import admm_fused
from .base import Solver, SolverResult, signature_defaults


class _GramSolve:
    """Solves (XXᵀ + I) W3 = R, R = XAᵀ + B, the ADMM's W3 update.

    For N ≤ P (the *primal* form) by the explicit inverse, formed once from a Cholesky
    factorisation: one N²M product per iteration runs at BLAS-3 speed, where two triangular
    solves take about twice as long; XXᵀ + I has eigenvalues ≥ 1, so the inverse is as
    accurate as the solves. The caller forms R from running products XW1ᵀ and XU1ᵀ.

    When P < N (the *kernel* form) the P×P Woodbury form (I + XXᵀ)⁻¹ = I − X·K·Xᵀ,
    K = (I + XᵀX)⁻¹, is cheaper, and it needs no running product: with E = Aᵀ − XᵀB and
    C = K·E, and since K·XᵀX = I − K,

        W3 = B + X·C,        W3ᵀX = A − Cᵀ,

    two N·M·P products and one P²M per iteration, where forming R and W3ᵀX would take three
    N·M·P (on LeNet's FC1, 3,137·512 at P = 2,000, the third was a sixth of the iteration).
    K is explicit too: the triangular solves took a third of the Gram solve's time there.
    """

    def __init__(self, X: np.ndarray):
        N, P = X.shape
        self.kernel = P < N
        n = P if self.kernel else N
        gram = X.T @ X if self.kernel else X @ X.T
        self.inverse = cho_solve(cho_factor(gram + np.eye(n)), np.eye(n))
        self.X = X
        self._rounded = None

    def __call__(self, R: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """W3 = (XXᵀ + I)⁻¹R, the primal form; written into ``out`` when given."""
        return np.matmul(self.inverse, R, out=out)

    def increment(self, delta: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
        """W3 ← W3 + (XXᵀ + I)⁻¹Δ in place in ``out`` (the primal form), the product in
        ``delta``'s precision (float32, with ``scratch`` an N×M array of it): Δ = R − R_old,
        so the product's rounding is relative to the step, not to W3."""
        inverse = self._operands(delta.dtype)[1]
        return np.add(out, np.matmul(inverse, delta, out=scratch), out=out)

    def kernel_step(self, A: np.ndarray, B: np.ndarray, out: np.ndarray, Z: np.ndarray,
                    work: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
        """W3 into ``out`` (N×M, float64) for R = XAᵀ + B in the kernel form, and W3ᵀX into
        ``Z`` (M×P, returned); ``work`` is M×P scratch. The products run in A's precision:
        for a float32 A (with Z and work float32 too) on float32 copies of X and K, and then
        ``scratch`` is an N×M float32 array (B rounded, then X·C).

        Kept in the M×P orientation (Eᵀ, Cᵀ): BLAS takes the transposes for free, so no
        array is copied into another layout."""
        X, K = self._operands(A.dtype)
        double = A.dtype == B.dtype
        if not double:
            np.copyto(scratch, B, casting="same_kind")
        Bc = B if double else scratch
        Et = np.matmul(Bc.T, X, out=work)           # BᵀX ...
        np.subtract(A, Et, out=Et)                  # ... Eᵀ = A − BᵀX
        Ct = np.matmul(Et, K, out=Z)                # Cᵀ = EᵀK (K symmetric)
        if double:
            np.matmul(X, Ct.T, out=out)
            out += B
        else:
            np.add(B, np.matmul(X, Ct.T, out=scratch), out=out)
        return np.subtract(A, Ct, out=Ct)

    def _operands(self, dtype):
        """(X, K) in ``dtype``; the float32 copies are made on first use."""
        if dtype == self.X.dtype:
            return self.X, self.inverse
        if self._rounded is None:
            self._rounded = (self.X.astype(dtype), self.inverse.astype(dtype))
        return self._rounded


#: The loosest feasibility the ρ rule balances against the gap.  A looser ``feas_tol`` still
#: stops the run sooner, but aiming ρ at it lowers ρ, and the dual bound then certifies later:
#: on the benchmark's planted sparse layer, feas_tol = 1e-3 took 420 iterations aiming at
#: 1e-3 and 170 aiming at 1e-4 (230 at the default feas_tol = 1e-4).
RHO_FEAS_AIM = 1e-4
#: ρ changes when the balancing factor √(primal/f ÷ gap/gap_tol) leaves [1/b, b]: b = RHO_BAND
#: while the two stopping quantities are both met or both unmet, and RHO_SPLIT_BAND when only
#: one is, since then the imbalance alone holds the run back. With 5 throughout, a trained
#: layer's infeasibility crept down at 0.82× per test for 80 iterations with the gap met. On
#: 28 held-out layers (the benchmark families at N = 200, other seeds and gains) the split band
#: took 5,220 iterations in all off the spirals layers and 14,880 on them, where 5 throughout
#: took 6,350 and 25,130 and 2 throughout 5,070 and 18,230; but 2 throughout cost the ε = 0
#: trials of the solver-agreement study 306k iterations against 205k (split: 190k). Exploratory
#: runs, not committed: the figures are in the closing note of issue 16.
RHO_BAND, RHO_SPLIT_BAND = 5.0, 2.0
#: Most of the flops the pattern solves (``polish``) may take, as a share of the iterations'.
POLISH_SHARE = 0.25
#: Rounds of active-set corrections a pattern solve may take, at ε > 0 and at ε = 0: at ε > 0
#: a guess from MNIST layer 1's iterates (160 of 619 inputs per neuron) took 3 to 10 rounds to
#: close, each re-solving only the neurons the last one changed.
POLISH_ROUNDS = {False: 12, True: 3}
#: At ε > 0 a pattern solve is tried once the signs of the iterate moved at no more than this
#: share of its support since the last test (at ε = 0: not at all). On MNIST layer 1 at gain
#: 0.04 the sign changes between tests track the distance to the optimum's pattern (392 and
#: 488 at iteration 120 of 280), and guesses from there closed.
POLISH_CHANGES = 0.01
#: ... and given up after its first round when that round asks for more corrections than this
#: share of the support: there, guesses that closed asked for 0.6–1.3%, and walks from guesses
#: that asked for more than 2% did not close.
POLISH_FAR = 0.02
#: At ε > 0 a layer with a bias (a constant input) gets a *repair* at each test whose W2 is
#: within this factor of ``feas_tol`` (:func:`bias_repair`): on MNIST layer 1 the iterate's
#: objective is certified long before it is feasible, the last tenth of a percent of the ReLU
#: inequalities taking a third of the run.
REPAIR_REACH = 30.0
#: ... aiming at this share of ``feas_tol``: room for the float64 check's round-off.
REPAIR_AIM = 0.9
#: Fixed costs in flop-equivalents (about 30 µs and 60 µs of interpreter work on one core): per
#: neuron of a pattern solve, and per ADMM iteration.
_NEURON_OVERHEAD = 3e5
_ITERATION_OVERHEAD = 6e5


def certificate(problem: LayerProblem, W: np.ndarray, Lam: np.ndarray,
                 feas_tol: float = np.inf, Z: np.ndarray | None = None):
    """(relative gap of ‖W‖₁ to the dual bound d(Λ), infeasibility of W, d(Λ)): W is certified
    when both are within tolerance, whichever way W and Λ were obtained.  When W is more
    infeasible than ``feas_tol`` the dual bound is not computed (gap and d(Λ) are NaN).
    ``Z`` is WᵀX when the caller has it."""
    infeas = problem.infeasibility(W.T @ problem.X if Z is None else Z)
    if infeas > feas_tol:
        return np.nan, infeas, np.nan
    l1 = float(np.abs(W).sum())
    dual = problem.dual_objective(Lam)
    gap = (l1 - dual) / l1 if l1 > 0 else (0.0 if dual >= 0 else np.inf)
    return gap, infeas, dual


def rho_step(primal: float, feas_aim: float, gap: float, gap_tol: float) -> float:
    """The factor ρ is multiplied by at an adaptation test: 1 within the band, else
    √(primal/feas_aim ÷ gap/gap_tol) capped to [0.1, 10] (module docstring, ``RHO_BAND``).

    Raising ρ trades gap for feasibility, so the factor exceeds 1 exactly when the primal side
    is the further from its aim. Both ratios are floored at 1e-3: a run far inside one
    tolerance (or at a negative gap, an infeasible W2 below the optimum) moves ρ by at most
    the cap."""
    factor = np.sqrt(max(primal / feas_aim, 1e-3) / max(gap / gap_tol, 1e-3))
    band = RHO_BAND if (primal <= feas_aim) == (gap <= gap_tol) else RHO_SPLIT_BAND
    return 1.0 if 1 / band <= factor <= band else float(np.clip(factor, 0.1, 10.0))


def residual_ratio(a: float, b: float) -> float:
    """a/b, with 0/0 = 0 and a/0 = inf (a residual against a zero scale)."""
    return a / b if b > 0 else (0.0 if a == 0 else np.inf)


def equilibrate(problem: LayerProblem, gram_scale: float = 1.0) -> tuple[LayerProblem, float]:
    """The program with X, Y, V, ε divided by c so that ‖X‖²_F = gram_scale·max(N, P) (the
    same solutions U), and c.

    One ρ weighs both constraint blocks, W3ᵀX = W1 and W3 = W2. With samples of unit mean norm
    the first block's weight grows with P/N, as the number of equations per unknown does;
    below P = N the rank, not the sample count, limits it, and XXᵀ is held at unit mean
    eigenvalue instead.

    Parameters
    ----------
    problem : LayerProblem
    gram_scale : float, default 1.0

    Returns
    -------
    (LayerProblem, float)
    """
    X_scale = np.linalg.norm(problem.X)
    if X_scale == 0:
        raise ValueError("X is zero: every sample is the zero vector, so UᵀX = 0 for every U "
                         "and the program has no information to prune with")
    scale = X_scale / np.sqrt(max(problem.N, problem.P) * gram_scale)
    return problem.rescaled(scale), scale


def soft_threshold(V: np.ndarray, t: float) -> np.ndarray:
    """The proximal map of t‖·‖₁: sign(V)·max(|V| − t, 0), entrywise.

    Parameters
    ----------
    V : ndarray
    t : float

    Returns
    -------
    ndarray
    """
    # V − clip(V, −t, t): two passes instead of four, and the same numbers (V ∓ t is exact
    # either way; entries within [−t, t] give exact zeros)
    return V - np.clip(V, -t, t)


def bias_repair(problem: LayerProblem, W: np.ndarray, Z: np.ndarray, aim: float):
    """W with each neuron's bias moved so that it is feasible to ``aim``, or None.

    A constant input (the bias row, X's last when ``problem.bias``) shifts a neuron's whole
    row of Z = WᵀX: adding β_m/c to the bias weight (c the constant) adds β_m to z_m. The
    ReLU inequalities on Ωᶜ then hold to ``aim`` for β_m ≤ u_m (minus the worst excess), and
    the ball's residual is ‖r_m‖² + 2β_m·Σ_Ω r_m + β_m²|Ω_m| per neuron, least at β_m =
    −mean_Ω r_m. So take β = β0 + θ(β1 − β0), from the smallest shifts that meet the
    inequalities (β0 = min(0, u)) towards the ball's best ones (β1 = min(u, −mean_Ω r)), with
    the least θ ∈ [0, 1] that meets the ball (a quadratic; one θ per neuron in the per-neuron
    form). ‖W‖₁ moves by Σ|Δbias| at most, a few 1e-5 of it on MNIST layer 1: the repaired W
    goes through the same certificate, with the same dual bound.

    Parameters
    ----------
    problem : LayerProblem
        With ``bias`` (its last row of X constant) and ε > 0.
    W : ndarray of shape (N, M)
    Z : ndarray of shape (M, P)
        WᵀX, in float64.
    aim : float
        The infeasibility (:meth:`LayerProblem.infeasibility`) to reach, e.g. 0.9·feas_tol.

    Returns
    -------
    (W', Z') or None
        None when no such shift meets both constraints.
    """
    c = float(problem.X[-1, 0])
    Y, on = problem.Y, problem.omega
    ymax = float(np.abs(Y).max()) or 1.0
    worst = np.where(on, -np.inf, Z - problem.V).max(axis=1)      # −inf: Ωᶜ empty
    u = aim * ymax - worst
    R = np.subtract(Z, Y)
    R *= problem.on_mask
    total, count, square = R.sum(axis=1), on.sum(axis=1), np.einsum("ij,ij->i", R, R)
    beta0 = np.minimum(0.0, u)
    beta1 = np.minimum(u, -np.divide(total, count, out=np.zeros_like(total), where=count > 0))
    d = beta1 - beta0
    # the ball's residual² along β0 + θd: aθ² + bθ + q0, per neuron
    a, b = d * d * count, 2 * d * (total + beta0 * count)
    q0 = square + 2 * beta0 * total + beta0 ** 2 * count
    radius2 = problem.ball_radius(aim) ** 2
    theta = (_least_root(a, b, q0 - radius2) if problem.per_neuron else
             _least_root(a.sum(), b.sum(), q0.sum() - radius2))
    if theta is None or np.isnan(theta).any():
        return None
    beta = beta0 + theta * d
    W_new = W.copy()
    W_new[-1] += beta / c
    return W_new, Z + beta[:, None]


def _least_root(a, b, q):
    """The least θ ∈ [0, 1] with aθ² + bθ + q ≤ 0 (elementwise; NaN where none), or None when
    a scalar has none: the quadratic is convex (a ≥ 0)."""
    a, b, q = np.atleast_1d(a), np.atleast_1d(b), np.atleast_1d(q)
    theta = np.full(a.shape, np.nan)
    theta[q <= 0] = 0.0
    end = a + b + q <= 0
    todo = (q > 0) & end
    disc = np.maximum(b[todo] ** 2 - 4 * a[todo] * q[todo], 0.0)
    # the smaller root, in the form that does not cancel (q > 0, so b < 0 on this branch)
    theta[todo] = np.minimum(2 * q[todo] / (-b[todo] + np.sqrt(disc)), 1.0)
    if theta.size == 1:
        return None if np.isnan(theta[0]) else float(theta[0])
    return theta


def repairable(problem: LayerProblem) -> bool:
    """Whether :func:`bias_repair` applies: ε > 0 and a constant, nonzero last input (the
    bias). At ε = 0 the answer must meet the equalities, not a ball it could be moved in."""
    if not problem.bias or problem.epsilon == 0:
        return False
    last = problem.X[-1]
    return bool(last[0] != 0 and np.all(last == last[0]))


def repair_at_test(problem: LayerProblem, screen: LayerProblem, W: np.ndarray,
                   Z: np.ndarray, Lam: np.ndarray, dual: float, feas_tol: float,
                   gap_tol: float):
    """(W', gap, infeasibility, dual) of :func:`bias_repair`'s W' at a test that did not
    certify W, or None when no shift makes W feasible.

    The repair is worked out on ``screen`` (``problem`` or its float32 copy), from Z = WᵀX and
    ``dual`` = d(Λ) as the test computed them there (NaN when it did not): no product but the
    dual bound's when it is missing. A float32 estimate within ``SCREEN_MARGIN`` of the gap
    tolerance is then certified on ``problem`` in float64, as at the test itself."""
    found = bias_repair(screen, W, Z, REPAIR_AIM * feas_tol)
    if found is None:
        return None
    W_new, Z_new = found
    infeas = screen.infeasibility(Z_new)
    if infeas > feas_tol:
        return None
    if np.isnan(dual):
        dual = screen.dual_objective(Lam)
    l1 = float(np.abs(W_new).sum())
    gap = (l1 - dual) / l1
    if screen is not problem and gap <= SCREEN_MARGIN * gap_tol:
        gap, infeas, dual = certificate(problem, W_new, Lam)
    return W_new, gap, infeas, dual


def _pattern_solve(problem: LayerProblem, sigma: np.ndarray, active: np.ndarray,
                   Lam: np.ndarray, W: np.ndarray):
    """Solve the program on a fixed pattern: signs σ (N×M, 0 off the support) and active
    inequalities ``active`` (M×P, on Ωᶜ), near the iterate W with multiplier Λ.  Returns
    (W, Λ) or None (the ball cannot be met).

    On the pattern the program is
    min Σ σ_mᵀw_m  s.t.  Σ_m ‖B_m w_m − y_m‖² ≤ ε²,  C_m w_m = v_m  (B = X_{S,Ω}ᵀ, C = X_{S,A}ᵀ),
    whose KKT conditions are linear up to one scalar t = 1/μ (μ the ball's multiplier):
    w = w_ls − t·d, with w_ls the least-squares fit on the pattern and d solving the same KKT
    system with right-hand side σ; r_ls ⊥ B d, so the ball is tight at
    t² = (ε² − Σ‖r_ls‖²)/Σ‖B d‖² (one t per neuron in the per-neuron form).  The multiplier
    Λ_Ω = r/t, Λ_A = ν/t then gives (XΛᵀ)_S = −σ, stationarity on the support.
    ε = 0 is the limit t → 0, handled apart (:func:`_pattern_solve_exact`).
    """
    if problem.epsilon == 0:
        return _pattern_solve_exact(problem, sigma, active, Lam, W)
    # dependent constraints in the guess: least squares (the polish gives up instead)
    parts = [_neuron_pattern(problem, m, sigma[:, m], active[m], lstsq=True)
             for m in range(sigma.shape[1])]
    return _pattern_combine(problem, parts, Lam.shape)


def _neuron_pattern(problem: LayerProblem, m: int, sigma_m: np.ndarray, active_m: np.ndarray,
                    lstsq: bool = False) -> dict | None:
    """Neuron m's part of :func:`_pattern_solve`: the two solutions (w_ls, d) of its KKT
    system on the pattern, and what the ball's scalar t needs of them. A singular system gives
    None, or (``lstsq=True``) its least-squares solution."""
    X = problem.X
    S, on, A = sigma_m != 0, problem.omega[m], active_m
    X_S = X[S]
    B, C = X_S[:, on].T, X_S[:, A].T
    n, n_A = int(S.sum()), len(C)
    K = np.zeros((n + n_A, n + n_A))
    K[:n, :n] = B.T @ B
    K[n:, :n] = C
    K[:n, n:] = C.T
    y = problem.Y[m, on]
    rhs = np.column_stack([np.concatenate([B.T @ y, problem.V[m, A]]),
                           np.concatenate([sigma_m[S], np.zeros(n_A)])])
    try:
        sol = np.linalg.solve(K, rhs)
    except np.linalg.LinAlgError:
        if not lstsq:
            return None
        sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
    r_ls, Bd = B @ sol[:n, 0] - y, B @ sol[:n, 1]
    return {"S": S, "on": on, "A": A, "sol": sol, "r_ls": r_ls, "Bd": Bd,
            "fit": float(r_ls @ r_ls), "step": float(Bd @ Bd)}


def _pattern_combine(problem: LayerProblem, parts: list, shape: tuple):
    """(W, Λ) from every neuron's :func:`_neuron_pattern`: the scalar t that makes the ball
    tight (one per neuron in the per-neuron form), or None when the fits alone leave it."""
    M = len(parts)
    fit = np.array([p["fit"] for p in parts])
    step = np.array([p["step"] for p in parts])
    if problem.per_neuron:
        room = problem.epsilon_m ** 2 - fit
        if (room < 0).any():
            return None
        t = np.sqrt(np.divide(room, step, out=np.zeros(M), where=step > 0))
    else:
        room = problem.epsilon ** 2 - fit.sum()
        if room < 0 or step.sum() == 0:
            return None
        t = np.full(M, np.sqrt(room / step.sum()))
    W_new, Lam_new = np.zeros((problem.N, M)), np.zeros(shape)
    for m, p in enumerate(parts):
        S, sol = p["S"], p["sol"]
        if not S.any() or t[m] == 0:
            continue
        n = int(S.sum())
        W_new[S, m] = sol[:n, 0] - t[m] * sol[:n, 1]
        Lam_new[m, p["on"]] = (p["r_ls"] - t[m] * p["Bd"]) / t[m]
        Lam_new[m, p["A"]] = (sol[n:, 0] - t[m] * sol[n:, 1]) / t[m]
    return W_new, Lam_new


def _pattern_solve_exact(problem: LayerProblem, sigma: np.ndarray, active: np.ndarray,
                         Lam: np.ndarray, W: np.ndarray):
    """ε = 0: each neuron's program is the LP min ‖w‖₁ s.t. X_{S,E}ᵀw = t_E on E = Ω ∪ A.
    An LP has an optimal vertex, with |S| ≤ |E|; so a support larger than E is cut to its |E|
    largest entries (the rest are taken as the iterate's not-yet-zero tail).  The iterate is
    moved by the least change that meets the equalities (at a vertex they fix w_S; on an
    optimal face this stays near the iterate instead of jumping to the minimum-norm point),
    and the multiplier by the least change on E that gives (XΛᵀ)_S = −σ."""
    X = problem.X
    W_new, Lam_new = np.zeros(sigma.shape), np.zeros_like(Lam)
    for m in range(sigma.shape[1]):
        S, E = sigma[:, m] != 0, problem.omega[m] | active[m]
        if S.sum() > E.sum():
            S = np.zeros_like(S)
            S[np.argsort(-np.abs(W[:, m] * (sigma[:, m] != 0)))[:E.sum()]] = True
        X_SE = X[np.ix_(S, E)]
        target = np.where(problem.omega[m], problem.Y[m], problem.V[m])[E]
        w = W[S, m]
        W_new[S, m] = w + np.linalg.lstsq(X_SE.T, target - X_SE.T @ w, rcond=None)[0]
        Lam_new[m, E] = Lam[m, E] + np.linalg.lstsq(
            X_SE, -sigma[S, m] - X_SE @ Lam[m, E], rcond=None)[0]
    return W_new, Lam_new


def _pattern_cost(problem: LayerProblem, sigma: np.ndarray, active: np.ndarray,
                  neurons: np.ndarray | None = None) -> float:
    """Flops of one round of :func:`_polish`: the two N·M·P products that check the round
    (XΛᵀ, WᵀX), and at ε = 0, counted generously, per neuron the Gram matrix (|S|²·P) and
    10·n³ for a solve of size n = |S| + |A| (a singular pattern falls back to an SVD); at ε > 0 per
    neuron of ``neurons`` (the ones the round re-solves) twice |S|²·|Ω_m| + n³ and three times
    the fixed overhead.  That under-charges: on the MNIST LeNet-300-100's layer 1 (300 neurons,
    |S| ≈ 160) the pattern solves took about three times their charge at the rate of the
    ADMM's float32 products (small float64 products and interpreter work; bench-scale's
    polish run, results/bench_scale/README.md), so ``polish="always"`` can spend well over
    ``POLISH_SHARE`` of a run's time."""
    n_S = np.count_nonzero(sigma, axis=0).astype(float)
    n = n_S + np.count_nonzero(active, axis=1)
    check = 4.0 * problem.N * problem.M * problem.P
    if problem.epsilon == 0:
        return float(np.sum(n_S * n_S * problem.P + 10.0 * n ** 3 + _NEURON_OVERHEAD) + check)
    rows = np.count_nonzero(problem.omega, axis=1)
    each = 2.0 * (n_S * n_S * rows + n ** 3) + 3.0 * _NEURON_OVERHEAD
    return float(np.sum(each if neurons is None else each[neurons]) + check)


def _polish(problem: LayerProblem, W: np.ndarray, Lam: np.ndarray, budget: float,
            rounds: int | None = None, cache: list | None = None):
    """The solution and multiplier that the ADMM iterate points at, if its pattern is right.

    Guess the pattern — each neuron's support and signs from the iterate W, its active
    inequalities on Ωᶜ from the multiplier (Λ > 0) — and solve the program on it
    (:func:`_pattern_solve`).  Then correct the guess like an active-set method, for a few
    ``rounds`` (``POLISH_ROUNDS``): add inputs where the multiplier's reach |XΛᵀ| exceeds 1
    (with the sign it asks for) and inequalities the solution violates; drop inputs whose sign
    flipped and inequalities with a negative multiplier.  At ε > 0 a round re-solves only the
    neurons whose pattern changed (the others' parts hold: only the ball's scalar couples
    them), and the walk is given up when a neuron's system is singular, when the first round
    asks for more than ``POLISH_FAR`` of the support in corrections, or when the number of
    corrections has not come down for two rounds (a guess too far from the optimum's pattern
    wanders, where one near it closes in a few rounds).  A round runs only while its cost
    (:func:`_pattern_cost`) fits in ``budget`` flops.  ``cache`` (ε > 0: one entry per
    neuron, kept by the caller between tests) holds each neuron's last pattern and its part of
    the solve, so that a later try re-solves only the neurons whose pattern moved.  Returns
    ((W, Λ) or None, flops spent).  Nothing here is trusted: the caller certifies the pair with
    the same feasibility and dual-gap test as any other iterate, and goes on iterating when it
    fails.
    """
    exact = problem.epsilon == 0
    rounds = POLISH_ROUNDS[exact] if rounds is None else rounds
    sigma = np.sign(W)
    off = ~problem.omega
    active = off & (Lam > 1e-8 * (np.abs(Lam).max(axis=1, keepdims=True) + 1e-300))
    pair, spent = None, 0.0
    cache = [None] * W.shape[1] if cache is None else cache
    fewest, stalled = np.inf, 0
    for round_ in range(rounds):
        stale = None if exact else np.array([
            c is None or not (np.array_equal(c[0], sigma[:, m]) and np.array_equal(c[1], active[m]))
            for m, c in enumerate(cache)])
        cost = _pattern_cost(problem, sigma, active, stale)
        if spent + cost > budget:
            break
        spent += cost
        if exact:
            guess = _pattern_solve(problem, sigma, active, Lam, W)
        else:
            for m in np.flatnonzero(stale):
                part = _neuron_pattern(problem, m, sigma[:, m], active[m])
                if part is None:
                    return pair, spent
                cache[m] = (sigma[:, m].copy(), active[m].copy(), part)
            guess = _pattern_combine(problem, [c[2] for c in cache], Lam.shape)
        if guess is None:       # this correction over-constrained the ball: keep the last
            break
        pair = W_p, Lam_p = guess
        reach = -(problem.X @ Lam_p.T)          # = σ on the support at stationarity
        grow = (sigma == 0) & (np.abs(reach) > 1 + 1e-9)
        flip = (sigma != 0) & (np.sign(W_p) != sigma)
        slack = W_p.T @ problem.X - problem.V
        add = off & ~active & (slack > 1e-9 * (np.abs(problem.Y).max() or 1.0))
        drop = active & (Lam_p < 0)
        moves = int(grow.sum() + flip.sum() + add.sum() + drop.sum())
        if moves == 0:
            break
        far = moves > POLISH_FAR * max(np.count_nonzero(sigma), 1) and round_ == 0
        fewest, stalled = (moves, 0) if moves < fewest else (fewest, stalled + 1)
        if not exact and (stalled >= 2 or far):
            break
        sigma = np.where(grow, np.sign(reach), np.where(flip, 0.0, sigma))
        active = (active | add) & ~drop
    return pair, spent


def _pattern_settled(signs: np.ndarray, previous: np.ndarray, exact: bool) -> bool:
    """Whether the iterate's pattern is worth a pattern solve: at ε = 0 a support that held
    since the last test, at ε > 0 signs that moved at no more than ``POLISH_CHANGES`` of it."""
    if exact:
        return np.array_equal(signs != 0, previous != 0)
    moved = np.count_nonzero(signs != previous)
    return moved <= POLISH_CHANGES * max(np.count_nonzero(signs), 1)


#: When the pattern solve is tried: only for ε = 0, for any ε, or never.
POLISH_MODES = ("exact", "always", "never")


def _check_polish(polish) -> str:
    if not isinstance(polish, str) or polish not in POLISH_MODES:
        raise ValueError(f"polish must be one of {POLISH_MODES}; got {polish!r}")
    return polish


#: The loosest tolerances a "converged" answer may be certified at: a stop looser than
#: these would certify points that are not solutions (a relative gap of 1 holds for any
#: feasible point; feas_tol = 1e10 for any point at all).
GAP_TOL_MAX, FEAS_TOL_MAX = 0.5, 1e-2


def _check_tolerance(tol, name: str, high: float, why: str) -> float:
    # strictly positive: the ρ update divides by both tolerances
    tol = check_scalar(tol, name, low=0.0, low_inclusive=False)
    if tol > high:
        raise ValueError(f"{name} must be in (0, {high:g}]: {why}; got {tol:g}")
    return tol


@functools.cache
def _defaults() -> dict:
    """:func:`solve_admm`'s option defaults (its per-solve arguments aside): its signature is
    the one place they are written."""
    return signature_defaults(solve_admm, exclude=ADMM.runtime)


def check_options(**options) -> dict:
    """The ADMM options (any subset; the rest at their defaults), validated: each error names
    its option. The per-solve arguments W0, warm and callback are checked at solve time (W0
    and warm against the problem's shape)."""
    o = {**_defaults(), **options}
    return {
        "rho": check_scalar(o["rho"], "rho", low=0.0, low_inclusive=False),
        "alpha": check_scalar(o["alpha"], "alpha", low=0.0, low_inclusive=False, high=2.0,
                              high_inclusive=False),
        "gap_tol": _check_tolerance(o["gap_tol"], "gap_tol", GAP_TOL_MAX, "a relative gap near 1 "
                                    "certifies nothing (the dual bound is then near 0)"),
        "feas_tol": _check_tolerance(o["feas_tol"], "feas_tol", FEAS_TOL_MAX, "a point further "
                                     "outside the constraints is not a solution of the program"),
        "max_iter": check_int(o["max_iter"], "max_iter", low=1),
        "adaptive_rho": check_bool(o["adaptive_rho"], "adaptive_rho"),
        "check_every": check_int(o["check_every"], "check_every", low=1),
        "polish": _check_polish(o["polish"]),
        "gram_scale": check_scalar(o["gram_scale"], "gram_scale", low=0.0, low_inclusive=False),
        "precision": _check_precision(o["precision"]),
        "repair": check_bool(o["repair"], "repair"),
        "kernels": admm_fused.check_kernels(o["kernels"]),
    }


#: Storage of the M×P work of an iteration: float32 ("mixed"), float64 ("double"), or
#: float32 when the tolerances are within its reach ("auto").
PRECISIONS = ("auto", "mixed", "double")
#: The tightest tolerances "auto" runs in float32: with its rounding the certificate reached
#: 1e-3 in as many iterations as float64 on the benchmark layers, but 1e-4 in up to 2.5 times
#: as many, and gaps below ~5e-6 not at all.
MIXED_GAP_TOL, MIXED_FEAS_TOL = 1e-3, 1e-4
#: Tests without progress (the larger of gap/gap_tol and infeasibility/feas_tol not 1% below
#: its best) after which a float32 run goes on in float64: its rounding may be what stalls it.
#: The stall must also span half the tests so far: the spirals layer's slow plateaus (0.1% per
#: test, the same in float64) promoted its benchmark run at 2,910 of 3,920 iterations (commit
#: 01d2b2f), and the float64 rest made it 1.3× slower for no iteration saved (7.8 s against
#: 6.1 s in an exploratory rerun).
STALL_TESTS = 20
#: ... and the stall must look like rounding: the returned iterate W2 moved by at most this
#: much (relative) in the test's iteration. Where float32 rounding stalled a run (the stall
#: tests, gap_tol 1e-8) W2 moved by 1–3·10⁻⁷ an iteration, the float32 noise floor; on slow
#: plateaus, by 1·10⁻⁵ (the trained 500 layer at feas_tol 1e-3) to 2·10⁻⁴ (MNIST layer 1 at
#: gain 0.02, P = 1,000, promoted at 320 of 480 iterations: the same 480 in float64, 6.3 s
#: against 4.8 s without). A stall that moves more goes on in float32 until it has lasted
#: ``STALL_TESTS_MOVING`` tests (and half the run).
ROUNDING_STEP = 1e-6
STALL_TESTS_MOVING = 4 * STALL_TESTS
#: A float32 run computes the float64 certificate only where its float32 estimate is within
#: this factor of both tolerances (the estimate is good to ~1e-5 of the bound and of ε).
SCREEN_MARGIN = 1.25


def _float32_stalled(stalled: int, tests: int, W2: np.ndarray, W2_old: np.ndarray) -> bool:
    """Whether a float32 run whose score has not improved for ``stalled`` of its ``tests``
    should go on in float64: after ``STALL_TESTS`` (and half its tests) when its last step
    moved W2 by at most ``ROUNDING_STEP`` relative, as float32 rounding does; after
    ``STALL_TESTS_MOVING`` (and half its tests) otherwise — a slow plateau, which float64
    would not shorten."""
    if stalled < max(STALL_TESTS, tests // 2):
        return False
    scale = np.linalg.norm(W2)
    moved = np.linalg.norm(W2 - W2_old) / scale if scale > 0 else 0.0
    return moved <= ROUNDING_STEP or stalled >= STALL_TESTS_MOVING


def _check_precision(precision) -> str:
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}")
    return precision


def effective_precision(precision: str = "auto", gap_tol: float = 1e-3,
                        feas_tol: float = 1e-4) -> str:
    """The precision an ADMM run with these options iterates in: ``"mixed"`` or ``"double"``
    (``"auto"`` is ``"mixed"`` when gap_tol ≥ MIXED_GAP_TOL and feas_tol ≥ MIXED_FEAS_TOL)."""
    if _check_precision(precision) != "auto":
        return precision
    return "mixed" if gap_tol >= MIXED_GAP_TOL and feas_tol >= MIXED_FEAS_TOL else "double"


def _check_callback(callback):
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable as callback(k, W) or None; got "
                        f"{type(callback).__name__}")
    return callback


def solve_admm(problem: LayerProblem, *, rho: float = 3.0, alpha: float = 1.6,
               gap_tol: float = 1e-3, feas_tol: float = 1e-4, max_iter: int = 20000,
               adaptive_rho: bool = True, check_every: int = 10, polish: str = "exact",
               gram_scale: float = 1.0, precision: str = "auto", repair: bool = True,
               kernels: str = "auto", W0=None, warm=None, callback=None) -> SolverResult:
    """Solve a :class:`~nettrim.problem.LayerProblem` by ADMM.

    Parameters
    ----------
    problem : LayerProblem
    rho : float, default 3.0
        Initial penalty ρ (on the equilibrated data); adapted when ``adaptive_rho``.
    alpha : float, default 1.6
        Over-relaxation α ∈ (0, 2); 1 is plain ADMM.
    gap_tol : float, default 1e-3
        Stop when (‖W2‖₁ − d)/‖W2‖₁ ≤ gap_tol, d the dual bound from the current multiplier:
        the objective is then within gap_tol (relative) of the optimum. At most
        ``GAP_TOL_MAX`` = 0.5.
    feas_tol : float, default 1e-4
        ...and W2 is feasible to this relative tolerance (see :meth:`LayerProblem.evaluate`).
        At most ``FEAS_TOL_MAX`` = 1e-2; :func:`nettrim.solve` checks the answer against it
        again on the caller's data.
    max_iter : int, default 20000
        Iteration cap; reaching it gives status ``"max_iter"``.
    adaptive_rho : bool, default True
        Balance infeasibility/min(feas_tol, RHO_FEAS_AIM) against gap/gap_tol by changing ρ
        (module docstring).
    check_every : int, default 10
        Iterations between stopping tests (each costs about one iteration's products).
    polish : {"exact", "always", "never"}, default "exact"
        When to try the pattern solve (``_polish``): once the iterate's pattern has settled
        (at ε = 0 a support that held since the last test; at ε > 0 signs that moved at no
        more than ``POLISH_CHANGES`` of the support), solve the program on the pattern it
        points at (support, signs, active inequalities), correct it for a few active-set
        rounds, and test that answer with the same certificate; it is returned only when it
        passes (``info["polished"]``), and then it is the optimum to round-off. The pattern
        solves get at most ``POLISH_SHARE`` of the iterations' flops.
        ``"exact"`` tries it for ε = 0 only, where it decides exact-recovery trials that
        the iterations alone take tens of thousands of steps to certify; ``"always"`` also
        for ε > 0 (on MNIST layer 1 at gain 0.04 it ends the run at iteration 120 of 280;
        but where no guess closes its tries cost time, and over the MNIST gain sweeps they
        cost more than they saved: results/bench_scale/README.md).
    gram_scale : float, default 1.0
        The data are divided so that ‖X‖²_F = gram_scale·max(N, P) (the same solutions): the
        samples have mean squared norm gram_scale when P ≥ N, and XXᵀ mean eigenvalue
        gram_scale when P < N. This weighs the W3ᵀX = W1 block against W3 = W2 under one ρ.
        The defaults (ρ = 3, gram_scale = 1) were chosen on the benchmark layers
        (results/solver_benchmark/) and the ε = 0 trials of the solver-agreement study.
    precision : {"auto", "mixed", "double"}, default "auto"
        Storage of the M×P work of an iteration (the products W3ᵀX and XW1ᵀ, the projection,
        the scaled dual U1): ``"mixed"`` float32, ``"double"`` float64; ``"auto"`` is
        ``"mixed"`` when gap_tol ≥ 1e-3 and feas_tol ≥ 1e-4 (``MIXED_GAP_TOL``,
        ``MIXED_FEAS_TOL``), else ``"double"``. The Gram solve, the N×M state and the
        certificate are float64 in every case, and a float32 run that makes no progress for
        ``STALL_TESTS`` tests, and half its tests, goes on in float64 when its iterate moves
        by no more than float32 rounding (``ROUNDING_STEP``; after ``STALL_TESTS_MOVING``
        tests otherwise: :func:`_float32_stalled`).
    repair : bool, default True
        At ε > 0 on a layer with a bias: at each test whose W2 is infeasible by at most
        ``REPAIR_REACH``·feas_tol, move each neuron's bias so that W2 meets the constraints to
        ``REPAIR_AIM``·feas_tol (:func:`bias_repair`), and stop when that W2 is certified
        (``info["repaired"]``); the ρ rule then weighs the gap against the repaired
        infeasibility. On MNIST's LeNet-300-100 at P = 1,000 it ended layer 1 at 200 instead
        of 280 iterations (gain 0.04) and 160 instead of 360 (gain 0.1).
    kernels : {"auto", "numba", "numpy"}, default "auto"
        Who runs the iteration's elementwise work between its BLAS products
        (:mod:`nettrim.solvers.admm_fused`): ``"numba"`` fused compiled loops (the extra
        ``nettrim[fast]``; an ImportError without numba), ``"numpy"`` numpy's operations,
        ``"auto"`` numba when it is installed. The same arithmetic up to round-off; fused, a
        MNIST layer-1 iteration took 6.3 ms against 9.7 ms (two BLAS threads). The first
        solve in a process pays numba's import and the loops' load from its disk cache, about
        0.3 s (about 1.4 s to compile them after an install).
    W0 : array of shape (N, M), optional
        Warm start for W3 (and W2).
    warm : dict, optional
        A whole warm start: the ``state`` of an earlier result on a program with the same
        X (e.g. the same layer at a neighbouring ε, see :func:`nettrim.schemes.prune_path`):
        the iterate ``W``, the multipliers ``Lam`` (M×P, of W3ᵀX = W1) and ``Lam2`` (N×M,
        of W3 = W2), and the penalty ``rho``, which replaces ``rho``. Supersedes ``W0``.
    callback : callable, optional
        ``callback(k, W)``, called at every test (every ``check_every`` iterations, before the
        certificate) with the iteration count and the current iterate W2 (do not modify it).
        A true return ends the run with status ``"stopped"`` (not a result: the certificate
        reported is that of W, as for ``"max_iter"``). For diagnostics, e.g. the iteration at
        which the iterates first meet an outside accuracy target.

    Returns
    -------
    SolverResult
        ``W`` is the soft-thresholded (exactly sparse) iterate W2; ``info`` holds
        ``iterations``, ``time``, ``gap``, ``infeasibility``, ``dual_bound``,
        ``primal_residual``, ``dual_residual``, the final ``rho``, ``polished``, ``repaired``,
        ``precision`` (``"mixed"`` or ``"double"``, as run), ``kernels`` (``"numba"`` or
        ``"numpy"``, as run), ``promoted_at`` (the iteration
        at which a float32 run went on in float64, or None) and ``warm`` (whether it started
        from ``warm``); ``state`` is the warm start for a neighbouring program.
    """
    return ADMM(rho=rho, alpha=alpha, gap_tol=gap_tol, feas_tol=feas_tol, max_iter=max_iter,
                adaptive_rho=adaptive_rho, check_every=check_every, polish=polish,
                gram_scale=gram_scale, precision=precision, repair=repair,
                kernels=kernels).solve(
        problem, W0=W0, warm=warm, callback=callback)


class ADMM(Solver):
    """The ADMM solver as a value: ``ADMM(gap_tol=1e-4, max_iter=5000)``.

    Parameters
    ----------
    **options
        Any of :func:`solve_admm`'s options (``rho``, ``alpha``, ``gap_tol``, ``feas_tol``,
        ``max_iter``, ``adaptive_rho``, ``check_every``, ``polish``, ``gram_scale``,
        ``precision``, ``repair``, ``kernels``), checked here; the rest keep the defaults
        written in its signature. ``solve(problem, W0=None, warm=None, callback=None)``
        takes the per-solve arguments.
    """

    name = "admm"
    priority = 20
    runtime = ("W0", "warm", "callback")

    @classmethod
    def defaults(cls) -> dict:
        return dict(_defaults())

    def _check(self, **options) -> dict:
        return check_options(**options)

    def _run(self, problem, checked, W0=None, warm=None, callback=None) -> SolverResult:
        return _solve(problem, **checked, W0=W0, warm=warm, callback=_check_callback(callback))


def _solve(problem: LayerProblem, *, rho, alpha, gap_tol, feas_tol, max_iter, adaptive_rho,
           check_every, polish, gram_scale, precision, repair, kernels, W0, warm,
           callback) -> SolverResult:
    """:func:`solve_admm` on checked options (:meth:`ADMM._check`)."""
    t0 = time.perf_counter()
    engine = admm_fused.engine(kernels)
    N, M, P = problem.N, problem.M, problem.P
    problem, scale = equilibrate(problem, gram_scale)
    X = problem.X
    gram_solve = _GramSolve(X)
    kernel = gram_solve.kernel
    # The M×P side (the two products, the projection, U1) in float32 on a copy of the data
    # when ``precision`` asks for it; the N×M side, the Gram solve and every certificate stay
    # float64.
    precision = effective_precision(precision, gap_tol, feas_tol)
    dtype = np.float32 if precision == "mixed" else np.float64
    inner = problem if dtype == X.dtype else problem.astype(dtype)
    Xi = inner.X
    best_score, stalled, promoted_at = np.inf, 0, None

    if warm is not None:
        warm = _check_warm(warm, N, M, P)
        W3, rho = warm["W"].copy(), warm["rho"]
    elif W0 is None:
        W3 = np.zeros((N, M))
    else:
        W3 = check_matrix(W0, "W0")
        if W3.shape != (N, M):
            raise ValueError(f"W0 must have shape (N, M) = ({N}, {M}); got {W3.shape}")
    # M×P work arrays, reused: the passes over M×P are memory-bound (at N = 200 each costs
    # about 6% of the two float64 products), so the loop makes few and allocates none
    V, D, W1_next = (np.empty((M, P), dtype) for _ in range(3))
    W1 = inner.project_into((W3.T @ X).astype(dtype), out=np.empty((M, P), dtype), work=D)
    W2 = W3.copy()
    # N×M work arrays, reused too: at LeNet's FC1 (3,137·512) each fresh N×M array cost as
    # much as a pass over it again in page faults. Two of W2 and of XW1 (the test's residual
    # compares consecutive iterates), one of W3, Ŵ3, R, XZ, and of αW3 in the M×P precision.
    R, W3_buf, W3_hat, XZ, W2_next, XW1_next, clip_buf = (np.empty((N, M)) for _ in range(7))
    alpha_W3, step, delta = (np.empty((N, M), dtype) for _ in range(3))
    # the kernel form's M×P arrays: A = W1 − U1, W3ᵀX, and scratch
    A, Zk, E = (np.empty((M, P), dtype) for _ in range(3)) if kernel else (None, None, None)
    # T = U1 + (1 − α)W1 stands in for the scaled dual U1 (see the loop)
    if warm is None:
        T = (1 - alpha) * W1
        U2 = np.zeros((N, M))
    else:
        # multipliers are kept in the caller's units: Λ' = cΛ on the data divided by c, and
        # the scaled duals are Λ'/ρ; the N×M block's multiplier is scale-free
        T = (warm["Lam"] * (scale / rho)).astype(dtype) + (1 - alpha) * W1
        U2 = warm["Lam2"] / rho
    # the primal form keeps the products XW1ᵀ and XU1ᵀ running; the kernel form needs neither
    XW1, XU1 = (None, None) if kernel else _running_products(X, W1, T, alpha)

    # ρ aims at feasibility no looser than RHO_FEAS_AIM, however loose the stop
    feas_aim = min(feas_tol, RHO_FEAS_AIM)
    interval = next_adapt = 2 * check_every
    status, k = "max_iter", 0
    try_polish = polish == "always" or (polish == "exact" and problem.epsilon == 0)
    polished, polish_flops, signs, pattern_cache = False, 0.0, np.zeros((N, M)), [None] * M
    repairing, repaired = repair and repairable(problem), False
    iteration_flops = 4.0 * N * M * P + 2.0 * N * N * M + _ITERATION_OVERHEAD
    gap = infeas = dual = r = s = np.inf
    for k in range(1, max_iter + 1):
        checking = k % check_every == 0
        # float32 keeps XW1ᵀ and W3 by increments, refreshed in float64 at tests
        increment = not kernel and dtype != np.float64 and not checking
        # Over-relaxed updates. On the M×P block, V = αZ + (1−α)W1 + U1 is projected and
        # U1 ← V − W1; keeping T = U1 + (1−α)W1 instead makes that V = αZ + T and
        # T ← V − αW1.
        if kernel:
            np.subtract(W2, U2, out=R)
            np.multiply(W1, 2 - alpha, out=A)           # A = W1 − U1 = (2 − α)W1 − T
            A -= T
            W3 = W3_buf
            Z = gram_solve.kernel_step(A, R, out=W3, Z=Zk, work=E, scratch=alpha_W3)
            np.multiply(Z, alpha, out=V, casting="same_kind")
            # Ŵ3, W2 ← S_{1/ρ}(Ŵ3 + U2) and U2 (XZ is free scratch in this form)
            admm_fused.NumpyEngine.w2_step(W3, W2, U2, alpha, 1.0 / rho, W3_hat, W2_next, XZ)
        else:
            # In float32 between tests W3 moves by (XXᵀ + I)⁻¹(R − R_old): the product at
            # twice the speed, its rounding relative to the step (as for XW1ᵀ below); at
            # tests, and after one, it is solved in float64 from scratch.
            if increment and k > 1:
                engine.rhs(XW1, XU1, W2, U2, out=R, delta=delta, scratch=clip_buf)
                W3 = gram_solve.increment(delta, out=W3_buf, scratch=step)
            else:
                W3 = gram_solve(engine.rhs(XW1, XU1, W2, U2, out=R), out=W3_buf)
            # XZ ← the over-relaxed XẐ (XXᵀW3 = R − W3, since (XXᵀ + I)W3 = R), αW3 in the
            # products' precision (α rides on the N×M factor of Z = W3ᵀX), Ŵ3, W2 and U2
            engine.post_gram(R, W3, W2, U2, XW1, alpha, 1.0 / rho, XZ, alpha_W3, W3_hat,
                             W2_next, clip_buf)
            np.matmul(alpha_W3.T, Xi, out=V)
        W2_old, W2, W2_next = W2, W2_next, W2
        if checking:
            r1 = np.linalg.norm(V / alpha - W1)
        W1_old = W1
        W1, T, V = engine.project(inner, V, T, W1_old, W1_next, D, alpha,
                                  step=increment or (kernel and checking))
        W1_next = W1_old
        if kernel:
            if checking:  # the step X(W1 − W1_old)ᵀ of the dual residual, at tests only
                XW1_step = (Xi @ D.T).astype(float)
        else:
            if increment:
                # In float32, X·W1ᵀ (a sum over P) is off by ~1e-6 of its size, enough to
                # stall a trained layer's gap at 1.3e-3; by increments, the error is relative
                # to the step W1 − W1_old, which shrinks as the run converges.
                np.matmul(Xi, D.T, out=step)
            else:
                np.matmul(X, W1.T.astype(float, copy=False), out=XW1_next)
            engine.running_update(XW1, step if increment else None, XW1_next, XU1, XZ)
            XW1_old, XW1, XW1_next = XW1, XW1_next, XW1
            XW1_step = XW1 - XW1_old if checking else None
        if not checking:
            continue
        if callback is not None and callback(k, W2.copy()):
            status = "stopped"
            break

        r2 = np.linalg.norm(W3 - W2)
        U1 = T - (1 - alpha) * W1
        if dtype != np.float64 and not kernel:
            # XU1 is kept by increments of float64 XZ and rounded XW1 while U1 sums float32
            # steps: the two drift apart (the sparse and digits layers took twice the
            # iterations, trained 300 did not finish), so it is recomputed at each test
            XU1 = (Xi @ U1.T).astype(float)
        r = np.hypot(r1, r2)
        s = rho * np.linalg.norm(XW1_step + W2 - W2_old)
        adapting = adaptive_rho and k >= next_adapt
        # feasibility first: while W2 is infeasible the dual bound (one more N·M·P product)
        # cannot stop the run, and only the ρ rule needs it
        cert_tol, Lam = (np.inf if adapting else feas_tol), rho * U1
        # in float32, a screen first: the float64 certificate (its two N·M·P products and
        # passes cost a few float32 iterations) only when the run may stop
        W2s = W2 if dtype == np.float64 else W2.astype(dtype)
        Zs = W2s.T @ inner.X
        gap, infeas, dual = certificate(inner, W2s, Lam, feas_tol=cert_tol, Z=Zs)
        if (dtype != np.float64 and infeas <= SCREEN_MARGIN * feas_tol
                and gap <= SCREEN_MARGIN * gap_tol):
            gap, infeas, dual = certificate(problem, W2, Lam, feas_tol=cert_tol)
        if infeas <= feas_tol and gap <= gap_tol:
            status = "converged"
            break
        if repairing and infeas <= REPAIR_REACH * feas_tol:
            fixed = repair_at_test(problem, inner, W2, Zs, Lam, dual, feas_tol, gap_tol)
            if fixed is not None and fixed[2] <= feas_tol and fixed[1] <= gap_tol:
                (W2, gap, infeas, dual), repaired, status = fixed, True, "converged"
                break
            if fixed is not None:
                infeas = fixed[2]       # what the ρ rule balances against the gap
        if try_polish:
            # the pattern solve costs |S|²·P per neuron: worth it for sparse solutions, not
            # for dense ones, so it gets at most POLISH_SHARE of the iterations' flops
            signs, previous = np.sign(W2), signs
            budget = POLISH_SHARE * k * iteration_flops - polish_flops
            polished_pair, spent = (_polish(problem, W2, Lam, budget, cache=pattern_cache)
                                    if _pattern_settled(signs, previous, problem.epsilon == 0)
                                    else (None, 0.0))
            polish_flops += spent
            if polished_pair is not None:
                W_p, Lam_p = polished_pair
                gap_p, infeas_p, dual_p = certificate(problem, W_p, Lam_p)
                if infeas_p <= feas_tol and gap_p <= gap_tol:
                    W2, gap, infeas, dual, polished = W_p, gap_p, infeas_p, dual_p, True
                    status = "converged"
                    break

        if adapting:
            next_adapt = k + interval
            # Primal side: W2's infeasibility, or the splitting residuals when W2 happens to be
            # strictly feasible (infeasibility 0 is not convergence). A negative gap means W2
            # is infeasible enough to beat the optimum: that also pushes ρ up.
            primal = max(infeas, residual_ratio(r1, np.linalg.norm(W1)),
                         residual_ratio(r2, np.linalg.norm(W2)))
            new_rho = float(np.clip(rho * rho_step(primal, feas_aim, gap, gap_tol), 1e-8, 1e8))
            if new_rho != rho:
                # scaled duals are y/ρ: keep y fixed
                U1 *= rho / new_rho
                T = U1 + (1 - alpha) * W1
                U2 *= rho / new_rho
                rho = new_rho
                interval *= 2  # ADMM converges for any fixed ρ; changing it ever less often
                if not kernel:  # also resets round-off drift of the running product
                    XU1 = X @ U1.T

        if dtype != np.float64:
            score = max(infeas / feas_tol, 0.0 if np.isnan(gap) else gap / gap_tol)
            best_score, stalled = ((score, 0) if score < 0.99 * best_score
                                   else (best_score, stalled + 1))
            if _float32_stalled(stalled, k // check_every, W2, W2_old):
                # go on in float64 from the same iterate: only the M×P arrays change type
                dtype, inner, Xi, promoted_at = np.float64, problem, X, k
                W1, T = W1.astype(dtype), T.astype(dtype)
                V, D, W1_next = (np.empty((M, P)) for _ in range(3))
                alpha_W3 = np.empty((N, M))
                if kernel:
                    A, Zk, E = (np.empty((M, P)) for _ in range(3))
                else:
                    XW1, XU1 = _running_products(X, W1, T, alpha)

    Lam = rho * (T - (1 - alpha) * W1)
    if status != "converged":
        # the last test may predate W2 or have skipped the dual bound: report what is returned
        gap, infeas, dual = certificate(problem, W2, Lam)
    info = {
        "solver": "admm",
        "iterations": k,
        "time": time.perf_counter() - t0,
        "gap": float(gap),
        "infeasibility": float(infeas),
        # the bound is on ‖U‖₁, which equilibration leaves unchanged
        "dual_bound": float(dual),
        "primal_residual": float(r),
        "dual_residual": float(s),
        "rho": rho,
        "polished": polished,
        "repaired": repaired,
        "precision": precision,
        "kernels": engine.name,
        # the iteration at which a float32 run went on in float64, or None
        "promoted_at": promoted_at,
        "warm": warm is not None,
    }
    state = {"W": W2, "Lam": np.asarray(Lam, dtype=float) / scale, "Lam2": rho * U2,
             "rho": rho}
    return SolverResult(W=W2, status=status, info=info, state=state)


def _running_products(X: np.ndarray, W1: np.ndarray, T: np.ndarray, alpha: float):
    """(XW1ᵀ, XU1ᵀ) in float64, U1 = T − (1 − α)W1: the primal form's running products."""
    W1 = W1.astype(float, copy=False)
    return X @ W1.T, X @ (T - (1 - alpha) * W1).T


def _check_warm(warm, N: int, M: int, P: int) -> dict:
    """The ``warm`` option checked against the problem's shape (each error names its key)."""
    if not isinstance(warm, dict) or set(warm) != {"W", "Lam", "Lam2", "rho"}:
        raise ValueError("warm must be the state of an ADMM result: a dict with keys W, Lam, "
                         f"Lam2, rho; got {warm if not isinstance(warm, dict) else sorted(warm)!r}")
    out = {"rho": check_scalar(warm["rho"], "warm['rho']", low=0.0, low_inclusive=False)}
    for key, shape in (("W", (N, M)), ("Lam", (M, P)), ("Lam2", (N, M))):
        out[key] = check_matrix(warm[key], f"warm[{key!r}]")
        if out[key].shape != shape:
            raise ValueError(f"warm[{key!r}] must have shape {shape} (this program's); got "
                             f"{out[key].shape}: a warm start must come from a program with "
                             "the same X")
    return out

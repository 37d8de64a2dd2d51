"""The Net-Trim layer program.

For a layer with inputs X (N×P, one sample per column) and ReLU outputs Y (M×P), Net-Trim solves

    minimize ‖U‖₁   subject to   ‖(UᵀX − Y)_Ω‖_F ≤ ε,   (UᵀX)_Ωᶜ ≤ V_Ωᶜ,

with Ω = {(m, p) : y_mp > 0} the active set.  :class:`LayerProblem` holds the data, knows the
constraint set C = {Z : ‖(Z − Y)_Ω‖ ≤ ε, Z_Ωᶜ ≤ V_Ωᶜ} (and projects onto it, for ADMM) and
reports how any candidate U fares against the program.

Three forms share the class:

- *layer* (default): one Frobenius ball over all of Ω;
- *per-neuron* (``per_neuron=True``): one ball per neuron, ‖(u_mᵀX − y_m)_Ω_m‖ ≤ ε_m with
  Σ ε_m² = ε² (by default ε_m ∝ ‖y_m‖), i.e. M independent programs sharing X;
- *linear* (``linear=True``), for a network's last layer: no ReLU, Ω is every entry and there is
  no inequality part, i.e. sparse least squares min ‖U‖₁ s.t. ‖UᵀX − Y‖_F ≤ ε.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

from ._inplace import axpy
from ._validation import check_bool, check_matrix, check_scalar

#: Below ε = _BALL_FLOOR·‖Y‖_F, ball feasibility is judged on that absolute scale instead of ε.
_BALL_FLOOR = 1e-2


@dataclass(frozen=True)
class Evaluation:
    """How a candidate U fares against a :class:`LayerProblem`.

    Attributes
    ----------
    l1 : float
        ‖U‖₁, the objective.
    nnz : int
        Entries of U with |u| > zero_tol · max|U|.
    nonzero_fraction : float
        ``nnz / U.size``.
    omega_residual : float
        ‖(UᵀX − Y)_Ω‖_F, to compare with ``epsilon``.
    epsilon : float
        The layer's ε (for the per-neuron form, √Σε_m²).
    ball_excess : float
        How far the ball constraint is exceeded, relative to max(ε, 0.01‖Y‖_F) (so that ε = 0
        and tiny ε are measured on the data's scale); for the per-neuron form the worst neuron,
        each against max(ε_m, 0.01‖y_m‖). ≤ 0 means satisfied.
    omega_c_violation : float
        max over Ωᶜ of (UᵀX − V), clipped at 0 (0 for the linear form).
    relu_error : float
        ‖Y − ReLU(UᵀX)‖_F (‖Y − UᵀX‖_F for the linear form); Proposition 1 bounds it by ε
        whenever U is feasible and V = 0.
    feasible : bool
        ``ball_excess <= rtol`` and ``omega_c_violation <= rtol · max|Y|``.
    """

    l1: float
    nnz: int
    nonzero_fraction: float
    omega_residual: float
    epsilon: float
    ball_excess: float
    omega_c_violation: float
    relu_error: float
    feasible: bool

    def as_dict(self) -> dict:
        return asdict(self)


#: :meth:`LayerProblem.unit_scales` leaves data whose root-mean-square entry is within
#: 2^±_UNIT_BAND as they are.
_UNIT_BAND = 10


class LayerProblem:
    """One layer's Net-Trim program.

    Parameters
    ----------
    X : array of shape (N, P)
        Layer input, one sample per column.
    Y : array of shape (M, P)
        Layer output to reproduce: ReLU(WᵀX) (nonnegative) unless ``linear=True``.
    epsilon : float or array of shape (M,)
        Discrepancy budget ε ≥ 0. With ``per_neuron=True`` a scalar is split over neurons as
        ε_m = ε‖y_m‖/‖Y‖_F (so Σε_m² = ε²); an array gives the ε_m directly.
    V : array of shape (M, P), optional
        Upper bound on UᵀX over Ωᶜ (default 0; the cascade scheme sets V = W_ℓᵀŶ⁽ℓ⁻¹⁾).
    bias : bool, default False
        Append a row of ones to X, so that the last row of U is the bias (pruned like any weight).
    per_neuron : bool, default False
        One ball per neuron instead of one for the layer.
    linear : bool, default False
        Last-layer form: no ReLU, Ω = every entry, no inequality constraints.
    omega : array of bool, shape (M, P), optional
        The active set Ω when it is known apart from Y (default: Ω = {Y > 0}). Then Y is read
        on Ω only and may be negative there: a noisy observation of a ReLU output whose
        active pattern is known (the suite's noisy-recovery trials).

    Attributes
    ----------
    X : ndarray (N, P)  — with the bias row when ``bias=True``.
    Y, V : ndarray (M, P)
    omega : ndarray of bool (M, P) — the active set Ω.
    epsilon : float — the total ε.
    epsilon_m : ndarray (M,) or None — per-neuron budgets (``per_neuron=True`` only).
    """

    def __init__(self, X, Y, epsilon, *, V=None, bias=False, per_neuron=False, linear=False,
                 omega=None):
        bias = check_bool(bias, "bias")
        per_neuron = check_bool(per_neuron, "per_neuron")
        linear = check_bool(linear, "linear")
        #: float32 (or narrower) input: ε = 0 equalities may be inconsistent after rounding
        self.low_precision = any(isinstance(a, np.ndarray) and a.dtype.kind == "f" and
                                 a.dtype.itemsize < 8 for a in (X, Y))
        X = check_matrix(X, "X")
        Y = check_matrix(Y, "Y")
        if Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"X and Y must have the same number of samples (columns): X is {X.shape} "
                f"(N×P), Y is {Y.shape} (M×P)"
            )
        if omega is not None:
            if linear:
                raise ValueError("omega must be None for the linear (last-layer) form: its Ω is "
                                 "every entry")
            omega = np.asarray(omega)
            if omega.dtype != bool or omega.shape != Y.shape:
                raise ValueError(f"omega must be a boolean array of the shape of Y {Y.shape}; "
                                 f"got {omega.dtype} of shape {omega.shape}")
            Y = np.where(omega, Y, 0.0)
        elif not linear and (Y < 0).any():
            raise ValueError(
                "Y must be a ReLU output (all entries >= 0); it has "
                f"{int((Y < 0).sum())} negative entries (min {Y.min():.3g}). "
                "For a linear last layer pass linear=True."
            )
        if bias:
            X = np.vstack([X, np.ones((1, X.shape[1]))])
        self.X, self.Y = X, Y
        self.bias, self.per_neuron, self.linear = bool(bias), bool(per_neuron), bool(linear)
        M, P = Y.shape

        if linear:
            if V is not None:
                raise ValueError("V must be None for the linear (last-layer) form: it has no Ωᶜ")
            self.omega = np.ones((M, P), dtype=bool)
            self.V = np.zeros((M, P))
        else:
            self.omega = Y > 0 if omega is None else omega
            if not self.omega.any():
                raise ValueError(
                    f"{'Y has no positive entry' if omega is None else 'omega is all False'}, "
                    "so the active set Ω is empty: every neuron is "
                    "off on every sample and U = 0 is trivially optimal"
                )
            if V is None:
                self.V = np.zeros((M, P))
            else:
                self.V = check_matrix(V, "V")
                if self.V.shape != Y.shape:
                    raise ValueError(f"V must have the shape of Y {Y.shape}; got {self.V.shape}")
        self._set_epsilon(epsilon)

    # ------------------------------------------------------------------ sizes
    @property
    def N(self) -> int:
        """Input dimension (including the bias row when ``bias=True``)."""
        return self.X.shape[0]

    @property
    def M(self) -> int:
        return self.Y.shape[0]

    @property
    def P(self) -> int:
        return self.Y.shape[1]

    def _set_epsilon(self, epsilon):
        if np.ndim(epsilon) == 0:
            eps = check_scalar(epsilon, "epsilon", low=0.0)
            self.epsilon = eps
            if self.per_neuron:
                norms = np.linalg.norm(self.Y * self.omega, axis=1)
                total = np.linalg.norm(norms)
                self.epsilon_m = (
                    eps * norms / total if total > 0 else np.full(self.M, eps / np.sqrt(self.M))
                )
            else:
                self.epsilon_m = None
            return
        if not self.per_neuron:
            raise ValueError(
                "epsilon must be a scalar for the layer form; per-neuron budgets "
                "(an array of length M) need per_neuron=True"
            )
        eps_m = np.asarray(epsilon, dtype=float)
        if eps_m.shape != (self.M,):
            raise ValueError(f"epsilon must have shape (M,) = ({self.M},); got {eps_m.shape}")
        if not np.isfinite(eps_m).all() or (eps_m < 0).any():
            raise ValueError("epsilon must hold finite values >= 0")
        self.epsilon_m = eps_m
        self.epsilon = float(np.linalg.norm(eps_m))

    def rescaled(self, c: float) -> "LayerProblem":
        """The same program with X, Y, V and ε divided by c > 0: it has the same solutions U.

        Solvers use it to equilibrate the data (e.g. so that XXᵀ has unit mean eigenvalue).
        """
        return self.scaled(c, c)

    def scaled(self, alpha: float, beta: float) -> "LayerProblem":
        """The same program in other units: X divided by α > 0 and Y, V, ε by β > 0.

        U solves this program exactly when U·β/α solves the original (the ℓ₁ objective
        only scales): :func:`nettrim.solve` hands every solver the program in the units of
        :meth:`unit_scales` and maps its answer back.
        """
        new = copy.copy(self)
        new.X = self.X / alpha
        new.Y, new.V = self.Y / beta, self.V / beta
        for name in ("on_mask", "off_mask", "cap"):   # recomputed on use from the new arrays
            new.__dict__.pop(name, None)
        new.epsilon = self.epsilon / beta
        new.epsilon_m = None if self.epsilon_m is None else self.epsilon_m / beta
        return new

    def unit_scales(self) -> tuple[float, float]:
        """(α, β): powers of two that bring the root-mean-square entries of X and of Y into
        [2⁻¹⁰, 2¹⁰] (1 for data already there).

        In the units of :meth:`scaled` (α, β) a solver's absolute tolerances (HiGHS's 1e-7,
        a first-order method's starting ρ) mean what they mean on data of order one; powers
        of two make the change of units exact. Data within the band are left as they are, so
        that a solver tuned on them (ADMM's ρ rule) sees them unchanged.
        """
        def power_of_two(A):
            rms = np.linalg.norm(A) / np.sqrt(A.size)
            if not np.isfinite(rms) or rms == 0 or abs(np.log2(rms)) <= _UNIT_BAND:
                return 1.0
            return float(2.0 ** np.round(np.log2(rms)))

        return power_of_two(self.X), power_of_two(self.Y)

    @property
    def zero_is_feasible(self) -> bool:
        """Whether U = 0 satisfies the constraints (‖Y_Ω‖ within ε, V ≥ 0 on Ωᶜ): then U = 0
        is the optimum, exactly, with ‖U‖₁ = 0."""
        _, ball_excess, violation = self.constraint_gaps(np.zeros_like(self.Y))
        return ball_excess <= 0 and violation <= 0

    @property
    def vanishing_rows(self) -> np.ndarray:
        """Boolean mask (N,) of the rows of X that are zero on every sample.

        Such a row's weights never reach UᵀX, so zeroing them keeps U feasible and lowers
        ‖U‖₁: they are zero at every optimum (dead units of the layer below, pixels that are
        blank in every image), and :func:`nettrim.solve` leaves them out of the solve."""
        return ~self.X.any(axis=1)

    def restricted(self, rows) -> "LayerProblem":
        """The program on the rows ``rows`` of X (a boolean mask or indices): U's other rows
        held at zero. Its Y, V, Ω and ε are this program's, so with the rows of
        :attr:`vanishing_rows` left out it has this program's optimum on the rows it keeps
        (and zeros elsewhere)."""
        new = copy.copy(self)
        new.X = np.ascontiguousarray(self.X[rows])   # Ω's masks follow X's dtype: kept
        return new

    def astype(self, dtype) -> "LayerProblem":
        """The same program with X, Y and V stored as ``dtype`` (ε stays a float64 scalar).

        ADMM runs its M×P work in float32 on such a copy (``precision="mixed"``); the
        certificate is always computed on the float64 problem.
        """
        new = copy.copy(self)
        new.X, new.Y, new.V = (a.astype(dtype) for a in (self.X, self.Y, self.V))
        for name in ("on_mask", "off_mask", "cap"):    # the masks follow X's dtype
            new.__dict__.pop(name, None)
        return new

    # ------------------------------------------------------------- geometry
    def project(self, Z: np.ndarray) -> np.ndarray:
        """Euclidean projection of Z (M×P) onto C: the ε-ball around Y on Ω, clipping at V on Ωᶜ.

        The two parts act on disjoint entries, so the projection onto their product is the pair
        of projections.
        """
        return self.project_into(Z, np.empty_like(Z, dtype=float),
                                 np.empty_like(Z, dtype=float))

    def project_into(self, Z: np.ndarray, out: np.ndarray, work: np.ndarray) -> np.ndarray:
        """:meth:`project` into ``out``, with ``work`` as scratch (both M×P, not Z): ADMM calls
        this once per iteration, and each pass over M×P is memory-bound, so it makes as few
        as it can and allocates nothing.

        On Ω the projection onto the ball is Y + c(Z − Y) = Z − (1 − c)(Z − Y): start from
        min(Z, cap) (Z on Ω, the clip at V on Ωᶜ) and subtract the shrunk part where the
        ball is left. Ω enters as a 0/1 mask, not by boolean indexing or np.where, which cost
        ten times an arithmetic pass on an irregular Ω.
        """
        D = np.subtract(Z, self.Y, out=work)
        if not self.linear:            # the linear form's Ω is everything
            D *= self.on_mask
        np.minimum(Z, self.cap, out=out)
        if self.per_neuron:
            norms = np.sqrt(np.einsum("ij,ij->i", D, D))
            over = norms > self.epsilon_m
            if over.any():
                shrink = np.zeros_like(norms)
                shrink[over] = 1 - self.epsilon_m[over] / norms[over]
                D *= shrink[:, None]
                out -= D
        else:
            norm = np.sqrt(np.einsum("ij,ij->", D, D))
            if norm > self.epsilon:
                axpy(-(1 - self.epsilon / norm), D, out)
        return out

    # Masks and cap, computed once: Ω never changes after construction, and :meth:`rescaled`
    # drops the cap with V (functools.cached_property keeps them in the instance dict).
    @cached_property
    def on_mask(self) -> np.ndarray:
        """Ω as a 0/1 array of X's dtype."""
        return self.omega.astype(self.X.dtype)

    @cached_property
    def off_mask(self) -> np.ndarray:
        """Ωᶜ as a 0/1 array of X's dtype."""
        return (~self.omega).astype(self.X.dtype)

    @cached_property
    def cap(self) -> np.ndarray:
        """V on Ωᶜ and +inf on Ω."""
        return np.where(self.omega, np.inf, self.V).astype(self.X.dtype, copy=False)

    # ------------------------------------------------------------- evaluate
    def evaluate(self, U, *, rtol: float = 1e-4, zero_tol: float = 1e-6) -> Evaluation:
        """Objective, feasibility and Proposition-1 error of a candidate U (N×M).

        Parameters
        ----------
        U : array of shape (N, M)
        rtol : float
            Relative feasibility tolerance used for :attr:`Evaluation.feasible`.
        zero_tol : float
            Entries with |u| ≤ zero_tol · max|U| count as zero in ``nnz``.
        """
        U = check_matrix(U, "U")
        if U.shape != (self.N, self.M):
            raise ValueError(f"U must have shape (N, M) = ({self.N}, {self.M}); got {U.shape}")
        Z = U.T @ self.X
        omega_residual, ball_excess, violation = self.constraint_gaps(Z)
        out = Z if self.linear else np.maximum(Z, 0.0)
        absU = np.abs(U)
        nnz = int((absU > zero_tol * absU.max()).sum()) if absU.max() > 0 else 0
        ymax = float(np.abs(self.Y).max()) or 1.0
        return Evaluation(
            l1=float(absU.sum()),
            nnz=nnz,
            nonzero_fraction=nnz / U.size,
            omega_residual=omega_residual,
            epsilon=self.epsilon,
            ball_excess=float(ball_excess),
            omega_c_violation=violation,
            relu_error=float(np.linalg.norm(self.Y - out)),
            feasible=bool(ball_excess <= rtol and violation <= rtol * ymax),
        )

    def constraint_gaps(self, Z: np.ndarray) -> tuple[float, float, float]:
        """(‖(Z − Y)_Ω‖_F, relative ball excess, largest Ωᶜ violation) of Z = UᵀX.

        Parameters
        ----------
        Z : ndarray of shape (M, P)

        Returns
        -------
        tuple of float
        """
        # float masks, not np.where: a select on an irregular Ω costs ten arithmetic passes
        R = Z - self.Y
        R *= self.on_mask
        omega_residual = float(np.linalg.norm(R))
        if self.per_neuron:
            res_m = np.linalg.norm(R, axis=1)
            ball_excess = float(np.max((res_m - self.epsilon_m) / self._ball_scale))
        else:
            ball_excess = (omega_residual - self.epsilon) / self._ball_scale
        excess = Z - self.V
        excess *= self.off_mask
        violation = float(np.max(excess, initial=0.0))
        return omega_residual, float(ball_excess), max(violation, 0.0)

    @property
    def _ball_scale(self):
        """What the ball's excess is relative to: ε (ε_m per neuron), floored at
        ``_BALL_FLOOR``·‖Y‖ (‖y_m‖): a ball of radius 1e-200 is not something a first-order
        method (or any float64 solver) can hit exactly."""
        if self.per_neuron:
            floor_m = _BALL_FLOOR * np.linalg.norm(self.Y, axis=1)
            return np.maximum(np.maximum(self.epsilon_m, floor_m), np.finfo(float).tiny)
        return max(self.epsilon, _BALL_FLOOR * float(np.linalg.norm(self.Y)),
                   np.finfo(float).tiny)

    def ball_radius(self, rtol: float = 0.0):
        """The largest ‖(Z − Y)_Ω‖_F whose ball excess (:meth:`constraint_gaps`) is at most
        ``rtol``: ε + rtol·scale (an array over neurons in the per-neuron form)."""
        eps = self.epsilon_m if self.per_neuron else self.epsilon
        return eps + rtol * self._ball_scale

    def infeasibility(self, Z: np.ndarray) -> float:
        """How far Z = UᵀX is from C, on the scale of :attr:`Evaluation.feasible`.

        max(relative ball excess, Ωᶜ violation / max|Y|, 0): U is feasible to tolerance
        ``rtol`` exactly when this is ≤ ``rtol``.
        """
        _, ball_excess, violation = self.constraint_gaps(Z)
        ymax = float(np.abs(self.Y).max()) or 1.0
        return max(ball_excess, violation / ymax, 0.0)

    def dual_objective(self, Lam: np.ndarray) -> float:
        """A lower bound on the optimal ‖U‖₁ from a multiplier estimate Λ (M×P).

        With Λ the multiplier of Z = UᵀX in ‖U‖₁ + ⟨Λ, UᵀX − Z⟩ (Z ∈ C), minimising over U
        and Z gives the dual function

            d(Λ) = −⟨Λ_Ω, Y_Ω⟩ − ε‖Λ_Ω‖_F − ⟨Λ_Ωᶜ, V_Ωᶜ⟩   if ‖XΛᵀ‖_max ≤ 1 and Λ_Ωᶜ ≥ 0

        (−∞ otherwise; the per-neuron form has Σ_m ε_m‖Λ_{m,Ω}‖). Any Λ is first made dual
        feasible — negative entries on Ωᶜ set to 0, then each neuron's row λ_m scaled by
        t_m ∈ [0, 1/‖Xλ_mᵀ‖_∞] — so the value returned is always a valid bound (weak duality),
        and it is tight at the optimal multiplier. ADMM passes ρU1 and stops when ‖U‖₁ − d(Λ)
        is small.

        The constraint ‖XΛᵀ‖_max ≤ 1 holds column by column (one column per neuron), so the
        neurons need not share one scale: dividing all of Λ by the worst neuron's ‖Xλ_mᵀ‖_∞
        lets one neuron slightly off dual feasibility loosen the bound for all. On a trained
        layer that was the difference between a gap of 3·10⁻³ and 10⁻⁵ at the same iterate.
        Per-neuron form: d separates over neurons, so t_m = 1/‖Xλ_mᵀ‖_∞ where neuron m's part of
        d is positive and 0 elsewhere is the best such scaling. Layer form: the ball term couples
        the neurons, and the best scaling maximises aᵀt − ε‖b∘t‖ over the box
        0 ≤ t_m ≤ 1/‖Xλ_mᵀ‖_∞ (a_m, b_m: neuron m's linear part and ‖λ_{m,Ω}‖), solved
        exactly by :func:`_ball_scaling` (it replaced the better of t_m = 1/‖Xλ_mᵀ‖_∞ and one
        common scale, which lagged on trained layers: see results/solver_benchmark/README.md).
        """
        L_omega = Lam * self.on_mask
        L_off = np.maximum(Lam, 0.0)
        L_off *= self.off_mask
        reach = np.abs(self.X @ (L_omega + L_off).T).max(axis=0)  # ‖Xλ_mᵀ‖_∞ per neuron
        linear = -(L_omega * self.Y).sum(axis=1) - (L_off * self.V).sum(axis=1)
        norms = np.linalg.norm(L_omega, axis=1)
        # the scaling below in float64 also for a float32 copy (astype): M numbers
        reach, linear, norms = (np.asarray(v, dtype=float) for v in (reach, linear, norms))
        if self.per_neuron:
            part = linear - self.epsilon_m * norms
            useful = (part > 0) & (reach > 0)
            return float((part[useful] / reach[useful]).sum())
        # t_m = 0 where the linear part is not positive: such a neuron only adds to the ball term
        useful = (linear > 0) & (reach > 0)
        if not useful.any():
            return 0.0  # Λ = 0 is dual feasible, with d = 0
        cap = np.where(useful, 1.0 / np.where(useful, reach, 1.0), 0.0)
        t = _ball_scaling(linear, norms, cap, self.epsilon)
        return float(linear @ t) - self.epsilon * float(np.linalg.norm(t * norms))

    def __repr__(self) -> str:
        form = "linear" if self.linear else ("per-neuron" if self.per_neuron else "layer")
        return (f"LayerProblem(N={self.N}, M={self.M}, P={self.P}, epsilon={self.epsilon:.4g}, "
                f"form={form}, bias={self.bias}, |Ω|={int(self.omega.sum())})")


def _ball_scaling(a: np.ndarray, b: np.ndarray, cap: np.ndarray, epsilon: float) -> np.ndarray:
    """argmax of f(t) = aᵀt − ε‖b∘t‖ over the box 0 ≤ t ≤ cap (a > 0 where cap > 0).

    The layer form's dual bound from the rows of a multiplier scaled by t. For a fixed
    s = ‖b∘t‖ each coordinate solves a_m − εb_m²t_m/s = 0 or sits at a bound, so
    t_m(s) = min(a_m·s/(εb_m²), cap_m): coordinate m is capped once s ≥ σ_m = εb_m²cap_m/a_m.
    Between consecutive σ's, ‖b∘t(s)‖² = A·s² + B (A from the free coordinates, B from the
    capped ones), and the optimum's s is the fixed point s² = B/(1 − A) that lies in its own
    interval. f is concave, so each interval's candidate is a feasible t and the best of them
    is the optimum; we keep the best, which guards against rounding at the interval ends.
    """
    t = cap.copy()
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        rate = a / (epsilon * b ** 2)          # t_m(s) = rate_m·s while coordinate m is free
    # b_m = 0 (or so small that the rate overflows; or ε = 0): f grows with t_m up to its cap;
    # a_m = 0 = b_m (0/0) only where cap_m = 0
    free = (cap > 0) & np.isfinite(rate)
    if not free.any():
        return t
    a_f, cap_f, rate_f = a[free], cap[free], rate[free]
    b_f = b[free]
    order = np.argsort(cap_f / rate_f)         # σ_m = cap_m/rate_m
    a_f, b_f, cap_f, rate_f = a_f[order], b_f[order], cap_f[order], rate_f[order]
    with np.errstate(over="ignore"):           # inf: capped from the start (σ_m ≈ 0)
        slope = rate_f * a_f / epsilon         # (a_m/εb_m)², a free coordinate's share of A
    # candidate k: the first k coordinates (in σ order) capped, the rest free
    A = np.concatenate([np.cumsum(slope[::-1])[::-1], [0.0]])
    B = np.concatenate([[0.0], np.cumsum((b_f * cap_f) ** 2)])
    # A ≥ 1: f grows along the ray, no fixed point there; B = 0 is s = 0, i.e. t = 0 and f = 0,
    # the optimum when no other candidate is positive
    fixed = (A < 1) & (B > 0)
    s = np.sqrt(B[fixed] / (1 - A[fixed]))
    T = np.minimum(np.outer(s, rate_f), cap_f)
    values = T @ a_f - epsilon * np.linalg.norm(T * b_f, axis=1)
    t_f = np.zeros_like(cap_f)
    if values.size and values.max() > 0:
        t_f[order] = T[np.argmax(values)]
    t[free] = t_f
    return t

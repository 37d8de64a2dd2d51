"""One entry point: prune one layer with any registered solver."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from ._validation import check_int
from .problem import Evaluation, LayerProblem
from .solvers.base import configure


@dataclass
class LayerResult:
    """The outcome of :func:`prune_layer`.

    Attributes
    ----------
    W : ndarray of shape (N, M)
        Pruned weights (N includes the bias row when ``bias=True``: it is the last row).
    status : str
        Solver status; only ``"converged"`` is a result (see :data:`nettrim.solvers.STATUSES`).
    info : dict
        Solver facts: iterations, time, residuals.
    evaluation : Evaluation
        Objective, feasibility and ‖Y − ReLU(WᵀX)‖_F of ``W``.
    problem : LayerProblem
    state : dict or None
        The solver's warm start for a neighbouring program (ADMM's ``warm`` option).
    """

    W: np.ndarray
    status: str
    info: dict
    evaluation: Evaluation
    problem: LayerProblem
    state: dict | None = field(default=None, repr=False)

    @property
    def converged(self) -> bool:
        return self.status == "converged"


def solve(problem: LayerProblem, solver="admm", *, blas_threads: int | str | None = "auto",
          **options) -> LayerResult:
    """Solve a prepared :class:`LayerProblem` with ``solver``.

    Parameters
    ----------
    problem : LayerProblem
    solver : Solver or str, default "admm"
        A configured solver (``nettrim.ADMM(gap_tol=1e-4)``), or a registered name whose
        ``options`` are checked before it runs (:func:`nettrim.solvers.as_solver`).
    blas_threads : int, None or "auto", default "auto"
        Caps BLAS threads during the solve (None: no cap beyond the caller's). ``"auto"``
        picks by size: one thread below N·M·P = :data:`AUTO_THREADS_SIZE`, where ADMM's BLAS
        calls are too short to share, no cap above it (in a joblib worker, the worker's own
        limit). On 2 cores two threads ran an ADMM iteration 0.5–0.8× as fast below 4·10⁷ and
        1.4–1.6× as fast from 2·10⁸ up (MNIST's first layer at P = 1,000: 5.2 → 3.5 s).
    **options
        The solver's options (with a solver given by name) and this solve's arguments
        (``W0``, ``warm``, ``callback`` for ADMM).

    Returns
    -------
    LayerResult
    """
    if not isinstance(problem, LayerProblem):
        raise TypeError(f"problem must be a LayerProblem; got {type(problem).__name__}")
    thread_limit(blas_threads, problem)     # refused before any work
    solver, runtime = configure(solver, options)
    solver.check_capability(problem)
    if problem.zero_is_feasible:
        # the optimum is U = 0 exactly: no solver's round-off (~1e-12 entries) to count
        W = np.zeros((problem.N, problem.M))
        return LayerResult(W=W, status="converged", info={
            "solver": solver.name, "iterations": 0, "time": 0.0,
            "message": "U = 0 is feasible (‖Y_Ω‖ ≤ ε and V ≥ 0 on Ωᶜ), hence optimal"},
            evaluation=problem.evaluate(W), problem=problem)
    # every solver sees data of order one, and its answer is mapped back: the same verdict
    # on a program and on that program with X, Y and ε scaled by 1e-12 … 1e12
    alpha, beta = problem.unit_scales()
    if max(beta / alpha, alpha / beta) > _SCALE_GAP_MAX:
        raise ValueError(
            f"X and Y differ in scale by a factor of {max(beta / alpha, alpha / beta):.3g} "
            f"(root-mean-square entries about {alpha:.3g} and {beta:.3g}): the weights that "
            f"map one to the other would be of order {beta / alpha:.3g}, beyond what double "
            f"precision squares safely; rescale X or Y (and epsilon with Y)")
    work = problem if alpha == beta == 1.0 else problem.scaled(alpha, beta)
    runtime = _in_units(runtime, alpha, beta)
    # rows of X that vanish on every sample carry weights that are zero at every optimum:
    # the solver never sees them (on MNIST's first layer, 166 of 785 at P = 1,000: 1.37×)
    keep = ~work.vanishing_rows
    screened = int(keep.size - keep.sum()) if keep.any() else 0
    if screened:
        work, runtime = work.restricted(keep), _on_rows(runtime, keep, problem.M)
    with threadpool_limits(limits=thread_limit(blas_threads, work), user_api="blas"):
        result = solver.solve(work, **runtime)
    W = _padded(result.W, keep) if screened else result.W
    W = W if alpha == beta == 1.0 else W * (beta / alpha)
    info = dict(result.info)
    if screened:
        info["screened_rows"] = screened
    for key, factor in (("dual_bound", beta / alpha), ("rho", alpha / beta)):  # unit-bearing
        if isinstance(info.get(key), float):
            info[key] *= factor
    status = _certified(problem, W, result.status, solver.get_params(), info)
    if not np.isfinite(W).all():
        # not a point at all: reported as the solver's failure, not as a check of "U"
        info["message"] = "; ".join(m for m in (info.get("message"), (
            f"the solver returned {int((~np.isfinite(W)).sum())} NaN/Inf weights (replaced "
            f"by zeros here)")) if m)
        status, W = "error", np.zeros_like(W)
    if status == "infeasible" and problem.epsilon == 0 and problem.low_precision:
        hint = ("the data were float32 (or narrower): their rounding can make the ε = 0 "
                "equalities inconsistent; pass float64 X and Y, or use epsilon > 0")
        info["message"] = "; ".join(m for m in (info.get("message"), hint) if m)
    state = _state_on_rows(result.state, keep) if screened else result.state
    return LayerResult(W=W, status=status, info=info, evaluation=problem.evaluate(W),
                       problem=problem, state=_state_in_units(state, 1 / alpha, 1 / beta))


#: ``blas_threads="auto"`` lifts the one-thread cap from programs of this N·M·P up: the
#: crossing on 2 cores lay between 4·10⁷ (two threads 0.84× as fast per ADMM iteration) and
#: 9·10⁷ (1.15×); exploratory timings of 60 iterations on random layers, issue 32.
AUTO_THREADS_SIZE = 1e8


def thread_limit(blas_threads, problem: LayerProblem) -> int | None:
    """The BLAS thread cap ``blas_threads`` sets for ``problem`` (None: no cap)."""
    if blas_threads is None:
        return None
    if isinstance(blas_threads, str):
        if blas_threads != "auto":
            raise ValueError(f"blas_threads must be a positive int, None or 'auto'; "
                             f"got {blas_threads!r}")
        return 1 if problem.N * problem.M * problem.P < AUTO_THREADS_SIZE else None
    return check_int(blas_threads, "blas_threads", low=1)


#: The largest ratio of the data's scales (:meth:`LayerProblem.unit_scales`) :func:`solve`
#: takes: the weights are of order β/α, and squares of 1e±150 leave double precision.
_SCALE_GAP_MAX = 1e100

#: The feasibility a "converged" answer is held to when its solver takes no ``feas_tol``:
#: :meth:`LayerProblem.evaluate`'s default.
FEAS_TOL = 1e-4


def _certified(problem: LayerProblem, W, status: str, params: dict, info: dict) -> str:
    """``status``, unless it is "converged" for a W that fails the program's own feasibility
    test at the solver's ``feas_tol`` (:data:`FEAS_TOL` for a solver without one): then
    "inaccurate", with the reason in ``info["message"]``. Checked on the caller's data,
    after the change of units back."""
    if status != "converged" or not np.isfinite(W).all():
        return status
    tol = params.get("feas_tol", FEAS_TOL)
    infeasibility = problem.infeasibility(W.T @ problem.X)
    if infeasibility <= tol:
        return status
    info["message"] = "; ".join(m for m in (info.get("message"), (
        f"the solver reported convergence, but its point is infeasible by {infeasibility:.3g}"
        f" (relative) on the given data, above the tolerance {tol:g}")) if m)
    return "inaccurate"


def _in_units(options: dict, alpha: float, beta: float) -> dict:
    """The per-solve arguments that carry the program's units (``W0``, ``warm``) taken to the
    units of ``problem.scaled(alpha, beta)``; a ``callback(k, W)`` is shown W in the
    caller's units."""
    if alpha == beta == 1.0:
        return options
    out = dict(options)
    if callable(out.get("callback")):
        watch = out["callback"]
        out["callback"] = lambda k, W: watch(k, W * (beta / alpha))
    if out.get("W0") is not None:
        out["W0"] = np.asarray(out["W0"], dtype=float) * (alpha / beta)
    if isinstance(out.get("warm"), dict):
        out["warm"] = _state_in_units(out["warm"], alpha, beta)
    return out


def _state_in_units(state, alpha: float, beta: float):
    """An ADMM state (``warm``) taken to the units of ``problem.scaled(alpha, beta)``: the
    weights by α/β; the multiplier Λ of UᵀX = Z by α (‖U‖₁ + ⟨Λ, UᵀX − Z⟩ scales by α/β,
    the constraint by 1/β); ρ by β/α (the penalised residuals scale with U); the N×M block's
    multiplier is unit-free. Anything else is passed on for the solver to judge."""
    if not isinstance(state, dict) or alpha == beta == 1.0:
        return state
    k = alpha / beta
    out = dict(state)
    for key, factor in (("W", k), ("Lam", alpha)):
        if isinstance(out.get(key), np.ndarray):
            out[key] = out[key] * factor
    if isinstance(out.get("rho"), (int, float)) and not isinstance(out["rho"], bool):
        out["rho"] = out["rho"] / k
    return out


#: The N×M entries of an ADMM state (``warm``): rows of U and of the N×M block's multiplier.
_ROW_KEYS = ("W", "Lam2")


def _padded(A: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """A (kept rows × M) back on all N rows, zeros on the screened ones."""
    out = np.zeros((keep.size, A.shape[1]), dtype=A.dtype)
    out[keep] = A
    return out


def _kept_rows(A, keep: np.ndarray, M: int, name: str) -> np.ndarray:
    A = np.asarray(A)
    if A.shape != (keep.size, M):
        raise ValueError(f"{name} must have shape (N, M) = ({keep.size}, {M}); got {A.shape}")
    return A[keep]


def _on_rows(options: dict, keep: np.ndarray, M: int) -> dict:
    """The per-solve arguments on the rows ``keep`` of the program (``W0`` and the N×M
    entries of ``warm`` sliced); a ``callback(k, W)`` is shown W on all rows."""
    out = dict(options)
    if callable(out.get("callback")):
        watch = out["callback"]
        out["callback"] = lambda k, W: watch(k, _padded(W, keep))
    if out.get("W0") is not None:
        out["W0"] = _kept_rows(out["W0"], keep, M, "W0")
    if isinstance(out.get("warm"), dict):
        warm = dict(out["warm"])
        for key in _ROW_KEYS:
            if isinstance(warm.get(key), np.ndarray):
                warm[key] = _kept_rows(warm[key], keep, M, f"warm['{key}']")
        out["warm"] = warm
    return out


def _state_on_rows(state, keep: np.ndarray):
    """A solver state from the restricted program, its N×M entries back on all rows."""
    if not isinstance(state, dict):
        return state
    out = dict(state)
    for key in _ROW_KEYS:
        if isinstance(out.get(key), np.ndarray):
            out[key] = _padded(out[key], keep)
    return out


def prune_layer(X, Y, epsilon, *, solver="admm", V=None, bias: bool = False,
                per_neuron: bool = False, linear: bool = False,
                blas_threads: int | str | None = "auto",
                **options) -> LayerResult:
    """Prune one layer: the sparsest U (in ℓ₁) that keeps ReLU(UᵀX) within ε of Y.

    Solves  min ‖U‖₁  s.t.  ‖(UᵀX − Y)_Ω‖_F ≤ ε,  (UᵀX)_Ωᶜ ≤ V_Ωᶜ,  Ω = {Y > 0}.

    Parameters
    ----------
    X : array of shape (N, P)
        Layer input, one sample per column.
    Y : array of shape (M, P)
        Layer output ReLU(WᵀX) to reproduce (any real values with ``linear=True``).
    epsilon : float or array of shape (M,)
        Discrepancy budget ε ≥ 0; see :class:`LayerProblem`. A common choice is
        ε = g·‖Y‖_F with a gain g of a few percent.
    solver : Solver, or {"admm", "cvxpy", "lp", "auto"} or any registered name, default "admm"
        A configured solver (``nettrim.ADMM(max_iter=5000)``) or a name; "lp" solves only
        ε = 0 (exactly).
    V, bias, per_neuron, linear
        See :class:`LayerProblem`.
    blas_threads : int, None or "auto", default "auto"
        BLAS threads during the solve; see :func:`solve`.
    **options
        Passed to the solver (e.g. ``max_iter``, ``gap_tol`` for ADMM; ``cvx_solver`` for cvxpy).

    Returns
    -------
    LayerResult

    Examples
    --------
    >>> import numpy as np, nettrim
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 300)); W = rng.standard_normal((50, 10))
    >>> Y = np.maximum(W.T @ X, 0)
    >>> res = nettrim.prune_layer(X, Y, epsilon=0.05 * np.linalg.norm(Y))
    >>> res.status, res.evaluation.relu_error <= res.evaluation.epsilon * (1 + 1e-3)
    ('converged', True)
    """
    problem = LayerProblem(X, Y, epsilon, V=V, bias=bias, per_neuron=per_neuron, linear=linear)
    return solve(problem, solver, blas_threads=blas_threads, **options)

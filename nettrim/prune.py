"""One entry point: prune one layer with any registered solver."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from .problem import Evaluation, LayerProblem
from .solvers import get_solver
from .solvers.base import check_capability, validate


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
    def report(self) -> Evaluation:
        """Deprecated name of :attr:`evaluation` (a *report* is a network's per-layer table)."""
        warnings.warn("LayerResult.report is deprecated; use LayerResult.evaluation",
                      DeprecationWarning, stacklevel=2)
        return self.evaluation

    @property
    def converged(self) -> bool:
        return self.status == "converged"


def solve(problem: LayerProblem, solver: str = "admm", *, blas_threads: int | None = 1,
          **options) -> LayerResult:
    """Solve a prepared :class:`LayerProblem` with the solver registered as ``solver``.

    Parameters
    ----------
    problem : LayerProblem
    solver : str, default "admm"
        A registered solver name; its options are checked before it runs.
    blas_threads : int or None, default 1
        Caps BLAS threads during the solve (None: no cap). The default 1 is deliberate: ADMM
        alternates small BLAS calls with numpy element-wise work, and idle BLAS threads
        spinning between calls made it 40× slower on a 2-core machine.
    **options
        Passed to the solver.

    Returns
    -------
    LayerResult
    """
    if not isinstance(problem, LayerProblem):
        raise TypeError(f"problem must be a LayerProblem; got {type(problem).__name__}")
    fn = get_solver(solver)
    validate(solver, options)
    check_capability(solver, problem)
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        result = fn(problem, **options)
    if result.status == "infeasible" and problem.epsilon == 0 and problem.low_precision:
        hint = ("the data were float32 (or narrower): their rounding can make the ε = 0 "
                "equalities inconsistent; pass float64 X and Y, or use epsilon > 0")
        result.info["message"] = "; ".join(m for m in (result.info.get("message"), hint) if m)
    return LayerResult(W=result.W, status=result.status, info=result.info,
                       evaluation=problem.evaluate(result.W), problem=problem,
                       state=result.state)


def prune_layer(X, Y, epsilon, *, solver: str = "admm", V=None, bias: bool = False,
                per_neuron: bool = False, linear: bool = False, blas_threads: int | None = 1,
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
    solver : {"admm", "cvxpy", "lp"} or any registered name, default "admm"
        "lp" solves only ε = 0 (exactly).
    V, bias, per_neuron, linear
        See :class:`LayerProblem`.
    blas_threads : int or None, default 1
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

"""The Net-Trim layer program written in cvxpy (reference solver; default backend CLARABEL).

cvxpy is imported when this solver is first used, not when nettrim is: it takes ~0.4 s.
"""

from __future__ import annotations

import time

import numpy as np

from ..problem import LayerProblem
from .base import Solver, SolverResult, signature_defaults

#: cvxpy's status strings (cp.OPTIMAL, ...) → ours
_STATUS = {
    "optimal": "converged",
    "optimal_inaccurate": "inaccurate",
    "infeasible": "infeasible",
    "infeasible_inaccurate": "infeasible",
    "unbounded": "error",
    "unbounded_inaccurate": "error",
    "user_limit": "max_iter",
}


def _cvxpy():
    try:
        import cvxpy
    except ImportError:
        raise ImportError("solver='cvxpy' needs cvxpy: pip install 'nettrim[cvxpy]'") from None
    return cvxpy


def build(problem: LayerProblem) -> tuple:
    """The cvxpy program for ``problem``: one residual block and one inequality block per neuron.

    Returns
    -------
    (cvxpy.Problem, cvxpy.Variable)
        The program and its variable U (N×M).
    """
    cp = _cvxpy()
    X, Y, V, omega = problem.X, problem.Y, problem.V, problem.omega
    U = cp.Variable((problem.N, problem.M))
    residuals, constraints = [], []
    for m in range(problem.M):
        on = omega[m]
        if on.any():
            residuals.append(X[:, on].T @ U[:, m] - Y[m, on])
        off = ~on
        if off.any():
            constraints.append(X[:, off].T @ U[:, m] <= V[m, off])
    if problem.per_neuron:
        constraints += [cp.norm(res, 2) <= eps for res, eps in
                        zip(residuals, problem.epsilon_m[omega.any(axis=1)])]
    else:
        constraints.append(cp.norm(cp.hstack(residuals), 2) <= problem.epsilon)
    return cp.Problem(cp.Minimize(cp.sum(cp.abs(U))), constraints), U


def _check_options(*, cvx_solver="CLARABEL", verbose=False, **solver_options) -> None:
    """Validate the options cvxpy itself would only reject mid-solve (the backend's own
    options are passed through unchecked: cvxpy does not list them)."""
    from .._validation import check_bool

    cp = _cvxpy()
    if not isinstance(cvx_solver, str):
        raise TypeError(f"cvx_solver must be a solver name (str); got {type(cvx_solver).__name__}")
    if cvx_solver not in cp.installed_solvers():
        raise ValueError(f"cvx_solver {cvx_solver!r} is not installed; installed: "
                         f"{', '.join(cp.installed_solvers())}")
    check_bool(verbose, "verbose")


def solve_cvxpy(problem: LayerProblem, *, cvx_solver: str = "CLARABEL", verbose: bool = False,
                **solver_options) -> SolverResult:
    """Solve a :class:`~nettrim.problem.LayerProblem` with cvxpy.

    Parameters
    ----------
    problem : LayerProblem
    cvx_solver : str, default "CLARABEL"
        Any cvxpy conic solver that handles second-order cones (e.g. "ECOS", "SCS").
    verbose : bool
        Passed to :meth:`cvxpy.Problem.solve`.
    **solver_options
        Passed to the backend (e.g. tolerances).

    Returns
    -------
    SolverResult
        ``info`` holds ``time`` (wall, including compilation), ``solve_time`` (backend),
        ``iterations`` when the backend reports them, and cvxpy's ``cvx_status``.
    """
    return CVXPY(cvx_solver=cvx_solver, verbose=verbose, **solver_options).solve(problem)


class CVXPY(Solver):
    """The cvxpy reference solver as a value: ``CVXPY(cvx_solver="SCS", eps=1e-6)``.

    Parameters
    ----------
    cvx_solver : str, default "CLARABEL"
    verbose : bool, default False
    **solver_options
        See :func:`solve_cvxpy`; the backend's own options are passed on unchecked.
    """

    name = "cvxpy"
    priority = 10
    requires = ("cvxpy",)
    open_options = True

    @classmethod
    def defaults(cls) -> dict:
        return signature_defaults(solve_cvxpy)

    def _check(self, **options) -> dict:
        _check_options(**options)
        return {**self.defaults(), **options}

    def _run(self, problem, checked) -> SolverResult:
        return _solve(problem, **checked)


def _solve(problem: LayerProblem, *, cvx_solver: str, verbose: bool,
           **solver_options) -> SolverResult:
    """:func:`solve_cvxpy` on checked options."""
    cp = _cvxpy()
    t0 = time.perf_counter()
    prog, U = build(problem)
    try:
        prog.solve(solver=cvx_solver, verbose=verbose, **solver_options)
    except cp.error.SolverError as exc:
        W = np.zeros((problem.N, problem.M))
        return SolverResult(W, "error", {"solver": "cvxpy", "message": str(exc),
                                         "time": time.perf_counter() - t0})
    status = _STATUS.get(prog.status, "error")
    W = U.value if U.value is not None else np.zeros((problem.N, problem.M))
    stats = prog.solver_stats
    info = {
        "solver": "cvxpy",
        "cvx_solver": cvx_solver,
        "cvx_status": prog.status,
        "iterations": getattr(stats, "num_iters", None),
        "solve_time": getattr(stats, "solve_time", None),
        "time": time.perf_counter() - t0,
    }
    return SolverResult(W=np.asarray(W, dtype=float), status=status, info=info)

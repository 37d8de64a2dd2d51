"""The noiseless (ε = 0) program as linear programs, solved exactly by HiGHS.

With ε = 0 the neurons decouple; for neuron m, splitting w = u − v with u, v ≥ 0:

    minimize 1ᵀ(u + v)   s.t.   X_Ωᵀ(u − v) = y_Ω,   X_Ωᶜᵀ(u − v) ≤ v_Ωᶜ.
"""

from __future__ import annotations

import time

import numpy as np

from ..problem import LayerProblem
from .base import Solver, SolverResult, signature_defaults

# HiGHS status codes from scipy.optimize.linprog
_STATUS = {0: "converged", 1: "max_iter", 2: "infeasible", 3: "error", 4: "inaccurate"}
_SEVERITY = ["converged", "inaccurate", "max_iter", "infeasible", "error"]


def _solve_neuron(Xon, yon, Xoff, voff, options):
    from scipy.optimize import linprog  # here, not at import: scipy.optimize takes ~0.5 s

    N = Xon.shape[0] if Xon.size else Xoff.shape[0]
    c = np.ones(2 * N)
    A_eq = np.hstack([Xon.T, -Xon.T]) if Xon.shape[1] else None
    A_ub = np.hstack([Xoff.T, -Xoff.T]) if Xoff.shape[1] else None
    res = linprog(c, A_ub=A_ub, b_ub=voff if A_ub is not None else None,
                  A_eq=A_eq, b_eq=yon if A_eq is not None else None,
                  bounds=(0, None), method="highs", options=options)
    w = res.x[:N] - res.x[N:] if res.x is not None else np.zeros(N)
    return w, _STATUS.get(res.status, "error"), res


#: The options scipy's HiGHS interface takes (scipy.optimize.linprog(method="highs")).
HIGHS_OPTIONS = ("maxiter", "disp", "presolve", "time_limit", "dual_feasibility_tolerance",
                 "primal_feasibility_tolerance", "ipm_optimality_tolerance",
                 "simplex_dual_edge_weight_strategy", "mip_rel_gap")


def _check_options(*, options=None) -> dict:
    """Validate ``options`` (a mapping of HiGHS option names) without solving anything:
    linprog only warns about unknown names, so a typo would silently change nothing."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"options must be a mapping of HiGHS options; got {type(options).__name__}")
    unknown = sorted(set(options) - set(HIGHS_OPTIONS))
    if unknown:
        raise ValueError(f"unknown HiGHS option(s) {unknown} in options; linprog takes "
                         f"{list(HIGHS_OPTIONS)}")
    return dict(options)


def solve_lp(problem: LayerProblem, *, options: dict | None = None) -> SolverResult:
    """Solve the ε = 0 program exactly, one HiGHS linear program per neuron.

    Parameters
    ----------
    problem : LayerProblem
        Must have ``epsilon == 0``.
    options : dict, optional
        Passed to ``scipy.optimize.linprog(method="highs", options=...)``.

    Returns
    -------
    SolverResult
        ``status`` is the worst over neurons; ``info`` holds ``iterations`` (simplex/IPM
        iterations summed over neurons), ``time`` and the first failure ``message``, if any.
    """
    return LP(options=options).solve(problem)


class LP(Solver):
    """The exact ε = 0 solver as a value: ``LP(options={"presolve": False})``.

    Parameters
    ----------
    options : dict, optional
        HiGHS options (:data:`HIGHS_OPTIONS`), passed to ``scipy.optimize.linprog``.
    """

    name = "lp"
    epsilon = "zero"
    exact = True
    priority = 30

    @classmethod
    def defaults(cls) -> dict:
        return signature_defaults(solve_lp)

    def _check(self, *, options=None) -> dict:
        return _check_options(options=options)

    def _run(self, problem, checked) -> SolverResult:
        return _solve(problem, checked)


def _solve(problem: LayerProblem, options: dict) -> SolverResult:
    """:func:`solve_lp` with checked HiGHS ``options``."""
    t0 = time.perf_counter()
    X, Y, V, omega = problem.X, problem.Y, problem.V, problem.omega
    W = np.zeros((problem.N, problem.M))
    status, iterations, message = "converged", 0, None
    for m in range(problem.M):
        on = omega[m]
        w, st, res = _solve_neuron(X[:, on], Y[m, on], X[:, ~on], V[m, ~on], options)
        W[:, m] = w
        iterations += int(getattr(res, "nit", 0) or 0)
        if _SEVERITY.index(st) > _SEVERITY.index(status):
            status, message = st, f"neuron {m}: {res.message}"
    info = {"solver": "lp", "iterations": iterations, "time": time.perf_counter() - t0,
            "message": message}
    return SolverResult(W=W, status=status, info=info)

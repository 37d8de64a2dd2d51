"""Solvers for the Net-Trim layer program, one module each, behind one interface
(:class:`~nettrim.solvers.base.Solver`)."""

from . import admm_torch  # noqa: F401  (importing registers it)
from .admm import ADMM
from .auto import Auto
from .base import (
    SOLVERS,
    STATUSES,
    Solver,
    SolverResult,
    as_solver,
    available_solvers,
    choose,
    configure,
    get_solver,
    register,
    solver_list,
)
from .cvx import CVXPY
from .lp import LP

__all__ = ["SOLVERS", "STATUSES", "Solver", "SolverResult", "ADMM", "LP", "CVXPY", "Auto",
           "as_solver", "available_solvers", "choose", "configure", "get_solver", "register",
           "solver_list"]

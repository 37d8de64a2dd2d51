"""Solvers for the Net-Trim layer program, one module each, behind one interface."""

from . import admm, admm_torch, auto, cvx, lp  # noqa: F401  (importing registers them)
from .base import (
                   SOLVERS,
                   STATUSES,
                   SolverResult,
                   available_solvers,
                   choose,
                   get_solver,
                   register,
                   validate,
)

__all__ = ["SOLVERS", "STATUSES", "SolverResult", "available_solvers", "choose", "get_solver",
           "register", "validate"]

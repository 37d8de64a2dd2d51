"""Solvers for the Net-Trim layer program, one module each, behind one interface."""

from . import admm, auto, cvx, lp  # noqa: F401  (importing registers them)
from .base import STATUSES, SolverResult, available_solvers, get_solver, register, validate

__all__ = ["STATUSES", "SolverResult", "available_solvers", "get_solver", "register", "validate"]

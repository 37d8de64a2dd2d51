"""nettrim: Net-Trim, convex layer-by-layer pruning of ReLU networks (Aghasi, Abdi, Romberg)."""

from .problem import LayerProblem, Report
from .prune import PruneResult, prune_layer, solve
from .solvers import STATUSES, available_solvers, get_solver, register

__version__ = "0.1.0"

__all__ = ["LayerProblem", "Report", "PruneResult", "prune_layer", "solve", "STATUSES",
           "available_solvers", "get_solver", "register"]

"""nettrim: Net-Trim, convex layer-by-layer pruning of ReLU networks (Aghasi, Abdi, Romberg)."""

from .network import Network
from .problem import LayerProblem, Report
from .schemes import (TrimResult, cascade_trim, parallel_trim, relative_discrepancy,
                      trim_to_discrepancy)
from .frameworks import prune_sklearn, prune_torch
from .prune import PruneResult, prune_layer, solve
from .solvers import STATUSES, available_solvers, get_solver, register

__version__ = "0.1.0"

__all__ = ["Network", "TrimResult", "parallel_trim", "cascade_trim", "relative_discrepancy",
           "trim_to_discrepancy", "prune_sklearn", "prune_torch", "LayerProblem", "Report",
           "PruneResult", "prune_layer", "solve", "STATUSES", "available_solvers", "get_solver",
           "register"]

"""nettrim: Net-Trim, convex layer-by-layer pruning of ReLU networks (Aghasi, Abdi, Romberg)."""

from .frameworks import prune_sklearn, prune_torch
from .network import Network
from .problem import LayerProblem, Report
from .prune import PruneResult, prune_layer, solve
from .schemes import (
    TrimResult,
    cascade_trim,
    parallel_trim,
    relative_discrepancy,
    trim_to_discrepancy,
)
from .solvers import STATUSES, available_solvers, get_solver, register

__version__ = "0.1.0"


def __getattr__(name):
    # the scikit-learn estimator is imported on first use: sklearn is not needed to prune
    if name == "NetTrim":
        from .estimator import NetTrim

        return NetTrim
    raise AttributeError(f"module 'nettrim' has no attribute {name!r}")

__all__ = ["NetTrim", "Network", "TrimResult", "parallel_trim", "cascade_trim",
           "relative_discrepancy",
           "trim_to_discrepancy", "prune_sklearn", "prune_torch", "LayerProblem", "Report",
           "PruneResult", "prune_layer", "solve", "STATUSES", "available_solvers", "get_solver",
           "register"]

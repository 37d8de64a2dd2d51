"""nettrim: Net-Trim, convex layer-by-layer pruning of ReLU networks (Aghasi, Abdi, Romberg).

One verb, *prune*: :func:`prune_layer` returns a :class:`LayerResult` (whose ``evaluation`` is
an :class:`Evaluation` of the pruned weights); :func:`prune_parallel`, :func:`prune_cascade`,
:func:`prune_to_discrepancy`, :func:`prune_sklearn` and :func:`prune_torch` return a
:class:`NetworkResult` whose ``report`` is the per-layer table (a *report* is always that table).
:func:`prune_path` returns one per gain of a sweep. A solver is a value (:class:`ADMM`,
:class:`LP`, :class:`CVXPY`, :class:`Auto`, or a registered name). The
theory-validation suite is :mod:`nettrim.suite`, imported on its own.
"""

from .frameworks import prune_sklearn, prune_torch
from .network import Network
from .problem import Evaluation, LayerProblem
from .prune import LayerResult, prune_layer, solve
from .schemes import (
    NetworkResult,
    prune_cascade,
    prune_network,
    prune_parallel,
    prune_path,
    prune_to_discrepancy,
    relative_discrepancy,
)
from .solvers import (
    ADMM,
    CVXPY,
    LP,
    STATUSES,
    Auto,
    Solver,
    as_solver,
    available_solvers,
    get_solver,
    register,
)

__version__ = "0.1.0"

#: Public submodules imported on first attribute access.
_SUBMODULES = ("baselines", "export", "solvers")


def __getattr__(name):
    # the scikit-learn estimator is imported on first use: sklearn is not needed to prune
    if name == "NetTrim":
        try:
            from .estimator import NetTrim
        except ModuleNotFoundError as e:
            if e.name != "sklearn":
                raise
            raise ImportError("nettrim.NetTrim needs scikit-learn: pip install "
                              "'nettrim[sklearn]'") from e
        return NetTrim
    if name in _SUBMODULES:
        # `import nettrim; nettrim.baselines.wanda_prune(...)` works without its own import,
        # while `import nettrim` stays as light as it was
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nettrim' has no attribute {name!r}")


__all__ = ["NetTrim", "Network", "NetworkResult", "prune_network", "prune_parallel",
           "prune_cascade", "prune_path",
           "prune_to_discrepancy", "relative_discrepancy", "prune_sklearn", "prune_torch",
           "LayerProblem", "Evaluation", "LayerResult", "prune_layer", "solve", "STATUSES",
           "available_solvers", "get_solver", "register", "Solver", "ADMM", "LP", "CVXPY",
           "Auto", "as_solver"]

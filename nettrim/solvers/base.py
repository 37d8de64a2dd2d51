"""The solver interface and registry.

A solver is a function ``solve(problem, **options) -> SolverResult``. It is registered under a
name with :func:`register` and found with :func:`get_solver`; :func:`nettrim.prune_layer` and the
experiments only ever use the name, so a new solver needs no edit outside its own module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..registry import Registry

#: Solver outcomes.  Only "converged" is a result; every other status must be reported as such
#: ("stopped": the caller's callback ended the run).
STATUSES = ("converged", "max_iter", "inaccurate", "infeasible", "error", "stopped")

#: Every solver, with its declarations (see :func:`register`).
SOLVERS = Registry("solver")


@dataclass
class SolverResult:
    """What a solver returns.

    Attributes
    ----------
    W : ndarray of shape (N, M)
        The pruned weights.
    status : str
        One of :data:`STATUSES`.
    info : dict
        Solver-specific facts: ``iterations``, ``time`` (seconds), residuals, messages.
    state : dict or None
        What the solver needs to warm-start a neighbouring program (ADMM: its ``warm``
        option), or None when it has no use for one.
    """

    W: np.ndarray
    status: str
    info: dict = field(default_factory=dict)
    state: dict | None = field(default=None, repr=False)

    @property
    def converged(self) -> bool:
        return self.status == "converged"


def register(name: str, *, check: Callable | None = None, epsilon: str = "any",
             exact: bool = False, priority: int = 0, requires=()):
    """Function decorator adding a solver to the registry under ``name``, with what it can do.

    Parameters
    ----------
    name : str
        The name users pass as ``solver=``; registering a name twice is an error.
    check : callable, optional
        ``check(**options)`` validates the solver's option values (raising
        ValueError/TypeError naming the option) without solving anything, so that a sweep can
        refuse a bad configuration before its first trial; the solver should call it too.
    epsilon : {"any", "zero"}, default "any"
        The programs it solves: any ε, or only the noiseless ε = 0 one.
    exact : bool, default False
        Whether its answer is exact (a simplex/LP vertex) rather than to a tolerance.
    priority : int, default 0
        Preference among the solvers able to take a problem (``solver="auto"`` picks the
        highest, exact ones first).
    requires : sequence of str
        Modules it imports when used (``Entry.is_installed`` checks them without importing).

    Returns
    -------
    callable
        The decorator (it returns the solver function unchanged).
    """
    if epsilon not in ("any", "zero"):
        raise ValueError(f"epsilon must be 'any' or 'zero'; got {epsilon!r}")
    return SOLVERS.register(name, requires=requires, check=check, epsilon=epsilon,
                            exact=bool(exact), priority=int(priority))


def get_solver(name: str) -> Callable:
    """The solver registered under ``name``.

    Parameters
    ----------
    name : str

    Returns
    -------
    callable
        ``solve(problem, **options) -> SolverResult``.
    """
    return SOLVERS.get(name)


def check_capability(name: str, problem) -> None:
    """Refuse a problem the solver registered as ``name`` declares it cannot solve.

    Parameters
    ----------
    name : str
    problem : LayerProblem
    """
    meta = SOLVERS.entry(name).meta
    if meta.get("epsilon") == "zero" and problem.epsilon > 0:
        able = [e.name for e in _able(problem)]
        raise ValueError(f"the {name!r} solver handles only the noiseless program (epsilon = "
                         f"0); got epsilon = {problem.epsilon:.4g}. Use solver="
                         f"{' or '.join(repr(n) for n in able)} for epsilon > 0.")


def _able(problem) -> list:
    """Installed solvers (``auto`` aside) whose declarations admit ``problem``."""
    return [e for e in SOLVERS.entries() if e.name != "auto" and e.is_installed()
            and (e.meta.get("epsilon") == "any" or problem.epsilon == 0)]


def choose(problem) -> str:
    """The solver ``solver="auto"`` uses for ``problem``: among the installed solvers able to
    take it, exact ones first, then the highest declared priority.

    Parameters
    ----------
    problem : LayerProblem

    Returns
    -------
    str
    """
    able = _able(problem)
    if not able:
        raise ValueError("no installed solver can take this problem")
    return max(able, key=lambda e: (e.meta.get("exact", False), e.meta.get("priority", 0))).name


def check_options(name: str, options: dict) -> None:
    """Refuse options the solver registered as ``name`` does not take, naming the valid ones
    (rather than Python's TypeError from deep in the call)."""
    import inspect

    params = inspect.signature(get_solver(name)).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return  # passes extra options on (cvxpy: to the backend)
    valid = [k for k, p in params.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for solver {name!r}; it takes "
                         f"{valid}")


def validate(name: str, options: dict) -> None:
    """Check a solver name, its option names and (where the solver registered a check) their
    values, without solving anything."""
    if not isinstance(options, dict):
        raise TypeError(f"options must be a mapping of option names to values; got "
                        f"{type(options).__name__}")
    check_options(name, options)
    check = SOLVERS.entry(name).meta.get("check")
    if check is not None:
        check(**options)


def available_solvers(*, installed: bool = True) -> list[str]:
    """Names of the registered solvers.

    Parameters
    ----------
    installed : bool, default True
        Only those whose backends can be imported here (``cvxpy`` needs the ``cvxpy`` extra);
        False lists every registered name.

    Returns
    -------
    list of str
    """
    return [e.name for e in SOLVERS.entries() if not installed or e.is_installed()]

"""The solver interface and registry.

A solver is a function ``solve(problem, **options) -> SolverResult``. It is registered under a
name with :func:`register` and found with :func:`get_solver`; :func:`nettrim.prune_layer` and the
experiments only ever use the name, so a new solver needs no edit outside its own module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

#: Solver outcomes.  Only "converged" is a result; every other status must be reported as such.
STATUSES = ("converged", "max_iter", "inaccurate", "infeasible", "error")

_REGISTRY: dict[str, Callable] = {}
_CHECKS: dict[str, Callable] = {}


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
    """

    W: np.ndarray
    status: str
    info: dict = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return self.status == "converged"


def register(name: str, *, check: Callable | None = None):
    """Function decorator adding a solver to the registry under ``name``.

    Parameters
    ----------
    name : str
        The name users pass as ``solver=``; registering a name twice is an error.
    check : callable, optional
        ``check(**options)`` validates the solver's option values (raising
        ValueError/TypeError naming the option) without solving anything, so that a sweep can
        refuse a bad configuration before its first trial; the solver should call it too.

    Returns
    -------
    callable
        The decorator (it returns the solver function unchanged).
    """

    def deco(fn):
        if name in _REGISTRY:
            raise ValueError(f"a solver named {name!r} is already registered")
        _REGISTRY[name] = fn
        if check is not None:
            _CHECKS[name] = check
        return fn

    return deco


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
    if not isinstance(name, str):
        raise TypeError(f"solver must be a solver name (str); got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown solver {name!r}; available: {', '.join(sorted(_REGISTRY))}"
        ) from None


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
    if name in _CHECKS:
        _CHECKS[name](**options)


def available_solvers() -> list[str]:
    """Names of the registered solvers.

    Returns
    -------
    list of str
    """
    return sorted(_REGISTRY)

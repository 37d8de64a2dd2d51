"""The solver interface and registry.

A solver is a value: an instance of a :class:`Solver` subclass (``ADMM(gap_tol=1e-4)``,
``LP()``, ``CVXPY(cvx_solver="SCS")``, ``Auto(lp=LP(), admm=ADMM())``) whose options were
checked once, when it was made, and whose :meth:`Solver.solve` takes a prepared
:class:`~nettrim.problem.LayerProblem`. Its class declares what it can do (``epsilon``,
``exact``, ``priority``, ``requires``); defining a subclass with a ``name`` registers it, and
:func:`as_solver` turns every spelling the library accepts — a registered name with options, a
``{"name": ..., "options": ...}`` mapping, an instance — into a value at the edge. A plain
function ``solve(problem, **options) -> SolverResult`` joins the registry through
:func:`register`.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np

from ..registry import Registry

#: Solver outcomes.  Only "converged" is a result; every other status must be reported as such
#: ("stopped": the caller's callback ended the run).
STATUSES = ("converged", "max_iter", "inaccurate", "infeasible", "error", "stopped")

#: Every solver class, by name.
SOLVERS = Registry("solver")

#: The arguments of one solve rather than of a solver's configuration: a starting point, a
#: warm start from a neighbouring program, a callback. They are passed to
#: :meth:`Solver.solve`, never hashed into a run's identity.
RUNTIME_ARGUMENTS = ("W0", "warm", "callback")


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
        argument), or None when it has no use for one.
    """

    W: np.ndarray
    status: str
    info: dict = field(default_factory=dict)
    state: dict | None = field(default=None, repr=False)

    @property
    def converged(self) -> bool:
        return self.status == "converged"


class Solver:
    """A configured solver of the Net-Trim layer program.

    Subclasses declare their capabilities as class attributes, check their options in
    ``_check`` (called by ``__init__`` and ``set_params``, never by ``solve``) and solve in
    ``_run``. The options are exposed the scikit-learn way (``get_params``/``set_params``), so
    ``NetTrim(solver=ADMM())`` offers ``solver__gap_tol`` to a grid search.

    Parameters
    ----------
    **options
        The solver's options (its class documents them); unknown names and bad values are
        refused here, naming the option.
    """

    #: Registered name (a subclass that sets it is registered under it).
    name: ClassVar[str | None] = None
    #: The programs it solves: "any" ε, or only the noiseless ε = 0 one ("zero").
    epsilon: ClassVar[str] = "any"
    #: Whether its answer is exact (a simplex vertex) rather than to a tolerance.
    exact: ClassVar[bool] = False
    #: Preference among the solvers able to take a problem (``Auto``: exact first, then this).
    priority: ClassVar[int] = 0
    #: Modules it imports when used (:meth:`is_installed` checks them without importing).
    requires: ClassVar[tuple[str, ...]] = ()
    #: The per-solve arguments (of :data:`RUNTIME_ARGUMENTS`) :meth:`solve` takes.
    runtime: ClassVar[tuple[str, ...]] = ()
    #: Whether options beyond :meth:`defaults` are passed on unchecked (cvxpy: to its backend).
    open_options: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name") is None:
            return
        if cls.epsilon not in ("any", "zero"):
            raise ValueError(f"epsilon must be 'any' or 'zero'; got {cls.epsilon!r}")
        bad = sorted(set(cls.runtime) - set(RUNTIME_ARGUMENTS))
        if bad:
            raise ValueError(f"runtime must name arguments among {RUNTIME_ARGUMENTS}; got {bad}")
        SOLVERS.register(cls.name, requires=cls.requires)(cls)

    def __init__(self, **options):
        self._options = {}  # until the options pass their checks
        self._checked = self._validated(options)
        self._options = dict(options)

    # -- what subclasses provide ------------------------------------------------------------
    @classmethod
    def defaults(cls) -> dict:
        """Every option with its default value (the one place each default is written).

        Returns
        -------
        dict
        """
        return {}

    def _check(self, **options):
        """The options (any subset) checked, in the form ``_run`` uses; errors name the
        option."""
        return options

    def _run(self, problem, checked, **runtime) -> SolverResult:
        raise NotImplementedError

    # -- the interface ----------------------------------------------------------------------
    def solve(self, problem, **runtime) -> SolverResult:
        """Solve ``problem`` with this solver's (already checked) options.

        Parameters
        ----------
        problem : LayerProblem
        **runtime
            This solve's arguments among :attr:`runtime` (ADMM: ``W0``, ``warm``,
            ``callback``).

        Returns
        -------
        SolverResult
        """
        unknown = sorted(set(runtime) - set(self.runtime))
        if unknown:
            raise TypeError(f"{self!r}.solve() got unexpected argument(s) {unknown}; it takes "
                            f"{list(self.runtime) or 'none'}")
        self.check_capability(problem)
        return self._run(problem, self._checked, **runtime)

    def check_capability(self, problem) -> None:
        """Refuse a problem this solver declares it cannot solve, naming the able ones.

        Parameters
        ----------
        problem : LayerProblem
        """
        if self.epsilon == "zero" and problem.epsilon > 0:
            able = [e.name for e in _able(problem)]
            raise ValueError(f"the {self.name!r} solver handles only the noiseless program "
                             f"(epsilon = 0); got epsilon = {problem.epsilon:.4g}. Use solver="
                             f"{' or '.join(repr(n) for n in able)} for epsilon > 0.")

    @property
    def options(self) -> dict:
        """The options as given (defaults left out)."""
        return dict(self._options)

    def spec(self) -> tuple[str, dict]:
        """``(name, every parameter)``, JSON-able: the identity a sweep hashes. Defaults are
        written out, so ``ADMM()`` and ``ADMM(gap_tol=1e-3)`` are one run, and a run made
        under other defaults is not resumed as this one."""
        params = self.get_params(deep=False)
        return self.name, {k: v.spec() if isinstance(v, Solver) else v for k, v in params.items()}

    def get_params(self, deep: bool = True) -> dict:
        """Every option, given or default (scikit-learn's protocol).

        Returns
        -------
        dict
        """
        return {**self.defaults(), **self._options}

    def set_params(self, **params) -> Solver:
        """Change options, checked as in ``__init__`` (scikit-learn's protocol).

        Returns
        -------
        self
        """
        options = {**self._options, **params}
        self._checked = self._validated(options)
        self._options = options
        return self

    @classmethod
    def is_installed(cls) -> bool:
        """Whether every module in :attr:`requires` can be imported here.

        Returns
        -------
        bool
        """
        return SOLVERS.entry(cls.name).is_installed() if cls.name in SOLVERS else True

    def _validated(self, options: dict):
        known = self.defaults()
        unknown = sorted(set(options) - set(known))
        if unknown and not self.open_options:
            raise ValueError(f"unknown option(s) {unknown} for solver {self.name!r}; it takes "
                             f"{sorted(known)}")
        return self._check(**options)

    def __repr__(self) -> str:
        # the parameters that differ from their defaults, as scikit-learn prints estimators
        defaults = self.defaults()
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                         if k not in defaults or _canonical(v) != _canonical(defaults[k]))
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return _canonical(self.spec()) == _canonical(other.spec())

    __hash__ = None  # mutable through set_params


def signature_defaults(fn: Callable, exclude=()) -> dict:
    """The keyword-only parameters of ``fn`` with their defaults (``exclude`` aside): a solver
    function's signature is where its defaults are written, once.

    Returns
    -------
    dict
    """
    return {k: p.default for k, p in inspect.signature(fn).parameters.items()
            if p.kind is p.KEYWORD_ONLY and k not in exclude}


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


class _FunctionSolver(Solver):
    """A solver made from a function ``fn(problem, **options) -> SolverResult``
    (:func:`register`)."""

    _fn: ClassVar[Callable]
    _check_fn: ClassVar[Callable | None] = None

    @classmethod
    def defaults(cls) -> dict:
        return signature_defaults(cls._fn, exclude=cls.runtime)

    def _check(self, **options):
        if self._check_fn is not None:
            self._check_fn(**options)
        return options

    def _run(self, problem, checked, **runtime) -> SolverResult:
        return type(self)._fn(problem, **checked, **runtime)


def register(name: str, *, check: Callable | None = None, epsilon: str = "any",
             exact: bool = False, priority: int = 0, requires=()):
    """Function decorator adding a solver function to the registry under ``name``.

    Parameters
    ----------
    name : str
        The name users pass as ``solver=``; registering a name twice is an error.
    check : callable, optional
        ``check(**options)`` validates option values (raising ValueError/TypeError naming
        the option) without solving anything; called when the solver is configured.
    epsilon : {"any", "zero"}, default "any"
        The programs it solves: any ε, or only the noiseless ε = 0 one.
    exact : bool, default False
        Whether its answer is exact (a simplex/LP vertex) rather than to a tolerance.
    priority : int, default 0
        Preference among the solvers able to take a problem (``solver="auto"`` picks the
        highest, exact ones first).
    requires : sequence of str
        Modules it imports when used.

    Returns
    -------
    callable
        The decorator (it returns the function unchanged; ``get_solver(name)`` is the
        :class:`Solver` class made from it).
    """
    if epsilon not in ("any", "zero"):
        raise ValueError(f"epsilon must be 'any' or 'zero'; got {epsilon!r}")

    def deco(fn):
        params = inspect.signature(fn).parameters
        runtime = tuple(k for k in RUNTIME_ARGUMENTS if k in params)
        open_options = any(p.kind is p.VAR_KEYWORD for p in params.values())
        type(f"Solver_{name}", (_FunctionSolver,), {
            "name": name, "epsilon": epsilon, "exact": bool(exact), "priority": int(priority),
            "requires": tuple(requires), "runtime": runtime, "open_options": open_options,
            "_fn": staticmethod(fn), "_check_fn": staticmethod(check) if check else None,
            "__module__": fn.__module__, "__doc__": fn.__doc__})
        return fn

    return deco


def get_solver(name: str) -> type[Solver]:
    """The :class:`Solver` class registered under ``name``.

    Parameters
    ----------
    name : str

    Returns
    -------
    type
        Call it with options to configure a solver: ``get_solver("admm")(gap_tol=1e-4)``.
    """
    return SOLVERS.get(name)


def as_solver(solver, options: Mapping | None = None) -> Solver:
    """A solver value from any spelling the library accepts: the one place they meet.

    Parameters
    ----------
    solver : Solver, str, Solver subclass or mapping
        A configured solver (returned as it is), a registered name or class (configured with
        ``options``), or ``{"name": ..., "options": {...}}`` as configs write it.
    options : mapping, optional
        Options for a solver given by name or class; refused with a configured solver (its
        options are set on it).

    Returns
    -------
    Solver
    """
    if options is not None and not isinstance(options, Mapping):
        raise TypeError(f"solver options must be a mapping of option names to values; got "
                        f"{type(options).__name__}")
    options = dict(options or {})
    if isinstance(solver, Solver):
        if options:
            raise TypeError(f"options {sorted(options)} were given with the configured solver "
                            f"{solver!r}: set them on it ({type(solver).__name__}(...) or "
                            f".set_params(...)), or pass the solver by name")
        return solver
    if isinstance(solver, Mapping):
        extra = sorted(set(solver) - {"name", "options"})
        if "name" not in solver or extra:
            raise ValueError(f"a solver mapping takes the keys 'name' and 'options'; got "
                             f"{sorted(solver)}")
        inner = solver.get("options") or {}
        if options and inner:
            raise TypeError("solver options given both in the mapping and beside it")
        return as_solver(solver["name"], options or inner)
    if isinstance(solver, type) and issubclass(solver, Solver):
        return solver(**options)
    if isinstance(solver, str):
        return get_solver(solver)(**options)
    raise TypeError(f"solver must be a solver name (str), a {{'name': ..., 'options': ...}} "
                    f"mapping or a configured Solver such as nettrim.ADMM(); got "
                    f"{type(solver).__name__}")


def solver_list(solvers) -> list[Solver]:
    """Solver values from a sequence of solvers in any :func:`as_solver` spelling, or of
    ``(name, options)`` pairs (the sweeps' spelling); their names must differ (a table's
    ``solver`` column tells them apart).

    Returns
    -------
    list of Solver
    """
    if isinstance(solvers, (str, Mapping, Solver)):
        raise TypeError(f"solvers must be a sequence of solvers; got one "
                        f"{type(solvers).__name__} (wrap it in a list)")
    out = [as_solver(*s) if isinstance(s, tuple) else as_solver(s) for s in solvers]
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise ValueError(f"solvers must have distinct names; got {names}")
    return out


def configure(solver, options: Mapping | None = None) -> tuple[Solver, dict]:
    """:func:`as_solver` for call sites that take one flat bag of keywords (``prune_layer``,
    the schemes): the per-solve arguments among ``options`` (:data:`RUNTIME_ARGUMENTS` the
    solver takes) are split off and returned beside the solver.

    Returns
    -------
    (Solver, dict)
    """
    options = dict(options or {})
    cls = type(solver) if isinstance(solver, Solver) else None
    if cls is None and isinstance(solver, str):
        cls = get_solver(solver)
    elif cls is None and isinstance(solver, type) and issubclass(solver, Solver):
        cls = solver
    runtime = {k: options.pop(k) for k in (cls.runtime if cls else ()) if k in options}
    return as_solver(solver, options or None), runtime


def _able(problem) -> list:
    """Installed solvers (``auto`` aside) whose declarations admit ``problem``."""
    return [e for e in SOLVERS.entries() if e.name != "auto" and e.is_installed()
            and (e.obj.epsilon == "any" or problem.epsilon == 0)]


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
    return max(able, key=lambda e: (e.obj.exact, e.obj.priority)).name


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

"""``"auto"``: the solver the registry's declarations choose (:func:`~nettrim.solvers.base.choose`):
the exact LP when ε = 0, ADMM otherwise, with the solvers registered today.

Useful where one scheme meets both kinds of layer problem, e.g. a cascade on a planted network:
layers whose input was recovered exactly get ε = 0, the others a small ε > 0.
"""

from __future__ import annotations

from ..problem import LayerProblem
from .admm import ADMM
from .base import Solver, SolverResult, as_solver, choose, get_solver
from .lp import LP


class Auto(Solver):
    """Solve by ``lp`` when ``problem.epsilon == 0``, else by ``admm`` (or by a solver
    registered later whose declarations rank higher: it runs with its defaults).
    ``info["solver"]`` says which one ran.

    Parameters
    ----------
    lp : LP, optional
        The ε = 0 solver (default ``LP()``).
    admm : ADMM, optional
        The ε > 0 solver (default ``ADMM()``).
    lp_options : dict, optional
        The spelling of configs (``solver: {name: auto, options: {lp_options: ...}}``):
        HiGHS options for the default LP. Not with ``lp``.
    **admm_options
        The same spelling for the default ADMM's options. Not with ``admm``.
    """

    name = "auto"
    runtime = ADMM.runtime  # passed to the ADMM when it runs

    def __init__(self, lp: LP | None = None, admm: ADMM | None = None, *,
                 lp_options: dict | None = None, **admm_options):
        if lp is not None and lp_options is not None:
            raise TypeError("give the LP either as lp=LP(...) or its options as lp_options")
        if admm is not None and admm_options:
            raise TypeError(f"give the ADMM either as admm=ADMM(...) or its options "
                            f"{sorted(admm_options)} beside it")
        self.lp = _of_class(lp if lp is not None else LP(options=lp_options), LP, "lp")
        self.admm = _of_class(admm if admm is not None else ADMM(**admm_options), ADMM, "admm")
        self._checked = None

    @property
    def _options(self) -> dict:
        # the flat spelling configs use, so that a run's identity does not depend on which
        # of the two spellings made the solver
        lp = self.lp.options.get("options")
        return {**self.admm.options, **({"lp_options": lp} if lp is not None else {})}

    def get_params(self, deep: bool = True) -> dict:
        params = {"lp": self.lp, "admm": self.admm}
        if deep:
            for key in ("lp", "admm"):
                params.update({f"{key}__{k}": v for k, v in params[key].get_params().items()})
        return params

    def set_params(self, **params) -> Auto:
        nested = {"lp": {}, "admm": {}}
        for key, value in params.items():
            head, _, sub = key.partition("__")
            if head not in nested:
                raise ValueError(f"invalid parameter {key!r} for {self!r}; valid: lp, admm, "
                                 f"lp__<option>, admm__<option>")
            if sub:
                nested[head][sub] = value
            else:
                setattr(self, head, _of_class(value, LP if head == "lp" else ADMM, head))
        for head, sub in nested.items():
            if sub:
                getattr(self, head).set_params(**sub)
        return self

    def _run(self, problem: LayerProblem, checked, **runtime) -> SolverResult:
        name = choose(problem)
        if name == "lp":
            result = self.lp.solve(problem)
        elif name == "admm":
            result = self.admm.solve(problem, **runtime)
        else:  # another solver declared better for this problem: it gets its defaults
            result = get_solver(name)().solve(problem)
        result.info.setdefault("solver", name)
        return result


def _of_class(solver, cls, what):
    solver = as_solver(solver)
    if not isinstance(solver, cls):
        raise TypeError(f"{what} must be a {cls.__name__}; got {solver!r}")
    return solver

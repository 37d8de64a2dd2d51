"""``"auto"``: the solver the registry's declarations choose (:func:`~nettrim.solvers.base.choose`):
the exact LP when ε = 0, ADMM otherwise, with the solvers registered today.

Useful where one scheme meets both kinds of layer problem, e.g. a cascade on a planted network:
layers whose input was recovered exactly get ε = 0, the others a small ε > 0.
"""

from __future__ import annotations

from ..problem import LayerProblem
from .admm import solve_admm
from .base import SolverResult, choose, get_solver, register, validate
from .lp import solve_lp


def _check_options(*, lp_options=None, **admm_options) -> None:
    # each half by its own solver's registered check: names and values, errors naming them
    validate("lp", {"options": lp_options})
    validate("admm", admm_options)


@register("auto", check=_check_options)
def solve_auto(problem: LayerProblem, *, lp_options: dict | None = None,
               **admm_options) -> SolverResult:
    """Solve by :func:`~nettrim.solvers.lp.solve_lp` when ``problem.epsilon == 0`` (with
    ``lp_options``), else by :func:`~nettrim.solvers.admm.solve_admm` (with the other options).
    ``info["solver"]`` says which one ran."""
    name = choose(problem)
    if name == "lp":
        result = solve_lp(problem, options=lp_options)
    elif name == "admm":
        result = solve_admm(problem, **admm_options)
    else:  # another solver declared better for this problem: it gets no options
        result = get_solver(name)(problem)
    result.info.setdefault("solver", name)
    return result

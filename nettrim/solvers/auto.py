"""``"auto"``: the exact LP when ε = 0, ADMM otherwise.

Useful where one scheme meets both kinds of layer problem, e.g. a cascade on a planted network:
layers whose input was recovered exactly get ε = 0, the others a small ε > 0.
"""

from __future__ import annotations

from ..problem import LayerProblem
from .admm import _check_options as _check_admm
from .admm import solve_admm
from .base import SolverResult, register
from .lp import _check_options as _check_lp
from .lp import solve_lp


def _check_options(*, lp_options=None, **admm_options) -> None:
    _check_lp(options=lp_options)
    _check_admm(**admm_options)


@register("auto", check=_check_options)
def solve_auto(problem: LayerProblem, *, lp_options: dict | None = None,
               **admm_options) -> SolverResult:
    """Solve by :func:`~nettrim.solvers.lp.solve_lp` when ``problem.epsilon == 0`` (with
    ``lp_options``), else by :func:`~nettrim.solvers.admm.solve_admm` (with the other options).
    ``info["solver"]`` says which one ran."""
    if problem.epsilon == 0:
        result = solve_lp(problem, options=lp_options)
    else:
        result = solve_admm(problem, **admm_options)
    result.info.setdefault("solver", "lp" if problem.epsilon == 0 else "admm")
    return result

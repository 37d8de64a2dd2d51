"""One exact-recovery trial: draw X and a planted neuron, solve the ε = 0 program, score it.

A trial returns one flat dict (a table row) per solver. Its randomness comes only from the seed
it is given, so a trial is the same wherever and whenever it runs.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np

from .planted import planted_weights, relu_response
from .problem import LayerProblem
from .prune import solve

#: A trial succeeds when ‖ŵ − w*‖₂ ≤ SUCCESS_TOL·‖w*‖₂. Exact solvers (LP, interior point)
#: land at ~1e-9 on success and at O(0.1–1) on failure, so the decision is not sensitive to it.
SUCCESS_TOL = 1e-3
#: Entries with |ŵ_i| > SUPPORT_TOL·max|ŵ| form the recovered support.
SUPPORT_TOL = 1e-3


def trial_seed(base_seed: int, N: int, s: int, P: int, trial: int) -> np.random.SeedSequence:
    """The trial's SeedSequence, keyed on the cell's values (not its position in a grid), so
    adding cells or reordering a grid leaves every other trial's draw unchanged."""
    return np.random.SeedSequence([int(base_seed), int(N), int(s), int(P), int(trial)])


def _score(w_hat, w_star, success_tol, support_tol):
    scale = np.linalg.norm(w_star)
    err = np.linalg.norm(w_hat - w_star) / (scale if scale > 0 else 1.0)
    big = np.abs(w_hat) > support_tol * (np.abs(w_hat).max() or 1.0)
    return float(err), bool(np.array_equal(big, w_star != 0)), bool(err <= success_tol)


def run_trial(*, N: int, s: int, P: int, trial: int, base_seed: int, sampler: Callable,
              solvers: Sequence[tuple[str, dict]] = (("lp", {}),), values: str = "gaussian",
              bias: bool = False, success_tol: float = SUCCESS_TOL,
              support_tol: float = SUPPORT_TOL) -> list[dict]:
    """Draw (X, w*), solve with each solver, and return one row per solver.

    Parameters
    ----------
    N, s, P : int
        Input dimension, sparsity of w*, number of samples.
    trial : int
        Trial index within the cell; with ``base_seed`` it fixes the draw (:func:`trial_seed`).
    sampler : callable
        ``sampler(rng, N, P) -> X`` (N×P); see :mod:`nettrim.sampling`.
    solvers : sequence of (name, options)
        Registered solver names with their options; every solver gets the same (X, w*).
    values : str
        Law of w*'s nonzero values (:func:`nettrim.planted.planted_weights`).
    bias : bool
        Plant a bias too (a row of ones appended to X).
    success_tol, support_tol : float
        See :data:`SUCCESS_TOL`, :data:`SUPPORT_TOL`.

    Returns
    -------
    list of dict
        Per solver: ``solver``, ``status``, ``message``, ``active`` (|Ω|), ``active_fraction``,
        ``rel_error``, ``support_recovered``, ``success`` (None unless the solver converged:
        an unconverged solve decides nothing), ``iterations``, ``time``, and, with several
        solvers, ``diff_vs_<name>`` = ‖ŵ − ŵ_name‖/‖w*‖ for every solver name.
    """
    rng = np.random.default_rng(trial_seed(base_seed, N, s, P, trial))
    w_star = planted_weights(rng, N, s, 1, values=values, bias=bias)
    X = np.asarray(sampler(rng, N, P), dtype=float)
    if X.shape != (N, P):
        raise ValueError(f"the sampler returned shape {X.shape}; expected (N, P) = ({N}, {P})")
    y = relu_response(w_star, X, bias=bias)
    active = int((y > 0).sum())
    base = {"active": active, "active_fraction": active / P}

    rows, w_hats = [], []
    for name, options in solvers:
        row = dict(base, solver=name, message="")
        t0 = time.perf_counter()
        if active == 0:
            # min ‖w‖₁ s.t. Xᵀw ≤ 0 is solved by w = 0: no solver needed, and no recovery
            w_hat = np.zeros_like(w_star)
            row.update(status="converged", iterations=0)
        else:
            try:
                res = solve(LayerProblem(X, y, 0.0, bias=bias), name, **dict(options))
            except Exception as exc:  # a failed solve is data, not a crashed sweep
                w_hat = None
                row.update(status="error", message=f"{type(exc).__name__}: {exc}",
                           iterations=np.nan)
            else:
                w_hat = res.W
                row.update(status=res.status, message=str(res.info.get("message") or ""),
                           iterations=res.info.get("iterations", np.nan))
        row["time"] = time.perf_counter() - t0
        if w_hat is None:
            row.update(rel_error=np.nan, support_recovered=None, success=None)
        else:
            err, support, ok = _score(w_hat, w_star, success_tol, support_tol)
            row.update(rel_error=err, support_recovered=support,
                       success=ok if row["status"] == "converged" else None)
        w_hats.append(w_hat)
        rows.append(row)
    if len(solvers) > 1:  # pairwise distances between the solvers' answers, relative to ‖w*‖
        scale = np.linalg.norm(w_star) or 1.0
        for row, a in zip(rows, w_hats):
            for (name, _), b in zip(solvers, w_hats):
                row[f"diff_vs_{name}"] = (np.nan if a is None or b is None
                                          else float(np.linalg.norm(a - b) / scale))
    return rows


__all__ = ["SUCCESS_TOL", "SUPPORT_TOL", "trial_seed", "run_trial"]

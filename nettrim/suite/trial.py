"""One exact-recovery trial: draw X and a planted neuron, solve the ε = 0 program, score it.

A trial returns one flat dict (a table row) per solver. Its randomness comes only from the seed
it is given, so a trial is the same wherever and whenever it runs.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np

from .._validation import check_int, check_scalar
from ..problem import LayerProblem
from ..prune import solve
from ..schemes import GAMMA, SCHEMES
from ..solvers.base import solver_list
from .planted import planted_network, planted_weights, relu_response

#: A trial succeeds when ‖ŵ − w*‖₂ ≤ SUCCESS_TOL·‖w*‖₂. Exact solvers (LP, interior point)
#: land at ~1e-9 on success and at O(0.1–1) on failure, so the decision is not sensitive to it.
SUCCESS_TOL = 1e-3
#: Entries with |ŵ_i| > SUPPORT_TOL·max|ŵ| form the recovered support.
SUPPORT_TOL = 1e-3


def trial_seed(base_seed: int, N: int, s: int, P: int, trial: int) -> np.random.SeedSequence:
    """The trial's SeedSequence, keyed on the cell's values (not its position in a grid), so
    adding cells or reordering a grid leaves every other trial's draw unchanged."""
    check_int(base_seed, "seed", low=0)
    return np.random.SeedSequence([int(base_seed), int(N), int(s), int(P), int(trial)])


def _draw_inputs(sampler, rng, N, P) -> np.ndarray:
    try:
        X = np.asarray(sampler(rng, N, P), dtype=float)
    except Exception as exc:
        # a user's sampler may fail on any cell, after the pilot passed: one line naming it
        # and the cell (the sweep stops; its finished chunks are kept for a rerun)
        name = getattr(sampler, "__name__", type(sampler).__name__)
        raise ValueError(f"the sampler {name} raised {type(exc).__name__} at N = {N}, "
                         f"P = {P}: {exc}") from exc
    if X.shape != (N, P):
        raise ValueError(f"the sampler returned shape {X.shape}; expected (N, P) = ({N}, {P})")
    if not np.isfinite(X).all():
        raise ValueError(f"the sampler returned {int((~np.isfinite(X)).sum())} NaN/Inf entries")
    return X


def _score(w_hat, w_star, success_tol, support_tol):
    scale = np.linalg.norm(w_star)
    err = np.linalg.norm(w_hat - w_star) / (scale if scale > 0 else 1.0)
    big = np.abs(w_hat) > support_tol * (np.abs(w_hat).max() or 1.0)
    return float(err), bool(np.array_equal(big, w_star != 0)), bool(err <= success_tol)


#: Noise models (``noise.model``): ``after`` observes the active set Ω = {w*ᵀx > 0} and
#: y = w*ᵀx + z on it (the Gordon bound's model: w* is always feasible); ``before`` observes
#: y = ReLU(w*ᵀx + z) and the program takes Ω = {y > 0}, as a user pruning a layer would — z
#: can move a sample across the kink, and w* is then infeasible (0 < w*ᵀx on Ωᶜ).
NOISE_MODELS = ("after", "before")


def check_noise(noise) -> dict | None:
    """The noise settings as a dict (None: noiseless), every value checked; errors name the key.

    Keys: ``model`` (:data:`NOISE_MODELS`), ``sigma`` (> 0: z ~ N(0, (σ‖w*‖)²), i.e. σ
    relative to the spread of w*ᵀx for unit-variance inputs), ``epsilon_factor`` (≥ 1: ε =
    factor·‖(y − X̃ᵀw*)_Ω‖₂, the smallest ε that keeps w* in the ball, times the factor) and
    ``c`` (> 0: a trial succeeds when ‖ŵ − w*‖₂ ≤ c·ε).
    """
    if noise is None:
        return None
    noise = dict(noise)
    unknown = set(noise) - {"model", "sigma", "epsilon_factor", "c"}
    if unknown:
        raise ValueError(f"noise has unknown key(s) {sorted(unknown)}; it takes model, sigma, "
                         "epsilon_factor, c")
    model = noise.get("model", "after")
    if model not in NOISE_MODELS:
        raise ValueError(f"noise.model must be one of {NOISE_MODELS}; got {model!r}")
    return {"model": model,
            "sigma": check_scalar(noise.get("sigma", 0.05), "noise.sigma", low=0.0,
                                  low_inclusive=False),
            "epsilon_factor": check_scalar(noise.get("epsilon_factor", 1.0),
                                           "noise.epsilon_factor", low=1.0),
            "c": check_scalar(noise.get("c", 1.0), "noise.c", low=0.0, low_inclusive=False)}


def _augmented(X, bias) -> np.ndarray:
    return np.vstack([X, np.ones(X.shape[1])]) if bias else X


def _noisy_response(rng, w_star, X, bias, noise) -> tuple[np.ndarray, np.ndarray]:
    """(y, Ω), both 1×P, under ``noise`` (see :data:`NOISE_MODELS`); z is drawn after X from
    the trial's rng, so a noisy trial sees the same (w*, X) as the noiseless trial of the same
    seed."""
    pre = w_star.T @ _augmented(X, bias)
    z = noise["sigma"] * np.linalg.norm(w_star) * rng.standard_normal(pre.shape)
    if noise["model"] == "after":
        omega = pre > 0
        return np.where(omega, pre + z, 0.0), omega
    y = np.maximum(pre + z, 0.0)
    return y, y > 0


def _noise_bound(w_star, X, omega, bias, epsilon) -> dict:
    """What a noisy trial's bound needs, the same for every solver: whether w* is feasible
    and the Gordon bound (:func:`nettrim.suite.theory.gordon_error_bound`) with δ of the
    program solved — |supp w*| nonzeros among its len(w*) weights, the closed form δ(s, N), an
    upper bound on the cone's δ, so the bound stays valid."""
    from .theory import gordon_error_bound, statistical_dimension

    fit = _augmented(X, bias).T @ w_star.ravel()
    omega = omega.ravel()
    delta = statistical_dimension(int(np.count_nonzero(w_star)), w_star.size)
    m = int(omega.sum())
    bound = gordon_error_bound(epsilon, m, delta) if m else float("inf")
    return {"epsilon": epsilon, "w_star_feasible": bool(np.all(fit[~omega] <= 0)),
            "bound": bound, "bound_over_epsilon": bound / epsilon if epsilon > 0 else np.nan}


def _noisy_scores(w_hat, w_star, context, converged, noise) -> dict:
    """A solver's error against ε and against the bound of ``context`` (:func:`_noise_bound`).
    The bound is judged only where w* is feasible (its derivation needs it; an Ω row flipped
    by the noise can make w*ᵀx > 0 on Ωᶜ), the solve converged and the bound is finite (above
    the transition: below it nothing is claimed)."""
    epsilon, bound = context["epsilon"], context["bound"]
    err = np.nan if w_hat is None else float(np.linalg.norm(w_hat - w_star))
    judged = (converged and context["w_star_feasible"] and w_hat is not None
              and np.isfinite(bound))
    return {**context, "error": err,
            "error_over_epsilon": err / epsilon if epsilon > 0 else np.nan,
            "bound_held": bool(err <= bound) if judged else None,
            "success": bool(err <= noise["c"] * epsilon) if converged and w_hat is not None
            else None}


def run_trial(*, N: int, s: int, P: int, trial: int, base_seed: int, sampler: Callable,
              solvers: Sequence = ("lp",), values: str = "gaussian",
              bias: bool = False, bias_value: float | None = None, noise: dict | None = None,
              success_tol: float = SUCCESS_TOL, support_tol: float = SUPPORT_TOL) -> list[dict]:
    """Draw (X, w*), solve with each solver, and return one row per solver.

    Noiseless (``noise`` None) the program is ε = 0 and success is exact recovery. With
    ``noise`` (:func:`check_noise`) y is observed with noise, ε is the smallest radius that
    keeps w* in the ball (times ``epsilon_factor``), and success is ‖ŵ − w*‖₂ ≤ c·ε.

    Parameters
    ----------
    N, s, P : int
        Input dimension, sparsity of w*, number of samples.
    trial : int
        Trial index within the cell; with ``base_seed`` it fixes the draw (:func:`trial_seed`).
    sampler : callable
        ``sampler(rng, N, P) -> X`` (N×P); see :mod:`nettrim.suite.sampling`.
    solvers : sequence of Solver (or names, or (name, options) pairs)
        Every solver gets the same (X, w*) (:func:`nettrim.solvers.solver_list`).
    values : str
        Law of w*'s nonzero values (:func:`nettrim.suite.planted.planted_weights`).
    bias : bool
        Plant a bias too (a row of ones appended to X).
    bias_value : float, optional
        The planted bias (with ``bias``); drawn from ``values`` when None. 0 gives the bias row
        of a deep-recovery layer: one more weight to prune, planted at zero.
    noise : dict, optional
        Noise settings (:func:`check_noise`); None for the exact-recovery trial.
    success_tol, support_tol : float
        See :data:`SUCCESS_TOL`, :data:`SUPPORT_TOL`.

    Returns
    -------
    list of dict
        Per solver: ``solver``, ``status``, ``message``, ``active`` (|Ω|), ``active_fraction``,
        ``rel_error``, ``support_recovered``, ``success`` (None unless the solver converged:
        an unconverged solve decides nothing), ``iterations``, ``time``, and, with several
        solvers, ``diff_vs_<name>`` = ‖ŵ − ŵ_name‖/‖w*‖ for every solver name. With
        ``noise`` also ``epsilon``, ``w_star_feasible``, ``error`` (‖ŵ − w*‖₂),
        ``error_over_epsilon``, ``bound`` (:func:`nettrim.suite.theory.gordon_error_bound`),
        ``bound_over_epsilon`` and ``bound_held`` (None unless converged with w* feasible).
    """
    check_scalar(success_tol, "success_tol", low=0.0, low_inclusive=False, high=1.0,
                 high_inclusive=False)
    check_scalar(support_tol, "support_tol", low=0.0, low_inclusive=False, high=1.0,
                 high_inclusive=False)
    solvers = solver_list(solvers)
    rng = np.random.default_rng(trial_seed(base_seed, N, s, P, trial))
    w_star = planted_weights(rng, N, s, 1, values=values, bias=bias, bias_value=bias_value)
    try:
        X = _draw_inputs(sampler, rng, N, P)
    except (ValueError, MemoryError) as exc:  # a failed draw is data too (the pilot refuses
        # a sampler that fails on its first draw; later failures must not kill the sweep)
        return [{"solver": name, "status": "error", "message": f"sampler: {type(exc).__name__}: "
                 f"{exc}", "active": np.nan, "active_fraction": np.nan, "iterations": np.nan,
                 "time": 0.0, "rel_error": np.nan, "support_recovered": None, "success": None}
                for name in (solver.name for solver in solvers)]
    noise = check_noise(noise)
    if noise is None:
        y, epsilon = relu_response(w_star, X, bias=bias), 0.0
        omega = y > 0
    else:
        y, omega = _noisy_response(rng, w_star, X, bias, noise)
        epsilon = noise["epsilon_factor"] * float(
            np.linalg.norm((y - w_star.T @ _augmented(X, bias))[omega]))
    active = int(omega.sum())
    context = None if noise is None else _noise_bound(w_star, X, omega, bias, epsilon)
    base = {"active": active, "active_fraction": active / P}

    rows, w_hats = [], []
    for solver in solvers:
        row = dict(base, solver=solver.name, message="")
        t0 = time.perf_counter()
        if active == 0:
            # min ‖w‖₁ s.t. Xᵀw ≤ 0 is solved by w = 0: no solver needed, and no recovery
            w_hat = np.zeros_like(w_star)
            row.update(status="converged", iterations=0)
        else:
            try:
                problem = LayerProblem(X, y, epsilon, bias=bias,
                                       omega=None if noise is None else omega)
                res = solve(problem, solver)
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
        if noise is not None:
            row.update(_noisy_scores(w_hat, w_star, context, row["status"] == "converged",
                                     noise))
        w_hats.append(w_hat)
        rows.append(row)
    if len(solvers) > 1:  # pairwise distances between the solvers' answers, relative to ‖w*‖
        scale = np.linalg.norm(w_star) or 1.0
        for row, a in zip(rows, w_hats):
            for solver, b in zip(solvers, w_hats):
                row[f"diff_vs_{solver.name}"] = (np.nan if a is None or b is None
                                          else float(np.linalg.norm(a - b) / scale))
    return rows


#: The schemes a deep trial runs unless told, in the order its rows are written.
DEEP_SCHEMES = ("parallel", "cascade")


def _neurons_recovered(W_hat, b_hat, W, b, live_inputs, tol):
    """Per neuron (column): ‖[ŵ; b̂] − [w; b]‖ ≤ tol·‖[w; b]‖ over the rows of the live
    inputs (a weight on an input that is zero on every sample is not identifiable)."""
    D = np.vstack([(W_hat - W)[live_inputs], b_hat - b])
    R = np.vstack([W[live_inputs], b])
    err, scale = np.linalg.norm(D, axis=0), np.linalg.norm(R, axis=0)
    return err <= tol * np.where(scale > 0, scale, 1.0)


def run_deep_trial(*, N: int, s: int, P: int, trial: int, base_seed: int, sampler: Callable,
                   sizes: Sequence[int], solvers: Sequence = ("auto",),
                   schemes: Sequence[str] = DEEP_SCHEMES, values: str = "gaussian",
                   gamma: float = GAMMA, success_tol: float = SUCCESS_TOL) -> list[dict]:
    """Exact recovery of a planted L-layer network: draw it and X, run the schemes at ε = 0.

    The parallel scheme solves every layer on the planted signals; the cascade solves layer ℓ on
    the recovered Ŷ⁽ℓ⁻¹⁾ (ε_ℓ = 0 while the earlier layers reproduce their signals, > 0 after a
    miss, which is why the default solver is ``"auto"``: LP at ε = 0, ADMM otherwise).

    Parameters
    ----------
    N : int
        Input dimension n₀; must equal ``sizes[0]``.
    s : int
        Nonzeros per column in every layer.
    P, trial, base_seed, sampler, values, success_tol
        As in :func:`run_trial`.
    sizes : sequence of int
        n₀, …, n_L.
    solvers : sequence of Solver (or names, or (name, options) pairs)
    schemes : subset of ("parallel", "cascade")
    gamma : float
        The cascade's γ_ℓ.

    Returns
    -------
    list of dict
        One row per (solver, scheme, layer): ``n_in``, ``n_out``, ``active_fraction`` of the
        planted layer's output, ``dead_inputs`` (input rows zero on every sample),
        ``dead_neurons`` (outputs zero on every sample), ``neurons_recovered`` (fraction of the
        live neurons whose weights on live inputs, bias included, are within ``success_tol``:
        what the batch can identify), ``layer_recovered`` (all of them), ``status``,
        ``epsilon``, ``achieved`` ‖Ŷ⁽ℓ⁾ − Y⁽ℓ⁾‖_F, ``bound``, ``bound_held``,
        ``output_error`` ‖Ŷ⁽ᴸ⁾ − Y⁽ᴸ⁾‖_F/‖Y⁽ᴸ⁾‖_F, ``iterations``, ``time``.
    """
    from ..schemes import prune_cascade, prune_parallel

    if int(N) != int(sizes[0]):
        raise ValueError(f"N must equal sizes[0] (the input dimension); got N = {N}, "
                         f"sizes = {list(sizes)}")
    unknown = sorted(set(schemes) - set(SCHEMES))
    if unknown:
        raise ValueError(f"schemes must be among {list(SCHEMES)}; got {unknown}")
    check_scalar(success_tol, "success_tol", low=0.0, low_inclusive=False, high=1.0,
                 high_inclusive=False)
    check_scalar(gamma, "gamma", low=1.0)
    solvers = solver_list(solvers)
    rng = np.random.default_rng(trial_seed(base_seed, N, s, P, trial))
    net = planted_network(rng, sizes, s, values=values)
    X = _draw_inputs(sampler, rng, N, P)
    signals = net.forward(X)
    out_norm = np.linalg.norm(signals[-1]) or 1.0

    rows = []
    for solver in solvers:
        for scheme in schemes:
            t0 = time.perf_counter()
            if scheme == "parallel":
                res = prune_parallel(net, X, epsilons=[0.0] * net.n_layers, solver=solver)
            else:
                res = prune_cascade(net, X, epsilon1=0.0, gamma=gamma, solver=solver)
            elapsed = time.perf_counter() - t0
            out_err = float(np.linalg.norm(res.network.forward(X)[-1] - signals[-1]) / out_norm)
            for ell, rep in res.report.iterrows():
                live_in = (signals[ell] > 0).any(axis=1)
                live = (signals[ell + 1] > 0).any(axis=1)
                ok = _neurons_recovered(res.network.weights[ell], res.network.biases[ell],
                                        net.weights[ell], net.biases[ell], live_in, success_tol)
                rows.append({
                    "solver": solver.name, "scheme": scheme, "layer": int(rep["layer"]),
                    "n_in": sizes[ell], "n_out": sizes[ell + 1],
                    "active_fraction": float((signals[ell + 1] > 0).mean()),
                    "dead_inputs": int((~live_in).sum()), "dead_neurons": int((~live).sum()),
                    "neurons_recovered": float(ok[live].mean()) if live.any() else np.nan,
                    "layer_recovered": bool(ok[live].all()),
                    "status": rep["status"], "epsilon": float(rep["epsilon"]),
                    "achieved": float(rep["achieved"]), "bound": float(rep["bound"]),
                    "bound_held": bool(rep["bound_held"]), "output_error": out_err,
                    "iterations": rep["iterations"], "time": float(rep["time"]),
                    "scheme_time": elapsed})
    return rows


__all__ = ["SUCCESS_TOL", "SUPPORT_TOL", "DEEP_SCHEMES", "trial_seed", "run_trial",
           "run_deep_trial"]

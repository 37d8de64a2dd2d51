"""How Net-Trim's time grows with the layer: a scaling table with fitted exponents (issue 32).

Layers of growing size, one size at a time — the calibration subset P of a real MNIST layer,
and P, N, M of the benchmark's trained layers (:func:`nettrim.suite.benchmark.layer_problem`)
about a base shape — each solved by our ADMM and pruned by SparseGPT to the same count
(:func:`scaling_runs`); log-log slopes of time, iterations and time per iteration against the
size (:func:`scaling_exponents`) say which part grows, and how SparseGPT's time does.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._validation import check_int, check_scalar
from ..network import Network
from ..problem import LayerProblem
from .benchmark import layer_problem
from .scale import timed_sparsegpt

#: The sizes a series can grow along.
AXES = ("P", "N", "M")


def synthetic_cases(base: dict, axes: dict, *, family: str = "trained", gain: float = 0.05,
                    seed: int = 0):
    """(series, axis, problem, W) for :func:`scaling_runs`: benchmark layers of ``family``
    (:func:`~nettrim.suite.benchmark.layer_problem`) at the ``base`` shape {N, M, P} with one
    size at a time set to each value of ``axes[size]``. Along P the layer is the one at the
    largest P, cut to its first P samples (ε = gain·‖Y‖ on them), so that only P changes;
    along N and M each size is its own trained layer."""
    if not set(axes) <= set(AXES):
        raise ValueError(f"axes must be some of {AXES}; got {sorted(axes)}")
    if set(base) != set(AXES):
        raise ValueError(f"base must give N, M and P; got {sorted(base)}")
    base = {k: check_int(base[k], f"base[{k!r}]", low=1) for k in AXES}
    gain = check_scalar(gain, "gain", low=0.0)
    for axis, sizes in axes.items():
        sizes = sorted(check_int(v, f"axes[{axis!r}]", low=1) for v in sizes)
        if axis == "P":
            problem, W = layer_problem(family, base["N"], base["M"], sizes[-1], gain, seed)
            for P in sizes:
                yield family, "P", _first_samples(problem, P, gain), W
            continue
        for size in sizes:
            shape = dict(base, **{axis: size})
            problem, W = layer_problem(family, shape["N"], shape["M"], shape["P"], gain, seed)
            yield family, axis, problem, W


def subset_cases(net: Network, layer: int, X_all, samples, *, gain: float, seed: int = 0):
    """(series, "P", problem, W) for :func:`scaling_runs`: dense layer ``layer`` of ``net``
    on seeded calibration subsets of X_all (:func:`~nettrim.suite.compression.
    calibration_samples`) of each size in ``samples`` (:func:`~nettrim.suite.scale.
    layer_program`, ε = gain·‖Y‖_F on the subset; a size of X_all's or more is all of it);
    W the layer's weights, bias last."""
    from .compression import calibration_samples
    from .scale import layer_program

    W = np.vstack([net.weights[layer], net.biases[layer]]) if net.has_bias[layer] \
        else net.weights[layer]
    for P in sorted(check_int(v, "samples", low=1) for v in samples):
        X = X_all[:, calibration_samples(X_all.shape[1], P, seed)]
        yield f"layer {layer + 1} ({W.shape[0]}·{W.shape[1]})", "P", \
            layer_program(net, layer, X, gain), W


def _first_samples(problem: LayerProblem, P: int, gain: float) -> LayerProblem:
    """The ReLU layer program on the first P samples of ``problem``, ε = gain·‖Y‖ on them."""
    X = problem.X[:-1] if problem.bias else problem.X
    Y = problem.Y[:, :P]
    return LayerProblem(X[:, :P], Y, gain * float(np.linalg.norm(Y)), bias=problem.bias)


def scaling_runs(cases, *, obs: bool = False, **options) -> pd.DataFrame:
    """Our ADMM and SparseGPT on layers of growing size, one size at a time: the rows a
    scaling table fits its exponents to (:func:`scaling_exponents`).

    Parameters
    ----------
    cases : iterable of (series, axis, problem, W)
        ``series`` names the family of layers (e.g. "MNIST layer 1"), ``axis`` the size that
        grows along it ("P", "N" or "M"), ``problem`` the
        layer's program (a :class:`~nettrim.problem.LayerProblem`, ReLU), ``W`` the original
        weights it was built from (its bias the last row when ``problem.bias``): SparseGPT
        prunes them to our answer's count on the same inputs.
    obs : bool, default False
        Also time the exact greedy OBS (:func:`~nettrim.baselines.obs_prune`) at that count,
        once (it takes seconds, where SparseGPT's least of three guards a sub-second time
        against noise); ``obs_time`` is NaN otherwise.
    **options
        Our ADMM's options.

    Returns
    -------
    DataFrame
        One row per case: ``series``, ``axis``, ``N``, ``M``, ``P``, ``status``,
        ``iterations``, ``time`` (the solver's clock), ``per_iteration``, ``screened_rows`` (rows
        of X that vanish on every input, left out of the solve), ``nnz`` (nonzero
        weights of our answer, its bias aside: the count SparseGPT prunes to),
        ``sparsegpt_time`` (the least of three runs, :func:`~nettrim.suite.scale.timed_sparsegpt`),
        ``obs_time``; one BLAS thread.
    """
    from ..baselines import obs_prune
    from ..prune import solve

    rows = []
    for series, axis, problem, W in cases:
        if problem.linear:
            raise ValueError("scaling_runs takes ReLU layers (SparseGPT is run on the one-layer "
                             "ReLU network); got a linear program")
        with threadpool_limits(limits=1, user_api="blas"):
            res = solve(problem, "admm", **options)
            # the count of weights (the bias row aside), which is what SparseGPT keeps
            nnz = int(np.count_nonzero(res.W[:-1] if problem.bias else res.W))
            W_in, b = (W[:-1], W[-1]) if problem.bias else (W, np.zeros(W.shape[1]))
            X_in = problem.X[:-1] if problem.bias else problem.X
        one_layer = Network([W_in], [b], last_relu=True)
        _, sparsegpt_time, _ = timed_sparsegpt(one_layer, X_in, [nnz])
        obs_time = np.nan
        if obs:
            with threadpool_limits(limits=1, user_api="blas"):
                t0 = time.perf_counter()
                obs_prune(one_layer, X_in, [nnz])
                obs_time = time.perf_counter() - t0
        rows.append({"series": series, "axis": axis, "N": problem.N, "M": problem.M, "P": problem.P,
                     "status": res.status, "iterations": res.info["iterations"],
                     "time": res.info["time"],
                     "per_iteration": res.info["time"] / res.info["iterations"], "nnz": nnz,
                     "screened_rows": res.info.get("screened_rows", 0),
                     "sparsegpt_time": sparsegpt_time, "obs_time": obs_time})
    return pd.DataFrame(rows)


#: The columns :func:`scaling_exponents` fits, each against the size of its row's axis
#: (``obs_time`` where the series timed OBS: NaN otherwise).
SCALING_COLUMNS = ("time", "iterations", "per_iteration", "sparsegpt_time", "obs_time")


def scaling_exponents(runs: pd.DataFrame) -> pd.DataFrame:
    """Least-squares slopes of log(column) against log(size) along each (series, axis) of
    ``runs`` (:func:`scaling_runs`): time ∝ size^slope. One with fewer than three sizes, or
    with a run that did not converge, gets no slope (NaN) and says why in ``note``."""
    rows = []
    for (series, axis), g in runs.groupby(["series", "axis"], sort=False):
        g = g.sort_values(axis)
        unfinished = int((g["status"] != "converged").sum())
        note = ("" if len(g) >= 3 and not unfinished else
                f"{unfinished} of {len(g)} runs did not converge" if unfinished else
                f"only {len(g)} sizes")
        row = {"series": series, "axis": axis,
               "sizes": f"{g[axis].min():,}–{g[axis].max():,}", "note": note}
        for col in (c for c in SCALING_COLUMNS if c in runs):
            timed = g[col].notna().all()
            row[col] = (np.nan if note or not timed else
                        float(np.polyfit(np.log(g[axis]), np.log(g[col]), 1)[0]))
        rows.append(row)
    return pd.DataFrame(rows)


def scaling_summary_markdown(runs: pd.DataFrame, title: str = "") -> str:
    """The rows of :func:`scaling_runs` and the exponents of :func:`scaling_exponents`."""
    from .summary import markdown_table

    # OBS's columns only where some layer timed it (scaling_runs(obs=True))
    obs = "obs_time" in runs and bool(runs["obs_time"].notna().any())
    columns = [c for c in SCALING_COLUMNS if obs or c != "obs_time"]
    header = ["series", "axis", "N (screened rows)", "M", "P", "status", "iterations",
              "time (s)", "ms per iteration", "nonzeros", "SparseGPT (s)", "ratio",
              *(["OBS (s)"] if obs else [])]
    rows = [[r.series, r.axis, f"{r.N} ({getattr(r, 'screened_rows', 0)})", str(r.M), str(r.P),
             r.status if r.status == "converged" else f"**{r.status}**", str(r.iterations),
             f"{r.time:.2f}", f"{1000 * r.per_iteration:.1f}", f"{r.nnz:,}",
             f"{r.sparsegpt_time:.3f}", f"{r.time / r.sparsegpt_time:.0f}×",
             *([_seconds(r.obs_time)] if obs else [])]
            for r in runs.itertuples()]
    fits = scaling_exponents(runs)
    fit_rows = [[f.series, f.axis, f.sizes,
                 *("–" if np.isnan(v) else f"{v:.2f}" for v in (getattr(f, c)
                                                             for c in columns)),
                 f.note or "–"] for f in fits.itertuples()]
    return ((f"{title}\n\n" if title else "") + markdown_table(header, rows)
            + "\n\nFitted exponents (time ∝ size^exponent along each axis, the others fixed):\n\n"
            + markdown_table(["series", "axis", "sizes", "Net-Trim time", "iterations",
                              "time per iteration", "SparseGPT time",
                              *(["OBS time"] if obs else []), "note"], fit_rows))


def _seconds(t: float) -> str:
    """A baseline's time for the table: "–" where it was not timed."""
    return "–" if np.isnan(t) else f"{t:.2f}"

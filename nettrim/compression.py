"""Compression studies on trained networks: how sparse Net-Trim makes a trained ReLU network at
a given output discrepancy (the NIPS supplement's nested-spirals study).

Two kinds of task, each training its own network (one BLAS thread: tasks are the parallelism):

- :func:`target_task` prunes with the largest gain whose relative logit discrepancy
  ε_rd = ‖Z − Ẑ‖_F/‖Z‖_F stays below a target (Tables S.1/S.2): one row per layer;
- :func:`gain_task` prunes at each of a list of gains with each scheme (the sparsity-against-
  ε_rd sweep): one row per (scheme, gain).

:func:`run_study` runs a list of tasks resumably (:func:`nettrim.sweep.run_resumable`).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ._validation import check_int, check_scalar
from .data import spirals
from .network import Network
from .schemes import SCHEMES, relative_discrepancy, trim_to_discrepancy
from .sweep import run_resumable
from .train import accuracy, train_relu_mlp


def spirals_data(seed: int, n_train: int, n_test: int, **kwargs):
    """Training and test draws of :func:`nettrim.data.spirals` from independent streams of
    SeedSequence(seed). Returns X_train (2×n_train), y_train, X_test, y_test."""
    train_ss, test_ss = np.random.SeedSequence(check_int(seed, "seed", low=0)).spawn(2)
    X, y = spirals(np.random.default_rng(train_ss), check_int(n_train, "n_train", low=2), **kwargs)
    Xt, yt = spirals(np.random.default_rng(test_ss), check_int(n_test, "n_test", low=2), **kwargs)
    return X, y, Xt, yt


def _network(data, H, alpha, seed, train):
    X, y = data[0], data[1]
    return train_relu_mlp(X, y, (H, H), alpha=alpha, seed=seed, **train)


def _accuracies(net, data, suffix):
    X, y, Xt, yt = data
    return {f"acc_train_{suffix}": accuracy(net, X, y), f"acc_test_{suffix}": accuracy(net, Xt, yt)}


def target_task(tasks, *, data: dict, train: dict, target: float, scheme: str = "cascade",
                max_steps: int = 6, net_dir=None, **trim) -> list[dict]:
    """For each (H, alpha, seed) in ``tasks``: train a 2·H·H·2 network on the spirals
    ``data`` (keywords of :func:`spirals_data`), prune it with :func:`trim_to_discrepancy`
    at ``target`` and return one row per layer. With ``net_dir``, the original and the
    pruned network are saved there as ``H<H>_alpha<alpha>_seed<seed>_{original,pruned}.npz``.
    ``trim`` goes to the scheme (gamma, solver, solver options)."""
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        d = spirals_data(**data)
        for H, alpha, seed in tasks:
            net = _network(d, H, alpha, seed, train)
            res = trim_to_discrepancy(net, d[0], target, scheme=scheme, max_steps=max_steps,
                                      **trim)
            chosen = res.search[res.search["chosen"]].iloc[0]
            common = {"H": H, "alpha": alpha, "seed": seed, "scheme": scheme,
                      "gain": float(chosen["gain"]),
                      "discrepancy": relative_discrepancy(net, res.network, d[0]),
                      "steps": len(res.search), **_accuracies(net, d, "before"),
                      **_accuracies(res.network, d, "after")}
            for r in res.report.itertuples():
                rows.append({**common, "layer": r.layer, "nnz_before": r.nnz_before,
                             "nnz_after": r.nnz_after, "epsilon": r.epsilon, "status": r.status,
                             "iterations": r.iterations, "time": r.time,
                             "bound_held": bool(r.bound_held)})
            if net_dir is not None:
                stem = f"H{H}_alpha{alpha:g}_seed{seed}"
                net.save_npz(f"{net_dir}/{stem}_original.npz")
                res.network.save_npz(f"{net_dir}/{stem}_pruned.npz")
    return rows


def gain_task(tasks, *, data: dict, train: dict, gains, schemes=("parallel", "cascade"),
              gamma: float = 1.1, **trim) -> list[dict]:
    """For each (H, alpha, seed) in ``tasks``: train a 2·H·H·2 network and prune it with each
    scheme at each gain; one row per (scheme, gain) with ε_rd, the fraction of weights kept
    (all layers, and layer 2 alone), accuracies, whether every layer converged and every bound
    held. ``gamma`` goes to the cascade, ``trim`` (solver, options) to both schemes."""
    gains = [check_scalar(g, "gains", low=0.0, low_inclusive=False) for g in gains]
    for s in schemes:
        if s not in SCHEMES:
            raise ValueError(f"schemes must be among {sorted(SCHEMES)}; got {s!r}")
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        d = spirals_data(**data)
        for H, alpha, seed in tasks:
            net = _network(d, H, alpha, seed, train)
            before = _accuracies(net, d, "before")
            for scheme in schemes:
                for g in gains:
                    extra = {"gamma": gamma} if scheme == "cascade" else {}
                    res = SCHEMES[scheme](net, d[0], gain=g, **extra, **trim)
                    rep = res.report
                    rows.append({
                        "H": H, "alpha": alpha, "seed": seed, "scheme": scheme, "gain": g,
                        "discrepancy": relative_discrepancy(net, res.network, d[0]),
                        "nnz_before": int(rep["nnz_before"].sum()),
                        "nnz_after": int(rep["nnz_after"].sum()),
                        "kept": rep["nnz_after"].sum() / rep["nnz_before"].sum(),
                        "kept_layer2": rep["nnz_after"].iat[1] / rep["nnz_before"].iat[1],
                        "converged": res.converged, "bound_held": bool(rep["bound_held"].all()),
                        "time": float(rep["time"].sum()), **before,
                        **_accuracies(res.network, d, "after")})
    return rows


def run_study(task_fn, tasks, *, out_dir=None, n_jobs: int = 1, progress: bool = True,
              **kwargs) -> pd.DataFrame:
    """Run ``task_fn([task], **kwargs)`` for every task (one per chunk), in parallel and
    resumably under ``out_dir`` (see :func:`nettrim.sweep.run_resumable`); the concatenated
    rows."""
    tasks = [tuple(t) for t in tasks]
    if not tasks:
        raise ValueError("tasks is empty: nothing to run")
    spec = {"task_fn": task_fn.__name__, "tasks": tasks, **kwargs}
    work = functools.partial(task_fn, **kwargs)
    parts = run_resumable([[t] for t in tasks], work, out_dir=out_dir, spec=spec,
                          n_jobs=n_jobs, progress=progress, unit="network")
    return pd.concat(parts, ignore_index=True)


def layer_table(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`target_task` rows (one per layer) as one row per network: nonzeros before and
    after for every layer, the layer-2 and overall reduction factors, ε_rd, the gain, the
    accuracies, whether every layer converged and every bound held."""
    keys = ["H", "alpha", "seed"]
    out = []
    for key, g in rows.groupby(keys, sort=True):
        g = g.sort_values("layer")
        first = g.iloc[0]
        row = dict(zip(keys, key))
        for r in g.itertuples():
            row[f"layer{r.layer}_before"], row[f"layer{r.layer}_after"] = r.nnz_before, r.nnz_after
        row["layer2_factor"] = row["layer2_before"] / max(row["layer2_after"], 1)
        row["total_factor"] = g["nnz_before"].sum() / max(g["nnz_after"].sum(), 1)
        row.update({k: first[k] for k in ("gain", "discrepancy", "steps", "acc_train_before",
                                           "acc_train_after", "acc_test_before", "acc_test_after")})
        row["converged"] = bool((g["status"] == "converged").all())
        row["bound_held"] = bool(g["bound_held"].astype(bool).all())
        out.append(row)
    return pd.DataFrame(out)


def load_pair(net_dir, H, alpha, seed) -> tuple[Network, Network]:
    """The original and pruned networks :func:`target_task` saved."""
    stem = f"{net_dir}/H{H}_alpha{alpha:g}_seed{seed}"
    return Network.load_npz(f"{stem}_original.npz"), Network.load_npz(f"{stem}_pruned.npz")


__all__ = ["spirals_data", "target_task", "gain_task", "run_study", "layer_table", "load_pair"]

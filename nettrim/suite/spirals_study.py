"""The nested-spirals compression study of the NIPS supplement (Tables S.1/S.2): networks
trained by a *recipe* (:func:`train_network`), pruned at a target output discrepancy
(:func:`target_task`: a row per layer, with the network's distinct layer-1 creases) or along a
list of gains with each scheme (:func:`gain_task`: a row per (scheme, gain)). Tasks run one
BLAS thread each (tasks are the parallelism) through
:func:`nettrim.suite.compression.run_study`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._validation import check_int, check_scalar
from ..network import Network
from ..schemes import GAMMA, SCHEMES, prune_network, prune_to_discrepancy, relative_discrepancy
from .compression import accuracies
from .data import spirals_split
from .features import distinct_features, widen
from .train import train_relu_mlp, train_torch_mlp


def train_network(X, y, H: int, recipe: dict, seed: int, train: dict) -> Network:
    """Train a 2·H·H·2 spirals network by ``recipe``.

    Parameters
    ----------
    X, y : the training inputs (features × samples) and labels.
    H : int
        Hidden width.
    recipe : dict
        ``trainer``: "sklearn" (:func:`~nettrim.suite.train.fit_relu_mlp`, keys such as
        ``alpha``; ``train`` adds its Adam settings) or "torch"
        (:func:`~nettrim.suite.train.train_torch_mlp`: ``dropout``, ``l1``, ``epochs``, ...).
        With ``widen_from: h`` a 2·h·h·2 network is trained and widened to H units per layer
        (:func:`~nettrim.suite.features.widen`): the same function, wide.
    seed : int
        Training seed (and the widening's scales).
    train : dict
        The scikit-learn trainer's settings (``max_iter``, ``learning_rate_init``).

    Returns
    -------
    Network
    """
    recipe = dict(recipe)
    trainer = recipe.pop("trainer", None)
    h = recipe.pop("widen_from", None)
    width = H if h is None else check_int(h, "recipe.widen_from", low=1)
    if width > H:
        raise ValueError(f"recipe.widen_from must be at most H = {H}; got {width}")
    if trainer == "sklearn":
        net = train_relu_mlp(X, y, (width, width), seed=seed, **{**train, **recipe})
    elif trainer == "torch":
        net = train_torch_mlp(X, y, (width, width), seed=seed, **recipe)
    else:
        raise ValueError(f"recipe.trainer must be 'sklearn' or 'torch'; got {trainer!r}")
    return net if h is None else widen(net, H, np.random.default_rng(seed))


def _network(data, H, recipe, seed, train, recipes):
    if recipe not in recipes:
        raise ValueError(f"unknown recipe {recipe!r}; the config defines {sorted(recipes)}")
    return train_network(data[0], data[1], H, recipes[recipe], seed, train)


def target_task(tasks, *, data: dict, train: dict, recipes: dict, target: float,
                scheme: str = "cascade", gamma: float = GAMMA, cap: str = "linear",
                max_steps: int = 6, features: dict | None = None, net_dir=None,
                **trim) -> list[dict]:
    """For each (H, recipe, seed) in ``tasks``: train a 2·H·H·2 network on the spirals
    ``data`` (keywords of :func:`~nettrim.suite.data.spirals_split`) by ``recipes[recipe]``
    (:func:`train_network`),
    prune it with :func:`prune_to_discrepancy` at ``target`` and return one row per layer, with
    the network's distinct layer-1 creases (``features``: tolerances of
    :func:`~nettrim.suite.features.distinct_features`). With ``net_dir``, the original and the
    pruned network are saved there as ``H<H>_<recipe>_seed<seed>_{original,pruned}.npz``.
    ``gamma`` and ``cap`` go to the cascade, ``trim`` (solver, solver options) to either
    scheme (:func:`nettrim.schemes.prune_network`)."""
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        d = spirals_split(**data)
        for H, recipe, seed in tasks:
            net = _network(d, H, recipe, seed, train, recipes)
            res = prune_to_discrepancy(net, d[0], target, scheme=scheme, max_steps=max_steps,
                                      gamma=gamma, cap=cap, **trim)
            chosen = res.search[res.search["chosen"]].iloc[0]
            common = {"H": H, "recipe": recipe, "seed": seed, "scheme": scheme,
                      "distinct_features": distinct_features(net, d[0], **(features or {})),
                      "gain": float(chosen["gain"]),
                      "discrepancy": relative_discrepancy(net, res.network, d[0]),
                      "steps": len(res.search), **accuracies(net, d, "before"),
                      **accuracies(res.network, d, "after")}
            for r in res.report.itertuples():
                rows.append({**common, "layer": r.layer, "nnz_before": r.nnz_before,
                             "nnz_after": r.nnz_after, "epsilon": r.epsilon, "status": r.status,
                             "iterations": r.iterations, "time": r.time,
                             "bound_held": bool(r.bound_held)})
            if net_dir is not None:
                stem = f"H{H}_{recipe}_seed{seed}"
                net.save_npz(f"{net_dir}/{stem}_original.npz")
                res.network.save_npz(f"{net_dir}/{stem}_pruned.npz")
    return rows


def gain_task(tasks, *, data: dict, train: dict, recipes: dict, gains,
              schemes=("parallel", "cascade"), gamma: float = GAMMA, **trim) -> list[dict]:
    """For each (H, recipe, seed) in ``tasks``: train a 2·H·H·2 network and prune it with each
    scheme at each gain; one row per (scheme, gain) with ε_rd, the fraction of weights kept
    (all layers, and layer 2 alone), accuracies, whether every layer converged and every bound
    held. ``gamma`` goes to the cascade, ``trim`` (solver, options) to both schemes."""
    gains = [check_scalar(g, "gains", low=0.0, low_inclusive=False) for g in gains]
    for s in schemes:
        if s not in SCHEMES:
            raise ValueError(f"schemes must be among {list(SCHEMES)}; got {s!r}")
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        d = spirals_split(**data)
        for H, recipe, seed in tasks:
            net = _network(d, H, recipe, seed, train, recipes)
            before = accuracies(net, d, "before")
            for scheme in schemes:
                for g in gains:
                    res = prune_network(net, d[0], scheme, gain=g, gamma=gamma, **trim)
                    rep = res.report
                    rows.append({
                        "H": H, "recipe": recipe, "seed": seed, "scheme": scheme, "gain": g,
                        "discrepancy": relative_discrepancy(net, res.network, d[0]),
                        "nnz_before": int(rep["nnz_before"].sum()),
                        "nnz_after": int(rep["nnz_after"].sum()),
                        "kept": rep["nnz_after"].sum() / rep["nnz_before"].sum(),
                        "kept_layer2": rep["nnz_after"].iat[1] / rep["nnz_before"].iat[1],
                        "converged": res.converged, "bound_held": bool(rep["bound_held"].all()),
                        "time": float(rep["time"].sum()), **before,
                        **accuracies(res.network, d, "after")})
    return rows


def layer_table(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`target_task` rows (one per layer) as one row per network: nonzeros before and
    after for every layer, the layer-2 and overall reduction factors, ε_rd, the gain, the
    accuracies, whether every layer converged and every bound held."""
    keys = ["H", "recipe", "seed"]
    out = []
    for key, g in rows.groupby(keys, sort=True):
        g = g.sort_values("layer")
        first = g.iloc[0]
        row = dict(zip(keys, key))
        for r in g.itertuples():
            row[f"layer{r.layer}_before"], row[f"layer{r.layer}_after"] = r.nnz_before, r.nnz_after
        row["layer2_factor"] = row["layer2_before"] / max(row["layer2_after"], 1)
        row["total_factor"] = g["nnz_before"].sum() / max(g["nnz_after"].sum(), 1)
        row["layer2_per_neuron"] = row["layer2_after"] / first["H"]
        row.update({k: first[k] for k in ("gain", "discrepancy", "steps", "distinct_features",
                                          "acc_train_before",
                                           "acc_train_after", "acc_test_before", "acc_test_after")})
        row["converged"] = bool((g["status"] == "converged").all())
        row["bound_held"] = bool(g["bound_held"].astype(bool).all())
        out.append(row)
    return pd.DataFrame(out)


def load_pair(net_dir, H, recipe, seed) -> tuple[Network, Network]:
    """The original and pruned networks :func:`target_task` saved."""
    stem = f"{net_dir}/H{H}_{recipe}_seed{seed}"
    return Network.load_npz(f"{stem}_original.npz"), Network.load_npz(f"{stem}_pruned.npz")


__all__ = ["train_network", "target_task", "gain_task", "layer_table", "load_pair"]

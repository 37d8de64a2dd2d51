"""Compression studies on trained networks: how sparse Net-Trim makes a trained ReLU network at
a given output discrepancy (the NIPS supplement's nested-spirals study), and what that costs in
accuracy against magnitude pruning (real data).

Tasks (one BLAS thread each: tasks are the parallelism):

- :func:`target_task` trains a spirals network by a *recipe* (:func:`train_network`) and prunes
  it with the largest gain whose relative logit discrepancy ε_rd = ‖Z − Ẑ‖_F/‖Z‖_F stays below a
  target (Tables S.1/S.2): a row per layer, with the network's distinct layer-1 creases;
- :func:`gain_task` trains a spirals network and prunes it at each of a list of gains with each
  scheme (the sparsity-against-ε_rd sweep): a row per (scheme, gain);
- :func:`prune_task` prunes one saved trained classifier at a (scheme, gain) and prunes it
  with each one-shot baseline (magnitude, Wanda, SparseGPT, OBS) to the same per-layer counts,
  each optionally fine-tuned and tested under input noise: a row per method.

:func:`run_study` runs a list of tasks resumably (:func:`nettrim.suite.resumable.run_resumable`).
"""

from __future__ import annotations

import functools
import logging

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._validation import check_int, check_scalar
from ..baselines import BASELINES
from ..network import Network
from ..schemes import (
    GAMMA,
    SCHEMES,
    prune_network,
    prune_to_discrepancy,
    relative_discrepancy,
)
from .data import load_dataset, spirals_split
from .features import distinct_features, widen
from .resumable import run_resumable
from .train import (
    accuracy,
    finetune_masked,
    finetune_torch,
    fit_relu_mlp,
    logits,
    train_relu_mlp,
    train_torch_convnet,
    train_torch_mlp,
)

log = logging.getLogger(__name__)

#: The spirals study's draw (kept under this name: the studies and tests call it).


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


def _accuracies(net, data, suffix):
    X, y, Xt, yt = data
    sep = "_" if suffix else ""
    return {f"acc_train{sep}{suffix}": accuracy(net, X, y),
            f"acc_test{sep}{suffix}": accuracy(net, Xt, yt)}


def _train_test(p, d, Z_all=None) -> dict:
    """Train and test accuracy of ``p``; with ``Z_all`` (the original's outputs on all
    training inputs) also ε_rd on them, ``discrepancy_all``, from the same forward pass (on
    60,000 MNIST images through a convolution it is the costliest step of an evaluation)."""
    X, y, Xt, yt = d
    Z = logits(p, X)
    row = {"acc_train": float(np.mean(Z.argmax(axis=0) == np.asarray(y))),
           "acc_test": accuracy(p, Xt, yt)}
    if Z_all is not None:
        row["discrepancy_all"] = float(np.linalg.norm(Z - Z_all) / np.linalg.norm(Z_all))
    return row


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
                      "steps": len(res.search), **_accuracies(net, d, "before"),
                      **_accuracies(res.network, d, "after")}
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
            before = _accuracies(net, d, "before")
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
                        **_accuracies(res.network, d, "after")})
    return rows


def model_file(out_dir, network: dict):
    """Where :func:`train_classifier` keeps the trained classifier of ``network`` in
    ``out_dir``: ``model.joblib`` (a scikit-learn model, ``trainer: sklearn``, the default) or
    ``model.npz`` (a :class:`~nettrim.network.Network`, ``trainer: torch``)."""
    from pathlib import Path

    trainer = _trainer(network)
    return Path(out_dir) / ("model.joblib" if trainer == "sklearn" else "model.npz")


_TRAINERS = ("sklearn", "torch", "torch_convnet")


def _trainer(network: dict) -> str:
    trainer = network.get("trainer", "sklearn")
    if trainer not in _TRAINERS:
        raise ValueError(f"network.trainer must be one of {list(_TRAINERS)}; got {trainer!r}")
    return trainer


def train_classifier(data: dict, network: dict, path, cache=None) -> Network:
    """Train the reference classifier on ``load_dataset(**data)`` and save it at ``path``
    (:func:`model_file`); an existing model at ``path`` is loaded instead (a restart does not
    retrain) only if it was trained from the same data and ``network`` (its key,
    :func:`model_key`, which includes the data file's contents, is saved beside it as
    ``.key``); otherwise it is retrained and replaced.

    ``network``: ``trainer`` "sklearn" (default: ``hidden``, ``alpha``, ``seed``, ``max_iter``,
    ``learning_rate_init`` of :func:`fit_relu_mlp`; saved with joblib, its weights beside it
    as ``.npz``), "torch" (``hidden``, ``seed`` and the recipe's keywords of
    :func:`~nettrim.suite.train.train_torch_mlp`) or "torch_convnet" (the keywords of
    :func:`~nettrim.suite.train.train_torch_convnet`); the PyTorch ones are saved as a
    Network ``.npz``. With ``cache`` (a folder), a model of the same key trained by another
    run is copied from there instead of retrained, and a newly trained one is kept there."""
    from pathlib import Path

    import joblib

    path = Path(path)
    trainer = _trainer(network)
    key = model_key(data, network)
    path.parent.mkdir(parents=True, exist_ok=True)
    key_file = path.with_suffix(".key")
    if path.is_file() and key_file.is_file() and key_file.read_text().strip() == key:
        return load_model(path)[0]
    if path.is_file():
        log.warning("retraining: %s was trained from another data/network configuration", path)
    shared = Path(cache) / f"{key}{path.suffix}" if cache is not None else None
    if shared is not None and shared.is_file():
        import shutil

        log.info("model: %s from the cache %s", path.name, shared)
        shutil.copyfile(shared, path)
        if path.suffix != ".npz":                      # a joblib model keeps its weights beside
            shutil.copyfile(shared.with_suffix(".npz"), path.with_suffix(".npz"))
        key_file.write_text(key + "\n")
        return load_model(path)[0]
    X, y, _, _ = load_dataset(**data)
    network = {k: v for k, v in network.items() if k != "trainer"}
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    if trainer == "torch_convnet":
        net = train_torch_convnet(X, y, **network)
        net.save_npz(tmp)
    elif trainer == "torch":
        net = train_torch_mlp(X, y, network.pop("hidden"), **network)
        net.save_npz(tmp)
    else:
        mlp = fit_relu_mlp(X, y, network.pop("hidden"), **network)
        joblib.dump(mlp, tmp)
        net = Network.from_sklearn(mlp)
        net.save_npz(path.with_suffix(".npz"))
    tmp.replace(path)
    key_file.write_text(key + "\n")
    if shared is not None:
        import shutil

        shared.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, shared)
        if path.suffix != ".npz":
            shutil.copyfile(path.with_suffix(".npz"), shared.with_suffix(".npz"))
    return net


def load_model(path):
    """The classifier :func:`train_classifier` saved: ``(Network, mlp)`` with the fitted
    scikit-learn model for a ``.joblib`` file (fine-tuned with scikit-learn) and ``None`` for a
    Network ``.npz`` (fine-tuned with PyTorch)."""
    import joblib

    if str(path).endswith(".npz"):
        return Network.load_npz(path), None
    mlp = joblib.load(path)
    return Network.from_sklearn(mlp), mlp


def finished_run(run) -> tuple[dict, dict]:
    """A finished prune_network run folder read back: (its config.yaml as a dict, its networks
    ``{"original": Network, "<scheme>_gain<g>": Network, ...}``), or SystemExit naming what is
    missing (no config.yaml: not finished; no model; no pruned network)."""
    from pathlib import Path

    import yaml

    run = Path(run)
    config = run / "config.yaml"
    if not config.is_file():
        raise SystemExit(f"error: {run} holds no config.yaml (not a finished run)")
    model = next((p for p in (run / "model.npz", run / "model.joblib") if p.is_file()), None)
    if model is None:
        raise SystemExit(f"error: {run} holds no model.npz or model.joblib (a finished "
                         f"prune_network run?)")
    nets = {"original": load_model(model)[0]}
    for f in sorted((run / "networks").glob("*.npz"), key=lambda p: p.stem):
        nets[f.stem] = Network.load_npz(f)
    if len(nets) == 1:
        raise SystemExit(f"error: {run}/networks holds no pruned network")
    return yaml.safe_load(config.read_text()), nets


def layer_ablation(net: Network, pruned: Network, X, labels) -> dict:
    """Where a pruned network's accuracy goes: accuracy on (X, labels) with *only* layer ℓ
    pruned (``only<ℓ>``) and with every layer *but* ℓ pruned (``but<ℓ>``), for every ℓ."""
    row = {}
    for i in range(net.n_layers):
        only = [pruned.weights[j] if j == i else net.weights[j] for j in range(net.n_layers)]
        only_b = [pruned.biases[j] if j == i else net.biases[j] for j in range(net.n_layers)]
        but = [net.weights[j] if j == i else pruned.weights[j] for j in range(net.n_layers)]
        but_b = [net.biases[j] if j == i else pruned.biases[j] for j in range(net.n_layers)]
        row[f"only{i + 1}"] = accuracy(net.with_weights(only, only_b), X, labels)
        row[f"but{i + 1}"] = accuracy(net.with_weights(but, but_b), X, labels)
    return row


def model_key(data: dict, network: dict) -> str:
    """The identity of a trained classifier: a hash of what it was trained from, the data
    file's contents included (:func:`~nettrim.suite.data.data_identity`)."""
    from .data import data_identity
    from .parts import spec_hash

    data = dict(data)
    if data.get("name") == "mnist":
        # MNIST keeps its own split: load_dataset ignores these, so must the key (a study and
        # the benchmark, composing different defaults, share one trained network)
        for key in ("seed", "test_size"):
            data.pop(key, None)
    spec = {"data": data, "network": dict(network)}
    contents = data_identity(data)
    if contents is not None:
        spec["data_contents"] = contents
    return spec_hash(spec)


def _layer_discrepancies(net: Network, pruned: Network, X) -> dict:
    """‖Ŷ⁽ℓ⁾ − Y⁽ℓ⁾‖_F / ‖Y⁽ℓ⁾‖_F for every layer ℓ, on the inputs X."""
    orig, hat = net.forward(X), pruned.forward(X)
    return {f"layer{i}_discrepancy": float(np.linalg.norm(h - o) / np.linalg.norm(o))
            for i, (o, h) in enumerate(zip(orig[1:], hat[1:]), start=1)}


def noisy_accuracy(net: Network, X, labels, level: float, seed: int,
                   repeats: int = 1) -> float:
    """Accuracy on X plus Gaussian noise scaled, sample by sample, to ‖noise‖ = level·‖x‖
    (the authors' robustness test), averaged over ``repeats`` draws; the same noise for every
    network given the same seed.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
    labels : array of shape (P,)
    level : float
        Noise-to-signal norm ratio.
    seed : int
    repeats : int, default 1
        Independent noise draws (the authors use 10).

    Returns
    -------
    float
    """
    rng = np.random.default_rng(seed)
    accs = []
    for _ in range(check_int(repeats, "repeats", low=1)):
        noise = rng.standard_normal(X.shape)
        noise *= level * np.linalg.norm(X, axis=0) / np.linalg.norm(noise, axis=0)
        accs.append(accuracy(net, X + noise, labels))
    return float(np.mean(accs))


def calibration_samples(P: int, samples: int | None, seed: int = 0) -> np.ndarray:
    """The training columns a pruning sees: all ``P`` (``samples`` None), or ``samples`` of
    them drawn uniformly without replacement by SeedSequence(seed), in increasing order."""
    if samples is None or samples >= P:
        return np.arange(P)
    samples = check_int(samples, "samples", low=1)
    rng = np.random.default_rng(np.random.SeedSequence(check_int(seed, "seed", low=0)))
    return np.sort(rng.choice(P, samples, replace=False))


def _finetuned(mlp, p: Network, d, finetune: dict) -> dict:
    """Accuracies after masked fine-tuning: with scikit-learn for a scikit-learn model (one
    checkpoint: ``*_ft``), with PyTorch otherwise (a checkpoint per entry of ``epochs``:
    ``*_ft<e>``, and the last also as ``*_ft``)."""
    X, y = d[0], d[1]
    if mlp is not None:
        tuned = finetune_masked(mlp, p, X, y, **finetune)
        return {f"{k}_ft": v for k, v in _accuracies(tuned, d, "").items()}
    epochs = finetune["epochs"]
    epochs = [epochs] if np.ndim(epochs) == 0 else list(epochs)
    row = {}
    for e, tuned in zip(epochs, finetune_torch(p, X, y, **finetune)):
        row.update({f"{k}_ft{e}": v for k, v in _accuracies(tuned, d, "").items()})
    row.update({f"{k}_ft": row[f"{k}_ft{epochs[-1]}"] for k in ("acc_train", "acc_test")})
    return row


def prune_task(tasks, *, data: dict, model_path, gamma: float = GAMMA,
               baselines=("magnitude",), finetune: dict | None = None,
               noise: dict | None = None, samples: dict | None = None,
               patches: int | None = None, net_dir=None, **trim) -> list[dict]:
    """For each (scheme, gain) in ``tasks``: prune the classifier saved at ``model_path``
    (:func:`train_classifier`) with Net-Trim on the training inputs, then prune the original
    with each of ``baselines`` (names in :data:`nettrim.baselines.BASELINES`: magnitude, wanda,
    sparsegpt, obs) to the same per-layer nonzero counts; with ``finetune`` (``epochs`` > 0:
    keywords of :func:`~nettrim.suite.train.finetune_masked` for a scikit-learn model, of
    :func:`~nettrim.suite.train.finetune_torch` for a PyTorch-trained one) fine-tune each on its
    own sparsity pattern; with ``noise`` (``levels``, ``seed``, optional ``repeats``) measure
    test accuracy under input noise (:func:`noisy_accuracy`); with ``samples`` (``n``,
    ``seed``) Net-Trim and the baselines see only ``n`` training inputs
    (:func:`calibration_samples`), fine-tuning all of them; ``patches`` sets how many patch
    positions a convolution layer is pruned on (:data:`nettrim.network.PATCHES` when None),
    for Net-Trim and the baselines alike.

    One row per (scheme, gain, method): nonzeros per layer, the compression factors (all
    weights; hidden layers = every layer but the last), train/test accuracy (and after
    fine-tuning), ε_rd and each layer's relative output discrepancy on the calibration inputs
    (and ε_rd on all training inputs, ``discrepancy_all``), the method's pruning time (wall
    clock, one thread), Net-Trim's per-layer solve times, whether every Net-Trim layer
    converged and every bound held (the baselines share the row's counts, so these describe the
    pruning that set them). With ``net_dir``, each Net-Trim network is saved there as
    ``<scheme>_gain<gain>.npz``.
    """
    import time

    for b in baselines:
        if b not in BASELINES:
            raise ValueError(f"baselines must be among {list(BASELINES)}; got {b!r}")
    finetune, noise, samples = dict(finetune or {}), dict(noise or {}), dict(samples or {})
    levels = [check_scalar(v, "noise.levels", low=0.0) for v in noise.get("levels", [])]
    repeats = check_int(noise.get("repeats", 1), "noise.repeats", low=1)
    tune = np.any(np.asarray(finetune.get("epochs", 0)) > 0)
    conv = {} if patches is None else {"patches": check_int(patches, "patches", low=1)}
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        d = load_dataset(**data)
        X_all = d[0]
        X = X_all[:, calibration_samples(X_all.shape[1], samples.get("n"),
                                         samples.get("seed", 0))]
        net, mlp = load_model(model_path)
        before = net.nnz()
        # the original's outputs on all training inputs, once: ε_rd beyond the subset
        Z_all = logits(net, X_all) if X.shape[1] < X_all.shape[1] else None

        def noisy(p, v):
            return noisy_accuracy(p, d[2], d[3], v, noise.get("seed", 0), repeats)

        base = {f"original_{k}": v for k, v in _accuracies(net, d, "").items()}
        base.update({f"original_acc_noise{v:g}": noisy(net, v) for v in levels})
        for scheme, gain in tasks:
            start = time.perf_counter()
            res = prune_network(net, X, scheme, gain=gain, gamma=gamma, **conv, **trim)
            pruned = {"nettrim": (res.network, time.perf_counter() - start)}
            rep = res.report
            counts = res.network.nnz()
            for b in baselines:
                start = time.perf_counter()
                p = BASELINES[b](net, X, counts, **conv)
                pruned[b] = (p, time.perf_counter() - start)
            if net_dir is not None:
                res.network.save_npz(f"{net_dir}/{scheme}_gain{gain:g}.npz")
            for method, (p, seconds) in pruned.items():
                row = {"scheme": scheme, "gain": gain, "method": method,
                       **{f"layer{i + 1}_nnz": k for i, k in enumerate(p.nnz())},
                       "compression": sum(before) / max(sum(counts), 1),
                       "hidden_compression": sum(before[:-1]) / max(sum(counts[:-1]), 1),
                       "discrepancy": relative_discrepancy(net, p, X),
                       **_layer_discrepancies(net, p, X), "prune_time": seconds,
                       **_train_test(p, d, Z_all), **base,
                       **{f"acc_noise{v:g}": noisy(p, v) for v in levels},
                       "converged": res.converged, "bound_held": bool(rep["bound_held"].all()),
                       **{f"layer{r.layer}_time": r.time for r in rep.itertuples()}}
                if Z_all is not None:
                    row["samples"] = X.shape[1]
                if tune:
                    row.update(_finetuned(mlp, p, d, finetune))
                rows.append(row)
    return rows


def samples_needed(net: Network, pruned: Network, X, layer: int = 0) -> np.ndarray:
    """The sharp prediction's sample count for each neuron of a pruned dense ReLU layer:
    δ(s_m, N)/q_m, with s_m the neuron's nonzero weights (its bias counted) among N = n_in + 1,
    q_m the fraction of inputs X on which the original neuron is active, δ the statistical
    dimension of the ℓ₁ descent cone (:func:`~nettrim.suite.theory.statistical_dimension`):
    about how many samples pin a neuron of that sparsity down (inf for a dead neuron)."""
    from .theory import statistical_dimension

    if net.convs[layer] is not None or not net.is_relu(layer):
        raise ValueError(f"layer {layer} must be a dense ReLU layer")
    Y = net.forward(X)[layer + 1]
    q = (Y > 0).mean(axis=1)
    W, b = pruned.weights[layer], pruned.biases[layer]
    N = W.shape[0] + 1
    s = np.count_nonzero(W, axis=0) + (b != 0)
    delta = np.array([statistical_dimension(int(max(k, 1)), N) for k in s])
    with np.errstate(divide="ignore"):
        return np.where(q > 0, delta / q, np.inf)


def run_study(task_fn, tasks, *, out_dir=None, n_jobs: int = 1, progress: bool = True,
              identity: dict | None = None, **kwargs) -> pd.DataFrame:
    """Run ``task_fn([task], **kwargs)`` for every task (one per chunk), in parallel and
    resumably under ``out_dir`` (see :func:`nettrim.suite.resumable.run_resumable`); the
    concatenated rows. ``identity`` adds to the parts' spec what determines the rows without
    being an argument (e.g. the key of the model a path points at), so stale parts are never
    reused."""
    tasks = [tuple(t) for t in tasks]
    if not tasks:
        raise ValueError("tasks is empty: nothing to run")
    spec = {"task_fn": task_fn.__name__, "tasks": tasks, **_spec_kwargs(kwargs),
            **(identity or {})}
    log.info("study: %d %s tasks, n_jobs = %s", len(tasks), task_fn.__name__, n_jobs)
    work = functools.partial(task_fn, **kwargs)
    parts = run_resumable([[t] for t in tasks], work, out_dir=out_dir, spec=spec,
                          n_jobs=n_jobs, progress=progress, unit="network")
    return pd.concat(parts, ignore_index=True)


def _spec_kwargs(kwargs: dict) -> dict:
    """``kwargs`` for a run's spec: a solver value as its :meth:`~nettrim.solvers.Solver.spec`
    (every parameter, defaults included)."""
    from ..solvers import Solver

    solver = kwargs.get("solver")
    return {**kwargs, "solver": solver.spec()} if isinstance(solver, Solver) else kwargs


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


__all__ = ["train_network", "target_task", "gain_task", "train_classifier",
           "prune_task", "noisy_accuracy", "run_study", "layer_table", "load_pair", "model_key",
           "model_file", "load_model", "calibration_samples", "samples_needed"]

"""The real-data pruning study: a saved trained classifier pruned by Net-Trim at a (scheme,
gain) and by each one-shot baseline (magnitude, Wanda, SparseGPT, OBS) to the same per-layer
counts, each optionally fine-tuned and tested under input noise (:func:`prune_task`: a row per
method, one BLAS thread per task); what it measures on the side (:func:`layer_ablation`,
:func:`samples_needed`, :func:`noisy_accuracy`); and :func:`run_study`, which runs a list of
tasks of this study or of :mod:`nettrim.suite.spirals_study` resumably
(:func:`nettrim.suite.resumable.run_resumable`). The trained classifiers are
:mod:`nettrim.suite.models`.
"""

from __future__ import annotations

import functools
import logging
import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._validation import check_int, check_scalar
from ..baselines import BASELINES
from ..network import Network
from ..schemes import (
    GAMMA,
    prune_network,
    relative_discrepancy,
)
from .data import load_dataset
from .models import load_model
from .resumable import run_resumable
from .train import (
    accuracy,
    finetune_masked,
    finetune_torch,
    logits,
)

log = logging.getLogger(__name__)


def accuracies(net, data, suffix: str) -> dict:
    """Train and test accuracy of ``net`` on ``data`` = (X, y, X_test, y_test), keyed
    ``acc_train_<suffix>``, ``acc_test_<suffix>`` (no underscore when ``suffix`` is empty)."""
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
        return {f"{k}_ft": v for k, v in accuracies(tuned, d, "").items()}
    epochs = finetune["epochs"]
    epochs = [epochs] if np.ndim(epochs) == 0 else list(epochs)
    row = {}
    for e, tuned in zip(epochs, finetune_torch(p, X, y, **finetune)):
        row.update({f"{k}_ft{e}": v for k, v in accuracies(tuned, d, "").items()})
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
    study = _Study(data, model_path, baselines, finetune, noise, samples, patches)
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        study.load()
        for scheme, gain in tasks:
            start = time.perf_counter()
            res = prune_network(study.net, study.X, scheme, gain=gain, gamma=gamma,
                                **study.conv, **trim)
            seconds = time.perf_counter() - start
            rep = res.report
            setting = {"converged": res.converged, "bound_held": bool(rep["bound_held"].all()),
                       **{f"layer{r.layer}_time": r.time for r in rep.itertuples()}}
            if net_dir is not None:
                res.network.save_npz(f"{net_dir}/{scheme}_gain{gain:g}.npz")
            rows.append(study.row(scheme, gain, "nettrim", res.network, seconds,
                                  res.network.nnz(), setting))
            rows += study.baseline_rows(scheme, gain, res.network.nnz(), setting)
    return rows


def baseline_task(tasks, *, counts: dict, original: dict, data: dict, model_path, baselines,
                  finetune: dict | None = None, noise: dict | None = None,
                  samples: dict | None = None, patches: int | None = None) -> list[dict]:
    """:func:`prune_task`'s baseline rows alone, at per-layer counts a finished study's
    Net-Trim rows hold: ``counts[f"{scheme} {gain:g}"]`` is that row's ``{"counts": [...]}``
    and the fields that describe the Net-Trim pruning which set them (``converged``,
    ``bound_held``, ``layer<i>_time``), copied into each baseline's row as
    :func:`prune_task` does. It adds a baseline to a study without solving Net-Trim again.

    ``original`` holds the study's ``original_acc_train`` and ``original_acc_test``: the model
    at ``model_path`` must give exactly these, or it is not the network the study pruned (a
    retraining on another machine can differ) and the task refuses (ValueError)."""
    study = _Study(data, model_path, baselines, finetune, noise, samples, patches)
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        study.load()
        differ = {k: (v, study.base[k]) for k, v in original.items() if study.base[k] != v}
        if differ:
            said = "; ".join(f"{k} {new} against the study's {old}"
                             for k, (old, new) in differ.items())
            raise ValueError(f"the model at {model_path} is not the network this study "
                             f"pruned ({said}): its baselines would not be at equal terms")
        for scheme, gain in tasks:
            setting = dict(counts[f"{scheme} {gain:g}"])
            rows += study.baseline_rows(scheme, gain, list(setting.pop("counts")), setting)
    return rows


class _Study:
    """What :func:`prune_task` and :func:`baseline_task` share: the data, the calibration
    inputs, the original network and its accuracies (:meth:`load`), and a row per pruned
    network (:meth:`row`)."""

    def __init__(self, data, model_path, baselines, finetune, noise, samples, patches):
        for b in baselines:
            if b not in BASELINES:
                raise ValueError(f"baselines must be among {list(BASELINES)}; got {b!r}")
        self.data, self.model_path, self.baselines = data, model_path, list(baselines)
        self.finetune, self.noise = dict(finetune or {}), dict(noise or {})
        self.samples = dict(samples or {})
        self.levels = [check_scalar(v, "noise.levels", low=0.0)
                       for v in self.noise.get("levels", [])]
        self.repeats = check_int(self.noise.get("repeats", 1), "noise.repeats", low=1)
        self.tune = np.any(np.asarray(self.finetune.get("epochs", 0)) > 0)
        self.conv = {} if patches is None else {"patches": check_int(patches, "patches", low=1)}

    def load(self):
        self.d = load_dataset(**self.data)
        X_all = self.d[0]
        self.X = X_all[:, calibration_samples(X_all.shape[1], self.samples.get("n"),
                                              self.samples.get("seed", 0))]
        self.net, self.mlp = load_model(self.model_path)
        self.before = self.net.nnz()
        # the original's outputs on all training inputs, once: ε_rd beyond the subset
        self.Z_all = logits(self.net, X_all) if self.X.shape[1] < X_all.shape[1] else None
        self.base = {f"original_{k}": v for k, v in accuracies(self.net, self.d, "").items()}
        self.base.update({f"original_acc_noise{v:g}": self._noisy(self.net, v)
                          for v in self.levels})

    def _noisy(self, p, level):
        return noisy_accuracy(p, self.d[2], self.d[3], level, self.noise.get("seed", 0),
                              self.repeats)

    def baseline_rows(self, scheme, gain, counts, setting) -> list[dict]:
        rows = []
        for b in self.baselines:
            start = time.perf_counter()
            p = BASELINES[b](self.net, self.X, counts, **self.conv)
            rows.append(self.row(scheme, gain, b, p, time.perf_counter() - start, counts,
                                 setting))
        return rows

    def row(self, scheme, gain, method, p, seconds, counts, setting) -> dict:
        net, X, before = self.net, self.X, self.before
        row = {"scheme": scheme, "gain": gain, "method": method,
               **{f"layer{i + 1}_nnz": k for i, k in enumerate(p.nnz())},
               "compression": sum(before) / max(sum(counts), 1),
               "hidden_compression": sum(before[:-1]) / max(sum(counts[:-1]), 1),
               "discrepancy": relative_discrepancy(net, p, X),
               **_layer_discrepancies(net, p, X), "prune_time": seconds,
               **_train_test(p, self.d, self.Z_all), **self.base,
               **{f"acc_noise{v:g}": self._noisy(p, v) for v in self.levels}}
        row.update({k: setting[k] for k in ("converged", "bound_held")})
        row.update({k: v for k, v in setting.items() if k.endswith("_time")})
        if self.Z_all is not None:
            row["samples"] = X.shape[1]
        if self.tune:
            row.update(_finetuned(self.mlp, p, self.d, self.finetune))
        return row


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






__all__ = ["accuracies", "prune_task", "baseline_task", "noisy_accuracy", "run_study",
           "layer_ablation", "calibration_samples", "samples_needed"]

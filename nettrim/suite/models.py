"""The trained reference classifiers of the pruning studies: trained once per key of data and
recipe (:func:`model_key`), kept in a run folder (:func:`model_file`) and, with a cache folder,
shared between runs; and finished runs read back (:func:`finished_run`)."""

from __future__ import annotations

import logging

from ..network import Network
from .data import load_dataset
from .train import fit_relu_mlp, train_torch_convnet, train_torch_mlp

log = logging.getLogger(__name__)


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


def network_and_inputs(config: dict, out_dir) -> tuple[Network, object]:
    """A benchmark run's trained network and its training inputs: :func:`train_classifier` on
    ``config``'s ``data`` and ``network`` (kept in ``out_dir``, shared through
    ``config["model_cache"]`` when set), and X of ``load_dataset(**config["data"])``."""
    net = train_classifier(config["data"], config["network"],
                           model_file(out_dir, config["network"]),
                           cache=config.get("model_cache"))
    return net, load_dataset(**config["data"])[0]


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
    expected = model_file(path.parent, network)
    if path.suffix != expected.suffix:   # else found out only after training, by a lost file
        raise ValueError(f"path must end in {expected.suffix!r} for network.trainer "
                         f"{trainer!r} (models.model_file gives it); got {str(path)!r}")
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


__all__ = ["model_file", "train_classifier", "load_model", "finished_run", "model_key"]

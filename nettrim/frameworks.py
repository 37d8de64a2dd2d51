"""Prune models of other frameworks and get them back in the same framework.

- scikit-learn: a fitted ``MLPClassifier`` / ``MLPRegressor`` with ``activation="relu"``;
- PyTorch (optional, ``pip install torch``): an ``nn.Sequential`` of ``nn.Linear`` layers with an
  ``nn.ReLU`` after every hidden one (and optionally after the last).

Inputs are given the framework's way, samples × features; the conversion to the paper's
orientation (features × samples) happens here.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_matrix
from .network import Network
from .schemes import SCHEMES, TrimResult


def _trim(net: Network, X, scheme: str, kwargs) -> TrimResult:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(SCHEMES)}; got {scheme!r}")
    X = check_matrix(X, "X")
    if X.shape[1] != net.weights[0].shape[0]:
        raise ValueError(f"X must be samples × features with {net.weights[0].shape[0]} "
                         f"features; got shape {X.shape}")
    return SCHEMES[scheme](net, X.T, **kwargs)


def prune_sklearn(mlp, X, *, scheme: str = "cascade", **kwargs):
    """Prune a fitted scikit-learn ReLU MLP on the inputs ``X``.

    Parameters
    ----------
    mlp : MLPClassifier or MLPRegressor
        Fitted, ``activation="relu"``; it is not modified.
    X : array of shape (n_samples, n_features)
        The data whose responses the pruned network must keep (e.g. the training inputs).
    scheme : {"cascade", "parallel"}
    **kwargs
        Passed to :func:`~nettrim.cascade_trim` / :func:`~nettrim.parallel_trim` (``gain``,
        ``gamma``, ``solver``, solver options ...).

    Returns
    -------
    pruned : same type as ``mlp``
        A copy carrying the pruned weights.
    result : TrimResult
        The pruned :class:`~nettrim.Network` and the per-layer report.
    """
    res = _trim(Network.from_sklearn(mlp), X, scheme, kwargs)
    return res.network.to_sklearn(mlp), res


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("PyTorch support needs torch: pip install torch (on this project's "
                          "machines, pip install torch==2.13.0 takes the CPU wheel on disk)") \
            from None
    return torch


def network_from_torch(model) -> Network:
    """A :class:`~nettrim.Network` from an ``nn.Sequential`` of Linear layers separated by ReLUs
    (``nn.Linear.weight`` is out × in; the paper's W_ℓ is its transpose)."""
    torch = _torch()
    if not isinstance(model, torch.nn.Sequential):
        raise ValueError(f"model must be a torch.nn.Sequential; got {type(model).__name__}")
    weights, biases, last_relu = [], [], False
    for i, module in enumerate(model):
        if isinstance(module, torch.nn.Linear):
            if weights and not last_relu:
                raise ValueError(f"model[{i}]: two Linear layers without a ReLU between them")
            W = module.weight.detach().cpu().double().numpy().T
            b = (module.bias.detach().cpu().double().numpy() if module.bias is not None
                 else np.zeros(W.shape[1]))
            weights.append(W)
            biases.append(b)
            last_relu = False
        elif isinstance(module, torch.nn.ReLU):
            if not weights or last_relu:
                raise ValueError(f"model[{i}]: a ReLU must follow a Linear layer")
            last_relu = True
        else:
            raise ValueError(f"model[{i}] is a {type(module).__name__}; only Linear and ReLU "
                             f"layers can be pruned")
    if not weights:
        raise ValueError("model holds no Linear layer")
    return Network(weights, biases, last_relu=last_relu)


def network_to_torch(net: Network, like=None):
    """An ``nn.Sequential`` (Linear, ReLU, ..., Linear[, ReLU]) carrying ``net``'s weights, in
    the dtype and on the device of ``like`` (a model) when given, else float32 on the CPU."""
    torch = _torch()
    ref = next(like.parameters()) if like is not None else None
    dtype = ref.dtype if ref is not None else torch.float32
    device = ref.device if ref is not None else "cpu"
    layers = []
    for i, (W, b) in enumerate(zip(net.weights, net.biases)):
        linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=dtype, device=device)
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(W.T, dtype=dtype))
            linear.bias.copy_(torch.as_tensor(b, dtype=dtype))
        layers.append(linear)
        if net.is_relu(i):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def prune_torch(model, X, *, scheme: str = "cascade", **kwargs):
    """Prune a PyTorch ``nn.Sequential`` of Linear/ReLU layers on the inputs ``X``
    (n_samples × n_features, a tensor or an array).

    Returns
    -------
    pruned : torch.nn.Sequential
        A new model with the pruned weights (zeros included), same dtype and device.
    result : TrimResult
    """
    torch = _torch()
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().double().numpy()
    res = _trim(network_from_torch(model), X, scheme, kwargs)
    return network_to_torch(res.network, like=model), res


__all__ = ["prune_sklearn", "network_from_torch", "network_to_torch", "prune_torch"]

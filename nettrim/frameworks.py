"""Prune models of other frameworks and get them back in the same framework.

- scikit-learn: a fitted ``MLPClassifier`` / ``MLPRegressor`` with ``activation="relu"``;
- PyTorch (optional, ``pip install torch``): an ``nn.Sequential`` of ``nn.Linear`` layers with an
  ``nn.ReLU`` after every hidden one (and optionally after the last).

Inputs are given the framework's way, samples × features, and turned to the paper's
orientation (features × samples) here; weights are converted by :class:`~nettrim.Network`
(``from_sklearn``/``to_sklearn``, ``from_torch``/``to_torch``).
"""

from __future__ import annotations

from ._validation import check_matrix
from .network import Network
from .schemes import SCHEMES, NetworkResult, prune_network


def _prune(net: Network, X, scheme: str, kwargs) -> NetworkResult:
    SCHEMES.get(scheme)  # an unknown name is refused before the data are looked at
    X = check_matrix(X, "X")
    if X.shape[1] != net.weights[0].shape[0]:
        raise ValueError(f"X must be samples × features with {net.weights[0].shape[0]} "
                         f"features; got shape {X.shape}")
    return prune_network(net, X.T, scheme, **kwargs)


def is_torch_module(model) -> bool:
    """Whether ``model`` is a ``torch.nn.Module`` (checked without importing torch).

    Parameters
    ----------
    model : object

    Returns
    -------
    bool
    """
    return any(c.__module__.startswith("torch.") and c.__name__ == "Module"
               for c in type(model).__mro__)


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
        Passed to :func:`~nettrim.prune_cascade` / :func:`~nettrim.prune_parallel` (``gain``,
        ``gamma``, ``solver``, solver options ...).

    Returns
    -------
    pruned : same type as ``mlp``
        A copy carrying the pruned weights.
    result : NetworkResult
        The pruned :class:`~nettrim.Network` and the per-layer report.
    """
    res = _prune(Network.from_sklearn(mlp), X, scheme, kwargs)
    return res.network.to_sklearn(mlp), res


def prune_torch(model, X, *, scheme: str = "cascade", **kwargs):
    """Prune a PyTorch ``nn.Sequential`` of Linear/ReLU layers on the inputs ``X``.

    Parameters
    ----------
    model : torch.nn.Sequential
        Linear layers with a ReLU after every hidden one; it is not modified.
    X : tensor or array of shape (n_samples, n_features)
    scheme : {"cascade", "parallel"}
    **kwargs
        Passed to :func:`~nettrim.prune_cascade` / :func:`~nettrim.prune_parallel`.

    Returns
    -------
    pruned : torch.nn.Sequential
        A new model with the pruned weights (zeros included), same dtype and device.
    result : NetworkResult
    """
    if hasattr(X, "detach"):  # a torch.Tensor
        X = X.detach().cpu().double().numpy()
    res = _prune(Network.from_torch(model), X, scheme, kwargs)
    return res.network.to_torch(like=model), res


__all__ = ["is_torch_module", "prune_sklearn", "prune_torch"]

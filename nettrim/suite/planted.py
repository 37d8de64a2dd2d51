"""Planted sparse layers: W* with s-sparse columns, and their ReLU responses Y = ReLU(W*ᵀX)."""

from __future__ import annotations

import numpy as np

from .._validation import check_bool, check_int, check_matrix

#: Laws for the nonzero values of W*.
VALUE_LAWS = ("gaussian", "rademacher", "uniform")


def check_values_law(values) -> str:
    """``values`` if it names a law of :data:`VALUE_LAWS`, else a ValueError naming it."""
    if not isinstance(values, str) or values not in VALUE_LAWS:
        raise ValueError(f"values must be one of {VALUE_LAWS}; got {values!r}")
    return values


def _values(rng: np.random.Generator, law: str, size: int) -> np.ndarray:
    if law == "gaussian":
        return rng.standard_normal(size)
    if law == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=size)
    if law == "uniform":  # magnitudes in [1, 2] with random signs: bounded away from zero
        return rng.choice(np.array([-1.0, 1.0]), size=size) * rng.uniform(1.0, 2.0, size=size)
    raise ValueError(f"values must be one of {VALUE_LAWS}; got {law!r}")


def planted_weights(rng: np.random.Generator, N: int, s: int, M: int = 1, *,
                    values: str = "gaussian", bias: bool = False,
                    bias_value: float | None = None) -> np.ndarray:
    """W* of shape (N + bias, M): each column s-sparse on a uniformly random support.

    Parameters
    ----------
    rng : numpy.random.Generator
    N : int
        Input dimension.
    s : int
        Nonzeros per column among the N input weights (0 ≤ s ≤ N).
    M : int, default 1
        Neurons.
    values : {"gaussian", "rademacher", "uniform"}
        Law of the nonzero values.
    bias : bool, default False
        Append a bias row (the last row), drawn from ``values`` unless ``bias_value`` fixes it;
        it is one more nonzero, not counted in ``s``.
    """
    N = check_int(N, "N", low=1)
    s = check_int(s, "s", low=0)
    M = check_int(M, "M", low=1)
    bias = check_bool(bias, "bias")
    check_values_law(values)
    if s > N:
        raise ValueError(f"s must be <= N (a column has only N entries); got s = {s}, N = {N}")
    W = np.zeros((N + bias, M))
    for m in range(M):
        support = rng.choice(N, size=s, replace=False)
        W[support, m] = _values(rng, values, s)
    if bias:
        W[N] = _values(rng, values, M) if bias_value is None else bias_value
    return W


def planted_network(rng: np.random.Generator, sizes, s, *, values: str = "gaussian",
                    last_relu: bool = True):
    """A planted ReLU :class:`~nettrim.network.Network` with sizes n₀ → n₁ → … → n_L.

    Layer ℓ's weights are n_{ℓ−1}×n_ℓ with s_ℓ-sparse columns (:func:`planted_weights`);
    the biases are zero (the schemes prune them as weights, so 0 is their planted value).

    Parameters
    ----------
    sizes : sequence of int
        n₀, …, n_L (at least two entries).
    s : int or sequence of int
        Nonzeros per column, for every layer or one entry per layer.
    last_relu : bool, default True
        Whether the last layer has a ReLU (planted recovery wants every layer to).
    """
    from ..network import Network

    sizes = [check_int(n, f"sizes[{i}]", low=1) for i, n in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and one layer; got {sizes}")
    L = len(sizes) - 1
    s_list = [s] * L if np.isscalar(s) else list(s)
    if len(s_list) != L:
        raise ValueError(f"s must be one number or have one entry per layer ({L}); got {s}")
    weights = [planted_weights(rng, n_in, k, n_out, values=values)
               for n_in, k, n_out in zip(sizes[:-1], s_list, sizes[1:])]
    return Network(weights, last_relu=last_relu)


def relu_response(W: np.ndarray, X: np.ndarray, *, bias: bool = False) -> np.ndarray:
    """Y = ReLU(WᵀX), with a row of ones appended to X when ``bias``."""
    X = check_matrix(X, "X")
    W = check_matrix(W, "W")
    if bias:
        X = np.vstack([X, np.ones((1, X.shape[1]))])
    if W.shape[0] != X.shape[0]:
        raise ValueError(f"W has {W.shape[0]} rows but X (with bias row: {bias}) has "
                         f"{X.shape[0]}")
    return np.maximum(W.T @ X, 0.0)


__all__ = ["VALUE_LAWS", "planted_weights", "planted_network", "relu_response"]

"""A pruned network in a sparse form a user can load again, and its sparse forward pass.

:func:`save_sparse` writes every layer's W_ℓ as a compressed sparse row (CSR) matrix of Wᵀ
(outputs × inputs, the orientation in which a forward pass reads it) into one compressed
``.npz``, with the biases, the convolution geometry and ``last_relu``; :func:`load_sparse`
gives the :class:`~nettrim.network.Network` back, exactly. :func:`sparse_logits` runs a dense
(fully connected) network with scipy's CSR products: a user's sparse inference, to be timed
against the dense one (a sparse product only pays at low enough density).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._validation import check_matrix
from .network import Conv, Network


def _csr(W):
    from scipy import sparse

    return sparse.csr_matrix(np.asarray(W).T)


def save_sparse(net: Network, path) -> Path:
    """Write ``net`` as CSR matrices (one per layer, of Wᵀ) into a compressed ``.npz``.

    Parameters
    ----------
    net : Network
    path : str or Path
        The file to write (``.npz`` is appended by numpy when missing).

    Returns
    -------
    Path
        The file written.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a nettrim Network; got {type(net).__name__}")
    arrays = {"last_relu": np.array(net.last_relu), "n_layers": np.array(net.n_layers)}
    for i, (W, b, conv) in enumerate(zip(net.weights, net.biases, net.convs)):
        A = _csr(W)
        arrays.update({f"W{i}_data": A.data, f"W{i}_indices": A.indices.astype(np.int32),
                       f"W{i}_indptr": A.indptr.astype(np.int64),
                       f"W{i}_shape": np.array(W.shape), f"b{i}": b})
        if conv is not None:
            arrays[f"conv{i}"] = np.array([*conv.in_shape, conv.kernel, conv.pool])
    arrays["has_bias"] = np.array(net.has_bias)
    path = Path(path)
    np.savez_compressed(path, **arrays)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_sparse(path) -> Network:
    """The :class:`~nettrim.network.Network` :func:`save_sparse` wrote (dense arrays again)."""
    from scipy import sparse

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"sparse network file {path} does not exist")
    with np.load(path) as f:
        if "n_layers" not in f.files:
            raise ValueError(f"{path} is not a sparse network file (written by save_sparse)")
        weights, biases, convs = [], [], []
        for i in range(int(f["n_layers"])):
            n_in, n_out = (int(v) for v in f[f"W{i}_shape"])
            A = sparse.csr_matrix((f[f"W{i}_data"], f[f"W{i}_indices"], f[f"W{i}_indptr"]),
                                  shape=(n_out, n_in))
            weights.append(A.toarray().T)
            biases.append(f[f"b{i}"])
            g = f[f"conv{i}"] if f"conv{i}" in f.files else None
            convs.append(None if g is None else Conv(tuple(g[:3]), int(g[3]), int(g[4])))
        has_bias = [bool(h) for h in f["has_bias"]] if "has_bias" in f.files else None
        return Network(weights, biases, last_relu=bool(f["last_relu"]), convs=convs,
                       has_bias=has_bias)


class SparseNetwork:
    """A fully connected network held as CSR matrices, for sparse inference: Y⁽ℓ⁾ =
    ReLU(Wᵀ_csr·Y⁽ℓ⁻¹⁾ + b_ℓ), equal to ``net.forward(X)[-1]`` up to the order of summation.

    Parameters
    ----------
    net : Network
        Without convolution layers (their sparse form is the same CSR filter matrix, but a
        sparse im2col pass is not offered here).
    dtype : numpy dtype, default float64
    """

    def __init__(self, net: Network, dtype=np.float64):
        if not isinstance(net, Network):
            raise TypeError(f"net must be a nettrim Network; got {type(net).__name__}")
        if any(c is not None for c in net.convs):
            raise ValueError("SparseNetwork runs fully connected networks only; this one has "
                             "convolution layers")
        self.layers = [(_csr(W).astype(dtype), np.asarray(b, dtype)[:, None], net.is_relu(i))
                       for i, (W, b) in enumerate(zip(net.weights, net.biases))]
        self.input_size = net.input_size

    def logits(self, X) -> np.ndarray:
        """Outputs on X (features × samples)."""
        X = check_matrix(X, "X")
        if X.shape[0] != self.input_size:
            raise ValueError(f"X must have {self.input_size} rows (features × samples); got "
                             f"{X.shape}")
        Y = X
        for A, b, relu in self.layers:
            Y = A @ Y + b
            if relu:
                Y = np.maximum(Y, 0.0)
        return Y


__all__ = ["save_sparse", "load_sparse", "SparseNetwork"]

"""Pruning baselines Net-Trim is compared with."""

from __future__ import annotations

import numpy as np

from ._validation import check_int
from .network import Network


def magnitude_prune(net: Network, nnz) -> Network:
    """Keep the ``nnz[ℓ]`` largest-magnitude weights of each layer and zero the rest (biases
    kept): magnitude thresholding at a prescribed per-layer sparsity, e.g. the counts Net-Trim
    reached, to compare the two at equal sparsity.

    Ties at the threshold are broken by position, so exactly ``nnz[ℓ]`` weights survive (fewer
    only when the layer has fewer nonzeros to begin with).
    """
    nnz = list(nnz)
    if len(nnz) != net.n_layers:
        raise ValueError(f"nnz must have one count per layer ({net.n_layers}); got {len(nnz)}")
    weights = []
    for i, (W, k) in enumerate(zip(net.weights, nnz)):
        k = check_int(k, f"nnz[{i}]", low=0)
        if k > W.size:
            raise ValueError(f"nnz[{i}] = {k} exceeds the layer's {W.size} weights")
        flat = np.abs(W).ravel()
        keep = np.zeros(W.size, bool)
        keep[np.argsort(-flat, kind="stable")[:k]] = True
        weights.append(np.where(keep.reshape(W.shape), W, 0.0))
    return Network(weights, [b.copy() for b in net.biases], last_relu=net.last_relu)


__all__ = ["magnitude_prune"]

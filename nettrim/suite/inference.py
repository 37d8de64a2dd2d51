"""What pruning saves in practice: size on disk and CPU inference time, dense against sparse.

:func:`savings` takes a trained network and pruned versions of it and measures, for each, the
size of its dense float32 PyTorch ``state_dict``, of its dense ``.npz`` and of its CSR export
(:func:`nettrim.export.save_sparse`), and the time of one forward pass at the given batch
sizes: dense (numpy, float32 BLAS) and sparse (scipy CSR, float32), on one thread, the best
of ``repeats`` runs after a warm-up (the usual floor of a micro-benchmark: noise only adds).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._validation import check_int
from ..export import SparseNetwork, save_sparse
from ..network import Network


def _best_time(fn, repeats: int) -> float:
    fn()                                            # warm-up: caches, lazy allocations
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _dense_logits(layers, X):
    Y = X
    for W, b, relu in layers:
        Y = W @ Y + b
        if relu:
            np.maximum(Y, 0, out=Y)
    return Y


def _sizes(net: Network, folder: Path) -> dict:
    import torch

    pt = folder / "state_dict.pt"
    torch.save(net.to_torch().state_dict(), pt)
    dense = folder / "dense.npz"
    net.save_npz(dense)
    sparse = save_sparse(net, folder / "sparse.npz")
    return {"bytes_state_dict": pt.stat().st_size, "bytes_dense_npz": dense.stat().st_size,
            "bytes_sparse_npz": sparse.stat().st_size}


def savings(networks: dict, X, *, batches=(1, 1000), repeats: int = 20) -> pd.DataFrame:
    """Size on disk and forward-pass time, dense and sparse, of each network.

    Parameters
    ----------
    networks : dict of name → Network
        Fully connected networks of one input size (the sparse pass runs dense layers only).
    X : array of shape (n₀, P)
        Inputs, one per column; the first ``batch`` columns are timed.
    batches : sequence of int, default (1, 1000)
    repeats : int, default 20

    Returns
    -------
    DataFrame
        One row per (network, batch): nonzeros, density, the three sizes in bytes, the dense
        and the sparse time in seconds, their ratio (``speedup`` > 1: sparse is faster) and
        whether both passes agree on every prediction.
    """
    repeats = check_int(repeats, "repeats", low=1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(limits=1):
        for name, net in networks.items():
            folder = Path(tmp) / name
            folder.mkdir()
            sizes = _sizes(net, folder)
            dense = [(np.ascontiguousarray(W.T, np.float32), b.astype(np.float32)[:, None],
                      net.is_relu(i)) for i, (W, b) in enumerate(zip(net.weights, net.biases))]
            sparse = SparseNetwork(net, dtype=np.float32)
            total = sum(W.size for W in net.weights)
            for batch in batches:
                batch = check_int(batch, "batches", low=1)
                Xb = np.ascontiguousarray(X[:, :batch], np.float32)
                same = bool(np.array_equal(_dense_logits(dense, Xb).argmax(0),
                                           sparse.logits(Xb).argmax(0)))
                t_dense = _best_time(lambda: _dense_logits(dense, Xb), repeats)
                t_sparse = _best_time(lambda: sparse.logits(Xb), repeats)
                rows.append({"network": name, "nnz": sum(net.nnz()),
                             "density": sum(net.nnz()) / total, **sizes, "batch": batch,
                             "dense_s": t_dense, "sparse_s": t_sparse,
                             "speedup": t_dense / t_sparse, "same_predictions": same})
    return pd.DataFrame(rows)


__all__ = ["savings"]

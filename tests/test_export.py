"""Sparse export of a pruned network (issue 28, item 6): the CSR file loads back to the same
network and the same predictions, the sparse forward pass equals the dense one, and smaller."""

import numpy as np
import pytest

from nettrim.export import SparseNetwork, load_sparse, save_sparse
from nettrim.network import Conv, Network


def _pruned(seed=0, density=0.1):
    rng = np.random.default_rng(seed)
    shapes = [(50, 30), (30, 20), (20, 4)]
    Ws = [rng.standard_normal(s) * (rng.random(s) < density) for s in shapes]
    return Network(Ws, [rng.standard_normal(s[1]) for s in shapes])


def test_round_trip_and_sparse_forward(tmp_path):
    net = _pruned()
    path = save_sparse(net, tmp_path / "pruned")
    assert path.suffix == ".npz" and path.is_file()
    back = load_sparse(path)
    for W, V, b, c in zip(net.weights, back.weights, net.biases, back.biases):
        np.testing.assert_array_equal(W, V)
        np.testing.assert_array_equal(b, c)
    X = np.random.default_rng(1).standard_normal((50, 40))
    np.testing.assert_array_equal(back.forward(X)[-1].argmax(0), net.forward(X)[-1].argmax(0))
    np.testing.assert_allclose(SparseNetwork(net).logits(X), net.forward(X)[-1], atol=1e-12)
    dense = tmp_path / "dense.npz"
    np.savez_compressed(dense, *net.weights, *net.biases)
    uncompressed = tmp_path / "raw.npz"
    net.save_npz(uncompressed)
    assert path.stat().st_size < 0.5 * uncompressed.stat().st_size


def test_conv_geometry_survives_and_errors_are_named(tmp_path):
    rng = np.random.default_rng(2)
    net = Network([rng.standard_normal((9, 2)), rng.standard_normal((32, 3))],
                  convs=[Conv((1, 8, 8), 3, 2), None])
    back = load_sparse(save_sparse(net, tmp_path / "c.npz"))
    assert back.convs == net.convs
    with pytest.raises(ValueError, match="fully connected networks only"):
        SparseNetwork(net)
    with pytest.raises(ValueError, match="does not exist"):
        load_sparse(tmp_path / "absent.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a sparse network file"):
        load_sparse(tmp_path / "other.npz")
    with pytest.raises(TypeError, match="nettrim Network"):
        save_sparse({"W": 1}, tmp_path / "x.npz")
    with pytest.raises(ValueError, match="must have 50 rows"):
        SparseNetwork(_pruned()).logits(np.zeros((3, 2)))

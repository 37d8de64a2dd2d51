"""Pruning models of scikit-learn and PyTorch end to end; magnitude baseline; masked fine-tuning;
offline data (digits, MNIST from IDX / npz files written by the test)."""

import gzip

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

import nettrim
from nettrim.baselines import magnitude_prune
from nettrim.network import Network
from nettrim.suite.data import load_dataset, load_mnist, read_idx
from nettrim.suite.train import accuracy, finetune_masked, fit_relu_mlp


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", n_train=400)


@pytest.fixture(scope="module")
def trained(digits):
    X, y, _, _ = digits
    mlp = MLPClassifier((16,), activation="relu", max_iter=300, random_state=0)
    return mlp.fit(X.T, y)


def test_prune_sklearn_end_to_end_matches_its_report(digits, trained):
    X, y, Xt, yt = digits
    before = [W.copy() for W in trained.coefs_]
    pruned, res = nettrim.prune_sklearn(trained, X.T, scheme="parallel", gain=0.1)
    assert type(pruned) is MLPClassifier and res.converged and res.report["bound_held"].all()
    # the returned model is the reported network: same sparsity, same predictions
    assert [int(np.count_nonzero(W)) for W in pruned.coefs_] == list(res.report["nnz_after"])
    assert pruned.score(Xt.T, yt) == pytest.approx(accuracy(res.network, Xt, yt))
    assert sum(res.report["nnz_after"]) < sum(res.report["nnz_before"])
    assert all(np.array_equal(a, b) for a, b in zip(before, trained.coefs_))  # not modified
    with pytest.raises(ValueError, match="features"):
        nettrim.prune_sklearn(trained, X, gain=0.1)  # features × samples by mistake
    with pytest.raises(ValueError, match="scheme"):
        nettrim.prune_sklearn(trained, X.T, scheme="magnitude")


def test_prune_torch_round_trip_and_errors():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.ReLU(), torch.nn.Linear(12, 3))
    X = torch.randn(200, 6)
    net = Network.from_torch(model)
    with torch.no_grad():
        out = model(X).double().numpy()
    assert np.allclose(net.forward(X.double().numpy().T)[-1].T, out, atol=1e-5)
    pruned, res = nettrim.prune_torch(model, X, gain=0.05)
    assert isinstance(pruned, torch.nn.Sequential) and pruned[0].weight.dtype == torch.float32
    assert [int((m.weight != 0).sum()) for m in pruned if isinstance(m, torch.nn.Linear)] == \
        list(res.report["nnz_after"])
    with torch.no_grad():
        z = pruned(X).double().numpy()
    assert np.allclose(z, res.network.forward(X.double().numpy().T)[-1].T, atol=1e-4)
    for bad, match in [(torch.nn.Linear(2, 2), "nn.Sequential"),
                       (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()), "Tanh"),
                       (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)),
                        "without a ReLU")]:
        with pytest.raises(ValueError, match=match):
            Network.from_torch(bad)


@pytest.mark.parametrize("scheme", ["parallel", "cascade"])
def test_a_torch_model_without_biases_comes_back_with_the_same_parameters(tmp_path, scheme):
    """bias=False layers stay bias-free: the pruned model's state_dict loads into the
    original architecture (issue 29: it came back with nonzero biases and did not load), and
    every baseline, the npz and the sparse export keep the layers' biases at zero."""
    torch = pytest.importorskip("torch")
    from nettrim.baselines import BASELINES
    from nettrim.export import load_sparse, save_sparse

    def build(first_bias):
        return torch.nn.Sequential(torch.nn.Linear(8, 16, bias=first_bias), torch.nn.ReLU(),
                                   torch.nn.Linear(16, 3, bias=False))

    torch.manual_seed(0)
    model, X = build(False), torch.randn(300, 8)
    pruned, res = nettrim.prune_torch(model, X, scheme=scheme, gain=0.1)
    assert res.converged and list(pruned.state_dict()) == list(model.state_dict())
    build(False).load_state_dict(pruned.state_dict())           # strict: the same keys
    with torch.no_grad():
        z = pruned(X).double().numpy()
    assert np.allclose(z, res.network.forward(X.double().numpy().T)[-1].T, atol=1e-4)
    net = res.network
    assert net.has_bias == [False, False] and not any(b.any() for b in net.biases)
    net.save_npz(tmp_path / "net.npz")
    assert Network.load_npz(tmp_path / "net.npz").has_bias == [False, False]
    assert load_sparse(save_sparse(net, tmp_path / "csr")).has_bias == [False, False]
    original = Network.from_torch(model)
    for name, prune in BASELINES.items():
        p = prune(original, X.double().numpy().T, net.nnz())
        assert p.has_bias == [False, False] and not any(b.any() for b in p.biases), name
    # a layer with a bias keeps it
    mixed = Network.from_torch(build(True))
    assert mixed.has_bias == [True, False]
    with pytest.raises(ValueError, match=r"biases\[1\] must be zero: layer 1 has no bias"):
        Network(mixed.weights, [np.ones(16), np.ones(3)], has_bias=[True, False])


def test_magnitude_prune_keeps_the_largest_weights_at_the_given_counts():
    rng = np.random.default_rng(0)
    net = Network([rng.standard_normal((5, 4)), rng.standard_normal((4, 2))])
    pruned = magnitude_prune(net, [7, 3])
    assert pruned.nnz() == [7, 3]
    for W, P in zip(net.weights, pruned.weights):
        kept = np.abs(W[P != 0])
        assert kept.min() >= np.abs(W[P == 0]).max()
    with pytest.raises(ValueError, match="exceeds"):
        magnitude_prune(net, [21, 3])
    with pytest.raises(ValueError, match="one count per layer"):
        magnitude_prune(net, [3])


def test_masked_finetuning_keeps_the_zero_pattern(digits):
    X, y, _, _ = digits
    mlp = fit_relu_mlp(X, y, (16,), max_iter=100)
    net = magnitude_prune(Network.from_sklearn(mlp), [300, 60])
    tuned = finetune_masked(mlp, net, X, y, epochs=3, learning_rate=1e-3)
    for W, T in zip(net.weights, tuned.weights):
        assert np.array_equal(T[W == 0], np.zeros(int((W == 0).sum())))
    assert tuned.nnz() <= net.nnz()
    assert accuracy(tuned, X, y) >= accuracy(net, X, y) - 0.02  # it trains, it does not wreck


def _write_idx(path, array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if str(path).endswith(".gz") else open)(path, "wb").write(data)


def test_mnist_loader_reads_idx_and_npz_files(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 28, 28))
    labels = rng.integers(0, 10, 12)
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", images[:8])
    _write_idx(tmp_path / "train-labels-idx1-ubyte", labels[:8])
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", images[8:])
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels[8:])
    X, y, Xt, yt = load_mnist(tmp_path)
    assert X.shape == (784, 8) and Xt.shape == (784, 4)
    assert np.array_equal(X[:, 3], images[3].ravel()) and np.array_equal(yt, labels[8:])
    np.savez(tmp_path / "mnist.npz", x_train=images[:8], y_train=labels[:8],
             x_test=images[8:], y_test=labels[8:])
    for a, b in zip(load_mnist(tmp_path / "mnist.npz"), (X, y, Xt, yt)):
        assert np.array_equal(a, b)
    Xs, ys, Xts, _ = load_dataset("mnist", path=tmp_path, n_train=6)
    assert Xs.shape == (784, 6) and np.allclose(Xs.mean(axis=1), 0)


def test_mnist_loader_errors(tmp_path, monkeypatch):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "bad")
    _write_idx(tmp_path / "short", np.zeros((2, 3)))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-1])
    with pytest.raises(ValueError, match="header promises shape"):
        read_idx(tmp_path / "short")
    with pytest.raises(ValueError, match="holds no train-images"):
        load_mnist(tmp_path)
    monkeypatch.chdir(tmp_path)                 # no cache here (the path is relative)
    with pytest.raises(ValueError, match=r"MNIST cache .*mnist\.npz is missing; run "
                                         r"`make mnist-data`"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="data.name"):
        load_dataset("cifar")

"""Network model, conversions, and the parallel/cascade schemes with their consistency bounds."""

import numpy as np
import pytest

from nettrim.network import Network
from nettrim.schemes import prune_cascade, prune_parallel, prune_path


def _net(seed=0, sizes=(8, 12, 10, 3), density=1.0):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((a, b)) * (rng.random((a, b)) < density) / np.sqrt(a)
          for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [0.1 * rng.standard_normal(b) for b in sizes[1:]]
    return Network(Ws, bs), rng.standard_normal((sizes[0], 300))


def test_forward_and_npz_roundtrip(tmp_path):
    net, X = _net()
    Y = net.forward(X)
    assert [y.shape for y in Y] == [(8, 300), (12, 300), (10, 300), (3, 300)]
    assert (Y[1] >= 0).all() and (Y[3] < 0).any()  # hidden ReLU, linear logits
    net.save_npz(tmp_path / "n.npz")
    back = Network.load_npz(tmp_path / "n.npz")
    assert all(np.array_equal(a, b) for a, b in zip(back.weights, net.weights))
    assert np.allclose(back.forward(X)[-1], Y[-1])


def test_sklearn_roundtrip():
    sk = pytest.importorskip("sklearn.neural_network")
    from sklearn.datasets import make_moons
    X, y = make_moons(200, noise=0.1, random_state=0)
    mlp = sk.MLPClassifier((10,), activation="relu", max_iter=300, random_state=0).fit(X, y)
    net = Network.from_sklearn(mlp)
    logits = net.forward(X.T)[-1].ravel()
    assert np.array_equal(logits > 0, mlp.predict(X) == 1)
    assert net.to_sklearn(mlp).score(X, y) == mlp.score(X, y)
    with pytest.raises(ValueError, match="relu"):
        Network.from_sklearn(sk.MLPClassifier(activation="tanh"))


def test_bad_network_shapes():
    with pytest.raises(ValueError, match="weights\\[1\\] has 4 rows"):
        Network([np.ones((3, 5)), np.ones((4, 2))])
    with pytest.raises(ValueError, match="biases\\[0\\]"):
        Network([np.ones((3, 5))], [np.ones(4)])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("scheme", ["parallel", "cascade"])
def test_schemes_meet_their_consistency_bounds(scheme, seed):
    net, X = _net(seed)
    trim = prune_parallel if scheme == "parallel" else prune_cascade
    res = trim(net, X, gain=0.05, max_iter=50_000)
    rep = res.report
    assert (rep["status"] == "converged").all(), rep
    assert rep["bound_held"].all(), rep
    # the original layers are feasible (parallel: V = 0; cascade: by the choice of ε_ℓ and V),
    # so the ℓ₁ minimiser can only be smaller in ℓ₁ (biases are pruned too: compare with them)
    for W, b, W0, b0 in zip(res.network.weights, res.network.biases, net.weights, net.biases):
        assert np.abs(W).sum() + np.abs(b).sum() <= (np.abs(W0).sum() + np.abs(b0).sum()) * 1.001
    # the report's achieved discrepancy is the pruned network's, recomputed here
    got = np.linalg.norm(res.network.forward(X)[-1] - net.forward(X)[-1])
    assert rep["achieved"].iloc[-1] == pytest.approx(got)
    if scheme == "parallel":  # layer 1 alone is within ε₁ (Proposition 1)
        assert rep["achieved"].iloc[0] <= rep["epsilon"].iloc[0] * (1 + 1e-3)


def test_cascade_rejects_bad_gamma_and_kappa():
    net, X = _net()
    with pytest.raises(ValueError, match="gamma"):
        prune_cascade(net, X, gamma=0.9)
    with pytest.raises(ValueError, match="kappa"):
        prune_cascade(net, X, kappa=0.0)


def test_path_gives_the_parallel_prunings_in_the_order_of_its_gains():
    net, X = _net(2, density=0.6)
    gains = [0.1, 0.02, 0.05]
    path = prune_path(net, X, gains, warm_start=True)
    assert len(path) == 3
    for g, res in zip(gains, path):
        alone = prune_parallel(net, X, gain=g)
        assert (res.report["status"] == "converged").all() and res.report["bound_held"].all()
        assert res.report["epsilon"].tolist() == pytest.approx(alone.report["epsilon"].tolist())
        for W, W0 in zip(res.network.weights, alone.network.weights):   # the same optimum
            assert np.abs(W).sum() == pytest.approx(np.abs(W0).sum(), rel=3e-3)
    # from scratch: the same prunings, by a different route
    cold = prune_path(net, X, gains, warm_start=False)
    for res, ref in zip(path, cold):
        assert (ref.report["status"] == "converged").all()
        for W, W0 in zip(res.network.weights, ref.network.weights):
            assert np.abs(W).sum() == pytest.approx(np.abs(W0).sum(), rel=3e-3)


def test_path_refuses_bad_gains():
    net, X = _net()
    with pytest.raises(ValueError, match="gains must hold at least one gain"):
        prune_path(net, X, [])
    with pytest.raises(ValueError, match=r"gains\[1\]"):
        prune_path(net, X, [0.1, -0.2])
    with pytest.raises(TypeError, match="warm_start"):
        prune_path(net, X, [0.1], warm_start="yes")

"""The PyTorch trainer with dropout and ℓ₁ (the supplement's H2O recipe; issue 15, item 1)."""

import numpy as np
import pytest

from nettrim.suite.data import spirals_split
from nettrim.suite.train import AUTHORS_RECIPE, H2O_DEFAULTS, accuracy, fit_torch, train_torch_mlp

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def data():
    return spirals_split(0, 200, 400, turns=1.0)


def test_seeded_and_leaves_torch_state_alone(data):
    X, y, _, _ = data
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    a = train_torch_mlp(X, y, (8, 8), epochs=2, seed=3)
    assert torch.equal(torch.rand(1), before)          # the global generator is untouched
    assert torch.get_num_threads() == threads
    b = train_torch_mlp(X, y, (8, 8), epochs=2, seed=3)
    c = train_torch_mlp(X, y, (8, 8), epochs=2, seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a.weights, b.weights))
    assert not np.array_equal(a.weights[0], c.weights[0])
    assert [W.shape for W in a.weights] == [(2, 8), (8, 8), (8, 2)] and not a.last_relu


def test_it_learns_and_l1_shrinks_the_weights(data):
    X, y, Xt, yt = data
    kw = {"epochs": 60, "batch_size": 16, "optimizer": "adam", "learning_rate": 1e-2,
          "dropout": 0.1}
    plain = train_torch_mlp(X, y, (32, 32), **kw)
    sparse = train_torch_mlp(X, y, (32, 32), l1=1e-2, **kw)
    assert accuracy(plain, Xt, yt) > 0.85
    l1 = [sum(np.abs(W).sum() for W in net.weights) for net in (plain, sparse)]
    assert l1[1] < 0.5 * l1[0]


def test_h2o_defaults_are_the_signature_defaults():
    import inspect

    params = inspect.signature(train_torch_mlp).parameters
    assert {k: params[k].default for k in H2O_DEFAULTS} == H2O_DEFAULTS


@pytest.mark.parametrize("kwargs,match", [
    ({"dropout": 1.0}, "dropout"), ({"l1": -1}, "l1"), ({"optimizer": "rmsprop"}, "optimizer must"),
    ({"init": "he"}, "init must"),
    ({"iterations": 0}, "iterations"), ({"decay_rate": 1.5}, "decay_rate"),
    ({"epochs": 0}, "epochs"), ({"batch_size": 0}, "batch_size")])
def test_bad_arguments_are_named(data, kwargs, match):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=match):
        train_torch_mlp(X, y, (4,), **kwargs)


def test_authors_recipe_starts_from_their_initialisation_and_counts_steps(data):
    X, y, Xt, yt = data
    # one step at a vanishing rate: the weights are the initial draw, N(0, 0.1²) cut at ±0.2
    first = train_torch_mlp(X, y, (64, 64), **{**AUTHORS_RECIPE, "iterations": 1,
                                              "learning_rate": 1e-12})
    W = np.concatenate([w.ravel() for w in first.weights])
    assert np.abs(W).max() <= 0.2 and 0.07 < W.std() < 0.1
    assert all(np.allclose(b, 0.1) for b in first.biases)
    rng = np.random.default_rng(1)                      # two blobs in 20 dimensions
    labels = rng.integers(0, 2, 600)
    blobs = rng.standard_normal((20, 600)) + 1.5 * (2 * labels - 1)
    short = train_torch_mlp(blobs[:, :400], labels[:400], (16, 16),
                            **{**AUTHORS_RECIPE, "iterations": 200})
    assert accuracy(short, blobs[:, 400:], labels[400:]) > 0.9


def test_masked_fit_keeps_the_zeros_and_decay_changes_the_result(data):
    X, y, _, _ = data
    def build():
        a, b = torch.nn.Linear(2, 8), torch.nn.Linear(8, 2)
        return torch.nn.Sequential(a, torch.nn.ReLU(), b), [a, b]

    mask = np.random.default_rng(0).random((8, 2)) < 0.5
    kw = dict(iterations=50, batch_size=10, optimizer="sgd", learning_rate=0.1)
    model = fit_torch(build, X.T, y, masks=[mask, None], **kw)
    w = model[0].weight.detach().numpy()
    assert np.all(w[~mask] == 0) and np.all(w[mask] != 0)
    plain = fit_torch(build, X.T, y, **kw)[0].weight.detach().numpy()
    decayed = fit_torch(build, X.T, y, decay_rate=0.5, decay_steps=5, **kw)[0].weight
    assert not np.allclose(plain, decayed.detach().numpy())


def test_finetune_torch_keeps_the_pattern_and_checkpoints_in_order(data):
    from nettrim.suite.train import finetune_torch

    X, y, _, _ = data
    net = train_torch_mlp(X, y, (8, 8), epochs=2, seed=0)
    for W in net.weights:                                   # a pruned pattern
        W[np.abs(W) < np.median(np.abs(W))] = 0.0
    one, three = finetune_torch(net, X, y, epochs=[1, 3], batch_size=50, learning_rate=0.05)
    again = finetune_torch(net, X, y, epochs=1, batch_size=50, learning_rate=0.05)[0]
    for W0, W1, W3, Wa in zip(net.weights, one.weights, three.weights, again.weights):
        assert np.array_equal(W1 == 0, W0 == 0) and np.array_equal(W3 == 0, W0 == 0)
        np.testing.assert_array_equal(W1, Wa)               # a checkpoint is the shorter run
    assert not np.array_equal(one.weights[0], three.weights[0])
    with pytest.raises(ValueError, match="epochs must be increasing"):
        finetune_torch(net, X, y, epochs=[3, 1])

"""The PyTorch trainer with dropout and ℓ₁ (the supplement's H2O recipe; issue 15, item 1)."""

import numpy as np
import pytest

from nettrim.suite.compression import spirals_data
from nettrim.suite.train import H2O_DEFAULTS, accuracy, train_torch_mlp

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def data():
    return spirals_data(0, 200, 400, turns=1.0)


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
    ({"dropout": 1.0}, "dropout"), ({"l1": -1}, "l1"), ({"optimizer": "sgd"}, "optimizer must"),
    ({"epochs": 0}, "epochs"), ({"batch_size": 0}, "batch_size")])
def test_bad_arguments_are_named(data, kwargs, match):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=match):
        train_torch_mlp(X, y, (4,), **kwargs)

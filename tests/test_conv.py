"""Convolution layers as the same layer program on patches (im2col; issue 28, item 4): the
Network's conv forward pass against PyTorch's, conversions both ways, sampled patches, and the
settings the pruner refuses."""

import numpy as np
import pytest

from nettrim.network import Conv, Network

torch = pytest.importorskip("torch")
nn = torch.nn


def _model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(3, 4, 5, padding=2), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 5), nn.ReLU(),
                         nn.Linear(5, 3)).double()


def test_forward_matches_torch_and_conversions_round_trip(tmp_path):
    model = _model()
    X = np.random.default_rng(0).standard_normal((64, 30))
    net = Network.from_torch(model)
    assert [W.shape for W in net.weights] == [(9, 3), (75, 4), (16, 5), (5, 3)]
    assert net.convs[0] == Conv((1, 8, 8), 3, 2) and net.convs[2] is None
    with torch.no_grad():
        expected = model(torch.as_tensor(X.T)).numpy().T
    np.testing.assert_allclose(net.forward(X)[-1], expected, atol=1e-10)
    back = Network.from_torch(net.to_torch(like=model))
    net.save_npz(tmp_path / "n.npz")
    loaded = Network.load_npz(tmp_path / "n.npz")
    for other in (back, loaded):
        assert other.convs == net.convs
        for W, V in zip(net.weights, other.weights):
            np.testing.assert_array_equal(W, V)
    # the layer program on patches reproduces the layer's pre-pool ReLU maps
    Y1 = net.forward(X)[1]
    patches = net.layer_inputs(1, Y1)
    assert patches.shape == (75, 30 * 16)
    pos = net.positions(1, 30, n=50, seed=3)
    assert len(pos) == 50 and np.all(np.diff(pos) > 0)
    np.testing.assert_array_equal(net.layer_inputs(1, Y1, pos), patches[:, pos])
    assert net.positions(2, 30) is None and len(net.positions(0, 30, n=None)) == 30 * 64


@pytest.mark.parametrize("module,match", [
    (nn.Conv2d(1, 3, 3, padding=1, stride=2), "stride"),
    (nn.Conv2d(1, 3, 3, padding=0), "padding"),
    (nn.Conv2d(1, 3, (3, 5), padding=1), "not square"),
    (nn.Conv2d(1, 3, 3, padding=1, dilation=2), "dilation"),
    (nn.Conv2d(2, 3, 3, padding=1), "expects 2 channels")])
def test_unsupported_conv_settings_are_named(module, match):
    with pytest.raises(ValueError, match=match):
        Network.from_torch(nn.Sequential(nn.Unflatten(1, (1, 8, 8)), module, nn.ReLU(),
                                         nn.Flatten(), nn.Linear(192, 2)))


def test_other_refusals():
    with pytest.raises(ValueError, match="needs the input maps"):
        Network.from_torch(nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(),
                                         nn.Flatten(), nn.Linear(192, 2)))
    with pytest.raises(ValueError, match="MaxPool2d must have equal kernel and stride"):
        Network.from_torch(nn.Sequential(nn.Unflatten(1, (1, 8, 8)),
                                         nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(),
                                         nn.MaxPool2d(2, stride=1), nn.Flatten(),
                                         nn.Linear(147, 2)))
    with pytest.raises(ValueError, match="pool must be a positive int dividing"):
        Conv((1, 7, 7), 3, 2)
    with pytest.raises(ValueError, match="kernel must be an odd"):
        Conv((1, 8, 8), 4)
    with pytest.raises(ValueError, match="must have 9 rows"):
        Network([np.zeros((8, 3)), np.zeros((48, 2))], convs=[Conv((1, 8, 8), 3, 2), None])
    with pytest.raises(ValueError, match="last layer must be dense"):
        Network([np.zeros((9, 3))], convs=[Conv((1, 8, 8), 3)])
    with pytest.raises(ValueError, match="Tanh"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Tanh()))


@pytest.mark.parametrize("scheme", ["parallel", "cascade"])
def test_a_conv_network_is_pruned_whole_and_baselines_meet_its_counts(scheme):
    from nettrim.baselines import BASELINES
    from nettrim.schemes import SCHEMES

    net = Network.from_torch(_model(1))
    X = np.maximum(np.random.default_rng(1).standard_normal((64, 40)), 0)
    res = SCHEMES[scheme](net, X, gain=0.1, patches=300, max_iter=20000)
    rep = res.report
    assert res.converged and rep["bound_held"].all()
    assert rep["bound"].iloc[:2].isna().all() and rep["bound"].iloc[2:].notna().all()
    pruned = res.network
    assert pruned.convs == net.convs and sum(pruned.nnz()) < sum(net.nnz())
    if scheme == "parallel":                 # Proposition 1 on the sampled patches
        assert (rep["layer_error"] <= rep["epsilon"] * (1 + 1e-3)).all()
    counts = pruned.nnz()
    for name, fn in BASELINES.items():
        other = fn(net, X, counts, patches=300)
        assert other.nnz() == counts and other.convs == net.convs, name


def test_figure_titles_name_the_input_not_a_patch():
    """prune_network's figure title reads a conv network by its input image and channel counts,
    not by the first weight matrix's rows (a patch: the slip of the first LeNet figures)."""

    from experiment_scripts import load

    mod = load("prune_network")
    assert mod._architecture(Network.from_torch(_model())) == "1×8×8·conv3·conv4·5·3"
    rng = np.random.default_rng(0)
    dense = Network([rng.standard_normal((6, 4)), rng.standard_normal((4, 2))])
    assert mod._architecture(dense) == "6·4·2"

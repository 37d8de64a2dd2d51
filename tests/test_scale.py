"""The real-scale benchmark's sweep: every lever prunes to the same certified networks, and the
summary reads them back."""

import numpy as np
import pytest

from nettrim.network import Network
from nettrim.suite import scale


def _net(seed=0, sizes=(12, 16, 8, 3)):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [0.1 * rng.standard_normal(b) for b in sizes[1:]]
    X = rng.standard_normal((sizes[0], 400))
    labels = np.argmax(Network(Ws, bs).forward(X)[-1], axis=0)
    return Network(Ws, bs), X, labels


def test_every_lever_gives_the_same_prunings():
    net, X, labels = _net()
    gains = [0.05, 0.2]
    tables = {lever: scale.gain_sweep(net, X, gains, lever, X_all=X, test=(X, labels))
              for lever in scale.LEVERS}
    ref = tables["cold"]
    for lever, t in tables.items():
        assert t["gain"].tolist() == gains and (t["lever"] == lever).all()
        assert t["converged"].all() and t["bound_held"].all()
        # the same optimum to the solver's tolerance: counts may differ by round-off only
        assert t["compression"].to_numpy() == pytest.approx(ref["compression"], rel=0.05)
        assert t["discrepancy"].to_numpy() == pytest.approx(ref["discrepancy"], rel=0.05)
    assert (ref["discrepancy_all"] == ref["discrepancy"]).all()   # X_all is X here
    assert (ref["acc_test"] <= 1).all() and (ref["sparsegpt_time"] > 0).all()
    runs = __import__("pandas").concat(tables.values(), ignore_index=True)
    md = scale.summary_markdown(runs, original_acc=1.0)
    assert md.count("\n| 400 |") == len(scale.LEVERS)


def test_gain_sweep_refuses_an_unknown_lever():
    net, X, _ = _net()
    with pytest.raises(ValueError, match="lever must be one of"):
        scale.gain_sweep(net, X, [0.1], "tepid")

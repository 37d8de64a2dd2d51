"""Deep planted recovery, the 'auto' solver, spirals data and the reference-network trainer."""

import numpy as np
import pandas as pd
import pytest

from nettrim.problem import LayerProblem
from nettrim.prune import solve
from nettrim.schemes import prune_cascade
from nettrim.suite.data import spirals
from nettrim.suite.planted import planted_network
from nettrim.suite.sampling import gaussian
from nettrim.suite.summary import deep_recovery
from nettrim.suite.theory import crossing
from nettrim.suite.trial import run_deep_trial

SIZES = [20, 12, 8]


def _deep(P, trial=0, **kw):
    return pd.DataFrame(run_deep_trial(N=SIZES[0], s=2, P=P, trial=trial, base_seed=3,
                                       sampler=gaussian, sizes=SIZES, **kw))


@pytest.mark.parametrize("P", [15, 40, 150])
def test_deep_trial_bounds_hold_in_both_schemes(P):
    rows = _deep(P)
    assert len(rows) == 2 * (len(SIZES) - 1)
    assert set(rows["scheme"]) == {"parallel", "cascade"}
    assert rows["status"].eq("converged").all(), rows
    assert rows["bound_held"].all(), rows[["scheme", "layer", "achieved", "bound"]]
    # ε = 0 everywhere: the pruned network reproduces the batch (Proposition 1 with ε = 0)
    assert rows["output_error"].max() < 1e-6


def test_deep_trial_recovers_first_layer_with_many_samples_and_is_deterministic():
    rows = _deep(200)
    first = rows[rows["layer"] == 1]
    assert first["layer_recovered"].all() and (first["neurons_recovered"] == 1.0).all()
    again = _deep(200)
    cols = ["neurons_recovered", "achieved", "epsilon", "active_fraction"]
    pd.testing.assert_frame_equal(rows[cols], again[cols])


def test_deep_trial_rejects_inconsistent_sizes():
    with pytest.raises(ValueError, match="N must equal sizes"):
        run_deep_trial(N=10, s=2, P=20, trial=0, base_seed=0, sampler=gaussian, sizes=SIZES)
    with pytest.raises(ValueError, match="schemes"):
        _deep(20, schemes=["serial"])


def test_planted_network_shapes_and_sparsity():
    net = planted_network(np.random.default_rng(0), [9, 7, 5], [3, 2])
    assert [W.shape for W in net.weights] == [(9, 7), (7, 5)]
    assert [int((W != 0).sum(0).max()) for W in net.weights] == [3, 2]
    assert net.is_relu(1)
    with pytest.raises(ValueError, match="one entry per layer"):
        planted_network(np.random.default_rng(0), [9, 7, 5], [3])


def test_auto_solver_dispatches_on_epsilon():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((15, 80))
    Y = np.maximum(rng.standard_normal((15, 3)).T @ X, 0)
    assert solve(LayerProblem(X, Y, 0.0), "auto").info["solver"] == "lp"
    res = solve(LayerProblem(X, Y, 0.05 * np.linalg.norm(Y)), "auto")
    assert res.info["solver"] == "admm" and res.status == "converged"


def test_crossing_interpolates_in_log_P():
    assert crossing([10, 40], [0.25, 0.75]) == pytest.approx(20.0)
    assert np.isnan(crossing([10, 40], [0.1, 0.2]))


def test_deep_recovery_summary_counts_unconverged_apart():
    rows = _deep(40)
    rows.loc[rows.index[0], "status"] = "max_iter"
    rates, layers = deep_recovery(rows.assign(N=SIZES[0], s=2, P=40, trial=0))
    r = rates.set_index(["scheme", "layer"]).loc[(rows["scheme"].iat[0], 1)]
    assert r["unconverged"] == 1 and np.isnan(r["neuron_rate"])
    assert layers["p50_pred"].gt(0).all()



def test_deep_recovery_summary_carries_the_design_prediction_unless_unconverged():
    import pandas as pd

    rows = _deep(40).assign(N=SIZES[0], s=2, P=40, trial=0)
    n_layers = int(rows["layer"].max())
    design = pd.DataFrame({"layer": range(1, n_layers + 1), "p50_design": 30.0,
                           "p50_design_q1": 25.0, "p50_design_q3": 35.0,
                           "design_converged": [True] * (n_layers - 1) + [False]})
    _, layers = deep_recovery(rows, design)
    last = layers["layer"] == n_layers
    assert layers.loc[~last, "p50_design"].eq(30.0).all()
    assert layers.loc[last, "p50_design"].isna().all()          # not converged: no number
    np.testing.assert_allclose(layers["ratio_design"], layers["p50"] / layers["p50_design"])


def test_spirals_are_balanced_and_bounded():
    X, labels = spirals(np.random.default_rng(0), 101, noise=0.0)
    assert X.shape == (2, 101) and set(labels) == {0, 1}
    assert abs(int((labels == 0).sum()) - int((labels == 1).sum())) <= 1
    assert np.linalg.norm(X, axis=0).max() <= 1.0 + 1e-12
    with pytest.raises(ValueError, match="noise"):
        spirals(np.random.default_rng(0), 10, noise=-1)


def test_trained_network_and_explicit_last_epsilon():
    from nettrim.suite.train import accuracy, train_relu_mlp

    X, labels = spirals(np.random.default_rng(0), 300, turns=0.75)
    net = train_relu_mlp(X, labels, (20, 20), seed=0, max_iter=800)
    assert [W.shape for W in net.weights] == [(2, 20), (20, 20), (20, 2)]
    assert accuracy(net, X, labels) > 0.9
    Z = net.forward(X)[-1]
    target = 0.2 * np.linalg.norm(Z)
    res = prune_cascade(net, X, gain=0.01, epsilon_last=target, max_iter=20000)
    assert res.report["epsilon"].iat[-1] == pytest.approx(target)
    if res.report["status"].iat[-1] == "converged":
        assert np.linalg.norm(res.network.forward(X)[-1] - Z) <= target * (1 + 1e-3) + 1e-6
    with pytest.raises(ValueError, match="labels"):
        train_relu_mlp(X, labels[:-1], (5,))

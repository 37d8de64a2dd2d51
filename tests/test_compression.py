"""Pruning trained networks to a target discrepancy, the study runner, and scheme comparison."""

import numpy as np
import pandas as pd
import pytest

from nettrim import prune_to_discrepancy, relative_discrepancy
from nettrim.suite.compression import run_study
from nettrim.suite.data import spirals_split
from nettrim.suite.resumable import run_resumable
from nettrim.suite.spirals_study import gain_task, target_task, train_network
from nettrim.suite.summary import kept_at_discrepancy
from nettrim.suite.train import train_relu_mlp

DATA = {"seed": 0, "n_train": 150, "n_test": 60}
TRAIN = {"max_iter": 300}
RECIPES = {"plain": {"trainer": "sklearn", "alpha": 0.0},
           "wide4": {"trainer": "sklearn", "widen_from": 4}}


@pytest.fixture(scope="module")
def small_net():
    X, y, _, _ = spirals_split(**DATA)
    return train_relu_mlp(X, y, (8, 8), seed=0, **TRAIN), X


@pytest.mark.parametrize("scheme", ["cascade", "parallel"])
def test_prune_to_discrepancy_meets_target_and_reports_search(small_net, scheme):
    net, X = small_net
    res = prune_to_discrepancy(net, X, 0.05, scheme=scheme, max_steps=5)
    e = relative_discrepancy(net, res.network, X)
    assert e <= 0.05
    s = res.search
    assert s["chosen"].sum() == 1 and s.loc[s["chosen"], "discrepancy"].iat[0] == pytest.approx(e)
    # the returned pruning is the passing one with the largest gain
    passing = s[s["discrepancy"] <= 0.05]
    assert s.loc[s["chosen"], "gain"].iat[0] == passing["gain"].max()
    assert res.report["bound_held"].all()


def test_prune_to_discrepancy_reports_a_miss(small_net):
    net, X = small_net
    res = prune_to_discrepancy(net, X, 1e-3, gain=0.2, max_steps=1)
    assert res.search["discrepancy"].iat[0] > 1e-3 and res.search["chosen"].iat[0]
    with pytest.raises(ValueError, match="scheme"):
        prune_to_discrepancy(net, X, 0.02, scheme="magnitude")
    with pytest.raises(ValueError, match="target"):
        prune_to_discrepancy(net, X, 0.0)


def test_tasks_hold_their_bounds_and_gain_orders_discrepancy():
    rows = pd.DataFrame(target_task([(8, "plain", 1)], data=DATA, train=TRAIN, recipes=RECIPES,
                                    target=0.03,
                                    max_steps=4))
    assert list(rows["layer"]) == [1, 2, 3] and rows["bound_held"].all()
    assert (rows["nnz_after"] <= rows["nnz_before"]).all()
    sweep = pd.DataFrame(gain_task([(8, "plain", 1)], data=DATA, train=TRAIN, recipes=RECIPES,
                                   gains=[0.001, 0.01, 0.1]))
    assert sweep["bound_held"].all() and sweep["kept"].between(0, 1).all()
    for _, g in sweep.groupby("scheme"):
        assert g["discrepancy"].is_monotonic_increasing  # a larger ε₁ never fits better here
    with pytest.raises(ValueError, match="schemes"):
        gain_task([(8, "plain", 1)], data=DATA, train=TRAIN, recipes=RECIPES, gains=[0.01],
                  schemes=["foo"])
    with pytest.raises(ValueError, match=r"unknown recipe 'l1'; the config defines \['plain'"):
        target_task([(8, "l1", 1)], data=DATA, train=TRAIN, recipes=RECIPES, target=0.03)


def test_kept_at_discrepancy_interpolates_in_log_log():
    e = np.array([0.005, 0.01, 0.04, 0.08])
    rows = [{"H": 50, "seed": seed, "scheme": scheme, "discrepancy": d, "kept": c * d ** -0.5}
            for seed in (0, 1) for scheme, c in (("parallel", 0.02), ("cascade", 0.01))
            for d in e]
    out = kept_at_discrepancy(pd.DataFrame(rows), [0.02, 0.5])
    assert list(out["level"]) == [0.02]  # 0.5 is outside every seed's range
    r = out.iloc[0]
    assert r["kept_parallel"] == pytest.approx(0.02 * 0.02 ** -0.5)
    assert r["cascade_over_parallel"] == pytest.approx(0.5) and r["seeds"] == 2


CALLS = []


def _work(chunk):
    CALLS.append(chunk)
    return [{"x": x, "y": x * x} for x in chunk]


def test_run_resumable_keeps_finished_chunks_and_refuses_other_specs(tmp_path):
    chunks = [[1, 2], [3]]
    first = run_resumable(chunks, _work, out_dir=tmp_path, spec={"v": 1}, progress=False)
    assert len(CALLS) == 2
    (tmp_path / "parts" / "chunk_000001.csv").unlink()  # as if killed during chunk 1
    again = run_resumable(chunks, _work, out_dir=tmp_path, spec={"v": 1}, progress=False)
    assert CALLS[2:] == [[3]]  # only the lost chunk ran again
    for a, b in zip(first, again):
        pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="different configuration"):
        run_resumable(chunks, _work, out_dir=tmp_path, spec={"v": 2}, progress=False)
    with pytest.raises(ValueError, match="spec"):
        run_resumable(chunks, _work, out_dir=tmp_path / "new", progress=False)
    with pytest.raises(ValueError, match="empty"):
        run_study(target_task, [], data=DATA)


def test_target_task_runs_the_parallel_scheme_too():
    rows = pd.DataFrame(target_task([(6, "plain", 0)], data=DATA, train=TRAIN, recipes=RECIPES,
                                    target=0.05, scheme="parallel", gamma=1.1, max_steps=3))
    assert (rows["scheme"] == "parallel").all() and rows["bound_held"].all()


def test_recipes_train_widened_and_torch_networks():
    X, y, _, _ = spirals_split(**DATA)
    wide = train_network(X, y, 12, RECIPES["wide4"], 0, TRAIN)
    narrow = train_relu_mlp(X, y, (4, 4), seed=0, **TRAIN)
    assert [W.shape for W in wide.weights] == [(2, 12), (12, 12), (12, 2)]
    assert np.allclose(wide.forward(X)[-1], narrow.forward(X)[-1], atol=1e-10)
    with pytest.raises(ValueError, match="recipe.trainer must be 'sklearn' or 'torch'"):
        train_network(X, y, 8, {"alpha": 0.1}, 0, TRAIN)
    with pytest.raises(ValueError, match="recipe.widen_from must be at most H = 8; got 9"):
        train_network(X, y, 8, {"trainer": "sklearn", "widen_from": 9}, 0, TRAIN)
    pytest.importorskip("torch")
    net = train_network(X, y, 6, {"trainer": "torch", "dropout": 0.5, "epochs": 1}, 0, TRAIN)
    assert [W.shape for W in net.weights] == [(2, 6), (6, 6), (6, 2)]


def test_samples_needed_is_delta_over_the_active_fraction():
    from nettrim.network import Network
    from nettrim.suite.compression import samples_needed
    from nettrim.suite.theory import statistical_dimension

    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4000))
    W = rng.standard_normal((30, 4))
    b = np.array([0.0, 0.5, -0.5, -50.0])                  # the last unit is dead
    net = Network([W, np.ones((4, 2))], [b, np.zeros(2)])
    Wp = W * (np.arange(30)[:, None] < np.array([3, 5, 8, 2]))
    need = samples_needed(net, Network([Wp, np.ones((4, 2))], [b, np.zeros(2)]), X)
    q = (W.T @ X + b[:, None] > 0).mean(axis=1)
    s = np.array([3, 6, 9])                                 # weights, and the bias when ≠ 0
    expected = [statistical_dimension(int(k), 31) / qm for k, qm in zip(s, q[:3])]
    np.testing.assert_allclose(need[:3], expected)
    assert need[3] == np.inf
    with pytest.raises(ValueError, match="dense ReLU layer"):
        samples_needed(net, net, X, layer=1)


def test_layer_ablation_swaps_one_layer_at_a_time(small_net):
    from nettrim.suite.compression import layer_ablation
    from nettrim.suite.train import accuracy

    net, X = small_net
    labels = np.argmax(net.forward(X)[-1], axis=0)          # the original is 100% right
    same = layer_ablation(net, net, X, labels)
    assert set(same) == {f"{k}{i}" for k in ("only", "but") for i in (1, 2, 3)}
    assert all(v == 1.0 for v in same.values())
    # a "pruned" network whose first layer is zero: only1 and but2, but3 see that layer
    dead = net.with_weights([np.zeros_like(net.weights[0]), *net.weights[1:]],
                            [np.zeros_like(net.biases[0]), *net.biases[1:]])
    row = layer_ablation(net, dead, X, labels)
    assert row["only1"] == row["but2"] == row["but3"] == accuracy(dead, X, labels) < 1.0
    assert row["only2"] == row["only3"] == row["but1"] == 1.0


def test_finished_run_names_what_is_missing(tmp_path):
    from nettrim.suite.models import finished_run

    with pytest.raises(SystemExit, match="holds no config.yaml"):
        finished_run(tmp_path)
    (tmp_path / "config.yaml").write_text("data: {name: digits}\n")
    with pytest.raises(SystemExit, match="holds no model.npz or model.joblib"):
        finished_run(tmp_path)


def test_model_key_ignores_what_the_data_set_ignores():
    from nettrim.suite.models import model_key

    net = {"trainer": "torch", "hidden": [300, 100]}
    bare = {"name": "mnist", "path": None, "n_train": None, "scale": "unit"}
    # MNIST keeps its own split: seed and test_size change nothing, so not the key either
    assert model_key(bare, net) == model_key({**bare, "seed": 0, "test_size": 0.25}, net)
    assert model_key(bare, net) != model_key({**bare, "scale": "standardize"}, net)
    digits = {"name": "digits", "seed": 0, "test_size": 0.25}
    assert model_key(digits, net) != model_key({**digits, "seed": 1}, net)

"""End to end through Hydra's compose API: a tiny phase-transition sweep writes its files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiment_scripts import load
from hydra import compose, initialize_config_dir

ROOT = Path(__file__).resolve().parents[1]


def _compose(name, overrides):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(config_name=name, overrides=overrides)


def test_phase_transition_end_to_end(tmp_path):
    cfg = _compose("phase_transition", [
        "sampling=rademacher", "grid.N=[40]", "grid.s=[2,4]", "grid.P=[0.6,1.0,1.6]",
        "grid.P_mode=p50", "trials=8", "n_jobs=1", "progress=false"])
    trials, summary = load("phase_transition").run(cfg, tmp_path)
    for f in ["trials.csv", "summary.csv", "config.yaml", "phase_diagram.png",
              "phase_diagram.pdf", "collapse.png"]:
        assert (tmp_path / f).is_file(), f
    table = pd.read_csv(tmp_path / "trials.csv")
    assert len(table) == 2 * 3 * 8
    assert (table["sampling"] == "rademacher").all() and (table["solver"] == "lp").all()
    assert {"planted.values", "planted.bias", "success_tol", "base_seed"} <= set(table.columns)
    assert list(summary[["N", "s"]].itertuples(index=False, name=None)) == [(40, 2), (40, 4)]
    assert summary["p50_pred"].gt(0).all()


def test_every_sampling_config_builds():
    import numpy as np
    from omegaconf import OmegaConf

    from nettrim.suite.sampling import sampler_from_config

    for f in sorted((ROOT / "conf" / "sampling").glob("*.yaml")):
        name, fn = sampler_from_config(OmegaConf.to_container(OmegaConf.load(f)))
        assert name == f.stem
        assert fn(np.random.default_rng(0), 5, 3).shape == (5, 3)


def test_solver_agreement_end_to_end(tmp_path):
    cfg = _compose("solver_agreement", [
        "grid.N=[30]", "grid.s=[3]", "grid.P=[0.7,1.5]", "trials=3", "n_jobs=1",
        "progress=false", "figures=true"])
    trials, table = load("solver_agreement").run(cfg, tmp_path)
    assert (tmp_path / "agreement.csv").is_file() and (tmp_path / "agreement.png").is_file()
    assert list(table["solver"]) == ["lp", "admm", "cvxpy"]
    assert (table["trials"] == 6).all()
    lp = table.set_index("solver").loc["lp"]
    assert lp["agree_fraction"] == 1.0 and lp["max_diff_vs_lp"] == 0.0
    speed = pd.read_csv(tmp_path / "throughput.csv").set_index("solver")
    assert (speed["solves"] == 6).all()
    for name, g in trials.groupby("solver"):
        assert speed.loc[name, "solves_per_second"] == pytest.approx(6 / g["time"].sum())
    # same seeds: each trial's draw is shared, so |Ω| matches across solvers
    assert trials.groupby(["P", "trial"])["active"].nunique().eq(1).all()


def test_noisy_recovery_end_to_end(tmp_path):
    cfg = _compose("solver_agreement", [
        "experiment=noisy", "grid.N=[30]", "grid.s=[3]", "grid.P=[0.6,2.0]", "trials=3",
        "n_jobs=1", "progress=false"])
    trials, table = load("solver_agreement").run(cfg, tmp_path)
    for f in ["noise.csv", "summary.csv", "noisy_admm.png", "noisy_cvxpy.pdf",
              "phase_diagram_admm.png", "agreement.png"]:
        assert (tmp_path / f).is_file(), f
    assert list(table["solver"]) == ["cvxpy", "admm"]       # lp: null drops it
    assert (trials["noise.model"] == "after").all() and trials["epsilon"].gt(0).all()
    noise = pd.read_csv(tmp_path / "noise.csv")
    assert set(noise["solver"]) == {"admm", "cvxpy"} and noise["feasible"].eq(1).all()
    assert (noise["held"] <= noise["judged"]).all()
    # a bound with the 95% Gaussian deviation is judged on a subset of the t = 0 bound's trials
    assert (noise["held_95"] <= noise["judged_95"]).all()
    assert (noise["judged_95"] <= noise["judged"]).all()
    assert noise.loc[noise["solver"] == "admm", "max_diff_vs_cvxpy"].notna().all()
    assert noise.groupby("solver")["trials"].sum().eq(6).all()


def test_phase_transition_with_the_design_prediction(tmp_path):
    cfg = _compose("phase_transition", [
        "experiment=design", "sampling.cov=toeplitz", "sampling.r=0.5", "grid.N=[30]",
        "grid.s=[3]", "grid.P=[10,20,40]", "trials=4", "n_jobs=1", "figures=false",
        "design.vectors=2", "design.draws=10", "design.samples=3000"])
    _, summary = load("phase_transition").run(cfg, tmp_path)
    row = summary.iloc[0]
    # a correlated but centred law: every w* is active half the time, so the crossing of the
    # w*'s mixture is close to mean δ over q̂
    assert row["p50_design"] == pytest.approx(row["delta_design"] / row["q_hat"], rel=0.15)
    # 12 trials: too few for a number (fit "insufficient"), and then no ratio either
    assert (row["fit"] == "logistic") == np.isfinite(row["p50"])
    assert row["ratio_design"] == pytest.approx(row["p50"] / row["p50_design"], nan_ok=True)
    assert row["delta_design_se"] > 0 and row["design_dead"] == 0


@pytest.mark.parametrize("bias_value,extra", [(["+planted.bias_value=0"], 0), ([], 1)])
def test_phase_transition_with_a_bias_row_predicts_the_program_it_solved(tmp_path, bias_value,
                                                                        extra):
    """The bias row is one more weight (N + 1) and, unless planted at 0, one more nonzero."""
    from nettrim.suite.theory import statistical_dimension

    cfg = _compose("phase_transition", [
        "experiment=design", "sampling=shifted_gaussian", "planted.bias=true", *bias_value,
        "grid.N=[20]", "grid.s=[3]", "grid.P=[10,30,60]", "trials=4", "n_jobs=1",
        "figures=false", "design.vectors=2", "design.draws=10", "design.samples=3000"])
    trials, summary = load("phase_transition").run(cfg, tmp_path)
    row = summary.iloc[0]
    assert row["delta"] == pytest.approx(statistical_dimension(3 + extra, 21))
    assert row["p50_design"] > 0
    assert row["ratio_design"] > 0 if row["fit"] == "logistic" else np.isnan(row["ratio_design"])
    assert trials.loc[trials["P"] == 60, "success"].all()  # well above P50: recovered, bias too


def test_deep_recovery_end_to_end(tmp_path):
    cfg = _compose("deep_recovery", [
        "network.sizes=[16,10,6]", "network.s=2", "P=[12,40]", "trials=2", "n_jobs=1",
        "progress=false", "design.networks=1", "design.samples=2000", "design.draws=10"])
    trials, rates, layers = load("deep_recovery").run(cfg, tmp_path)
    for f in ["trials.csv", "rates.csv", "layers.csv", "config.yaml", "deep_recovery.png",
              "deep_recovery.pdf"]:
        assert (tmp_path / f).is_file(), f
    assert len(trials) == 2 * 2 * 2 * 2  # P × trials × schemes × layers
    assert trials["bound_held"].all()
    assert sorted(layers["layer"].unique()) == [1, 2] and layers["bound_held"].all()
    assert layers["p50_design"].gt(0).all()
    assert "design.networks" not in trials          # a prediction setting, not a trial's


def test_solver_benchmark_end_to_end(tmp_path):
    cfg = _compose("solver_benchmark", [
        "problems=[[dense,12,3,80],[cascade,20,4,150]]", "authors_rhos=[1,10]", "rhos=[1]",
        "cvxpy.max_nmp=5000", "baseline.max_iter=5000"])
    runs, summary, scaling = load("solver_benchmark").run(cfg, tmp_path)
    for f in ["runs.csv", "summary.csv", "summary.md", "scaling.csv", "config.yaml"]:
        assert (tmp_path / f).is_file(), f
    assert len(summary) == 2 and summary["admm_met"].all(), summary.to_string()
    # cvxpy only where N·M·P ≤ max_nmp (12·3·80 = 2880, not 20·4·150 = 12000)
    assert list(runs.groupby("N")["method"].apply(lambda m: "cvxpy" in set(m))) == [True, False]
    text = (tmp_path / "summary.md").read_text()
    assert "| dense | 12, 3, 80 |" in text and "| cascade | 20, 4, 150 |" in text
    assert "authors best ρ" in text
    ratios = ["admm_over_floor", "authors_over_floor", "admm_steady_over_floor",
              "admm_bare_over_floor"]
    assert (scaling[ratios] > 0).all().all(), scaling.to_string()
    assert "ours, one iteration / floor" in text and "ours, without its tests / floor" in text
    assert "ours, oracle stop (its)" in text and summary["admm_oracle_met"].all(), \
        summary.to_string()


def test_solver_benchmark_names_a_bad_problem_entry(tmp_path):
    cfg = _compose("solver_benchmark", ["problems=[[resnet,12,3,80]]"])
    with pytest.raises(ValueError, match=r"problems: each entry must be \[family, N, M, P\]"):
        load("solver_benchmark").run(cfg, tmp_path)


def test_spirals_end_to_end_and_resume(tmp_path):
    cfg = _compose("spirals", [
        "table.H=[8]", "table.recipes=[sklearn,widened]", "recipes.widened.widen_from=4",
        "table.max_steps=3", "sweep.H=[8]",
        "sweep.seeds=[0,1]", "sweep.gains=[0.002,0.008]", "sweep.levels=[0.02]",
        "data.n_train=150", "data.n_test=100", "train.max_iter=300", "boundary.H=8",
        "n_jobs=1", "progress=false"])
    mod = load("spirals")
    table, sweep, compare = mod.run(cfg, tmp_path)
    for f in ["table.csv", "table.md", "table_layers.csv", "sweep.csv", "kept_at_discrepancy.csv",
              "sparsity_vs_discrepancy.png", "decision_regions.pdf", "config.yaml",
              "per_neuron_vs_features.png", "networks/H8_sklearn_seed0_pruned.npz"]:
        assert (tmp_path / f).is_file(), f
    # the Theorem 1/2 bounds hold in every spirals run, table and sweep
    assert table["bound_held"].all() and sweep["bound_held"].all()
    assert (table["discrepancy"] <= 0.02).all() and len(table) == 2
    assert len(sweep) == 2 * 2 * 2  # seeds × schemes × gains
    assert "| 8 | widened | 16 → " in (tmp_path / "table.md").read_text()
    assert (table["distinct_features"] > 0).all()
    # a second run reads every finished network back instead of recomputing
    again, sweep2, _ = mod.run(cfg, tmp_path)
    pd.testing.assert_frame_equal(again, table)
    pd.testing.assert_frame_equal(sweep2.drop(columns="time"), sweep.drop(columns="time"))


def test_prune_network_end_to_end_report_matches_saved_networks(tmp_path):
    import numpy as np

    from nettrim.network import Network
    from nettrim.suite.data import load_dataset
    from nettrim.suite.train import accuracy

    cfg = _compose("prune_network", [
        "network.hidden=[12,12]", "network.max_iter=150", "gains=[0.05,0.3]",
        "schemes=[parallel,cascade]", "finetune.epochs=1", "data.n_train=300", "n_jobs=1",
        "progress=false"])
    results = load("prune_network").run(cfg, tmp_path)
    for f in ["results.csv", "summary.md", "model.joblib", "model.npz", "config.yaml",
              "best_within_1pt.csv", "accuracy_vs_compression.png", "robustness.png",
              "layer_nnz.pdf", "weight_histograms.png"]:
        assert (tmp_path / f).is_file(), f
    methods = ["nettrim", "magnitude", "wanda", "sparsegpt", "obs"]
    assert len(results) == 2 * 2 * 5 and results["bound_held"].all()
    assert list(results["method"].unique()) == methods
    assert (results["prune_time"] > 0).all()
    # noise lowers accuracy, and a network at noise level 0.5 is no better than at 0.1 on average
    noisy = results[["acc_noise0.1", "acc_noise0.5"]].mean()
    assert noisy["acc_noise0.5"] <= noisy["acc_noise0.1"]
    best = pd.read_csv(tmp_path / "best_within_1pt.csv")
    assert sorted(best["method"].unique()) == sorted(methods) and len(best) == 10
    _, _, Xt, yt = load_dataset("digits", n_train=300)
    for r in results[results["method"] == "nettrim"].itertuples():
        net = Network.load_npz(tmp_path / "networks" / f"{r.scheme}_gain{r.gain:g}.npz")
        assert net.nnz() == [r.layer1_nnz, r.layer2_nnz, r.layer3_nnz]
        assert accuracy(net, Xt, yt) == r.acc_test
    # every baseline is pruned to exactly Net-Trim's per-layer counts
    wide = results.set_index(["scheme", "gain", "method"])
    for key in results[["scheme", "gain"]].drop_duplicates().itertuples(index=False):
        a = wide.loc[(*key, "nettrim")].filter(like="_nnz").to_numpy()
        for m in methods[1:]:
            assert np.array_equal(a, wide.loc[(*key, m)].filter(like="_nnz").to_numpy()), m
    assert "| cascade | 0.3 |" in (tmp_path / "summary.md").read_text()
    # another network in the same folder is refused before anything is retrained or written
    # (issue 29: the cached model was overwritten, then the run refused)
    before = {f: f.read_bytes() for f in tmp_path.glob("model.*")}
    other = _compose("prune_network", [
        "network.hidden=[8]", "network.max_iter=150", "gains=[0.05]", "data.n_train=300",
        "n_jobs=1", "progress=false"])
    with pytest.raises(ValueError, match=r"holds a finished run with a different configuration"):
        load("prune_network").run(other, tmp_path)
    assert {f: f.read_bytes() for f in tmp_path.glob("model.*")} == before


def test_prune_network_adds_a_baseline_to_a_finished_run_without_solving_again(tmp_path):
    """A finished run re-run with one more baseline computes only that baseline, at the counts
    its Net-Trim rows hold: the merged table equals a run with both from the start (times
    aside), and Net-Trim is not solved again."""
    from unittest import mock

    from nettrim.suite import compression

    base = ["network.hidden=[12,12]", "network.max_iter=150", "gains=[0.05,0.3]",
            "schemes=[parallel,cascade]", "finetune.epochs=1", "data.n_train=300",
            "n_jobs=1", "progress=false", "noise.levels=[0.2]", "figures=false"]
    both = load("prune_network").run(
        _compose("prune_network", base + ["baselines=[magnitude,obs]"]), tmp_path / "both")
    load("prune_network").run(_compose("prune_network", base + ["baselines=[magnitude]"]),
                               tmp_path / "grow")
    grow = _compose("prune_network", base + ["baselines=[magnitude,obs]"])
    # a model that is not the one the run pruned is refused: by the weights' digest ...
    saved = tmp_path / "grow" / "original.json"
    good = saved.read_text()
    saved.write_text(good.replace('"weights_sha256": "', '"weights_sha256": "0'))
    with pytest.raises(ValueError, match=r"not the network the run in .* pruned"):
        load("prune_network").run(grow, tmp_path / "grow")
    saved.write_text(good)
    # ... and, for a run without one, by the original's accuracies its rows hold
    table = tmp_path / "grow" / "results.csv"
    rows = pd.read_csv(table)
    saved.write_text(good.split(',\n "weights_sha256"')[0] + "\n}\n")
    pd.concat([rows.assign(original_acc_test=rows["original_acc_test"] - 0.01)]).to_csv(
        table, index=False)
    with pytest.raises(ValueError, match=r"not the network this study pruned \(original_acc_test"):
        load("prune_network").run(grow, tmp_path / "grow")
    rows.to_csv(table, index=False)
    saved.write_text(good)
    with mock.patch.object(compression, "prune_network",
                           side_effect=AssertionError("Net-Trim solved again")):
        grown = load("prune_network").run(grow, tmp_path / "grow")
    timing = [c for c in both.columns if c.endswith("_time")]
    pd.testing.assert_frame_equal(grown.drop(columns=timing), both.drop(columns=timing))
    assert pd.read_csv(tmp_path / "grow" / "results.csv").shape == both.shape
    assert "obs" in (tmp_path / "grow" / "config.yaml").read_text()
    # dropping a baseline is another configuration, refused
    with pytest.raises(ValueError, match=r"baselines: \['magnitude', 'obs'\] → \['obs'\]"):
        load("prune_network").run(_compose("prune_network", base + ["baselines=[obs]"]),
                                   tmp_path / "grow")


def _mnist_like(path, n_train=400, n_test=200, side=8, seed=0):
    """A small MNIST-shaped fixture (Keras .npz, uint8 images): class k lights row k."""
    rng = np.random.default_rng(seed)

    def draw(n):
        y = rng.integers(0, side, n)
        x = rng.integers(0, 60, (n, side, side))
        x[np.arange(n), y, :] += 180
        return x.astype(np.uint8), y.astype(np.uint8)

    (x, y), (xt, yt) = draw(n_train), draw(n_test)
    np.savez(path, x_train=x, y_train=y, x_test=xt, y_test=yt)
    return path


def _mnist_study(tmp_path, experiment, overrides):
    """Run ``experiment`` of prune_network on the MNIST-shaped fixture in ``tmp_path``."""
    data = _mnist_like(tmp_path / "mnist.npz")
    cfg = _compose("prune_network", [
        f"experiment={experiment}", f"data.path={data}", f"model_cache={tmp_path / 'models'}",
        "n_jobs=1", "progress=false", *overrides])
    return load("prune_network").run(cfg, tmp_path / "run"), tmp_path / "run"


def test_mnist_fc_study_end_to_end_on_a_fixture(tmp_path):
    """experiment=mnist_fc with the fixture in place of the cache: the PyTorch-trained network,
    pruning on a subset of the inputs, three fine-tuning checkpoints, noise repeats."""
    pytest.importorskip("torch")
    from nettrim.network import Network

    results, out = _mnist_study(tmp_path, "mnist_fc", [
        "network.hidden=[16,12]", "network.iterations=150", "samples.n=150", "gains=[0.1]",
        "schemes=[parallel]", "finetune.epochs=[1,2]", "noise.levels=[0.5]",
        "noise.repeats=2", "baselines=[magnitude,sparsegpt]", "figures=false"])
    assert (out / "model.npz").is_file() and not (out / "model.joblib").exists()
    assert list(results["method"]) == ["nettrim", "magnitude", "sparsegpt"]
    assert (results["samples"] == 150).all()
    # ε_rd on all 400 training inputs is reported beside the one on the 150 it saw
    assert results["discrepancy_all"].notna().all()
    assert (results["discrepancy_all"] != results["discrepancy"]).any()
    for col in ("acc_test_ft1", "acc_test_ft2", "acc_train_ft2", "acc_noise0.5"):
        assert results[col].between(0, 1).all(), col
    assert (results["acc_test_ft"] == results["acc_test_ft2"]).all()
    net = Network.load_npz(out / "networks" / "parallel_gain0.1.npz")
    assert net.nnz() == results.filter(like="_nnz").iloc[0].tolist()
    assert results["acc_test_ft2"].iloc[0] > 0.5          # the fixture is learnable
    # the savings step: sizes and dense/sparse times of the original and the pruned network
    load("mnist_savings").main([str(out), "--repeats", "2", "--batches", "1", "50"])
    sav = pd.read_csv(out / "savings.csv")
    assert list(sav["network"]) == ["original"] * 2 + ["parallel_gain0.1"] * 2
    assert sav["same_predictions"].all() and (sav["dense_s"] > 0).all()
    pruned = sav[sav["network"] != "original"]
    assert (pruned["bytes_sparse_npz"] < pruned["bytes_dense_npz"]).all()
    # the layer ablation: every layer swapped alone, accuracies of the right network
    load("layer_ablation").main([str(out)])
    abl = pd.read_csv(out / "layer_ablation.csv")
    assert list(abl["gain"]) == [0.1] and abl.filter(regex="^(only|but)").shape[1] == 6
    assert abl["acc_test"].iat[0] == pytest.approx(results["acc_test"].iat[0])
    assert abl["acc_test_refit"].between(0, 1).all()


def test_mnist_lenet_study_prunes_the_convolutions_too(tmp_path):
    """experiment=mnist_lenet on the fixture: a small conv net trained by the same recipe,
    every layer pruned (convolutions on sampled patches), baselines at the same counts."""
    pytest.importorskip("torch")
    from nettrim.network import Network

    results, out = _mnist_study(tmp_path, "mnist_lenet", [
        "network.image_shape=[1,8,8]", "network.channels=[3,4]", "network.kernel=3",
        "network.hidden=[10]", "network.iterations=150", "samples.n=120", "patches=500",
        "gains=[0.1]", "finetune.epochs=[1]", "noise.levels=[0.5]", "noise.repeats=1"])
    net = Network.load_npz(out / "model.npz")
    assert [c is not None for c in net.convs] == [True, True, False, False]
    assert set(results["method"]) == {"nettrim", "magnitude", "wanda", "sparsegpt"}
    pruned = Network.load_npz(out / "networks" / "cascade_gain0.1.npz")
    assert pruned.convs == net.convs
    nnz = results[results["method"] == "nettrim"].filter(like="_nnz")
    assert (nnz.iloc[:, :2].to_numpy() < np.array(net.nnz()[:2])).all()   # convs pruned
    for (scheme, _), g in results.groupby(["scheme", "gain"]):
        assert (g.filter(like="_nnz").nunique() == 1).all(), scheme        # equal counts
    assert results["bound_held"].all() and results["acc_test_ft1"].between(0, 1).all()


@pytest.mark.parametrize("argv, message", [
    (["--N", "0"], "argument --N: must be a finite number >= 1; got 0"),
    (["--gain", "nan"], "argument --gain: must be a finite number >= 0.0; got nan"),
    (["--P", "x"], "argument --P: expected an integer; got 'x'"),
    (["--solvers", "foo"], "argument --solvers: invalid choice: 'foo'"),
])
def test_layer_demo_refuses_bad_arguments_in_one_line(argv, message, capsys):
    """layer_demo --N 0 ended in a traceback (issue 29): now a usage error naming the flag."""
    with pytest.raises(SystemExit) as exit_:
        load("layer_demo").main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "".join(err)


def test_figures_overlay_keeps_every_series_and_refuses_noisy_runs(tmp_path):
    """Three runs whose folders share a name are three series (one was dropped, issue 29);
    a summary holding two solvers is two series, not one merged; the table says which
    series a row belongs to; a noisy-recovery run is refused (its P50 is not exact
    recovery's, which the overlay's prediction is for)."""
    figures = load("figures")
    src = ROOT / "results" / "phase_transition" / "gaussian_lp_default"
    table = pd.read_csv(src / "summary.csv")
    for parent in ("a", "b", "c"):
        (tmp_path / parent / "run").mkdir(parents=True)
        table.to_csv(tmp_path / parent / "run" / "summary.csv", index=False)
    summaries, _ = figures.load_summaries([tmp_path / p for p in "abc"])
    assert len(summaries) == 3 and len(set(summaries)) == 3
    assert all(str(tmp_path) in label for label in summaries)          # told apart by path
    two = pd.concat([table, table.assign(solver="admm")])
    (tmp_path / "two").mkdir()
    two.to_csv(tmp_path / "two" / "summary.csv", index=False)
    summaries, _ = figures.load_summaries([tmp_path / "two"])
    assert sorted(summaries) == ["gaussian (admm)", "gaussian (lp)"]
    assert all(len(t) == len(table) for t in summaries.values())
    figures.main([str(tmp_path / "two"), "--out", str(tmp_path / "overlay"), "--table"])
    stacked = pd.read_csv(tmp_path / "overlay.csv")
    assert sorted(stacked["run"].unique()) == ["gaussian (admm)", "gaussian (lp)"]
    noisy = ROOT / "results" / "solver_agreement" / "gaussian_noisy_after"
    with pytest.raises(SystemExit, match=r"noisy-recovery run \(noise after, sigma 0.05\)"):
        figures.load_summaries([noisy])


@pytest.mark.parametrize("override", ["design.networks=null", "~design.draws"])
def test_deep_recovery_names_the_way_to_skip_the_design_prediction(override, tmp_path):
    """design.networks=null was documented as "skip" but refused with another key's words
    (issue 29): the error names the key and the way to skip (design=null), before any
    trial runs."""
    cfg = _compose("deep_recovery", [override, "n_jobs=1", "progress=false"])
    with pytest.raises(ValueError, match=r"design\.(networks|draws) must be an integer; got "
                                         r"(null|nothing) \(to skip .* design=null\)"):
        load("deep_recovery").run(cfg, tmp_path)
    assert not (tmp_path / "parts").exists() and not (tmp_path / "trials.csv").exists()


def test_design_overlay_draws_the_design_aware_prediction_with_the_legend_off_the_data(tmp_path):
    """experiments/figures.py over design runs (issue 33, item 3): measured P50 over the
    design-aware prediction (and, faintly, the isotropic one); a figure of sane size whose
    legend sits outside both axes (the committed one was 4,006 px wide, its legend on the
    data); the skipped-run note goes to the log, not the figure."""
    from PIL import Image

    from nettrim.suite import plots

    figures = load("figures")
    runs = [ROOT / "results" / "phase_transition" / name
            for name in ("gaussian_lp_design", "shifted_gaussian_lp_design")]
    summaries, _ = figures.load_summaries(runs)
    fig = plots.overlay_design(summaries, "test")
    fig.canvas.draw()
    legend = fig.legends[0].get_window_extent()
    for ax in fig.axes:
        assert not legend.overlaps(ax.get_window_extent()), "the legend covers an axes"
    assert not any("skipped" in t.get_text() for t in fig.texts)
    figures.main([*map(str, runs), "--out", str(tmp_path / "design")])
    width, height = Image.open(tmp_path / "design.png").size
    assert width < 2000 and height < 1200 and 1.2 < width / height < 3


def test_bench_scaling_end_to_end_on_a_fixture(tmp_path):
    """make bench-scaling on the MNIST-shaped fixture: both MNIST layers and the trained
    series, their exponents, OBS timed beside SparseGPT."""
    pytest.importorskip("torch")
    data = _mnist_like(tmp_path / "mnist.npz")
    cfg = _compose("bench_scaling", [
        f"data.path={data}", f"model_cache={tmp_path / 'models'}", "network.hidden=[16,12]",
        "network.iterations=150", "mnist.samples=[100,200,400]",
        "synthetic.base={N: 12, M: 3, P: 120}", "synthetic.axes.P=[60,120,240]",
        "synthetic.axes.M=[2,3]", "~synthetic.axes.N"])
    runs = load("bench_scaling").run(cfg, tmp_path / "run")
    assert runs[["series", "axis", "P"]].values.tolist() == [
        ["layer 1 (65·16)", "P", 100], ["layer 1 (65·16)", "P", 200],
        ["layer 1 (65·16)", "P", 400], ["layer 2 (17·12)", "P", 100],
        ["layer 2 (17·12)", "P", 200], ["layer 2 (17·12)", "P", 400],
        ["trained", "P", 60], ["trained", "P", 120],
        ["trained", "P", 240], ["trained", "M", 120], ["trained", "M", 120]]
    assert (runs["obs_time"] > 0).all()
    fits = pd.read_csv(tmp_path / "run" / "exponents.csv")
    assert fits[["series", "axis"]].values.tolist() == [
        ["layer 1 (65·16)", "P"], ["layer 2 (17·12)", "P"], ["trained", "P"], ["trained", "M"]]
    # three sizes give a slope where every run converged; two do not
    for i, series in enumerate(["layer 1 (65·16)", "layer 2 (17·12)", "trained"]):
        done = (runs[(runs["series"] == series) & (runs["axis"] == "P")]["status"]
                == "converged").all()
        assert fits["time"].notna().iat[i] == done
    assert np.isnan(fits["time"].iat[3]) and fits["note"].iat[3] == "only 2 sizes"
    assert "Fitted exponents" in (tmp_path / "run" / "summary.md").read_text()


def test_bench_head_end_to_end_on_a_fixture(tmp_path):
    """make bench-head on the MNIST-shaped fixture: every setting's rounds, both pruners at the
    same counts, the summary's ratios computed from the rounds, and make figures' draw writes
    the same summary from rounds.csv; a malformed setting is refused before any work."""
    pytest.importorskip("torch")
    data = _mnist_like(tmp_path / "mnist.npz")
    base = [f"data.path={data}", f"model_cache={tmp_path / 'models'}", "network.hidden=[16,12]",
            "network.iterations=150", "repeats=2"]
    with pytest.raises(ValueError, match=r"settings: each entry must be \[P, gain\]"):
        load("bench_head").run(_compose("bench_head", [*base, "settings=[[200]]"]),
                               tmp_path / "bad")
    assert not (tmp_path / "models").exists() and not (tmp_path / "bad" / "config.yaml").exists()
    cfg = _compose("bench_head", [*base, "settings=[[200,0.1],[300,0.2]]"])
    rounds = load("bench_head").run(cfg, tmp_path / "run")
    assert rounds[["P", "gain", "round"]].values.tolist() == [
        [200, 0.1, 0], [200, 0.1, 1], [300, 0.2, 0], [300, 0.2, 1]]
    assert rounds["converged"].all() and rounds["same_counts"].all()
    assert (rounds["sparsegpt_time"] == rounds[["sparsegpt_time_1", "sparsegpt_time_2"]]
            .min(axis=1)).all()
    assert (rounds["nettrim_time"] >= rounds.filter(regex=r"^layer\d_time$").sum(axis=1)).all()
    summary = (tmp_path / "run" / "summary.md").read_text()
    g = rounds[rounds["P"] == 300]
    ratio = g["nettrim_time"].min() / g["sparsegpt_time"].min()
    assert f"| 300 | 0.2 | {g['compression'].iat[0]:.2f}× | yes | 2 |" in summary
    assert f"| {ratio:.1f}× |" in summary
    (tmp_path / "run" / "summary.md").unlink()
    load("bench_head").draw(tmp_path / "run")
    assert (tmp_path / "run" / "summary.md").read_text() == summary


def test_bench_trace_end_to_end_on_a_fixture(tmp_path):
    """make bench-trace on the MNIST-shaped fixture: one row per stopping test, the last the
    run's stop, and make figures' draw writes the same summary from the run's files."""
    pytest.importorskip("torch")
    data = _mnist_like(tmp_path / "mnist.npz")
    cfg = _compose("bench_trace", [
        f"data.path={data}", f"model_cache={tmp_path / 'models'}", "network.hidden=[16,12]",
        "network.iterations=150", "samples=200", "threads=1"])
    trace = load("bench_trace").run(cfg, tmp_path / "run")
    assert (trace["iteration"].diff().dropna() == 10).all()
    assert trace["status"].iloc[-1] == "converged"
    assert (trace["status"].iloc[:-1] == "max_iter").all()
    summary = (tmp_path / "run" / "summary.md").read_text()
    assert f"the run stopped at {trace['iteration'].iloc[-1]} (converged)" in summary
    (tmp_path / "run" / "summary.md").unlink()
    load("bench_trace").draw(tmp_path / "run")
    assert (tmp_path / "run" / "summary.md").read_text() == summary

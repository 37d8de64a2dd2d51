"""The committed reference runs are protected and reproducible: each folder's tracked
config.yaml is exactly what its documented command composes today (so re-running that command
is accepted and recomputes the same table), and any other configuration is refused before
anything in the folder is touched."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from experiment_scripts import load
from hydra import compose, initialize_config_dir

from nettrim.suite.runs import check_same_run

ROOT = Path(__file__).resolve().parents[1]
PREDICTION = ["experiment=prediction"]   # conf/experiment/prediction.yaml (make prediction)

#: folder → (config, overrides of the command that wrote it: the Makefile's targets)
REFERENCE = {
    "phase_transition/gaussian_lp_default": ("phase_transition", []),
    "phase_transition/gaussian_admm_default": ("phase_transition", ["solver=admm_exact"]),
    "phase_transition/gaussian_lp_design": ("phase_transition", ["experiment=design"]),
    **{f"phase_transition/{folder}": ("phase_transition", [f"experiment={experiment}"])
       for folder, experiment in (
           ("gaussian_lp_design_toeplitz0.8", "design_toeplitz08"),
           ("gaussian_lp_design_toeplitz0.95", "design_toeplitz095"),
           ("gaussian_lp_design_bias0", "design_bias0"),
           ("shifted_gaussian_lp_design", "design_shifted"),
           ("shifted_gaussian_lp_design_bias0", "design_shifted_bias0"),
           ("rectified_gaussian_lp_design_bias0", "design_rectified_bias0"),
           ("relu_layer_lp_design_bias0", "design_relu_layer_bias0"))},
    "solver_agreement/gaussian_noisy_after": ("solver_agreement", [
        "experiment=noisy", "progress=false"]),
    "solver_agreement/gaussian_noisy_before": ("solver_agreement", [
        "experiment=noisy_before", "progress=false"]),
    **{f"phase_transition/multirun_prediction/sampling={law}":
       ("phase_transition", [f"sampling={law}", *PREDICTION])
       for law in ("gaussian", "rademacher", "uniform", "student_t")},
    **{f"phase_transition/multirun_scale_n{n}/sampling={law}":
       ("phase_transition", [f"sampling={law}", f"experiment=scale_n{n}"])
       for n in (400, 1000, 2000) for law in ("gaussian", "rademacher")},
    "deep_recovery/gaussian_default": ("deep_recovery", ["progress=false"]),
    "solver_agreement/gaussian_default": ("solver_agreement", ["n_jobs=1", "progress=false"]),
    "solver_agreement/gaussian_throughput": ("solver_agreement", ["experiment=throughput"]),
    "solver_agreement/gaussian_scale": ("solver_agreement", ["experiment=scale_agreement"]),
    "prune_network/digits": ("prune_network", ["progress=false"]),
    "prune_network/lenet_digits": ("prune_network", ["experiment=prune_lenet"]),
    "prune_network/spirals": ("prune_network", ["experiment=prune_spirals"]),
    "spirals/default": ("spirals", ["progress=false"]),
    "spirals/relaxed": ("spirals", ["experiment=spirals_relaxed"]),
    "solver_benchmark/default": ("solver_benchmark", []),
    "mnist/fc": ("prune_network", ["experiment=mnist_fc"]),
    "mnist/lenet": ("prune_network", ["experiment=mnist_lenet"]),
    "mnist/lenet_obs": ("prune_network", ["experiment=mnist_lenet_obs"]),
    **{f"mnist/samples/n{n}": ("prune_network", ["experiment=mnist_fc_samples", f"samples.n={n}"])
       for n in (500, 1000, 2000, 5000, 10000, 20000)},
    "bench_scale/mnist_fc": ("bench_scale", []),
    "bench_scale/workers": ("bench_scale", ["experiment=bench_scale_workers"]),
    "bench_scale/small_subsets": ("bench_scale", ["experiment=bench_scale_small"]),
    "bench_scale/lenet_fc1": ("bench_fc1", []),
    "bench_scale/polish": ("bench_scale", ["experiment=bench_scale_polish"]),
    "bench_scale/polish_control": ("bench_scale", ["experiment=bench_scale_polish",
                                                   "admm.polish=exact", "tag=polish_control"]),
    "bench_scale/mnist_layer1": ("bench_fc1", ["experiment=bench_fc1_mnist_layer1"]),
    "bench_scale/mnist_layer2": ("bench_fc1", ["experiment=bench_fc1_mnist_layer2"]),
    "bench_scaling/default": ("bench_scaling", []),
    "bench_scale/trace_layer1": ("bench_trace", []),
    "bench_scale/head_to_head": ("bench_head", []),
}


def _compose(name, overrides):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(config_name=name, overrides=overrides)


@pytest.mark.parametrize("folder", sorted(REFERENCE))
def test_reference_run_accepts_its_own_command_and_refuses_others(folder):
    name, overrides = REFERENCE[folder]
    out = ROOT / "results" / folder
    assert (out / "config.yaml").is_file(), f"{out} has no config.yaml"
    cfg = _compose(name, overrides)
    check_same_run(out, cfg)                                           # same: accepted
    if "n_jobs" in cfg:
        check_same_run(out, _compose(name, overrides + ["n_jobs=1"]))  # runtime key: accepted
    changed = "gamma=1.5" if name == "prune_network" else "seed=7"
    with pytest.raises(ValueError, match=f"{out} holds a finished run with a different "
                                         f"configuration \\({changed.split('=')[0]}: "):
        check_same_run(out, _compose(name, overrides + [changed]))


def _digest(folder: Path) -> dict:
    return {str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.rglob("*")) if f.is_file()}


def test_demo_with_other_trials_leaves_the_reference_run_untouched(tmp_path):
    """`make demo ARGS="trials=2"` on a fresh clone: refused in one line, nothing written."""
    ref = tmp_path / "gaussian_lp_default"
    shutil.copytree(ROOT / "results" / "phase_transition" / "gaussian_lp_default", ref)
    before = _digest(ref)
    res = subprocess.run([sys.executable, str(ROOT / "experiments" / "phase_transition.py"),
                          "trials=2", f"hydra.run.dir={ref}"], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "holds a finished run with a different configuration (trials: 20 → 2)" in res.stderr
    assert _digest(ref) == before


def _committed_summaries():
    return sorted(f for f in (ROOT / "results").rglob("summary.csv")
                  if (f.parent / "trials.csv").is_file())


@pytest.mark.parametrize("summary_file", _committed_summaries(),
                         ids=lambda f: str(f.parent.relative_to(ROOT / "results")))
def test_a_committed_summary_is_what_its_committed_trials_give(summary_file):
    """Every committed summary.csv is recomputed from the trials.csv beside it with today's
    code, every column summarize() writes compared to round-off (issue 33: a summary and its
    trials could drift apart unnoticed). The design-aware columns (a Monte Carlo estimate of
    their own) are left to their run."""
    import numpy as np
    import pandas as pd

    from nettrim.suite.summary import summarize

    old = pd.read_csv(summary_file)
    new = summarize(pd.read_csv(summary_file.parent / "trials.csv"), by=["sampling", "solver"])
    assert len(new) == len(old)
    for col in new.columns:
        a, b = new[col].to_numpy(), old[col].to_numpy()
        if a.dtype.kind in "fiu" and b.dtype.kind in "fiu":
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-12,
                                       err_msg=col)
        else:
            assert list(map(str, a)) == list(map(str, b)), col


def test_make_figures_redraws_committed_runs_deterministically(tmp_path):
    """experiments/redraw.py (make figures) on copies of three committed runs: the derived
    tables come out as committed (to the byte: rewritten only if a number moves), and two
    redraws give byte-identical figures (no creation date in the files), so a redraw of an
    unchanged result leaves git clean (issue 33); the second redraw is of one run, since the
    dates live in :func:`nettrim.suite.plots.base.save`, which every figure goes through.
    Figures are not compared with the committed bytes: another matplotlib version may render
    text differently."""

    redraw = load("redraw")
    runs = ["phase_transition/gaussian_lp_default", "deep_recovery/gaussian_default",
            "prune_network/spirals"]
    for run in runs:
        shutil.copytree(ROOT / "results" / run, tmp_path / run)
    done = redraw.main(["--results", str(tmp_path)])
    assert sorted(map(str, done)) == sorted(str(tmp_path / r) for r in runs)
    first = {f: f.read_bytes() for r in runs for f in (tmp_path / r).iterdir() if f.is_file()}
    for f, data in first.items():
        if f.suffix in (".csv", ".md"):
            assert data == (ROOT / "results" / f.relative_to(tmp_path)).read_bytes(), f
    # determinism is save()'s (no dates in PNG or PDF): one run's figures, drawn again
    again, run = tmp_path / "again", "deep_recovery/gaussian_default"
    shutil.copytree(tmp_path / run, again / run)
    redraw.main(["--results", str(again)])
    redrawn = [f for f in first if f.is_relative_to(tmp_path / run)]
    assert {f.suffix for f in redrawn} >= {".png", ".pdf"}
    for f in redrawn:
        assert (again / f.relative_to(tmp_path)).read_bytes() == first[f], \
            f"{f} differs between two redraws"


def test_mnist_samples_summary_is_what_its_committed_runs_give(tmp_path):
    """experiments/mnist_samples.py on the committed sample-size runs (without their gitignored
    networks: the prediction is read back from prediction.csv) writes the committed
    summary.csv again, every number to round-off."""

    import numpy as np
    import pandas as pd

    mod = load("mnist_samples")
    root = ROOT / "results" / "mnist" / "samples"
    mod.main([str(root), "--out", str(tmp_path / "summary")])
    old, new = pd.read_csv(root / "summary.csv"), pd.read_csv(tmp_path / "summary.csv")
    assert list(new.columns) == list(old.columns) and len(new) == len(old) == 18
    num = new.select_dtypes("number").columns
    np.testing.assert_allclose(new[num].to_numpy(float), old[num].to_numpy(float), rtol=1e-9)
    assert (tmp_path / "summary.md").read_text() == (root / "summary.md").read_text()


def _pruning_runs():
    return sorted(p.parent.relative_to(ROOT / "results")
                  for p in (ROOT / "results").rglob("original.json"))


@pytest.mark.parametrize("run", _pruning_runs(), ids=str)
def test_pruning_summaries_are_what_their_committed_results_give(run):
    """Every committed pruning study (prune_network, MNIST): best_within_1pt.csv and summary.md
    recomputed from results.csv and original.json are the committed files, to the byte."""

    import pandas as pd

    from nettrim.suite.summary import best_within

    mod = load("prune_network")
    folder = ROOT / "results" / run
    results = pd.read_csv(folder / "results.csv")
    nnz = json.loads((folder / "original.json").read_text())["nnz"]
    best = best_within(results, 0.01)
    text = mod._markdown(results, nnz) + "\n\n" + mod._best_markdown(best)
    assert text == (folder / "summary.md").read_text()
    assert best.to_csv(index=False) == (folder / "best_within_1pt.csv").read_text()


def _derived_tables():
    """(run, derived table file, how to recompute it from the run's committed table)."""
    from nettrim.suite.spirals_study import layer_table
    from nettrim.suite.summary import agreement, kept_at_discrepancy, noisy_recovery, throughput

    out = []
    for trials in sorted((ROOT / "results" / "solver_agreement").rglob("trials.csv")):
        run = trials.parent
        out.append((run, "agreement.csv",
                    lambda t, c: agreement(t, c["reference"]), "trials.csv"))
        out.append((run, "throughput.csv", lambda t, c: throughput(t), "trials.csv"))
        if (run / "noise.csv").is_file():
            out.append((run, "noise.csv", lambda t, c: noisy_recovery(t), "trials.csv"))
    for sweep in sorted((ROOT / "results" / "spirals").rglob("sweep.csv")):
        run = sweep.parent
        out.append((run, "table.csv", lambda t, c: layer_table(t), "table_layers.csv"))
        out.append((run, "kept_at_discrepancy.csv",
                    lambda t, c: kept_at_discrepancy(t, c["sweep"]["levels"]), "sweep.csv"))
    return out


@pytest.mark.parametrize("run, table, derive, source", _derived_tables(),
                         ids=lambda v: str(v.relative_to(ROOT / "results"))
                         if isinstance(v, Path) else v if isinstance(v, str) else "")
def test_solver_agreement_and_spirals_tables_are_what_their_committed_rows_give(
        run, table, derive, source, tmp_path):
    """Each committed derived table of the solver-agreement and spirals runs, recomputed from
    the run's committed rows, equals the committed file to round-off (save_table would leave
    it as it is)."""
    import pandas as pd
    from omegaconf import OmegaConf

    from nettrim.suite.summary import save_table

    config = OmegaConf.to_container(OmegaConf.load(run / "config.yaml"))
    copy = tmp_path / table
    shutil.copyfile(run / table, copy)
    assert not save_table(derive(pd.read_csv(run / source), config), copy), \
        f"{run / table} differs from what {source} gives"


def test_committed_figures_are_readable_sizes():
    """No committed figure is wider than 3,000 pixels or more than 3:1 in either direction
    (issue 33: a 4,006-pixel overlay, a 16.7:1 strip of conv filters)."""
    from PIL import Image

    res = subprocess.run(["git", "ls-files", "*.png"], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    files = res.stdout.split()
    assert files, "no committed figure found"
    bad = []
    for f in files:
        w, h = Image.open(ROOT / f).size
        if w > 3000 or max(w / h, h / w) > 3:
            bad.append(f"{f} ({w}×{h})")
    assert not bad, "figures too wide or too thin: " + ", ".join(bad)


def test_the_law_shapes_table_is_what_its_committed_draws_give():
    """results/phase_transition/law_shapes.csv (make laws) against its committed per-draw
    thresholds and the committed trials: each cell's law prediction through the measured
    estimator, recomputed, equals the table's to round-off, and the ratio is p50 over it."""
    import numpy as np
    import pandas as pd

    from nettrim.suite.certificate import success_given_rows
    from nettrim.suite.kinematic import curve_prediction
    from nettrim.suite.runs import phase_runs

    pt = ROOT / "results" / "phase_transition"
    table = pd.read_csv(pt / "law_shapes.csv")
    draws = pd.read_csv(pt / "law_shapes_thresholds.csv.gz")
    trials = pd.concat([t for _, t, _ in phase_runs(
        [pt / "multirun_prediction", pt / "multirun_scale_n400", pt / "multirun_scale_n1000"])])
    keys = ["sampling", "N", "s"]
    assert len(table) == table[keys].drop_duplicates().shape[0] > 0
    for _, r in table.iterrows():
        d = draws[(draws[keys] == r[keys]).all(axis=1)]
        assert len(d) == r["draws"]
        cell = trials[(trials[keys] == r[keys]).all(axis=1) & trials["success"].notna()]
        counts = cell.groupby("P").size()
        P, n = counts.index.to_numpy(float), counts.to_numpy(float)
        for column, name in (("unique", "law"), ("minimiser", "law_tie")):
            given = success_given_rows(d[column].to_numpy(), int(r["N"]), int(r["m_max"]))
            again = curve_prediction(given, r["q_hat"], P, n, name=name)[f"p50_{name}_fit"]
            assert again == pytest.approx(r[f"p50_{name}_fit"], rel=1e-9), tuple(r[keys])
        assert r["ratio_law"] == pytest.approx(r["p50"] / r["p50_law_fit"], rel=1e-12)
        assert np.isclose(r["ties"], (d["minimiser"] < d["unique"]).mean())

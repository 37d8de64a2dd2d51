"""The adversarial table: bad CLI overrides, API arrays and options, data files and results
folders. Each case asserts a clear error that names the key, argument or file, or the correct
result. (Issue 13: the suite refuses or repairs rather than misleads.)"""

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

import nettrim
from nettrim.suite.data import load_mnist, read_idx
from nettrim.suite.planted import planted_weights
from nettrim.suite.runs import check_same_run
from nettrim.suite.sampling import gaussian
from nettrim.suite.sweep import expand_grid, run_sweep
from nettrim.suite.theory import fit_p50
from nettrim.suite.trial import run_trial

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 40))
W = RNG.standard_normal((6, 3))
Y = np.maximum(W.T @ X, 0)
EPS = 0.05 * np.linalg.norm(Y)

# ----------------------------------------------------------------------------- CLI overrides
# (script, overrides, the one line the user must see)
CLI = [
    ("phase_transition", ["solver.name=foo"], r"solver\.name: unknown solver 'foo'"),
    ("phase_transition", ["+solver.options.bogus=1"],
     r"solver\.options: unknown option\(s\) \['bogus'\] for solver 'lp'"),
    ("phase_transition", ["solver=admm_exact", "solver.options.max_iter=-5"],
     r"solver\.options: max_iter must be >= 1; got -5"),
    ("phase_transition", ["solver=admm_exact", "solver.options.gap_tol=0"],
     r"solver\.options: gap_tol must be > 0"),
    ("phase_transition", ["solver=cvxpy", "solver.options.cvx_solver=NOPE"],
     r"solver\.options: cvx_solver 'NOPE' is not installed"),
    ("phase_transition", ["+solver.options.options={bogus: 1}"],
     r"solver\.options: unknown HiGHS option\(s\) \['bogus'\]"),
    ("phase_transition", ["success_tol=-1"], r"success_tol must be > 0"),
    ("phase_transition", ["seed=-1"], r"seed must be >= 0; got -1"),
    ("phase_transition", ["planted.values=foo"], r"planted\.values must be one of"),
    ("phase_transition", ["planted.bias=no"], r"planted\.bias must be true or false; got 'no'"),
    ("phase_transition", ["+planted.bias_value=0"], r"planted\.bias_value fixes the planted "
     r"bias, so it needs planted\.bias = true"),
    ("phase_transition", ["noise=after"], r"noise: the solver\(s\) \['lp'\] handle only "
     r"ε = 0"),
    ("phase_transition", ["trials=abc"], r"trials must be an integer; got str"),
    ("phase_transition", ["n_jobs=0"], r"n_jobs must be a positive number of workers or -1"),
    ("phase_transition", ["chunk_size=0"], r"chunk_size must be >= 1; got 0"),
    ("phase_transition", ["progress=maybe"], r"progress must be true or false"),
    ("phase_transition", ["grid.P_mode=foo"], r"P_mode must be one of"),
    ("phase_transition", ["+grid.bogus=1"], r"grid has unknown key\(s\) \['bogus'\]"),
    ("phase_transition", ["sampling=student_t", "sampling.df=-1"],
     r"sampler .*student_t.* failed on a test"),
    ("phase_transition", ["trials=1000000"], r"above the limit of 1e\+06; .*allow_large=true"),
    ("phase_transition", ["grid.N=[30000]", "grid.s=[5]", "grid.P=[30000]"],
     r"largest cell \(N = 30000, P = 30000\) needs about .* GiB per trial"),
    ("deep_recovery", ["network.s=100"], r"network\.s = 100 exceeds a layer's input dimension"),
    ("deep_recovery", ["gamma=0.5"], r"gamma must be >= 1"),
    ("deep_recovery", ["schemes=[foo]"], r"schemes must list some of \['cascade', 'parallel'\]"),
    ("deep_recovery", ["network.values=foo"], r"network\.values must be one of"),
    ("prune_network", ["solver.options.max_iter=0"], r"solver\.options: max_iter must be >= 1"),
    ("prune_network", ["data.name=foo"],
     r"data\.name must be 'digits', 'mnist' or 'spirals'; got 'foo'"),
    ("prune_network", ["data.name=mnist", "data.path=/nonexistent/mnist"],
     r"MNIST path /nonexistent/mnist is neither a directory"),
]


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Every CLI case's (exit status, stderr, run folder), the command lines run one after
    another in one Python process (tests/cli_driver.py: the scripts' real entry points, with
    Python and nettrim imported once instead of 28 times)."""
    import json

    root = tmp_path_factory.mktemp("cli")
    cases = [[str(ROOT / "experiments" / f"{script}.py"),
              [*overrides, f"hydra.run.dir={root / str(i)}",
               "progress=false" if "progress=maybe" not in overrides else "figures=false"]]
             for i, (script, overrides, _) in enumerate(CLI)]
    res = subprocess.run([sys.executable, str(ROOT / "tests" / "cli_driver.py"),
                          json.dumps(cases)], capture_output=True, text=True, timeout=600,
                         cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    results = json.loads(res.stdout.splitlines()[-1])
    return [(status, err, root / str(i)) for i, (status, err) in enumerate(results)]


@pytest.mark.parametrize("case", range(len(CLI)), ids=[f"{c[0]}:{' '.join(c[1])}" for c in CLI])
def test_cli_refuses_in_one_line_before_writing(cli_runs, case):
    status, stderr, run_dir = cli_runs[case]
    message = CLI[case][2]
    assert status == 1, (status, stderr[-2000:])
    assert "Traceback" not in stderr, stderr[-3000:]
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and re.search(message, errors[0]), stderr[-2000:]
    # nothing of a run was written: no results, no parts, no config.yaml to mislead
    written = {p.name for p in run_dir.iterdir()} if run_dir.exists() else set()
    assert not written & {"config.yaml", "parts", "trials.csv", "summary.csv", "results.csv"}


# ------------------------------------------------------------------ API arrays and options
def _raises(exc, message):
    def check(call):
        with pytest.raises(exc, match=message):
            call()
    return check


def _returns(predicate):
    def check(call):
        assert predicate(call())
    return check


def _same_as_dense(res):
    dense = nettrim.prune_layer(X, Y, EPS)
    return res.converged and np.allclose(res.W, dense.W, atol=1e-6)


X32 = (100 * np.random.default_rng(1).standard_normal((8, 40))).astype(np.float32)
Y32 = np.maximum(np.random.default_rng(2).standard_normal((1, 8)).astype(np.float32) @ X32, 0)
API = [
    ("epsilon as 0-d array", lambda: nettrim.prune_layer(X, Y, np.array(EPS)),
     _returns(lambda r: r.converged and r.evaluation.feasible)),
    ("scipy sparse X", lambda: nettrim.prune_layer(scipy.sparse.csr_matrix(X), Y, EPS),
     _returns(_same_as_dense)),
    ("bias='no'", lambda: nettrim.prune_layer(X, Y, EPS, bias="no"),
     _raises(TypeError, r"bias must be true or false; got 'no'")),
    ("per_neuron=1", lambda: nettrim.prune_layer(X, Y, EPS, per_neuron=1),
     _raises(TypeError, r"per_neuron must be true or false")),
    ("linear='yes'", lambda: nettrim.prune_layer(X, Y, EPS, linear="yes"),
     _raises(TypeError, r"linear must be true or false")),
    ("gap_tol=0", lambda: nettrim.prune_layer(X, Y, EPS, gap_tol=0),
     _raises(ValueError, r"gap_tol must be > 0")),
    ("feas_tol=0", lambda: nettrim.prune_layer(X, Y, EPS, feas_tol=0),
     _raises(ValueError, r"feas_tol must be > 0")),
    ("adaptive_rho='no'", lambda: nettrim.prune_layer(X, Y, EPS, adaptive_rho="no"),
     _raises(TypeError, r"adaptive_rho must be true or false")),
    ("gram_scale=0", lambda: nettrim.prune_layer(X, Y, EPS, gram_scale=0),
     _raises(ValueError, r"gram_scale must be > 0")),
    ("polish=True", lambda: nettrim.prune_layer(X, Y, EPS, polish=True),
     _raises(ValueError, r"polish must be one of \('exact', 'always', 'never'\); got True")),
    ("ADMM on X = 0", lambda: nettrim.prune_layer(0 * X, Y, EPS),
     _raises(ValueError, r"X is zero")),
    ("X scaled by 1e-60 (tiny, not zero)", lambda: nettrim.prune_layer(1e-60 * X, Y, EPS),
     _returns(lambda r: r.converged and r.evaluation.feasible)),
    ("X scaled by 1e-150 against Y", lambda: nettrim.prune_layer(1e-150 * X, Y, EPS),
     _raises(ValueError, r"X and Y differ in scale by a factor of [\d.]+e\+149")),
    ("gap_tol=feas_tol=1e10", lambda: nettrim.prune_layer(X, Y, EPS, gap_tol=1e10,
                                                          feas_tol=1e10),
     _raises(ValueError, r"gap_tol must be in \(0, 0.5\]: a relative gap near 1 certifies")),
    ("zero_tol=1 (erases every weight)",
     lambda: nettrim.prune_parallel(nettrim.Network([np.ones((6, 3))]), X, zero_tol=1.0),
     _raises(ValueError, r"zero_tol must be <= 0.001; got 1.0")),
    ("X scaled by 1e200", lambda: nettrim.prune_layer(1e200 * X, Y, EPS),
     _raises(ValueError, r"X has entries of magnitude [\d.]+e\+200")),
    ("Y scaled by 1e200", lambda: nettrim.prune_layer(X, 1e200 * Y, EPS),
     _raises(ValueError, r"Y has entries of magnitude")),
    ("float32 data, ε = 0, LP", lambda: nettrim.prune_layer(X32, Y32, 0.0, solver="lp"),
     _returns(lambda r: r.status == "infeasible" and "float32" in r.info["message"])),
    ("float64 of the same data, ε = 0, LP",
     lambda: nettrim.prune_layer(X32.astype(float), np.maximum(
         np.random.default_rng(2).standard_normal((1, 8)) @ X32.astype(float), 0), 0.0,
         solver="lp"), _returns(lambda r: r.converged)),
    ("epsilon as text", lambda: nettrim.prune_layer(X, Y, "0.1"),
     _raises(TypeError, r"epsilon must be a real number; got str")),
    ("epsilon array, layer form", lambda: nettrim.prune_layer(X, Y, [0.1, 0.1, 0.1]),
     _raises(ValueError, r"per-neuron budgets .* need per_neuron=True")),
    ("per-neuron epsilon wrong length",
     lambda: nettrim.prune_layer(X, Y, [0.1, 0.1], per_neuron=True),
     _raises(ValueError, r"epsilon must have shape \(M,\) = \(3,\)")),
    ("V of the wrong shape", lambda: nettrim.prune_layer(X, Y, EPS, V=np.zeros((2, 40))),
     _raises(ValueError, r"V must have the shape of Y")),
    ("X of strings", lambda: nettrim.prune_layer(X.astype(str), Y, EPS),
     _raises(TypeError, r"X must be a numeric")),
    ("ragged X", lambda: nettrim.prune_layer([[1.0, 2.0], [3.0]], Y, EPS),
     _raises(TypeError, r"X must be a numeric 2-D array")),
    ("complex X", lambda: nettrim.prune_layer(X + 1j, Y, EPS),
     _raises(TypeError, r"X must be a numeric \(integer or float\) array; got dtype complex")),
    ("boolean X", lambda: nettrim.prune_layer(X > 0, Y, EPS),
     _raises(TypeError, r"X must be a numeric \(integer or float\) array; got dtype bool")),
    ("solver not a name", lambda: nettrim.prune_layer(X, Y, EPS, solver=3),
     _raises(TypeError, r"solver must be a solver name")),
    ("max_iter=2.5", lambda: nettrim.prune_layer(X, Y, EPS, max_iter=2.5),
     _raises(TypeError, r"max_iter must be an integer")),
    ("alpha=2", lambda: nettrim.prune_layer(X, Y, EPS, alpha=2),
     _raises(ValueError, r"alpha must be < 2")),
    ("rho=-1", lambda: nettrim.prune_layer(X, Y, EPS, rho=-1),
     _raises(ValueError, r"rho must be > 0")),
    ("LP option typo", lambda: nettrim.prune_layer(X, Y, 0.0, solver="lp",
                                                   options={"max_iter": 5}),
     _raises(ValueError, r"unknown HiGHS option\(s\) \['max_iter'\]")),
    ("cvxpy backend not installed",
     lambda: nettrim.prune_layer(X, Y, EPS, solver="cvxpy", cvx_solver="NOPE"),
     _raises(ValueError, r"cvx_solver 'NOPE' is not installed")),
    ("W0 of the wrong shape", lambda: nettrim.prune_layer(X, Y, EPS, W0=np.zeros((2, 2))),
     _raises(ValueError, r"W0 must have shape \(N, M\) = \(6, 3\)")),
    ("planted law unknown", lambda: planted_weights(RNG, 10, 2, values="foo"),
     _raises(ValueError, r"values must be one of")),
    ("trial success_tol=0", lambda: run_trial(N=10, s=2, P=20, trial=0, base_seed=0,
                                              sampler=gaussian, success_tol=0),
     _raises(ValueError, r"success_tol must be > 0")),
    ("trial seed=-1", lambda: run_trial(N=10, s=2, P=20, trial=0, base_seed=-1,
                                        sampler=gaussian),
     _raises(ValueError, r"seed must be >= 0")),
    ("sweep seed=-1", lambda: run_sweep(expand_grid(10, [2], [20]), trials=1, base_seed=-1,
                                        sampler=gaussian, progress=False),
     _raises(ValueError, r"seed must be >= 0")),
    ("sweep trials as text", lambda: run_sweep(expand_grid(10, [2], [20]), trials="3",
                                               base_seed=0, sampler=gaussian),
     _raises(TypeError, r"trials must be an integer; got str")),
    ("sweep sampler not callable", lambda: run_sweep(expand_grid(10, [2], [20]), trials=1,
                                                     base_seed=0, sampler="gaussian"),
     _raises(TypeError, r"sampler must be a callable")),
    ("sweep cells lack P", lambda: run_sweep(pd.DataFrame({"N": [10], "s": [2]}), trials=1,
                                             base_seed=0, sampler=gaussian),
     _raises(ValueError, r"missing \['P'\]")),
    ("sweep too large", lambda: run_sweep(expand_grid(10, [2], [20]), trials=2_000_000,
                                          base_seed=0, sampler=gaussian),
     _raises(ValueError, r"above the limit .* allow_large")),
    ("grid P_mode unknown", lambda: expand_grid(10, [2], [20], P_mode="x"),
     _raises(ValueError, r"P_mode must be one of")),
    ("grid negative P", lambda: expand_grid(10, [2], [-1]),
     _raises(ValueError, r"P values must be positive")),
    ("P50 inputs of unequal length", lambda: fit_p50([10, 20], [1]),
     _raises(ValueError, r"same length")),
    ("pilot trial fails before writing", lambda: run_sweep(
        expand_grid(10, [2], [20]), trials=1, base_seed=0, sampler=_broken_sampler,
        progress=False), _raises(ValueError, r"pilot trial .* failed before the sweep started")),
]


def _broken_sampler(rng, N, P):
    return np.full((N, P), np.nan)


@pytest.mark.parametrize("what, call, check", API, ids=[a[0] for a in API])
def test_api_edge(what, call, check):
    check(call)


# ------------------------------------------------------------------------------ data files
def _idx(path, array, magic_type=0x08):
    header = bytes([0, 0, magic_type, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())
    return path


def _npz(path, **arrays):
    base = {"x_train": np.zeros((4, 3, 3)), "y_train": np.arange(4),
            "x_test": np.zeros((2, 3, 3)), "y_test": np.arange(2)}
    np.savez(path, **{**base, **arrays})
    return path


def _data_cases(tmp: Path):
    good = np.arange(12).reshape(3, 2, 2)
    gz_trunc = tmp / "trunc.gz"
    gz_trunc.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 100)[:-12])
    (tmp / "notgz.gz").write_bytes(b"plain bytes")
    (tmp / "garbage").write_bytes(b"\xff\xfe garbage")
    raw = _idx(tmp / "short", good).read_bytes()
    (tmp / "short").write_bytes(raw[:-3])
    (tmp / "headonly").write_bytes(b"\x00\x00\x08\x03\x00\x00")
    (tmp / "notzip.npz").write_bytes(b"not a zip archive")
    idx_dir = tmp / "idxdir"
    idx_dir.mkdir()
    _idx(idx_dir / "train-images-idx3-ubyte", good)
    return [
        ("IDX garbage", lambda: read_idx(tmp / "garbage"), r"garbage is not an IDX file"),
        ("IDX truncated data", lambda: read_idx(tmp / "short"), r"short: the header promises"),
        ("IDX truncated header", lambda: read_idx(tmp / "headonly"),
         r"headonly: truncated IDX header"),
        ("IDX missing", lambda: read_idx(tmp / "absent"), r"absent cannot be read"),
        ("gzip that is not gzip", lambda: read_idx(tmp / "notgz.gz"),
         r"notgz\.gz cannot be read as an IDX file \(gzip\)"),
        ("truncated gzip", lambda: read_idx(gz_trunc), r"trunc\.gz cannot be read"),
        ("npz not a zip", lambda: load_mnist(tmp / "notzip.npz"),
         r"notzip\.npz cannot be read as an \.npz archive"),
        ("npz lacks arrays", lambda: load_mnist(_write(tmp / "lack.npz", x_train=np.zeros(3))),
         r"lack\.npz lacks the arrays"),
        ("npz images and labels swapped", lambda: load_mnist(_npz(
            tmp / "swap.npz", x_train=np.arange(4), y_train=np.zeros((4, 3, 3)))),
         r"swap\.npz:x_train must hold numeric images .*swapped"),
        ("npz NaN images", lambda: load_mnist(_npz(
            tmp / "nan.npz", x_train=np.full((4, 3, 3), np.nan))),
         r"nan\.npz:x_train holds 36 NaN/Inf pixels"),
        ("npz one-hot labels", lambda: load_mnist(_npz(tmp / "onehot.npz",
                                                       y_train=np.eye(4))),
         r"onehot\.npz:y_train must hold one integer class label per image .*one-hot"),
        ("npz fractional labels", lambda: load_mnist(_npz(tmp / "frac.npz",
                                                          y_train=np.full(4, 0.5))),
         r"frac\.npz:y_train must hold integer class labels"),
        ("npz counts differ", lambda: load_mnist(_npz(tmp / "count.npz", y_train=np.arange(3))),
         r"count\.npz:x_train has 4 images but .*y_train has 3 labels"),
        ("npz negative labels", lambda: load_mnist(_npz(tmp / "neg.npz",
                                                        y_train=-np.arange(1, 5))),
         r"neg\.npz:y_train holds negative labels"),
        ("IDX directory incomplete", lambda: load_mnist(idx_dir),
         r"idxdir holds no train-labels-idx1-ubyte"),
    ]


def _write(path, **arrays):
    np.savez(path, **arrays)
    return path


DATA_IDS = [c[0] for c in _data_cases(Path("/nonexistent"))] if False else [
    "IDX garbage", "IDX truncated data", "IDX truncated header", "IDX missing",
    "gzip that is not gzip", "truncated gzip", "npz not a zip", "npz lacks arrays",
    "npz images and labels swapped", "npz NaN images", "npz one-hot labels",
    "npz fractional labels", "npz counts differ", "npz negative labels",
    "IDX directory incomplete"]


@pytest.mark.parametrize("which", DATA_IDS)
def test_data_file_errors_name_the_file(tmp_path, which):
    cases = {c[0]: c for c in _data_cases(tmp_path)}
    _, call, message = cases[which]
    with pytest.raises(ValueError, match=message):
        call()


# -------------------------------------------------------------------------- results folders
SMALL = dict(cells=expand_grid(12, [2], [10, 30]), trials=3, base_seed=0, sampler=gaussian,
             chunk_size=2, progress=False)


def test_folder_with_other_finished_run_is_refused_untouched(tmp_path):
    from omegaconf import OmegaConf

    OmegaConf.save(OmegaConf.create({"seed": 0, "trials": 20}), tmp_path / "config.yaml")
    before = (tmp_path / "config.yaml").read_bytes()
    with pytest.raises(ValueError, match=r"holds a finished run with a different "
                                         r"configuration \(trials: 20 → 2\)"):
        check_same_run(tmp_path, OmegaConf.create({"seed": 0, "trials": 2, "n_jobs": 4}))
    check_same_run(tmp_path, OmegaConf.create({"seed": 0, "trials": 20, "n_jobs": 4}))
    assert (tmp_path / "config.yaml").read_bytes() == before


def test_damaged_config_yaml_is_named(tmp_path):
    (tmp_path / "config.yaml").write_text("seed: [unclosed\n")
    with pytest.raises(ValueError, match=r"config\.yaml cannot be read .* cannot be identified"):
        check_same_run(tmp_path, {"seed": 0})


def test_empty_part_is_named_and_recomputed(tmp_path, caplog):
    ref = run_sweep(out_dir=tmp_path, **SMALL)
    (tmp_path / "parts" / "chunk_000001.csv").write_text("")
    with caplog.at_level("WARNING", logger="nettrim.suite.sweep"):
        again = run_sweep(out_dir=tmp_path, **SMALL)
    assert re.search(r"recomputing .*chunk_000001\.csv: no part header", caplog.text)
    pd.testing.assert_frame_equal(ref.drop(columns="time"), again.drop(columns="time"))


def test_part_of_another_seed_after_the_spec_was_deleted_is_refused(tmp_path):
    run_sweep(out_dir=tmp_path, **SMALL)
    with pytest.raises(ValueError, match=r"chunk_000000\.csv was written by a run with a "
                                         r"different configuration"):
        run_sweep(out_dir=tmp_path, **{**SMALL, "base_seed": 1})


def test_overlay_names_runs_without_summary_and_damaged_summaries(tmp_path):
    src = ROOT / "results" / "phase_transition" / "multirun_prediction"
    runs = tmp_path / "multirun"
    for law in ("gaussian", "uniform"):
        shutil.copytree(src / f"sampling={law}", runs / law,
                        ignore=shutil.ignore_patterns("*.png", "*.pdf", "trials.csv"))
    (runs / "uniform" / "summary.csv").unlink()
    script = ROOT / "experiments" / "figures.py"
    res = subprocess.run([sys.executable, str(script), str(runs), "--out",
                          str(tmp_path / "overlay")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert re.search(r"warning: skipped .*uniform: it has no summary\.csv", res.stdout)
    (runs / "gaussian" / "summary.csv").write_text("garbage\x00\n\"unclosed")
    res = subprocess.run([sys.executable, str(script), str(runs), "--out",
                          str(tmp_path / "overlay2")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert re.search(r"gaussian/summary\.csv (is not a readable summary table|lacks the "
                     r"summary columns)", res.stderr)


def test_a_cached_model_of_another_network_config_is_retrained(tmp_path, caplog):
    """prune_network in the same folder with another network.hidden: the cached model (and,
    through the parts' identity, every pruning of it) is not reused."""
    from nettrim.suite.models import model_key, train_classifier

    data = {"name": "digits", "seed": 0}
    small = {"hidden": [8], "max_iter": 5, "seed": 0}
    path = tmp_path / "model.joblib"
    a = train_classifier(data, small, path)
    assert train_classifier(data, small, path).weights[0].shape == a.weights[0].shape
    with caplog.at_level("WARNING"):
        b = train_classifier(data, {**small, "hidden": [12]}, path)
    assert b.weights[0].shape == (64, 12) and "retraining" in caplog.text
    assert model_key(data, small) != model_key(data, {**small, "hidden": [12]})


def test_a_model_path_that_does_not_fit_the_trainer_is_refused_before_training(tmp_path):
    """A torch network saved as .joblib (or an sklearn one as .npz) was found out only after
    training, by a FileNotFoundError on a temporary file: now a ValueError up front."""
    from nettrim.suite.models import train_classifier

    data = {"name": "digits", "seed": 0}
    for network, path in [({"trainer": "torch", "hidden": [8]}, "model.joblib"),
                          ({"hidden": [8], "max_iter": 5}, "model.npz")]:
        with pytest.raises(ValueError, match=r"path must end in '\.(npz|joblib)'"):
            train_classifier(data, network, tmp_path / path)
        assert not any(tmp_path.iterdir())


def test_a_captured_run_log_has_plain_lines_and_the_summary(tmp_path):
    run_dir = tmp_path / "run"
    res = subprocess.run([sys.executable, str(ROOT / "experiments" / "phase_transition.py"),
                          "grid.N=[30]", "grid.s=[2]", "trials=4", "figures=false",
                          f"hydra.run.dir={run_dir}"], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "\r" not in res.stdout + res.stderr          # no progress-bar frames in a log
    log = (run_dir / "phase_transition.log").read_text()
    for line in ("sweep: 26 cells × 4 trials", "estimate:", "progress: 104/104 trials",
                 "summary (P50 measured against", "written to"):
        assert line in log, log
    # the same run again, a runtime key aside: nothing is recomputed or rewritten (issue 29:
    # a fresh clone's rerun rewrote a committed run's timings, config.yaml, figures and log)
    files = {f: f.read_bytes() for f in run_dir.rglob("*") if f.is_file() and f.name != ".claim"}
    res = subprocess.run([sys.executable, str(ROOT / "experiments" / "phase_transition.py"),
                          "grid.N=[30]", "grid.s=[2]", "trials=4", "figures=false",
                          "progress=false", f"hydra.run.dir={run_dir}"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "nothing to do" in res.stdout and "already holds this finished run" in res.stdout
    assert {f: f.read_bytes() for f in run_dir.rglob("*")
            if f.is_file() and f.name != ".claim"} == files


def test_a_sweep_estimated_above_the_time_limit_is_refused_unless_allowed(monkeypatch,
                                                                          tmp_path):
    import nettrim.suite.sweep as sweep

    monkeypatch.setattr(sweep, "MAX_CORE_HOURS", 1e-12)
    with pytest.raises(ValueError, match=r"estimated at about .* core-hours .* allow_large"):
        run_sweep(out_dir=tmp_path, **SMALL)
    assert not (tmp_path / "parts").exists()          # refused before anything was written
    assert len(run_sweep(out_dir=tmp_path, allow_large=True, **SMALL)) == 6


def test_import_nettrim_loads_neither_the_suite_nor_heavy_backends():
    """The pruning library imports numpy/scipy only; cvxpy, pandas, Hydra, matplotlib, torch
    and statsmodels are imported where they are used (issue 14, first slice); the public
    submodules (baselines, export, solvers) are reachable as attributes all the same."""
    code = ("import sys, nettrim; print(' '.join(m for m in ('cvxpy', 'pandas', 'hydra', "
            "'omegaconf', 'matplotlib', 'torch', 'statsmodels', 'joblib', 'sklearn', 'tqdm', "
            "'nettrim.suite') if m in sys.modules)); "
            "assert callable(nettrim.baselines.wanda_prune); "
            "assert callable(nettrim.export.save_sparse)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "", f"import nettrim loaded: {res.stdout}"


#: What a core install (no extras) lacks; ``sys.modules[m] = None`` makes importing it fail and
#: ``importlib.util.find_spec`` report it missing, as on a machine without it.
EXTRAS = ("cvxpy", "clarabel", "matplotlib", "hydra", "omegaconf", "tqdm", "statsmodels",
          "sklearn", "torch")

CORE_ONLY = f"""
import sys
for m in {EXTRAS!r}:
    sys.modules[m] = None
import numpy as np, nettrim
rng = np.random.default_rng(0)
X = rng.standard_normal((30, 200))
W = rng.standard_normal((30, 5)) * (rng.random((30, 5)) < 0.2)
Y = np.maximum(W.T @ X, 0)
out = []
for solver, eps in (("admm", 0.01 * np.linalg.norm(Y)), ("lp", 0.0), ("auto", 0.0)):
    out.append(nettrim.prune_layer(X, Y, eps, solver=solver).status)
net = nettrim.Network([rng.standard_normal((8, 6)), rng.standard_normal((6, 3))],
                      [np.zeros(6), np.zeros(3)])
res = nettrim.prune_cascade(net, rng.standard_normal((8, 100)), gain=0.05)
out += [str(res.converged), str(len(res.report))]
out.append(",".join(nettrim.available_solvers()))
try:
    nettrim.prune_layer(X, Y, 0.1, solver="cvxpy")
except ImportError as e:
    out.append(str(e))
print("|".join(out))
"""


def test_core_install_prunes_without_any_extra():
    """numpy/scipy/threadpoolctl/pandas/joblib (the core dependencies) are enough to prune a
    layer with ADMM and the LP and a network with the cascade; the cvxpy solver, whose backend
    is an extra, is not listed as available and says what to install."""
    res = subprocess.run([sys.executable, "-c", CORE_ONLY], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    fields = res.stdout.strip().split("|")
    assert fields[:5] == ["converged"] * 3 + ["True", "2"], fields
    assert fields[5] == "admm,auto,lp"
    assert "needs cvxpy" in fields[6] and "pip install" in fields[6]


def test_a_model_cache_shares_a_trained_model_between_folders(tmp_path, monkeypatch):
    """model_cache: a second run folder takes the model trained by the first (same key) without
    retraining; a different network key is not served from it."""
    from nettrim.suite import models

    data = {"name": "digits", "seed": 0}
    small = {"hidden": [8], "max_iter": 5, "seed": 0}
    cache = tmp_path / "cache"
    a = models.train_classifier(data, small, tmp_path / "a" / "model.joblib", cache=cache)
    assert len(list(cache.iterdir())) == 2                 # the model and its weights
    monkeypatch.setattr(models, "fit_relu_mlp",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("retrained")))
    (tmp_path / "b").mkdir()
    b = models.train_classifier(data, small, tmp_path / "b" / "model.joblib", cache=cache)
    assert np.array_equal(a.weights[0], b.weights[0])
    assert (tmp_path / "b" / "model.npz").is_file() and (tmp_path / "b" / "model.key").is_file()
    with pytest.raises(AssertionError, match="retrained"):
        models.train_classifier(data, {**small, "hidden": [9]},
                                     tmp_path / "b" / "model.joblib", cache=cache)


@pytest.mark.parametrize("name", ["phase_transition", "prune_network", "solver_agreement"])
def test_a_misspelled_experiment_is_refused_not_run_as_the_default(name):
    from hydra import compose, initialize_config_dir
    from hydra.errors import MissingConfigException

    conf = Path(__file__).resolve().parents[1] / "conf"
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        compose(config_name=name)                                  # no experiment: the default
        with pytest.raises(MissingConfigException, match="experiment/mnist_fcc"):
            compose(config_name=name, overrides=["experiment=mnist_fcc"])


def test_cells_without_a_fit_are_drawn_as_intervals_not_crashes(tmp_path):
    """Issue 29: a cell whose failures and successes share a P made the figure step die with
    "'yerr' must not contain negative values" on every rerun."""
    from nettrim.suite import plots
    from nettrim.suite.summary import summarize

    rng = np.random.default_rng(0)
    rows = []
    for s, rate in ((5, {60: 0.85, 80: 1, 100: 1, 120: 1}),        # tie at 60: separated
                    (10, {60: 0.1, 80: 0.4, 100: 0.7, 120: 0.9})):  # a proper curve
        for P, p in rate.items():
            rows += [{"N": 100, "s": s, "P": P, "trial": t, "success": bool(rng.random() < p),
                      "active_fraction": 0.5} for t in range(20)]
    trials = pd.DataFrame(rows)
    trials.loc[(trials["s"] == 5) & (trials["P"] == 60), "success"] = [True] * 17 + [False] * 3
    summary = summarize(trials)
    tie = summary[summary["s"] == 5].iloc[0]
    assert tie["fit"] == "separated" and np.isnan(tie["p50"]) and np.isnan(tie["ratio"])
    for fig in (plots.phase_diagram(trials, summary), plots.collapse(summary),
                plots.overlay({"run": summary})):
        plots.save(fig, tmp_path / "f", formats=("png",))

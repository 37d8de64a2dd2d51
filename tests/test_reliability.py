"""Bad input gives one clear message; killed sweeps resume exactly; failures are data; the same
config gives the same table across n_jobs, backends (local, Dask) and resumes."""

import os
import re
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiment_scripts import load
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import nettrim
from nettrim.network import Network
from nettrim.suite.planted import planted_weights
from nettrim.suite.sampling import sampler_from_config
from nettrim.suite.summary import success_rates, summarize
from nettrim.suite.sweep import expand_grid, run_sweep
from nettrim.suite.sweep_config import sweep_from_config

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 20))
Y = np.maximum(RNG.standard_normal((3, 20)), 0)

# (what is wrong, call, message that must name it)
BAD_INPUT = [
    ("X not 2-D", lambda: nettrim.prune_layer(np.ones(5), Y, 0.1), r"X must be 2-D"),
    ("X and Y disagree on P", lambda: nettrim.prune_layer(X[:, :10], Y, 0.1),
     r"same number of samples"),
    ("NaN in X", lambda: nettrim.prune_layer(np.where(X > 2, np.nan, X), Y, 0.1),
     r"X must be finite"),
    ("Inf in Y", lambda: nettrim.prune_layer(X, np.where(Y > 1, np.inf, Y), 0.1),
     r"Y must be finite"),
    ("negative epsilon", lambda: nettrim.prune_layer(X, Y, -1.0), r"epsilon must be >= 0"),
    ("NaN epsilon", lambda: nettrim.prune_layer(X, Y, np.nan), r"epsilon must be finite"),
    ("negative Y", lambda: nettrim.prune_layer(X, -Y - 1, 0.1), r"Y must be a ReLU output"),
    ("empty Ω", lambda: nettrim.prune_layer(X, 0 * Y, 0.1), r"active set Ω is empty"),
    ("P = 0", lambda: nettrim.prune_layer(np.zeros((5, 0)), np.zeros((3, 0)), 0.1),
     r"X must be non-empty"),
    ("s > N (grid)", lambda: expand_grid(10, [20], [30]), r"no s in \[20\] fits N"),
    ("s > N (planted)", lambda: planted_weights(RNG, 10, 20), r"s must be <= N"),
    ("unknown sampling", lambda: sampler_from_config({"name": "foo"}), r"unknown sampler 'foo'"),
    ("built-in name on another sampler", lambda: sampler_from_config(
        {"name": "rademacher", "_target_": "nettrim.suite.sampling.gaussian"}),
     r"sampling=rademacher"),
    ("unknown solver", lambda: nettrim.prune_layer(X, Y, 0.1, solver="foo"),
     r"unknown solver 'foo'"),
    ("unknown solver option", lambda: nettrim.prune_layer(X, Y, 0.1, max_itr=3),
     r"unknown option.*max_itr.*'admm'"),
    ("LP with ε > 0", lambda: nettrim.prune_layer(X, Y, 0.1, solver="lp"),
     r"'lp' solver handles only .* epsilon = 0"),
    ("empty grid", lambda: expand_grid([], [2], [30]), r"N must list at least one value"),
    ("no trials", lambda: run_sweep(expand_grid(10, [2], [30]), trials=0, base_seed=0,
                                    sampler=None), r"trials must be >= 1"),
    ("network input rows", lambda: Network([np.ones((3, 2))]).forward(np.ones((4, 5))),
     r"X must have 3 rows"),
    ("unknown parallel backend", lambda: sweep_from_config({
        "sampling": {"name": "gaussian"}, "solver": {"name": "lp"}, "trials": 1, "seed": 0,
        "grid": {"N": 10, "s": 2, "P": 20}, "parallel": {"name": "spark"}}),
     r"parallel.name must be one of"),
]


@pytest.mark.parametrize("what, call, message", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_gives_one_clear_message_from_our_code(what, call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    # raised by nettrim's own validation, not from deep inside numpy, scipy or cvxpy
    origin = traceback.extract_tb(info.value.__traceback__)[-1].filename
    assert f"{os.sep}nettrim{os.sep}" in origin, origin


BAD_CONFIG = [
    ("grid.N=[10,", r"no viable alternative at input"),        # malformed override
    ("solver=foo", r"Could not find 'solver/foo'"),             # unknown config-group option
    ("trials=-1", r"error: trials must be >= 1; got -1"),       # bad value, our validation
    ("grid.s=[500]", r"error: the grid is empty"),              # s > N in the config
]


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """(exit status, stderr, run folder) of each BAD_CONFIG command line, then of one whose
    results folder cannot be created (under a file): the real entry point, run one after
    another in one Python process (tests/cli_driver.py)."""
    import json

    root = tmp_path_factory.mktemp("cli")
    (root / "a_file").write_text("")
    dirs = [root / str(i) for i in range(len(BAD_CONFIG))] + [root / "a_file" / "run"]
    args = [[override, "progress=false"] for override, _ in BAD_CONFIG] + [[]]
    script = str(ROOT / "experiments" / "phase_transition.py")
    cases = [[script, [*a, f"hydra.run.dir={d}"]] for a, d in zip(args, dirs)]
    res = subprocess.run([sys.executable, str(ROOT / "tests" / "cli_driver.py"),
                          json.dumps(cases)], capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    results = json.loads(res.stdout.splitlines()[-1])
    return [(status, err, d) for (status, err), d in zip(results, dirs)]


@pytest.mark.parametrize("case", range(len(BAD_CONFIG)), ids=[c[0] for c in BAD_CONFIG])
def test_cli_reports_bad_config_in_one_message(cli_runs, case):
    status, stderr, run_dir = cli_runs[case]
    assert status != 0
    assert "Traceback" not in stderr, stderr
    assert any(re.search(BAD_CONFIG[case][1], line) for line in stderr.splitlines()), stderr
    # a failed run leaves no config.yaml to be taken for the description of results there
    assert not (run_dir / "config.yaml").exists()


def test_cli_refuses_an_unwritable_results_directory(cli_runs):
    status, stderr, run_dir = cli_runs[-1]
    assert status == 1 and "Traceback" not in stderr
    assert f"cannot write results to {run_dir}" in stderr


SWEEP = {"sampling": {"name": "gaussian"}, "solver": {"name": "lp"}, "trials": 6, "seed": 4,
         "grid": {"N": 30, "s": [2, 5], "P": [10, 25, 40]}, "chunk_size": 4, "progress": False}


def _table(df):
    return df.drop(columns="time").reset_index(drop=True)


def test_same_table_across_n_jobs_backends_and_resumes(tmp_path):
    pytest.importorskip("distributed")
    ref = _table(sweep_from_config({**SWEEP, "n_jobs": 1}))
    loky = _table(sweep_from_config({**SWEEP, "n_jobs": 2}))
    dask = _table(sweep_from_config({**SWEEP, "parallel": {"name": "dask", "n_workers": 2}}))
    # resumed: a first run loses some chunks (as if killed), the second finishes the rest on Dask
    sweep_from_config({**SWEEP, "n_jobs": 2}, out_dir=tmp_path)
    parts = sorted((tmp_path / "parts").glob("chunk_*.csv"))
    for f in parts[::2]:
        f.unlink()
    resumed = _table(sweep_from_config({**SWEEP, "parallel": {"name": "dask", "n_workers": 2}},
                                       out_dir=tmp_path))
    for other in (loky, dask, resumed):
        pd.testing.assert_frame_equal(ref, other)


def test_sigkilled_sweep_resumes_to_the_uninterrupted_table(tmp_path):
    args = ["grid.N=[60]", "grid.s=[2,4,6,8]", "grid.P=[20,40,60,80,100,120]", "trials=8",
            "chunk_size=4", "n_jobs=1", "progress=false", "figures=false"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(ROOT / "experiments" / "phase_transition.py"),
                             *args, f"hydra.run.dir={killed}"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while len(list((killed / "parts").glob("chunk_*.csv"))) < 3:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.time() < deadline, "no chunk written in 120 s"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((killed / "parts").glob("chunk_*.csv")))
    assert not (killed / "trials.csv").exists() and done < 4 * 6 * 8 / 4
    # the resume and the uninterrupted run in this process: only the kill needs a CLI
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="phase_transition", overrides=args)
    for run_dir in (killed, tmp_path / "whole"):
        load("phase_transition").run(cfg, run_dir)
    a = pd.read_csv(killed / "trials.csv")
    b = pd.read_csv(tmp_path / "whole" / "trials.csv")
    assert len(a) == 4 * 6 * 8 and not a.duplicated(["N", "s", "P", "trial", "solver"]).any()
    pd.testing.assert_frame_equal(_table(a), _table(b))


def test_failed_solves_are_rows_counted_apart():
    cfg = {**SWEEP, "solver": {"name": "admm", "options": {"max_iter": 5}}, "trials": 3,
           "grid": {"N": 20, "s": [2], "P": [15, 40]}, "n_jobs": 1}
    trials = sweep_from_config(cfg)
    assert (trials["status"] == "max_iter").all() and trials["success"].isna().all()
    rates = success_rates(trials)
    assert (rates["undecided"] == 3).all() and rates["rate"].isna().all()
    assert (summarize(trials)["undecided"] == 6).all()
    from nettrim.suite import plots
    fig = plots.phase_diagram(trials, summarize(trials))
    assert any("6 undecided (unconverged) trials left out" in t.get_text() for t in fig.texts)


def test_parallel_configs_compose():
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        local = compose(config_name="phase_transition")
        dask = compose(config_name="deep_recovery", overrides=["parallel=dask"])
    assert local.parallel.name == "local"
    assert OmegaConf.to_container(dask.parallel) == {
        "name": "dask", "address": None, "n_workers": 2, "threads_per_worker": 1}


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d))
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed(tmp_path):
    """kill -9 of the parent alone (the OOM killer's way): its loky workers, busy in a
    sweep, end within seconds (issue 29: they went on running, each holding a core)."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "experiments" / "phase_transition.py"),
                             "grid.N=[60]", "grid.s=[2,4,6,8]", "grid.P=[20,40,60,80,100,120]",
                             "trials=40", "chunk_size=6", "n_jobs=2", "progress=false",
                             "figures=false", f"hydra.run.dir={tmp_path / 'run'}"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while len(list((tmp_path / "run" / "parts").glob("chunk_*.csv"))) < 1:
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)
    workers = [c for c in _children(proc.pid)
               if b"popen_loky" in Path(f"/proc/{c}/cmdline").read_bytes()]
    assert len(workers) == 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 15
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.time() < deadline:
        time.sleep(0.2)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()]
    for w in alive:
        os.kill(w, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived their parent by 15 s"


def test_one_list_of_runtime_keys():
    """The keys that do not change results are runs.RUNTIME_KEYS: the multirun folder names
    (hydra's exclude_keys) leave out exactly those of them the config has, besides the
    experiment and tag that name the run anyway; and no runtime key becomes a table column."""
    from hydra import compose, initialize_config_dir

    from nettrim.suite.runs import RUNTIME_KEYS
    from nettrim.suite.sweep_config import _constant_columns

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="phase_transition", return_hydra_config=True)
    excluded = set(cfg.hydra.job.config.override_dirname.exclude_keys)
    plain = OmegaConf.to_container(cfg)
    plain.pop("hydra")
    assert excluded - {"experiment", "tag"} == set(RUNTIME_KEYS) & set(plain)
    columns = _constant_columns(plain, "gaussian", [nettrim.LP()])
    assert not set(columns) & set(RUNTIME_KEYS)


def test_save_table_leaves_a_file_that_holds_the_table_to_round_off(tmp_path):
    """A redraw of an unchanged table leaves the committed file alone: numbers within rtol,
    and an empty text cell, which CSV reads back as missing, equal to itself."""
    from nettrim.suite.summary import save_table

    table = pd.DataFrame({"series": ["a", "b"], "note": ["", "half"], "value": [1.0, 2.0]})
    path = tmp_path / "t.csv"
    assert save_table(table, path)
    written = path.read_bytes()
    assert not save_table(table.assign(value=[1.0 + 1e-12, 2.0]), path)
    assert path.read_bytes() == written
    assert save_table(table.assign(value=[1.001, 2.0]), path)           # beyond round-off
    assert save_table(table.assign(note=["", "whole"]), path)           # other text

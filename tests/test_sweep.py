"""Trials and sweeps: determinism across n_jobs and resumes, failures as data, grid expansion."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nettrim.suite.sampling import gaussian
from nettrim.suite.sweep import expand_grid, run_sweep
from nettrim.suite.theory import predicted_p50, s_log_n_over_s
from nettrim.suite.trial import run_trial

SMALL = expand_grid(30, [2, 4], [15, 30, 45])


def _same(a, b):
    cols = [c for c in a.columns if c != "time"]  # wall time is the one thing that may differ
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))


def test_expand_grid_modes():
    assert len(SMALL) == 6 and set(SMALL.columns) == {"N", "s", "P"}
    g = expand_grid([50, 100], [2, 80], [1.0], P_mode="slog")
    assert list(g.itertuples(index=False, name=None)) == [
        (50, 2, round(s_log_n_over_s(2, 50))), (100, 2, round(s_log_n_over_s(2, 100))),
        (100, 80, round(s_log_n_over_s(80, 100)))]          # s = 80 > N = 50 is dropped
    g = expand_grid(100, [0.05], [0.5, 1.0], P_mode="p50", s_mode="fraction")
    assert list(g["s"]) == [5, 5]
    assert list(g["P"]) == [round(0.5 * predicted_p50(5, 100)), round(predicted_p50(5, 100))]


@pytest.mark.parametrize("kwargs,match", [
    (dict(N=[], s=[1], P=[10]), "N must list"),
    (dict(N=10, s=[], P=[10]), "grid is empty"),
    (dict(N=10, s=[20], P=[10]), "grid is empty"),
    (dict(N=10, s=[2], P=[-1]), "P values must be positive"),
    (dict(N=10, s=[2], P=[5], P_mode="bogus"), "P_mode"),
])
def test_expand_grid_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        expand_grid(**kwargs)


def test_table_identical_for_n_jobs_1_and_2():
    a = run_sweep(SMALL, trials=6, base_seed=3, sampler=gaussian, n_jobs=1, chunk_size=5,
                  progress=False)
    b = run_sweep(SMALL, trials=6, base_seed=3, sampler=gaussian, n_jobs=2, chunk_size=4,
                  progress=False)
    assert len(a) == 36 and a["status"].eq("converged").all()
    _same(a, b)
    # and success rises with P, as it must for any sane sweep
    rate = a.groupby("P")["success"].mean()
    assert rate.iloc[-1] > rate.iloc[0]


def test_resume_skips_done_chunks_and_matches(tmp_path, caplog):
    full = run_sweep(SMALL, trials=5, base_seed=1, sampler=gaussian, chunk_size=4,
                     out_dir=tmp_path, progress=False)
    parts = sorted((tmp_path / "parts").glob("chunk_*.csv"))
    assert len(parts) == 8  # 30 trials in chunks of 4
    for f in parts[::2]:
        f.unlink()            # as if killed before these were written
    kept = {f: f.stat().st_mtime_ns for f in parts[1::2]}
    with caplog.at_level("INFO", logger="nettrim.suite.sweep"):
        resumed = run_sweep(SMALL, trials=5, base_seed=1, sampler=gaussian, chunk_size=4,
                            out_dir=tmp_path, progress=False)
    assert "resuming: 4 of 8 chunks already done" in caplog.text
    assert all(f.stat().st_mtime_ns == t for f, t in kept.items())  # reused, not rewritten
    _same(full, resumed)
    with pytest.raises(ValueError, match=r"chunk_\d{6}.csv was written by a run with a "
                                         "different configuration"):
        run_sweep(SMALL, trials=5, base_seed=2, sampler=gaussian, chunk_size=4,
                  out_dir=tmp_path, progress=False)


def test_unconverged_and_failing_solves_are_their_own_status():
    import nettrim

    @nettrim.register("crash_for_test")
    def crash(problem):
        raise RuntimeError("the backend fell over")

    try:
        rows = run_trial(N=40, s=3, P=40, trial=0, base_seed=0, sampler=gaussian,
                         solvers=[("lp", {}), nettrim.ADMM(max_iter=3), "crash_for_test"])
    finally:
        nettrim.solvers.SOLVERS.unregister("crash_for_test")
    lp, admm, bad = rows
    assert lp["status"] == "converged" and lp["success"] in (True, False)
    assert admm["status"] == "max_iter" and admm["success"] is None
    assert bad["status"] == "error" and "RuntimeError: the backend fell over" in bad["message"]
    assert bad["success"] is None and np.isnan(bad["rel_error"])
    assert lp["diff_vs_lp"] == 0.0 and np.isnan(lp["diff_vs_crash_for_test"])
    assert admm["diff_vs_lp"] == lp["diff_vs_admm"] > 0
    # a solver that does not exist is a configuration error, refused before any draw
    with pytest.raises(ValueError, match="unknown solver 'nope'"):
        run_trial(N=40, s=3, P=40, trial=0, base_seed=0, sampler=gaussian, solvers=["nope"])


def test_trial_is_a_function_of_its_seed():
    kw = dict(N=30, s=3, P=25, base_seed=9, sampler=gaussian)
    a, b, c = (run_trial(trial=t, **kw)[0] for t in (0, 0, 1))
    assert a["rel_error"] == b["rel_error"] and a["active"] == b["active"]
    assert (a["rel_error"], a["active"]) != (c["rel_error"], c["active"])


def test_no_active_sample_gives_zero_solution():
    # P = 1 sample with y = 0 happens half the time; find such a trial
    for t in range(20):
        row = run_trial(N=10, s=2, P=1, trial=t, base_seed=0, sampler=gaussian)[0]
        if row["active"] == 0:
            assert row["status"] == "converged" and row["success"] is False
            assert row["rel_error"] == pytest.approx(1.0)
            return
    pytest.fail("no trial without an active sample in 20 draws")


def test_a_run_folder_is_held_by_one_live_process_and_freed_when_it_dies(tmp_path):
    """Issue 29: two runs started together into one folder both "succeeded", each writing
    part of it. A second claim is refused at once, naming the holder; killing the holder
    frees the folder (no stale lock)."""
    import signal
    import subprocess
    import sys
    import time

    from nettrim.suite.runs import FolderInUse, claim_folder, release_folder

    folder = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from nettrim.suite.runs import claim_folder;"
         f" claim_folder({str(folder)!r}); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderInUse, match=f"pid {holder.pid}"):
            claim_folder(folder)
        cli = subprocess.run(
            [sys.executable, str(Path(__file__).resolve().parents[1] / "experiments" /
                                 "phase_transition.py"), f"hydra.run.dir={folder}"],
            capture_output=True, text=True, timeout=120)
        assert cli.returncode == 1 and "is in use by another run" in cli.stderr
        assert "Traceback" not in cli.stderr and not (folder / ".hydra").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    time.sleep(0.1)
    claim_folder(folder)           # the killed holder left nothing stuck
    release_folder(folder)


def test_multirun_jobs_that_differ_in_trials_or_grid_get_their_own_folders():
    """Issue 29: `-m trials=10,20` named both jobs' folders alike, so they collided."""
    from hydra import compose, initialize_config_dir

    conf = Path(__file__).resolve().parents[1] / "conf"
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        cfg = compose("phase_transition", return_hydra_config=True)
    excluded = set(cfg.hydra.job.config.override_dirname.exclude_keys)
    assert not excluded & {"trials", "grid", "grid.N", "grid.s", "grid.P", "seed", "sampling"}
    assert {"n_jobs", "progress", "chunk_size"} <= excluded     # runtime keys only


def test_a_run_killed_while_saving_its_config_leaves_none_half_written(tmp_path, monkeypatch):
    """finish_run writes config.yaml beside and renames it: a save cut short (here: it raises
    after half the text) leaves no config.yaml, so the same command is not refused ever
    after as a damaged run (issue 29)."""
    from omegaconf import OmegaConf

    from nettrim.suite.runs import check_same_run, claim_folder, finish_run

    cfg = OmegaConf.create({"trials": 3, "seed": 0})

    def cut_short(config, path):
        Path(path).write_text("trials: 3\nse")
        raise KeyboardInterrupt

    claim_folder(tmp_path)
    monkeypatch.setattr(OmegaConf, "save", cut_short)
    with pytest.raises(KeyboardInterrupt):
        finish_run(cfg, tmp_path)
    assert not (tmp_path / "config.yaml").exists()
    check_same_run(tmp_path, cfg)                         # not refused
    monkeypatch.undo()
    finish_run(cfg, tmp_path)
    assert OmegaConf.load(tmp_path / "config.yaml") == cfg


def test_a_resume_with_another_chunk_size_reads_every_finished_trial_back(tmp_path, caplog):
    """chunk_size is a runtime key (issue 29: it was listed as free, then refused on resume):
    a resume given another size keeps the size the finished parts were cut in, reads them
    all back and returns exactly the uninterrupted run's rows."""
    import os

    import nettrim.suite.sweep as sweep

    kwargs = dict(cells=SMALL, trials=4, base_seed=0, sampler=gaussian, pilot=False)
    full = run_sweep(chunk_size=5, **kwargs)
    run_sweep(out_dir=tmp_path, chunk_size=5, **kwargs)
    parts = sorted((tmp_path / "parts").glob("chunk_*.csv"))
    for f in parts[len(parts) // 2:]:                      # the run was cut off halfway
        f.unlink()
    kept = {f.name: os.stat(f).st_mtime_ns for f in parts[:len(parts) // 2]}
    with caplog.at_level("INFO", logger=sweep.__name__):
        resumed = run_sweep(out_dir=tmp_path, chunk_size=7, **kwargs)
    assert "resuming with chunk_size = 5" in caplog.text
    pd.testing.assert_frame_equal(resumed.drop(columns="time"), full.drop(columns="time"))
    for name, mtime in kept.items():                       # read back, not recomputed
        assert os.stat(tmp_path / "parts" / name).st_mtime_ns == mtime
    # a fresh folder takes the size it is given
    run_sweep(out_dir=tmp_path / "fresh", chunk_size=7, **kwargs)
    assert len(list((tmp_path / "fresh" / "parts").glob("chunk_*.csv"))) == -(-len(full) // 7)


def test_a_sampler_failing_after_the_pilot_is_data_not_a_crash(tmp_path):
    """A custom sampler that raises (any exception) on one cell, past the pilot (issue 29: a
    RuntimeError ended the sweep in a traceback): those trials are error rows naming the
    sampler, the cell and the exception; every other trial runs."""
    def fragile(rng, N, P):
        if P == 15:
            raise RuntimeError("no data for this size")
        return gaussian(rng, N, P)

    table = run_sweep(SMALL, trials=2, base_seed=0, sampler=fragile, out_dir=tmp_path,
                      chunk_size=2, n_jobs=1, progress=False)
    bad = table[table["P"] == 15]
    assert len(bad) and (bad["status"] == "error").all()
    assert bad["message"].str.contains("the sampler fragile raised RuntimeError at N = 30, "
                                       "P = 15: no data for this size").all()
    assert (table.loc[table["P"] != 15, "status"] == "converged").all()

"""The before/after table of the studies' ADMM solves (experiments/solve_times.py)."""

import subprocess

import numpy as np
import pandas as pd
import pytest

from nettrim.suite.solve_times import compare, study_solves


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _write(results, times, iterations, floor):
    d = results / "spirals" / "default"
    d.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"time": times, "iterations": iterations}).to_csv(d / "table_layers.csv")
    b = results / "solver_benchmark" / "default"
    b.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"N": [200], "M": [50], "P": [2000], "floor": [floor]}).to_csv(
        b / "scaling.csv")


def test_compare_reads_a_git_revision_against_the_working_tree(tmp_path):
    results = tmp_path / "results"
    _git(tmp_path, "init", "-q")
    before = ([1.0, 2.0, 6.0], [10, 20, 60])
    _write(results, *before, floor=1.0)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "before")
    after = ([0.5, 0.25, 0.25], [5, 5, 10])
    _write(results, *after, floor=2.0)

    table = compare(results, "HEAD")
    assert list(table["study"]) == ["spirals/default"]       # the others have no results
    row = table.iloc[0]
    assert row["time_ratio"] == pytest.approx(sum(before[0]) / sum(after[0]))
    assert row["iteration_ratio"] == pytest.approx(sum(before[1]) / sum(after[1]))
    assert row["median_before"] == np.median(before[0])
    assert row["machine_ratio"] == pytest.approx(0.5)
    assert np.isnan(row["control_ratio"])                     # spirals run no LP
    assert study_solves(results, "spirals/relaxed", "HEAD") is None
    with pytest.raises(ValueError, match="study must be one of"):
        study_solves(results, "spirals/nope")

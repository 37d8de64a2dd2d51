"""Every committed benchmark summary is what its committed timing rows give (issue 33): the
benchmarks' ``draw`` (make figures) recomputes each one into a copy of the run, to the byte."""

import shutil
from pathlib import Path

import pytest
from experiment_scripts import load

ROOT = Path(__file__).resolve().parents[1]
#: the run's derived files that draw rewrites
DERIVED = {"solver_benchmark": ["summary.md", "summary.csv"],
           "bench_scaling": ["summary.md", "exponents.csv"],
           "bench_scale": ["summary.md"], "bench_fc1": ["summary.md"],
           "bench_trace": ["summary.md"], "bench_head": ["summary.md"]}


def _benchmark_runs():
    redraw = load("redraw")
    return [(experiment, run.relative_to(ROOT / "results"))
            for folder, (experiment, marker) in redraw.STUDIES.items()
            if experiment in DERIVED
            for run in redraw.finished_runs(ROOT / "results" / folder, marker)]


RUNS = _benchmark_runs()


def test_every_benchmark_has_a_committed_run():
    assert {experiment for experiment, _ in RUNS} == set(DERIVED)


@pytest.mark.parametrize(("experiment", "run"), RUNS, ids=[str(r) for _, r in RUNS])
def test_committed_benchmark_summary_is_what_its_rows_give(experiment, run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(ROOT / "results" / run, copy)
    for name in DERIVED[experiment]:
        if name.endswith(".md"):
            (copy / name).write_text((copy / name).read_text() + "\nstale\n")
    load(experiment).draw(copy)
    for name in DERIVED[experiment]:
        assert (copy / name).read_bytes() == (ROOT / "results" / run / name).read_bytes(), name

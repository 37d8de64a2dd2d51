"""Redraw committed figures and derived tables from the committed trial tables (no solves).

    python experiments/redraw.py [--results results]                     (make figures)

Every finished run folder of the studies below is redrawn by its experiment's own ``draw``
(the code its run calls): its summary tables are recomputed from its committed table
(trials.csv; a pruning study's results.csv) and rewritten only where a number moved beyond
round-off, and its figures are drawn again, byte for byte the same when nothing changed (no
creation dates in the files), so on a clean checkout git stays clean.
Then the overlays: results/phase_transition/overlay_prediction (the multirun over laws) and
overlay_design (every run carrying the design-aware prediction).

Then the MNIST sample-size summary (results/mnist/samples, from its runs' results.csv and
the committed prediction.csv).

Covered: phase_transition, deep_recovery, solver_agreement, spirals and the pruning studies
(results/prune_network, results/mnist), the two overlays and the MNIST sample-size summary;
and the benchmarks' summaries (solver_benchmark, bench_scaling, bench_scale with its FC1
table) from their committed timing rows, which only a run measures.
The figures that draw a pruned network (weight histograms, conv filters, decision regions)
need its networks/ folder, which is not committed: without it they are left as they are.
The figures of the Monte Carlo tables in MONTE_CARLO (each law's own transition, the
per-vector prediction, the finite-size prediction, the scale study's write-up tables and
figures) are redrawn from their committed tables, which are not recomputed (intrinsic volumes
by Monte Carlo: minutes).
The scale study's cost table and collapse figure read every trial of the runs its table was
made from (TABLE_RUNS below, the Makefile's SCALE_RUNS).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import pandas as pd

#: results/<folder>/ → (the experiment script whose ``draw(run_dir)`` redraws a run there, the
#: committed file that marks its finished runs beside config.yaml)
STUDIES = {"phase_transition": ("phase_transition", "trials.csv"),
           "deep_recovery": ("deep_recovery", "trials.csv"),
           "solver_agreement": ("solver_agreement", "trials.csv"),
           "spirals": ("spirals", "sweep.csv"),
           "prune_network": ("prune_network", "original.json"),
           "mnist": ("prune_network", "original.json"),
           # the benchmarks: their summaries from their timing rows (timings are measured by
           # a run only; what is derived from them is redrawn)
           "solver_benchmark": ("solver_benchmark", "runs.csv"),
           "bench_scaling": ("bench_scaling", "runs.csv"),
           "bench_scale": ("bench_scale", "runs.csv"),
           "bench_scale/lenet_fc1": ("bench_fc1", "table.csv"),
           "bench_scale/mnist_layer1": ("bench_fc1", "table.csv"),
           "bench_scale/mnist_layer2": ("bench_fc1", "table.csv"),
           "bench_scale/trace_layer1": ("bench_trace", "trace.csv"),
           "bench_scale/head_to_head": ("bench_head", "rounds.csv")}
#: Monte Carlo tables (minutes to recompute, so only their figures are redrawn): the table's
#: stem under results/ → the experiment whose ``draw(stem)`` draws it
MONTE_CARLO = {"phase_transition/law_shapes": "law_shapes",
               "phase_transition/per_vector": "per_vector",
               "phase_transition/finite_size": "finite_size",
               "phase_transition/finite_size_demo": "finite_size",
               "phase_transition/scale": "finite_size"}
#: A Monte Carlo table made from runs (experiments/finite_size.py --widths) → those runs, under
#: results/: its cost table and collapse figure read their trials. The Makefile's SCALE_RUNS
#: (tests/test_figure_legends.py checks that the two agree).
TABLE_RUNS = {"phase_transition/scale": [
    f"phase_transition/{run}" for run in ("multirun_prediction", "multirun_scale_n400",
                                          "multirun_scale_n1000", "multirun_scale_n2000")]}
HERE = Path(__file__).resolve().parent


def _experiment(name: str):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def finished_runs(study_dir: Path, marker: str = "trials.csv") -> list[Path]:
    """Run folders under ``study_dir`` holding a config.yaml and ``marker`` (finished)."""
    return sorted(p.parent for p in study_dir.rglob("config.yaml")
                  if ".hydra" not in p.parts and (p.parent / marker).is_file())


def overlays(results: Path) -> list[tuple[list[Path], Path]]:
    """(runs, output) of each committed overlay: the law multirun, and every
    phase-transition run that carries the design-aware prediction."""
    pt = results / "phase_transition"
    out = []
    if (pt / "multirun_prediction").is_dir():
        out.append(([pt / "multirun_prediction"], pt / "overlay_prediction"))
    design = [run for run in finished_runs(pt) if "p50_design" in
              pd.read_csv(run / "summary.csv", nrows=0).columns]
    if design:
        out.append((design, pt / "overlay_design"))
    return out


def _draw(experiment: str, run: Path) -> Path:
    _experiment(experiment).draw(run)
    return run


def _overlay(runs: list[Path], out: Path) -> Path:
    _experiment("figures").main([*map(str, runs), "--out", str(out), "--table"])
    return out


def _figure(experiment: str, stem: Path, runs=None) -> Path:
    _experiment(experiment).draw(stem, *([runs] if runs else []))
    return stem


def _samples(folder: Path) -> Path:
    _experiment("mnist_samples").main([str(folder)])
    return folder


def main(argv=None) -> list[Path]:
    from joblib import Parallel, delayed

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results", help="the results folder")
    ap.add_argument("--jobs", type=int, default=-1,
                    help="worker processes (default: one per core); the files do not depend "
                         "on it")
    args = ap.parse_args(argv)
    results = Path(args.results)
    if not results.is_dir():
        raise SystemExit(f"error: {results} is not a folder")
    t0 = time.perf_counter()
    pool = Parallel(n_jobs=args.jobs)
    # the runs first: an overlay reads the summaries a run's redraw may rewrite
    done = pool(delayed(_draw)(experiment, run)
                for folder, (experiment, marker) in STUDIES.items()
                for run in finished_runs(results / folder, marker))
    samples = results / "mnist" / "samples"
    done += pool([delayed(_overlay)(runs, out) for runs, out in overlays(results)]
                 + ([delayed(_samples)(samples)] if (samples / "summary.csv").is_file()
                    else [])
                 + [delayed(_figure)(experiment, results / stem,
                                     [results / r for r in TABLE_RUNS.get(stem, [])])
                    for stem, experiment in MONTE_CARLO.items()
                    if (results / stem).with_suffix(".csv").is_file()])
    for path in done:
        print(f"redrawn: {path}")
    print(f"{len(done)} runs and overlays redrawn in {time.perf_counter() - t0:.0f} s")
    return done


if __name__ == "__main__":
    main()

"""Where an ADMM solve's iterations go: one MNIST layer's program traced test by test
(issue 32).

    python experiments/bench_trace.py [overrides]        (make bench-trace)

Solves the program of conf/bench_trace.yaml's layer (the parallel scheme's, ε = gain·‖Y‖_F on
a calibration subset of the 60,000 images) once to ``reference_tol`` for its optimum, and once
with the ADMM's options while every stopping test's iterate is read
(nettrim.suite.scale.iteration_trace): its ‖W‖₁ against the optimum, its infeasibility, the
bias repair's point, and the certificate of a run stopped there. Writes trace.csv, summary.md
and config.yaml into the run directory. Needs the MNIST cache (make mnist-data); the network is
make bench-scale's (model cache).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from nettrim.solvers.admm import check_options
from nettrim.suite import compression, models, scale
from nettrim.suite.cli import hydra_entry
from nettrim.suite.runs import finish_run, start_run

log = logging.getLogger(__name__)


def run(cfg: DictConfig, out_dir) -> pd.DataFrame:
    out_dir, config = start_run(cfg, out_dir)
    net, X_all = models.network_and_inputs(config, out_dir)
    X = X_all[:, compression.calibration_samples(X_all.shape[1], config["samples"],
                                                 config["seed"])]
    problem = scale.layer_program(net, config["layer"], X, config["gain"])
    trace = scale.iteration_trace(problem, threads=config["threads"],
                                  reference_tol=config["reference_tol"],
                                  **(config["admm"] or {}))
    trace.to_csv(out_dir / "trace.csv", index=False)
    draw(out_dir, config["admm"] or {})
    log.info((out_dir / "summary.md").read_text())
    finish_run(cfg, out_dir)
    return trace


def draw(run_dir, admm: dict | None = None) -> None:
    """summary.md from the run's trace.csv (no solves; make figures), at the tolerances of the
    ADMM options ``admm`` (read from its config.yaml unless given)."""
    run_dir = Path(run_dir)
    if admm is None:
        admm = OmegaConf.to_container(OmegaConf.load(run_dir / "config.yaml")["admm"]) or {}
    options = check_options(**admm)
    trace = pd.read_csv(run_dir / "trace.csv")
    (run_dir / "summary.md").write_text(scale.trace_summary_markdown(
        trace, options["gap_tol"], options["feas_tol"]))


main = hydra_entry(__file__, "bench_trace", run)

if __name__ == "__main__":
    main()

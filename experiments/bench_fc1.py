"""LeNet's FC1 at the authors' gain: our ADMM against their solver as their scripts run it
(issue 32).

    python experiments/bench_fc1.py [overrides]          (make bench-fc1)

For every calibration subset size P of conf/bench_fc1.yaml: the layer's program (the parallel
scheme's, ε = gain·‖Y‖_F on the P inputs) solved by our ADMM on each BLAS thread count, by
the authors' solver as shipped (ρ = 1, 300 iterations) and tuned (each ρ of
authors.tuned_rhos, stopped by an oracle at our answer; nettrim.suite.scale.layer_timing),
each answer's time, iterations, nonzeros, ‖(WᵀX − Y)_Ω‖ against ε, and the layer's relative
ReLU error on the P inputs and on all 60,000.
Writes table.csv (rewritten after every P), summary.md and config.yaml into the run directory.
Needs the MNIST cache (make mnist-data); the network is make mnist-lenet's (model cache).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from nettrim.suite import compression, models, scale
from nettrim.suite.cli import hydra_entry
from nettrim.suite.runs import finish_run, start_run

log = logging.getLogger(__name__)


def run(cfg: DictConfig, out_dir) -> pd.DataFrame:
    out_dir, config = start_run(cfg, out_dir)
    net, X_all = models.network_and_inputs(config, out_dir)
    layer, authors = config["layer"], config["authors"]
    tables = []
    for P in config["samples"]:
        X = X_all[:, compression.calibration_samples(X_all.shape[1], P, config["seed"])]
        problem = scale.layer_program(net, layer, X, config["gain"])
        errors = {"error_subset": lambda Ws, X=X: scale.layer_errors(net, layer, Ws, X),
                  "error_all": lambda Ws: scale.layer_errors(net, layer, Ws, X_all)}
        table = scale.layer_timing(problem, threads=config["threads"],
                                   authors_rho=authors["rho"],
                                   authors_iterations=authors["iterations"],
                                   tuned_rhos=authors["tuned_rhos"],
                                   tuned_budget=authors["tuned_budget"], errors=errors,
                                   **(config["admm"] or {}))
        table.insert(0, "P", P)
        log.info("P = %d:\n%s", P, table.to_string(index=False))
        tables.append(table)
        pd.concat(tables).to_csv(out_dir / "table.csv", index=False)
    runs = pd.concat(tables, ignore_index=True)
    draw(out_dir, config["gain"])
    finish_run(cfg, out_dir)
    return runs


def draw(run_dir, gain: float | None = None) -> None:
    """summary.md from the run's table.csv (no solves; make figures); the gain from its
    config.yaml unless given."""
    run_dir = Path(run_dir)
    if gain is None:
        gain = OmegaConf.load(run_dir / "config.yaml")["gain"]
    runs = pd.read_csv(run_dir / "table.csv")
    (run_dir / "summary.md").write_text(scale.layer_summary_markdown(runs, gain))


main = hydra_entry(__file__, "bench_fc1", run)

if __name__ == "__main__":
    main()

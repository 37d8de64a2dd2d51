"""How Net-Trim's time grows with the layer: a scaling table with fitted exponents (issue 32).

    python experiments/bench_scaling.py [overrides]      (make bench-scaling)

Solves, on one BLAS thread, the first two layers of the MNIST LeNet-300-100 (make mnist-fc's
network, shared through the model cache) on calibration subsets of growing size P, and the
benchmark's trained layers about a base shape with P, N or M grown one at a time; SparseGPT
(and, with obs, the exact greedy OBS) prunes each to our answer's count
(nettrim.suite.scaling). Writes runs.csv (rewritten after every layer), exponents.csv,
summary.md and config.yaml into the run directory. Needs the MNIST cache (make mnist-data).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from nettrim.suite import models, scaling
from nettrim.suite.cli import hydra_entry
from nettrim.suite.runs import finish_run, start_run
from nettrim.suite.summary import save_table

log = logging.getLogger(__name__)


def run(cfg: DictConfig, out_dir) -> pd.DataFrame:
    out_dir, config = start_run(cfg, out_dir)
    mnist, synthetic, options = config["mnist"], config["synthetic"], config["admm"] or {}
    net, X_all = models.network_and_inputs(config, out_dir)
    series = [*(scaling.subset_cases(net, layer, X_all, mnist["samples"], gain=mnist["gain"],
                                     seed=config["seed"]) for layer in mnist["layers"]),
              scaling.synthetic_cases(synthetic["base"], synthetic["axes"],
                                      family=synthetic["family"], gain=synthetic["gain"],
                                      seed=config["seed"])]
    tables = []
    for cases in series:
        for case in cases:
            tables.append(scaling.scaling_runs([case], obs=config["obs"], **options))
            log.info("%s", tables[-1].to_string(index=False, header=len(tables) == 1))
            pd.concat(tables).to_csv(out_dir / "runs.csv", index=False)
    runs = pd.concat(tables, ignore_index=True)
    draw(out_dir)
    log.info((out_dir / "summary.md").read_text())
    finish_run(cfg, out_dir)
    return runs


def draw(run_dir) -> None:
    """exponents.csv and summary.md from the run's runs.csv (no solves; make figures);
    exponents.csv is rewritten only where a number moved beyond round-off."""
    run_dir = Path(run_dir)
    runs = pd.read_csv(run_dir / "runs.csv")
    save_table(scaling.scaling_exponents(runs), run_dir / "exponents.csv")
    (run_dir / "summary.md").write_text(scaling.scaling_summary_markdown(runs))


main = hydra_entry(__file__, "bench_scaling", run)

if __name__ == "__main__":
    main()

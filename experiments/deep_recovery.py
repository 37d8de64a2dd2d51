"""Exact recovery of a planted deep ReLU network, layer by layer (parallel and cascade, ε = 0).

    python experiments/deep_recovery.py [overrides]

Tests the claim that the single-layer theory applies layer by layer (ReLU outputs of
subgaussian inputs are subgaussian). Writes into the run directory: trials.csv (one row per P,
trial, scheme and layer), rates.csv (per scheme, layer, P), layers.csv (per scheme and layer:
active fraction q, predicted P50 = δ(s, n_in+1)/q, the design-aware prediction δ(Σ^{1/2}D)/q
(nettrim.suite.cones; config key `design`), measured P50, bound held in every trial),
config.yaml and deep_recovery.{png,pdf}. See conf/deep_recovery.yaml.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from nettrim.suite import plots
from nettrim.suite.cli import hydra_entry
from nettrim.suite.cones import check_design, planted_network_prediction
from nettrim.suite.runs import finish_run, finished_config, start_run
from nettrim.suite.sampling import sampler_from_config
from nettrim.suite.summary import deep_recovery, save_table
from nettrim.suite.sweep_config import deep_sweep_from_config

log = logging.getLogger(__name__)

def run(cfg: DictConfig, out_dir) -> tuple:
    out_dir, config = start_run(cfg, out_dir)
    check_design(config.get("design"))
    trials = deep_sweep_from_config(config, out_dir)
    design = None
    if config.get("design"):
        _, sampler = sampler_from_config(config["sampling"])
        network, d = config["network"], config["design"]
        design = planted_network_prediction(
            network["sizes"], network["s"], sampler, values=network.get("values", "gaussian"),
            networks=d["networks"], samples=d["samples"], draws=d["draws"],
            seed=config["seed"], n_jobs=config["n_jobs"])
    rates, layers = deep_recovery(trials, design)
    rates.to_csv(out_dir / "rates.csv", index=False)
    layers.to_csv(out_dir / "layers.csv", index=False)
    if cfg.figures:
        _figure(trials, rates, layers, config, out_dir)
    log.info(layers.to_string(index=False, float_format="{:.3g}".format))
    log.info(f"\nbound held in every trial: {bool(trials['bound_held'].all())}")
    finish_run(cfg, out_dir)
    return trials, rates, layers


def _figure(trials, rates, layers, config: dict, out_dir) -> None:
    sizes = "-".join(str(n) for n in config["network"]["sizes"])
    title = f"{trials['sampling'].iat[0]} inputs, {sizes}, s = {config['network']['s']}"
    plots.save(plots.deep_recovery(rates, layers, title), Path(out_dir) / "deep_recovery")


def draw(out_dir) -> None:
    """Redraw a finished run from its committed files (make figures; no solves): rates.csv and
    layers.csv recomputed from trials.csv (the design-aware prediction, a Monte Carlo estimate
    of its own, taken from the committed layers.csv), then the figure."""
    out_dir, config = Path(out_dir), finished_config(out_dir)
    trials = pd.read_csv(out_dir / "trials.csv")
    old = pd.read_csv(out_dir / "layers.csv")
    cols = ["layer", "p50_design", "p50_design_q1", "p50_design_q3", "design_converged"]
    design = old[cols].drop_duplicates("layer") if "p50_design" in old else None
    rates, layers = deep_recovery(trials, design)
    save_table(rates, out_dir / "rates.csv")
    save_table(layers, out_dir / "layers.csv")
    _figure(trials, rates, layers, config, out_dir)


main = hydra_entry(__file__, "deep_recovery", run)


if __name__ == "__main__":
    main()

"""Phase transition of exact recovery (ε = 0) for a planted s-sparse ReLU neuron.

    python experiments/phase_transition.py [overrides]
    python experiments/phase_transition.py -m sampling=gaussian,rademacher,uniform grid=prediction

Writes into the run directory: trials.csv (one row per trial), summary.csv (per N, s: measured
P50 [95% CI], predicted δ/q̂, their ratio, P50/(s·log(N/s)), Theorem 3 count), config.yaml,
phase_diagram.{png,pdf} and collapse.{png,pdf}. See conf/phase_transition.yaml.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from nettrim.suite import plots
from nettrim.suite.cli import hydra_entry
from nettrim.suite.cones import with_design_prediction
from nettrim.suite.runs import finish_run, finished_config, start_run
from nettrim.suite.sampling import sampler_from_config
from nettrim.suite.summary import save_table, summarize
from nettrim.suite.sweep_config import sweep_from_config

log = logging.getLogger(__name__)

def run(cfg: DictConfig, out_dir) -> tuple:
    out_dir, config = start_run(cfg, out_dir)
    trials = sweep_from_config(config, out_dir)
    summary = summarize(trials, by=["sampling", "solver"])
    if config.get("design"):
        summary = _with_design(summary, config)
    summary.to_csv(out_dir / "summary.csv", index=False)
    if cfg.figures:
        _figures(trials, summary, config, out_dir)
    cols = ["sampling", "N", "s", "p50", "p50_lo", "p50_hi", "p50_pred", "ratio",
            *(["p50_design", "ratio_design"] if "p50_design" in summary else []),
            "p50_over_slog", "thm3", "fit", "undecided"]
    table = summary[cols].to_string(index=False, float_format="{:.3g}".format)
    log.info("summary (P50 measured against δ/q̂):\n" + table)
    finish_run(cfg, out_dir)
    return trials, summary


def _figures(trials, summary, config: dict, out_dir) -> None:
    """phase_diagram and collapse (png, pdf) of a run, from its tables."""
    title = f"{summary['sampling'].iat[0]} inputs, {config['solver']['name']}"
    sampling = config["sampling"]
    if sampling.get("cov", "identity") != "identity":
        title += f" (Σ {sampling['cov']}, r = {sampling['r']})"
    noise = config.get("noise")
    criterion = {} if noise is None else {
        "criterion": f"success: ‖ŵ − w*‖ ≤ {noise['c']:g}·ε (noise {noise['model']})"}
    plots.save(plots.phase_diagram(trials, summary, title, **criterion),
               out_dir / "phase_diagram")
    plots.save(plots.collapse(summary, title), out_dir / "collapse")


def draw(out_dir) -> None:
    """Redraw a finished run from its committed files (make figures; no solves): summary.csv
    recomputed from trials.csv (the design-aware columns, a Monte Carlo estimate of their
    own, kept as they are), then the figures."""
    out_dir, config = Path(out_dir), finished_config(out_dir)
    trials = pd.read_csv(out_dir / "trials.csv")
    old = pd.read_csv(out_dir / "summary.csv")
    summary = summarize(trials, by=["sampling", "solver"])
    keys = ["sampling", "solver", "N", "s"]
    design = [c for c in old.columns if c not in summary.columns]
    # in the committed rows' order, with their design-aware columns
    summary = old[keys + design].merge(summary, on=keys, how="left")[
        [*summary.columns, *design]]
    save_table(summary, out_dir / "summary.csv")
    _figures(trials, summary, config, out_dir)


def _with_design(summary, config):
    """The design-aware prediction per (N, s) (nettrim.suite.cones; config key `design`)."""
    planted = config.get("planted", {})
    _, sampler = sampler_from_config(config["sampling"])
    d = config["design"]
    return with_design_prediction(summary, sampler, values=planted.get("values", "gaussian"),
                                  bias=planted.get("bias", False),
                                  bias_value=planted.get("bias_value"),
                                  vectors=d["vectors"], draws=d["draws"], samples=d["samples"],
                                  seed=config["seed"])


main = hydra_entry(__file__, "phase_transition", run)


if __name__ == "__main__":
    main()

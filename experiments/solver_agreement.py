"""Do the solvers agree? The same exact-recovery trials solved by lp, admm and cvxpy.

    python experiments/solver_agreement.py [overrides]

Writes trials.csv (one row per trial and solver, with ‖ŵ − ŵ_other‖/‖w*‖ for every other
solver), agreement.csv (per solver: success decisions equal to the reference's, distances,
times), throughput.csv (solves per second per solver and N) and agreement.{png,pdf}.
See conf/solver_agreement.yaml.

With a noise model (``experiment=noisy``, conf/noise/) the trials are noisy (ε > 0, solved by
admm and cvxpy) and it also writes noise.csv (per cell: error/ε, the Gordon bound/ε, how often
the bound held; :func:`nettrim.suite.summary.noisy_recovery`), summary.csv (P50 of
‖ŵ − w*‖ ≤ c·ε), and per solver noisy_<solver>.{png,pdf} and phase_diagram_<solver>.{png,pdf}.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from nettrim.suite import plots
from nettrim.suite.cli import hydra_entry
from nettrim.suite.runs import finish_run, finished_config, start_run
from nettrim.suite.summary import (
    agreement,
    noisy_recovery,
    save_table,
    summarize,
    throughput,
)
from nettrim.suite.sweep_config import sweep_from_config

log = logging.getLogger(__name__)

def run(cfg: DictConfig, out_dir):
    out_dir, config = start_run(cfg, out_dir)
    trials = sweep_from_config(config, out_dir)
    table, speed, noise = _write(trials, config, out_dir, cfg.figures)
    if noise is not None:
        _log_bound(noise)
    log.info(table.to_string(index=False, float_format="{:.3g}".format))
    log.info("\n" + speed.to_string(index=False, float_format="{:.3g}".format))
    finish_run(cfg, out_dir)
    return trials, table


def draw(out_dir) -> None:
    """Redraw a finished run from its committed trials.csv (make figures; no solves): the
    agreement, throughput, noise and summary tables (rewritten only where a number moved
    beyond round-off) and the figures (if the run drew them)."""
    out_dir = Path(out_dir)
    config = finished_config(out_dir)
    _write(pd.read_csv(out_dir / "trials.csv"), config, out_dir, config.get("figures", True))


def _write(trials, config, out_dir, figures):
    """The run's tables and (``figures``) figures from its trials; (agreement, throughput,
    noise or None)."""
    reference = config["reference"]
    table = agreement(trials, reference)
    save_table(table, out_dir / "agreement.csv")
    speed = throughput(trials)
    save_table(speed, out_dir / "throughput.csv")
    noisy = config.get("noise") is not None
    noise = summary = None
    if noisy:
        noise = noisy_recovery(trials)
        save_table(noise, out_dir / "noise.csv")
        summary = summarize(trials, by=["sampling", "solver"])
        save_table(summary, out_dir / "summary.csv")
    if figures:
        others = [n for n in trials["solver"].unique() if n != reference]
        pairs = [(o, reference) for o in others]
        if {"admm", "cvxpy"} <= set(others):
            pairs.append(("admm", "cvxpy"))
        title = f"{trials['sampling'].iat[0]} inputs"
        plots.save(plots.agreement(trials, pairs, title,
                                   success_tol=None if noisy else config["success_tol"]),
                   out_dir / "agreement")
        if noisy:
            _noisy_figures(trials, summary, config["noise"], out_dir, title)
    return table, speed, noise


def _log_bound(noise):
    for solver, g in noise.groupby("solver", sort=False):
        log.info("%s: Gordon bound held in %d of %d judged trials (converged, w* feasible, "
                 "above the transition), with the 95%% deviation in %d of %d; w* feasible in "
                 "%.1f%% of trials", solver, g["held"].sum(), g["judged"].sum(),
                 g["held_95"].sum(), g["judged_95"].sum(),
                 100 * (g["feasible"] * g["trials"]).sum() / g["trials"].sum())


def _noisy_figures(trials, summary, noise, out_dir, title):
    """Per solver: error/ε against the bound, and the phase diagram of ‖ŵ − w*‖ ≤ c·ε."""
    c = noise["c"]
    for solver in trials["solver"].unique():
        plots.save(plots.noisy_recovery(trials, solver, c, title), out_dir / f"noisy_{solver}")
        plots.save(plots.phase_diagram(trials[trials["solver"] == solver],
                                       summary[summary["solver"] == solver],
                                       f"{solver}, noise {noise['model']}",
                                       criterion=f"success: ‖ŵ − w*‖ ≤ {c:g}·ε"),
                   out_dir / f"phase_diagram_{solver}")


main = hydra_entry(__file__, "solver_agreement", run)


if __name__ == "__main__":
    main()

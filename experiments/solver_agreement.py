"""Do the solvers agree? The same exact-recovery trials solved by lp, admm and cvxpy.

    python experiments/solver_agreement.py [overrides]

Writes trials.csv (one row per trial and solver, with ‖ŵ − ŵ_other‖/‖w*‖ for every other
solver), agreement.csv (per solver: success decisions equal to the reference's, distances,
times), throughput.csv (solves per second per solver and N) and agreement.{png,pdf}.
See conf/solver_agreement.yaml.
"""

from __future__ import annotations

import logging

from omegaconf import DictConfig

from nettrim.suite import plots
from nettrim.suite.cli import hydra_entry
from nettrim.suite.summary import agreement, throughput
from nettrim.suite.sweep import finish_run, start_run, sweep_from_config

log = logging.getLogger(__name__)

def run(cfg: DictConfig, out_dir):
    out_dir, config = start_run(cfg, out_dir)
    trials = sweep_from_config(config, out_dir)
    table = agreement(trials, cfg.reference)
    table.to_csv(out_dir / "agreement.csv", index=False)
    speed = throughput(trials)
    speed.to_csv(out_dir / "throughput.csv", index=False)
    if cfg.figures:
        others = [n for n in trials["solver"].unique() if n != cfg.reference]
        pairs = [(o, cfg.reference) for o in others]
        if {"admm", "cvxpy"} <= set(others):
            pairs.append(("admm", "cvxpy"))
        plots.save(plots.agreement(trials, pairs, f"{trials['sampling'].iat[0]} inputs"),
                   out_dir / "agreement")
    log.info(table.to_string(index=False, float_format="{:.3g}".format))
    log.info("\n" + speed.to_string(index=False, float_format="{:.3g}".format))
    finish_run(cfg, out_dir)
    return trials, table


main = hydra_entry(__file__, "solver_agreement", run)


if __name__ == "__main__":
    main()

"""Solver benchmark: our ADMM vs the paper's fixed-ρ ADMM and cvxpy, at equal accuracy.

    python experiments/solver_benchmark.py [overrides]        (make bench)

For each family × size × gain (conf/solver_benchmark.yaml) runs every contender of
:func:`nettrim.suite.benchmark.benchmark_problem` and writes into the run directory: runs.csv (one
row per run), summary.csv and summary.md (one row per problem: times, iterations, speed
ratios), scaling.csv (our per-iteration time against the two-product floor) and config.yaml.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from omegaconf import DictConfig
from threadpoolctl import threadpool_limits

from nettrim.suite import benchmark
from nettrim.suite.cli import hydra_entry
from nettrim.suite.parts import Progress
from nettrim.suite.summary import markdown_table
from nettrim.suite.sweep import finish_run, start_run

log = logging.getLogger(__name__)

def run(cfg: DictConfig, out_dir) -> tuple:
    out_dir, config = start_run(cfg, out_dir)
    cases = [(f, *size, g) for size in config["sizes"] for f in config["families"]
             for g in config["gains"]]
    runs, scaling = [], []
    bar = Progress(len(cases), unit="problem", every=0.0)
    for family, N, M, P, gain in cases:
        problem, _ = benchmark.layer_problem(family, N, M, P, gain, seed=config["seed"])
        table = benchmark.benchmark_problem(
            problem, rhos=config["rhos"], rtol=config["rtol"],
            baseline_max_iter=config["baseline"]["max_iter"],
            baseline_budget=config["baseline"]["budget"],
            cvxpy_budget=config["cvxpy"]["budget"],
            run_cvxpy=N * M * P <= config["cvxpy"]["max_nmp"], admm_options=config["admm"])
        table.insert(0, "family", family)
        table.insert(1, "N", N)
        table.insert(2, "M", M)
        table.insert(3, "P", P)
        table.insert(4, "gain", gain)
        runs.append(table)
        ours = table[table["method"] == "admm"].iloc[0]
        with threadpool_limits(limits=1, user_api="blas"):
            floor = benchmark.product_floor(N, M, P)
        scaling.append({"family": family, "N": N, "M": M, "P": P, "NMP": N * M * P,
                        "time": ours["time"], "iterations": ours["iterations"],
                        "per_iteration": ours["time"] / ours["iterations"],
                        "floor": floor})
        pd.concat(runs).to_csv(out_dir / "runs.csv", index=False)  # keep what is finished
        bar.update(1)
    bar.close()
    runs = pd.concat(runs, ignore_index=True)
    summary = benchmark.summarize(runs)
    scaling = pd.DataFrame(scaling)
    scaling["per_iteration_over_floor"] = scaling["per_iteration"] / scaling["floor"]
    summary.to_csv(out_dir / "summary.csv", index=False)
    scaling.to_csv(out_dir / "scaling.csv", index=False)
    (out_dir / "summary.md").write_text(_markdown(summary))
    log.info(_markdown(summary))
    log.info(scaling.to_string(index=False, float_format="{:.3g}".format))
    if scaling["NMP"].nunique() > 1:
        log.info(f"\nfitted exponent, time ∝ (N·M·P)^a: per iteration a = "
              f"{benchmark.fit_exponent(scaling['NMP'], scaling['per_iteration']):.2f}, "
              f"total a = {benchmark.fit_exponent(scaling['NMP'], scaling['time']):.2f}")
    finish_run(cfg, out_dir)
    return runs, summary, scaling


def _markdown(summary: pd.DataFrame) -> str:
    """The write-up's table (results/solver_benchmark/README.md): a time that missed the target
    reads '> t' (ran that long, no target)."""
    def t(value, met):
        return "–" if not np.isfinite(value) else f"{'' if met else '> '}{value:.3g} s"

    def ratio(value, met):
        return "–" if not np.isfinite(value) else f"{'≥ ' if not met else ''}{value:.1f}×"

    header = ["family", "N, M, P", "ADMM (its)", "ρ = 1 (its)", "best ρ (its)", "cvxpy",
              "vs ρ = 1", "vs best ρ", "vs cvxpy"]
    rows = [[r.family, f"{r.N}, {r.M}, {r.P}", f"{t(r.admm_time, r.admm_met)} ({r.admm_its})",
             f"{t(r.rho1_time, r.rho1_met)} ({r.rho1_its})",
             f"ρ={r.best_rho:g}: {t(r.best_time, r.best_met)} ({r.best_its})",
             t(r.cvxpy_time, r.cvxpy_met), ratio(r.speedup_vs_rho1, r.rho1_met),
             ratio(r.speedup_vs_best_rho, r.best_met), ratio(r.speedup_vs_cvxpy, r.cvxpy_met)]
            for r in summary.itertuples()]
    return markdown_table(header, rows)


main = hydra_entry(__file__, "solver_benchmark", run)


if __name__ == "__main__":
    main()

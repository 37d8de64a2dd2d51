"""Solver benchmark: our ADMM against the authors' released ADMM and cvxpy, at equal accuracy.

    python experiments/solver_benchmark.py [overrides]        (make bench)

For each problem of conf/solver_benchmark.yaml (family, N, M, P) runs every contender of
:func:`nettrim.suite.benchmark.benchmark_problem` and writes into the run directory: runs.csv (one
row per run, rewritten after every problem), summary.csv and summary.md (one row per problem:
times, iterations, speed-ups), scaling.csv (per-iteration times against the two-product floor)
and config.yaml.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from nettrim.suite import benchmark
from nettrim.suite.cli import hydra_entry
from nettrim.suite.parts import Progress
from nettrim.suite.runs import finish_run, start_run
from nettrim.suite.summary import markdown_table, save_table

log = logging.getLogger(__name__)


def run(cfg: DictConfig, out_dir) -> tuple:
    out_dir, config = start_run(cfg, out_dir)
    cases = [(*_problem_spec(spec), gain) for spec in config["problems"]
             for gain in config["gains"]]
    runs, scaling = [], []
    bar = Progress(len(cases), unit="problem", every=0.0)
    for family, N, M, P, gain in cases:
        problem, _ = benchmark.layer_problem(family, N, M, P, gain, seed=config["seed"])
        P = problem.P                      # the digits hold 1,797 samples
        table = benchmark.benchmark_problem(
            problem, rhos=config["rhos"], authors_rhos=config["authors_rhos"],
            rtol=config["rtol"], reference_tol=config["reference_tol"],
            baseline_max_iter=config["baseline"]["max_iter"],
            baseline_budget=config["baseline"]["budget"],
            cvxpy_budget=config["cvxpy"]["budget"],
            run_cvxpy=N * M * P <= config["cvxpy"]["max_nmp"], admm_options=config["admm"],
            at_target=config.get("at_target", False), oracle=config.get("oracle", False))
        for i, (name, value) in enumerate(zip(("family", "N", "M", "P", "gain"),
                                              (family, N, M, P, gain))):
            table.insert(i, name, value)
        runs.append(table)
        scaling.append(_per_iteration(table, problem, config["admm"], N, M, P))
        pd.concat(runs).to_csv(out_dir / "runs.csv", index=False)  # keep what is finished
        bar.update(1)
    bar.close()
    runs = pd.concat(runs, ignore_index=True)
    scaling = pd.DataFrame(scaling)
    scaling.to_csv(out_dir / "scaling.csv", index=False)
    summary = draw(out_dir)
    log.info(_markdown(summary))
    log.info(scaling.to_string(index=False, float_format="{:.3g}".format))
    finish_run(cfg, out_dir)
    return runs, summary, scaling


def draw(run_dir) -> pd.DataFrame:
    """summary.csv and summary.md from the run's runs.csv and scaling.csv (no solves; make
    figures; the per-iteration timings of scaling.csv are measurements, read as they are);
    summary.csv is rewritten only where a number moved beyond round-off."""
    run_dir = Path(run_dir)
    summary = benchmark.summarize(pd.read_csv(run_dir / "runs.csv"))
    scaling = pd.read_csv(run_dir / "scaling.csv")
    save_table(summary, run_dir / "summary.csv")
    (run_dir / "summary.md").write_text(_markdown(summary) + "\n\n" + _scaling_markdown(scaling))
    return summary


def _problem_spec(spec) -> tuple:
    """[family, N, M, P] from the config, checked (the error names the entry)."""
    if len(spec) != 4 or spec[0] not in benchmark.FAMILIES:
        raise ValueError(f"problems: each entry must be [family, N, M, P] with family one of "
                         f"{benchmark.FAMILIES}; got {list(spec)}")
    return spec[0], *(int(v) for v in spec[1:])


def _per_iteration(table: pd.DataFrame, problem, admm_options: dict, N: int, M: int,
                   P: int) -> dict:
    """Seconds per iteration against the two N·M·P products an iteration cannot avoid: our
    ADMM's steady iteration (:func:`benchmark.steady_iteration_cost`, with the floor timed
    between its runs), the same without its stopping tests, and the whole run's time per
    iteration for ours and for the authors' solver at its best ρ (set-up included: a short
    run pays more per iteration).  N, M, P label the row as the config names the problem
    (the products use the problem's own sizes, a bias row included)."""
    steady, floor, floor32 = benchmark.steady_iteration_cost(problem, admm_options=admm_options)
    # the iteration alone: no stopping tests (so no ρ changes) within the 110 iterations
    bare, bare_floor, _ = benchmark.steady_iteration_cost(
        problem, admm_options={**admm_options, "check_every": 10**9})
    row = {"family": table["family"].iat[0], "N": N, "M": M, "P": P, "NMP": N * M * P,
           "floor": floor, "floor32": floor32, "admm_steady": steady,
           "admm_steady_over_floor": steady / floor,
           "admm_steady_over_floor32": steady / floor32,
           "admm_bare": bare, "admm_bare_over_floor": bare / bare_floor}
    for method in ("admm", "authors"):
        runs = table[table["method"] == method]
        if len(runs):
            run = benchmark.fastest(runs) if method == "authors" else runs.iloc[0]
            row[f"{method}_per_iteration"] = run["time"] / run["iterations"]
            row[f"{method}_over_floor"] = row[f"{method}_per_iteration"] / floor
    return row


def _markdown(summary: pd.DataFrame) -> str:
    """The write-up's table: a time that missed the target reads '> t' (ran that long without
    getting there) and its speed-up '≥ r×'."""
    def t(value, met):
        return "–" if not np.isfinite(value) else f"{'' if met else '> '}{value:.3g} s"

    def ratio(value, met):
        return "–" if not np.isfinite(value) else f"{'≥ ' if not met else ''}{value:.2f}×"

    authors = "authors_best_time" in summary
    header = ["family", "N, M, P", "ours (its)"]
    header += (["authors shipped (its)", "authors best ρ (its)"] if authors
               else ["ρ = 1 (its)", "best ρ (its)"])
    header += ["cvxpy", "vs shipped" if authors else "vs ρ = 1",
               "vs best ρ", "vs cvxpy"]
    variants = [(v, label) for v, label in (("target", "ours at target tol. (its)"),
                                            ("oracle", "ours, oracle stop (its)"))
                if f"admm_{v}_time" in summary and authors]
    for _, label in variants:
        header += [label, "vs best ρ"]
    first, best = ("authors_shipped", "authors_best") if authors else ("rho1", "best")
    rows = []
    for r in summary.to_dict("records"):
        speedup_best = r["speedup_vs_authors_best"] if authors else r["speedup_vs_best_rho"]
        rows.append([
            r["family"], f"{r['N']}, {r['M']}, {r['P']}",
            f"{t(r['admm_time'], r['admm_met'])} ({r['admm_its']})",
            f"{t(r[f'{first}_time'], r[f'{first}_met'])} ({r[f'{first}_its']})",
            f"ρ={r[f'{best}_rho']:g}: {t(r[f'{best}_time'], r[f'{best}_met'])} "
            f"({r[f'{best}_its']})",
            t(r["cvxpy_time"], r["cvxpy_met"]),
            ratio(r[f"speedup_vs_{first}"], r[f"{first}_met"]),
            ratio(speedup_best, r[f"{best}_met"]),
            ratio(r["speedup_vs_cvxpy"], r["cvxpy_met"])])
        for v, _ in variants:
            rows[-1] += [f"{t(r[f'admm_{v}_time'], r[f'admm_{v}_met'])} ({r[f'admm_{v}_its']})",
                         ratio(r[f"{v}_speedup_vs_authors_best"], r["authors_best_met"])]
    return markdown_table(header, rows)


def _scaling_markdown(scaling: pd.DataFrame) -> str:
    """Per-iteration cost in units of the two N·M·P products."""
    names = {"admm_steady_over_floor": "ours, one iteration / floor",
             "admm_steady_over_floor32": "ours, one iteration / float32 floor",
             "admm_bare_over_floor": "ours, without its tests / floor",
             "admm_over_floor": "ours, run time / its / floor",
             "authors_over_floor": "authors, run time / its / floor"}
    cols = [c for c in names if c in scaling]
    floors = [c for c in ("floor", "floor32") if c in scaling]
    header = (["family", "N, M, P"] + [f"{'float32 ' if c == 'floor32' else ''}floor (ms)"
                                       for c in floors] + [names[c] for c in cols])
    rows = [[r["family"], f"{r['N']}, {r['M']}, {r['P']}"] + [f"{1e3 * r[c]:.3g}" for c in floors]
            + [f"{r[c]:.2f}" for c in cols] for r in scaling.to_dict("records")]
    return markdown_table(header, rows)


main = hydra_entry(__file__, "solver_benchmark", run)


if __name__ == "__main__":
    main()

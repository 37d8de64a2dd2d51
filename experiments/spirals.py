"""The NIPS supplement's nested-spirals study: nonzeros per layer at ε_rd ≤ 0.02 (Tables S.1 and
S.2), sparsity against ε_rd for the parallel and the cascade scheme, decision regions.

    python experiments/spirals.py [overrides]          (make spirals)

Writes into the run directory: table_layers.csv (one row per network and layer), table.csv and
table.md (one row per network: nonzeros per layer before → after, reduction factors, ε_rd,
accuracies), sweep.csv (one row per network, scheme and gain), kept_at_discrepancy.csv (the two
schemes at equal ε_rd), networks/*.npz (each table network before and after),
sparsity_vs_discrepancy.{png,pdf}, decision_regions.{png,pdf} and config.yaml. Finished networks
are kept under table/parts and sweep/parts: a restart resumes. See conf/spirals.yaml.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from nettrim.suite import compression, plots, spirals_study
from nettrim.suite.cli import hydra_entry
from nettrim.suite.data import spirals_split
from nettrim.suite.parallel import backend
from nettrim.suite.runs import finish_run, finished_config, start_run
from nettrim.suite.summary import kept_at_discrepancy, markdown_table, save_table
from nettrim.suite.sweep_config import check_solver_config

log = logging.getLogger(__name__)

def run(cfg: DictConfig, out_dir) -> tuple:
    out_dir, config = start_run(cfg, out_dir)
    [solver] = check_solver_config(config)
    net_dir = out_dir / "networks"
    net_dir.mkdir(exist_ok=True)
    common = {"data": {"seed": config["seed"], **config["data"]}, "train": config["train"],
              "recipes": config["recipes"], "solver": solver}
    with backend(config.get("parallel"), config["n_jobs"]) as n_jobs:
        layers, sweep = _studies(config, out_dir, common, n_jobs)
    table, compare = _write(layers, sweep, config, out_dir, cfg.figures)
    log.info((out_dir / "table.md").read_text())
    log.info(compare.to_string(index=False, float_format="{:.3g}".format))
    log.info(f"\nbound held in every table layer: {bool(layers['bound_held'].all())}; "
          f"in every sweep pruning: {bool(sweep['bound_held'].all())}")
    finish_run(cfg, out_dir)
    return table, sweep, compare


def draw(out_dir) -> None:
    """Redraw a finished run from its committed table_layers.csv and sweep.csv (make figures;
    no pruning): table.csv, table.md, kept_at_discrepancy.csv (rewritten only where a number
    moved beyond round-off) and the figures; the decision regions only where networks/ (not
    committed) is at hand."""
    out_dir = Path(out_dir)
    config = finished_config(out_dir)
    _write(pd.read_csv(out_dir / "table_layers.csv"), pd.read_csv(out_dir / "sweep.csv"),
           config, out_dir, config.get("figures", True))


def _write(layers, sweep, config, out_dir, figures):
    """The run's tables and (``figures``) figures from its layer rows and gain sweep;
    (table, kept_at_discrepancy)."""
    save_table(layers, out_dir / "table_layers.csv")
    table = spirals_study.layer_table(layers)
    save_table(table, out_dir / "table.csv")
    (out_dir / "table.md").write_text(_markdown(table, config))
    save_table(sweep, out_dir / "sweep.csv")
    compare = kept_at_discrepancy(sweep, config["sweep"]["levels"])
    save_table(compare, out_dir / "kept_at_discrepancy.csv")
    if not figures:
        return table, compare
    n_bad = int((~sweep["converged"].astype(bool)).sum())
    plots.save(plots.sparsity_vs_discrepancy(
        sweep, config["target"],
        f"nested spirals, {config['data']['n_train']} training points; "
        f"{n_bad} of {len(sweep)} prunings with an unconverged layer"),
        out_dir / "sparsity_vs_discrepancy")
    plots.save(plots.per_neuron_vs_features(
        table, config["supplement"]["layer2_after"],
        f"2·H·H·2 spirals at ε_rd ≤ {config['target']:g}; creases equal within "
        f"{config['features']['angle_tol']:g} rad and {config['features']['offset_tol']:g}"),
        out_dir / "per_neuron_vs_features")
    b, net_dir = config["boundary"], out_dir / "networks"
    try:
        original, pruned = spirals_study.load_pair(net_dir, b["H"], b["recipe"],
                                                   config["table"]["seed"])
    except FileNotFoundError:
        log.info("the networks are not in %s (not committed): the decision regions are left "
                 "as they are", net_dir)
        return table, compare
    X, y, _, _ = spirals_split(**{"seed": config["seed"], **config["data"]})
    plots.save(plots.decision_regions(
        {"trained": original, "cascade Net-Trim": pruned}, X, y,
        title=f"2·{b['H']}·{b['H']}·2, ε_rd ≤ {config['target']:g}"),
        out_dir / "decision_regions")
    return table, compare


def _studies(config, out_dir, common, n_jobs):
    """The table networks (cascade at ε_rd ≤ target) and the gain sweep, each resumable."""
    t, s = config["table"], config["sweep"]
    jobs = {"n_jobs": n_jobs, "progress": config["progress"]}
    layers = compression.run_study(
        spirals_study.target_task, [(H, r, t["seed"]) for r in t["recipes"] for H in t["H"]],
        out_dir=out_dir / "table", target=config["target"], gamma=config["gamma"],
        cap=config["cap"], features=config["features"], max_steps=t["max_steps"],
        net_dir=str(out_dir / "networks"), **common, **jobs)
    sweep = compression.run_study(
        spirals_study.gain_task, [(H, s["recipe"], seed) for H in s["H"] for seed in s["seeds"]],
        out_dir=out_dir / "sweep", gains=s["gains"], schemes=s["schemes"],
        gamma=config["gamma"], **common, **jobs)
    return layers, sweep


def _markdown(table: pd.DataFrame, config: dict) -> str:
    """The write-up's table (results/spirals/README.md), with the supplement's layer-2 count
    (Table S.1) where we have it and our per-neuron count over the supplement's."""
    sup = {int(k): v for k, v in config["supplement"]["layer2_after"].items()}
    header = ["H", "recipe", "layer 1", "layer 2", "layer 3", "layer-2 factor",
              "layer 2 per neuron", "distinct creases", "ε_rd", "test accuracy",
              "converged, bounds held", "Table S.1 layer 2 per neuron", "ours / S.1"]
    rows = []
    for r in table.itertuples():
        paper = sup.get(int(r.H))
        ratio = f"{r.layer2_after / paper:.2f}" if paper else "–"
        rows.append([r.H, r.recipe, f"{r.layer1_before} → {r.layer1_after}",
                     f"{r.layer2_before} → {r.layer2_after}",
                     f"{r.layer3_before} → {r.layer3_after}",
                     f"{r.layer2_factor:.1f}×", f"{r.layer2_per_neuron:.1f}",
                     r.distinct_features, f"{r.discrepancy:.4f}",
                     f"{r.acc_test_before:.3f} → {r.acc_test_after:.3f}",
                     f"{'yes' if r.converged else 'no'}, {'yes' if r.bound_held else 'NO'}",
                     f"{paper / r.H:.1f}" if paper else "–", ratio])
    return markdown_table(header, rows)


main = hydra_entry(__file__, "spirals", run)


if __name__ == "__main__":
    main()

"""Net-Trim against SparseGPT head to head: one pruning at a time, timed in alternation
(issue 32).

    python experiments/bench_head.py [overrides]         (make bench-head)

For each [P, gain] of conf/bench_head.yaml's ``settings`` (each subset size's best setting
within one point in make bench-scale), prunes the MNIST LeNet-300-100 with the parallel scheme
on that calibration subset and then with SparseGPT at the same counts, ``repeats`` rounds in
alternation (nettrim.suite.scale.head_to_head), and writes into the run directory: rounds.csv
(one row per setting and round; rewritten after every setting), summary.md and config.yaml.
Needs the MNIST cache (make mnist-data); the network is make bench-scale's (model cache).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from nettrim.suite import compression, models, scale
from nettrim.suite.cli import hydra_entry
from nettrim.suite.runs import finish_run, start_run

log = logging.getLogger(__name__)


def run(cfg: DictConfig, out_dir) -> pd.DataFrame:
    out_dir, config = start_run(cfg, out_dir)
    settings = [_setting(s) for s in config["settings"]]    # before the model is trained
    net, X_all = models.network_and_inputs(config, out_dir)
    tables = []
    for P, gain in settings:
        X = X_all[:, compression.calibration_samples(X_all.shape[1], P, config["seed"])]
        table = scale.head_to_head(net, X, gain, repeats=config["repeats"],
                                   threads=config["threads"], **(config["admm"] or {}))
        log.info("P = %d, gain %g: Net-Trim %.2f s, SparseGPT %.3f s (least of %d)", P, gain,
                 table["nettrim_time"].min(), table["sparsegpt_time"].min(), len(table))
        tables.append(table)
        pd.concat(tables).to_csv(out_dir / "rounds.csv", index=False)
    rounds = pd.concat(tables, ignore_index=True)
    draw(out_dir)
    log.info((out_dir / "summary.md").read_text())
    finish_run(cfg, out_dir)
    return rounds


def draw(run_dir) -> None:
    """summary.md from the run's rounds.csv (no solves; make figures)."""
    run_dir = Path(run_dir)
    rounds = pd.read_csv(run_dir / "rounds.csv")
    (run_dir / "summary.md").write_text(scale.head_summary_markdown(rounds))


def _setting(entry) -> tuple[int, float]:
    """[P, gain] from the config, checked (the error names the entry)."""
    if len(entry) != 2 or not float(entry[0]).is_integer() or entry[0] < 1 or entry[1] < 0:
        raise ValueError(f"settings: each entry must be [P, gain] with P a positive integer "
                         f"and gain ≥ 0; got {list(entry)}")
    return int(entry[0]), float(entry[1])


main = hydra_entry(__file__, "bench_head", run)

if __name__ == "__main__":
    main()

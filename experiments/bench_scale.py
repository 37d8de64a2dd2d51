"""Net-Trim at real scale: a six-gain sweep of the parallel scheme on the MNIST LeNet-300-100,
lever by lever (issue 32).

    python experiments/bench_scale.py [overrides]        (make bench-scale)

For every calibration subset size P of conf/bench_scale.yaml and every lever of
:data:`nettrim.suite.scale.LEVERS`, prunes the network at each gain and writes into the run
directory: runs.csv (one row per P, lever and gain: times, iterations, counts, accuracy, ε_rd
on the subset and on all 60,000 images, SparseGPT's time at the same counts; rewritten after
every sweep), summary.md and config.yaml. Needs the MNIST cache (make mnist-data); the network
is the one make mnist-fc trains, shared through the model cache.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from nettrim.suite import compression, models, scale
from nettrim.suite.cli import hydra_entry
from nettrim.suite.data import load_dataset
from nettrim.suite.runs import finish_run, start_run
from nettrim.suite.train import accuracy

log = logging.getLogger(__name__)


def run(cfg: DictConfig, out_dir) -> pd.DataFrame:
    out_dir, config = start_run(cfg, out_dir)
    for lever in config["levers"]:      # before the model is trained and the first sweep
        scale.check_lever(lever)
    model = models.model_file(out_dir, config["network"])
    net = models.train_classifier(config["data"], config["network"], model,
                                       cache=config.get("model_cache"))
    X_all, _, X_test, y_test = load_dataset(**config["data"])
    tables = []
    for P in config["samples"]:
        X = X_all[:, compression.calibration_samples(X_all.shape[1], P, config["seed"])]
        for lever in config["levers"]:
            table = scale.gain_sweep(net, X, config["gains"], lever, X_all=X_all,
                                     test=(X_test, y_test), threads=config["threads"],
                                     **(config["admm"] or {}))
            log.info("P = %d, %s: sweep %.1f s", P, lever, table["sweep_wall"].iat[0])
            tables.append(table)
            pd.concat(tables).to_csv(out_dir / "runs.csv", index=False)
    runs = pd.concat(tables, ignore_index=True)
    draw(out_dir, accuracy(net, X_test, y_test))
    log.info((out_dir / "summary.md").read_text())
    finish_run(cfg, out_dir)
    return runs


def draw(run_dir, original_acc: float | None = None) -> None:
    """summary.md from the run's runs.csv (no solves; make figures). The original network's
    test accuracy, when not given, is read from the summary's first line: runs.csv does not
    hold it, and on MNIST's 10,000 test images its four decimals are exact."""
    run_dir = Path(run_dir)
    if original_acc is None:
        first = (run_dir / "summary.md").read_text().split(";", 1)[0]
        if not first.startswith("Original test accuracy "):
            raise ValueError(f"{run_dir / 'summary.md'} does not begin with the original "
                             "accuracy; pass original_acc")
        original_acc = float(first.removeprefix("Original test accuracy "))
    runs = pd.read_csv(run_dir / "runs.csv")
    (run_dir / "summary.md").write_text(scale.summary_markdown(runs, original_acc))


main = hydra_entry(__file__, "bench_scale", run)

if __name__ == "__main__":
    main()

"""Prune a trained classifier on real data: test accuracy against compression, Net-Trim (parallel
and cascade, a grid of gains) against magnitude pruning to the same per-layer counts, with and
without masked fine-tuning.

    python experiments/prune_network.py [overrides]          (make prune)

Writes into the run directory: model.joblib / model.npz (the trained network; reused on a
restart), results.csv (one row per scheme, gain and method), summary.md, networks/*.npz (each
Net-Trim network), accuracy_vs_compression.{png,pdf}, layer_nnz.{png,pdf},
weight_histograms.{png,pdf} and config.yaml. Finished prunings are kept under parts/: a restart
resumes. See conf/prune_network.yaml.
"""

from __future__ import annotations

import logging

import pandas as pd
from omegaconf import DictConfig

from nettrim.network import Network
from nettrim.suite import compression, plots
from nettrim.suite.cli import hydra_entry
from nettrim.suite.parallel import backend
from nettrim.suite.summary import markdown_table
from nettrim.suite.sweep import check_solver_config, finish_run, start_run

log = logging.getLogger(__name__)

def run(cfg: DictConfig, out_dir) -> pd.DataFrame:
    out_dir, config = start_run(cfg, out_dir)
    check_solver_config(config)
    (out_dir / "networks").mkdir(exist_ok=True)
    model = out_dir / "model.joblib"
    net = compression.train_classifier(config["data"], config["network"], model)
    tasks = [(scheme, g) for scheme in config["schemes"] for g in config["gains"]]
    with backend(config.get("parallel"), config["n_jobs"]) as n_jobs:
        results = compression.run_study(
            compression.prune_task, tasks, out_dir=out_dir, n_jobs=n_jobs,
            progress=config["progress"], data=config["data"], model_path=str(model),
            identity={"model": compression.model_key(config["data"], config["network"])},
            gamma=config["gamma"], finetune=config["finetune"],
            net_dir=str(out_dir / "networks"), solver=config["solver"]["name"],
            **(config["solver"].get("options") or {}))
    results.to_csv(out_dir / "results.csv", index=False)
    (out_dir / "summary.md").write_text(_markdown(results, net))

    if cfg.figures:
        sizes = "·".join(str(n) for n in [net.weights[0].shape[0], *[W.shape[1]
                                                                   for W in net.weights]])
        title = f"{config['data']['name']}, {sizes} ReLU network"
        plots.save(plots.accuracy_vs_compression(results, title),
                   out_dir / "accuracy_vs_compression")
        plots.save(plots.layer_nnz(results, net.nnz(), title), out_dir / "layer_nnz")
        scheme, gain = _best_within_a_point(results)
        pruned = Network.load_npz(out_dir / "networks" / f"{scheme}_gain{gain:g}.npz")
        plots.save(plots.weight_histograms(
            net, pruned, f"{title}: {scheme} Net-Trim, gain {gain:g}"),
            out_dir / "weight_histograms")
    log.info((out_dir / "summary.md").read_text())
    finish_run(cfg, out_dir)
    return results


def _best_within_a_point(results):
    """The (scheme, gain) of the most compressed Net-Trim network within one point of the
    original test accuracy (else the most accurate one)."""
    nt = results[results["method"] == "nettrim"]
    ok = nt[nt["acc_test"] >= nt["original_acc_test"] - 0.01]
    row = (ok.loc[ok["compression"].idxmax()] if len(ok) else nt.loc[nt["acc_test"].idxmax()])
    return row["scheme"], float(row["gain"])


def _markdown(results: pd.DataFrame, net: Network) -> str:
    """The write-up's table (results/prune_network/README.md): one row per (scheme, gain),
    Net-Trim beside magnitude pruning."""
    layers = [c for c in results.columns if c.startswith("layer") and c.endswith("_nnz")]
    tuned = "acc_test_ft" in results
    header = (["scheme", "gain", "nonzeros per layer", "compression (hidden)", "ε_rd",
               "test acc. Net-Trim", "magnitude"]
              + (["Net-Trim ft", "magnitude ft"] if tuned else [])
              + ["time per layer (s)"])
    accs = ["acc_test"] + (["acc_test_ft"] if tuned else [])
    wide = results.pivot_table(index=["scheme", "gain"], columns="method", values=accs)
    rows = []
    for (scheme, gain), r in results[results["method"] == "nettrim"].set_index(
            ["scheme", "gain"]).iterrows():
        w = wide.loc[(scheme, gain)]
        times = " / ".join(f"{r[c.replace('_nnz', '_time')]:.1f}" for c in layers)
        rows.append([scheme, f"{gain:g}", " / ".join(str(int(r[c])) for c in layers),
                     f"{r['compression']:.1f}× ({r['hidden_compression']:.1f}×)",
                     f"{r['discrepancy']:.3f}",
                     *[f"{w[(a, m)]:.4f}" for a in accs for m in ("nettrim", "magnitude")],
                     times + ("" if r["converged"] else " (unconverged)")])
    original = (f"Original: {' / '.join(str(k) for k in net.nnz())} nonzeros, test accuracy "
                f"{results['original_acc_test'].iat[0]:.4f}.\n\n")
    return original + markdown_table(header, rows)


main = hydra_entry(__file__, "prune_network", run)

if __name__ == "__main__":
    main()

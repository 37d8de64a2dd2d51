"""How many training inputs Net-Trim needs on MNIST: the sample-size sweep's runs side by side.

    python experiments/mnist_samples.py [SWEEP_DIR] [--out OUT]       (make mnist-samples)

SWEEP_DIR (default results/mnist/samples) holds the runs of
``prune_network.py experiment=mnist_fc_samples`` (one folder per subset size n). Writes OUT.csv
(every run's rows with the subset size), OUT.md (nonzeros, ε_rd on the subset and on all
60,000 inputs, test accuracy, time, per n and gain) and OUT.png / OUT.pdf, with the sharp
prediction's per-neuron sample count δ(s_m, N)/q_m for layer 1 (median and 90th percentile
over neurons, s_m from the largest subset's pruning).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from nettrim.network import Network
from nettrim.suite import plots
from nettrim.suite.compression import calibration_samples, samples_needed
from nettrim.suite.data import load_dataset
from nettrim.suite.models import load_model
from nettrim.suite.summary import markdown_table, save_table


def _runs(root: Path) -> pd.DataFrame:
    frames = []
    for res in sorted(root.glob("*/results.csv")):
        if not (res.parent / "config.yaml").is_file():
            raise SystemExit(f"error: {res.parent} has results.csv but no config.yaml "
                             f"(an unfinished run)")
        frames.append(pd.read_csv(res).assign(run=res.parent.name))
    if not frames:
        raise SystemExit(f"error: no finished runs under {root} (make mnist-samples)")
    df = pd.concat(frames, ignore_index=True)
    return df[df["method"] == "nettrim"].sort_values(["gain", "samples"])


def _prediction(root: Path, df: pd.DataFrame) -> pd.DataFrame:
    """δ(s_m, N)/q_m over layer-1 neurons, at each gain's pruning on the largest subset.

    Computed from the largest run's pruned networks and model (gitignored) and kept in
    ROOT/prediction.csv (committed), which a redraw on a checkout without them reads back."""
    big = df.loc[df["samples"].idxmax(), "run"]
    run = root / big
    kept = root / "prediction.csv"
    if not (run / "networks").is_dir() or not (run / "model.npz").is_file():
        if not kept.is_file():
            raise SystemExit(f"error: {run} has no networks/ or model.npz and {kept} is missing: "
                             f"re-run make mnist-samples")
        print(f"{run} has no pruned networks: the prediction is read from {kept}")
        pred = pd.read_csv(kept)
        missing = set(df["gain"]) - set(pred["gain"])
        if missing:
            raise SystemExit(f"error: {kept} has no prediction for gain(s) {sorted(missing)}")
        return pred
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    X = load_dataset(**cfg["data"])[0]
    X = X[:, calibration_samples(X.shape[1], 20000, 1)]     # q̂ on 20,000 other draws
    net = load_model(run / "model.npz")[0]
    rows = []
    for gain in sorted(df["gain"].unique()):
        pruned = Network.load_npz(run / "networks" / f"parallel_gain{gain:g}.npz")
        need = samples_needed(net, pruned, X, 0)
        need = need[np.isfinite(need)]
        rows.append({"gain": gain, "p_median": float(np.median(need)),
                     "p_90": float(np.percentile(need, 90))})
    pred = pd.DataFrame(rows)
    save_table(pred, kept)     # rewritten only if a number moved: a redraw leaves git clean
    return pred


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=Path("results/mnist/samples"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or args.root / "summary"
    df = _runs(args.root)
    pred = _prediction(args.root, df)
    df = df.merge(pred, on="gain")
    save_table(df, out.with_suffix(".csv"))
    layers = [c for c in df.columns if c.startswith("layer") and c.endswith("_nnz")]
    header = ["gain", "samples n", "nonzeros per layer", "compression", "ε_rd (subset)",
              "ε_rd (all 60,000)", "test accuracy", "Net-Trim time (s)",
              "δ/q̂ layer 1: median, 90% of neurons"]
    rows = [[f"{r.gain:g}", f"{int(r.samples):,}", " / ".join(str(int(getattr(r, c)))
                                                            for c in layers),
             f"{r.compression:.1f}×" + ("" if r.converged else " (not converged)"),
             f"{r.discrepancy:.3f}", f"{r.discrepancy_all:.3f}",
             f"{r.acc_test:.4f}", f"{r.prune_time:.0f}",
             f"{r.p_median:,.0f}, {r.p_90:,.0f}"] for r in df.itertuples()]
    table = markdown_table(header, rows)
    Path(out.with_suffix(".md")).write_text(table)
    plots.save(plots.samples_sweep(df), out)
    print(table)


if __name__ == "__main__":
    main()

"""Where a pruned network's accuracy goes, layer by layer: the test accuracy of the original
with only layer ℓ replaced by its pruned version, and of the pruned network with only layer ℓ
restored, for every Net-Trim network of a finished prune_network run.

    python experiments/layer_ablation.py RUN_DIR

Writes RUN_DIR/layer_ablation.csv (one row per network: scheme, gain, the pruned network's
accuracy, only<ℓ> and but<ℓ> for each layer ℓ) and RUN_DIR/layer_ablation.md. Forward passes
only: seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from nettrim.suite.compression import finished_run, layer_ablation
from nettrim.suite.data import load_dataset
from nettrim.suite.summary import markdown_table
from nettrim.suite.train import accuracy


def _markdown(df: pd.DataFrame, original: float, n_layers: int) -> str:
    header = (["scheme", "gain", "all pruned"]
              + [f"only layer {i} pruned" for i in range(1, n_layers + 1)]
              + [f"all but layer {i}" for i in range(1, n_layers + 1)])
    rows = [[r["scheme"], f"{r['gain']:g}", f"{r['acc_test']:.4f}",
             *(f"{r[f'only{i}']:.4f}" for i in range(1, n_layers + 1)),
             *(f"{r[f'but{i}']:.4f}" for i in range(1, n_layers + 1))]
            for _, r in df.iterrows()]
    return f"Original test accuracy {original:.4f}.\n\n" + markdown_table(header, rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    args = parser.parse_args(argv)
    config, nets = finished_run(args.run)
    _, _, Xt, yt = load_dataset(**config["data"])
    net = nets.pop("original")
    rows = []
    for name, pruned in nets.items():
        scheme, gain = name.rsplit("_gain", 1)
        rows.append({"scheme": scheme, "gain": float(gain),
                     "acc_test": accuracy(pruned, Xt, yt),
                     **layer_ablation(net, pruned, Xt, yt)})
    df = pd.DataFrame(rows).sort_values(["scheme", "gain"], ignore_index=True)
    df.to_csv(args.run / "layer_ablation.csv", index=False)
    md = _markdown(df, accuracy(net, Xt, yt), net.n_layers)
    (args.run / "layer_ablation.md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()

"""Where a pruned network's accuracy goes, layer by layer: the test accuracy of the original
with only layer ℓ replaced by its pruned version, and of the pruned network with only layer ℓ
restored, for every Net-Trim network of a finished prune_network run; and the accuracy of the
same pattern with its weights re-fitted by least squares (nettrim.baselines.refit_support, on
the run's calibration inputs), which separates the choice of support from the ℓ₁ shrinkage.

    python experiments/layer_ablation.py RUN_DIR

Writes RUN_DIR/layer_ablation.csv (one row per network: scheme, gain, the pruned network's
accuracy, only<ℓ> and but<ℓ> for each layer ℓ, acc_test_refit) and RUN_DIR/layer_ablation.md.
Forward passes and one small least-squares solve per neuron: seconds to minutes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from nettrim.baselines import refit_support
from nettrim.network import PATCHES
from nettrim.suite.compression import calibration_samples, layer_ablation
from nettrim.suite.data import load_dataset
from nettrim.suite.models import finished_run
from nettrim.suite.summary import markdown_table
from nettrim.suite.train import accuracy


def _markdown(df: pd.DataFrame, original: float, n_layers: int) -> str:
    header = (["scheme", "gain", "all pruned", "its pattern refit"]
              + [f"only layer {i} pruned" for i in range(1, n_layers + 1)]
              + [f"all but layer {i}" for i in range(1, n_layers + 1)])
    rows = [[r["scheme"], f"{r['gain']:g}", f"{r['acc_test']:.4f}", f"{r['acc_test_refit']:.4f}",
             *(f"{r[f'only{i}']:.4f}" for i in range(1, n_layers + 1)),
             *(f"{r[f'but{i}']:.4f}" for i in range(1, n_layers + 1))]
            for _, r in df.iterrows()]
    return f"Original test accuracy {original:.4f}.\n\n" + markdown_table(header, rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    args = parser.parse_args(argv)
    config, nets = finished_run(args.run)
    X, _, Xt, yt = load_dataset(**config["data"])
    samples = config.get("samples") or {}
    X = X[:, calibration_samples(X.shape[1], samples.get("n"), samples.get("seed", 0))]
    net = nets.pop("original")
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        for name, pruned in nets.items():
            scheme, gain = name.rsplit("_gain", 1)
            # the patch positions the study pruned on (PATCHES when the run left it unset)
            refit = refit_support(net, pruned, X, patches=config.get("patches") or PATCHES)
            rows.append({"scheme": scheme, "gain": float(gain),
                         "acc_test": accuracy(pruned, Xt, yt),
                         **layer_ablation(net, pruned, Xt, yt),
                         "acc_test_refit": accuracy(refit, Xt, yt)})
    df = pd.DataFrame(rows).sort_values(["scheme", "gain"], ignore_index=True)
    df.to_csv(args.run / "layer_ablation.csv", index=False)
    md = _markdown(df, accuracy(net, Xt, yt), net.n_layers)
    (args.run / "layer_ablation.md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()

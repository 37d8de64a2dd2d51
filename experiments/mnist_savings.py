"""Real savings of the pruned MNIST networks: size on disk (dense state_dict and .npz against
the CSR export) and CPU inference time, dense against sparse, at batch 1 and 1,000.

    python experiments/mnist_savings.py RUN_DIR [--repeats 20] [--batches 1 1000]

RUN_DIR is a finished fully connected run of experiments/prune_network.py (its model.npz or
model.joblib and networks/*.npz). Times the original and every Net-Trim network on the test
images (nettrim.suite.inference.savings; one thread, best of the repeats) and writes
RUN_DIR/savings.csv and RUN_DIR/savings.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from nettrim.suite.data import load_dataset
from nettrim.suite.inference import savings
from nettrim.suite.models import finished_run
from nettrim.suite.summary import markdown_table


def _markdown(df: pd.DataFrame) -> str:
    header = ["network", "nonzeros", "density", "state_dict (KB)", "dense .npz (KB)",
              "CSR .npz (KB)", "batch", "dense (ms)", "sparse (ms)", "sparse speed-up"]
    rows = [[r.network, f"{r.nnz:,}", f"{r.density:.3f}", f"{r.bytes_state_dict / 1e3:.0f}",
             f"{r.bytes_dense_npz / 1e3:.0f}", f"{r.bytes_sparse_npz / 1e3:.0f}", r.batch,
             f"{1e3 * r.dense_s:.3f}", f"{1e3 * r.sparse_s:.3f}", f"{r.speedup:.2f}×"]
            for r in df.itertuples()]
    return markdown_table(header, rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 1000])
    args = parser.parse_args(argv)
    config, nets = finished_run(args.run)
    _, _, Xt, _ = load_dataset(**config["data"])
    df = savings(nets, Xt, batches=args.batches, repeats=args.repeats)
    df.to_csv(args.run / "savings.csv", index=False)
    (args.run / "savings.md").write_text(_markdown(df) + "\n")
    print(_markdown(df))


if __name__ == "__main__":
    main()

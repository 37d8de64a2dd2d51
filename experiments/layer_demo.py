"""Prune one random dense ReLU layer with ADMM and with cvxpy, and print both side by side.

    python experiments/layer_demo.py [--N 100] [--M 20] [--P 600] [--gain 0.05] [--seed 0]

The layer: X (N×P) standard Gaussian, W (N×M) dense Gaussian, Y = ReLU(WᵀX), ε = gain·‖Y‖_F.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import nettrim
from nettrim.suite.planted import planted_weights, relu_response
from nettrim.suite.sampling import gaussian


def random_dense_layer(N: int, M: int, P: int, seed: int):
    """X Gaussian, W dense (an s = N planted layer), Y = ReLU(WᵀX)."""
    rng = np.random.default_rng(seed)
    W = planted_weights(rng, N, N, M)
    X = gaussian(rng, N, P)
    return X, W, relu_response(W, X)


def _at_least(low, kind=int):
    """An argparse type: ``kind`` ≥ low (finite), or a one-line usage error."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}; got {text!r}")
        if not np.isfinite(value) or value < low:
            raise argparse.ArgumentTypeError(f"must be a finite number >= {low}; got {text}")
        return value
    return parse


def main(argv=None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=_at_least(1), default=100, help="layer inputs")
    ap.add_argument("--M", type=_at_least(1), default=20, help="layer outputs (neurons)")
    ap.add_argument("--P", type=_at_least(1), default=600, help="samples")
    ap.add_argument("--gain", type=_at_least(0.0, float), default=0.05, help="ε = gain·‖Y‖_F")
    ap.add_argument("--seed", type=_at_least(0), default=0)
    ap.add_argument("--solvers", nargs="+", default=["admm", "cvxpy"],
                    choices=nettrim.available_solvers(), metavar="SOLVER",
                    help=f"any of {nettrim.available_solvers()}")
    args = ap.parse_args(argv)

    X, W, Y = random_dense_layer(args.N, args.M, args.P, args.seed)
    epsilon = args.gain * np.linalg.norm(Y)
    print(f"Layer N={args.N}, M={args.M}, P={args.P}; original W: {W.size} nonzeros, "
          f"‖W‖₁ = {np.abs(W).sum():.2f}; ε = {args.gain}·‖Y‖_F = {epsilon:.4g}\n")

    rows = {}
    for name in args.solvers:
        res = nettrim.prune_layer(X, Y, epsilon, solver=name)
        rep = res.evaluation
        rows[name] = {
            "status": res.status,
            "nonzero fraction": rep.nonzero_fraction,
            "‖Ŵ‖₁": rep.l1,
            "ε": rep.epsilon,
            "‖Y − ReLU(ŴᵀX)‖_F": rep.relu_error,
            "‖(ŴᵀX − Y)_Ω‖_F": rep.omega_residual,
            "max Ωᶜ violation": rep.omega_c_violation,
            "iterations": res.info.get("iterations", np.nan),
            "time [s]": res.info["time"],
        }
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.6g}".format):
        print(table.to_string())
    if {"admm", "cvxpy"} <= rows.keys():
        a, c = rows["admm"], rows["cvxpy"]
        gap = abs(a["‖Ŵ‖₁"] - c["‖Ŵ‖₁"]) / c["‖Ŵ‖₁"]
        print(f"\nrelative objective gap |admm − cvxpy|/cvxpy = {gap:.2e}; "
              f"ADMM speed-up {c['time [s]'] / a['time [s]']:.0f}×")
    return table


if __name__ == "__main__":
    main()

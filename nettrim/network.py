"""A fully connected ReLU network in the paper's orientation, and conversions at its edges.

Layer ℓ maps Y⁽ℓ⁻¹⁾ (n_{ℓ−1}×P, one sample per column) to Y⁽ℓ⁾ = ReLU(W_ℓᵀY⁽ℓ⁻¹⁾ + b_ℓ) with
W_ℓ of shape n_{ℓ−1}×n_ℓ; the last layer is linear (logits) unless ``last_relu=True``.
scikit-learn stores the same W_ℓ (``coefs_[ℓ]`` is n_in×n_out) and samples as rows: the
conversion happens here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._validation import check_matrix


@dataclass
class Network:
    """ReLU network: ``weights[ℓ]`` is n_{ℓ−1}×n_ℓ, ``biases[ℓ]`` has n_ℓ entries."""

    weights: list
    biases: list = field(default=None)
    last_relu: bool = False

    def __post_init__(self):
        self.weights = [check_matrix(W, f"weights[{i}]") for i, W in enumerate(self.weights)]
        if not self.weights:
            raise ValueError("weights must hold at least one layer")
        if self.biases is None:
            self.biases = [np.zeros(W.shape[1]) for W in self.weights]
        if len(self.biases) != len(self.weights):
            raise ValueError(f"biases has {len(self.biases)} entries for "
                             f"{len(self.weights)} layers")
        self.biases = [np.asarray(b, float).reshape(-1) for b in self.biases]
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            if b.shape != (W.shape[1],):
                raise ValueError(f"biases[{i}] must have {W.shape[1]} entries; got {b.shape}")
            if i and W.shape[0] != self.weights[i - 1].shape[1]:
                raise ValueError(f"weights[{i}] has {W.shape[0]} rows but layer {i - 1} has "
                                 f"{self.weights[i - 1].shape[1]} outputs")

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    def is_relu(self, layer: int) -> bool:
        """Whether layer ``layer`` (0-based) ends in a ReLU."""
        return layer < self.n_layers - 1 or self.last_relu

    def layer_output(self, layer: int, Y_in: np.ndarray) -> np.ndarray:
        Z = self.weights[layer].T @ Y_in + self.biases[layer][:, None]
        return np.maximum(Z, 0.0) if self.is_relu(layer) else Z

    def forward(self, X) -> list[np.ndarray]:
        """All signals [Y⁽⁰⁾ = X, Y⁽¹⁾, ..., Y⁽ᴸ⁾] for inputs X (n₀×P)."""
        X = check_matrix(X, "X")
        if X.shape[0] != self.weights[0].shape[0]:
            raise ValueError(f"X must have {self.weights[0].shape[0]} rows (features × "
                             f"samples); got {X.shape}")
        signals = [X]
        for layer in range(self.n_layers):
            signals.append(self.layer_output(layer, signals[-1]))
        return signals

    def nnz(self) -> list[int]:
        """Nonzero weights per layer (biases not counted)."""
        return [int(np.count_nonzero(W)) for W in self.weights]

    # ------------------------------------------------------------------ edges
    @classmethod
    def from_sklearn(cls, mlp) -> "Network":
        """From a fitted scikit-learn ``MLPClassifier``/``MLPRegressor`` with ReLU units."""
        if getattr(mlp, "activation", None) != "relu":
            raise ValueError(f"the MLP must use activation='relu'; got "
                             f"{getattr(mlp, 'activation', None)!r}")
        if not hasattr(mlp, "coefs_"):
            raise ValueError("the MLP is not fitted (no coefs_)")
        return cls([np.array(W) for W in mlp.coefs_], [np.array(b) for b in mlp.intercepts_])

    def to_sklearn(self, mlp):
        """A copy of the fitted ``mlp`` carrying this network's weights."""
        import copy

        if len(mlp.coefs_) != self.n_layers or any(
                a.shape != W.shape for a, W in zip(mlp.coefs_, self.weights)):
            raise ValueError("the MLP's layer shapes differ from this network's")
        out = copy.deepcopy(mlp)
        out.coefs_ = [W.copy() for W in self.weights]
        out.intercepts_ = [b.copy() for b in self.biases]
        return out

    def save_npz(self, path) -> None:
        arrays = {f"W{i}": W for i, W in enumerate(self.weights)}
        arrays.update({f"b{i}": b for i, b in enumerate(self.biases)})
        np.savez(path, last_relu=self.last_relu, **arrays)

    @classmethod
    def load_npz(cls, path) -> "Network":
        with np.load(Path(path)) as f:
            L = sum(1 for k in f.files if k.startswith("W"))
            return cls([f[f"W{i}"] for i in range(L)], [f[f"b{i}"] for i in range(L)],
                       last_relu=bool(f["last_relu"]))


__all__ = ["Network"]

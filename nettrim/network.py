"""A fully connected ReLU network in the paper's orientation, and conversions at its edges.

Layer ℓ maps Y⁽ℓ⁻¹⁾ (n_{ℓ−1}×P, one sample per column) to Y⁽ℓ⁾ = ReLU(W_ℓᵀY⁽ℓ⁻¹⁾ + b_ℓ) with
W_ℓ of shape n_{ℓ−1}×n_ℓ; the last layer is linear (logits) unless ``last_relu=True``.
scikit-learn stores the same W_ℓ (``coefs_[ℓ]`` is n_in×n_out), PyTorch its transpose
(``nn.Linear.weight`` is n_out×n_in): weight conversions happen here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._validation import check_matrix


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("PyTorch support needs torch: pip install torch (on this project's "
                          "machines, pip install torch==2.13.0 takes the CPU wheel on disk)") \
            from None
    return torch


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

    @classmethod
    def from_torch(cls, model) -> "Network":
        """From an ``nn.Sequential`` of Linear layers separated by ReLUs
        (``nn.Linear.weight`` is out × in; the paper's W_ℓ is its transpose)."""
        torch = _torch()
        if not isinstance(model, torch.nn.Sequential):
            raise ValueError(f"model must be a torch.nn.Sequential; got {type(model).__name__}")
        weights, biases, last_relu = [], [], False
        for i, module in enumerate(model):
            if isinstance(module, torch.nn.Linear):
                if weights and not last_relu:
                    raise ValueError(f"model[{i}]: two Linear layers without a ReLU between them")
                W = module.weight.detach().cpu().double().numpy().T
                b = (module.bias.detach().cpu().double().numpy() if module.bias is not None
                     else np.zeros(W.shape[1]))
                weights.append(W)
                biases.append(b)
                last_relu = False
            elif isinstance(module, torch.nn.ReLU):
                if not weights or last_relu:
                    raise ValueError(f"model[{i}]: a ReLU must follow a Linear layer")
                last_relu = True
            else:
                raise ValueError(f"model[{i}] is a {type(module).__name__}; only Linear and ReLU "
                                 f"layers can be pruned")
        if not weights:
            raise ValueError("model holds no Linear layer")
        return cls(weights, biases, last_relu=last_relu)

    def to_torch(self, like=None):
        """An ``nn.Sequential`` (Linear, ReLU, ..., Linear[, ReLU]) carrying these weights, in
        the dtype and on the device of ``like`` (a model) when given, else float32 on the CPU."""
        torch = _torch()
        ref = next(like.parameters()) if like is not None else None
        dtype = ref.dtype if ref is not None else torch.float32
        device = ref.device if ref is not None else "cpu"
        layers = []
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=dtype, device=device)
            with torch.no_grad():
                linear.weight.copy_(torch.as_tensor(W.T, dtype=dtype))
                linear.bias.copy_(torch.as_tensor(b, dtype=dtype))
            layers.append(linear)
            if self.is_relu(i):
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

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

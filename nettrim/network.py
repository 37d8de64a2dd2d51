"""A ReLU network in the paper's orientation, and conversions at its edges.

Layer ℓ maps Y⁽ℓ⁻¹⁾ (n_{ℓ−1}×P, one sample per column) to Y⁽ℓ⁾ = ReLU(W_ℓᵀY⁽ℓ⁻¹⁾ + b_ℓ) with
W_ℓ of shape n_{ℓ−1}×n_ℓ; the last layer is linear (logits) unless ``last_relu=True``.
scikit-learn stores the same W_ℓ (``coefs_[ℓ]`` is n_in×n_out), PyTorch its transpose
(``nn.Linear.weight`` is n_out×n_in): weight conversions happen here and nowhere else.

A convolution layer (:class:`Conv`) is the same layer program on image patches (im2col): its
W_ℓ is (C·k·k)×M, one column per output channel, each column a filter; the layer's program
inputs are the k×k×C patches around sampled pixel positions and its outputs the ReLU of the
filters there, before the max pooling. Its signal Y⁽ℓ⁾ is the pooled maps, flattened per sample
in PyTorch's (channel, row, column) order, so a dense layer can follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._validation import check_bool, check_matrix


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("PyTorch support needs torch: pip install torch (on this project's "
                          "machines, pip install torch==2.13.0 takes the CPU wheel on disk)") \
            from None
    return torch


#: Patch positions a convolution layer's program samples by default (see :meth:`Network.positions`).
PATCHES = 20_000


@dataclass(frozen=True)
class Conv:
    """Geometry of a convolution layer: stride 1, SAME zero padding, an odd square kernel,
    then max pooling over non-overlapping ``pool``×``pool`` windows (ReLU before the pooling).

    Parameters
    ----------
    in_shape : (int, int, int)
        Input maps (channels C, height H, width W).
    kernel : int
        Kernel side k (odd).
    pool : int, default 1
        Pooling window and stride (1: no pooling); must divide H and W.
    """

    in_shape: tuple
    kernel: int
    pool: int = 1

    def __post_init__(self):
        shape = tuple(int(v) for v in self.in_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"Conv in_shape must be (channels, height, width) of positive "
                             f"ints; got {self.in_shape}")
        object.__setattr__(self, "in_shape", shape)
        if int(self.kernel) != self.kernel or self.kernel < 1 or self.kernel % 2 == 0:
            raise ValueError(f"Conv kernel must be an odd positive int (SAME padding, stride "
                             f"1); got {self.kernel}")
        _, H, W = shape
        if int(self.pool) != self.pool or self.pool < 1 or H % self.pool or W % self.pool:
            raise ValueError(f"Conv pool must be a positive int dividing the maps' "
                             f"{H}×{W}; got {self.pool}")

    @property
    def n_in(self) -> int:
        """Rows of the layer's W: C·k·k."""
        return self.in_shape[0] * self.kernel ** 2

    @property
    def n_positions(self) -> int:
        """Pixel positions per sample: H·W."""
        return self.in_shape[1] * self.in_shape[2]

    def out_shape(self, M: int) -> tuple:
        """Pooled output maps (M, H/pool, W/pool)."""
        return (M, self.in_shape[1] // self.pool, self.in_shape[2] // self.pool)

    def patches(self, Y_in, positions=None) -> np.ndarray:
        """The k×k×C patches (im2col): columns (C·k·k) × positions, features in the order
        (channel, kernel row, kernel column) of PyTorch's ``weight.reshape(M, −1)``.

        Parameters
        ----------
        Y_in : array of shape (C·H·W, P)
            Input maps, one sample per column.
        positions : array of int, optional
            Flat indices into (sample, row, column) = P·H·W positions; all of them (in that
            order) by default.
        """
        C, H, W = self.in_shape
        k, r = self.kernel, self.kernel // 2
        P = Y_in.shape[1]
        maps = np.pad(Y_in.T.reshape(P, C, H, W), ((0, 0), (0, 0), (r, r), (r, r)))
        win = np.lib.stride_tricks.sliding_window_view(maps, (k, k), axis=(2, 3))
        if positions is None:                       # (P, C, H, W, k, k) → (C, k, k, P, H, W)
            return win.transpose(1, 4, 5, 0, 2, 3).reshape(self.n_in, P * H * W)
        p, h, w = np.unravel_index(np.asarray(positions), (P, H, W))
        return win[p, :, h, w].reshape(len(p), self.n_in).T

    def apply(self, W, b, Y_in, batch: int = 128) -> np.ndarray:
        """Pooled ReLU maps of the filters W (C·k·k × M) and biases b, flattened per sample
        ((M·H'·W') × P); computed ``batch`` samples at a time (the patches of a batch are
        C·k·k × batch·H·W)."""
        M = W.shape[1]
        _, H, Wd = self.in_shape
        q = self.pool
        out = np.empty((int(np.prod(self.out_shape(M))), Y_in.shape[1]))
        for s in range(0, Y_in.shape[1], batch):
            Y = Y_in[:, s:s + batch]
            B = Y.shape[1]
            Z = np.maximum(W.T @ self.patches(Y) + b[:, None], 0.0).reshape(M, B, H, Wd)
            Z = Z.reshape(M, B, H // q, q, Wd // q, q).max(axis=(3, 5))
            out[:, s:s + B] = Z.transpose(1, 0, 2, 3).reshape(B, -1).T
        return out


@dataclass
class Network:
    """ReLU network: ``weights[ℓ]`` is n_{ℓ−1}×n_ℓ, ``biases[ℓ]`` has n_ℓ entries;
    ``convs[ℓ]`` is a :class:`Conv` for a convolution layer (W_ℓ is then C·k·k × M) and None
    for a dense one (all dense by default); ``has_bias[ℓ]`` is False for a layer built
    without a bias (a PyTorch ``bias=False``): its bias stays zero through pruning, and it is
    rebuilt without one (all True by default)."""

    weights: list
    biases: list = field(default=None)
    last_relu: bool = False
    convs: list = field(default=None)
    has_bias: list = field(default=None)

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
        if self.convs is None:
            self.convs = [None] * len(self.weights)
        self.convs = list(self.convs)
        if len(self.convs) != len(self.weights):
            raise ValueError(f"convs has {len(self.convs)} entries for {len(self.weights)} "
                             f"layers (None for a dense layer)")
        if self.has_bias is None:
            self.has_bias = [True] * len(self.weights)
        self.has_bias = [check_bool(h, f"has_bias[{i}]") for i, h in enumerate(self.has_bias)]
        if len(self.has_bias) != len(self.weights):
            raise ValueError(f"has_bias has {len(self.has_bias)} entries for "
                             f"{len(self.weights)} layers")
        for i, (W, b, conv) in enumerate(zip(self.weights, self.biases, self.convs)):
            if b.shape != (W.shape[1],):
                raise ValueError(f"biases[{i}] must have {W.shape[1]} entries; got {b.shape}")
            if not self.has_bias[i] and b.any():
                raise ValueError(f"biases[{i}] must be zero: layer {i} has no bias "
                                 f"(has_bias[{i}] is False)")
            if conv is not None:
                if not isinstance(conv, Conv):
                    raise TypeError(f"convs[{i}] must be a Conv or None; got "
                                    f"{type(conv).__name__}")
                if W.shape[0] != conv.n_in:
                    raise ValueError(f"weights[{i}] of a {conv.kernel}×{conv.kernel} "
                                     f"convolution on {conv.in_shape[0]} channels must have "
                                     f"{conv.n_in} rows; got {W.shape[0]}")
                if i == len(self.weights) - 1:
                    raise ValueError("the last layer must be dense (the logits)")
            if i and W.shape[0] != self._n_in(i) and conv is None:
                raise ValueError(f"weights[{i}] has {W.shape[0]} rows but layer {i - 1} has "
                                 f"{self._n_out(i - 1)} outputs")
            if i and conv is not None and conv.in_shape != self._maps(i - 1):
                raise ValueError(f"convs[{i}].in_shape is {conv.in_shape} but layer {i - 1} "
                                 f"gives maps {self._maps(i - 1)}")

    def _n_out(self, i: int) -> int:
        """Entries of layer i's signal per sample."""
        conv, M = self.convs[i], self.weights[i].shape[1]
        return M if conv is None else int(np.prod(conv.out_shape(M)))

    def _n_in(self, i: int) -> int:
        return self._n_out(i - 1)

    def _maps(self, i: int):
        conv = self.convs[i]
        return conv.out_shape(self.weights[i].shape[1]) if conv is not None else None

    @property
    def input_size(self) -> int:
        """Features per input sample (n₀; C·H·W for a network that starts with a
        convolution)."""
        conv = self.convs[0]
        return self.weights[0].shape[0] if conv is None else int(np.prod(conv.in_shape))

    def with_weights(self, weights, biases) -> "Network":
        """A network of the same architecture carrying other weights and biases."""
        return Network(weights, biases, last_relu=self.last_relu, convs=self.convs,
                       has_bias=self.has_bias)

    def positions(self, layer: int, P: int, n: int | None = PATCHES, seed: int = 0):
        """The pixel positions (flat indices into P·H·W) a convolution layer's program
        samples from P inputs: all when P·H·W ≤ n (or n is None), else n of them uniformly
        without replacement, from SeedSequence((seed, layer)), in increasing order; None for
        a dense layer (every sample is a column)."""
        conv = self.convs[layer]
        if conv is None:
            return None
        total = P * conv.n_positions
        if n is None or n >= total:
            return np.arange(total)
        rng = np.random.default_rng(np.random.SeedSequence((seed, layer)))
        return np.sort(rng.choice(total, int(n), replace=False))

    def layer_inputs(self, layer: int, Y_in, positions=None) -> np.ndarray:
        """The layer program's X for the signal Y_in: Y_in itself for a dense layer, the
        patches at ``positions`` (:meth:`positions`; all by default) for a convolution."""
        conv = self.convs[layer]
        return Y_in if conv is None else conv.patches(Y_in, positions)

    def apply_layer(self, layer: int, Y_in, W=None, b=None) -> np.ndarray:
        """Layer ``layer``'s signal for the input signal Y_in, with its own weights or the
        given ``W``, ``b`` (a pruned layer): ReLU (unless the linear last layer), and for a
        convolution the pooled maps."""
        W = self.weights[layer] if W is None else W
        b = self.biases[layer] if b is None else b
        conv = self.convs[layer]
        if conv is not None:
            return conv.apply(W, b, Y_in)
        Z = W.T @ Y_in + b[:, None]
        return np.maximum(Z, 0.0) if self.is_relu(layer) else Z

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    def is_relu(self, layer: int) -> bool:
        """Whether layer ``layer`` (0-based) ends in a ReLU."""
        return layer < self.n_layers - 1 or self.last_relu

    def layer_output(self, layer: int, Y_in: np.ndarray) -> np.ndarray:
        return self.apply_layer(layer, Y_in)

    def forward(self, X) -> list[np.ndarray]:
        """All signals [Y⁽⁰⁾ = X, Y⁽¹⁾, ..., Y⁽ᴸ⁾] for inputs X (n₀×P)."""
        X = check_matrix(X, "X")
        if X.shape[0] != self.input_size:
            raise ValueError(f"X must have {self.input_size} rows (features × "
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
    def from_torch(cls, model, input_shape=None) -> "Network":
        """From an ``nn.Sequential`` of Linear layers separated by ReLUs, optionally led by
        convolutions: ``[Unflatten,] Conv2d, ReLU[, MaxPool2d], …, Flatten, Linear, ReLU, …,
        Linear`` (``nn.Linear.weight`` is out × in; the paper's W_ℓ is its transpose; a
        ``Conv2d.weight`` M × C × k × k becomes the (C·k·k) × M filter matrix).

        Parameters
        ----------
        model : torch.nn.Sequential
        input_shape : (C, H, W), optional
            The input maps of a model that starts with a Conv2d (taken from a leading
            ``nn.Unflatten`` when there is one).
        """
        torch = _torch()
        nn = torch.nn
        if not isinstance(model, nn.Sequential):
            raise ValueError(f"model must be a torch.nn.Sequential; got {type(model).__name__}")
        weights, biases, convs, last_relu, has_bias = [], [], [], False, []
        maps = tuple(input_shape) if input_shape is not None else None
        flat = False
        for i, module in enumerate(model):
            if isinstance(module, nn.Unflatten) and not weights:
                maps = tuple(int(v) for v in module.unflattened_size)
            elif isinstance(module, nn.Conv2d):
                if flat or (weights and not last_relu):
                    raise ValueError(f"model[{i}]: a Conv2d must start the model or follow a "
                                     f"convolution's ReLU")
                conv = _conv_from_torch(module, maps, i)
                weights.append(module.weight.detach().cpu().double().numpy()
                               .reshape(module.out_channels, -1).T)
                biases.append(_bias(module, module.out_channels))
                has_bias.append(module.bias is not None)
                convs.append(conv)
                maps, last_relu = conv.out_shape(module.out_channels), False
            elif isinstance(module, nn.MaxPool2d):
                if not convs or convs[-1] is None or not last_relu or convs[-1].pool != 1:
                    raise ValueError(f"model[{i}]: a MaxPool2d must follow a convolution's "
                                     f"ReLU (once)")
                pool = _pool_from_torch(module, i)
                conv = Conv(convs[-1].in_shape, convs[-1].kernel, pool)   # checks divisibility
                convs[-1] = conv
                maps = conv.out_shape(weights[-1].shape[1])
            elif isinstance(module, nn.Flatten):
                flat = True
            elif isinstance(module, nn.Linear):
                if weights and not last_relu:
                    raise ValueError(f"model[{i}]: two Linear layers without a ReLU between them")
                if convs and convs[-1] is not None and not flat:
                    raise ValueError(f"model[{i}]: a Linear after a convolution needs a Flatten "
                                     f"before it")
                weights.append(module.weight.detach().cpu().double().numpy().T)
                biases.append(_bias(module, module.out_features))
                has_bias.append(module.bias is not None)
                convs.append(None)
                last_relu = False
            elif isinstance(module, nn.ReLU):
                if not weights or last_relu:
                    raise ValueError(f"model[{i}]: a ReLU must follow a Linear or Conv2d layer")
                last_relu = True
            else:
                raise ValueError(f"model[{i}] is a {type(module).__name__}; only Linear, Conv2d, "
                                 f"ReLU, MaxPool2d, Flatten and Unflatten layers can be pruned")
        if not weights:
            raise ValueError("model holds no Linear layer")
        return cls(weights, biases, last_relu=last_relu, convs=convs, has_bias=has_bias)

    def to_torch(self, like=None):
        """An ``nn.Sequential`` (Linear, ReLU, ..., Linear[, ReLU]; a convolution as Conv2d,
        ReLU[, MaxPool2d], led by an Unflatten of the flat input and followed by a Flatten)
        carrying these weights, in the dtype and on the device of ``like`` (a model) when
        given, else float32 on the CPU. It takes inputs samples × features, as Linear does."""
        torch = _torch()
        nn = torch.nn
        ref = next(like.parameters()) if like is not None else None
        dtype = ref.dtype if ref is not None else torch.float32
        device = ref.device if ref is not None else "cpu"
        layers = []
        if self.convs[0] is not None:
            layers.append(nn.Unflatten(1, self.convs[0].in_shape))
        for i, (W, b, conv) in enumerate(zip(self.weights, self.biases, self.convs)):
            kw = {"bias": self.has_bias[i], "dtype": dtype, "device": device}
            if conv is None:
                if i and self.convs[i - 1] is not None:
                    layers.append(nn.Flatten())
                layer = nn.Linear(W.shape[0], W.shape[1], **kw)
                weight = W.T
            else:
                C, k = conv.in_shape[0], conv.kernel
                layer = nn.Conv2d(C, W.shape[1], k, padding=k // 2, **kw)
                weight = W.T.reshape(W.shape[1], C, k, k)
            with torch.no_grad():
                layer.weight.copy_(torch.as_tensor(np.ascontiguousarray(weight), dtype=dtype))
                if self.has_bias[i]:
                    layer.bias.copy_(torch.as_tensor(b, dtype=dtype))
            layers.append(layer)
            if self.is_relu(i):
                layers.append(nn.ReLU())
            if conv is not None and conv.pool > 1:
                layers.append(nn.MaxPool2d(conv.pool))
        return nn.Sequential(*layers)

    def save_npz(self, path) -> None:
        arrays = {f"W{i}": W for i, W in enumerate(self.weights)}
        arrays.update({f"b{i}": b for i, b in enumerate(self.biases)})
        for i, conv in enumerate(self.convs):
            if conv is not None:
                arrays[f"conv{i}"] = np.array([*conv.in_shape, conv.kernel, conv.pool])
        if not all(self.has_bias):
            arrays["has_bias"] = np.array(self.has_bias)
        np.savez(path, last_relu=self.last_relu, **arrays)

    @classmethod
    def load_npz(cls, path) -> "Network":
        with np.load(Path(path)) as f:
            L = sum(1 for k in f.files if k.startswith("W"))
            convs = [Conv(tuple(f[f"conv{i}"][:3]), int(f[f"conv{i}"][3]), int(f[f"conv{i}"][4]))
                     if f"conv{i}" in f.files else None for i in range(L)]
            has_bias = [bool(h) for h in f["has_bias"]] if "has_bias" in f.files else None
            return cls([f[f"W{i}"] for i in range(L)], [f[f"b{i}"] for i in range(L)],
                       last_relu=bool(f["last_relu"]), convs=convs, has_bias=has_bias)


def _bias(module, n):
    return (module.bias.detach().cpu().double().numpy() if module.bias is not None
            else np.zeros(n))


def _conv_from_torch(module, maps, i) -> Conv:
    """The :class:`Conv` of a ``Conv2d``; settings the pruner does not support are named."""
    k = module.kernel_size
    if k[0] != k[1]:
        raise ValueError(f"model[{i}]: Conv2d kernel {k} is not square; only square odd "
                         f"kernels (SAME padding, stride 1) can be pruned")
    for name, value, ok in (("stride", module.stride, (1, 1)),
                            ("dilation", module.dilation, (1, 1)),
                            ("padding", module.padding, (k[0] // 2, k[0] // 2))):
        if tuple(value) != ok:
            raise ValueError(f"model[{i}]: Conv2d {name}={value} is not supported (stride 1, "
                             f"dilation 1, SAME padding k//2 = {k[0] // 2})")
    if module.groups != 1 or module.padding_mode != "zeros":
        raise ValueError(f"model[{i}]: Conv2d groups={module.groups}, padding_mode="
                         f"{module.padding_mode!r} is not supported (1, 'zeros')")
    if maps is None:
        raise ValueError(f"model[{i}]: a leading Conv2d needs the input maps: pass "
                         f"input_shape=(C, H, W) or start the model with nn.Unflatten")
    if maps[0] != module.in_channels:
        raise ValueError(f"model[{i}]: Conv2d expects {module.in_channels} channels but its "
                         f"input has {maps[0]}")
    return Conv(maps, k[0])


def _pool_from_torch(module, i) -> int:
    size = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
    stride = module.stride if isinstance(module.stride, int) else module.stride[0]
    if module.kernel_size not in (size, (size, size)) or stride != size \
            or module.padding not in (0, (0, 0)) or module.dilation not in (1, (1, 1)) \
            or module.ceil_mode:
        raise ValueError(f"model[{i}]: MaxPool2d must have equal kernel and stride, no padding, "
                         f"dilation or ceil_mode; got kernel {module.kernel_size}, stride "
                         f"{module.stride}")
    return int(size)


__all__ = ["Network", "Conv", "PATCHES"]

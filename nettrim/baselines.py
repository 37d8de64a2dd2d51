"""One-shot pruning baselines Net-Trim is compared with, each to prescribed per-layer counts.

- :func:`magnitude_prune`: keep the largest |w| of each layer;
- :func:`wanda_prune`: Wanda (Sun, Liu, Bair & Kolter 2024), score |w_ij|·‖x_i‖ with x_i the
  i-th input feature over the samples, the same number kept for every output neuron;
- :func:`obs_prune`: layer-wise optimal brain surgeon, exact and greedy (ExactOBS of "Optimal
  Brain Compression", Frantar & Alistarh 2022): for each output neuron, with H = XXᵀ (+ damping)
  of the layer's inputs, remove the weight with the smallest w_q²/[H⁻¹]_qq, update the others by
  δ = −(w_q/[H⁻¹]_qq)·H⁻¹_{:,q} and H⁻¹ by its rank-one downdate, and repeat; the per-neuron
  counts are chosen across the layer from the recorded loss increments, and the kept weights
  are the least-squares refit on their support (which is what the exact updates reach);
- :func:`refit_support`: not a pruner: any pruned network's pattern kept and its weights
  re-fitted by least squares as OBS would (Net-Trim's ℓ₁ solution, debiased);
- :func:`sparsegpt_prune`: SparseGPT (Frantar & Alistarh 2023), the scalable approximation of
  the same: one pass over the inputs in blocks, masks chosen per block by w²/[H⁻¹]²_jj with H⁻¹
  in its upper Cholesky form, each removal compensated only on the inputs not yet processed.

In the OBS methods the bias is an input that is never pruned, so it absorbs what the weights
cannot.

The data-aware baselines are *sequential*, like Net-Trim's cascade: layer ℓ sees the inputs
the already-pruned layers 1..ℓ−1 produce, and reconstructs the original layer on them. They are
given one ReLU-aware step, so that they are compared at their strongest: the units of a ReLU layer
that are dead on the calibration inputs (pre-activation ≤ 0 on every sample) lose their incoming
weights first, for free (their output stays 0; a positive bias is set to 0), and the method
spends the layer's count on the live units. Without it a least-squares method keeps a dead unit's
weights, which only matter before the ReLU: on the spirals network 40 of 200 layer-1 units are
dead, and OBS without this step kept their 80 weights and pruned live ones instead.
Weights are in the paper's orientation, W_ℓ of shape (n_in, n_out); X is features × samples.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve, cholesky, get_blas_funcs

from ._validation import check_int, check_matrix, check_scalar
from .network import PATCHES, Network
from .registry import Registry


def _counts(net: Network, nnz) -> list[int]:
    nnz = list(nnz)
    if len(nnz) != net.n_layers:
        raise ValueError(f"nnz must have one count per layer ({net.n_layers}); got {len(nnz)}")
    out = []
    for i, (W, k) in enumerate(zip(net.weights, nnz)):
        k = check_int(k, f"nnz[{i}]", low=0)
        if k > W.size:
            raise ValueError(f"nnz[{i}] = {k} exceeds the layer's {W.size} weights")
        out.append(k)
    return out


def _inputs(net: Network, X):
    X = check_matrix(X, "X")
    if X.shape[0] != net.input_size:
        raise ValueError(f"X must be features × samples with {net.input_size} rows; "
                         f"got shape {X.shape}")
    return X


def _keep_largest(score, k):
    """Boolean mask of the k largest entries of ``score`` (ties broken by position)."""
    keep = np.zeros(score.size, bool)
    keep[np.argsort(-score.ravel(), kind="stable")[:k]] = True
    return keep.reshape(score.shape)


def magnitude_prune(net: Network, nnz) -> Network:
    """Keep the ``nnz[ℓ]`` largest-magnitude weights of each layer and zero the rest.

    Magnitude thresholding at a prescribed per-layer sparsity, e.g. the counts Net-Trim reached,
    to compare the two at equal sparsity. Biases are kept. Ties at the threshold are broken by
    position, so exactly ``nnz[ℓ]`` weights survive (fewer only when the layer has fewer
    nonzeros to begin with).

    Parameters
    ----------
    net : Network
    nnz : sequence of int
        Weights to keep in each layer.

    Returns
    -------
    Network
    """
    counts = _counts(net, nnz)
    weights = [np.where(_keep_largest(np.abs(W), k), W, 0.0) for W, k in zip(net.weights, counts)]
    return net.with_weights(weights, [b.copy() for b in net.biases])


def _per_output(k: int, M: int) -> np.ndarray:
    """k weights shared out over M outputs as evenly as possible (the first k mod M get one
    more)."""
    q, r = divmod(k, M)
    return q + (np.arange(M) < r)


def wanda_prune(net: Network, X, nnz, *, patches: int | None = PATCHES) -> Network:
    """Wanda: keep, per output neuron, the weights with the largest |w_ij|·‖x_i‖₂.

    ‖x_i‖₂ is the norm of input feature i over the samples of the layer's input (the already
    pruned network's, layer by layer). Each layer keeps ``nnz[ℓ]`` weights, shared out evenly
    over its live outputs (Wanda's per-output comparison group; dead units first lose their
    weights, see the module docstring). Biases are kept, nothing is refit.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
        Calibration inputs, one sample per column.
    nnz : sequence of int
        Weights to keep in each layer.
    patches : int or None, default :data:`~nettrim.network.PATCHES`
        Patch positions a convolution layer is calibrated on (the ones Net-Trim samples).

    Returns
    -------
    Network
    """
    return _sequential(net, X, nnz, _wanda_layer, patches)


def _wanda_layer(W, b, Y, k, one=1.0):
    score = np.abs(W) * np.linalg.norm(Y, axis=1)[:, None]
    keep = np.zeros(W.shape, bool)
    for m, k_m in enumerate(_per_output(k, W.shape[1])):
        keep[:, m] = _keep_largest(score[:, m], k_m)
    return np.where(keep, W, 0.0), b


def _live_units(W, b, Y, k):
    """Units of a ReLU layer not dead on the inputs Y; all of them when the dead ones' weights
    would be needed to reach the count k."""
    live = (W.T @ Y + b[:, None] > 0).any(axis=1)
    return live if np.count_nonzero(W[:, live]) >= k else np.ones_like(live)


def _sequential(net: Network, X, nnz, layer_fn, patches=PATCHES) -> Network:
    """Prune layer by layer on the pruned network's own signals: ``layer_fn(W, b, Y, k,
    one)`` prunes the live units' weights W (inputs Y) to k nonzeros and returns (Ŵ, b̂);
    ``one`` is the bias's input, 1, or 0 for a layer without a bias (whose b̂ then stays 0). A
    convolution's inputs are its patches at the positions Net-Trim samples
    (:meth:`Network.positions <nettrim.network.Network.positions>` with ``patches``)."""
    counts, Y = _counts(net, nnz), _inputs(net, X)
    weights, biases = [], []
    for i, (W, b, k) in enumerate(zip(net.weights, net.biases, counts)):
        relu = net.is_relu(i)
        X_i = net.layer_inputs(i, Y, net.positions(i, X.shape[1], patches))
        live = _live_units(W, b, X_i, k) if relu else np.ones(W.shape[1], bool)
        W_hat, b_hat = np.zeros_like(W), np.minimum(b, 0.0)   # a dead unit outputs 0
        if live.any():
            W_hat[:, live], b_hat[live] = layer_fn(W[:, live], b[live], X_i, k,
                                                   float(net.has_bias[i]))
        weights.append(W_hat)
        biases.append(b_hat)
        Y = net.apply_layer(i, Y, W_hat, b_hat)
    return net.with_weights(weights, biases)


def _sparsegpt_layer(W_rows, X, n_prune, blocksize, damp):
    """SparseGPT on one layer: ``W_rows`` (outputs × inputs, the bias the last column, never
    pruned), inputs X (inputs × samples, a row of ones for the bias). Prunes ``n_prune``
    weights among the first n_in − 1 columns; returns the updated rows."""
    W = W_rows.copy()
    n = W.shape[1]
    n_w = n - 1                                   # prunable columns (the bias is last)
    H = X @ X.T
    dead = np.diag(H) == 0                        # an input that is always 0: its weights go
    H[dead, dead] = 1.0
    W[:, dead] = 0.0
    H[np.diag_indices(n)] += damp * np.mean(np.diag(H))
    Hinv = cholesky(cho_solve(cho_factor(H), np.eye(n)), lower=False)   # upper: U with UᵀU = H⁻¹
    total = W.shape[0] * n_w
    pruned = 0
    for start in range(0, n_w, blocksize):
        end = min(start + blocksize, n_w)
        # prune in this block its share of the total, so the layer ends with exactly n_prune
        quota = int(round(n_prune * (end * W.shape[0]) / total)) - pruned
        d = np.diag(Hinv)[start:end]
        score = W[:, start:end] ** 2 / d ** 2
        mask = ~_keep_largest(score, score.size - quota)        # True: pruned
        pruned += quota
        err = np.zeros((W.shape[0], end - start))
        for j in range(start, end):
            w = W[:, j]
            q = np.where(mask[:, j - start], 0.0, w)
            e = (w - q) / Hinv[j, j]
            W[:, j] = q
            W[:, j + 1:end] -= np.outer(e, Hinv[j, j + 1:end])
            err[:, j - start] = e
        W[:, end:] -= err @ Hinv[start:end, end:]
    return W


def sparsegpt_prune(net: Network, X, nnz, *, blocksize: int = 128,
                    damp: float = 0.01, patches: int | None = PATCHES) -> Network:
    """SparseGPT, the one-pass approximation of layer-wise OBS: prune each layer to
    ``nnz[ℓ]`` weights and update the remaining weights and the bias so that the layer's
    output on its (already pruned) inputs stays as close as it can to the original's.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
        Calibration inputs, one sample per column.
    nnz : sequence of int
        Weights to keep in each layer.
    blocksize : int, default 128
        Columns (inputs) per mask-selection block (SparseGPT's default).
    damp : float, default 0.01
        H + damp·mean(diag H)·I is inverted (SparseGPT's ``percdamp``).
    patches : int or None, default :data:`~nettrim.network.PATCHES`
        Patch positions a convolution layer is calibrated on (the ones Net-Trim samples).

    Returns
    -------
    Network
        The pruned network; its biases are updated too.
    """
    blocksize = check_int(blocksize, "blocksize", low=1)
    damp = check_scalar(damp, "damp", low=0.0)

    def layer(W, b, Y, k, one):
        X_aug = np.vstack([Y, np.full((1, Y.shape[1]), one)])
        rows = _sparsegpt_layer(np.hstack([W.T, b[:, None]]), X_aug, W.size - k, blocksize,
                                damp)
        return rows[:, :-1].T, rows[:, -1]

    return _sequential(net, X, nnz, layer, patches)


def _obs_order(w, Hinv, n_w, lazy=128):
    """Exact greedy OBS on one row ``w`` (n weights, the last n − n_w never removed), with
    ``Hinv`` = H⁻¹ (n × n): the order in which the n_w
    weights go and the loss increment of each step.

    Each step removes the weight with the least w_q²/[H⁻¹]_qq, moves w by
    −(w_q/[H⁻¹]_qq)·H⁻¹_{:,q} and downdates H⁻¹ by that column. The downdates are applied
    lazily: the step needs only H⁻¹'s diagonal (kept up to date, O(n)) and one column (the
    stored matrix's, corrected by the ≤ ``lazy`` pending downdates, O(n·lazy)), and the
    pending ones are applied together as one matrix product — an n² pass per ``lazy`` steps
    instead of per step, which is what bounds a rank-one update's speed. Removed rows and
    columns are dropped whenever they make up a fifth of the matrix (about n³/3 multiply-adds
    for a full order instead of n³)."""
    gemm = get_blas_funcs("gemm", (Hinv,))
    A = np.array(Hinv, order="F")                 # H⁻¹ as of the last flush
    w = np.array(w, dtype=A.dtype)
    idx = np.arange(len(w))                       # original index of each row/column of A
    alive = np.ones(len(w), bool)
    d = A.diagonal().copy()                       # the current diagonal
    U = np.empty((len(w), lazy), A.dtype, order="F")   # pending: H⁻¹ = A − U·diag(c)·Uᵀ
    c = np.empty(lazy, A.dtype)
    k = 0
    order, loss = np.empty(n_w, int), np.empty(n_w)
    for t in range(n_w):
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(alive & (idx < n_w), w * w / d, np.inf)
        j = int(score.argmin())
        order[t], loss[t] = idx[j], 0.5 * score[j]
        col = A[:, j] - U[:, :k] @ (c[:k] * U[j, :k])          # the current H⁻¹_{:,j}
        w -= (w[j] / col[j]) * col
        d -= col * col / col[j]
        U[:, k], c[k] = col, 1.0 / col[j]
        k += 1
        w[j], alive[j] = 0.0, False
        if k == lazy or t + 1 == n_w:
            A = gemm(-1.0, U[:, :k] * c[:k], U[:, :k], beta=1.0, c=A, trans_b=True,
                     overwrite_c=True)
            k = 0
            if 5 * (~alive).sum() >= len(alive):
                A = np.asfortranarray(A[np.ix_(alive, alive)])
                w, idx, alive = w[alive], idx[alive], alive[alive]
                U = np.empty((len(w), lazy), A.dtype, order="F")
            d = A.diagonal().copy()               # no drift from the O(n) updates
    return order, loss


#: Greedy orders already computed in this process, by a digest of (weights, H), least recently
#: used evicted first: the order does not depend on the count, and a study prunes the same first
#: layer to many counts (exact greedy OBS costs O(n³) per output: 10 s for MNIST's 785·300
#: layer on one thread, 9 min for LeNet's FC1, 3,137·512), while the later layers' inputs
#: change with every pruning.
_ORDERS: dict = {}
_ORDERS_MAX = 4


def _greedy_orders(W_rows, H, Hinv, n_w):
    import hashlib

    key = hashlib.sha256(W_rows.tobytes() + H.tobytes()).hexdigest()
    if key in _ORDERS:                                      # least recently used goes first
        _ORDERS[key] = _ORDERS.pop(key)
    else:
        M = W_rows.shape[0]
        order, loss = np.empty((M, n_w), int), np.empty((M, n_w))
        for m in range(M):
            order[m], loss[m] = _obs_order(W_rows[m], Hinv, n_w)
        if len(_ORDERS) >= _ORDERS_MAX:
            _ORDERS.pop(next(iter(_ORDERS)))
        _ORDERS[key] = (order, loss)
    return _ORDERS[key]


def _obs_layer(W_rows, X, n_prune, damp):
    """Exact greedy OBS on one layer (rows = outputs, the bias the last column)."""
    M, n = W_rows.shape
    n_w = n - 1
    H = X @ X.T
    H[np.diag_indices(n)] += damp * np.mean(np.diag(H)) + (np.diag(H) == 0)
    Hinv = cho_solve(cho_factor(H), np.eye(n))
    order, loss = _greedy_orders(W_rows, H, Hinv, n_w)
    # share the n_prune removals over the rows by the smallest (running-max) increments, so
    # each row removes a prefix of its own order
    inc = np.maximum.accumulate(loss, axis=1)
    chosen = ~_keep_largest(-inc, inc.size - n_prune) if n_prune < inc.size else \
        np.ones_like(inc, bool)
    out = np.zeros_like(W_rows)
    for m in range(M):
        keep = np.ones(n, bool)
        keep[order[m, :chosen[m].sum()]] = False
        S = np.flatnonzero(keep)                 # least squares on the support, in H's metric
        out[m, S] = np.linalg.solve(H[np.ix_(S, S)], H[S] @ W_rows[m])
    return out


def obs_prune(net: Network, X, nnz, *, damp: float = 0.01,
              patches: int | None = PATCHES) -> Network:
    """Layer-wise optimal brain surgeon, exact and greedy (OBC's ExactOBS): prune each layer to
    ``nnz[ℓ]`` weights and refit the remaining weights and the bias so that the layer's output
    on its (already pruned) inputs stays as close as it can to the original's.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
        Calibration inputs, one sample per column.
    nnz : sequence of int
        Weights to keep in each layer.
    damp : float, default 0.01
        H + damp·mean(diag H)·I is used, as in OBC and SparseGPT.
    patches : int or None, default :data:`~nettrim.network.PATCHES`
        Patch positions a convolution layer is calibrated on (the ones Net-Trim samples).

    Returns
    -------
    Network
        The pruned network; its biases are updated too.
    """
    damp = check_scalar(damp, "damp", low=0.0)

    def layer(W, b, Y, k, one):
        X_aug = np.vstack([Y, np.full((1, Y.shape[1]), one)])
        rows = _obs_layer(np.hstack([W.T, b[:, None]]), X_aug, W.size - k, damp)
        return rows[:, :-1].T, rows[:, -1]

    return _sequential(net, X, nnz, layer, patches)


def refit_support(net: Network, pruned: Network, X, *, damp: float = 1e-8,
                  patches: int | None = PATCHES) -> Network:
    """Keep ``pruned``'s sparsity pattern and re-fit its weights by least squares.

    Layer by layer on the refit network's own signals X̂ (as the baselines above run), each
    neuron's kept weights and its bias (free, as in the OBS methods) minimise
    ‖ŵᵀX̂ + b̂ − (wᵀX̂ + b)‖² over the calibration inputs: the original layer's pre-activations,
    the objective OBS and SparseGPT minimise. For an ℓ₁ solution such as Net-Trim's this undoes
    the shrinkage of the kept weights at the same counts ("debiasing").

    Parameters
    ----------
    net : Network
        The original network.
    pruned : Network
        A pruned copy of ``net`` (same shapes): its zeros are kept.
    X : array of shape (n₀, P)
        Calibration inputs.
    damp : float, default 1e-8
        Ridge on the Gram matrix, relative to its mean diagonal.
    patches : int or None
        Patch positions of a convolution layer (as the baselines).

    Returns
    -------
    Network
        Same zeros as ``pruned`` (a refit weight may also come out exactly 0 by chance).
    """
    damp = check_scalar(damp, "damp", low=0.0)
    if [W.shape for W in pruned.weights] != [W.shape for W in net.weights]:
        raise ValueError("pruned must have net's layer shapes; got "
                         f"{[W.shape for W in pruned.weights]} for "
                         f"{[W.shape for W in net.weights]}")
    Y = _inputs(net, X)
    weights, biases = [], []
    for i, (W, b, Wp) in enumerate(zip(net.weights, net.biases, pruned.weights)):
        X_i = net.layer_inputs(i, Y, net.positions(i, X.shape[1], patches))
        X_aug = np.vstack([X_i, np.full((1, X_i.shape[1]), float(net.has_bias[i]))])
        H = X_aug @ X_aug.T
        H[np.diag_indices_from(H)] += damp * np.mean(np.diag(H)) + 1e-300
        C = H @ np.vstack([W, b[None]])        # X̂(X̂ᵀ[W; b]): the target's cross-moment
        W_new, b_new = np.zeros_like(W), np.zeros_like(b)
        for m in range(W.shape[1]):
            S = np.append(np.flatnonzero(Wp[:, m]), W.shape[0])    # kept inputs and the bias
            sol = np.linalg.solve(H[np.ix_(S, S)], C[S, m])
            W_new[S[:-1], m], b_new[m] = sol[:-1], sol[-1]
        weights.append(W_new)
        biases.append(b_new)
        Y = net.apply_layer(i, Y, W_new, b_new)
    return net.with_weights(weights, biases)


#: name -> baseline(net, X, nnz, **conv): the one-shot pruners the studies compare against.
BASELINES = Registry("baseline")
BASELINES.register("magnitude")(lambda net, X, nnz, **conv: magnitude_prune(net, nnz))
BASELINES.register("wanda")(wanda_prune)
BASELINES.register("sparsegpt")(sparsegpt_prune)
BASELINES.register("obs")(obs_prune)

__all__ = ["BASELINES", "magnitude_prune", "obs_prune", "refit_support", "sparsegpt_prune",
           "wanda_prune"]

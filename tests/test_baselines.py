"""One-shot baselines: magnitude, Wanda, SparseGPT and exact greedy OBS (issue 15, item 4)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nettrim import Network
from nettrim.baselines import (
    BASELINES,
    obs_prune,
    sparsegpt_prune,
    wanda_prune,
)


def _layer(seed, N=30, M=12, P=400, last_relu=False):
    """One layer with correlated inputs (where a data-aware baseline should win)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, N)) / np.sqrt(N) @ rng.standard_normal((N, P))
    X += 0.1 * rng.standard_normal((N, P))
    net = Network([rng.standard_normal((N, M))], [0.1 * rng.standard_normal(M)],
                  last_relu=last_relu)
    return net, X


def _linear_error(net, pruned, X):
    T = net.weights[0].T @ X + net.biases[0][:, None]
    Z = pruned.weights[0].T @ X + pruned.biases[0][:, None]
    return np.linalg.norm(Z - T) / np.linalg.norm(T)


def _deep(seed=0):
    rng = np.random.default_rng(seed)
    sizes = (10, 16, 12, 3)
    Ws = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
    return Network(Ws, [0.1 * rng.standard_normal(b) for b in sizes[1:]]), \
        rng.standard_normal((10, 200))


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_each_baseline_keeps_exactly_the_counts_asked(name):
    net, X = _deep()
    nnz = [40, 100, 7]
    pruned = BASELINES[name](net, X, nnz)
    assert [int((W != 0).sum()) for W in pruned.weights] == nnz
    assert [W.shape for W in pruned.weights] == [W.shape for W in net.weights]
    full = BASELINES[name](net, X, [W.size for W in net.weights])   # nothing to prune
    assert np.allclose(full.forward(X)[-1], net.forward(X)[-1], rtol=1e-6, atol=1e-8)


def test_bad_counts_and_inputs_are_named():
    net, X = _deep()
    with pytest.raises(ValueError, match=r"nnz must have one count per layer \(3\)"):
        wanda_prune(net, X, [1, 2])
    with pytest.raises(ValueError, match=r"nnz\[1\] = 1000 exceeds the layer's 192 weights"):
        obs_prune(net, X, [1, 1000, 1])
    with pytest.raises(ValueError, match="X must be features × samples with 10 rows"):
        sparsegpt_prune(net, X.T, [1, 1, 1])


def test_wanda_with_equal_input_norms_is_per_output_magnitude():
    net, X = _layer(0)
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    pruned = wanda_prune(net, X, [12 * 5])
    W = net.weights[0]
    for m in range(W.shape[1]):
        kept = np.flatnonzero(pruned.weights[0][:, m])
        assert set(kept) == set(np.argsort(-np.abs(W[:, m]))[:5])
    assert np.array_equal(pruned.biases[0], net.biases[0])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), N=st.integers(3, 6))
def test_obs_single_removal_is_the_best_single_removal(seed, N):
    """Removing one weight with the OBS update is optimal: the pruned neuron equals the best
    of all N (removal, least-squares refit) choices, brute-forced."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, 50)) + rng.standard_normal((1, 50))   # correlated inputs
    w, b = rng.standard_normal(N), 0.3
    net = Network([w[:, None]], [np.array([b])], last_relu=False)
    got = obs_prune(net, X, [N - 1], damp=0.0)
    Xa = np.vstack([X, np.ones(50)])
    t = w @ X + b
    best = np.inf
    for q in range(N):
        S = [i for i in range(N + 1) if i != q]
        c, *_ = np.linalg.lstsq(Xa[S].T, t, rcond=None)
        best = min(best, np.sum((Xa[S].T @ c - t) ** 2))
    err = np.sum((got.weights[0][:, 0] @ X + got.biases[0][0] - t) ** 2)
    assert err == pytest.approx(best, rel=1e-6, abs=1e-9)


def test_obs_refits_its_support_and_beats_magnitude_wanda_and_sparsegpt():
    for seed in range(3):
        net, X = _layer(seed)
        for k in (240, 120, 60):
            errs = {name: _linear_error(net, BASELINES[name](net, X, [k]), X)
                    for name in BASELINES}
            assert errs["obs"] < min(errs["magnitude"], errs["wanda"], errs["sparsegpt"]), errs
        # kept weights and bias are the least-squares fit on their support (damp = 0)
        pruned = obs_prune(net, X, [120], damp=0.0)
        Xa = np.vstack([X, np.ones(X.shape[1])])
        T = net.weights[0].T @ X + net.biases[0][:, None]
        for m in range(12):
            S = np.r_[pruned.weights[0][:, m] != 0, True]
            c, *_ = np.linalg.lstsq(Xa[S].T, T[m], rcond=None)
            got = np.r_[pruned.weights[0][:, m], pruned.biases[0][m]][S]
            assert np.allclose(got, c, rtol=1e-6, atol=1e-8)


def test_data_aware_baselines_see_the_pruned_inputs():
    """Layer 2 is fit on the inputs the pruned layer 1 produces (sequential, like the cascade):
    with nothing of it pruned, its refit reproduces W₂ᵀŶ₁ + b₂ on those inputs exactly."""
    net, X = _deep(1)
    pruned = obs_prune(net, X, [20, 192, 36])     # layer 1 pruned, the rest kept and refit
    Y1 = pruned.forward(X)[1]
    T = net.forward(X)
    # the refit layer 2 reproduces W₂ᵀŶ₁ + b₂ exactly when nothing of it is pruned
    Z2 = pruned.weights[1].T @ Y1 + pruned.biases[1][:, None]
    assert np.allclose(Z2, net.weights[1].T @ Y1 + net.biases[1][:, None], atol=1e-6)
    assert not np.allclose(Y1, T[1])


@pytest.mark.parametrize("name", ["wanda", "sparsegpt", "obs"])
def test_dead_units_lose_their_weights_first(name):
    """A unit dead on the calibration inputs costs nothing after the ReLU: the data-aware
    baselines spend the count on the live units (the ReLU-aware step of the module docstring)."""
    rng = np.random.default_rng(3)
    X = rng.uniform(0.5, 1.5, (6, 300))                     # positive inputs
    W1 = rng.standard_normal((6, 8))
    W1[:, :3] = -np.abs(W1[:, :3])                         # units 0-2: dead on X
    W1[:, 3:] = np.abs(W1[:, 3:])                          # units 3-7: active everywhere
    b1 = np.r_[0.5, -0.2, 0.0, 0.1 * rng.standard_normal(5)]
    net = Network([W1, rng.standard_normal((8, 2))], [b1, np.zeros(2)], last_relu=False)
    assert not (net.weights[0][:, :3].T @ X + b1[:3, None] > 0).any()
    live_weights = 6 * 5
    pruned = BASELINES[name](net, X, [live_weights, 16])
    W = pruned.weights[0]
    assert not W[:, :3].any() and np.count_nonzero(W[:, 3:]) == live_weights
    assert (pruned.biases[0][:3] <= 0).all()                 # still dead: output 0
    Y1 = np.maximum(W.T @ X + pruned.biases[0][:, None], 0)
    assert np.allclose(Y1[:3], 0.0)
    if name != "wanda":                                      # nothing of the live part pruned
        assert np.allclose(Y1[3:], net.forward(X)[1][3:], atol=1e-6)


def test_obs_reuses_its_greedy_order_across_counts_and_agrees_with_a_fresh_run():
    from nettrim import baselines

    rng = np.random.default_rng(5)
    X = rng.standard_normal((10, 80))
    net = Network([rng.standard_normal((10, 6)), rng.standard_normal((6, 3))])
    baselines._ORDERS.clear()
    a = baselines.obs_prune(net, X, [30, 9])
    cached = len(baselines._ORDERS)
    b = baselines.obs_prune(net, X, [20, 9])                # layer 1's order is reused
    assert len(baselines._ORDERS) == cached + 1             # only layer 2 (new inputs) is new
    for k in (25, 15, 12, 10, 8):                           # later layers come and go ...
        baselines.obs_prune(net, X, [k, 9])
    shapes = [order.shape for order, _ in baselines._ORDERS.values()]
    assert len(shapes) == baselines._ORDERS_MAX and shapes.count((6, 10)) == 1   # ... layer 1 stays
    baselines._ORDERS.clear()
    fresh = baselines.obs_prune(net, X, [20, 9])
    for W, V in zip(b.weights, fresh.weights):
        np.testing.assert_array_equal(W, V)
    assert a.nnz()[0] == 30 and b.nnz()[0] == 20


@pytest.mark.parametrize("seed", range(3))
def test_refit_keeps_the_pattern_and_is_the_least_squares_fit_on_it(seed):
    from nettrim.baselines import magnitude_prune, refit_support
    from nettrim.schemes import prune_parallel

    net, X = _layer(seed)
    assert np.allclose(refit_support(net, net, X).weights[0], net.weights[0])   # full support
    for pruned in (magnitude_prune(net, [120]), prune_parallel(net, X, gain=0.2).network):
        refit = refit_support(net, pruned, X)
        assert not (refit.weights[0][pruned.weights[0] == 0]).any()      # zeros stay zeros
        # the least-squares optimum on the pattern: no worse than the pruned weights, and no
        # perturbation of the kept weights does better
        err = _linear_error(net, refit, X)
        assert err <= _linear_error(net, pruned, X) + 1e-12
        rng = np.random.default_rng(seed)
        nudged = refit.weights[0] + 1e-3 * rng.standard_normal(net.weights[0].shape) * (
            refit.weights[0] != 0)
        assert err <= _linear_error(net, net.with_weights([nudged], refit.biases), X)


def test_refit_refuses_a_network_of_other_shapes():
    from nettrim.baselines import refit_support

    net, X = _layer(0)
    other, _ = _layer(0, M=5)
    with pytest.raises(ValueError, match="pruned must have net's layer shapes"):
        refit_support(net, other, X)


def _plain_obs_order(w, Hinv, n_w):
    """ExactOBS as written in OBC's paper: full H⁻¹, one rank-one downdate per step."""
    w, Hinv = w.copy(), Hinv.copy()
    alive = np.ones(n_w, bool)
    order, loss = [], []
    for _ in range(n_w):
        d = np.diag(Hinv)[:n_w]
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(alive, w[:n_w] ** 2 / d, np.inf)
        q = int(score.argmin())
        order.append(q)
        loss.append(0.5 * score[q])
        col = Hinv[:, q].copy()
        w -= w[q] / col[q] * col
        w[q], alive[q] = 0.0, False
        Hinv -= np.outer(col, col) / col[q]
    return np.array(order), np.array(loss)


@pytest.mark.parametrize("n, lazy", [(12, 128), (60, 7), (300, 128), (300, 16)])
def test_lazy_shrinking_obs_order_is_the_plain_one(n, lazy):
    """The lazy, shrinking greedy order (batched downdates, removed rows dropped) removes the
    same weights in the same order with the same loss increments as the plain algorithm."""
    from nettrim.baselines import _obs_order

    rng = np.random.default_rng(n + lazy)
    X = np.maximum(rng.standard_normal((n, 2 * n)) + 0.3 * rng.standard_normal((1, 2 * n)), 0)
    X[-1] = 1.0                                             # the bias input, never removed
    H = X @ X.T
    H[np.diag_indices(n)] += 0.01 * H.diagonal().mean()
    Hinv = np.linalg.inv(H)
    for w in rng.standard_normal((3, n)):
        order, loss = _obs_order(w, Hinv, n - 1, lazy=lazy)
        ref_order, ref_loss = _plain_obs_order(w, Hinv, n - 1)
        np.testing.assert_array_equal(order, ref_order)
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-8, atol=1e-12 * ref_loss.max())

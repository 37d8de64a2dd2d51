"""The ADMM's fused loops (numba) against numpy's arithmetic: step by step, and whole solves."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nettrim import LayerProblem, solve
from nettrim.solvers import admm_fused
from nettrim.suite.benchmark import layer_problem

pytest.importorskip("numba")
NUMPY, NUMBA = admm_fused.engine("numpy"), admm_fused.engine("numba")


def _arrays(seed, shape, n, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for _ in range(n)]


def _layer(seed, M=5, P=40, per_neuron=False, linear=False, dtype=np.float64, eps=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, P))
    Y = rng.standard_normal((M, P))
    Y = Y if linear else np.maximum(Y, 0.0)
    V = None if linear else 0.2 * np.abs(rng.standard_normal((M, P)))
    problem = LayerProblem(X, Y, eps * np.linalg.norm(Y), V=V, per_neuron=per_neuron,
                           linear=linear)
    return problem.astype(dtype)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), delta=st.booleans(), alpha=st.floats(0.5, 1.9),
       t=st.floats(0.0, 1.0))
def test_the_n_by_m_steps_match_numpy(seed, delta, alpha, t):
    """rhs (with and without the float32 change of R), post_gram and running_update: the
    same values as numpy's operations, every output, to float64 round-off."""
    XW1, XU1, W2, U2, R0, W3, step = _arrays(seed, (7, 5), 7)
    outs = {}
    for eng in (NUMPY, NUMBA):
        R = R0.copy()
        d = np.empty((7, 5), np.float32) if delta else None
        eng.rhs(XW1, XU1, W2, U2, out=R, delta=d, scratch=np.empty((7, 5)))
        U2e = U2.copy()
        XZ, W3_hat, W2_new, scratch = (np.empty((7, 5)) for _ in range(4))
        aW3 = np.empty((7, 5), np.float32)
        eng.post_gram(R, W3, W2, U2e, XW1, alpha, t, XZ, aW3, W3_hat, W2_new, scratch)
        XW1_new, XU1e = np.empty((7, 5)), XU1.copy()
        eng.running_update(XW1, step.astype(np.float32), XW1_new, XU1e, XZ)
        outs[eng.name] = [R, XZ, aW3, W3_hat, W2_new, U2e, XW1_new, XU1e] + ([d] if delta else [])
    for a, b in zip(outs["numpy"], outs["numba"]):
        np.testing.assert_allclose(b, a, rtol=1e-6 if a.dtype == np.float32 else 1e-12,
                                   atol=1e-6 if a.dtype == np.float32 else 1e-12)
    W2_new, W3_hat, U2e = outs["numba"][4], outs["numba"][3], outs["numba"][5]
    # the soft threshold: exact zeros within t of 0, and U2 + Ŵ3 = W2_new + U2_new
    assert np.all((W2_new == 0) | (np.abs(W3_hat + U2) > t))
    np.testing.assert_allclose(U2 + W3_hat, W2_new + U2e, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), per_neuron=st.booleans(), linear=st.booleans(),
       single=st.booleans(), eps=st.sampled_from([0.01, 0.3, 10.0]), alpha=st.floats(0.5, 1.9))
def test_the_projection_step_matches_numpy(seed, per_neuron, linear, single, eps, alpha):
    """W1 = Π_C(V + T), T ← (V + T − W1) + (1 − α)W1 and D = W1 − W1_old on the layer
    ball, the per-neuron balls and the linear form, in float32 and float64; and where the
    projection leaves an entry alone the scaled dual T − (1 − α)W1 is exactly 0."""
    dtype = np.float32 if single else np.float64
    problem = _layer(seed, per_neuron=per_neuron, linear=linear, dtype=dtype, eps=eps)
    V0, T0, W1 = _arrays(seed + 1, problem.Y.shape, 3, dtype)
    got = {}
    for eng in (NUMPY, NUMBA):
        V, T, W1_new, D = V0.copy(), T0.copy(), np.empty_like(W1), np.empty_like(W1)
        W1_new, T, V = eng.project(problem, V, T, W1, W1_new, D, alpha, step=True)
        got[eng.name] = (W1_new, T, D)
    tol = 1e-5 if single else 1e-12
    for a, b in zip(got["numpy"], got["numba"]):
        assert b.dtype == dtype
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
    W1_new, T, _ = got["numba"]
    np.testing.assert_allclose(W1_new, problem.project(V0 + T0), rtol=tol, atol=tol)
    untouched = ~problem.omega & (V0 + T0 < problem.V)
    for W1_e, T_e, _ in got.values():
        assert np.all((T_e - (1 - alpha) * W1_e)[untouched] == 0)   # as the solver reads U1


@pytest.mark.parametrize("family, P", [("trained", 600), ("digits", 300), ("linear", 600),
                                       ("sparse", 30)])
@pytest.mark.parametrize("precision", ["auto", "double"])
def test_a_fused_solve_is_the_numpy_solve(family, P, precision):
    """Whole solves, primal form (P ≥ N) and kernel form (P < N, ``sparse`` at P = 30), float32
    and float64 work: both engines certified, at most one test apart, their answers within the
    certified tolerance of each other; ``info`` says which ran."""
    problem, _ = layer_problem(family, 60, 6, P, 0.05, seed=1)
    runs = {k: solve(problem, "admm", precision=precision, kernels=k) for k in ("numpy", "numba")}
    for k, r in runs.items():
        assert r.converged and r.info["kernels"] == k
    a, b = runs["numpy"], runs["numba"]
    assert abs(a.info["iterations"] - b.info["iterations"]) <= 10
    l1a, l1b = a.evaluation.l1, b.evaluation.l1
    assert abs(l1a - l1b) <= 2e-3 * l1a


def test_numba_kernels_without_numba_are_refused_and_auto_falls_back(monkeypatch):
    monkeypatch.setattr(admm_fused, "_compiled", lambda: None)
    problem, _ = layer_problem("trained", 30, 4, 200, 0.05, seed=0)
    with pytest.raises(ImportError, match="kernels='numba' needs numba"):
        solve(problem, "admm", kernels="numba")
    assert solve(problem, "admm").info["kernels"] == "numpy"


@pytest.mark.parametrize("bad", ["fast", 1, None])
def test_an_unknown_kernels_value_is_refused_by_name(bad):
    problem, _ = layer_problem("trained", 30, 4, 200, 0.05, seed=0)
    with pytest.raises(ValueError, match="kernels must be one of"):
        solve(problem, "admm", kernels=bad)


def test_the_float32_gram_increment_errs_relative_to_the_step_not_to_w3():
    """W3 + (XXᵀ + I)⁻¹(R − R_old) in float32 (``_GramSolve.increment``): off the float64
    solve by float32 round-off of the *step*, far below float32 round-off of W3 itself when
    the step is small — why the running W3 does not stall the certificate."""
    from nettrim.solvers.admm import _GramSolve

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 300))
    gram = _GramSolve(X)
    R_old = rng.standard_normal((40, 7))
    R = R_old + 1e-4 * rng.standard_normal((40, 7))
    W3 = gram(R_old, out=np.empty((40, 7)))
    exact = gram(R, out=np.empty((40, 7)))
    delta = (R - R_old).astype(np.float32)
    got = gram.increment(delta, out=W3, scratch=np.empty((40, 7), np.float32))
    assert got is W3 and got.dtype == np.float64
    step = np.linalg.norm(exact - gram(R_old, out=np.empty((40, 7))))
    error = np.linalg.norm(got - exact)
    assert error <= 1e-5 * step
    assert error <= 1e-3 * np.finfo(np.float32).eps * np.linalg.norm(exact)

"""LayerProblem: validation at the edge, the report, the projection onto C."""

import numpy as np
import pytest
from conftest import random_layer
from threadpoolctl import threadpool_limits

import nettrim
from nettrim import LayerProblem
from nettrim._inplace import axpy


# --------------------------------------------------------------------------- bad input
def _bad_inputs():
    X, W, Y = random_layer()
    Xnan = X.copy()
    Xnan[0, 0] = np.nan
    Yinf = Y.copy()
    Yinf[0, 0] = np.inf
    Yneg = Y.copy()
    Yneg[0, 0] = -1.0
    return [
        ("shape mismatch", dict(X=X, Y=Y[:, :-1], epsilon=1.0), ValueError,
         "same number of samples"),
        ("X 1-D", dict(X=X[0], Y=Y, epsilon=1.0), ValueError, "X must be 2-D"),
        ("NaN in X", dict(X=Xnan, Y=Y, epsilon=1.0), ValueError, "X must be finite"),
        ("Inf in Y", dict(X=X, Y=Yinf, epsilon=1.0), ValueError, "Y must be finite"),
        ("negative epsilon", dict(X=X, Y=Y, epsilon=-0.1), ValueError, "epsilon must be >= 0"),
        ("NaN epsilon", dict(X=X, Y=Y, epsilon=np.nan), ValueError, "epsilon must be finite"),
        ("string epsilon", dict(X=X, Y=Y, epsilon="0.1"), TypeError, "epsilon must be a real"),
        ("negative Y", dict(X=X, Y=Yneg, epsilon=1.0), ValueError, "Y must be a ReLU output"),
        ("no samples", dict(X=X[:, :0], Y=Y[:, :0], epsilon=1.0), ValueError,
         "X must be non-empty"),
        ("string X", dict(X=X.astype(str), Y=Y, epsilon=1.0), TypeError, "X must be a numeric"),
        ("object Y", dict(X=X, Y=Y.astype(object), epsilon=1.0), TypeError, "Y must be a numeric"),
        ("V wrong shape", dict(X=X, Y=Y, epsilon=1.0, V=Y[:, :3]), ValueError,
         "V must have the shape"),
        ("empty omega", dict(X=X, Y=0 * Y, epsilon=1.0), ValueError, "Ω is empty"),
        ("eps array, layer form", dict(X=X, Y=Y, epsilon=np.ones(3)), ValueError,
         "per_neuron=True"),
        ("eps array wrong length", dict(X=X, Y=Y, epsilon=np.ones(2), per_neuron=True),
         ValueError, r"shape \(M,\)"),
        ("V with linear", dict(X=X, Y=Y, epsilon=1.0, V=Y, linear=True), ValueError,
         "V must be None"),
    ]


@pytest.mark.parametrize("case", _bad_inputs(), ids=lambda c: c[0])
def test_bad_input_is_named(case):
    _, kwargs, exc, match = case
    with pytest.raises(exc, match=match):
        LayerProblem(**kwargs)
    with pytest.raises(exc, match=match):  # the public entry point validates the same way
        kw = dict(kwargs)
        nettrim.prune_layer(kw.pop("X"), kw.pop("Y"), kw.pop("epsilon"), **kw)


def test_bad_solver_inputs(layer):
    X, W, Y = layer
    with pytest.raises(ValueError,
                       match="unknown solver 'nope'; available: admm, admm_torch, auto, cvxpy, lp"):
        nettrim.prune_layer(X, Y, 0.1, solver="nope")
    with pytest.raises(ValueError, match="only the noiseless program"):
        nettrim.prune_layer(X, Y, 0.1, solver="lp")
    with pytest.raises(ValueError, match="rho must be > 0"):
        nettrim.prune_layer(X, Y, 0.1, rho=0.0)
    with pytest.raises(ValueError, match="W0 must have shape"):
        nettrim.prune_layer(X, Y, 0.1, W0=W[:-1])
    with pytest.raises(ValueError, match="U must have shape"):
        LayerProblem(X, Y, 0.1).evaluate(W.T)
    with pytest.raises(ValueError, match="cvx_solver 'NOSUCH' is not installed"):
        nettrim.prune_layer(X, Y, 0.1, solver="cvxpy", cvx_solver="NOSUCH")


# ------------------------------------------------------------------------------ report
def test_report_matches_definitions(layer):
    X, W, Y = layer
    rng = np.random.default_rng(1)
    U = W + 0.1 * rng.standard_normal(W.shape)
    prob = LayerProblem(X, Y, epsilon=0.5)
    rep = prob.evaluate(U)
    Z = U.T @ X
    omega = Y > 0
    assert rep.l1 == pytest.approx(np.abs(U).sum())
    assert rep.omega_residual == pytest.approx(np.sqrt(((Z - Y)[omega] ** 2).sum()))
    assert rep.omega_c_violation == pytest.approx(max(0.0, Z[~omega].max()))
    assert rep.relu_error == pytest.approx(np.linalg.norm(Y - np.maximum(Z, 0)))
    assert rep.ball_excess == pytest.approx((rep.omega_residual - 0.5) / 0.5)
    assert rep.feasible == (rep.omega_residual <= 0.5 * (1 + 1e-4)
                            and rep.omega_c_violation <= 1e-4 * Y.max())
    assert prob.evaluate(W).feasible  # the original weights are always feasible (V = 0)
    assert prob.evaluate(W).relu_error == pytest.approx(0.0, abs=1e-12)


def test_bias_row_is_appended(layer):
    X, W, Y = random_layer(bias=True)
    prob = LayerProblem(X, Y, 0.0, bias=True)
    assert prob.N == X.shape[0] + 1
    np.testing.assert_array_equal(prob.X[-1], 1.0)
    assert prob.evaluate(W).relu_error == pytest.approx(0.0, abs=1e-12)


def test_per_neuron_budgets_split_epsilon(layer):
    X, W, Y = layer
    prob = LayerProblem(X, Y, 2.0, per_neuron=True)
    assert np.sum(prob.epsilon_m**2) == pytest.approx(4.0)
    norms = np.linalg.norm(Y, axis=1)
    np.testing.assert_allclose(prob.epsilon_m / prob.epsilon_m.sum(), norms / norms.sum())
    explicit = LayerProblem(X, Y, np.array([0.1, 0.2, 0.3]), per_neuron=True)
    assert explicit.epsilon == pytest.approx(np.sqrt(0.14))


def test_linear_form_has_everything_active():
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal((8, 30)), rng.standard_normal((8, 2))
    prob = LayerProblem(X, W.T @ X, 0.3, linear=True)  # negative Y allowed
    assert prob.omega.all()
    assert prob.evaluate(W).relu_error == pytest.approx(0.0, abs=1e-12)


# -------------------------------------------------------------------------- projection
@pytest.mark.parametrize("per_neuron,linear", [(False, False), (True, False), (False, True)])
def test_projection_is_the_nearest_point_of_C(layer, per_neuron, linear):
    X, W, Y = layer
    rng = np.random.default_rng(3)
    prob = LayerProblem(X, Y, 0.3 * np.linalg.norm(Y), per_neuron=per_neuron, linear=linear,
                        V=None if linear else 0.1 * np.abs(rng.standard_normal(Y.shape)))
    Z = Y + 2.0 * rng.standard_normal(Y.shape)
    PZ = prob.project(Z)
    np.testing.assert_allclose(prob.project(PZ), PZ, atol=1e-12)  # idempotent
    R = np.where(prob.omega, PZ - Y, 0.0)
    if per_neuron:
        assert np.all(np.linalg.norm(R, axis=1) <= prob.epsilon_m * (1 + 1e-12))
    else:
        assert np.linalg.norm(R) <= prob.epsilon * (1 + 1e-12)
    assert np.all(PZ[~prob.omega] <= prob.V[~prob.omega])
    # variational inequality of a projection onto a convex set: <Z − PZ, C − PZ> ≤ 0 for C in C
    for _ in range(20):
        C = prob.project(Y + 2.0 * rng.standard_normal(Y.shape))
        assert np.sum((Z - PZ) * (C - PZ)) <= 1e-9 * np.linalg.norm(Z) ** 2


def test_axpy_updates_in_place_and_falls_back_for_strided_arrays():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 7)), rng.standard_normal((4, 7))
    expected = y - 1.6 * x
    out = axpy(-1.6, x, y)
    assert out is y
    np.testing.assert_allclose(y, expected, rtol=1e-15)
    yF = np.asfortranarray(rng.standard_normal((4, 7)))   # BLAS would update a copy
    expected = yF + 0.5 * x
    axpy(0.5, x, yF)
    np.testing.assert_allclose(yF, expected, rtol=1e-15)
    x32, y32 = x.astype(np.float32), rng.standard_normal((4, 7)).astype(np.float32)
    expected = y32 + np.float32(2.0) * x32
    assert axpy(2.0, x32, y32) is y32 and y32.dtype == np.float32
    np.testing.assert_allclose(y32, expected, rtol=1e-6)


def test_axpy_leaves_blas_when_it_runs_threads(monkeypatch):
    # a threaded OpenBLAS axpy cost 20× a one-thread one (the whole ADMM solve 2× slower)
    import nettrim._inplace as inplace
    calls = []
    monkeypatch.setitem(inplace._AXPY, np.dtype(np.float64),
                        lambda x, y, a: calls.append(a) or y.__iadd__(a * x))
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    expected = y + 2.0 * x + 3.0 * x
    with threadpool_limits(limits=1, user_api="blas"):
        assert inplace.blas_threads() == 1
        axpy(2.0, x, y)
    with threadpool_limits(limits=2, user_api="blas"):
        if inplace.blas_threads() < 2:
            pytest.skip("BLAS runs one thread at most here")
        axpy(3.0, x, y)
    assert calls == [2.0]                    # BLAS on one thread only
    np.testing.assert_allclose(y, expected, rtol=1e-15)


@pytest.mark.parametrize("per_neuron", [False, True])
def test_float32_copy_projects_like_the_float64_problem(layer, per_neuron):
    """astype(float32) keeps the program (masks and cap follow X's dtype): its projection is
    the float64 one to float32 rounding, and it stays float32 throughout."""
    X, W, Y = layer
    rng = np.random.default_rng(6)
    prob = LayerProblem(X, Y, 0.2 * np.linalg.norm(Y), V=0.5 * np.abs(rng.standard_normal(Y.shape)),
                        per_neuron=per_neuron)
    Z = Y + rng.standard_normal(Y.shape)
    PZ = prob.project(Z)                                    # fills the float64 caches
    low = prob.astype(np.float32)
    assert {a.dtype for a in (low.X, low.Y, low.V, low.on_mask, low.off_mask, low.cap)} == {
        np.dtype(np.float32)}
    Z32 = Z.astype(np.float32)
    out = low.project_into(Z32, np.empty_like(Z32), np.empty_like(Z32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, PZ, rtol=1e-5, atol=1e-5 * np.abs(PZ).max())
    assert prob.on_mask.dtype == np.float64                     # the original is untouched


def test_rescaled_problem_projects_with_its_own_cap(layer):
    """The cap (V on Ωᶜ, +inf on Ω) is cached: a rescaled copy must not reuse the original's."""
    X, W, Y = layer
    rng = np.random.default_rng(4)
    prob = LayerProblem(X, Y, 0.3 * np.linalg.norm(Y), V=0.5 * np.abs(rng.standard_normal(Y.shape)))
    Z = Y + 2.0 * rng.standard_normal(Y.shape)
    PZ = prob.project(Z)                              # fills the cache
    np.testing.assert_allclose(prob.rescaled(4.0).project(Z / 4.0), PZ / 4.0, rtol=1e-12)


def test_rescaled_problem_has_same_report_ratios(layer):
    X, W, Y = layer
    prob = LayerProblem(X, Y, 0.2 * np.linalg.norm(Y))
    U = 0.9 * W
    a, b = prob.evaluate(U), prob.rescaled(7.0).evaluate(U)
    assert a.ball_excess == pytest.approx(b.ball_excess)
    assert a.feasible == b.feasible
    assert b.relu_error == pytest.approx(a.relu_error / 7.0)


def test_an_explicit_active_set_reads_y_on_it_only():
    """omega given: Y may be negative on Ω (a noisy observation), Y off Ω is ignored, and the
    default Ω = {Y > 0} is the same problem as passing it explicitly."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 30))
    Y = np.maximum(rng.standard_normal((2, 30)), 0.0)
    a, b = LayerProblem(X, Y, 0.1), LayerProblem(X, Y, 0.1, omega=Y > 0)
    assert np.array_equal(a.omega, b.omega) and np.array_equal(a.Y, b.Y)
    omega = rng.random((2, 30)) < 0.5
    noisy = np.where(omega, rng.standard_normal((2, 30)), 7.0)   # negative on Ω, junk off it
    p = LayerProblem(X, noisy, 0.1, omega=omega)
    assert np.array_equal(p.omega, omega)
    assert (p.Y[~omega] == 0).all() and np.array_equal(p.Y[omega], noisy[omega])
    with pytest.raises(ValueError, match="omega must be a boolean array of the shape of Y"):
        LayerProblem(X, Y, 0.1, omega=np.ones((2, 29), dtype=bool))
    with pytest.raises(ValueError, match="omega must be a boolean array"):
        LayerProblem(X, Y, 0.1, omega=np.ones((2, 30)))
    with pytest.raises(ValueError, match="omega must be None for the linear"):
        LayerProblem(X, Y, 0.1, omega=omega, linear=True)
    with pytest.raises(ValueError, match="omega is all False"):
        LayerProblem(X, Y, 0.1, omega=np.zeros((2, 30), dtype=bool))

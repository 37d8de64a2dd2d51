"""Rows of X that vanish on every sample: left out of the solve, zero in the answer (issue 32),
and the BLAS thread cap that ``blas_threads="auto"`` picks by size."""

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import random_layer

import nettrim
from nettrim import LayerProblem, solve
from nettrim.prune import AUTO_THREADS_SIZE, thread_limit

DEAD = [1, 6, 7]   # rows of X set to zero on every sample


def _with_dead_rows(seed=0, gain=0.05, bias=False, per_neuron=False, linear=False):
    X, W, Y = random_layer(seed, N=14, M=4, P=70, density=0.5, bias=bias)
    X[DEAD] = 0.0
    Xb = np.vstack([X, np.ones((1, X.shape[1]))]) if bias else X
    Y = W.T @ Xb if linear else np.maximum(W.T @ Xb, 0.0)
    return LayerProblem(X, Y, gain * np.linalg.norm(Y), bias=bias, per_neuron=per_neuron,
                        linear=linear)


@pytest.mark.parametrize("form", [{}, {"bias": True}, {"per_neuron": True}, {"linear": True}],
                         ids=["layer", "bias", "per-neuron", "linear"])
def test_vanishing_rows_are_left_out_and_the_optimum_is_unchanged(form):
    problem = _with_dead_rows(**form)
    assert np.flatnonzero(problem.vanishing_rows).tolist() == DEAD
    res = solve(problem, "admm")
    assert res.converged and res.info["screened_rows"] == len(DEAD)
    assert res.W.shape == (problem.N, problem.M) and not res.W[DEAD].any()
    assert res.evaluation.feasible
    # cvxpy on the whole program (its solver value bypasses the screen) finds the same ℓ₁
    full = nettrim.CVXPY().solve(problem)
    assert full.converged
    assert res.evaluation.l1 == pytest.approx(problem.evaluate(full.W).l1, rel=1e-3)
    # … and puts nothing on the dead rows either (they only add to ‖U‖₁)
    assert np.abs(full.W[DEAD]).max() <= 1e-6 * np.abs(full.W).max()


def test_the_lp_solves_the_screened_program_exactly():
    problem = _with_dead_rows(gain=0.0)
    res = solve(problem, "lp")
    assert res.converged and res.info["screened_rows"] == len(DEAD)
    assert not res.W[DEAD].any() and res.evaluation.feasible


def test_a_program_without_vanishing_rows_is_solved_as_it_is():
    X, W, Y = random_layer(2)
    res = nettrim.prune_layer(X, Y, 0.05 * np.linalg.norm(Y))
    assert res.converged and "screened_rows" not in res.info


def test_runtime_arguments_live_on_all_rows_around_the_screen():
    problem = _with_dead_rows(seed=3)
    first = solve(problem, "admm")
    assert first.state["W"].shape == first.state["Lam2"].shape == (problem.N, problem.M)
    looser = LayerProblem(problem.X, problem.Y, 1.5 * problem.epsilon)
    cold, warm = solve(looser, "admm"), solve(looser, "admm", warm=first.state)
    assert warm.converged and warm.info["warm"] and warm.info["screened_rows"] == len(DEAD)
    assert warm.evaluation.l1 == pytest.approx(cold.evaluation.l1, rel=2e-3)
    seen = []
    solve(problem, "admm", callback=lambda k, W: seen.append(W.shape))
    assert seen and set(seen) == {(problem.N, problem.M)}
    again = solve(problem, "admm", W0=first.W)
    assert again.converged and again.info["iterations"] <= first.info["iterations"]
    with pytest.raises(ValueError, match=r"W0 must have shape \(N, M\) = \(14, 4\)"):
        solve(problem, "admm", W0=first.W[:-1])
    with pytest.raises(ValueError, match=r"warm\['W'\] must have shape \(N, M\) = \(14, 4\)"):
        solve(problem, "admm", warm={**first.state, "W": first.W[:-1]})


def test_blas_threads_auto_caps_small_programs_at_one_thread():
    small = SimpleNamespace(N=100, M=50, P=1000)
    big = SimpleNamespace(N=1000, M=100, P=int(AUTO_THREADS_SIZE // 1e5))
    assert thread_limit("auto", small) == 1
    assert thread_limit("auto", big) is None
    assert thread_limit(3, big) == 3 and thread_limit(None, small) is None
    with pytest.raises(ValueError, match="blas_threads must be a positive int, None or 'auto'"):
        thread_limit("all", small)
    with pytest.raises(ValueError, match="blas_threads must be >= 1"):
        thread_limit(0, small)
    with pytest.raises(TypeError, match="blas_threads must be an integer"):
        thread_limit(1.5, small)
    X, W, Y = random_layer(1)
    with pytest.raises(ValueError, match="blas_threads"):
        nettrim.prune_layer(X, Y, 0.05 * np.linalg.norm(Y), blas_threads="many")

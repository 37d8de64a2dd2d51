"""Noisy recovery (ε > 0): the noise models, the Gordon bound's premises, ADMM against cvxpy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nettrim import LayerProblem, solve
from nettrim.suite.planted import planted_weights
from nettrim.suite.sampling import gaussian
from nettrim.suite.trial import _noisy_response, check_noise, run_trial, trial_seed


def _replay(N, s, P, trial, seed, noise):
    """The trial's (w*, X, y, Ω), drawn again from its SeedSequence as run_trial draws them."""
    rng = np.random.default_rng(trial_seed(seed, N, s, P, trial))
    w = planted_weights(rng, N, s, 1)
    X = gaussian(rng, N, P)
    y, omega = _noisy_response(rng, w, X, False, check_noise(noise))
    return w, X, y, omega


@settings(deadline=None, max_examples=12)
@given(seed=st.integers(0, 10_000), s=st.integers(1, 6), P=st.integers(15, 120))
def test_the_bounds_premises_hold_for_the_solution(seed, s, P):
    """Model `after`: w* is feasible with ε = ‖z_Ω‖, so the minimiser has ‖ŵ‖₁ ≤ ‖w*‖₁ (h in
    the descent cone) and ‖X_Ωᵀ(ŵ − w*)‖ ≤ 2ε — the two steps of the derivation — and the
    trial's reported error is that of this solve."""
    N, noise = 30, {"model": "after", "sigma": 0.1}
    w, X, y, omega = _replay(N, s, P, 0, seed, noise)
    if not omega.any():
        return
    eps = float(np.linalg.norm((y - w.T @ X)[omega]))
    res = solve(LayerProblem(X, y, eps, omega=omega), "cvxpy")
    assert res.converged
    h = res.W - w
    assert np.abs(res.W).sum() <= np.abs(w).sum() * (1 + 1e-6) + 1e-9
    assert np.linalg.norm((h.T @ X)[omega]) <= 2 * eps * (1 + 1e-5) + 1e-9
    row, = run_trial(N=N, s=s, P=P, trial=0, base_seed=seed, sampler=gaussian,
                     solvers=[("cvxpy", {})], noise=noise)
    assert row["w_star_feasible"] and row["epsilon"] == pytest.approx(eps)
    assert row["error"] == pytest.approx(np.linalg.norm(h), rel=1e-3, abs=1e-6)
    assert row["active"] == int(omega.sum())


def test_noise_models_see_the_noiseless_trials_draw():
    """Same seed: `after` keeps the noiseless active set; `before` marks w* infeasible exactly
    when a sample with w*ᵀx > 0 was pushed to y = 0."""
    kw = dict(N=40, s=4, P=200, base_seed=3, sampler=gaussian, solvers=[("cvxpy", {})])
    flips = 0
    for trial in range(6):
        clean, = run_trial(trial=trial, **kw)
        after, = run_trial(trial=trial, noise={"model": "after", "sigma": 0.05}, **kw)
        before, = run_trial(trial=trial, noise={"model": "before", "sigma": 0.05}, **kw)
        assert after["active"] == clean["active"] and after["w_star_feasible"]
        w, X, y, omega = _replay(40, 4, 200, trial, 3, {"model": "before", "sigma": 0.05})
        crossed = bool(np.any((w.T @ X)[~omega] > 0))
        assert before["w_star_feasible"] == (not crossed)
        assert (before["bound_held"] is None) == (crossed or not np.isfinite(before["bound"]))
        flips += crossed
    assert flips > 0          # σ = 0.05 at P = 200: some sample crosses the kink


def test_admm_and_cvxpy_agree_and_the_bound_is_judged_above_the_transition_only():
    rows = [r for P in (20, 150) for t in range(3) for r in run_trial(
        N=60, s=5, P=P, trial=t, base_seed=0, sampler=gaussian,
        solvers=[("admm", {}), ("cvxpy", {})], noise={"model": "after", "sigma": 0.05})]
    assert all(r["status"] == "converged" for r in rows)
    assert max(r["diff_vs_cvxpy"] for r in rows) < 1e-3
    for r in rows:
        if not np.isfinite(r["bound"]):
            assert r["bound_held"] is None and r["bound_over_epsilon"] == np.inf
        else:
            assert r["bound_held"] == (r["error"] <= r["bound"])
    assert any(np.isfinite(r["bound"]) for r in rows)
    assert any(not np.isfinite(r["bound"]) for r in rows)


@pytest.mark.parametrize("noise,match", [
    ({"model": "inside"}, r"noise\.model must be one of \('after', 'before'\)"),
    ({"sigma": 0}, r"noise\.sigma must be > 0"),
    ({"epsilon_factor": 0.5}, r"noise\.epsilon_factor must be >= 1"),
    ({"c": -1}, r"noise\.c must be > 0"),
    ({"sigma": 0.1, "tau": 1}, r"noise has unknown key\(s\) \['tau'\]"),
])
def test_bad_noise_settings_are_named(noise, match):
    with pytest.raises(ValueError, match=match):
        check_noise(noise)

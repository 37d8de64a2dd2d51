"""The kinematic-formula prediction (nettrim.suite.kinematic): intrinsic volumes against exact
facts and an independent route, the Crofton formula against simulated basis pursuit."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nettrim import LayerProblem, solve
from nettrim.suite.cones import design_statistical_dimension
from nettrim.suite.kinematic import (
    curve_quantiles,
    finite_size_prediction,
    intrinsic_volumes,
    measured_width,
    success_given_rows,
    success_probability,
    with_finite_size_prediction,
)
from nettrim.suite.theory import statistical_dimension


def test_a_dense_point_gives_a_half_space():
    """s = N: ∂‖w*‖₁ = {σ}, D = {h : ⟨σ, h⟩ ≤ 0}, whose intrinsic volumes are v_{N−1} = v_N = ½,
    and basis pursuit then needs m = N rows (the half-space meets every proper subspace)."""
    v = intrinsic_volumes(7, 7, draws=20_000, rng=0)
    assert v[:6].sum() == 0 and v[6] == pytest.approx(0.5, abs=0.015)
    given_m = success_given_rows(v)
    assert given_m[:7] == pytest.approx(0.0, abs=0.03) and given_m[7] == 1.0


@settings(deadline=None, max_examples=8)
@given(N=st.integers(2, 60), frac=st.floats(0.05, 0.9))
def test_gauss_bonnet_and_the_statistical_dimension(N, frac):
    """Σ_k v_k = 1, Σ_{k even} v_k = Σ_{k odd} v_k = ½ (Gauss–Bonnet for a cone that is not a
    subspace), and δ(D) = Σ k v_k ≤ the closed form inf_τ E dist²(g, τ∂‖w*‖₁)."""
    s = max(1, min(N, round(frac * N)))
    v = intrinsic_volumes(s, N, draws=40_000, rng=N)
    err = 4 / (2 * np.sqrt(40_000))
    assert v.sum() == pytest.approx(1.0) and (v >= 0).all()
    assert v[::2].sum() == pytest.approx(0.5, abs=err)
    assert np.arange(N + 1) @ v <= statistical_dimension(s, N) + 4 * np.sqrt(N / 40_000)


def test_mean_of_the_volumes_is_the_projection_based_statistical_dimension():
    """Two routes to δ(D): Σ k·v_k (faces hit by the projection onto D°) and E‖Π_D(g)‖²
    (cones.design_statistical_dimension at Σ = I, which projects by FISTA)."""
    N, s = 40, 3
    v = intrinsic_volumes(s, N, draws=100_000, rng=1)
    ref = design_statistical_dimension(np.eye(N), s, draws=3000, rng=2)
    assert np.arange(N + 1) @ v == pytest.approx(ref.delta, abs=4 * ref.stderr + 0.02)


def test_crofton_formula_matches_simulated_basis_pursuit():
    """Pr(min ‖w‖₁ s.t. Aw = Aw* recovers w*) with m Gaussian rows, by simulation (the LP),
    against 1 − 2Σ_{j odd} v_{m+j}: within four binomial standard errors at every m."""
    N, s, reps = 16, 2, 100
    v = intrinsic_volumes(s, N, draws=50_000, rng=3)
    predicted = success_given_rows(v)
    rng = np.random.default_rng(4)
    for m in (4, 6, 8, 10):
        wins = 0
        for _ in range(reps):
            w = np.zeros(N)
            w[rng.choice(N, s, replace=False)] = rng.standard_normal(s)
            A = rng.standard_normal((m, N))
            res = solve(LayerProblem(A.T, (A @ w)[None, :], 0.0, linear=True), "lp")
            wins += np.linalg.norm(res.W[:, 0] - w) <= 1e-6 * np.linalg.norm(w)
        p = predicted[m]
        assert abs(wins / reps - p) <= 4 * np.sqrt(p * (1 - p) / reps) + 0.02, m


def test_success_probability_mixes_the_row_count():
    v = intrinsic_volumes(3, 30, draws=50_000, rng=5)
    given_m = success_given_rows(v)
    assert success_probability([10, 20], 1.0, v) == pytest.approx(given_m[[10, 20]])
    curve = success_probability(np.arange(5, 120, 5), 0.5, v)
    assert np.all(np.diff(curve) >= -1e-12) and curve[0] < 0.05 and curve[-1] > 0.95
    pred = finite_size_prediction(3, 30, 0.5, volumes=v)
    assert pred["delta_exact"] == pytest.approx(np.arange(31) @ v)
    # the curve's own 50% point: Pr(success) crosses ½ there
    lo, hi = success_probability([int(pred["p50_kinematic"]), int(pred["p50_kinematic"]) + 1],
                                 0.5, v)
    assert lo <= 0.5 <= hi


def test_with_finite_size_prediction_uses_the_cells_grid():
    P = np.repeat([20, 40, 80], 10)
    trials = pd.DataFrame({"sampling": "gaussian", "N": 30, "s": 3, "P": P,
                           "success": pd.Series(P >= 40, dtype=object)})
    trials.loc[0, "success"] = None                                  # undecided: not counted
    summary = pd.DataFrame({"sampling": ["gaussian"], "N": [30], "s": [3], "q_hat": [0.5],
                            "p50": [35.0], "p50_lo": [30.0], "p50_hi": [40.0]})
    out = with_finite_size_prediction(trials, summary, draws=20_000, seed=1)
    row = out.iloc[0]
    v = intrinsic_volumes(3, 30, draws=20_000,
                          rng=np.random.default_rng(np.random.SeedSequence([1, 30, 3])))
    ref = finite_size_prediction(3, 30, 0.5, [20, 40, 80], [9, 10, 10], volumes=v)
    assert row["p50_kinematic_fit"] == pytest.approx(ref["p50_kinematic_fit"])
    assert row["ratio_kinematic"] == pytest.approx(35.0 / ref["p50_kinematic_fit"])
    assert row["ratio_kinematic_lo"] < row["ratio_kinematic"] < row["ratio_kinematic_hi"]


@given(st.integers(1, 12), st.floats(0.1, 1.0))
@settings(max_examples=15, deadline=None)
def test_success_probability_is_the_binomial_mixture(s, q):
    """The tail-sum form (Abel summation) equals the defining sum Σ_m Pr(|Ω| = m)·g_m."""
    from scipy import stats

    v = intrinsic_volumes(s, 24, draws=5_000, rng=s)
    g = success_given_rows(v)
    P = np.arange(1, 90, 7)
    direct = [stats.binom.pmf(np.arange(p + 1), p, q) @ g[np.minimum(np.arange(p + 1), 24)]
              for p in P]
    np.testing.assert_allclose(success_probability(P, q, v), direct, atol=1e-12)


def test_a_kinematic_grid_spans_the_predicted_transition():
    levels = [0.1, 0.5, 0.9]
    P = curve_quantiles(10, 200, 0.5, levels, draws=20_000, seed=3)
    assert np.all(np.diff(P) > 0)
    assert np.array_equal(P, curve_quantiles(10, 200, 0.5, levels, draws=20_000, seed=3))
    v = intrinsic_volumes(10, 200, draws=20_000,
                          rng=np.random.default_rng(np.random.SeedSequence([3, 200, 10])))
    # each P is the first count whose predicted success reaches its level
    at, before = success_probability(P, 0.5, v), success_probability(P - 1, 0.5, v)
    assert np.all(at >= levels) and np.all(before < levels)
    pred = finite_size_prediction(10, 200, 0.5, volumes=v)
    assert P[2] - P[0] == pytest.approx(pred["width_kinematic"], abs=2)
    with pytest.raises(ValueError, match="P must be < 1.0"):
        curve_quantiles(10, 200, 0.5, [0.5, 1.2])


def test_expand_grid_places_P_on_the_predicted_curve():
    from nettrim.suite.sweep import expand_grid

    cells = expand_grid([100], [5], [0.2, 0.5, 0.8], P_mode="kinematic")
    assert list(cells["P"]) == list(curve_quantiles(5, 100, 0.5, [0.2, 0.5, 0.8]))


def test_the_measured_width_recovers_a_logistic_curve():
    rng = np.random.default_rng(0)
    a, b = -40.0, 8.0                    # P50 = e⁵ ≈ 148, P90 − P10 = e⁵(9^{1/8} − 9^{-1/8})
    P = np.repeat(np.arange(90, 250, 10), 200)
    success = rng.random(P.size) < 1 / (1 + np.exp(-(a + b * np.log(P))))
    w, lo, hi = measured_width(P, success)
    truth = np.exp(5) * (9 ** (1 / 8) - 9 ** (-1 / 8))
    assert lo < truth < hi and hi - lo < 0.2 * truth
    assert np.isnan(measured_width([10, 20, 30, 40], [False, False, True, True])[0])  # separated


@pytest.mark.parametrize("call,match", [
    (lambda: intrinsic_volumes(5, 3), "s must be <= N"),
    (lambda: intrinsic_volumes(0, 3), "s must be >= 1"),
    (lambda: success_probability([5], 0.0, np.ones(4) / 4), "q must be > 0"),
    (lambda: finite_size_prediction(2, 10, 0.5, [5, 6], [1]), "P and trials must have"),
    (lambda: finite_size_prediction(2, 10, 0.5, volumes=np.ones(5)), r"volumes must have"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_pooled_ratios_weigh_cells_by_their_intervals():
    from nettrim.suite.summary import pooled_ratios

    table = pd.DataFrame({
        "sampling": "gaussian", "N": 400, "s": [2, 8, 20, 40],
        "ratio_kinematic": [1.5, 0.98, 1.02, 1.00],
        "ratio_kinematic_lo": [1.0, 0.96, 0.98, 0.90],
        "ratio_kinematic_hi": [2.0, 1.00, 1.06, 1.10]})
    row = pooled_ratios(table, keys=("ratio_kinematic",)).iloc[0]
    assert row["ratio_kinematic_cells"] == 3                  # s = 2 < min_s left out
    assert (row["ratio_kinematic_min"], row["ratio_kinematic_max"]) == (0.98, 1.02)
    # the narrowest interval (s = 8) pulls the pooled value towards 0.98
    assert 0.98 < row["ratio_kinematic_pooled"] < 0.995
    assert row["ratio_kinematic_pooled_hi"] - row["ratio_kinematic_pooled_lo"] < 0.04


def test_cost_per_trial_groups_by_cell():
    from nettrim.suite.summary import cost_per_trial

    trials = pd.DataFrame({"solver": "lp", "N": [400] * 4 + [1000] * 2, "s": [4, 4, 40, 40, 10, 10],
                           "time": [0.1, 0.3, 1.0, 2.0, 5.0, 7.0]})
    cost = cost_per_trial(trials).set_index(["N", "s"])
    assert cost.loc[(400, 4), "median_time"] == pytest.approx(0.2)
    assert cost.loc[(1000, 10), "total_time"] == pytest.approx(12.0)
    assert cost.loc[(400, 40), "s_over_N"] == pytest.approx(0.1)

"""Theory: δ(s, N) against quadrature and its limits; the P50 fit on synthetic curves."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from nettrim.suite import theory


def _delta_by_quadrature(s, N):
    """δ = inf_τ [s(1+τ²) + (N−s)·2∫_τ^∞ (u−τ)²φ(u)du], with the integral done numerically."""
    def tail(tau):
        return 2 * integrate.quad(lambda u: (u - tau) ** 2 * stats.norm.pdf(u), tau, np.inf)[0]
    f = lambda tau: s * (1 + tau**2) + (N - s) * tail(tau)  # noqa: E731
    return optimize.minimize_scalar(f, bounds=(0, 10), method="bounded").fun


@pytest.mark.parametrize("s,N", [(1, 10), (2, 100), (5, 100), (20, 100), (50, 100), (10, 500),
                                 (99, 100)])
def test_statistical_dimension_matches_quadrature(s, N):
    assert theory.statistical_dimension(s, N) == pytest.approx(_delta_by_quadrature(s, N),
                                                               rel=1e-6)


@settings(deadline=None, max_examples=10)
@given(N=st.integers(1, 200))
def test_statistical_dimension_limits_and_monotone(N):
    d = [theory.statistical_dimension(s, N) for s in range(N + 1)]
    assert d[0] == 0 and d[N] == N
    assert np.all(np.diff(d) > 0)
    # s ≤ δ ≤ N: the cone contains the s-dimensional span of the support's signs
    assert all(s - 1e-9 <= d[s] <= N + 1e-9 for s in range(N + 1))


def test_predicted_p50_and_counts():
    delta = theory.statistical_dimension(5, 100)
    assert theory.predicted_p50(5, 100, 0.5) == pytest.approx(2 * delta)
    assert theory.nips_theorem3(3, 100, mu=2) == pytest.approx(40 * 2 * np.log(100))
    assert theory.s_log_n_over_s(10, 100) == pytest.approx(10 * np.log(10))
    with pytest.raises(ValueError, match="q"):
        theory.predicted_p50(5, 100, 0.0)
    with pytest.raises(ValueError, match="mu"):
        theory.nips_theorem3(3, 100, mu=1)
    with pytest.raises(ValueError, match="s must be <= N"):
        theory.statistical_dimension(11, 10)


@pytest.mark.parametrize("p50,slope", [(40.0, 8.0), (120.0, 15.0)])
def test_fit_p50_recovers_a_planted_logistic_curve(p50, slope):
    rng = np.random.default_rng(1)
    P = np.repeat(np.round(np.linspace(0.6, 1.4, 9) * p50), 200)
    prob = 1 / (1 + np.exp(-slope * (np.log(P) - np.log(p50))))
    fit = theory.fit_p50(P, rng.random(P.size) < prob)
    assert fit.method == "logistic"
    assert fit.lo < p50 < fit.hi
    assert fit.p50 == pytest.approx(p50, rel=0.03)
    assert fit.slope == pytest.approx(slope, rel=0.25)


def test_fit_p50_coverage_of_confidence_interval():
    """The 95% interval covers the true P50 in most of 100 small synthetic experiments."""
    rng = np.random.default_rng(2)
    P = np.repeat(np.arange(20, 61, 5), 20)
    prob = 1 / (1 + np.exp(-6 * (np.log(P) - np.log(40))))
    fits = [theory.fit_p50(P, rng.random(P.size) < prob) for _ in range(100)]
    covered = np.mean([f.lo <= 40 <= f.hi for f in fits])
    assert 0.88 <= covered <= 1.0


def test_fit_p50_separated_and_out_of_range():
    fit = theory.fit_p50([10, 10, 20, 20, 40, 40], [0, 0, 0, 0, 1, 1])
    # no finite MLE: the interval is the profile-likelihood one, which holds the bracket
    assert fit.method == "separated" and not fit.reliable
    assert np.isnan(fit.p50)                           # no point estimate, an interval
    assert fit.lo <= 20 and fit.hi >= 40
    assert theory.fit_p50([10, 20], [1, 1]).method == "out_of_range"
    assert np.isnan(theory.fit_p50([10, 20], [0, 0]).p50)
    with pytest.raises(ValueError, match="same length"):
        theory.fit_p50([10, 20], [1])


def test_fit_constant():
    s, N = np.array([2, 5, 10]), 100
    assert theory.fit_constant(s, N, 2.5 * theory.s_log_n_over_s(s, N)) == pytest.approx(2.5)


def test_quasi_separated_cell_is_not_a_tight_logistic_fit():
    """0/2 then 1/2 successes: the delta method would give a tight CI around 20 (fake
    precision); the data cannot bound P50 at all, and the fit says so."""
    fit = theory.fit_p50([18, 18, 20, 20], [0, 0, 0, 1])
    assert fit.method == "separated" and np.isnan(fit.p50)
    assert np.isnan(fit.lo) and np.isnan(fit.hi)        # open on both sides
    # a thin but overlapping cell: a fit exists but rests on too few trials
    thin = theory.fit_p50([10, 10, 20, 20, 30, 30], [0, 1, 0, 0, 1, 1])
    assert thin.method == "insufficient" and np.isnan(thin.p50)
    assert np.isnan(thin.lo) or thin.hi / thin.lo > 2     # wide, honestly


def test_a_tie_between_failures_and_successes_gives_no_number_outside_its_interval():
    """Issue 29: failures and successes sharing P = 40 (17/20 there, 20/20 at 60) gave p50 40
    with an interval ending at 39.84."""
    fit = theory.fit_p50([40] * 20 + [60] * 20, [1] * 17 + [0] * 3 + [1] * 20)
    assert fit.method == "separated" and np.isnan(fit.p50)
    assert fit.hi < 40                                   # 85% at 40: P50 is below it


def test_a_flat_success_rate_is_a_class_not_an_infinite_p50():
    rng = np.random.default_rng(0)
    P = np.repeat([40, 60, 80, 100], 30)
    fit = theory.fit_p50(P, rng.random(P.size) < 0.5)
    assert fit.method == "flat" and np.isnan([fit.p50, fit.lo, fit.hi]).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([20, 30, 40, 60, 80]), st.booleans()), min_size=1,
                max_size=60))
def test_a_reported_p50_is_always_inside_its_interval(trials):
    P, y = zip(*trials)
    fit = theory.fit_p50(P, y)
    if np.isfinite(fit.p50):
        assert fit.method == "logistic" and fit.lo <= fit.p50 <= fit.hi
    else:
        assert fit.method in ("separated", "insufficient", "flat", "out_of_range")


def test_profile_interval_matches_the_delta_method_on_a_healthy_curve():
    rng = np.random.default_rng(0)
    P = np.repeat([10, 14, 18, 22, 26, 30], 40)
    y = rng.random(P.size) < 1 / (1 + np.exp(-8 * (np.log(P) - np.log(20))))
    fit = theory.fit_p50(P, y)
    lo, hi = theory.profile_interval(P, y)
    assert fit.method == "logistic" and fit.lo < fit.p50 < fit.hi
    assert lo == pytest.approx(fit.lo, rel=0.03) and hi == pytest.approx(fit.hi, rel=0.03)


def test_gaussian_norm_mean_closed_forms_and_bounds():
    assert theory.gaussian_norm_mean(1) == pytest.approx(np.sqrt(2 / np.pi), rel=1e-12)
    assert theory.gaussian_norm_mean(2) == pytest.approx(np.sqrt(np.pi / 2), rel=1e-12)
    g = np.random.default_rng(0).standard_normal((200_000, 7))
    assert theory.gaussian_norm_mean(7) == pytest.approx(np.linalg.norm(g, axis=1).mean(),
                                                         rel=3e-3)
    for m in [1, 3, 10, 100, 10_000]:
        a = theory.gaussian_norm_mean(m)
        assert m / np.sqrt(m + 1) <= a <= np.sqrt(m)


def test_gordon_bound_is_infinite_below_the_transition_and_linear_in_epsilon():
    delta = theory.statistical_dimension(5, 100)
    m_low = int(delta)                       # a_m < √m ≤ √δ: no escape
    assert theory.gordon_error_bound(0.3, m_low, delta) == np.inf
    b1 = theory.gordon_error_bound(0.3, 200, delta)
    assert b1 == pytest.approx(0.6 / (theory.gaussian_norm_mean(200) - np.sqrt(delta)))
    assert theory.gordon_error_bound(0.6, 200, delta) == pytest.approx(2 * b1)
    assert theory.gordon_error_bound(0.3, 200, delta, t=1.0) > b1
    with pytest.raises(ValueError, match="epsilon must be >= 0"):
        theory.gordon_error_bound(-1.0, 200, delta)

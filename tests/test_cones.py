"""δ(Σ^{1/2}D) by Monte Carlo (nettrim.suite.cones), checked against closed forms and cvxpy."""

import functools

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from nettrim.suite.cones import (
    _mixture_p50,
    _random_signs,
    _squared_distances,
    design_statistical_dimension,
    project_subdifferential_cone,
)
from nettrim.suite.theory import statistical_dimension


def _toeplitz(N, r):
    return r ** np.abs(np.subtract.outer(np.arange(N), np.arange(N)))


def test_projection_onto_the_subdifferential_cone_is_cvxpys():
    rng = np.random.default_rng(0)
    N, s = 12, 3
    U = 2.0 * rng.standard_normal((6, N))
    U[0] = -5.0 * np.abs(U[0])                     # far outside: projects to 0 or near it
    signs = _random_signs(rng, 6, N, s)
    P = project_subdifferential_cone(U, signs)
    for u, sigma, p in zip(U, signs, P):
        on = sigma != 0
        v, tau = cp.Variable(N), cp.Variable(nonneg=True)
        cp.Problem(cp.Minimize(cp.sum_squares(v - u)),
                   [v[on] == tau * sigma[on], cp.abs(v[~on]) <= tau]).solve()
        np.testing.assert_allclose(p, v.value, atol=1e-5)


def test_identity_design_gives_each_draws_distance_to_the_scaled_subdifferential():
    """Σ = I: dist²(g, cone ∂‖w*‖₁) = min_τ Σ_S (g − τσ)² + Σ_Sᶜ (|g| − τ)₊², a 1-D convex
    problem solved here independently, draw by draw."""
    rng = np.random.default_rng(1)
    N, s, draws = 30, 4, 40
    G, signs = rng.standard_normal((draws, N)), _random_signs(rng, draws, N, s)
    dist2, converged = _squared_distances(np.eye(N), G, signs, 1e-12, 50_000)
    assert converged.all()
    for g, sigma, d in zip(G, signs, dist2):
        on = sigma != 0

        def f(tau, g=g, sigma=sigma, on=on):
            return (np.sum((g[on] - tau * sigma[on]) ** 2)
                    + np.sum(np.maximum(np.abs(g[~on]) - tau, 0) ** 2))
        best = optimize.minimize_scalar(f, bounds=(0, 20), method="bounded",
                                        options={"xatol": 1e-12})
        assert d == pytest.approx(min(best.fun, f(0.0)), rel=1e-6, abs=1e-9)


def test_correlated_design_distances_are_cvxpys():
    rng = np.random.default_rng(2)
    N, s, draws, r = 15, 3, 5, 0.8
    Sigma = _toeplitz(N, r)
    vals, vecs = np.linalg.eigh(Sigma / np.trace(Sigma) * N)
    B = (vecs / np.sqrt(vals)) @ vecs.T
    G, signs = rng.standard_normal((draws, N)), _random_signs(rng, draws, N, s)
    dist2, converged = _squared_distances(B, G, signs, 1e-12, 100_000)
    assert converged.all()
    for g, sigma, d in zip(G, signs, dist2):
        on = sigma != 0
        v, tau = cp.Variable(N), cp.Variable(nonneg=True)
        prob = cp.Problem(cp.Minimize(cp.sum_squares(g - B @ v)),
                          [v[on] == tau * sigma[on], cp.abs(v[~on]) <= tau])
        prob.solve()
        assert d == pytest.approx(prob.value, rel=1e-5, abs=1e-7)


def test_closed_forms_and_invariances():
    N = 20
    # s = N: the cone is the ray through σ, E dist² = N − E⟨g, σ⟩₊²/N = N − 1/2
    full = design_statistical_dimension(np.eye(N), N, draws=4000, rng=3)
    assert abs(full.delta - (N - 0.5)) <= 4 * full.stderr
    assert design_statistical_dimension(np.eye(N), 0).delta == 0.0
    # inf_τ E dist² (the closed form) bounds δ = E inf_τ dist² from above
    est = design_statistical_dimension(np.eye(N), 4, draws=2000, rng=4)
    assert est.converged and est.delta <= statistical_dimension(4, N) + 3 * est.stderr
    # the cone does not see the scale of Σ: same draws, same δ
    S = _toeplitz(N, 0.6)
    a = design_statistical_dimension(S, 4, draws=200, rng=5)
    b = design_statistical_dimension(7.0 * S, 4, draws=200, rng=5)
    assert a.delta == pytest.approx(b.delta, rel=1e-6)


@pytest.mark.parametrize("args, match", [
    ((np.ones((3, 4)), 1), "Sigma must be a symmetric"),
    ((np.triu(np.ones((3, 3))), 1), "Sigma must be a symmetric"),
    ((np.eye(3), 4), "s must be <= N = 3"),
    ((np.zeros((3, 3)), 1), "Sigma must be positive definite"),
])
def test_bad_input_names_the_argument(args, match):
    with pytest.raises(ValueError, match=match):
        design_statistical_dimension(*args)


def test_layer_one_prediction_uses_the_conditioned_second_moment():
    """Layer 1 of a planted net with Gaussian inputs: the active rows (w*ᵀx > 0) of the augmented
    input (x, 1) have E[x̃x̃ᵀ | w*ᵀx > 0] = [[I, μ], [μᵀ, 1]], μ = √(2/π)·w*/‖w*‖. The estimate
    from samples must give the δ of that closed-form Σ (same signs, same Monte Carlo draws)."""
    from nettrim.suite.cones import planted_layer_dimensions
    from nettrim.suite.planted import planted_network

    rng = np.random.default_rng(6)
    net = planted_network(rng, [12, 3], 3)
    X = rng.standard_normal((12, 200_000))
    rows = planted_layer_dimensions(net, X, 0, draws=300, rng=np.random.default_rng(7))
    assert [r["neuron"] for r in rows] == [0, 1, 2]
    check = np.random.default_rng(7)
    for r in rows:
        w = net.weights[0][:, r["neuron"]]
        mu = np.sqrt(2 / np.pi) * w / np.linalg.norm(w)
        Sigma = np.block([[np.eye(12), mu[:, None]], [mu[None, :], np.ones((1, 1))]])
        signs = np.append(np.sign(w), 0.0)
        exact = design_statistical_dimension(Sigma, 3, draws=300, rng=check, signs=signs)
        assert r["q"] == pytest.approx(0.5, abs=0.01)
        assert r["delta"] == pytest.approx(exact.delta, rel=0.02)
        assert r["p50"] == pytest.approx(r["delta"] / r["q"])


def test_network_prediction_does_not_depend_on_n_jobs():
    from nettrim.suite.cones import planted_network_prediction
    from nettrim.suite.sampling import gaussian

    kwargs = dict(networks=2, samples=3000, draws=20, seed=3)
    a = planted_network_prediction([10, 6, 4], 2, gaussian, n_jobs=1, **kwargs)
    b = planted_network_prediction([10, 6, 4], 2, gaussian, n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(a, b)
    assert list(a["layer"]) == [1, 2] and a["design_converged"].all()
    assert (a["p50_design_q1"] <= a["p50_design"]).all()
    assert (a["p50_design"] <= a["p50_design_q3"]).all()


def test_fixed_signs_are_checked():
    with pytest.raises(ValueError, match="signs must be a vector of N = 3"):
        design_statistical_dimension(np.eye(3), 1, signs=[1.0, 1.0, 0.0])


def test_sampler_dimension_of_isotropic_gaussian_inputs_is_the_identity_designs():
    """x ~ N(0, I): conditioning on w*ᵀx > 0 leaves E[xxᵀ] = I, so the estimate must agree
    with δ at Σ = I averaged over random w* (within the two Monte Carlo errors)."""
    from nettrim.suite.cones import sampler_dimension
    from nettrim.suite.sampling import gaussian

    N, s = 30, 4
    est = sampler_dimension(gaussian, N, s, vectors=12, draws=50, samples=30000, seed=1)
    ref = design_statistical_dimension(np.eye(N), s, draws=2000, rng=2)
    assert est["converged"]
    assert abs(est["delta"] - ref.delta) <= 4 * np.hypot(est["delta_se"], ref.stderr)


def _shifted_conditioned_moment(w, m):
    """E[x̃x̃ᵀ | wᵀx > 0] for x = m·𝟙 + z, z ~ N(0, I), x̃ = (x, 1): with u = ŵᵀz and
    a = m·𝟙ᵀŵ the neuron is active when u > −a, E[u | ·] = φ(a)/Φ(a) and
    E[u² | ·] = 1 − a·φ(a)/Φ(a); z's part orthogonal to ŵ is untouched."""
    from scipy.stats import norm

    N = len(w)
    w_hat = w / np.linalg.norm(w)
    a = m * w_hat.sum()
    mills = norm.pdf(a) / norm.cdf(a)
    Ez = mills * w_hat
    Ezz = np.eye(N) + (1 - a * mills - 1) * np.outer(w_hat, w_hat)
    one = np.ones(N)
    Exx = m * m * np.outer(one, one) + m * (np.outer(one, Ez) + np.outer(Ez, one)) + Ezz
    Ex = m * one + Ez
    return np.block([[Exx, Ex[:, None]], [Ex[None, :], np.ones((1, 1))]])


def test_sampler_dimension_with_a_mean_and_a_bias_row_uses_the_conditioned_moment():
    """Shifted Gaussian inputs with a bias row planted at 0 (a deep layer's case): the
    estimate must be the δ of the closed-form conditioned Σ̃ of the same w*, on the same
    Monte Carlo draws (sampler_dimension's k-th vector replayed from its SeedSequence child)."""
    from nettrim.suite.cones import sampler_dimension
    from nettrim.suite.planted import planted_weights
    from nettrim.suite.sampling import shifted_gaussian

    N, s, m, samples = 12, 3, 0.7, 200_000
    sampler = functools.partial(shifted_gaussian, mean=m)
    est = sampler_dimension(sampler, N, s, bias=True, bias_value=0.0, vectors=2, draws=300,
                            samples=samples, seed=5)
    exact, qs = [], []
    for child in np.random.SeedSequence(5).spawn(2):
        rng = np.random.default_rng(child)
        w = planted_weights(rng, N, s, 1, bias=True, bias_value=0.0)[:, 0]
        sampler(rng, N, samples)                 # advance the stream past the inputs
        Sigma = _shifted_conditioned_moment(w[:N], m)
        exact.append(design_statistical_dimension(Sigma, s, draws=300, rng=rng,
                                                  signs=np.sign(w)).delta)
        qs.append(stats.norm.cdf(m * w[:N].sum() / np.linalg.norm(w[:N])))  # Pr(wᵀx > 0)
    assert est["converged"] and est["dead"] == 0
    assert est["delta"] == pytest.approx(np.mean(exact), rel=0.02)
    assert est["p50"] == pytest.approx(_mixture_p50(np.array(exact), np.array(qs)), rel=0.03)


def test_the_mixture_of_planted_neurons_crosses_where_their_curves_average_one_half():
    """Identical w*: the crossing is the binomial's, ≈ δ/q. Two populations (q = 0.9 and 0.1,
    as a common mean makes for w* of either sign): the average curve crosses ½ between their
    own 50% points, nowhere near mean δ over mean q. Half or more dead: never."""
    from scipy import stats as st

    p = _mixture_p50(np.full(4, 20.0), np.full(4, 0.5))
    assert p == pytest.approx(40, rel=0.03)
    assert st.binom.sf(19, int(np.floor(p)), 0.5) < 0.5 <= st.binom.sf(19, int(np.ceil(p)), 0.5)
    both = _mixture_p50(np.full(4, 10.0), np.array([0.9, 0.9, 0.1, 0.1]))
    assert 10 / 0.9 < both < 10 / 0.1
    assert _mixture_p50(np.full(3, 10.0), np.array([0.9, 0.9, 0.1])) < 20   # 2 of 3 early
    assert _mixture_p50(np.array([10.0]), np.array([0.5]), dead=1) == np.inf


def test_dead_planted_neurons_are_counted_not_averaged():
    """Non-negative inputs: a w* with no positive weight is never active. Those w* are left out
    of δ and reported as the dead fraction; with every w* dead there is no estimate."""
    from nettrim.suite.cones import sampler_dimension
    from nettrim.suite.sampling import rectified_gaussian

    est = sampler_dimension(rectified_gaussian, 20, 1, vectors=16, draws=20, samples=4000,
                            seed=2)
    assert 0.15 <= est["dead"] <= 0.85 and np.isfinite(est["delta"]) and est["converged"]
    none = sampler_dimension(lambda rng, N, P: np.zeros((N, P)), 20, 1, vectors=2, draws=5,
                             samples=500)
    assert none["dead"] == 1.0 and np.isnan(none["delta"]) and not none["converged"]

"""Samplers: moments, correlation, the registry and building one from a config."""

import functools

import numpy as np
import pytest
from scipy import stats

from nettrim.suite import sampling
from nettrim.suite.planted import planted_weights, relu_response

LAWS = ["gaussian", "rademacher", "uniform", "bernoulli_gaussian", "student_t"]


@pytest.mark.parametrize("name", LAWS)
def test_zero_mean_unit_variance(name):
    X = sampling.get_sampler(name)(np.random.default_rng(0), 50, 20_000)
    assert X.shape == (50, 20_000)
    # student_t(3) has infinite fourth moment: its sample variance converges slowly
    tol = 0.08 if name == "student_t" else 0.02
    assert abs(X.mean()) < 0.01
    assert X.var() == pytest.approx(1.0, abs=tol)


def test_law_shapes():
    rng = np.random.default_rng(0)
    assert set(np.unique(sampling.rademacher(rng, 5, 100))) == {-1.0, 1.0}
    U = sampling.uniform(rng, 5, 1000)
    assert np.abs(U).max() <= np.sqrt(3)
    B = sampling.bernoulli_gaussian(rng, 20, 5000, density=0.2)
    assert (B != 0).mean() == pytest.approx(0.2, abs=0.01)
    T = sampling.student_t(rng, 20, 20_000, df=3.0).ravel()
    assert stats.kurtosis(T) > 3  # heavy tails: far from the Gaussian's 0


def test_toeplitz_correlation():
    X = sampling.gaussian(np.random.default_rng(0), 6, 100_000, cov="toeplitz", r=0.6)
    C = np.cov(X)
    assert C[0, 1] == pytest.approx(0.6, abs=0.02)
    assert C[0, 2] == pytest.approx(0.36, abs=0.02)
    assert np.diag(C) == pytest.approx(1.0, abs=0.02)


def test_cause_isolating_laws():
    """shifted: mean m, unit variance, uncorrelated; rectified: max(z, 0), so mean 1/√(2π),
    second moment ½, half zeros; relu_layer: ReLU(Gᵀz), whose second moment is the arc-cosine
    kernel E[ReLU(a)ReLU(b)] = ‖gᵢ‖‖gⱼ‖(sin θ + (π − θ) cos θ)/(2π), θ = ∠(gᵢ, gⱼ)."""
    rng = np.random.default_rng(0)
    S = sampling.shifted_gaussian(rng, 6, 100_000, mean=2.5)
    assert S.mean(axis=1) == pytest.approx(2.5, abs=0.02)
    assert np.cov(S) == pytest.approx(np.eye(6), abs=0.02)
    R = sampling.rectified_gaussian(rng, 6, 100_000)
    assert R.min() == 0.0 and (R == 0).mean() == pytest.approx(0.5, abs=0.01)
    assert R.mean() == pytest.approx(1 / np.sqrt(2 * np.pi), abs=0.005)
    assert (R ** 2).mean() == pytest.approx(0.5, abs=0.01)
    # relu_layer draws G first from its rng: the same seed redraws it
    G = planted_weights(np.random.default_rng(1), 8, 3, 5)
    L = sampling.relu_layer(np.random.default_rng(1), 5, 400_000, inputs=8, s=3)
    norms = np.linalg.norm(G, axis=0)
    theta = np.arccos(np.clip(G.T @ G / np.outer(norms, norms), -1, 1))
    kernel = (np.outer(norms, norms) / (2 * np.pi)
              * (np.sin(theta) + (np.pi - theta) * np.cos(theta)))
    assert L.min() == 0.0
    assert L @ L.T / L.shape[1] == pytest.approx(kernel, abs=0.02 * kernel.max())
    dense = sampling.relu_layer(rng, 4, 10, inputs=3, s=None)
    assert dense.shape == (4, 10)
    with pytest.raises(ValueError, match="s must be <= inputs"):
        sampling.relu_layer(rng, 4, 10, inputs=3, s=5)
    with pytest.raises(ValueError, match="mean"):
        sampling.shifted_gaussian(rng, 4, 10, mean=np.inf)


def test_bad_sampler_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="cov"):
        sampling.gaussian(rng, 3, 4, cov="bogus")
    with pytest.raises(ValueError, match="df"):
        sampling.student_t(rng, 3, 4, df=2.0)
    with pytest.raises(ValueError, match="unknown sampler 'nope'"):
        sampling.get_sampler("nope")
    with pytest.raises(ValueError, match="N must be >= 1"):
        sampling.uniform(rng, 0, 4)


def my_laplace(rng, N, P, scale=1.0):
    return rng.laplace(scale=scale / np.sqrt(2), size=(N, P))


def test_sampler_from_config_any_importable_function():
    name, f = sampling.sampler_from_config({"_target_": "test_sampling.my_laplace", "scale": 2.0})
    assert name == "my_laplace" and isinstance(f, functools.partial)
    assert f(np.random.default_rng(0), 4, 7).shape == (4, 7)
    name, f = sampling.sampler_from_config({"name": "gaussian", "_target_":
                                            "nettrim.suite.sampling.gaussian", "cov": "identity"})
    assert name == "gaussian"


def wrong_shape(rng, N, P):
    return np.zeros((P, N))


def test_sampler_from_config_errors():
    with pytest.raises(ValueError, match="not an importable function"):
        sampling.sampler_from_config({"_target_": "no.such.module.fn"})
    with pytest.raises(ValueError, match="failed on a test draw"):
        sampling.sampler_from_config({"_target_": "nettrim.suite.sampling.gaussian", "bogus": 1})
    with pytest.raises(ValueError, match="must return an \\(N, P\\) array"):
        sampling.sampler_from_config({"_target_": "test_sampling.wrong_shape"})


def test_planted_weights_and_response():
    rng = np.random.default_rng(0)
    W = planted_weights(rng, 30, 4, 5, bias=True)
    assert W.shape == (31, 5)
    assert ((W[:30] != 0).sum(axis=0) == 4).all()
    X = rng.standard_normal((30, 8))
    Y = relu_response(W, X, bias=True)
    assert np.allclose(Y, np.maximum(W[:30].T @ X + W[30][:, None], 0))
    with pytest.raises(ValueError, match="s must be <= N"):
        planted_weights(rng, 3, 4)
    with pytest.raises(ValueError, match="values must be one of"):
        planted_weights(rng, 3, 2, values="cauchy")

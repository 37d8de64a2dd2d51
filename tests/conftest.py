import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("default", max_examples=20, derandomize=True)
settings.register_profile("thorough", max_examples=300, derandomize=False)
settings.load_profile("default")


def random_layer(seed=0, N=12, M=3, P=40, density=1.0, bias=False):
    """A random ReLU layer: X (N×P) Gaussian, W (N×M) with the given density, Y = ReLU(WᵀX)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, P))
    W = rng.standard_normal((N + bias, M)) * (rng.random((N + bias, M)) < density)
    Xb = np.vstack([X, np.ones((1, P))]) if bias else X
    Y = np.maximum(W.T @ Xb, 0.0)
    return X, W, Y


@pytest.fixture
def layer():
    return random_layer()

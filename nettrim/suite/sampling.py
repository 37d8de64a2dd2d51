"""Sampling hypotheses: laws for the layer inputs x_p, one column of X (N×P) per sample.

A sampler is any function ``f(rng, N, P, **params) -> ndarray of shape (N, P)`` with ``rng`` a
:class:`numpy.random.Generator`. The built-in ones are registered by name; the Hydra group
``conf/sampling/`` holds one YAML file per sampler whose ``_target_`` points at the function, so a
new hypothesis is one function (anywhere importable) plus one YAML file, or just an override
``sampling._target_=my_module.my_sampler``.

The first five built-in laws have zero mean and unit variance per coordinate, so they differ only
in shape (tails, sparsity, correlation), which is what the sample-complexity theory is about.
Three more isolate what sets a deeper layer's inputs apart (issue 17): a common mean
(:func:`shifted_gaussian`), non-negativity with a mean (:func:`rectified_gaussian`) and the
ReLU outputs of one random layer, correlated through their shared inputs (:func:`relu_layer`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.linalg import cholesky, toeplitz

from .._validation import check_int, check_scalar
from ..registry import Registry
from .planted import planted_weights

Sampler = Callable[..., np.ndarray]
#: Every named sampler (the same registry rules as the solvers': a name is registered once).
SAMPLERS = Registry("sampler")


def register_sampler(name: str):
    """Decorator: register ``f(rng, N, P, **params)`` under ``name``.

    Parameters
    ----------
    name : str

    Returns
    -------
    callable
        The decorator (it returns the sampler unchanged).
    """
    return SAMPLERS.register(name)


def get_sampler(name: str) -> Sampler:
    """The sampler registered as ``name``.

    Parameters
    ----------
    name : str

    Returns
    -------
    callable
    """
    return SAMPLERS.get(name)


def available_samplers() -> list[str]:
    """Names of the registered samplers.

    Returns
    -------
    list of str
    """
    return SAMPLERS.names()


def _check(N, P):
    return check_int(N, "N", low=1), check_int(P, "P", low=1)


@register_sampler("gaussian")
def gaussian(rng: np.random.Generator, N: int, P: int, *, cov: str = "identity",
             r: float = 0.0) -> np.ndarray:
    """x ~ N(0, Σ) with Σ = I (``cov="identity"``) or the Toeplitz Σ_ij = r^|i−j|
    (``cov="toeplitz"``, an AR(1) correlation with 0 ≤ r < 1)."""
    N, P = _check(N, P)
    Z = rng.standard_normal((N, P))
    if cov == "identity":
        return Z
    if cov == "toeplitz":
        r = check_scalar(r, "r", low=0.0, high=1.0, high_inclusive=False)
        L = cholesky(toeplitz(r ** np.arange(N)), lower=True)
        return L @ Z
    raise ValueError(f"cov must be 'identity' or 'toeplitz'; got {cov!r}")


@register_sampler("rademacher")
def rademacher(rng: np.random.Generator, N: int, P: int) -> np.ndarray:
    """Independent ±1 entries."""
    N, P = _check(N, P)
    return rng.choice(np.array([-1.0, 1.0]), size=(N, P))


@register_sampler("uniform")
def uniform(rng: np.random.Generator, N: int, P: int) -> np.ndarray:
    """Independent entries uniform on [−√3, √3] (unit variance)."""
    N, P = _check(N, P)
    return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=(N, P))


@register_sampler("bernoulli_gaussian")
def bernoulli_gaussian(rng: np.random.Generator, N: int, P: int, *,
                       density: float = 0.3) -> np.ndarray:
    """Sparse inputs: each entry is N(0, 1/density) with probability ``density``, else 0."""
    N, P = _check(N, P)
    density = check_scalar(density, "density", low=0.0, low_inclusive=False, high=1.0)
    mask = rng.random((N, P)) < density
    return np.where(mask, rng.standard_normal((N, P)) / np.sqrt(density), 0.0)


@register_sampler("student_t")
def student_t(rng: np.random.Generator, N: int, P: int, *, df: float = 3.0) -> np.ndarray:
    """Heavy-tailed entries: Student t with ``df`` > 2 degrees of freedom, scaled to unit
    variance. Not subgaussian, so outside the theory: a negative control."""
    N, P = _check(N, P)
    df = check_scalar(df, "df", low=2.0, low_inclusive=False)
    return rng.standard_t(df, size=(N, P)) * np.sqrt((df - 2) / df)


@register_sampler("shifted_gaussian")
def shifted_gaussian(rng: np.random.Generator, N: int, P: int, *,
                     mean: float = 1.0) -> np.ndarray:
    """x = mean·𝟙 + z with z ~ N(0, I): a common mean and nothing else (independent, signed,
    unit-variance coordinates)."""
    N, P = _check(N, P)
    mean = check_scalar(mean, "mean")
    return mean + rng.standard_normal((N, P))


@register_sampler("rectified_gaussian")
def rectified_gaussian(rng: np.random.Generator, N: int, P: int) -> np.ndarray:
    """x_i = max(z_i, 0) with z ~ N(0, I): non-negative, a common mean 1/√(2π), half the
    entries zero, independent coordinates (the inputs of a layer after a ReLU, without the
    correlation a shared input brings)."""
    N, P = _check(N, P)
    return np.maximum(rng.standard_normal((N, P)), 0.0)


@register_sampler("relu_layer")
def relu_layer(rng: np.random.Generator, N: int, P: int, *, inputs: int = 60,
               s: int | None = 4) -> np.ndarray:
    """x = ReLU(Gᵀz) with z ~ N(0, I_inputs) and G (inputs × N) drawn once per call with
    ``s``-sparse Gaussian columns (dense when ``s`` is None): the inputs of a second planted
    layer (the deep-recovery networks' layer 2 at the defaults inputs = 60, s = 4, N = 40,
    without their bias row — add it with ``planted.bias``)."""
    N, P = _check(N, P)
    inputs = check_int(inputs, "inputs", low=1)
    s = inputs if s is None else check_int(s, "s", low=1)
    if s > inputs:
        raise ValueError(f"s must be <= inputs (a column of G has {inputs} entries); got {s}")
    G = planted_weights(rng, inputs, s, N)
    return np.maximum(G.T @ rng.standard_normal((inputs, P)), 0.0)


def sampler_from_config(config) -> tuple[str, Sampler]:
    """Build a sampler from a Hydra-style mapping and check that it can be called.

    ``config`` holds ``_target_`` (dotted path to any ``f(rng, N, P, **params)``) and the
    params; an optional ``name`` labels it (default: the function's name). Returns
    ``(name, sampler)`` with the params bound (a picklable ``functools.partial``).
    """
    import functools

    from hydra.utils import get_method

    params = dict(config)
    name = params.pop("name", None)
    params.pop("_partial_", None)
    target = params.pop("_target_", None)
    if target is None:
        if name is None:
            raise ValueError("sampling config needs a _target_ (a dotted function path) or the "
                             f"name of a built-in sampler ({available_samplers()})")
        fn = get_sampler(name)
    else:
        try:
            fn = get_method(target)
        except Exception as exc:
            raise ValueError(f"sampling._target_ = {target!r} is not an importable function: "
                             f"{exc}") from None
        # A built-in name on another function would label the rows with the wrong law
        # (e.g. `sampling.name=rademacher` on the default group still draws Gaussians).
        if name in SAMPLERS and SAMPLERS.get(name) is not fn:
            raise ValueError(
                f"sampling.name = {name!r} is a built-in sampler but sampling._target_ is "
                f"{target!r}: the results would be labelled with the wrong law. Choose the "
                f"sampler with the config group (sampling={name}); a custom sampler needs a "
                f"name that is not built-in ({available_samplers()})")
    sampler = functools.partial(fn, **params)
    try:
        X = np.asarray(sampler(np.random.default_rng(0), 3, 2))
    except Exception as exc:
        raise ValueError(f"the sampler {target or name!r} with params {params} failed on a test "
                         f"draw (rng, N=3, P=2): {type(exc).__name__}: {exc}") from None
    if X.shape != (3, 2):
        raise ValueError(f"the sampler {target or name!r} must return an (N, P) array; for N=3, "
                         f"P=2 it returned shape {X.shape}")
    return (name or fn.__name__), sampler


__all__ = ["sampler_from_config", "register_sampler", "get_sampler", "available_samplers",
           "gaussian", "rademacher",
           "uniform", "bernoulli_gaussian", "student_t", "shifted_gaussian", "rectified_gaussian",
           "relu_layer"]

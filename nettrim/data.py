"""Data sets generated in code (the machine that runs the suite may have no network)."""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_scalar


def spirals(rng: np.random.Generator, n: int, *, turns: float = 1.5, noise: float = 0.05):
    """Two nested spirals in the plane, the NIPS Net-Trim supplement's toy classification task.

    Class k ∈ {0, 1} is the arm r = t, angle 2π·turns·t + kπ, t ~ U(0.05, 1), plus Gaussian
    noise of standard deviation ``noise``; the two arms interleave.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of points (split evenly between the classes).
    turns : float, default 1.5
        Turns of each arm.
    noise : float, default 0.05

    Returns
    -------
    X : ndarray of shape (2, n)
        One point per column (the paper's orientation).
    labels : ndarray of shape (n,), int
    """
    n = check_int(n, "n", low=2)
    turns = check_scalar(turns, "turns", low=0.0, low_inclusive=False)
    noise = check_scalar(noise, "noise", low=0.0)
    labels = np.arange(n) % 2
    t = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * turns * t + np.pi * labels
    X = np.vstack([t * np.cos(angle), t * np.sin(angle)]) + noise * rng.standard_normal((2, n))
    return X, labels


__all__ = ["spirals"]

"""What sets how far a trained layer 2 can be pruned: the distinct layer-1 features.

A layer-1 ReLU unit ReLU(wᵀx + b) is linear on either side of its crease, the hyperplane
wᵀx + b = 0; a layer-2 neuron is a combination of these hinges. It can drop a unit whose crease
misses the data (the unit is dead or linear there) and merge units whose creases coincide
(copies, or the same crease with the opposite orientation: ReLU(z) − ReLU(−z) = z is linear),
but it cannot replace a distinct crease by others. So the layer-2 count per neuron that a
faithful pruning can reach is bounded below, roughly, by the number of distinct creases it uses.

- :func:`distinct_features` counts the distinct creases that cross the data, up to an angle and
  an offset tolerance;
- :func:`widen` splits every hidden unit into copies with positive scales: the same function
  with more units, the control that separates "wide" from "many distinct features".
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .._validation import check_int, check_matrix, check_scalar
from ..network import Network


def crease_lines(net: Network, X):
    """The creases of layer 1 that cross the data X, normalised.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
        The data, one sample per column.

    Returns
    -------
    normals : ndarray of shape (n, n₀)
        Unit normals w/‖w‖ of the n units whose unit is active on some but not all samples.
    offsets : ndarray of shape (n,)
        b/‖w‖: the signed distance of the crease from the origin.
    units : ndarray of shape (n,)
        Their indices in layer 1.
    """
    X = check_matrix(X, "X")
    W, b = net.weights[0], net.biases[0]
    active = (W.T @ X + b[:, None]) > 0
    frac = active.mean(axis=1)
    norm = np.linalg.norm(W, axis=0)
    units = np.flatnonzero((frac > 0) & (frac < 1) & (norm > 0))
    return (W[:, units] / norm[units]).T, b[units] / norm[units], units


def distinct_features(net: Network, X, *, angle_tol: float = 0.05,
                      offset_tol: float = 0.02) -> int:
    """Number of distinct layer-1 creases crossing the data (single-linkage clusters).

    Two creases are the same when the angle between their lines is at most ``angle_tol``
    radians and, with their normals aligned, their offsets differ by at most ``offset_tol``
    (in the units of X). Orientation does not count: ReLU(z) and ReLU(−z) share a crease.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
    angle_tol : float, default 0.05
        Radians (about 2.9°).
    offset_tol : float, default 0.02
        For the spirals (radius 1), 2% of the data's extent.

    Returns
    -------
    int
    """
    angle_tol = check_scalar(angle_tol, "angle_tol", low=0.0)
    offset_tol = check_scalar(offset_tol, "offset_tol", low=0.0)
    normals, offsets, _ = crease_lines(net, X)
    if len(offsets) == 0:
        return 0
    cos = normals @ normals.T
    sign = np.where(cos >= 0, 1.0, -1.0)
    angle = np.arccos(np.clip(np.abs(cos), 0.0, 1.0))
    gap = np.abs(offsets[:, None] - sign * offsets[None, :])
    same = (angle <= angle_tol) & (gap <= offset_tol)
    return int(connected_components(csr_matrix(same), directed=False)[0])


def widen(net: Network, width: int, rng: np.random.Generator) -> Network:
    """The same function with every hidden layer widened to ``width`` units.

    Each hidden unit is split into copies (as evenly as possible): copy k of unit j gets the
    incoming weights and bias scaled by s_k > 0 and the outgoing weights scaled by a_k/s_k, with
    Σ_k a_k = 1 over the copies, so ReLU(s_k z)·a_k/s_k sums to ReLU(z).

    Parameters
    ----------
    net : Network
        With ReLU hidden layers.
    width : int
        At least the widest hidden layer.
    rng : numpy.random.Generator
        Draws the scales s_k ~ U(0.5, 2) and the shares a_k (Dirichlet(1)).

    Returns
    -------
    Network
    """
    width = check_int(width, "width", low=1)
    Ws, bs = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    for ell in range(net.n_layers - 1):
        n = Ws[ell].shape[1]
        if width < n:
            raise ValueError(f"width must be at least layer {ell + 1}'s {n} units; got {width}")
        copies = np.repeat(np.arange(n), np.diff(np.linspace(0, width, n + 1).round()).astype(int))
        scale = rng.uniform(0.5, 2.0, width)
        share = np.empty(width)
        for j in range(n):
            idx = np.flatnonzero(copies == j)
            share[idx] = rng.dirichlet(np.ones(len(idx)))
        Ws[ell] = Ws[ell][:, copies] * scale
        bs[ell] = bs[ell][copies] * scale
        Ws[ell + 1] = Ws[ell + 1][copies, :] * (share / scale)[:, None]
    return Network(Ws, bs, last_relu=net.last_relu)


__all__ = ["crease_lines", "distinct_features", "widen"]

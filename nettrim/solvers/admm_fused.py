"""The ADMM iteration's elementwise work, fused into few memory passes (numba), or as numpy.

Between its three BLAS products an ADMM iteration of the primal form (:mod:`.admm`) updates
a dozen N×M and M×P arrays elementwise. Each numpy operation is a separate pass over memory,
and on MNIST layer 1 (N = 619, M = 300, P = 1,000; two BLAS threads) those passes took 36%
of the solve: 4.0 of 9.7 ms per iteration against 4.5 ms for the three products. Compiled,
the same arithmetic takes five passes (the right-hand side R, the steps after the Gram solve,
the ball's norm, the projection with the dual update, the running products) and about
1.5 ms.

Both engines expose the same four steps of the primal form with the same arguments, so the loop in
:mod:`.admm` is written once: :class:`NumpyEngine` is the arithmetic as numpy writes it (the
reference, and what runs without numba), :class:`NumbaEngine` the fused loops, compiled on
first use and cached on disk. They perform the same floating-point operations but for the
ball's norm, which the fused loop sums in float64 (numpy in the M×P precision, pairwise), and
the fused multiply-adds BLAS's axpy may use: iterates agree to round-off, not bit for bit.

The fused loops run on one thread: between the BLAS calls OpenBLAS's threads keep spinning,
and a second pool of threads for the elementwise loops made an iteration four times slower
on two cores.
"""

from __future__ import annotations

import functools

import numpy as np

from .._inplace import axpy

#: Values of the ``kernels`` option of :func:`nettrim.solvers.admm.solve_admm`.
KERNELS = ("auto", "numba", "numpy")


class NumpyEngine:
    """The elementwise steps of an ADMM iteration in numpy (the reference)."""

    name = "numpy"

    @staticmethod
    def rhs(XW1, XU1, W2, U2, out, delta=None, scratch=None):
        """R = XW1ᵀ − XU1ᵀ + W2 − U2 into ``out``, the right-hand side of the W3 update; with
        ``delta`` (float32), also the change R − R_old from what ``out`` held (R is formed in
        ``scratch``, an N×M float64 array, first)."""
        new = np.subtract(XW1, XU1, out=out if delta is None else scratch)
        new += W2
        new -= U2
        if delta is not None:
            np.subtract(new, out, out=delta, casting="same_kind")
            np.copyto(out, new)
        return out

    @staticmethod
    def post_gram(R, W3, W2, U2, XW1, alpha, t, XZ, alpha_W3, W3_hat, W2_new, scratch):
        """After W3 = (XXᵀ + I)⁻¹R: the over-relaxed XẐ = α(R − W3) + (1 − α)XW1ᵀ into XZ
        (XXᵀW3 = R − W3), αW3 in the products' precision, Ŵ3 = αW3 + (1 − α)W2, the soft
        threshold W2_new = S_t(Ŵ3 + U2), and U2 ← U2 + Ŵ3 − W2_new in place."""
        np.subtract(R, W3, out=XZ)
        XZ *= alpha
        axpy(1 - alpha, XW1, XZ)
        np.multiply(W3, alpha, out=alpha_W3, casting="same_kind")
        NumpyEngine.w2_step(W3, W2, U2, alpha, t, W3_hat, W2_new, scratch)

    @staticmethod
    def w2_step(W3, W2, U2, alpha, t, W3_hat, W2_new, scratch):
        """Ŵ3 = αW3 + (1 − α)W2, W2_new = S_t(Ŵ3 + U2) and U2 ← U2 + Ŵ3 − W2_new (both forms;
        the kernel form calls it alone)."""
        np.multiply(W3, alpha, out=W3_hat)
        axpy(1 - alpha, W2, W3_hat)
        np.add(W3_hat, U2, out=W2_new)
        W2_new -= np.clip(W2_new, -t, t, out=scratch)   # the prox as v − clip(v, −t, t)
        U2 += W3_hat
        U2 -= W2_new

    @staticmethod
    def project(problem, V, T, W1, W1_new, D, alpha, step):
        """W1_new = Π_C(V + T) and T ← V + T − αW1_new; with ``step``, D = W1_new − W1.

        Returns (W1_new, T, V): the arrays now holding W1 and T, and the free M×P buffer
        (numpy writes the new T into V's memory)."""
        V += T
        problem.project_into(V, out=W1_new, work=D)
        # T ← (V − W1) + (1 − α)W1 rather than V − αW1: where the projection leaves an entry
        # alone the scaled dual U1 = T − (1 − α)W1 is then exactly 0, not round-off, and the
        # inequalities the multiplier marks active are the ones that are
        T, V = axpy(1 - alpha, W1_new, np.subtract(V, W1_new, out=V)), T
        if step:
            np.subtract(W1_new, W1, out=D)
        return W1_new, T, V

    @staticmethod
    def running_update(XW1, step, XW1_new, XU1, XZ):
        """XW1_new = XW1 + step (when ``step`` is given: the float32 increment X(W1_new −
        W1)ᵀ) and XU1 ← XU1 + XẐ − XW1_new, the running products of the primal form."""
        if step is not None:
            np.add(XW1, step, out=XW1_new)
        XU1 += XZ
        XU1 -= XW1_new


class NumbaEngine(NumpyEngine):
    """The same steps as fused loops (numba, one thread); :func:`engine` builds it."""

    name = "numba"

    def __init__(self, kernels):
        self._k = kernels

    def rhs(self, XW1, XU1, W2, U2, out, delta=None, scratch=None):
        if delta is None:
            self._k.rhs(XW1, XU1, W2, U2, out)
        else:
            self._k.rhs_delta(XW1, XU1, W2, U2, out, delta)
        return out

    def post_gram(self, R, W3, W2, U2, XW1, alpha, t, XZ, alpha_W3, W3_hat, W2_new, scratch):
        self._k.post_gram(R, W3, W2, U2, XW1, float(alpha), float(t), XZ, alpha_W3, W3_hat,
                          W2_new)

    def project(self, problem, V, T, W1, W1_new, D, alpha, step):
        dtype = V.dtype.type
        sums = self._k.ball_sums(V, T, problem.Y, problem.on_mask)
        if problem.per_neuron:
            norms = np.sqrt(sums)
            over = norms > problem.epsilon_m
            shrink = np.where(over, 1 - problem.epsilon_m / np.where(over, norms, 1.0), 0.0)
        else:
            norm = np.sqrt(sums.sum())
            shrink = np.full(len(sums), 1 - problem.epsilon / norm if norm > problem.epsilon
                             else 0.0)
        self._k.project_step(V, T, W1, W1_new, D, problem.Y, problem.on_mask, problem.cap,
                             shrink.astype(dtype), dtype(1 - alpha), bool(step))
        return W1_new, T, V

    def running_update(self, XW1, step, XW1_new, XU1, XZ):
        if step is None:
            NumpyEngine.running_update(XW1, None, XW1_new, XU1, XZ)
        else:
            self._k.running_update(XW1, step, XW1_new, XU1, XZ)


def check_kernels(kernels) -> str:
    """``kernels`` if it is one of :data:`KERNELS` and can run here: a ValueError naming the
    values otherwise, an ImportError for ``"numba"`` without numba."""
    if not isinstance(kernels, str) or kernels not in KERNELS:
        raise ValueError(f"kernels must be one of {KERNELS}; got {kernels!r}")
    if kernels == "numba" and not numba_available():
        raise ImportError("kernels='numba' needs numba (pip install 'nettrim[fast]'); "
                          "kernels='auto' falls back to numpy without it")
    return kernels


def engine(kernels: str = "auto"):
    """The engine for the ``kernels`` option (:func:`check_kernels`): numba's when asked for
    or (``"auto"``) when numba is installed, else numpy's."""
    if check_kernels(kernels) == "numpy" or not numba_available():
        return NumpyEngine()
    return NumbaEngine(_compiled())


def numba_available() -> bool:
    """Whether numba can be imported here (the fused loops' one requirement)."""
    return _compiled() is not None


@functools.cache
def _compiled():
    """The fused loops, compiled lazily (numba is not imported by ``import nettrim``), or None
    without numba."""
    try:
        import numba
    except ImportError:
        return None
    jit = numba.njit(cache=True, nogil=True)

    @jit
    def rhs(XW1, XU1, W2, U2, out):
        n, m = out.shape
        for i in range(n):
            for j in range(m):
                out[i, j] = XW1[i, j] - XU1[i, j] + W2[i, j] - U2[i, j]

    @jit
    def rhs_delta(XW1, XU1, W2, U2, out, delta):
        n, m = out.shape
        for i in range(n):
            for j in range(m):
                r = XW1[i, j] - XU1[i, j] + W2[i, j] - U2[i, j]
                delta[i, j] = r - out[i, j]
                out[i, j] = r

    @jit
    def post_gram(R, W3, W2, U2, XW1, alpha, t, XZ, alpha_W3, W3_hat, W2_new):
        n, m = R.shape
        for i in range(n):
            for j in range(m):
                w3 = W3[i, j]
                XZ[i, j] = (R[i, j] - w3) * alpha + (1 - alpha) * XW1[i, j]
                a = w3 * alpha
                alpha_W3[i, j] = a
                h = a + (1 - alpha) * W2[i, j]
                W3_hat[i, j] = h
                v = h + U2[i, j]
                w2 = v - min(max(v, -t), t)
                W2_new[i, j] = w2
                U2[i, j] = (U2[i, j] + h) - w2

    @jit
    def ball_sums(V, T, Y, on):
        m, p = V.shape
        sums = np.zeros(m)
        for i in range(m):
            s = 0.0
            for j in range(p):
                d = float((V[i, j] + T[i, j] - Y[i, j]) * on[i, j])
                s += d * d
            sums[i] = s
        return sums

    @jit
    def project_step(V, T, W1, W1_new, D, Y, on, cap, shrink, beta, step):
        # beta = 1 − α, rounded as the solver rounds it when it reads U1 = T − (1 − α)W1
        m, p = V.shape
        for i in range(m):
            c = shrink[i]
            for j in range(p):
                v = V[i, j] + T[i, j]
                w1 = min(v, cap[i, j]) - c * ((v - Y[i, j]) * on[i, j])
                W1_new[i, j] = w1
                T[i, j] = (v - w1) + beta * w1
                if step:
                    D[i, j] = w1 - W1[i, j]

    @jit
    def running_update(XW1, step, XW1_new, XU1, XZ):
        n, m = XW1.shape
        for i in range(n):
            for j in range(m):
                x = XW1[i, j] + step[i, j]
                XW1_new[i, j] = x
                XU1[i, j] = (XU1[i, j] + XZ[i, j]) - x

    return _Kernels(rhs, rhs_delta, post_gram, ball_sums, project_step, running_update)


class _Kernels:
    """The compiled loops, by name."""

    def __init__(self, rhs, rhs_delta, post_gram, ball_sums, project_step, running_update):
        self.rhs, self.rhs_delta, self.post_gram, self.ball_sums = (rhs, rhs_delta, post_gram,
                                                                    ball_sums)
        self.project_step, self.running_update = project_step, running_update

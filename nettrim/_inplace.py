"""In-place array updates that numpy would spend two passes and a temporary on."""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import daxpy, saxpy
from threadpoolctl import ThreadpoolController

_AXPY = {np.dtype(np.float64): daxpy, np.dtype(np.float32): saxpy}
_CONTROLLER = None


def blas_threads() -> int:
    """The BLAS thread count in force now (the largest over the loaded BLAS libraries).

    A live query (about 2 µs), so it sees :func:`threadpoolctl.threadpool_limits`."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return max((lib.num_threads for lib in _CONTROLLER.lib_controllers
                if lib.user_api == "blas"), default=1)


def axpy(a: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """y += a·x in place, in one memory pass (BLAS daxpy/saxpy); returns y.

    ADMM's M×P updates are memory-bound, so the pass numpy's ``y += a * x`` spends on the
    temporary a·x is a sizeable share of an iteration.  Falls back to numpy for arrays BLAS
    cannot update in place (not C-contiguous, not float64 or float32) and whenever BLAS runs
    more than one thread: OpenBLAS then splits each axpy over its threads, and waking them
    for a memory-bound pass cost 2.3 ms per call against 0.11 ms on one (MNIST layer 1,
    300×1,000 float32, 2 cores: the whole ADMM solve 2× slower than on one thread).
    """
    blas = _AXPY.get(y.dtype)
    if (blas is not None and x.shape == y.shape and x.dtype == y.dtype
            and x.flags.c_contiguous and y.flags.c_contiguous and blas_threads() == 1):
        blas(x.reshape(-1), y.reshape(-1), a=a)   # views: BLAS writes into y's memory
    else:
        y += a * x
    return y

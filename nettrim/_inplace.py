"""In-place array updates that numpy would spend two passes and a temporary on."""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import daxpy, saxpy

_AXPY = {np.dtype(np.float64): daxpy, np.dtype(np.float32): saxpy}


def axpy(a: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """y += a·x in place, in one memory pass (BLAS daxpy/saxpy); returns y.

    ADMM's M×P updates are memory-bound, so the pass numpy's ``y += a * x`` spends on the
    temporary a·x is a sizeable share of an iteration.  Falls back to numpy for arrays BLAS
    cannot update in place (not C-contiguous, not float64 or float32).
    """
    blas = _AXPY.get(y.dtype)
    if (blas is not None and x.shape == y.shape and x.dtype == y.dtype
            and x.flags.c_contiguous and y.flags.c_contiguous):
        blas(x.reshape(-1), y.reshape(-1), a=a)   # views: BLAS writes into y's memory
    else:
        y += a * x
    return y

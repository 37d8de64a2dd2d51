"""Input validation at the public edge: every check names the argument it rejects."""

from __future__ import annotations

import numbers

import numpy as np

#: Largest entry magnitude accepted in a data matrix (its square must stay far from overflow).
MAX_MAGNITUDE = 1e100


def check_matrix(a, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``a`` as a 2-D float64 array, or raise naming ``name``.

    Raises
    ------
    TypeError
        If ``a`` is not numeric (strings, objects, booleans are refused).
    ValueError
        If ``a`` is not 2-D, is empty, or holds NaN/Inf.
    """
    if hasattr(a, "toarray") and hasattr(a, "nnz"):  # a scipy sparse matrix: solvers are dense
        a = a.toarray()
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric 2-D array; got {type(a).__name__} "
                        f"({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a numeric (integer or float) array; got dtype {arr.dtype}"
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D; got an array of shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must be non-empty; got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise ValueError(f"{name} must be finite; it holds {bad} NaN/Inf entries")
    biggest = float(np.abs(arr).max()) if arr.size else 0.0
    if biggest > MAX_MAGNITUDE:
        # squared residuals and Gram matrices would overflow double precision
        raise ValueError(f"{name} has entries of magnitude {biggest:.3g}, above "
                         f"{MAX_MAGNITUDE:.0e}: squares overflow in double precision; divide "
                         f"X, Y and epsilon by a common factor (the program's solution is the "
                         f"same)")
    return arr


def check_scalar(x, name: str, *, low: float | None = None, low_inclusive: bool = True,
                 high: float | None = None, high_inclusive: bool = True) -> float:
    """Return ``x`` as a float in the given range, or raise naming ``name`` (a 0-d array is a
    scalar)."""
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf":
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number; got {type(x).__name__}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite; got {x}")
    if low is not None and (x < low or (x == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}; got {x}")
    if high is not None and (x > high or (x == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}; got {x}")
    return x


def check_int(x, name: str, *, low: int | None = None) -> int:
    """Return ``x`` as an int (>= ``low``), or raise naming ``name``."""
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iu":
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer; got {type(x).__name__}")
    x = int(x)
    if low is not None and x < low:
        raise ValueError(f"{name} must be >= {low}; got {x}")
    return x


def check_bool(x, name: str) -> bool:
    """Return ``x`` as a bool, or raise naming ``name``: only True/False (and numpy bools) are
    accepted, so that a string such as "no" is not silently taken as true."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    raise TypeError(f"{name} must be true or false; got {x!r} ({type(x).__name__})")

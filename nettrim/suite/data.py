"""Data: generated in code (spirals) or read from local files and packages — nothing is ever
downloaded (the machine that runs the suite may have no network)."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_scalar


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


# ------------------------------------------------------------------ real data, offline
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MNIST_FILES = {"X_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
                "X_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format; gzip-compressed when the name ends in .gz)."""
    import gzip
    from pathlib import Path

    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:  # missing, unreadable, truncated or not gzip at all
        kind = " (gzip)" if opener is gzip.open else ""
        raise ValueError(f"{path} cannot be read as an IDX file{kind}: "
                         f"{type(exc).__name__}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes for {ndim} dimensions)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    if len(raw) - header != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f"{path}: the header promises shape {shape} but the file holds "
                         f"{len(raw) - header} bytes of data")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def load_mnist(path):
    """MNIST from local files: a directory holding the four IDX files
    (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``, each optionally ``.gz``) or an ``.npz`` with arrays
    ``x_train, y_train, x_test, y_test`` (Keras' ``mnist.npz``).

    Returns
    -------
    X_train, y_train, X_test, y_test
        Images flattened to one sample per column (784×n, float in [0, 255]), integer labels.
    """
    import zipfile
    from pathlib import Path

    path = Path(path)
    if path.suffix == ".npz":
        if not path.is_file():
            raise ValueError(f"MNIST file {path} does not exist")
        try:
            with np.load(path, allow_pickle=False) as f:
                missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
                if missing:
                    raise ValueError(f"{path} lacks the arrays {sorted(missing)}")
                arrays = [f["x_train"], f["y_train"], f["x_test"], f["y_test"]]
        except (OSError, EOFError, zipfile.BadZipFile, ValueError) as exc:
            if str(path) in str(exc):
                raise
            raise ValueError(f"{path} cannot be read as an .npz archive: "
                             f"{type(exc).__name__}: {exc}") from None
        names = [f"{path}:{k}" for k in ("x_train", "y_train", "x_test", "y_test")]
    elif path.is_dir():
        arrays, names = [], []
        for name in _MNIST_FILES.values():
            found = [p for p in (path / name, path / f"{name}.gz") if p.is_file()]
            if not found:
                raise ValueError(f"{path} holds no {name}[.gz] (expected the four MNIST IDX "
                                 f"files: {', '.join(_MNIST_FILES.values())})")
            arrays.append(read_idx(found[0]))
            names.append(str(found[0]))
    else:
        raise ValueError(f"MNIST path {path} is neither a directory of IDX files nor an .npz")
    from .mnist import check_images_labels

    X, y, Xt, yt = arrays
    out = []
    for images, labels, (iname, lname) in ((X, y, names[:2]), (Xt, yt, names[2:])):
        out += check_images_labels(images, labels, iname, lname)
    return tuple(out)


def load_digits_split(seed: int = 0, test_size: float = 0.25):
    """scikit-learn's 8×8 digits (1,797 images, shipped with the package), split into a
    stratified training and test part. Returns X_train (64×n), y_train, X_test, y_test."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=check_scalar(test_size, "test_size", low=0.0, low_inclusive=False,
                                     high=1.0, high_inclusive=False),
        stratify=y, random_state=check_int(seed, "seed", low=0))
    return X_tr.T, y_tr, X_te.T, y_te


def standardize(X_train, X_test):
    """Centre and scale every feature (row) by the training part's mean and standard deviation
    (a constant feature is only centred). Returns the two standardised arrays."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X_train.T)
    return scaler.transform(X_train.T).T, scaler.transform(X_test.T).T


def spirals_split(seed: int, n_train: int, n_test: int, **kwargs):
    """Training and test draws of :func:`spirals` from independent streams of
    SeedSequence(seed).

    Parameters
    ----------
    seed : int
    n_train, n_test : int
    **kwargs
        ``turns``, ``noise`` of :func:`spirals`.

    Returns
    -------
    X_train (2 × n_train), y_train, X_test (2 × n_test), y_test
    """
    train_ss, test_ss = np.random.SeedSequence(check_int(seed, "seed", low=0)).spawn(2)
    X, y = spirals(np.random.default_rng(train_ss), check_int(n_train, "n_train", low=2), **kwargs)
    Xt, yt = spirals(np.random.default_rng(test_ss), check_int(n_test, "n_test", low=2), **kwargs)
    return X, y, Xt, yt


#: The spirals as a named data set: the spirals study's draw (600 training, 2000 test points).
SPIRALS = {"n_train": 600, "n_test": 2000, "turns": 1.5, "noise": 0.05}


def load_dataset(name: str, *, path=None, seed: int = 0, test_size: float = 0.25,
                 n_train: int | None = None, scale: str = "standardize"):
    """A classification data set by name: ``"digits"`` (shipped with scikit-learn) or
    ``"mnist"`` (from ``path``, see :func:`load_mnist`; by default the verified cache that
    ``make mnist-data`` builds, :func:`nettrim.suite.mnist.load_mnist_cache`), or ``"spirals"``
    (the spirals study's draw, :data:`SPIRALS`, left in its own coordinates); the first
    ``n_train`` training samples when given.

    ``scale`` ("standardize" or "unit") sets the images' scale: every feature centred and
    scaled by the training part (:func:`standardize`), or the pixels divided by the training
    part's largest value (MNIST's [0, 255] to [0, 1], as the Net-Trim authors' networks see it).
    Returns X_train, y_train, X_test, y_test (features × samples)."""
    if name == "spirals":
        X, y, Xt, yt = spirals_split(seed, **SPIRALS)
        if n_train is not None:
            n_train = check_int(n_train, "n_train", low=1)
            X, y = X[:, :n_train], y[:n_train]
        return X, y, Xt, yt
    if scale not in _SCALES:
        raise ValueError(f"data.scale must be one of {list(_SCALES)}; got {scale!r}")
    if name == "digits":
        X, y, Xt, yt = load_digits_split(seed, test_size)
    elif name == "mnist":
        from .mnist import load_mnist_cache

        X, y, Xt, yt = load_mnist_cache() if path is None else load_mnist(path)
    else:
        raise ValueError(f"data.name must be 'digits', 'mnist' or 'spirals'; got {name!r}")
    if n_train is not None:
        n_train = check_int(n_train, "n_train", low=1)
        X, y = X[:, :n_train], y[:n_train]
    if scale == "unit":
        top = float(X.max()) or 1.0
        return X / top, y, Xt / top, yt
    X, Xt = standardize(X, Xt)
    return X, y, Xt, yt


def data_identity(data: dict) -> str | None:
    """What identifies the contents behind a data config beyond its keys: the SHA-256 of the
    file ``data["path"]`` points at (so a replaced file is a different data set), the verified
    digest for the MNIST cache, ``None`` for data generated or shipped in code."""
    import hashlib
    from pathlib import Path

    if data.get("name") != "mnist":
        return None
    if data.get("path") is None:
        from .mnist import ARRAYS_SHA256

        return ARRAYS_SHA256
    path = Path(data["path"])
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    h = hashlib.sha256()
    for f in files:
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


_SCALES = ("standardize", "unit")

__all__ = ["spirals", "spirals_split", "SPIRALS", "read_idx", "load_mnist", "load_digits_split",
           "standardize", "load_dataset", "data_identity"]

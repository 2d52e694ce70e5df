"""Tests for manabu.data.datasets: embedded, generated and IDX (MNIST) data sets.

Nothing here touches the network: downloads are replaced by functions that raise or copy
local files. MNIST tests read the package's embedded copy of the test set, so they never
skip; ``no_embedded`` (conftest) hides it where a test needs the download path.
"""

import gzip
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import manabu.data.datasets
from manabu import backend
from manabu.data import TensorDataset
from manabu.data.datasets import (
    ChecksumError,
    DataNotFoundError,
    data_root,
    linear_toy,
    load_digits,
    load_digits_split,
    load_classification,
    load_fashion_mnist,
    load_mnist,
    load_mnist_10k,
    noisy_sine,
    read_idx,
    spiral,
    xor,
)
from manabu.data.datasets import download
from manabu.data.datasets.mnist import FASHION_MNIST_SHA256, MNIST_SHA256

IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"


EMBEDDED = download.EMBEDDED  # the package's own copy of the MNIST test files


@pytest.fixture(scope="module")
def mnist_10k():
    return load_mnist_10k(root=EMBEDDED, download=False)


def write_idx(path, array, magic_type=0x08):
    """Write ``array`` (uint8) as a gzip IDX file."""
    header = bytes([0, 0, magic_type, array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def offline(url, path):
    raise OSError("network is unreachable (test)")


# ---------------------------------------------------------------------- generated and embedded


def test_all_names_exist():
    for name in manabu.data.datasets.__all__:
        assert hasattr(manabu.data.datasets, name), name


def test_digits_shapes_and_range():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert sorted(np.unique(y).tolist()) == list(range(10))
    images, _ = load_digits(flatten=False)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), x)


def test_digits_split_reproducible():
    (x_train, y_train), (x_test, y_test) = load_digits_split(test_fraction=0.2, seed=0)
    assert x_train.shape == (1438, 64) and x_test.shape == (359, 64)  # round(1797 * 0.2)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    (_, y_again), _ = load_digits_split(test_fraction=0.2, seed=0)
    (_, y_other), _ = load_digits_split(test_fraction=0.2, seed=1)
    np.testing.assert_array_equal(y_train, y_again)
    assert not np.array_equal(y_train, y_other)
    x_all, y_all = load_digits()
    both = np.concatenate([y_train, y_test])
    assert np.bincount(both).tolist() == np.bincount(y_all).tolist()  # each image once
    np.testing.assert_allclose(x_train.sum() + x_test.sum(), x_all.sum(), rtol=1e-5)
    with pytest.raises(ValueError):
        load_digits_split(test_fraction=1.0)


def test_spiral():
    x, y = spiral(n_per_class=50, n_classes=3, seed=0)
    assert x.shape == (150, 2) and x.dtype == np.float32
    assert y.shape == (150,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert np.abs(x).max() <= 1.0 + 1e-6  # the radius grows from 0 to 1
    np.testing.assert_array_equal(x, spiral(50, 3, seed=0)[0])
    assert not np.array_equal(x, spiral(50, 3, seed=1)[0])
    radius = np.hypot(x[:50, 0], x[:50, 1])
    np.testing.assert_allclose(radius, np.linspace(0, 1, 50), atol=1e-6)


def test_xor_truth_table():
    x, y = xor(n=64, noise=0.0, seed=0)
    assert x.shape == (64, 2) and x.dtype == np.float32 and y.dtype == np.int64
    expected = np.logical_xor(x[:, 0] > 0.5, x[:, 1] > 0.5).astype(np.int64)
    np.testing.assert_array_equal(y, expected)
    assert set(np.unique(x).tolist()) == {0.0, 1.0}
    noisy, labels = xor(n=64, noise=0.1, seed=0)
    np.testing.assert_array_equal(labels, y)  # the same corners, jittered
    assert 0 < np.abs(noisy - x).max() < 1.0


def test_noisy_sine():
    x, y = noisy_sine(n=200, noise=0.0, seed=0)
    assert x.shape == (200, 1) and y.shape == (200, 1) and y.dtype == np.float32
    np.testing.assert_allclose(y, np.sin(2 * np.pi * x), atol=1e-5)
    _, noisy = noisy_sine(n=200, noise=0.1, seed=0)
    assert 0.05 < np.std(noisy - y) < 0.2


def test_linear_toy_recovers_weights():
    x, y = linear_toy(n=500, noise=0.1, seed=0)
    assert x.shape == (500, 2) and y.shape == (500, 1) and x.dtype == np.float32
    weights, *_ = np.linalg.lstsq(x.astype(np.float64), y.astype(np.float64), rcond=None)
    np.testing.assert_allclose(weights.ravel(), [3.0, 2.0], atol=0.1)


def test_generated_sets_follow_default_dtype():
    backend.set_default_dtype(np.float64)
    try:
        assert spiral(10)[0].dtype == np.float64
        assert xor(10)[0].dtype == np.float64
        assert noisy_sine(10)[1].dtype == np.float64
        assert linear_toy(10)[1].dtype == np.float64
    finally:
        backend.set_default_dtype(np.float32)


# ---------------------------------------------------------------------- IDX parsing


def test_read_idx_roundtrip(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(np.uint8)
    write_idx(tmp_path / "img.gz", images)
    read = read_idx(tmp_path / "img.gz", expected_magic=2051)
    np.testing.assert_array_equal(read, images)
    assert read.dtype == np.uint8 and read.flags.writeable


def test_read_idx_wrong_magic(tmp_path):
    write_idx(tmp_path / "labels.gz", np.arange(5))
    with pytest.raises(ValueError, match=r"labels\.gz.*magic number 2049 \(expected 2051\)"):
        read_idx(tmp_path / "labels.gz", expected_magic=2051)
    (tmp_path / "junk.gz").write_bytes(gzip.compress(b"\x01\x02\x03\x04\x05"))
    with pytest.raises(ValueError, match=r"junk\.gz: not an IDX file"):
        read_idx(tmp_path / "junk.gz")


def test_read_idx_truncated(tmp_path):
    path = tmp_path / "short.gz"
    header = bytes([0, 0, 8, 3]) + np.asarray([10, 28, 28], dtype=">u4").tobytes()
    path.write_bytes(gzip.compress(header + bytes(100)))  # far fewer than 7840 bytes
    with pytest.raises(ValueError, match=r"short\.gz: truncated.*7840 bytes.*100 bytes"):
        read_idx(path)
    whole = gzip.compress(header + bytes(7840))
    path.write_bytes(whole[: len(whole) // 2])  # a gzip stream cut in half
    with pytest.raises(ValueError, match=r"short\.gz: corrupt or truncated gzip"):
        read_idx(path)


# ---------------------------------------------------------------------- cache and downloads


def test_data_root(monkeypatch, tmp_path):
    monkeypatch.setenv("MANABU_DATA", str(tmp_path))
    assert data_root() == tmp_path
    assert data_root("/somewhere") == Path("/somewhere")
    monkeypatch.delenv("MANABU_DATA")
    assert data_root() == Path.home() / ".cache" / "manabu"


def test_offline_error_names_files_folder_and_url(monkeypatch, tmp_path, no_embedded):
    monkeypatch.setattr(download, "fetch_url", offline)
    with pytest.raises(DataNotFoundError) as caught:
        load_mnist("test", root=tmp_path)
    message = str(caught.value)
    assert IMAGES in message and LABELS in message
    assert str(tmp_path / "mnist") in message
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz" in message
    assert "network is unreachable" in message
    assert not list((tmp_path / "mnist").iterdir())  # no half-written files left behind
    with pytest.raises(DataNotFoundError, match="fashion-mnist"):
        load_fashion_mnist("train", root=tmp_path)


def test_no_download_error(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"download=False") as caught:
        load_mnist("train", root=tmp_path, download=False)
    assert "train-images-idx3-ubyte.gz" in str(caught.value)
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation", root=tmp_path)


def test_download_verifies_and_renames(monkeypatch, tmp_path, no_embedded):
    urls = []

    def fake_fetch(url, path):  # a "mirror" that serves the embedded copies
        urls.append(url)
        shutil.copyfile(EMBEDDED / "mnist" / url.rsplit("/", 1)[1], path)

    monkeypatch.setattr(download, "fetch_url", fake_fetch)
    x, y = load_mnist("test", root=tmp_path, flatten=True)
    assert x.shape == (10000, 784) and y.shape == (10000,)
    assert sorted(path.name for path in (tmp_path / "mnist").iterdir()) == [IMAGES, LABELS]
    assert len(urls) == 2


def test_download_bad_copy_tries_next_mirror_then_fails(monkeypatch, tmp_path, no_embedded):
    urls = []

    def corrupt_fetch(url, path):
        urls.append(url)
        Path(path).write_bytes(b"not the file")

    monkeypatch.setattr(download, "fetch_url", corrupt_fetch)
    with pytest.raises(DataNotFoundError, match="SHA-256 mismatch"):
        load_mnist("test", root=tmp_path)
    assert len(urls) == 3  # every mirror of the first file was tried
    assert not list((tmp_path / "mnist").iterdir())


def test_corrupt_cached_file_names_it(tmp_path, monkeypatch):
    folder = tmp_path / "mnist"
    folder.mkdir()
    shutil.copyfile(EMBEDDED / "mnist" / LABELS, folder / LABELS)
    data = (EMBEDDED / "mnist" / IMAGES).read_bytes()
    (folder / IMAGES).write_bytes(data[: len(data) // 2])  # truncated
    # the data folder wins when it has the file: its bad copy is reported, not replaced
    # by the embedded one
    with pytest.raises(ChecksumError, match=r"t10k-images-idx3-ubyte\.gz: SHA-256 mismatch"):
        load_mnist("test", root=tmp_path, download=False)
    monkeypatch.setenv("MANABU_DATA", str(tmp_path))
    with pytest.raises(ChecksumError, match=re.escape(str(folder / IMAGES))):
        load_mnist_10k()


def test_checksum_tables():
    for table in (MNIST_SHA256, FASHION_MNIST_SHA256):
        assert len(table) == 4
        for digest in table.values():
            assert len(digest) == 64 and int(digest, 16) >= 0
    assert MNIST_SHA256[IMAGES].startswith("8d422c7b")


# ---------------------------------------------------------------------- real MNIST (embedded copy)


def test_embedded_files_match_checksums():
    for name in (IMAGES, LABELS):
        assert download.sha256sum(EMBEDDED / "mnist" / name) == MNIST_SHA256[name]
    assert sorted(path.name for path in (EMBEDDED / "mnist").iterdir()) == [IMAGES, LABELS]


def test_mnist_10k_offline_from_embedded_copy(monkeypatch, tmp_path):
    """No data folder files and no network: the package's copy is read, not downloaded."""
    monkeypatch.setenv("MANABU_DATA", str(tmp_path))
    monkeypatch.setattr(download, "fetch_url", offline)
    (x_train, _), (x_test, _) = load_mnist_10k()
    assert len(x_train) + len(x_test) == 10000
    x, y = load_mnist("test")
    assert x.shape == (10000, 1, 28, 28) and y.shape == (10000,)
    split = load_classification("mnist-10k")
    assert split.x_train.shape == (8000, 784) and split.x_test.shape == (2000, 784)
    assert not (tmp_path / "mnist").exists()  # nothing was written to the data folder
    monkeypatch.setenv("MANABU_DATA", str(tmp_path / "does-not-exist"))
    assert len(load_mnist_10k()[1][0]) == 2000
    with pytest.raises(DataNotFoundError, match="network is unreachable"):
        load_mnist("train")  # the training set is not embedded: still a download


def test_mnist_10k_split(mnist_10k):
    (x_train, y_train), (x_test, y_test) = mnist_10k
    assert x_train.shape == (8000, 1, 28, 28) and x_test.shape == (2000, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert y_train[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the famous first digits
    counts = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert len(TensorDataset(x_test, y_test)) == 2000


def test_mnist_raw_and_flat(mnist_10k):
    x, y = load_mnist("test", root=EMBEDDED, download=False, normalize=False, flatten=True)
    assert x.shape == (10000, 784) and x.dtype == np.uint8 and x.max() == 255
    (x_train, _), (x_test, y_test) = mnist_10k
    scaled = x[:8000].reshape(8000, 1, 28, 28).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(scaled, x_train)
    np.testing.assert_array_equal(y[8000:], y_test)

"""font_digits: MNIST-shaped typeset digits. Shapes, dtype, range, balanced labels, the
same images for a seed and others for another, and that they read as digits: a nearest
neighbour fitted on 2,000 of them names 500 new ones, and their ink is MNIST's order of
magnitude. (The speed is not asserted.)"""

import numpy as np
import pytest

import manabu
from manabu.data.datasets.font_digits import font_digits
from manabu.data.datasets.mnist import load_mnist_10k


@pytest.fixture(scope="module")
def train_set():
    return font_digits(2000, seed=0)


def test_shapes_dtype_range_and_balanced_labels(train_set):
    images, labels = train_set
    assert images.shape == (2000, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (2000,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert np.bincount(labels, minlength=10).tolist() == [200] * 10
    assert not np.array_equal(labels[:10], np.arange(10))  # shuffled
    # every image holds a digit, bright at its peak, with a black border
    assert (images.reshape(2000, -1).max(axis=1) == 1.0).all()
    assert (images.reshape(2000, -1).mean(axis=1) > 0.03).all()
    assert images[:, :, 0, :].max() == 0 and images[:, :, :, -1].max() == 0
    small, small_labels = font_digits(7, seed=3)
    assert small.shape == (7, 1, 28, 28) and np.bincount(small_labels).max() == 1
    assert font_digits(0)[0].shape == (0, 1, 28, 28)


def test_the_seed_decides_the_images():
    a, la = font_digits(50, seed=4)
    b, lb = font_digits(50, seed=4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    c, _ = font_digits(50, seed=5)
    assert not np.array_equal(a, c)


def test_they_read_as_digits(train_set):
    images, labels = train_set
    test_images, test_labels = font_digits(500, seed=1)
    x = images.reshape(len(images), -1).astype(np.float64)
    t = test_images.reshape(len(test_images), -1).astype(np.float64)
    distances = (t * t).sum(1)[:, None] - 2 * t @ x.T + (x * x).sum(1)[None, :]  # (500, 2000)
    accuracy = (labels[distances.argmin(axis=1)] == test_labels).mean()
    assert accuracy > 0.8  # about 0.94; a nearest class mean gets about 0.74
    (mnist, _), _ = load_mnist_10k()
    ratio = images.mean() / mnist.mean()  # about 0.17 / 0.13
    assert 0.5 < ratio < 2.0


def test_size_dtype_and_errors():
    images, _ = font_digits(5, seed=0, size=16, dtype=np.float64)
    assert images.shape == (5, 1, 16, 16) and images.dtype == np.float64
    manabu.set_default_dtype(np.float64)
    try:
        assert font_digits(2)[0].dtype == np.float64  # the default dtype
    finally:
        manabu.set_default_dtype(np.float32)
    with pytest.raises(ValueError, match="n must be"):
        font_digits(-1)
    with pytest.raises(ValueError, match="size must be"):
        font_digits(3, size=4)

"""scikit-learn's embedded 8x8 handwritten digits: 1,797 images, no download needed.

The images are 8x8 grey levels 0..16 (UCI "Optical Recognition of Handwritten Digits"),
ten classes 0-9. Here they are scaled to [0, 1] by dividing by 16.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


def load_digits(flatten: bool = True,
                dtype: DTypeLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits as ``(x, y)``.

    x: (1797, 64) with ``flatten=True``, else images (1797, 1, 8, 8) (NCHW); values in
    [0, 1], dtype ``dtype`` or the default float dtype (float32). y: (1797,) int64 in 0..9.

    Needs scikit-learn (imported on the first call, which takes about a second).

    Args:
        flatten: rows of 64 values instead of images (1, 8, 8). Default: True
        dtype: the float dtype of x; None: the default dtype. Default: None

    Example:
        >>> x, y = data.load_digits(flatten=False)
        >>> x.shape, y.shape, float(x.max())
        ((1797, 1, 8, 8), (1797,), 1.0)
    """
    from sklearn.datasets import load_digits as sklearn_load_digits  # loaded on first use

    bunch = sklearn_load_digits()
    dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
    x = bunch.data.astype(dtype)
    x /= 16  # grey levels 0..16 -> [0, 1]
    if not flatten:
        x = x.reshape(-1, 1, 8, 8)  # (N, 1, 8, 8)
    return x, bunch.target.astype(np.int64)


def load_digits_split(
    test_fraction: float = 0.2, seed: int = 0, flatten: bool = True,
    dtype: DTypeLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A seeded train/test split of the digits: ``((x_train, y_train), (x_test, y_test))``.

    A random permutation from ``seed`` puts ``round(1797 * test_fraction)`` images in the
    test part (360 for 0.2) and the rest in the training part; the same seed gives the same
    split. Shapes and dtypes as in ``load_digits``.

    Args:
        test_fraction: the share of test images, in (0, 1). Default: 0.2
        seed: the seed of the permutation. Default: 0
        flatten: rows of 64 values instead of images. Default: True
        dtype: the float dtype of x; None: the default dtype. Default: None
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"load_digits_split: test_fraction must be in (0, 1), got {test_fraction}")
    x, y = load_digits(flatten=flatten, dtype=dtype)
    n = x.shape[0]
    n_test = int(round(n * test_fraction))
    order = np.random.default_rng(seed).permutation(n)
    train = order[: n - n_test]
    test = order[n - n_test :]
    return (x[train], y[train]), (x[test], y[test])

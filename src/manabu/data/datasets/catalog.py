"""Classification data sets by name, for the `manabu` command and the lessons.

``load_classification(name)`` returns a ``Split`` with train and test arrays and what a
model needs to know about them (input shape, number of classes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from manabu.data.datasets.digits import load_digits_split
from manabu.data.datasets.mnist import load_fashion_mnist, load_mnist, load_mnist_10k
from manabu.data.datasets.spiral import spiral


@dataclass
class Split:
    """A named classification data set, split into train and test arrays.

    Args:
        name: the data set's name, e.g. 'digits'
        x_train: training inputs (N, ...)
        y_train: training labels (N,) int64
        x_test: test inputs (M, ...)
        y_test: test labels (M,) int64
        num_classes: the number of classes

    Example:
        >>> split = data.datasets.load_classification("spiral")
        >>> split.input_shape, split.num_classes, len(split.x_train), len(split.x_test)
        ((2,), 3, 720, 180)
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. (1, 28, 28) or (64,)."""
        return self.x_train.shape[1:]


def _spiral_split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = spiral(n_per_class=300, seed=seed)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(0.8 * len(x))
    return x[:cut], y[:cut], x[cut:], y[cut:]


def load_classification(name: str, seed: int = 0, images: bool = False) -> Split:
    """Train/test arrays of a named data set; ``images=True`` keeps (N, C, H, W) shapes.

    Args:
        name: one of ``CLASSIFICATION_SETS``: 'digits' (a seeded 80/20 split),
            'mnist-10k', 'mnist', 'fashion-mnist' (their train and test parts) or
            'spiral' (900 points, a seeded 80/20 split); ValueError otherwise
        seed: the seed of the digits and spiral splits. Default: 0
        images: keep image shapes (N, C, H, W) instead of flat rows. Default: False

    Returns:
        a ``Split``
    """
    if name == "digits":
        (x_tr, y_tr), (x_te, y_te) = load_digits_split(seed=seed, flatten=not images)
        return Split(name, x_tr, y_tr, x_te, y_te, 10)
    if name == "mnist-10k":
        (x_tr, y_tr), (x_te, y_te) = load_mnist_10k(flatten=not images)
        return Split(name, x_tr, y_tr, x_te, y_te, 10)
    if name in ("mnist", "fashion-mnist"):
        loader = load_mnist if name == "mnist" else load_fashion_mnist
        x_tr, y_tr = loader("train", flatten=not images)
        x_te, y_te = loader("test", flatten=not images)
        return Split(name, x_tr, y_tr, x_te, y_te, 10)
    if name == "spiral":
        return Split(name, *_spiral_split(seed), 3)
    raise ValueError(f"unknown data set {name!r}; choose from {', '.join(CLASSIFICATION_SETS)}")


CLASSIFICATION_SETS = ("digits", "mnist-10k", "mnist", "fashion-mnist", "spiral")

"""Data sets: embedded (digits), generated (spiral, XOR, sine, linear) and downloaded (MNIST).

Every loader returns NumPy arrays ``(x, y)`` (features in the default float dtype, class
labels int64); wrap them in ``TensorDataset(x, y)`` to feed a ``DataLoader``.
"""

from manabu.data.datasets.catalog import CLASSIFICATION_SETS, Split, load_classification
from manabu.data.datasets.digits import load_digits, load_digits_split
from manabu.data.datasets.download import ChecksumError, DataNotFoundError, data_root
from manabu.data.datasets.idx import read_idx
from manabu.data.datasets.linear_toy import linear_toy
from manabu.data.datasets.mnist import (
    FASHION_MNIST_CLASSES,
    load_fashion_mnist,
    load_mnist,
    load_mnist_10k,
)
from manabu.data.datasets.sine import noisy_sine
from manabu.data.datasets.spiral import spiral
from manabu.data.datasets.xor import xor

__all__ = [
    "CLASSIFICATION_SETS",
    "Split",
    "load_classification",
    "ChecksumError",
    "DataNotFoundError",
    "FASHION_MNIST_CLASSES",
    "data_root",
    "linear_toy",
    "load_digits",
    "load_digits_split",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_10k",
    "noisy_sine",
    "read_idx",
    "spiral",
    "xor",
]

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
from manabu.data.datasets.sequences import (  # noqa: E402 - appended: sequence tasks
    DATE_FORMATS, addition_strings, binary_addition, bits_to_int, date_formats, int_to_bits,
    shift_right, sin_cos,
)
from manabu.data.datasets.corpora import TOY_SYNONYMS, toy_corpus, toy_dialogues  # noqa: E402
from manabu.data.datasets.shakespeare import (  # noqa: E402
    char_lm_batches, load_tiny_shakespeare, shakespeare_split,
)
__all__ += [
    "DATE_FORMATS", "TOY_SYNONYMS", "addition_strings", "binary_addition", "bits_to_int",
    "char_lm_batches", "date_formats", "int_to_bits", "load_tiny_shakespeare",
    "shakespeare_split", "shift_right", "sin_cos", "toy_corpus", "toy_dialogues",
]

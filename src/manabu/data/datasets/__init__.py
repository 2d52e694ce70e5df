"""Data sets: embedded (digits; the MNIST test set and tiny-shakespeare, see
``embedded/README.md``), generated (spiral, XOR, sine, linear, a ring of Gaussians, sequence tasks, toy corpora)
and downloaded with a checksum (the MNIST training set, Fashion-MNIST).

A file in the data folder (``root``, else ``$MANABU_DATA``, else ``~/.cache/manabu``) always
wins; an embedded file is used when the data folder lacks it, so ``mnist-10k`` and
tiny-shakespeare work offline (the rule lives in ``download.ensure_files``).

Every classification loader returns NumPy arrays ``(x, y)`` (features in the default float
dtype, class labels int64); wrap them in ``TensorDataset(x, y)`` to feed a ``DataLoader``.
"""

from manabu.data.datasets.catalog import CLASSIFICATION_SETS, Split, load_classification
from manabu.data.datasets.corpora import TOY_SYNONYMS, toy_corpus, toy_dialogues
from manabu.data.datasets.digits import load_digits, load_digits_split
from manabu.data.datasets.download import ChecksumError, DataNotFoundError, data_root
from manabu.data.datasets.font_digits import font_digits
from manabu.data.datasets.idx import read_idx
from manabu.data.datasets.linear_toy import linear_toy
from manabu.data.datasets.mixtures import gaussian_ring
from manabu.data.datasets.mnist import (
    FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist, load_mnist_10k,
)
from manabu.data.datasets.sequences import (
    DATE_FORMATS, addition_strings, binary_addition, bits_to_int, date_formats, int_to_bits,
    shift_right, sin_cos,
)
from manabu.data.datasets.shakespeare import (
    char_lm_batches, load_tiny_shakespeare, shakespeare_split,
)
from manabu.data.datasets.sine import noisy_sine
from manabu.data.datasets.spiral import spiral
from manabu.data.datasets.xor import xor

__all__ = [
    # classification sets
    "CLASSIFICATION_SETS", "Split", "load_classification", "FASHION_MNIST_CLASSES",
    "linear_toy", "load_digits", "load_digits_split", "load_fashion_mnist", "load_mnist",
    "load_mnist_10k", "noisy_sine", "spiral", "xor", "gaussian_ring", "font_digits",
    # downloading and files
    "ChecksumError", "DataNotFoundError", "data_root", "read_idx",
    # sequence tasks and corpora
    "DATE_FORMATS", "TOY_SYNONYMS", "addition_strings", "binary_addition", "bits_to_int",
    "char_lm_batches", "date_formats", "int_to_bits", "load_tiny_shakespeare",
    "shakespeare_split", "shift_right", "sin_cos", "toy_corpus", "toy_dialogues",
]

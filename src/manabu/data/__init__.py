"""manabu.data: datasets, mini-batch loading and the data sets used by lessons and tests.

``TensorDataset(x, y)`` + ``DataLoader(dataset, batch_size=32, shuffle=True, seed=0)`` is the
usual pair; ``manabu.data.datasets`` holds the loaders (digits, spiral, MNIST, ...).
"""

from manabu.data.dataset import Dataset, Subset, TensorDataset, random_split, train_val_split
from manabu.data.datasets import (
    ChecksumError,
    DataNotFoundError,
    linear_toy,
    load_digits,
    load_digits_split,
    load_fashion_mnist,
    load_mnist,
    load_mnist_10k,
    noisy_sine,
    spiral,
    xor,
)
from manabu.data.loader import DataLoader, default_collate

__all__ = [
    "ChecksumError",
    "DataLoader",
    "DataNotFoundError",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "linear_toy",
    "load_digits",
    "load_digits_split",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_10k",
    "noisy_sine",
    "random_split",
    "spiral",
    "train_val_split",
    "xor",
]
from manabu.data.text import (  # noqa: E402 - appended: text and sequence data
    Vocabulary, char_tokenize, pad_sequences, word_tokenize,
)
from manabu.data.datasets import (  # noqa: E402
    addition_strings, binary_addition, date_formats, load_tiny_shakespeare, sin_cos,
    toy_corpus, toy_dialogues,
)
__all__ += [
    "Vocabulary", "addition_strings", "binary_addition", "char_tokenize", "date_formats",
    "load_tiny_shakespeare", "pad_sequences", "sin_cos", "toy_corpus", "toy_dialogues",
    "word_tokenize",
]
from manabu.data import transform_ops, transforms  # noqa: E402 - appended: data augmentation
from manabu.data.transforms import (  # noqa: E402
    ColorJitter, Compose, Cutout, GaussianNoise, Normalize, RandomAffine, RandomCrop,
    RandomErasing, RandomHorizontalFlip, RandomRotation, RandomVerticalFlip, Transform, mixup,
)
from manabu.data.transform_dataset import TransformDataset  # noqa: E402
__all__ += [
    "ColorJitter", "Compose", "Cutout", "GaussianNoise", "Normalize", "RandomAffine",
    "RandomCrop", "RandomErasing", "RandomHorizontalFlip", "RandomRotation",
    "RandomVerticalFlip", "Transform", "TransformDataset", "mixup", "transform_ops",
    "transforms",
]

"""manabu.data: datasets, mini-batch loading, augmentation and the data sets of the lessons.

``TensorDataset(x, y)`` + ``DataLoader(dataset, batch_size=32, shuffle=True, seed=0)`` is the
usual pair; ``manabu.data.datasets`` holds the loaders (digits, spiral, MNIST, sequences,
tiny-shakespeare, ...), ``manabu.data.transforms`` the seeded augmentations and
``manabu.data.text`` the ``Vocabulary`` and tokenizers.
"""

from manabu.data import transform_ops, transforms
from manabu.data.char_tokenizer import CharTokenizer
from manabu.data.dataset import Dataset, Subset, TensorDataset, random_split, train_val_split
from manabu.data.datasets import (
    ChecksumError, DataNotFoundError, addition_strings, binary_addition, date_formats,
    linear_toy, load_digits, load_digits_split, load_fashion_mnist, load_mnist, load_mnist_10k,
    load_tiny_shakespeare, noisy_sine, sin_cos, spiral, toy_corpus, toy_dialogues, xor,
    gaussian_ring, font_digits,
)
from manabu.data.loader import DataLoader, default_collate
from manabu.data.text import Vocabulary, char_tokenize, pad_sequences, word_tokenize
from manabu.data.transform_dataset import TransformDataset
from manabu.data.windows import TokenWindows
from manabu.data.transforms import (
    ColorJitter, Compose, Cutout, GaussianNoise, MaskingNoise, Normalize, RandomAffine,
    RandomCrop, RandomErasing, RandomHorizontalFlip, RandomRotation, RandomVerticalFlip,
    Transform, mixup,
)

__all__ = [
    # datasets and loading
    "Dataset", "Subset", "TensorDataset", "TokenWindows", "DataLoader", "default_collate",
    "random_split", "train_val_split", "ChecksumError", "DataNotFoundError",
    # data sets
    "linear_toy", "load_digits", "load_digits_split", "load_fashion_mnist", "load_mnist",
    "load_mnist_10k", "noisy_sine", "spiral", "xor", "gaussian_ring", "font_digits", "addition_strings", "binary_addition",
    "date_formats", "load_tiny_shakespeare", "sin_cos", "toy_corpus", "toy_dialogues",
    # text
    "CharTokenizer", "Vocabulary", "char_tokenize", "pad_sequences", "word_tokenize",
    # augmentation
    "ColorJitter", "Compose", "Cutout", "GaussianNoise", "MaskingNoise", "Normalize",
    "RandomAffine", "RandomCrop", "RandomErasing", "RandomHorizontalFlip", "RandomRotation",
    "RandomVerticalFlip", "Transform", "TransformDataset", "mixup", "transform_ops",
    "transforms",
]

"""Datasets: anything with ``__getitem__`` and ``__len__``, plus subsets and splits.

A ``Dataset`` hands out one example at a time; the ``DataLoader`` groups examples into
mini-batches (ミニバッチ). ``TensorDataset`` keeps whole arrays, so the loader can slice a
batch out of them in one indexing operation instead of one Python call per example.
"""

import numpy as np

from manabu import backend, random
from manabu.autograd import Tensor


class Dataset:
    """Base class: subclasses give ``__getitem__(i)`` (one example) and ``__len__()``.

    A subclass may also give ``get_batch(indices)``, returning a tuple of arrays with the
    examples at an int64 index array stacked on axis 0; the DataLoader then fetches whole
    batches with it instead of calling ``__getitem__`` once per example.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _as_array(value):
    """The array behind a Tensor, ndarray or nested list (lists of floats get the default dtype)."""
    if isinstance(value, Tensor):
        return value.data
    if backend.is_array(value):
        return value
    return backend.as_array(value)


class TensorDataset(Dataset):
    """Examples are rows of arrays that share their first dimension.

    ``TensorDataset(x, y)[i]`` is ``(x[i], y[i])``. The arrays (ndarrays or Tensors, kept
    without copying) are in ``.arrays``; ``x`` of shape (N, ...) and ``y`` of shape (N, ...).
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_as_array(a) for a in arrays)
        for position, array in enumerate(self.arrays):
            if array.ndim == 0:
                raise ValueError(
                    f"TensorDataset: array {position} is a scalar; give arrays of shape (N, ...)"
                )
        sizes = [array.shape[0] for array in self.arrays]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: all arrays must have the same first dimension, got sizes {sizes} "
                f"(shapes {[array.shape for array in self.arrays]})"
            )

    def __getitem__(self, index):
        return tuple(array[index] for array in self.arrays)

    def __len__(self):
        return self.arrays[0].shape[0]

    def get_batch(self, indices):
        """All fields for an int64 index array, in one indexing step per array (copies)."""
        fields = []
        for array in self.arrays:
            xp = backend.get_array_module(array)
            fields.append(array[xp.asarray(indices)])
        return tuple(fields)

    def __repr__(self):
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(
                f"Subset: indices must be one-dimensional, got shape {self.indices.shape}"
            )
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices out of range for a dataset of {n} examples")

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return self.indices.shape[0]

    def __repr__(self):
        return f"Subset({self.dataset!r}, {len(self)} examples)"


def _make_generator(seed=None, generator=None):
    """A np.random.Generator from a seed or an existing generator (not both)."""
    if seed is not None and generator is not None:
        raise ValueError("give either seed or generator, not both")
    if generator is not None:
        if not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"generator must be a np.random.Generator, got {type(generator).__name__}"
            )
        return generator
    if seed is None:  # follow manabu.manual_seed, as PyTorch's loaders follow torch's seed
        seed = int(random.get_generator().integers(2**63))
    return np.random.default_rng(seed)


def _split_lengths(n, lengths):
    """Integer lengths summing to n, from integers or from fractions summing to 1."""
    lengths = list(lengths)
    if all(isinstance(length, (int, np.integer)) for length in lengths):
        if sum(lengths) != n or min(lengths) < 0:
            raise ValueError(
                f"random_split: lengths {lengths} must be non-negative and sum to the "
                f"dataset size {n}"
            )
        return [int(length) for length in lengths]
    fractions = np.asarray(lengths, dtype=np.float64)
    if fractions.min() < 0 or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(f"random_split: fractions {lengths} must be non-negative and sum to 1")
    counts = np.floor(fractions * n).astype(np.int64)
    # Hand out what flooring left over one at a time, round-robin, as PyTorch does.
    for position in range(n - int(counts.sum())):
        counts[position % len(counts)] += 1
    return [int(count) for count in counts]


def random_split(dataset, lengths, seed=None, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s.

    ``lengths`` are either example counts summing to ``len(dataset)`` (``[800, 200]``) or
    fractions summing to 1 (``[0.8, 0.2]``). The same ``seed`` gives the same split.
    """
    rng = _make_generator(seed, generator)
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    order = rng.permutation(n)
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]


def train_val_split(dataset, val_fraction=0.2, seed=0, shuffle=True):
    """``(train, val)`` Subsets holding ``1 - val_fraction`` and ``val_fraction`` of the data.

    With ``shuffle=False`` the validation part is the tail of the dataset (no randomness).
    """
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in [0, 1], got {val_fraction}")
    n = len(dataset)
    n_val = int(round(n * val_fraction))
    if shuffle:
        order = np.random.default_rng(seed).permutation(n)
    else:
        order = np.arange(n)
    return Subset(dataset, order[: n - n_val]), Subset(dataset, order[n - n_val :])

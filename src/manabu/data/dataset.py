"""Datasets: anything with ``__getitem__`` and ``__len__``, plus subsets and splits.

A ``Dataset`` hands out one example at a time; the ``DataLoader`` groups examples into
mini-batches (ミニバッチ). ``TensorDataset`` keeps whole arrays, so the loader can slice a
batch out of them in one indexing operation instead of one Python call per example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend, random
from manabu.autograd import Tensor

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


class Dataset:
    """Base class: subclasses give ``__getitem__(i)`` (one example) and ``__len__()``.

    A subclass may also give ``get_batch(indices)``, returning a tuple of arrays with the
    examples at an int64 index array stacked on axis 0; the DataLoader then fetches whole
    batches with it instead of calling ``__getitem__`` once per example.

    As ``torch.utils.data.Dataset``, but the base class has no ``__add__`` (no
    ConcatDataset).

    Example:
        >>> class Squares(data.Dataset):
        ...     def __getitem__(self, i):
        ...         return np.float32(i), np.float32(i * i)
        ...     def __len__(self):
        ...         return 4
        >>> xs, ys = next(iter(data.DataLoader(Squares(), batch_size=4)))
        >>> ys.numpy()
        array([0., 1., 4., 9.], dtype=float32)
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
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

    Unlike PyTorch's, it also takes NumPy arrays and nested lists (lists of floats get the
    default float dtype), and an example is a tuple of arrays, not of Tensors.

    Args:
        *arrays: one or more ndarrays, Tensors or nested lists with the same first
            dimension N (ValueError otherwise; scalars are refused)

    Shape:
        - Input: each array (N, ...)
        - Output: ``dataset[i]`` is a tuple with one row (...) of each array

    Example:
        >>> x = np.arange(6.0).reshape(3, 2)
        >>> dataset = data.TensorDataset(x, np.array([0, 1, 1]))
        >>> x1, y1 = dataset[1]
        >>> len(dataset), x1, int(y1)
        (3, array([2., 3.]), 1)
    """

    def __init__(self, *arrays: Any) -> None:
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

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return tuple(array[index] for array in self.arrays)

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def get_batch(self, indices: Any) -> tuple[Any, ...]:
        """All fields for an int64 index array, in one indexing step per array (copies).

        Args:
            indices: an int64 array (B,) of example indices

        Returns:
            one array (B, ...) per field
        """
        fields = []
        for array in self.arrays:
            xp = backend.get_array_module(array)
            fields.append(array[xp.asarray(indices)])
        return tuple(fields)

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order.

    The DataLoader fetches a Subset of a TensorDataset (or of another Subset of one) in
    whole batches, through the indices.

    Args:
        dataset: the dataset to take examples from
        indices: the positions to keep, a one-dimensional sequence of ints (negative ones
            count from the end; IndexError when out of range)

    Example:
        >>> dataset = data.TensorDataset(np.arange(5.0))
        >>> part = data.Subset(dataset, [4, 0])
        >>> len(part), float(part[0][0])
        (2, 4.0)
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(
                f"Subset: indices must be one-dimensional, got shape {self.indices.shape}"
            )
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices out of range for a dataset of {n} examples")

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return self.indices.shape[0]

    def __repr__(self) -> str:
        return f"Subset({self.dataset!r}, {len(self)} examples)"


def _make_generator(seed: int | None = None,
                    generator: np.random.Generator | None = None) -> np.random.Generator:
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


def random_split(dataset: Dataset, lengths: Sequence[int] | Sequence[float],
                 seed: int | None = None,
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s.

    ``lengths`` are either example counts summing to ``len(dataset)`` (``[800, 200]``) or
    fractions summing to 1 (``[0.8, 0.2]``). The same ``seed`` gives the same split.

    Args:
        dataset: the dataset to split
        lengths: counts summing to ``len(dataset)``, or fractions summing to 1 (what
            flooring leaves over goes to the parts one at a time, as in PyTorch)
        seed: the seed of the permutation; None follows ``manabu.manual_seed``
        generator: a ``np.random.Generator`` to draw from instead (not with ``seed``)

    Returns:
        one Subset per entry of ``lengths``

    Example:
        >>> train, val = data.random_split(data.TensorDataset(np.zeros(10)), [0.8, 0.2],
        ...                                seed=0)
        >>> len(train), len(val)
        (8, 2)
    """
    rng = _make_generator(seed, generator)
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    order = rng.permutation(n)
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]


def train_val_split(dataset: Dataset, val_fraction: float = 0.2, seed: int = 0,
                    shuffle: bool = True) -> tuple[Subset, Subset]:
    """``(train, val)`` Subsets holding ``1 - val_fraction`` and ``val_fraction`` of the data.

    With ``shuffle=False`` the validation part is the tail of the dataset (no randomness).

    Args:
        dataset: the dataset to split
        val_fraction: the share of examples for validation, in [0, 1] (rounded to a
            whole number of examples). Default: 0.2
        seed: the seed of the shuffle. Default: 0
        shuffle: shuffle before splitting. Default: True

    Returns:
        ``(train, val)``, two Subsets

    Example:
        >>> train, val = data.train_val_split(data.TensorDataset(np.arange(5.0)),
        ...                                   val_fraction=0.4, shuffle=False)
        >>> val.indices
        array([3, 4])
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

"""DataLoader: mini-batches (ミニバッチ) from a Dataset, shuffled reproducibly.

Each epoch draws a fresh permutation from one seeded ``np.random.Generator``, so the same
seed gives the same sequence of batches, epoch after epoch, and ``state_dict()`` lets a
training run stop and resume on exactly the batch where it left off.

Fast path: when the dataset is a ``TensorDataset`` (or a ``Subset`` of one), a batch is
``array[batch_indices]`` for each array, one NumPy call per field, with no Python loop over
the examples. Any dataset with a ``get_batch(indices)`` method returning a tuple of arrays
gets the same treatment.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Tensor
from manabu.data.dataset import Subset, TensorDataset, _make_generator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any

    from manabu.data.dataset import Dataset


def _collate_leaf(values):
    """Stack a list of same-shaped scalars/arrays into one Tensor."""
    first = values[0]
    if isinstance(first, Tensor):
        arrays = [value.data for value in values]
        xp = backend.get_array_module(arrays[0])
        return Tensor(xp.stack(arrays))
    if backend.is_array(first):
        xp = backend.get_array_module(first)
        return Tensor(xp.stack(values))
    if isinstance(first, np.generic):
        return Tensor(np.asarray(values, dtype=first.dtype))  # NumPy scalars keep their dtype
    if isinstance(first, bool):
        return Tensor(np.asarray(values, dtype=np.bool_))
    if isinstance(first, int):
        return Tensor(np.asarray(values, dtype=np.int64))  # class labels: int64
    if isinstance(first, float):
        return Tensor(np.asarray(values, dtype=backend.get_default_dtype()))
    return list(values)  # strings and other objects stay a plain list


def default_collate(samples: Sequence[Any]) -> Any:
    """Turn a list of examples into a batch, field by field.

    Examples that are tuples ``(x, y)`` give a tuple of Tensors ``(X, Y)`` with X of shape
    (B, ...) stacked from the x's; dicts give a dict of Tensors; a single array per example
    gives one Tensor. NumPy arrays keep their dtype; Python ints become int64 (class labels)
    and Python floats the default float dtype.

    Strings and other objects stay a plain list, as in PyTorch.

    Args:
        samples: a non-empty list of examples of the same structure

    Returns:
        a Tensor, a tuple of batches or a dict of batches, following the examples

    Example:
        >>> X, Y = data.default_collate([(np.zeros(3), 0), (np.ones(3), 1)])
        >>> X.shape, Y.numpy()
        ((2, 3), array([0, 1]))
    """
    if not samples:
        raise ValueError("default_collate: got an empty list of examples")
    first = samples[0]
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        sizes = {len(sample) for sample in samples}
        if len(sizes) != 1:
            raise ValueError(f"default_collate: examples have different numbers of fields {sizes}")
        fields = zip(*samples)
        return tuple(default_collate(list(field)) for field in fields)
    return _collate_leaf(samples)


def _batch_source(dataset):
    """(get_batch, index_map) when whole batches can be fetched at once, else None.

    Walks through nested Subsets down to a dataset with a ``get_batch(indices)`` method (a
    TensorDataset), composing their index arrays on the way.
    """
    index_map = None
    while isinstance(dataset, Subset):
        if index_map is None:
            index_map = dataset.indices
        else:
            index_map = dataset.indices[index_map]
        dataset = dataset.dataset
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is None:
        return None
    kind = type(dataset)
    if isinstance(dataset, TensorDataset) and kind.get_batch is TensorDataset.get_batch:
        if kind.__getitem__ is not TensorDataset.__getitem__:
            return None  # a subclass that changes examples must be called example by example
    return get_batch, index_map


def _check_sampling(shuffle, replacement, num_samples):
    """(replacement, num_samples) as given, or a ValueError saying which combination is off."""
    if num_samples is not None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
                or num_samples < 1:
            raise ValueError(f"DataLoader: num_samples must be a whole number >= 1, got "
                             f"{num_samples!r}")
        if not shuffle:
            raise ValueError("DataLoader: num_samples draws a random subset each epoch; "
                             "pass shuffle=True with it")
        num_samples = int(num_samples)
    if replacement and num_samples is None:
        raise ValueError("DataLoader: replacement=True needs num_samples (the draws per "
                         "epoch), e.g. num_samples=steps * batch_size")
    return bool(replacement), num_samples


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    ``DataLoader(dataset, batch_size=32, shuffle=True, seed=0)`` yields, for a dataset of
    ``(x, y)`` pairs, tuples ``(X, Y)`` of Tensors with shapes (32, ...) each. ``len(loader)``
    is the number of batches per epoch: ``ceil(N / batch_size)``, or ``N // batch_size`` with
    ``drop_last=True`` (which drops the last, smaller batch).

    Shuffling uses ``loader.generator`` (a ``np.random.Generator`` built from ``seed``, or the
    one given as ``generator``); each epoch draws a new permutation from it. ``collate_fn``
    turns a list of examples into a batch (``default_collate`` when None); giving one turns
    the TensorDataset fast path off.

    Compared with ``torch.utils.data.DataLoader``: no worker processes (``num_workers``);
    ``seed`` replaces a ``torch.Generator``; ``state_dict()`` / ``load_state_dict()``
    resume in the middle of an epoch.

    Args:
        dataset: the Dataset to read (anything with ``__getitem__`` and ``__len__``)
        batch_size: examples per batch, an int >= 1. Default: 1
        shuffle: draw a new order every epoch. Default: False
        drop_last: drop the last batch when it is smaller than ``batch_size``.
            Default: False
        collate_fn: turns a list of examples into a batch. Default: ``default_collate``
        seed: the seed of the shuffling generator; None follows ``manabu.manual_seed``
        generator: a ``np.random.Generator`` to shuffle with instead (not with ``seed``)
        replacement: with ``shuffle``, draw each example uniformly at random, with
            replacement (``torch.utils.data.RandomSampler(replacement=True)``); needs
            ``num_samples``. Default: False
        num_samples: with ``shuffle``, the examples of one epoch (fewer or more than the
            dataset's; more only with replacement). Default: None (the whole dataset)

    Shape:
        - Output: for a ``TensorDataset(x, y)`` with x (N, ...) and y (N, ...), batches
          ``(X, Y)`` of Tensors (batch_size, ...), the last one possibly smaller

    Example:
        >>> dataset = data.TensorDataset(np.zeros((10, 3)), np.arange(10))
        >>> loader = data.DataLoader(dataset, batch_size=4, shuffle=True, seed=0)
        >>> len(loader), [tuple(x.shape) for x, y in loader]
        (3, [(4, 3), (4, 3), (2, 3)])
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        seed: int | None = None,
        generator: np.random.Generator | None = None,
        replacement: bool = False,
        num_samples: int | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.replacement, self.num_samples = _check_sampling(shuffle, replacement, num_samples)
        if not self.replacement and (self.num_samples or 0) > len(dataset):
            raise ValueError(f"DataLoader: num_samples={num_samples} is more than the "
                             f"{len(dataset)} examples; pass replacement=True to draw more")
        self.generator = _make_generator(seed, generator)
        self.epoch = 0  # epochs begun so far
        self._epoch_state = None  # generator state before the current epoch's permutation
        self._position = 0  # batches handed out in the current epoch
        self._resume_at = 0  # batches to skip at the start of the next epoch (after a load)

    def __len__(self) -> int:
        n = len(self.dataset) if self.num_samples is None else self.num_samples
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)

    def _order(self):
        """The example indices of one epoch: ``num_samples`` uniform draws with replacement,
        a fresh permutation (its first ``num_samples``), or 0..N-1."""
        n = len(self.dataset)
        if self.replacement:
            return self.generator.integers(0, n, size=self.num_samples)
        if self.num_samples is not None:
            return self.generator.permutation(n)[: self.num_samples]
        if self.shuffle:
            return self.generator.permutation(n)
        return np.arange(n)

    def _batch(self, source, indices):
        """One batch for the example indices ``indices`` (an int64 array)."""
        if source is not None:
            get_batch, index_map = source
            if index_map is not None:
                indices = index_map[indices]
            return tuple(Tensor(array) for array in get_batch(indices))
        samples = [self.dataset[int(i)] for i in indices]
        if self.collate_fn is None:
            return default_collate(samples)
        return self.collate_fn(samples)

    def __iter__(self) -> Iterator[Any]:
        source = None
        if self.collate_fn is None:
            source = _batch_source(self.dataset)
        self._epoch_state = self.generator.bit_generator.state
        order = self._order()
        self.epoch += 1
        start_batch = self._resume_at
        self._resume_at = 0
        self._position = start_batch
        for batch_index in range(start_batch, len(self)):
            start = batch_index * self.batch_size
            indices = order[start : start + self.batch_size]
            self._position = batch_index + 1  # counted before the yield: "handed out"
            yield self._batch(source, indices)
        self._epoch_state = None
        self._position = 0

    # ------------------------------------------------------------------ resuming
    def state_dict(self) -> dict[str, Any]:
        """Where the loader stands, as plain Python values (JSON-serialisable).

        Taken in the middle of an epoch, it records the generator state from before that
        epoch's permutation and how many batches were handed out, so that after
        ``load_state_dict`` the next ``iter(loader)`` redraws the same permutation and goes
        on from the next batch.

        Example:
            >>> loader = data.DataLoader(data.TensorDataset(np.arange(6)), batch_size=2,
            ...                          shuffle=True, seed=0)
            >>> batches = iter(loader)
            >>> first = next(batches)
            >>> state = loader.state_dict()            # one batch of this epoch handed out
            >>> rest = [b[0].numpy().tolist() for b in batches]
            >>> loader.load_state_dict(state)
            >>> [b[0].numpy().tolist() for b in loader] == rest
            True
        """
        if self._epoch_state is not None:
            return {
                "generator": self._epoch_state,
                "epoch": self.epoch - 1,
                "batches_done": self._position,
            }
        return {
            "generator": self.generator.bit_generator.state,
            "epoch": self.epoch,
            "batches_done": self._resume_at,  # 0 unless a loaded state is still pending
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: the next epoch continues exactly where it stopped.

        Args:
            state: what ``state_dict()`` returned (or its JSON round trip)
        """
        self.generator.bit_generator.state = state["generator"]
        self.epoch = int(state["epoch"])
        self._epoch_state = None
        self._position = 0
        self._resume_at = int(state["batches_done"])

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )

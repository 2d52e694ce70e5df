"""TransformDataset: a dataset whose examples pass through a transform (data augmentation).

``TransformDataset(TensorDataset(x, y), transform)`` hands out ``(transform(x[i]), y[i])``;
the DataLoader asks it for whole batches (``get_batch``), so the transform runs once per
batch, vectorised, with fresh random parameters for every image and every epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu.data.dataset import Dataset, _as_array
from manabu.data.loader import _batch_source

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["TransformDataset"]


class TransformDataset(Dataset):
    """``dataset`` with ``transform`` applied to one field of each example (the inputs,
    field 0, unless ``field`` says otherwise); examples are tuples.

    It has ``get_batch(indices)``, so the DataLoader fetches a whole batch at once (through
    the wrapped dataset's own fast path when it has one, e.g. a TensorDataset) and the
    transform runs once per batch, vectorised, with fresh parameters for every image.

    (torchvision applies a transform inside each dataset's ``__getitem__``, one image at a
    time; here any dataset can be wrapped, and a batch is transformed at once.)

    Args:
        dataset: the dataset whose examples are transformed
        transform: a callable on an array, e.g. ``transforms.Compose([...])``; it gets one
            example's field (C, H, W) from ``__getitem__``, a batch (B, C, H, W) from
            ``get_batch``
        field: which field of each example to transform. Default: 0 (the inputs)

    Shape:
        - Output: examples as the wrapped dataset's, field ``field`` transformed (a
          transform that keeps the shape keeps it)

    Example:
        >>> images = np.zeros((4, 1, 8, 8), dtype=np.float32)
        >>> shifted = data.TransformDataset(data.TensorDataset(images, np.arange(4)),
        ...                                 lambda x: x + 1)
        >>> x, y = next(iter(data.DataLoader(shifted, batch_size=4)))
        >>> x.shape, float(x.numpy().mean())
        ((4, 1, 8, 8), 1.0)
    """

    def __init__(self, dataset: Dataset, transform: Callable[[Any], Any], field: int = 0) -> None:
        if not callable(transform):
            raise TypeError(f"TransformDataset: transform must be callable, got {transform!r}")
        self.dataset = dataset
        self.transform = transform
        self.field = field

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        example = self.dataset[index]
        fields = list(example) if isinstance(example, (tuple, list)) else [example]
        fields[self.field] = self.transform(_as_array(fields[self.field]))
        return tuple(fields)

    def get_batch(self, indices: Any) -> tuple[Any, ...]:
        """Every field for an int64 index array, stacked, the transform applied once.

        Args:
            indices: an int64 array (B,) of example indices

        Returns:
            one array (B, ...) per field
        """
        indices = np.asarray(indices, dtype=np.int64)
        source = _batch_source(self.dataset)
        if source is not None:
            get_batch, index_map = source
            fields = list(get_batch(indices if index_map is None else index_map[indices]))
        else:
            examples = [self.dataset[int(i)] for i in indices]
            examples = [e if isinstance(e, (tuple, list)) else (e,) for e in examples]
            fields = [np.stack([_as_array(v) for v in values]) for values in zip(*examples)]
        fields[self.field] = self.transform(fields[self.field])
        return tuple(fields)

    def __repr__(self) -> str:
        return f"TransformDataset({self.dataset!r}, {self.transform!r})"

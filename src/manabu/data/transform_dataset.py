"""TransformDataset: a dataset whose examples pass through a transform (data augmentation).

``TransformDataset(TensorDataset(x, y), transform)`` hands out ``(transform(x[i]), y[i])``;
the DataLoader asks it for whole batches (``get_batch``), so the transform runs once per
batch, vectorised, with fresh random parameters for every image and every epoch.
"""

import numpy as np

from manabu.data.dataset import Dataset, _as_array
from manabu.data.loader import _batch_source

__all__ = ["TransformDataset"]


class TransformDataset(Dataset):
    """``dataset`` with ``transform`` applied to one field of each example (the inputs,
    field 0, unless ``field`` says otherwise); examples are tuples.

    It has ``get_batch(indices)``, so the DataLoader fetches a whole batch at once (through
    the wrapped dataset's own fast path when it has one, e.g. a TensorDataset) and the
    transform runs once per batch, vectorised, with fresh parameters for every image.
    """

    def __init__(self, dataset, transform, field=0):
        if not callable(transform):
            raise TypeError(f"TransformDataset: transform must be callable, got {transform!r}")
        self.dataset = dataset
        self.transform = transform
        self.field = field

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        example = self.dataset[index]
        fields = list(example) if isinstance(example, (tuple, list)) else [example]
        fields[self.field] = self.transform(_as_array(fields[self.field]))
        return tuple(fields)

    def get_batch(self, indices):
        """Every field for an int64 index array, stacked, the transform applied once."""
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

    def __repr__(self):
        return f"TransformDataset({self.dataset!r}, {self.transform!r})"

"""Tests for manabu.data: Dataset, TensorDataset, Subset, splits, DataLoader and collate."""

import json

import numpy as np
import pytest

import manabu.data
from manabu import backend
from manabu.autograd import Tensor
from manabu.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
    train_val_split,
)


def make_xy(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return x, y


class PairDataset(Dataset):
    """A plain Dataset (no fast path) returning (float32 array, Python int)."""

    def __init__(self, n=10):
        self.x, self.y = make_xy(n)
        self.calls = 0

    def __getitem__(self, index):
        self.calls += 1
        return self.x[index], int(self.y[index])

    def __len__(self):
        return len(self.y)


class CountingTensorDataset(TensorDataset):
    """A TensorDataset that counts per-example calls (the fast path must make none)."""

    calls = 0

    def __getitem__(self, index):
        CountingTensorDataset.calls += 1
        return super().__getitem__(index)

    def get_batch(self, indices):
        return super().get_batch(indices)


def first_column(loader):
    """The y values of every batch of one epoch, concatenated."""
    return np.concatenate([batch[1].numpy() for batch in loader])


# ---------------------------------------------------------------------- datasets


def test_all_names_exist():
    for name in manabu.data.__all__:
        assert hasattr(manabu.data, name), name
    assert len(set(manabu.data.__all__)) == len(manabu.data.__all__)


def test_base_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_tensor_dataset_items_and_tensors():
    x, y = make_xy()
    dataset = TensorDataset(Tensor(x), y)
    assert len(dataset) == 10
    assert dataset.arrays[0] is x  # wrapped without copying
    xi, yi = dataset[3]
    np.testing.assert_array_equal(xi, x[3])
    assert yi == 3


def test_tensor_dataset_lists_get_default_dtype():
    dataset = TensorDataset([[0.5, 1.0], [2.0, 3.0]], [0, 1])
    assert dataset.arrays[0].dtype == backend.get_default_dtype()
    assert dataset.arrays[1].dtype.kind == "i"


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"\[10, 7\]"):
        TensorDataset(np.zeros((10, 2)), np.zeros(7))
    with pytest.raises(ValueError):
        TensorDataset()


def test_subset_indexes_through():
    x, y = make_xy()
    subset = Subset(TensorDataset(x, y), [7, 2, 5])
    assert len(subset) == 3
    assert subset[0][1] == 7
    assert subset[2][1] == 5
    with pytest.raises(IndexError):
        Subset(TensorDataset(x, y), [10])


def test_random_split_lengths_and_fractions():
    dataset = TensorDataset(*make_xy(10))
    parts = random_split(dataset, [7, 3], seed=0)
    assert [len(part) for part in parts] == [7, 3]
    together = np.concatenate([part.indices for part in parts])
    assert sorted(together.tolist()) == list(range(10))
    parts = random_split(dataset, [0.5, 0.3, 0.2], seed=0)
    assert [len(part) for part in parts] == [5, 3, 2]
    parts = random_split(TensorDataset(*make_xy(11)), [0.5, 0.5], seed=0)
    assert [len(part) for part in parts] == [6, 5]  # the remainder goes round-robin
    with pytest.raises(ValueError, match="sum"):
        random_split(dataset, [5, 4])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(dataset, [0.5, 0.6])


def test_random_split_reproducible():
    dataset = TensorDataset(*make_xy(50))
    a = random_split(dataset, [40, 10], seed=3)
    b = random_split(dataset, [40, 10], generator=np.random.default_rng(3))
    c = random_split(dataset, [40, 10], seed=4)
    np.testing.assert_array_equal(a[1].indices, b[1].indices)
    assert not np.array_equal(a[1].indices, c[1].indices)
    with pytest.raises(ValueError, match="not both"):
        random_split(dataset, [40, 10], seed=3, generator=np.random.default_rng(3))


def test_train_val_split():
    dataset = TensorDataset(*make_xy(10))
    train, val = train_val_split(dataset, val_fraction=0.2, seed=1)
    assert (len(train), len(val)) == (8, 2)
    assert not set(train.indices.tolist()) & set(val.indices.tolist())
    train, val = train_val_split(dataset, val_fraction=0.3, shuffle=False)
    assert val.indices.tolist() == [7, 8, 9]
    with pytest.raises(ValueError):
        train_val_split(dataset, val_fraction=1.5)


# ---------------------------------------------------------------------- collate


def test_default_collate_dtypes():
    samples = [(np.ones(3, dtype=np.float32), 1, 0.5), (np.zeros(3, dtype=np.float32), 2, 1.5)]
    x, y, w = default_collate(samples)
    assert isinstance(x, Tensor) and x.shape == (2, 3) and x.dtype == np.float32
    assert y.dtype == np.int64 and y.tolist() == [1, 2]
    assert w.dtype == backend.get_default_dtype()
    double = default_collate([np.ones(2, dtype=np.float64)] * 4)
    assert double.shape == (4, 2) and double.dtype == np.float64  # floats keep their dtype


def test_default_collate_dicts_and_numpy_scalars():
    samples = [{"x": np.ones(2), "y": np.int32(3)}, {"x": np.ones(2), "y": np.int32(4)}]
    batch = default_collate(samples)
    assert batch["x"].shape == (2, 2)
    assert batch["y"].dtype == np.int32 and batch["y"].tolist() == [3, 4]
    assert default_collate([("a", 1), ("b", 2)])[0] == ["a", "b"]


# ---------------------------------------------------------------------- loader


@pytest.mark.parametrize(
    "n, batch_size, drop_last, expected_sizes",
    [
        (10, 3, False, [3, 3, 3, 1]),
        (10, 3, True, [3, 3, 3]),
        (10, 5, True, [5, 5]),
        (10, 20, True, []),
        (10, 20, False, [10]),
    ],
)
def test_loader_len_and_drop_last(n, batch_size, drop_last, expected_sizes):
    loader = DataLoader(TensorDataset(*make_xy(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(expected_sizes)
    sizes = [batch[0].shape[0] for batch in loader]
    assert sizes == expected_sizes


def test_loader_batches_in_order_without_shuffle():
    x, y = make_xy()
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4))
    xb, yb = batches[0]
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_array_equal(xb.numpy(), x[:4])
    assert first_column(batches).tolist() == list(range(10))
    xb.data[:] = -1  # a batch is a copy: writing into it leaves the dataset alone
    assert x.min() == 0


def test_loader_generic_dataset_uses_collate():
    dataset = PairDataset(10)
    xb, yb = next(iter(DataLoader(dataset, batch_size=4)))
    assert xb.shape == (4, 3) and xb.dtype == np.float32
    assert yb.dtype == np.int64
    seen = DataLoader(dataset, batch_size=3, collate_fn=lambda samples: len(samples))
    assert list(seen) == [3, 3, 3, 1]


def test_shuffle_reproducible_and_new_each_epoch():
    dataset = TensorDataset(*make_xy(50))
    a = DataLoader(dataset, batch_size=8, shuffle=True, seed=0)
    b = DataLoader(dataset, batch_size=8, shuffle=True, seed=0)
    c = DataLoader(dataset, batch_size=8, shuffle=True, seed=1)
    epochs_a = [first_column(a) for _ in range(3)]
    epochs_b = [first_column(b) for _ in range(3)]
    for epoch_a, epoch_b in zip(epochs_a, epochs_b):
        np.testing.assert_array_equal(epoch_a, epoch_b)
        assert sorted(epoch_a.tolist()) == list(range(50))  # every example once per epoch
    assert not np.array_equal(epochs_a[0], epochs_a[1])  # a new permutation each epoch
    assert not np.array_equal(epochs_a[0], first_column(c))
    assert not np.array_equal(epochs_a[0], np.arange(50))


def test_loader_generator_argument():
    dataset = TensorDataset(*make_xy(30))
    a = first_column(DataLoader(dataset, 4, shuffle=True, generator=np.random.default_rng(5)))
    b = first_column(DataLoader(dataset, 4, shuffle=True, seed=5))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="not both"):
        DataLoader(dataset, seed=1, generator=np.random.default_rng(1))
    with pytest.raises(ValueError):
        DataLoader(dataset, batch_size=0)


def test_fast_path_matches_slow_path_without_item_calls():
    x, y = make_xy(23)
    fast = CountingTensorDataset(x, y)
    slow = PairDataset(23)
    CountingTensorDataset.calls = 0
    fast_batches = list(DataLoader(fast, batch_size=5, shuffle=True, seed=2))
    slow_batches = list(DataLoader(slow, batch_size=5, shuffle=True, seed=2))
    assert CountingTensorDataset.calls == 0  # the fast path indexes whole arrays
    assert slow.calls == 23
    for (xf, yf), (xs, ys) in zip(fast_batches, slow_batches):
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_fast_path_through_subsets():
    x, y = make_xy(20)
    dataset = CountingTensorDataset(x, y)
    inner = Subset(dataset, np.arange(20)[::-1])  # 19, 18, ..., 0
    outer = Subset(inner, [0, 2, 4, 6])  # 19, 17, 15, 13
    CountingTensorDataset.calls = 0
    batches = list(DataLoader(outer, batch_size=3))
    assert CountingTensorDataset.calls == 0
    assert first_column(batches).tolist() == [19, 17, 15, 13]
    np.testing.assert_array_equal(batches[0][0].numpy(), x[[19, 17, 15]])


def test_subclass_overriding_getitem_is_called_per_item():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 2, y

    x, y = make_xy(6)
    xb, _ = next(iter(DataLoader(Doubled(x, y), batch_size=6)))
    np.testing.assert_array_equal(xb.numpy(), x * 2)


def test_state_dict_resumes_mid_epoch_exactly():
    dataset = TensorDataset(*make_xy(40))
    reference = DataLoader(dataset, batch_size=6, shuffle=True, seed=9)
    expected = [first_column(reference) for _ in range(3)]
    loader = DataLoader(dataset, batch_size=6, shuffle=True, seed=9)
    first_column(loader)  # epoch 0 in full
    seen = []
    for batch in loader:  # epoch 1: stop after three batches
        seen.append(batch[1].numpy())
        if len(seen) == 3:
            break
    state = json.loads(json.dumps(loader.state_dict()))  # plain values survive JSON
    assert state["epoch"] == 1 and state["batches_done"] == 3
    resumed = DataLoader(dataset, batch_size=6, shuffle=True, seed=1234)
    resumed.load_state_dict(state)
    assert resumed.state_dict() == state  # a pending resume is saved again as it is
    rest = first_column(resumed)
    np.testing.assert_array_equal(np.concatenate(seen + [rest]), expected[1])
    np.testing.assert_array_equal(first_column(resumed), expected[2])
    assert resumed.epoch == 3


def test_state_dict_between_epochs():
    dataset = TensorDataset(*make_xy(12))
    loader = DataLoader(dataset, batch_size=5, shuffle=True, seed=0)
    first_column(loader)
    state = loader.state_dict()
    assert state["batches_done"] == 0 and state["epoch"] == 1
    following = first_column(loader)
    other = DataLoader(dataset, batch_size=5, shuffle=True)
    other.load_state_dict(state)
    np.testing.assert_array_equal(first_column(other), following)

"""TokenWindows and the DataLoader's random draws with replacement: the way a GPT recipe
samples windows of a long text, reproducible and resumable."""

import numpy as np
import pytest

from manabu.data import DataLoader, TensorDataset, TokenWindows


def test_windows_are_the_text_and_the_next_tokens():
    ids = np.arange(100, 120)
    windows = TokenWindows(ids, block_size=5)
    assert len(windows) == 15
    x, y = windows[14]  # the last window: its last target is the last id
    assert x.tolist() == list(range(114, 119)) and y.tolist() == list(range(115, 120))
    bx, by = windows.get_batch(np.array([0, 7]))
    assert bx.dtype == by.dtype == np.int64 and bx.shape == (2, 5)
    np.testing.assert_array_equal(by[:, :-1], bx[:, 1:])
    with pytest.raises(IndexError, match="15 windows"):
        windows[15]


@pytest.mark.parametrize("ids, block, match", [
    (np.arange(10.0), 3, "1-D integer"), (np.arange(10), 10, r"\[1, 10\)"),
    (np.arange(10), 0, r"\[1, 10\)"), (np.zeros((2, 5), int), 2, "1-D integer"),
])
def test_windows_refuse_bad_input(ids, block, match):
    with pytest.raises(ValueError, match=match):
        TokenWindows(ids, block)


def test_loader_draws_uniform_windows_with_replacement():
    windows = TokenWindows(np.arange(50), block_size=4)
    loader = DataLoader(windows, batch_size=8, shuffle=True, replacement=True, num_samples=40,
                        seed=0)
    assert len(loader) == 5
    starts = np.concatenate([x.numpy()[:, 0] for x, _ in loader])
    assert len(starts) == 40 and starts.min() >= 0 and starts.max() < 46
    again = np.concatenate([x.numpy()[:, 0] for x, _ in loader])
    assert not np.array_equal(starts, again)  # each epoch draws afresh
    same = DataLoader(windows, batch_size=8, shuffle=True, replacement=True, num_samples=40,
                      seed=0)
    np.testing.assert_array_equal(np.concatenate([x.numpy()[:, 0] for x, _ in same]), starts)
    many = DataLoader(windows, batch_size=1000, shuffle=True, replacement=True,
                      num_samples=46_000, seed=1)
    counts = np.bincount(next(iter(many))[0].numpy()[:, 0], minlength=46)
    assert counts.min() > 0 and counts.max() < 2 * counts.mean()  # every start, evenly


def test_loader_draws_resume_mid_epoch():
    loader = DataLoader(TokenWindows(np.arange(30), 3), batch_size=2, shuffle=True,
                        replacement=True, num_samples=10, seed=3)
    batches = iter(loader)
    next(batches)
    state = loader.state_dict()
    rest = [x.numpy().tolist() for x, _ in batches]
    loader.load_state_dict(state)
    assert [x.numpy().tolist() for x, _ in loader] == rest


def test_num_samples_without_replacement_is_a_random_subset():
    loader = DataLoader(TensorDataset(np.arange(20)), batch_size=20, shuffle=True,
                        num_samples=7, seed=0)
    (x,) = next(iter(loader))
    assert len(loader) == 1 and len(set(x.numpy().tolist())) == 7


@pytest.mark.parametrize("options, match", [
    ({"shuffle": True, "replacement": True}, "needs num_samples"),
    ({"shuffle": False, "num_samples": 4}, "shuffle=True"),
    ({"shuffle": True, "num_samples": 0}, ">= 1"),
    ({"shuffle": True, "num_samples": 30}, "replacement=True"),
])
def test_loader_sampling_options_are_checked(options, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(TensorDataset(np.arange(20)), batch_size=2, **options)

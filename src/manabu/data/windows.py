"""TokenWindows: every window of a token stream, with its next-token targets, for
training a language model on random pieces of a long text (as GPT's recipes do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu.data.dataset import Dataset

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["TokenWindows"]


class TokenWindows(Dataset):
    """Example ``i`` is ``(ids[i : i + T], ids[i + 1 : i + T + 1])``: ``block_size`` = T
    tokens and the same tokens one step later, the next-token targets of a language model.

    There are ``len(ids) - T`` windows (each needs one more token for its last target).
    Drawn with ``DataLoader(windows, batch_size, shuffle=True, replacement=True,
    num_samples=steps * batch_size)``, each batch is ``batch_size`` windows starting at
    uniformly random offsets: the way nanoGPT-style recipes sample a corpus. The ids are
    kept, not copied; ``get_batch`` gathers a batch in one indexing step.

    Args:
        ids: the token ids of the corpus, a 1-D integer array (L,)
        block_size: T, the tokens of a window, 1 <= T < L

    Shape:
        - Output: ``windows[i]`` is a pair of int64 arrays (T,); a loader's batches are
          (N, T) pairs

    Example:
        >>> windows = data.TokenWindows(np.arange(10), block_size=4)
        >>> x, y = windows[2]
        >>> len(windows), x.tolist(), y.tolist()
        (6, [2, 3, 4, 5], [3, 4, 5, 6])
    """

    def __init__(self, ids: ArrayLike, block_size: int) -> None:
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError(f"TokenWindows: ids must be a 1-D integer array, got dtype "
                             f"{ids.dtype} and shape {ids.shape}; encode the text first")
        if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) \
                or not 1 <= block_size < len(ids):
            raise ValueError(f"TokenWindows: block_size must be a whole number in [1, "
                             f"{len(ids)}) for {len(ids)} ids, got {block_size!r}")
        self.ids = ids
        self.block_size = int(block_size)
        self._offsets = np.arange(self.block_size + 1)  # (T + 1,): a window and one more

    def __len__(self) -> int:
        return len(self.ids) - self.block_size

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"TokenWindows: index {index} out of range for {len(self)} windows")
        x, y = self.get_batch(np.array([index % len(self)]))
        return x[0], y[0]

    def get_batch(self, indices: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Windows and targets at an int64 index array, gathered at once.

        Args:
            indices: window starts (B,)

        Returns:
            inputs and targets, int64 (B, T) each
        """
        rows = self.ids[np.asarray(indices)[:, None] + self._offsets].astype(np.int64)  # (B, T+1)
        return rows[:, :-1], rows[:, 1:]

    def __repr__(self) -> str:
        return f"TokenWindows({len(self.ids)} ids, block_size={self.block_size})"

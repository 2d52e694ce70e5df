"""tiny-shakespeare: 1,115,394 characters of Shakespeare's plays, the char-rnn corpus.

A character-level language model (文字レベル言語モデル) reads it one character at a time and
learns to predict the next one. The file is looked up as ``<root>/tinyshakespeare/input.txt``
(root: the argument, else ``$MANABU_DATA``, else ``~/.cache/manabu``); when missing there,
the copy embedded in the package (``datasets/embedded/tinyshakespeare/``) is read, so no
download is needed. Either way it is checked against its SHA-256. Standard split: the
first 90% of the characters for training, the last 10% for validation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu.data.datasets.download import data_root, ensure_files

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence
    from typing import TypeVar

    from numpy.typing import ArrayLike

    Text = TypeVar("Text", str, Sequence, np.ndarray)

__all__ = [
    "SHAKESPEARE_MIRRORS", "SHAKESPEARE_SHA256", "char_lm_batches", "load_tiny_shakespeare",
    "shakespeare_split",
]

SHAKESPEARE_MIRRORS = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/",
)

SHAKESPEARE_SHA256 = {
    "input.txt": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
}


def load_tiny_shakespeare(root: str | os.PathLike[str] | None = None,
                          download: bool = True) -> str:
    """The whole corpus as one str (1,115,394 characters, 65 distinct ones).

    Build the character vocabulary with ``Vocabulary.from_texts(text, pad=None, unk=None,
    bos=None, eos=None)`` and split with ``shakespeare_split``.

    Args:
        root: the data folder; None: ``$MANABU_DATA``, else ``~/.cache/manabu`` (the
            embedded copy is read when the folder lacks the file)
        download: download the file when neither has it. Default: True

    Example:
        >>> text = data.load_tiny_shakespeare()
        >>> len(text), len(set(text)), text[:14]
        (1115394, 65, 'First Citizen:')
    """
    folder = data_root(root) / "tinyshakespeare"
    paths = ensure_files("tiny-shakespeare", folder, SHAKESPEARE_SHA256, SHAKESPEARE_MIRRORS,
                         download=download)
    with open(paths["input.txt"], encoding="utf-8") as handle:
        return handle.read()


def shakespeare_split(text: Text, train_fraction: float = 0.9) -> tuple[Text, Text]:
    """``(train, val)``: the first ``train_fraction`` of the characters (90%: 1,003,854
    of them) and the rest. Works on a str, a list or an id array alike.

    Example:
        >>> train, val = data.datasets.shakespeare_split("abcdefghij")
        >>> train, val
        ('abcdefghi', 'j')
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"shakespeare_split: train_fraction must be in (0, 1), got "
                         f"{train_fraction}")
    cut = int(len(text) * train_fraction)
    return text[:cut], text[cut:]


def char_lm_batches(ids: ArrayLike, batch_size: int,
                    seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)`` for truncated BPTT (打ち切りBPTT), each (W, N, T) int64.

    The ids (L,) are cut into N = ``batch_size`` parallel streams, stream b being the
    b-th consecutive piece of the text; window w holds steps w*T .. w*T + T - 1 of every
    stream, T = ``seq_len``, and targets are the inputs one character later. Feed the
    windows in order, ``for x, t in zip(inputs, targets)``, carrying the hidden state
    from one window to the next: row b of window w+1 continues row b of window w.

    Args:
        ids: the token ids of the corpus (L,)
        batch_size: N, the parallel streams
        seq_len: T, the steps of one window (ValueError when the ids are too few)

    Example:
        >>> inputs, targets = data.datasets.char_lm_batches(np.arange(13), 2, 3)
        >>> inputs.shape, inputs[0].tolist(), targets[0].tolist()
        ((2, 2, 3), [[0, 1, 2], [6, 7, 8]], [[1, 2, 3], [7, 8, 9]])
    """
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    stream = (len(ids) - 1) // batch_size  # characters per stream (one kept for the target)
    windows = stream // seq_len
    if windows < 1:
        raise ValueError(
            f"char_lm_batches: {len(ids)} ids are too few for batch_size={batch_size} "
            f"streams of seq_len={seq_len} (need at least {batch_size * seq_len + 1}); "
            "lower batch_size or seq_len"
        )
    used = windows * seq_len
    x = ids[:batch_size * stream].reshape(batch_size, stream)[:, :used]  # (N, W*T)
    t = ids[1:batch_size * stream + 1].reshape(batch_size, stream)[:, :used]  # (N, W*T)
    x = x.reshape(batch_size, windows, seq_len).transpose(1, 0, 2)  # (W, N, T)
    t = t.reshape(batch_size, windows, seq_len).transpose(1, 0, 2)  # (W, N, T)
    return np.ascontiguousarray(x), np.ascontiguousarray(t)

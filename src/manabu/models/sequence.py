"""What the sequence models share (RNNLM, Seq2Seq, HRED): the recurrent layers by name,
and token ids read from whatever the caller passes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend, nn
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from typing import Any

__all__ = ["CELLS", "TokenIdsError", "as_ids"]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class TokenIdsError(TypeError, ValueError):
    """Token ids that are not integers. A TypeError (the dtype is wrong) that is also a
    ValueError, what the encoder-decoder models raise for any bad ids, so ``except``
    either one works (as NumPy's AxisError is both a ValueError and an IndexError).

    Example:
        >>> model = models.RNNLM(vocab_size=10, embed_dim=4, hidden_dim=4)
        >>> try:
        ...     model(np.zeros((1, 3)))                        # floats, not ids
        ... except TypeError as error:
        ...     print(type(error).__name__, isinstance(error, ValueError))
        TokenIdsError True
    """


def as_ids(model: str, ids: Any, ndim: int | None = None) -> Any:
    """Token ids (a Tensor, a NumPy/CuPy array or nested lists) as an integer array on
    their device; with ``ndim``, a ValueError unless the array has that many axes. Errors
    start with ``model``, the caller's name.

    Args:
        model: the caller's name, e.g. 'Seq2Seq'
        ids: integer token ids (a float dtype raises TokenIdsError)
        ndim: the number of axes required; None: any. Default: None

    Returns:
        a NumPy or CuPy integer array (no copy when ids already is one)

    Example:
        >>> from manabu.models.sequence import as_ids
        >>> as_ids("demo", [[1, 2], [3, 4]], ndim=2)
        array([[1, 2],
               [3, 4]])
    """
    ids = unwrap(ids)
    xp = backend.get_array_module(ids) if backend.is_array(ids) else np
    ids = xp.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TokenIdsError(f"{model}: expected integer token ids, got shape "
                            f"{tuple(ids.shape)} of {ids.dtype}; ids index an embedding, so "
                            "they must be integers (e.g. ids.astype(np.int64))")
    if ndim is not None and ids.ndim != ndim:
        raise ValueError(f"{model}: expected integer token ids with {ndim} axes, got shape "
                         f"{tuple(ids.shape)} of {ids.dtype}")
    return ids

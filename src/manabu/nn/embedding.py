"""Embedding (単語埋め込み): a learnable vector for each token id."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.functional.embedding import embedding
from manabu.nn import init as nn_init
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

    from manabu.autograd import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """A lookup table: token ids (any shape, integers) -> vectors, ids.shape + (dim,).

    Equivalent to one-hot(ids) @ W but without building the one-hot matrix: the forward
    picks rows ``W[ids]`` and the backward adds each position's gradient to its row (a word
    seen 5 times in the batch gets 5 contributions). ``weight`` (num_embeddings,
    embedding_dim) starts as N(0, 1) like PyTorch's; the row ``padding_idx`` (e.g. the <pad>
    token) starts at zero and is never updated.

    Args:
        num_embeddings: the number of rows, i.e. the vocabulary size.
        embedding_dim: the length of each vector.
        padding_idx: the row of the padding token (negative counts from the end): it
            starts at zero and gets no gradient, so training never changes it.
            Default: None
        dtype: the weight's dtype; None means the default dtype (float32). Default: None
        _weight: an array to use as the table instead of drawing one (what
            ``from_pretrained`` passes). Default: None

    PyTorch's ``max_norm``, ``norm_type``, ``scale_grad_by_freq`` and ``sparse`` are not
    offered.

    Shape:
        - Input: (*), integer ids in [0, num_embeddings), any shape (a Tensor or an array).
        - Output: (*, H) where H = embedding_dim.

    Example:
        >>> embed = nn.Embedding(10, 3, padding_idx=0)
        >>> ids = np.array([[1, 2, 0], [4, 0, 0]])  # two sentences, padded with 0
        >>> out = embed(ids)
        >>> out.shape, out.numpy()[1, 1].tolist()  # the padding row is zeros
        ((2, 3, 3), [0.0, 0.0, 0.0])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: DTypeLike = None, _weight: ArrayLike | None = None) -> None:
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} must be within the table of "
                    f"{self.num_embeddings} rows"
                )
            padding_idx = padding_idx % self.num_embeddings
        self.padding_idx = padding_idx
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype=dtype))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor | ArrayLike, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (num_embeddings, dim), e.g.
        word2vec vectors; ``freeze=True`` keeps them fixed during training.

        Example:
            >>> table = np.arange(6, dtype=np.float32).reshape(3, 2)
            >>> embed = nn.Embedding.from_pretrained(table)
            >>> embed(np.array([2, 0])).tolist(), embed.weight.requires_grad
            ([[4.0, 5.0], [0.0, 1.0]], False)
        """
        data = unwrap(embeddings)
        data = data.copy() if backend.is_array(data) else backend.as_array(data)
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected a 2-D table, got {data.shape}")
        layer = cls(data.shape[0], data.shape[1], padding_idx=padding_idx, _weight=data)
        layer.weight.requires_grad_(not freeze)
        return layer

    def reset_parameters(self) -> None:
        """Draw the table again from N(0, 1); the padding row back to zero."""
        nn_init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, ids: Tensor | ArrayLike) -> Tensor:
        try:
            return embedding(ids, self.weight, self.padding_idx)
        except (IndexError, TypeError) as error:
            raise type(error)(f"{self._describe()}: {error}") from None

    def _describe(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def extra_repr(self) -> str:
        extra = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{extra}"

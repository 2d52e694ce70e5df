"""The word2vec output layer for negative sampling (負例サンプリング): one fused op.

With negative sampling the output layer scores only a few words per example, the target
and k sampled negatives, instead of all V words (which a softmax would need):

    s[n]    = h[n] . W_out[idx[n]]               idx (N,):   one score per row
    s[n, k] = h[n] . W_out[idx[n, k]]            idx (N, K): K scores per row

"Deep Learning from Scratch 2" builds this from an Embedding layer and a dot product
(EmbeddingDot); here it is one Function, so the (N, K, D) rows are gathered once and the
backward is two formulas:

    gh[n]   = sum_k gy[n, k] * W_out[idx[n, k]]
    gW_out  = scatter-add of gy[n, k] * h[n] into the rows idx[n, k] (repeats accumulate)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.autograd import Function, Tensor
from manabu.functional.embedding import check_rows, integer_index, scatter_rows
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["embedding_dot"]


class EmbeddingDot(Function):
    """s = sum(h * W_out[idx], -1);  gh = gy[..., None] * W_out[idx] (summed over K),
    gW_out = scatter-add of gy[..., None] * h into rows idx.

    h (N, D), W_out (V, D), idx (N,) or (N, K) in the attribute ``index``."""

    def __init__(self, index):
        self.index = index  # integer word ids (N,) or (N, K)

    def forward(self, h, w_out):
        rows = w_out[self.index]  # (N, D) or (N, K, D)
        self.save_for_backward(h, rows)
        self.num_rows = w_out.shape[0]
        if self.index.ndim == 1:
            return (h * rows).sum(axis=-1)  # (N,)
        return self.xp.matmul(rows, h[:, :, None])[:, :, 0]  # (N, K, D) @ (N, D, 1) -> (N, K)

    def backward(self, gy, xp):
        h, rows = self.saved
        gh = gw = None
        if self.index.ndim == 1:
            if self.needs_input_grad[0]:
                gh = gy[:, None] * rows  # (N, D)
            if self.needs_input_grad[1]:
                gw = scatter_rows(self.index, gy[:, None] * h, self.num_rows)
            return gh, gw
        if self.needs_input_grad[0]:
            gh = xp.matmul(gy[:, None, :], rows)[:, 0, :]  # (N, 1, K) @ (N, K, D) -> (N, D)
        if self.needs_input_grad[1]:
            n, k = self.index.shape
            contributions = gy[:, :, None] * h[:, None, :]  # (N, K, D)
            gw = scatter_rows(self.index.reshape(n * k), contributions.reshape(n * k, -1),
                              self.num_rows)  # rows (N*K, D) -> (V, D)
        return gh, gw


def embedding_dot(h: Tensor | ArrayLike, w_out: Tensor | ArrayLike,
                  idx: Tensor | ArrayLike) -> Tensor:
    """Scores of word ids ``idx`` against hidden vectors ``h``: sum(h * W_out[idx], -1).

    h: (N, D) hidden vectors (CBOW: the mean of the context vectors; skip-gram: the
    target word's vector). w_out: (V, D) output word vectors. idx: (N,) -> scores (N,),
    or (N, K) -> scores (N, K) (e.g. the target and its negatives). The scores are
    logits: use them with ``binary_cross_entropy_with_logits``.

    Example:
        >>> h = manabu.tensor(np.ones((2, 3)))  # N=2 hidden vectors, D=3
        >>> w_out = manabu.tensor(np.arange(12.0).reshape(4, 3))  # V=4 words
        >>> F.embedding_dot(h, w_out, np.array([1, 3])).tolist()  # 3+4+5, 9+10+11
        [12.0, 30.0]
        >>> F.embedding_dot(h, w_out, np.array([[1, 0], [3, 2]])).shape  # target, negative
        (2, 2)
    """
    if not isinstance(h, Tensor):
        h = Tensor(h)
    if not isinstance(w_out, Tensor):
        w_out = Tensor(w_out)
    index = integer_index(idx, w_out, "embedding_dot", "idx must hold integer word ids")
    if h.ndim != 2 or w_out.ndim != 2 or h.shape[1] != w_out.shape[1]:
        raise ValueError(
            f"embedding_dot: h must be (N, D) and W_out (V, D) with the same D, got h "
            f"{h.shape} and W_out {w_out.shape}"
        )
    if index.ndim not in (1, 2) or index.shape[0] != h.shape[0]:
        raise ValueError(
            f"embedding_dot: idx must be (N,) or (N, K) with N = {h.shape[0]} (the rows of "
            f"h), got idx of shape {index.shape}"
        )
    check_rows(index, w_out.shape[0], "embedding_dot", "word id", "vocab_size (the rows of W_out)")
    return EmbeddingDot.apply(h, w_out, index=index)

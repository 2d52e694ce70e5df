"""Embedding lookup (単語埋め込み, word embedding): rows of a weight matrix picked by index.

    y = W[idx]                      idx: integers of any shape, y: idx.shape + (D,)
    gW[v] = sum of gy over the positions where idx == v

The backward is a scatter-add: a word that appears many times in the batch collects the
gradient of every occurrence. ``np.add.at`` does this but slowly, one element at a time; here
the scatter is a product with a sparse one-hot matrix M (V, n), M[idx[i], i] = 1, so that
gW = M @ gy  (4-20x faster than np.add.at on a CPU for typical vocabularies and batches).
"""

import numpy as np

from manabu import backend
from manabu.autograd import Function, Tensor

__all__ = ["embedding", "scatter_rows"]


def scatter_rows(index, rows, num_rows):
    """gW (num_rows, D) with gW[v] = sum of rows[i] for which index[i] == v.

    ``index`` is 1-D of length n, ``rows`` is (n, D). On the CPU this is a sparse one-hot
    matrix times ``rows``; on a GPU CuPy's atomic ``add.at`` is already fast.
    """
    xp = backend.get_array_module(rows)
    if xp is not np:
        out = xp.zeros((num_rows, rows.shape[1]), dtype=rows.dtype)
        xp.add.at(out, index, rows)
        return out
    from scipy import sparse  # loaded on first use: keeps `import manabu` light

    n = index.size
    ones = np.ones(n, dtype=rows.dtype)
    one_hot = sparse.csr_matrix((ones, (index, np.arange(n))), shape=(num_rows, n))  # (V, n)
    return np.asarray(one_hot @ rows)


class Embedding(Function):
    """y = W[idx];  gW = scatter-add of gy into the rows idx (repeats accumulate);
    the row ``padding_idx`` (if any) gets no gradient."""

    def forward(self, weight):
        self.num_embeddings = weight.shape[0]
        return weight[self.index]

    def backward(self, gy, xp):
        dim = gy.shape[-1]
        gw = scatter_rows(self.index.reshape(-1), gy.reshape(-1, dim), self.num_embeddings)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw


def _index_array(index, weight):
    xp = backend.get_array_module(weight.data if isinstance(weight, Tensor) else weight)
    if isinstance(index, Tensor):
        index = index.data
    index = xp.asarray(index)
    if index.dtype.kind not in "iu":
        raise TypeError(
            f"embedding: indices must be integers, got dtype {index.dtype}; "
            "convert them, e.g. idx.astype(np.int64)"
        )
    return index


def embedding(index, weight, padding_idx=None):
    """Rows of ``weight`` (V, D) at the integer ``index`` (any shape): index.shape + (D,).

    ``padding_idx`` marks a row (e.g. the <pad> token) that receives no gradient.
    """
    index = _index_array(index, weight)
    num_embeddings = weight.shape[0]
    if index.size and (int(index.min()) < 0 or int(index.max()) >= num_embeddings):
        bad = int(index.min()) if int(index.min()) < 0 else int(index.max())
        raise IndexError(
            f"embedding: index {bad} is out of range for a table of {num_embeddings} rows "
            f"(valid: 0 to {num_embeddings - 1}); is num_embeddings (the vocabulary size) "
            "large enough?"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num_embeddings
    return Embedding.apply(weight, index=index, padding_idx=padding_idx)

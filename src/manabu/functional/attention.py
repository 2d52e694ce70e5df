"""注意機構 (attention): a weighted average of values, weighted by how well each key matches
the query.

    weights = softmax(score(query, key))      注意の重み: each row sums to 1 over the keys
    output  = weights @ value                 a context vector per query

The score is where the variants differ: the dot product q . k (Luong; the notes' Seq2Seq
attention), the scaled dot product q . k / sqrt(d) of the Transformer (Vaswani et al., 2017),
or Bahdanau's additive score v^T tanh(W_q q + W_k k). Every function returns
``(output, weights)`` so that the weights can be plotted as a heat map.

Shapes are batched: query (N, ..., T_q, d), key (N, ..., T_k, d), value (N, ..., T_k, d_v);
the ``...`` axes are, e.g., the heads of multi-head attention.

Masks (マスク処理) follow torch.nn.functional.scaled_dot_product_attention: a boolean mask
says True = may attend, False = may not; a float mask is added to the scores (0 or -inf, say).
Either broadcasts to the scores (N, ..., T_q, T_k) and is a constant (no gradient flows into
a float mask, unlike PyTorch). A query whose keys are all masked gets weights of zero and an
output of zero (PyTorch gives NaN there), and no gradient.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Function
from manabu.functional.arithmetic import matmul, unbroadcast
from manabu.functional.elementwise import tanh
from manabu.functional.keywords import axis_or_dim
from manabu.functional.linear import linear
from manabu.functional.shape import reshape, swapaxes, unsqueeze
from manabu.random import get_generator
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from manabu.tensor import Tensor

__all__ = [
    "additive_attention", "dot_product_attention", "masked_softmax", "merge_heads",
    "scaled_dot_product_attention", "split_heads",
]


def _softmax_rows(xp, s, axis=-1):
    """Softmax along ``axis`` (the keys' axis, last) of the scores ``s``, in place. A row with
    no finite score (every key masked with -inf) becomes all zeros rather than NaN."""
    row_max = s.max(axis=axis, keepdims=True)
    row_max[~xp.isfinite(row_max)] = 0  # a fully masked row: exp(-inf - 0) = 0 everywhere
    s -= row_max
    xp.exp(s, out=s)
    total = s.sum(axis=axis, keepdims=True)
    total[total == 0] = 1  # ... and its weights stay 0 instead of 0 / 0
    s *= 1 / total
    return s


class MaskedSoftmax(Function):
    """マスク付きソフトマックス along ``axis`` (the last by default):
        y = exp(x + mask) / sum(exp(x + mask)),  mask 0 where allowed, -inf where not
    masked entries get y = 0; a row with nothing allowed is all zeros (not NaN).
        gx = y * (gy - sum(gy * y))   (zero where y is zero)"""

    twice_differentiable = True

    def __init__(self, mask, axis=-1):
        self.mask = mask  # additive: 0 or -inf, broadcast to x; or None
        self.axis = axis

    def forward(self, x):
        s = x + self.mask if self.mask is not None else x.copy()
        y = _softmax_rows(self.xp, s, self.axis)
        self.save_for_backward(y)
        return y

    def backward(self, gy, xp):
        (y,) = self.saved
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class ScaledDotProductAttention(Function):
    """スケール化内積注意 (scaled dot-product attention), fused into one op:

        s = q k^T * scale + mask        (N, ..., T_q, T_k), scale = 1 / sqrt(d)
        w = softmax(s)                   the weights; each row sums to 1 over the keys
        y = (w * drop) v                 drop: the dropout mask, 0 or 1 / (1 - p)

    Backward, with the softmax written out:

        gv = (w * drop)^T gy
        gw = (gy v^T) * drop  (+ the gradient of the returned weights)
        gs = w * (gw - sum(gw * w))      summed over the keys
        gq = gs k * scale,   gk = gs^T q * scale
    """

    def __init__(self, mask, drop, scale, need_weights):
        self.mask = mask  # additive (0 or -inf), broadcast to the scores; or None
        self.drop = drop  # the dropout mask (0 or 1 / (1 - p)) of the weights; or None
        self.scale, self.need_weights = scale, need_weights

    def forward(self, q, k, v):
        xp = self.xp
        qs = q * self.scale  # (N, ..., T_q, d): scaling q costs less than scaling s
        s = qs @ xp.swapaxes(k, -1, -2)  # (N, ..., T_q, d) @ (N, ..., d, T_k)
        if self.mask is not None:
            s += self.mask
        w = _softmax_rows(xp, s)  # (N, ..., T_q, T_k)
        wd = w if self.drop is None else w * self.drop
        y = wd @ v  # (N, ..., T_q, d_v)
        self.save_for_backward(qs, k, v, w, wd)
        return (y, w) if self.need_weights else y

    def backward(self, gy, gw=None, *, xp):
        qs, k, v, w, wd = self.saved
        gq = gk = gv = None
        if self.needs_input_grad[2]:
            gv = unbroadcast(xp.swapaxes(wd, -1, -2) @ gy, v.shape)  # (N, ..., T_k, d_v)
        if not (self.needs_input_grad[0] or self.needs_input_grad[1]):
            return gq, gk, gv
        gs = gy @ xp.swapaxes(v, -1, -2)  # d/d(w * drop): (N, ..., T_q, T_k), a new array
        if self.drop is not None:
            gs *= self.drop
        if gw is not None:
            gs += gw
        gs -= (gs * w).sum(axis=-1, keepdims=True)
        gs *= w  # now the gradient of the scores s
        if self.needs_input_grad[0]:
            gq = gs @ k  # (N, ..., T_q, d)
            gq *= self.scale
            gq = unbroadcast(gq, qs.shape)
        if self.needs_input_grad[1]:
            gk = unbroadcast(xp.swapaxes(gs, -1, -2) @ qs, k.shape)  # (N, ..., T_k, d)
        return gq, gk, gv


class SplitHeads(Function):
    """Split the features into ``chunks`` groups of ``num_heads`` heads (ヘッド):
        x (N, T, chunks * H * d) -> chunks arrays (N, H, T, d), views of x
    (chunks=3 splits a packed query/key/value projection). Backward puts each gradient
    back in its slot of gx (N, T, chunks * H * d)."""

    def __init__(self, num_heads, chunks):
        self.num_heads, self.chunks = num_heads, chunks

    def forward(self, x):
        n, t, _ = x.shape
        parts = x.reshape(n, t, self.chunks, self.num_heads, -1)  # (N, T, C, H, d)
        parts = parts.transpose(2, 0, 3, 1, 4)  # (C, N, H, T, d)
        return tuple(parts)

    def backward(self, *gys, xp):
        n, h, t, d = gys[0].shape
        gx = xp.empty((n, t, self.chunks, h, d), dtype=gys[0].dtype)  # (N, T, C, H, d)
        for i, g in enumerate(gys):
            gx[:, :, i] = g.transpose(0, 2, 1, 3)  # (N, H, T, d) -> (N, T, H, d)
        return gx.reshape(n, t, self.chunks * h * d)  # (N, T, C * H * d)


def _additive_mask(op, mask, scores_shape, dtype, xp):
    """The mask as numbers to add to the scores (0 = attend, -inf = not), after checking
    that it broadcasts to the scores; None stays None."""
    if mask is None:
        return None
    mask = xp.asarray(unwrap(mask))
    if mask.dtype != bool and mask.dtype.kind != "f":
        raise TypeError(
            f"{op}: mask has dtype {mask.dtype}; use a boolean mask (True = attend) or a "
            "float mask (added to the scores, -inf = do not attend)"
        )
    try:
        fits = np.broadcast_shapes(mask.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: mask of shape {mask.shape} does not broadcast to the attention scores "
            f"(N, ..., T_q, T_k) = {tuple(scores_shape)}; give it shape (T_q, T_k) = "
            f"{tuple(scores_shape[-2:])}, or the scores' shape with 1 on the axes it shares"
        )
    if mask.dtype == bool:
        return xp.where(mask, 0, -np.inf).astype(dtype)
    return mask.astype(dtype, copy=False)


def _causal(t_q, t_k, dtype, xp):
    """0 where query i may see key j <= i, -inf above the diagonal (top-left aligned)."""
    upper = np.triu(np.ones((t_q, t_k), dtype=bool), k=1)
    return xp.asarray(np.where(upper, -np.inf, 0).astype(dtype))


def _check_qkv(op, q_shape, k_shape, v_shape, same_d=True):
    """q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v) with broadcastable batch axes;
    returns the scores' shape (..., T_q, T_k)."""
    for name, shape in (("query", q_shape), ("key", k_shape), ("value", v_shape)):
        if len(shape) < 2:
            raise ValueError(
                f"{op}: {name} of shape {tuple(shape)} needs at least 2 axes (..., T, d); "
                "add the time axis, e.g. query.unsqueeze(-2) for a single query"
            )
    if same_d and q_shape[-1] != k_shape[-1]:
        raise ValueError(
            f"{op}: query {tuple(q_shape)} and key {tuple(k_shape)} must have the same "
            "feature size d on the last axis; project them to a common size first"
        )
    if k_shape[-2] != v_shape[-2]:
        raise ValueError(
            f"{op}: key {tuple(k_shape)} and value {tuple(v_shape)} must have the same "
            "number of positions T_k (second-to-last axis): one value per key"
        )
    try:
        batch = np.broadcast_shapes(q_shape[:-2], k_shape[:-2])  # the scores' batch axes
        np.broadcast_shapes(batch, v_shape[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: the batch axes of query {tuple(q_shape)}, key {tuple(k_shape)} and "
            f"value {tuple(v_shape)} (all but the last two) must be equal or 1"
        ) from None
    return tuple(batch) + (q_shape[-2], k_shape[-2])


def masked_softmax(x: Tensor, mask: Tensor | ArrayLike | None = None, axis: int = -1, *,
                   dim: int | None = None) -> Tensor:
    """Softmax along ``axis`` (or PyTorch's ``dim``, as in ``torch.masked.softmax``) that
    gives weight 0 where ``mask`` forbids (boolean False, or -inf added) and a row of zeros
    (not NaN, unlike PyTorch) where it forbids everything.

    Example:
        >>> x = manabu.tensor([[1.0, 1.0, 1.0], [2.0, 0.0, 0.0]])
        >>> F.masked_softmax(x, np.array([[True, True, False], [False, False, False]]))
        tensor([[0.5, 0.5, 0. ],
                [0. , 0. , 0. ]], dtype=float32)
    """
    axis = axis_or_dim("masked_softmax", axis, dim, default=-1)
    xp = backend.get_array_module(unwrap(x))
    additive = _additive_mask("masked_softmax", mask, x.shape, x.dtype, xp)
    return MaskedSoftmax.apply(x, mask=additive, axis=axis)


def dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                          mask: Tensor | ArrayLike | None = None) -> tuple[Tensor, Tensor]:
    """内積注意 (dot-product attention, Luong; the notes' Seq2Seq attention), unscaled:
        weights = softmax(q k^T),  output = weights v
    Built from matmul and masked_softmax, so it is twice differentiable.
    Returns (output (N, ..., T_q, d_v), weights (N, ..., T_q, T_k))."""
    scores_shape = _check_qkv("dot_product_attention", query.shape, key.shape, value.shape)
    scores = matmul(query, swapaxes(key, -1, -2))  # (N, ..., T_q, T_k)
    xp = backend.get_array_module(unwrap(scores))
    additive = _additive_mask("dot_product_attention", mask, scores_shape, scores.dtype, xp)
    weights = MaskedSoftmax.apply(scores, mask=additive)
    return matmul(weights, value), weights


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 mask: Tensor | ArrayLike | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, training: bool = True,
                                 generator: np.random.Generator | None = None,
                                 scale: float | None = None,
                                 need_weights: bool = True) -> tuple[Tensor, Tensor | None]:
    """The Transformer's attention, one fused op: softmax(q k^T / sqrt(d) + mask) v.

    Matches ``torch.nn.functional.scaled_dot_product_attention`` (boolean mask True =
    attend, float mask added; ``is_causal`` lets query i see keys j <= i), but returns
    ``(output, weights)``: output (N, ..., T_q, d_v) and the weights (N, ..., T_q, T_k),
    before dropout, for plotting. ``need_weights=False`` gives (output, None) and skips
    keeping them. ``mask`` and ``is_causal`` may be combined (PyTorch refuses that).
    Dropout (``dropout_p``, only when ``training``) drops weights, with ``generator`` or
    manabu's global one. ``scale`` replaces 1 / sqrt(d).

    Args:
        query: (N, ..., T_q, d).
        key: (N, ..., T_k, d).
        value: (N, ..., T_k, d_v).
        mask: boolean (True = attend) or float (added to the scores), broadcasting to
            (N, ..., T_q, T_k); None for none. Default: None
        dropout_p: the probability to drop each attention weight. Default: 0.0
        is_causal: let query i attend only to keys j <= i. Default: False
        training: apply dropout only when True. Not in PyTorch. Default: True
        generator: the ``np.random.Generator`` of the dropout; None for manabu's global
            one. Not in PyTorch. Default: None
        scale: the factor of the scores; None means 1 / sqrt(d). Default: None
        need_weights: also return the weights; False returns None for them and saves
            their memory. Not in PyTorch. Default: True

    Shape:
        - Output: (output (N, ..., T_q, d_v), weights (N, ..., T_q, T_k) or None).

    Example:
        >>> q = manabu.tensor(np.ones((2, 3, 4), np.float32))  # (N, T_q, d)
        >>> k = manabu.tensor(np.ones((2, 3, 4), np.float32))  # (N, T_k, d)
        >>> v = manabu.tensor(np.arange(24.0, dtype=np.float32).reshape(2, 3, 4))
        >>> out, weights = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        >>> out.shape, weights.shape
        ((2, 3, 4), (2, 3, 3))
        >>> weights[0].numpy().round(3)  # equal scores: uniform over the visible keys
        array([[1.   , 0.   , 0.   ],
               [0.5  , 0.5  , 0.   ],
               [0.333, 0.333, 0.333]], dtype=float32)
        >>> F.scaled_dot_product_attention(q, k, v, need_weights=False)[1] is None
        True
    """
    op = "scaled_dot_product_attention"
    scores_shape = _check_qkv(op, query.shape, key.shape, value.shape)
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1), got {dropout_p}")
    xp = backend.get_array_module(unwrap(query))
    dtype = query.dtype
    additive = _additive_mask(op, mask, scores_shape, dtype, xp)
    if is_causal:
        causal = _causal(scores_shape[-2], scores_shape[-1], dtype, xp)
        additive = causal if additive is None else additive + causal
    drop = None
    if training and dropout_p > 0:
        generator = get_generator() if generator is None else generator
        random_dtype = dtype if dtype.itemsize >= 4 else np.float64
        keep = xp.asarray(generator.random(scores_shape, dtype=random_dtype) >= dropout_p)
        drop = xp.where(keep, dtype.type(1 / (1 - dropout_p)), dtype.type(0))  # 0 or 1/(1-p)
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    result = ScaledDotProductAttention.apply(query, key, value, mask=additive, drop=drop,
                                             scale=scale, need_weights=need_weights)
    return result if need_weights else (result, None)


def additive_attention(query: Tensor, keys: Tensor, values: Tensor, W_q: Tensor, W_k: Tensor,
                       v: Tensor, mask: Tensor | ArrayLike | None = None) -> tuple[Tensor, Tensor]:
    """加法注意 (additive attention, Bahdanau et al., 2015):
        score(q, k) = v^T tanh(W_q q + W_k k),  weights = softmax(score),  output = weights values
    query (N, ..., T_q, d_q), keys (N, ..., T_k, d_k), values (N, ..., T_k, d_v);
    W_q (H, d_q), W_k (H, d_k), v (H,) for a hidden size H. Built from existing ops (twice
    differentiable). Returns (output (N, ..., T_q, d_v), weights (N, ..., T_q, T_k))."""
    op = "additive_attention"
    hidden_sizes = {W_q.shape[0] if W_q.ndim == 2 else None,
                    W_k.shape[0] if W_k.ndim == 2 else None, v.shape[0] if v.ndim == 1 else None}
    if len(hidden_sizes) != 1 or None in hidden_sizes:
        raise ValueError(
            f"{op}: W_q {tuple(W_q.shape)}, W_k {tuple(W_k.shape)} and v {tuple(v.shape)} must "
            "be (H, d_q), (H, d_k) and (H,) for one hidden size H"
        )
    for name, x, w in (("query", query, W_q), ("keys", keys, W_k)):
        if x.ndim < 2 or x.shape[-1] != w.shape[1]:
            raise ValueError(
                f"{op}: {name} of shape {tuple(x.shape)} must be (N, ..., T, {w.shape[1]}) to "
                f"match its weight {tuple(w.shape)}"
            )
    scores_shape = _check_qkv(op, query.shape, keys.shape, values.shape, same_d=False)
    q = unsqueeze(linear(query, W_q), -2)  # (N, ..., T_q, 1, H)
    k = unsqueeze(linear(keys, W_k), -3)  # (N, ..., 1, T_k, H)
    scores = matmul(tanh(q + k), v)  # (N, ..., T_q, T_k, H) @ (H,) = (N, ..., T_q, T_k)
    xp = backend.get_array_module(unwrap(scores))
    additive = _additive_mask(op, mask, scores_shape, scores.dtype, xp)
    weights = MaskedSoftmax.apply(scores, mask=additive)
    return matmul(weights, values), weights


def split_heads(x: Tensor, num_heads: int, chunks: int = 1) -> Tensor | tuple[Tensor, ...]:
    """(N, T, H * d) -> (N, H, T, d), one head per slice of the features (views, no copy).
    With ``chunks=3`` a packed (N, T, 3 * H * d) projection gives the tuple (q, k, v).

    Example:
        >>> x = manabu.tensor(np.zeros((2, 3, 8), np.float32))  # (N, T, H * d)
        >>> heads = F.split_heads(x, num_heads=2)
        >>> heads.shape, F.merge_heads(heads).shape
        ((2, 2, 3, 4), (2, 3, 8))
        >>> q, k, v = F.split_heads(manabu.tensor(np.zeros((2, 3, 24))), 2, chunks=3)
        >>> q.shape
        (2, 2, 3, 4)
    """
    if x.ndim != 3 or x.shape[-1] % (chunks * num_heads):
        raise ValueError(
            f"split_heads: input {tuple(x.shape)} must be (N, T, features) with features "
            f"divisible by chunks * num_heads = {chunks * num_heads}"
        )
    parts = SplitHeads.apply(x, num_heads=num_heads, chunks=chunks)
    return parts[0] if chunks == 1 else parts


def merge_heads(x: Tensor) -> Tensor:
    """(N, H, T, d) -> (N, T, H * d), the inverse of split_heads (concatenates the heads)."""
    n, h, t, d = x.shape
    return reshape(swapaxes(x, 1, 2), (n, t, h * d))  # (N, T, H, d) -> (N, T, H * d)

"""注意機構 (attention) layers: MultiheadAttention (マルチヘッド注意, the Transformer's
自己注意機構 / 交差注意機構), and the Seq2Seq decoder's DotProductAttention and
AdditiveAttention (Bahdanau).

MultiheadAttention follows torch.nn.MultiheadAttention: the same parameter names and shapes
(``in_proj_weight`` (3E, E) packs W_q, W_k, W_v; ``out_proj`` is a Linear), the same masks
with PyTorch's meaning for this layer (a boolean ``attn_mask`` or ``key_padding_mask`` is
True where a query may NOT attend; a float mask is added to the scores), and the same
outputs. ``nn.copy_from_torch`` / ``nn.copy_to_torch`` (nn/interop.py) move weights between
the two libraries by name, for this layer and for the Transformer layers built on it.

The Seq2Seq layers take the functional convention instead: a boolean mask is True where the
query MAY attend (PyTorch's scaled_dot_product_attention convention).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.functional.attention import (
    additive_attention, merge_heads, scaled_dot_product_attention, split_heads,
)
from manabu.functional.linear import linear
from manabu.functional.shape import squeeze, swapaxes, unsqueeze
from manabu.nn import init as nn_init
from manabu.nn.linear import Linear
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

    from manabu.autograd import Tensor

__all__ = [
    "AdditiveAttention", "DotProductAttention", "MultiheadAttention",
]


def _dtype(dtype):
    return backend.get_default_dtype() if dtype is None else np.dtype(dtype)


def _torch_style_additive(mask, dtype, xp):
    """PyTorch MultiheadAttention's masks as numbers to add: a boolean True (do not attend)
    becomes -inf, False 0; a float mask is added as it is."""
    mask = xp.asarray(unwrap(mask))
    if mask.dtype == bool:
        return xp.where(mask, -np.inf, 0).astype(dtype)
    if mask.dtype.kind != "f":
        raise TypeError(
            f"MultiheadAttention: masks must be boolean (True = do not attend) or float "
            f"(added to the scores), got dtype {mask.dtype}"
        )
    return mask.astype(dtype, copy=False)


class MultiheadAttention(Module):
    """マルチヘッド注意 (multi-head attention, Vaswani et al., 2017):

        q, k, v = query W_q^T + b_q,  key W_k^T + b_k,  value W_v^T + b_v   (N, T, E)
        split each into H heads                                  (N, H, T, E / H)
        head    = softmax(q k^T / sqrt(E / H) + mask) v             per head
        output  = concat(heads) W_o^T + b_o                         (N, T_q, E)

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)`` like PyTorch:
    weights (N, T_q, T_k) averaged over heads, or (N, H, T_q, T_k), or None with
    ``need_weights=False``. Masks: ``attn_mask`` (T_q, T_k) or (N * H, T_q, T_k) and
    ``key_padding_mask`` (N, T_k); boolean True = do not attend, float = added.
    ``is_causal=True`` adds the causal mask (query i sees keys j <= i) to any attn_mask.

    Differences from PyTorch: a query with every key masked gets zero attention (its output
    is ``out_proj.bias``) instead of NaN; the weights returned are those before dropout.

    Args:
        embed_dim: E, the features of query, key and value (and of the output).
        num_heads: H, the number of heads; it must divide E (each head gets E / H).
        dropout: the dropout probability on the attention weights, in training mode.
            Default: 0.0
        bias: if False, the projections (in_proj and out_proj) have no bias. Default: True
        batch_first: if True, inputs and output are (N, T, E); if False (PyTorch's
            default), (T, N, E). Default: True
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    PyTorch's ``add_bias_kv``, ``add_zero_attn``, ``kdim`` and ``vdim`` are not offered.

    Shape:
        - query: (N, T_q, E), or (T_q, E) unbatched.
        - key, value: (N, T_k, E), or (T_k, E).
        - key_padding_mask: (N, T_k); attn_mask: (T_q, T_k) or (N * H, T_q, T_k).
        - Output: (output, weights): output (N, T_q, E) (or (T_q, E)); weights
          (N, T_q, T_k), or (N, H, T_q, T_k) with average_attn_weights=False, or None
          with need_weights=False.

    Example:
        >>> mha = nn.MultiheadAttention(16, num_heads=4)
        >>> x = manabu.tensor(np.ones((2, 5, 16), np.float32))
        >>> out, weights = mha(x, x, x, is_causal=True)  # self-attention, causal mask
        >>> out.shape, weights.shape
        ((2, 5, 16), (2, 5, 5))
        >>> weights.numpy()[0, 1].round(3)  # query 1 sees keys 0 and 1 (equal scores)
        array([0.5, 0.5, 0. , 0. , 0. ], dtype=float32)
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = True, batch_first: bool = True, dtype: DTypeLike = None) -> None:
        super().__init__()
        if not isinstance(num_heads, (int, np.integer)) or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: num_heads must be a positive integer, "
                             f"got {num_heads!r}")
        if not isinstance(embed_dim, (int, np.integer)) or embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim {embed_dim} must be a positive integer "
                f"divisible by num_heads {num_heads} (each head gets embed_dim / num_heads)"
            )
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim = int(embed_dim)
        self.num_heads = int(num_heads)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        dtype = _dtype(dtype)
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, init="torch", dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: Xavier-uniform in_proj_weight, zero biases."""
        nn_init.xavier_uniform_(self.in_proj_weight)
        self.out_proj.reset_parameters()
        if self.in_proj_bias is not None:
            nn_init.zeros_(self.in_proj_bias)
            nn_init.zeros_(self.out_proj.bias)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | ArrayLike | None = None, need_weights: bool = True,
                attn_mask: Tensor | ArrayLike | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        shared_kv = key is value
        self_attention = shared_kv and query is key
        unbatched = query.ndim == 2
        query, key, value = self._batch_first(query, key, value, unbatched)
        if unbatched and key_padding_mask is not None:
            key_padding_mask = key_padding_mask.reshape(1, -1)  # (1, T_k)
        n, t_q, _ = query.shape
        t_k = key.shape[1]
        mask = self._mask(attn_mask, key_padding_mask, n, t_q, t_k, query.dtype,
                          backend.get_array_module(query.data))
        q, k, v = self._project(query, key, value, self_attention, shared_kv)
        y, weights = scaled_dot_product_attention(
            q, k, v, mask=mask, dropout_p=self.dropout, is_causal=is_causal,
            training=self.training, need_weights=need_weights,
        )  # y (N, H, T_q, d), weights (N, H, T_q, T_k)
        out = self.out_proj(merge_heads(y))  # (N, T_q, E)
        if weights is not None and average_attn_weights:
            weights = weights.mean(axis=1)  # (N, T_q, T_k)
        if unbatched:
            out = squeeze(out, 0)  # (T_q, E)
            weights = None if weights is None else squeeze(weights, 0)  # (..., T_q, T_k)
        elif not self.batch_first:
            out = swapaxes(out, 0, 1)  # (T_q, N, E)
        return out, weights

    def _batch_first(self, query, key, value, unbatched):
        """The inputs as (N, T, E), checked; a shared tensor stays shared."""
        inputs = [query, key, value]
        for name, x in zip(("query", "key", "value"), inputs):
            if x.ndim != query.ndim or x.ndim not in (2, 3) or x.shape[-1] != self.embed_dim:
                layout = "(N, T, E)" if self.batch_first else "(T, N, E)"
                raise ValueError(
                    f"{self._describe()}: {name} has shape {tuple(x.shape)}; query, key and "
                    f"value must all be {layout} (or unbatched (T, E)) with E = "
                    f"{self.embed_dim}"
                )
        if unbatched or not self.batch_first:
            moved = {}
            for i, x in enumerate(inputs):
                if id(x) not in moved:  # (T, E) -> (1, T, E), or (T, N, E) -> (N, T, E)
                    moved[id(x)] = unsqueeze(x, 0) if unbatched else swapaxes(x, 0, 1)
                inputs[i] = moved[id(x)]
        query, key, value = inputs
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(
                f"{self._describe()}: query {tuple(query.shape)}, key {tuple(key.shape)} and "
                f"value {tuple(value.shape)} (as (N, T, E)) need the same batch size N, and "
                "key and value the same length T_k"
            )
        return query, key, value

    def _project(self, query, key, value, self_attention, shared_kv):
        """q, k, v (N, H, T, d): one GEMM for self-attention, two when key is value."""
        e, h = self.embed_dim, self.num_heads
        w, b = self.in_proj_weight, self.in_proj_bias
        if self_attention:
            return split_heads(linear(query, w, b), h, chunks=3)  # 3 x (N, H, T, d)
        q = split_heads(linear(query, w[:e], None if b is None else b[:e]), h)
        if shared_kv:
            k, v = split_heads(linear(key, w[e:], None if b is None else b[e:]), h, chunks=2)
            return q, k, v
        k = split_heads(linear(key, w[e:2 * e], None if b is None else b[e:2 * e]), h)
        v = split_heads(linear(value, w[2 * e:], None if b is None else b[2 * e:]), h)
        return q, k, v

    def _mask(self, attn_mask, key_padding_mask, n, t_q, t_k, dtype, xp):
        """attn_mask and key_padding_mask merged into one additive mask that broadcasts to
        the scores (N, H, T_q, T_k)."""
        mask = None
        if attn_mask is not None:
            shape = tuple(attn_mask.shape)
            if shape not in ((t_q, t_k), (n * self.num_heads, t_q, t_k)):
                raise ValueError(
                    f"{self._describe()}: attn_mask has shape {shape}; it must be (T_q, T_k) "
                    f"= {(t_q, t_k)} or (N * num_heads, T_q, T_k) = "
                    f"{(n * self.num_heads, t_q, t_k)}"
                )
            mask = _torch_style_additive(attn_mask, dtype, xp)
            if mask.ndim == 3:
                mask = mask.reshape(n, self.num_heads, t_q, t_k)  # (N, H, T_q, T_k)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (n, t_k):
                raise ValueError(
                    f"{self._describe()}: key_padding_mask has shape "
                    f"{tuple(key_padding_mask.shape)}; it must be (N, T_k) = {(n, t_k)}, True "
                    "at the padded keys"
                )
            padding = _torch_style_additive(key_padding_mask, dtype, xp)
            padding = padding.reshape(n, 1, 1, t_k)  # (N, 1, 1, T_k): every head and query
            mask = padding if mask is None else mask + padding
        return mask

    def _describe(self):
        return f"MultiheadAttention({self.embed_dim}, num_heads={self.num_heads})"

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, bias={self.in_proj_bias is not None}, "
                f"batch_first={self.batch_first}")


def _one_step(query, keys, name):
    """A single query (N, d) becomes (N, 1, d); returns it and whether it was one."""
    if query.ndim == keys.ndim - 1:
        return unsqueeze(query, -2), True  # (N, d) -> (N, 1, d)
    if query.ndim != keys.ndim:
        raise ValueError(
            f"{name}: query {tuple(query.shape)} must be (N, d) for one decoder step or "
            f"(N, T_q, d), with keys (N, T_k, d_k), got keys {tuple(keys.shape)}"
        )
    return query, False


class DotProductAttention(Module):
    """内積注意 for a Seq2Seq decoder (the notes' Attention layer), no parameters:

        weights = softmax(q k^T * scale),  context = weights values

    ``scaled=False`` (default) uses the plain dot product (scale 1); ``scaled=True`` divides
    by sqrt(d). ``forward(query, keys, values=None, mask=None)``: query (N, d) for one step
    or (N, T_q, d), keys (N, T_k, d), values (N, T_k, d_v) (default: the keys); ``mask``
    True where the query may attend (e.g. not at padding). Returns (context, weights):
    (N, d_v) and (N, T_k) for one step, (N, T_q, d_v) and (N, T_q, T_k) otherwise.

    Args:
        scaled: if True, divide the scores by sqrt(d) (the Transformer's scaled
            dot-product attention). Default: False
        dropout: the dropout probability on the weights, in training mode. Default: 0.0

    Shape:
        - query: (N, d) for one decoder step, or (N, T_q, d).
        - keys: (N, T_k, d) (the encoder's hidden states); values: (N, T_k, d_v).
        - mask: (N, T_k), or (N, T_q, T_k); True (or 1) where the query may attend.
        - Output: (context, weights): (N, d_v) and (N, T_k) for one step, (N, T_q, d_v)
          and (N, T_q, T_k) otherwise.

    Example:
        >>> attention = nn.DotProductAttention()
        >>> hs = manabu.tensor(np.ones((2, 6, 4), np.float32))  # encoder states (N, T, d)
        >>> mask = np.array([[1, 1, 1, 1, 0, 0]] * 2, dtype=bool)  # 2 padded steps
        >>> context, weights = attention(manabu.tensor(np.ones((2, 4), np.float32)), hs, mask=mask)
        >>> context.shape, weights.numpy()[0].round(3)
        ((2, 4), array([0.25, 0.25, 0.25, 0.25, 0.  , 0.  ], dtype=float32))
    """

    def __init__(self, scaled: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        if not 0 <= dropout < 1:
            raise ValueError(f"DotProductAttention: dropout must be in [0, 1), got {dropout}")
        self.scaled = scaled
        self.dropout = dropout

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None,
                mask: Tensor | ArrayLike | None = None) -> tuple[Tensor, Tensor]:
        values = keys if values is None else values
        query, one_step = _one_step(query, keys, "DotProductAttention")
        if one_step and mask is not None and mask.ndim == 2:
            mask = mask.reshape(mask.shape[0], 1, mask.shape[1])  # (N, T_k) -> (N, 1, T_k)
        scale = None if self.scaled else 1.0
        context, weights = scaled_dot_product_attention(
            query, keys, values, mask=mask, dropout_p=self.dropout, training=self.training,
            scale=scale,
        )
        if one_step:
            return squeeze(context, -2), squeeze(weights, -2)  # (N, d_v), (N, T_k)
        return context, weights

    def extra_repr(self) -> str:
        return f"scaled={self.scaled}, dropout={self.dropout}"


class AdditiveAttention(Module):
    """加法注意 (Bahdanau attention) for a Seq2Seq decoder:

        score(q, k_j) = v^T tanh(W_q q + W_k k_j),  weights = softmax(score),
        context = sum_j weights_j values_j

    ``W_q`` (hidden_dim, query_dim), ``W_k`` (hidden_dim, key_dim) and ``v`` (hidden_dim,)
    are learned. ``forward(query, keys, values=None, mask=None)`` takes the shapes of
    DotProductAttention (query (N, query_dim) for one step, or (N, T_q, query_dim); keys
    (N, T_k, key_dim)) and returns (context, weights) the same way. Not in PyTorch.

    Args:
        query_dim: the features of the query (the decoder's hidden state).
        key_dim: the features of the keys (the encoder's hidden states).
        hidden_dim: the size of the tanh layer that scores each (query, key) pair.
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    Shape:
        - query: (N, query_dim) for one decoder step, or (N, T_q, query_dim).
        - keys: (N, T_k, key_dim); values: (N, T_k, d_v), the keys by default.
        - mask: (N, T_k), or (N, T_q, T_k); True (or 1) where the query may attend.
        - Output: (context, weights) as in DotProductAttention.

    Example:
        >>> attention = nn.AdditiveAttention(query_dim=8, key_dim=6, hidden_dim=10)
        >>> hs = manabu.tensor(np.ones((2, 7, 6), np.float32))  # encoder states
        >>> context, weights = attention(manabu.tensor(np.ones((2, 8), np.float32)), hs)
        >>> context.shape, weights.shape
        ((2, 6), (2, 7))
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int,
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        for name, value in (("query_dim", query_dim), ("key_dim", key_dim),
                            ("hidden_dim", hidden_dim)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"AdditiveAttention: {name} must be a positive integer, "
                                 f"got {value!r}")
        self.query_dim, self.key_dim, self.hidden_dim = query_dim, key_dim, hidden_dim
        dtype = _dtype(dtype)
        self.W_q = Parameter(np.empty((hidden_dim, query_dim), dtype=dtype))
        self.W_k = Parameter(np.empty((hidden_dim, key_dim), dtype=dtype))
        self.v = Parameter(np.empty(hidden_dim, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform W_q and W_k (tanh follows them), v ~ U(-1/sqrt(H), 1/sqrt(H))."""
        gain = nn_init.calculate_gain("tanh")
        nn_init.xavier_uniform_(self.W_q, gain=gain)
        nn_init.xavier_uniform_(self.W_k, gain=gain)
        bound = 1 / math.sqrt(self.hidden_dim)
        nn_init.uniform_(self.v, -bound, bound)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None,
                mask: Tensor | ArrayLike | None = None) -> tuple[Tensor, Tensor]:
        values = keys if values is None else values
        query, one_step = _one_step(query, keys, "AdditiveAttention")
        if one_step and mask is not None and mask.ndim == 2:
            mask = mask.reshape(mask.shape[0], 1, mask.shape[1])  # (N, T_k) -> (N, 1, T_k)
        context, weights = additive_attention(query, keys, values, self.W_q, self.W_k, self.v,
                                              mask=mask)
        if one_step:
            return squeeze(context, -2), squeeze(weights, -2)  # (N, d_v), (N, T_k)
        return context, weights

    def extra_repr(self) -> str:
        return (f"query_dim={self.query_dim}, key_dim={self.key_dim}, "
                f"hidden_dim={self.hidden_dim}")

"""Transformer (Vaswani et al., 2017): 位置符号 (positional encoding) and the encoder and
decoder blocks, built from 自己注意機構 (self-attention), 交差注意機構 (cross-attention),
a position-wise feed-forward network, residual connections and layer normalisation.

The layers match torch.nn.TransformerEncoderLayer / TransformerDecoderLayer (and the stacks
TransformerEncoder / TransformerDecoder) in parameter names, masks and outputs, so
``copy_from_torch(layer, torch_layer)`` makes them compute the same thing. They are
batch-first by default: (N, T, d_model).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Tensor
from manabu.functional.activation import gelu, relu
from manabu.functional.shape import swapaxes
from manabu.nn.attention import MultiheadAttention
from manabu.nn.containers import ModuleList
from manabu.nn.dropout import Dropout
from manabu.nn.linear import Linear
from manabu.nn.module import Module
from manabu.nn.normalization import LayerNorm

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, DTypeLike

__all__ = [
    "PositionalEncoding", "TransformerDecoder", "TransformerDecoderLayer",
    "TransformerEncoder", "TransformerEncoderLayer", "generate_square_subsequent_mask",
]

_ACTIVATIONS = {"relu": relu, "gelu": gelu}


def generate_square_subsequent_mask(size: int, dtype: DTypeLike = None) -> Tensor:
    """The causal mask (T, T) of a decoder, as PyTorch makes it: 0 where query i may see
    key j <= i, -inf above the diagonal (the future). A float Tensor to pass as attn_mask.

    Args:
        size: T, the sequence length.
        dtype: the mask's dtype; None means the default dtype (float32). Default: None

    Example:
        >>> nn.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]], dtype=float32)
    """
    dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
    future = np.triu(np.ones((size, size), dtype=bool), k=1)
    return Tensor(np.where(future, -np.inf, 0).astype(dtype))


class PositionalEncoding(Module):
    """位置符号 (sinusoidal positional encoding): x + PE[:T], then dropout, where

        PE[pos, 2i] = sin(pos / 10000^(2i / d_model)),  PE[pos, 2i+1] = cos(same angle)

    Each position gets a distinct pattern of waves whose wavelengths grow geometrically
    from 2 pi to 10000 * 2 pi, so attention can tell positions (and offsets) apart. Input
    and output (N, T, d_model) with T <= max_len. The table is a non-persistent buffer
    ``pe`` (max_len, d_model): it is recomputed, never saved. Not a PyTorch layer (PyTorch's
    tutorials write it by hand).

    Args:
        d_model: the features of every position.
        max_len: the longest sequence the table covers. Default: 5000
        dropout: the dropout probability applied after the addition. Default: 0.1
        dtype: the table's dtype; None means the default dtype (float32). Default: None

    Shape:
        - Input: (N, T, d_model) with T <= max_len.
        - Output: (N, T, d_model).

    Example:
        >>> pe = nn.PositionalEncoding(16, dropout=0.0)
        >>> y = pe(manabu.tensor(np.zeros((2, 10, 16), np.float32)))
        >>> y.shape, y.numpy()[0, 0, :4].tolist()  # position 0: sin 0, cos 0, ...
        ((2, 10, 16), [0.0, 1.0, 0.0, 1.0])
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.1,
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        self.d_model = d_model
        self.max_len = max_len
        self.dropout = Dropout(dropout)
        position = np.arange(max_len, dtype=np.float64)[:, None]  # (max_len, 1)
        rate = np.exp(np.arange(0, d_model, 2) * (-np.log(10000.0) / d_model))  # (ceil(d/2),)
        angle = position * rate  # (max_len, ceil(d/2))
        pe = np.empty((max_len, d_model), dtype=np.float64)
        pe[:, 0::2] = np.sin(angle)
        pe[:, 1::2] = np.cos(angle[:, : d_model // 2])
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.register_buffer("pe", Tensor(pe.astype(dtype)), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 3 or x.shape[-1] != self.d_model or x.shape[1] > self.max_len:
            raise ValueError(
                f"PositionalEncoding({self.d_model}, max_len={self.max_len}): input of shape "
                f"{tuple(x.shape)} must be (N, T, {self.d_model}) with T <= {self.max_len}; "
                "raise max_len for longer sequences"
            )
        return self.dropout(x + Tensor(self.pe.data[: x.shape[1]]))  # (T, d) broadcasts

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"


def _activation(name, activation):
    if callable(activation):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{name}: activation must be 'relu', 'gelu' or a function, "
                         f"got {activation!r}")
    return _ACTIVATIONS[activation]


class _Block(Module):
    """What encoder and decoder layers share: self-attention, cross-attention (the decoder
    only), the feed-forward network (FFN), a LayerNorm and a dropout per sub-layer, and the
    batch-first bookkeeping. Attributes are made in PyTorch's order, so parameters() and
    state_dict() list them as torch does. The constructor is the encoder's and the
    decoder's (their Args are in TransformerEncoderLayer's docstring)."""

    cross_attention = False  # True in the decoder: attention over the encoder's memory

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = True,
                 norm_first: bool = False, bias: bool = True, dtype: DTypeLike = None) -> None:
        super().__init__()
        self.d_model = d_model
        self.batch_first = batch_first
        self.norm_first = norm_first
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=True, dtype=dtype)
        if self.cross_attention:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                     bias=bias, batch_first=True, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, init="torch", dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, init="torch", dtype=dtype)
        self.activation = _activation(type(self).__name__, activation)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        if self.cross_attention:
            self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if self.cross_attention:
            self.dropout3 = Dropout(dropout)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        """Self-attention, each position of x attending to all of x: (N, T, d_model)."""
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)  # (N, T, d_model)

    def _ff_block(self, x):
        """FFN(x) = W_2 act(W_1 x + b_1) + b_2, position by position: (N, T, d_model)."""
        return self.linear2(self.dropout(self.activation(self.linear1(x))))

    def _checked(self, name, x):
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            layout = "(N, T, d_model)" if self.batch_first else "(T, N, d_model)"
            raise ValueError(
                f"{type(self).__name__}(d_model={self.d_model}): {name} has shape "
                f"{tuple(x.shape)}, expected {layout} with d_model = {self.d_model}"
            )
        return x if self.batch_first else swapaxes(x, 0, 1)  # (T, N, d) -> (N, T, d)


class TransformerEncoderLayer(_Block):
    """One Transformer encoder block (as torch.nn.TransformerEncoderLayer):

        post-norm (norm_first=False, the paper):   x = norm1(x + SA(x))
                                                   x = norm2(x + FFN(x))
        pre-norm  (norm_first=True):               x = x + SA(norm1(x))
                                                   x = x + FFN(norm2(x))

    SA is multi-head self-attention (自己注意機構) followed by dropout1; FFN is
    linear2(dropout(act(linear1(x)))) followed by dropout2. ``forward(src, src_mask=None,
    src_key_padding_mask=None, is_causal=False)``: src (N, T, d_model); masks as in
    MultiheadAttention (boolean True = do not attend, float = added).

    Args:
        d_model: E, the features of every position (the model's width).
        nhead: the number of attention heads; it must divide d_model.
        dim_feedforward: the FFN's hidden width. Default: 2048
        dropout: the dropout probability in the attention weights, the FFN and after
            every sub-layer, in training mode. Default: 0.1
        activation: the FFN's activation: 'relu', 'gelu' or a function of a Tensor.
            Default: 'relu'
        layer_norm_eps: the LayerNorms' eps. Default: 1e-5
        batch_first: if True, tensors are (N, T, E); if False (PyTorch's default),
            (T, N, E). Default: True
        norm_first: if True, pre-norm (LayerNorm before each sub-layer, steadier for deep
            stacks); if False, post-norm as in the paper. Default: False
        bias: if False, the attention projections, the Linear layers and the LayerNorms
            have no bias. Default: True
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    Shape:
        - src: (N, S, E); unbatched inputs are not accepted.
        - src_mask: (S, S) or (N * nhead, S, S); src_key_padding_mask: (N, S).
        - Output: (N, S, E).

    Example:
        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> src = manabu.tensor(np.ones((2, 7, 16), np.float32))
        >>> layer(src).shape
        (2, 7, 16)
    """

    def forward(self, src: Tensor, src_mask: Tensor | ArrayLike | None = None,
                src_key_padding_mask: Tensor | ArrayLike | None = None,
                is_causal: bool = False) -> Tensor:
        x = self._checked("src", src)  # (N, T, d_model)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self.dropout2(self._ff_block(self.norm2(x)))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self.dropout2(self._ff_block(x)))
        return x if self.batch_first else swapaxes(x, 0, 1)  # back to (T, N, d_model)


class TransformerDecoderLayer(_Block):
    """One Transformer decoder block (as torch.nn.TransformerDecoderLayer): masked
    self-attention over the target, cross-attention (交差注意機構) whose keys and values are
    the encoder's output ``memory``, then the FFN; each with a residual and a LayerNorm:

        post-norm:  x = norm1(x + SA(x));  x = norm2(x + CA(x, memory));  x = norm3(x + FFN(x))
        pre-norm:   x = x + SA(norm1(x));  x = x + CA(norm2(x), memory);  x = x + FFN(norm3(x))

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``; pass
    ``tgt_mask=generate_square_subsequent_mask(T)`` (or ``tgt_is_causal=True``) so that a
    position cannot see the tokens after it.

    Args:
        as :class:`TransformerEncoderLayer` (d_model, nhead, dim_feedforward, dropout,
        activation, layer_norm_eps, batch_first, norm_first, bias, dtype); ``dropout`` and
        ``bias`` also apply to the cross-attention, ``norm_first`` to its LayerNorm.

    Shape:
        - tgt: (N, T, E); memory: (N, S, E) (the encoder's output).
        - tgt_mask: (T, T) or (N * nhead, T, T); memory_mask: (T, S) or
          (N * nhead, T, S); tgt_key_padding_mask: (N, T); memory_key_padding_mask: (N, S).
        - Output: (N, T, E).

    Example:
        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> tgt = manabu.tensor(np.ones((2, 5, 16), np.float32))
        >>> memory = manabu.tensor(np.ones((2, 9, 16), np.float32))
        >>> layer(tgt, memory, tgt_is_causal=True).shape
        (2, 5, 16)
    """

    cross_attention = True

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | ArrayLike | None = None,
                memory_mask: Tensor | ArrayLike | None = None,
                tgt_key_padding_mask: Tensor | ArrayLike | None = None,
                memory_key_padding_mask: Tensor | ArrayLike | None = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        x = self._checked("tgt", tgt)  # (N, T, d_model)
        memory = self._checked("memory", memory)  # (N, S, d_model)
        self_masks = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        cross_masks = (memory_mask, memory_key_padding_mask, memory_is_causal)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), *self_masks)
            x = x + self._mha_block(self.norm2(x), memory, *cross_masks)
            x = x + self.dropout3(self._ff_block(self.norm3(x)))
        else:
            x = self.norm1(x + self._sa_block(x, *self_masks))
            x = self.norm2(x + self._mha_block(x, memory, *cross_masks))
            x = self.norm3(x + self.dropout3(self._ff_block(x)))
        return x if self.batch_first else swapaxes(x, 0, 1)  # back to (T, N, d_model)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        """Cross-attention: each target position attends to the encoder's memory."""
        out, _ = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                     key_padding_mask=key_padding_mask, need_weights=False,
                                     is_causal=is_causal)
        return self.dropout2(out)  # (N, T, d_model)


def _clones(layer, num_layers, name):
    if not isinstance(num_layers, (int, np.integer)) or num_layers <= 0:
        raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (each with its own parameters, starting
    from the same values, as in PyTorch), then ``norm`` if given (for pre-norm stacks).
    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=False)``.

    Args:
        encoder_layer: a TransformerEncoderLayer to copy (deep copies: the layer itself is
            not used).
        num_layers: how many copies are stacked.
        norm: a module applied to the last layer's output (e.g. a LayerNorm after
            pre-norm layers). Default: None

    PyTorch's ``enable_nested_tensor`` and ``mask_check`` are not offered.

    Shape:
        - src: (N, S, E) (batch_first as the layer); mask: (S, S) or (N * nhead, S, S);
          src_key_padding_mask: (N, S).
        - Output: (N, S, E).

    Example:
        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> encoder = nn.TransformerEncoder(layer, num_layers=2)
        >>> encoder(manabu.tensor(np.ones((2, 7, 16), np.float32))).shape, len(encoder.layers)
        ((2, 7, 16), 2)
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src: Tensor, mask: Tensor | ArrayLike | None = None,
                src_key_padding_mask: Tensor | ArrayLike | None = None,
                is_causal: bool = False) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=is_causal)
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer``, then ``norm`` if given. ``forward(tgt,
    memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``.

    Args:
        decoder_layer: a TransformerDecoderLayer to copy (deep copies).
        num_layers: how many copies are stacked.
        norm: a module applied to the last layer's output. Default: None

    Shape:
        - tgt: (N, T, E); memory: (N, S, E); the masks as in TransformerDecoderLayer.
        - Output: (N, T, E).

    Example:
        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> decoder = nn.TransformerDecoder(layer, num_layers=2, norm=nn.LayerNorm(16))
        >>> tgt = manabu.tensor(np.ones((2, 5, 16), np.float32))
        >>> memory = manabu.tensor(np.ones((2, 9, 16), np.float32))
        >>> decoder(tgt, memory, tgt_mask=nn.generate_square_subsequent_mask(5)).shape
        (2, 5, 16)
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | ArrayLike | None = None,
                memory_mask: Tensor | ArrayLike | None = None,
                tgt_key_padding_mask: Tensor | ArrayLike | None = None,
                memory_key_padding_mask: Tensor | ArrayLike | None = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)

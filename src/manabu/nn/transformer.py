"""Transformer (Vaswani et al., 2017): 位置符号 (positional encoding) and the encoder and
decoder blocks, built from 自己注意機構 (self-attention), 交差注意機構 (cross-attention),
a position-wise feed-forward network, residual connections and layer normalisation.

The layers match torch.nn.TransformerEncoderLayer / TransformerDecoderLayer (and the stacks
TransformerEncoder / TransformerDecoder) in parameter names, masks and outputs, so
``copy_from_torch(layer, torch_layer)`` makes them compute the same thing. They are
batch-first by default: (N, T, d_model).
"""

import copy

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

__all__ = [
    "PositionalEncoding", "TransformerDecoder", "TransformerDecoderLayer",
    "TransformerEncoder", "TransformerEncoderLayer", "generate_square_subsequent_mask",
]

_ACTIVATIONS = {"relu": relu, "gelu": gelu}


def generate_square_subsequent_mask(size, dtype=None):
    """The causal mask (T, T) of a decoder, as PyTorch makes it: 0 where query i may see
    key j <= i, -inf above the diagonal (the future). A float Tensor to pass as attn_mask."""
    dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
    future = np.triu(np.ones((size, size), dtype=bool), k=1)
    return Tensor(np.where(future, -np.inf, 0).astype(dtype))


class PositionalEncoding(Module):
    """位置符号 (sinusoidal positional encoding): x + PE[:T], then dropout, where

        PE[pos, 2i] = sin(pos / 10000^(2i / d_model)),  PE[pos, 2i+1] = cos(same angle)

    Each position gets a distinct pattern of waves whose wavelengths grow geometrically
    from 2 pi to 10000 * 2 pi, so attention can tell positions (and offsets) apart. Input
    and output (N, T, d_model) with T <= max_len. The table is a non-persistent buffer
    ``pe`` (max_len, d_model): it is recomputed, never saved.
    """

    def __init__(self, d_model, max_len=5000, dropout=0.1, dtype=None):
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

    def forward(self, x):
        if x.ndim != 3 or x.shape[-1] != self.d_model or x.shape[1] > self.max_len:
            raise ValueError(
                f"PositionalEncoding({self.d_model}, max_len={self.max_len}): input of shape "
                f"{tuple(x.shape)} must be (N, T, {self.d_model}) with T <= {self.max_len}; "
                "raise max_len for longer sequences"
            )
        return self.dropout(x + Tensor(self.pe.data[: x.shape[1]]))  # (T, d) broadcasts

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


def _activation(name, activation):
    if callable(activation):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{name}: activation must be 'relu', 'gelu' or a function, "
                         f"got {activation!r}")
    return _ACTIVATIONS[activation]


class _Block(Module):
    """What encoder and decoder layers share: the feed-forward network (FFN) and its
    residual, and the batch-first bookkeeping."""

    def _init_ffn(self, d_model, dim_feedforward, dropout, activation, bias, dtype):
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, init="torch", dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, init="torch", dtype=dtype)
        self.activation = _activation(type(self).__name__, activation)

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
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=True, norm_first=False, bias=True,
                 dtype=None):
        super().__init__()
        self.d_model = d_model
        self.batch_first = batch_first
        self.norm_first = norm_first
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=True, dtype=dtype)
        self._init_ffn(d_model, dim_feedforward, dropout, activation, bias, dtype)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = self._checked("src", src)  # (N, T, d_model)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self.dropout2(self._ff_block(self.norm2(x)))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self.dropout2(self._ff_block(x)))
        return x if self.batch_first else swapaxes(x, 0, 1)  # back to (T, N, d_model)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)  # (N, T, d_model)


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
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=True, norm_first=False, bias=True,
                 dtype=None):
        super().__init__()
        self.d_model = d_model
        self.batch_first = batch_first
        self.norm_first = norm_first
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=True, dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=True, dtype=dtype)
        self._init_ffn(d_model, dim_feedforward, dropout, activation, bias, dtype)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
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

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)  # (N, T, d_model)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
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
    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=False)``."""

    def __init__(self, encoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=is_causal)
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer``, then ``norm`` if given. ``forward(tgt,
    memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)

"""nn.Transformer: the whole encoder-decoder model of "Attention Is All You Need" (変換:
conversion), as torch.nn.Transformer, built from the blocks of nn/transformer.py.

The encoder reads the source with self-attention; the decoder writes the target with
masked (causal) self-attention and cross-attention over the encoder's output, the memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.nn.init import xavier_uniform_
from manabu.nn.module import Module
from manabu.nn.normalization import LayerNorm
from manabu.nn.transformer import (
    TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
    generate_square_subsequent_mask,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, DTypeLike

    from manabu.autograd import Tensor

__all__ = ["Transformer"]


class Transformer(Module):
    """The whole encoder-decoder Transformer (as torch.nn.Transformer): an encoder stack
    and a decoder stack, each closed by a LayerNorm (``encoder.norm``, ``decoder.norm``).

    Its state_dict keys and shapes are PyTorch's, so a torch state_dict turned into arrays
    loads with ``load_state_dict`` (or ``nn.copy_from_torch``) and gives the same outputs.
    The defaults are PyTorch's, batch_first=False included: (T, N, E), unlike manabu's
    layers, which default to batch-first. As in PyTorch, every weight matrix of the built-in
    stacks starts Xavier-uniform (biases and norms keep their layers' init); custom stacks
    are left as they come.

    Args:
        d_model: E, the model's width. Default: 512
        nhead: the attention heads; it must divide d_model. Default: 8
        num_encoder_layers: encoder layers. Default: 6
        num_decoder_layers: decoder layers. Default: 6
        dim_feedforward: the FFN's hidden width. Default: 2048
        dropout: the dropout probability. Default: 0.1
        activation: 'relu', 'gelu' or a function of a Tensor. Default: 'relu'
        custom_encoder: a module used instead of the encoder stack, called as
            ``custom_encoder(src, mask=, src_key_padding_mask=, is_causal=)``. Default: None
        custom_decoder: a module used instead of the decoder stack, called as
            ``custom_decoder(tgt, memory, tgt_mask=, memory_mask=, tgt_key_padding_mask=,
            memory_key_padding_mask=, tgt_is_causal=, memory_is_causal=)``. Default: None
        layer_norm_eps: the LayerNorms' eps. Default: 1e-5
        batch_first: if True, (N, T, E); if False, (T, N, E). Default: False
        norm_first: pre-norm layers if True. Default: False
        bias: if False, no biases in the projections, Linears and LayerNorms. Default: True
        dtype: the parameters' dtype; None means float32. Default: None

    Shape:
        - src: (S, N, E), tgt: (T, N, E) ((N, S, E), (N, T, E) with batch_first).
        - src_mask: (S, S); tgt_mask: (T, T); memory_mask: (T, S); each may also be
          (N * nhead, ., .); True or -inf hides a key.
        - src/tgt/memory_key_padding_mask: (N, S), (N, T), (N, S); True marks padding.
        - Output: (T, N, E) ((N, T, E) with batch_first).

    Example:
        >>> model = nn.Transformer(16, 4, 1, 1, 32, batch_first=True)
        >>> src = manabu.tensor(np.ones((2, 7, 16), np.float32))
        >>> tgt = manabu.tensor(np.ones((2, 5, 16), np.float32))
        >>> model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(5)).shape
        (2, 5, 16)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = "relu",
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, dtype: DTypeLike = None) -> None:
        super().__init__()
        options = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                       layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                       norm_first=norm_first, bias=bias, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **options), num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **options), num_decoder_layers, norm)
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first
        self._reset_parameters(custom_encoder is None, custom_decoder is None)

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def _reset_parameters(self, encoder: bool, decoder: bool) -> None:
        """Xavier-uniform for every matrix of the built-in stacks, as PyTorch does (there the
        custom stacks are re-initialised too; here they keep their own init)."""
        stacks = [s for s, built in ((self.encoder, encoder), (self.decoder, decoder)) if built]
        for stack in stacks:
            for p in stack.parameters():
                if p.ndim > 1:
                    xavier_uniform_(p)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | ArrayLike | None = None,
                tgt_mask: Tensor | ArrayLike | None = None,
                memory_mask: Tensor | ArrayLike | None = None,
                src_key_padding_mask: Tensor | ArrayLike | None = None,
                tgt_key_padding_mask: Tensor | ArrayLike | None = None,
                memory_key_padding_mask: Tensor | ArrayLike | None = None,
                src_is_causal: bool = False, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        self._check(src, tgt)
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    def _check(self, src, tgt):
        """PyTorch's two checks: the same batch size, and d_model features, in src and tgt."""
        layout = "(N, S, E)/(N, T, E)" if self.batch_first else "(S, N, E)/(T, N, E)"
        batch = 0 if self.batch_first else 1
        ok = (src.ndim == tgt.ndim == 3 and src.shape[batch] == tgt.shape[batch]
              and src.shape[-1] == tgt.shape[-1] == self.d_model)
        if not ok:
            raise ValueError(
                f"Transformer(d_model={self.d_model}, batch_first={self.batch_first}): src "
                f"{tuple(src.shape)} and tgt {tuple(tgt.shape)} must be {layout} with the same "
                f"batch size N and E = {self.d_model}"
            )

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, nhead={self.nhead}, batch_first={self.batch_first}"

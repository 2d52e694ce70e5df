"""RNN language models (言語モデル): predict the next token from the ones before it.

A language model gives a sequence w_1 .. w_T the probability

    P(w_1, ..., w_T) = prod_t P(w_t | w_1, ..., w_{t-1})

and an RNN carries the history w_1 .. w_{t-1} in its hidden state. ``RNNLM`` is the usual
stack (the PyTorch word_language_model example, and "Deep Learning from Scratch 2"'s
Rnnlm): token ids -> Embedding -> LSTM / GRU / RNN -> Linear -> scores over the vocabulary
for the next token. It works for characters (文字レベル) and for words alike.

Training minimises the cross-entropy of the next token (nats per token); the perplexity
(パープレキシティ) exp(loss) is the number of tokens the model is "choosing between" on
average: a uniform guess over V tokens has perplexity V.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend, nn
from manabu.autograd import no_grad
from manabu.data.datasets.shakespeare import char_lm_batches
from manabu.functional.dropout import dropout as dropout_op
from manabu.functional.loss import cross_entropy
from manabu.models.sequence import CELLS, as_ids

if TYPE_CHECKING:
    from typing import Any

    from manabu.autograd import Tensor
    from manabu.nn.module import Module

    State = Any  # the recurrent layer's state: h_n (GRU, RNN) or (h_n, c_n) (LSTM)

__all__ = ["RNNLM", "evaluate_lm", "lm_loss", "perplexity"]


def _to_model(model: Module, ids: Any) -> Any:
    """ids moved to the device of ``model``'s parameters (NumPy or CuPy)."""
    first = next(iter(model.parameters()))
    return backend.get_array_module(first.data).asarray(ids)


class RNNLM(nn.Module):
    """A recurrent language model: ids (N, T) -> next-token scores (N, T, V).

        e_t = Embedding(w_t)                       (N, T, embed_dim), 単語埋め込み
        h_t = cell(e_t, h_{t-1})                   LSTM, GRU or a plain RNN (tanh)
        logits_t = h_t W_dec^T + b_dec             (N, T, V): scores for w_{t+1}

    ``RNNLM(vocab_size, embed_dim, hidden_dim, num_layers=1, cell='lstm', dropout=0.0,
    tie_weights=False)``:

    - ``dropout`` is applied to the embeddings, between stacked layers and to the last
      layer's output, in training mode only (Zaremba et al.'s recipe).
    - ``tie_weights`` shares one matrix between the input embedding and the output layer
      (weight tying, Press & Wolf 2017; "Deep Learning from Scratch 2" 6.5): W_dec = W_emb,
      (V, D) both, which needs embed_dim == hidden_dim and saves V * D parameters.
    - Initialisation as PyTorch's word_language_model: embedding and output weights
      U(-0.1, 0.1), output bias 0, the recurrent layer PyTorch's U(-1/sqrt(H), 1/sqrt(H)).

    ``forward(ids, state=None)`` returns ``(logits, state)``; pass the state back in (after
    ``nn.detach_state``) to continue a stream, as truncated BPTT (打ち切り型BPTT) does.
    Parameters are named ``embedding.weight``, ``rnn.weight_ih_l0``, ..., ``decoder.weight``,
    ``decoder.bias``: a PyTorch module with the same three attributes loads the state_dict.

    Args:
        vocab_size: V, the number of token ids
        embed_dim: the size of the embeddings
        hidden_dim: the size of the recurrent state
        num_layers: stacked recurrent layers. Default: 1
        cell: 'lstm', 'gru' or 'rnn'. Default: 'lstm'
        dropout: the drop probability, in [0, 1). Default: 0
        tie_weights: share the embedding with the output layer (needs
            embed_dim == hidden_dim). Default: False

    Shape:
        - Input: ids (N, T), integers in [0, V)
        - Output: ``(logits, state)``: logits (N, T, V); state h_n (num_layers, N,
          hidden_dim), or (h_n, c_n) for an LSTM

    Example:
        >>> model = models.RNNLM(vocab_size=50, embed_dim=16, hidden_dim=32)
        >>> logits, (h, c) = model(np.zeros((2, 7), dtype=np.int64))
        >>> logits.shape, h.shape
        ((2, 7, 50), (1, 2, 32))
        >>> model.generate([1, 2], length=5, temperature=0).shape     # greedy
        (7,)
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_dim: int, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0, tie_weights: bool = False) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                            ("hidden_dim", hidden_dim), ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"RNNLM: {name} must be a positive integer, got {value!r}")
        if cell not in CELLS:
            raise ValueError(f"RNNLM: cell must be one of {sorted(CELLS)}, got {cell!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"RNNLM: dropout must be in [0, 1), got {dropout}")
        if tie_weights and embed_dim != hidden_dim:
            raise ValueError(
                f"RNNLM: tie_weights=True shares the (V, D) embedding with the output layer, "
                f"so embed_dim must equal hidden_dim; got embed_dim={embed_dim}, "
                f"hidden_dim={hidden_dim}. Use the same size for both, or tie_weights=False"
            )
        self.config = {
            "vocab_size": int(vocab_size), "embed_dim": int(embed_dim),
            "hidden_dim": int(hidden_dim), "num_layers": int(num_layers), "cell": cell,
            "dropout": float(dropout), "tie_weights": bool(tie_weights),
        }
        self.vocab_size = int(vocab_size)
        self.cell = cell
        self.dropout = float(dropout)
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        between = self.dropout if num_layers > 1 else 0.0  # nn.RNN warns on 1 layer
        self.rnn = CELLS[cell](embed_dim, hidden_dim, num_layers=num_layers, dropout=between)
        self.decoder = nn.Linear(hidden_dim, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embedding.weight  # one Parameter, two uses
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Embedding and output weights U(-0.1, 0.1), output bias 0; the recurrent layer's
        own initialisation (PyTorch's)."""
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        if self.decoder.weight is not self.embedding.weight:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        self.rnn.reset_parameters()

    def forward(self, ids: Any, state: State | None = None) -> tuple[Tensor, State]:
        ids = as_ids("RNNLM", ids)
        if ids.ndim != 2:
            raise ValueError(
                f"RNNLM: expected token ids of shape (N, T), got {tuple(ids.shape)}; for one "
                "sequence use ids[None] (a batch of one)"
            )
        x = self.embedding(ids)  # (N, T, embed_dim)
        if self.dropout > 0 and self.training:
            x = dropout_op(x, self.dropout, training=True)
        h, state = self.rnn(x, state)  # (N, T, hidden_dim)
        if self.dropout > 0 and self.training:
            h = dropout_op(h, self.dropout, training=True)
        return self.decoder(h), state  # (N, T, V)

    def generate(self, prefix_ids: Any, length: int, temperature: float = 1.0,
                 top_k: int | None = None,
                 generator: np.random.Generator | None = None) -> np.ndarray:
        """Continue ``prefix_ids`` by ``length`` tokens drawn one at a time.

        Each new token is drawn from softmax(logits / temperature) over the ``top_k`` best
        scores (``nn.sample``); ``temperature=0`` takes the most likely token (greedy).
        ``generator`` (an ``np.random.Generator``) makes the draw repeatable; by default
        manabu's global one (``manabu.manual_seed``). The prefix is read in one pass, then
        the state is carried token by token. Runs in eval mode (no dropout) without
        recording a graph. Returns an int64 array: the prefix followed by the new tokens,
        (T0 + length,) for a 1-D prefix, (N, T0 + length) for a batch (N, T0).
        """
        prefix = as_ids("RNNLM.generate", prefix_ids)
        prefix = np.asarray(backend.to_device(prefix, "cpu"), dtype=np.int64)
        if prefix.ndim not in (1, 2) or prefix.shape[-1] == 0:
            raise ValueError(f"RNNLM.generate: prefix_ids must be a non-empty (T0,) or "
                             f"(N, T0) array of ids, got shape {prefix.shape}")
        if not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(f"RNNLM.generate: length must be a non-negative integer, got "
                             f"{length!r}")
        if temperature < 0:
            raise ValueError(f"RNNLM.generate: temperature must be >= 0, got {temperature}")
        batch = prefix if prefix.ndim == 2 else prefix[None]  # (N, T0)
        was_training = self.training
        self.eval()
        tokens = [batch]
        try:
            with no_grad():
                logits, state = self(_to_model(self, batch))
                for _ in range(length):
                    last = logits.data[:, -1]  # (N, V): scores for the next token
                    if temperature == 0:
                        ids = nn.greedy(last)
                    else:
                        ids = nn.sample(last, temperature=temperature, top_k=top_k,
                                        generator=generator)
                    ids = np.asarray(backend.to_device(ids, "cpu"), dtype=np.int64)[:, None]
                    tokens.append(ids)  # (N, 1)
                    logits, state = self(_to_model(self, ids), state)
        finally:
            self.train(was_training)
        out = np.concatenate(tokens, axis=1)  # (N, T0 + length)
        return out if prefix.ndim == 2 else out[0]

    def extra_repr(self) -> str:
        c = self.config
        tied = ", tie_weights=True" if c["tie_weights"] else ""
        return f"vocab_size={c['vocab_size']}, cell={c['cell']!r}{tied}"


def lm_loss(logits: Tensor, targets: Any) -> Tensor:
    """Mean cross-entropy of the next token in nats: logits (N, T, V), targets (N, T) ids.

        L = -(1 / NT) sum_{n,t} log softmax(logits_{n,t})[targets_{n,t}]

    Args:
        logits: scores (N, T, V)
        targets: the next tokens (N, T), integer ids (a Tensor, an array or lists)

    Returns:
        a scalar Tensor

    Example:
        >>> uniform = manabu.tensor(np.zeros((1, 2, 4), dtype=np.float32))
        >>> round(float(models.lm_loss(uniform, [[0, 3]]).item()), 4)      # log 4
        1.3863
    """
    N, T, V = logits.shape
    targets = as_ids("lm_loss", targets)
    if tuple(targets.shape) != (N, T):
        raise ValueError(f"lm_loss: targets must have shape (N, T) = ({N}, {T}) like the "
                         f"logits {tuple(logits.shape)}, got {tuple(targets.shape)}")
    return cross_entropy(logits.reshape(N * T, V), targets.reshape(N * T))  # (N*T, V) rows


def evaluate_lm(model: Module, ids: Any, batch_size: int = 32,
                seq_len: int | None = None) -> float:
    """The mean next-token cross-entropy (nats per token) of ``model`` on the stream ``ids``.

    The stream (L,) is cut into ``batch_size`` parallel rows (``char_lm_batches``) and read
    in windows of ``seq_len`` tokens (default: each row in one window), carrying the state
    across windows, in eval mode and without a graph. Tokens left over at the end of the
    rows (fewer than batch_size * seq_len) are not scored.

    Args:
        model: a model called as ``model(ids (N, T), state) -> (logits, state)``, as RNNLM
        ids: the token stream (L,)
        batch_size: N, the parallel rows. Default: 32
        seq_len: T, the window length; None: each row in one window. Default: None

    Example:
        >>> model = models.RNNLM(vocab_size=10, embed_dim=8, hidden_dim=8)
        >>> loss = models.evaluate_lm(model, np.arange(41) % 10, batch_size=4, seq_len=5)
        >>> 2.0 < loss < 2.6              # near log 10 = 2.30 for an untrained model
        True
    """
    ids = as_ids("evaluate_lm", ids)
    ids = np.asarray(backend.to_device(ids, "cpu"), dtype=np.int64).reshape(-1)  # (L,)
    if seq_len is None:
        seq_len = (len(ids) - 1) // batch_size
    inputs, targets = char_lm_batches(ids, batch_size, seq_len)  # (W, N, T) each
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        with no_grad():
            state = None
            for x, t in zip(inputs, targets):
                logits, state = model(_to_model(model, x), state)
                total += float(lm_loss(logits, _to_model(model, t)).item())
    finally:
        model.train(was_training)
    return total / len(inputs)


def perplexity(model: Module, ids: Any, batch_size: int = 32,
               seq_len: int | None = None) -> float:
    """パープレキシティ exp(mean cross-entropy) of ``model`` on ``ids`` (see evaluate_lm);
    for a loss already computed, take math.exp(loss).

    Example:
        >>> model = models.RNNLM(vocab_size=10, embed_dim=8, hidden_dim=8)
        >>> 8 < models.perplexity(model, np.arange(41) % 10, batch_size=4) < 12   # about V
        True
    """
    return math.exp(evaluate_lm(model, ids, batch_size=batch_size, seq_len=seq_len))

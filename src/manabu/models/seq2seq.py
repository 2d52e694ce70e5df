"""系列変換モデル (Seq2Seq, sequence-to-sequence): エンコーダ・デコーダ with RNNs.

The encoder reads the source x_1 .. x_S and hands its final state h_S to the decoder, which
writes the target one token at a time, each step fed the previous token:

    h^enc_s = RNN_enc(embed(x_s), h^enc_{s-1})                     (N, S, H)
    h^dec_0 = h^enc_S;   h^dec_t = RNN_dec(embed(y_{t-1}), h^dec_{t-1})
    p(y_t | y_<t, x) = softmax(W [h^dec_t] + b)

Training uses 教師強制 (teacher forcing): the decoder's inputs are the true previous tokens
(the target shifted right, starting with a start token), so one fused RNN call covers every
step. At generation time the decoder feeds back its own choice (greedy, or ビームサーチ).

Improvements from "Deep Learning from Scratch 2" (chapters 7 and 8), each an option:
- ``reverse_input``: read the source backwards; the first target tokens then sit close to
  the source tokens they depend on, so gradients travel a shorter path.
- ``peeky``: the encoder's final state h_S is given to every decoder step (concatenated to
  the decoder's input and to the output layer's input), not only to its first state.
- ``attention`` (注意機構): at each step the decoder state h^dec_t queries every encoder
  output, a_t = softmax(score(h^dec_t, h^enc_s)), and the context sum_s a_ts h^enc_s is
  concatenated before the output layer ('dot': score = q . k; 'additive': Bahdanau's
  v^T tanh(W_q q + W_k k)). The weights a (N, T, S) can be drawn as a heat map.

``Seq2SeqRegressor`` is the notes' framework exercise: the same encoder-decoder on real
values, reading a window of sin and writing the window of cos.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend, nn
from manabu.autograd import Tensor, no_grad
from manabu.functional.activation import log_softmax
from manabu.functional.loss import cross_entropy
from manabu.functional.shape import broadcast_to, concatenate, expand_dims, squeeze
from manabu.models.sequence import CELLS, as_ids
from manabu.optim.clip import clip_grad_norm_

if TYPE_CHECKING:
    from typing import Any

    from manabu.data.text import Vocabulary
    from manabu.optim.optimizer import Optimizer

    State = dict[str, Any]  # the decoder's state: "h" (and "c"), "summary", "keys", "mask"

__all__ = ["Seq2Seq", "Seq2SeqRegressor", "train_epoch"]


def check_cell(model, cell, allowed=("lstm", "gru")):
    if cell not in allowed:
        raise ValueError(f"{model}: cell must be one of {list(allowed)}, got {cell!r}")


def vocab_count(model, name, value):
    """An int from an int or anything with a length (a Vocabulary)."""
    size = value if isinstance(value, (int, np.integer)) else len(value)
    if size <= 0:
        raise ValueError(f"{model}: {name} must be a positive vocabulary size, got {value!r}")
    return int(size)


def to_hx(cell, state):
    """A decoder state {"h": (N, H)[, "c": (N, H)]} as nn.LSTM/GRU's hx, (1, N, H)."""
    h = expand_dims(state["h"], 0)  # (1, N, H)
    if cell == "lstm":
        return h, expand_dims(state["c"], 0)  # (1, N, H) each
    return h


def from_hn(cell, h_n):
    """nn.LSTM/GRU's final state (1, N, H) as {"h": (N, H)[, "c": (N, H)]}."""
    if cell == "lstm":
        h, c = h_n
        return {"h": squeeze(h, 0), "c": squeeze(c, 0)}  # (N, H) each
    return {"h": squeeze(h_n, 0)}  # (N, H)


def take_rows(state, start):
    """Row ``start`` of every Tensor/array in a (nested) state, keeping the batch axis."""
    if state is None:
        return None
    if isinstance(state, dict):
        return {key: take_rows(value, start) for key, value in state.items()}
    if isinstance(state, (tuple, list)):
        return type(state)(take_rows(value, start) for value in state)
    if isinstance(state, Tensor) or backend.is_array(state):
        return state[start:start + 1]  # (1, ...)
    return state


def greedy_decode(step, state, start_id, batch, max_len, end_id=None, fill=0):
    """Batched greedy decoding. ``step(tokens (N,), state) -> (logits (N, V), state,
    weights or None)``. Returns ids (N, max_len) (after a row's ``end_id``, ``fill``) and
    the stacked weights (N, steps, S) or None."""
    tokens = np.full(batch, start_id, dtype=np.int64)
    done = np.zeros(batch, dtype=bool)
    out = np.full((batch, max_len), fill, dtype=np.int64)
    weights = []
    with no_grad():
        for t in range(max_len):
            logits, state, w = step(tokens, state)
            tokens = np.asarray(backend.to_device(nn.greedy(logits), "cpu"), dtype=np.int64)
            if end_id is not None:
                tokens = np.where(done, fill, tokens)
                done |= tokens == end_id
            out[:, t] = tokens
            if w is not None:
                weights.append(np.asarray(backend.to_device(w.data, "cpu")))
            if done.all():
                break
    stacked = np.stack(weights, axis=1) if weights else None  # (N, steps, S)
    return out, stacked


def beam_decode(step, state, start_id, batch, max_len, beam_width, end_id=None, fill=0,
                length_penalty=0.0):
    """ビームサーチ for each row of the batch (nn.sampling.beam_search); the best
    hypothesis of each row, as ids (N, max_len) padded with ``fill``."""
    out = np.full((batch, max_len), fill, dtype=np.int64)

    def step_fn(tokens, beams):
        logits, beams, _ = step(np.asarray(tokens, dtype=np.int64), beams)
        return log_softmax(logits, axis=-1), beams

    for row in range(batch):
        best = nn.beam_search(step_fn, take_rows(state, row), start_id, end_id,
                              beam_width=beam_width, max_len=max_len,
                              length_penalty=length_penalty)[0]
        out[row, :len(best.tokens)] = best.tokens
    return out


class Seq2Seq(nn.Module):
    """系列変換モデル for token sequences (see the module docstring for the equations).

    ``Seq2Seq(src_vocab, tgt_vocab, embed_dim, hidden_dim, cell='lstm', peeky=False,
    attention=None, reverse_input=False, pad_id=None)``: vocabulary sizes (ints, or
    Vocabulary objects), 'lstm' or 'gru' for both RNNs, the options above. With ``pad_id``
    the encoder skips padded source positions (they keep the state unchanged) and the
    attention never looks at them; by default padding is read like any token, as the book
    does.

    - ``forward(src (N, S), tgt_in (N, T), return_attention=False)`` -> logits (N, T, V)
      (and the attention weights (N, T, S) in the order the encoder read the source, or
      None).
    - ``loss(src, tgt_in, tgt_out, ignore_index=-100)``: mean cross-entropy over the target
      tokens that are not ``ignore_index`` (pass the pad id to skip padding).
    - ``generate(src, start_id, max_len, beam_width=1, end_id=None)`` -> ids (N, max_len):
      greedy when beam_width is 1, else beam search per row; ``return_attention=True``
      (greedy only) also returns the weights (N, steps, S).

    Args:
        src_vocab: the source vocabulary size, or a Vocabulary
        tgt_vocab: the target vocabulary size, or a Vocabulary
        embed_dim: the size of both embeddings. Default: 16
        hidden_dim: H, the size of both RNN states. Default: 128
        cell: 'lstm' or 'gru'. Default: 'lstm'
        peeky: feed h_S to every decoder step. Default: False
        attention: None, 'dot' or 'additive'. Default: None
        reverse_input: read the source backwards. Default: False
        pad_id: the source padding id to skip; None: none skipped. Default: None

    Shape:
        - Input: src (N, S) and tgt_in (N, T), integer ids
        - Output: logits (N, T, tgt_vocab); attention weights (N, T, S)

    Example:
        >>> model = models.Seq2Seq(src_vocab=13, tgt_vocab=13, hidden_dim=32,
        ...                        attention="dot")
        >>> src, tgt = np.zeros((2, 7), dtype=np.int64), np.zeros((2, 5), dtype=np.int64)
        >>> logits, weights = model(src, tgt[:, :-1], return_attention=True)
        >>> logits.shape, weights.shape, model.generate(src, start_id=1, max_len=4).shape
        ((2, 4, 13), (2, 4, 7), (2, 4))
    """

    def __init__(self, src_vocab: int | Vocabulary, tgt_vocab: int | Vocabulary,
                 embed_dim: int = 16, hidden_dim: int = 128, cell: str = "lstm",
                 peeky: bool = False, attention: str | None = None,
                 reverse_input: bool = False, pad_id: int | None = None) -> None:
        super().__init__()
        check_cell("Seq2Seq", cell)
        if attention not in (None, "dot", "additive"):
            raise ValueError(f"Seq2Seq: attention must be None, 'dot' or 'additive', got "
                             f"{attention!r}")
        src_vocab = vocab_count("Seq2Seq", "src_vocab", src_vocab)
        tgt_vocab = vocab_count("Seq2Seq", "tgt_vocab", tgt_vocab)
        self.config = {
            "src_vocab": src_vocab, "tgt_vocab": tgt_vocab, "embed_dim": embed_dim,
            "hidden_dim": hidden_dim, "cell": cell, "peeky": bool(peeky),
            "attention": attention, "reverse_input": bool(reverse_input), "pad_id": pad_id,
        }
        self.cell = cell
        self.peeky = bool(peeky)
        self.reverse_input = bool(reverse_input)
        self.pad_id = pad_id
        rnn = CELLS[cell]
        self.src_embed = nn.Embedding(src_vocab, embed_dim)
        self.encoder = rnn(embed_dim, hidden_dim)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed_dim)
        self.decoder = rnn(embed_dim + (hidden_dim if peeky else 0), hidden_dim)
        if attention == "dot":
            self.attention = nn.DotProductAttention()
        elif attention == "additive":
            self.attention = nn.AdditiveAttention(hidden_dim, hidden_dim, hidden_dim)
        else:
            self.attention = None
        features = hidden_dim * (1 + bool(peeky) + (attention is not None))
        self.out = nn.Linear(features, tgt_vocab, init="xavier_uniform")

    def encode(self, src: Any) -> State:
        """Run the encoder; returns the decoder's starting state: a dict with "h" (and "c")
        (N, H), "summary" (N, H) = the encoder's final h, "keys" (N, S, H) = its outputs,
        and "mask" (N, S) bool (True at real tokens) or None."""
        ids = as_ids("Seq2Seq", src, 2)
        if self.reverse_input:
            ids = ids[:, ::-1]  # (N, S): read the source backwards
        mask = None if self.pad_id is None else ids != self.pad_id  # (N, S)
        rnn_mask = None if mask is None else mask.astype(self.out.weight.dtype)
        keys, h_n = self.encoder(self.src_embed(ids), mask=rnn_mask)  # (N, S, H)
        state = from_hn(self.cell, h_n)
        state.update(summary=state["h"], keys=keys, mask=mask)
        return state

    def decode(self, tgt_in: Any, state: State) -> tuple[Tensor, Tensor | None, State]:
        """Run the decoder over ``tgt_in`` (N, T) from ``state`` (``encode``'s, or one this
        method returned). Returns (logits (N, T, V), weights (N, T, S) or None, state)."""
        e = self.tgt_embed(as_ids("Seq2Seq", tgt_in, 2))  # (N, T, E)
        N, T = e.shape[0], e.shape[1]
        summary = state["summary"]
        if self.peeky:
            peek = broadcast_to(expand_dims(summary, 1), (N, T, summary.shape[1]))  # (N, T, H)
            e = concatenate([e, peek], axis=2)  # (N, T, E + H)
        hs, h_n = self.decoder(e, to_hx(self.cell, state))  # (N, T, H)
        parts, weights = [hs], None
        if self.attention is not None:
            mask = state["mask"]
            mask = None if mask is None else mask[:, None, :]  # (N, 1, S): every query
            context, weights = self.attention(hs, state["keys"], mask=mask)  # (N, T, H)
            parts.append(context)
        if self.peeky:
            parts.append(peek)
        features = parts[0] if len(parts) == 1 else concatenate(parts, axis=2)
        new_state = from_hn(self.cell, h_n)
        new_state.update(summary=summary, keys=state["keys"], mask=state["mask"])
        return self.out(features), weights, new_state

    def forward(self, src: Any, tgt_in: Any,
                return_attention: bool = False) -> Tensor | tuple[Tensor, Tensor | None]:
        logits, weights, _ = self.decode(tgt_in, self.encode(src))  # (N, T, V)
        return (logits, weights) if return_attention else logits

    def loss(self, src: Any, tgt_in: Any, tgt_out: Any, ignore_index: int = -100) -> Tensor:
        """Mean cross-entropy of the teacher-forced logits against ``tgt_out`` (N, T).

        Args:
            src: source ids (N, S)
            tgt_in: decoder inputs (N, T), the target shifted right
            tgt_out: the tokens to predict (N, T)
            ignore_index: a target id left out of the mean (pass the pad id to skip
                padding). Default: -100
        """
        logits = self.forward(src, tgt_in)  # (N, T, V)
        target = as_ids("Seq2Seq", tgt_out, 2)
        return cross_entropy(logits, target, ignore_index=ignore_index, axis=-1)

    def _step(self, tokens: np.ndarray,
              state: State) -> tuple[Tensor, State, Tensor | None]:
        logits, weights, state = self.decode(tokens[:, None], state)  # (N, 1, V)
        w = None if weights is None else weights[:, 0]  # (N, S)
        return logits[:, 0], state, w

    def generate(self, src: Any, start_id: int, max_len: int, beam_width: int = 1,
                 end_id: int | None = None, length_penalty: float = 0.0,
                 return_attention: bool = False) -> np.ndarray | tuple[np.ndarray, Any]:
        """Decode from the model's own predictions: ids (N, max_len) int64. After a row's
        ``end_id`` the row holds ``pad_id`` (or ``end_id`` when the model has none).

        Args:
            src: source ids (N, S)
            start_id: the decoder's first input (<bos>, '_' in the addition task)
            max_len: the most tokens written per row
            beam_width: 1 for greedy decoding, more for beam search. Default: 1
            end_id: the token that ends a row; None: rows run to max_len. Default: None
            length_penalty: beam search's length normalisation exponent. Default: 0
            return_attention: also return the weights (N, steps, S) (greedy only).
                Default: False
        """
        ids = as_ids("Seq2Seq", src, 2)
        fill = self.pad_id if self.pad_id is not None else (end_id or 0)
        with no_grad():
            state = self.encode(ids)
            if beam_width == 1:
                out, weights = greedy_decode(self._step, state, start_id, len(ids), max_len,
                                             end_id, fill)
                return (out, weights) if return_attention else out
            if return_attention:
                raise ValueError("Seq2Seq.generate: return_attention needs beam_width=1")
            return beam_decode(self._step, state, start_id, len(ids), max_len, beam_width,
                               end_id, fill, length_penalty)

    def exact_match(self, src: Any, tgt: Any, start_id: int) -> float:
        """Share of rows whose greedy answer equals ``tgt[:, 1:]`` at every position
        (padding included); ``tgt`` starts with the start token, as in training."""
        tgt = as_ids("Seq2Seq.exact_match", tgt, 2)  # NumPy or CuPy, like the answer
        answer = self.generate(src, start_id=start_id, max_len=tgt.shape[1] - 1)
        return float((answer == tgt[:, 1:]).all(axis=1).mean())


def train_epoch(model: Seq2Seq, optimizer: Optimizer, src: np.ndarray, tgt: np.ndarray,
                batch_size: int, rng: np.random.Generator, max_norm: float = 5.0) -> float:
    """One epoch of teacher forcing over shuffled mini-batches: the decoder reads
    ``tgt[:, :-1]`` and must write ``tgt[:, 1:]``; gradients clipped to ``max_norm``.
    Returns the mean loss.

    Args:
        model: a model with ``loss(src, tgt_in, tgt_out)``, e.g. Seq2Seq
        optimizer: the optimizer of its parameters
        src: source ids (M, S)
        tgt: target ids (M, T + 1), starting with the start token
        batch_size: rows per step
        rng: the ``np.random.Generator`` that shuffles the rows
        max_norm: the gradient-norm clip. Default: 5.0

    Example:
        >>> from manabu.models.seq2seq import train_epoch
        >>> questions, answers, vocab = data.addition_strings(n=8, max_digits=1)
        >>> model = models.Seq2Seq(vocab, vocab, hidden_dim=16)
        >>> loss = train_epoch(model, optim.Adam(model.parameters()), questions, answers,
        ...                    batch_size=4, rng=np.random.default_rng(0))
        >>> 2.0 < loss < 3.0              # about log 13 before any learning
        True
    """
    order = rng.permutation(len(src))
    losses = []
    for start in range(0, len(src), batch_size):
        rows = order[start:start + batch_size]
        loss = model.loss(src[rows], tgt[rows, :-1], tgt[rows, 1:])
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))


class Seq2SeqRegressor(nn.Module):
    """The notes' framework exercise (sin -> cos): an encoder-decoder on real values.

    The encoder RNN reads x (N, T, input_size) and its final state starts the decoder RNN,
    which reads the previous target value (教師強制: ``y_in`` = the target shifted right,
    0 at the first step; ``data.datasets.shift_right``) and writes

        y_hat_t = W h^dec_t + b         (N, T, output_size), linear: a regression

    trained with the mean squared error. ``predict(x)`` runs the decoder on its own
    outputs, step by step, from 0 (what the notes' predict() does). The notes' model is
    ``Seq2SeqRegressor(1, 1, hidden_size=10, cell='rnn')`` (Keras SimpleRNN: tanh).

    Args:
        input_size: features per input step. Default: 1
        output_size: values per output step. Default: 1
        hidden_size: the size of both RNN states. Default: 10
        cell: 'rnn', 'lstm' or 'gru'. Default: 'rnn'

    Shape:
        - Input: x (N, T, input_size) and y_in (N, T', output_size)
        - Output: (N, T', output_size)

    Example:
        >>> x, y = data.sin_cos(n=4)
        >>> model = models.Seq2SeqRegressor(1, 1, hidden_size=10, cell="rnn")
        >>> model(manabu.tensor(x), manabu.tensor(data.datasets.shift_right(y))).shape
        (4, 24, 1)
        >>> model.predict(x, length=6).shape
        (4, 6, 1)
    """

    def __init__(self, input_size: int = 1, output_size: int = 1, hidden_size: int = 10,
                 cell: str = "rnn") -> None:
        super().__init__()
        check_cell("Seq2SeqRegressor", cell, allowed=tuple(CELLS))
        self.config = {"input_size": input_size, "output_size": output_size,
                       "hidden_size": hidden_size, "cell": cell}
        self.cell = cell
        self.encoder = CELLS[cell](input_size, hidden_size)
        self.decoder = CELLS[cell](output_size, hidden_size)
        self.out = nn.Linear(hidden_size, output_size, init="xavier_uniform")

    def forward(self, x: Tensor, y_in: Tensor) -> Tensor:
        _, state = self.encoder(x)  # state (1, N, H): the summary of the window
        hs, _ = self.decoder(y_in, state)  # (N, T, H)
        return self.out(hs)  # (N, T, output_size)

    def predict(self, x: Any, length: int | None = None) -> np.ndarray:
        """Autoregressive prediction (N, length, output_size), length T of x by default:
        each step's output is the next step's input."""
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        length = x.shape[1] if length is None else length
        outputs = []
        with no_grad():
            _, state = self.encoder(x)
            xp = backend.get_array_module(x.data)
            y = Tensor(xp.zeros((x.shape[0], 1, self.out.out_features), dtype=x.dtype))
            for _ in range(length):
                h, state = self.decoder(y, state)  # (N, 1, H)
                y = self.out(h)  # (N, 1, output_size)
                outputs.append(y.numpy())
        return np.concatenate(outputs, axis=1)  # (N, length, output_size)

"""HRED and VHRED: 階層型エンコーダ・デコーダ for multi-turn dialogue.

A Seq2Seq model answers the last utterance only. HRED (Hierarchical Recurrent
Encoder-Decoder, Serban et al., 2016) keeps the whole conversation in two levels of RNN:

    u_k = RNN_utt(embed(w_k,1 .. w_k,L))       utterance encoder: one vector per turn
    c_k = RNN_ctx(u_k, c_{k-1})                 context encoder: the dialogue so far
    h_0 = tanh(W_b c_K + b_b);  h_t = RNN_dec([embed(y_{t-1}); c_K], h_{t-1})
    p(y_t | y_<t, context) = softmax(W_o h_t + b_o)

so a reply can depend on what was said several turns earlier.

VHRED (Serban et al., 2017) adds a latent variable z per reply, in the manner of a VAE
(変分オートエンコーダ): a prior p(z | c) = N(mu_p, sigma_p^2) computed from the context
and, during training, a posterior q(z | c, x) = N(mu_q, sigma_q^2) that also reads the
reply x. The decoder is conditioned on [c; z], z drawn by the reparameterisation trick
(再パラメータ化トリック) z = mu + sigma * eps, eps ~ N(0, I), so that gradients reach mu and
sigma. Training maximises the 変分下限 (ELBO):

    log p(x | c) >= E_q[log p(x | z, c)] - KL(q(z | c, x) || p(z | c))
    KL = 1/2 sum_j [ log(s_p / s_q) + (s_q + (mu_q - mu_p)^2) / s_p - 1 ],  s = sigma^2

The loss is the token cross-entropy plus ``kl_weight`` times the KL, with KL annealing
(``kl_annealing``: the weight rises from 0 to 1) so the decoder learns to use z before the
KL term pushes q onto the prior. At generation z comes from the prior, so one context can
get different replies.

``dialogue_pairs`` turns ``datasets.toy_dialogues`` into (context, response) arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from manabu import backend, nn
from manabu.autograd import Tensor, no_grad
from manabu.functional.activation import tanh
from manabu.functional.latent import gaussian_kl, reparameterize
from manabu.functional.loss import cross_entropy
from manabu.functional.shape import broadcast_to, concatenate, expand_dims, split
from manabu.models.seq2seq import (
    beam_decode, check_cell, from_hn, greedy_decode, to_hx, vocab_count,
)
from manabu.models.sequence import CELLS, as_ids

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

    from manabu.data.text import Vocabulary

    State = dict[str, Any]  # the decoder's state: "h" (and "c"), "condition"

__all__ = ["HRED", "VHRED", "DialogueLoss", "dialogue_pairs", "gaussian_kl", "kl_annealing"]


class DialogueLoss(NamedTuple):
    """``loss``: what to minimise (a scalar Tensor); ``reconstruction``:
    the mean cross-entropy per reply token (float); ``kl``: the mean KL per reply (float, 0 for
    HRED).

    A named tuple, as ``HRED.loss`` and ``VHRED.loss`` return it.

    Args:
        loss: the scalar Tensor to call ``backward()`` on
        reconstruction: the mean cross-entropy per reply token
        kl: the mean KL divergence per reply (0 for HRED)

    Example:
        >>> from manabu.models.hred import DialogueLoss
        >>> result = DialogueLoss(manabu.tensor(2.5), reconstruction=2.0, kl=0.5)
        >>> loss, reconstruction, kl = result
        >>> reconstruction, result.kl
        (2.0, 0.5)
    """

    loss: Tensor
    reconstruction: float
    kl: float


def kl_annealing(step: int, warmup_steps: int) -> float:
    """KL annealing: the KL weight rises linearly from 0 (step 0) to 1 (``warmup_steps``).

    Example:
        >>> [models.kl_annealing(step, warmup_steps=4) for step in (0, 2, 4, 8)]
        [0.0, 0.5, 1.0, 1.0]
    """
    if warmup_steps <= 0:
        return 1.0
    return min(1.0, step / warmup_steps)


def dialogue_pairs(
    dialogues: Sequence[Sequence[Sequence[str]]], vocab: Vocabulary,
    response_turns: Iterable[int] | None = None, max_context: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(context, response_in, response_out) arrays for training HRED on ``dialogues``
    (lists of utterances, each a list of word tokens, as ``toy_dialogues`` gives).

    Each dialogue gives one example per turn k in ``response_turns`` (default: every turn
    from 1 on): the context is turns 0 .. k-1 (the last ``max_context`` of them), the
    response turn k. context (M, K, L): each utterance + <eos>, padded with <pad> to L
    tokens, and missing turns (shorter contexts) are all <pad> at the end; response_in
    (M, T) = <bos> + reply, response_out (M, T) = reply + <eos>, padded with <pad>.

    Args:
        dialogues: dialogues, each a list of utterances, each a list of word tokens
        vocab: the Vocabulary with pad, bos and eos tokens
        response_turns: the turns to answer; None: every turn from 1 on. Default: None
        max_context: the most turns of context; None: all before the reply.
            Default: None

    Returns:
        ``(context (M, K, L), response_in (M, T), response_out (M, T))``, int64

    Example:
        >>> dialogues, vocab = data.toy_dialogues(n=4, turns=3)
        >>> context, response_in, response_out = models.dialogue_pairs(dialogues, vocab)
        >>> context.shape[:2], response_in.shape == response_out.shape     # 2 replies each
        ((8, 2), True)
    """
    examples = []
    for dialogue in dialogues:
        turns = range(1, len(dialogue)) if response_turns is None else response_turns
        for k in turns:
            first = 0 if max_context is None else max(0, k - max_context)
            examples.append((dialogue[first:k], dialogue[k]))
    if not examples:
        raise ValueError("dialogue_pairs: no (context, response) pair; are the dialogues "
                         "long enough for response_turns?")
    K = max(len(context) for context, _ in examples)
    L = max(len(u) for context, _ in examples for u in context) + 1
    T = max(len(reply) for _, reply in examples) + 1
    pad = vocab.pad_id
    context = np.full((len(examples), K, L), pad, dtype=np.int64)  # (M, K, L)
    response_in = np.full((len(examples), T), pad, dtype=np.int64)  # (M, T)
    response_out = np.full((len(examples), T), pad, dtype=np.int64)  # (M, T)
    for i, (turns, reply) in enumerate(examples):
        for k, utterance in enumerate(turns):
            ids = vocab.encode(utterance, add_eos=True)
            context[i, k, :len(ids)] = ids
        ids = vocab.encode(reply)
        response_in[i, :len(ids) + 1] = [vocab.bos_id] + ids
        response_out[i, :len(ids) + 1] = ids + [vocab.eos_id]
    return context, response_in, response_out


class HRED(nn.Module):
    """Hierarchical encoder-decoder (see the module docstring for the equations).

    ``HRED(vocab_size, embed_dim=32, utterance_dim=128, context_dim=128, decoder_dim=128,
    cell='gru', pad_id=0, bos_id=2, eos_id=3, bidirectional=True, pooling='mean')``: one
    embedding table shared by the encoder and the decoder (the ids of ``toy_dialogues``'
    Vocabulary by default). By default the utterance encoder is a 双方向RNN and u_k is the
    mean of its outputs [h_fwd_t; h_bwd_t] over the utterance's tokens; ``pooling='last'``
    and ``bidirectional=False`` give the paper's u_k = the last state. The mean gives every
    word a short path to u_k: with the last state, training on the toy dialogues often
    stalls for many epochs on the fact said furthest from the end of the introduction
    (measured: after 6 epochs, 0.68 to 1.0 exact-match replies across seeds with
    bidirectional last states, 0.97 to 1.0 with the mean).

    - ``encode(context (N, K, L))`` -> the context vector c_K (N, context_dim). Turns
      that are all padding are skipped (the context state carries over them).
    - ``forward(context, response_in (N, T))`` -> logits (N, T, V), 教師強制.
    - ``loss(context, response_in, response_out)`` -> DialogueLoss (padding ignored).
    - ``generate(context, max_len=20, beam_width=1)`` -> ids (N, max_len), <pad> after
      <eos>.

    Args:
        vocab_size: V, an int or a Vocabulary
        embed_dim: the size of the shared embeddings. Default: 32
        utterance_dim: the utterance encoder's state size (per direction). Default: 128
        context_dim: the context encoder's state size. Default: 128
        decoder_dim: the decoder's state size. Default: 128
        cell: 'gru' or 'lstm' for all three RNNs. Default: 'gru'
        pad_id: the padding id (skipped, and ignored by the loss). Default: 0
        bos_id: the decoder's start id. Default: 2
        eos_id: the id that ends a reply. Default: 3
        bidirectional: a 双方向 utterance encoder. Default: True
        pooling: 'mean' or 'last', how u_k is read from the utterance encoder.
            Default: 'mean'

    Shape:
        - Input: context (N, K, L) and response_in (N, T), integer ids
        - Output: logits (N, T, V)

    Example:
        >>> dialogues, vocab = data.toy_dialogues(n=4)
        >>> context, response_in, response_out = models.dialogue_pairs(dialogues, vocab)
        >>> model = models.HRED(vocab, embed_dim=8, utterance_dim=16, context_dim=16,
        ...                     decoder_dim=16)
        >>> model(context, response_in).shape == response_in.shape + (len(vocab),)
        True
        >>> model.generate(context[:2], max_len=5).shape
        (2, 5)
    """

    latent_dim = 0

    def __init__(self, vocab_size: int | Vocabulary, embed_dim: int = 32,
                 utterance_dim: int = 128, context_dim: int = 128, decoder_dim: int = 128,
                 cell: str = "gru", pad_id: int = 0, bos_id: int = 2, eos_id: int = 3,
                 bidirectional: bool = True, pooling: str = "mean") -> None:
        super().__init__()
        name = type(self).__name__
        check_cell(name, cell)
        if pooling not in ("mean", "last"):
            raise ValueError(f"{name}: pooling must be 'mean' or 'last', got {pooling!r}")
        vocab = vocab_count(name, "vocab_size", vocab_size)
        self.config = {
            "vocab_size": vocab, "embed_dim": embed_dim, "utterance_dim": utterance_dim,
            "context_dim": context_dim, "decoder_dim": decoder_dim, "cell": cell,
            "pad_id": pad_id, "bos_id": bos_id, "eos_id": eos_id,
            "bidirectional": bool(bidirectional), "pooling": pooling,
        }
        self.cell = cell
        self.pad_id = pad_id
        self.bos_id = bos_id
        self.eos_id = eos_id
        self.pooling = pooling
        rnn = CELLS[cell]
        self.embed = nn.Embedding(vocab, embed_dim, padding_idx=pad_id)
        directions = 2 if bidirectional else 1
        self.utterance_encoder = rnn(embed_dim, utterance_dim, bidirectional=bool(bidirectional))
        self.utterance_features = directions * utterance_dim
        self.context_encoder = rnn(self.utterance_features, context_dim)
        condition = context_dim + self.latent_dim
        self.bridge = nn.Linear(condition, decoder_dim, init="xavier_uniform")
        self.decoder = rnn(embed_dim + condition, decoder_dim)
        self.out = nn.Linear(decoder_dim, vocab, init="xavier_uniform")

    # ------------------------------------------------------------------ encoders
    def encode_utterances(self, ids: Any) -> Tensor:
        """Utterances (M, L) -> their vectors u (M, D * utterance_dim), D = 2 when
        bidirectional: the mean of the encoder's outputs over the real tokens
        (``pooling='mean'``) or its last valid state ('last')."""
        real = ids != self.pad_id  # (M, L)
        lengths = real.sum(axis=1)  # (M,)
        outputs, h_n = self.utterance_encoder(self.embed(ids), lengths=lengths)  # (M, L, DH)
        if self.pooling == "mean":
            xp = backend.get_array_module(outputs.data)
            count = xp.maximum(xp.asarray(lengths), 1)[:, None].astype(outputs.dtype)  # (M, 1)
            return outputs.sum(axis=1) / Tensor(count)  # padded outputs are zero
        h = h_n[0] if self.cell == "lstm" else h_n  # (D, M, Hu)
        if h.shape[0] == 1:
            return h[0]  # (M, Hu)
        return concatenate([h[0], h[1]], axis=1)  # (M, 2 Hu): forward and backward

    def encode(self, context: Any) -> Tensor:
        """The context vector c_K (N, context_dim) of ``context`` (N, K, L)."""
        ids = as_ids(type(self).__name__, context, 3)
        N, K, L = ids.shape
        u = self.encode_utterances(ids.reshape(N * K, L))  # (N * K, D Hu)
        u = u.reshape(N, K, u.shape[1])  # (N, K, D Hu)
        present = (ids != self.pad_id).any(axis=2).astype(u.dtype)  # (N, K): real turns
        _, h_n = self.context_encoder(u, mask=present)
        return from_hn(self.cell, h_n)["h"]  # (N, Hc)

    # ------------------------------------------------------------------ decoder
    def start_state(self, condition: Tensor) -> State:
        """The decoder's first state from the condition [c; z] (N, C)."""
        h = tanh(self.bridge(condition))  # (N, Hd)
        state = {"h": h, "condition": condition}
        if self.cell == "lstm":
            xp = backend.get_array_module(h.data)
            state["c"] = Tensor(xp.zeros(h.shape, dtype=h.dtype))
        return state

    def decode(self, response_in: Any, state: State) -> tuple[Tensor, State]:
        """Logits (N, T, V) for the decoder inputs (N, T) from ``state``; and the new
        state."""
        e = self.embed(as_ids(type(self).__name__, response_in, 2))  # (N, T, E)
        condition = state["condition"]
        N, T = e.shape[0], e.shape[1]
        repeated = broadcast_to(expand_dims(condition, 1), (N, T, condition.shape[1]))
        x = concatenate([e, repeated], axis=2)  # (N, T, E + C)
        hs, h_n = self.decoder(x, to_hx(self.cell, state))  # (N, T, Hd)
        new_state = from_hn(self.cell, h_n)
        new_state["condition"] = condition
        return self.out(hs), new_state

    def _step(self, tokens: np.ndarray, state: State) -> tuple[Tensor, State, None]:
        logits, state = self.decode(tokens[:, None], state)  # (N, 1, V)
        return logits[:, 0], state, None

    def condition(self, context: Any, response: Any = None,
                  sample: bool = True) -> tuple[Tensor, Tensor | None]:
        """The decoder's condition: c_K (HRED), and the KL (None)."""
        return self.encode(context), None

    # ------------------------------------------------------------------ API
    def forward(self, context: Any, response_in: Any) -> Tensor:
        condition, _ = self.condition(context)
        logits, _ = self.decode(response_in, self.start_state(condition))
        return logits  # (N, T, V)

    def _reconstruction(self, logits: Tensor, response_out: Any) -> tuple[Tensor, int]:
        target = as_ids(type(self).__name__, response_out, 2)
        total = cross_entropy(logits, target, ignore_index=self.pad_id, reduction="sum",
                              axis=-1)
        tokens = max(int((target != self.pad_id).sum()), 1)
        return total, tokens

    def loss(self, context: Any, response_in: Any, response_out: Any,
             kl_weight: float = 1.0) -> DialogueLoss:
        """DialogueLoss: the mean cross-entropy per reply token (<pad> ignored)."""
        logits = self.forward(context, response_in)
        total, tokens = self._reconstruction(logits, response_out)
        loss = total / tokens
        return DialogueLoss(loss, float(loss.data), 0.0)

    def generate(self, context: Any, max_len: int = 20, beam_width: int = 1,
                 sample: bool = True, length_penalty: float = 0.0) -> np.ndarray:
        """Replies (N, max_len) int64, each ending with <eos> (then <pad>) unless cut at
        ``max_len``. Greedy when ``beam_width`` is 1, else ビームサーチ per dialogue.
        VHRED draws z from the prior (``sample=False``: its mean)."""
        ids = as_ids(type(self).__name__, context, 3)
        with no_grad():
            condition, _ = self.condition(ids, sample=sample)
            state = self.start_state(condition)
            if beam_width == 1:
                out, _ = greedy_decode(self._step, state, self.bos_id, len(ids), max_len,
                                       self.eos_id, self.pad_id)
                return out
            return beam_decode(self._step, state, self.bos_id, len(ids), max_len, beam_width,
                               self.eos_id, self.pad_id, length_penalty)


class VHRED(HRED):
    """HRED with a latent variable z per reply (see the module docstring).

    ``VHRED(vocab_size, ..., pooling='mean', latent_dim=16)``: the prior network reads
    c_K, the posterior network reads [c_K; u_x] (u_x: the utterance encoder's vector of
    the reply), each an MLP giving (mu, log sigma^2).
    ``forward(context, response_in, response_out=None)`` returns (logits, kl (N,)): z from
    the posterior when the reply is given (training), else from the prior with kl None.
    ``loss(..., kl_weight)`` is (sum of token cross-entropies + kl_weight * sum of KLs) /
    number of reply tokens: the negative 変分下限 per token when kl_weight is 1.

    Args:
        those of :class:`HRED` (vocab_size, embed_dim, utterance_dim, context_dim,
        decoder_dim, cell, pad_id, bos_id, eos_id, bidirectional, pooling), plus
        latent_dim: Z, the size of z. Default: 16

    Shape:
        - Input: context (N, K, L), response_in (N, T) and optionally response_out (N, T)
        - Output: ``(logits (N, T, V), kl (N,) or None)``

    Example:
        >>> dialogues, vocab = data.toy_dialogues(n=2)
        >>> context, response_in, response_out = models.dialogue_pairs(dialogues, vocab)
        >>> model = models.VHRED(vocab, embed_dim=8, utterance_dim=8, context_dim=8,
        ...                      decoder_dim=8, latent_dim=4)
        >>> logits, kl = model(context, response_in, response_out)
        >>> kl.shape, model.loss(context, response_in, response_out, kl_weight=0.1).kl > 0
        ((4,), True)
    """

    def __init__(self, vocab_size: int | Vocabulary, embed_dim: int = 32,
                 utterance_dim: int = 128, context_dim: int = 128, decoder_dim: int = 128,
                 cell: str = "gru", pad_id: int = 0, bos_id: int = 2, eos_id: int = 3,
                 bidirectional: bool = True, pooling: str = "mean",
                 latent_dim: int = 16) -> None:
        self.latent_dim = int(latent_dim)
        super().__init__(vocab_size, embed_dim, utterance_dim, context_dim, decoder_dim, cell,
                         pad_id, bos_id, eos_id, bidirectional, pooling)
        self.config["latent_dim"] = self.latent_dim
        self.prior = nn.Sequential(
            nn.Linear(context_dim, context_dim, init="xavier_uniform"),
            nn.Tanh(),
            nn.Linear(context_dim, 2 * latent_dim, init="xavier_uniform"),
        )
        self.posterior = nn.Sequential(
            nn.Linear(context_dim + self.utterance_features, context_dim,
                      init="xavier_uniform"),
            nn.Tanh(),
            nn.Linear(context_dim, 2 * latent_dim, init="xavier_uniform"),
        )

    def condition(self, context: Any, response: Any = None,
                  sample: bool = True) -> tuple[Tensor, Tensor | None]:
        """[c_K; z] (N, Hc + Z) and the KL (N,) (None without ``response``); z is
        mu itself with ``sample=False``."""
        c = self.encode(context)  # (N, Hc)
        mu_p, logvar_p = split(self.prior(c), 2, axis=1)  # (N, Z) each
        if response is None:
            mu, logvar, kl = mu_p, logvar_p, None
        else:
            reply = as_ids(type(self).__name__, response, 2)
            u = self.encode_utterances(reply)  # (N, D Hu)
            q = self.posterior(concatenate([c, u], axis=1))
            mu, logvar = split(q, 2, axis=1)  # (N, Z) each
            kl = gaussian_kl(mu, logvar, mu_p, logvar_p)  # (N,)
        if not sample:
            return concatenate([c, mu], axis=1), kl
        z = reparameterize(mu, logvar)  # z = mu + sigma * eps, eps ~ N(0, I)
        return concatenate([c, z], axis=1), kl  # (N, Hc + Z)

    def forward(self, context: Any, response_in: Any,
                response_out: Any = None) -> tuple[Tensor, Tensor | None]:
        condition, kl = self.condition(context, response_out)
        logits, _ = self.decode(response_in, self.start_state(condition))
        return logits, kl  # (N, T, V), (N,) or None

    def loss(self, context: Any, response_in: Any, response_out: Any,
             kl_weight: float = 1.0) -> DialogueLoss:
        """DialogueLoss with loss = (token CE sum + kl_weight * KL sum) / tokens."""
        logits, kl = self.forward(context, response_in, response_out)
        total, tokens = self._reconstruction(logits, response_out)
        loss = (total + kl_weight * kl.sum()) / tokens
        return DialogueLoss(loss, float(total.data) / tokens, float(kl.mean().data))

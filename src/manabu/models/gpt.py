"""GPT: a decoder-only Transformer language model (デコーダのみのTransformer).

The decoder of the notes, alone: each position attends to itself and to the positions
before it (a causal mask), and the network is trained to estimate the distribution of the
next token (次のトークンの確率分布). Generation feeds each sampled token back in. Built as
GPT-2 is: token and learned position embeddings, pre-norm blocks

    x = x + attn(ln_1(x))      causal multi-head self-attention
    x = x + mlp(ln_2(x))       Linear(E, 4E) -> GELU -> Linear(4E, E)

a final LayerNorm and an output layer that shares its matrix with the token embedding.

Generation keeps a **KV cache** (the keys and values of every layer for the tokens seen so
far), so each new token runs one position through the network instead of the whole
context; ``generate(..., use_cache=False)`` recomputes everything, with the same result.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu import functional as F
from manabu import nn
from manabu.autograd import Tensor, no_grad
from manabu.models.language import lm_loss
from manabu.random import get_generator

if TYPE_CHECKING:
    from typing import Any

    from numpy.typing import ArrayLike

__all__ = ["GPT", "GPTConfig", "gpt_param_groups"]


@dataclasses.dataclass
class GPTConfig:
    """The sizes of a GPT (as nanoGPT's ``GPTConfig``).

    Args:
        vocab_size: V, the tokens the model reads and predicts. Default: 65
        block_size: the longest context, in tokens (the position table's length).
            Default: 256
        n_layer: Transformer blocks. Default: 4
        n_head: attention heads; they must divide n_embd. Default: 4
        n_embd: E, the width of every position's vector. Default: 128
        dropout: the dropout probability (embeddings, attention weights, residuals).
            Default: 0.0
        bias: biases in the Linears and LayerNorms. Default: True

    Example:
        >>> config = models.GPTConfig(vocab_size=65, block_size=64, n_embd=128)
        >>> config.n_embd // config.n_head   # the width of one head
        32
    """

    vocab_size: int = 65
    block_size: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"GPTConfig: {name} must be a whole number >= 1, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig: n_head ({self.n_head}) must divide n_embd "
                             f"({self.n_embd}); each head takes n_embd / n_head features")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig: dropout must be in [0, 1), got {self.dropout}")


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t sees positions <= t: one Linear makes
    q, k and v (``c_attn``, E -> 3E), ``c_proj`` mixes the heads' outputs (E -> E).

    With ``cache`` (a dict, filled in place) the keys and values of earlier calls are kept
    and the new positions attend to all of them: the KV cache of generation.

    Args:
        config: the GPTConfig

    Shape:
        - Input: (N, T, E). Output: (N, T, E).

    Example:
        >>> attn = models.gpt.CausalSelfAttention(models.GPTConfig(n_embd=8, n_head=2))
        >>> attn(manabu.tensor(np.zeros((2, 5, 8), np.float32))).shape
        (2, 5, 8)
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head, self.dropout = config.n_head, config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor, cache: dict[str, Any] | None = None) -> Tensor:
        q, k, v = F.split_heads(self.c_attn(x), self.n_head, chunks=3)  # (N, H, T, Dh) each
        causal = True
        if cache is not None:
            if "k" in cache:  # one new position: it may see every cached one, no mask
                xp = backend.get_array_module(k.data)
                k = Tensor(xp.concatenate([cache["k"], k.data], axis=2))  # (N, H, P+1, Dh)
                v = Tensor(xp.concatenate([cache["v"], v.data], axis=2))
                causal = False
            cache["k"], cache["v"] = k.data, v.data
        y, _ = F.scaled_dot_product_attention(q, k, v, is_causal=causal, dropout_p=self.dropout,
                                              training=self.training, need_weights=False)
        return self.resid_dropout(self.c_proj(F.merge_heads(y)))  # (N, H, T, Dh) -> (N, T, E)


class Block(nn.Module):
    """One pre-norm Transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)), the MLP
    being Linear(E, 4E) -> GELU -> Linear(4E, E) -> dropout.

    Args:
        config: the GPTConfig

    Shape:
        - Input: (N, T, E). Output: (N, T, E).

    Example:
        >>> block = models.gpt.Block(models.GPTConfig(n_embd=8, n_head=2))
        >>> block(manabu.tensor(np.zeros((1, 3, 8), np.float32))).shape
        (1, 3, 8)
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        e = config.n_embd
        self.ln_1 = nn.LayerNorm(e, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(e, bias=config.bias)
        self.c_fc = nn.Linear(e, 4 * e, bias=config.bias)
        self.c_proj = nn.Linear(4 * e, e, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor, cache: dict[str, Any] | None = None) -> Tensor:
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.dropout(self.c_proj(F.gelu(self.c_fc(self.ln_2(x)))))


class GPT(nn.Module):
    """A decoder-only Transformer language model (GPT-2's design, nanoGPT's names).

    ``model(idx)`` gives the logits of the next token at every position, (N, T, V);
    ``model(idx, targets)`` gives ``(logits, loss)``, the mean cross-entropy. The output
    layer ``lm_head`` shares its weight with the token embedding ``wte`` (one Parameter:
    ``parameters()`` lists it once; ``state_dict()`` lists it under both names, as
    PyTorch does, so a torch twin's state_dict loads as it is). Initialised as GPT-2:
    weights N(0, 0.02), the residual projections N(0, 0.02 / sqrt(2 n_layer)), biases 0.

    ``model.config`` is what ``manabu.save`` records, ``{"config": {...the GPTConfig...}}``;
    ``model.gpt_config`` is the GPTConfig itself.

    Args:
        config: a GPTConfig, or a dict of its fields

    Shape:
        - idx: (N, T) integer ids in [0, V), T <= block_size; targets: (N, T) the same.
        - Output: logits (N, T, V); with targets, (logits, scalar loss).

    Example:
        >>> _ = manabu.manual_seed(0)
        >>> model = models.GPT(models.GPTConfig(vocab_size=10, block_size=8, n_layer=1,
        ...                                     n_head=2, n_embd=16))
        >>> logits, loss = model(np.array([[1, 2, 3]]), np.array([[2, 3, 4]]))
        >>> logits.shape, round(float(loss.item()), 1)   # about log 10 untrained
        ((1, 3, 10), 2.3)
        >>> model.generate(np.array([[1, 2]]), max_new_tokens=4, temperature=0).shape
        (1, 6)
    """

    def __init__(self, config: GPTConfig | dict[str, Any]) -> None:
        super().__init__()
        if isinstance(config, dict):
            config = GPTConfig(**config)
        if not isinstance(config, GPTConfig):
            raise TypeError(f"GPT: config must be a GPTConfig or a dict of its fields, got "
                            f"{type(config).__name__}")
        self.gpt_config = config
        self.config = {"config": dataclasses.asdict(config)}  # what manabu.save records
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying: one (V, E) matrix, two uses
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2's initialisation: N(0, 0.02) for every matrix and embedding, N(0, 0.02 /
        sqrt(2 n_layer)) for the projections that end a residual branch, biases 0 (the
        LayerNorms keep weight 1, bias 0)."""
        residual_std = 0.02 / math.sqrt(2 * self.gpt_config.n_layer)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, residual_std)
            elif p.ndim == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def _check(self, idx):
        c = self.gpt_config
        idx = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
        if idx.ndim != 2 or idx.dtype.kind not in "iu" or not 1 <= idx.shape[1] <= c.block_size:
            raise ValueError(
                f"GPT(block_size={c.block_size}): idx must be integer ids (N, T) with 1 <= T "
                f"<= {c.block_size}, got dtype {idx.dtype} and shape {idx.shape}; crop longer "
                "contexts to the last block_size tokens"
            )
        if idx.size and (idx.min() < 0 or idx.max() >= c.vocab_size):
            raise ValueError(f"GPT(vocab_size={c.vocab_size}): ids must be in [0, "
                             f"{c.vocab_size}), got values in [{idx.min()}, {idx.max()}]")
        return idx

    def forward(self, idx: Tensor | ArrayLike, targets: Tensor | ArrayLike | None = None,
                caches: list[dict[str, Any]] | None = None) -> Tensor | tuple[Tensor, Tensor]:
        """Logits (N, T, V), or (logits, loss) with targets. ``caches`` (one dict per
        block, see ``generate``) continues a cached sequence: idx holds the new tokens."""
        idx = self._check(idx)
        start = 0 if not caches or "k" not in caches[0] else caches[0]["k"].shape[2]
        positions = np.arange(start, start + idx.shape[1])  # (T,)
        x = self.drop(self.wte(idx) + self.wpe(positions))  # (N, T, E) + (T, E)
        for i, block in enumerate(self.h):
            x = block(x, None if caches is None else caches[i])
        logits = self.lm_head(self.ln_f(x))  # (N, T, V)
        return logits if targets is None else (logits, lm_loss(logits, targets))

    def generate(self, idx: ArrayLike, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, use_cache: bool = True,
                 generator: np.random.Generator | None = None,
                 suppress_tokens: ArrayLike | None = None) -> np.ndarray:
        """Continue ``idx`` (N, T) by ``max_new_tokens`` tokens, each drawn from the
        model's next-token distribution, in eval mode and without a graph.

        The distribution is softmax(logits / temperature), cut to the ``top_k`` most likely
        tokens and/or to the smallest set whose probabilities reach ``top_p`` (nucleus
        sampling); temperature 0 takes the most likely token (greedy). The context is
        cropped to the last block_size tokens. With ``use_cache``, the keys and values of
        the tokens seen are kept, so each step runs one new position; when the sequence
        outgrows block_size the cache is rebuilt from the last block_size tokens (their
        positions start again at 0, as the uncached model sees them), so both paths give
        the same tokens.

        Args:
            idx: the prompt ids (N, T), or (T,) for one sequence
            max_new_tokens: tokens to add, >= 0
            temperature: divides the logits; 0 for greedy decoding. Default: 1.0
            top_k: keep only the k most likely tokens; None for all. Default: None
            top_p: keep the most likely tokens whose probabilities add up to p, in
                (0, 1]; None for all. Default: None
            use_cache: keep a KV cache (fast) or recompute the context at each step.
                Default: True
            generator: the ``np.random.Generator`` to sample with; None for manabu's
                global one (``manabu.manual_seed``). Default: None
            suppress_tokens: ids that are never drawn (their logits become -inf), e.g. a
                start token that only begins sequences; None for none. Default: None

        Returns:
            the ids (N, T + max_new_tokens), int64, prompt included
        """
        _check_sampling(max_new_tokens, temperature, top_k, top_p)
        ids = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
        ids = (ids[None, :] if ids.ndim == 1 else ids).astype(np.int64)
        self._check(ids[:, -self.gpt_config.block_size:])
        generator = get_generator() if generator is None else generator
        suppressed = self._suppressed(suppress_tokens)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                return self._generate(ids, max_new_tokens, temperature, top_k, top_p,
                                      use_cache, generator, suppressed)
        finally:
            self.train(was_training)

    def _suppressed(self, tokens):
        """The suppressed ids as an int64 array (empty for None), each checked."""
        ids = np.asarray([] if tokens is None else tokens, dtype=np.int64).reshape(-1)
        vocab = self.gpt_config.vocab_size
        if ids.size and (ids.min() < 0 or ids.max() >= vocab):
            raise ValueError(f"GPT.generate: suppress_tokens must be ids in [0, {vocab}), "
                             f"got {ids.tolist()}")
        if ids.size and np.unique(ids).size >= vocab:
            raise ValueError("GPT.generate: suppress_tokens leaves no token to draw")
        return ids

    def _generate(self, ids, max_new_tokens, temperature, top_k, top_p, use_cache, generator,
                  suppressed):
        block = self.gpt_config.block_size
        caches = None
        for _ in range(max_new_tokens):
            if not use_cache:
                logits = self(ids[:, -block:])
            elif caches is None or caches[0]["k"].shape[2] >= block:  # (re)fill the cache
                caches = [{} for _ in self.h]
                logits = self(ids[:, -block:], caches=caches)
            else:  # one new position, attending to the cached ones
                logits = self(ids[:, -1:], caches=caches)
            last = np.asarray(backend.to_device(logits.data[:, -1], "cpu"), np.float64)  # (N, V)
            last[:, suppressed] = -np.inf
            ids = np.concatenate([ids, _sample(last, temperature, top_k, top_p, generator)],
                                 axis=1)
        return ids

    def extra_repr(self) -> str:
        c = self.gpt_config
        return (f"vocab_size={c.vocab_size}, block_size={c.block_size}, n_layer={c.n_layer}, "
                f"n_head={c.n_head}, n_embd={c.n_embd}")


def _check_sampling(max_new_tokens, temperature, top_k, top_p):
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, (int, np.integer)) \
            or max_new_tokens < 0:
        raise ValueError(f"GPT.generate: max_new_tokens must be a whole number >= 0, got "
                         f"{max_new_tokens!r}")
    if not (isinstance(temperature, (int, float)) and temperature >= 0):
        raise ValueError(f"GPT.generate: temperature must be a number >= 0 (0 for greedy), "
                         f"got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))
                              or top_k < 1):
        raise ValueError(f"GPT.generate: top_k must be a whole number >= 1 or None, got "
                         f"{top_k!r}")
    if top_p is not None and not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
        raise ValueError(f"GPT.generate: top_p must be in (0, 1] or None, got {top_p!r}")


def _sample(logits, temperature, top_k, top_p, generator):
    """One token id per row of ``logits`` (N, V): greedy at temperature 0, else drawn from
    softmax(logits / temperature) restricted to the top-k and/or the top-p nucleus."""
    if temperature == 0:
        return logits.argmax(axis=1)[:, None]  # (N, 1)
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[1]:
        kth = np.sort(logits, axis=1)[:, -top_k][:, None]  # the k-th largest of each row
        logits = np.where(logits < kth, -np.inf, logits)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)  # (N, V)
    if top_p is not None and top_p < 1:
        order = np.argsort(-p, axis=1)  # most likely first
        sorted_p = np.take_along_axis(p, order, axis=1)
        before = np.cumsum(sorted_p, axis=1) - sorted_p  # probability of the tokens before
        sorted_p[before >= top_p] = 0  # the nucleus: the first tokens reaching top_p
        p = np.zeros_like(p)
        np.put_along_axis(p, order, sorted_p, axis=1)
        p /= p.sum(axis=1, keepdims=True)
    u = generator.random((len(p), 1))  # inverse transform sampling, one uniform a row
    return np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)[:, None]


def gpt_param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW parameter groups: decay on the weight matrices of Linear layers only; none on
    biases, LayerNorm parameters and embeddings (the tied output weight is the token
    embedding, so it does not decay either). Each parameter appears once.

    Args:
        model: a GPT (or any model made of Linear, Embedding and norm layers)
        weight_decay: the decay of the first group

    Returns:
        ``[{"params": decayed, "weight_decay": weight_decay}, {"params": rest,
        "weight_decay": 0.0}]``, for ``optim.AdamW(groups, lr=...)``

    Example:
        >>> model = models.GPT(models.GPTConfig(vocab_size=10, block_size=8, n_layer=1,
        ...                                     n_head=2, n_embd=16))
        >>> decay, rest = models.gpt_param_groups(model, 0.1)
        >>> len(decay["params"]), len(rest["params"])   # 4 Linears; embeddings, norms, biases
        (4, 12)
    """
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    decayed, seen = [], set()
    for module in model.modules():
        if isinstance(module, nn.Linear) and id(module.weight) not in embeddings:
            if id(module.weight) not in seen:
                decayed.append(module.weight)
                seen.add(id(module.weight))
    rest = [p for p in model.parameters() if id(p) not in seen]
    return [{"params": decayed, "weight_decay": weight_decay},
            {"params": rest, "weight_decay": 0.0}]

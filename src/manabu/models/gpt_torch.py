"""The PyTorch twin of manabu.models.GPT: the same modules under the same names, so
``nn.copy_to_torch(model, torch_gpt(config))`` gives it manabu's weights (and
``nn.copy_from_torch`` the other way). The oracle of the GPT tests, the PyTorch side of the
gpt-shakespeare lesson and of benchmarks B7/B8. PyTorch is imported only when it is built.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from manabu.models.gpt import GPTConfig

__all__ = ["torch_gpt", "torch_param_groups"]


def torch_gpt(config: GPTConfig) -> Any:
    """A ``torch.nn.Module`` computing what ``GPT(config)`` computes, with its names:
    ``model(idx)`` -> logits, ``model(idx, targets)`` -> (logits, loss), and
    ``model.generate(idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True)``
    (greedy at temperature 0) with a KV cache of its own.

    Args:
        config: the GPTConfig of the manabu model to mirror

    Returns:
        the PyTorch model (float32, train mode, GPT-2 initialisation)

    Example:
        >>> from manabu.models.gpt_torch import torch_gpt
        >>> config = models.GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2,
        ...                           n_embd=16)
        >>> twin = nn.copy_to_torch(models.GPT(config), torch_gpt(config))
        >>> sorted(twin.state_dict())[:2]
        ['h.0.attn.c_attn.bias', 'h.0.attn.c_attn.weight']
    """
    import torch
    from torch import nn
    from torch.nn import functional as F

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            self.resid_dropout = nn.Dropout(config.dropout)

        def forward(self, x, cache=None):
            n, t, e = x.shape
            q, k, v = self.c_attn(x).split(e, dim=2)
            q, k, v = (z.view(n, t, config.n_head, e // config.n_head).transpose(1, 2)
                       for z in (q, k, v))  # (N, H, T, Dh)
            causal = True
            if cache is not None:
                if "k" in cache:
                    k = torch.cat([cache["k"], k], dim=2)
                    v = torch.cat([cache["v"], v], dim=2)
                    causal = False
                cache["k"], cache["v"] = k, v
            drop = config.dropout if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=causal)
            return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(n, t, e)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x, cache=None):
            x = x + self.attn(self.ln_1(x), cache)
            return x + self.dropout(self.c_proj(F.gelu(self.c_fc(self.ln_2(x)))))

    class TorchGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(config.vocab_size, config.n_embd)
            self.wpe = nn.Embedding(config.block_size, config.n_embd)
            self.drop = nn.Dropout(config.dropout)
            self.h = nn.ModuleList([Block() for _ in range(config.n_layer)])
            self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.lm_head.weight = self.wte.weight
            for name, p in self.named_parameters():
                if name.endswith("c_proj.weight"):
                    nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * config.n_layer))
                elif p.dim() == 2:
                    nn.init.normal_(p, 0.0, 0.02)
                elif name.endswith("bias"):
                    nn.init.zeros_(p)

        def forward(self, idx, targets=None, caches=None):
            start = 0 if not caches or "k" not in caches[0] else caches[0]["k"].shape[2]
            positions = torch.arange(start, start + idx.shape[1])
            x = self.drop(self.wte(idx) + self.wpe(positions))
            for i, block in enumerate(self.h):
                x = block(x, None if caches is None else caches[i])
            logits = self.lm_head(self.ln_f(x))
            if targets is None:
                return logits
            return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True):
            caches = None
            for _ in range(max_new_tokens):
                if not use_cache:
                    logits = self(idx[:, -config.block_size:])
                elif caches is None or caches[0]["k"].shape[2] >= config.block_size:
                    caches = [{} for _ in self.h]
                    logits = self(idx[:, -config.block_size:], caches=caches)
                else:
                    logits = self(idx[:, -1:], caches=caches)
                logits = logits[:, -1]
                if temperature == 0:
                    token = logits.argmax(dim=1, keepdim=True)
                else:
                    logits = logits / temperature
                    if top_k is not None:
                        kth = torch.topk(logits, min(top_k, logits.shape[1])).values[:, -1:]
                        logits = logits.masked_fill(logits < kth, float("-inf"))
                    token = torch.multinomial(F.softmax(logits, dim=1), 1)
                idx = torch.cat([idx, token], dim=1)
            return idx

    return TorchGPT()


def torch_param_groups(model: Any, twin: Any, weight_decay: float) -> list[dict[str, Any]]:
    """``gpt_param_groups`` for the twin: the same two groups (decay on the Linears'
    weights, none on the rest), matched by parameter name, for ``torch.optim.AdamW``.

    Args:
        model: the manabu GPT whose groups are mirrored
        twin: its PyTorch twin (``torch_gpt``)
        weight_decay: the decay of the first group

    Returns:
        ``[{"params": decayed, "weight_decay": weight_decay}, {"params": rest,
        "weight_decay": 0.0}]`` of the twin's parameters

    Example:
        >>> from manabu.models.gpt_torch import torch_gpt, torch_param_groups
        >>> config = models.GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2,
        ...                           n_embd=16)
        >>> model = models.GPT(config)
        >>> decay, rest = torch_param_groups(model, torch_gpt(config), 0.1)
        >>> len(decay["params"]), len(rest["params"])   # as gpt_param_groups
        (4, 12)
    """
    from manabu.models.gpt import gpt_param_groups

    decayed = {id(p) for p in gpt_param_groups(model, weight_decay)[0]["params"]}
    names = {name for name, p in model.named_parameters() if id(p) in decayed}
    params = dict(twin.named_parameters())
    return [{"params": [p for n, p in params.items() if n in names],
             "weight_decay": weight_decay},
            {"params": [p for n, p in params.items() if n not in names], "weight_decay": 0.0}]

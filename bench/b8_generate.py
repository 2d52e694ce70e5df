"""B8: greedy generation of 256 tokens after a 16-token prompt by a GPT of the lesson's
width (4 layers, 4 heads, n_embd 128, vocab 65) with a 512-token context (so the cache is
never rebuilt). B8: manabu with its KV cache vs PyTorch with the same cache. B8-cache:
manabu with the cache vs manabu recomputing the context (the ratio is cached / uncached;
the "losses" compared are checksums of the tokens, equal when the tokens are)."""

import numpy as np

TOKENS = 256


def _model(sides):
    import manabu
    from manabu import nn
    from manabu.models import GPT, GPTConfig

    config = GPTConfig(vocab_size=65, block_size=512, n_layer=4, n_head=4, n_embd=128,
                       bias=False)
    manabu.manual_seed(0)
    model = GPT(config)
    twin = None
    if "torch" in sides:
        from manabu.models.gpt_torch import torch_gpt

        twin = nn.copy_to_torch(model, torch_gpt(config)).eval()
    return model, twin


def _checksum(tokens):
    tokens = np.asarray(tokens)[0]
    return float((tokens * np.arange(1, tokens.size + 1)).sum())


def setup(quick=False, sides=("manabu", "torch")):
    tokens = 16 if quick else TOKENS
    model, twin = _model(sides)
    prompt = (np.arange(16) % 65)[None, :]
    run_torch = None
    if twin is not None:
        import torch

        t_prompt = torch.from_numpy(prompt)

        def run_torch():
            return _checksum(twin.generate(t_prompt, tokens, temperature=0).numpy())

    def run_manabu():
        return _checksum(model.generate(prompt, tokens, temperature=0))

    return run_manabu, run_torch, 0.0


def setup_cache(quick=False, sides=("manabu",)):
    tokens = 16 if quick else TOKENS
    model, _ = _model(())
    prompt = (np.arange(16) % 65)[None, :]

    def cached():
        return _checksum(model.generate(prompt, tokens, temperature=0))

    def recomputed():
        return _checksum(model.generate(prompt, tokens, temperature=0, use_cache=False))

    return cached, recomputed, 0.0

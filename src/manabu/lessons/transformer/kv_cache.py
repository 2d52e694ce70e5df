"""The KV cache (KVキャッシュ): why generating with a Transformer decoder need not redo
the whole context at every step.

A decoder writes one token at a time; the token at step t attends to the keys and values
of all t tokens before it. Without a cache, every step runs the whole context through the
network again: step t costs O(t) position-passes (and O(t^2) attention), so writing n tokens
costs O(n^2). With the cache, each layer keeps the keys and values it has already computed;
a step runs only the new position (one row through every Linear, one query against the
cached keys), so its cost grows slowly with t and n tokens cost O(n). The tokens are the
same either way (greedy decoding is compared token for token).

The model: a GPT of the gpt-shakespeare lesson's width (4 layers, 4 heads, n_embd 128,
vocab 65) with a 512-token context, so that the cache is never rebuilt; its weights are
untrained (the time does not depend on them). Timed: writing n tokens after a 16-token
prompt, with and without the cache.

Expect (full: n up to 384; measured, 13 s on 2 CPU cores): with the cache about 1.5 ms
per token whatever n; without it 3.4 ms per token at n = 32, growing to 16.3 ms at
n = 384; the cache is 5.2 times faster at n = 128, 8.2 at n = 256 and 10.5 at n = 384
(benchmark B8 measures the same against PyTorch's cached generation). Quick: a 2-layer
model, n up to 64, about a second.
"""

import os
import time

import numpy as np

import manabu
from manabu import plot
from manabu.models import GPT, GPTConfig


def timed_generation(model, prompt, n, use_cache):
    """(seconds, tokens) of greedy generation of n tokens."""
    started = time.perf_counter()
    tokens = model.generate(prompt, n, temperature=0, use_cache=use_cache)
    return time.perf_counter() - started, tokens


def run(quick=False, out="lessons-output"):
    lengths = (16, 32, 64) if quick else (32, 64, 128, 256, 384)
    manabu.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=65, block_size=512, n_layer=2 if quick else 4, n_head=4,
                          n_embd=128))
    prompt = np.arange(16)[None, :] % 65
    model.generate(prompt, 4)  # warm-up
    per_token = {"with the KV cache": [], "recomputing the context": []}
    same = True
    for n in lengths:
        cached, tokens = timed_generation(model, prompt, n, use_cache=True)
        full, again = timed_generation(model, prompt, n, use_cache=False)
        same &= bool(np.array_equal(tokens, again))
        per_token["with the KV cache"].append(1e3 * cached / n)
        per_token["recomputing the context"].append(1e3 * full / n)
        print(f"n = {n:4d}: {1e3 * cached / n:6.2f} ms/token with the cache, "
              f"{1e3 * full / n:6.2f} without ({full / cached:.1f}x)")
    print(f"identical tokens with and without the cache: {same}")
    os.makedirs(out, exist_ok=True)
    figure = plot.curves(per_token, os.path.join(out, "kv_cache_time_per_token.png"),
                         x=list(lengths), xlabel="tokens generated n",
                         ylabel="milliseconds per token",
                         title="greedy generation, GPT 4x128")
    print(f"figure: {figure}")
    speedup = [f / c for f, c in zip(per_token["recomputing the context"],
                                     per_token["with the KV cache"])]
    return {"lengths": list(lengths), "ms_per_token": per_token, "speedup": speedup,
            "identical": same, "figures": [figure]}

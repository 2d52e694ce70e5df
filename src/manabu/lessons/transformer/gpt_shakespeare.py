"""A character GPT on tiny-shakespeare (文字レベル言語モデル with a Transformer decoder),
beside the identical model in PyTorch.

The decoder of the notes generates text by estimating the distribution of the next
character given the ones before it (a causal mask hides the future). The configuration is
the one nanoGPT publishes for a CPU: 4 layers, 4 heads, n_embd 128, a 64-character
context, batches of 12, 2,000 iterations of AdamW (lr 1e-3 with 100 warm-up steps and a
cosine decay to 1e-4, betas (0.9, 0.99), weight decay 0.1 on the Linears), gradient norm
clipped at 1, dropout 0 (``models.CharGPTRecipe()``, ``models.train_char_gpt``).

The PyTorch twin (``models.gpt_torch.torch_gpt``) starts from the same weights, reads the
same windows in the same order and follows the same schedule; both are measured on the
same 2,400 validation windows (200 batches, fixed offsets of the last 10% of the text).
nanoGPT reports "about 1.88" for this configuration, measured on 20 random batches
(a noisy estimate: its standard error is about 0.02).

Expect (full, measured on 2 CPU cores: 279 s for manabu, about as long for PyTorch):
validation loss 1.8825 for manabu and 1.8825 for PyTorch (they differ by 2e-7), falling
2.45, 2.28, 2.14, 2.05, 1.99, 1.93, 1.90, 1.88 at the eight evaluations; a sample that
looks like a play (names in capitals, line breaks, English-like words). Quick: 100
iterations, a few seconds a side.
"""

import os
import time

import numpy as np

from manabu import nn, plot, random
from manabu.data import load_tiny_shakespeare
from manabu.models import GPT, CharGPTRecipe, char_gpt_loaders, train_char_gpt
from manabu.models.char_gpt import char_gpt_optimizer


def quick_recipe():
    return CharGPTRecipe(max_iters=100, eval_interval=50, eval_batches=20, warmup_iters=10)


def train_torch_twin(text, tokenizer, recipe, seed=0):
    """The same run in PyTorch: (validation loss after each evaluation, seconds). NumPy's
    BLAS threads are held at one meanwhile: idle, they would still spin on the cores
    PyTorch's own threads need (and make PyTorch look twice as slow)."""
    import torch  # noqa: F401  (ImportError here: PyTorch is not installed)
    from threadpoolctl import threadpool_limits  # installed with scikit-learn and PyTorch

    with threadpool_limits(limits=1, user_api="blas"):
        return _train_torch_twin(text, tokenizer, recipe, seed)


def _train_torch_twin(text, tokenizer, recipe, seed):
    import torch

    from manabu.models.gpt_torch import torch_gpt, torch_param_groups

    random.manual_seed(seed)  # the weights manabu's run starts from
    start = GPT(recipe.gpt_config(len(tokenizer)))
    twin = nn.copy_to_torch(start, torch_gpt(start.gpt_config))
    optimizer = torch.optim.AdamW(torch_param_groups(start, twin, recipe.weight_decay),
                                  lr=recipe.lr, betas=recipe.betas)
    _, schedule = char_gpt_optimizer(start, recipe)  # the lr of every step, from manabu's
    train_loader, val_loader = char_gpt_loaders(tokenizer.encode(text), recipe, seed)
    val_losses = []
    started = time.perf_counter()
    for _ in range(recipe.epochs):
        twin.train()
        for x, y in train_loader:
            for group in optimizer.param_groups:
                group["lr"] = schedule.get_last_lr()[0]
            _, loss = twin(torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy()))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(twin.parameters(), recipe.grad_clip)
            optimizer.step()
            schedule.step()
        twin.eval()
        with torch.no_grad():
            losses = [twin(torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy()))[1].item()
                      for x, y in val_loader]
        val_losses.append(float(np.mean(losses)))
    return val_losses, time.perf_counter() - started


def run(quick=False, out="lessons-output"):
    recipe = quick_recipe() if quick else CharGPTRecipe()
    text = load_tiny_shakespeare()
    started = time.perf_counter()
    model, tokenizer, history = train_char_gpt(text, recipe, seed=0, verbose=0)
    seconds = time.perf_counter() - started
    val = history["val_loss"]
    print(f"manabu: validation loss {val[-1]:.4f} after {recipe.max_iters} iterations "
          f"({seconds:.0f}s); by evaluation: " + " ".join(f"{v:.3f}" for v in val))
    curves = {"manabu": val}
    result = {"val_loss": val[-1], "val_losses": val, "seconds": seconds,
              "iterations": recipe.max_iters}
    try:
        torch_val, torch_seconds = train_torch_twin(text, tokenizer, recipe)
    except ImportError:
        print("PyTorch is not installed (make test installs it): no comparison")
    else:
        curves["PyTorch"] = torch_val
        gap = abs(torch_val[-1] - val[-1])
        print(f"PyTorch: validation loss {torch_val[-1]:.4f} ({torch_seconds:.0f}s); "
              f"difference {gap:.4f}")
        result.update(torch_val_loss=torch_val[-1], torch_val_losses=torch_val,
                      torch_seconds=torch_seconds, difference=gap)
    random.manual_seed(0)
    prompt = tokenizer.encode("ROMEO:")[None, :]
    sample = tokenizer.decode(model.generate(prompt, 300, temperature=0.8, top_k=40)[0])
    print("sample (prompt 'ROMEO:', temperature 0.8, top-k 40):\n" + sample)
    os.makedirs(out, exist_ok=True)
    evaluations = [recipe.eval_interval * (i + 1) for i in range(recipe.epochs)]
    figure = plot.curves(curves, os.path.join(out, "gpt_shakespeare_val_loss.png"),
                         x=evaluations, xlabel="iteration",
                         ylabel="validation loss (nats per character)",
                         title="character GPT on tiny-shakespeare",
                         reference=(1.88, "nanoGPT's reported 1.88"))
    print(f"figure: {figure}")
    result.update(sample=sample, figures=[figure])
    return result

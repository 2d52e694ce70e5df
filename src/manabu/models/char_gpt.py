"""The character GPT recipe (文字レベル言語モデル with a Transformer decoder) on a text such
as tiny-shakespeare, with the configuration nanoGPT publishes for a CPU: 4 layers, 4 heads,
n_embd 128, block 64, batch 12, 2,000 iterations, dropout 0, AdamW (lr 1e-3, betas
(0.9, 0.99), weight decay 0.1), 100 warm-up iterations then cosine decay to 1e-4, gradient
norm clipped at 1.0.

One recipe, three users: ``manabu train --model gpt``, ``manabu generate`` and the
``gpt-shakespeare`` lesson. Training is ``train.fit``: one "epoch" is ``eval_interval``
iterations, each a batch of windows drawn at random offsets of the training text
(``TokenWindows`` + ``DataLoader(replacement=True)``), and the validation loss and
perplexity are measured after each on a fixed set of validation windows.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from manabu import random
from manabu.data import DataLoader, TensorDataset, TokenWindows
from manabu.data.datasets.shakespeare import shakespeare_split
from manabu.data.char_tokenizer import CharTokenizer
from manabu.models.gpt import GPT, GPTConfig, gpt_param_groups
from manabu.models.language import lm_loss
from manabu.optim import AdamW
from manabu.optim.lr_scheduler import WarmupCosine
from manabu.train import LRScheduler, fit

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence

    from manabu.train import Callback, History

__all__ = ["CharGPTRecipe", "char_gpt_loaders", "train_char_gpt"]


@dataclasses.dataclass
class CharGPTRecipe:
    """The model and training settings of a character GPT; the defaults are nanoGPT's CPU
    configuration for tiny-shakespeare (its README reports a validation loss of about 1.88).

    Args:
        n_layer: Transformer blocks. Default: 4
        n_head: attention heads. Default: 4
        n_embd: the model's width. Default: 128
        block_size: the context, in characters. Default: 64
        dropout: the dropout probability. Default: 0.0
        bias: biases in the Linears and LayerNorms. Default: False
        batch_size: windows per iteration. Default: 12
        max_iters: optimizer steps in all. Default: 2000
        eval_interval: steps between validation measurements (one fit "epoch"); it must
            divide max_iters. Default: 250
        eval_batches: the validation windows, in batches of batch_size (drawn once, at
            fixed random offsets of the validation text). Default: 200
        lr: the peak learning rate. Default: 1e-3
        min_lr: the learning rate at the end of the cosine. Default: 1e-4
        warmup_iters: steps of linear warm-up. Default: 100
        weight_decay: AdamW's decoupled decay, on the Linears' weights only. Default: 0.1
        betas: AdamW's betas. Default: (0.9, 0.99)
        grad_clip: the global gradient norm limit; 0 for none. Default: 1.0
        accumulation_steps: micro-batches of batch_size per optimizer step. Default: 1

    Example:
        >>> recipe = models.CharGPTRecipe(max_iters=20, eval_interval=10, warmup_iters=2)
        >>> recipe.epochs, recipe.n_embd
        (2, 128)
    """

    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 64
    dropout: float = 0.0
    bias: bool = False
    batch_size: int = 12
    max_iters: int = 2000
    eval_interval: int = 250
    eval_batches: int = 200
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_iters: int = 100
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = 1.0
    accumulation_steps: int = 1

    def __post_init__(self) -> None:
        for name in ("batch_size", "max_iters", "eval_interval", "eval_batches",
                     "accumulation_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CharGPTRecipe: {name} must be a whole number >= 1, "
                                 f"got {value!r}")
        if self.max_iters % self.eval_interval:
            raise ValueError(f"CharGPTRecipe: eval_interval ({self.eval_interval}) must "
                             f"divide max_iters ({self.max_iters})")
        if not 0 <= self.warmup_iters < self.max_iters:
            raise ValueError(f"CharGPTRecipe: warmup_iters must be in [0, max_iters = "
                             f"{self.max_iters}), got {self.warmup_iters}")
        if not 0 <= self.min_lr <= self.lr:
            raise ValueError(f"CharGPTRecipe: min_lr ({self.min_lr}) must be in [0, lr = "
                             f"{self.lr}]")

    @property
    def epochs(self) -> int:
        """fit's epochs: max_iters / eval_interval."""
        return self.max_iters // self.eval_interval

    def gpt_config(self, vocab_size: int) -> GPTConfig:
        """The GPTConfig of this recipe for a vocabulary of ``vocab_size`` characters."""
        return GPTConfig(vocab_size=vocab_size, block_size=self.block_size,
                         n_layer=self.n_layer, n_head=self.n_head, n_embd=self.n_embd,
                         dropout=self.dropout, bias=self.bias)


def char_gpt_loaders(ids: np.ndarray, recipe: CharGPTRecipe,
                     seed: int = 0) -> tuple[DataLoader, DataLoader]:
    """``(train, val)`` loaders over a text's ids split 90% / 10% (shakespeare_split).

    train: ``eval_interval * accumulation_steps`` batches an epoch of windows at uniformly
    random offsets (with replacement), from a generator seeded with ``seed``; val:
    ``eval_batches`` batches of windows at offsets drawn once from ``seed + 1``, the same
    windows every epoch (and for every model measured with the same seed).

    Args:
        ids: the encoded text (L,)
        recipe: block_size, batch_size, eval_interval, eval_batches, accumulation_steps
        seed: the seed of both draws. Default: 0

    Returns:
        the training and validation DataLoaders; batches are (N, T) int64 pairs

    Example:
        >>> recipe = models.CharGPTRecipe(block_size=8, batch_size=4, max_iters=10,
        ...                               eval_interval=5, eval_batches=2, warmup_iters=1)
        >>> train_loader, val_loader = models.char_gpt_loaders(np.arange(1000) % 7, recipe)
        >>> len(train_loader), len(val_loader), tuple(next(iter(train_loader))[0].shape)
        (5, 2, (4, 8))
    """
    train_ids, val_ids = shakespeare_split(np.asarray(ids))
    windows = TokenWindows(train_ids, recipe.block_size)
    per_epoch = recipe.eval_interval * recipe.accumulation_steps * recipe.batch_size
    train_loader = DataLoader(windows, batch_size=recipe.batch_size, shuffle=True,
                              replacement=True, num_samples=per_epoch, seed=seed)
    val_windows = TokenWindows(val_ids, recipe.block_size)
    starts = np.random.default_rng(seed + 1).integers(
        0, len(val_windows), size=recipe.eval_batches * recipe.batch_size)
    val_loader = DataLoader(TensorDataset(*val_windows.get_batch(starts)),
                            batch_size=recipe.batch_size)
    return train_loader, val_loader


def char_gpt_optimizer(model: GPT, recipe: CharGPTRecipe) -> tuple[AdamW, WarmupCosine]:
    """AdamW over the GPT's parameter groups (decay on the Linears' weights only) and its
    warm-up + cosine schedule, stepped once per optimizer step.

    Example:
        >>> recipe = models.CharGPTRecipe(n_layer=1, n_embd=16, n_head=2, block_size=8,
        ...                               max_iters=10, eval_interval=5, warmup_iters=1)
        >>> model = models.GPT(recipe.gpt_config(vocab_size=10))
        >>> optimizer, schedule = models.char_gpt.char_gpt_optimizer(model, recipe)
        >>> [group["weight_decay"] for group in optimizer.param_groups]
        [0.1, 0.0]
    """
    groups = gpt_param_groups(model, recipe.weight_decay)
    optimizer = AdamW(groups, lr=recipe.lr, betas=recipe.betas)
    schedule = WarmupCosine(optimizer, warmup_steps=recipe.warmup_iters,
                            total_steps=recipe.max_iters, min_lr=recipe.min_lr)
    return optimizer, schedule


def train_char_gpt(text: str, recipe: CharGPTRecipe | None = None, seed: int = 0,
                   tokenizer: CharTokenizer | None = None, callbacks: Sequence[Callback] = (),
                   resume_from: str | os.PathLike[str] | None = None,
                   verbose: int = 1) -> tuple[GPT, CharTokenizer, History]:
    """Train a character GPT on ``text`` with ``recipe``; returns (model, tokenizer, history).

    The characters of the whole text make the tokenizer (unless one is given); the model's
    weights start from ``manabu.manual_seed(seed)``; the history has one record per
    eval_interval steps with loss, perplexity, val_loss, val_perplexity and lr.

    Args:
        text: the corpus
        recipe: the settings; None: ``CharGPTRecipe()`` (nanoGPT's CPU configuration)
        seed: the seed of the weights and of the windows drawn. Default: 0
        tokenizer: the tokenizer (e.g. when resuming); None: built from ``text``
        callbacks: more callbacks for fit (ModelCheckpoint, CSVLogger, ...). Default: ()
        resume_from: a ModelCheckpoint file of this run to continue from. Default: None
        verbose: fit's verbosity. Default: 1

    Example:
        >>> recipe = models.CharGPTRecipe(n_layer=1, n_head=2, n_embd=16, block_size=8,
        ...                               max_iters=4, eval_interval=2, eval_batches=1,
        ...                               warmup_iters=1)
        >>> model, tokenizer, history = models.train_char_gpt("abcab" * 200, recipe,
        ...                                                   verbose=0)
        >>> len(tokenizer), len(history), sorted(history.keys())[:4]
        (3, 2, ['epoch', 'loss', 'lr', 'perplexity'])
    """
    recipe = CharGPTRecipe() if recipe is None else recipe
    tokenizer = CharTokenizer.from_text(text) if tokenizer is None else tokenizer
    ids = tokenizer.encode(text)
    random.manual_seed(seed)
    model = GPT(recipe.gpt_config(len(tokenizer)))
    optimizer, schedule = char_gpt_optimizer(model, recipe)
    train_loader, val_loader = char_gpt_loaders(ids, recipe, seed)
    history = fit(model, lm_loss, optimizer, train_loader, val_data=val_loader,
                  epochs=recipe.epochs, metrics=("perplexity",),
                  max_grad_norm=recipe.grad_clip or None,
                  accumulation_steps=recipe.accumulation_steps,
                  callbacks=[LRScheduler(schedule, interval="step"), *callbacks],
                  resume_from=resume_from, verbose=verbose)
    return model, tokenizer, history

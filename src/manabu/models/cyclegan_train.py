"""Training a CycleGAN (models/cyclegan.py has the model and its losses): unpaired batches
of the two domains, the generators' step, then the discriminators' against their image
pools; and ``translate``, a trained generator applied to a set of images.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from manabu import optim
from manabu.autograd import Tensor, no_grad
from manabu.models.cyclegan import CycleGAN, ImagePool, _dtype, _images
from manabu.train.fit import (
    NonFiniteGradientError, NonFiniteLossError, _first_non_finite_gradient, _progress_bar,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from manabu.nn.module import Module

__all__ = ["train_cyclegan", "translate"]


_HISTORY = ("g_loss", "d_a", "d_b", "adv_ab", "adv_ba", "cycle", "identity", "lr", "time")


def _domain(name, x, channels, dtype):
    x = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=dtype)
    _images(f"train_cyclegan: {name}", x[:1], channels)
    if len(x) == 0:
        raise ValueError(f"train_cyclegan: {name} holds no images")
    if x.min() < -1 - 1e-6 or x.max() > 1 + 1e-6:
        raise ValueError(f"train_cyclegan: {name} has values in [{x.min():.3g}, {x.max():.3g}]; "
                         "the generators end in tanh, so scale the images to [-1, 1] "
                         "(x * 2 - 1 for x in [0, 1])")
    return x


def _cycled_order(rng, size, n):
    """n indices into a domain of ``size`` images: shuffled passes, as many as needed."""
    passes = [rng.permutation(size) for _ in range(-(-n // size))]
    return np.concatenate(passes)[:n]


def _check(player, loss, epoch, step):
    value = float(loss.item())
    if not math.isfinite(value):
        raise NonFiniteLossError(
            f"train_cyclegan: the loss of {player} became {value} at epoch {epoch}, step "
            f"{step}; the weights were not updated with it. Lower the learning rate, or check "
            "the images for NaN/inf")
    return value


def _update(players, optimizer, loss, epoch, step):
    """backward, the non-finite gradient check naming the network, then the step."""
    optimizer.zero_grad()
    loss.backward()
    named = [(f"{label}.{name}", p) for label, module in players
             for name, p in module.named_parameters()]
    bad = _first_non_finite_gradient(named)
    if bad is not None:
        raise NonFiniteGradientError(
            f"train_cyclegan: the gradient of {bad!r} holds NaN or inf at epoch {epoch}, step "
            f"{step}; the weights of {' and '.join(label for label, _ in players)} were not "
            "updated")
    optimizer.step()


def train_cyclegan(model: CycleGAN, domain_a: Any, domain_b: Any, epochs: int,
                   batch_size: int = 16, lr: float = 2e-4,
                   betas: tuple[float, float] = (0.5, 0.999), seed: int = 0, verbose: int = 1,
                   on_epoch_end: Callable[[int, dict[str, list]], None] | None = None,
                   decay_from: int | None = None, pool_size: int = 50) -> dict[str, list]:
    """Train a CycleGAN on unpaired images of two domains, as the paper does.

    Each epoch takes max(N_a, N_b) images of each domain in independent shuffles (the
    smaller domain is passed over more than once), in batches. A step: the generators
    take one Adam step on loss_G (the discriminators frozen), then both discriminators
    one step on their LSGAN losses, each against a fake drawn from its ``ImagePool``. A
    NaN or infinite loss or gradient stops training before the update, naming the player
    (the generators, D_a or D_b), the epoch and the step. With ``decay_from`` = k the
    learning rate stays ``lr`` for k epochs, then falls linearly: at epoch e > k it is
    lr (1 - (e - k) / (epochs - k + 1)) (the paper: 100 epochs, then 100 of decay).

    Args:
        model: the CycleGAN
        domain_a: images of A (N_a, C_a, H, W) in [-1, 1]
        domain_b: images of B (N_b, C_b, H, W) in [-1, 1]
        epochs: passes, >= 0
        batch_size: images of each domain a step (1 in the paper). Default: 16
        lr: Adam's learning rate for both pairs of players. Default: 2e-4
        betas: Adam's betas. Default: (0.5, 0.999)
        seed: the shuffles and the pools' draws. Default: 0
        verbose: 0 silent, 1 a progress bar (on a terminal) and a line per epoch. Default: 1
        on_epoch_end: called as on_epoch_end(epoch, history) after each epoch. Default: None
        decay_from: the epoch after which the learning rate decays; None: never. Default: None
        pool_size: the image pools' size (0: the latest fakes only). Default: 50

    Returns:
        the history, per epoch: the means of "g_loss", "d_a", "d_b", "adv_ab", "adv_ba",
        "cycle" ((cycle_a + cycle_b) / 2) and "identity" (likewise), and "lr", "time"

    Example:
        >>> G = lambda: models.ResnetGenerator(width=2, n_blocks=1, n_down=1)
        >>> D = lambda: models.PatchDiscriminator(width=2)
        >>> model = models.CycleGAN(G(), G(), D(), D())
        >>> a = -np.ones((8, 1, 8, 8), np.float32)
        >>> history = models.train_cyclegan(model, a, -a, epochs=1, batch_size=4, verbose=0)
        >>> len(history["g_loss"]), history["lr"]
        (1, [0.0002])
    """
    epochs, batch_size = int(epochs), int(batch_size)
    if epochs < 0 or batch_size < 1 or lr < 0:
        raise ValueError(f"train_cyclegan: need epochs >= 0, batch_size >= 1 and lr >= 0, got "
                         f"{epochs}, {batch_size} and {lr}")
    if decay_from is not None and not 0 <= decay_from <= epochs:
        raise ValueError(f"train_cyclegan: decay_from must be in [0, epochs={epochs}], got "
                         f"{decay_from}")
    xa = _domain("domain_a", domain_a, getattr(model.G_ab, "in_channels", None),
                 _dtype(model.G_ab))
    xb = _domain("domain_b", domain_b, getattr(model.G_ba, "in_channels", None),
                 _dtype(model.G_ba))
    rng = np.random.default_rng(seed)
    generators = [("G_ab", model.G_ab), ("G_ba", model.G_ba)]
    opt_g = optim.Adam([p for _, m in generators for p in m.parameters()], lr=lr, betas=betas)
    opt_d = optim.Adam(list(model.D_a.parameters()) + list(model.D_b.parameters()), lr=lr,
                       betas=betas)
    pool_a, pool_b = ImagePool(pool_size, rng), ImagePool(pool_size, rng)
    history = {key: [] for key in _HISTORY}
    n, step = max(len(xa), len(xb)), 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        rate = lr
        if decay_from is not None and epoch > decay_from:
            rate = lr * (1 - (epoch - decay_from) / (epochs - decay_from + 1))
        for group in opt_g.param_groups + opt_d.param_groups:
            group["lr"] = rate
        model.train()
        order_a, order_b = _cycled_order(rng, len(xa), n), _cycled_order(rng, len(xb), n)
        sums = {key: [] for key in _HISTORY[:7]}
        starts = range(0, n, batch_size)
        bar = _progress_bar(len(starts), f"Epoch {epoch}/{epochs}", verbose)
        for start in starts:
            step += 1
            real_a = Tensor(xa[order_a[start:start + batch_size]])
            real_b = Tensor(xb[order_b[start:start + batch_size]])
            model.D_a.requires_grad_(False)  # G's step: no gradients for D's weights
            model.D_b.requires_grad_(False)
            try:
                g_loss, parts, (fake_b, fake_a) = model._generator_terms(real_a, real_b)
                sums["g_loss"].append(_check("the generators", g_loss, epoch, step))
                _update(generators, opt_g, g_loss, epoch, step)
            finally:
                model.D_a.requires_grad_(True)
                model.D_b.requires_grad_(True)
            d_a = model.discriminator_loss(real_a, pool_a.query(fake_a.data), model.D_a)
            d_b = model.discriminator_loss(real_b, pool_b.query(fake_b.data), model.D_b)
            sums["d_a"].append(_check("the discriminator D_a", d_a, epoch, step))
            sums["d_b"].append(_check("the discriminator D_b", d_b, epoch, step))
            _update([("D_a", model.D_a), ("D_b", model.D_b)], opt_d, d_a + d_b, epoch, step)
            for key in ("adv_ab", "adv_ba"):
                sums[key].append(parts[key])
            sums["cycle"].append((parts["cycle_a"] + parts["cycle_b"]) / 2)
            sums["identity"].append((parts["identity_a"] + parts["identity_b"]) / 2)
            bar.update(1)
        bar.close()
        for key, values in sums.items():
            history[key].append(float(np.mean(values)))
        history["lr"].append(rate)
        history["time"].append(time.perf_counter() - started)
        if verbose:
            print(f"Epoch {epoch}/{epochs} - {history['time'][-1]:.1f}s - g_loss "
                  f"{history['g_loss'][-1]:.4f} - d_a {history['d_a'][-1]:.4f} - d_b "
                  f"{history['d_b'][-1]:.4f} - cycle {history['cycle'][-1]:.4f}",
                  file=sys.stdout, flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history


def translate(generator: Module, images: Any, batch_size: int = 256) -> np.ndarray:
    """generator(images) as an array, in batches, in eval mode and without a graph (the
    generator's mode is restored afterwards).

    Args:
        generator: e.g. a trained G_ab
        images: (N, C, H, W) in [-1, 1]
        batch_size: images a forward pass. Default: 256

    Example:
        >>> G = models.ResnetGenerator(width=2, n_blocks=1)
        >>> models.translate(G, np.zeros((3, 1, 28, 28))).shape
        (3, 1, 28, 28)
    """
    x = np.asarray(images.data if isinstance(images, Tensor) else images, dtype=_dtype(generator))
    _images("translate", x[:1] if len(x) else x)
    if len(x) == 0 or int(batch_size) < 1:
        raise ValueError(f"translate: need at least one image and batch_size >= 1, got "
                         f"{len(x)} images and batch_size={batch_size}")
    was_training = generator.training
    generator.eval()
    try:
        with no_grad():
            out = [generator(Tensor(x[i:i + batch_size])).numpy()
                   for i in range(0, len(x), int(batch_size))]
    finally:
        generator.train(was_training)
    return np.concatenate(out)

"""Training two players (敵対的生成ネットワーク, GAN; Goodfellow et al., 2014): a generator G
that turns noise z into examples and a discriminator D (a critic, for the Wasserstein
loss) that scores examples as real or generated. They take turns:

    D step:  minimise loss_D(D(x_real), D(G(z)))     (G held fixed: G(z) is detached)
    G step:  minimise loss_G(D(G(z)))                (D's weights are not updated)

D takes ``n_critic`` steps for each G step. The scores are logits (no sigmoid in D). The
losses, with r = D(x_real), f = D(G(z)), s = sigmoid, softplus(a) = log(1 + e^a):

    kind             loss_D                                  loss_G
    minimax          -log s(r) - log(1 - s(f))               log(1 - s(f)) = -softplus(f)
    non-saturating   (as minimax)                            -log s(f) = softplus(-f)
    hinge            relu(1 - r) + relu(1 + f)               -f
    least-squares    ((r - 1)^2 + f^2) / 2                   (f - 1)^2 / 2
    wasserstein      f - r                                   -f

(each a mean over the batch). Under minimax, G's gradient vanishes once D tells fakes
apart (log(1 - s(f)) is flat for f << 0), the notes' vanishing-gradient problem; the
non-saturating loss has the same fixed point and a strong gradient there. The Wasserstein
critic must be 1-Lipschitz: by clipping its weights (WGAN, ``clip_value``), by a gradient
penalty (WGAN-GP, ``gradient_penalty``), or by spectral normalisation
(``nn.utils.spectral_norm``).
"""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from manabu import backend
from manabu.autograd import Tensor, grad, no_grad
from manabu.functional.activation import relu, softplus
from manabu.train.fit import (
    NonFiniteGradientError, NonFiniteLossError, _first_non_finite_gradient, _progress_bar,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from manabu.nn.module import Module
    from manabu.optim.optimizer import Optimizer

__all__ = ["GAN_LOSSES", "discriminator_loss", "fit_gan", "generator_loss", "gradient_penalty"]

GAN_LOSSES = ("minimax", "non-saturating", "hinge", "least-squares", "wasserstein")


def _check_kind(kind):
    if kind not in GAN_LOSSES:
        raise ValueError(f"unknown GAN loss {kind!r}; choose from {', '.join(GAN_LOSSES)}")


def discriminator_loss(kind: str, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """D's loss for the scores (logits) of real and generated examples (see the module
    docstring's table).

    Example:
        >>> zero = manabu.tensor(np.zeros(4))
        >>> round(train.discriminator_loss("non-saturating", zero, zero).item(), 4)  # 2 log 2
        1.3863
    """
    _check_kind(kind)
    if kind in ("minimax", "non-saturating"):
        return softplus(-real_scores).mean() + softplus(fake_scores).mean()
    if kind == "hinge":
        return relu(1 - real_scores).mean() + relu(1 + fake_scores).mean()
    if kind == "least-squares":
        return 0.5 * ((real_scores - 1) * (real_scores - 1)).mean() \
            + 0.5 * (fake_scores * fake_scores).mean()
    return fake_scores.mean() - real_scores.mean()  # the critic's Wasserstein estimate, negated


def generator_loss(kind: str, fake_scores: Tensor) -> Tensor:
    """G's loss for D's scores (logits) of generated examples (the module docstring's table).

    Example:
        >>> round(train.generator_loss("minimax", manabu.tensor(np.zeros(4))).item(), 4)
        -0.6931
    """
    _check_kind(kind)
    if kind == "minimax":
        return -softplus(fake_scores).mean()  # log(1 - sigmoid(f))
    if kind == "non-saturating":
        return softplus(-fake_scores).mean()  # -log sigmoid(f)
    if kind == "least-squares":
        return 0.5 * ((fake_scores - 1) * (fake_scores - 1)).mean()
    return -fake_scores.mean()  # hinge and wasserstein


def gradient_penalty(critic: Module, real: Any, fake: Any, weight: float = 10.0,
                     generator: np.random.Generator | None = None) -> Tensor:
    """WGAN-GP's penalty (Gulrajani et al., 2017): weight * mean((|grad_x D(x_mix)| - 1)^2)
    at points x_mix = e x_real + (1 - e) x_fake on the lines between real and generated
    examples, e ~ U(0, 1) per example. The gradient is taken with create_graph=True, so the
    penalty's own gradient reaches D's parameters (double backward).

    Args:
        critic: D
        real: real examples (N, ...)
        fake: generated examples (N, ...), detached from G
        weight: lambda. Default: 10
        generator: draws e; None: manabu's global one. Default: None

    Example:
        >>> critic = nn.Linear(3, 1)
        >>> x = np.zeros((4, 3), dtype=np.float32)
        >>> penalty = train.gradient_penalty(critic, x, x + 1)
        >>> penalty.shape
        ()
    """
    real = real.data if isinstance(real, Tensor) else np.asarray(real)
    fake = fake.data if isinstance(fake, Tensor) else np.asarray(fake)
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty: real {real.shape} and fake {fake.shape} must have "
                         "the same shape")
    n = real.shape[0]
    rng = generator if generator is not None else _global_rng()
    e = rng.uniform(size=(n,) + (1,) * (real.ndim - 1)).astype(real.dtype)
    mixed = Tensor(e * real + (1 - e) * fake, requires_grad=True)
    (slopes,) = grad(critic(mixed).sum(), mixed, create_graph=True)
    # |grad| per example; the 1e-12 keeps the gradient of sqrt finite where a slope is 0
    norms = ((slopes * slopes).reshape((n, -1)).sum(axis=1) + 1e-12).sqrt()  # (N,)
    return weight * ((norms - 1) * (norms - 1)).mean()


def _global_rng():
    from manabu.random import get_generator

    return get_generator()


def _check_finite(player, what, value, epoch, step):
    if not math.isfinite(value):
        raise NonFiniteLossError(
            f"fit_gan: the {player}'s {what} became {value} at epoch {epoch}, step {step}; "
            "the weights were not updated with it. Lower the learning rates, or check the "
            "data for NaN/inf")


def _step(player, model, optimizer, loss, epoch, step):
    """backward + the non-finite gradient check + the update of one player."""
    optimizer.zero_grad()
    loss.backward()
    bad = _first_non_finite_gradient(list(model.named_parameters()))
    if bad is not None:
        raise NonFiniteGradientError(
            f"fit_gan: the {player}'s gradient of {bad!r} holds NaN or inf at epoch {epoch}, "
            f"step {step}; its weights were not updated")
    optimizer.step()


def fit_gan(generator: Module, discriminator: Module, g_optimizer: Optimizer,
            d_optimizer: Optimizer, data: Any, latent_dim: int, epochs: int = 1,
            batch_size: int = 64, loss: str = "non-saturating", n_critic: int = 1,
            gp_weight: float = 0.0, clip_value: float | None = None, seed: int = 0,
            verbose: int = 1,
            on_epoch_end: Callable[[int, dict[str, list]], None] | None = None
            ) -> dict[str, list]:
    """Train G and D in turns (the module docstring has the losses).

    Each batch of real examples gives D one step; every ``n_critic``-th batch G takes one
    too. ``gp_weight`` > 0 adds WGAN-GP's gradient penalty to D's loss; ``clip_value``
    clips D's weights to [-c, c] after each of its steps (the original WGAN). A NaN or
    infinite loss or gradient stops training before the update, naming the player and the
    step.

    Args:
        generator: G, mapping z (B, latent_dim) to examples
        discriminator: D, mapping examples to scores (B,) or (B, 1), logits
        g_optimizer: G's optimizer
        d_optimizer: D's optimizer
        data: the real examples (N, ...) as an array
        latent_dim: the size of z
        epochs: passes over the data. Default: 1
        batch_size: examples per step. Default: 64
        loss: one of GAN_LOSSES. Default: 'non-saturating'
        n_critic: D steps per G step, >= 1. Default: 1
        gp_weight: the gradient penalty's lambda; 0: none. Default: 0
        clip_value: WGAN weight clipping of D; None: none. Default: None
        seed: shuffling, z and the penalty's mixing. Default: 0
        verbose: 0 silent, 1 a progress bar (on a terminal) and a line per epoch. Default: 1
        on_epoch_end: called as on_epoch_end(epoch, history) after each epoch. Default: None

    Returns:
        the history: per epoch, the mean "d_loss" and "g_loss" (and "gradient_penalty"),
        and "time"

    Example:
        >>> G, D = nn.Linear(2, 2), nn.Linear(2, 1)
        >>> x = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
        >>> history = train.fit_gan(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()),
        ...                         x, latent_dim=2, epochs=2, batch_size=32, verbose=0)
        >>> sorted(history), len(history["d_loss"])
        (['d_loss', 'g_loss', 'gradient_penalty', 'time'], 2)
    """
    _check_kind(loss)
    if int(n_critic) < 1:
        raise ValueError(f"fit_gan: n_critic must be at least 1, got {n_critic}")
    real = np.asarray(data.data if isinstance(data, Tensor) else data)
    if len(real) < 1:
        raise ValueError("fit_gan: data holds no examples")
    rng = np.random.default_rng(seed)
    dtype = backend.get_default_dtype()
    history = {"d_loss": [], "g_loss": [], "gradient_penalty": [], "time": []}
    step = 0
    for epoch in range(1, int(epochs) + 1):
        started = time.perf_counter()
        generator.train()
        discriminator.train()
        order = rng.permutation(len(real))
        sums = {"d_loss": [], "g_loss": [], "gradient_penalty": []}
        starts = range(0, len(real), batch_size)
        bar = _progress_bar(len(starts), f"Epoch {epoch}/{epochs}", verbose)
        for i, start in enumerate(starts):
            step += 1
            batch = Tensor(real[order[start:start + batch_size]])
            z = Tensor(rng.standard_normal((len(batch), latent_dim)).astype(dtype))
            with no_grad():
                fake = generator(z)
            d_loss = discriminator_loss(loss, discriminator(batch), discriminator(fake))
            penalty = 0.0
            if gp_weight > 0:
                gp = gradient_penalty(discriminator, batch, fake, gp_weight, rng)
                penalty = float(gp.data)
                d_loss = d_loss + gp
            _check_finite("discriminator", "loss", float(d_loss.data), epoch, step)
            _step("discriminator", discriminator, d_optimizer, d_loss, epoch, step)
            if clip_value is not None:
                for p in discriminator.parameters():
                    np.clip(p.data, -clip_value, clip_value, out=p.data)
            sums["d_loss"].append(float(d_loss.data))
            sums["gradient_penalty"].append(penalty)
            if (i + 1) % int(n_critic) == 0:
                z = Tensor(rng.standard_normal((len(batch), latent_dim)).astype(dtype))
                g_loss = generator_loss(loss, discriminator(generator(z)))
                _check_finite("generator", "loss", float(g_loss.data), epoch, step)
                _step("generator", generator, g_optimizer, g_loss, epoch, step)
                sums["g_loss"].append(float(g_loss.data))
            bar.update(1)
        bar.close()
        for key, values in sums.items():
            history[key].append(float(np.mean(values)) if values else math.nan)
        history["time"].append(time.perf_counter() - started)
        if verbose:
            print(f"Epoch {epoch}/{epochs} - {history['time'][-1]:.1f}s - d_loss "
                  f"{history['d_loss'][-1]:.4f} - g_loss {history['g_loss'][-1]:.4f}",
                  file=sys.stdout, flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history

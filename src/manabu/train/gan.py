"""The two-player loop: G and D take turns (the losses and their table: gan_losses.py).

Each batch of real examples gives D one step; every ``n_critic``-th batch G takes one:

    D step:  minimise loss_D(D(T(x_real)), D(T(G(z))))  [+ penalty, + consistency]
    G step:  minimise loss_G(D(T(G(z))))

T is an optional differentiable augmentation (DiffAugment, or ADA's with probability p),
applied to real and generated examples alike so that D never sees the augmented
distribution as the real one while G still gets gradients through it. APA instead shows
D some generated examples as real, with an adaptive probability. A conditional pair gets
``data=(x, labels)``: G(z, y) and D(x, y), with the batch's own labels for the fakes.

A run can be checkpointed after every epoch and resumed exactly: both networks, both
optimizers, the loop's random generator, manabu's (dropout), the adaptive augmentation's
state, the step count and the history go into one atomic file.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from manabu import backend, io, random
from manabu.autograd import Tensor, no_grad
from manabu.train.fit import (
    NonFiniteGradientError, NonFiniteLossError, _first_non_finite_gradient, _progress_bar,
)
from manabu.train.gan_augment import consistency_loss
from manabu.train.gan_losses import (
    GAN_LOSSES, _check_kind, discriminator_loss, generator_loss, gradient_penalty,
)
from manabu.train.state import join_arrays, split_arrays

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from manabu.nn.module import Module
    from manabu.optim.optimizer import Optimizer

__all__ = ["GAN_LOSSES", "discriminator_loss", "fit_gan", "generator_loss", "gradient_penalty",
           "load_gan_state", "save_gan_state"]

_HISTORY_KEYS = ("d_loss", "g_loss", "gradient_penalty", "consistency", "real_score",
                 "fake_score", "p", "time")


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


def _stateful(*objects):
    """The named objects that keep a state of their own (ADA's and APA's p)."""
    return {name: obj for name, obj in objects if obj is not None and hasattr(obj, "state_dict")}


def save_gan_state(path: str | os.PathLike[str], generator: Module, discriminator: Module,
                   g_optimizer: Optimizer, d_optimizer: Optimizer, loop: dict[str, Any],
                   extras: dict[str, Any] | None = None) -> None:
    """Write a GAN run's state after an epoch, atomically (what ``fit_gan`` resumes from).

    Args:
        path: the .safetensors file
        generator: G
        discriminator: D
        g_optimizer: G's optimizer
        d_optimizer: D's optimizer
        loop: the loop's JSON state: epoch, step, history, its generator's state
        extras: objects with state_dict() (adaptive augmentation), by name. Default: None

    Example:
        >>> import os, tempfile
        >>> G, D = nn.Linear(2, 2), nn.Linear(2, 1)
        >>> g_opt, d_opt = optim.Adam(G.parameters()), optim.Adam(D.parameters())
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "gan.safetensors")
        ...     train.save_gan_state(path, G, D, g_opt, d_opt, {"epoch": 3})
        ...     train.load_gan_state(path, G, D, g_opt, d_opt)["epoch"]
        3
    """
    arrays = {f"generator/{k}": np.asarray(v) for k, v in generator.state_dict().items()}
    arrays.update({f"discriminator/{k}": np.asarray(v)
                   for k, v in discriminator.state_dict().items()})
    state = {
        "loop": loop,
        "g_optimizer": split_arrays(g_optimizer.state_dict(), "g_optimizer", arrays),
        "d_optimizer": split_arrays(d_optimizer.state_dict(), "d_optimizer", arrays),
        "random": random.get_generator().bit_generator.state,
        "extras": {name: obj.state_dict() for name, obj in (extras or {}).items()},
    }
    io.save_checkpoint(path, arrays, state)


def load_gan_state(path: str | os.PathLike[str], generator: Module, discriminator: Module,
                   g_optimizer: Optimizer, d_optimizer: Optimizer,
                   extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """Restore what ``save_gan_state`` wrote, in place; returns the loop's state.

    Args:
        path: the checkpoint
        generator: G, of the saved architecture
        discriminator: D, of the saved architecture
        g_optimizer: G's optimizer, of the saved type
        d_optimizer: D's optimizer, of the saved type
        extras: the objects saved as extras, by name. Default: None
    """
    arrays, state = io.load_checkpoint(path)
    if not isinstance(state, dict) or "g_optimizer" not in state:
        raise io.CheckpointError(f"{path} is not a GAN checkpoint (fit_gan's checkpoint=)")
    for prefix, model in (("generator/", generator), ("discriminator/", discriminator)):
        model.load_state_dict({k[len(prefix):]: v for k, v in arrays.items()
                               if k.startswith(prefix)})
    g_optimizer.load_state_dict(join_arrays(state["g_optimizer"], arrays))
    d_optimizer.load_state_dict(join_arrays(state["d_optimizer"], arrays))
    random.get_generator().bit_generator.state = state["random"]
    for name, obj in (extras or {}).items():
        if name in state["extras"]:
            obj.load_state_dict(state["extras"][name])
    return state["loop"]


def _split_data(data):
    """(examples, labels or None) as arrays."""
    labels = None
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError("fit_gan: data must be the examples, or (examples, labels)")
        data, labels = data
        labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    real = np.asarray(data.data if isinstance(data, Tensor) else data)
    if len(real) < 1:
        raise ValueError("fit_gan: data holds no examples")
    if labels is not None and labels.shape != (len(real),):
        raise ValueError(f"fit_gan: labels must be (N,) = ({len(real)},), got {labels.shape}")
    return real, labels


def fit_gan(generator: Module, discriminator: Module, g_optimizer: Optimizer,
            d_optimizer: Optimizer, data: Any, latent_dim: int | None = None, epochs: int = 1,
            batch_size: int = 64, loss: str = "non-saturating", n_critic: int = 1,
            gp_weight: float = 0.0, clip_value: float | None = None, augment: Any = None,
            consistency_weight: float = 0.0, apa: Any = None,
            checkpoint: str | os.PathLike[str] | None = None,
            resume: str | os.PathLike[str] | None = None, seed: int = 0, verbose: int = 1,
            on_epoch_end: Callable[[int, dict[str, list]], None] | None = None
            ) -> dict[str, list]:
    """Train G and D in turns (the module docstring; the losses are in gan_losses.py).

    ``gp_weight`` > 0 adds WGAN-GP's gradient penalty to D's loss; ``clip_value`` clips D's
    weights to [-c, c] after each of its steps (the original WGAN). A NaN or infinite loss
    or gradient stops training before the update, naming the player and the step.

    Args:
        generator: G, mapping z (B, latent_dim) [and labels] to examples
        discriminator: D, mapping examples [and labels] to scores (B,) or (B, 1), logits
        g_optimizer: G's optimizer
        d_optimizer: D's optimizer
        data: the real examples (N, ...), or (examples, labels (N,)) for a conditional pair
        latent_dim: the size of z; None: ``generator.latent_dim``. Default: None
        epochs: the last epoch to train (a resumed run goes on from its own). Default: 1
        batch_size: examples per step. Default: 64
        loss: one of GAN_LOSSES. Default: 'non-saturating'
        n_critic: D steps per G step, >= 1. Default: 1
        gp_weight: the gradient penalty's lambda; 0: none. Default: 0
        clip_value: WGAN weight clipping of D; None: none. Default: None
        augment: T, called as augment(x, generator=rng) on every example D sees
            (``gan_augment.DiffAugment`` or ``ADA``, whose p follows D's real scores).
            Default: None
        consistency_weight: bCR's lambda: D(x) and D(T(x)) are pulled together for real
            and generated x (needs ``augment``; D itself then sees unaugmented examples).
            Default: 0
        apa: ``gan_augment.APA``: generated examples shown to D as real. Default: None
        checkpoint: a file written (atomically) after every epoch. Default: None
        resume: a checkpoint to continue from (the same models and options). Default: None
        seed: shuffling, z, the penalty's mixing and the augmentations. Default: 0
        verbose: 0 silent, 1 a progress bar (on a terminal) and a line per epoch. Default: 1
        on_epoch_end: called as on_epoch_end(epoch, history) after each epoch. Default: None

    Returns:
        the history: per epoch the means of "d_loss", "g_loss", "gradient_penalty",
        "consistency", "real_score" and "fake_score" (D's mean scores), "p" (the adaptive
        augmentation's probability at the epoch's end, NaN without one) and "time"

    Example:
        >>> G, D = nn.Linear(2, 2), nn.Linear(2, 1)
        >>> x = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
        >>> history = train.fit_gan(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()),
        ...                         x, latent_dim=2, epochs=2, batch_size=32, verbose=0)
        >>> len(history["d_loss"]), len(history["g_loss"])
        (2, 2)
    """
    _check_kind(loss)
    if int(n_critic) < 1:
        raise ValueError(f"fit_gan: n_critic must be at least 1, got {n_critic}")
    if consistency_weight > 0 and augment is None:
        raise ValueError("fit_gan: consistency_weight needs augment= (the T of D(x) vs "
                         "D(T(x))), e.g. gan_augment.DiffAugment()")
    if latent_dim is None:
        latent_dim = getattr(generator, "latent_dim", None)
        if latent_dim is None:
            raise ValueError("fit_gan: pass latent_dim (the generator has no latent_dim)")
    real, labels = _split_data(data)
    rng = np.random.default_rng(seed)
    dtype = backend.get_default_dtype()
    extras = _stateful(("augment", augment), ("apa", apa))
    history = {key: [] for key in _HISTORY_KEYS}
    first_epoch, step = 1, 0
    if resume is not None:
        loop = load_gan_state(resume, generator, discriminator, g_optimizer, d_optimizer,
                              extras)
        first_epoch, step, history = loop["epoch"] + 1, loop["step"], loop["history"]
        rng.bit_generator.state = loop["rng"]
    adaptive = augment if hasattr(augment, "observe") else None

    def G(z, y):
        return generator(z) if y is None else generator(z, y)

    def D(x, y):
        return discriminator(x) if y is None else discriminator(x, y)

    def seen(x):  # what D looks at: T(x), unless bCR keeps T for its consistency term
        return augment(x, generator=rng) if augment is not None and consistency_weight <= 0 \
            else x

    for epoch in range(first_epoch, int(epochs) + 1):
        started = time.perf_counter()
        generator.train()
        discriminator.train()
        order = rng.permutation(len(real))
        sums = {key: [] for key in _HISTORY_KEYS[:-2]}
        starts = range(0, len(real), batch_size)
        bar = _progress_bar(len(starts), f"Epoch {epoch}/{epochs}", verbose)
        for i, start in enumerate(starts):
            step += 1
            index = order[start:start + batch_size]
            y = None if labels is None else labels[index]
            z = Tensor(rng.standard_normal((len(index), latent_dim)).astype(dtype))
            with no_grad():
                fake = G(z, y)
            batch = Tensor(real[index])
            if apa is not None:
                batch = Tensor(apa.present(batch, fake, generator=rng))
            real_scores, fake_scores = D(seen(batch), y), D(seen(fake), y)
            d_loss = discriminator_loss(loss, real_scores, fake_scores)
            extra = {"gradient_penalty": 0.0, "consistency": 0.0}
            if gp_weight > 0:
                gp = gradient_penalty(lambda x: D(x, y), batch, fake, gp_weight, rng)
                extra["gradient_penalty"] = float(gp.data)
                d_loss = d_loss + gp
            if consistency_weight > 0:
                cr = consistency_loss(lambda x: D(x, y), batch, augment, consistency_weight,
                                      generator=rng) \
                    + consistency_loss(lambda x: D(x, y), fake, augment, consistency_weight,
                                       generator=rng)
                extra["consistency"] = float(cr.data)
                d_loss = d_loss + cr
            _check_finite("discriminator", "loss", float(d_loss.data), epoch, step)
            _step("discriminator", discriminator, d_optimizer, d_loss, epoch, step)
            if clip_value is not None:
                for p in discriminator.parameters():
                    np.clip(p.data, -clip_value, clip_value, out=p.data)
            scores = np.asarray(real_scores.data).reshape(-1)
            for watcher in (adaptive, apa):
                if watcher is not None:
                    watcher.observe(scores)
            sums["d_loss"].append(float(d_loss.data))
            sums["real_score"].append(float(scores.mean()))
            sums["fake_score"].append(float(np.mean(fake_scores.data)))
            for key, value in extra.items():
                sums[key].append(value)
            if (i + 1) % int(n_critic) == 0:
                z = Tensor(rng.standard_normal((len(index), latent_dim)).astype(dtype))
                g_loss = generator_loss(loss, D(seen(G(z, y)), y))
                _check_finite("generator", "loss", float(g_loss.data), epoch, step)
                _step("generator", generator, g_optimizer, g_loss, epoch, step)
                sums["g_loss"].append(float(g_loss.data))
            bar.update(1)
        bar.close()
        for key, values in sums.items():
            history[key].append(float(np.mean(values)) if values else math.nan)
        watcher = adaptive if adaptive is not None else apa
        history["p"].append(float(watcher.p) if watcher is not None else math.nan)
        history["time"].append(time.perf_counter() - started)
        if checkpoint is not None:
            loop = {"epoch": epoch, "step": step, "history": history,
                    "rng": rng.bit_generator.state}
            save_gan_state(checkpoint, generator, discriminator, g_optimizer, d_optimizer,
                           loop, extras)
        if verbose:
            print(f"Epoch {epoch}/{epochs} - {history['time'][-1]:.1f}s - d_loss "
                  f"{history['d_loss'][-1]:.4f} - g_loss {history['g_loss'][-1]:.4f}",
                  file=sys.stdout, flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history

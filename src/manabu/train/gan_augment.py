"""Augmentation for GANs trained on little data: with a few thousand images D memorises the
training set, its judgement stops generalising and G's gradient turns to noise. Four
remedies, usable with any generator and discriminator through ``fit_gan``:

    DiffAugment  (Zhao et al., 2020) the same random, differentiable transformation T
                 (colour, translation, cutout) on every image D sees, real and generated,
                 in both players' steps: D never learns that T(x) is "real", and G's
                 gradient passes through T
    ADA          (Karras et al., 2020) T applied to each image with a probability p that
                 follows D's overfitting: r_t = E[sign(D(x_real))] is near 0 when D cannot
                 tell, near 1 when it is sure of every real image; every ``interval``
                 steps p += sign(r_t - target) * (images seen) / speed, clipped to [0, 1]
    bCR          (Zhao et al., 2021) D sees unaugmented images, plus a penalty
                 lambda * |D(x) - D(T(x))|^2 for real and generated x: consistent scores
                 under T (``consistency_loss``; balanced: both kinds of x). ICR, the
                 paper's "improved" CR, adds zCR (G's outputs kept apart for nearby z),
                 which is not here
    APA          (Jiang et al., 2021) each real image of D's batch is replaced by a
                 generated one, shown as real, with an adaptive probability p (the rule
                 of ADA): D's confidence is deceived before it overfits

Every transformation is built from manabu's differentiable ops on Tensors (N, C, H, W); its
randomness, per image, comes from the ``generator`` it is given.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from manabu.autograd import Tensor
from manabu.functional.shape import getitem, pad, transpose

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["ADA", "APA", "DiffAugment", "consistency_loss", "diff_augment"]

POLICIES = ("color", "translation", "cutout")


def _rng(generator):
    if generator is not None:
        return generator
    from manabu.random import get_generator

    return get_generator()


def _constant(values, like):
    return Tensor(np.asarray(values, dtype=like.dtype))


def _color(x, rng):
    """brightness + U(-0.5, 0.5); saturation (x - mean_c) U(0, 2) + mean_c; contrast
    (x - mean) U(0.5, 1.5) + mean; one draw of each per image."""
    n = x.shape[0]
    x = x + _constant(rng.uniform(-0.5, 0.5, (n, 1, 1, 1)), x)
    mean = x.mean(axis=1, keepdims=True)  # (N, 1, H, W)
    x = (x - mean) * _constant(rng.uniform(0, 2, (n, 1, 1, 1)), x) + mean
    mean = x.mean(axis=(1, 2, 3), keepdims=True)  # (N, 1, 1, 1)
    return (x - mean) * _constant(rng.uniform(0.5, 1.5, (n, 1, 1, 1)), x) + mean


def translation_shifts(n: int, size: tuple[int, int], rng: np.random.Generator,
                       ratio: float = 0.125) -> np.ndarray:
    """(N, 2) integer shifts (down, right) in [-ratio*H, ratio*H] x [-ratio*W, ratio*W]."""
    limits = [int(s * ratio + 0.5) for s in size]
    return np.stack([rng.integers(-m, m + 1, n) for m in limits], axis=1)


def _translation(x, rng):
    """Each image moved by up to 1/8 of its size, zeros filling in: a gather from the
    zero-padded batch, so its gradient is a scatter back."""
    n, _, h, w = x.shape
    shifts = translation_shifts(n, (h, w), rng)
    ph, pw = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
    padded = pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # (N, C, H + 2ph, W + 2pw)
    rows = np.arange(h)[None, :] + ph - shifts[:, :1]  # (N, H): source row of each output row
    cols = np.arange(w)[None, :] + pw - shifts[:, 1:]  # (N, W)
    index = (np.arange(n)[:, None, None], slice(None), rows[:, :, None], cols[:, None, :])
    moved = getitem(padded, index)  # (N, H, W, C): NumPy puts the advanced axes first
    return transpose(moved, (0, 3, 1, 2))  # (N, C, H, W)


def cutout_masks(n: int, size: tuple[int, int], rng: np.random.Generator,
                 ratio: float = 0.5) -> np.ndarray:
    """(N, 1, H, W) masks of ones with a zero square of ratio*H x ratio*W per image,
    centred anywhere (clipped at the borders)."""
    h, w = size
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = rng.integers(0, h + 1 - ch % 2, n) - ch // 2
    left = rng.integers(0, w + 1 - cw % 2, n) - cw // 2
    r, c = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    inside = ((r >= top[:, None, None]) & (r < top[:, None, None] + ch)
              & (c >= left[:, None, None]) & (c < left[:, None, None] + cw))
    return (~inside)[:, None].astype(np.float64)


def _cutout(x, rng):
    return x * _constant(cutout_masks(x.shape[0], x.shape[2:], rng), x)


_TRANSFORMS = {"color": _color, "translation": _translation, "cutout": _cutout}


def _policy(name, policy):
    """The policy as a tuple of names; a string is split at commas, as in the paper's code
    ('color,translation,cutout')."""
    if isinstance(policy, str):
        policy = [part.strip() for part in policy.split(",") if part.strip()]
    policy = tuple(policy)
    unknown = [p for p in policy if p not in _TRANSFORMS]
    if unknown:
        raise ValueError(f"{name}: unknown policy {unknown[0]!r}; choose among "
                         f"{', '.join(POLICIES)}")
    return policy


def _check(name, x):
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if x.ndim != 4:
        raise ValueError(f"{name}: images must be (N, C, H, W), got shape {x.shape}; "
                         "give a batch axis and a channel axis, e.g. x.reshape(N, 1, H, W)")
    return x


def diff_augment(x: Any, policy: Sequence[str] = POLICIES,
                 generator: np.random.Generator | None = None) -> Tensor:
    """DiffAugment's T: the transformations of ``policy`` in turn, differentiable in x.

    Args:
        x: images (N, C, H, W), a Tensor (or an array)
        policy: names among 'color', 'translation', 'cutout' (or one string of them,
            comma-separated, as in the paper's code). Default: all three
        generator: the random draws; None: manabu's global generator. Default: None

    Example:
        >>> x = manabu.tensor(np.ones((2, 1, 8, 8)), requires_grad=True)
        >>> y = train.diff_augment(x, ("cutout",), np.random.default_rng(0))
        >>> y.shape, int((y.numpy() == 0).sum()) <= 32   # a 4x4 square per image, at most
        ((2, 1, 8, 8), True)
    """
    policy = _policy("diff_augment", policy)
    x = _check("diff_augment", x)
    rng = _rng(generator)
    for name in policy:
        x = _TRANSFORMS[name](x, rng)
    return x


class DiffAugment:
    """DiffAugment as fit_gan's ``augment``: T on every image D sees, always (p = 1).

    Args:
        policy: names among 'color', 'translation', 'cutout' (or one string of them,
            comma-separated, as in the paper's code). Default: all three

    Example:
        >>> T = train.DiffAugment(("translation",))
        >>> T(np.zeros((3, 1, 8, 8)), generator=np.random.default_rng(0)).shape
        (3, 1, 8, 8)
    """

    p = 1.0

    def __init__(self, policy: Sequence[str] = POLICIES) -> None:
        self.policy = _policy("DiffAugment", policy)

    def __call__(self, x: Any, generator: np.random.Generator | None = None) -> Tensor:
        return diff_augment(x, self.policy, generator)


class _AdaptiveP:
    """The probability p of ADA and APA, steered by r_t = E[sign(D(x_real))]."""

    def __init__(self, name: str, target: float, interval: int, speed: float,
                 p: float) -> None:
        if not 0 < target < 1:
            raise ValueError(f"{name}: target must be in (0, 1), got {target}")
        if not 0 <= p <= 1:
            raise ValueError(f"{name}: p must be in [0, 1], got {p}")
        if int(interval) < 1 or speed <= 0:
            raise ValueError(f"{name}: interval must be >= 1 and speed > 0, got {interval} "
                             f"and {speed}")
        self.target, self.interval, self.speed = float(target), int(interval), float(speed)
        self.p, self.r_t = float(p), math.nan
        self.p_history = []
        self._signs, self._seen, self._calls = 0.0, 0, 0

    def observe(self, real_scores: Any) -> None:
        """Take D's scores (logits) of a batch of real images; every ``interval`` calls,
        p moves by sign(r_t - target) * (images seen) / speed, clipped to [0, 1].

        Args:
            real_scores: D's scores of the real batch (N,)
        """
        scores = np.asarray(real_scores.data if isinstance(real_scores, Tensor)
                            else real_scores, dtype=np.float64).reshape(-1)  # (N,)
        if scores.size == 0:
            raise ValueError(f"{type(self).__name__}.observe: got no scores; pass D's "
                             "scores of the real batch, (N,) or (N, 1)")
        self._signs += float(np.sign(scores).sum())
        self._seen += scores.size
        self._calls += 1
        if self._calls % self.interval == 0:
            self.r_t = self._signs / self._seen
            step = np.sign(self.r_t - self.target) * self._seen / self.speed
            self.p = float(np.clip(self.p + step, 0.0, 1.0))
            self.p_history.append(self.p)
            self._signs, self._seen = 0.0, 0

    def state_dict(self) -> dict[str, Any]:
        """p, r_t, the running sums and p's history: what a resumed run needs."""
        return {"p": self.p, "r_t": self.r_t, "signs": self._signs, "seen": self._seen,
                "calls": self._calls, "p_history": list(self.p_history)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned.

        Args:
            state: a state_dict
        """
        self.p, self.r_t = float(state["p"]), float(state["r_t"])
        self._signs, self._seen = float(state["signs"]), int(state["seen"])
        self._calls, self.p_history = int(state["calls"]), list(state["p_history"])


class ADA(_AdaptiveP):
    """Adaptive discriminator augmentation: each transformation applied to each image with
    probability p, and p steered toward D's overfitting ``target`` (the module docstring).

    Per transformation of ``policy``, a per-image Bernoulli(p) mask m (N, 1, 1, 1) is drawn,
    then T's own draws, and x <- T(x) m + x (1 - m): differentiable in x, and exact (m is 0
    or 1). At p = 1 no mask is drawn, so ADA(p=1) is ``diff_augment`` with the same draws;
    at p = 0 it is the identity.

    Args:
        policy: names among 'color', 'translation', 'cutout' (or one string of them,
            comma-separated, as in the paper's code). Default: all three
        target: the r_t to hold (the paper's 0.6). Default: 0.6
        interval: D steps between updates of p. Default: 4
        speed: images to see for p to move by 1 (the paper's ada_kimg * 1000: 500k for
            runs of ~10^7 images). manabu's CPU runs see 10^4-10^5 images, so 20,000: with
            batch 64 and interval 4 each update moves p by 0.0128, and p can go from 0 to
            1 in 20 epochs of 1,000 images. Default: 20,000
        p: the starting probability. Default: 0

    Example:
        >>> ada = train.ADA(interval=1, speed=100)
        >>> ada.observe(np.ones(10))     # D sure of every real image: r_t = 1 > 0.6
        >>> ada.p
        0.1
    """

    def __init__(self, policy: Sequence[str] = POLICIES, target: float = 0.6,
                 interval: int = 4, speed: float = 20_000, p: float = 0.0) -> None:
        self.policy = _policy("ADA", policy)
        super().__init__("ADA", target, interval, speed, p)

    def __call__(self, x: Any, generator: np.random.Generator | None = None) -> Tensor:
        x = _check("ADA", x)
        rng = _rng(generator)
        for name in self.policy:
            if self.p >= 1:  # every image: no mask to draw, so T's draws are DiffAugment's
                x = _TRANSFORMS[name](x, rng)
                continue
            chosen = (rng.uniform(size=(x.shape[0], 1, 1, 1)) < self.p).astype(np.float64)
            if chosen.any():
                m = _constant(chosen, x)  # (N, 1, 1, 1): 1 where this image is transformed
                x = _TRANSFORMS[name](x, rng) * m + x * (1 - m)
        return x


class APA(_AdaptiveP):
    """Adaptive pseudo augmentation: generated images shown to D as real, each in place of
    a real one with probability p (steered as ADA's; the module docstring).

    Args:
        target: the r_t to hold. Default: 0.6
        interval: D steps between updates of p. Default: 4
        speed: images to see for p to move by 1. Default: 20,000
        p: the starting probability. Default: 0

    Example:
        >>> apa = train.APA(p=1.0)
        >>> apa.present(np.zeros((2, 1)), np.ones((2, 1))).ravel().tolist()
        [1.0, 1.0]
    """

    def __init__(self, target: float = 0.6, interval: int = 4, speed: float = 20_000,
                 p: float = 0.0) -> None:
        super().__init__("APA", target, interval, speed, p)

    def present(self, real: Any, fake: Any,
                generator: np.random.Generator | None = None) -> np.ndarray:
        """The real batch, each image replaced by its generated counterpart with
        probability p (the fakes are used as data: no gradient reaches G).

        Args:
            real: the real images (N, ...)
            fake: as many generated images (N, ...)
            generator: the draws; None: manabu's global generator. Default: None
        """
        real = np.asarray(real.data if isinstance(real, Tensor) else real)
        fake = np.asarray(fake.data if isinstance(fake, Tensor) else fake)
        if real.shape != fake.shape:
            raise ValueError(f"APA.present: real {real.shape} and fake {fake.shape} must have "
                             "the same shape")
        swap = _rng(generator).uniform(size=len(real)) < self.p  # (N,)
        swap = swap.reshape((-1,) + (1,) * (real.ndim - 1))  # (N, 1, ...): per image
        return np.where(swap, fake, real)


def consistency_loss(discriminator: Callable[[Tensor], Tensor], x: Any, augment: Any,
                     weight: float = 10.0,
                     generator: np.random.Generator | None = None) -> Tensor:
    """bCR's term for one kind of images: weight * mean over the batch of
    (D(x) - D(T(x)))^2, summed over D's outputs per image.

    Balanced consistency regularisation adds two of these to D's loss, one per kind:

        L_D + lambda_real |D(x) - D(T(x))|^2 + lambda_fake |D(G(z)) - D(T(G(z)))|^2

    with G(z) detached (only D is regularised). Both D(x) and D(T(x)) carry gradient.

    Args:
        discriminator: D (for a conditional D, a function x -> D(x, labels))
        x: real or generated images (N, C, H, W), as D sees them
        augment: T, e.g. DiffAugment()
        weight: lambda (the paper's 10 for real, 10 for fake). Default: 10
        generator: T's draws. Default: None

    Example:
        >>> D = nn.Sequential(nn.Flatten(), nn.Linear(64, 1))
        >>> x = np.ones((2, 1, 8, 8), np.float32)
        >>> loss = train.consistency_loss(D, x, train.DiffAugment(), 10.0)
        >>> loss.shape, loss.item() >= 0
        ((), True)
    """
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    d = discriminator(x) - discriminator(augment(x, generator=generator))
    per_image = (d * d).reshape((x.shape[0], -1)).sum(axis=1)  # (N, outputs) -> (N,)
    return weight * per_image.mean()

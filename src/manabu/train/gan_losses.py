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

from typing import TYPE_CHECKING, Any

import numpy as np

from manabu.autograd import Tensor, grad
from manabu.functional.activation import relu, softplus

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["GAN_LOSSES", "discriminator_loss", "generator_loss", "gradient_penalty"]

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


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Any, fake: Any,
                     weight: float = 10.0, generator: np.random.Generator | None = None) -> Tensor:
    """WGAN-GP's penalty (Gulrajani et al., 2017): weight * mean((|grad_x D(x_mix)| - 1)^2)
    at points x_mix = e x_real + (1 - e) x_fake on the lines between real and generated
    examples, e ~ U(0, 1) per example. The gradient is taken with create_graph=True, so the
    penalty's own gradient reaches D's parameters (double backward).

    Args:
        critic: D (for a conditional D, a function x -> D(x, labels))
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

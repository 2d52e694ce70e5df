"""Dropout (ドロップアウト): randomly silence units while training, a regulariser against
過学習 (overfitting). manabu uses inverted dropout: kept units are scaled by 1 / (1 - p) at
training time, so evaluation is the identity and needs no rescaling.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from manabu import backend
from manabu.autograd import Function
from manabu.functional.activation import SELU_ALPHA, SELU_SCALE
from manabu.random import get_generator
from manabu.tensor import unwrap

if TYPE_CHECKING:
    import numpy as np

    from manabu.tensor import Tensor


class Dropout(Function):
    """y = x * mask, mask = keep / (1 - p) with keep ~ Bernoulli(1 - p) per element;
    gx = gy * mask (the same mask as the forward)"""

    twice_differentiable = True

    def __init__(self, mask):
        self.mask = mask  # 0 or 1 / (1 - p) per element, in x's dtype

    def forward(self, x):
        self.save_for_backward(self.mask)
        return x * self.mask

    def backward(self, gy, xp):
        (mask,) = self.saved
        return gy * mask


class AlphaDropout(Function):
    """Dropout for SELU networks: dropped units are set to the SELU saturation a' = -1.7581,
    then an affine map keeps mean 0 and variance 1:
        y = A * (x * keep + a' * (1 - keep)) + B;  gx = gy * A * keep"""

    twice_differentiable = True

    def __init__(self, keep, saturation, a, b):
        self.keep = keep  # boolean: True where the unit survives
        self.saturation = saturation  # a', the value of a dropped unit
        self.a, self.b = a, b  # the affine map that restores mean 0 and variance 1

    def forward(self, x):
        keep = self.keep.astype(x.dtype)  # 1.0 where the unit survives, else 0.0
        self.save_for_backward(keep)
        return self.a * (x * keep + self.saturation * (1 - keep)) + self.b

    def backward(self, gy, xp):
        (keep,) = self.saved
        return gy * (self.a * keep)


def _check_p(name, p):
    if not 0.0 <= p < 1.0:
        raise ValueError(
            f"{name}: p is the probability to drop a unit and must be in [0, 1), got {p}"
        )


def _keep_mask(x, p, generator):
    """Boolean array: True for the units that survive (probability 1 - p each)."""
    if generator is None:
        generator = get_generator()
    data = unwrap(x)
    xp = backend.get_array_module(data)
    dtype = data.dtype if data.dtype.kind == "f" and data.dtype.itemsize >= 4 else "float64"
    return xp.asarray(generator.random(data.shape, dtype=dtype) >= p)


def dropout(x: Tensor, p: float = 0.5, training: bool = True,
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p).

    Identity when ``training`` is False or p == 0. ``generator`` (np.random.Generator)
    makes the masks repeatable; by default manabu's global one (manabu.manual_seed).

    Args:
        x: the activations, of any shape.
        p: the probability to drop each element, in [0, 1). Default: 0.5
        training: drop only when True; pass ``self.training`` from a layer. Default: True
        generator: the ``np.random.Generator`` of the masks; None uses manabu's global
            one. Not in PyTorch. Default: None

    Shape:
        Output: the shape of x.

    Example:
        >>> x = manabu.tensor(np.ones((2, 4), np.float32))
        >>> y = F.dropout(x, p=0.5, generator=np.random.default_rng(0))
        >>> sorted(set(y.numpy().ravel().tolist()))  # dropped, or kept and scaled by 1/(1-p)
        [0.0, 2.0]
        >>> F.dropout(x, p=0.5, training=False) is x  # evaluation: the identity
        True
    """
    _check_p("dropout", p)
    if not training or p == 0:
        return x
    keep = _keep_mask(x, p, generator)
    mask = keep.astype(x.dtype) * (1 / (1 - p))  # 0 or 1/(1-p), in x's dtype
    return Dropout.apply(x, mask=mask)


def alpha_dropout(x: Tensor, p: float = 0.5, training: bool = True,
                  generator: np.random.Generator | None = None) -> Tensor:
    """Alpha dropout (Klambauer et al., 2017), the companion of selu: keeps a zero-mean,
    unit-variance input at zero mean and unit variance. Identity when not training."""
    _check_p("alpha_dropout", p)
    if not training or p == 0:
        return x
    saturation = -SELU_SCALE * SELU_ALPHA  # selu's value at -infinity
    a = 1 / math.sqrt((1 - p) * (1 + p * saturation * saturation))
    b = -a * saturation * p
    keep = _keep_mask(x, p, generator)
    return AlphaDropout.apply(x, keep=keep, saturation=saturation, a=a, b=b)

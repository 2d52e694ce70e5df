"""Dropout (ドロップアウト): silence random units in training against overfitting (過学習)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.functional.dropout import alpha_dropout, dropout
from manabu.nn.module import Module

if TYPE_CHECKING:
    import numpy as np

    from manabu.autograd import Tensor

__all__ = ["Dropout", "AlphaDropout"]


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by
    1 / (1 - p) (inverted dropout), so that nothing changes at inference; in eval mode
    (``model.eval()``) it is the identity. ``generator`` (optional) makes the masks
    reproducible independently of the global seed.

    Args:
        p: the probability of zeroing each element, in [0, 1). Default: 0.5
        generator: the ``np.random.Generator`` that draws the masks; None uses manabu's
            global one (``manabu.manual_seed``). Not in PyTorch, which has ``inplace``
            instead. Default: None

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> drop = nn.Dropout(0.5)
        >>> y = drop(manabu.tensor(np.ones((4, 100), np.float32)))
        >>> np.unique(y.numpy()).tolist()  # dropped, or kept and scaled by 1 / (1 - p)
        [0.0, 2.0]
        >>> drop.eval()(manabu.tensor([1.0, 2.0]))  # the identity at inference
        tensor([1., 2.], dtype=float32)
    """

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(
                f"{type(self).__name__}: p is the probability to drop a unit and must be in "
                f"[0, 1), got {p}"
            )
        self.p = p
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class AlphaDropout(Dropout):
    """Dropout for self-normalising networks (use with SELU): dropped units are set to
    SELU's negative saturation value and an affine correction keeps the mean at 0 and the
    variance at 1. The identity in eval mode.

    Args:
        p: the probability of dropping each element, in [0, 1). Default: 0.5
        generator: the ``np.random.Generator`` that draws the masks; None uses manabu's
            global one. Not in PyTorch. Default: None

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> drop = nn.AlphaDropout(0.2)
        >>> drop(manabu.tensor(np.zeros((8, 16), np.float32))).shape
        (8, 16)
        >>> drop.eval()(manabu.tensor([0.5, -1.0]))
        tensor([ 0.5, -1. ], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return alpha_dropout(x, self.p, self.training, self.generator)

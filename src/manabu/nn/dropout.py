"""Dropout (ドロップアウト): silence random units in training against overfitting (過学習)."""

from manabu.functional.dropout import alpha_dropout, dropout
from manabu.nn.module import Module

__all__ = ["Dropout", "AlphaDropout"]


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by
    1 / (1 - p) (inverted dropout), so that nothing changes at inference; in eval mode
    (``model.eval()``) it is the identity. ``generator`` (optional) makes the masks
    reproducible independently of the global seed."""

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(
                f"{type(self).__name__}: p is the probability to drop a unit and must be in "
                f"[0, 1), got {p}"
            )
        self.p = p
        self.generator = generator

    def forward(self, x):
        return dropout(x, self.p, self.training, self.generator)

    def extra_repr(self):
        return f"p={self.p}"


class AlphaDropout(Dropout):
    """Dropout for self-normalising networks (use with SELU): dropped units are set to
    SELU's negative saturation value and an affine correction keeps the mean at 0 and the
    variance at 1. The identity in eval mode."""

    def forward(self, x):
        return alpha_dropout(x, self.p, self.training, self.generator)

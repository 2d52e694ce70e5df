"""Flatten and Identity: shape plumbing between layers."""

from manabu.functional.shape import flatten
from manabu.nn.module import Module

__all__ = ["Flatten", "Identity"]


class Flatten(Module):
    """Merge axes ``start_dim`` .. ``end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by
    default, e.g. between the convolutions and the fully connected layers of a CNN."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Return the input unchanged (恒等関数); a placeholder that accepts and ignores any
    constructor arguments, e.g. to switch off a layer without changing the model's code."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x

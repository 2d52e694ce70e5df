"""Flatten and Identity: shape plumbing between layers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from manabu.functional.shape import flatten
from manabu.nn.module import Module

if TYPE_CHECKING:
    from manabu.autograd import Tensor

__all__ = ["Flatten", "Identity"]


class Flatten(Module):
    """Merge axes ``start_dim`` .. ``end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by
    default, e.g. between the convolutions and the fully connected layers of a CNN.

    Args:
        start_dim: the first axis to merge. Default: 1 (the batch axis 0 stays)
        end_dim: the last axis to merge (inclusive; negative counts from the end).
            Default: -1

    Shape:
        - Input: (*, S_start, ..., S_end, *), any shape with those axes.
        - Output: (*, S_start * ... * S_end, *).

    Example:
        >>> nn.Flatten()(manabu.tensor(np.ones((32, 1, 5, 5), np.float32))).shape
        (32, 25)
        >>> nn.Flatten(0, 2)(manabu.tensor(np.ones((2, 3, 4, 5), np.float32))).shape
        (24, 5)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Return the input unchanged (恒等関数); a placeholder that accepts and ignores any
    constructor arguments, e.g. to switch off a layer without changing the model's code.

    Args:
        *args: ignored (so it can stand in for any layer's call).
        **kwargs: ignored.

    Shape:
        - Input: (*), any shape.
        - Output: (*), the input itself (the same object).

    Example:
        >>> x = manabu.tensor([1.0, 2.0])
        >>> nn.Identity(54, unused="ignored")(x) is x
        True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x

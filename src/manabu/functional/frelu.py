"""FReLU, the funnel activation (Ma, Zhang & Sun, 2020): ReLU with a spatial condition.

ReLU compares each pixel with a constant, max(x, 0). FReLU compares it with a "funnel
condition" T(x) computed from the pixel's neighbourhood by a depthwise convolution (one
k x k filter per channel, padding that keeps the size):

    y[n, c, i, j] = max(x[n, c, i, j], T(x)[n, c, i, j])
    T(x)[n, c]    = sum over the window of W[c] * x[n, c] + b[c]

so every activation sees a k x k region, at the cost of one cheap depthwise convolution.
The gradient goes to x where x wins, and through the convolution where T(x) wins:

    gx = gy * [x > T] + conv_backward(gy * [T > x])   (half to each on a tie, like max)

The FReLU layer (nn.FReLU) puts a batch normalisation between the convolution and the max,
as in the paper; ``frelu`` here is the bare function.

Channel-wise maxout (the max over groups of channels, the other activation that mixes
units) is ``maxout(x, pool_size, axis=1)`` in activation.py; it works on (N, C, H, W).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.functional.conv import conv2d
from manabu.functional.elementwise import maximum

if TYPE_CHECKING:
    from manabu.tensor import Tensor

__all__ = ["funnel_condition", "frelu"]


def funnel_condition(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """T(x): the depthwise convolution of x (N, C, H, W) with weight (C, 1, k, k) and
    padding (k - 1) // 2 on each side, so T(x) has x's shape (k odd)."""
    if x.ndim not in (3, 4):
        raise ValueError(
            f"frelu: expected an input of shape (N, C, H, W) or (C, H, W), got {tuple(x.shape)}"
        )
    channels = x.shape[-3]
    if weight.ndim != 4 or weight.shape[:2] != (channels, 1):
        raise ValueError(
            f"frelu: weight must have shape ({channels}, 1, k, k), one filter per channel of "
            f"the input {tuple(x.shape)}; got {tuple(weight.shape)}"
        )
    kernel = weight.shape[2:]
    if any(k % 2 == 0 for k in kernel):
        raise ValueError(
            f"frelu: the kernel {tuple(kernel)} must have odd sides so that the condition "
            "T(x) is centred on each pixel and keeps the input's size"
        )
    padding = tuple((k - 1) // 2 for k in kernel)
    return conv2d(x, weight, bias, padding=padding, groups=channels)


def frelu(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """FReLU (funnel activation): y = max(x, T(x)), T a depthwise k x k convolution.

    x (N, C, H, W) or (C, H, W); weight (C, 1, k, k), k odd; bias (C,) or None.

    Example:
        >>> x = manabu.tensor(np.ones((1, 2, 4, 4), np.float32))
        >>> w = manabu.tensor(np.full((2, 1, 3, 3), 0.5, np.float32))  # T(x) = 4.5 inside
        >>> y = F.frelu(x, w)
        >>> y.shape, float(y[0, 0, 1, 1]), float(y[0, 0, 0, 0])  # a corner sees 4 pixels
        ((1, 2, 4, 4), 4.5, 2.0)
    """
    return maximum(x, funnel_condition(x, weight, bias))

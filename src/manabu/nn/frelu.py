"""FReLU (funnel activation) layer: max(x, BN(depthwise_conv(x))), as in Ma, Zhang & Sun
(2020). See ``manabu.functional.frelu`` for the function and its gradient."""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.functional.elementwise import maximum
from manabu.functional.frelu import funnel_condition
from manabu.nn.conv import Conv2d
from manabu.nn.module import Module
from manabu.nn.normalization import BatchNorm2d

if TYPE_CHECKING:
    from manabu.autograd import Tensor

__all__ = ["FReLU"]


class FReLU(Module):
    """Funnel activation for images (N, C, H, W):

        y = max(x, T(x)),   T(x) = BatchNorm2d(depthwise kxk convolution of x)

    ReLU's condition max(x, 0) becomes a learned function of each pixel's k x k
    neighbourhood, so the activation itself is spatially aware. Parameters: ``conv.weight``
    (C, 1, k, k) and ``conv.bias`` (C,), then the batch norm's gamma and beta; a drop-in
    replacement for ReLU after a convolution layer (with as many channels). Not in PyTorch.

    Args:
        channels: C, the number of channels of the input (the previous layer's
            out_channels).
        kernel_size: k, the side of the neighbourhood; a positive odd number, so that the
            window is centred on each pixel (padding k // 2 keeps the size). Default: 3

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, C, H, W), the shape of the input.

    Example:
        >>> frelu = nn.FReLU(8)
        >>> frelu(manabu.tensor(np.ones((2, 8, 5, 5), np.float32))).shape
        (2, 8, 5, 5)
        >>> frelu.conv.weight.shape
        (8, 1, 3, 3)
    """

    def __init__(self, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f"FReLU: kernel_size must be a positive odd integer (so the condition is "
                f"centred on each pixel), got {kernel_size!r}"
            )
        self.channels = channels
        self.kernel_size = kernel_size
        self.conv = Conv2d(channels, channels, kernel_size, padding=kernel_size // 2,
                           groups=channels)
        self.bn = BatchNorm2d(channels)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"FReLU({self.channels}): expected an input (N, {self.channels}, H, W), got "
                f"shape {tuple(x.shape)}; set channels to the previous layer's out_channels"
            )
        condition = funnel_condition(x, self.conv.weight, self.conv.bias)  # (N, C, H, W)
        return maximum(x, self.bn(condition))

    def extra_repr(self) -> str:
        return f"{self.channels}, kernel_size={self.kernel_size}"

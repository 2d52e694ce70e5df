"""Pooling layers (プーリング層): max, average, adaptive average and global average pooling.

A pooling layer summarises each small window of every channel by one number, shrinking
the feature map (2x2 windows with stride 2 halve each side) so that later layers see a
wider region and small shifts of the input matter less (位置不変性). It has no weights:
only the window's geometry, given as in PyTorch.

    max pooling (最大プーリング):      y = max over the window
    average pooling (平均プーリング):  y = mean over the window
    adaptive average pooling:          windows chosen so the output has a fixed size
    global average pooling (GAP):      the mean over all positions, (N, C, *S) -> (N, C)

The computation lives in ``manabu.functional.pooling``. Every layer but the global ones
also takes one unbatched example (C, *S) and returns (C, *O).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.functional import pooling as P
from manabu.nn.module import Module
from manabu.nn.spatial import LAYOUT, check_spatial_input

if TYPE_CHECKING:
    from manabu.autograd import Tensor

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "GlobalAvgPool1d", "GlobalAvgPool2d", "GlobalAvgPool3d",
]


class _Pool(Module):
    """Shared input check: (N, C, *S) or unbatched (C, *S) with ``_n`` spatial axes."""

    _n = 2

    def _check_input(self, x):
        check_spatial_input(f"{type(self).__name__}({self.extra_repr()})", x, self._n)


class _MaxPool(_Pool):
    """y = the maximum of each window; the gradient goes to the position of that maximum.
    Padding counts as -inf; stride defaults to kernel_size; ceil_mode keeps a partial
    last window."""

    _op = None

    def __init__(self, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] | None = None,
                 padding: int | tuple[int, ...] = 0, dilation: int | tuple[int, ...] = 1,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return self._op(x, self.kernel_size, self.stride, self.padding, self.dilation,
                        self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPool):
    """Max pooling over windows of (N, C, L).

    Args:
        kernel_size, stride, padding, dilation, ceil_mode: as in MaxPool2d, the sizes an
            int or a 1-tuple. Defaults: stride = kernel_size, padding 0, dilation 1,
            ceil_mode False

    Shape:
        - Input: (N, C, L) or unbatched (C, L).
        - Output: (N, C, L_out) or (C, L_out), L_out by MaxPool2d's formula.

    Example:
        >>> nn.MaxPool1d(2)(manabu.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[3., 2.]]], dtype=float32)
    """

    _n = 1
    _op = staticmethod(P.max_pool1d)


class MaxPool2d(_MaxPool):
    """Max pooling 最大プーリング over windows of (N, C, H, W): MaxPool2d(2) halves the height
    and width, keeping the largest value of each 2x2 block.

    Args:
        kernel_size: the window's size: an int for K x K, or (KH, KW).
        stride: the step between windows; None means kernel_size (windows side by side).
            Default: None
        padding: -inf added to both sides of each spatial axis, at most half the window's
            extent. Default: 0
        dilation: the spacing between the window's elements. Default: 1
        ceil_mode: if True, a partial window at the end of an axis gives one more output
            (rounding the size up instead of down). Default: False

    PyTorch's ``return_indices`` is not offered.

    Shape:
        - Input: (N, C, H, W) or unbatched (C, H, W).
        - Output: (N, C, OH, OW) or (C, OH, OW), where
          OH = (H + 2 padding[0] - dilation[0] (kernel_size[0] - 1) - 1) // stride[0] + 1
          (rounded up with ceil_mode) and OW likewise.

    Example:
        >>> x = manabu.tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
        >>> nn.MaxPool2d(2)(x)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]], dtype=float32)
    """

    _n = 2
    _op = staticmethod(P.max_pool2d)


class MaxPool3d(_MaxPool):
    """Max pooling over windows of (N, C, D, H, W).

    Args:
        kernel_size, stride, padding, dilation, ceil_mode: as in MaxPool2d, the sizes an
            int (the same on D, H and W) or a 3-tuple. Defaults: stride = kernel_size,
            padding 0, dilation 1, ceil_mode False

    Shape:
        - Input: (N, C, D, H, W) or unbatched (C, D, H, W).
        - Output: (N, C, OD, OH, OW) or (C, OD, OH, OW), each by MaxPool2d's formula.

    Example:
        >>> nn.MaxPool3d(2)(manabu.tensor(np.ones((1, 2, 4, 4, 4), np.float32))).shape
        (1, 2, 2, 2, 2)
    """

    _n = 3
    _op = staticmethod(P.max_pool3d)


class _AvgPool(_Pool):
    """y = the mean of each window (zero padding counted unless count_include_pad=False;
    divisor_override fixes the divisor); the gradient is shared equally by the window."""

    _op = None

    def __init__(self, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] | None = None,
                 padding: int | tuple[int, ...] = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return self._op(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                        self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.ceil_mode:
            text += ", ceil_mode=True"
        if not self.count_include_pad:
            text += ", count_include_pad=False"
        if self.divisor_override is not None:
            text += f", divisor_override={self.divisor_override}"
        return text


class AvgPool1d(_AvgPool):
    """Average pooling over windows of (N, C, L).

    Args:
        kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: as
            in AvgPool2d, the sizes an int or a 1-tuple (PyTorch's AvgPool1d has no
            divisor_override). Defaults: stride = kernel_size, padding 0, ceil_mode False,
            count_include_pad True, divisor_override None

    Shape:
        - Input: (N, C, L) or unbatched (C, L).
        - Output: (N, C, L_out) or (C, L_out), L_out by AvgPool2d's formula.

    Example:
        >>> nn.AvgPool1d(2)(manabu.tensor([[[1.0, 3.0, 5.0, 7.0]]]))
        tensor([[[2., 6.]]], dtype=float32)
    """

    _n = 1
    _op = staticmethod(P.avg_pool1d)


class AvgPool2d(_AvgPool):
    """Average pooling 平均プーリング over windows of (N, C, H, W).

    Args:
        kernel_size: the window's size: an int for K x K, or (KH, KW).
        stride: the step between windows; None means kernel_size. Default: None
        padding: zeros added to both sides of each spatial axis, at most half the window.
            Default: 0
        ceil_mode: if True, a partial window at the end of an axis gives one more output.
            Default: False
        count_include_pad: if True, padded zeros count in each window's divisor; if False
            only the real inputs do. Default: True
        divisor_override: if given, every window's sum is divided by it instead.
            Default: None

    Shape:
        - Input: (N, C, H, W) or unbatched (C, H, W).
        - Output: (N, C, OH, OW) or (C, OH, OW), where
          OH = (H + 2 padding[0] - kernel_size[0]) // stride[0] + 1 (rounded up with
          ceil_mode) and OW likewise.

    Example:
        >>> x = manabu.tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
        >>> nn.AvgPool2d(2)(x)
        tensor([[[[ 2.5,  4.5],
                  [10.5, 12.5]]]], dtype=float32)
    """

    _n = 2
    _op = staticmethod(P.avg_pool2d)


class AvgPool3d(_AvgPool):
    """Average pooling over windows of (N, C, D, H, W).

    Args:
        kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: as
            in AvgPool2d, the sizes an int (the same on D, H and W) or a 3-tuple.
            Defaults: stride = kernel_size, padding 0, ceil_mode False,
            count_include_pad True, divisor_override None

    Shape:
        - Input: (N, C, D, H, W) or unbatched (C, D, H, W).
        - Output: (N, C, OD, OH, OW) or (C, OD, OH, OW), each by AvgPool2d's formula.

    Example:
        >>> nn.AvgPool3d(2)(manabu.tensor(np.ones((1, 2, 4, 4, 4), np.float32))).shape
        (1, 2, 2, 2, 2)
    """

    _n = 3
    _op = staticmethod(P.avg_pool3d)


class _AdaptiveAvgPool(_Pool):
    """Average pooling to a fixed ``output_size`` whatever the input size (an int for every
    axis, or a tuple; None keeps that axis), with PyTorch's bins."""

    _op = None

    def __init__(self, output_size: int | tuple[int | None, ...]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return self._op(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """(N, C, L) -> (N, C, output_size).

    Args:
        output_size: L_out, the length wanted (an int or a 1-tuple; None keeps L).

    Shape:
        - Input: (N, C, L) or unbatched (C, L).
        - Output: (N, C, L_out) or (C, L_out).

    Example:
        >>> pool = nn.AdaptiveAvgPool1d(4)
        >>> pool(manabu.tensor(np.ones((2, 3, 10), np.float32))).shape
        (2, 3, 4)
    """

    _n = 1
    _op = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """(N, C, H, W) -> (N, C, *output_size); AdaptiveAvgPool2d(1) is global average
    pooling that keeps the two axes (N, C, 1, 1).

    Args:
        output_size: (OH, OW), or an int for OH = OW; a None entry keeps that axis' size.

    Shape:
        - Input: (N, C, H, W) or unbatched (C, H, W).
        - Output: (N, C, OH, OW) or (C, OH, OW).

    Example:
        >>> x = manabu.tensor(np.ones((1, 8, 7, 9), np.float32))
        >>> nn.AdaptiveAvgPool2d(1)(x).shape, nn.AdaptiveAvgPool2d((None, 3))(x).shape
        ((1, 8, 1, 1), (1, 8, 7, 3))
    """

    _n = 2
    _op = staticmethod(P.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    """(N, C, D, H, W) -> (N, C, *output_size).

    Args:
        output_size: (OD, OH, OW), or an int for all three; a None entry keeps that axis.

    Shape:
        - Input: (N, C, D, H, W) or unbatched (C, D, H, W).
        - Output: (N, C, OD, OH, OW) or (C, OD, OH, OW).

    Example:
        >>> pool = nn.AdaptiveAvgPool3d((1, 2, 2))
        >>> pool(manabu.tensor(np.ones((2, 4, 5, 6, 6), np.float32))).shape
        (2, 4, 1, 2, 2)
    """

    _n = 3
    _op = staticmethod(P.adaptive_avg_pool3d)


class _GlobalAvgPool(_Pool):
    """Global average pooling グローバル平均プーリング (GAP): the mean of each channel over
    all positions, (N, C, *S) -> (N, C) (or (N, C, 1, ...) with keepdims=True). It replaces
    the flatten + large fully connected layer at the end of a CNN (NiN, ResNet): no
    weights, and any input size."""

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x: Tensor) -> Tensor:
        n = self._n
        if x.ndim != n + 2:
            raise ValueError(
                f"{type(self).__name__}: expected a {n + 2}-D input {LAYOUT[n]}, got shape "
                f"{tuple(x.shape)}"
            )
        return P.global_avg_pool(x, keepdims=self.keepdims)

    def extra_repr(self) -> str:
        return "keepdims=True" if self.keepdims else ""


class GlobalAvgPool1d(_GlobalAvgPool):
    """(N, C, L) -> (N, C): the mean over the sequence. Not in PyTorch (there:
    AdaptiveAvgPool1d(1) and Flatten()).

    Args:
        keepdims: if True, keep the pooled axis with size 1: (N, C, 1). Default: False

    Shape:
        - Input: (N, C, L); an unbatched input is not accepted.
        - Output: (N, C), or (N, C, 1) with keepdims.

    Example:
        >>> nn.GlobalAvgPool1d()(manabu.tensor([[[1.0, 2.0, 6.0]]]))
        tensor([[3.]], dtype=float32)
    """

    _n = 1


class GlobalAvgPool2d(_GlobalAvgPool):
    """(N, C, H, W) -> (N, C): the mean of each feature map (the same as
    AdaptiveAvgPool2d(1) followed by Flatten()). Not in PyTorch.

    Args:
        keepdims: if True, keep the pooled axes with size 1: (N, C, 1, 1). Default: False

    Shape:
        - Input: (N, C, H, W); an unbatched input is not accepted.
        - Output: (N, C), or (N, C, 1, 1) with keepdims.

    Example:
        >>> x = manabu.tensor(np.ones((2, 512, 7, 7), np.float32))
        >>> nn.GlobalAvgPool2d()(x).shape, nn.GlobalAvgPool2d(keepdims=True)(x).shape
        ((2, 512), (2, 512, 1, 1))
    """

    _n = 2


class GlobalAvgPool3d(_GlobalAvgPool):
    """(N, C, D, H, W) -> (N, C): the mean of each channel over the volume. Not in PyTorch.

    Args:
        keepdims: if True, keep the pooled axes with size 1: (N, C, 1, 1, 1).
            Default: False

    Shape:
        - Input: (N, C, D, H, W); an unbatched input is not accepted.
        - Output: (N, C), or (N, C, 1, 1, 1) with keepdims.

    Example:
        >>> nn.GlobalAvgPool3d()(manabu.tensor(np.ones((2, 4, 3, 5, 5), np.float32))).shape
        (2, 4)
    """

    _n = 3

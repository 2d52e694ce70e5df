"""Pooling layers (プーリング層): max, average, adaptive average and global average pooling.

A pooling layer summarises each small window of every channel by one number, shrinking
the feature map (2x2 windows with stride 2 halve each side) so that later layers see a
wider region and small shifts of the input matter less (位置不変性). It has no weights:
only the window's geometry, given as in PyTorch.

    max pooling (最大プーリング):      y = max over the window
    average pooling (平均プーリング):  y = mean over the window
    adaptive average pooling:          windows chosen so the output has a fixed size
    global average pooling (GAP):      the mean over all positions, (N, C, *S) -> (N, C)

The computation lives in ``manabu.functional.pooling``.
"""

from manabu.functional import pooling as P
from manabu.nn.module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "GlobalAvgPool1d", "GlobalAvgPool2d", "GlobalAvgPool3d",
]

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


class _Pool(Module):
    """Shared input check: (N, C, *S) or unbatched (C, *S) with ``_n`` spatial axes."""

    _n = 2

    def _check_input(self, x):
        n = self._n
        if x.ndim not in (n + 1, n + 2):
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): expected a {n + 2}-D input "
                f"{_LAYOUT[n]} (or an unbatched {n + 1}-D one), got shape {tuple(x.shape)}"
            )


class _MaxPool(_Pool):
    """y = the maximum of each window; the gradient goes to the position of that maximum.
    Padding counts as -inf; stride defaults to kernel_size; ceil_mode keeps a partial
    last window."""

    _op = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode

    def forward(self, x):
        self._check_input(x)
        return self._op(x, self.kernel_size, self.stride, self.padding, self.dilation,
                        self.ceil_mode)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPool):
    """Max pooling over windows of (N, C, L)."""

    _n = 1
    _op = staticmethod(P.max_pool1d)


class MaxPool2d(_MaxPool):
    """Max pooling 最大プーリング over windows of (N, C, H, W): MaxPool2d(2) halves the height
    and width, keeping the largest value of each 2x2 block."""

    _n = 2
    _op = staticmethod(P.max_pool2d)


class MaxPool3d(_MaxPool):
    """Max pooling over windows of (N, C, D, H, W)."""

    _n = 3
    _op = staticmethod(P.max_pool3d)


class _AvgPool(_Pool):
    """y = the mean of each window (zero padding counted unless count_include_pad=False;
    divisor_override fixes the divisor); the gradient is shared equally by the window."""

    _op = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        self._check_input(x)
        return self._op(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                        self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.ceil_mode:
            text += ", ceil_mode=True"
        if not self.count_include_pad:
            text += ", count_include_pad=False"
        if self.divisor_override is not None:
            text += f", divisor_override={self.divisor_override}"
        return text


class AvgPool1d(_AvgPool):
    """Average pooling over windows of (N, C, L)."""

    _n = 1
    _op = staticmethod(P.avg_pool1d)


class AvgPool2d(_AvgPool):
    """Average pooling 平均プーリング over windows of (N, C, H, W)."""

    _n = 2
    _op = staticmethod(P.avg_pool2d)


class AvgPool3d(_AvgPool):
    """Average pooling over windows of (N, C, D, H, W)."""

    _n = 3
    _op = staticmethod(P.avg_pool3d)


class _AdaptiveAvgPool(_Pool):
    """Average pooling to a fixed ``output_size`` whatever the input size (an int for every
    axis, or a tuple; None keeps that axis), with PyTorch's bins."""

    _op = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        self._check_input(x)
        return self._op(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """(N, C, L) -> (N, C, output_size)."""

    _n = 1
    _op = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """(N, C, H, W) -> (N, C, *output_size); AdaptiveAvgPool2d(1) is global average
    pooling that keeps the two axes (N, C, 1, 1)."""

    _n = 2
    _op = staticmethod(P.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    """(N, C, D, H, W) -> (N, C, *output_size)."""

    _n = 3
    _op = staticmethod(P.adaptive_avg_pool3d)


class _GlobalAvgPool(_Pool):
    """Global average pooling グローバル平均プーリング (GAP): the mean of each channel over
    all positions, (N, C, *S) -> (N, C) (or (N, C, 1, ...) with keepdims=True). It replaces
    the flatten + large fully connected layer at the end of a CNN (NiN, ResNet): no
    weights, and any input size."""

    def __init__(self, keepdims=False):
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x):
        n = self._n
        if x.ndim != n + 2:
            raise ValueError(
                f"{type(self).__name__}: expected a {n + 2}-D input {_LAYOUT[n]}, got shape "
                f"{tuple(x.shape)}"
            )
        return P.global_avg_pool(x, keepdims=self.keepdims)

    def extra_repr(self):
        return "keepdims=True" if self.keepdims else ""


class GlobalAvgPool1d(_GlobalAvgPool):
    """(N, C, L) -> (N, C): the mean over the sequence."""

    _n = 1


class GlobalAvgPool2d(_GlobalAvgPool):
    """(N, C, H, W) -> (N, C): the mean of each feature map (the same as
    AdaptiveAvgPool2d(1) followed by Flatten())."""

    _n = 2


class GlobalAvgPool3d(_GlobalAvgPool):
    """(N, C, D, H, W) -> (N, C)."""

    _n = 3

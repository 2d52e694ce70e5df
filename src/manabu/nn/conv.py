"""Convolution layers (畳み込み層): Conv1d/2d/3d and ConvTranspose1d/2d/3d.

A convolution layer slides ``out_channels`` small filters (kernels) over its input; each
filter looks at ``in_channels / groups`` channels and ``kernel_size`` neighbouring
positions, so the layer shares its weights across positions (weight sharing, 重み共有) and
keeps the spatial layout that a fully connected layer would flatten away. The computation
(im2col + one GEMM) lives in ``manabu.functional.conv``; these classes hold the weights and
the hyper-parameters, with PyTorch's names and layouts so state_dicts interchange:

    Conv{1,2,3}d:           weight (C_out, C_in/groups, *K),  bias (C_out,)
    ConvTranspose{1,2,3}d:  weight (C_in, C_out/groups, *K),  bias (C_out,)

Output size per spatial axis (stride s, padding p, dilation d, kernel K):
    conv:       O = (L + 2p - d(K - 1) - 1) // s + 1
    transposed: O = (L - 1)s - 2p + d(K - 1) + output_padding + 1

Initialisation follows the notes (and manabu's Linear): He's method (``kaiming_normal``,
std = sqrt(2 / fan_in), fan_in = C_in/groups * prod(K)) with a zero bias, right before a
ReLU. ``init='torch'`` reproduces PyTorch's default, kaiming_uniform(a=sqrt(5)), i.e.
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, with torch.nn.init's fans.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.functional import conv as C
from manabu.functional.im2col import PADDING_MODES, as_tuple
from manabu.nn import init as nn_init
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter
from manabu.nn.spatial import check_spatial_input

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import DTypeLike

    from manabu.autograd import Tensor

__all__ = [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
]


class _ConvNd(Module):
    """Shared by the six layers: parameters, initialisation, input checks, repr.
    Subclasses set ``_n`` (spatial dimensions) and ``_transposed``."""

    _n = 2
    _transposed = False

    def _setup(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
               groups, bias, padding_mode, init, nonlinearity, dtype):
        name = type(self).__name__
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels),
                           ("groups", groups)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"{name}: {arg} must be a positive integer, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, "
                             f"got {padding_mode!r}")
        nn_init.check_layer_init(name, init)
        n = self._n
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = as_tuple(kernel_size, n, "kernel_size", name)
        self.stride = as_tuple(stride, n, "stride", name)
        self.dilation = as_tuple(dilation, n, "dilation", name)
        if min(self.kernel_size + self.stride + self.dilation) < 1:
            raise ValueError(f"{name}: kernel_size, stride and dilation must be >= 1, got "
                             f"{self.kernel_size}, {self.stride} and {self.dilation}")
        self.padding = self._padding(padding)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        self.init = init
        self.nonlinearity = nonlinearity
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _padding(self, padding):
        name = type(self).__name__
        if padding in ("same", "valid") and not self._transposed:
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' needs stride 1, got {self.stride}; "
                                 "give the padding as numbers instead")
            return padding
        padding = as_tuple(padding, self._n, "padding", name)
        if min(padding) < 0:
            raise ValueError(f"{name}: padding must be >= 0, got {padding}")
        return padding

    def reset_parameters(self) -> None:
        """Draw the weight again (with ``init``) and reset the bias."""
        if self.init == "torch":
            nn_init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # U(+-1/sqrt(fan_in))
        else:
            # a transposed layer's inputs per output are counted by axis 0 of its weight
            mode = "fan_out" if self._transposed else "fan_in"
            nn_init.layer_weight_(self.weight, self.init, self.nonlinearity, mode)
        fan_in = nn_init._calculate_fan_in_and_fan_out(self.weight)[0]  # torch's convention
        nn_init.layer_bias_(self.bias, self.init, fan_in)

    def _describe(self):
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size})")

    def _check_input(self, x):
        n = self._n
        hint = ""
        if x.ndim < n + 1:
            hint = f"; reshape it, e.g. x.reshape(-1, {self.in_channels}, ...)"
        check_spatial_input(self._describe(), x, n, hint)
        channels = x.shape[-(n + 1)]
        if channels != self.in_channels:
            raise ValueError(
                f"{self._describe()}: input of shape {tuple(x.shape)} has {channels} channels "
                f"on axis {x.ndim - n - 1}, expected in_channels={self.in_channels}; set "
                f"in_channels={channels} or check the previous layer's out_channels"
            )

    def extra_repr(self) -> str:
        n = self._n
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"  # (1, 1) or same, as PyTorch prints
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0,) * n) != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    """Convolution layer: y = conv(x, weight) + bias (see the module docstring)."""

    _op = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
                 dilation: int | tuple[int, ...] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros",
                 init: str | Callable[[Tensor], object] = "kaiming_normal",
                 nonlinearity: str | None = None, dtype: DTypeLike = None) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, init, nonlinearity, dtype)

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return self._op(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups, self.padding_mode)


class Conv1d(_Conv):
    """1-D convolution layer (一次元畳み込み) for sequences and waveforms: (N, C_in, L) ->
    (N, C_out, L_out); weight (C_out, C_in/groups, K). Arguments as in Conv2d.

    Args:
        in_channels, out_channels, groups, bias, padding_mode, init, nonlinearity, dtype:
            as in Conv2d.
        kernel_size, stride, padding, dilation: as in Conv2d, each an int or a 1-tuple
            (padding also 'valid' or 'same'). Defaults: stride 1, padding 0, dilation 1

    Shape:
        - Input: (N, C_in, L) or unbatched (C_in, L).
        - Output: (N, C_out, L_out) or (C_out, L_out), where
          L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1.

    Example:
        >>> conv = nn.Conv1d(16, 33, 3, stride=2)
        >>> conv(manabu.tensor(np.ones((20, 16, 50), np.float32))).shape
        (20, 33, 24)
    """

    _n = 1
    _op = staticmethod(C.conv1d)


class Conv2d(_Conv):
    """2-D convolution layer 畳み込み層: (N, C_in, H, W) -> (N, C_out, OH, OW).

    Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True, padding_mode='zeros'), as in PyTorch. padding: an int, a tuple,
    'valid' or 'same' (stride 1); padding_mode: 'zeros', 'reflect', 'replicate' or
    'circular'. groups=in_channels is a depthwise convolution. ``init`` (He by default,
    'torch' for PyTorch's) and ``nonlinearity`` choose the initial weights, as in Linear.
        y[n, o] = bias[o] + sum over c, (i, j) of weight[o, c, i, j] * x_pad[n, c, ...]

    Args:
        in_channels: C_in, the channels of the input.
        out_channels: C_out, the number of filters (the channels of the output).
        kernel_size: the filter's size: an int for a square K x K, or (KH, KW).
        stride: the step between neighbouring windows: an int or (SH, SW). Default: 1
        padding: added to both sides of each spatial axis: an int, (PH, PW), 'valid' (none)
            or 'same' (the output as large as the input; stride 1 only). Default: 0
        dilation: the spacing between the kernel's elements (atrous convolution): an int
            or a pair. Default: 1
        groups: the channels split into this many groups, each with its own filters; it
            must divide C_in and C_out. Default: 1
        bias: if False, the layer has no additive bias. Default: True
        padding_mode: the values padded: 'zeros', 'reflect', 'replicate' or 'circular'.
            Default: 'zeros'
        init: how the weight is drawn, as in Linear: 'kaiming_normal' (He, std =
            sqrt(2 / fan_in)), 'kaiming_uniform', 'xavier_normal', 'xavier_uniform',
            'orthogonal', 'torch' (PyTorch's default) or a function ``init(weight)``; the
            bias starts at zero except with 'torch'. Not in PyTorch (whose default is
            'torch'). Default: 'kaiming_normal'
        nonlinearity: the activation that follows, for the init's gain; None means 'relu'
            for He, 'linear' otherwise. Not in PyTorch. Default: None
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    Shape:
        - Input: (N, C_in, H, W) or unbatched (C_in, H, W).
        - Output: (N, C_out, OH, OW) or (C_out, OH, OW), where
          OH = (H + 2 padding[0] - dilation[0] (kernel_size[0] - 1) - 1) // stride[0] + 1
          and OW likewise with the second entries.

    Example:
        >>> conv = nn.Conv2d(3, 8, 3, padding=1)
        >>> x = manabu.tensor(np.ones((2, 3, 32, 32), np.float32))
        >>> conv(x).shape, conv.weight.shape
        ((2, 8, 32, 32), (8, 3, 3, 3))
        >>> nn.Conv2d(3, 8, 3, stride=2, padding=1)(x).shape
        (2, 8, 16, 16)
    """

    _n = 2
    _op = staticmethod(C.conv2d)


class Conv3d(_Conv):
    """3-D convolution layer (三次元畳み込み) for video clips and volumes:
    (N, C_in, D, H, W) -> (N, C_out, OD, OH, OW). Arguments as in Conv2d.

    Args:
        in_channels, out_channels, groups, bias, padding_mode, init, nonlinearity, dtype:
            as in Conv2d.
        kernel_size, stride, padding, dilation: as in Conv2d, each an int (the same on
            D, H and W) or a 3-tuple (padding also 'valid' or 'same'). Defaults: stride 1,
            padding 0, dilation 1

    Shape:
        - Input: (N, C_in, D, H, W) or unbatched (C_in, D, H, W).
        - Output: (N, C_out, OD, OH, OW) or (C_out, OD, OH, OW), each side by Conv2d's
          formula.

    Example:
        >>> conv = nn.Conv3d(2, 4, 3)
        >>> conv(manabu.tensor(np.ones((1, 2, 8, 8, 8), np.float32))).shape
        (1, 4, 6, 6, 6)
    """

    _n = 3
    _op = staticmethod(C.conv3d)


class _ConvTranspose(_ConvNd):
    """Transposed convolution layer 転置畳み込み: the adjoint of a convolution, used to
    upsample (each input pixel paints a kernel-sized patch of the output)."""

    _transposed = True
    _op = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] = 0,
                 output_padding: int | tuple[int, ...] = 0, groups: int = 1,
                 bias: bool = True, dilation: int | tuple[int, ...] = 1,
                 padding_mode: str = "zeros",
                 init: str | Callable[[Tensor], object] = "kaiming_normal",
                 nonlinearity: str | None = None, dtype: DTypeLike = None) -> None:
        super().__init__()
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported (as in "
                             f"PyTorch), got {padding_mode!r}")
        self.output_padding = as_tuple(output_padding, self._n, "output_padding", name)
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, init, nonlinearity, dtype)
        for p, s, d in zip(self.output_padding, self.stride, self.dilation):
            if p < 0 or (p >= s and p >= d):
                raise ValueError(
                    f"{name}: output_padding {self.output_padding} must be >= 0 and smaller "
                    f"than the stride {self.stride} or the dilation {self.dilation}"
                )

    def forward(self, x: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        """``output_size`` (the spatial sizes wanted, or the whole shape) picks the
        output_padding among the sizes a strided convolution maps to x's size."""
        self._check_input(x)
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding(x, output_size)
        return self._op(x, self.weight, self.bias, self.stride, self.padding, output_padding,
                        self.groups, self.dilation)

    def _output_padding(self, x, output_size):
        n = self._n
        wanted = tuple(int(s) for s in output_size)[-n:]
        spatial = x.shape[-n:]
        smallest = tuple((length - 1) * s - 2 * p + d * (k - 1) + 1 for length, k, s, p, d in
                         zip(spatial, self.kernel_size, self.stride, self.padding,
                             self.dilation))
        extra = tuple(w - m for w, m in zip(wanted, smallest))
        limits = tuple(max(s, d) for s, d in zip(self.stride, self.dilation))
        if len(wanted) != n or any(e < 0 or e >= lim for e, lim in zip(extra, limits)):
            largest = tuple(m + lim - 1 for m, lim in zip(smallest, limits))
            raise ValueError(
                f"{self._describe()}: output_size {tuple(output_size)} is not reachable from "
                f"an input of spatial size {tuple(spatial)}; each side must lie between "
                f"{smallest} and {largest}"
            )
        return extra


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution: (N, C_in, L) -> (N, C_out, L_out); weight
    (C_in, C_out/groups, K). Arguments as in ConvTranspose2d.

    Args:
        in_channels, out_channels, groups, bias, padding_mode, init, nonlinearity, dtype:
            as in ConvTranspose2d.
        kernel_size, stride, padding, output_padding, dilation: as in ConvTranspose2d,
            each an int or a 1-tuple. Defaults: stride 1, padding 0, output_padding 0,
            dilation 1

    Shape:
        - Input: (N, C_in, L) or unbatched (C_in, L).
        - Output: (N, C_out, L_out) or (C_out, L_out), where L_out = (L - 1) stride
          - 2 padding + dilation (kernel_size - 1) + output_padding + 1.

    Example:
        >>> up = nn.ConvTranspose1d(4, 2, 4, stride=2, padding=1)
        >>> up(manabu.tensor(np.ones((1, 4, 10), np.float32))).shape
        (1, 2, 20)
    """

    _n = 1
    _op = staticmethod(C.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution 転置畳み込み: (N, C_in, H, W) -> (N, C_out, OH, OW),
    OH = (H - 1)*stride - 2*padding + dilation*(KH - 1) + output_padding + 1.

    ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1), as in PyTorch; weight
    (C_in, C_out/groups, KH, KW). kernel_size=2, stride=2 doubles the size (upsampling).

    A strided convolution maps several input sizes to the same output size;
    ``forward(x, output_size=None)`` picks one of them by computing output_padding from
    ``output_size`` (the wanted (OH, OW), or the whole output shape), as in PyTorch.

    Args:
        in_channels: C_in, the channels of the input.
        out_channels: C_out, the channels of the output.
        kernel_size: the kernel's size: an int or (KH, KW).
        stride: how far apart the input pixels paint their patches on the output: an int
            or a pair. Default: 1
        padding: removed from both sides of each output axis (it undoes a convolution's
            padding): an int or a pair; strings are not accepted. Default: 0
        output_padding: added to one side of each output axis, to reach the sizes that a
            strided convolution maps to the same input size; it must be smaller than the
            stride or the dilation. Default: 0
        groups: the channels split into this many groups; it must divide C_in and C_out.
            Default: 1
        bias: if False, the layer has no additive bias. Default: True
        dilation: the spacing between the kernel's elements. Default: 1
        padding_mode: only 'zeros' (as in PyTorch). Default: 'zeros'
        init: as in Conv2d; He's fan is counted on axis 0 of the weight (C_in * KH * KW),
            the inputs that reach each output. Not in PyTorch. Default: 'kaiming_normal'
        nonlinearity: as in Conv2d. Default: None
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    Shape:
        - Input: (N, C_in, H, W) or unbatched (C_in, H, W).
        - Output: (N, C_out, OH, OW) or (C_out, OH, OW), OH as above and OW likewise
          (with output_size, the sizes asked for).

    Example:
        >>> up = nn.ConvTranspose2d(8, 3, 2, stride=2)  # doubles the height and width
        >>> x = manabu.tensor(np.ones((1, 8, 16, 16), np.float32))
        >>> up(x).shape, up.weight.shape
        ((1, 3, 32, 32), (8, 3, 2, 2))
        >>> nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1)(x, output_size=(32, 32)).shape
        (1, 3, 32, 32)
    """

    _n = 2
    _op = staticmethod(C.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution: (N, C_in, D, H, W) -> (N, C_out, OD, OH, OW).

    Args:
        in_channels, out_channels, groups, bias, padding_mode, init, nonlinearity, dtype:
            as in ConvTranspose2d.
        kernel_size, stride, padding, output_padding, dilation: as in ConvTranspose2d,
            each an int (the same on D, H and W) or a 3-tuple. Defaults: stride 1,
            padding 0, output_padding 0, dilation 1

    Shape:
        - Input: (N, C_in, D, H, W) or unbatched (C_in, D, H, W).
        - Output: (N, C_out, OD, OH, OW) or (C_out, OD, OH, OW), each side by
          ConvTranspose2d's formula.

    Example:
        >>> up = nn.ConvTranspose3d(4, 2, 2, stride=2)
        >>> up(manabu.tensor(np.ones((1, 4, 3, 4, 4), np.float32))).shape
        (1, 2, 6, 8, 8)
    """

    _n = 3
    _op = staticmethod(C.conv_transpose3d)

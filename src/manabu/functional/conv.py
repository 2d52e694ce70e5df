"""Convolution (畳み込み) and transposed convolution (転置畳み込み) in 1-D, 2-D and 3-D.

Both are fused ops built on im2col (see im2col.py): one GEMM forward, two GEMMs backward.

Convolution, weight W (C_out, C_in/groups, *K):
    y[n, o, p] = sum over c, k of W[o, c, k] * x_pad[n, c, p*stride + k*dilation] + b[o]
    forward:  cols = im2col(x_pad)            (C*K, N*O)
              y    = W @ cols + b             (C_out, N*O)
    backward: gW   = gy @ cols.T              (C_out, C*K)
              gx   = col2im(W.T @ gy)         the adjoint of im2col folds the columns back
              gb   = gy summed over N and the output positions

Transposed convolution, weight W (C_in, C_out/groups, *K), is the adjoint of convolution
(the gradient of a convolution with respect to its input), so it swaps the two roles:
    forward:  y  = col2im(W.T @ x)            each input pixel paints a K-sized patch
    backward: gx = W @ im2col(gy),  gW = x @ im2col(gy).T

Groups (グループ畳み込み) split the channels into ``groups`` independent convolutions;
groups == C_in with one filter per channel is a depthwise convolution. The GEMM is then
batched over groups: W (G, C_out/G, C_in/G*K) @ cols (G, C_in/G*K, N*O).
"""

from __future__ import annotations

import math

from manabu.autograd import Function
from manabu.functional.conv_graph import convolution_backward_graph
from manabu.functional.im2col import (
    PADDING_MODES, as_tuple, col2im, im2col, output_sizes, pad, pad_backward,
)
from manabu.functional.shape import reshape
from manabu.tensor import Tensor

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
]

_SPATIAL = {1: "(L)", 2: "(H, W)", 3: "(D, H, W)"}
_KERNEL = {1: "(KL)", 2: "(KH, KW)", 3: "(KD, KH, KW)"}


# The reshapes here spell every size out instead of -1: with an empty batch (N = 0) the
# arrays have no elements, and NumPy cannot infer a -1 axis from a size of 0.
def _channel_rows(xp, a):
    """(N, C, *S) -> (C, N*prod(S)), contiguous: the layout the GEMMs use."""
    a = a.swapaxes(0, 1)  # (C, N, *S)
    return xp.ascontiguousarray(a).reshape(a.shape[0], math.prod(a.shape[1:]))


def _split_groups(a, groups):
    """(G*R, M) -> (G, R, M)."""
    return a.reshape(groups, a.shape[0] // groups, a.shape[1])


def _join_groups(a):
    """(G, R, M) -> (G*R, M)."""
    return a.reshape(a.shape[0] * a.shape[1], a.shape[2])


def _batch_first(xp, y, batch, spatial):
    """(C, N*prod(S)) -> (N, C, *S), contiguous."""
    y = y.reshape((y.shape[0], batch) + tuple(spatial))  # (C, N, *S)
    return xp.ascontiguousarray(y.swapaxes(0, 1))  # (N, C, *S)


class Convolution(Function):
    """N-d convolution 畳み込み via im2col + one GEMM (see the module docstring).

    y = W @ im2col(pad(x)) + b;  gW = gy @ cols.T,  gx = pad_backward(col2im(W.T @ gy)),
    gb = sum(gy).  Under create_graph=True the same formulas run on differentiable ops (conv_graph.py), so the gradients can be differentiated again.
    """

    twice_differentiable = True

    def __init__(self, stride, pads, dilation, groups, padding_mode):
        self.stride = stride  # (s, ...): one per spatial axis
        self.pads = pads  # ((before, after), ...): one pair per spatial axis
        self.dilation = dilation  # (d, ...)
        self.groups = groups
        self.padding_mode = padding_mode  # 'zeros', 'reflect', 'replicate' or 'circular'

    def forward(self, x, W, b=None):
        xp = self.xp
        groups = self.groups
        kernel = W.shape[2:]
        x_pad = pad(x, self.pads, self.padding_mode)  # (N, C, *Lp)
        self.x_pad_shape = x_pad.shape
        self.out = output_sizes(x_pad.shape[2:], kernel, self.stride, self.dilation)
        cols = im2col(x_pad, kernel, self.stride, self.dilation)  # (C*K, N*O)
        cols = _split_groups(cols, groups)  # (G, C/G*K, N*O)
        W_g = W.reshape(groups, W.shape[0] // groups, -1)  # (G, C_out/G, C/G*K)
        y = xp.matmul(W_g, cols)  # (G, C_out/G, N*O): the one GEMM (batched over groups)
        y = y.reshape(W.shape[0], y.shape[2])  # (C_out, N*O)
        if b is not None:
            y += b[:, None]
        self.save_for_backward(cols, W)
        return _batch_first(xp, y, x.shape[0], self.out)  # (N, C_out, *O)

    def backward(self, gy, xp):
        if isinstance(gy, Tensor):  # create_graph=True: gradients that record their graph
            return convolution_backward_graph(self, gy)
        cols, W = self.saved
        groups = self.groups
        gy_g = _channel_rows(xp, gy)  # (C_out, N*O)
        gy_g = _split_groups(gy_g, groups)  # (G, C_out/G, N*O)
        gx = gW = gb = None
        if self.needs_input_grad[0]:
            W_g = W.reshape(groups, W.shape[0] // groups, -1)  # (G, C_out/G, C/G*K)
            gcols = xp.matmul(W_g.transpose(0, 2, 1), gy_g)  # (G, C/G*K, N*O)
            gcols = _join_groups(gcols)  # (C*K, N*O)
            gx_pad = col2im(gcols, self.x_pad_shape, W.shape[2:], self.stride, self.dilation)
            gx = pad_backward(gx_pad, self.pads, self.padding_mode)  # (N, C, *L)
        if self.needs_input_grad[1]:
            # gW = gy @ cols.T, computed as (cols @ gy.T).T: the same numbers, but OpenBLAS
            # runs this long-K product up to 1.7x faster with the taller matrix first
            gW_t = xp.matmul(cols, gy_g.transpose(0, 2, 1))  # (G, C/G*K, C_out/G)
            gW = gW_t.transpose(0, 2, 1).reshape(W.shape)  # (C_out, C/G, *K)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = gy_g.sum(axis=2).reshape(-1)  # (C_out,)
        return (gx, gW, gb)[:len(self.needs_input_grad)]  # no gb when there is no bias


class ConvTranspose(Function):
    """N-d transposed convolution 転置畳み込み: the adjoint of Convolution.

    y = crop(col2im(W.T @ x)) + b;  gx = W @ im2col(pad(gy)),  gW = x @ im2col(pad(gy)).T,
    gb = sum(gy).  The uncropped ("full") output has (L - 1)*s + d*(K - 1) + 1 positions per
    axis; ``padding`` removes that many from each side and ``output_padding`` gives some back
    at the end (zeros past the full output). It only chooses among the output sizes that a
    strided convolution would map to the same input size.
    """

    def __init__(self, stride, padding, dilation, groups, out, in_spatial):
        self.stride = stride  # (s, ...): one per spatial axis
        self.padding = padding  # (p, ...): cropped from each side of the full output
        self.dilation = dilation  # (d, ...)
        self.groups = groups
        self.out = out  # the output's spatial size (O, ...), output_padding included
        self.in_spatial = in_spatial  # the input's spatial size (L, ...)

    def forward(self, x, W, b=None):
        xp = self.xp
        groups = self.groups
        kernel = W.shape[2:]
        c_out = W.shape[1] * groups
        self.full = tuple((n - 1) * s + d * (k - 1) + 1 for n, k, s, d in
                          zip(x.shape[2:], kernel, self.stride, self.dilation))
        x_g = _channel_rows(xp, x)  # (C_in, N*L)
        x_g = _split_groups(x_g, groups)  # (G, C_in/G, N*L)
        W_g = W.reshape(groups, W.shape[0] // groups, -1)  # (G, C_in/G, C_out/G*K)
        cols = xp.matmul(W_g.transpose(0, 2, 1), x_g)  # (G, C_out/G*K, N*L): the one GEMM
        cols = _join_groups(cols)  # (C_out*K, N*L)
        y_full = col2im(cols, (x.shape[0], c_out) + self.full, kernel, self.stride,
                        self.dilation)  # (N, C_out, *full)
        y = xp.zeros((x.shape[0], c_out) + self.out, dtype=x.dtype)  # (N, C_out, *O)
        y[self._kept()] = y_full[self._cropped()]
        if b is not None:
            y += b.reshape((1, c_out) + (1,) * len(kernel))  # (1, C_out, 1, ...)
        self.save_for_backward(x_g, W)
        return y

    def _cropped(self):
        """The part of the full output that y keeps: from ``padding`` on, O positions long
        (or up to the end of the full output, when output_padding reaches past it)."""
        return (slice(None), slice(None)) + tuple(slice(p, min(f, p + o)) for p, f, o in
                                                  zip(self.padding, self.full, self.out))

    def _kept(self):
        """Where that part lands in y; what output_padding adds past the end stays zero."""
        return (slice(None), slice(None)) + tuple(slice(0, min(f, p + o) - p) for p, f, o in
                                                  zip(self.padding, self.full, self.out))

    def backward(self, gy, xp):
        x_g, W = self.saved
        groups = self.groups
        kernel = W.shape[2:]
        g_full = xp.zeros(gy.shape[:2] + self.full, dtype=gy.dtype)  # (N, C_out, *full)
        g_full[self._cropped()] = gy[self._kept()]
        cols = im2col(g_full, kernel, self.stride, self.dilation)  # (C_out*K, N*L)
        cols = _split_groups(cols, groups)  # (G, C_out/G*K, N*L)
        gx = gW = gb = None
        if self.needs_input_grad[0]:
            W_g = W.reshape(groups, W.shape[0] // groups, -1)  # (G, C_in/G, C_out/G*K)
            gx = xp.matmul(W_g, cols)  # (G, C_in/G, N*L)
            gx = _join_groups(gx)  # (C_in, N*L)
            gx = _batch_first(xp, gx, gy.shape[0], self.in_spatial)  # (N, C_in, *L)
        if self.needs_input_grad[1]:
            gW_t = xp.matmul(cols, x_g.transpose(0, 2, 1))  # (G, C_out/G*K, C_in/G)
            gW = gW_t.transpose(0, 2, 1).reshape(W.shape)  # (C_in, C_out/G, *K)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = gy.sum(axis=(0,) + tuple(range(2, gy.ndim)))  # (C_out,)
        return (gx, gW, gb)[:len(self.needs_input_grad)]


# ---------------------------------------------------------------------------- checks
def _checked_batch(op, n, x, weight, bias, groups, transposed):
    """Check the dimensions, dtypes and channels of x, weight and bias; returns x as a batch
    (N, C_in, *L) and whether it came unbatched (C_in, *L), which PyTorch also accepts."""
    w_layout = "(C_in, C_out/groups, " if transposed else "(C_out, C_in/groups, "
    w_layout += _KERNEL[n][1:]
    if x.ndim not in (n + 1, n + 2):
        raise ValueError(
            f"{op}: expected a {n + 2}-D input (N, C, {_SPATIAL[n][1:]} or an unbatched "
            f"{n + 1}-D one (C, {_SPATIAL[n][1:]}, got shape {x.shape}"
        )
    if weight.ndim != n + 2:
        raise ValueError(f"{op}: weight must be {n + 2}-D {w_layout}, got shape {weight.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise TypeError(
                f"{op}: input is {x.dtype} but {name} is {t.dtype}; convert one of them, "
                f"e.g. x.astype({t.dtype.name}) or the layer's .to(dtype={x.dtype.name})"
            )
    unbatched = x.ndim == n + 1
    if unbatched:
        x = reshape(x, (1,) + x.shape)  # (1, C_in, *L)
    _check_channels(op, x.shape[1], weight, bias, groups, transposed)
    return x, unbatched


def _check_channels(op, x_channels, weight, bias, groups, transposed):
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    per_group = weight.shape[0] if transposed else weight.shape[1] * groups
    if transposed:
        layout = "its weight is (C_in, C_out/groups, *K): axis 0 counts input channels"
    else:
        layout = "the weight's axis 1 (C_in/groups) times groups must equal the input channels"
    if x_channels != per_group:
        raise ValueError(
            f"{op}: input has {x_channels} channels but weight expects {per_group} "
            f"(weight shape {weight.shape}, groups={groups}); {layout}. Make the layer's "
            "in_channels match the channels of its input"
        )
    divided = ("input", x_channels) if transposed else ("output", weight.shape[0])
    if divided[1] % groups or x_channels % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide both the input channels ({x_channels}) and "
            f"the output channels (weight shape {weight.shape})"
        )
    c_out = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(
            f"{op}: bias must have shape ({c_out},), one value per output channel, "
            f"got {bias.shape}"
        )


def _conv_pads(op, padding, kernel, stride, dilation):
    """((before, after), ...) from an int, a tuple, 'valid' or 'same'."""
    n = len(kernel)
    if padding == "valid":
        return ((0, 0),) * n
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(
                f"{op}: padding='same' needs stride 1, got stride {stride}; "
                "give the padding as numbers instead"
            )
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)  # extra pixel after, like PyTorch
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', "
                         f"got {padding!r}")
    return tuple((p, p) for p in as_tuple(padding, n, "padding", op))


def _check_geometry(op, stride, dilation, pads):
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{op}: stride and dilation must be >= 1, got stride {stride} "
                         f"and dilation {dilation}")
    if any(p < 0 for pair in pads for p in pair):
        raise ValueError(f"{op}: padding must be >= 0, got {pads}")


def _conv(n, op, x, weight, bias, stride, padding, dilation, groups, padding_mode):
    x, unbatched = _checked_batch(op, n, x, weight, bias, groups, transposed=False)
    kernel = weight.shape[2:]
    stride = as_tuple(stride, n, "stride", op)
    dilation = as_tuple(dilation, n, "dilation", op)
    pads = _conv_pads(op, padding, kernel, stride, dilation)
    _check_geometry(op, stride, dilation, pads)
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"{op}: padding_mode must be one of {PADDING_MODES}, "
                         f"got {padding_mode!r}")
    spatial = x.shape[2:]
    if padding_mode in ("reflect", "circular"):
        limit = "<" if padding_mode == "reflect" else "<="
        for size, (before, after) in zip(spatial, pads):
            if max(before, after) > size - (padding_mode == "reflect"):
                raise ValueError(
                    f"{op}: padding_mode={padding_mode!r} needs padding {limit} the input "
                    f"size on each axis; got padding {pads} for spatial size {spatial}"
                )
    padded = tuple(s + b + a for s, (b, a) in zip(spatial, pads))
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < e for p, e in zip(padded, extent)):
        raise ValueError(
            f"{op}: input of spatial size {spatial} with padding {pads} is smaller than the "
            f"kernel's extent {extent} (kernel {kernel}, dilation {dilation}); use a larger "
            "input, more padding or a smaller kernel"
        )
    inputs = (x, weight) if bias is None else (x, weight, bias)
    y = Convolution.apply(*inputs, stride=stride, pads=pads, dilation=dilation, groups=groups,
                          padding_mode=padding_mode)
    return reshape(y, y.shape[1:]) if unbatched else y  # (C_out, *O) when unbatched


def _conv_transpose(n, op, x, weight, bias, stride, padding, output_padding, groups, dilation):
    x, unbatched = _checked_batch(op, n, x, weight, bias, groups, transposed=True)
    kernel = weight.shape[2:]
    stride = as_tuple(stride, n, "stride", op)
    dilation = as_tuple(dilation, n, "dilation", op)
    padding = as_tuple(padding, n, "padding", op)
    output_padding = as_tuple(output_padding, n, "output_padding", op)
    _check_geometry(op, stride, dilation, tuple((p, p) for p in padding))
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ < 0 or (op_ >= s and op_ >= d):
            raise ValueError(
                f"{op}: output_padding {output_padding} must be >= 0 and smaller than either "
                f"the stride {stride} or the dilation {dilation} on each axis"
            )
    spatial = x.shape[2:]
    out = tuple((n_ - 1) * s - 2 * p + d * (k - 1) + op_ + 1 for n_, k, s, p, d, op_ in
                zip(spatial, kernel, stride, padding, dilation, output_padding))
    if any(o < 1 for o in out):
        raise ValueError(
            f"{op}: the output would have spatial size {out} (input {spatial}, kernel "
            f"{kernel}, stride {stride}, padding {padding}); reduce the padding"
        )
    inputs = (x, weight) if bias is None else (x, weight, bias)
    y = ConvTranspose.apply(*inputs, stride=stride, padding=padding, dilation=dilation,
                            groups=groups, out=out, in_spatial=spatial)
    return reshape(y, y.shape[1:]) if unbatched else y  # (C_out, *O) when unbatched


# ---------------------------------------------------------------------------- public API
def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | tuple[int] = 1, padding: int | tuple[int] | str = 0,
           dilation: int | tuple[int] = 1, groups: int = 1,
           padding_mode: str = "zeros") -> Tensor:
    """1-D convolution 一次元畳み込み of x (N, C_in, L) with weight (C_out, C_in/groups, K).

    padding: an int, a tuple, 'valid' (none) or 'same' (output as long as the input,
    stride 1). padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
    Returns (N, C_out, L_out), L_out = (L + 2*padding - dilation*(K - 1) - 1) // stride + 1.

    Example:
        >>> x = manabu.tensor(np.ones((1, 2, 5), np.float32))  # (N, C_in, L)
        >>> F.conv1d(x, manabu.tensor(np.ones((3, 2, 3), np.float32))).shape  # L_out = 3
        (1, 3, 3)
    """
    return _conv(1, "conv1d", x, weight, bias, stride, padding, dilation, groups, padding_mode)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] | str = 0,
           dilation: int | tuple[int, int] = 1, groups: int = 1,
           padding_mode: str = "zeros") -> Tensor:
    """2-D convolution 畳み込み of x (N, C_in, H, W) with weight (C_out, C_in/groups, KH, KW).

    Like torch.nn.functional.conv2d, plus padding_mode ('zeros', 'reflect', 'replicate',
    'circular'), which PyTorch only offers on nn.Conv2d. Returns (N, C_out, OH, OW) with
    OH = (H + 2*padding - dilation*(KH - 1) - 1) // stride + 1 (and the same for OW).
    groups=C_in with weight (C_in*m, 1, KH, KW) is a depthwise convolution.

    Computed by im2col and one GEMM: y = W (C_out, C_in*KH*KW) @ cols (C_in*KH*KW, N*OH*OW);
    backward gW = gy @ cols^T, gx = col2im(W^T @ gy) (see the top of this file).

    Args:
        x: the images (N, C_in, H, W), or one unbatched image (C_in, H, W).
        weight: the filters (C_out, C_in/groups, KH, KW).
        bias: one value per output channel (C_out,), or None. Default: None
        stride: the step between windows: an int or (sH, sW). Default: 1
        padding: zeros (or ``padding_mode``) added on each side: an int, (pH, pW),
            'valid' (none) or 'same' (output as large as the input; stride 1). Default: 0
        dilation: the spacing between kernel elements: an int or (dH, dW). Default: 1
        groups: split the channels into this many independent convolutions. Default: 1
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'

    Shape:
        - Input: (N, C_in, H, W) or (C_in, H, W).
        - Output: (N, C_out, OH, OW) or (C_out, OH, OW), with
          OH = (H + 2*pH - dH*(KH - 1) - 1) // sH + 1, and OW alike.

    Example:
        >>> x = manabu.tensor(np.ones((1, 1, 4, 4), np.float32), requires_grad=True)
        >>> w = manabu.tensor(np.ones((2, 1, 3, 3), np.float32), requires_grad=True)
        >>> y = F.conv2d(x, w, padding=1)
        >>> y.shape, y[0, 0].tolist()[:2]  # a 3x3 sum of ones: 4 at a corner, 9 inside
        ((1, 2, 4, 4), [[4.0, 6.0, 6.0, 4.0], [6.0, 9.0, 9.0, 6.0]])
        >>> F.conv2d(x, w).shape, F.conv2d(x, w, stride=2, padding=1).shape
        ((1, 2, 2, 2), (1, 2, 2, 2))
        >>> y.sum().backward()
        >>> x.grad.shape, w.grad.shape
        ((1, 1, 4, 4), (2, 1, 3, 3))
    """
    return _conv(2, "conv2d", x, weight, bias, stride, padding, dilation, groups, padding_mode)


def conv3d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | tuple[int, int, int] = 1, padding: int | tuple[int, int, int] | str = 0,
           dilation: int | tuple[int, int, int] = 1, groups: int = 1,
           padding_mode: str = "zeros") -> Tensor:
    """3-D convolution 三次元畳み込み of x (N, C_in, D, H, W) with weight
    (C_out, C_in/groups, KD, KH, KW): video or volumes. Arguments as in conv2d."""
    return _conv(3, "conv3d", x, weight, bias, stride, padding, dilation, groups, padding_mode)


def conv_transpose1d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: int | tuple[int] = 1, padding: int | tuple[int] = 0,
                     output_padding: int | tuple[int] = 0, groups: int = 1,
                     dilation: int | tuple[int] = 1) -> Tensor:
    """1-D transposed convolution of x (N, C_in, L) with weight (C_in, C_out/groups, K).
    L_out = (L - 1)*stride - 2*padding + dilation*(K - 1) + output_padding + 1."""
    return _conv_transpose(1, "conv_transpose1d", x, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                     output_padding: int | tuple[int, int] = 0, groups: int = 1,
                     dilation: int | tuple[int, int] = 1) -> Tensor:
    """2-D transposed convolution 転置畳み込み (the gradient of conv2d with respect to its
    input), used to upsample: x (N, C_in, H, W), weight (C_in, C_out/groups, KH, KW).
    OH = (H - 1)*stride - 2*padding + dilation*(KH - 1) + output_padding + 1.

    Example:
        >>> x = manabu.tensor(np.ones((1, 2, 3, 3), np.float32))
        >>> w = manabu.tensor(np.ones((2, 4, 2, 2), np.float32))  # (C_in, C_out, KH, KW)
        >>> F.conv_transpose2d(x, w, stride=2).shape  # (3 - 1) * 2 + 2 = 6: upsampled
        (1, 4, 6, 6)
    """
    return _conv_transpose(2, "conv_transpose2d", x, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: int | tuple[int, int, int] = 1,
                     padding: int | tuple[int, int, int] = 0,
                     output_padding: int | tuple[int, int, int] = 0, groups: int = 1,
                     dilation: int | tuple[int, int, int] = 1) -> Tensor:
    """3-D transposed convolution: x (N, C_in, D, H, W), weight (C_in, C_out/groups, *K)."""
    return _conv_transpose(3, "conv_transpose3d", x, weight, bias, stride, padding,
                           output_padding, groups, dilation)


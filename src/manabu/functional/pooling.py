"""Pooling (プーリング) in 1-D, 2-D and 3-D: max, average, adaptive and global average.

Max pooling (最大プーリング) keeps the largest value of each window, average pooling
(平均プーリング) their mean. Both are written as a loop over the prod(K) offsets inside the
kernel (4 for 2x2): for one offset, the pixel it sees in every window is a strided slice
of the padded input, a (N, C, *O) view, so each step is one whole-array op and nothing is
copied. The backward loops the same way, adding each window's gradient back with
the same slices (windows may overlap when stride < kernel).

Output size per axis, as in PyTorch (ceil_mode rounds up, but a window may not start in
the right padding):  O = floor_or_ceil((L + 2*p - d*(K - 1) - 1) / s) + 1.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from manabu.autograd import Function, is_grad_enabled
from manabu.functional.im2col import as_tuple, kernel_offsets, pad, pad_backward, window_slices
from manabu.functional.reduce import mean
from manabu.functional.shape import reshape

if TYPE_CHECKING:
    from manabu.tensor import Tensor

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "global_avg_pool",
]

_ALL = (slice(None), slice(None))  # the batch and channel axes, whole


def _window_views(x_pad, kernel, out, stride, dilation):
    """For each kernel offset, the (N, C, *O) strided view of the pixels it sees."""
    return [x_pad[_ALL + window_slices(k, out, stride, dilation)] for k in
            kernel_offsets(kernel)]


def _add_windows(xp, grads, dtype, x_pad_shape, kernel, out, stride, dilation):
    """Adjoint of _window_views: add the i-th (N, C, *O) array of ``grads`` onto the view of
    kernel offset i (windows may overlap, so the views are added one after another; when
    they cannot overlap, each view is simply written)."""
    gx = xp.zeros(x_pad_shape, dtype=dtype)  # (N, C, *Lp)
    overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
    for g, k in zip(grads, kernel_offsets(kernel)):
        view = _ALL + window_slices(k, out, stride, dilation)
        if overlap:
            gx[view] += g
        else:
            gx[view] = g
    return gx


def knockout_max(xp, players, record=True):
    """The elementwise maximum of ``players`` (arrays of one shape, in scan order) played as
    a knockout tournament: adjacent pairs meet, the winners meet in the next round, an odd
    one out goes straight through. Returns (maximum, rounds): rounds[r][i] is a boolean
    array, True where the right player of match i of round r won (only if ``record``).
    Ties go to the left, earlier player, so the maximum found first wins, as in PyTorch."""
    rounds = []
    while len(players) > 1:
        wins, winners = [], []
        for left, right in zip(players[0::2], players[1::2]):
            if record:
                wins.append(right > left)
            winners.append(xp.maximum(left, right))  # a NaN on either side wins: y is NaN
        if len(players) % 2:
            winners.append(players[-1])
        rounds.append(wins)
        players = winners
    return players[0], rounds


def route_to_winners(g, rounds):
    """Adjoint of knockout_max: send g back down the tournament, each match passing it on to
    its winner; returns one gradient per player, in the players' order."""
    grads = [g]
    for wins in reversed(rounds):
        previous = []
        for g_match, right_won in zip(grads, wins):
            g_right = g_match * right_won
            previous += [g_match - g_right, g_right]  # the rest went to the left player
        previous += grads[len(wins):]  # the odd one out
        grads = previous
    return grads


class MaxPool(Function):
    """y = max over each window;  gx = gy routed to the position of that maximum.

    The maximum of each window is a knockout tournament between the prod(K) kernel offsets
    (``knockout_max``): 3 matches for a 2x2 window, each a whole-array comparison, and the
    backward sends gy back down through the winners. Ties go to the first maximum in scan
    order, as in PyTorch. A NaN in a window makes its output NaN (like PyTorch); its
    gradient goes to a player of that window.
    """

    def __init__(self, kernel, stride, dilation, pads, out, keep_argmax):
        self.kernel = kernel  # (K, ...): one per spatial axis
        self.stride = stride  # (s, ...)
        self.dilation = dilation  # (d, ...)
        self.pads = pads  # ((before, after), ...): one pair per spatial axis
        self.out = out  # the output's spatial size (O, ...)
        self.keep_argmax = keep_argmax  # record where the maxima are (False: no backward)

    def forward(self, x):
        xp = self.xp
        x_pad = pad(x, self.pads, value=-xp.inf)  # (N, C, *Lp), -inf never wins
        self.x_pad_shape = x_pad.shape
        views = _window_views(x_pad, self.kernel, self.out, self.stride, self.dilation)
        y, rounds = knockout_max(xp, views, record=self.keep_argmax)  # (N, C, *O)
        if y is views[0]:  # a 1-pixel window: y must not be a view of x
            y = y.copy()
        if self.keep_argmax:
            self.save_for_backward(rounds)
        return y

    def backward(self, gy, xp):
        (rounds,) = self.saved
        grads = route_to_winners(gy, rounds)  # one (N, C, *O) gradient per kernel offset
        gx = _add_windows(xp, grads, gy.dtype, self.x_pad_shape, self.kernel, self.out,
                          self.stride, self.dilation)
        return pad_backward(gx, self.pads)  # crop the padding


class AvgPool(Function):
    """y = sum over each window / divisor;  gx = gy / divisor added to every pixel of the
    window. The divisor is prod(K) unless the window hangs over the padding (see
    ``_divisor``) or ``divisor_override`` is given."""

    def __init__(self, kernel, stride, dilation, pads, out, count_include_pad,
                 divisor_override):
        self.kernel = kernel  # (K, ...): one per spatial axis
        self.stride = stride  # (s, ...)
        self.dilation = dilation  # (d, ...)
        self.pads = pads  # ((before, after), ...): one pair per spatial axis
        self.out = out  # the output's spatial size (O, ...)
        self.count_include_pad = count_include_pad  # padding counted in the divisor
        self.divisor_override = divisor_override  # a fixed divisor, or None

    def forward(self, x):
        xp = self.xp
        x_pad = pad(x, self.pads)  # (N, C, *Lp)
        self.x_pad_shape = x_pad.shape
        views = _window_views(x_pad, self.kernel, self.out, self.stride, self.dilation)
        y = views[0].copy()  # (N, C, *O)
        for v in views[1:]:
            xp.add(y, v, out=y)
        self.divisor = _divisor(xp, x.dtype, x.shape[2:], self)
        y /= self.divisor
        return y

    def backward(self, gy, xp):
        g = gy / self.divisor  # (N, C, *O): every pixel of a window gets the same share
        grads = [g] * math.prod(self.kernel)
        gx = _add_windows(xp, grads, g.dtype, self.x_pad_shape, self.kernel, self.out,
                          self.stride, self.dilation)
        return pad_backward(gx, self.pads)


def _divisor(xp, dtype, spatial, fn):
    """PyTorch's divisor, per output position: the window's size clipped to input + padding
    (count_include_pad=True) or to the input alone (False); a plain number when constant."""
    if fn.divisor_override is not None:
        return float(fn.divisor_override)
    counts = []
    for axis, (n, k, s, (p, _)) in enumerate(zip(spatial, fn.kernel, fn.stride, fn.pads)):
        start = xp.arange(fn.out[axis]) * s - p
        end = xp.minimum(start + k, n + p)
        if not fn.count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        shape = [1] * len(spatial)
        shape[axis] = -1
        counts.append((end - start).reshape(shape))  # broadcasts along this axis only
    divisor = counts[0]
    for c in counts[1:]:
        divisor = divisor * c  # (*O): windows are boxes, so the count is a product
    if bool((divisor == math.prod(fn.kernel)).all()):
        return float(math.prod(fn.kernel))
    return divisor.astype(dtype)


class AdaptiveAvgPool(Function):
    """y = mean over bins that tile the input into ``out`` parts per axis (PyTorch's bins:
    start = floor(i*L/O), end = ceil((i+1)*L/O)).

    Averaging over a box is separable, so each axis is one matrix product with a pooling
    matrix A (O, L) whose row i holds 1/(end - start) on the bin:  y = A_h @ x @ A_w.T in 2-D;
    gx = A_h.T @ gy @ A_w.
    """

    def __init__(self, out):
        self.out = out  # the output's spatial size (O, ...)

    def forward(self, x):
        xp = self.xp
        self.matrices = [_bin_matrix(xp, n, o, x.dtype) for n, o in zip(x.shape[2:], self.out)]
        y = x
        for axis, A in enumerate(self.matrices):
            y = xp.tensordot(y, A, axes=([2 + axis], [1]))  # this axis pooled, moved last
            y = xp.moveaxis(y, -1, 2 + axis)  # back in place: (N, C, ..., O_axis, ...)
        return xp.ascontiguousarray(y)  # (N, C, *O)

    def backward(self, gy, xp):
        gx = gy
        for axis, A in enumerate(self.matrices):
            gx = xp.tensordot(gx, A, axes=([2 + axis], [0]))  # this axis spread, moved last
            gx = xp.moveaxis(gx, -1, 2 + axis)  # back in place: (N, C, ..., L_axis, ...)
        return xp.ascontiguousarray(gx)  # (N, C, *L)


def _bin_matrix(xp, length, out, dtype):
    """A (out, length): A[i, j] = 1 / (end_i - start_i) for start_i <= j < end_i, else 0."""
    i = xp.arange(out)[:, None]
    start = (i * length) // out
    end = -((-(i + 1) * length) // out)  # ceil without floats
    j = xp.arange(length)[None, :]
    inside = (j >= start) & (j < end)
    return (inside / (end - start)).astype(dtype)


# ---------------------------------------------------------------------------- geometry
def _batched(op, n, x):
    """x as (N, C, *L); also says whether it came unbatched (C, *L), as PyTorch allows."""
    if x.ndim not in (n + 1, n + 2):
        raise ValueError(
            f"{op}: expected a {n + 2}-D input (N, C, ...) or an unbatched {n + 1}-D one "
            f"(C, ...), got shape {x.shape}"
        )
    if x.ndim == n + 1:
        return reshape(x, (1,) + x.shape), True  # (1, C, *L)
    return x, False


def _pool_geometry(op, n, x, kernel_size, stride, padding, dilation, ceil_mode):
    """kernel, stride, dilation, pads ((before, after) per axis) and output size."""
    kernel = as_tuple(kernel_size, n, "kernel_size", op)
    stride = kernel if stride is None else as_tuple(stride, n, "stride", op)
    padding = as_tuple(padding, n, "padding", op)
    dilation = as_tuple(dilation, n, "dilation", op)
    if min(kernel + stride + dilation) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be >= 1 and padding "
                         f">= 0, got {kernel}, {stride}, {dilation} and {padding}")
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(2 * p > span for p, span in zip(padding, spans)):
        raise ValueError(
            f"{op}: padding {padding} must be at most half the kernel's extent {spans}, "
            "or some windows would see only padding"
        )
    spatial = x.shape[2:]
    out, pads = [], []
    for length, span, s, p in zip(spatial, spans, stride, padding):
        numerator = length + 2 * p - span + (s - 1 if ceil_mode else 0)
        o = numerator // s + 1
        if ceil_mode and (o - 1) * s >= length + p:  # the last window would start in padding
            o -= 1
        out.append(o)
        extra = max(0, (o - 1) * s + span - (length + 2 * p))  # ceil_mode's partial window
        pads.append((p, p + extra))
    if min(out) < 1:
        raise ValueError(
            f"{op}: input of spatial size {spatial} is too small for kernel {kernel} with "
            f"padding {padding} and dilation {dilation} (output size {tuple(out)}); use a "
            "smaller kernel or more padding"
        )
    return dict(kernel=kernel, stride=stride, dilation=dilation, pads=tuple(pads),
                out=tuple(out))


def _max_pool(n, op, x, kernel_size, stride, padding, dilation, ceil_mode):
    x, unbatched = _batched(op, n, x)
    geometry = _pool_geometry(op, n, x, kernel_size, stride, padding, dilation, ceil_mode)
    keep_argmax = is_grad_enabled() and getattr(x, "requires_grad", False)
    y = MaxPool.apply(x, keep_argmax=keep_argmax, **geometry)
    return reshape(y, y.shape[1:]) if unbatched else y  # (C, *O) when unbatched


def _avg_pool(n, op, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    x, unbatched = _batched(op, n, x)
    geometry = _pool_geometry(op, n, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{op}: divisor_override must be positive, got {divisor_override}")
    y = AvgPool.apply(x, count_include_pad=count_include_pad,
                      divisor_override=divisor_override, **geometry)
    return reshape(y, y.shape[1:]) if unbatched else y  # (C, *O) when unbatched


def _adaptive_avg_pool(n, op, x, output_size):
    x, unbatched = _batched(op, n, x)
    sizes = (output_size,) * n if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != n:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {n}, "
                         f"got {output_size!r}")
    out = tuple(length if o is None else o for o, length in zip(sizes, x.shape[2:]))
    if min(out) < 1:
        raise ValueError(f"{op}: output_size must be >= 1, got {output_size!r}")
    y = AdaptiveAvgPool.apply(x, out=out)
    return reshape(y, y.shape[1:]) if unbatched else y  # (C, *O) when unbatched


# ---------------------------------------------------------------------------- public API
def max_pool1d(x: Tensor, kernel_size: int | tuple[int], stride: int | tuple[int] | None = None,
               padding: int | tuple[int] = 0, dilation: int | tuple[int] = 1,
               ceil_mode: bool = False) -> Tensor:
    """Max pooling over windows of (N, C, L); stride defaults to kernel_size."""
    return _max_pool(1, "max_pool1d", x, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(x: Tensor, kernel_size: int | tuple[int, int],
               stride: int | tuple[int, int] | None = None, padding: int | tuple[int, int] = 0,
               dilation: int | tuple[int, int] = 1, ceil_mode: bool = False) -> Tensor:
    """Max pooling 最大プーリング over windows of (N, C, H, W), as in PyTorch: the padding
    is -inf, stride defaults to kernel_size, ceil_mode keeps a partial last window.

    The gradient goes to each window's maximum (shared equally on a tie).

    Args:
        x: the images (N, C, H, W), or one unbatched image (C, H, W).
        kernel_size: the window: an int or (KH, KW).
        stride: the step between windows; None means kernel_size. Default: None
        padding: -inf added on each side, at most half the kernel. Default: 0
        dilation: the spacing between window elements. Default: 1
        ceil_mode: round the output size up, keeping a partial last window.
            Default: False

    Shape:
        - Input: (N, C, H, W) or (C, H, W).
        - Output: (N, C, OH, OW) or (C, OH, OW), with
          OH = (H + 2*padding - dilation*(KH - 1) - 1) // stride + 1, and OW alike.

    Example:
        >>> x = manabu.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
        >>> y = F.max_pool2d(x, 2)
        >>> y.tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
        >>> y.sum().backward()
        >>> x.grad[0, 0].tolist()[:2]  # 1 at each window's maximum
        [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    """
    return _max_pool(2, "max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool3d(x: Tensor, kernel_size: int | tuple[int, int, int],
               stride: int | tuple[int, int, int] | None = None,
               padding: int | tuple[int, int, int] = 0, dilation: int | tuple[int, int, int] = 1,
               ceil_mode: bool = False) -> Tensor:
    """Max pooling over windows of (N, C, D, H, W)."""
    return _max_pool(3, "max_pool3d", x, kernel_size, stride, padding, dilation, ceil_mode)


def avg_pool1d(x: Tensor, kernel_size: int | tuple[int], stride: int | tuple[int] | None = None,
               padding: int | tuple[int] = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Average pooling over windows of (N, C, L); arguments as in avg_pool2d."""
    return _avg_pool(1, "avg_pool1d", x, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool2d(x: Tensor, kernel_size: int | tuple[int, int],
               stride: int | tuple[int, int] | None = None, padding: int | tuple[int, int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Average pooling 平均プーリング over windows of (N, C, H, W), as in PyTorch: zero
    padding counted in the mean unless count_include_pad=False; divisor_override fixes
    the divisor.

    Example:
        >>> x = manabu.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
        >>> F.avg_pool2d(x, 2).tolist()
        [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(2, "avg_pool2d", x, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(x: Tensor, kernel_size: int | tuple[int, int, int],
               stride: int | tuple[int, int, int] | None = None,
               padding: int | tuple[int, int, int] = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Average pooling over windows of (N, C, D, H, W)."""
    return _avg_pool(3, "avg_pool3d", x, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def adaptive_avg_pool1d(x: Tensor, output_size: int | tuple[int | None]) -> Tensor:
    """Average pooling to a fixed output length, whatever the input length."""
    return _adaptive_avg_pool(1, "adaptive_avg_pool1d", x, output_size)


def adaptive_avg_pool2d(x: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """Average pooling to a fixed (OH, OW) (an int for both; None keeps that axis).

    Example:
        >>> x = manabu.tensor(np.ones((2, 3, 7, 5), np.float32))
        >>> F.adaptive_avg_pool2d(x, (2, None)).shape, F.adaptive_avg_pool2d(x, 1).shape
        ((2, 3, 2, 5), (2, 3, 1, 1))
    """
    return _adaptive_avg_pool(2, "adaptive_avg_pool2d", x, output_size)


def adaptive_avg_pool3d(x: Tensor,
                        output_size: int | tuple[int | None, int | None, int | None]) -> Tensor:
    """Average pooling to a fixed (OD, OH, OW)."""
    return _adaptive_avg_pool(3, "adaptive_avg_pool3d", x, output_size)


def global_avg_pool(x: Tensor, keepdims: bool = False) -> Tensor:
    """Global average pooling グローバル平均プーリング (GAP): the mean over all spatial axes,
    (N, C, *L) -> (N, C), or (N, C, 1, ...) with keepdims=True.

    Example:
        >>> x = manabu.tensor(np.ones((2, 3, 4, 4), np.float32))
        >>> F.global_avg_pool(x).shape, F.global_avg_pool(x, keepdims=True).shape
        ((2, 3), (2, 3, 1, 1))
    """
    if x.ndim < 3:
        raise ValueError(f"global_avg_pool: expected (N, C, *spatial), got shape {x.shape}")
    return mean(x, axis=tuple(range(2, x.ndim)), keepdims=keepdims)

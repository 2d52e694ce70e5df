"""im2col and col2im: turn a convolution (畳み込み) into one matrix product.

A convolution slides a small kernel over the image and takes a dot product at each place.
im2col copies every window the kernel visits into one column of a matrix, so that all the
dot products become a single GEMM (matrix multiply), the fastest thing a BLAS or a GPU does:

    cols = im2col(x, kernel_size=(KH, KW))   # (C*KH*KW, N*OH*OW): one column per window
    y    = W.reshape(C_out, -1) @ cols        # (C_out, N*OH*OW): every output pixel at once

Tiny example: one 3x3 image, a 2x2 kernel, stride 1 -> 2x2 windows, each a column

    x = [[0, 1, 2],        cols = [[0, 1, 3, 4],    <- top-left of each window
         [3, 4, 5],                [1, 2, 4, 5],    <- top-right
         [6, 7, 8]]                [3, 4, 6, 7],    <- bottom-left
                                   [4, 5, 7, 8]]    <- bottom-right

(Deep Learning from Scratch's im2col returns the transpose, (N*OH*OW, C*KH*KW); putting the
channels and kernel first lets ``W @ cols`` be one GEMM for every image of the batch.)

col2im is the adjoint (転置): it adds every column back onto the window it came from, so
pixels shared by overlapping windows receive the sum. It is how the gradient reaches x.

Everything here is N-dimensional: the same code serves 1-D signals (N, C, L), images
(N, C, H, W) and volumes (N, C, D, H, W). The windows are a strided *view* of x (no copy);
im2col then makes exactly one contiguous copy, the matrix the GEMM needs.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from manabu import backend

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import numpy as np

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def as_tuple(value: int | Sequence[int], n: int, name: str, op: str) -> tuple[int, ...]:
    """An int or a sequence as an n-tuple of ints, e.g. stride=2 -> (2, 2) for conv2d."""
    if isinstance(value, int):
        return (value,) * n
    values = tuple(value)
    if len(values) != n or not all(isinstance(v, int) for v in values):
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return values


def strided_view(x: np.ndarray, shape: Sequence[int], strides: Sequence[int]) -> np.ndarray:
    """A view of x with the given shape and byte strides (NumPy's or CuPy's as_strided)."""
    xp = backend.get_array_module(x)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def output_size(length: int, kernel: int, stride: int, dilation: int) -> int:
    """Number of window positions along one axis of an (already padded) input:
    O = (L - d*(K - 1) - 1) // s + 1, where d*(K - 1) + 1 is the dilated kernel's extent."""
    return (length - dilation * (kernel - 1) - 1) // stride + 1


def output_sizes(spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                 dilation: Sequence[int]) -> tuple[int, ...]:
    return tuple(output_size(n, k, s, d) for n, k, s, d in zip(spatial, kernel, stride, dilation))


def sliding_windows(x: np.ndarray, kernel: Sequence[int], stride: Sequence[int],
                    dilation: Sequence[int]) -> np.ndarray:
    """Every window of x as a view of shape (N, C, *O, *K), e.g. (N, C, OH, OW, KH, KW).

    No data moves: moving one output position along an axis jumps ``stride`` elements of x,
    moving one kernel position jumps ``dilation`` elements, so both are just strides.
    """
    spatial_strides = x.strides[2:]
    out = output_sizes(x.shape[2:], kernel, stride, dilation)
    shape = x.shape[:2] + out + tuple(kernel)
    strides = (x.strides[:2]
               + tuple(st * s for st, s in zip(spatial_strides, stride))
               + tuple(st * d for st, d in zip(spatial_strides, dilation)))
    return strided_view(x, shape, strides)


def im2col(x: np.ndarray, kernel: Sequence[int], stride: Sequence[int] | None = None,
           dilation: Sequence[int] | None = None) -> np.ndarray:
    """The windows of x (N, C, *L), already padded, as a matrix (C*prod(K), N*prod(O)).

    Row (c, kh, kw) holds the pixel at offset (kh, kw) of channel c in every window; column
    (n, oh, ow) is the window of image n at output position (oh, ow). One copy.
    """
    n = len(kernel)
    stride = stride or (1,) * n
    dilation = dilation or (1,) * n
    windows = sliding_windows(x, kernel, stride, dilation)  # (N, C, *O, *K) view
    k_axes = tuple(range(2 + n, 2 + 2 * n))
    o_axes = tuple(range(2, 2 + n))
    cols = windows.transpose((1,) + k_axes + (0,) + o_axes)  # (C, *K, N, *O) view
    cols = backend.get_array_module(x).ascontiguousarray(cols)  # the one copy
    # both sizes spelled out, not -1: NumPy cannot infer one for an empty batch (N = 0)
    n_cols = x.shape[0] * math.prod(windows.shape[2:2 + n])
    return cols.reshape(x.shape[1] * math.prod(kernel), n_cols)  # (C*prod(K), N*prod(O))


def kernel_offsets(kernel: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every offset inside the kernel: (0, 0), (0, 1), ..., (KH-1, KW-1)."""
    return itertools.product(*(range(k) for k in kernel))


def window_slices(offset: Sequence[int], out: Sequence[int], stride: Sequence[int],
                  dilation: Sequence[int]) -> tuple[slice, ...]:
    """Slices of a padded input picking, for one kernel offset, the pixel it sees in every
    window: along each axis  offset*d, offset*d + s, ..., offset*d + s*(O - 1)."""
    return tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                 for k, o, s, d in zip(offset, out, stride, dilation))


def col2im(cols: np.ndarray, x_shape: Sequence[int], kernel: Sequence[int],
           stride: Sequence[int] | None = None,
           dilation: Sequence[int] | None = None) -> np.ndarray:
    """Adjoint of im2col: add each column of cols (C*prod(K), N*prod(O)) back onto its
    window in an array of shape x_shape = (N, C, *L); overlapping windows sum.

    The loop runs over the prod(K) kernel offsets (9 for a 3x3 kernel), never over output
    pixels: each step adds one whole (C, N, *O) slab with a strided slice, and slabs of
    different offsets overlap, so they cannot be written in one vectorised assignment
    without a scatter-add (np.add.at), which is far slower.
    """
    n = len(kernel)
    stride = stride or (1,) * n
    dilation = dilation or (1,) * n
    xp = backend.get_array_module(cols)
    batch, channels, spatial = x_shape[0], x_shape[1], tuple(x_shape[2:])
    out = output_sizes(spatial, kernel, stride, dilation)
    cols = cols.reshape((channels,) + tuple(kernel) + (batch,) + out)  # (C, *K, N, *O)
    # accumulate channel-first, like cols, so each slab is added without a transpose
    image = xp.zeros((channels, batch) + spatial, dtype=cols.dtype)  # (C, N, *L)
    everything = (slice(None), slice(None))
    for offset in kernel_offsets(kernel):
        window = everything + window_slices(offset, out, stride, dilation)
        image[window] += cols[(slice(None),) + offset]  # the (C, N, *O) slab of this offset
    return image.swapaxes(0, 1)  # (N, C, *L) view


# ---------------------------------------------------------------------------- padding
def _along(axis, index):
    """An index tuple selecting ``index`` on ``axis`` and everything on the axes before."""
    return (slice(None),) * axis + (index,)


def pad(x: np.ndarray, pads: Sequence[tuple[int, int]], mode: str = "zeros",
        value: float = 0.0) -> np.ndarray:
    """x (N, C, *L) padded on the spatial axes; ``pads`` is ((before, after), ...) per axis.

    mode: 'zeros' (the constant ``value``), 'reflect' (mirror without repeating the edge:
    ... 2 1 | 0 1 2 ...), 'replicate' (repeat the edge: 0 0 | 0 1 2), 'circular' (wrap).
    """
    if all(before == 0 and after == 0 for before, after in pads):
        return x
    xp = backend.get_array_module(x)
    if mode == "zeros":
        shape = x.shape[:2] + tuple(n + b + a for n, (b, a) in zip(x.shape[2:], pads))
        out = xp.full(shape, value, dtype=x.dtype)
        out[(slice(None), slice(None)) + tuple(slice(b, b + n) for n, (b, _) in
                                               zip(x.shape[2:], pads))] = x
        return out
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    return xp.pad(x, ((0, 0), (0, 0)) + tuple(pads), mode=numpy_mode)


def pad_backward(g: np.ndarray, pads: Sequence[tuple[int, int]],
                 mode: str = "zeros") -> np.ndarray:
    """Adjoint of ``pad``: fold the gradient of the padded array back onto x.

    With zeros the border simply falls away; otherwise each padded cell was a copy of some
    cell of x, so its gradient is added there (axis by axis, since padding is separable).
    """
    xp = backend.get_array_module(g)
    for i, (before, after) in enumerate(pads):
        if before == 0 and after == 0:
            continue
        axis = 2 + i
        length = g.shape[axis] - before - after
        mid = g[_along(axis, slice(before, before + length))]
        if mode == "zeros":
            g = mid
            continue
        mid = mid.copy()
        head = g[_along(axis, slice(0, before))]
        tail = g[_along(axis, slice(before + length, None))]
        if mode == "replicate":  # every head cell copied x[0], every tail cell x[-1]
            mid[_along(axis, slice(0, 1))] += head.sum(axis=axis, keepdims=True)
            mid[_along(axis, slice(length - 1, length))] += tail.sum(axis=axis, keepdims=True)
        elif mode == "reflect":  # head cell p copied x[before - p], tail cell q x[L - 2 - q]
            mid[_along(axis, slice(1, before + 1))] += xp.flip(head, axis=axis)
            mid[_along(axis, slice(length - 1 - after, length - 1))] += xp.flip(tail, axis=axis)
        else:  # circular: head cell p copied x[L - before + p], tail cell q copied x[q]
            mid[_along(axis, slice(length - before, length))] += head
            mid[_along(axis, slice(0, after))] += tail
        g = mid
    return xp.ascontiguousarray(g)

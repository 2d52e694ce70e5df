"""The image operations behind the data transforms (データ拡張): deterministic, batched.

Each function takes a batch ``x`` of shape (N, C, H, W) and one parameter per image as an
array of shape (N,) (or (N, 2)), so a whole mini-batch is transformed in a few array
operations with no Python loop over the images. The random transforms in ``transforms.py``
draw these parameters and call these functions; calling them yourself with fixed
parameters gives exactly the same result.

Geometric transforms (rotation, scaling, translation) use *inverse mapping*: for every
pixel of the output we ask where it comes from in the input, and read the input there by
bilinear interpolation (双線形補間) of the four pixels around that point. Mapping input
pixels forward instead would leave holes in the output wherever the transform stretches.

Arrays may be NumPy or CuPy (the functions follow their input's array module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.functional.im2col import pad

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType
    from typing import Any

__all__ = [
    "adjust_brightness", "adjust_contrast", "affine", "affine_grid", "as_batch",
    "bilinear_sample", "clip_range", "crop", "erase", "hflip", "normalize", "pad_images",
    "rotate", "vflip",
]


def as_batch(x: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    """``(batch, single)``: x as (N, C, H, W), and whether it was one image (C, H, W).

    Args:
        x: one image (C, H, W) or a batch (N, C, H, W); other shapes raise ValueError
        name: the caller's name, for the error messages

    Example:
        >>> batch, single = data.transform_ops.as_batch(np.zeros((1, 28, 28)), "demo")
        >>> batch.shape, single
        ((1, 1, 28, 28), True)
    """
    if not backend.is_array(x):
        raise TypeError(f"{name}: expected a NumPy array, got {type(x).__name__}")
    if x.ndim == 3:
        return x[None], True  # (1, C, H, W)
    if x.ndim == 4:
        return x, False
    raise ValueError(
        f"{name}: expected one image (C, H, W) or a batch (N, C, H, W), got shape "
        f"{tuple(x.shape)}; load images unflattened (e.g. load_mnist(flatten=False))"
    )


def _per_image(xp: ModuleType, values: Any, n: int, dtype: Any = None) -> Any:
    """A parameter as an array of shape (n,): a scalar is repeated for every image."""
    values = xp.asarray(values, dtype=dtype)
    if values.ndim == 0:
        values = xp.full(n, values, dtype=values.dtype)
    return values


def _flip_where(x, flip, axis):
    """The images of x (N, C, H, W) where ``flip`` is True, mirrored along ``axis``."""
    xp = backend.get_array_module(x)
    flip = _per_image(xp, flip, x.shape[0], dtype=bool)  # (N,)
    return xp.where(flip[:, None, None, None], xp.flip(x, axis=axis), x)


def hflip(x: np.ndarray, flip: bool | np.ndarray = True) -> np.ndarray:
    """Mirror left-right the images where ``flip`` (bool, or (N,) bools) is True.

    Args:
        x: a batch (N, C, H, W)
        flip: one bool for every image, or (N,) bools

    Returns:
        a new array (N, C, H, W)

    Example:
        >>> x = np.array([[[[1.0, 2.0]]], [[[3.0, 4.0]]]])             # (2, 1, 1, 2)
        >>> data.transform_ops.hflip(x, np.array([True, False])).tolist()
        [[[[2.0, 1.0]]], [[[3.0, 4.0]]]]
    """
    return _flip_where(x, flip, axis=-1)  # W, the last axis


def vflip(x: np.ndarray, flip: bool | np.ndarray = True) -> np.ndarray:
    """Mirror upside down the images where ``flip`` is True.

    Args:
        x, flip: as for :func:`hflip`; the result too is a new array (N, C, H, W).
    """
    return _flip_where(x, flip, axis=-2)  # H


def affine_grid(angle: np.ndarray, scale: np.ndarray, translate: np.ndarray,
                size: tuple[int, int], xp: ModuleType = np) -> tuple[np.ndarray, np.ndarray]:
    """Where each output pixel reads the input: ``(rows, cols)``, each (N, H, W), float64.

    The forward map turns an image by ``angle`` degrees counter-clockwise (as displayed,
    rows going down) about its centre c = ((H-1)/2, (W-1)/2), scales it by ``scale`` and
    shifts it by ``translate`` = (dx, dy) pixels (right, down):

        [x', y'] = s R(angle) [x - cx, y - cy] + [cx + dx, cy + dy]

    The grid is its inverse, applied to every output pixel (x', y'):

        [x, y] = R(-angle) [x' - cx - dx, y' - cy - dy] / s + [cx, cy]

    with, in screen coordinates (y down), R(-a) [u, v] = [u cos a - v sin a, u sin a + v cos a].

    Args:
        angle: (N,) degrees, counter-clockwise
        scale: (N,) positive factors
        translate: (N, 2) shifts (dx, dy) in pixels
        size: (H, W) of the output
        xp: the array module (NumPy or CuPy). Default: numpy

    Returns:
        ``(rows, cols)``, each (N, H, W) float64: where each output pixel reads the input

    Example:
        >>> rows, cols = data.transform_ops.affine_grid(np.zeros(1), np.ones(1),
        ...                                             np.zeros((1, 2)), (2, 3))
        >>> rows[0].tolist(), cols[0].tolist()                 # the identity map
        ([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])
    """
    height, width = size
    theta = xp.deg2rad(xp.asarray(angle, dtype=np.float64))[:, None, None]  # (N, 1, 1)
    cos = xp.cos(theta)
    sin = xp.sin(theta)
    s = xp.asarray(scale, dtype=np.float64)[:, None, None]
    shift = xp.asarray(translate, dtype=np.float64)  # (N, 2): dx, dy
    cy = (height - 1) / 2
    cx = (width - 1) / 2
    u = xp.arange(width)[None, None, :] - cx - shift[:, 0, None, None]  # (N, 1, W)
    v = xp.arange(height)[None, :, None] - cy - shift[:, 1, None, None]  # (N, H, 1)
    cols = (cos * u - sin * v) / s + cx  # (N, H, W)
    rows = (sin * u + cos * v) / s + cy  # (N, H, W)
    return rows, cols


def bilinear_sample(x: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                    fill: float = 0.0) -> np.ndarray:
    """Read x (N, C, H, W) at real-valued positions ``rows``, ``cols`` (N, Ho, Wo) by bilinear
    interpolation; positions outside the image read ``fill``.

        out = (1-a)(1-b) x[r0, c0] + (1-a) b x[r0, c0+1] + a (1-b) x[r0+1, c0] + a b x[r0+1, c0+1]

    with r0 = floor(row), a = row - r0, c0 = floor(col), b = col - c0. The image gets a
    one-pixel border of ``fill`` first, so a position just outside blends the edge pixel with
    the fill, and one further out reads the fill only. Returns (N, C, Ho, Wo), x's dtype.

    Args:
        x: a batch (N, C, H, W)
        rows: (N, Ho, Wo) real-valued row positions
        cols: (N, Ho, Wo) real-valued column positions
        fill: the value read outside the image. Default: 0

    Example:
        >>> x = np.array([[[[0.0, 10.0]]]])                               # (1, 1, 1, 2)
        >>> data.transform_ops.bilinear_sample(x, np.zeros((1, 1, 1)),
        ...                                    np.full((1, 1, 1), 0.25)).tolist()
        [[[[2.5]]]]
    """
    xp = backend.get_array_module(x)
    n, channels, height, width = x.shape
    out_shape = rows.shape[1:]
    padded = xp.full((n, channels, height + 2, width + 2), fill, dtype=x.dtype)
    padded[:, :, 1:-1, 1:-1] = x
    flat = padded.reshape(n, channels, -1)  # (N, C, (H+2)*(W+2))
    r0 = xp.floor(rows)
    c0 = xp.floor(cols)
    a = (rows - r0).astype(x.dtype).reshape(n, 1, -1)  # (N, 1, Ho*Wo)
    b = (cols - c0).astype(x.dtype).reshape(n, 1, -1)

    def read(r, c):
        """x at integer positions (r, c), (N, C, Ho*Wo); off the image: the fill border."""
        r = xp.clip(r, -1, height).astype(np.int64) + 1  # -1 and H are the border
        c = xp.clip(c, -1, width).astype(np.int64) + 1
        index = (r * (width + 2) + c).reshape(n, 1, -1)  # (N, 1, Ho*Wo)
        return xp.take_along_axis(flat, index, axis=2)

    top = (1 - b) * read(r0, c0) + b * read(r0, c0 + 1)
    bottom = (1 - b) * read(r0 + 1, c0) + b * read(r0 + 1, c0 + 1)
    out = (1 - a) * top + a * bottom  # (N, C, Ho*Wo)
    return out.reshape((n, channels) + tuple(out_shape))  # (N, C, Ho, Wo)


def affine(x: np.ndarray, angle: float | np.ndarray = 0.0, scale: float | np.ndarray = 1.0,
           translate: Sequence[float] | np.ndarray = (0.0, 0.0),
           fill: float = 0.0) -> np.ndarray:
    """Rotate (degrees, counter-clockwise), scale and shift (pixels) each image about its
    centre, keeping its size; ``angle`` and ``scale`` are scalars or (N,), ``translate`` a
    pair or (N, 2). Bilinear interpolation; uncovered pixels get ``fill``.

    Args:
        x: a batch (N, C, H, W)
        angle: degrees, one for all images or (N,). Default: 0
        scale: positive factors, one or (N,) (ValueError for scale <= 0). Default: 1
        translate: (dx, dy) pixels, one pair or (N, 2). Default: (0, 0)
        fill: the value of uncovered pixels. Default: 0

    Returns:
        (N, C, H, W) in x's dtype

    Example:
        >>> x = np.array([[[[1.0, 2.0, 3.0]]]])                      # (1, 1, 1, 3)
        >>> data.transform_ops.affine(x, translate=(1.0, 0.0)).tolist()  # one pixel right
        [[[[0.0, 1.0, 2.0]]]]
    """
    xp = backend.get_array_module(x)
    n = x.shape[0]
    angle = _per_image(xp, angle, n, dtype=np.float64)
    scale = _per_image(xp, scale, n, dtype=np.float64)
    translate = xp.asarray(translate, dtype=np.float64)
    if translate.ndim == 1:
        translate = xp.broadcast_to(translate, (n, 2))
    if bool(xp.any(scale <= 0)):
        raise ValueError(f"affine: scale must be positive, got {scale}")
    rows, cols = affine_grid(angle, scale, translate, x.shape[2:], xp=xp)
    return bilinear_sample(x, rows, cols, fill)


def rotate(x: np.ndarray, angle: float | np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Turn each image by ``angle`` degrees counter-clockwise about its centre (90 degrees on
    a square image is ``np.rot90(x, axes=(-2, -1))``).

    Args:
        x: a batch (N, C, H, W)
        angle: degrees, one for all images or (N,)
        fill: the value of uncovered pixels. Default: 0

    Returns:
        (N, C, H, W) in x's dtype

    Example:
        >>> x = np.arange(4.0).reshape(1, 1, 2, 2)
        >>> np.allclose(data.transform_ops.rotate(x, 90), np.rot90(x, axes=(-2, -1)))
        True
    """
    return affine(x, angle=angle, fill=fill)


def pad_images(x: np.ndarray, padding: tuple[int, int, int, int], fill: float = 0.0,
               mode: str = "zeros") -> np.ndarray:
    """x (N, C, H, W) with ``padding`` = (top, bottom, left, right) pixels added; mode
    'zeros' (the constant ``fill``), 'reflect', 'replicate' or 'circular'.

    Args:
        x: a batch (N, C, H, W)
        padding: (top, bottom, left, right) in pixels
        fill: the constant of mode 'zeros'. Default: 0
        mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'

    Returns:
        (N, C, H + top + bottom, W + left + right)

    Example:
        >>> x = np.ones((1, 1, 2, 2))
        >>> data.transform_ops.pad_images(x, (1, 0, 0, 2)).shape
        (1, 1, 3, 4)
    """
    top, bottom, left, right = padding
    return pad(x, ((top, bottom), (left, right)), mode=mode, value=fill)


def crop(x: np.ndarray, top: int | np.ndarray, left: int | np.ndarray,
         size: tuple[int, int]) -> np.ndarray:
    """The ``size`` = (h, w) window of each image whose top-left corner is (top[i], left[i])
    (ints or (N,) ints): (N, C, h, w), gathered for the whole batch at once.

    Args:
        x: a batch (N, C, H, W)
        top: the first row of each window, an int or (N,) ints
        left: the first column of each window, an int or (N,) ints
        size: (h, w); a window that does not fit raises ValueError

    Returns:
        (N, C, h, w)

    Example:
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> data.transform_ops.crop(x, top=1, left=2, size=(2, 2)).tolist()
        [[[[6.0, 7.0], [10.0, 11.0]]]]
    """
    xp = backend.get_array_module(x)
    n, channels, height, width = x.shape
    h, w = size
    top = _per_image(xp, top, n, dtype=np.int64)
    left = _per_image(xp, left, n, dtype=np.int64)
    fits = (top >= 0) & (left >= 0) & (top + h <= height) & (left + w <= width)
    if not bool(xp.all(fits)):
        raise ValueError(f"crop: a {h}x{w} window does not fit in {height}x{width} images at "
                         f"those offsets; pad the images first")
    rows = top[:, None] + xp.arange(h)  # (N, h)
    cols = left[:, None] + xp.arange(w)  # (N, w)
    index = rows[:, :, None] * width + cols[:, None, :]  # (N, h, w) flat pixel indices
    flat = x.reshape(n, channels, -1)  # (N, C, H*W)
    out = xp.take_along_axis(flat, index.reshape(n, 1, -1), axis=2)  # (N, C, h*w)
    return out.reshape(n, channels, h, w)  # (N, C, h, w)


def erase(x: np.ndarray, top: int | np.ndarray, left: int | np.ndarray,
          height: int | np.ndarray, width: int | np.ndarray,
          value: float | np.ndarray = 0.0) -> np.ndarray:
    """Set the (height[i], width[i]) rectangle at (top[i], left[i]) of each image to
    ``value`` (a number, or an array broadcasting to x, e.g. noise); a zero height or width
    leaves that image untouched. Boxes may extend past the border (they are cut there).

    Args:
        x: a batch (N, C, H, W)
        top: the first row of each box, an int or (N,) ints (may be negative)
        left: the first column of each box, an int or (N,) ints
        height: the box heights, an int or (N,) ints
        width: the box widths, an int or (N,) ints
        value: a number, or an array broadcasting to x. Default: 0

    Returns:
        a new array (N, C, H, W)

    Example:
        >>> x = np.ones((1, 1, 2, 3))
        >>> data.transform_ops.erase(x, top=0, left=1, height=1, width=5).tolist()
        [[[[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]]
    """
    xp = backend.get_array_module(x)
    n = x.shape[0]
    top, left, height, width = (_per_image(xp, p, n, dtype=np.int64)
                                for p in (top, left, height, width))
    r = xp.arange(x.shape[2])[None, :, None]  # (1, H, 1)
    c = xp.arange(x.shape[3])[None, None, :]  # (1, 1, W)
    inside = ((r >= top[:, None, None]) & (r < (top + height)[:, None, None])
              & (c >= left[:, None, None]) & (c < (left + width)[:, None, None]))  # (N, H, W)
    value = xp.asarray(value, dtype=x.dtype)
    return xp.where(inside[:, None], value, x)


def clip_range(x: np.ndarray, bounds: tuple[float, float] | None) -> np.ndarray:
    """x clipped to ``bounds`` = (lo, hi); None leaves it as it is.

    Args:
        x: any array
        bounds: (lo, hi), or None for no clipping

    Returns:
        a new array, or x itself when ``bounds`` is None
    """
    if bounds is None:
        return x
    return backend.get_array_module(x).clip(x, bounds[0], bounds[1])


def adjust_brightness(x: np.ndarray, factor: float | np.ndarray,
                      clip: tuple[float, float] | None = (0.0, 1.0)) -> np.ndarray:
    """x * factor per image (明るさ): 0 gives black, 1 the image itself; then clipped.

    Args:
        x: a batch (N, C, H, W)
        factor: one factor or (N,) factors
        clip: (lo, hi) bounds of the result, or None. Default: (0, 1)

    Returns:
        (N, C, H, W)

    Example:
        >>> data.transform_ops.adjust_brightness(np.full((1, 1, 1, 2), 0.6), 2.0).tolist()
        [[[[1.0, 1.0]]]]
    """
    xp = backend.get_array_module(x)
    factor = _per_image(xp, factor, x.shape[0], dtype=x.dtype)
    return clip_range(x * factor[:, None, None, None], clip)


def adjust_contrast(x: np.ndarray, factor: float | np.ndarray,
                    clip: tuple[float, float] | None = (0.0, 1.0)) -> np.ndarray:
    """(x - m) * factor + m per image, m its mean grey level (コントラスト): 0 gives a flat
    image of its mean, 1 the image itself, above 1 more contrast; then clipped.

    Args:
        x, factor, clip: as for :func:`adjust_brightness`; the result too is (N, C, H, W).

    Example:
        >>> x = np.array([[[[0.25, 0.75]]]])
        >>> data.transform_ops.adjust_contrast(x, 0.0).tolist()          # flat at the mean
        [[[[0.5, 0.5]]]]
    """
    xp = backend.get_array_module(x)
    factor = _per_image(xp, factor, x.shape[0], dtype=x.dtype)[:, None, None, None]
    mean = x.mean(axis=(1, 2, 3), keepdims=True)  # (N, 1, 1, 1)
    return clip_range((x - mean) * factor + mean, clip)


def normalize(x: np.ndarray, mean: float | Sequence[float],
              std: float | Sequence[float]) -> np.ndarray:
    """(x - mean) / std per channel; ``mean`` and ``std`` are numbers or one per channel.

    Args:
        x: a batch (N, C, H, W)
        mean: one number or C numbers
        std: one positive number or C positive numbers (ValueError otherwise)

    Returns:
        (N, C, H, W) in x's dtype

    Example:
        >>> x = np.ones((1, 2, 1, 1))
        >>> data.transform_ops.normalize(x, mean=[0.0, 0.5], std=[1.0, 0.5]).ravel()
        array([1., 1.])
    """
    xp = backend.get_array_module(x)
    mean = xp.asarray(mean, dtype=x.dtype).reshape(-1, 1, 1)  # (C or 1, 1, 1)
    std = xp.asarray(std, dtype=x.dtype).reshape(-1, 1, 1)
    if bool(xp.any(std <= 0)):
        raise ValueError(f"normalize: std must be positive, got {std.ravel()}")
    return (x - mean) / std

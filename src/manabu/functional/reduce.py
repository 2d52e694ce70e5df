"""Reductions: sum, mean, max/min, variance, logsumexp.

A reduction's backward spreads the gradient back over the axes it removed. The public
names follow PyTorch and NumPy (sum, max, min), so inside this file Python's builtins of
those names are out of reach, and the ops here call each other by class (``Sum.apply``).

Each reduction takes NumPy's ``axis=`` / ``keepdims=`` or PyTorch's ``dim=`` / ``keepdim=``
(see ``functional.keywords``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu.autograd import Function, Tensor
from manabu.functional.keywords import axis_or_dim, keepdims_or_keepdim
from manabu.functional.shape import normalize_axis
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def _normalize_axes(axis, ndim, op):
    """The reduced axes as a sorted tuple of indices in [0, ndim); None means all."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if ndim == 0 and all(a in (0, -1) for a in axes):
        return ()  # a 0-d tensor has one element: axis 0 (or -1) reduces nothing, as in torch
    normalized = tuple(sorted(int(normalize_axis(op, a, ndim)) for a in axes))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: axis {axis} names an axis twice")
    return normalized


def _kept_shape(shape, axes):
    """The shape the reduction would have with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum of x over axes;  gx = gy broadcast back to x's shape"""

    twice_differentiable = True

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        self.axes = _normalize_axes(self.axis, x.ndim, "sum")
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy, xp):
        gy = gy.reshape(_kept_shape(self.x_shape, self.axes))
        return xp.broadcast_to(gy, self.x_shape)


class Max(Function):
    """y = max of x over axes;  gx = gy at the maximum (shared equally between ties, as
    PyTorch's ``amax`` and ``x.max()`` without a dim do)

    ``mode='min'`` gives the minimum with the same rule."""

    twice_differentiable = True

    def __init__(self, axis, keepdims, mode):
        self.axis, self.keepdims, self.mode = axis, keepdims, mode

    def forward(self, x):
        self.axes = _normalize_axes(self.axis, x.ndim, self.mode)
        if x.size == 0:
            raise ValueError(f"{self.mode}: the tensor of shape {x.shape} is empty")
        reduce = x.max if self.mode == "max" else x.min
        y = reduce(axis=self.axes, keepdims=self.keepdims)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy, xp):
        x, y = self.saved
        kept = _kept_shape(x.shape, self.axes)
        is_extreme = (x == y.reshape(kept)).astype(x.dtype)  # 1.0 where x is the extreme
        share = is_extreme / is_extreme.sum(axis=self.axes, keepdims=True)
        return gy.reshape(kept) * share


class LogSumExp(Function):
    """y = log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m = max(x);
    gx = gy * exp(x - y) = gy * softmax(x)"""

    twice_differentiable = True

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = self.xp
        self.axes = _normalize_axes(self.axis, x.ndim, "logsumexp")
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # all -inf: log(0) = -inf, not nan from inf - inf
        y = m + xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True))
        if not self.keepdims:
            y = y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])
        self.save_for_backward(x, y)
        return y

    def backward(self, gy, xp):
        x, y = self.saved
        kept = _kept_shape(x.shape, self.axes)
        return gy.reshape(kept) * xp.exp(x - y.reshape(kept))


def sum(x: Tensor, axis: int | tuple[int, ...] | None = None,  # noqa: A001 - np.sum
        keepdims: bool = False, *, dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None) -> Tensor:
    """Sum over ``axis`` (all axes when None).

    Args:
        x: the tensor to sum.
        axis: an axis, a tuple of axes, or None for all of them. Default: None
        keepdims: keep the summed axes, with size 1 (so the result broadcasts against x).
            Default: False
        dim, keepdim: PyTorch's names for ``axis`` and ``keepdims`` (keyword-only).

    Example:
        >>> x = manabu.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        >>> F.sum(x, axis=0)
        tensor([5., 7., 9.], dtype=float32, grad_fn=Sum)
        >>> F.sum(x, dim=1, keepdim=True).shape
        (2, 1)
        >>> F.sum(x).backward()
        >>> x.grad  # each element counted once
        tensor([[1., 1., 1.],
                [1., 1., 1.]], dtype=float32)
    """
    axis = axis_or_dim("sum", axis, dim)
    keepdims = keepdims_or_keepdim("sum", keepdims, keepdim)
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Tensor, axis: int | tuple[int, ...] | None = None,
         keepdims: bool = False, *, dim: int | tuple[int, ...] | None = None,
         keepdim: bool | None = None) -> Tensor:
    """Arithmetic mean over ``axis``: sum / count.

    Args:
        x: the tensor to average.
        axis: an axis, a tuple of axes, or None for all of them. Default: None
        keepdims: keep the averaged axes, with size 1. Default: False
        dim, keepdim: PyTorch's names for ``axis`` and ``keepdims`` (keyword-only).

    Example:
        >>> x = manabu.tensor([[1.0, 2.0], [3.0, 6.0]], requires_grad=True)
        >>> F.mean(x, axis=1)
        tensor([1.5, 4.5], dtype=float32, grad_fn=Div)
        >>> F.mean(x).backward()
        >>> x.grad  # 1 / count for every element
        tensor([[0.25, 0.25],
                [0.25, 0.25]], dtype=float32)
    """
    axis = axis_or_dim("mean", axis, dim)
    keepdims = keepdims_or_keepdim("mean", keepdims, keepdim)
    axes = _normalize_axes(axis, x.ndim, "mean")
    count = math.prod(x.shape[a] for a in axes)
    return Sum.apply(x, axis=axes, keepdims=keepdims) / count


def max(x: Tensor, axis: int | tuple[int, ...] | None = None,  # noqa: A001 - np.max
        keepdims: bool = False, *, dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None) -> Tensor:
    """The largest value over ``axis``: the values only, as ``torch.amax`` (and NumPy's
    max); ``torch.max(x, dim)`` returns (values, indices), here ``argmax`` gives those.

    Args:
        x: the tensor.
        axis: an axis, a tuple of axes, or None for all of them. Default: None
        keepdims: keep the reduced axes, with size 1. Default: False
        dim, keepdim: PyTorch's names for ``axis`` and ``keepdims`` (keyword-only).

    Example:
        >>> x = manabu.tensor([[1.0, 7.0], [7.0, 2.0]], requires_grad=True)
        >>> F.max(x, axis=1), F.argmax(x, axis=1).tolist()
        (tensor([7., 7.], dtype=float32, grad_fn=Max), [1, 0])
        >>> F.max(x).backward()  # a tie: the gradient is shared between the two 7s
        >>> x.grad
        tensor([[0. , 0.5],
                [0.5, 0. ]], dtype=float32)
    """
    axis = axis_or_dim("max", axis, dim)
    keepdims = keepdims_or_keepdim("max", keepdims, keepdim)
    return Max.apply(x, axis=axis, keepdims=keepdims, mode="max")


def min(x: Tensor, axis: int | tuple[int, ...] | None = None,  # noqa: A001 - np.min
        keepdims: bool = False, *, dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None) -> Tensor:
    """The smallest value over ``axis``: the values only, as ``torch.amin``; ``torch.min(x,
    dim)`` returns (values, indices), here ``argmin`` gives those."""
    axis = axis_or_dim("min", axis, dim)
    keepdims = keepdims_or_keepdim("min", keepdims, keepdim)
    return Max.apply(x, axis=axis, keepdims=keepdims, mode="min")


def argmax(x: Tensor, axis: int | None = None,
           keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the maximum (not differentiable); over the flattened tensor when axis is
    None."""
    axis = axis_or_dim("argmax", axis, dim)
    keepdims = keepdims_or_keepdim("argmax", keepdims, keepdim)
    return Tensor(unwrap(x).argmax(axis=axis, keepdims=keepdims))


def argmin(x: Tensor, axis: int | None = None,
           keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the minimum (not differentiable); over the flattened tensor when axis is
    None."""
    axis = axis_or_dim("argmin", axis, dim)
    keepdims = keepdims_or_keepdim("argmin", keepdims, keepdim)
    return Tensor(unwrap(x).argmin(axis=axis, keepdims=keepdims))


def var(x: Tensor, axis: int | tuple[int, ...] | None = None,
        keepdims: bool = False, ddof: int = 0, *, dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None) -> Tensor:
    """Variance: sum((x - mean(x))**2) / (n - ddof).

    ddof=0 (the default, as NumPy) is the population variance; ddof=1 is the unbiased one,
    PyTorch's default (``correction=1``). Passing ``dim=`` does not change the default:
    ``var(x, dim=1)`` is ``torch.var(x, dim=1, correction=0)``.

    Example:
        >>> x = manabu.tensor([1.0, 2.0, 3.0, 4.0])
        >>> float(F.var(x)), float(F.var(x, ddof=1)), float(F.std(x) ** 2)
        (1.25, 1.6666666269302368, 1.25)
    """
    axis = axis_or_dim("var", axis, dim)
    keepdims = keepdims_or_keepdim("var", keepdims, keepdim)
    axes = _normalize_axes(axis, x.ndim, "var")
    count = math.prod(x.shape[a] for a in axes)
    centered = x - mean(x, axis=axes, keepdims=True)
    return Sum.apply(centered * centered, axis=axes, keepdims=keepdims) / (count - ddof)


def std(x: Tensor, axis: int | tuple[int, ...] | None = None,
        keepdims: bool = False, ddof: int = 0, *, dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None) -> Tensor:
    """Standard deviation: sqrt(var(x)); ddof as in ``var`` (0 unless given)."""
    axis = axis_or_dim("std", axis, dim)
    keepdims = keepdims_or_keepdim("std", keepdims, keepdim)
    return var(x, axis, keepdims, ddof) ** 0.5


def logsumexp(x: Tensor, axis: int | tuple[int, ...] | None = None,
              keepdims: bool = False, *, dim: int | tuple[int, ...] | None = None,
              keepdim: bool | None = None) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed without overflow.

    Example:
        >>> round(float(F.logsumexp(manabu.tensor([1000.0, 1000.0]))), 2)  # 1000 + log 2
        1000.69
    """
    axis = axis_or_dim("logsumexp", axis, dim)
    keepdims = keepdims_or_keepdim("logsumexp", keepdims, keepdim)
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)

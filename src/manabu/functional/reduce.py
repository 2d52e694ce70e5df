"""Reductions: sum, mean, max/min, variance, logsumexp.

A reduction's backward spreads the gradient back over the axes it removed. The public
names follow PyTorch and NumPy (sum, max, min), so inside this file Python's builtins of
the same names are not used.
"""

import numpy as np

from manabu.autograd import Function, Tensor


def _normalize_axes(axis, ndim, op="reduce"):
    """The reduced axes as a sorted tuple of indices in [0, ndim); None means all."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if ndim == 0 and all(a in (0, -1) for a in axes):
        return ()  # a 0-d tensor has one element: axis 0 (or -1) reduces nothing, as in torch
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a} is out of range for a {ndim}-D tensor (use -{ndim} .. {ndim - 1})"
            )
    normalized = tuple(sorted(int(a) % ndim for a in axes))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: axis {axis} names an axis twice")
    return normalized


def _kept_shape(shape, axes):
    """The shape the reduction would have with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum of x over axes;  gx = gy broadcast back to x's shape"""

    twice_differentiable = True

    def __init__(self, axis=None, keepdims=False):
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


def sum(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's and PyTorch's name
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``: sum / count."""
    axes = _normalize_axes(axis, x.ndim, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a]
    return Sum.apply(x, axis=axes, keepdims=keepdims) / count


def max(x, axis=None, keepdims=False):  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims, mode="max")


def min(x, axis=None, keepdims=False):  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims, mode="min")


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum (not differentiable)."""
    data = x.data if isinstance(x, Tensor) else x
    return Tensor(data.argmax(axis=axis, keepdims=keepdims))


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum (not differentiable)."""
    data = x.data if isinstance(x, Tensor) else x
    return Tensor(data.argmin(axis=axis, keepdims=keepdims))


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance: sum((x - mean(x))**2) / (n - ddof).

    ddof=0 (the default, as NumPy) is the population variance; ddof=1 is the unbiased one,
    PyTorch's default (``correction=1``)."""
    axes = _normalize_axes(axis, x.ndim, "var")
    count = 1
    for a in axes:
        count *= x.shape[a]
    centered = x - mean(x, axis=axes, keepdims=True)
    return sum(centered * centered, axis=axes, keepdims=keepdims) / (count - ddof)


def std(x, axis=None, keepdims=False, ddof=0):
    """Standard deviation: sqrt(var(x))."""
    return var(x, axis, keepdims, ddof) ** 0.5


def logsumexp(x, axis=None, keepdims=False):
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)

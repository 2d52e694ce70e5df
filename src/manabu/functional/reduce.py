"""Reductions: sum, mean, max/min, variance, logsumexp.

A reduction's backward spreads the gradient back over the axes it removed. The public
names follow PyTorch and NumPy (sum, max, min), so inside this file Python's builtins of
the same names are not used.
"""

from manabu.autograd import Function, Tensor


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim if ndim else a for a in axes)


def _kept_shape(shape, axes):
    """The shape the reduction would have with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum of x over axes;  gx = gy broadcast back to x's shape"""

    twice_differentiable = True

    def forward(self, x):
        self.x_shape = x.shape
        self.axes = _normalize_axes(self.axis, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        gy = gy.reshape(_kept_shape(self.x_shape, self.axes))
        return self.xp.broadcast_to(gy, self.x_shape)


class Max(Function):
    """y = max of x over axes;  gx = gy at the maximum (shared equally between ties)

    ``mode='min'`` gives the minimum with the same rule."""

    twice_differentiable = True

    def forward(self, x):
        self.axes = _normalize_axes(self.axis, x.ndim)
        reduce = x.max if self.mode == "max" else x.min
        y = reduce(axis=self.axes, keepdims=self.keepdims)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        kept = _kept_shape(x.shape, self.axes)
        is_extreme = x == y.reshape(kept)
        count = is_extreme.sum(axis=self.axes, keepdims=True)
        return gy.reshape(kept) * is_extreme / count


class LogSumExp(Function):
    """y = log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m = max(x);
    gx = gy * exp(x - y) = gy * softmax(x)"""

    twice_differentiable = True

    def forward(self, x):
        self.axes = _normalize_axes(self.axis, x.ndim)
        m = x.max(axis=self.axes, keepdims=True)
        y = m + self.xp.log(self.xp.exp(x - m).sum(axis=self.axes, keepdims=True))
        if not self.keepdims:
            y = y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        kept = _kept_shape(x.shape, self.axes)
        return gy.reshape(kept) * self.xp.exp(x - y.reshape(kept))


def sum(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's and PyTorch's name
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``: sum / count."""
    axes = _normalize_axes(axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    return Sum.apply(x, axis=axis, keepdims=keepdims) / count


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
    """Variance: mean((x - mean(x))**2), divided by (n - ddof) instead of n when ddof > 0."""
    axes = _normalize_axes(axis, x.ndim)
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

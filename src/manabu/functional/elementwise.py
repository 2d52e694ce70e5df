"""Elementwise math: each output element depends on one input element, so each backward is
the derivative of a scalar function, multiplied by the incoming gradient (chain rule).

Example:
    >>> x = manabu.tensor([0.0, 1.0], requires_grad=True)
    >>> F.exp(x).sum().backward()
    >>> x.grad.numpy().round(4)  # d exp(x)/dx = exp(x)
    array([1.    , 2.7183], dtype=float32)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from manabu import backend
from manabu.autograd import Function, Tensor
from manabu.functional.arithmetic import broadcast_error, unbroadcast
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


class Exp(Function):
    """y = exp(x);  gx = gy * y"""

    twice_differentiable = True

    def forward(self, x):
        y = self.xp.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy, xp):
        (y,) = self.saved
        return gy * y


class Log(Function):
    """y = log(x);  gx = gy / x"""

    twice_differentiable = True

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log(x)

    def backward(self, gy, xp):
        (x,) = self.saved
        return gy / x


class Sqrt(Function):
    """y = sqrt(x);  gx = gy / (2 * y)"""

    twice_differentiable = True

    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy, xp):
        (y,) = self.saved
        return gy / (2 * y)


class Abs(Function):
    """y = |x|;  gx = gy * sign(x)  (0 at x = 0)"""

    twice_differentiable = True

    def forward(self, x):
        self.save_for_backward(self.xp.sign(x))
        return self.xp.abs(x)

    def backward(self, gy, xp):
        (sign_x,) = self.saved
        return gy * sign_x


class Sin(Function):
    """y = sin(x);  gx = gy * cos(x)"""

    twice_differentiable = True

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.sin(x)

    def backward(self, gy, xp):
        (x,) = self.saved
        return gy * xp.cos(x)


class Cos(Function):
    """y = cos(x);  gx = -gy * sin(x)"""

    twice_differentiable = True

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.cos(x)

    def backward(self, gy, xp):
        (x,) = self.saved
        return -gy * xp.sin(x)


class Tanh(Function):
    """y = tanh(x);  gx = gy * (1 - y**2)"""

    twice_differentiable = True

    def forward(self, x):
        y = self.xp.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy, xp):
        (y,) = self.saved
        return gy * (1 - y * y)


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t**2) dt;  gx = gy * 2/sqrt(pi) * exp(-x**2)"""

    twice_differentiable = True

    def forward(self, x):
        self.save_for_backward(x)
        return backend.erf(x)

    def backward(self, gy, xp):
        (x,) = self.saved
        return gy * (2 / math.sqrt(math.pi)) * xp.exp(-(x * x))


class Clip(Function):
    """y = min(max(x, low), high);  gx = gy where low <= x <= high, else 0"""

    twice_differentiable = True

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        xp = self.xp
        inside = xp.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        self.save_for_backward(inside)
        return xp.clip(x, self.low, self.high)

    def backward(self, gy, xp):
        (inside,) = self.saved
        return gy * inside


class Where(Function):
    """y = a where condition else b;  ga = gy where condition,  gb = gy elsewhere"""

    twice_differentiable = True

    def __init__(self, condition):
        self.condition = condition  # a boolean array, not an input: it gets no gradient

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        try:
            return self.xp.where(self.condition, a, b)
        except ValueError:
            raise ValueError(
                f"where: condition {self.condition.shape}, a {a.shape} and b {b.shape} "
                "cannot broadcast to one shape"
            ) from None

    def backward(self, gy, xp):
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(xp.where(self.condition, gy, 0 * gy), self.shapes[0])
        if self.needs_input_grad[1]:
            gb = unbroadcast(xp.where(self.condition, 0 * gy, gy), self.shapes[1])
        return ga, gb


class Maximum(Function):
    """y = max(a, b) elementwise;  the gradient goes to the larger, half to each on a tie
    (as in PyTorch)

    ``mode='min'`` gives the elementwise minimum with the same rule."""

    twice_differentiable = True

    def __init__(self, mode):
        self.mode = mode  # "max" or "min"

    def forward(self, a, b):
        xp = self.xp
        try:
            y = xp.maximum(a, b) if self.mode == "max" else xp.minimum(a, b)
        except ValueError:
            raise broadcast_error(f"{self.mode}imum", a, b) from None
        a_wins = a > b if self.mode == "max" else a < b
        share_a = xp.array(a_wins, dtype=y.dtype)  # 1.0 where a wins, 0.0 where b wins
        share_a[a == b] = 0.5  # a tie: half each
        self.save_for_backward(share_a)
        self.shapes = (a.shape, b.shape)
        return y

    def backward(self, gy, xp):
        (share_a,) = self.saved
        ga = unbroadcast(gy * share_a, self.shapes[0]) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * (1 - share_a), self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


def exp(x: Tensor | ArrayLike) -> Tensor:
    """e ** x, elementwise."""
    return Exp.apply(x)


def log(x: Tensor | ArrayLike) -> Tensor:
    """The natural logarithm, elementwise."""
    return Log.apply(x)


def sqrt(x: Tensor | ArrayLike) -> Tensor:
    """The square root, elementwise."""
    return Sqrt.apply(x)


def abs(x: Tensor | ArrayLike) -> Tensor:  # noqa: A001 - NumPy's and PyTorch's name
    """|x|, elementwise (gradient sign(x), 0 at 0)."""
    return Abs.apply(x)


def sin(x: Tensor | ArrayLike) -> Tensor:
    """sin(x), elementwise."""
    return Sin.apply(x)


def cos(x: Tensor | ArrayLike) -> Tensor:
    """cos(x), elementwise."""
    return Cos.apply(x)


def tanh(x: Tensor | ArrayLike) -> Tensor:
    """tanh(x) (双曲線正接関数), elementwise."""
    return Tanh.apply(x)


def erf(x: Tensor | ArrayLike) -> Tensor:
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t**2) dt, elementwise."""
    return Erf.apply(x)


def clip(x: Tensor | ArrayLike,
         min: Tensor | ArrayLike | None = None,  # noqa: A002 - PyTorch's names
         max: Tensor | ArrayLike | None = None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; either bound may be None (not differentiated).

    Example:
        >>> F.clip(manabu.tensor([-2.0, 0.5, 3.0]), 0.0, 1.0)
        tensor([0. , 0.5, 1. ], dtype=float32)
    """
    return Clip.apply(x, low=unwrap(min), high=unwrap(max))


def clamp(x: Tensor | ArrayLike, min: Tensor | ArrayLike | None = None,  # noqa: A002
          max: Tensor | ArrayLike | None = None) -> Tensor:  # noqa: A002
    """PyTorch's name for ``clip``."""
    return clip(x, min, max)


def where(condition: Tensor | ArrayLike, a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a where ``condition`` (boolean, not differentiated) is true, else b.

    Example:
        >>> x = manabu.tensor([-1.0, 2.0, -3.0])
        >>> F.where(x.data > 0, x, 0.0)
        tensor([0., 2., 0.], dtype=float32)
    """
    condition = unwrap(condition)
    xp = backend.get_array_module(condition)
    return Where.apply(a, b, condition=xp.asarray(condition, dtype=bool))


def maximum(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """The elementwise maximum; on a tie the gradient goes half to each (as PyTorch).

    Example:
        >>> F.maximum(manabu.tensor([1.0, 5.0]), manabu.tensor([3.0, 2.0]))
        tensor([3., 5.], dtype=float32)
    """
    return Maximum.apply(a, b, mode="max")


def minimum(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """The elementwise minimum; on a tie the gradient goes half to each (as PyTorch)."""
    return Maximum.apply(a, b, mode="min")


def sign(x: Tensor | ArrayLike) -> Tensor:
    """-1, 0 or 1 (not differentiable: its derivative is 0 almost everywhere)."""
    data = unwrap(x)
    return Tensor(backend.get_array_module(data).sign(data))

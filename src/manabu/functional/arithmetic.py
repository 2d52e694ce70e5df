"""Arithmetic (四則演算) and matrix product, with the one broadcasting adjoint they share.

When NumPy broadcasts ``x`` of shape (3, 1) against (3, 4), the forward copies x along the
second axis; the backward must add those copies' gradients back up: ``unbroadcast``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Function, Tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, DTypeLike


def sum_to_shape(array: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Sum an array down to ``shape`` (the reverse of NumPy broadcasting).

    Example:
        >>> F.sum_to_shape(np.ones((2, 3)), (1, 3))
        array([[2., 2., 2.]])
    """
    extra = array.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and array.shape[i + extra] != 1
    )
    if axes:
        array = array.sum(axis=axes, keepdims=True)
    if extra:
        array = array.reshape(shape)
    return array


class SumTo(Function):
    """y = x summed down to ``shape``;  gx = broadcast_to(gy, x.shape)"""

    twice_differentiable = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return sum_to_shape(x, self.shape)

    def backward(self, gy, xp):
        return xp.broadcast_to(gy, self.x_shape)


def broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ValueError:
    """The error for two operands of a binary op whose shapes cannot broadcast."""
    return ValueError(
        f"{op}: shapes {a.shape} and {b.shape} cannot broadcast; aligned from the right, "
        "each pair of axes must be equal or one of them 1 (reshape or unsqueeze to fix)"
    )


def unbroadcast(g: Tensor | np.ndarray, shape: Sequence[int]) -> Tensor | np.ndarray:
    """The adjoint of broadcasting: sum gradient ``g`` back to the input's ``shape``.

    Works on arrays (first-order backward) and on Tensors (create_graph=True).

    Example:
        >>> F.unbroadcast(np.ones((4, 2, 3)), (2, 1)).shape  # summed over axes 0 and 2
        (2, 1)
    """
    if g.shape == tuple(shape):
        return g
    if isinstance(g, Tensor):
        return SumTo.apply(g, shape=tuple(shape))
    return sum_to_shape(g, tuple(shape))


class Add(Function):
    """y = a + b;  ga = gy,  gb = gy (each summed back over broadcast axes)"""

    twice_differentiable = True

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        try:
            return a + b
        except ValueError:
            raise broadcast_error("add", a, b) from None

    def backward(self, gy, xp):
        return unbroadcast(gy, self.shapes[0]), unbroadcast(gy, self.shapes[1])


class Sub(Function):
    """y = a - b;  ga = gy,  gb = -gy"""

    twice_differentiable = True

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        try:
            return a - b
        except ValueError:
            raise broadcast_error("sub", a, b) from None

    def backward(self, gy, xp):
        ga = unbroadcast(gy, self.shapes[0]) if self.needs_input_grad[0] else None
        gb = unbroadcast(-gy, self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


class Mul(Function):
    """y = a * b;  ga = gy * b,  gb = gy * a"""

    twice_differentiable = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        try:
            return a * b
        except ValueError:
            raise broadcast_error("mul", a, b) from None

    def backward(self, gy, xp):
        a, b = self.saved
        ga = unbroadcast(gy * b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """y = a / b;  ga = gy / b,  gb = -gy * a / b**2"""

    twice_differentiable = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        try:
            return a / b
        except ValueError:
            raise broadcast_error("div", a, b) from None

    def backward(self, gy, xp):
        a, b = self.saved
        ga = unbroadcast(gy / b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(-gy * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    """y = -x;  gx = -gy"""

    twice_differentiable = True

    def forward(self, x):
        return -x

    def backward(self, gy, xp):
        return -gy


class PowConstant(Function):
    """y = x ** c for a constant c;  gx = gy * c * x ** (c - 1)  (0 when c = 0)"""

    twice_differentiable = True

    def __init__(self, c):
        self.c = c  # a Python number

    def forward(self, x):
        self.save_for_backward(x)
        return x ** self.c

    def backward(self, gy, xp):
        (x,) = self.saved
        if self.c == 0:
            return gy * 0  # not 0 * x ** -1, which is nan at x = 0
        return gy * self.c * x ** (self.c - 1)


class Pow(Function):
    """y = a ** b;  ga = gy * b * a ** (b - 1),  gb = gy * y * log(a)"""

    twice_differentiable = True

    def forward(self, a, b):
        try:
            y = a ** b
        except ValueError:
            raise broadcast_error("pow", a, b) from None
        self.save_for_backward(a, b, y)
        return y

    def backward(self, gy, xp):
        a, b, y = self.saved
        ga = unbroadcast(gy * b * a ** (b - 1), a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * y * xp.log(a), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class MatMul(Function):
    """y = a @ b (batched, NumPy rules);  ga = gy @ b^T,  gb = a^T @ gy"""

    twice_differentiable = True

    def forward(self, a, b):
        _check_matmul_shapes(a.shape, b.shape)
        self.save_for_backward(a, b)
        try:
            return a @ b
        except ValueError:
            raise ValueError(
                f"matmul: shapes {a.shape} @ {b.shape}: the batch axes (all but the last "
                "two) cannot broadcast; make them equal or 1"
            ) from None

    def backward(self, gy, xp):
        a, b = self.saved
        # 1-D operands act as a row (a) or a column (b) vector, as in the forward
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if b.ndim == 1:  # y lost b's column axis: (..., k) -> (..., k, 1)
            gy = xp.expand_dims(gy, -1)
        if a.ndim == 1:  # y lost a's row axis: (..., m) -> (..., 1, m); () -> (1, 1)
            gy = xp.expand_dims(gy, -2)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(gy @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(xp.swapaxes(a2, -1, -2) @ gy, b2.shape).reshape(b.shape)
        return ga, gb


def _check_matmul_shapes(a_shape, b_shape):
    if not a_shape or not b_shape:
        raise ValueError(
            f"matmul: both operands need at least 1 dimension, got {a_shape} @ {b_shape}; "
            "use * to multiply by a scalar"
        )
    inner_a = a_shape[-1]
    inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {a_shape} @ {b_shape} do not fit: the last axis of the left "
            f"({inner_a}) must equal the {'only' if len(b_shape) == 1 else 'second-to-last'} "
            f"axis of the right ({inner_b}); transpose one of them, or check the layer sizes"
        )


class Cast(Function):
    """y = x moved to another device and/or dtype;  gx = gy moved back"""

    twice_differentiable = True

    def __init__(self, device, dtype):
        self.device, self.dtype = device, dtype  # None: keep the input's

    def forward(self, x):
        self.source = (backend.device_of(x), x.dtype)
        y = backend.to_device(x, self.device) if self.device is not None else x
        return y.astype(self.dtype) if self.dtype is not None else y

    def backward(self, gy, xp):
        device, dtype = self.source
        if isinstance(gy, Tensor):
            return gy.to(device=device, dtype=dtype)
        return backend.to_device(gy, device).astype(dtype, copy=False)


def add(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a + b (``a + b`` on Tensors), broadcasting as NumPy; each gradient is summed back to
    its operand's shape (``unbroadcast``).

    Args:
        a, b: Tensors, arrays or Python numbers (a number takes the tensor's dtype).

    Example:
        >>> a = manabu.tensor(np.zeros((2, 3), np.float32), requires_grad=True)
        >>> b = manabu.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = F.add(a, b)  # b is added to each row of a
        >>> y.shape
        (2, 3)
        >>> y.sum().backward()
        >>> b.grad  # b served both rows: its gradient is summed over them
        tensor([2., 2., 2.], dtype=float32)
    """
    return Add.apply(a, b)


def sub(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a - b (``a - b``), broadcasting as NumPy."""
    return Sub.apply(a, b)


def mul(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a * b elementwise (``a * b``), broadcasting as NumPy."""
    return Mul.apply(a, b)


def div(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a / b elementwise (``a / b``), broadcasting as NumPy."""
    return Div.apply(a, b)


def neg(x: Tensor | ArrayLike) -> Tensor:
    """-x (``-x``)."""
    return Neg.apply(x)


def pow(x: Tensor | ArrayLike,  # noqa: A001 - PyTorch's name (torch.pow)
        exponent: Tensor | ArrayLike) -> Tensor:
    """x ** exponent; a Python number as exponent uses the cheaper constant rule.

    Example:
        >>> x = manabu.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> F.pow(x, 2).sum().backward()
        >>> x.grad  # 2x
        tensor([2., 4., 6.], dtype=float32)
    """
    if isinstance(exponent, np.number):
        exponent = exponent.item()  # a Python number: float32 ** 2.0 stays float32
    if isinstance(exponent, (int, float)) and isinstance(x, Tensor):
        return PowConstant.apply(x, c=exponent)
    return Pow.apply(x, exponent)


def matmul(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """Matrix product ``a @ b`` with NumPy's rules: 1-D operands act as a row (a) or a
    column (b) vector, and the leading (batch) axes broadcast.

    Args:
        a: (..., M, K), or (K,).
        b: (..., K, N), or (K,).

    Shape:
        Output (..., M, N), without the M axis when a is 1-D and without N when b is.

    Example:
        >>> a = manabu.tensor(np.ones((2, 3), np.float32), requires_grad=True)
        >>> b = manabu.tensor(np.ones((3, 4), np.float32), requires_grad=True)
        >>> y = F.matmul(a, b)
        >>> y.shape, float(y[0, 0])
        ((2, 4), 3.0)
        >>> y.sum().backward()
        >>> a.grad.shape, b.grad.shape  # ga = gy @ b^T, gb = a^T @ gy
        ((2, 3), (3, 4))
    """
    return MatMul.apply(a, b)


def to(x: Tensor, device: str | None = None, dtype: DTypeLike | None = None) -> Tensor:
    """x on ``device`` ('cpu' / 'cuda') with ``dtype``; differentiable."""
    return Cast.apply(x, device=device, dtype=dtype)

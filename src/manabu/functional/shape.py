"""Shape ops: they move values around without changing them, so each backward moves the
gradient back to where the value came from (reshape back, transpose back, scatter back).

Ops with an axis take NumPy's ``axis=`` or PyTorch's ``dim=`` (see ``functional.keywords``).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Function, Tensor
from manabu.functional.arithmetic import unbroadcast
from manabu.functional.keywords import axis_or_dim
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike


def normalize_axis(op: str, axis: int, ndim: int) -> int:
    """``axis`` as an index in [0, ndim); negative counts from the end, as in NumPy."""
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{op}: axis {axis} is out of range for a {ndim}-D tensor "
            f"(use -{ndim} .. {ndim - 1})"
        )
    return axis % ndim


def _along(axis, key):
    """The index that applies ``key`` (an int or a slice) to ``axis``: x[:, :, key]."""
    return (slice(None),) * axis + (key,)


def _pieces(x, axis, bounds):
    """x cut along ``axis`` at ``bounds`` (0, b1, ..., size); arrays and Tensors alike."""
    return tuple(x[_along(axis, slice(a, b))] for a, b in zip(bounds[:-1], bounds[1:]))


class Reshape(Function):
    """y = x.reshape(shape);  gx = gy.reshape(x.shape)"""

    twice_differentiable = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into {self.shape}"
            ) from None

    def backward(self, gy, xp):
        return gy.reshape(self.x_shape)


class Transpose(Function):
    """y = x.transpose(axes);  gx = gy.transpose(inverse permutation of axes)"""

    twice_differentiable = True

    def __init__(self, axes):
        self.axes = axes  # a permutation, or None: reverse the axes

    def forward(self, x):
        axes = self.axes if self.axes is not None else tuple(reversed(range(x.ndim)))
        axes = tuple(normalize_axis("transpose", a, x.ndim) for a in axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: axes {self.axes} are not a permutation of the axes of shape "
                f"{x.shape}; give each of 0 .. {x.ndim - 1} once"
            )
        self.axes = axes
        return x.transpose(axes)

    def backward(self, gy, xp):
        return xp.transpose(gy, tuple(int(a) for a in np.argsort(self.axes)))


class BroadcastTo(Function):
    """y = x repeated to ``shape``;  gx = gy summed back over the repeated axes"""

    twice_differentiable = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        try:
            return self.xp.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: shape {x.shape} cannot broadcast to {self.shape}; aligned "
                "from the right, each axis of the input must be 1 or equal to the target"
            ) from None

    def backward(self, gy, xp):
        return unbroadcast(gy, self.x_shape)


def _raw_index(index):
    """Tensors inside an index become their arrays."""
    if isinstance(index, tuple):
        return tuple(unwrap(i) for i in index)
    return unwrap(index)


def _is_basic(index):
    """True when no element is picked twice: ints, slices, None, Ellipsis, boolean masks."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if p is None or p is Ellipsis:
            continue
        if isinstance(p, (int, np.integer, slice)):
            continue
        if hasattr(p, "dtype") and p.dtype == bool:
            continue
        return False
    return True


def scatter_add(gy: Tensor | np.ndarray, index: object,
                shape: tuple[int, ...]) -> Tensor | np.ndarray:
    """Zeros of ``shape`` with ``gy`` added at ``index`` (the adjoint of x[index])."""
    if isinstance(gy, Tensor):
        return IndexScatter.apply(gy, index=index, shape=shape)
    xp = backend.get_array_module(gy)
    gx = xp.zeros(shape, dtype=gy.dtype)
    if _is_basic(index):
        gx[index] = gy
    else:
        xp.add.at(gx, index, gy)  # repeated indices accumulate
    return gx


class GetItem(Function):
    """y = x[index];  gx = zeros with gy added at index (repeats accumulate)"""

    twice_differentiable = True

    def __init__(self, index):
        self.index = index  # arrays, not Tensors (see _raw_index)

    def forward(self, x):
        self.x_shape = x.shape
        return x[self.index]

    def backward(self, gy, xp):
        return scatter_add(gy, self.index, self.x_shape)


class IndexScatter(Function):
    """y = zeros(shape) with x added at index;  gx = gy[index]"""

    twice_differentiable = True

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, x):
        return scatter_add(x, self.index, self.shape)

    def backward(self, gy, xp):
        return gy[self.index]


class Concatenate(Function):
    """y = concatenate(xs, axis);  each gx is gy's slice where that x landed"""

    twice_differentiable = True

    def __init__(self, axis):
        self.axis = axis  # in [0, x.ndim)

    def forward(self, *xs):
        try:
            y = self.xp.concatenate(xs, axis=self.axis)
        except ValueError:
            shapes = ", ".join(str(x.shape) for x in xs)
            raise ValueError(
                f"concatenate: shapes {shapes} must have the same number of axes and match "
                f"on every axis but axis {self.axis}"
            ) from None
        self.bounds = list(itertools.accumulate([x.shape[self.axis] for x in xs], initial=0))
        return y

    def backward(self, gy, xp):
        return _pieces(gy, self.axis, self.bounds)


class Stack(Function):
    """y = stack(xs, axis);  each gx = gy taken at its position along axis"""

    twice_differentiable = True

    def __init__(self, axis):
        self.axis = axis  # the new axis, in [0, x.ndim]

    def forward(self, *xs):
        if len({x.shape for x in xs}) > 1:
            shapes = ", ".join(str(x.shape) for x in xs)
            raise ValueError(
                f"stack: all tensors need the same shape, got {shapes}; reshape or pad them "
                "first (or concatenate along an existing axis)"
            )
        return self.xp.stack(xs, axis=self.axis)

    def backward(self, gy, xp):
        return tuple(gy[_along(self.axis, i)] for i in range(gy.shape[self.axis]))


class Pad(Function):
    """y = x padded with a constant;  gx = gy with the padding cut off"""

    twice_differentiable = True

    def __init__(self, pad_width, value):
        self.pad_width, self.value = pad_width, value  # ((before, after), ...) per axis

    def forward(self, x):
        self.x_shape = x.shape
        return self.xp.pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy, xp):
        return gy[tuple(slice(before, before + n) for (before, _), n in
                        zip(self.pad_width, self.x_shape))]


def reshape(x: Tensor, shape: int | Sequence[int]) -> Tensor:
    """The same values in another shape (``x.reshape(shape)``, ``x.view(shape)``).

    Args:
        x: the tensor.
        shape: the new shape, of as many elements as x; one axis may be -1, inferred.

    Example:
        >>> x = manabu.tensor(np.arange(6.0), requires_grad=True)
        >>> y = F.reshape(x, (2, -1))
        >>> y.shape
        (2, 3)
        >>> (y * manabu.tensor([[1.0], [2.0]])).sum().backward()
        >>> x.grad  # the gradient reshaped back to x's shape
        tensor([1., 1., 1., 2., 2., 2.], dtype=float64)
    """
    return Reshape.apply(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one (PyTorch's flatten); a 0-d tensor gives (1,).

    Example:
        >>> F.flatten(manabu.tensor(np.zeros((2, 3, 4))), start_dim=1).shape  # (N, C*H*W)
        (2, 12)
    """
    shape = x.shape
    if not shape:
        return reshape(x, (1,))
    start = normalize_axis("flatten", start_dim, len(shape))
    end = normalize_axis("flatten", end_dim, len(shape))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, shape[:start] + (-1,) + shape[end + 1:])


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes as NumPy's ``np.transpose(x, axes)``; None reverses them.

    PyTorch's ``torch.transpose(x, dim0, dim1)``, which swaps two axes, is
    ``swapaxes(x, dim0, dim1)`` here (and ``x.transpose(dim0, dim1)``).

    Example:
        >>> x = manabu.tensor(np.zeros((2, 3, 4)))
        >>> F.transpose(x, (2, 0, 1)).shape, F.transpose(x).shape, F.swapaxes(x, 0, 1).shape
        ((4, 2, 3), (4, 3, 2), (3, 2, 4))
    """
    return Transpose.apply(x, axes=tuple(axes) if axes is not None else None)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Swap two axes: ``torch.transpose(x, dim0, dim1)``, ``np.swapaxes``."""
    axis1 = normalize_axis("swapaxes", axis1, x.ndim)
    axis2 = normalize_axis("swapaxes", axis2, x.ndim)
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def squeeze(x: Tensor, axis: int | tuple[int, ...] | None = None, *,
            dim: int | tuple[int, ...] | None = None) -> Tensor:
    """Remove axes of size 1: the given ones (an int or a tuple), else all of them.

    Unlike ``torch.squeeze``, which leaves an axis of another size as it is, naming an
    axis whose size is not 1 raises ValueError (as ``np.squeeze``).

    Example:
        >>> x = manabu.tensor(np.zeros((1, 3, 1)))
        >>> F.squeeze(x).shape, F.squeeze(x, dim=0).shape, F.unsqueeze(x, 0).shape
        ((3,), (3, 1), (1, 1, 3, 1))
    """
    axis = axis_or_dim("squeeze", axis, dim)
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(normalize_axis("squeeze", a, x.ndim) for a in axes)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(x: Tensor, axis: int) -> Tensor:
    """A new axis of size 1 at ``axis`` (NumPy's name; PyTorch's is ``unsqueeze``)."""
    shape = list(x.shape)
    axis = normalize_axis("unsqueeze", axis, len(shape) + 1)
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))


def unsqueeze(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """A new axis of size 1 at ``axis`` (PyTorch's name for ``expand_dims``)."""
    axis = axis_or_dim("unsqueeze", axis, dim)
    if axis is None:
        raise TypeError("unsqueeze: missing the axis (axis= or dim=)")
    return expand_dims(x, axis)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """x repeated along its axes of size 1 (and new leading axes) to ``shape``; the
    gradient is summed back.

    Example:
        >>> F.broadcast_to(manabu.tensor([[1.0], [2.0]]), (2, 3))
        tensor([[1., 1., 1.],
                [2., 2., 2.]], dtype=float32)
    """
    return BroadcastTo.apply(x, shape=tuple(shape))


def getitem(x: Tensor, index: object) -> Tensor:
    """``x[index]``: ints, slices, None, Ellipsis, boolean masks and integer arrays (or
    Tensors), as NumPy; elements picked twice get both gradients.

    Example:
        >>> x = manabu.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> F.getitem(x, np.array([0, 0, 2])).sum().backward()
        >>> x.grad
        tensor([2., 0., 1.], dtype=float32)
    """
    return GetItem.apply(x, index=_raw_index(index))


def concatenate(xs: Sequence[Tensor | ArrayLike], axis: int = 0, *,
                dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis.

    Args:
        xs: a list (or tuple) of tensors, of one shape but along ``axis``; arrays become
            constants.
        axis: the axis to join along. Default: 0
        dim: PyTorch's name for ``axis`` (keyword-only).

    Example:
        >>> a, b = manabu.tensor(np.zeros((2, 3))), manabu.tensor(np.ones((2, 1)))
        >>> F.concatenate([a, b], axis=1).shape, F.cat([a, a], dim=0).shape
        ((2, 4), (4, 3))
    """
    axis = axis_or_dim("concatenate", axis, dim, default=0)
    xs = _nonempty("concatenate", xs)
    return Concatenate.apply(*xs, axis=normalize_axis("concatenate", axis, xs[0].ndim))


def cat(xs: Sequence[Tensor | ArrayLike], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """PyTorch's name for ``concatenate``."""
    return concatenate(xs, axis, dim=dim)


def stack(xs: Sequence[Tensor | ArrayLike], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a new axis.

    Example:
        >>> a = manabu.tensor(np.zeros((2, 3)))
        >>> F.stack([a, a, a]).shape, F.stack([a, a], axis=-1).shape
        ((3, 2, 3), (2, 3, 2))
    """
    axis = axis_or_dim("stack", axis, dim, default=0)
    xs = _nonempty("stack", xs)
    return Stack.apply(*xs, axis=normalize_axis("stack", axis, xs[0].ndim + 1))


def _nonempty(op: str, xs: Sequence[Tensor | ArrayLike]) -> list:
    """The sequence of tensors given to concatenate / stack, checked."""
    if isinstance(xs, Tensor):
        raise TypeError(f"{op}: expected a list of tensors, got one Tensor; write {op}([a, b])")
    xs = list(xs)
    if not xs:
        raise ValueError(f"{op}: got an empty list of tensors")
    for i, x in enumerate(xs):
        if not hasattr(x, "ndim"):
            xs[i] = Tensor(x)
    return xs


def split(x: Tensor, indices_or_sections: int | Sequence[int], axis: int = 0, *,
          dim: int | None = None) -> tuple[Tensor, ...]:
    """Split along ``axis`` into equal sections (an int) or at the given indices.

    The second argument means what it means in ``np.split`` and ``torch.tensor_split``,
    not in ``torch.split`` (where an int is the size of each piece and a list holds the
    sizes): ``split(x, 2, dim=1)`` gives two halves.

    Example:
        >>> x = manabu.tensor(np.arange(6.0))
        >>> [p.tolist() for p in F.split(x, 3)]
        [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
        >>> [p.shape for p in F.split(x, [1, 4])]  # cut before index 1 and 4
        [(1,), (3,), (2,)]
    """
    axis = axis_or_dim("split", axis, dim, default=0)
    axis = normalize_axis("split", axis, x.ndim)
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if size % indices_or_sections:
            raise ValueError(f"split: axis {axis} of size {size} does not divide into "
                             f"{indices_or_sections} equal sections")
        step = size // indices_or_sections
        bounds = list(range(0, size + 1, step))
    else:
        bounds = [0] + list(indices_or_sections) + [size]
    return _pieces(x if isinstance(x, Tensor) else Tensor(x), axis, bounds)


def pad(x: Tensor, pad_width: int | Sequence[int] | Sequence[Sequence[int]],
        value: float = 0.0) -> Tensor:
    """Constant padding; ``pad_width`` as in NumPy: an int, (before, after) for every axis,
    or ((before, after), ...) one per axis.

    Example:
        >>> F.pad(manabu.tensor([[1.0, 2.0]]), ((0, 0), (1, 2)))
        tensor([[0., 1., 2., 0., 0.]], dtype=float32)
    """
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width} does not fit a tensor of shape {x.shape}; give an "
            "int, (before, after), or one (before, after) per axis"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width} has a negative width")
    pad_width = tuple((int(before), int(after)) for before, after in widths)
    return Pad.apply(x, pad_width=pad_width, value=value)

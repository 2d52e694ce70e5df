"""Shape ops: they move values around without changing them, so each backward moves the
gradient back to where the value came from (reshape back, transpose back, scatter back)."""

import numpy as np

from manabu import backend
from manabu.autograd import Function, Tensor
from manabu.functional.arithmetic import unbroadcast


def normalize_axis(op, axis, ndim):
    """``axis`` as an index in [0, ndim); negative counts from the end, as in NumPy."""
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{op}: axis {axis} is out of range for a {ndim}-D tensor "
            f"(use -{ndim} .. {ndim - 1})"
        )
    return axis % ndim


class Reshape(Function):
    """y = x.reshape(shape);  gx = gy.reshape(x.shape)"""

    twice_differentiable = True

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
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


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


def scatter_add(gy, index, shape):
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

    def forward(self, x):
        self.x_shape = x.shape
        return x[self.index]

    def backward(self, gy, xp):
        return scatter_add(gy, self.index, self.x_shape)


class IndexScatter(Function):
    """y = zeros(shape) with x added at index;  gx = gy[index]"""

    twice_differentiable = True

    def forward(self, x):
        return scatter_add(x, self.index, self.shape)

    def backward(self, gy, xp):
        return gy[self.index]


class Concatenate(Function):
    """y = concatenate(xs, axis);  each gx is gy's slice where that x landed"""

    twice_differentiable = True

    def forward(self, *xs):
        try:
            y = self.xp.concatenate(xs, axis=self.axis)
        except ValueError:
            shapes = ", ".join(str(x.shape) for x in xs)
            raise ValueError(
                f"concatenate: shapes {shapes} must have the same number of axes and match "
                f"on every axis but axis {self.axis}"
            ) from None
        self.sizes = [x.shape[self.axis] for x in xs]
        self.ndim = y.ndim
        return y

    def backward(self, gy, xp):
        axis = self.axis % self.ndim
        grads, start = [], 0
        for size in self.sizes:
            grads.append(gy[(slice(None),) * axis + (slice(start, start + size),)])
            start += size
        return tuple(grads)


class Stack(Function):
    """y = stack(xs, axis);  each gx = gy taken at its position along axis"""

    twice_differentiable = True

    def forward(self, *xs):
        if len({x.shape for x in xs}) > 1:
            shapes = ", ".join(str(x.shape) for x in xs)
            raise ValueError(
                f"stack: all tensors need the same shape, got {shapes}; reshape or pad them "
                "first (or concatenate along an existing axis)"
            )
        y = self.xp.stack(xs, axis=self.axis)
        self.ndim = y.ndim
        return y

    def backward(self, gy, xp):
        axis = self.axis % self.ndim
        return tuple(gy[(slice(None),) * axis + (i,)] for i in range(gy.shape[axis]))


class Pad(Function):
    """y = x padded with a constant;  gx = gy with the padding cut off"""

    twice_differentiable = True

    def forward(self, x):
        self.x_shape = x.shape
        return self.xp.pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy, xp):
        return gy[tuple(slice(before, before + n) for (before, _), n in
                        zip(self.pad_width, self.x_shape))]


def reshape(x, shape):
    return Reshape.apply(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim into one (PyTorch's flatten); a 0-d tensor gives (1,)."""
    shape = x.shape
    if not shape:
        return reshape(x, (1,))
    start = normalize_axis("flatten", start_dim, len(shape))
    end = normalize_axis("flatten", end_dim, len(shape))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, shape[:start] + (-1,) + shape[end + 1:])


def transpose(x, axes=None):
    return Transpose.apply(x, axes=tuple(axes) if axes is not None else None)


def swapaxes(x, axis1, axis2):
    axis1 = normalize_axis("swapaxes", axis1, x.ndim)
    axis2 = normalize_axis("swapaxes", axis2, x.ndim)
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def squeeze(x, axis=None):
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(normalize_axis("squeeze", a, x.ndim) for a in axes)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(x, axis):
    shape = list(x.shape)
    axis = normalize_axis("unsqueeze", axis, len(shape) + 1)
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))


def unsqueeze(x, axis):
    return expand_dims(x, axis)


def broadcast_to(x, shape):
    return BroadcastTo.apply(x, shape=tuple(shape))


def getitem(x, index):
    return GetItem.apply(x, index=_raw_index(index))


def concatenate(xs, axis=0):
    xs = _nonempty("concatenate", xs)
    return Concatenate.apply(*xs, axis=normalize_axis("concatenate", axis, xs[0].ndim))


def cat(xs, axis=0):
    return concatenate(xs, axis)


def stack(xs, axis=0):
    xs = _nonempty("stack", xs)
    return Stack.apply(*xs, axis=normalize_axis("stack", axis, xs[0].ndim + 1))


def _nonempty(op, xs):
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


def split(x, indices_or_sections, axis=0):
    """Split along ``axis`` into equal sections (an int) or at the given indices."""
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
    return tuple(getitem(x, (slice(None),) * axis + (slice(a, b),))
                 for a, b in zip(bounds[:-1], bounds[1:]))


def pad(x, pad_width, value=0.0):
    """Constant padding; ``pad_width`` as in NumPy: an int, (before, after) for every axis,
    or ((before, after), ...) one per axis."""
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

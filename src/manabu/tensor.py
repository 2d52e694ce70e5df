"""Tensor: an n-dimensional array that remembers how it was computed.

The class holds the data (a NumPy or CuPy array), the gradient, and a link to the Function
that made it. Its operators and methods are one line each, calling an op of
``manabu.functional``; the ops, the graph walk and ``backward`` itself live in
``manabu.autograd``. Both are imported on first use (``_import_late``, manabu's one late
import), so the dependency points one way: backend <- tensor <- autograd <- functional.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend

if TYPE_CHECKING:
    from types import ModuleType

    from numpy.typing import ArrayLike, DTypeLike

    from manabu.autograd import Function


_late = {}  # manabu.functional and manabu.autograd, filled by _import_late()


def _import_late() -> dict[str, ModuleType]:
    """The one late import of manabu, documented here. Tensor's operators and methods call
    the ops of manabu.functional and ``backward`` calls manabu.autograd's graph walk, but
    both of those are built on Tensor: importing them at the top of this file would be a
    cycle. So they are imported on first use, once."""
    if not _late:
        from manabu import autograd, functional

        _late.update(autograd=autograd, functional=functional)
    return _late


def _functional() -> ModuleType:
    """manabu.functional (imported on first use, see ``_import_late``)."""
    return (_late or _import_late())["functional"]


def _autograd() -> ModuleType:
    """manabu.autograd (imported on first use, see ``_import_late``)."""
    return (_late or _import_late())["autograd"]


def unwrap(value: object) -> object:
    """The array inside a Tensor; anything else as it is."""
    return value.data if isinstance(value, Tensor) else value


def _shape_args(args: tuple) -> tuple:
    """Accept both reshape(2, 3) and reshape((2, 3))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    ``data`` is a NumPy (or CuPy) array; ``grad`` is a Tensor filled by ``backward()`` for
    leaves that ``requires_grad``; ``creator`` is the Function that produced it (None for
    leaves).

    ``Tensor(data)`` wraps ``data`` without copying an array that already has the dtype;
    ``manabu.tensor(data)`` always copies (as ``torch.tensor``). Operators (``+``, ``*``,
    ``@``, ``**``, comparisons) and methods (``sum``, ``reshape``, ``exp``, ...) each call one
    op of ``manabu.functional``; Python numbers beside a tensor take its dtype.

    Args:
        data: the values: a NumPy or CuPy array, a Tensor (its array is shared), a Python
            number or a nested list. Arrays keep their dtype; Python floats get the default
            dtype (float32, see ``manabu.set_default_dtype``).
        requires_grad: record the operations on this tensor so that ``backward()`` fills
            its ``.grad``; floating dtypes only. Default: False
        dtype: convert ``data`` to this dtype; None keeps it. Default: None
        name: a label kept with the tensor for the reader; manabu computes nothing with
            it. Not in PyTorch. Default: None

    Shape:
        Any number of axes, ``shape`` being the array's; the binary operators broadcast as
        NumPy does, and their gradients are summed back to each operand's shape.

    Example:
        >>> x = manabu.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        >>> y = (x * x).sum()  # y = sum(x**2), dy/dx = 2x
        >>> y
        tensor(14., dtype=float64, grad_fn=Sum)
        >>> y.backward()
        >>> x.grad
        tensor([2., 4., 6.], dtype=float64)
        >>> manabu.tensor([[1, 2], [3, 4]]).T.shape, x.is_leaf, y.is_leaf
        ((2, 2), True, False)
    """

    data: np.ndarray  # or a CuPy array on a GPU
    grad: Tensor | None  # dL/d(self), after backward(); a Tensor with a graph if create_graph
    requires_grad: bool
    creator: Function | None  # the op that computed this tensor; None for a leaf
    name: str | None

    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__, not NumPy's loop
    __hash__ = object.__hash__  # hashable by identity although == is elementwise

    def __init__(self, data: Tensor | ArrayLike, requires_grad: bool = False,
                 dtype: DTypeLike | None = None, name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if not backend.is_array(data) or (dtype is not None and data.dtype != dtype):
            data = backend.as_array(data, dtype=dtype, xp=backend.get_array_module(data))
        if requires_grad and data.dtype.kind != "f":
            raise TypeError(
                f"only floating tensors can require grad, got dtype {data.dtype}; "
                "convert first, e.g. tensor(x, dtype=np.float32)"
            )
        self.data = data
        self.grad = None
        self.requires_grad = requires_grad
        self.creator = None
        self.name = name
        self._retains_grad = False

    # ------------------------------------------------------------------ array facts
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        array = backend.to_device(self.data, "cpu")
        body = np.array2string(array, separator=", ", prefix="tensor(")
        extra = ""
        if self.creator is not None:
            extra = f", grad_fn={type(self.creator).__name__}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"tensor({body}, dtype={self.dtype}{extra})"

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iub" or self.size != 1:
            raise TypeError(
                f"only a one-element integer tensor can be used as an index, got dtype "
                f"{self.dtype} and shape {self.shape}"
            )
        return int(self.item())

    def item(self) -> int | float | bool:
        """The single value of a one-element tensor, as a Python number."""
        if self.size != 1:
            raise ValueError(
                f"item(): tensor of shape {self.shape} has {self.size} elements, not 1"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (a copy from the GPU; shared memory on the CPU)."""
        return backend.to_device(self.data, "cpu")

    def tolist(self) -> list | int | float | bool:
        return self.numpy().tolist()

    def any(self) -> Tensor:
        return Tensor(self.data.any())

    def all(self) -> Tensor:
        return Tensor(self.data.all())

    # ------------------------------------------------------------------ graph control
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) tracking operations on this leaf; returns self."""
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"only floating tensors can require grad, got dtype {self.dtype}")
        if not requires_grad and self.creator is not None:
            raise RuntimeError(
                "requires_grad_(False) on a tensor computed by an op; use .detach() to cut "
                "it from the graph"
            )
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """The same values cut from the graph (shares memory)."""
        return Tensor(self.data)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True
        return self

    def backward(self, gradient: Tensor | ArrayLike | None = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Backpropagate from this tensor, accumulating into ``.grad`` of the leaves.

        ``gradient`` is dL/d(self); it may be omitted for a one-element tensor (a loss).
        ``retain_graph=True`` keeps the graph for another backward; ``create_graph=True``
        records the backward itself so the gradients can be differentiated again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph; "
                "did you create the inputs with requires_grad=True, or run inside no_grad()?"
            )
        if gradient is None:
            if self.size != 1:
                raise RuntimeError(
                    f"backward(): gradient can be omitted only for a one-element output, "
                    f"this one has shape {self.shape}; pass gradient=ones of that shape"
                )
            gradient = backend.get_array_module(self.data).ones_like(self.data)
        _autograd().run_backward([self], [gradient], retain_graph or create_graph, create_graph)

    # ------------------------------------------------------------------ dtype and device
    def to(self, device: str | None = None, dtype: DTypeLike | None = None) -> Tensor:
        """A copy on another device ('cpu', 'cuda') and/or of another dtype."""
        same_device = device is None or backend.device_of(self.data) == str(device)
        if same_device and (dtype is None or self.dtype == dtype):
            return self
        return _functional().to(self, device, dtype)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def astype(self, dtype: DTypeLike) -> Tensor:
        return self.to(dtype=dtype)

    def float(self) -> Tensor:
        return self.to(dtype=np.float32)

    def double(self) -> Tensor:
        return self.to(dtype=np.float64)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().add(self, other)

    def __radd__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().add(other, self)

    def __sub__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().sub(self, other)

    def __rsub__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().sub(other, self)

    def __mul__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().mul(self, other)

    def __rmul__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().mul(other, self)

    def __truediv__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().div(self, other)

    def __rtruediv__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().div(other, self)

    def __pow__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().pow(self, other)

    def __rpow__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().pow(other, self)

    def __matmul__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().matmul(self, other)

    def __rmatmul__(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().matmul(other, self)

    def __neg__(self) -> Tensor:
        return _functional().neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _functional().abs(self)

    # comparisons are not differentiable: they return boolean tensors
    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return Tensor(self.data == unwrap(other))

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return Tensor(self.data != unwrap(other))

    def __lt__(self, other: Tensor | ArrayLike) -> Tensor:
        return Tensor(self.data < unwrap(other))

    def __le__(self, other: Tensor | ArrayLike) -> Tensor:
        return Tensor(self.data <= unwrap(other))

    def __gt__(self, other: Tensor | ArrayLike) -> Tensor:
        return Tensor(self.data > unwrap(other))

    def __ge__(self, other: Tensor | ArrayLike) -> Tensor:
        return Tensor(self.data >= unwrap(other))

    # ------------------------------------------------------------------ shape
    def __getitem__(self, index: object) -> Tensor:
        return _functional().getitem(self, index)

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        return _functional().reshape(self, _shape_args(shape))

    def view(self, *shape: int | tuple[int, ...]) -> Tensor:
        return _functional().reshape(self, _shape_args(shape))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return _functional().flatten(self, start_dim, end_dim)

    def transpose(self, *axes: int | tuple[int, ...], dim0: int | None = None,
                  dim1: int | None = None) -> Tensor:
        """``x.transpose(0, 1)`` or ``x.transpose(dim0=0, dim1=1)`` swaps two axes (PyTorch);
        ``x.transpose((2, 0, 1))`` or ``x.transpose(2, 0, 1)`` on a 3-D tensor permutes
        (NumPy); ``x.transpose()`` reverses the axes."""
        # PyTorch's keywords name the axes of a swap, in either order (a swap is symmetric)
        axes += tuple(d for d in (dim0, dim1) if d is not None)
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            return _functional().swapaxes(self, axes[0], axes[1])
        return _functional().transpose(self, _shape_args(axes) or None)

    def permute(self, *axes: int | tuple[int, ...]) -> Tensor:
        return _functional().transpose(self, _shape_args(axes))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return _functional().swapaxes(self, axis1, axis2)

    @property
    def T(self) -> Tensor:
        return _functional().transpose(self, None)

    @property
    def mT(self) -> Tensor:
        return _functional().swapaxes(self, -1, -2)

    def squeeze(self, axis: int | tuple[int, ...] | None = None, *,
                dim: int | tuple[int, ...] | None = None) -> Tensor:
        return _functional().squeeze(self, axis, dim=dim)

    def unsqueeze(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        return _functional().unsqueeze(self, axis, dim=dim)

    def expand(self, *shape: int | tuple[int, ...]) -> Tensor:
        """Broadcast to ``shape``; -1 keeps that axis's size (PyTorch)."""
        shape = _shape_args(shape)
        offset = len(shape) - self.ndim
        shape = tuple(self.shape[i - offset] if n == -1 and i >= offset else n
                      for i, n in enumerate(shape))
        return _functional().broadcast_to(self, shape)

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        return _functional().broadcast_to(self, shape)

    # ------------------------------------------------------------------ reductions
    # NumPy's axis= / keepdims= or PyTorch's dim= / keepdim=, resolved by the functional op
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, *,
            dim: int | tuple[int, ...] | None = None,
            keepdim: bool | None = None) -> Tensor:
        return _functional().sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, *,
             dim: int | tuple[int, ...] | None = None,
             keepdim: bool | None = None) -> Tensor:
        return _functional().mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, *,
            dim: int | tuple[int, ...] | None = None,
            keepdim: bool | None = None) -> Tensor:
        """The values only, as ``x.amax(dim)``: PyTorch's ``x.max(dim)`` also returns the
        indices, which ``x.argmax(dim)`` gives here."""
        return _functional().max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, *,
            dim: int | tuple[int, ...] | None = None,
            keepdim: bool | None = None) -> Tensor:
        """The values only, as ``x.amin(dim)`` (see ``max``)."""
        return _functional().min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis: int | None = None, keepdims: bool = False, *,
               dim: int | None = None, keepdim: bool | None = None) -> Tensor:
        return _functional().argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(self, axis: int | None = None, keepdims: bool = False, *,
               dim: int | None = None, keepdim: bool | None = None) -> Tensor:
        return _functional().argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False,
            ddof: int = 0, *, dim: int | tuple[int, ...] | None = None,
            keepdim: bool | None = None) -> Tensor:
        """ddof=0 unless given, also with dim= (PyTorch's default is correction=1)."""
        return _functional().var(self, axis, keepdims, ddof, dim=dim, keepdim=keepdim)

    def std(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False,
            ddof: int = 0, *, dim: int | tuple[int, ...] | None = None,
            keepdim: bool | None = None) -> Tensor:
        """ddof=0 unless given, also with dim= (PyTorch's default is correction=1)."""
        return _functional().std(self, axis, keepdims, ddof, dim=dim, keepdim=keepdim)

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, *,
                  dim: int | tuple[int, ...] | None = None,
                  keepdim: bool | None = None) -> Tensor:
        return _functional().logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        return _functional().exp(self)

    def log(self) -> Tensor:
        return _functional().log(self)

    def sqrt(self) -> Tensor:
        return _functional().sqrt(self)

    def abs(self) -> Tensor:
        return _functional().abs(self)

    def sin(self) -> Tensor:
        return _functional().sin(self)

    def cos(self) -> Tensor:
        return _functional().cos(self)

    def tanh(self) -> Tensor:
        return _functional().tanh(self)

    def sigmoid(self) -> Tensor:
        return _functional().sigmoid(self)

    def relu(self) -> Tensor:
        return _functional().relu(self)

    def clip(self, min: Tensor | ArrayLike | None = None,  # noqa: A002 - PyTorch's names
             max: Tensor | ArrayLike | None = None) -> Tensor:  # noqa: A002
        return _functional().clip(self, min, max)

    def clamp(self, min: Tensor | ArrayLike | None = None,  # noqa: A002
              max: Tensor | ArrayLike | None = None) -> Tensor:  # noqa: A002
        return _functional().clip(self, min, max)

    def maximum(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().maximum(self, other)

    def minimum(self, other: Tensor | ArrayLike) -> Tensor:
        return _functional().minimum(self, other)

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return _functional().softmax(self, axis, dim=dim)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return _functional().log_softmax(self, axis, dim=dim)


def tensor(data: Tensor | ArrayLike, dtype: DTypeLike | None = None,
           requires_grad: bool = False) -> Tensor:
    """A new leaf Tensor holding a copy of ``data`` (Python floats get the default dtype).

    Args:
        data: an array, a Tensor, a Python number or a nested list; always copied.
        dtype: the dtype of the new tensor; None keeps an array's own and gives Python
            floats the default dtype (float32). Default: None
        requires_grad: whether ``backward()`` computes a gradient for it. Default: False

    Example:
        >>> manabu.tensor([[1.0, 2.0], [3.0, 4.0]])
        tensor([[1., 2.],
                [3., 4.]], dtype=float32)
        >>> manabu.tensor(np.arange(3), dtype=np.float64, requires_grad=True)
        tensor([0., 1., 2.], dtype=float64, requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    array = backend.as_array(data, dtype=dtype, xp=xp)
    if array is data:
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)

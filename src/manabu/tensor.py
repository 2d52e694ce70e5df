"""Tensor: an n-dimensional array that remembers how it was computed.

The class holds the data (a NumPy or CuPy array), the gradient, and a link to the Function
that made it. Its operators and methods are one line each, calling an op of
``manabu.functional``; the ops, the graph walk and ``backward`` itself live in
``manabu.autograd``. Both are imported on first use (``_import_late``, manabu's one late
import), so the dependency points one way: backend <- tensor <- autograd <- functional.
"""

import numpy as np

from manabu import backend


_late = {}  # manabu.functional and manabu.autograd, filled by _import_late()


def _import_late():
    """The one late import of manabu, documented here. Tensor's operators and methods call
    the ops of manabu.functional and ``backward`` calls manabu.autograd's graph walk, but
    both of those are built on Tensor: importing them at the top of this file would be a
    cycle. So they are imported on first use, once."""
    if not _late:
        from manabu import autograd, functional

        _late.update(autograd=autograd, functional=functional)
    return _late


def _functional():
    """manabu.functional (imported on first use, see ``_import_late``)."""
    return (_late or _import_late())["functional"]


def _autograd():
    """manabu.autograd (imported on first use, see ``_import_late``)."""
    return (_late or _import_late())["autograd"]


def unwrap(value):
    """The array inside a Tensor; anything else as it is."""
    return value.data if isinstance(value, Tensor) else value


def _shape_args(args):
    """Accept both reshape(2, 3) and reshape((2, 3))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    ``data`` is a NumPy (or CuPy) array; ``grad`` is a Tensor filled by ``backward()`` for
    leaves that ``requires_grad``; ``creator`` is the Function that produced it (None for
    leaves).
    """

    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__, not NumPy's loop
    __hash__ = object.__hash__  # hashable by identity although == is elementwise

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
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
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        return self.creator is None

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        array = backend.to_device(self.data, "cpu")
        body = np.array2string(array, separator=", ", prefix="tensor(")
        extra = ""
        if self.creator is not None:
            extra = f", grad_fn={type(self.creator).__name__}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"tensor({body}, dtype={self.dtype}{extra})"

    def __bool__(self):
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iub" or self.size != 1:
            raise TypeError(
                f"only a one-element integer tensor can be used as an index, got dtype "
                f"{self.dtype} and shape {self.shape}"
            )
        return int(self.item())

    def item(self):
        """The single value of a one-element tensor, as a Python number."""
        if self.size != 1:
            raise ValueError(
                f"item(): tensor of shape {self.shape} has {self.size} elements, not 1"
            )
        return self.data.item()

    def numpy(self):
        """The values as a NumPy array (a copy from the GPU; shared memory on the CPU)."""
        return backend.to_device(self.data, "cpu")

    def tolist(self):
        return self.numpy().tolist()

    def any(self):
        return Tensor(self.data.any())

    def all(self):
        return Tensor(self.data.all())

    # ------------------------------------------------------------------ graph control
    def requires_grad_(self, requires_grad=True):
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

    def detach(self):
        """The same values cut from the graph (shares memory)."""
        return Tensor(self.data)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True
        return self

    def backward(self, gradient=None, retain_graph=False, create_graph=False):
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
    def to(self, device=None, dtype=None):
        """A copy on another device ('cpu', 'cuda') and/or of another dtype."""
        same_device = device is None or backend.device_of(self.data) == str(device)
        if same_device and (dtype is None or self.dtype == dtype):
            return self
        return _functional().to(self, device, dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def astype(self, dtype):
        return self.to(dtype=dtype)

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _functional().add(self, other)

    def __radd__(self, other):
        return _functional().add(other, self)

    def __sub__(self, other):
        return _functional().sub(self, other)

    def __rsub__(self, other):
        return _functional().sub(other, self)

    def __mul__(self, other):
        return _functional().mul(self, other)

    def __rmul__(self, other):
        return _functional().mul(other, self)

    def __truediv__(self, other):
        return _functional().div(self, other)

    def __rtruediv__(self, other):
        return _functional().div(other, self)

    def __pow__(self, other):
        return _functional().pow(self, other)

    def __rpow__(self, other):
        return _functional().pow(other, self)

    def __matmul__(self, other):
        return _functional().matmul(self, other)

    def __rmatmul__(self, other):
        return _functional().matmul(other, self)

    def __neg__(self):
        return _functional().neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _functional().abs(self)

    # comparisons are not differentiable: they return boolean tensors
    def __eq__(self, other):
        return Tensor(self.data == unwrap(other))

    def __ne__(self, other):
        return Tensor(self.data != unwrap(other))

    def __lt__(self, other):
        return Tensor(self.data < unwrap(other))

    def __le__(self, other):
        return Tensor(self.data <= unwrap(other))

    def __gt__(self, other):
        return Tensor(self.data > unwrap(other))

    def __ge__(self, other):
        return Tensor(self.data >= unwrap(other))

    # ------------------------------------------------------------------ shape
    def __getitem__(self, index):
        return _functional().getitem(self, index)

    def reshape(self, *shape):
        return _functional().reshape(self, _shape_args(shape))

    def view(self, *shape):
        return _functional().reshape(self, _shape_args(shape))

    def flatten(self, start_dim=0, end_dim=-1):
        return _functional().flatten(self, start_dim, end_dim)

    def transpose(self, *axes, dim0=None, dim1=None):
        """``x.transpose(0, 1)`` or ``x.transpose(dim0=0, dim1=1)`` swaps two axes (PyTorch);
        ``x.transpose((2, 0, 1))`` or ``x.transpose(2, 0, 1)`` on a 3-D tensor permutes
        (NumPy); ``x.transpose()`` reverses the axes."""
        # PyTorch's keywords name the axes of a swap, in either order (a swap is symmetric)
        axes += tuple(d for d in (dim0, dim1) if d is not None)
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            return _functional().swapaxes(self, axes[0], axes[1])
        return _functional().transpose(self, _shape_args(axes) or None)

    def permute(self, *axes):
        return _functional().transpose(self, _shape_args(axes))

    def swapaxes(self, axis1, axis2):
        return _functional().swapaxes(self, axis1, axis2)

    @property
    def T(self):
        return _functional().transpose(self, None)

    @property
    def mT(self):
        return _functional().swapaxes(self, -1, -2)

    def squeeze(self, axis=None, *, dim=None):
        return _functional().squeeze(self, axis, dim=dim)

    def unsqueeze(self, axis=None, *, dim=None):
        return _functional().unsqueeze(self, axis, dim=dim)

    def expand(self, *shape):
        """Broadcast to ``shape``; -1 keeps that axis's size (PyTorch)."""
        shape = _shape_args(shape)
        offset = len(shape) - self.ndim
        shape = tuple(self.shape[i - offset] if n == -1 and i >= offset else n
                      for i, n in enumerate(shape))
        return _functional().broadcast_to(self, shape)

    def broadcast_to(self, shape):
        return _functional().broadcast_to(self, shape)

    # ------------------------------------------------------------------ reductions
    # NumPy's axis= / keepdims= or PyTorch's dim= / keepdim=, resolved by the functional op
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _functional().sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _functional().mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The values only, as ``x.amax(dim)``: PyTorch's ``x.max(dim)`` also returns the
        indices, which ``x.argmax(dim)`` gives here."""
        return _functional().max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The values only, as ``x.amin(dim)`` (see ``max``)."""
        return _functional().min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _functional().argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _functional().argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None):
        """ddof=0 unless given, also with dim= (PyTorch's default is correction=1)."""
        return _functional().var(self, axis, keepdims, ddof, dim=dim, keepdim=keepdim)

    def std(self, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None):
        """ddof=0 unless given, also with dim= (PyTorch's default is correction=1)."""
        return _functional().std(self, axis, keepdims, ddof, dim=dim, keepdim=keepdim)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _functional().logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    # ------------------------------------------------------------------ elementwise
    def exp(self):
        return _functional().exp(self)

    def log(self):
        return _functional().log(self)

    def sqrt(self):
        return _functional().sqrt(self)

    def abs(self):
        return _functional().abs(self)

    def sin(self):
        return _functional().sin(self)

    def cos(self):
        return _functional().cos(self)

    def tanh(self):
        return _functional().tanh(self)

    def sigmoid(self):
        return _functional().sigmoid(self)

    def relu(self):
        return _functional().relu(self)

    def clip(self, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        return _functional().clip(self, min, max)

    def clamp(self, min=None, max=None):  # noqa: A002
        return _functional().clip(self, min, max)

    def maximum(self, other):
        return _functional().maximum(self, other)

    def minimum(self, other):
        return _functional().minimum(self, other)

    def softmax(self, axis=-1, *, dim=None):
        return _functional().softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        return _functional().log_softmax(self, axis, dim=dim)


def tensor(data, dtype=None, requires_grad=False):
    """A new leaf Tensor holding a copy of ``data`` (Python floats get the default dtype)."""
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    array = backend.as_array(data, dtype=dtype, xp=xp)
    if array is data:
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)

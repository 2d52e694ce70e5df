"""Automatic differentiation (自動微分): Tensor, Function and the backward graph walk.

Every op is a ``Function`` with ``forward`` and ``backward`` side by side. Calling
``SomeOp.apply(x, y)`` runs ``forward`` on the raw arrays and, when a gradient is needed,
links the output Tensor to the Function that made it (define-by-run). ``Tensor.backward``
then walks that graph in reverse topological order, without recursion, and each Function
turns the gradient of its output into gradients of its inputs: 誤差逆伝播法 (backprop).

Higher-order gradients: ops whose class sets ``twice_differentiable = True`` write their
backward with ``self.xp`` and ``self.saved``. Under ``create_graph=True`` the walk hands them
Tensors and swaps ``self.xp`` for ``manabu.functional`` (which offers the same names as
NumPy), so the very same formula records a graph that can be differentiated again.
"""

import functools
import weakref

import numpy as np

from manabu import backend

_grad_enabled = True


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return _grad_enabled


class _GradMode:
    """Base of no_grad / enable_grad: a context manager that also decorates functions."""

    enabled = True

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self.enabled

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Record no graph inside this block (evaluation, optimizer updates)."""

    enabled = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block."""

    enabled = True


def _functional():
    # Tensor's operators are ops of manabu.functional, which builds on this file; the
    # import happens on first use, so the dependency still points one way at import time.
    from manabu import functional

    return functional


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
        body = np.array2string(backend.to_device(self.data, "cpu"), separator=", ", prefix="tensor(")
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
        return int(self.data)

    def item(self):
        """The single value of a one-element tensor, as a Python number."""
        if self.size != 1:
            raise ValueError(f"item(): tensor of shape {self.shape} has {self.size} elements, not 1")
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
        self.requires_grad = requires_grad
        return self

    def detach(self):
        """The same values cut from the graph (shares memory)."""
        return Tensor(self.data)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
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
            gradient = self.data * 0 + 1  # ones of the right dtype and device
        run_backward([self], [gradient], retain_graph or create_graph, create_graph)

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
        return Tensor(self.data == _raw(other))

    def __ne__(self, other):
        return Tensor(self.data != _raw(other))

    def __lt__(self, other):
        return Tensor(self.data < _raw(other))

    def __le__(self, other):
        return Tensor(self.data <= _raw(other))

    def __gt__(self, other):
        return Tensor(self.data > _raw(other))

    def __ge__(self, other):
        return Tensor(self.data >= _raw(other))

    # ------------------------------------------------------------------ shape
    def __getitem__(self, index):
        return _functional().getitem(self, index)

    def reshape(self, *shape):
        return _functional().reshape(self, _shape_args(shape))

    def view(self, *shape):
        return _functional().reshape(self, _shape_args(shape))

    def flatten(self, start_dim=0, end_dim=-1):
        return _functional().flatten(self, start_dim, end_dim)

    def transpose(self, *axes):
        """Reverse the axes, or give a full permutation, or swap two axes as PyTorch does."""
        if len(axes) == 2 and self.ndim != 2:
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

    def squeeze(self, axis=None):
        return _functional().squeeze(self, axis)

    def unsqueeze(self, axis):
        return _functional().expand_dims(self, axis)

    def expand(self, *shape):
        return _functional().broadcast_to(self, _shape_args(shape))

    def broadcast_to(self, shape):
        return _functional().broadcast_to(self, shape)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False):
        return _functional().sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _functional().mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _functional().max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _functional().min(self, axis, keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _functional().argmax(self, axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _functional().argmin(self, axis, keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        return _functional().var(self, axis, keepdims, ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        return _functional().std(self, axis, keepdims, ddof)

    def logsumexp(self, axis=None, keepdims=False):
        return _functional().logsumexp(self, axis, keepdims)

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

    def softmax(self, axis=-1):
        return _functional().softmax(self, axis)

    def log_softmax(self, axis=-1):
        return _functional().log_softmax(self, axis)


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def _shape_args(args):
    """Accept both reshape(2, 3) and reshape((2, 3))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def tensor(data, dtype=None, requires_grad=False):
    """A new leaf Tensor holding a copy of ``data`` (floats get the default dtype)."""
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    array = backend.as_array(data, dtype=dtype, xp=xp)
    if array is data:
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


class Function:
    """One differentiable operation: ``forward`` on arrays, ``backward`` on gradients.

    Subclasses write ``forward(self, *xs)`` returning an array (or a tuple of arrays) and
    ``backward(self, *gys)`` returning one gradient per input (None where an input needs
    none). Use ``self.xp`` for array functions and ``self.save_for_backward`` /
    ``self.saved`` for what backward needs. Keyword arguments of ``apply`` become attributes.
    """

    twice_differentiable = False

    def __init__(self, **params):
        self.__dict__.update(params)
        self._saved = ()
        self._graph_mode = False

    @classmethod
    def apply(cls, *inputs, **params):
        fn = cls(**params)
        tensors = _as_tensors(inputs)
        xs = [t.data for t in tensors]
        fn.xp = backend.get_array_module(*xs)
        ys = fn.forward(*xs)
        single = not isinstance(ys, tuple)
        if single:
            ys = (ys,)
        needs_grad = _grad_enabled and any(t.requires_grad for t in tensors)
        outputs = []
        for y in ys:
            out = Tensor(y)
            if needs_grad and y.dtype.kind == "f":
                out.requires_grad = True
                out.creator = fn
            outputs.append(out)
        if needs_grad:
            fn.inputs = tensors
            fn.outputs = [weakref.ref(o) for o in outputs]
            fn.needs_input_grad = tuple(t.requires_grad for t in tensors)
        else:
            fn._saved = ()  # nothing will call backward: free what forward kept
        return outputs[0] if single else tuple(outputs)

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    def save_for_backward(self, *values):
        """Keep arrays for backward. Save the very arrays forward received or returned,
        so that a higher-order backward can find the Tensors they belong to."""
        self._saved = values

    @property
    def saved(self):
        if not self._graph_mode:
            return self._saved
        return tuple(self._as_graph_tensor(v) for v in self._saved)

    def _as_graph_tensor(self, value):
        if not backend.is_array(value):
            return value
        for t in self.inputs:
            if t.data is value:
                return t
        for ref in self.outputs:
            out = ref()
            if out is not None and out.data is value:
                return out
        return Tensor(value)  # a constant of this op, such as a mask

    def _backward_with_graph(self, gys):
        """Run backward on Tensors so that it records a graph (create_graph=True)."""
        if not self.twice_differentiable:
            raise RuntimeError(
                f"{type(self).__name__} is a fused op with a first-order backward only; "
                "it cannot be differentiated twice (create_graph=True). Build the same "
                "computation from elementary ops if you need higher-order gradients."
            )
        array_module = self.xp
        self.xp, self._graph_mode = _functional(), True
        try:
            with enable_grad():
                return self.backward(*gys)
        finally:
            self.xp, self._graph_mode = array_module, False

    def _release(self):
        self.inputs = None
        self._saved = ()


def _as_tensors(inputs):
    """Tensors for all inputs; Python numbers take the dtype of the tensors beside them."""
    reference = next((x for x in inputs if isinstance(x, Tensor)), None)
    if reference is not None and all(isinstance(x, Tensor) for x in inputs):
        return inputs
    result = []
    for x in inputs:
        if isinstance(x, Tensor):
            result.append(x)
            continue
        if backend.is_array(x):
            result.append(Tensor(x))
            continue
        xp = backend.get_array_module(reference.data) if reference is not None else np
        dtype = None
        if reference is not None and isinstance(x, (int, float)) and not isinstance(x, bool):
            if reference.dtype.kind == "f" or (isinstance(x, int) and reference.dtype.kind in "iu"):
                dtype = reference.dtype
        result.append(Tensor(backend.as_array(x, dtype=dtype, xp=xp)))
    return result


def _topological_order(roots):
    """Functions of the graph, each after every Function that consumes its outputs."""
    order, visited = [], set()
    stack = [(r.creator, False) for r in roots if r.creator is not None]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        if fn.inputs is None:
            raise RuntimeError(
                f"trying to backward through {type(fn).__name__} a second time: its saved "
                "values were freed. Pass retain_graph=True to the first backward()."
            )
        visited.add(id(fn))
        stack.append((fn, True))
        for t in fn.inputs:
            if t.creator is not None and id(t.creator) not in visited:
                stack.append((t.creator, False))
    order.reverse()
    return order


def _accumulate(old, new):
    return new if old is None else old + new


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None):
    """The graph walk behind ``Tensor.backward`` and ``manabu.grad``.

    Gradients flow from ``roots`` (with ``root_grads``) to every tensor that requires
    grad. Leaves get them added to ``.grad``; with ``capture`` (a dict id -> None) the
    gradients of exactly those tensors are collected into it instead.
    """
    grads, keep_alive = {}, list(roots)  # ids stay valid while their tensors live
    for root, g in zip(roots, root_grads):
        g = _raw(g) if not create_graph else (g if isinstance(g, Tensor) else Tensor(g))
        if capture is not None and id(root) in capture:
            capture[id(root)] = _accumulate(capture[id(root)], g)
        grads[id(root)] = _accumulate(grads.get(id(root)), g)
    for fn in _topological_order(roots):
        outputs = [ref() for ref in fn.outputs]
        gys = [grads.pop(id(o), None) if o is not None else None for o in outputs]
        if all(g is None for g in gys):
            continue
        gys = [_zeros_for(o, fn, i, create_graph) if g is None else g for i, (o, g) in
               enumerate(zip(outputs, gys))]
        if create_graph:
            gxs = fn._backward_with_graph(gys)
        else:
            gxs = fn.backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for t, gx, needed in zip(fn.inputs, gxs, fn.needs_input_grad):
            if gx is None or not needed:
                continue
            if gx.shape != t.shape:
                raise RuntimeError(
                    f"{type(fn).__name__}.backward returned a gradient of shape {gx.shape} "
                    f"for an input of shape {t.shape} (a bug in that op)"
                )
            keep_alive.append(t)
            _deliver(t, gx, grads, capture, create_graph)
        if not retain_graph:
            fn._release()


def _deliver(t, gx, grads, capture, create_graph):
    """Hand one gradient contribution to tensor t: to .grad, to capture, and onward."""
    if capture is not None:
        if id(t) in capture:
            capture[id(t)] = _accumulate(capture[id(t)], gx)
    elif t.creator is None or t._retains_grad:
        if create_graph:
            t.grad = _accumulate(t.grad, gx)
        elif t.grad is None:
            t.grad = Tensor(gx.copy())  # own copy: gx may alias another tensor's gradient
        else:
            t.grad = Tensor(t.grad.data + gx)
    if t.creator is not None:
        grads[id(t)] = _accumulate(grads.get(id(t)), gx)


def _zeros_for(output, fn, index, create_graph):
    """Zero gradient for an output of a multi-output op that received none."""
    if output is None:
        raise RuntimeError(f"{type(fn).__name__}: output {index} was freed before backward")
    zeros = output.data * 0
    return Tensor(zeros) if create_graph else zeros


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not put in .grad).

    Like ``torch.autograd.grad``: with ``create_graph=True`` the results are Tensors with a
    graph of their own, so a gradient penalty or a Hessian-vector product can be
    differentiated again.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    root_grads = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("grad(): an output does not require grad (it has no graph)")
        if g is None:
            if out.size != 1:
                raise RuntimeError(
                    f"grad(): grad_outputs is needed for an output of shape {out.shape}"
                )
            g = out.data * 0 + 1
        root_grads.append(g)
    capture = {id(t): None for t in inputs}
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(outputs, root_grads, retain_graph, create_graph, capture=capture)
    results = []
    for i, t in enumerate(inputs):
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} (shape {t.shape}) is not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        if g is not None and not isinstance(g, Tensor):
            g = Tensor(g)
        results.append(g)
    return tuple(results)

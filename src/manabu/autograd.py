"""Automatic differentiation (自動微分): Function, the backward graph walk, grad modes.

Reading guide: what happens, in order.
1. Forward. ``SomeOp.apply(x, y, axis=1)`` builds ``SomeOp(axis=1)`` (each op declares its
   parameters in ``__init__``), runs ``forward`` on the raw arrays and, when a gradient is
   needed, links the output Tensor to the op (``out.creator``): the graph is recorded as
   the code runs (define-by-run). ``forward`` keeps what backward needs with
   ``save_for_backward``.
2. ``loss.backward()`` calls ``run_backward``, which orders the graph's ops so that each
   comes after every op that used its outputs (``_topological_order``, no recursion).
3. For each op in that order it hands the gradients of the op's outputs to
   ``op.backward(*gys, xp=...)``, which returns one gradient per input: 誤差逆伝播法
   (backprop), the chain rule one op at a time. ``xp`` is the array module (NumPy or
   CuPy) and ``op.saved`` gives the saved arrays.
4. Gradients reaching the same tensor from several ops are added (``_deliver``); leaves
   (parameters) receive theirs in ``.grad``. Each op then frees what it saved, unless
   ``retain_graph=True``.

Higher-order gradients (``create_graph=True``) take the same walk with one difference, in
step 3: ops whose class sets ``twice_differentiable = True`` get Tensors instead of arrays
(``gys``, and ``op.saved`` gives the Tensors the saved arrays belong to) and, as ``xp``,
``manabu.functional.tensor_math``: NumPy's names (``xp.exp``, ``xp.where``, ...) for
differentiable ops. So the very formula that computes a gradient also records the graph of
that gradient, ready to be differentiated again: one backward per op serves both orders.
A fused op without that flag still gives first-order gradients under ``create_graph=True``;
only differentiating those gradients again raises (as in PyTorch).
"""

from __future__ import annotations

import functools
import inspect
import weakref
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.tensor import Tensor, _functional, tensor, unwrap

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Literal

    from numpy.typing import ArrayLike

__all__ = [
    "Function", "Tensor", "enable_grad", "grad", "is_grad_enabled", "no_grad",
    "run_backward", "tensor",
]

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``.

    Example:
        >>> with manabu.no_grad():
        ...     print(manabu.is_grad_enabled())
        False
        >>> manabu.is_grad_enabled()
        True
    """
    return _grad_enabled


class _GradMode:
    """Base of no_grad / enable_grad: a context manager that also decorates functions,
    written ``@no_grad()`` or ``@no_grad``."""

    enabled = True

    def __new__(cls, func: Callable | None = None) -> _GradMode | Callable:
        mode = super().__new__(cls)
        mode._previous = []
        return mode if func is None else mode(func)

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> Literal[False]:
        global _grad_enabled
        _grad_enabled = self._previous.pop()
        return False

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Record no graph inside this block (evaluation, optimizer updates).

    Inside it ops compute their values only: no output requires grad and nothing is saved
    for a backward, which saves memory and time. A context manager, and also a decorator,
    written ``@no_grad()`` or ``@no_grad``; blocks nest, each restoring the mode it found.

    Args:
        func: when used as ``@no_grad`` without parentheses, the decorated function (Python
            passes it); None otherwise. Default: None

    Example:
        >>> w = manabu.tensor([1.0, 2.0], requires_grad=True)
        >>> with manabu.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
        >>> @manabu.no_grad
        ... def predict(x):
        ...     return w * x
        >>> predict(3.0).requires_grad, (w * 3.0).requires_grad
        (False, True)
    """

    enabled = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block.

    A context manager and a decorator, as ``no_grad``: a function decorated with
    ``@enable_grad`` records its graph even when called inside ``no_grad()``.

    Args:
        func: when used as ``@enable_grad`` without parentheses, the decorated function;
            None otherwise. Default: None

    Example:
        >>> w = manabu.tensor([1.0, 2.0], requires_grad=True)
        >>> with manabu.no_grad():
        ...     with manabu.enable_grad():
        ...         y = w * 2
        >>> y.requires_grad
        True
    """

    enabled = True


class Function:
    """One differentiable operation: ``forward`` on arrays, ``backward`` on gradients.

    Subclasses declare their parameters in ``__init__`` (the keyword arguments of
    ``apply``), write ``forward(self, *xs)`` returning an array (or a tuple of arrays) with
    ``self.xp`` (the inputs' array module) for array functions, and ``backward(self, *gys,
    xp)`` returning one gradient per input (None where an input needs none). What backward
    needs, forward keeps with ``self.save_for_backward``; backward reads it from
    ``self.saved``. See the reading guide at the top of this file for ``xp`` under
    ``create_graph=True``.

    An op is used through its class method ``apply``, never by calling the class: apply
    builds the op, runs forward on the arrays and links the outputs into the graph.

    Args:
        *inputs: (of ``apply``) the Tensors the op differentiates; arrays and Python
            numbers become constant Tensors (numbers take the dtype of the tensors beside
            them).
        **params: (of ``apply``) the op's parameters, passed to its ``__init__``: not
            differentiated (an axis, a stride, a mask).

    Example:
        >>> class Square(Function):
        ...     # y = x**2;  gx = gy * 2x
        ...     def forward(self, x):
        ...         self.save_for_backward(x)
        ...         return x * x
        ...     def backward(self, gy, xp):
        ...         (x,) = self.saved
        ...         return gy * 2 * x
        >>> x = manabu.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = Square.apply(x)
        >>> y
        tensor([1., 4., 9.], dtype=float32, grad_fn=Square)
        >>> y.sum().backward()
        >>> x.grad
        tensor([2., 4., 6.], dtype=float32)
    """

    twice_differentiable = False
    _saved = ()
    _graph_mode = False
    _takes_xp = None  # whether this class's backward has the xp argument (see below)

    @classmethod
    def apply(cls, *inputs: Tensor | ArrayLike, **params: Any) -> Tensor | tuple[Tensor, ...]:
        """Run the op: ``cls(**params)``, forward on the inputs' arrays, and (when a
        gradient is needed) the outputs linked to the op. One Tensor, or a tuple for an op
        whose forward returns several arrays."""
        if params and cls.__init__ is object.__init__:
            raise TypeError(f"{cls.__name__}.apply got parameters {sorted(params)}, but "
                            f"{cls.__name__} declares none: list them in its __init__")
        fn = cls(**params)
        tensors = _as_tensors(inputs)
        xs = [t.data for t in tensors]
        fn.xp = backend.get_array_module(*xs)
        needs_grad = _grad_enabled and any([t.requires_grad for t in tensors])
        if needs_grad and len(xs) > 1:
            xs = _distinct_arrays(tensors, xs)
        ys = fn.forward(*xs)
        single = not isinstance(ys, tuple)
        if single:
            ys = (ys,)
        if not needs_grad:  # fn is dropped here, with whatever forward saved
            outputs = [Tensor(fn._as_array(y)) for y in ys]
            return outputs[0] if single else tuple(outputs)
        outputs = []
        for y in ys:
            out = Tensor(fn._as_array(y))
            if out.data.dtype.kind == "f":
                out.requires_grad = True
                out.creator = fn
            outputs.append(out)
        fn.inputs = tensors
        fn.input_arrays = xs  # what forward saw: Function.saved maps them back to inputs
        fn.outputs = [weakref.ref(o) for o in outputs]
        fn.needs_input_grad = tuple([t.requires_grad for t in tensors])
        if not single:
            fn.output_meta = [(o.shape, o.dtype) for o in outputs]
        return outputs[0] if single else tuple(outputs)

    def _as_array(self, y):
        """NumPy returns a scalar, not a 0-d array, from a full reduction: make it an
        array of the same dtype, and save that array if forward saved the scalar."""
        if backend.is_array(y):
            return y
        array = self.xp.asarray(y)
        self._saved = tuple(array if s is y else s for s in self._saved)
        return array

    def forward(self, *xs: Any) -> Any:
        """The op on arrays (NumPy or CuPy, ``self.xp``): an array or a tuple of arrays."""
        raise NotImplementedError

    def backward(self, *gys: Any) -> Any:
        """One gradient per input (None where none is needed), given the outputs'
        gradients; subclasses add the keyword ``xp`` (see the class docstring)."""
        raise NotImplementedError

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays for backward. Save the very arrays forward received or returned,
        so that a higher-order backward can find the Tensors they belong to."""
        self._saved = values

    @property
    def saved(self) -> tuple:
        """What forward saved; under create_graph=True, the Tensors those arrays belong to."""
        if not self._graph_mode:
            return self._saved
        return tuple(self._as_graph_tensor(v) for v in self._saved)

    def _as_graph_tensor(self, value):
        if not backend.is_array(value):
            return value
        for t, x in zip(self.inputs, self.input_arrays):
            if x is value:
                return t
        for ref in self.outputs:
            out = ref()
            if out is not None and out.data is value:
                return out
        return Tensor(value)  # a constant of this op, such as a mask

    @classmethod
    def _explicit_xp(cls):
        """Whether backward takes ``xp``. Every op of manabu's does; a user's Function
        written without it still works, for first-order gradients."""
        if cls._takes_xp is None:
            cls._takes_xp = "xp" in inspect.signature(cls.backward).parameters
        return cls._takes_xp

    def _backward_arrays(self, gys):
        """First-order backward: arrays in, arrays out, ``xp`` the array module."""
        if self._explicit_xp():
            return self.backward(*gys, xp=self.xp)
        return self.backward(*gys)

    def _backward_with_graph(self, gys):
        """Backward on Tensors, with the differentiable ``tensor_math`` as ``xp``, so that it
        records a graph (create_graph=True)."""
        if not (self.twice_differentiable and self._explicit_xp()):
            return self._first_order_only(gys)
        self._graph_mode = True  # self.saved gives the Tensors the saved arrays belong to
        try:
            with enable_grad():
                return self.backward(*gys, xp=_functional().tensor_math)
        finally:
            self._graph_mode = False

    def _first_order_only(self, gys):
        """Gradients of a fused op under create_graph=True: right values, and a graph
        node that raises if they are ever differentiated again."""
        gxs = self._backward_arrays([unwrap(g) for g in gys])
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        sources = list(gys) + list(self.inputs)
        op = type(self).__name__
        with enable_grad():
            return tuple(None if gx is None else
                         _FirstOrderOnly.apply(*sources, gradient=gx, op=op) for gx in gxs)

    def _release(self):
        self.inputs = None
        self.input_arrays = None
        self._saved = ()


class _FirstOrderOnly(Function):
    """A gradient computed by a fused op's first-order backward: its values are right, but
    it cannot be differentiated again."""

    def __init__(self, gradient, op):
        self.gradient, self.op = gradient, op

    def forward(self, *sources):
        return self.gradient

    def backward(self, *gys, xp):
        raise RuntimeError(
            f"{self.op} is a fused op with a first-order backward only; its gradient cannot "
            "be differentiated again (create_graph=True, then a second backward or grad). "
            "Build the same computation from elementary ops for higher-order gradients."
        )


def _distinct_arrays(tensors, xs):
    """Different Tensors that share one array (x and x.detach()) give forward different
    array objects (views), so each saved array maps back to the right Tensor."""
    if len(xs) == 2:  # the common case, without a dict
        if xs[0] is xs[1] and tensors[0] is not tensors[1]:
            xs[1] = xs[1].view()
        return xs
    owners = {}
    for i, (t, x) in enumerate(zip(tensors, xs)):
        owner = owners.setdefault(id(x), t)
        if owner is not t:
            xs[i] = x.view()
    return xs


def _as_tensors(inputs):
    """Tensors for all inputs; Python numbers take the dtype of the tensors beside them."""
    for x in inputs:
        if not isinstance(x, Tensor):
            break
    else:
        return inputs  # the common case: all inputs are Tensors already
    reference = next((x for x in inputs if isinstance(x, Tensor)), None)
    xp = backend.get_array_module(reference.data) if reference is not None else np
    result = []
    for x in inputs:
        if isinstance(x, Tensor):
            result.append(x)
        elif backend.is_array(x):
            result.append(Tensor(x))
        else:
            result.append(Tensor(backend.as_array(x, dtype=_scalar_dtype(x, reference), xp=xp)))
    return result


def _scalar_dtype(x, reference):
    """A Python (or NumPy) number beside a tensor takes the tensor's dtype when it fits
    (``x * 2.0`` stays float32, ``i + 1`` stays int32), as in PyTorch."""
    if reference is None or isinstance(x, (bool, np.bool_)):
        return None
    if not isinstance(x, (int, float, np.number)):
        return None
    is_integer = isinstance(x, (int, np.integer))
    if reference.dtype.kind == "f" or (is_integer and reference.dtype.kind in "iu"):
        return reference.dtype
    return None


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


def _on_path_to(order, capture):
    """Only the Functions through which a gradient can reach a captured tensor."""
    useful = set()
    for fn in reversed(order):  # producers before consumers
        for t in fn.inputs:
            if id(t) in capture or (t.creator is not None and id(t.creator) in useful):
                useful.add(id(fn))
                break
    return [fn for fn in order if id(fn) in useful]


def _accumulate(old, new):
    return new if old is None else old + new


def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Tensor | ArrayLike],
                 retain_graph: bool = False, create_graph: bool = False,
                 capture: dict[int, Any] | None = None) -> None:
    """The graph walk behind ``Tensor.backward`` and ``manabu.grad``.

    Gradients flow from ``roots`` (with ``root_grads``) to every tensor that requires
    grad. Leaves get them added to ``.grad``; with ``capture`` (a dict id -> None) the
    gradients of exactly those tensors are collected into it instead.

    Args:
        roots: the tensors the walk starts from (``[loss]`` for ``loss.backward()``).
        root_grads: the gradient given for each root, of its shape (ones for a loss).
        retain_graph: keep what the ops saved, so the graph can be walked again.
            Default: False
        create_graph: record the walk itself, so the gradients can be differentiated
            again. Default: False
        capture: a dict from ``id(tensor)`` to None for the tensors whose gradients are
            wanted (``manabu.grad``); None fills ``.grad`` of the leaves. Default: None
    """
    grads, keep_alive = {}, list(roots)  # ids stay valid while their tensors live
    for root, g in zip(roots, root_grads):
        _deliver(root, _root_grad(root, g, create_graph), grads, capture, create_graph)
    order = _topological_order(roots)
    if capture is not None:
        order = _on_path_to(order, capture)
    for fn in order:
        outputs = [ref() for ref in fn.outputs]
        gys = [grads.pop(id(o), None) if o is not None else None for o in outputs]
        if all(g is None for g in gys):
            continue
        if len(gys) > 1:
            gys = [_zeros_for(fn, i, create_graph) if g is None else g for i, g in enumerate(gys)]
        if create_graph:
            gxs = fn._backward_with_graph(gys)
        else:
            gxs = fn._backward_arrays(gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for t, gx, needed in zip(fn.inputs, gxs, fn.needs_input_grad):
            if gx is None or not needed:
                continue
            gx = _checked(fn, t, gx, create_graph)
            keep_alive.append(t)
            _deliver(t, gx, grads, capture, create_graph)
        if not retain_graph:
            fn._release()


def _root_grad(root, g, create_graph):
    """The gradient given for a root, as an array (or a Tensor under create_graph) of the
    root's shape and dtype."""
    if not root.requires_grad:
        raise RuntimeError(
            f"backward: a tensor of shape {root.shape} does not require grad (it has no graph)"
        )
    array = unwrap(g)
    if not backend.is_array(array):
        array = backend.as_array(array, xp=backend.get_array_module(root.data))
    if array.shape != root.shape:
        raise RuntimeError(
            f"backward: the gradient has shape {array.shape} but the tensor has shape "
            f"{root.shape}; pass a gradient of the tensor's shape"
        )
    if not create_graph:
        return array.astype(root.dtype, copy=False)
    g = g if isinstance(g, Tensor) else Tensor(array)
    return g if g.dtype == root.dtype else g.to(dtype=root.dtype)


def _checked(fn, t, gx, create_graph):
    """A gradient from fn's backward for its input t: right shape (else it is a bug in
    fn), cast to t's dtype (a float64 weight makes float64 gradients for float32 input)."""
    if create_graph and not isinstance(gx, Tensor):
        gx = Tensor(gx)
    elif not create_graph and not backend.is_array(gx):
        gx = fn.xp.asarray(gx)  # a NumPy scalar, from a full reduction
    if gx.shape != t.shape:
        raise RuntimeError(
            f"{type(fn).__name__}.backward returned a gradient of shape {gx.shape} "
            f"for an input of shape {t.shape} (a bug in that op)"
        )
    if gx.dtype != t.dtype:
        gx = gx.to(dtype=t.dtype) if create_graph else gx.astype(t.dtype)
    return gx


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


def _zeros_for(fn, index, create_graph):
    """Zero gradient for an output of a multi-output op that received none."""
    shape, dtype = fn.output_meta[index]
    zeros = fn.xp.zeros(shape, dtype=dtype)
    return Tensor(zeros) if create_graph else zeros


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Tensor | Sequence[Tensor | ArrayLike | None] | None = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not put in .grad).

    Like ``torch.autograd.grad``: with ``create_graph=True`` the results are Tensors with a
    graph of their own, so a gradient penalty or a Hessian-vector product can be
    differentiated again.

    Args:
        outputs: the tensor(s) to differentiate, usually one loss.
        inputs: the tensor(s) (requiring grad) to differentiate with respect to.
        grad_outputs: dL/d(output) for each output; None (for an output) means ones, allowed
            only for a one-element output. Default: None
        retain_graph: keep the graph for another backward; None means ``create_graph``.
            Default: None
        create_graph: record the backward itself, so the results can be differentiated
            again (higher-order gradients). Default: False
        allow_unused: give None for an input the outputs do not depend on, instead of
            raising. Default: False

    Returns:
        A tuple with one gradient per input, of that input's shape.

    Example:
        >>> x = manabu.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (g,) = manabu.grad((x ** 3).sum(), x, create_graph=True)  # 3x**2
        >>> g
        tensor([ 3., 12., 27.], dtype=float32, grad_fn=Mul)
        >>> manabu.grad(g.sum(), x)  # the second derivative, 6x
        (tensor([ 6., 12., 18.], dtype=float32),)
        >>> x.grad is None  # grad returns the gradients; it does not fill .grad
        True
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad(): {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
        )
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(
                f"grad(): input {i} (shape {t.shape}) does not require grad; create it "
                "with requires_grad=True"
            )
    root_grads = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("grad(): an output does not require grad (it has no graph)")
        if g is None:
            if out.size != 1:
                raise RuntimeError(
                    f"grad(): grad_outputs is needed for an output of shape {out.shape}"
                )
            g = backend.get_array_module(out.data).ones_like(out.data)
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
            g = Tensor(g.copy())  # own copy: g may alias another gradient
        results.append(g)
    return tuple(results)

"""NumPy's names for differentiable ops: the ``xp`` a backward gets under create_graph=True.

A twice-differentiable op writes its backward once, with ``xp.exp``, ``xp.where``, ... On a
first-order backward ``xp`` is the array module (NumPy or CuPy) and the formula computes
arrays. Under ``create_graph=True`` it is ``tensor_math`` below and the same formula calls
manabu's differentiable ops on Tensors, recording the graph of the gradient itself (see the
reading guide of ``manabu.autograd``). Each name is NumPy's, mapped to the functional op of
the same meaning (``power`` is ``F.pow``); a formula that needs another name adds it here.
"""

from __future__ import annotations

from manabu.functional import arithmetic, elementwise, reduce, shape


class TensorMath:
    """A namespace, not a module, so that names such as ``sum`` and ``abs`` shadow nothing.

    Its one instance, ``tensor_math`` (also ``F.tensor_math``), is what a twice-
    differentiable op's ``backward`` receives as ``xp`` under ``create_graph=True``: each
    attribute is the manabu op of NumPy's function of that name, so a formula written with
    ``xp.exp`` or ``xp.where`` computes arrays with NumPy and records a graph with this.
    It takes no arguments; a formula that needs another name adds it here.

    Example:
        >>> x = manabu.tensor([0.0, 1.0], requires_grad=True)
        >>> def f(xp, x):  # one formula for both namespaces
        ...     return xp.sum(xp.exp(x) * x)
        >>> round(float(f(np, x.data)), 4)  # arrays: NumPy computes a number
        2.7183
        >>> y = f(tensor_math, x)  # Tensors: manabu's ops record a graph
        >>> y.backward()
        >>> x.grad.numpy().round(4)  # d/dx (x e^x) = (1 + x) e^x
        array([1.    , 5.4366], dtype=float32)
    """

    # elementwise
    exp = staticmethod(elementwise.exp)
    log = staticmethod(elementwise.log)
    sqrt = staticmethod(elementwise.sqrt)
    abs = staticmethod(elementwise.abs)
    sign = staticmethod(elementwise.sign)
    sin = staticmethod(elementwise.sin)
    cos = staticmethod(elementwise.cos)
    tanh = staticmethod(elementwise.tanh)
    erf = staticmethod(elementwise.erf)
    clip = staticmethod(elementwise.clip)
    where = staticmethod(elementwise.where)
    maximum = staticmethod(elementwise.maximum)
    minimum = staticmethod(elementwise.minimum)
    # arithmetic
    matmul = staticmethod(arithmetic.matmul)
    power = staticmethod(arithmetic.pow)
    # reductions
    sum = staticmethod(reduce.sum)
    mean = staticmethod(reduce.mean)
    # shapes
    reshape = staticmethod(shape.reshape)
    transpose = staticmethod(shape.transpose)
    swapaxes = staticmethod(shape.swapaxes)
    expand_dims = staticmethod(shape.expand_dims)
    broadcast_to = staticmethod(shape.broadcast_to)
    concatenate = staticmethod(shape.concatenate)
    stack = staticmethod(shape.stack)
    pad = staticmethod(shape.pad)


tensor_math = TensorMath()

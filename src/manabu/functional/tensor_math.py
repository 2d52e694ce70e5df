"""NumPy's names for differentiable ops: the ``xp`` a backward gets under create_graph=True.

A twice-differentiable op writes its backward once, with ``xp.exp``, ``xp.where``, ... On a
first-order backward ``xp`` is the array module (NumPy or CuPy) and the formula computes
arrays. Under ``create_graph=True`` it is ``tensor_math`` below and the same formula calls
manabu's differentiable ops on Tensors, recording the graph of the gradient itself (see the
reading guide of ``manabu.autograd``). Each name is NumPy's, mapped to the functional op of
the same meaning (``power`` is ``F.pow``); a formula that needs another name adds it here.
"""

from manabu.functional import arithmetic, elementwise, reduce, shape


class TensorMath:
    """A namespace, not a module, so that names such as ``sum`` and ``abs`` shadow nothing."""

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

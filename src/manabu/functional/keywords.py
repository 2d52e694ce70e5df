"""PyTorch's keyword names beside NumPy's: ``dim=`` for ``axis=``, ``keepdim=`` for ``keepdims=``.

manabu's ops take NumPy's names; code ported from PyTorch passes ``dim`` and ``keepdim``.
Each op that has an axis accepts both spellings (the PyTorch ones keyword-only, default
None: not given) and resolves them here, so the rule is written once::

    def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis = axis_or_dim("sum", axis, dim)            # softmax: (..., default=-1)
        keepdims = keepdims_or_keepdim("sum", keepdims, keepdim)
"""


def axis_or_dim(op, axis, dim, default=None):
    """The axis an op was given as ``axis=`` (NumPy) or ``dim=`` (PyTorch, when not None);
    both only if they agree. ``default`` is the op's default axis (softmax: -1)."""
    if dim is None:
        return axis
    if axis != default and axis != dim:
        raise TypeError(f"{op}: got axis={axis!r} and dim={dim!r}; pass one of them")
    return dim


def keepdims_or_keepdim(op, keepdims, keepdim):
    """``keepdims=`` (NumPy) or, when given, ``keepdim=`` (PyTorch)."""
    return keepdims if keepdim is None else bool(keepdim)

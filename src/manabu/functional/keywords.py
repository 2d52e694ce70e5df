"""PyTorch's keyword names beside NumPy's: ``dim=`` for ``axis=``, ``keepdim=`` for ``keepdims=``.

manabu's ops take NumPy's names; code ported from PyTorch passes ``dim`` and ``keepdim``.
Each op that has an axis accepts both spellings and resolves them here, so the rule (one
of the two, or both with the same value) is written once. Use as::

    def sum(x, axis=UNSET, keepdims=UNSET, *, dim=UNSET, keepdim=UNSET):
        axis = axis_or_dim("sum", axis, dim, default=None)
        keepdims = keepdims_or_keepdim("sum", keepdims, keepdim)
"""

UNSET = object()  # "not passed": None is a real value of axis (all axes)


def _one_of(op, numpy_name, numpy_value, torch_name, torch_value, default):
    if torch_value is UNSET:
        return default if numpy_value is UNSET else numpy_value
    if numpy_value is not UNSET and numpy_value != torch_value:
        raise TypeError(f"{op}: got {numpy_name}={numpy_value!r} and {torch_name}="
                        f"{torch_value!r}; pass one of them")
    return torch_value


def axis_or_dim(op, axis=UNSET, dim=UNSET, default=None):
    """The axis an op was given as ``axis=`` (NumPy) or ``dim=`` (PyTorch)."""
    return _one_of(op, "axis", axis, "dim", dim, default)


def keepdims_or_keepdim(op, keepdims=UNSET, keepdim=UNSET, default=False):
    """Whether to keep reduced axes, given as ``keepdims=`` (NumPy) or ``keepdim=`` (PyTorch)."""
    return _one_of(op, "keepdims", keepdims, "keepdim", keepdim, default)

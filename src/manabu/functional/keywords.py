"""PyTorch's keyword names beside NumPy's: ``dim=`` for ``axis=``, ``keepdim=`` for ``keepdims=``.

manabu's ops take NumPy's names; code ported from PyTorch passes ``dim`` and ``keepdim``.
Each op that has an axis accepts both spellings (the PyTorch ones keyword-only, default
None: not given) and resolves them here, so the rule is written once::

    def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis = axis_or_dim("sum", axis, dim)            # softmax: (..., default=-1)
        keepdims = keepdims_or_keepdim("sum", keepdims, keepdim)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    Axis = int | tuple[int, ...] | None  # an axis, several, or None: all of them


def axis_or_dim(op: str, axis: Axis, dim: Axis, default: Axis = None) -> Axis:
    """The axis an op was given as ``axis=`` (NumPy) or ``dim=`` (PyTorch, when not None);
    both only if they agree. ``default`` is the op's default axis (softmax: -1)."""
    if dim is None:
        return axis
    if axis != default and axis != dim:
        raise TypeError(f"{op}: got axis={axis!r} and dim={dim!r}; pass one of them")
    return dim


def keepdims_or_keepdim(op: str, keepdims: bool, keepdim: bool | None) -> bool:
    """``keepdims=`` (NumPy) or, when given, ``keepdim=`` (PyTorch)."""
    return keepdims if keepdim is None else bool(keepdim)

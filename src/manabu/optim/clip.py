"""Gradient clipping (勾配クリッピング): keep one bad batch from throwing the weights away.

Exploding gradients (勾配爆発), common in RNNs, make a single step huge. Clipping by norm
rescales all gradients together when their global norm exceeds a threshold, keeping the
direction; clipping by value caps each element separately.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from manabu import backend
from manabu.autograd import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterable


def _grads(parameters):
    """The gradient arrays of the parameters that have one, each parameter once."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    seen = {}  # keyed by the parameter itself (identity), so a repeat is clipped once
    for p in parameters:
        if p.grad is not None:
            seen[p] = p.grad.data
    return list(seen.values())


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Rescale the gradients in place so that their global norm is at most ``max_norm``.

    The global norm treats all gradients as one long vector::

        total = (sum over every element of |g| ** norm_type) ** (1 / norm_type)
        g *= min(1, max_norm / (total + 1e-6))

    ``norm_type`` may be ``float('inf')`` (the largest |g|). Returns the total norm before
    clipping, as a 0-d Tensor, like ``torch.nn.utils.clip_grad_norm_``. A non-finite total
    (inf or nan) leaves the gradients as they are; PyTorch would scale them by 0 or nan.

    Args:
        parameters: a Tensor or an iterable of Tensors; those without a gradient are
            skipped, and a parameter listed twice is clipped once
        max_norm: the largest global norm allowed
        norm_type: the order of the norm, > 0 or ``float('inf')``. Default: 2.0
        error_if_nonfinite: raise RuntimeError when the total norm is inf or nan.
            Default: False

    Returns:
        the total norm of the gradients before clipping, a 0-d Tensor in their dtype

    Example:
        >>> w = nn.Parameter(np.array([1.0, 1.0]))
        >>> w.grad = manabu.tensor(np.array([3.0, 4.0]))     # norm 5
        >>> total = optim.clip_grad_norm_([w], max_norm=1.0)
        >>> float(total), np.round(w.grad.data, 4)
        (5.0, array([0.6, 0.8]))
    """
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    grads = _grads(parameters)
    if len(grads) == 0:
        return Tensor(0.0)
    dtype = grads[0].dtype
    xp = backend.get_array_module(grads[0])
    if norm_type == math.inf:
        total = max(float(xp.abs(g).max()) if g.size else 0.0 for g in grads)
    elif norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type}")
    else:
        powered = sum(float((xp.abs(g) ** norm_type).sum()) for g in grads)
        total = powered ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} is {total}, so the "
            "gradients cannot be clipped; pass error_if_nonfinite=False to clip anyway"
        )
    scale = min(1.0, max_norm / (total + 1e-6))
    if scale < 1.0:
        for g in grads:
            g *= scale
    return Tensor(backend.as_array(total, dtype=dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]``, in place.

    Unlike ``clip_grad_norm_`` this changes the direction of the gradient.

    Args:
        parameters: a Tensor or an iterable of Tensors; those without a gradient are
            skipped
        clip_value: the largest absolute value a gradient element keeps

    Example:
        >>> w = nn.Parameter(np.array([1.0, 1.0]))
        >>> w.grad = manabu.tensor(np.array([3.0, -0.5]))
        >>> optim.clip_grad_value_([w], clip_value=1.0)
        >>> w.grad.data
        array([ 1. , -0.5])
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = backend.get_array_module(g)
        xp.clip(g, -clip_value, clip_value, out=g)

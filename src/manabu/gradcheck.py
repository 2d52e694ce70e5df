"""Numerical gradient checking (勾配確認): autograd against float64 central differences.

For a random projection ``gy`` of the output, the analytic gradient of sum(gy * f(x)) with
respect to each input element must equal the central difference
    (sum(gy * f(x + eps)) - sum(gy * f(x - eps))) / (2 * eps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu.autograd import Tensor, no_grad

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when analytic and numerical gradients disagree.

    An AssertionError, so a failed check reads as a failed test in pytest.

    Example:
        >>> from manabu.gradcheck import GradcheckError, gradcheck
        >>> x = manabu.tensor(np.array([1.0, 2.0]), requires_grad=True)
        >>> wrong = lambda x: x.detach() * x.detach() + x     # hides the x**2 part from autograd
        >>> try:
        ...     gradcheck(wrong, x)
        ... except GradcheckError as error:
        ...     print(str(error)[:40])
        gradcheck failed for input 0 (shape (2,)
    """


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _projected(outputs: list[Tensor], projections: list[np.ndarray]) -> float:
    return sum(float((o.data * p).sum()) for o, p in zip(outputs, projections))


def numerical_grad(fn: Callable[..., Any], inputs: Sequence[Any],
                   projections: list[np.ndarray], index: int, eps: float) -> np.ndarray:
    """Central-difference gradient of sum(projection * fn(inputs)) w.r.t. inputs[index].

    Args:
        fn: the function checked, called as ``fn(*inputs)``; one Tensor or a tuple out
        inputs: its inputs; ``inputs[index]`` is perturbed in place and restored
        projections: one array per output, shaped like it
        index: which input to differentiate
        eps: the step of the central difference

    Returns:
        a float64 array shaped like ``inputs[index]``

    Example:
        >>> from manabu.gradcheck import numerical_grad
        >>> x = manabu.tensor(np.array([3.0]))
        >>> numerical_grad(lambda x: x * x, [x], [np.ones(1)], 0, 1e-6).round(6)   # 2 x
        array([6.])
    """
    x = inputs[index].data
    grad = np.zeros(x.shape, dtype=np.float64)
    with no_grad():
        for i in np.ndindex(x.shape):
            original = x[i]
            x[i] = original + eps
            plus = _projected(_outputs(fn, inputs), projections)
            x[i] = original - eps
            minus = _projected(_outputs(fn, inputs), projections)
            x[i] = original
            grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(fn: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0, raise_exception: bool = True) -> bool:
    """Check ``fn``'s backward on every input that requires grad.

    Inputs should be float64 Tensors (float32 is too coarse for differences of 1e-6).
    Returns True, or raises ``GradcheckError`` naming the input, the worst element's index
    and both values (returns False instead with ``raise_exception=False``).

    As ``torch.autograd.gradcheck`` with one random projection ``gy`` of the outputs
    (seeded) instead of the full Jacobian: one backward pass, two forward passes per input
    element. An element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Args:
        fn: the function to check, ``fn(*inputs)`` -> a Tensor or a tuple of Tensors
        *inputs: its arguments; float64 Tensors with requires_grad=True are checked
            (ValueError for another dtype), anything else is passed through
        eps: the step of the central differences. Default: 1e-6
        atol: the absolute tolerance. Default: 1e-5
        rtol: the relative tolerance. Default: 1e-3
        seed: the seed of the projections gy. Default: 0
        raise_exception: raise GradcheckError on a mismatch instead of returning False.
            Default: True

    Example:
        >>> from manabu.gradcheck import gradcheck
        >>> x = manabu.tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), requires_grad=True)
        >>> gradcheck(lambda x: (x * x).sum(axis=1).exp(), x)
        True
    """
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise ValueError(f"gradcheck needs float64 inputs, got {t.dtype}: use .double()")
    rng = np.random.default_rng(seed)
    outputs = _outputs(fn, inputs)
    projections = [rng.standard_normal(o.shape) for o in outputs]
    differentiable = [(o, p) for o, p in zip(outputs, projections) if o.requires_grad]
    if not differentiable:
        raise ValueError("gradcheck: no output requires grad; give inputs requires_grad=True")
    for t in inputs:
        if isinstance(t, Tensor):
            t.grad = None
    loss = sum((o * Tensor(p)).sum() for o, p in differentiable)
    loss.backward()
    for index, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        analytic = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        numeric = numerical_grad(fn, inputs, projections, index, eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > 0:
            worst = tuple(int(i) for i in np.unravel_index(int(error.argmax()), error.shape))
            wrong = int((error > 0).sum())
            message = (
                f"gradcheck failed for input {index} (shape {t.shape}): at index {worst} "
                f"autograd gives {analytic[worst]:.8g} but central differences give "
                f"{numeric[worst]:.8g} (the worst of {wrong} wrong elements; "
                f"atol={atol}, rtol={rtol})"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True

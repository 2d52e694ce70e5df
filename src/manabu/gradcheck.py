"""Numerical gradient checking (勾配確認): autograd against float64 central differences.

For a random projection ``gy`` of the output, the analytic gradient of sum(gy * f(x)) with
respect to each input element must equal the central difference
    (sum(gy * f(x + eps)) - sum(gy * f(x - eps))) / (2 * eps).
"""

import numpy as np

from manabu.autograd import Tensor, no_grad


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when analytic and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _projected(outputs, projections):
    return sum(float((o.data * p).sum()) for o, p in zip(outputs, projections))


def numerical_grad(fn, inputs, projections, index, eps):
    """Central-difference gradient of sum(projection * fn(inputs)) w.r.t. inputs[index]."""
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


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_exception=True):
    """Check ``fn``'s backward on every input that requires grad.

    Inputs should be float64 Tensors (float32 is too coarse for differences of 1e-6).
    Returns True, or raises ``GradcheckError`` naming the input, the worst element's index
    and both values (returns False instead with ``raise_exception=False``).
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

"""The fully connected layer's op (全結合層 / Affine): y = x @ W^T + b.

The weight is (out_features, in_features) as in PyTorch. Leading axes of x are flattened
into one batch axis so that the forward and each gradient is a single matrix product (GEMM).
"""

from __future__ import annotations

from manabu import backend
from manabu.autograd import Function, Tensor


class Linear(Function):
    """y = x @ W^T + b, x (..., in), W (out, in), b (out,);
    gx = gy @ W,  gW = gy^T @ x,  gb = gy summed over the batch"""

    twice_differentiable = True  # only @, .T, reshape and sum: they build a graph too

    def forward(self, x, weight, bias=None):
        self.save_for_backward(x, weight)
        y = x.reshape(-1, x.shape[-1]) @ weight.T  # (M, out)
        if bias is not None:
            y += bias  # in place: y is a fresh array
        return y.reshape(x.shape[:-1] + (weight.shape[0],))  # (..., out)

    def backward(self, gy, xp):
        x, weight = self.saved
        gy2 = gy.reshape(-1, weight.shape[0])  # (M, out)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = (gy2 @ weight).reshape(x.shape)  # (M, in) -> (..., in)
        if self.needs_input_grad[1]:
            gw = gy2.T @ x.reshape(-1, x.shape[-1])  # (out, M) @ (M, in) = (out, in)
        if len(self.needs_input_grad) == 2:
            return gx, gw
        if self.needs_input_grad[2]:
            gb = gy2.sum(axis=0)  # (out,)
        return gx, gw, gb


def check_input_type(name: str, x: object) -> None:
    """A Tensor or an array, as in PyTorch (which raises TypeError for a list): a nested list
    would otherwise fail later on a missing ``.ndim``, and its dtype would be a guess."""
    if not isinstance(x, Tensor) and not backend.is_array(x):
        raise TypeError(
            f"{name}: expected a Tensor or array as input, got {type(x).__name__}; "
            "wrap it: manabu.tensor(x)"
        )


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map y = x @ weight^T + bias for x (..., in_features),
    weight (out_features, in_features), bias (out_features,) or None.

    Leading axes of x are flattened into one batch for a single GEMM; backward:
    gx = gy @ W,  gW = gy^T @ x,  gb = sum(gy) over the batch.

    Args:
        x: the input (..., in_features): a Tensor or an array.
        weight: (out_features, in_features), as PyTorch's (the notes' W transposed).
        bias: (out_features,), or None for no bias. Default: None

    Shape:
        - Input: (*, in_features), * any number of leading axes (none included).
        - Output: (*, out_features).

    Example:
        >>> x = manabu.tensor(np.ones((4, 3), np.float32))
        >>> w = manabu.tensor(np.full((2, 3), 0.5, np.float32), requires_grad=True)
        >>> b = manabu.tensor([1.0, -1.0], requires_grad=True)
        >>> y = F.linear(x, w, b)
        >>> y.shape, y[0].tolist()
        ((4, 2), [2.5, 0.5])
        >>> y.sum().backward()
        >>> w.grad.shape, b.grad  # gb sums gy over the 4 rows
        ((2, 3), tensor([4., 4.], dtype=float32))
    """
    check_input_type("linear", x)
    if weight.ndim != 2:
        raise ValueError(
            f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}"
        )
    out_features, in_features = weight.shape
    if x.ndim == 0 or x.shape[-1] != in_features:
        raise ValueError(
            f"linear: input {x.shape} does not match weight {weight.shape}: in_features is "
            f"{in_features}, so the input's last axis must have size {in_features}"
        )
    if bias is None:
        return Linear.apply(x, weight)
    if bias.shape != (out_features,):
        raise ValueError(
            f"linear: bias {bias.shape} does not match weight {weight.shape}: it needs shape "
            f"({out_features},)"
        )
    return Linear.apply(x, weight, bias)

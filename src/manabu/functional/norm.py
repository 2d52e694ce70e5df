"""Normalisation layers as fused ops (正規化): batch normalisation and layer normalisation.

Both compute the same thing over different axes:

    mean = mean(x),  var = mean((x - mean)**2)          over the normalised axes
    xhat = (x - mean) / sqrt(var + eps)
    y    = gamma * xhat + beta

and share one hand-written backward (the textbook formula, e.g. Ioffe & Szegedy 2015):

    gxhat  = gy * gamma
    gx     = (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) / sqrt(var + eps)
    ggamma = sum(gy * xhat),   gbeta = sum(gy)             over the axes gamma is shared on

Batch norm (バッチ正規化) normalises each channel over the batch (all axes but 1); layer norm
(レイヤー正規化) normalises each sample over its last axes. Instance and group norm are the same
formula over yet other axes, so they can reuse ``_normalize`` and ``_normalize_backward``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu import backend
from manabu.autograd import Function
from manabu.tensor import Tensor, unwrap

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

__all__ = ["batch_norm", "layer_norm"]


def _normalize(xp, x, axes, eps):
    """xhat = (x - mean) / sqrt(var + eps) over ``axes``; also returns mean, var, 1/std."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / xp.sqrt(var + eps)
    return centered * inv_std, mean, var, inv_std


def _normalize_backward(gxhat, xhat, inv_std, axes):
    """Gradient through xhat = (x - mean(x)) / sqrt(var(x) + eps), statistics over ``axes``:
    gx = (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) / std"""
    mean_g = gxhat.mean(axis=axes, keepdims=True)
    mean_gx = (gxhat * xhat).mean(axis=axes, keepdims=True)
    return (gxhat - mean_g - xhat * mean_gx) * inv_std


def _update_running_stats(fn, mean, var, count):
    """Move fn's running statistics (either may be None) towards this batch's mean and
    variance (C,), in place: running = (1 - momentum) * running + momentum * batch. The
    variance stored is the unbiased one, var * n / (n - 1) with n = ``count`` values behind
    each statistic, as in PyTorch."""
    m = fn.momentum
    if fn.running_mean is not None:
        fn.running_mean *= 1 - m
        fn.running_mean += m * mean
    if fn.running_var is not None:
        fn.running_var *= 1 - m
        fn.running_var += m * var * (count / (count - 1))


def _affine_grads(fn, gy, xhat, axes, param_shape):
    """ggamma = sum(gy * xhat), gbeta = sum(gy) over the axes gamma and beta are shared on."""
    ggamma = gbeta = None
    if fn.needs_input_grad[1]:
        ggamma = (gy * xhat).sum(axis=axes).reshape(param_shape)
    if fn.needs_input_grad[2]:
        gbeta = gy.sum(axis=axes).reshape(param_shape)
    return ggamma, gbeta


class BatchNorm(Function):
    """Batch normalisation over all axes but the channel axis 1 (one mean and variance per
    channel, computed over the batch).

    Training (batch statistics):  y = gamma * (x - mean) / sqrt(var + eps) + beta
        gx = gamma / std * (gy - mean(gy) - xhat * mean(gy * xhat))
    Inference (``use_batch_stats=False``, running statistics are constants):
        y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta,  gx = gy * gamma / std
    """

    def __init__(self, use_batch_stats, eps, momentum, running_mean, running_var):
        self.use_batch_stats = use_batch_stats  # False: normalise with the running statistics
        self.eps = eps
        self.momentum = momentum
        self.running_mean = running_mean  # (C,) arrays updated in place, or None
        self.running_var = running_var

    def forward(self, x, gamma, beta):
        xp = self.xp
        self.axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # (1, C, 1, ...) broadcasts over x
        if self.use_batch_stats:
            xhat, mean, var, inv_std = _normalize(xp, x, self.axes, self.eps)
            _update_running_stats(self, mean.reshape(-1), var.reshape(-1), x.size // x.shape[1])
        else:
            mean = self.running_mean.astype(x.dtype, copy=False).reshape(shape)
            var = self.running_var.astype(x.dtype, copy=False).reshape(shape)
            inv_std = 1.0 / xp.sqrt(var + self.eps)
            xhat = (x - mean) * inv_std
        gamma_b = gamma.reshape(shape)
        self.save_for_backward(xhat, inv_std, gamma_b)
        return gamma_b * xhat + beta.reshape(shape)

    def backward(self, gy, xp):
        xhat, inv_std, gamma_b = self.saved
        gx = None
        if self.needs_input_grad[0]:
            gxhat = gy * gamma_b
            if self.use_batch_stats:
                gx = _normalize_backward(gxhat, xhat, inv_std, self.axes)
            else:
                gx = gxhat * inv_std
        ggamma, gbeta = _affine_grads(self, gy, xhat, self.axes, (gy.shape[1],))
        return gx, ggamma, gbeta


class LayerNorm(Function):
    """Layer normalisation over the last ``ndim`` axes (statistics per sample):
    y = gamma * (x - mean) / sqrt(var + eps) + beta, gamma and beta of those axes' shape."""

    def __init__(self, ndim, eps):
        self.ndim = ndim  # how many trailing axes are normalised
        self.eps = eps

    def forward(self, x, gamma, beta):
        self.axes = tuple(range(x.ndim - self.ndim, x.ndim))
        xhat, _, _, inv_std = _normalize(self.xp, x, self.axes, self.eps)
        self.save_for_backward(xhat, inv_std, gamma)
        return gamma * xhat + beta

    def backward(self, gy, xp):
        xhat, inv_std, gamma = self.saved
        gx = None
        if self.needs_input_grad[0]:
            gx = _normalize_backward(gy * gamma, xhat, inv_std, self.axes)
        batch_axes = tuple(range(gy.ndim - self.ndim))
        ggamma, gbeta = _affine_grads(self, gy, xhat, batch_axes, gamma.shape)
        return gx, ggamma, gbeta


def _check_per_channel(op, x, tensors):
    """Each of ``tensors`` (name -> tensor or None) must hold one value per channel (C,)."""
    channels = x.shape[1]
    for name, t in tensors.items():
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(
                f"{op}: {name} has shape {tuple(t.shape)} but the input {tuple(x.shape)} has "
                f"{channels} channels on axis 1; it needs shape ({channels},)"
            )


def _default_affine(x, shape, weight, bias):
    """gamma and beta of ``shape``: the given ones, or constants 1 and 0 (in x's dtype, on
    x's device) for those that are None."""
    if weight is None or bias is None:
        xp = backend.get_array_module(unwrap(x))
        weight = Tensor(xp.ones(shape, dtype=x.dtype)) if weight is None else weight
        bias = Tensor(xp.zeros(shape, dtype=x.dtype)) if bias is None else bias
    return weight, bias


def batch_norm(x: Tensor, running_mean: Tensor | np.ndarray | None = None,
               running_var: Tensor | np.ndarray | None = None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation of x (N, C) or (N, C, L, ...) per channel C.

    ``training=True`` (or no running statistics) normalises with the statistics of this
    batch and, when given, updates ``running_mean`` / ``running_var`` in place:
    ``running = (1 - momentum) * running + momentum * batch`` (unbiased variance).
    ``training=False`` normalises with the running statistics. ``weight`` (gamma) and
    ``bias`` (beta) have shape (C,); None means 1 and 0.

    Args:
        x: the input (N, C) or (N, C, L, ...), channels on axis 1.
        running_mean, running_var: the running statistics (C,), updated in place when
            training; None for none. Default: None
        weight, bias: gamma and beta (C,); None means 1 and 0. Default: None
        training: normalise with this batch's statistics (and update the running ones).
            Default: False
        momentum: the weight of this batch in the running statistics. Default: 0.1
        eps: added to the variance before the square root. Default: 1e-5

    Example:
        >>> x = manabu.tensor([[1.0, 10.0], [3.0, 30.0]])  # (N, C) = (2, 2)
        >>> mean, var = np.zeros(2, np.float32), np.ones(2, np.float32)
        >>> F.batch_norm(x, mean, var, training=True).numpy().round(4)
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
        >>> mean, var  # moved 10% towards the batch's (unbiased) statistics
        (array([0.2, 2. ], dtype=float32), array([ 1.1, 20.9], dtype=float32))
    """
    if x.ndim < 2:
        raise ValueError(
            f"batch_norm: expected an input of shape (N, C) or (N, C, L, ...), got {x.shape}; "
            "add a batch axis, e.g. x.reshape(1, -1)"
        )
    channels = x.shape[1]
    use_batch_stats = training or running_mean is None or running_var is None
    if use_batch_stats and x.size // channels < 2:
        raise ValueError(
            f"batch_norm: input of shape {x.shape} has 1 value per channel, so its variance "
            "is undefined in training mode; use a batch of 2 or more, or call model.eval()"
        )
    _check_per_channel("batch_norm", x, {"running_mean": running_mean,
                                         "running_var": running_var, "weight": weight,
                                         "bias": bias})
    weight, bias = _default_affine(x, (channels,), weight, bias)
    update = training and running_mean is not None and running_var is not None
    return BatchNorm.apply(
        x, weight, bias, use_batch_stats=use_batch_stats, eps=eps, momentum=momentum,
        running_mean=unwrap(running_mean) if update or not use_batch_stats else None,
        running_var=unwrap(running_var) if update or not use_batch_stats else None,
    )


def layer_norm(x: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation of x over its last axes, which must equal ``normalized_shape``.
    ``weight`` (gamma) and ``bias`` (beta) have shape ``normalized_shape``; None: 1 and 0.

    Args:
        x: the input (..., *normalized_shape).
        normalized_shape: the shape of the last axes normalised together (an int for one).
        weight, bias: gamma and beta of shape ``normalized_shape``; None means 1 and 0.
            Default: None
        eps: added to the variance before the square root. Default: 1e-5

    Example:
        >>> x = manabu.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
        >>> F.layer_norm(x, 3).numpy().round(4)  # each row: mean 0, variance 1
        array([[-1.2247,  0.    ,  1.2247],
               [-1.2247,  0.    ,  1.2247]], dtype=float32)
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    n = len(normalized_shape)
    if x.ndim < n or tuple(x.shape[x.ndim - n:]) != normalized_shape:
        raise ValueError(
            f"layer_norm: the last axes of the input {x.shape} must equal normalized_shape "
            f"{normalized_shape}; pass normalized_shape={tuple(x.shape[-n:]) if n else ()} "
            "or reshape the input"
        )
    weight, bias = _default_affine(x, normalized_shape, weight, bias)
    return LayerNorm.apply(x, weight, bias, ndim=n, eps=eps)

"""Normalisation layers (正規化): BatchNorm1d (バッチ正規化) and LayerNorm.

Batch norm keeps running estimates of each channel's mean and variance while training and
uses them at inference (``model.eval()``), so a prediction does not depend on the other
samples of its batch. Layer norm needs no running statistics: it normalises each sample on
its own, which is why Transformers and RNNs use it.
"""

import numpy as np

from manabu import backend
from manabu.autograd import Tensor
from manabu.functional.norm import batch_norm, layer_norm
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter

__all__ = ["BatchNorm1d", "LayerNorm"]


def _dtype(dtype):
    return backend.get_default_dtype() if dtype is None else np.dtype(dtype)


class _BatchNorm(Module):
    """Shared by BatchNorm1d (and BatchNorm2d/3d: subclasses only say which input ranks
    they accept in ``_expected_ndims``)."""

    _expected_ndims = ()
    _expected_text = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=None):
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(
                f"{type(self).__name__}: num_features must be a positive integer (the number "
                f"of channels), got {num_features!r}"
            )
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dtype))  # gamma
            self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))  # beta
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            self.weight.data[...] = 1
            self.bias.data[...] = 0

    def _check_input(self, x):
        name = type(self).__name__
        if x.ndim not in self._expected_ndims:
            raise ValueError(
                f"{name}({self.num_features}): got a {x.ndim}-D input of shape "
                f"{tuple(x.shape)}, expected {self._expected_text}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}({self.num_features}): input of shape {tuple(x.shape)} has "
                f"{x.shape[1]} channels on axis 1, expected {self.num_features}; set "
                f"num_features={x.shape[1]} or check the previous layer"
            )

    def forward(self, x):
        self._check_input(x)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average of all batches so far
                momentum = 1.0 / int(self.num_batches_tracked.data)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          training=self.training, momentum=momentum, eps=self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C:

        y = gamma * (x - mean) / sqrt(var + eps) + beta

    In training, mean and var are this batch's (over N, and L if present) and the running
    statistics move towards them: ``running = (1 - momentum) * running + momentum * batch``
    (the variance stored is unbiased, n / (n - 1), as in PyTorch; ``momentum=None`` keeps a
    plain average of all batches). In eval mode the running statistics are used. Without
    ``track_running_stats`` the batch statistics are used in both modes. gamma (``weight``)
    starts at 1 and beta (``bias``) at 0; ``affine=False`` leaves them out.
    """

    _expected_ndims = (2, 3)
    _expected_text = "(N, C) or (N, C, L); use BatchNorm2d for images (N, C, H, W)"


class LayerNorm(Module):
    """Layer normalisation over the last axes, whose shape is ``normalized_shape``:

        y = gamma * (x - mean) / sqrt(var + eps) + beta      (statistics per sample)

    gamma (``weight``, ones) and beta (``bias``, zeros) have shape ``normalized_shape``
    (``elementwise_affine=False`` leaves both out, ``bias=False`` only beta). The same
    computation in training and eval mode.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = _dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, x):
        n = len(self.normalized_shape)
        if x.ndim < n or tuple(x.shape[x.ndim - n:]) != self.normalized_shape:
            raise ValueError(
                f"LayerNorm({self.normalized_shape}): the last {n} axes of the input "
                f"{tuple(x.shape)} must be {self.normalized_shape}; build the layer with "
                f"normalized_shape={tuple(x.shape[-n:]) if n <= x.ndim else x.shape[-1]}"
            )
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")

"""Normalisation layers (正規化): BatchNorm1d/2d/3d (バッチ正規化), LayerNorm,
InstanceNorm1d/2d/3d (インスタンス正規化) and GroupNorm (グループ正規化).

Batch norm keeps running estimates of each channel's mean and variance while training and
uses them at inference (``model.eval()``), so a prediction does not depend on the other
samples of its batch. Layer norm needs no running statistics: it normalises each sample on
its own, which is why Transformers and RNNs use it. Instance and group norm normalise each
sample on its own too, per channel or per group of channels, so they suit small batches
(detection, segmentation) and style transfer.

Which values share one mean and variance, for an image batch (N, C, H, W):
    BatchNorm2d     each channel, over N, H, W
    LayerNorm       each sample, over its last axes (e.g. C, H, W)
    InstanceNorm2d  each (sample, channel), over H, W
    GroupNorm       each (sample, group of C/G channels), over those channels and H, W
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Tensor
from manabu.functional.group_norm import group_norm, instance_norm
from manabu.functional.norm import batch_norm, layer_norm
from manabu.functional.shape import reshape
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "InstanceNorm1d", "InstanceNorm2d",
    "InstanceNorm3d", "GroupNorm",
]


def _dtype(dtype):
    return backend.get_default_dtype() if dtype is None else np.dtype(dtype)


def _affine_parameters(module, shape, dtype, weight=True, bias=True):
    """Register gamma (``weight``, ones) and beta (``bias``, zeros) of ``shape``: the
    identity y = 1 * x_hat + 0 to start from. A part left out is registered as None."""
    if weight:
        module.weight = Parameter(np.ones(shape, dtype=dtype))  # gamma
    else:
        module.register_parameter("weight", None)
    if bias:
        module.bias = Parameter(np.zeros(shape, dtype=dtype))  # beta
    else:
        module.register_parameter("bias", None)


def _reset_affine(module):
    """gamma back to 1 and beta back to 0, where the module has them."""
    if module.weight is not None:
        module.weight.data[...] = 1
    if module.bias is not None:
        module.bias.data[...] = 0


class _BatchNorm(Module):
    """Shared by BatchNorm1d (and BatchNorm2d/3d: subclasses only say which input ranks
    they accept in ``_expected_ndims``)."""

    _expected_ndims = ()
    _expected_text = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: DTypeLike = None) -> None:
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
        _affine_parameters(self, self.num_features, dtype, weight=affine, bias=affine)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """running_mean back to 0, running_var to 1 and the batch count to 0."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        """The running statistics reset, gamma back to 1 and beta to 0."""
        self.reset_running_stats()
        _reset_affine(self)

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

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average of all batches so far
                momentum = 1.0 / int(self.num_batches_tracked.data)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          training=self.training, momentum=momentum, eps=self.eps)

    def extra_repr(self) -> str:
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

    Args:
        num_features: C, the number of channels (axis 1 of the input).
        eps: added to the variance before the square root, for stability. Default: 1e-5
        momentum: the weight of the new batch in the running statistics; None keeps a
            cumulative average of all batches. Default: 0.1
        affine: if True, learn gamma (``weight``) and beta (``bias``), shape (C,).
            Default: True
        track_running_stats: if True, keep ``running_mean``, ``running_var`` and
            ``num_batches_tracked`` (buffers, saved in the state_dict) and use them in eval
            mode; if False, use the batch statistics in both modes. Default: True
        dtype: the dtype of the parameters and running statistics; None means the
            default dtype (float32). Default: None

    Shape:
        - Input: (N, C) or (N, C, L).
        - Output: the shape of the input.

    Example:
        >>> bn = nn.BatchNorm1d(3)
        >>> y = bn(manabu.tensor([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]]))  # means 2, 4, 6
        >>> y.numpy().round(3)
        array([[-1., -1., -1.],
               [ 1.,  1.,  1.]], dtype=float32)
        >>> bn.running_mean  # 0.9 * 0 + 0.1 * the batch mean
        tensor([0.2, 0.4, 0.6], dtype=float32)
    """

    _expected_ndims = (2, 3)
    _expected_text = "(N, C) or (N, C, L); use BatchNorm2d for images (N, C, H, W)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation バッチ正規化 of images (N, C, H, W), per channel C: the mean and
    variance of each channel over the batch and all positions (N*H*W values), as after a
    convolution layer (Conv2d -> BatchNorm2d -> ReLU). Everything else as in BatchNorm1d.

    Args:
        num_features, eps, momentum, affine, track_running_stats, dtype: as in
            BatchNorm1d (num_features is C). Defaults: eps 1e-5, momentum 0.1, affine True,
            track_running_stats True, dtype None

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, C, H, W), the shape of the input.

    Example:
        >>> bn = nn.BatchNorm2d(16)
        >>> bn(manabu.tensor(np.ones((4, 16, 8, 8), np.float32))).shape, bn.weight.shape
        ((4, 16, 8, 8), (16,))
    """

    _expected_ndims = (4,)
    _expected_text = "(N, C, H, W); use BatchNorm1d for (N, C) or (N, C, L)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of volumes or clips (N, C, D, H, W), per channel C (statistics
    over N*D*H*W values). Everything else as in BatchNorm1d.

    Args:
        num_features, eps, momentum, affine, track_running_stats, dtype: as in
            BatchNorm1d (num_features is C). Defaults: eps 1e-5, momentum 0.1, affine True,
            track_running_stats True, dtype None

    Shape:
        - Input: (N, C, D, H, W).
        - Output: (N, C, D, H, W), the shape of the input.

    Example:
        >>> bn = nn.BatchNorm3d(4)
        >>> bn(manabu.tensor(np.ones((2, 4, 3, 5, 5), np.float32))).shape
        (2, 4, 3, 5, 5)
    """

    _expected_ndims = (5,)
    _expected_text = "(N, C, D, H, W); use BatchNorm2d for images (N, C, H, W)"


class LayerNorm(Module):
    """Layer normalisation over the last axes, whose shape is ``normalized_shape``:

        y = gamma * (x - mean) / sqrt(var + eps) + beta      (statistics per sample)

    gamma (``weight``, ones) and beta (``bias``, zeros) have shape ``normalized_shape``
    (``elementwise_affine=False`` leaves both out, ``bias=False`` only beta). The same
    computation in training and eval mode.

    Args:
        normalized_shape: the shape of the last axes to normalise over: an int for the
            last axis alone (e.g. d_model), or a tuple.
        eps: added to the variance before the square root. Default: 1e-5
        elementwise_affine: if True, learn gamma and beta. Default: True
        bias: if False (and elementwise_affine), learn gamma only. Default: True
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    Shape:
        - Input: (*, *normalized_shape): any leading axes, then normalized_shape.
        - Output: the shape of the input.

    Example:
        >>> ln = nn.LayerNorm(4)
        >>> ln(manabu.tensor([[1.0, 2.0, 3.0, 4.0]])).numpy().round(3)  # mean 2.5, var 1.25
        array([[-1.342, -0.447,  0.447,  1.342]], dtype=float32)
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, _dtype(dtype),
                           weight=elementwise_affine, bias=elementwise_affine and bias)

    def reset_parameters(self) -> None:
        """gamma back to 1 and beta to 0."""
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.normalized_shape)
        if x.ndim < n or tuple(x.shape[x.ndim - n:]) != self.normalized_shape:
            raise ValueError(
                f"LayerNorm({self.normalized_shape}): the last {n} axes of the input "
                f"{tuple(x.shape)} must be {self.normalized_shape}; build the layer with "
                f"normalized_shape={tuple(x.shape[-n:]) if n <= x.ndim else x.shape[-1]}"
            )
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class _InstanceNorm(_BatchNorm):
    """Instance normalisation インスタンス正規化: each channel of each sample normalised
    over its own positions (L, H*W or D*H*W values), so no statistics are shared between
    the samples of a batch:

        y[n, c] = gamma[c] * (x[n, c] - mean[n, c]) / sqrt(var[n, c] + eps) + beta[c]

    PyTorch's defaults: ``affine=False`` (no gamma and beta) and
    ``track_running_stats=False`` (the input's statistics in training and eval mode). With
    ``track_running_stats=True`` the running averages of the per-instance statistics are
    kept while training and used in eval mode. Accepts unbatched inputs (C, *S) too.
    """

    _n = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False,
                 dtype: DTypeLike = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)

    def _check_input(self, x):
        name = type(self).__name__
        n = self._n
        if x.ndim not in (n + 1, n + 2):
            raise ValueError(
                f"{name}({self.num_features}): got a {x.ndim}-D input of shape "
                f"{tuple(x.shape)}, expected {self._expected_text} or unbatched (C, ...)"
            )
        channels = x.shape[-(n + 1)]
        if channels != self.num_features:
            raise ValueError(
                f"{name}({self.num_features}): input of shape {tuple(x.shape)} has {channels} "
                f"channels, expected {self.num_features}; set num_features={channels} or "
                "check the previous layer"
            )

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        unbatched = x.ndim == self._n + 1
        if unbatched:
            x = reshape(x, (1,) + tuple(x.shape))  # (1, C, *S)
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_input_stats=use_input_stats, momentum=momentum, eps=self.eps)
        return reshape(y, y.shape[1:]) if unbatched else y  # (C, *S) when unbatched


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L): each channel of each sequence over its L
    positions. See InstanceNorm2d.

    Args:
        num_features, eps, momentum, affine, track_running_stats, dtype: as in
            InstanceNorm2d. Defaults: eps 1e-5, momentum 0.1, affine False,
            track_running_stats False, dtype None

    Shape:
        - Input: (N, C, L) or unbatched (C, L).
        - Output: the shape of the input.

    Example:
        >>> norm = nn.InstanceNorm1d(2)
        >>> norm(manabu.tensor([[[1.0, 3.0], [10.0, 30.0]]])).numpy().round(3)
        array([[[-1.,  1.],
                [-1.,  1.]]], dtype=float32)
    """

    _n = 1
    _expected_text = "(N, C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of images (N, C, H, W): each feature map of each image over
    its H*W pixels (style transfer, Ulyanov et al. 2016); affine=False by default.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance before the square root. Default: 1e-5
        momentum: the weight of each batch in the running statistics (only with
            track_running_stats). Default: 0.1
        affine: if True, learn gamma and beta per channel, shape (C,). Default: False
        track_running_stats: if True, keep running averages of the per-instance
            statistics while training and use them in eval mode. Default: False
        dtype: the dtype of the parameters and running statistics; None means the
            default dtype (float32). Default: None

    Shape:
        - Input: (N, C, H, W) or unbatched (C, H, W).
        - Output: the shape of the input.

    Example:
        >>> norm = nn.InstanceNorm2d(3)
        >>> y = norm(manabu.tensor(np.arange(96, dtype=np.float32).reshape(2, 3, 4, 4)))
        >>> y.shape, bool(np.allclose(y.numpy().mean(axis=(2, 3)), 0, atol=1e-5))
        ((2, 3, 4, 4), True)
    """

    _n = 2
    _expected_text = "(N, C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W), each channel of each sample over D*H*W.

    Args:
        num_features, eps, momentum, affine, track_running_stats, dtype: as in
            InstanceNorm2d. Defaults: eps 1e-5, momentum 0.1, affine False,
            track_running_stats False, dtype None

    Shape:
        - Input: (N, C, D, H, W) or unbatched (C, D, H, W).
        - Output: the shape of the input.

    Example:
        >>> norm = nn.InstanceNorm3d(4, affine=True)
        >>> norm(manabu.tensor(np.ones((2, 4, 3, 5, 5), np.float32))).shape
        (2, 4, 3, 5, 5)
    """

    _n = 3
    _expected_text = "(N, C, D, H, W)"


class GroupNorm(Module):
    """Group normalisation グループ正規化 (Wu & He, 2018) of (N, C, *S): the C channels
    split into ``num_groups`` groups, each group of each sample normalised over its C/G
    channels and all positions, then a gamma and beta per channel:

        y = gamma[c] * (x - mean[n, g]) / sqrt(var[n, g] + eps) + beta[c]

    It does not depend on the batch (it works with a batch of 1 and is the same in training
    and eval mode). num_groups=num_channels is instance norm with affine weights,
    num_groups=1 normalises each sample over all its channels and positions.

    Args:
        num_groups: G, the number of groups; it must divide num_channels.
        num_channels: C, the channels of the input (axis 1).
        eps: added to the variance before the square root. Default: 1e-5
        affine: if True, learn gamma and beta per channel, shape (C,). Default: True
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    Shape:
        - Input: (N, C, *), any number of positions.
        - Output: the shape of the input.

    Example:
        >>> gn = nn.GroupNorm(4, 32)  # 4 groups of 8 channels
        >>> gn(manabu.tensor(np.ones((2, 32, 8, 8), np.float32))).shape, gn.weight.shape
        ((2, 32, 8, 8), (32,))
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype: DTypeLike = None) -> None:
        super().__init__()
        for arg, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"GroupNorm: {arg} must be a positive integer, got {value!r}")
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_groups={num_groups} must divide num_channels={num_channels}"
            )
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, self.num_channels, _dtype(dtype), weight=affine, bias=affine)

    def reset_parameters(self) -> None:
        """gamma back to 1 and beta to 0."""
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm({self.num_groups}, {self.num_channels}): expected an input "
                f"(N, {self.num_channels}, ...) with the channels on axis 1, got shape "
                f"{tuple(x.shape)}; set num_channels to the input's channels"
            )
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"

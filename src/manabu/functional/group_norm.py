"""Group normalisation (グループ正規化) and instance normalisation (インスタンス正規化).

Both are the normalisation of norm.py over other axes. The C channels of each sample are
split into G groups of C/G channels; every group of every sample is normalised on its own,
over its channels and all spatial positions, then each channel gets its own gamma and beta:

    x (N, C, *S) -> (N, G, C/G * prod(S))          statistics over the last axis
    xhat = (x - mean) / sqrt(var + eps)            mean and var: one per (sample, group)
    y    = gamma[c] * xhat + beta[c]

    gxhat  = gy * gamma
    gx     = (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) / sqrt(var + eps)
    ggamma = sum(gy * xhat),  gbeta = sum(gy)     over N and the spatial axes

G = C is instance norm (each channel of each sample alone, as in style transfer);
G = 1 normalises each sample over everything, like layer norm over (C, *S) but with
per-channel gamma and beta. Neither depends on the other samples of the batch, so they work
with a batch of 1 and behave the same in training and inference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.autograd import Function
from manabu.functional.norm import (
    _affine_grads, _check_per_channel, _default_affine, _normalize, _normalize_backward,
    _update_running_stats, batch_norm,
)
from manabu.tensor import unwrap

if TYPE_CHECKING:
    import numpy as np

    from manabu.tensor import Tensor

__all__ = ["group_norm", "instance_norm"]


class GroupNorm(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, statistics per (sample, group) of
    ``num_groups`` groups of channels; fused backward (see the module docstring).

    When given ``running_mean`` / ``running_var`` (instance norm with tracked statistics,
    one group per channel), forward also moves them towards the batch's average statistics,
    in place: running = (1 - momentum) * running + momentum * average over the batch of
    each instance's mean (and unbiased variance), as PyTorch does.
    """

    def __init__(self, num_groups, eps, momentum, running_mean, running_var):
        self.num_groups = num_groups
        self.eps = eps
        self.momentum = momentum
        self.running_mean = running_mean  # (C,) arrays updated in place, or None
        self.running_var = running_var

    def forward(self, x, gamma, beta):
        n, c = x.shape[0], x.shape[1]
        grouped = x.reshape(n, self.num_groups, -1)  # (N, G, C/G * prod(S))
        xhat, mean, var, inv_std = _normalize(self.xp, grouped, (2,), self.eps)
        if self.running_mean is not None or self.running_var is not None:
            # instance norm: the batch's statistics are the averages over its N instances
            mean_c, var_c = mean.mean(axis=0).reshape(-1), var.mean(axis=0).reshape(-1)  # (C,)
            _update_running_stats(self, mean_c, var_c, grouped.shape[2])
        xhat = xhat.reshape(x.shape)  # (N, C, *S)
        shape = (1, c) + (1,) * (x.ndim - 2)  # (1, C, 1, ...) broadcasts over x
        gamma_b = gamma.reshape(shape)
        self.save_for_backward(xhat, inv_std, gamma_b)
        return gamma_b * xhat + beta.reshape(shape)

    def backward(self, gy, xp):
        xhat, inv_std, gamma_b = self.saved
        n = gy.shape[0]
        gx = None
        if self.needs_input_grad[0]:
            gxhat = (gy * gamma_b).reshape(n, self.num_groups, -1)  # (N, G, C/G * prod(S))
            xhat_g = xhat.reshape(gxhat.shape)  # (N, G, C/G * prod(S))
            gx = _normalize_backward(gxhat, xhat_g, inv_std, (2,)).reshape(gy.shape)
        axes = (0,) + tuple(range(2, gy.ndim))  # gamma and beta are shared on N and *S
        ggamma, gbeta = _affine_grads(self, gy, xhat, axes, (gy.shape[1],))
        return gx, ggamma, gbeta


def group_norm(x: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalisation of x (N, C, *S): the C channels in ``num_groups`` groups, each
    group of each sample normalised over its channels and positions (Wu & He, 2018).

    ``weight`` (gamma) and ``bias`` (beta) have shape (C,); None means 1 and 0. Like
    torch.nn.functional.group_norm.

    Example:
        >>> x = manabu.tensor(np.arange(16.0).reshape(1, 4, 2, 2))  # (N, C, H, W)
        >>> y = F.group_norm(x, num_groups=2)  # channels (0, 1) and (2, 3) together
        >>> y.shape, round(float(y[0, :2].mean()), 6), round(float(y[0, :2].std()), 3)
        ((1, 4, 2, 2), 0.0, 1.0)
    """
    if x.ndim < 2:
        raise ValueError(
            f"group_norm: expected an input of shape (N, C, ...), got {tuple(x.shape)}; add "
            "a batch axis, e.g. x.reshape(1, -1)"
        )
    channels = x.shape[1]
    if not isinstance(num_groups, int) or num_groups < 1 or channels % num_groups:
        raise ValueError(
            f"group_norm: num_groups={num_groups!r} must be a positive integer that divides "
            f"the {channels} channels of the input {tuple(x.shape)}"
        )
    _check_per_channel("group_norm", x, {"weight": weight, "bias": bias})
    if x.size // x.shape[0] // num_groups < 2:
        raise ValueError(
            f"group_norm: each group of the input {tuple(x.shape)} holds one value, so its "
            f"variance is undefined; use fewer groups than {num_groups} or a larger input"
        )
    weight, bias = _default_affine(x, (channels,), weight, bias)
    return GroupNorm.apply(x, weight, bias, num_groups=num_groups, eps=eps,
                           momentum=0.0, running_mean=None, running_var=None)


def instance_norm(x: Tensor, running_mean: Tensor | np.ndarray | None = None,
                  running_var: Tensor | np.ndarray | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None,
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Instance normalisation of x (N, C, *S): each channel of each sample normalised over
    its positions alone (group norm with one group per channel). Like
    torch.nn.functional.instance_norm.

    With ``use_input_stats`` (the default) the statistics come from x, and ``running_mean``
    / ``running_var``, when given, are updated in place towards their average over the
    batch. ``use_input_stats=False`` normalises with the running statistics instead (like
    batch_norm in eval mode). ``weight`` (gamma) and ``bias`` (beta) have shape (C,).
    """
    if x.ndim < 3:
        raise ValueError(
            f"instance_norm: expected an input of shape (N, C, L, ...), got {tuple(x.shape)}; "
            "instance norm needs positions to average over (for (N, C) use layer_norm)"
        )
    channels = x.shape[1]
    _check_per_channel("instance_norm", x, {"weight": weight, "bias": bias,
                                            "running_mean": running_mean,
                                            "running_var": running_var})
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError(
                "instance_norm: use_input_stats=False needs running_mean and running_var"
            )
        return batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=eps)
    if x.size // (x.shape[0] * channels) < 2:
        raise ValueError(
            f"instance_norm: input of shape {tuple(x.shape)} has one position per channel, "
            "so the variance is undefined; use a larger input"
        )
    weight, bias = _default_affine(x, (channels,), weight, bias)
    return GroupNorm.apply(x, weight, bias, num_groups=channels, eps=eps, momentum=momentum,
                           running_mean=unwrap(running_mean), running_var=unwrap(running_var))


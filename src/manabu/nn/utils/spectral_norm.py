"""Spectral normalisation (スペクトル正規化; Miyato et al., 2018): divide a layer's weight by
its largest singular value, so that the layer is 1-Lipschitz, the constraint a WGAN-style
discriminator needs:

    W_SN = W / sigma(W),   sigma(W) = max_h |W h| / |h|   (the spectral norm)

sigma comes from power iteration, one step per forward pass in training, on vectors u and
v that are kept between passes (so one step a pass is enough, W changing little per step):

    v = normalize(W^T u),  u = normalize(W v),  sigma = u^T W v

The weight is first seen as a matrix (out, in * kernel) (``dim`` first: the output axis,
which is axis 1 of a transposed convolution's weight). Gradients flow through W in
W / sigma with u and v held constant, as in PyTorch. In eval mode u and v stay as they are.

As ``torch.nn.utils.spectral_norm``: the layer keeps ``weight_orig`` (the learned
Parameter) and the buffers ``weight_u`` and ``weight_v``; ``weight`` becomes the normalised
weight, recomputed by a forward pre-hook; the state_dict keys are PyTorch's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu.autograd import Tensor, no_grad
from manabu.nn.conv import _ConvTranspose
from manabu.nn.parameter import Parameter
from manabu.random import get_generator

if TYPE_CHECKING:
    from manabu.nn.module import Module

__all__ = ["SpectralNorm", "remove_spectral_norm", "spectral_norm"]


def _normalize(x, eps):
    """x / max(|x|, eps)."""
    return x / max(float(np.linalg.norm(x)), eps)


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` = W / sigma(W) before each forward
    (see the module docstring)."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight: Tensor | np.ndarray) -> Tensor | np.ndarray:
        """The weight as a matrix (shape[dim], everything else): a Tensor stays one (the
        permutation and reshape are differentiable)."""
        if self.dim != 0:
            order = (self.dim,) + tuple(a for a in range(weight.ndim) if a != self.dim)
            weight = weight.transpose(order)
        return weight.reshape((weight.shape[0], -1))

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        if do_power_iteration:
            w = self.matrix(weight.data)  # (h, w)
            for _ in range(self.n_power_iterations):  # in place: the buffers move on
                v.data[...] = _normalize(w.T @ u.data, self.eps)
                u.data[...] = _normalize(w @ v.data, self.eps)
        u_now, v_now = Tensor(u.data.copy()), Tensor(v.data.copy())  # constants of the graph
        sigma = (u_now * (self.matrix(weight) @ v_now)).sum()  # u^T W v
        return weight / sigma

    def __call__(self, module: Module, inputs: tuple) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Apply spectral normalisation to ``module.<name>`` (in place) and return the module.

    Args:
        module: the layer (Linear, Conv*, ConvTranspose*, Embedding, ...)
        name: the parameter to normalise. Default: 'weight'
        n_power_iterations: power-iteration steps per forward pass in training, >= 1.
            Default: 1
        eps: the smallest norm a vector is divided by. Default: 1e-12
        dim: the output axis of the weight; None: 1 for transposed convolutions, else 0.
            Default: None

    Returns:
        the module, now with ``<name>_orig``, ``<name>_u`` and ``<name>_v``

    Example:
        >>> layer = nn.utils.spectral_norm(nn.Linear(4, 3))
        >>> sorted(layer.state_dict())
        ['bias', 'weight_orig', 'weight_u', 'weight_v']
        >>> for _ in range(50):
        ...     _ = layer(np.zeros((1, 4), dtype=np.float32))   # power iteration converges
        >>> round(float(np.linalg.norm(layer.weight.numpy(), 2)), 4)    # largest singular value
        1.0
    """
    if int(n_power_iterations) < 1:
        raise ValueError(f"spectral_norm: n_power_iterations must be at least 1, got "
                         f"{n_power_iterations}")
    if any(isinstance(hook, SpectralNorm) and hook.name == name
           for hook in module._forward_pre_hooks.values()):
        raise RuntimeError(f"spectral_norm: {type(module).__name__}.{name} is already "
                           "spectrally normalised")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}; "
                         f"its parameters: {sorted(module._parameters)}")
    if dim is None:
        dim = 1 if isinstance(module, _ConvTranspose) else 0
    fn = SpectralNorm(name, int(n_power_iterations), dim, eps)
    h, w = fn.matrix(weight.data).shape
    rng = get_generator()
    u = _normalize(rng.standard_normal(h), eps).astype(weight.dtype)
    v = _normalize(rng.standard_normal(w), eps).astype(weight.dtype)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    object.__setattr__(module, name, Tensor(weight.data.copy()))  # as PyTorch: W until the first forward
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``<name>`` becomes a Parameter again, holding the normalised
    weight W / sigma (with the current u and v); returns the module.

    Example:
        >>> layer = nn.utils.remove_spectral_norm(nn.utils.spectral_norm(nn.Linear(4, 3)))
        >>> sorted(layer.state_dict())
        ['bias', 'weight']
    """
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module, do_power_iteration=False)
            del module._forward_pre_hooks[key]
            break
    else:
        raise ValueError(f"remove_spectral_norm: {type(module).__name__}.{name} is not "
                         "spectrally normalised")
    for suffix in ("_orig", "_u", "_v"):
        delattr(module, name + suffix)
    module.__dict__.pop(name, None)
    module.register_parameter(name, Parameter(weight.data))
    return module

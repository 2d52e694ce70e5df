"""Weight initialisation (重みの初期値), in place, with PyTorch's names and formulas.

Why it matters: if every layer multiplies the spread of its input by the same factor, the
activations of a deep network vanish or explode (勾配消失問題). Keeping the variance of each
layer's output equal to its input's gives

    Xavier / Glorot (for sigmoid, tanh):  Var(W) = gain**2 * 2 / (fan_in + fan_out)
    He / Kaiming    (for ReLU):           Var(W) = gain**2 / fan_in,  gain = sqrt(2)

The notes write them for a square layer of n inputs as std = 1/sqrt(n) (Xavier) and
std = sqrt(2/n) (He), which is what these give when fan_in = fan_out = n.

Every function draws from ``generator`` (an ``np.random.Generator``) or, by default, from
manabu's global generator, so ``manabu.manual_seed(n)`` makes initialisation reproducible.
Values are drawn on the CPU in float64 and then cast and moved to the tensor's dtype and
device, so the same seed gives the same weights everywhere.
"""

import math

import numpy as np

from manabu import backend
from manabu import random as _random

__all__ = [
    "calculate_gain", "constant_", "ones_", "zeros_", "normal_", "uniform_", "trunc_normal_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
    "eye_",
]

_LINEAR_GAIN_ONE = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
                    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps the output variance of ``nonlinearity`` equal to its input's
    (PyTorch's table): 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu,
    sqrt(2 / (1 + slope**2)) for leaky_relu (slope ``param``, default 0.01), 3/4 for selu."""
    if nonlinearity in _LINEAR_GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
        f"{list(_LINEAR_GAIN_ONE) + ['tanh', 'relu', 'leaky_relu', 'selu']}"
    )


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = inputs per output unit, fan_out = outputs per input unit.

    For a Linear weight (out, in): (in, out). For a convolution weight (out, in, k...):
    both are multiplied by the kernel size, as every input pixel feeds k... outputs."""
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor of 2 or more dimensions, got shape {tensor.shape}; "
            "initialise biases with zeros_/uniform_ instead"
        )
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    fan_in = tensor.shape[1] * receptive_field
    fan_out = tensor.shape[0] * receptive_field
    return fan_in, fan_out


def _calculate_fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _generator(generator):
    return _random.get_generator() if generator is None else generator


def _fill(tensor, values):
    """Write ``values`` (a NumPy array) into the tensor in place; returns the tensor."""
    xp = backend.get_array_module(tensor.data)
    tensor.data[...] = xp.asarray(values.astype(tensor.dtype, copy=False))
    return tensor


def constant_(tensor, val):
    """Fill with ``val``."""
    tensor.data[...] = val
    return tensor


def ones_(tensor):
    return constant_(tensor, 1)


def zeros_(tensor):
    return constant_(tensor, 0)


def eye_(tensor):
    """The identity matrix (a 2-D tensor), e.g. for a recurrent weight."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: needs a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Draw from N(mean, std**2)."""
    return _fill(tensor, _generator(generator).normal(mean, std, size=tensor.shape))


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Draw from U(a, b)."""
    return _fill(tensor, _generator(generator).uniform(a, b, size=tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Draw from N(mean, std**2) restricted to [a, b] (values outside are redrawn)."""
    rng = _generator(generator)
    values = rng.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan), gain from
    ``calculate_gain(nonlinearity, a)`` (sqrt(2) for relu, and for leaky_relu with a=0)."""
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _calculate_fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std**2), std = gain / sqrt(fan) (sqrt(2 / n) for ReLU)."""
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(_calculate_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013): the QR decomposition
    of a Gaussian matrix, with the signs fixed so the result is uniformly distributed.
    Tensors of more than 2 dimensions are treated as (shape[0], the rest)."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs 2 or more dimensions, got shape {tensor.shape}")
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flat = _generator(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T  # QR of the tall matrix; transposed back below
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # make the decomposition unique
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))  # (shape[0], rest) -> tensor.shape

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

Every function fills the tensor in place and returns it; ``generator`` (where taken) is an
``np.random.Generator``, None for manabu's global one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu import random as _random

if TYPE_CHECKING:
    from collections.abc import Callable

    from manabu.autograd import Tensor

__all__ = [
    "calculate_gain", "constant_", "ones_", "zeros_", "normal_", "uniform_", "trunc_normal_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
    "eye_",
]

_LINEAR_GAIN_ONE = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
                    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps the output variance of ``nonlinearity`` equal to its input's
    (PyTorch's table): 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu,
    sqrt(2 / (1 + slope**2)) for leaky_relu (slope ``param``, default 0.01), 3/4 for selu.

    Args:
        nonlinearity: 'linear', 'identity', 'sigmoid', 'conv1d' ... 'conv_transpose3d',
            'tanh', 'relu', 'leaky_relu' or 'selu'.
        param: leaky_relu's negative slope. Default: None (0.01)

    Example:
        >>> nn.init.calculate_gain("relu"), nn.init.calculate_gain("tanh")
        (1.4142135623730951, 1.6666666666666667)
    """
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


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    Args:
        tensor: the Tensor (or Parameter) to fill in place.
        val: the value.

    Example:
        >>> w = manabu.tensor(np.empty((2, 3), np.float32))
        >>> nn.init.constant_(w, 0.5)
        tensor([[0.5, 0.5, 0.5],
                [0.5, 0.5, 0.5]], dtype=float32)
    """
    tensor.data[...] = val
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1.

    Args:
        tensor: the Tensor to fill in place.

    Example:
        >>> nn.init.ones_(manabu.tensor(np.empty(3, np.float32)))
        tensor([1., 1., 1.], dtype=float32)
    """
    return constant_(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (the notes' choice for biases).

    Args:
        tensor: the Tensor to fill in place, typically a layer's bias.

    Example:
        >>> layer = nn.Linear(3, 2)
        >>> nn.init.zeros_(layer.bias)
        Parameter containing:
        tensor([0., 0.], dtype=float32, requires_grad=True)
    """
    return constant_(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (a 2-D tensor), e.g. for a recurrent weight.

    Args:
        tensor: a 2-D Tensor (rows, cols), filled in place; a non-square one gets ones on
            its main diagonal.

    Example:
        >>> w = manabu.tensor(np.empty((2, 3), np.float32))
        >>> nn.init.eye_(w)
        tensor([[1., 0., 0.],
                [0., 1., 0.]], dtype=float32)
    """
    if tensor.ndim != 2:
        raise ValueError(f"eye_: needs a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Draw from N(mean, std**2).

    Args:
        tensor: the Tensor to fill in place.
        mean: the mean. Default: 0.0
        std: the standard deviation. Default: 1.0
        generator: the ``np.random.Generator``; None uses manabu's global one.
            Default: None

    Example:
        >>> w = manabu.tensor(np.empty((100, 200), np.float32))
        >>> round(float(nn.init.normal_(w, std=0.01).numpy().std()), 3)
        0.01
    """
    return _fill(tensor, _generator(generator).normal(mean, std, size=tensor.shape))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Draw from U(a, b).

    Args:
        tensor: the Tensor to fill in place.
        a: the lower bound. Default: 0.0
        b: the upper bound. Default: 1.0
        generator: the ``np.random.Generator``; None uses manabu's global one.
            Default: None

    Example:
        >>> w = manabu.tensor(np.empty((100, 200), np.float32))
        >>> values = nn.init.uniform_(w, -0.1, 0.1).numpy()
        >>> bool(values.min() >= -0.1 and values.max() <= 0.1)
        True
    """
    return _fill(tensor, _generator(generator).uniform(a, b, size=tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: np.random.Generator | None = None) -> Tensor:
    """Draw from N(mean, std**2) restricted to [a, b] (values outside are redrawn).

    Args:
        tensor: the Tensor to fill in place.
        mean: the mean of the normal distribution. Default: 0.0
        std: its standard deviation. Default: 1.0
        a: the smallest value kept (an absolute value, not in units of std). Default: -2.0
        b: the largest value kept. Default: 2.0
        generator: the ``np.random.Generator``; None uses manabu's global one.
            Default: None

    Example:
        >>> w = manabu.tensor(np.empty((100, 200), np.float32))
        >>> values = nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04).numpy()
        >>> bool(values.min() >= -0.04 and values.max() <= 0.04)
        True
    """
    rng = _generator(generator)
    values = rng.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Tensor:
    """Glorot uniform: U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).

    Its standard deviation, bound / sqrt(3), is the Xavier std gain * sqrt(2 / (fan_in +
    fan_out)).

    Args:
        tensor: a weight of 2 or more dimensions (out, in, *kernel), filled in place.
        gain: the factor for the activation that follows (``calculate_gain``).
            Default: 1.0
        generator: the ``np.random.Generator``; None uses manabu's global one.
            Default: None

    Example:
        >>> w = manabu.tensor(np.empty((300, 200), np.float32))
        >>> round(float(nn.init.xavier_uniform_(w).numpy().std()), 2)  # sqrt(2 / 500)
        0.06
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)).

    Args:
        as :func:`xavier_uniform_` (tensor, gain, generator).

    Example:
        >>> w = manabu.tensor(np.empty((300, 200), np.float32))
        >>> w = nn.init.xavier_normal_(w, gain=nn.init.calculate_gain("tanh"))  # 5/3
        >>> round(float(w.numpy().std() / np.sqrt(2 / 500)), 1)  # the gain, 5/3
        1.7
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan), gain from
    ``calculate_gain(nonlinearity, a)`` (sqrt(2) for relu, and for leaky_relu with a=0).

    Args:
        tensor: a weight of 2 or more dimensions (out, in, *kernel), filled in place.
        a: leaky_relu's negative slope, for the gain. Default: 0.0
        mode: 'fan_in' (keeps the forward variance) or 'fan_out' (the backward one).
            Default: 'fan_in'
        nonlinearity: the activation that follows. Default: 'leaky_relu' (with a = 0,
            the gain of relu)
        generator: the ``np.random.Generator``; None uses manabu's global one.
            Default: None

    Example:
        >>> w = manabu.tensor(np.empty((100, 200), np.float32))  # (out, in)
        >>> round(float(nn.init.kaiming_uniform_(w).numpy().std()), 2)  # sqrt(2 / fan_in)
        0.1
        >>> w = nn.init.kaiming_uniform_(w, mode="fan_out")  # keeps the backward variance
        >>> round(float(w.numpy().std()), 2)  # sqrt(2 / fan_out) = sqrt(2 / 100)
        0.14
    """
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _calculate_fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """He normal: N(0, std**2), std = gain / sqrt(fan) (sqrt(2 / n) for ReLU).

    Args:
        as :func:`kaiming_uniform_` (tensor, a, mode, nonlinearity, generator).

    Example:
        >>> w = manabu.tensor(np.empty((100, 200), np.float32))
        >>> w = nn.init.kaiming_normal_(w, nonlinearity="relu")
        >>> round(float(w.numpy().std()), 2)  # sqrt(2 / fan_in) = sqrt(2 / 200)
        0.1
    """
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(_calculate_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0,
                generator: np.random.Generator | None = None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013): the QR decomposition
    of a Gaussian matrix, with the signs fixed so the result is uniformly distributed.
    Tensors of more than 2 dimensions are treated as (shape[0], the rest).

    Args:
        tensor: a Tensor of 2 or more dimensions, filled in place.
        gain: the factor the matrix is multiplied by. Default: 1.0
        generator: the ``np.random.Generator``; None uses manabu's global one.
            Default: None

    Example:
        >>> w = manabu.tensor(np.empty((3, 5), np.float32))
        >>> q = nn.init.orthogonal_(w).numpy()
        >>> bool(np.allclose(q @ q.T, np.eye(3), atol=1e-5))  # orthonormal rows
        True
    """
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


# ---------------------------------------------------------------- the layers' init= choices
# Linear and the convolution layers take ``init=`` one of these names (or a function);
# 'torch' is PyTorch's default, U(+-1/sqrt(fan_in)), which each layer draws its own way.
LAYER_INITS = ("kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform",
               "orthogonal", "torch")
_HE = {"kaiming_normal": kaiming_normal_, "kaiming_uniform": kaiming_uniform_}
_WITH_GAIN = {"xavier_normal": xavier_normal_, "xavier_uniform": xavier_uniform_,
              "orthogonal": orthogonal_}


def check_layer_init(layer: str, init: str | Callable[[Tensor], object]) -> None:
    """ValueError naming ``layer`` unless ``init`` is one of LAYER_INITS or a function."""
    if not callable(init) and init not in LAYER_INITS:
        raise ValueError(f"{layer}: unknown init {init!r}; use one of {list(LAYER_INITS)}")


def layer_weight_(weight: Tensor, init: str | Callable[[Tensor], object],
                  nonlinearity: str | None = None, mode: str = "fan_in") -> None:
    """Draw a layer's weight by its ``init`` (any choice but 'torch'): a function is called
    as ``init(weight)``; He (kaiming_*) uses ``nonlinearity`` (default 'relu') and ``mode``;
    Xavier and orthogonal take the gain of ``nonlinearity`` (default 'linear', gain 1)."""
    if callable(init):
        init(weight)
    elif init in _HE:
        _HE[init](weight, mode=mode, nonlinearity=nonlinearity or "relu")
    else:
        _WITH_GAIN[init](weight, gain=calculate_gain(nonlinearity or "linear"))


def layer_bias_(bias: Tensor | None, init: str | Callable[[Tensor], object],
                fan_in: int) -> None:
    """A layer's bias (None: no bias): U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for init='torch',
    as PyTorch, else zeros (the notes' choice)."""
    if bias is None:
        return
    if init == "torch":
        bound = 1 / math.sqrt(fan_in)
        uniform_(bias, -bound, bound)
    else:
        zeros_(bias)

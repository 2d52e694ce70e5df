"""Activation layers (活性化関数): a Module for every function of manabu.functional.activation,
so that they can sit in an ``nn.Sequential``. The formulas live in the functional ops; these
classes only hold the hyper-parameters (and PReLU's learnable slope)."""

import numpy as np

from manabu import backend
from manabu.functional import activation as A
from manabu.functional.elementwise import tanh
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter

__all__ = [
    "Step", "Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU",
    "AbsRectification", "ELU", "SELU", "Softplus", "GELU", "SiLU", "Swish", "Mish", "GLU",
    "Maxout", "HardSigmoid", "HardTanh", "Softmax", "LogSoftmax",
]


def _axis(axis, dim):
    """PyTorch users write ``dim``; manabu (like NumPy) says ``axis``. Accept either."""
    return axis if dim is None else dim


class Step(Module):
    """Step function (ステップ関数): 1 where x > 0, else 0 (the perceptron's activation)."""

    def forward(self, x):
        return A.step(x)


class Sigmoid(Module):
    """シグモイド関数: 1 / (1 + exp(-x / temperature))."""

    def __init__(self, temperature=1.0):
        super().__init__()
        self.temperature = temperature

    def forward(self, x):
        return A.sigmoid(x, self.temperature)

    def extra_repr(self):
        return "" if self.temperature == 1.0 else f"temperature={self.temperature}"


class Tanh(Module):
    """tanh(x): like the sigmoid but centred on 0, with range (-1, 1)."""

    def forward(self, x):
        return tanh(x)


class ReLU(Module):
    """ReLU: max(0, x), the default hidden activation of modern networks."""

    def forward(self, x):
        return A.relu(x)


class ReLU6(Module):
    """min(max(0, x), 6) (MobileNet)."""

    def forward(self, x):
        return A.relu6(x)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return A.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """Parametric ReLU: like LeakyReLU but the slope is learned; ``num_parameters`` is 1
    (one shared slope) or the number of channels (axis 1), each starting at ``init``."""

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1, got {num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.init = init
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def reset_parameters(self):
        self.weight.data[...] = self.init

    def forward(self, x):
        return A.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized ReLU: in training the negative slope of each element is drawn from
    U(lower, upper); in eval mode it is fixed at (lower + upper) / 2."""

    def __init__(self, lower=1 / 8, upper=1 / 3, generator=None):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.generator = generator

    def forward(self, x):
        return A.rrelu(x, self.lower, self.upper, self.training, self.generator)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}"


class AbsRectification(Module):
    """Absolute value rectification: |x|."""

    def forward(self, x):
        return A.abs_rectification(x)


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return A.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(Module):
    """scale * elu(x, alpha) with the self-normalising constants."""

    def forward(self, x):
        return A.selu(x)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta (linear above ``threshold`` for stability)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x):
        return A.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """x * Phi(x) (GPT, BERT); ``approximate='tanh'`` uses the tanh formula."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return A.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """SiLU / Swish: x * sigmoid(beta * x)."""

    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return A.silu(x, self.beta)

    def extra_repr(self):
        return "" if self.beta == 1.0 else f"beta={self.beta}"


Swish = SiLU


class Mish(Module):
    """x * tanh(softplus(x))."""

    def forward(self, x):
        return A.mish(x)


class GLU(Module):
    """Gated linear unit: halves a, b of x along ``axis``; a * sigmoid(b)."""

    def __init__(self, axis=-1, dim=None):
        super().__init__()
        self.axis = _axis(axis, dim)

    def forward(self, x):
        return A.glu(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class Maxout(Module):
    """The maximum over each group of ``pool_size`` consecutive units along ``axis``;
    (N, C) -> (N, C // pool_size)."""

    def __init__(self, pool_size, axis=1):
        super().__init__()
        if not isinstance(pool_size, (int, np.integer)) or pool_size < 1:
            raise ValueError(f"Maxout: pool_size must be a positive integer, got {pool_size!r}")
        self.pool_size = int(pool_size)
        self.axis = axis

    def forward(self, x):
        return A.maxout(x, self.pool_size, self.axis)

    def extra_repr(self):
        return f"pool_size={self.pool_size}, axis={self.axis}"


class HardSigmoid(Module):
    """clip(x / 6 + 1/2, 0, 1): a cheap piecewise-linear sigmoid."""

    def forward(self, x):
        return A.hard_sigmoid(x)


class HardTanh(Module):
    """clip(x, min_val, max_val)."""

    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        if min_val >= max_val:
            raise ValueError(f"HardTanh: need min_val < max_val, got {min_val} and {max_val}")
        self.min_val = min_val
        self.max_val = max_val

    def forward(self, x):
        return A.hard_tanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softmax(Module):
    """ソフトマックス関数 along ``axis`` (``dim`` is accepted too), with a temperature."""

    def __init__(self, axis=-1, temperature=1.0, dim=None):
        super().__init__()
        self.axis = _axis(axis, dim)
        self.temperature = temperature

    def forward(self, x):
        return A.softmax(x, self.axis, self.temperature)

    def extra_repr(self):
        extra = "" if self.temperature == 1.0 else f", temperature={self.temperature}"
        return f"axis={self.axis}{extra}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``axis``, computed stably (pair it with NLLLoss)."""

    def __init__(self, axis=-1, temperature=1.0, dim=None):
        super().__init__()
        self.axis = _axis(axis, dim)
        self.temperature = temperature

    def forward(self, x):
        return A.log_softmax(x, self.axis, self.temperature)

    def extra_repr(self):
        extra = "" if self.temperature == 1.0 else f", temperature={self.temperature}"
        return f"axis={self.axis}{extra}"

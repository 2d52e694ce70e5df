"""Activation layers (活性化関数): a Module for every function of manabu.functional.activation,
so that they can sit in an ``nn.Sequential``. The formulas live in the functional ops; these
classes only hold the hyper-parameters (and PReLU's learnable slope).

Every activation but GLU, Maxout, Softmax and LogSoftmax works elementwise: the output has
the input's shape. PyTorch's ``inplace=`` is not offered (manabu's ops never write into
their input).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.functional import activation as A
from manabu.functional.elementwise import tanh
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from manabu.autograd import Tensor

__all__ = [
    "Step", "Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU",
    "AbsRectification", "ELU", "SELU", "Softplus", "GELU", "SiLU", "Swish", "Mish", "GLU",
    "Maxout", "HardSigmoid", "HardTanh", "Softmax", "LogSoftmax",
]


def _axis(axis, dim):
    """PyTorch users write ``dim``; manabu (like NumPy) says ``axis``. Accept either."""
    return axis if dim is None else dim


class Step(Module):
    """Step function (ステップ関数): 1 where x > 0, else 0 (the perceptron's activation).

    Its gradient is 0 everywhere, which is why networks trained by backpropagation use a
    smooth activation instead. Not in PyTorch.

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.Step()(manabu.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 1.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return A.step(x)


class Sigmoid(Module):
    """シグモイド関数: 1 / (1 + exp(-x / temperature)).

    Args:
        temperature: divides x before the sigmoid; above 1 it flattens the curve, below 1
            it sharpens it towards a step (not in PyTorch). Default: 1.0

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input, values in (0, 1).

    Example:
        >>> nn.Sigmoid()(manabu.tensor([0.0]))
        tensor([0.5], dtype=float32)
    """

    def __init__(self, temperature: float = 1.0) -> None:
        super().__init__()
        self.temperature = temperature

    def forward(self, x: Tensor) -> Tensor:
        return A.sigmoid(x, self.temperature)

    def extra_repr(self) -> str:
        return "" if self.temperature == 1.0 else f"temperature={self.temperature}"


class Tanh(Module):
    """tanh(x): like the sigmoid but centred on 0, with range (-1, 1).

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input, values in (-1, 1).

    Example:
        >>> nn.Tanh()(manabu.tensor([0.0]))
        tensor([0.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return tanh(x)


class ReLU(Module):
    """ReLU: max(0, x), the default hidden activation of modern networks.

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.ReLU()(manabu.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return A.relu(x)


class ReLU6(Module):
    """min(max(0, x), 6) (MobileNet).

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input, values in [0, 6].

    Example:
        >>> nn.ReLU6()(manabu.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return A.relu6(x)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x.

    Args:
        negative_slope: the slope for x < 0, so that negative inputs still pass a gradient.
            Default: 0.01

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.LeakyReLU(0.25)(manabu.tensor([-2.0, 3.0]))
        tensor([-0.5,  3. ], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return A.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """Parametric ReLU: like LeakyReLU but the slope is learned; ``num_parameters`` is 1
    (one shared slope) or the number of channels (axis 1), each starting at ``init``.

    Args:
        num_parameters: how many slopes ``weight`` holds: 1, or C to learn one per channel
            of an input (N, C, ...). Default: 1
        init: the initial value of every slope. Default: 0.25
        dtype: the dtype of ``weight``; None means the default dtype (float32). Not in
            PyTorch's signature (it takes ``device`` and ``dtype`` as keywords too).
            Default: None

    Shape:
        - Input: (*), any shape; with num_parameters = C > 1, (N, C, *).
        - Output: (*), the shape of the input.

    Example:
        >>> prelu = nn.PReLU()
        >>> prelu(manabu.tensor([-2.0, 3.0])).tolist(), prelu.weight.shape
        ([-0.5, 3.0], (1,))
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25,
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1, got {num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.init = init
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def reset_parameters(self) -> None:
        """Every slope back to ``init``."""
        self.weight.data[...] = self.init

    def forward(self, x: Tensor) -> Tensor:
        return A.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized ReLU: in training the negative slope of each element is drawn from
    U(lower, upper); in eval mode it is fixed at (lower + upper) / 2.

    Args:
        lower: the smallest slope drawn. Default: 1/8
        upper: the largest slope drawn. Default: 1/3
        generator: the ``np.random.Generator`` to draw the slopes from; None uses manabu's
            global one (``manabu.manual_seed``). Not in PyTorch. Default: None

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> rrelu = nn.RReLU(lower=0.25, upper=0.75).eval()  # slope (0.25 + 0.75) / 2
        >>> rrelu(manabu.tensor([-2.0, 3.0]))
        tensor([-1.,  3.], dtype=float32)
    """

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return A.rrelu(x, self.lower, self.upper, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}"


class AbsRectification(Module):
    """Absolute value rectification: |x| (Goodfellow et al.'s "Deep Learning", 6.3.3; not
    in PyTorch).

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.AbsRectification()(manabu.tensor([-2.0, 3.0]))
        tensor([2., 3.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return A.abs_rectification(x)


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1).

    Args:
        alpha: the value that the output approaches for large negative x is -alpha.
            Default: 1.0

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.ELU()(manabu.tensor([-1.0, 2.0])).numpy().round(4)  # e**-1 - 1 = -0.6321
        array([-0.6321,  2.    ], dtype=float32)
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return A.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    """scale * elu(x, alpha) with the self-normalising constants.

    With scale = 1.0507... and alpha = 1.6733... (Klambauer et al., 2017) the activations
    of a deep fully connected network keep mean 0 and variance 1; pair it with AlphaDropout.

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.SELU()(manabu.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 1.0507], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return A.selu(x)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta (linear above ``threshold`` for stability).

    Args:
        beta: sharpness; a large beta approaches ReLU. Default: 1.0
        threshold: where beta * x exceeds it, the output is x itself (the two agree
            there to float precision). Default: 20.0

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input, positive.

    Example:
        >>> nn.Softplus()(manabu.tensor([0.0])).numpy().round(4)  # log 2
        array([0.6931], dtype=float32)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return A.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """x * Phi(x) (GPT, BERT); ``approximate='tanh'`` uses the tanh formula.

    Phi is the standard normal's cumulative distribution; the tanh form is
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x**3))).

    Args:
        approximate: 'none' (the exact erf form) or 'tanh'. Default: 'none'

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.GELU()(manabu.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.8413], dtype=float32)
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return A.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """SiLU / Swish: x * sigmoid(beta * x). ``nn.Swish`` is another name for this class.

    Args:
        beta: the sigmoid's sharpness (Swish's beta; PyTorch's SiLU has none, i.e. 1).
            Default: 1.0

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.SiLU()(manabu.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.7311], dtype=float32)
    """

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x: Tensor) -> Tensor:
        return A.silu(x, self.beta)

    def extra_repr(self) -> str:
        return "" if self.beta == 1.0 else f"beta={self.beta}"


Swish = SiLU


class Mish(Module):
    """x * tanh(softplus(x)).

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.Mish()(manabu.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.8651], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return A.mish(x)


class GLU(Module):
    """Gated linear unit: halves a, b of x along ``axis``; a * sigmoid(b).

    Args:
        axis: the axis split in two halves; its size must be even. Default: -1
        dim: PyTorch's name for ``axis``; when given it wins. Default: None

    Shape:
        - Input: (*, 2M, *) with the even-sized axis at ``axis``.
        - Output: (*, M, *): that axis halved.

    Example:
        >>> glu = nn.GLU()
        >>> glu(manabu.tensor(np.ones((3, 4), np.float32))).shape
        (3, 2)
    """

    def __init__(self, axis: int = -1, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis(axis, dim)

    def forward(self, x: Tensor) -> Tensor:
        return A.glu(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Maxout(Module):
    """The maximum over each group of ``pool_size`` consecutive units along ``axis``;
    (N, C) -> (N, C // pool_size).

    Goodfellow et al. (2013); not in PyTorch. A Linear layer with pool_size times the
    units followed by Maxout learns a convex piecewise-linear activation.

    Args:
        pool_size: the number of units in each group; it must divide the axis' size.
        axis: the axis holding the units. Default: 1

    Shape:
        - Input: (N, C, *) with C a multiple of pool_size (units on ``axis``).
        - Output: (N, C // pool_size, *).

    Example:
        >>> nn.Maxout(2)(manabu.tensor([[1.0, 5.0, 3.0, 2.0, 0.0, 4.0]]))
        tensor([[5., 3., 4.]], dtype=float32)
    """

    def __init__(self, pool_size: int, axis: int = 1) -> None:
        super().__init__()
        if not isinstance(pool_size, (int, np.integer)) or pool_size < 1:
            raise ValueError(f"Maxout: pool_size must be a positive integer, got {pool_size!r}")
        self.pool_size = int(pool_size)
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return A.maxout(x, self.pool_size, self.axis)

    def extra_repr(self) -> str:
        return f"pool_size={self.pool_size}, axis={self.axis}"


class HardSigmoid(Module):
    """clip(x / 6 + 1/2, 0, 1): a cheap piecewise-linear sigmoid.

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input, values in [0, 1].

    Example:
        >>> nn.HardSigmoid()(manabu.tensor([-3.0, 0.0, 3.0]))
        tensor([0. , 0.5, 1. ], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return A.hard_sigmoid(x)


class HardTanh(Module):
    """clip(x, min_val, max_val).

    PyTorch spells it ``Hardtanh``.

    Args:
        min_val: the lower end of the linear region. Default: -1.0
        max_val: the upper end; it must be greater than min_val. Default: 1.0

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input.

    Example:
        >>> nn.HardTanh()(manabu.tensor([-2.0, 0.5, 2.0]))
        tensor([-1. ,  0.5,  1. ], dtype=float32)
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        if min_val >= max_val:
            raise ValueError(f"HardTanh: need min_val < max_val, got {min_val} and {max_val}")
        self.min_val = min_val
        self.max_val = max_val

    def forward(self, x: Tensor) -> Tensor:
        return A.hard_tanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softmax(Module):
    """ソフトマックス関数 along ``axis`` (``dim`` is accepted too), with a temperature:
    y_i = exp(x_i / T) / sum_j exp(x_j / T).

    Args:
        axis: the axis whose values become probabilities summing to 1. Default: -1 (PyTorch
            has no default and warns without one)
        temperature: T; above 1 it flattens the distribution, below 1 it sharpens it (not
            in PyTorch). Default: 1.0
        dim: PyTorch's name for ``axis``; when given it wins. Default: None

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input, values in [0, 1].

    Example:
        >>> nn.Softmax(axis=1)(manabu.tensor([[0.0, 0.0, 0.0, 0.0]]))
        tensor([[0.25, 0.25, 0.25, 0.25]], dtype=float32)
    """

    def __init__(self, axis: int = -1, temperature: float = 1.0, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis(axis, dim)
        self.temperature = temperature

    def forward(self, x: Tensor) -> Tensor:
        return A.softmax(x, self.axis, self.temperature)

    def extra_repr(self) -> str:
        extra = "" if self.temperature == 1.0 else f", temperature={self.temperature}"
        return f"axis={self.axis}{extra}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``axis``, computed stably (pair it with NLLLoss).

    With a temperature T it is log(softmax(x / T)).

    Args:
        axis: the axis to normalise over. Default: -1 (PyTorch has no default)
        temperature: T, as in Softmax (not in PyTorch). Default: 1.0
        dim: PyTorch's name for ``axis``; when given it wins. Default: None

    Shape:
        - Input: (*), any shape.
        - Output: (*), the shape of the input, values <= 0.

    Example:
        >>> nn.LogSoftmax()(manabu.tensor([[0.0, 0.0]])).numpy().round(4)  # log 0.5
        array([[-0.6931, -0.6931]], dtype=float32)
    """

    def __init__(self, axis: int = -1, temperature: float = 1.0, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis(axis, dim)
        self.temperature = temperature

    def forward(self, x: Tensor) -> Tensor:
        return A.log_softmax(x, self.axis, self.temperature)

    def extra_repr(self) -> str:
        extra = "" if self.temperature == 1.0 else f", temperature={self.temperature}"
        return f"axis={self.axis}{extra}"

"""Activation functions (活性化関数): the non-linearities between layers, and the output
activations (恒等関数, シグモイド関数, ソフトマックス関数).

Elementwise activations are twice differentiable: their backward is written with operators
and NumPy names that manabu.functional also provides, so ``create_graph=True`` works (a
gradient penalty, a Hessian-vector product). Where a derivative needs the sigmoid or erf,
which NumPy lacks, it takes SciPy's erf or the stable sigmoid formula on arrays, and the
differentiable ops on Tensors (create_graph=True).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from manabu import backend
from manabu.autograd import Function, Tensor
from manabu.functional import elementwise, reduce
from manabu.functional.arithmetic import unbroadcast
from manabu.functional.elementwise import tanh  # an activation too (models import it here)
from manabu.functional.keywords import axis_or_dim
from manabu.functional.shape import reshape, split
from manabu.random import get_generator
from manabu.tensor import unwrap

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_KAPPA = 0.044715


def _stable_sigmoid(xp, z):
    """1 / (1 + exp(-z)) without overflow: exp only ever sees -|z| <= 0."""
    e = xp.exp(-xp.abs(z))
    y = 1 / (1 + e)
    return xp.where(z >= 0, y, e * y)


def _sigmoid(xp, z):
    """sigmoid(z) inside a backward: the stable formula on arrays; on Tensors
    (create_graph=True) the Sigmoid op, whose derivative y (1 - y) is right at z = 0 too
    (the formula's |z| would give 0 there)."""
    if isinstance(z, Tensor):
        return Sigmoid.apply(z, temperature=1.0)
    return _stable_sigmoid(xp, z)


def _log_softmax(xp, x, axis, temperature=1.0):
    """log softmax(x / T) of an array: z - log(sum(exp(z))), z = (x - max(x)) / T (shifting
    by the max changes nothing but keeps exp from overflowing)."""
    z = x - x.max(axis=axis, keepdims=True)
    if temperature != 1:
        z /= temperature
    return z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True))


class Step(Function):
    """ステップ関数 (Heaviside): y = 1 if x > 0 else 0;  gx = 0 (flat almost everywhere)"""

    twice_differentiable = True

    def forward(self, x):
        return (x > 0).astype(x.dtype)

    def backward(self, gy, xp):
        return 0 * gy


class Sigmoid(Function):
    """シグモイド関数 with 温度 T: y = 1 / (1 + exp(-x / T));  gx = gy * y * (1 - y) / T"""

    twice_differentiable = True

    def __init__(self, temperature):
        self.temperature = temperature

    def forward(self, x):
        z = x / self.temperature if self.temperature != 1 else x
        y = _stable_sigmoid(self.xp, z)
        self.save_for_backward(y)
        return y

    def backward(self, gy, xp):
        (y,) = self.saved
        gx = gy * y * (1 - y)
        return gx / self.temperature if self.temperature != 1 else gx


class ReLU(Function):
    """ReLU関数: y = max(0, x);  gx = gy where x > 0, else 0"""

    twice_differentiable = True

    def forward(self, x):
        self.save_for_backward(x > 0)  # a boolean mask: a quarter of x's memory
        return self.xp.maximum(x, 0)

    def backward(self, gy, xp):
        (positive,) = self.saved
        return gy * positive  # a new array of gy's dtype: gy itself is never written to


class HardTanh(Function):
    """y = min(max(x, low), high);  gx = gy where low < x < high, else 0

    Shared by hard_tanh, relu6 and hard_sigmoid. The interval is open, as in PyTorch's
    hardtanh: at a bound the gradient is 0. (``clip`` keeps torch.clamp's closed interval
    and passes it; the difference matters because exact zeros into relu6 are common.)"""

    twice_differentiable = True

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        self.save_for_backward((x > self.low) & (x < self.high))  # a boolean mask
        return self.xp.clip(x, self.low, self.high)

    def backward(self, gy, xp):
        (inside,) = self.saved
        return gy * inside


class LeakyReLU(Function):
    """Leaky ReLU関数: y = x if x > 0 else slope * x;  gx = gy * (1 or slope)

    Also the randomized ReLU (RReLU): then ``slope`` is an array of one slope per element."""

    twice_differentiable = True

    def __init__(self, slope):
        self.slope = slope  # a number, or an array of one slope per element (RReLU)

    def forward(self, x):
        # scale = 1 where x > 0, else slope; as mask * (1 - slope) + slope, which NumPy
        # runs several times faster than where() with a scalar branch
        slope = self.xp.asarray(self.slope, dtype=x.dtype)
        scale = (x > 0).astype(x.dtype)
        scale *= 1 - slope
        scale += slope
        self.save_for_backward(scale)
        return x * scale

    def backward(self, gy, xp):
        (scale,) = self.saved
        return gy * scale


class PReLU(Function):
    """Parametric ReLU: y = x if x > 0 else w * x, with a learnt slope w per channel;
    gx = gy * (1 or w),  gw = sum of gy * x over the elements where x <= 0"""

    twice_differentiable = True

    def forward(self, x, w):
        positive = x > 0
        self.save_for_backward(x, w, positive)
        return self.xp.where(positive, x, w * x)

    def backward(self, gy, xp):
        x, w, positive = self.saved
        gx = gw = None
        if self.needs_input_grad[0]:
            gx = gy * xp.where(positive, 1, w)
        if self.needs_input_grad[1]:
            gw = unbroadcast(gy * xp.where(positive, 0, x), w.shape)
        return gx, gw


class ELU(Function):
    """ELU: y = x if x > 0 else alpha * (exp(x) - 1);  gx = gy * (1 or y + alpha)"""

    twice_differentiable = True

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        positive = x > 0
        negative_part = self.alpha * self.xp.expm1(self.xp.minimum(x, 0))
        y = self.xp.where(positive, x, negative_part)
        self.save_for_backward(y, positive)
        return y

    def backward(self, gy, xp):
        y, positive = self.saved
        return gy * xp.where(positive, 1, y + self.alpha)


class Softplus(Function):
    """y = log(1 + exp(beta * x)) / beta (and y = x where beta * x > threshold);
    gx = gy * sigmoid(beta * x) (1 past the threshold)"""

    twice_differentiable = True

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = self.xp
        z = self.beta * x
        linear = z > self.threshold
        y = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / self.beta
        self.save_for_backward(x, linear)
        return xp.where(linear, x, y)

    def backward(self, gy, xp):
        x, linear = self.saved
        return gy * xp.where(linear, 1, _sigmoid(xp, self.beta * x))


class GELU(Function):
    """GELU: y = x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2;
    gx = gy * (Phi(x) + x * phi(x)), phi(x) = exp(-x**2 / 2) / sqrt(2 pi).

    approximate='tanh': y = x (1 + tanh(u)) / 2, u = sqrt(2/pi) (x + 0.044715 x**3);
    gx = gy * ((1 + tanh u) / 2 + x (1 - tanh(u)**2) u' / 2).

    Forward keeps Phi(x) (or tanh u) for backward, and both work in place on their own
    temporaries: GELU runs on every MLP activation of a Transformer, so each pass over
    those arrays counts. Under create_graph, backward recomputes them from x with
    differentiable ops instead."""

    twice_differentiable = True

    def __init__(self, approximate):
        self.approximate = approximate  # 'none' (erf) or 'tanh'

    def forward(self, x):
        xp = self.xp
        if self.approximate == "tanh":
            t = x * x
            t *= _GELU_KAPPA
            t += 1
            t *= x
            t *= _SQRT_2_OVER_PI  # u = sqrt(2/pi) x (1 + kappa x^2)
            xp.tanh(t, out=t)
            y = t + 1
        else:
            t = backend.erf(x * (1 / math.sqrt(2.0)))
            t += 1
            t *= 0.5  # Phi(x)
            y = t.copy()
        y *= x
        if self.approximate == "tanh":
            y *= 0.5
        self.save_for_backward(x, t)
        return y

    def backward(self, gy, xp):
        x, t = self.saved
        if isinstance(x, Tensor):  # create_graph: differentiable ops on x
            return gy * self._slope_graph(x, xp)
        if self.approximate == "tanh":  # t = tanh u
            g = x * x
            g *= 3 * _GELU_KAPPA
            g += 1
            g *= 0.5 * _SQRT_2_OVER_PI  # u' / 2
            g *= 1 - t * t
            g *= x
            g += 0.5
            g += 0.5 * t
        else:  # t = Phi(x)
            g = x * x
            g *= -0.5
            xp.exp(g, out=g)
            g *= _INV_SQRT_2PI  # phi(x)
            g *= x
            g += t
        g *= gy
        return g

    def _slope_graph(self, x, xp):
        """dy/dx as a Tensor of x (for double backward)."""
        if self.approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_KAPPA * x * x * x))
            du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_KAPPA * x * x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
        cdf = 0.5 * (1 + xp.erf(x * (1 / math.sqrt(2.0))))
        return cdf + x * (_INV_SQRT_2PI * xp.exp(-0.5 * x * x))


class SiLU(Function):
    """SiLU / Swish: y = x * sigmoid(beta * x);  gx = gy * s * (1 + beta * x * (1 - s)),
    s = sigmoid(beta * x)"""

    twice_differentiable = True

    def __init__(self, beta):
        self.beta = beta

    def forward(self, x):
        self.save_for_backward(x)
        return x * _stable_sigmoid(self.xp, self.beta * x)

    def backward(self, gy, xp):
        (x,) = self.saved
        s = _sigmoid(xp, self.beta * x)
        return gy * s * (1 + self.beta * x * (1 - s))


class Softmax(Function):
    """ソフトマックス関数 with 温度 T: y = exp(x / T) / sum(exp(x / T)) along ``axis``,
    computed after subtracting the max (same result, no overflow);
    gx = y * (gy - sum(gy * y)) / T"""

    twice_differentiable = True

    def __init__(self, axis, temperature):
        self.axis, self.temperature = axis, temperature

    def forward(self, x):
        z = x - x.max(axis=self.axis, keepdims=True)
        if self.temperature != 1:
            z /= self.temperature
        self.xp.exp(z, out=z)
        z /= z.sum(axis=self.axis, keepdims=True)
        self.save_for_backward(z)
        return z

    def backward(self, gy, xp):
        (y,) = self.saved
        gx = y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))
        return gx / self.temperature if self.temperature != 1 else gx


class LogSoftmax(Function):
    """y = log softmax(x / T) = z - log(sum(exp(z))), z = (x - max(x)) / T;
    gx = (gy - softmax * sum(gy)) / T, softmax = exp(y)"""

    twice_differentiable = True

    def __init__(self, axis, temperature):
        self.axis, self.temperature = axis, temperature

    def forward(self, x):
        y = _log_softmax(self.xp, x, self.axis, self.temperature)
        self.save_for_backward(y)
        return y

    def backward(self, gy, xp):
        (y,) = self.saved
        gx = gy - xp.exp(y) * gy.sum(axis=self.axis, keepdims=True)
        return gx / self.temperature if self.temperature != 1 else gx


def _check_temperature(name, temperature):
    if not temperature > 0:
        raise ValueError(f"{name}: temperature must be > 0, got {temperature}")


def step(x: Tensor | ArrayLike) -> Tensor:
    """Heaviside step: 1.0 where x > 0, else 0.0 (its gradient is 0 everywhere)."""
    return Step.apply(x)


def identity(x: Tensor) -> Tensor:
    """恒等関数: y = x (the output activation of regression); returns x itself."""
    return x


def sigmoid(x: Tensor | ArrayLike, temperature: float = 1.0) -> Tensor:
    """1 / (1 + exp(-x / temperature)); stable for any x (no overflow at |x| = 1e4).

    Example:
        >>> x = manabu.tensor([-1e4, 0.0, 1e4], requires_grad=True)
        >>> y = F.sigmoid(x)
        >>> y
        tensor([0. , 0.5, 1. ], dtype=float32, grad_fn=Sigmoid)
        >>> y.sum().backward()
        >>> x.grad  # y (1 - y)
        tensor([0.  , 0.25, 0.  ], dtype=float32)
    """
    _check_temperature("sigmoid", temperature)
    return Sigmoid.apply(x, temperature=temperature)


def relu(x: Tensor | ArrayLike) -> Tensor:
    """ReLU関数 (正規化線形関数): max(0, x); the gradient is 1 where x > 0, else 0 (also at
    x = 0, as PyTorch).

    Args:
        x: a tensor of any shape (arrays and numbers become constants).

    Example:
        >>> x = manabu.tensor([-1.0, 0.0, 2.0], requires_grad=True)
        >>> y = F.relu(x)
        >>> y
        tensor([0., 0., 2.], dtype=float32, grad_fn=ReLU)
        >>> y.sum().backward()
        >>> x.grad
        tensor([0., 0., 1.], dtype=float32)
    """
    return ReLU.apply(x)


def leaky_relu(x: Tensor | ArrayLike, negative_slope: float = 0.01) -> Tensor:
    """Leaky ReLU関数: x where x > 0, else negative_slope * x.

    Example:
        >>> F.leaky_relu(manabu.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2,  3. ], dtype=float32)
    """
    return LeakyReLU.apply(x, slope=negative_slope)


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """Parametric ReLU; ``weight`` has shape (1,) or (C,), C = x.shape[1] (channel axis)."""
    size = weight.size
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.ndim != 1 or size not in (1, channels):
        raise ValueError(
            f"prelu: weight of shape {weight.shape} does not fit input {x.shape}: give 1 "
            f"slope or {channels} (one per channel on axis 1), shape (1,) or ({channels},)"
        )
    if size > 1:
        weight = reshape(weight, (1, size) + (1,) * (x.ndim - 2))  # (1, C, 1, ...)
    return PReLU.apply(x, weight)


def rrelu(x: Tensor, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False,
          generator: np.random.Generator | None = None) -> Tensor:
    """Randomized ReLU: training draws one slope per element from U(lower, upper) (the
    same slopes serve backward); evaluation uses the fixed slope (lower + upper) / 2."""
    if not 0 <= lower <= upper:
        raise ValueError(f"rrelu: need 0 <= lower <= upper, got lower={lower}, upper={upper}")
    if not training:
        return LeakyReLU.apply(x, slope=(lower + upper) / 2)
    if generator is None:
        generator = get_generator()
    data = unwrap(x)
    xp = backend.get_array_module(data)
    slopes = xp.asarray(generator.uniform(lower, upper, size=data.shape).astype(data.dtype))
    return LeakyReLU.apply(x, slope=slopes)


def abs_rectification(x: Tensor | ArrayLike) -> Tensor:
    """Absolute value rectification: y = |x|;  gx = gy * sign(x)."""
    return elementwise.abs(x)


def elu(x: Tensor | ArrayLike, alpha: float = 1.0) -> Tensor:
    """ELU: x where x > 0, else alpha * (exp(x) - 1)."""
    return ELU.apply(x, alpha=alpha)


def selu(x: Tensor | ArrayLike) -> Tensor:
    """SELU: scale * elu(x, alpha) with PyTorch's constants (self-normalising)."""
    return SELU_SCALE * ELU.apply(x, alpha=SELU_ALPHA)


def softplus(x: Tensor | ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (PyTorch's
    rule, which avoids overflow); a smooth ReLU."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


def gelu(x: Tensor | ArrayLike, approximate: str = "none") -> Tensor:
    """GELU (used by GPT and BERT); ``approximate`` is 'none' (exact, erf) or 'tanh'."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(x, approximate=approximate)


def silu(x: Tensor | ArrayLike, beta: float = 1.0) -> Tensor:
    """SiLU / Swish: x * sigmoid(beta * x) (beta=1 is PyTorch's silu)."""
    return SiLU.apply(x, beta=beta)


def swish(x: Tensor | ArrayLike, beta: float = 1.0) -> Tensor:
    """Swish: x * sigmoid(beta * x), the same op as ``silu``."""
    return SiLU.apply(x, beta=beta)


def mish(x: Tensor) -> Tensor:
    """Mish: x * tanh(softplus(x)) (a composition, so its gradient follows by the chain rule)."""
    return x * tanh(softplus(x))


def hard_sigmoid(x: Tensor | ArrayLike) -> Tensor:
    """PyTorch's hardsigmoid: (hard_tanh(x, -3, 3) + 3) / 6 = relu6(x + 3) / 6; gradient
    1/6 on the open interval (-3, 3), 0 elsewhere (at -3 and 3 too, as in PyTorch). (Keras'
    older version used 0.2 x + 0.5 instead.)"""
    # the kinks are tested on x itself, not on x + 3 (which may round onto 6 just below 3)
    return (HardTanh.apply(x, low=-3.0, high=3.0) + 3) / 6


def hard_tanh(x: Tensor | ArrayLike, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """min(max(x, min_val), max_val); gradient 1 strictly between the bounds, 0 at them."""
    return HardTanh.apply(x, low=min_val, high=max_val)


def relu6(x: Tensor | ArrayLike) -> Tensor:
    """min(max(0, x), 6); gradient 1 on the open interval (0, 6), 0 at 0 and 6."""
    return HardTanh.apply(x, low=0.0, high=6.0)


def glu(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """Gated linear unit: split x in halves a, b along ``axis`` (or PyTorch's ``dim``);
    y = a * sigmoid(b)."""
    axis = axis_or_dim("glu", axis, dim, default=-1)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: axis {axis} of input {x.shape} has odd size {x.shape[axis]}; it must split "
            "into two equal halves"
        )
    a, b = split(x, 2, axis=axis)
    return a * sigmoid(b)


def maxout(x: Tensor, pool_size: int, axis: int = 1) -> Tensor:
    """Maxout: the max over consecutive groups of ``pool_size`` units along ``axis``.

    (N, C) -> (N, C // pool_size); the gradient goes to each group's maximum (shared on ties).

    Example:
        >>> F.maxout(manabu.tensor([[1.0, 4.0, 3.0, 2.0]]), pool_size=2)
        tensor([[4., 3.]], dtype=float32)
    """
    axis = axis % x.ndim
    size = x.shape[axis]
    if pool_size < 1 or size % pool_size:
        raise ValueError(
            f"maxout: axis {axis} of input {x.shape} has {size} units, not a multiple of "
            f"pool_size={pool_size}"
        )
    grouped = x.shape[:axis] + (size // pool_size, pool_size) + x.shape[axis + 1:]
    return reduce.max(reshape(x, grouped), axis=axis + 1)  # (..., C // pool, pool, ...) -> max


def softmax(x: Tensor | ArrayLike, axis: int = -1, temperature: float = 1.0, *,
            dim: int | None = None) -> Tensor:
    """ソフトマックス関数 along ``axis`` (or PyTorch's ``dim``); a higher temperature
    flattens the distribution.

    y = exp(x / T) / sum(exp(x / T)), computed after subtracting the max (the same values,
    and exp cannot overflow); gx = y * (gy - sum(gy * y)) / T.

    Args:
        x: scores (logits) of any shape.
        axis: the axis whose entries become probabilities summing to 1. Default: -1
        temperature: T > 0; T > 1 flattens the distribution, T < 1 sharpens it. Not in
            PyTorch. Default: 1.0
        dim: PyTorch's name for ``axis`` (keyword-only).

    Shape:
        Output: the shape of x.

    Example:
        >>> x = manabu.tensor([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])
        >>> F.softmax(x, dim=1).numpy().round(4)  # no overflow at 1000
        array([[0.09  , 0.2447, 0.6652],
               [0.3333, 0.3333, 0.3333]], dtype=float32)
        >>> F.softmax(x[0], temperature=100.0).tolist()  # nearly uniform
        [0.3300..., 0.3333..., 0.3366...]
    """
    axis = axis_or_dim("softmax", axis, dim, default=-1)
    _check_temperature("softmax", temperature)
    return Softmax.apply(x, axis=axis, temperature=temperature)


def log_softmax(x: Tensor | ArrayLike, axis: int = -1, temperature: float = 1.0, *,
                dim: int | None = None) -> Tensor:
    """log(softmax(x / temperature)) along ``axis`` (or PyTorch's ``dim``), computed stably
    (never log of 0).

    Example:
        >>> F.log_softmax(manabu.tensor([0.0, 0.0])).exp()
        tensor([0.5, 0.5], dtype=float32)
    """
    axis = axis_or_dim("log_softmax", axis, dim, default=-1)
    _check_temperature("log_softmax", temperature)
    return LogSoftmax.apply(x, axis=axis, temperature=temperature)

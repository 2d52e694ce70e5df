"""The notes' textbook API: activation functions, losses and their derivatives in plain NumPy.

No autograd here: each function takes and returns NumPy arrays, and each derivative is written
out by hand, so that the exercises of the notes (誤差逆伝播法 by hand, BPTT for the binary
addition RNN) run as written. Everything else in manabu uses ``Tensor``.

Argument order: a loss takes the target (教師信号 ``d``) FIRST and the prediction ``y`` second,
as in the notes. This module is the only place in manabu with that order: the differentiable
losses of ``manabu.functional`` (``F.mean_squared_error(y, t)``, ``F.cross_entropy(input,
target)``, ...) take the prediction first, as PyTorch. "Deep Learning from Scratch"
(ゼロから作るDeep Learning) also puts the prediction first, ``cross_entropy_error(y, t)``;
code copied from the book must swap its arguments.

Batches: the first axis is the batch. A 1-D array given to a loss is treated as a batch of one.

Example:
    >>> y = functions.softmax(np.array([[2.0, 1.0, 0.1]]))  # the notes' output layer
    >>> y.round(3)
    array([[0.659, 0.242, 0.099]])
    >>> d = np.array([[1.0, 0.0, 0.0]])  # one-hot target (教師信号), first
    >>> round(float(functions.cross_entropy_error(d, y)), 4)
    0.417
    >>> functions.d_softmax_with_loss(d, y).round(3)  # (y - d) / N
    array([[-0.341,  0.242,  0.099]])
"""

import numpy as np  # the one import: this module is NumPy and nothing else (a test checks)

# The hints are evaluated when the module loads (no ``from __future__ import annotations``,
# which would be a second import); they are only np.ndarray and builtins, and the one that
# names something else, ``Callable`` (collections.abc), is written as a string.

__all__ = [
    "step_function",
    "identity",
    "sigmoid",
    "d_sigmoid",
    "tanh",
    "d_tanh",
    "relu",
    "d_relu",
    "lrelu",
    "d_lrelu",
    "softmax",
    "mean_squared_error",
    "d_mean_squared_error",
    "cross_entropy_error",
    "d_sigmoid_with_loss",
    "d_softmax_with_loss",
    "numerical_gradient",
]

# Added inside the logarithm of the cross-entropy so that log(0) never happens.
_LOG_EPS = 1e-7


def _as_float(x):
    """x as an ndarray of a floating dtype (float arrays keep theirs, the rest become float64)."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.floating):
        return x
    return x.astype(np.float64)


# --- activation functions (活性化関数) ----------------------------------------------------------


def step_function(x: np.ndarray) -> np.ndarray:
    """Step function (ステップ関数): h(x) = 1 if x > 0 else 0.

    Returns integers 0/1 (the boolean ``x > 0`` cast to int, as in the notes), not floats.
    It has no useful derivative (0 almost everywhere), which is why perceptrons used it and
    networks trained by gradient descent do not.
    """
    return (np.asarray(x) > 0).astype(np.int64)


def identity(x: np.ndarray) -> np.ndarray:
    """Identity function (恒等関数): h(x) = x. The output activation for regression."""
    return x


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Sigmoid function (シグモイド関数): h(x) = 1 / (1 + exp(-x)).

    Computed as 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, with e = exp(-|x|) <= 1,
    so exp never overflows, even for x = -1e4.

    Example:
        >>> functions.sigmoid(np.array([-1e4, 0.0, 2.0])).round(3)
        array([0.   , 0.5  , 0.881])
    """
    x = _as_float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def d_sigmoid(x: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid (シグモイド関数の導関数) w.r.t. its INPUT x.

    h'(x) = h(x) * (1 - h(x)). Pass the pre-activation u, not the output h(u): given an output
    y = h(u), the derivative is simply y * (1 - y).

    Example:
        >>> functions.d_sigmoid(np.array([0.0, 2.0])).round(3)  # largest, 0.25, at 0
        array([0.25 , 0.105])
    """
    y = sigmoid(x)
    return y * (1 - y)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent (双曲線正接関数): h(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))."""
    return np.tanh(x)


def d_tanh(x: np.ndarray) -> np.ndarray:
    """Derivative of tanh (双曲線正接関数の導関数) w.r.t. its input x: h'(x) = 1 - tanh(x)^2.

    Equal to 1 / cosh(x)^2, but without the overflow of cosh for large |x|.
    """
    y = np.tanh(x)
    return 1 - y * y


def relu(x: np.ndarray) -> np.ndarray:
    """ReLU (正規化線形関数, ランプ関数): h(x) = max(0, x)."""
    return np.maximum(0, x)


def d_relu(x: np.ndarray) -> np.ndarray:
    """Derivative of ReLU (正規化線形関数の導関数): h'(x) = 1 if x > 0 else 0.

    At x = 0, where ReLU has no derivative, it returns the subgradient 0. Returns floats.
    """
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def lrelu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU (漏洩正規化線形関数): h(x) = x if x > 0 else alpha * x."""
    x = _as_float(x)
    return np.where(x > 0, x, alpha * x)


def d_lrelu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Derivative of Leaky ReLU: h'(x) = 1 if x > 0 else alpha (alpha also at x = 0)."""
    x = _as_float(x)
    return np.where(x > 0, 1, alpha).astype(x.dtype)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax function (ソフトマックス関数) along the last axis.

    y_k = exp(x_k) / sum_i exp(x_i). Works on one vector (1-D) or a batch (N, K), each row
    giving probabilities that sum to 1. The row's maximum is subtracted first: the value is
    unchanged (the factor exp(-max) cancels) and exp cannot overflow, even for x = 1e4.
    """
    x = _as_float(x)
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


# --- loss functions (損失関数 / 誤差関数) -------------------------------------------------------


def _batch(d, y):
    """d and y as batches: a 1-D y (one sample) becomes a batch of one."""
    d = np.asarray(d)
    y = np.asarray(y)
    if y.ndim == 1:
        d = d.reshape(1, -1)
        y = y.reshape(1, -1)
    return d, y


def mean_squared_error(d: np.ndarray, y: np.ndarray) -> np.floating:
    """Mean squared error (平均二乗誤差), target ``d`` first as in the notes.

    E = (1/N) * sum_n (1/2) * sum_k (y_nk - d_nk)^2, for a batch of N samples (first axis).
    The 1/2 is there so that it cancels the 2 of the derivative: dE/dy = (y - d) / N.
    A 1-D input is one sample (N = 1). Unlike "Deep Learning from Scratch", whose losses take
    the prediction first, the target (教師信号) comes first.

    Same name, other order: the differentiable ``manabu.functional.mean_squared_error(y, t)``
    (on Tensors) takes the prediction first, as PyTorch; it gives the same value.
    """
    d, y = _batch(d, y)
    batch_size = y.shape[0]
    return 0.5 * np.sum((y - d) ** 2) / batch_size


def d_mean_squared_error(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Derivative of ``mean_squared_error(d, y)`` w.r.t. the prediction y: (y - d) / N.

    Target ``d`` first as in the notes (the book "Deep Learning from Scratch" puts the
    prediction first). A 1-D input is one sample (N = 1). The result has the shape of y.
    """
    y = np.asarray(y)
    batch_size = y.shape[0] if y.ndim > 1 else 1
    return (y - d) / batch_size


def cross_entropy_error(d: np.ndarray, y: np.ndarray) -> np.floating:
    """Cross-entropy error (交差エントロピー誤差), target ``d`` first as in the notes.

    E = -(1/N) * sum_n sum_k d_nk * log(y_nk + 1e-7), for probabilities y of shape (N, K).
    d is either one-hot (or any distribution) of the shape of y, or integer class labels of
    shape (N,); then E = -(1/N) * sum_n log(y_n,d_n + 1e-7). The 1e-7 keeps log away from
    log(0) = -inf. A 1-D y is one sample. Unlike "Deep Learning from Scratch", whose losses
    take the prediction first, the target (教師信号) comes first. (The differentiable
    ``manabu.functional.cross_entropy(input, target)`` takes logits, prediction first.)
    """
    d, y = _batch(d, y)
    batch_size = y.shape[0]
    if d.size == y.size:
        return -np.sum(d * np.log(y + _LOG_EPS)) / batch_size
    labels = d.reshape(-1)
    return -np.sum(np.log(y[np.arange(batch_size), labels] + _LOG_EPS)) / batch_size


def d_sigmoid_with_loss(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of sigmoid + binary cross-entropy w.r.t. the pre-activation u: y - d.

    With y = sigmoid(u) and L = -sum [d * log(y) + (1 - d) * log(1 - y)] (summed over the batch,
    not averaged), dL/du = y - d: the sigmoid's y * (1 - y) cancels the loss's denominators.
    Target ``d`` first as in the notes (the book "Deep Learning from Scratch" puts the
    prediction first).
    """
    return np.asarray(y) - d


def d_softmax_with_loss(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of softmax + cross-entropy w.r.t. the scores x, where y = softmax(x).

    For E = cross_entropy_error(d, softmax(x)) averaged over N samples, dE/dx = (y - d) / N,
    with d one-hot; integer labels d are handled as if one-hot. A 1-D y is one sample and the
    result has the shape of y. Target ``d`` first as in the notes (the book "Deep Learning
    from Scratch" puts the prediction first).
    """
    y = np.asarray(y)
    d, y_batch = _batch(d, y)
    batch_size = y_batch.shape[0]
    if d.size == y_batch.size:
        dx = y_batch - d
    else:
        dx = y_batch.copy()
        dx[np.arange(batch_size), d.reshape(-1)] -= 1
    return (dx / batch_size).reshape(y.shape)


# --- numerical differentiation (数値微分) -------------------------------------------------------


def numerical_gradient(f: "Callable[[np.ndarray], float]", x: np.ndarray) -> np.ndarray:
    """Numerical gradient (数値微分) of a scalar function f at x, by central differences.

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h), h = 1e-4, for every element x_i of an array
    of any shape (visited with np.nditer). f is called as f(x) and must read the array x itself:
    each x_i is changed in place, f evaluated, and x_i restored, so x is unchanged afterwards.
    x must be a float array; use float64, since float32 rounding spoils the difference.

    Example:
        >>> x = np.array([3.0, 4.0])
        >>> functions.numerical_gradient(lambda x: np.sum(x ** 2), x).round(6)  # 2x
        array([6., 8.])
    """
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a float array x, got dtype {x.dtype}")
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        original = x[i]
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad

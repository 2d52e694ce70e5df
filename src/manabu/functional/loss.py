"""Loss functions (損失関数): 平均二乗誤差 (MSE), 交差エントロピー誤差 (cross-entropy),
binary cross-entropy, Huber, KL divergence, as PyTorch defines them.

Every loss takes ``reduction``: 'mean' (default), 'sum' or 'none' (one loss per element or
sample), and the prediction (``input``) FIRST, the target second, as PyTorch. The plain-NumPy
versions the notes write by hand (``cross_entropy_error`` with its ``+ 1e-7``) live in
``manabu.functions`` and take the target first, as the notes do; these are the
differentiable, numerically stable ones. Softmax + cross-entropy is one fused op whose
backward is (softmax - t) / N.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Function, Tensor
from manabu.functional import elementwise, reduce
from manabu.functional.activation import _log_softmax, _stable_sigmoid
from manabu.functional.elementwise import exp, log, where
from manabu.functional.shape import getitem, reshape, transpose
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name, reduction, allowed=_REDUCTIONS):
    if reduction not in allowed:
        choices = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{name}: reduction must be one of {choices}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return reduce.mean(loss)
    if reduction == "sum":
        return reduce.sum(loss)
    return loss


def _as_target(target, like):
    """A Tensor target; arrays and lists become constants of the input's dtype (floats),
    integer arrays stay integer (class labels)."""
    if isinstance(target, Tensor):
        return target
    xp = backend.get_array_module(like.data)
    array = xp.asarray(target)
    if array.dtype.kind in "fb":
        array = array.astype(like.dtype)
    return Tensor(array)


def _as_class_target(target, like):
    """Like _as_target, but a bool array stays bool, so the check of the labels can name
    the dtype the caller gave instead of the float it would have become."""
    if isinstance(target, Tensor):
        return target
    array = backend.get_array_module(like.data).asarray(target)
    return Tensor(array) if array.dtype.kind == "b" else _as_target(array, like)


def _as_float_target(target, like):
    """A target of 0/1 values given as integers becomes floating (binary losses)."""
    target = _as_target(target, like)
    if target.dtype.kind != "f":
        target = Tensor(target.data.astype(like.dtype))
    return target


def _check_same_shape(name, prediction, target):
    if prediction.shape != target.shape:
        raise ValueError(
            f"{name}: input {prediction.shape} and target {target.shape} must have the same "
            "shape (broadcasting them would compare every pair); reshape the target to "
            f"{prediction.shape}"
        )


# ---------------------------------------------------------------------- regression losses
def mse_loss(input: Tensor, target: Tensor | ArrayLike,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """平均二乗誤差 as PyTorch: mean((input - target)**2) over every element.

    Args:
        input: the prediction, of any shape.
        target: the target, of the same shape (arrays and lists become constants).
        reduction: 'mean', 'sum' or 'none' (the squared error of every element).
            Default: 'mean'

    Example:
        >>> y = manabu.tensor([[0.5, 1.0], [2.0, 0.0]], requires_grad=True)
        >>> loss = F.mse_loss(y, [[0.0, 1.0], [1.0, 0.0]])
        >>> float(loss)  # (0.5**2 + 1**2) / 4
        0.3125
        >>> loss.backward()
        >>> y.grad  # 2 (y - t) / 4
        tensor([[0.25, 0.  ],
                [0.5 , 0.  ]], dtype=float32)
    """
    _check_reduction("mse_loss", reduction)
    target = _as_target(target, input)
    _check_same_shape("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction)


def mean_squared_error(y: Tensor, t: Tensor | ArrayLike) -> Tensor:
    """The notes' convention: 0.5 * sum((y - t)**2) / batch_size (batch = y.shape[0] for a
    batch, 1 for a single sample). The 1/2 cancels the 2 of the derivative: gy = (y - t) / N.
    Differs from ``mse_loss``, which averages over every element and has no 1/2.

    Argument order: prediction ``y`` FIRST, target ``t`` second, as every loss here and in
    PyTorch. The textbook ``manabu.functions.mean_squared_error(d, y)`` (plain NumPy) takes
    the target first, as the notes write it: same value, arguments swapped."""
    t = _as_target(t, y)
    _check_same_shape("mean_squared_error", y, t)
    batch = y.shape[0] if y.ndim >= 2 else 1
    d = y - t
    return 0.5 * reduce.sum(d * d) / batch


def l1_loss(input: Tensor, target: Tensor | ArrayLike,  # noqa: A002
            reduction: str = "mean") -> Tensor:
    """mean(|input - target|)."""
    _check_reduction("l1_loss", reduction)
    target = _as_target(target, input)
    _check_same_shape("l1_loss", input, target)
    return _reduce(elementwise.abs(input - target), reduction)


def _huber(d, delta, scale):
    """Huber's loss of the error d times ``scale``: quadratic near 0, linear beyond delta,
        scale * 0.5 d**2  where |d| <= delta,   scale * delta * (|d| - delta / 2)  else.
    The scale is folded into the constants, so smooth_l1_loss costs no extra op. At
    |d| = delta both pieces and their slopes agree, so < or <= makes no difference."""
    a = elementwise.abs(d)
    return where(a.data <= delta, (0.5 * scale) * d * d, (scale * delta) * (a - 0.5 * delta))


def huber_loss(input: Tensor, target: Tensor | ArrayLike,  # noqa: A002
               reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d**2 where |d| <= delta, else delta * (|d| - delta / 2), d = input - target."""
    _check_reduction("huber_loss", reduction)
    target = _as_target(target, input)
    _check_same_shape("huber_loss", input, target)
    return _reduce(_huber(input - target, delta, 1.0), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor | ArrayLike,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, else |d| - beta / 2: huber_loss(delta=beta) / beta
    (L1 at beta = 0)."""
    _check_reduction("smooth_l1_loss", reduction)
    target = _as_target(target, input)
    _check_same_shape("smooth_l1_loss", input, target)
    d = input - target
    if beta == 0:
        return _reduce(elementwise.abs(d), reduction)
    return _reduce(_huber(d, beta, 1 / beta), reduction)


# ---------------------------------------------------------------------- classification
class SoftmaxCrossEntropy(Function):
    """交差エントロピー誤差 fused with log-softmax, for logits x of shape (M, C):
        loss_i = -sum_c a_ic * log p_ic,   p_i = softmax(x_i)
    where a_i is the target distribution: one-hot (times the class weight) for an integer
    label, smoothed by label smoothing eps as (1 - eps) a_i + eps / C, zero for ignored rows.
        gx_i = (p_i * sum_c a_ic - a_i) * gy / D,   D = number (weight) of counted rows
    which is the textbook (softmax - t) / N for one-hot targets without weights."""

    def __init__(self, weight, ignore_index, reduction, label_smoothing):
        self.weight = weight  # class weights (C,) or None
        self.ignore_index, self.reduction = ignore_index, reduction
        self.label_smoothing = label_smoothing

    def forward(self, x, t):
        xp = self.xp
        log_p = _log_softmax(xp, x, axis=1)  # (M, C)
        self.save_for_backward(log_p, t)
        if t.dtype.kind in "iu":
            loss, self.denominator = self._labels_forward(log_p, t)
        else:
            loss, self.denominator = self._probabilities_forward(log_p, t)
        if self.reduction == "none":
            return loss
        total = loss.sum()
        if self.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: nan as PyTorch
                total = total / self.denominator
        return xp.asarray(total, dtype=x.dtype)

    def _labels_forward(self, log_p, labels):
        xp = self.xp
        m, c = log_p.shape
        eps = self.label_smoothing
        valid = (labels != self.ignore_index).astype(log_p.dtype)  # (M,)
        self.rows = xp.arange(m)
        self.labels = xp.where(labels != self.ignore_index, labels, 0)
        row_weight = valid if self.weight is None else self.weight[self.labels] * valid
        self.picked = (1 - eps) * row_weight  # a_i at the label, before smoothing's share
        self.smooth = (eps / c) * valid  # a_ic = smooth_i * w_c spread over all classes
        class_mass = c if self.weight is None else self.weight.sum()
        self.row_mass = self.picked + self.smooth * class_mass  # sum_c a_ic
        loss = -self.picked * log_p[self.rows, self.labels]
        if eps > 0:
            weighted = log_p if self.weight is None else log_p * self.weight
            loss = loss - self.smooth * weighted.sum(axis=1)
        return loss, row_weight.sum()

    def _probabilities_forward(self, log_p, t):
        a = self._distribution(t)
        return -(a * log_p).sum(axis=1), log_p.shape[0]

    def _distribution(self, t):
        eps = self.label_smoothing
        a = t if eps == 0 else (1 - eps) * t + eps / t.shape[1]
        return a if self.weight is None else a * self.weight

    def backward(self, gy, xp):
        log_p, t = self.saved
        if self.reduction == "mean":
            # every label ignored: the loss is nan (0 / 0) but, as in PyTorch, no row
            # contributes, so the gradient is 0
            scale = gy / self.denominator if self.denominator != 0 else 0 * gy
        else:
            scale = gy if self.reduction == "sum" else gy[:, None]
        gx = xp.exp(log_p)  # p = softmax(x), a fresh array we may modify
        gt = None
        if t.dtype.kind in "iu":
            gx *= self.row_mass[:, None]
            gx[self.rows, self.labels] -= self.picked
            if self.label_smoothing > 0:
                weight = 1 if self.weight is None else self.weight
                gx -= self.smooth[:, None] * weight
        else:
            a = self._distribution(t)
            gx *= a.sum(axis=1, keepdims=True)
            gx -= a
            if self.needs_input_grad[1]:
                weight = 1 if self.weight is None else self.weight
                gt = -(1 - self.label_smoothing) * weight * log_p * scale
        gx *= scale
        return gx, gt


def _classes_last(name, x, target, axis):
    """Logits (N, C, d1, ...) and their target as 2-D rows (M, C) and labels (M,) or
    probabilities (M, C); also the per-sample shape (N, d1, ...) for reduction='none'."""
    if x.ndim == 0:
        raise ValueError(f"{name}: logits must have a class axis, got a 0-d tensor")
    axis = axis % x.ndim if x.ndim > 1 else 0
    classes = x.shape[axis]
    sample_shape = x.shape[:axis] + x.shape[axis + 1:]
    kind = target.dtype.kind
    if kind == "b" and target.shape == x.shape:  # a one-hot mask: probabilities of 0 and 1
        target, kind = Tensor(target.data.astype(x.dtype)), "f"
    if kind in "iu" and target.shape == sample_shape:
        labels = target.data
    elif kind == "f" and target.shape == x.shape:
        labels = None
    elif kind in "fb" and target.shape == sample_shape:
        what = "bools" if kind == "b" else "floats"
        raise ValueError(
            f"{name}: target {target.shape} holds {what} ({target.dtype}); class labels must "
            f"be integers 0..{classes - 1}: convert with target.astype(np.int64)"
        )
    else:
        raise ValueError(
            f"{name}: logits {x.shape} and target {target.shape} do not match: give integer "
            f"class labels of shape {sample_shape} or one-hot / probabilities of shape "
            f"{x.shape} (classes on axis {axis})"
        )
    if axis != x.ndim - 1:
        perm = tuple(i for i in range(x.ndim) if i != axis) + (axis,)
        x = transpose(x, perm)  # (N, d1, ..., C)
        if labels is None:
            target = transpose(target, perm)  # (N, d1, ..., C)
    x = reshape(x, (-1, classes))  # (M, C)
    if labels is None:
        return x, reshape(target, (-1, classes)), sample_shape  # (M, C)
    return x, Tensor(labels.reshape(-1)), sample_shape  # labels (M,)


def _check_labels(name, labels, classes, ignore_index):
    xp = backend.get_array_module(labels)
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= classes))
    if bool(bad.any()):
        value = int(labels[xp.argmax(bad)])
        raise ValueError(
            f"{name}: target holds label {value}, outside 0..{classes - 1} for {classes} "
            f"classes (ignore_index={ignore_index} marks labels to skip)"
        )


def _class_weight(name, weight, classes, like):
    if weight is None:
        return None
    weight = unwrap(weight)
    if weight.shape != (classes,):
        raise ValueError(f"{name}: weight {weight.shape} must have one value per class: "
                         f"({classes},)")
    return backend.get_array_module(like).asarray(weight, dtype=like.dtype)


def cross_entropy(input: Tensor, target: Tensor | ArrayLike,  # noqa: A002
                  weight: Tensor | np.ndarray | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0,
                  axis: int = 1) -> Tensor:
    """交差エントロピー誤差 of logits (softmax applied inside, stably), like PyTorch's.

    ``input``: logits (N, C) or (N, C, d1, ...) with classes on ``axis`` (or (C,)).
    ``target``: integer labels (N,) / (N, d1, ...), or one-hot / probabilities shaped like
    the logits. 'mean' averages over the non-ignored labels (weighted by ``weight[label]``
    when class weights are given), and over the N (* d1 ...) samples for probabilities.

    Softmax and cross-entropy are one fused op: its backward is (softmax(x) - t) / N.

    Args:
        input: logits (unnormalised scores), classes on ``axis``.
        target: integer class labels, or one-hot / probabilities of the logits' shape.
        weight: one weight per class (C,), scaling each label's loss; None for 1.
            Default: None
        ignore_index: a label whose samples count neither in the loss nor in the mean.
            Default: -100
        reduction: 'mean', 'sum' or 'none' (one loss per sample). Default: 'mean'
        label_smoothing: epsilon in [0, 1]: the target becomes (1 - epsilon) * one_hot +
            epsilon / C. Default: 0.0
        axis: the class axis of ``input``. Not in PyTorch (always 1 there). Default: 1

    Shape:
        - Input: (N, C), (C,) or (N, C, d1, d2, ...) with classes on ``axis``.
        - Target: labels (N,) or (N, d1, ...) of integers in 0..C-1; or probabilities of
          the input's shape.
        - Output: a scalar, or with reduction='none' (N,) or (N, d1, ...).

    Example:
        >>> logits = manabu.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.2]], requires_grad=True)
        >>> loss = F.cross_entropy(logits, np.array([0, 1]))
        >>> round(float(loss), 4)
        0.3143
        >>> loss.backward()
        >>> logits.grad.numpy().round(3)  # (softmax(x) - one_hot) / N
        array([[-0.17 ,  0.121,  0.049],
               [ 0.055, -0.095,  0.041]], dtype=float32)
        >>> round(float(F.cross_entropy(logits, np.eye(3)[[0, 1]])), 4)  # one-hot target
        0.3143
        >>> images = manabu.tensor(np.zeros((2, 5, 4, 4), np.float32))  # (N, C, H, W)
        >>> F.cross_entropy(images, np.zeros((2, 4, 4), np.int64), reduction="none").shape
        (2, 4, 4)
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}"
        )
    target = _as_class_target(target, input)
    x, t, sample_shape = _classes_last("cross_entropy", input, target, axis)
    classes = x.shape[1]
    if t.dtype.kind in "iu":
        _check_labels("cross_entropy", t.data, classes, ignore_index)
    weight = _class_weight("cross_entropy", weight, classes, x.data)
    loss = SoftmaxCrossEntropy.apply(x, t, weight=weight, ignore_index=ignore_index,
                                     reduction=reduction, label_smoothing=label_smoothing)
    if reduction == "none":
        return reshape(loss, sample_shape)  # (N, d1, ...)
    return loss


def nll_loss(input: Tensor, target: Tensor | ArrayLike,  # noqa: A002
             weight: Tensor | np.ndarray | None = None, ignore_index: int = -100,
             reduction: str = "mean", axis: int = 1) -> Tensor:
    """Negative log-likelihood of log-probabilities: -weight[y] * input[y] per sample;
    'mean' divides by the summed weight of the non-ignored samples (PyTorch's rule).

    Example:
        >>> log_p = F.log_softmax(manabu.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.2]]), axis=1)
        >>> round(float(F.nll_loss(log_p, np.array([0, 1]))), 4)  # = cross_entropy
        0.3143
    """
    _check_reduction("nll_loss", reduction)
    target = _as_class_target(target, input)
    if target.dtype.kind not in "iu":
        raise ValueError(f"nll_loss: target must hold integer class labels, got {target.dtype}; "
                         "convert with target.astype(np.int64)")
    x, t, sample_shape = _classes_last("nll_loss", input, target, axis)
    classes = x.shape[1]
    labels = t.data
    _check_labels("nll_loss", labels, classes, ignore_index)
    xp = backend.get_array_module(labels)
    valid = labels != ignore_index
    safe = xp.where(valid, labels, 0)
    row_weight = valid.astype(x.dtype)
    weight = _class_weight("nll_loss", weight, classes, x.data)
    if weight is not None:
        row_weight = row_weight * weight[safe]
    picked = getitem(x, (xp.arange(len(safe)), safe))  # (M,)
    loss = -(picked * row_weight)
    if reduction == "none":
        return reshape(loss, sample_shape)  # (N, d1, ...)
    if reduction == "sum":
        return reduce.sum(loss)
    return reduce.sum(loss) / row_weight.sum()


class BinaryCrossEntropy(Function):
    """l = -(t * log p + (1 - t) * log(1 - p)), each log clamped at -100 (PyTorch's rule);
    gp = gy * (p - t) / max(p (1 - p), 1e-12),  gt = gy * (log(1 - p) - log p)"""

    def forward(self, p, t):
        xp = self.xp
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
            log_p = xp.maximum(xp.log(p), -100)
            log_q = xp.maximum(xp.log1p(-p), -100)
        self.save_for_backward(p, t, log_p, log_q)
        return -(t * log_p + (1 - t) * log_q)

    def backward(self, gy, xp):
        p, t, log_p, log_q = self.saved
        gp = gt = None
        if self.needs_input_grad[0]:
            gp = gy * (p - t) / xp.maximum(p * (1 - p), 1e-12)
        if self.needs_input_grad[1]:
            gt = gy * (log_q - log_p)
        return gp, gt


class BinaryCrossEntropyWithLogits(Function):
    """Sigmoid + binary cross-entropy in one stable formula (x: logits):
        l = (1 - t) x + w_t * softplus(-x),  w_t = 1 + (pos_weight - 1) t
    with softplus(-x) = max(-x, 0) + log1p(exp(-|x|)); without pos_weight this is
    max(x, 0) - x t + log1p(exp(-|x|)).
        gx = gy * (w_t * sigmoid(x) - pos_weight * t)   (sigmoid(x) - t without pos_weight)
        gt = gy * (-x + (pos_weight - 1) * softplus(-x))"""

    def __init__(self, pos_weight):
        self.pos_weight = pos_weight  # an array broadcast along the last axis, or None

    def forward(self, x, t):
        xp = self.xp
        softplus_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        self.save_for_backward(x, t, softplus_neg)
        if self.pos_weight is None:
            return (1 - t) * x + softplus_neg
        return (1 - t) * x + (1 + (self.pos_weight - 1) * t) * softplus_neg

    def backward(self, gy, xp):
        x, t, softplus_neg = self.saved
        s = _stable_sigmoid(xp, x)
        pw = self.pos_weight
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = gy * (s - t) if pw is None else gy * ((1 + (pw - 1) * t) * s - pw * t)
        if self.needs_input_grad[1]:
            gt = -gy * x if pw is None else gy * (-x + (pw - 1) * softplus_neg)
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Tensor | ArrayLike,  # noqa: A002
                         weight: Tensor | ArrayLike | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] (after a sigmoid).
    Prefer binary_cross_entropy_with_logits, which is stable for any logit."""
    _check_reduction("binary_cross_entropy", reduction)
    target = _as_float_target(target, input)
    _check_same_shape("binary_cross_entropy", input, target)
    p = input.data
    if bool(((p < 0) | (p > 1)).any()):
        raise ValueError(
            f"binary_cross_entropy: input values must be probabilities in [0, 1], found "
            f"{float(p.min()):.4g}..{float(p.max()):.4g}; apply sigmoid first or use "
            "binary_cross_entropy_with_logits"
        )
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor | ArrayLike,  # noqa: A002
                                     weight: Tensor | ArrayLike | None = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | ArrayLike | None = None) -> Tensor:
    """Binary cross-entropy of logits (sigmoid applied inside, stable at |x| = 1e4).
    ``pos_weight`` (broadcast along the last axis) scales the loss of positive targets.

    Example:
        >>> logits = manabu.tensor([0.0, 100.0, -100.0])
        >>> loss = F.binary_cross_entropy_with_logits(logits, [1.0, 1.0, 0.0], reduction="none")
        >>> loss.numpy().round(4)  # log 2 at logit 0; no overflow at 100
        array([0.6931, 0.    , 0.    ], dtype=float32)
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _as_float_target(target, input)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is not None:
        pos_weight = backend.get_array_module(input.data).asarray(unwrap(pos_weight),
                                                                  dtype=input.dtype)
    loss = BinaryCrossEntropyWithLogits.apply(input, target, pos_weight=pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor | ArrayLike, reduction: str = "mean",  # noqa: A002
           log_target: bool = False) -> Tensor:
    """KL divergence as PyTorch defines it, ``input`` being log-probabilities:
    target * (log target - input) (0 where target = 0), or with log_target=True
    exp(target) * (target - input). reduction='batchmean' (sum / N) is the true KL;
    'mean' averages over every element."""
    _check_reduction("kl_div", reduction, _REDUCTIONS + ("batchmean",))
    target = _as_target(target, input)
    _check_same_shape("kl_div", input, target)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        safe = where(target.data > 0, target, 1.0)  # log(1) = 0 where target = 0
        loss = target * (log(safe) - input)
    if reduction == "batchmean":
        return reduce.sum(loss) / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)

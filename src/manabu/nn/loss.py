"""Loss modules (損失関数): thin Modules around manabu.functional's losses, PyTorch names.

Every loss takes ``reduction``: 'mean' (the default) averages the per-element (or
per-sample) losses into a scalar, 'sum' adds them, 'none' returns them all. Targets may be
Tensors or plain arrays (a target needs no gradient).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.functional import loss as L
from manabu.nn.module import Module

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from manabu.autograd import Tensor

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss", "L1Loss",
    "MSELoss", "NLLLoss", "SmoothL1Loss",
]


class MSELoss(Module):
    """mean((input - target)**2) (平均二乗誤差); see F.mean_squared_error for the notes' 1/2 form.

    Args:
        reduction: 'mean', 'sum' or 'none' (see the module docstring). Default: 'mean'

    Shape:
        - Input: (*), any shape.
        - Target: (*), the shape of the input.
        - Output: a scalar (shape ()); with reduction='none', (*).

    Example:
        >>> loss = nn.MSELoss()
        >>> loss(manabu.tensor([1.0, 2.0]), manabu.tensor([0.0, 0.0])).item()  # (1 + 4) / 2
        2.5
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.mse_loss(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class L1Loss(MSELoss):
    """mean(|input - target|) (the mean absolute error).

    Args:
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'

    Shape:
        - Input: (*), any shape.
        - Target: (*), the shape of the input.
        - Output: a scalar; with reduction='none', (*).

    Example:
        >>> nn.L1Loss()(manabu.tensor([1.0, -3.0]), manabu.tensor([0.0, 0.0])).item()
        2.0
    """

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.l1_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(Module):
    """Softmax + cross-entropy (交差エントロピー誤差) of logits, fused; labels or one-hot.

    Per sample, with p = softmax(x) over the classes: -log p[label] for an integer label,
    -sum_c t_c log p_c for a one-hot or probability target t. Its gradient with respect to
    the logits is the textbook (p - t) / N for the mean. Give it raw scores, not softmax
    outputs.

    Args:
        weight: a rescaling weight per class, shape (C,); 'mean' then divides by the
            summed weights of the labels. Default: None
        ignore_index: samples with this label count neither in the loss nor in the mean
            (e.g. padding in a sequence). Default: -100
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'
        label_smoothing: in [0, 1]; the target becomes (1 - s) * target + s / C.
            Default: 0.0

    Shape:
        - Input: (N, C) logits, or (N, C, d1, ...) with the classes on axis 1, or (C,).
        - Target: integer labels in [0, C): (N,) or (N, d1, ...); or one-hot /
          probabilities (floats, or a boolean one-hot) of the input's shape.
        - Output: a scalar; with reduction='none', (N,) or (N, d1, ...).

    Example:
        >>> loss = nn.CrossEntropyLoss()
        >>> logits = manabu.tensor(np.zeros((2, 4), np.float32))  # every class 1/4 likely
        >>> round(loss(logits, np.array([0, 3])).item(), 4)  # -log(1/4)
        1.3863
    """

    def __init__(self, weight: Tensor | ArrayLike | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.weight, self.ignore_index = weight, ignore_index
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"


class NLLLoss(Module):
    """Negative log-likelihood of log-probabilities (use after LogSoftmax).

    Per sample: -weight[label] * input[label]. LogSoftmax followed by NLLLoss computes
    the same as CrossEntropyLoss.

    Args:
        weight: a rescaling weight per class, shape (C,); 'mean' divides by the summed
            weight of the non-ignored samples. Default: None
        ignore_index: samples with this label are skipped. Default: -100
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'

    Shape:
        - Input: (N, C) log-probabilities, or (N, C, d1, ...).
        - Target: integer labels in [0, C): (N,) or (N, d1, ...).
        - Output: a scalar; with reduction='none', (N,) or (N, d1, ...).

    Example:
        >>> log_p = nn.LogSoftmax()(manabu.tensor([[0.0, 0.0]]))  # log(1/2) each
        >>> round(nn.NLLLoss()(log_p, np.array([1])).item(), 4)
        0.6931
    """

    def __init__(self, weight: Tensor | ArrayLike | None = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(Module):
    """Binary cross-entropy of probabilities (after a sigmoid).

    Per element: -(t log p + (1 - t) log(1 - p)), each log clamped at -100 as in PyTorch.
    BCEWithLogitsLoss is the stable choice: it takes the logits and fuses the sigmoid.

    Args:
        weight: multiplies the per-element losses (it broadcasts against the input).
            Default: None
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'

    Shape:
        - Input: (*), probabilities in [0, 1].
        - Target: (*), the shape of the input, values in [0, 1] (0/1 integers accepted).
        - Output: a scalar; with reduction='none', (*).

    Example:
        >>> p = manabu.tensor([0.5, 0.5])
        >>> round(nn.BCELoss()(p, np.array([1.0, 0.0])).item(), 4)  # -log(1/2)
        0.6931
    """

    def __init__(self, weight: Tensor | ArrayLike | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.weight, self.reduction = weight, reduction

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(Module):
    """Sigmoid + binary cross-entropy of logits, fused and stable for any logit.

    Per element, for logit x and target t: -(pos_weight t log sigmoid(x) + (1 - t)
    log(1 - sigmoid(x))); its gradient is sigmoid(x) - t without weights.

    Args:
        weight: multiplies the per-element losses (it broadcasts against the input).
            Default: None
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'
        pos_weight: the weight of the positive targets, broadcast along the last axis
            (one per class, (C,)); above 1 it favours recall. Default: None

    Shape:
        - Input: (*), logits.
        - Target: (*), the shape of the input, values in [0, 1].
        - Output: a scalar; with reduction='none', (*).

    Example:
        >>> logits = manabu.tensor([0.0, 0.0])
        >>> round(nn.BCEWithLogitsLoss()(logits, np.array([1.0, 0.0])).item(), 4)
        0.6931
    """

    def __init__(self, weight: Tensor | ArrayLike | None = None, reduction: str = "mean",
                 pos_weight: Tensor | ArrayLike | None = None) -> None:
        super().__init__()
        self.weight, self.reduction, self.pos_weight = weight, reduction, pos_weight

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class HuberLoss(Module):
    """Quadratic below ``delta``, linear above: robust regression.

    Per element, d = input - target: 0.5 d**2 where |d| <= delta, else
    delta (|d| - delta / 2); outliers pull with a bounded gradient (at most delta).

    Args:
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'
        delta: where the quadratic part turns linear; positive. Default: 1.0

    Shape:
        - Input: (*), any shape.
        - Target: (*), the shape of the input.
        - Output: a scalar; with reduction='none', (*).

    Example:
        >>> loss = nn.HuberLoss()
        >>> loss(manabu.tensor([0.5, 3.0]), manabu.tensor([0.0, 0.0])).item()  # (0.125 + 2.5) / 2
        1.3125
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__()
        self.reduction, self.delta = reduction, delta

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(Module):
    """Huber loss divided by ``beta`` (PyTorch's smooth L1).

    Per element, d = input - target: 0.5 d**2 / beta where |d| < beta, else
    |d| - beta / 2 (the L1 loss at beta = 0).

    Args:
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'
        beta: where the quadratic part turns linear; >= 0. Default: 1.0

    Shape:
        - Input: (*), any shape.
        - Target: (*), the shape of the input.
        - Output: a scalar; with reduction='none', (*).

    Example:
        >>> loss = nn.SmoothL1Loss(beta=2.0)
        >>> loss(manabu.tensor([0.5, 3.0]), manabu.tensor([0.0, 0.0])).item()  # (0.0625 + 2) / 2
        1.03125
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__()
        self.reduction, self.beta = reduction, beta

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class KLDivLoss(Module):
    """KL divergence of log-probabilities ``input`` from ``target`` ('batchmean' = true KL).

    Per element: target * (log target - input), 0 where target = 0; with log_target=True
    the target is given as log-probabilities too: exp(target) * (target - input).

    Args:
        reduction: 'mean' (over every element, as PyTorch), 'batchmean' (the sum divided
            by N: the KL divergence per sample), 'sum' or 'none'. Default: 'mean'
        log_target: whether the target holds log-probabilities. Default: False

    Shape:
        - Input: (N, *), log-probabilities (e.g. from LogSoftmax).
        - Target: (N, *), the shape of the input.
        - Output: a scalar; with reduction='none', (N, *).

    Example:
        >>> log_q = manabu.tensor(np.log([[0.25, 0.75]]))
        >>> p = np.array([[0.5, 0.5]])
        >>> round(nn.KLDivLoss(reduction="batchmean")(log_q, p).item(), 4)
        0.1438
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:  # noqa: A002
        return L.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

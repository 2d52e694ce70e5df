"""Classification metrics on predictions (logits or probabilities) and integer labels.

All take NumPy arrays or Tensors and return plain Python numbers or NumPy arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu.autograd import Tensor

if TYPE_CHECKING:
    from typing import Any

    from numpy.typing import ArrayLike

    Scores = Tensor | ArrayLike  # logits or probabilities (N, K)


def _numpy(x: Scores) -> np.ndarray:
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def _labels(target: Scores) -> np.ndarray:
    """Integer labels from labels or one-hot rows."""
    target = _numpy(target)
    return target.argmax(axis=-1) if target.ndim == 2 else target


def accuracy(output: Scores, target: Scores) -> float:
    """Fraction of rows whose highest score is the true class (正解率).

    Args:
        output: scores (N, K); or one logit per row (N,) or (N, 1) for binary
            classification, where a positive logit predicts class 1
        target: integer labels (N,) or one-hot rows (N, K)

    Example:
        >>> train.accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 0, 0]))
        0.6666666666666666
    """
    output, labels = _numpy(output), _labels(target)
    if output.ndim == 1 or output.shape[-1] == 1:  # one logit: binary classification
        predicted = (output.reshape(labels.shape) > 0).astype(labels.dtype)
    else:
        predicted = output.argmax(axis=-1)
    return float((predicted == labels).mean())


def top_k_accuracy(output: Scores, target: Scores, k: int = 5) -> float:
    """Fraction of rows whose true class is among the k highest scores.

    Args:
        output: scores (N, K)
        target: integer labels (N,) or one-hot rows (N, K)
        k: how many of the best scores count. Default: 5

    Example:
        >>> scores = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
        >>> train.top_k_accuracy(scores, np.array([1, 0]), k=2)
        0.5
    """
    output, labels = _numpy(output), _labels(target)
    top_k = np.argpartition(-output, kth=min(k, output.shape[-1]) - 1, axis=-1)[..., :k]
    return float((top_k == labels[..., None]).any(axis=-1).mean())


def confusion_matrix(output: Scores, target: Scores,
                     num_classes: int | None = None) -> np.ndarray:
    """counts[i, j] = examples of true class i predicted as class j (混同行列).

    Args:
        output: scores (N, K), or predicted labels (N,)
        target: integer labels (N,) or one-hot rows (N, K)
        num_classes: K; None: one more than the largest label seen. Default: None

    Returns:
        counts (K, K) int64

    Example:
        >>> train.confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]))
        array([[1, 1],
               [0, 1]])
    """
    output, labels = _numpy(output), _labels(target)
    predicted = output.argmax(axis=-1) if output.ndim > 1 else output.astype(np.int64)
    if num_classes is None:
        num_classes = int(max(labels.max(), predicted.max())) + 1
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def precision_recall_f1(output: Scores, target: Scores, num_classes: int | None = None,
                        average: str | None = "macro") -> dict[str, Any]:
    """Precision (適合率), recall (再現率) and F1 per class, or their macro/micro average.

    precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); a class with
    no predictions (or no examples) scores 0 rather than dividing by zero.

    Args:
        output: scores (N, K), or predicted labels (N,)
        target: integer labels (N,) or one-hot rows (N, K)
        num_classes: K; None: one more than the largest label seen. Default: None
        average: 'macro' (the mean over classes), 'micro' (from the total counts) or None
            (one value per class). Default: 'macro'

    Returns:
        ``{"precision": ..., "recall": ..., "f1": ...}``: floats, or (K,) arrays with
        ``average=None``

    Example:
        >>> scores = train.precision_recall_f1(np.array([0, 1, 1]), np.array([0, 0, 1]),
        ...                                    average=None)
        >>> scores["precision"], scores["recall"]
        (array([1. , 0.5]), array([0.5, 1. ]))
    """
    counts = confusion_matrix(output, target, num_classes).astype(np.float64)
    true_positive = np.diag(counts)
    predicted = counts.sum(axis=0)
    actual = counts.sum(axis=1)
    if average == "micro":
        total = counts.sum()
        p = r = true_positive.sum() / total if total else 0.0
        return {"precision": float(p), "recall": float(r), "f1": float(p)}
    precision = np.divide(true_positive, predicted, out=np.zeros_like(predicted), where=predicted > 0)
    recall = np.divide(true_positive, actual, out=np.zeros_like(actual), where=actual > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(denominator),
                   where=denominator > 0)
    if average is None:
        return {"precision": precision, "recall": recall, "f1": f1}
    if average != "macro":
        raise ValueError(f"precision_recall_f1: average must be 'macro', 'micro' or None, got {average!r}")
    return {"precision": float(precision.mean()), "recall": float(recall.mean()),
            "f1": float(f1.mean())}

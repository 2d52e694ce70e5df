"""Classification metrics on predictions (logits or probabilities) and integer labels.

All take NumPy arrays or Tensors and return plain Python numbers or NumPy arrays.
"""

import numpy as np

from manabu.autograd import Tensor


def _numpy(x):
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def _labels(target):
    """Integer labels from labels or one-hot rows."""
    target = _numpy(target)
    return target.argmax(axis=-1) if target.ndim == 2 else target


def accuracy(output, target):
    """Fraction of rows whose highest score is the true class (正解率)."""
    output, labels = _numpy(output), _labels(target)
    if output.ndim == 1 or output.shape[-1] == 1:  # one logit: binary classification
        predicted = (output.reshape(labels.shape) > 0).astype(labels.dtype)
    else:
        predicted = output.argmax(axis=-1)
    return float((predicted == labels).mean())


def top_k_accuracy(output, target, k=5):
    """Fraction of rows whose true class is among the k highest scores."""
    output, labels = _numpy(output), _labels(target)
    top_k = np.argpartition(-output, kth=min(k, output.shape[-1]) - 1, axis=-1)[..., :k]
    return float((top_k == labels[..., None]).any(axis=-1).mean())


def confusion_matrix(output, target, num_classes=None):
    """counts[i, j] = examples of true class i predicted as class j (混同行列)."""
    output, labels = _numpy(output), _labels(target)
    predicted = output.argmax(axis=-1) if output.ndim > 1 else output.astype(np.int64)
    if num_classes is None:
        num_classes = int(max(labels.max(), predicted.max())) + 1
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def precision_recall_f1(output, target, num_classes=None, average="macro"):
    """Precision (適合率), recall (再現率) and F1 per class, or their macro/micro average.

    precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); a class with
    no predictions (or no examples) scores 0 rather than dividing by zero.
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

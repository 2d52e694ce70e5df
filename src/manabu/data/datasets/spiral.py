"""The classic spiral data set: ``n_classes`` interleaved arms in the plane.

A toy for classifiers that a linear model cannot solve (CS231n, "Deep Learning from Scratch
3"): arm ``j`` is the curve ``(r sin t, r cos t)`` with the radius ``r`` growing from 0 to 1
while the angle ``t`` sweeps 4 radians starting at ``4 j``, plus Gaussian noise on ``t``.
"""

from __future__ import annotations

import numpy as np

from manabu import backend


def spiral(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: x (n_per_class * n_classes, 2) default float dtype, y (same N,) int64.

    Points are ordered by class (arm 0 first); shuffle them with the DataLoader. ``noise``
    is the standard deviation of the Gaussian jitter on the angle.

    Args:
        n_per_class: points per arm. Default: 100
        n_classes: arms (classes). Default: 3
        noise: the standard deviation of the jitter on the angle. Default: 0.2
        seed: the seed of the jitter. Default: 0

    Example:
        >>> x, y = data.spiral(n_per_class=10)
        >>> x.shape, np.bincount(y).tolist()
        ((30, 2), [10, 10, 10])
    """
    rng = np.random.default_rng(seed)
    n = n_per_class * n_classes
    x = np.empty((n, 2), dtype=np.float64)
    y = np.empty(n, dtype=np.int64)
    radius = np.linspace(0.0, 1.0, n_per_class)
    for arm in range(n_classes):
        rows = slice(arm * n_per_class, (arm + 1) * n_per_class)
        angle = np.linspace(arm * 4.0, (arm + 1) * 4.0, n_per_class)
        angle = angle + rng.normal(0.0, 1.0, n_per_class) * noise
        x[rows, 0] = radius * np.sin(angle)
        x[rows, 1] = radius * np.cos(angle)
        y[rows] = arm
    return x.astype(backend.get_default_dtype()), y

"""The classic spiral data set: ``n_classes`` interleaved arms in the plane.

A toy for classifiers that a linear model cannot solve (CS231n, "Deep Learning from Scratch
3"): arm ``j`` is the curve ``(r sin t, r cos t)`` with the radius ``r`` growing from 0 to 1
while the angle ``t`` sweeps 4 radians starting at ``4 j``, plus Gaussian noise on ``t``.
"""

import numpy as np

from manabu import backend


def spiral(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """``(x, y)``: x (n_per_class * n_classes, 2) default float dtype, y (same N,) int64.

    Points are ordered by class (arm 0 first); shuffle them with the DataLoader. ``noise``
    is the standard deviation of the Gaussian jitter on the angle.
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

"""The notes' linear-regression toy: y = 3 x0 + 2 x1 + noise (線形回帰)."""

import numpy as np

from manabu import backend

TRUE_WEIGHTS = (3.0, 2.0)  # the weights a fitted linear model should recover (no bias)


def linear_toy(n=100, noise=0.1, seed=0):
    """``(x, y)``: x (n, 2) uniform in [0, 1), y = 3 x0 + 2 x1 + noise (n, 1); default float.

    ``noise`` is the standard deviation of the Gaussian noise added to y; least squares on
    the result gives weights close to ``TRUE_WEIGHTS`` = (3, 2).
    """
    rng = np.random.default_rng(seed)
    x = rng.random((n, 2))
    y = x @ np.asarray(TRUE_WEIGHTS).reshape(2, 1) + rng.normal(0.0, 1.0, (n, 1)) * noise
    dtype = backend.get_default_dtype()
    return x.astype(dtype), y.astype(dtype)

"""The notes' linear-regression toy: y = 3 x0 + 2 x1 + noise (線形回帰)."""

from __future__ import annotations

import numpy as np

from manabu import backend

TRUE_WEIGHTS = (3.0, 2.0)  # the weights a fitted linear model should recover (no bias)


def linear_toy(n: int = 100, noise: float = 0.1,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: x (n, 2) uniform in [0, 1), y = 3 x0 + 2 x1 + noise (n, 1); default float.

    ``noise`` is the standard deviation of the Gaussian noise added to y; least squares on
    the result gives weights close to ``TRUE_WEIGHTS`` = (3, 2).

    Args:
        n: how many points. Default: 100
        noise: the standard deviation of the noise on y. Default: 0.1
        seed: the seed of the draws. Default: 0

    Example:
        >>> x, y = data.linear_toy(n=200, noise=0.0)
        >>> w, *_ = np.linalg.lstsq(x, y, rcond=None)               # least squares
        >>> x.shape, y.shape, np.round(w.ravel(), 3)
        ((200, 2), (200, 1), array([3., 2.], dtype=float32))
    """
    rng = np.random.default_rng(seed)
    x = rng.random((n, 2))
    y = x @ np.asarray(TRUE_WEIGHTS).reshape(2, 1) + rng.normal(0.0, 1.0, (n, 1)) * noise
    dtype = backend.get_default_dtype()
    return x.astype(dtype), y.astype(dtype)

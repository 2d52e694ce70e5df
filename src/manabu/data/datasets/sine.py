"""A noisy sine wave: the regression toy of "Deep Learning from Scratch 3"."""

from __future__ import annotations

import numpy as np

from manabu import backend


def noisy_sine(n: int = 100, noise: float = 0.1,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: x (n, 1) uniform in [0, 1), y = sin(2 pi x) + noise (n, 1); default float.

    ``noise`` is the standard deviation of the Gaussian noise added to y.

    Args:
        as :func:`~manabu.data.linear_toy` (n, noise, seed, with the same defaults).

    Example:
        >>> x, y = data.noisy_sine(n=50, noise=0.0)
        >>> x.shape, y.shape, bool(np.allclose(y, np.sin(2 * np.pi * x), atol=1e-6))
        ((50, 1), (50, 1), True)
    """
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1))
    y = np.sin(2 * np.pi * x) + rng.normal(0.0, 1.0, (n, 1)) * noise
    dtype = backend.get_default_dtype()
    return x.astype(dtype), y.astype(dtype)

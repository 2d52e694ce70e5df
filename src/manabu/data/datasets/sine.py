"""A noisy sine wave: the regression toy of "Deep Learning from Scratch 3"."""

import numpy as np

from manabu import backend


def noisy_sine(n=100, noise=0.1, seed=0):
    """``(x, y)``: x (n, 1) uniform in [0, 1), y = sin(2 pi x) + noise (n, 1); default float.

    ``noise`` is the standard deviation of the Gaussian noise added to y.
    """
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1))
    y = np.sin(2 * np.pi * x) + rng.normal(0.0, 1.0, (n, 1)) * noise
    dtype = backend.get_default_dtype()
    return x.astype(dtype), y.astype(dtype)

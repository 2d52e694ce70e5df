"""Gaussian mixtures in the plane, the toy data of GAN papers: a generator that only finds
some of the modes (mode collapse, モード崩壊) is seen at a glance, and counted by
``train.mode_coverage``.
"""

from __future__ import annotations

import numpy as np

from manabu import backend


def gaussian_ring(n: int = 2048, modes: int = 8, radius: float = 1.0, std: float = 0.05,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(points, centres)``: n points (n, 2) drawn from ``modes`` Gaussians of standard
    deviation ``std`` whose centres (modes, 2) are evenly spaced on a circle of ``radius``
    (the 8-Gaussian ring of Metz et al., 2017), each mode equally likely.

    Args:
        n: points. Default: 2048
        modes: Gaussians on the circle, >= 1. Default: 8
        radius: the circle's radius. Default: 1.0
        std: each Gaussian's standard deviation. Default: 0.05
        seed: the seed. Default: 0

    Example:
        >>> points, centres = data.gaussian_ring(n=100)
        >>> points.shape, centres.shape, np.round(centres[2], 6).tolist()
        ((100, 2), (8, 2), [0.0, 1.0])
    """
    if int(modes) < 1 or int(n) < 0 or std < 0:
        raise ValueError(f"gaussian_ring: need modes >= 1, n >= 0 and std >= 0, got "
                         f"modes={modes}, n={n}, std={std}")
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(modes) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    points = centres[rng.integers(0, modes, n)] + std * rng.standard_normal((n, 2))
    dtype = backend.get_default_dtype()
    return points.astype(dtype), centres.astype(dtype)

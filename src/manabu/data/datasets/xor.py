"""XOR: the four corners of the unit square, labelled by exclusive or.

The notes' example of what one perceptron cannot learn but two layers can: inputs near
(0, 0) and (1, 1) are class 0, inputs near (0, 1) and (1, 0) are class 1.
"""

from __future__ import annotations

import numpy as np

from manabu import backend


def xor(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: x (n, 2) default float dtype, y (n,) int64 in {0, 1}.

    Each point is a random corner ``(a, b)`` with ``a, b`` in {0, 1} plus Gaussian noise of
    standard deviation ``noise``; its label is ``a XOR b``. With ``noise=0`` the points are
    exactly the XOR truth table.

    Args:
        n: how many points. Default: 200
        noise: the standard deviation of the noise on the corners. Default: 0.1
        seed: the seed of the draws. Default: 0

    Example:
        >>> x, y = data.xor(n=6, noise=0.0)
        >>> all(int(a) ^ int(b) == t for (a, b), t in zip(x, y))
        True
    """
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    x = corners + rng.normal(0.0, 1.0, (n, 2)) * noise
    y = np.bitwise_xor(corners[:, 0], corners[:, 1]).astype(np.int64)
    return x.astype(backend.get_default_dtype()), y

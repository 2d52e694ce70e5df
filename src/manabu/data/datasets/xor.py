"""XOR: the four corners of the unit square, labelled by exclusive or.

The notes' example of what one perceptron cannot learn but two layers can: inputs near
(0, 0) and (1, 1) are class 0, inputs near (0, 1) and (1, 0) are class 1.
"""

import numpy as np

from manabu import backend


def xor(n=200, noise=0.1, seed=0):
    """``(x, y)``: x (n, 2) default float dtype, y (n,) int64 in {0, 1}.

    Each point is a random corner ``(a, b)`` with ``a, b`` in {0, 1} plus Gaussian noise of
    standard deviation ``noise``; its label is ``a XOR b``. With ``noise=0`` the points are
    exactly the XOR truth table.
    """
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    x = corners + rng.normal(0.0, 1.0, (n, 2)) * noise
    y = np.bitwise_xor(corners[:, 0], corners[:, 1]).astype(np.int64)
    return x.astype(backend.get_default_dtype()), y

"""manabu's random number generator: ``manual_seed(n)`` makes a run repeatable.

Ops that draw random numbers (dropout, rrelu, weight initialisation) take an explicit
``generator=np.random.Generator``; when none is given they use the one generator kept here,
which ``manual_seed`` replaces (the same global state PyTorch's torch.manual_seed sets).
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed manabu's global generator in place (code holding it sees the new seed);
    returns it. The same seed gives the same stream as ``np.random.default_rng(seed)``.

    Args:
        seed: a non-negative integer (anything ``np.random.default_rng`` accepts).

    Example:
        >>> a = manabu.manual_seed(0).random(2)
        >>> b = manabu.manual_seed(0).random(2)
        >>> bool((a == b).all()), bool((a == np.random.default_rng(0).random(2)).all())
        (True, True)
    """
    _generator.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    return _generator


def get_generator() -> np.random.Generator:
    """The global ``np.random.Generator`` used when an op is given no generator."""
    return _generator

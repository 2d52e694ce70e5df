"""manabu's random number generator: ``manual_seed(n)`` makes a run repeatable.

Ops that draw random numbers (dropout, rrelu, weight initialisation) take an explicit
``generator=np.random.Generator``; when none is given they use the one generator kept here,
which ``manual_seed`` replaces (the same global state PyTorch's torch.manual_seed sets).
"""

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed manabu's global generator in place (code holding it sees the new seed);
    returns it. The same seed gives the same stream as ``np.random.default_rng(seed)``."""
    _generator.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    return _generator


def get_generator():
    """The global ``np.random.Generator`` used when an op is given no generator."""
    return _generator

"""Differentiable functions on Tensors (import manabu.functional as F).

Each op is a Function class with forward and backward side by side, plus a lowercase
function that applies it. The names match NumPy's where NumPy has the operation, which
also lets a twice-differentiable backward use this module in place of NumPy.
"""

from manabu.functional.arithmetic import (
    add, div, matmul, mul, neg, pow, sub, sum_to_shape, to, unbroadcast,
)
from manabu.functional.elementwise import (
    abs, clamp, clip, cos, erf, exp, log, maximum, minimum, sign, sin, sqrt, tanh, where,
)
from manabu.functional.reduce import (
    argmax, argmin, logsumexp, max, mean, min, std, sum, var,
)
from manabu.functional.shape import (
    broadcast_to, cat, concatenate, expand_dims, flatten, getitem, pad, reshape, split,
    squeeze, stack, swapaxes, transpose, unsqueeze,
)

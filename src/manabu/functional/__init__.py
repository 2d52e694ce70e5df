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
from manabu.functional.activation import (
    abs_rectification, elu, gelu, glu, hard_sigmoid, hard_tanh, identity, leaky_relu,
    log_softmax, maxout, mish, prelu, relu, relu6, rrelu, selu, sigmoid, silu, softmax,
    softplus, step, swish,
)
from manabu.functional.dropout import alpha_dropout, dropout
from manabu.functional.linear import linear
from manabu.functional.loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div,
    l1_loss, mean_squared_error, mse_loss, nll_loss, smooth_l1_loss,
)
from manabu.functional.norm import batch_norm, layer_norm
from manabu.functional.embedding import embedding

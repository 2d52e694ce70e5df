"""Differentiable functions on Tensors (import manabu.functional as F).

Each op is a Function class with forward and backward side by side, plus a lowercase
function that applies it. The names match NumPy's where NumPy has the operation
(``F.sum`` as ``np.sum``). ``tensor_math`` is the namespace a twice-differentiable backward
gets as ``xp`` under create_graph=True (see manabu.autograd).
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
from manabu.functional.gru import gru, gru_cell
from manabu.functional.lstm import lstm, lstm_cell
from manabu.functional.rnn import rnn, rnn_cell
from manabu.functional.conv import (
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d,
)
from manabu.functional.pooling import (
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, avg_pool1d, avg_pool2d,
    avg_pool3d, global_avg_pool, max_pool1d, max_pool2d, max_pool3d,
)
from manabu.functional.attention import (
    additive_attention, dot_product_attention, masked_softmax, merge_heads,
    scaled_dot_product_attention, split_heads,
)
from manabu.functional.frelu import frelu, funnel_condition
from manabu.functional.group_norm import group_norm, instance_norm
from manabu.functional.word2vec import embedding_dot
from manabu.functional.latent import gaussian_kl, kl_sparsity, l1_activity, reparameterize
from manabu.functional.vector_quantize import (
    nearest_code, squared_distances, straight_through, vector_quantize,
)
from manabu.functional.tensor_math import tensor_math

__all__ = [
    "abs", "abs_rectification", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "add", "additive_attention", "alpha_dropout", "argmax", "argmin",
    "avg_pool1d", "avg_pool2d", "avg_pool3d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "broadcast_to", "cat", "clamp", "clip", "concatenate",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "cos", "cross_entropy", "div", "dot_product_attention", "dropout", "elu", "embedding",
    "embedding_dot", "erf", "exp", "expand_dims", "flatten", "frelu", "funnel_condition", "gaussian_kl", "gelu",
    "getitem", "global_avg_pool", "glu", "group_norm", "gru", "gru_cell", "hard_sigmoid",
    "hard_tanh", "huber_loss", "identity", "instance_norm", "kl_div", "kl_sparsity", "l1_activity", "l1_loss", "layer_norm",
    "leaky_relu", "linear", "log", "log_softmax", "logsumexp", "lstm", "lstm_cell",
    "masked_softmax", "matmul", "max", "max_pool1d", "max_pool2d", "max_pool3d", "maximum",
    "maxout", "mean", "mean_squared_error", "merge_heads", "min", "minimum", "mish", "mse_loss",
    "mul", "nearest_code", "neg", "nll_loss", "pad", "pow", "prelu", "relu", "relu6", "reparameterize", "reshape", "rnn",
    "rnn_cell", "rrelu", "scaled_dot_product_attention", "selu", "sigmoid", "sign", "silu", "sin",
    "smooth_l1_loss", "softmax", "softplus", "split", "split_heads", "sqrt", "squared_distances", "squeeze", "stack",
    "std", "step", "straight_through", "sub", "sum", "sum_to_shape", "swapaxes", "swish", "tanh", "tensor_math", "to",
    "transpose", "unbroadcast", "unsqueeze", "var", "vector_quantize", "where",
]

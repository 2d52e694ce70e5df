"""Activation functions (活性化関数) and their derivatives, drawn on -5..5 in steps of 0.1.

Each derivative is computed by manabu's autograd (backward of the sum of f(x)), not typed
in by hand, so the figure also shows that backprop gets every slope right. Expect: the
sigmoid's slope peaks at 0.25 (why deep sigmoid networks suffer 勾配消失), ReLU's is 0 or 1.
"""

import os

import numpy as np

from manabu import functional as F
from manabu import plot
from manabu.autograd import Tensor

CURVES = {
    "step": F.step,
    "identity": F.identity,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "ReLU": F.relu,
    "leaky ReLU (0.1)": lambda x: F.leaky_relu(x, 0.1),
    "|x| rectification": F.abs_rectification,
    "ELU": F.elu,
    "SELU": F.selu,
    "softplus": F.softplus,
    "GELU": F.gelu,
    "swish / SiLU": F.silu,
    "mish": F.mish,
    "hard sigmoid": F.hard_sigmoid,
    "sigmoid (T=2)": lambda x: F.sigmoid(x, temperature=2.0),
}


def value_and_slope(function, x):
    """f(x) and f'(x) for a NumPy grid x, through autograd."""
    t = Tensor(x.astype(np.float64), requires_grad=True)
    y = function(t)
    y.sum().backward()
    slope = t.grad.numpy() if t.grad is not None else np.zeros_like(x)
    return y.numpy(), slope


def draw(path):
    """Save the figure of every activation and its derivative to ``path``."""
    x = np.arange(-5.0, 5.0, 0.1)
    pairs = {}
    for name, function in CURVES.items():
        values, slopes = value_and_slope(function, x)
        pairs[name] = (lambda _, v=values: v, lambda _, s=slopes: s)
    return plot.activation_functions(pairs, path, x=x)


def run(quick=False, out="lessons-output"):
    x = np.arange(-5.0, 5.0, 0.1)
    _, sigmoid_slope = value_and_slope(F.sigmoid, x)
    _, relu_slope = value_and_slope(F.relu, x)
    path = draw(os.path.join(out, "activations.png"))
    result = {
        "sigmoid_max_slope": float(sigmoid_slope.max()),
        "relu_slopes": sorted({float(s) for s in relu_slope}),
        "figure": path,
    }
    print(f"sigmoid's largest slope {result['sigmoid_max_slope']:.4f} (theory: 0.25); "
          f"ReLU's slopes {result['relu_slopes']}")
    print(f"figure: {path}")
    return result

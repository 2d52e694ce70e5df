"""Linear: the fully connected (全結合) layer, the notes' Affine layer."""

import math

import numpy as np

from manabu import backend
from manabu.functional.linear import check_input_type, linear
from manabu.nn import init as nn_init
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter

__all__ = ["Linear"]

_INITS = ("kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform",
          "orthogonal", "torch")


class Linear(Module):
    """y = x @ W^T + b  (the notes' Affine layer: ``out = np.dot(x, W) + b``).

    ``weight`` has shape (out_features, in_features) as in PyTorch (the notes store its
    transpose, (in, out)); ``bias`` has shape (out_features,). Input (..., in_features),
    output (..., out_features); backward: gx = gy @ W, gW = gy^T @ x, gb = sum(gy).

    Initialisation follows the notes' advice rather than PyTorch's default: the weight is
    drawn with He's method (``init='kaiming_normal'``, std = sqrt(2 / in_features)), right
    for ReLU-family layers, and the bias starts at zero. For sigmoid or tanh layers use
    Xavier (``init='xavier_normal'`` or ``'xavier_uniform'``); ``nonlinearity`` picks the
    gain (``nn.init.calculate_gain``) and defaults to 'relu' for He, 'linear' (gain 1)
    otherwise. ``init='torch'`` reproduces PyTorch's default, U(-1/sqrt(in), 1/sqrt(in)) for
    both weight and bias. ``init`` may also be a function called as ``init(weight)``.
    """

    def __init__(self, in_features, out_features, bias=True, init="kaiming_normal",
                 nonlinearity=None, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {value!r}")
        if not callable(init) and init not in _INITS:
            raise ValueError(f"Linear: unknown init {init!r}; use one of {list(_INITS)}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.init = init
        self.nonlinearity = nonlinearity
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weight again (with ``init``) and reset the bias."""
        method = self.init
        if callable(method):
            method(self.weight)
        elif method == "torch":
            bound = 1 / math.sqrt(self.in_features)
            nn_init.uniform_(self.weight, -bound, bound)
        elif method.startswith("kaiming"):
            fill = getattr(nn_init, method + "_")  # kaiming_normal_ or kaiming_uniform_
            fill(self.weight, nonlinearity=self.nonlinearity or "relu")
        else:
            gain = nn_init.calculate_gain(self.nonlinearity or "linear")
            getattr(nn_init, method + "_")(self.weight, gain=gain)
        if self.bias is None:
            return
        if method == "torch":
            bound = 1 / math.sqrt(self.in_features)
            nn_init.uniform_(self.bias, -bound, bound)
        else:
            nn_init.zeros_(self.bias)

    def forward(self, x):
        check_input_type(self._describe(), x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self._describe()}: input of shape {tuple(x.shape)} has "
                f"{x.shape[-1] if x.ndim else 'no'} features on its last axis, expected "
                f"{self.in_features}; check the previous layer's output size, or flatten "
                "images first (nn.Flatten())"
            )
        return linear(x, self.weight, self.bias)

    def _describe(self):
        return f"Linear({self.in_features}, {self.out_features})"

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")

"""Linear: the fully connected (全結合) layer, the notes' Affine layer."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.functional.linear import check_input_type, linear
from manabu.nn import init as nn_init
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import DTypeLike

    from manabu.autograd import Tensor

__all__ = ["Linear"]


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

    Args:
        in_features: the size of each input vector (the input's last axis).
        out_features: the size of each output vector.
        bias: if False, the layer has no additive bias (``bias`` is None). Default: True
        init: how ``weight`` is drawn: 'kaiming_normal', 'kaiming_uniform',
            'xavier_normal', 'xavier_uniform', 'orthogonal', 'torch' (PyTorch's default),
            or a function ``init(weight)``; the bias starts at zero except with 'torch'.
            Not in PyTorch. Default: 'kaiming_normal'
        nonlinearity: the activation that follows, for the gain of the init
            (``nn.init.calculate_gain``); None means 'relu' for He, 'linear' otherwise.
            Not in PyTorch. Default: None
        dtype: the parameters' dtype; None means the default dtype (float32).
            Default: None

    Shape:
        - Input: (*, H_in) where * is any number of leading axes (none included) and
          H_in = in_features.
        - Output: (*, H_out): the leading axes of the input, H_out = out_features.

    Example:
        >>> layer = nn.Linear(20, 30)
        >>> layer(manabu.tensor(np.ones((128, 20), np.float32))).shape
        (128, 30)
        >>> layer.weight.shape, layer.bias.shape
        ((30, 20), (30,))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str | Callable[[Tensor], object] = "kaiming_normal",
                 nonlinearity: str | None = None, dtype: DTypeLike = None) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {value!r}")
        nn_init.check_layer_init("Linear", init)
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

    def reset_parameters(self) -> None:
        """Draw the weight again (with ``init``) and reset the bias."""
        if self.init == "torch":
            bound = 1 / math.sqrt(self.in_features)
            nn_init.uniform_(self.weight, -bound, bound)
        else:
            nn_init.layer_weight_(self.weight, self.init, self.nonlinearity)
        nn_init.layer_bias_(self.bias, self.init, self.in_features)

    def forward(self, x: Tensor) -> Tensor:
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

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")

"""Single-step recurrent cells: RNNCell, LSTMCell, GRUCell (as PyTorch's).

A cell computes one time step, for loops that decide their next input from their last
output (a Seq2Seq decoder feeding back its own prediction, beam search). To run a whole
known sequence use nn.RNN / nn.LSTM / nn.GRU, whose fused ops are much faster.

    x   (N, input_size)  or (input_size,) unbatched
    h   (N, hidden_size) (and c for an LSTM); None means zeros

Parameters are named and shaped as PyTorch's: ``weight_ih`` (G*H, input_size),
``weight_hh`` (G*H, H), ``bias_ih`` and ``bias_hh`` (G*H,), with G = 1 (RNN), 4 (LSTM,
gates i, f, g, o) or 3 (GRU, gates r, z, n), drawn from U(-1/sqrt(H), 1/sqrt(H)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.functional.gru import gru_cell
from manabu.functional.lstm import lstm_cell
from manabu.functional.rnn import rnn_cell
from manabu.functional.shape import expand_dims, squeeze
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter
from manabu.nn.recurrent import as_tensor, check_init, check_sizes, init_recurrent

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, DTypeLike

    from manabu.autograd import Tensor

__all__ = ["RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """What the three cells share: parameters, initialisation, input and state checks."""

    gates = 1
    n_states = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 init: str | Callable[[Tensor], object] = "torch",
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        name = type(self).__name__
        check_sizes(name, input_size=input_size, hidden_size=hidden_size)
        check_init(name, init)
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.bias = bool(bias)
        self.init = init
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        rows = self.gates * self.hidden_size
        self.weight_ih = Parameter(np.empty((rows, self.input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((rows, self.hidden_size), dtype=dtype))
        if self.bias:
            self.bias_ih = Parameter(np.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(np.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight again with ``init`` (see nn.recurrent.init_recurrent)."""
        params = dict(self.named_parameters(recurse=False))
        init_recurrent(params, self.gates, self.hidden_size, self.init)

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _describe(self):
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def _prepare(self, x, hx):
        """Check x and hx; returns (x (N, D), states (N, H) or None, unbatched)."""
        x = as_tensor(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self._describe()}: expected one time step x of shape (N, "
                f"{self.input_size}) or ({self.input_size},), got {tuple(x.shape)}; for a "
                "whole (N, T, D) sequence use nn.RNN / nn.LSTM / nn.GRU"
            )
        unbatched = x.ndim == 1
        if unbatched:
            x = expand_dims(x, 0)  # (1, D)
        if hx is None:
            return x, (None,) * self.n_states, unbatched
        if self.n_states > 1:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self._describe()}: hx must be a tuple (h, c), got "
                                f"{type(hx).__name__}")
            states = [as_tensor(h) for h in hx]
        else:
            states = [as_tensor(hx)]
        expected = (self.hidden_size,) if unbatched else (x.shape[0], self.hidden_size)
        for name, h in zip(("h", "c"), states):
            if tuple(h.shape) != expected:
                raise ValueError(
                    f"{self._describe()}: {name} must have shape {expected} for x of shape "
                    f"{tuple(x.shape[1:] if unbatched else x.shape)}, got {tuple(h.shape)}"
                )
        if unbatched:
            states = [expand_dims(h, 0) for h in states]  # (1, H)
        return x, tuple(states), unbatched

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        return text if self.bias else text + ", bias=False"


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).
    ``forward(x, hx=None)`` returns h' (N, H).

    Args:
        input_size: H_in, the features of x.
        hidden_size: H, the size of the state.
        bias: if False, no ``bias_ih`` and ``bias_hh``. Default: True
        nonlinearity: 'tanh' or 'relu'. Default: 'tanh'
        init: 'torch' (U(-1/sqrt(H), 1/sqrt(H)), PyTorch's), 'xavier_normal',
            'xavier_uniform', 'orthogonal' or a function, as in nn.RNN. Not in PyTorch.
            Default: 'torch'
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    Shape:
        - Input: x (N, H_in), or (H_in,) unbatched.
        - hx: h (N, H), or (H,); None means zeros.
        - Output: h' (N, H), or (H,).

    Example:
        >>> cell = nn.RNNCell(10, 20)
        >>> h = None
        >>> for t in range(3):  # one step at a time, e.g. feeding back a prediction
        ...     h = cell(manabu.tensor(np.ones((4, 10), np.float32)), h)
        >>> h.shape
        (4, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", init: str | Callable[[Tensor], object] = "torch",
                 dtype: DTypeLike = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, init, dtype)

    def forward(self, x: Tensor | ArrayLike, hx: Tensor | None = None) -> Tensor:
        x, (h,), unbatched = self._prepare(x, hx)
        h_next = rnn_cell(x, h, *self._weights(), nonlinearity=self.nonlinearity)
        return squeeze(h_next, 0) if unbatched else h_next

    def extra_repr(self) -> str:
        extra = ", nonlinearity='relu'" if self.nonlinearity == "relu" else ""
        return super().extra_repr() + extra


class LSTMCell(RNNCellBase):
    """One LSTM step, gates (i, f, g, o) in one (N, 4H) matmul:
    c' = sigmoid(f) * c + sigmoid(i) * tanh(g),  h' = sigmoid(o) * tanh(c').
    ``forward(x, hx=None)`` with hx = (h, c) returns (h', c').

    Args:
        as :class:`RNNCell` (input_size, hidden_size, bias, init, dtype), except that
        ``nonlinearity`` is not taken: the gates use sigmoid and tanh.

    Shape:
        - Input: x (N, H_in), or (H_in,) unbatched.
        - hx: (h, c), each (N, H) or (H,); None means zeros.
        - Output: (h', c'), each (N, H) or (H,).

    Example:
        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(manabu.tensor(np.ones((4, 10), np.float32)))
        >>> h, c = cell(manabu.tensor(np.ones((4, 10), np.float32)), (h, c))
        >>> h.shape, c.shape, cell.weight_ih.shape
        ((4, 20), (4, 20), (80, 10))
    """

    gates = 4
    n_states = 2

    def forward(self, x: Tensor | ArrayLike, hx: tuple[Tensor, Tensor] | None = None,
                ) -> tuple[Tensor, Tensor]:
        x, (h, c), unbatched = self._prepare(x, hx)
        h_next, c_next = lstm_cell(x, h, c, *self._weights())
        if unbatched:
            return squeeze(h_next, 0), squeeze(c_next, 0)
        return h_next, c_next


class GRUCell(RNNCellBase):
    """One GRU step, gates (r, z, n): h' = (1 - z) * n + z * h (see nn.GRU).
    ``forward(x, hx=None)`` returns h' (N, H).

    Args:
        as :class:`RNNCell` (input_size, hidden_size, bias, init, dtype), except that
        ``nonlinearity`` is not taken: the gates use sigmoid and tanh.

    Shape:
        - Input: x (N, H_in), or (H_in,) unbatched.
        - hx: h (N, H), or (H,); None means zeros.
        - Output: h' (N, H), or (H,).

    Example:
        >>> cell = nn.GRUCell(10, 20)
        >>> cell(manabu.tensor(np.ones(10, np.float32))).shape  # one unbatched step
        (20,)
    """

    gates = 3

    def forward(self, x: Tensor | ArrayLike, hx: Tensor | None = None) -> Tensor:
        x, (h,), unbatched = self._prepare(x, hx)
        h_next = gru_cell(x, h, *self._weights())
        return squeeze(h_next, 0) if unbatched else h_next

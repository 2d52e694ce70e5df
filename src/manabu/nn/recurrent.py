"""再帰型ニューラルネットワーク (recurrent neural networks): the RNN, LSTM and GRU layers.

Each layer runs whole sequences through the fused ops of ``manabu.functional`` (``F.rnn``,
``F.lstm``, ``F.gru``: one GEMM for the input side of every step, one per step for the
recurrence, and 通時的誤差逆伝播 (BPTT) written by hand), adding what PyTorch's layers add:
stacked layers, dropout between them, 双方向RNN (bidirectional RNNs), variable lengths and
PyTorch's parameter names, so that ``load_state_dict(torch_layer.state_dict())`` just works.

Shapes (manabu's convention is batch-first; ``batch_first=False`` swaps the first two axes
of x, mask and output, as in PyTorch):

    x          (N, T, input_size)               or (T, input_size) for one sequence
    hx, h_n    (num_layers * num_directions, N, hidden_size)
    output     (N, T, num_directions * hidden_size): the last layer's h_t at every step

Stateful truncated BPTT (打ち切り型BPTT) for long streams: carry the final state into the
next batch but cut its graph with ``detach_state`` (see the LSTM docstring).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Tensor
from manabu.functional.dropout import dropout
from manabu.functional.gru import gru
from manabu.functional.lstm import lstm
from manabu.functional.rnn import rnn
from manabu.functional.shape import concatenate, expand_dims, squeeze, stack, swapaxes
from manabu.nn import init as nn_init
from manabu.nn.interop import copy_from_torch, copy_to_torch
from manabu.nn.module import Module
from manabu.nn.parameter import Parameter
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, DTypeLike

__all__ = ["RNN", "LSTM", "GRU", "detach_state", "copy_from_torch", "copy_to_torch"]

INITS = ("torch", "xavier_normal", "xavier_uniform", "orthogonal")


def detach_state(state: Tensor | tuple | list | None) -> Tensor | tuple | list | None:
    """The same state cut from the graph: a Tensor, or a tuple/list of them (an LSTM's
    (h, c)), or None. Call it between batches of truncated BPTT so that the next backward
    stops at the batch boundary instead of running back through every earlier batch.

    Args:
        state: a Tensor, a (nested) tuple or list of Tensors, or None.

    Returns:
        The same structure holding detached Tensors (the same values, no creator).

    Example:
        >>> lstm = nn.LSTM(4, 8)
        >>> _, state = lstm(manabu.tensor(np.ones((2, 3, 4), np.float32)))
        >>> h, c = nn.detach_state(state)
        >>> h.is_leaf, state[0].is_leaf, h.shape
        (True, False, (1, 2, 8))
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(
        f"detach_state: expected a Tensor, a tuple/list of Tensors or None, got "
        f"{type(state).__name__}"
    )


def check_sizes(layer, **sizes):
    for name, value in sizes.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")


def check_init(layer, init):
    if not callable(init) and init not in INITS:
        raise ValueError(f"{layer}: unknown init {init!r}; use one of {list(INITS)} or a "
                         "function called on each gate block, init(weight_block)")


def init_recurrent(params, gates, hidden_size, method):
    """Initialise a recurrent layer's parameters {name: Parameter} in place.

    'torch' (the default, PyTorch's): every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)).
    Otherwise each gate block (H, fan_in) of a weight is drawn on its own, by Xavier
    (the notes' choice for tanh/sigmoid: std = 1/sqrt(n) when fan_in = fan_out = n), by
    ``orthogonal`` or by a callable ``method(block)``, and the biases start at zero.
    """
    for name, param in params.items():
        if method == "torch":
            bound = 1 / math.sqrt(hidden_size)
            nn_init.uniform_(param, -bound, bound)
        elif name.startswith("bias"):
            nn_init.zeros_(param)
        else:
            fill = method if callable(method) else getattr(nn_init, method + "_")
            xp = backend.get_array_module(param.data)
            for g in range(gates):
                rows = slice(g * hidden_size, (g + 1) * hidden_size)
                block = Tensor(np.empty((hidden_size, param.shape[1]), dtype=param.dtype))
                fill(block)
                param.data[rows] = xp.asarray(block.data)


def as_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value)


def _stack_states(states):
    """(L * num_directions) states (N, H) -> (L * num_directions, N, H)."""
    if len(states) == 1:
        return expand_dims(states[0], 0)  # (1, N, H): a reshape, cheaper than a stack
    return stack(states, axis=0)  # (L * num_directions, N, H)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, stacking, directions, masks, states."""

    gates = 1  # gate blocks stacked in each weight: RNN 1, LSTM 4 (i, f, g, o), GRU 3 (r, z, n)
    n_states = 1  # state tensors: h (RNN, GRU) or h and c (LSTM)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = True, dropout: float = 0.0,
                 bidirectional: bool = False, init: str | Callable[[Tensor], object] = "torch",
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        name = type(self).__name__
        check_sizes(name, input_size=input_size, hidden_size=hidden_size,
                    num_layers=num_layers)
        if not 0 <= dropout < 1:
            raise ValueError(f"{name}: dropout is the probability to drop a unit between "
                             f"layers and must be in [0, 1), got {dropout}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts only between stacked layers and "
                          "does nothing with num_layers=1", stacklevel=2)
        check_init(name, init)
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.init = init
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        directions = 2 if self.bidirectional else 1
        rows = self.gates * self.hidden_size
        for layer in range(self.num_layers):
            features = self.input_size if layer == 0 else self.hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (rows, features), "weight_hh": (rows, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                for kind, shape in shapes.items():
                    param = Parameter(np.empty(shape, dtype=dtype))
                    self.register_parameter(f"{kind}_l{layer}{suffix}", param)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """Draw every weight again with ``init`` (see ``init_recurrent``)."""
        params = dict(self.named_parameters(recurse=False))
        init_recurrent(params, self.gates, self.hidden_size, self.init)

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return tuple(getattr(self, n + suffix, None) for n in names)

    def _op(self, x, states, weights, mask):
        """One direction of one layer over x (N, T, D): returns (output, final states)."""
        raise NotImplementedError

    def forward(self, x: Tensor | ArrayLike, hx: Tensor | tuple[Tensor, Tensor] | None = None,
                mask: Tensor | ArrayLike | None = None, lengths: ArrayLike | None = None,
                ) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        """Run the whole sequence; returns (output, h_n), for an LSTM (output, (h_n, c_n)).

        ``hx``: the initial state(s) (num_layers * num_directions, N, H), zeros if None.
        ``mask`` (N, T) of 0/1 (x's first two axes) or ``lengths`` (N,) for padded
        batches: the output is zero at padded steps and h_n holds each sequence's state at
        its last valid step; the reverse direction reads each sequence backwards within
        its own length (what PyTorch gives for a pack_padded_sequence).
        """
        x = as_tensor(x)
        unbatched = self._check_input(x)
        if unbatched:
            x = expand_dims(x, 0)  # (1, T, D)
        elif not self.batch_first:
            x = swapaxes(x, 0, 1)  # (N, T, D)
        N, T = x.shape[0], x.shape[1]
        m = self._mask(x, mask, lengths, unbatched)
        states = self._initial_states(hx, N, unbatched)
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                weights = self._weights(layer, direction)
                out, final = self._run(layer_input, states[k], weights, m, direction)
                outputs.append(out)
                finals.append(final)
            layer_input = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = dropout(layer_input, self.dropout, training=True)
        output = layer_input  # (N, T, num_directions * H)
        h_n = tuple(_stack_states([f[i] for f in finals]) for i in range(self.n_states))
        if unbatched:
            output = squeeze(output, 0)  # (T, num_directions * H)
            h_n = tuple(squeeze(h, 1) for h in h_n)  # (L * num_directions, H)
        elif not self.batch_first:
            output = swapaxes(output, 0, 1)  # (T, N, num_directions * H)
        return output, (h_n if self.n_states > 1 else h_n[0])

    def _run(self, x, states, weights, m, direction):
        if direction == 0:
            return self._op(x, states, weights, m)
        # the reverse direction reads time backwards: flip the padded batch, so padding
        # comes first (masked steps carry the initial state unchanged) and each sequence
        # runs from its last valid step down to its first; then flip the outputs back
        m_rev = None if m is None else m[:, ::-1]
        out, final = self._op(x[:, ::-1], states, weights, m_rev)
        return out[:, ::-1], final

    # ------------------------------------------------------------------ checks
    def _describe(self):
        extra = f", num_layers={self.num_layers}" if self.num_layers > 1 else ""
        extra += ", bidirectional=True" if self.bidirectional else ""
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra})"

    def _check_input(self, x):
        """Validate x; returns True for one unbatched sequence (T, D)."""
        layout = "(N, T, D)" if self.batch_first else "(T, N, D)"
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{self._describe()}: expected input of shape {layout} (batch_first="
                f"{self.batch_first}) or (T, D) for one sequence, got {tuple(x.shape)}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self._describe()}: input of shape {tuple(x.shape)} has {x.shape[-1]} "
                f"features on its last axis, expected input_size={self.input_size}; build "
                f"the layer with input_size={x.shape[-1]} or fix the previous layer"
            )
        return x.ndim == 2

    def _mask(self, x, mask, lengths, unbatched):
        """The (N, T) 0/1 mask in x's dtype (from ``mask`` or ``lengths``), or None."""
        if mask is None and lengths is None:
            return None
        if mask is not None and lengths is not None:
            raise ValueError(f"{self._describe()}: give mask or lengths, not both")
        xp = backend.get_array_module(x.data)
        N, T = x.shape[0], x.shape[1]
        if lengths is not None:
            lengths = xp.asarray(unwrap(lengths))
            lengths = lengths.reshape(1) if unbatched else lengths  # (N,)
            if lengths.shape != (N,) or lengths.dtype.kind not in "iu":
                raise ValueError(
                    f"{self._describe()}: lengths must be {N} integers (one per sequence), "
                    f"got shape {lengths.shape} of {lengths.dtype}"
                )
            if bool((lengths < 0).any()) or bool((lengths > T).any()):
                raise ValueError(
                    f"{self._describe()}: lengths must lie in [0, T={T}], got "
                    f"{backend.to_device(lengths, 'cpu').tolist()}"
                )
            return (xp.arange(T)[None, :] < lengths[:, None]).astype(x.dtype)  # (N, T)
        m = xp.asarray(unwrap(mask))
        if unbatched:
            m = m[None]  # (1, T)
        elif not self.batch_first and m.ndim == 2:
            m = m.T  # (N, T)
        if m.shape != (N, T):
            expected = "(T,)" if unbatched else "(N, T)" if self.batch_first else "(T, N)"
            raise ValueError(
                f"{self._describe()}: mask must have shape {expected} like the first axes of "
                f"the input, got {tuple(m.shape)}; build it as arange(T) < lengths[:, None]"
            )
        if not bool(((m == 0) | (m == 1)).all()):
            raise ValueError(f"{self._describe()}: mask must hold only 0 and 1 (or booleans)")
        return m.astype(x.dtype)

    def _initial_states(self, hx, N, unbatched):
        """hx -> one tuple of (N, H) states per (layer, direction), or Nones."""
        count = self.num_layers * self.num_directions
        if hx is None:
            return [(None,) * self.n_states] * count
        names = ("h0", "c0")[:self.n_states]
        if self.n_states > 1:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self._describe()}: hx must be a tuple (h0, c0), got "
                                f"{type(hx).__name__}")
            parts = [as_tensor(h) for h in hx]
        else:
            if isinstance(hx, (tuple, list)):
                raise TypeError(f"{self._describe()}: hx must be one Tensor h0, not a "
                                f"{type(hx).__name__} (only an LSTM takes (h0, c0))")
            parts = [as_tensor(hx)]
        expected = (count, self.hidden_size) if unbatched else (count, N, self.hidden_size)
        for name, h in zip(names, parts):
            if tuple(h.shape) != expected:
                raise ValueError(
                    f"{self._describe()}: {name} must have shape (num_layers * "
                    f"num_directions, {'' if unbatched else 'N, '}hidden_size) = {expected}, "
                    f"got {tuple(h.shape)}; a cell's (N, H) state becomes h[None]"
                )
        if unbatched:
            parts = [expand_dims(h, 1) for h in parts]  # (L * num_directions, 1, H)
        return [tuple(h[k] for h in parts) for k in range(count)]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        text += f", batch_first={self.batch_first}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN (再帰型ニューラルネットワーク), stacked, optionally bidirectional:

        h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)        (or relu)

    Parameters, named and shaped as torch.nn.RNN's (so state_dicts copy 1:1), for each
    layer k and each direction (suffix "" forward, "_reverse" backward):
        weight_ih_l{k}  (H, input_size) for k = 0, (H, num_directions * H) above
        weight_hh_l{k}  (H, H);   bias_ih_l{k}, bias_hh_l{k}  (H,)
    all drawn from U(-1/sqrt(H), 1/sqrt(H)) like PyTorch (``init='torch'``); Xavier
    (``init='xavier_normal'``, the notes' choice for tanh), ``'orthogonal'`` or a function
    are offered too (biases then start at zero).

    ``forward(x, hx=None, mask=None, lengths=None)`` returns (output, h_n) with output
    (N, T, num_directions * H) and h_n (num_layers * num_directions, N, H); see the module
    docstring for shapes, and RNNBase.forward for masks. Between stacked layers ``dropout``
    is applied to the outputs in training mode (masks drawn from manabu's generator, so
    ``manabu.manual_seed`` repeats them); ``model.eval()`` turns it off.

    Args:
        input_size: H_in, the features of each step of x.
        hidden_size: H, the size of the hidden state h (and of the cell c of an LSTM).
        num_layers: how many layers are stacked, each reading the outputs of the one
            below. Default: 1
        nonlinearity: 'tanh' or 'relu'. Default: 'tanh'
        bias: if False, no ``bias_ih`` and ``bias_hh``. Default: True
        batch_first: if True, x and output are (N, T, features); if False (PyTorch's
            default), (T, N, features). The states are (D * num_layers, N, H) either
            way. Default: True
        dropout: the probability of dropout on each layer's outputs except the last one's,
            in training mode (with num_layers=1 it does nothing, and warns so).
            Default: 0.0
        bidirectional: if True, each layer also reads the sequence backwards and the two
            directions' outputs are concatenated (D = 2). Default: False
        init: 'torch' (PyTorch's U(-1/sqrt(H), 1/sqrt(H)) for every parameter),
            'xavier_normal', 'xavier_uniform', 'orthogonal' (each gate block on its own,
            biases zero) or a function called on each gate block. Not in PyTorch.
            Default: 'torch'
        dtype: the parameters' dtype; None means the default dtype (float32). Default: None

    Shape:
        D = 2 if bidirectional else 1; batch_first=False swaps N and T in x and output.
        - Input: x (N, T, H_in), or (T, H_in) for one sequence.
        - hx: (D * num_layers, N, H), or (D * num_layers, H) for one sequence; None
          means zeros.
        - mask: (N, T) of 0/1, or lengths: (N,), for padded batches (RNNBase.forward).
        - Output: (output, h_n): output (N, T, D * H), the last layer's h_t at every
          step (zero at padded steps); h_n (D * num_layers, N, H), each layer's and
          direction's final state.

    Example:
        >>> rnn = nn.RNN(10, 20, num_layers=2)
        >>> out, h_n = rnn(manabu.tensor(np.ones((3, 5, 10), np.float32)))  # x (N, T, 10)
        >>> out.shape, h_n.shape
        ((3, 5, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = True,
                 dropout: float = 0.0, bidirectional: bool = False,
                 init: str | Callable[[Tensor], object] = "torch",
                 dtype: DTypeLike = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, init, dtype)

    def _op(self, x, states, weights, mask):
        out, h = rnn(x, states[0], *weights, nonlinearity=self.nonlinearity, mask=mask)
        return out, (h,)

    def extra_repr(self) -> str:
        extra = ", nonlinearity='relu'" if self.nonlinearity == "relu" else ""
        return super().extra_repr() + extra


class LSTM(RNNBase):
    """LSTM (Long Short-Term Memory), stacked, optionally bidirectional. One step:

        i, f, g, o = split(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)   (N, 4H) -> 4 x (N, H)
        i, f, o = sigmoid(i), sigmoid(f), sigmoid(o)   入力・忘却・出力ゲート
        c_t = f * c_{t-1} + tanh(g) * i                the cell (CEC): gradients flow along it
        h_t = o * tanh(c_t)

    Parameters, named and shaped as torch.nn.LSTM's, gate blocks stacked in the order
    (i, f, g, o): for layer k and direction suffix ("" or "_reverse")
        weight_ih_l{k}  (4H, input_size) for k = 0, (4H, num_directions * H) above
        weight_hh_l{k}  (4H, H);   bias_ih_l{k}, bias_hh_l{k}  (4H,)
    initialised U(-1/sqrt(H), 1/sqrt(H)) like PyTorch (``init`` as for nn.RNN).

    ``forward(x, hx=None, mask=None, lengths=None)`` with hx = (h0, c0), each
    (num_layers * num_directions, N, H), returns (output, (h_n, c_n)).

    Stateful truncated BPTT (打ち切り型BPTT) on a long stream cut into consecutive chunks:
    carry (h, c) from one batch to the next, but detach it, so that each backward runs
    through the current chunk only::

        lstm, head = nn.LSTM(32, 64), nn.Linear(64, 32)
        state = None
        for x, y in chunks:                  # x (N, T, 32): the next T steps of N streams
            out, state = lstm(x, state)
            loss = F.mse_loss(head(out), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            state = nn.detach_state(state)   # keep the values, drop the graph

    Args:
        as :class:`RNN` (input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional, init, dtype), except that ``nonlinearity`` is not taken: the gates
        use sigmoid and tanh. hidden_size is also the size of the cell c.

    PyTorch's ``proj_size`` is not offered.

    Shape:
        D = 2 if bidirectional else 1; batch_first=False swaps N and T in x and output.
        - Input: x (N, T, H_in), or (T, H_in) for one sequence.
        - hx: (h0, c0), each (D * num_layers, N, H); None means zeros.
        - mask: (N, T) of 0/1, or lengths: (N,), for padded batches (RNNBase.forward).
        - Output: (output, (h_n, c_n)): output (N, T, D * H); h_n and c_n
          (D * num_layers, N, H), the final hidden and cell states.

    Example:
        >>> lstm = nn.LSTM(8, 16, bidirectional=True)
        >>> x = manabu.tensor(np.ones((2, 5, 8), np.float32))
        >>> out, (h_n, c_n) = lstm(x, lengths=np.array([5, 3]))  # the 2nd is padded
        >>> out.shape, h_n.shape, bool((out.numpy()[1, 3:] == 0).all())
        ((2, 5, 32), (2, 2, 16), True)
    """

    gates = 4
    n_states = 2

    def _op(self, x, states, weights, mask):
        out, h, c = lstm(x, states[0], states[1], *weights, mask=mask)
        return out, (h, c)


class GRU(RNNBase):
    """GRU (Gated Recurrent Unit), stacked, optionally bidirectional. One step:

        r = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)       リセットゲート
        z = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)       更新ゲート
        n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    Parameters, named and shaped as torch.nn.GRU's, gate blocks stacked in the order
    (r, z, n): for layer k and direction suffix ("" or "_reverse")
        weight_ih_l{k}  (3H, input_size) for k = 0, (3H, num_directions * H) above
        weight_hh_l{k}  (3H, H);   bias_ih_l{k}, bias_hh_l{k}  (3H,)
    initialised U(-1/sqrt(H), 1/sqrt(H)) like PyTorch (``init`` as for nn.RNN).
    ``forward(x, hx=None, mask=None, lengths=None)`` returns (output, h_n) as nn.RNN.

    Args:
        as :class:`RNN` (input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional, init, dtype), except that ``nonlinearity`` is not taken: the gates
        use sigmoid and tanh.

    Shape:
        D = 2 if bidirectional else 1; batch_first=False swaps N and T in x and output.
        - Input: x (N, T, H_in), or (T, H_in) for one sequence.
        - hx: (D * num_layers, N, H); None means zeros.
        - mask: (N, T) of 0/1, or lengths: (N,), for padded batches (RNNBase.forward).
        - Output: (output, h_n) as in nn.RNN: output (N, T, D * H), h_n
          (D * num_layers, N, H).

    Example:
        >>> gru = nn.GRU(10, 20, batch_first=False)
        >>> out, h_n = gru(manabu.tensor(np.ones((5, 3, 10), np.float32)))  # x (T, N, 10)
        >>> out.shape, h_n.shape
        ((5, 3, 20), (1, 3, 20))
    """

    gates = 3

    def _op(self, x, states, weights, mask):
        out, h = gru(x, states[0], *weights, mask=mask)
        return out, (h,)

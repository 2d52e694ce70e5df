"""What the recurrent ops share (再帰型ニューラルネットワーク, recurrent neural networks).

The ops themselves live beside this file: ``rnn.py`` (Elman RNN), ``lstm.py`` and ``gru.py``.
Each is one fused op over a whole sequence, plus a single-step cell.

Conventions, the same for all of them (and the same as PyTorch, so weights copy 1:1):

- x is batch-first (N, T, D); states h, c are (N, H); outputs are (N, T, H).
- W_ih (G*H, D), W_hh (G*H, H), b_ih and b_hh (G*H,), with the G gate blocks stacked in
  PyTorch's order: LSTM (i, f, g, o), GRU (r, z, n), RNN a single block.
- Forward: the input half of every gate, x_t @ W_ih^T + b, for all steps in ONE GEMM over
  (T*N, D); then a loop over time with one GEMM per step, h_{t-1} @ W_hh^T, whose gates are
  slices of one (N, G*H) matrix (the textbook's fused gates).
- Backward is 通時的誤差逆伝播 (BPTT, backpropagation through time): the loop runs in
  reverse, turning dL/dh_t into the gradient of every gate and into dL/dh_{t-1}. Only the
  term through h_{t-1} @ W_hh^T must wait for the previous step; everything else (dx, dW_ih,
  dW_hh, the biases) is a sum over steps, done after the loop with one GEMM each.
- Gradients arrive both from the output sequence and from the final states.
- Internally the arrays are time-major (T, N, ...): each step's slice is then contiguous.

Variable lengths: ``mask`` (N, T) of 0/1 marks the valid steps. At a masked step the state
(h, and c for an LSTM) is carried over unchanged and the output is zero, so the final state
is the state at each sequence's last valid step. This works for right padding (the usual
case) and for left padding alike (e.g. a reversed sequence for a bidirectional RNN).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu import backend
from manabu.tensor import Tensor, unwrap

if TYPE_CHECKING:
    from types import ModuleType

    import numpy as np
    from numpy.typing import ArrayLike, DTypeLike

    from manabu.autograd import Function

__all__ = []  # helpers for rnn.py, lstm.py and gru.py; the public ops live there


def gate_blocks(a: np.ndarray, count: int) -> tuple[np.ndarray, ...]:
    """The ``count`` gate blocks of a (..., count*H) array, as views: (i, f, g, o) for an
    LSTM, (r, z, n) for a GRU."""
    H = a.shape[-1] // count
    return tuple(a[..., k * H:(k + 1) * H] for k in range(count))


def sigmoid_via_tanh_(xp: ModuleType, a: np.ndarray, scale: float | np.ndarray = 0.5,
                      shift: float | np.ndarray = 0.5) -> np.ndarray:
    """a <- sigmoid(a), in place, computed as 0.5 * tanh(a / 2) + 0.5.

    Identical to 1 / (1 + exp(-a)) in exact arithmetic, but it never overflows (exp(-a)
    does for a < -88 in float32), NumPy's vectorised tanh makes it faster, and its absolute
    error is that of tanh, a few ulp of 1.

    The pass is a <- tanh(a * scale) * scale + shift, which with scale = 1, shift = 0 is
    tanh(a) itself. Per-column ``scale`` and ``shift`` vectors mix the two, so the LSTM
    activates its gates i, f, o (sigmoid) and g (tanh) with one tanh over its contiguous
    (N, 4H) matrix: faster than four activations on strided slices.
    """
    a *= scale
    xp.tanh(a, out=a)
    a *= scale
    a += shift
    return a


def time_major(x: np.ndarray) -> np.ndarray:
    """A contiguous (T, N, ...) copy of a batch-first (N, T, ...) array (always a copy, so
    a backward may scale it in place without touching its input)."""
    return x.swapaxes(0, 1).copy()  # (T, N, ...)


def batch_first(y: np.ndarray) -> np.ndarray:
    """A contiguous (N, T, ...) copy of a time-major (T, N, ...) array."""
    return y.swapaxes(0, 1).copy()  # (N, T, ...)


def project_inputs(xs: np.ndarray, W_ih: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x_t @ W_ih^T + b for every step at once: one GEMM over (T*N, D), returns (T, N, G*H)."""
    T, N, D = xs.shape
    a = xs.reshape(T * N, D) @ W_ih.T  # (T*N, G*H)
    a += b
    return a.reshape(T, N, W_ih.shape[0])  # (T, N, G*H)


def recurrent_term(xp: ModuleType, W_hh: np.ndarray, h: np.ndarray, out: np.ndarray) -> np.ndarray:
    """h_{t-1} @ W_hh^T, computed as the column-vector product W_hh @ h_{t-1}^T into ``out``
    (G*H, N); returns its (N, G*H) transposed view.

    Why this orientation: the batch N (20, say) is far smaller than G*H, and BLAS handles
    the tall W_hh @ h^T better than the flat h @ W_hh^T: measured for (N, H) = (20, 256),
    2x faster with OpenBLAS's AVX-512 kernels, 20% faster with its AVX2 kernels on 2 threads
    (the G*H rows split across threads), 7% slower with those on 1 thread."""
    return xp.matmul(W_hh, h.T, out=out).T  # (N, G*H)


def recurrent_term_grad(xp: ModuleType, W_hh: np.ndarray, gA_t: np.ndarray,
                        out: np.ndarray) -> np.ndarray:
    """dL/dh_{t-1} from that term, gA_t @ W_hh, computed as W_hh^T @ gA_t^T into ``out``
    (H, N) for the same reason; returns a contiguous (N, H) copy."""
    return xp.matmul(W_hh.T, gA_t.T, out=out).T.copy()  # (N, H)


def sequence_outputs(hs: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The output sequence h_1 .. h_T (of the states h_0 .. h_T, time-major), batch-first
    (N, T, H), zero at masked steps."""
    outputs = hs[1:] if mask is None else hs[1:] * mask  # (T, N, H)
    return batch_first(outputs)


def output_grads(gy: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """dL/d(outputs) (N, T, H) as a time-major (T, N, H) copy, zero at masked steps (the
    outputs were mask * h_t)."""
    gys = time_major(gy)  # (T, N, H)
    if mask is not None:
        gys *= mask
    return gys


def split_masked(g: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split dL/d(state) at a step into the part through the new state (m * g) and the part
    carried straight to the previous state ((1 - m) * g); exact since m is 0 or 1."""
    return g * m, g * (1 - m)


def grads_over_steps(fn: Function, gA_ih: np.ndarray, gA_hh: np.ndarray, xs: np.ndarray,
                     W_ih: np.ndarray, hs: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """The gradients that are sums over the steps, from the pre-activation gradients of all
    steps: gA_ih (T, N, G*H) of x_t @ W_ih^T + b_ih and gA_hh of h_{t-1} @ W_hh^T + b_hh
    (one array for the RNN and the LSTM, which add both terms into one pre-activation):

        gx = gA_ih @ W_ih,  gW_ih = sum_t gA_ih_t^T x_t,  gb_ih = sum_t gA_ih_t
        gW_hh = sum_t gA_hh_t^T h_{t-1},                 gb_hh = sum_t gA_hh_t

    Every term is known once the reverse loop is done, so each sum over t is one GEMM over
    all steps (much faster than T small ones). The op's inputs are (x, the states, W_ih at
    ``fn.W_ih_index``, W_hh, b_ih, b_hh); returns (gx, gW_ih, gW_hh, gb_ih, gb_hh), None for
    an input that needs no gradient.
    """
    T, N, D = xs.shape
    H = hs.shape[2]
    needs = fn.needs_input_grad[:1] + fn.needs_input_grad[fn.W_ih_index:]
    gA_ih2 = gA_ih.reshape(T * N, gA_ih.shape[2])  # (T*N, G*H)
    gx = gW_ih = gW_hh = gb_ih = gb_hh = None
    if needs[0]:
        gx = batch_first((gA_ih2 @ W_ih).reshape(T, N, D))  # (N, T, D)
    if needs[1]:
        gW_ih = gA_ih2.T @ xs.reshape(T * N, D)  # (G*H, D)
    if needs[2]:
        gA_hh2 = gA_hh.reshape(T * N, gA_hh.shape[2])  # (T*N, G*H)
        gW_hh = gA_hh2.T @ hs[:-1].reshape(T * N, H)  # (G*H, H)
    if needs[3]:
        gb_ih = gA_ih.sum(axis=(0, 1))  # (G*H,)
    if needs[4]:
        same = gA_hh is gA_ih and gb_ih is not None  # summed once already
        gb_hh = gb_ih.copy() if same else gA_hh.sum(axis=(0, 1))  # (G*H,)
    return gx, gW_ih, gW_hh, gb_ih, gb_hh


def _shape(t):
    return tuple(t.shape)


def _zeros(x, shape):
    """A constant zero Tensor on x's device, of x's dtype: a default state or bias."""
    xp = backend.get_array_module(unwrap(x))
    return Tensor(xp.zeros(shape, dtype=x.dtype))


def with_defaults(op: str, x: Tensor, states: dict[str, Tensor | None], W_ih: Tensor, W_hh: Tensor,
                  b_ih: Tensor | None, b_hh: Tensor | None, gates: int,
                  order: str) -> tuple[Tensor, ...]:
    """Check the weights and the initial states; returns the states (h0, and c0 for an
    LSTM) and the biases, each that is None replaced by zeros (bias=False gives zero
    biases). ``states`` maps names to states: {"h0": h0} or {"h0": h0, "c0": c0}."""
    H = check_weights(op, x, W_ih, W_hh, b_ih, b_hh, gates, order)
    N = x.shape[0]
    filled = []
    for name, state in states.items():
        check_state(op, name, state, N, H, x.dtype)
        filled.append(_zeros(x, (N, H)) if state is None else state)
    b_ih = _zeros(x, (gates * H,)) if b_ih is None else b_ih
    b_hh = _zeros(x, (gates * H,)) if b_hh is None else b_hh
    return (*filled, b_ih, b_hh)


def check_weights(op: str, x: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None,
                  b_hh: Tensor | None, gates: int, order: str) -> int:
    """Validate weight shapes against x's feature axis; returns the hidden size H."""
    rows = f"{gates}*hidden_size" if gates > 1 else "hidden_size"
    layout = f" with the {gates} gate blocks in PyTorch's order {order}" if gates > 1 else ""
    if W_ih.ndim != 2 or W_ih.shape[0] % gates != 0:
        raise ValueError(
            f"{op}: W_ih must have shape ({rows}, input_size){layout}, got {_shape(W_ih)}"
        )
    H = W_ih.shape[0] // gates
    D = x.shape[-1]
    if W_ih.shape[1] != D:
        raise ValueError(
            f"{op}: x {_shape(x)} has {D} features but W_ih {_shape(W_ih)} expects "
            f"input_size={W_ih.shape[1]}; create the layer with input_size={D} or give x "
            f"{W_ih.shape[1]} features on its last axis"
        )
    if _shape(W_hh) != (gates * H, H):
        raise ValueError(
            f"{op}: W_hh must have shape ({rows}, hidden_size) = "
            f"({gates * H}, {H}) to match W_ih {_shape(W_ih)}, got {_shape(W_hh)}"
        )
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and _shape(b) != (gates * H,):
            raise ValueError(
                f"{op}: {name} must have shape ({rows},) = ({gates * H},), "
                f"got {_shape(b)}"
            )
    for name, w in (("W_ih", W_ih), ("W_hh", W_hh), ("b_ih", b_ih), ("b_hh", b_hh)):
        if w is not None and w.dtype != x.dtype:
            raise TypeError(
                f"{op}: x is {x.dtype} but {name} is {w.dtype}; use one dtype, e.g. "
                "x.float() and model.float(), or .double() for both"
            )
    return H


def check_state(op: str, name: str, state: Tensor | None, n: int, hidden: int,
                dtype: DTypeLike) -> None:
    """Validate an initial state h0 / c0 of shape (N, H)."""
    if state is None:
        return
    if _shape(state) != (n, hidden):
        hint = ""
        if state.ndim == 3:
            hint = " (one layer, one direction: pass state[0] of a PyTorch-style state)"
        raise ValueError(
            f"{op}: {name} must have shape (N, H) = ({n}, {hidden}), got {_shape(state)}{hint}"
        )
    if state.dtype != dtype:
        raise TypeError(f"{op}: x is {dtype} but {name} is {state.dtype}; use one dtype")


def check_input(op: str, x: Tensor, cell: bool = False) -> None:
    """x must be a batch-first sequence (N, T, D) with T >= 1, or for a cell one time step
    (N, D); the error says which op takes the other."""
    if cell and x.ndim != 2:
        raise ValueError(
            f"{op}: expected one time step x of shape (N, D), got {_shape(x)}; "
            f"for a whole (N, T, D) sequence use {op.replace('_cell', '')}"
        )
    if not cell and x.ndim != 3:
        raise ValueError(
            f"{op}: expected a batch-first sequence x of shape (N, T, D), got {_shape(x)}; "
            f"for a single time step use {op}_cell, for one sequence add a batch axis "
            "with x.reshape(1, T, D)"
        )
    if not cell and x.shape[1] == 0:
        raise ValueError(f"{op}: the sequence x {_shape(x)} has no time steps (T = 0)")


def prepare_mask(op: str, mask: Tensor | ArrayLike | None, x: Tensor) -> np.ndarray | None:
    """The (N, T) 0/1 mask as a time-major (T, N, 1) array of x's dtype, or None."""
    if mask is None:
        return None
    xp = backend.get_array_module(unwrap(x))
    m = xp.asarray(unwrap(mask))
    N, T = x.shape[0], x.shape[1]
    if _shape(m) != (N, T):
        raise ValueError(
            f"{op}: mask must have shape (N, T) = ({N}, {T}) like x {_shape(x)}, got "
            f"{_shape(m)}; build it as (arange(T) < lengths[:, None])"
        )
    if not bool(((m == 0) | (m == 1)).all()):
        raise ValueError(f"{op}: mask must hold only 0 and 1 (or False and True)")
    return time_major(m.astype(x.dtype))[:, :, None]  # (T, N, 1)


class OneStep:
    """Mixin turning a whole-sequence op (RNN, LSTM, GRU) into its cell: one step, T = 1,
    with the same math and so the same backward. Use as ``class RNNCell(OneStep, RNN)``.

    The cell returns the op's final states, h' (or (h', c') for an LSTM), and not its output
    sequence, which for one step is h' again: so the output's gradient is zero, and all of
    dL/dh' arrives as the gradient of the final state.
    """

    def forward(self, x, *states_and_weights):
        x_seq = x[:, None, :]  # (N, 1, D)
        _, *states = super().forward(x_seq, *states_and_weights)
        return states[0] if len(states) == 1 else tuple(states)

    def backward(self, *g_states, xp):
        N, H = g_states[0].shape
        gy = xp.zeros((N, 1, H), dtype=g_states[0].dtype)  # (N, 1, H): no output gradient
        gx, *rest = super().backward(gy, *g_states, xp=xp)
        if gx is not None:
            gx = gx[:, 0, :]  # (N, D)
        return (gx, *rest)

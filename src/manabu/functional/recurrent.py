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

from manabu import backend
from manabu.autograd import Tensor

__all__ = []  # helpers for rnn.py, lstm.py and gru.py; the public ops live there


def sigmoid_(xp, a):
    """a <- sigmoid(a), in place, computed as 0.5 * (1 + tanh(a / 2)).

    Identical to 1 / (1 + exp(-a)) in exact arithmetic, but it never overflows (exp(-a)
    does for a < -88 in float32) and NumPy's vectorised tanh makes it faster.
    """
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def time_major(x):
    """A contiguous (T, N, ...) copy of a batch-first (N, T, ...) array (always a copy, so
    a backward may scale it in place without touching its input)."""
    return x.swapaxes(0, 1).copy()  # (T, N, ...)


def batch_first(y):
    """A contiguous (N, T, ...) copy of a time-major (T, N, ...) array."""
    return y.swapaxes(0, 1).copy()  # (N, T, ...)


def project_inputs(xs, W_ih, b):
    """x_t @ W_ih^T + b for every step at once: one GEMM over (T*N, D), returns (T, N, G*H)."""
    T, N, D = xs.shape
    a = xs.reshape(T * N, D) @ W_ih.T  # (T*N, G*H)
    a += b
    return a.reshape(T, N, W_ih.shape[0])  # (T, N, G*H)


def recurrent_term(xp, W_hh, h, out):
    """h_{t-1} @ W_hh^T, computed as the column-vector product W_hh @ h_{t-1}^T into ``out``
    (G*H, N); returns its (N, G*H) transposed view.

    Why this orientation: the batch N (20, say) is far smaller than G*H, and BLAS handles
    the tall W_hh @ h^T better than the flat h @ W_hh^T: measured for (N, H) = (20, 256),
    2x faster with OpenBLAS's AVX-512 kernels, 20% faster with its AVX2 kernels on 2 threads
    (the G*H rows split across threads), 7% slower with those on 1 thread."""
    return xp.matmul(W_hh, h.T, out=out).T  # (N, G*H)


def recurrent_term_grad(xp, W_hh, gA_t, out):
    """dL/dh_{t-1} from that term, gA_t @ W_hh, computed as W_hh^T @ gA_t^T into ``out``
    (H, N) for the same reason; returns a contiguous (N, H) copy."""
    return xp.matmul(W_hh.T, gA_t.T, out=out).T.copy()  # (N, H)


def input_side_grads(fn, gA, xs, W_ih):
    """Gradients of the input projection a_t = x_t @ W_ih^T + b_ih, from gA (T, N, G*H), the
    gate gradients of all steps:  gx = gA @ W_ih,  gW_ih = sum_t gA_t^T x_t, each one GEMM
    over all steps. Inputs are numbered (x, ..., W_ih at fn.W_ih_index, W_hh, b_ih, b_hh)."""
    T, N, D = xs.shape
    gA2 = gA.reshape(T * N, gA.shape[2])  # (T*N, G*H)
    gx = gW_ih = None
    if fn.needs_input_grad[0]:
        gx = batch_first((gA2 @ W_ih).reshape(T, N, D))  # (N, T, D)
    if fn.needs_input_grad[fn.W_ih_index]:
        gW_ih = gA2.T @ xs.reshape(T * N, D)  # (G*H, D)
    return gx, gW_ih


def hidden_side_grad(fn, gA, hs):
    """gW_hh = sum_t gA_t^T h_{t-1} for the recurrent projection h_{t-1} @ W_hh^T. Every
    term is known once the reverse loop is done, so the sum over t is one GEMM over all
    steps (much faster than T small ones)."""
    T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    if not fn.needs_input_grad[fn.W_ih_index + 1]:
        return None
    gA2 = gA.reshape(T * N, gA.shape[2])  # (T*N, G*H)
    return gA2.T @ hs[:-1].reshape(T * N, H)  # (G*H, H)


def bias_grads(fn, gA_ih, gA_hh):
    """gb_ih = sum_t gA_ih_t, gb_hh = sum_t gA_hh_t (summed once when they are the same
    array, as for the LSTM and the RNN, where both biases are added to one pre-activation)."""
    index = fn.W_ih_index + 2
    gb_ih = gb_hh = None
    if fn.needs_input_grad[index]:
        gb_ih = gA_ih.sum(axis=(0, 1))
    if fn.needs_input_grad[index + 1]:
        gb_hh = gA_hh.sum(axis=(0, 1)) if gA_hh is not gA_ih or gb_ih is None else gb_ih.copy()
    return gb_ih, gb_hh


def split_masked(g, m):
    """Split dL/d(state) at a step into the part through the new state (m * g) and the part
    carried straight to the previous state ((1 - m) * g); exact since m is 0 or 1."""
    return g * m, g * (1 - m)


def _raw(t):
    return t.data if isinstance(t, Tensor) else t


def _shape(t):
    return tuple(t.shape)


def zeros_like_state(x, n, hidden, dtype):
    """A constant zero state (n, hidden) on x's device: the default h0 / c0."""
    xp = backend.get_array_module(_raw(x))
    return Tensor(xp.zeros((n, hidden), dtype=dtype))


def zeros_bias(x, size, dtype):
    """A constant zero bias, standing in for bias=False."""
    xp = backend.get_array_module(_raw(x))
    return Tensor(xp.zeros((size,), dtype=dtype))


def check_weights(op, x, W_ih, W_hh, b_ih, b_hh, gates, order):
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


def check_state(op, name, state, n, hidden, dtype):
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


def check_sequence(op, x):
    if x.ndim != 3:
        raise ValueError(
            f"{op}: expected a batch-first sequence x of shape (N, T, D), got {_shape(x)}; "
            f"for a single time step use {op}_cell, for one sequence add a batch axis "
            "with x.reshape(1, T, D)"
        )
    if x.shape[1] == 0:
        raise ValueError(f"{op}: the sequence x {_shape(x)} has no time steps (T = 0)")


def check_step(op, x):
    if x.ndim != 2:
        raise ValueError(
            f"{op}: expected one time step x of shape (N, D), got {_shape(x)}; "
            f"for a whole (N, T, D) sequence use {op.replace('_cell', '')}"
        )


def prepare_mask(op, mask, x):
    """The (N, T) 0/1 mask as a time-major (T, N, 1) array of x's dtype, or None."""
    if mask is None:
        return None
    xp = backend.get_array_module(_raw(x))
    m = xp.asarray(_raw(mask))
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
    """Mixin turning a whole-sequence op (RNN, GRU) into its cell: one step, T = 1, with the
    same math and so the same backward. Use as ``class RNNCell(OneStep, RNN)``."""

    def forward(self, x, h, W_ih, W_hh, b_ih, b_hh):
        x_seq = x[:, None, :]  # (N, 1, D)
        _, h_next = super().forward(x_seq, h, W_ih, W_hh, b_ih, b_hh)
        return h_next

    def backward(self, gh_next, xp):
        N, H = gh_next.shape
        gy = xp.zeros((N, 1, H), dtype=gh_next.dtype)  # the step's output is h' itself
        gx, *rest = super().backward(gy, gh_next, xp=xp)
        if gx is not None:
            gx = gx[:, 0, :]  # (N, D)
        return (gx, *rest)

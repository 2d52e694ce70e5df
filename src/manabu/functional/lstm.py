"""LSTM (Long Short-Term Memory) as one fused op over a whole sequence, and its single step.

One step, with PyTorch's weight layout (gate blocks i, f, g, o):

    a = x_t @ W_ih^T + b_ih + h_{t-1} @ W_hh^T + b_hh        (N, 4H), sliced into four
    i = sigmoid(a_i)   入力ゲート (input gate): how much of the new candidate to write
    f = sigmoid(a_f)   忘却ゲート (forget gate): how much of the old cell to keep
    g = tanh(a_g)      the new candidate for the cell
    o = sigmoid(a_o)   出力ゲート (output gate): how much of the cell to show
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

The cell c_t is carried on by a sum rather than a product with a weight matrix, so its
gradient dc_{t-1} = dc_t * f passes through time without being squashed again and again:
that is how an LSTM eases the 勾配消失問題 (vanishing gradient problem) of a plain RNN.
See recurrent.py for the shared conventions (shapes, masks, BPTT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.autograd import Function
from manabu.functional.recurrent import (
    OneStep, check_input, gate_blocks, grads_over_steps, output_grads, prepare_mask,
    project_inputs, recurrent_term, recurrent_term_grad, sequence_outputs, sigmoid_via_tanh_,
    split_masked, time_major, with_defaults,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from manabu.tensor import Tensor

__all__ = ["lstm", "lstm_cell"]


def _gate_scales(xp, H, dtype):
    """scale and shift (4H,) for ``sigmoid_via_tanh_``: 0.5 and 0.5 (sigmoid) on the blocks
    i, f, o, 1 and 0 (tanh) on g, so that one pass activates all four gates."""
    scale = xp.full(4 * H, 0.5, dtype=dtype)
    shift = xp.full(4 * H, 0.5, dtype=dtype)
    scale[2 * H:3 * H] = 1
    shift[2 * H:3 * H] = 0
    return scale, shift


class LSTM(Function):
    """Whole-sequence LSTM: (x (N, T, D), h0, c0, W_ih, W_hh, b_ih, b_hh) ->
    (outputs (N, T, H), h_T (N, H), c_T (N, H)).

    BPTT, one step in reverse, from gh = dL/dh_t and gc = dL/dc_t:
        gc += gh * o * (1 - tanh(c_t)**2)            through h_t = o * tanh(c_t)
        go  = gh * tanh(c_t) * o * (1 - o)           出力ゲート
        gi  = gc * g * i * (1 - i)                   入力ゲート
        gf  = gc * c_{t-1} * f * (1 - f)             忘却ゲート
        gg  = gc * i * (1 - g**2)                    candidate
        gA_t = [gi, gf, gg, go]                      (N, 4H), before the activations
        dL/dc_{t-1} = gc * f,   dL/dh_{t-1} = gA_t @ W_hh (+ the output gradient at t-1)
    and after the loop, over all steps at once:
        gx = gA @ W_ih,  gW_ih = sum_t gA_t^T x_t,  gW_hh = sum_t gA_t^T h_{t-1},
        gb_ih = gb_hh = sum_t gA_t
    """

    W_ih_index = 3  # inputs: x, h0, c0, W_ih, W_hh, b_ih, b_hh

    def __init__(self, mask):
        self.mask = mask  # (T, N, 1) of 0/1, or None: see prepare_mask

    def forward(self, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        xp = self.xp
        N, T, _ = x.shape
        H = h0.shape[1]
        xs = time_major(x)  # (T, N, D)
        A = project_inputs(xs, W_ih, b_ih + b_hh)  # (T, N, 4H); becomes the gates in place
        hs = xp.empty((T + 1, N, H), dtype=x.dtype)  # h_0 .. h_T
        cs = xp.empty((T + 1, N, H), dtype=x.dtype)  # c_0 .. c_T
        tanh_cs = xp.empty((T, N, H), dtype=x.dtype)  # tanh(c_t), reused by the backward
        hs[0] = h0
        cs[0] = c0
        recurrent = xp.empty((4 * H, N), dtype=x.dtype)
        written = xp.empty((N, H), dtype=x.dtype)
        scale, shift = _gate_scales(xp, H, x.dtype)
        keep = None if self.mask is None else self.mask == 0  # (T, N, 1)
        i_seq, f_seq, g_seq, o_seq = gate_blocks(A, 4)  # (T, N, H) views of every step's gates
        for t in range(T):
            a = A[t]
            a += recurrent_term(xp, W_hh, hs[t], recurrent)  # the one GEMM of this step
            sigmoid_via_tanh_(xp, a, scale, shift)  # i, f, o = sigmoid(a), g = tanh(a)
            i, f, g, o = i_seq[t], f_seq[t], g_seq[t], o_seq[t]
            c = cs[t + 1]
            xp.multiply(f, cs[t], out=c)  # c_t = f * c_{t-1} + i * g
            c += xp.multiply(i, g, out=written)
            xp.tanh(c, out=tanh_cs[t])
            xp.multiply(o, tanh_cs[t], out=hs[t + 1])  # h_t = o * tanh(c_t)
            if keep is not None:  # masked step: the state is carried over unchanged
                xp.copyto(c, cs[t], where=keep[t])
                xp.copyto(hs[t + 1], hs[t], where=keep[t])
        self.save_for_backward(xs, W_ih, W_hh, A, hs, cs, tanh_cs)
        return sequence_outputs(hs, self.mask), hs[T].copy(), cs[T].copy()

    def backward(self, gy, gh_T, gc_T, xp):
        xs, W_ih, W_hh, A, hs, cs, tanh_cs = self.saved
        T, N, H = tanh_cs.shape
        # gA_t, the gradient of each gate before its activation, is (incoming gradient) *
        # (local derivative). The local derivatives do not depend on the incoming gradient,
        # so gA is first filled with them for all steps at once; the loop only multiplies.
        i, f, g, o = gate_blocks(A, 4)  # (T, N, H) each
        gA = xp.empty_like(A)  # (T, N, 4H)
        d_i, d_f, d_g, d_o = gate_blocks(gA, 4)
        # dc_t/da_i = g * i * (1 - i)              入力ゲート
        # dc_t/da_f = c_{t-1} * f * (1 - f)        忘却ゲート
        # dc_t/da_g = i * (1 - g**2)               candidate
        # dh_t/da_o = tanh(c_t) * o * (1 - o)      出力ゲート
        # dh_t/dc_t = o * (1 - tanh(c_t)**2)       through h_t = o * tanh(c_t)
        xp.multiply(g * i, 1 - i, out=d_i)
        xp.multiply(cs[:-1] * f, 1 - f, out=d_f)
        xp.multiply(i, 1 - g * g, out=d_g)
        xp.multiply(tanh_cs * o, 1 - o, out=d_o)
        dh_dc = o * (1 - tanh_cs * tanh_cs)
        gA_ifg = gA.reshape(T, N, 4, H)[:, :, :3]  # (T, N, 3, H): the blocks i, f, g
        gys = output_grads(gy, self.mask)  # (T, N, H)
        recurrent = xp.empty((H, N), dtype=gA.dtype)
        gh = gh_T.copy()  # dL/dh_t, flowing back through time
        gc = gc_T.copy()  # dL/dc_t
        for t in reversed(range(T)):
            gh += gys[t]
            if self.mask is not None:
                gh, gh_kept = split_masked(gh, self.mask[t])
                gc, gc_kept = split_masked(gc, self.mask[t])
            gc += gh * dh_dc[t]
            gA_ifg[t] *= gc[:, None, :]  # gi, gf, gg = gc * dc_t/da
            d_o[t] *= gh  # go = gh * dh_t/da_o
            gc *= f[t]  # dL/dc_{t-1}: the cell path, only scaled by the forget gate
            gh = recurrent_term_grad(xp, W_hh, gA[t], recurrent)  # dL/dh_{t-1} = gA_t @ W_hh
            if self.mask is not None:
                gh += gh_kept
                gc += gc_kept
        gx, gW_ih, gW_hh, gb_ih, gb_hh = grads_over_steps(self, gA, gA, xs, W_ih, hs)
        return gx, gh, gc, gW_ih, gW_hh, gb_ih, gb_hh


class LSTMCell(OneStep, LSTM):
    """One LSTM step, as torch.nn.LSTMCell: (x (N, D), h, c, W_ih, W_hh, b_ih, b_hh) ->
    (h' (N, H), c' (N, H)). The same math as LSTM with T = 1 (so the same backward)."""


def _defaults(op, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """Check shapes and replace absent states and biases by zero constants."""
    return with_defaults(op, x, {"h0": h0, "c0": c0}, W_ih, W_hh, b_ih, b_hh, 4,
                         "(i, f, g, o)")


def lstm(x: Tensor, h0: Tensor | None, c0: Tensor | None, W_ih: Tensor, W_hh: Tensor,
         b_ih: Tensor | None = None, b_hh: Tensor | None = None,
         mask: Tensor | ArrayLike | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """LSTM over a batch-first sequence x (N, T, D): returns (outputs (N, T, H), h_T, c_T).

    Weights as torch.nn.LSTM's ``weight_ih_l0`` (4H, D), ``weight_hh_l0`` (4H, H) and
    biases (4H,), gates in the order (i, f, g, o). ``h0`` / ``c0`` (N, H) may be None
    (zeros); biases may be None (bias=False). ``mask`` (N, T) of 0/1: at masked steps h
    and c are carried over and the output is zero (see recurrent.py).

    One fused op: the input term of all four gates for all steps in one GEMM, then one
    GEMM per step; backward is BPTT (通時的誤差逆伝播) in one reverse loop (see the LSTM
    class above for its formulas).

    Args:
        x: the input sequence (N, T, D), batch first.
        h0, c0: the initial hidden state and cell (N, H); None means zeros.
        W_ih: the input weights (4H, D), gate blocks (i, f, g, o).
        W_hh: the recurrent weights (4H, H).
        b_ih, b_hh: the biases (4H,); None for none. Default: None
        mask: (N, T) of 0/1 (or booleans), 1 at the valid steps; None: all valid.
            Not in PyTorch (which packs sequences instead). Default: None

    Shape:
        - Input: x (N, T, D), h0 and c0 (N, H).
        - Output: (outputs (N, T, H), h_T (N, H), c_T (N, H)); h_T and c_T are the
          states after each sequence's last valid step.

    Example:
        >>> N, T, D, H = 2, 5, 3, 4
        >>> x = manabu.tensor(np.ones((N, T, D), np.float32), requires_grad=True)
        >>> W_ih = manabu.tensor(np.full((4 * H, D), 0.1, np.float32), requires_grad=True)
        >>> W_hh = manabu.tensor(np.full((4 * H, H), 0.1, np.float32), requires_grad=True)
        >>> out, h, c = F.lstm(x, None, None, W_ih, W_hh)
        >>> out.shape, h.shape, c.shape
        ((2, 5, 4), (2, 4), (2, 4))
        >>> mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])  # lengths 3 and 5
        >>> out, h, c = F.lstm(x, None, None, W_ih, W_hh, mask=mask)
        >>> out[0, 3:].tolist(), bool((h[0].data == out[0, 2].data).all())
        ([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], True)
        >>> (out.sum() + c.sum()).backward()
        >>> x.grad.shape, W_hh.grad.shape
        ((2, 5, 3), (16, 4))
    """
    check_input("lstm", x)
    h0, c0, b_ih, b_hh = _defaults("lstm", x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    m = prepare_mask("lstm", mask, x)
    return LSTM.apply(x, h0, c0, W_ih, W_hh, b_ih, b_hh, mask=m)


def lstm_cell(x: Tensor, h: Tensor | None, c: Tensor | None, W_ih: Tensor, W_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step on x (N, D), as torch.nn.LSTMCell: returns (h' (N, H), c' (N, H)).
    ``h`` / ``c`` may be None (zeros); biases may be None.

    Example:
        >>> x = manabu.tensor(np.ones((2, 3), np.float32))  # (N, D)
        >>> W_ih = manabu.tensor(np.full((16, 3), 0.1, np.float32))  # H = 4
        >>> W_hh = manabu.tensor(np.full((16, 4), 0.1, np.float32))
        >>> h, c = F.lstm_cell(x, None, None, W_ih, W_hh)
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """
    check_input("lstm_cell", x, cell=True)
    h, c, b_ih, b_hh = _defaults("lstm_cell", x, h, c, W_ih, W_hh, b_ih, b_hh)
    return LSTMCell.apply(x, h, c, W_ih, W_hh, b_ih, b_hh, mask=None)

"""GRU (Gated Recurrent Unit) as one fused op over a whole sequence, and its single step.

One step, with PyTorch's weight layout (gate blocks r, z, n):

    r = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)     リセットゲート (reset gate)
    z = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)     更新ゲート (update gate)
    n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))  the new candidate
    h_t = (1 - z) * n + z * h_{t-1}

Two gates instead of the LSTM's three and no separate cell: fewer parameters, often as
accurate. Note the convention: here (as in PyTorch) z is the share of the OLD state kept;
some texts (the notes' ``h_new = (1 - z) * h + z * h_bar``) use 1 - z for the same gate.
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

__all__ = ["gru", "gru_cell"]


class GRU(Function):
    """Whole-sequence GRU: (x (N, T, D), h0, W_ih, W_hh, b_ih, b_hh) ->
    (outputs (N, T, H), h_T (N, H)).

    BPTT, one step in reverse from gh = dL/dh_t, with hn = W_hn h_{t-1} + b_hn:
        gn = gh * (1 - z) * (1 - n**2)                 candidate, before tanh
        gz = gh * (h_{t-1} - n) * z * (1 - z)          更新ゲート
        gr = gn * hn * r * (1 - r)                     リセットゲート
        input side gAx_t = [gr, gz, gn],  hidden side gAh_t = [gr, gz, gn * r]
        dL/dh_{t-1} = gh * z + gAh_t @ W_hh (+ the output gradient at t-1)
    and after the loop, over all steps at once:
        gx = gAx @ W_ih,  gW_ih = sum_t gAx_t^T x_t,  gb_ih = sum_t gAx_t,
        gW_hh = sum_t gAh_t^T h_{t-1},  gb_hh = sum_t gAh_t
    """

    W_ih_index = 2  # inputs: x, h0, W_ih, W_hh, b_ih, b_hh

    def __init__(self, mask):
        self.mask = mask  # (T, N, 1) of 0/1, or None: see prepare_mask

    def forward(self, x, h0, W_ih, W_hh, b_ih, b_hh):
        xp = self.xp
        N, T, _ = x.shape
        H = h0.shape[1]
        xs = time_major(x)  # (T, N, D)
        A = project_inputs(xs, W_ih, b_ih)  # (T, N, 3H); becomes (r, z, n) in place
        hs = xp.empty((T + 1, N, H), dtype=x.dtype)  # h_0 .. h_T
        hns = xp.empty((T, N, H), dtype=x.dtype)  # W_hn h_{t-1} + b_hn, for the backward
        hs[0] = h0
        recurrent_T = xp.empty((3 * H, N), dtype=x.dtype)
        b_hh_column = b_hh[:, None]  # (3H, 1)
        reset = xp.empty((N, H), dtype=x.dtype)
        keep = None if self.mask is None else self.mask == 0  # (T, N, 1)
        r_seq, z_seq, n_seq = gate_blocks(A, 3)  # (T, N, H) views of every step's gates
        for t in range(T):
            # the one GEMM of this step: recurrent (N, 3H) = h_{t-1} @ W_hh^T + b_hh
            recurrent = recurrent_term(xp, W_hh, hs[t], recurrent_T)
            recurrent_T += b_hh_column
            a = A[t]
            r, z, n = r_seq[t], z_seq[t], n_seq[t]
            a[:, :2 * H] += recurrent[:, :2 * H]
            sigmoid_via_tanh_(xp, a[:, :2 * H])  # r and z, adjacent blocks
            hns[t] = recurrent[:, 2 * H:]
            n += xp.multiply(r, hns[t], out=reset)  # n = tanh(W_in x + b_in + r * hn)
            xp.tanh(n, out=n)
            h = hs[t + 1]
            xp.subtract(hs[t], n, out=h)  # h_t = n + z * (h_{t-1} - n)
            h *= z
            h += n
            if keep is not None:  # masked step: the state is carried over unchanged
                xp.copyto(h, hs[t], where=keep[t])
        self.save_for_backward(xs, W_ih, W_hh, A, hs, hns)
        return sequence_outputs(hs, self.mask), hs[T].copy()

    def backward(self, gy, gh_T, xp):
        xs, W_ih, W_hh, A, hs, hns = self.saved
        T, N, H = hns.shape
        # Every gate gradient is gh (= dL/dh_t) times a local derivative that does not depend
        # on gh: fill gAx / gAh with those for all steps at once; the loop only multiplies.
        r, z, n = gate_blocks(A, 3)  # (T, N, H) each
        gAx = xp.empty_like(A)  # (T, N, 3H): input-side pre-activations (r, z, n)
        d_r, d_z, d_n = gate_blocks(gAx, 3)
        # dh_t/da_n = (1 - z) * (1 - n**2)                  candidate
        # dh_t/da_z = (h_{t-1} - n) * z * (1 - z)            更新ゲート
        # dh_t/da_r = dh_t/da_n * hn * r * (1 - r)           リセットゲート
        xp.multiply(1 - z, 1 - n * n, out=d_n)
        xp.multiply((hs[:-1] - n) * z, 1 - z, out=d_z)
        xp.multiply(d_n * hns, r * (1 - r), out=d_r)
        gAh = gAx.copy()  # (T, N, 3H): hidden side (r, z, and hn, which enters n as r * hn)
        d_hn = gate_blocks(gAh, 3)[2]
        d_hn *= r
        gAx_blocks = gAx.reshape(T, N, 3, H)  # (T, N, 3, H): a view, one block per gate
        gAh_blocks = gAh.reshape(T, N, 3, H)  # (T, N, 3, H)
        gys = output_grads(gy, self.mask)  # (T, N, H)
        recurrent = xp.empty((H, N), dtype=A.dtype)
        gh = gh_T.copy()  # dL/dh_t, flowing back through time
        for t in reversed(range(T)):
            gh += gys[t]
            if self.mask is not None:
                gh, gh_kept = split_masked(gh, self.mask[t])
            gAx_blocks[t] *= gh[:, None, :]  # gr, gz, gn = gh * dh_t/da
            gAh_blocks[t] *= gh[:, None, :]
            gh_through_gates = recurrent_term_grad(xp, W_hh, gAh[t], recurrent)  # gAh_t @ W_hh
            gh = gh * z[t] + gh_through_gates  # dL/dh_{t-1}: the direct path and the gates
            if self.mask is not None:
                gh += gh_kept
        gx, gW_ih, gW_hh, gb_ih, gb_hh = grads_over_steps(self, gAx, gAh, xs, W_ih, hs)
        return gx, gh, gW_ih, gW_hh, gb_ih, gb_hh


class GRUCell(OneStep, GRU):
    """One GRU step, as torch.nn.GRUCell: (x (N, D), h, W_ih, W_hh, b_ih, b_hh) -> h' (N, H).
    The same math as GRU with T = 1 (so the same backward)."""


def _defaults(op, x, h0, W_ih, W_hh, b_ih, b_hh):
    """Check shapes and replace an absent state and biases by zero constants."""
    return with_defaults(op, x, {"h0": h0}, W_ih, W_hh, b_ih, b_hh, 3, "(r, z, n)")


def gru(x: Tensor, h0: Tensor | None, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None = None,
        b_hh: Tensor | None = None,
        mask: Tensor | ArrayLike | None = None) -> tuple[Tensor, Tensor]:
    """GRU over a batch-first sequence x (N, T, D): returns (outputs (N, T, H), h_T).

    Weights as torch.nn.GRU's ``weight_ih_l0`` (3H, D), ``weight_hh_l0`` (3H, H) and biases
    (3H,), gates in the order (r, z, n). ``h0`` (N, H) may be None (zeros); biases may be
    None (bias=False). ``mask`` (N, T) of 0/1: at masked steps h is carried over and the
    output is zero (see recurrent.py).

    Example:
        >>> x = manabu.tensor(np.ones((2, 5, 3), np.float32))  # (N, T, D)
        >>> W_ih = manabu.tensor(np.full((12, 3), 0.1, np.float32))  # (3H, D), H = 4
        >>> W_hh = manabu.tensor(np.full((12, 4), 0.1, np.float32))
        >>> out, h = F.gru(x, None, W_ih, W_hh)
        >>> out.shape, h.shape
        ((2, 5, 4), (2, 4))
    """
    check_input("gru", x)
    h0, b_ih, b_hh = _defaults("gru", x, h0, W_ih, W_hh, b_ih, b_hh)
    m = prepare_mask("gru", mask, x)
    return GRU.apply(x, h0, W_ih, W_hh, b_ih, b_hh, mask=m)


def gru_cell(x: Tensor, h: Tensor | None, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step on x (N, D), as torch.nn.GRUCell: returns h' (N, H).
    ``h`` may be None (zeros); biases may be None."""
    check_input("gru_cell", x, cell=True)
    h, b_ih, b_hh = _defaults("gru_cell", x, h, W_ih, W_hh, b_ih, b_hh)
    return GRUCell.apply(x, h, W_ih, W_hh, b_ih, b_hh, mask=None)

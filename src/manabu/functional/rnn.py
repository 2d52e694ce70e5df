"""The plain (Elman) RNN as one fused op over a whole sequence, and its single step.

再帰型ニューラルネットワーク (RNN): the hidden state is fed back at every step,

    h_t = tanh(x_t @ W_ih^T + b_ih + h_{t-1} @ W_hh^T + b_hh)      (or relu)

with PyTorch's weight layout (W_ih (H, D), W_hh (H, H)). Going back through time the
gradient is multiplied at every step by W_hh^T and by tanh' <= 1, so over long sequences it
shrinks (or, with large weights, explodes): the 勾配消失問題 that LSTM and GRU address.
See recurrent.py for the shared conventions (shapes, masks, BPTT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.autograd import Function
from manabu.functional.recurrent import (
    OneStep, check_input, grads_over_steps, output_grads, prepare_mask, project_inputs,
    recurrent_term, recurrent_term_grad, sequence_outputs, split_masked, time_major, with_defaults,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from manabu.tensor import Tensor

__all__ = ["rnn", "rnn_cell"]

_NONLINEARITIES = ("tanh", "relu")


class RNN(Function):
    """Whole-sequence Elman RNN: (x (N, T, D), h0, W_ih, W_hh, b_ih, b_hh) ->
    (outputs (N, T, H), h_T (N, H)), with ``nonlinearity`` 'tanh' or 'relu'.

    BPTT (通時的誤差逆伝播), one step in reverse from gh = dL/dh_t:
        ga_t = gh * (1 - h_t**2)          tanh        (gh * (h_t > 0) for relu)
        dL/dh_{t-1} = ga_t @ W_hh (+ the output gradient at t-1)
    and after the loop, over all steps at once:
        gx = ga @ W_ih,  gW_ih = sum_t ga_t^T x_t,  gW_hh = sum_t ga_t^T h_{t-1},
        gb_ih = gb_hh = sum_t ga_t
    """

    W_ih_index = 2  # inputs: x, h0, W_ih, W_hh, b_ih, b_hh

    def __init__(self, nonlinearity, mask):
        self.nonlinearity = nonlinearity  # 'tanh' or 'relu'
        self.mask = mask  # (T, N, 1) of 0/1, or None: see prepare_mask

    def forward(self, x, h0, W_ih, W_hh, b_ih, b_hh):
        xp = self.xp
        N, T, _ = x.shape
        H = h0.shape[1]
        xs = time_major(x)  # (T, N, D)
        A = project_inputs(xs, W_ih, b_ih + b_hh)  # (T, N, H): x_t @ W_ih^T + b, every t
        hs = xp.empty((T + 1, N, H), dtype=x.dtype)  # h_0 .. h_T
        hs[0] = h0
        recurrent = xp.empty((H, N), dtype=x.dtype)
        keep = None if self.mask is None else self.mask == 0  # (T, N, 1)
        for t in range(T):
            a = A[t]
            a += recurrent_term(xp, W_hh, hs[t], recurrent)  # the one GEMM of this step
            if self.nonlinearity == "tanh":
                xp.tanh(a, out=hs[t + 1])
            else:
                xp.maximum(a, 0, out=hs[t + 1])
            if keep is not None:  # masked step: the state is carried over unchanged
                xp.copyto(hs[t + 1], hs[t], where=keep[t])
        self.save_for_backward(xs, W_ih, W_hh, hs)
        return sequence_outputs(hs, self.mask), hs[T].copy()

    def backward(self, gy, gh_T, xp):
        xs, W_ih, W_hh, hs = self.saved
        T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        gys = output_grads(gy, self.mask)  # (T, N, H)
        # ga_t = gh * (local derivative of the nonlinearity): those for all steps first
        h = hs[1:]  # (T, N, H)
        if self.nonlinearity == "tanh":
            gA = 1 - h * h  # dh_t/da_t = 1 - tanh(a_t)**2 = 1 - h_t**2
        else:
            gA = (h > 0).astype(h.dtype)  # dh_t/da_t = 1 where a_t > 0, else 0
        recurrent = xp.empty((H, N), dtype=gA.dtype)
        gh = gh_T.copy()  # dL/dh_t, flowing back through time
        for t in reversed(range(T)):
            gh += gys[t]
            if self.mask is not None:
                gh, gh_kept = split_masked(gh, self.mask[t])
            gA[t] *= gh  # ga_t = gh * dh_t/da_t, the gradient before the nonlinearity
            gh = recurrent_term_grad(xp, W_hh, gA[t], recurrent)  # dL/dh_{t-1} = ga_t @ W_hh
            if self.mask is not None:
                gh += gh_kept
        gx, gW_ih, gW_hh, gb_ih, gb_hh = grads_over_steps(self, gA, gA, xs, W_ih, hs)
        return gx, gh, gW_ih, gW_hh, gb_ih, gb_hh


class RNNCell(OneStep, RNN):
    """One RNN step, as torch.nn.RNNCell: (x (N, D), h, W_ih, W_hh, b_ih, b_hh) -> h' (N, H).
    The same math as RNN with T = 1 (so the same backward)."""


def _defaults(op, x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity):
    """Check the arguments and replace an absent state and biases by zero constants."""
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"{op}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return with_defaults(op, x, {"h0": h0}, W_ih, W_hh, b_ih, b_hh, 1, "")


def rnn(x: Tensor, h0: Tensor | None, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None = None,
        b_hh: Tensor | None = None, nonlinearity: str = "tanh",
        mask: Tensor | ArrayLike | None = None) -> tuple[Tensor, Tensor]:
    """Elman RNN over a batch-first sequence x (N, T, D): returns (outputs (N, T, H), h_T).

    Weights as torch.nn.RNN's ``weight_ih_l0`` (H, D), ``weight_hh_l0`` (H, H) and biases
    (H,). ``h0`` (N, H) may be None (zeros); biases may be None (bias=False).
    ``nonlinearity`` is 'tanh' or 'relu'. ``mask`` (N, T) of 0/1: at masked steps h is
    carried over and the output is zero (see recurrent.py).

    Example:
        >>> x = manabu.tensor(np.ones((2, 5, 3), np.float32))  # (N, T, D)
        >>> W_ih = manabu.tensor(np.full((4, 3), 0.1, np.float32))  # (H, D)
        >>> W_hh = manabu.tensor(np.full((4, 4), 0.1, np.float32))
        >>> out, h = F.rnn(x, None, W_ih, W_hh, nonlinearity="relu")
        >>> out.shape, h.shape, bool((out[:, -1].data == h.data).all())
        ((2, 5, 4), (2, 4), True)
    """
    check_input("rnn", x)
    h0, b_ih, b_hh = _defaults("rnn", x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity)
    m = prepare_mask("rnn", mask, x)
    return RNN.apply(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity=nonlinearity, mask=m)


def rnn_cell(x: Tensor, h: Tensor | None, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None, nonlinearity: str = "tanh") -> Tensor:
    """One Elman RNN step on x (N, D), as torch.nn.RNNCell: returns h' (N, H).
    ``h`` may be None (zeros); biases may be None."""
    check_input("rnn_cell", x, cell=True)
    h, b_ih, b_hh = _defaults("rnn_cell", x, h, W_ih, W_hh, b_ih, b_hh, nonlinearity)
    return RNNCell.apply(x, h, W_ih, W_hh, b_ih, b_hh, nonlinearity=nonlinearity, mask=None)

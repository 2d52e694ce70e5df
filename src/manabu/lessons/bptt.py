"""BPTT over a long sequence: 勾配消失問題 (vanishing), 勾配爆発 (exploding), 勾配クリッピング.

通時的誤差逆伝播法 (BPTT) carries dL/dh_t from the last step back to the first. In a plain
RNN every step multiplies it by the same Jacobian,

    dL/dh_{t-1} = (dL/dh_t * tanh'(u_t)) W_hh      (tanh' <= 1)

so over T steps the gradient shrinks or grows roughly like (the size of W_hh times the
typical tanh')^T: it vanishes when that is below 1, explodes when above. An LSTM sends the
gradient back along its cell instead, dL/dc_{t-1} = dL/dc_t * f_t, multiplied only by the
forget gate (忘却ゲート), which the network can hold near 1.

The lesson runs 100 steps of random inputs (8 features, batch 16, 32 hidden units, float64)
through single-step cells, keeps every h_t (``retain_grad``), takes L = sum(h_T**2) / N at
the last step only, and draws ||dL/dh_t|| against t on a log scale (the figure). Then
勾配クリッピング: with W_hh twice an orthogonal matrix the RNN's gradient explodes, and
``optim.clip_grad_norm_`` rescales it to norm 1.

Expect (||dL/dh_1|| / ||dL/dh_100||; quick and full mode are the same run, 2 s):

    RNN, PyTorch init                          1.6e-26  vanishes
    GRU, PyTorch init                          2.4e-21
    LSTM, PyTorch init (forget bias 0)         6.2e-22  f ~ 0.5: forgets as fast
    LSTM, forget-gate bias +3 (f ~ 0.95)       7.4e-02  the cell carries the gradient
    RNN, W_hh = 2 x orthogonal                 1.9e+07  explodes

So an LSTM is no cure by itself: at initialisation its half-open forget gates forget as fast
as an RNN; it is the gate, opened (here by its bias; in training, by learning), that lets
the gradient through. Clipping: the exploding RNN's parameter gradient has norm 1.1e8;
clip_grad_norm_(max_norm=1) returns that norm and leaves one of norm 1.000. One SGD step
(lr 0.05) without clipping moves the weights by 5.7e6 and saturates 100% of the tanh units
(|h| > 0.99; 7% before); with clipping the step is 0.050 long and 7% stay saturated.
"""

import os

import numpy as np

import manabu
from manabu import nn, optim, plot
from manabu.autograd import Tensor

__all__ = ["hidden_state_gradients", "run"]

STEPS = 100
BATCH = 16
FEATURES = 8
HIDDEN = 32


def hidden_state_gradients(cell, x):
    """||dL/dh_t|| for t = 1..T, with L = sum(h_T**2) / N, for a cell run over x (N, T, D)."""
    N, T, _ = x.shape
    lstm = isinstance(cell, nn.LSTMCell)
    state = None
    hidden = []
    for t in range(T):
        step = Tensor(x[:, t])
        if lstm:
            state = cell(step, state)
            h = state[0]
        else:
            state = cell(step, state)
            h = state
        h.retain_grad()  # keep dL/dh_t, a non-leaf gradient, after backward
        hidden.append(h)
    loss = (hidden[-1] * hidden[-1]).sum() / N
    loss.backward()
    return np.array([np.linalg.norm(h.grad.numpy()) for h in hidden])


def exploding_rnn_cell():
    """An RNN whose gradient explodes: W_hh = 2 x orthogonal, small input weights."""
    cell = nn.RNNCell(FEATURES, HIDDEN, init="orthogonal", dtype=np.float64)
    cell.weight_hh.data *= 2.0
    cell.weight_ih.data *= 0.1
    return cell


def lstm_with_forget_bias(bias):
    cell = nn.LSTMCell(FEATURES, HIDDEN, dtype=np.float64)
    cell.bias_ih.data[HIDDEN:2 * HIDDEN] += bias  # the f block of the (i, f, g, o) gates
    return cell


def cells():
    """The five cells of the figure, each drawn after manual_seed(0)."""
    makers = {
        "RNN (tanh), PyTorch init": lambda: nn.RNNCell(FEATURES, HIDDEN, dtype=np.float64),
        "GRU, PyTorch init": lambda: nn.GRUCell(FEATURES, HIDDEN, dtype=np.float64),
        "LSTM, PyTorch init (forget bias 0)": lambda: lstm_with_forget_bias(0.0),
        "LSTM, forget-gate bias +3": lambda: lstm_with_forget_bias(3.0),
        "RNN (tanh), W_hh = 2 x orthogonal": exploding_rnn_cell,
    }
    built = {}
    for name, make in makers.items():
        manabu.manual_seed(0)
        built[name] = make()
    return built


def clipping_demo(x, max_norm=1.0, lr=0.05):
    """Gradient norm of the exploding RNN before and after clip_grad_norm_, and what one
    SGD step does to the weights and to the hidden units with and without clipping."""
    results = {}
    for clip in (False, True):
        manabu.manual_seed(0)
        cell = exploding_rnn_cell()
        params = list(cell.parameters())
        hidden_state_gradients(cell, x)  # fills every parameter's .grad
        before = float(optim.clip_grad_norm_(params, float("inf"), norm_type=2.0).item())
        if clip:
            optim.clip_grad_norm_(params, max_norm)
        after = float(np.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in params)))
        old = [p.numpy().copy() for p in params]
        saturated_before = saturation(cell, x)
        optim.SGD(params, lr=lr).step()
        moved = float(np.sqrt(sum(((p.numpy() - o) ** 2).sum() for p, o in zip(params, old))))
        results["clipped" if clip else "raw"] = {
            "norm_before": before, "norm_after": after, "step_length": moved,
            "saturated_before": saturated_before, "saturated_after": saturation(cell, x),
        }
    return results


def saturation(cell, x):
    """The fraction of hidden units with |h| > 0.99 over every step of x."""
    h = None
    total = 0.0
    with manabu.no_grad():
        for t in range(x.shape[1]):
            h = cell(Tensor(x[:, t]), h)
            total += float((np.abs(h.numpy()) > 0.99).mean())
    return total / x.shape[1]


def run(quick=False, out="lessons-output"):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, STEPS, FEATURES))  # float64: 1e-26 is far below float32's
    norms = {}
    print(f"||dL/dh_t|| for L = sum(h_T^2) / N after {STEPS} steps "
          f"(batch {BATCH}, {HIDDEN} hidden units); ratio first / last step:")
    for name, cell in cells().items():
        norms[name] = hidden_state_gradients(cell, x)
        print(f"  {name:38s} {norms[name][0] / norms[name][-1]:.1e}")
    path = plot.curves(norms, os.path.join(out, "bptt_gradient_norms.png"),
                       xlabel="time step t (the loss is at t = 100)", ylabel="||dL/dh_t||",
                       logy=True, title="BPTT: vanishing and exploding gradients")

    clip = clipping_demo(x)
    raw, clipped = clip["raw"], clip["clipped"]
    print(f"exploding RNN: gradient norm {raw['norm_before']:.2e}; after "
          f"clip_grad_norm_(max_norm=1): {clipped['norm_after']:.3f}")
    print(f"one SGD step (lr 0.05): without clipping the weights move by "
          f"{raw['step_length']:.2e} and {raw['saturated_after']:.0%} of the tanh units "
          f"saturate (before: {raw['saturated_before']:.0%}); with clipping they move by "
          f"{clipped['step_length']:.3f}, {clipped['saturated_after']:.0%} saturated")
    print(f"figure: {path}")
    ratios = {name: float(n[0] / n[-1]) for name, n in norms.items()}
    return {
        "ratio_first_to_last": ratios,
        "rnn_ratio": ratios["RNN (tanh), PyTorch init"],
        "lstm_ratio": ratios["LSTM, PyTorch init (forget bias 0)"],
        "lstm_forget_bias_ratio": ratios["LSTM, forget-gate bias +3"],
        "exploding_ratio": ratios["RNN (tanh), W_hh = 2 x orthogonal"],
        "clip_norm_before": raw["norm_before"],
        "clip_norm_after": clipped["norm_after"],
        "step_without_clipping": raw["step_length"],
        "step_with_clipping": clipped["step_length"],
        "saturated_without_clipping": raw["saturated_after"],
        "saturated_with_clipping": clipped["saturated_after"],
        "figure": path,
    }

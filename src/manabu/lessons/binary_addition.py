"""An RNN (再帰型ニューラルネットワーク) learns 8-bit binary addition, twice.

The notes' day-3 exercise: at step t the network reads bit t of a and of b (least
significant bit first) and writes bit t of a + b; the carry must live in the hidden state.
a, b < 128, so the sum fits in 8 bits: 16,384 possible pairs, of which 1,000 random ones
are held out and never trained on.

1. By hand, with the textbook API (manabu.functions, plain NumPy): the notes' network
   (16 sigmoid hidden units, no biases, weights N(0, 1), squared error, one pair per SGD
   step), forward one step at a time and 通時的誤差逆伝播法 (BPTT) written out:

       u_t = x_t W_in + z_{t-1} W,  z_t = sigmoid(u_t),  y_t = sigmoid(z_t W_out)
       delta_out_t = (y_t - d_t) * y_t (1 - y_t)
       delta_t = (delta_{t+1} W^T + delta_out_t W_out^T) * z_t (1 - z_t)
       dW_out = sum_t z_t^T delta_out_t,  dW = sum_t z_{t-1}^T delta_t,
       dW_in = sum_t x_t^T delta_t

   The notes use lr 0.1; 0.5 gets there in fewer steps. The notes' code passes y_t to
   d_sigmoid, which expects the pre-activation; sigmoid'(v) = y (1 - y) is used here.

2. With the framework: nn.RNN(2, 16) (tanh) + nn.Linear(16, 1), binary cross-entropy on
   the logits, Adam, mini-batches of 32, autograd doing the BPTT.

Expect (full run, 4-10 s on 2 CPU cores): both reach 100% on the 1,000 held-out
pairs (every one of the 8 bits right). By hand: 10,000 steps at lr 0.5, the summed squared
error per pair falls from 1.08 to 0.0014. nn.RNN: 6 epochs of the 15,384 training pairs,
the loss falls from 0.69 (a coin flip) to 0.0002. Quick mode (tests, about 3 s): 3,000
steps by hand and 1 epoch for nn.RNN, also 100% on the held-out pairs.
"""

import os

import numpy as np

import manabu
from manabu import functional as F
from manabu import nn, optim, plot
from manabu.data.datasets.sequences import bits_to_int, int_to_bits
from manabu.functions import d_mean_squared_error, mean_squared_error, sigmoid

__all__ = ["BinaryAdder", "run", "split_pairs", "textbook_backward", "textbook_forward",
           "train_framework", "train_textbook"]

BITS = 8
HIDDEN = 16


def split_pairs(n_test=1000, seed=0):
    """All pairs (a, b), a, b < 2**(BITS - 1): ``n_test`` random ones held out.
    Returns ((a_train, b_train), (a_test, b_test)), integer arrays."""
    half = 2 ** (BITS - 1)
    rng = np.random.default_rng(seed)
    order = rng.permutation(half * half)
    test, train = order[:n_test], order[n_test:]
    return (train // half, train % half), (test // half, test % half)


def make_sequences(a, b):
    """Inputs (N, BITS, 2) and targets (N, BITS, 1) as floats, least significant bit first."""
    x = np.stack([int_to_bits(a, BITS), int_to_bits(b, BITS)], axis=-1)  # (N, T, 2)
    d = int_to_bits(a + b, BITS)[..., None]  # (N, T, 1)
    return x.astype(np.float64), d.astype(np.float64)


# --------------------------------------------------------------------------- by hand


def init_textbook(rng, weight_init_std=1.0):
    """The notes' three weight matrices (biases left out for simplicity)."""
    return {
        "W_in": weight_init_std * rng.standard_normal((2, HIDDEN)),
        "W": weight_init_std * rng.standard_normal((HIDDEN, HIDDEN)),
        "W_out": weight_init_std * rng.standard_normal((HIDDEN, 1)),
    }


def textbook_forward(w, x):
    """x (N, T, 2) -> hidden states z (T + 1, N, H) with z[0] = 0, outputs y (T, N, 1)."""
    N, T, _ = x.shape
    z = np.zeros((T + 1, N, HIDDEN))
    y = np.zeros((T, N, 1))
    for t in range(T):
        u = x[:, t] @ w["W_in"] + z[t] @ w["W"]  # (N, H)
        z[t + 1] = sigmoid(u)
        y[t] = sigmoid(z[t + 1] @ w["W_out"])  # (N, 1)
    return z, y


def textbook_backward(w, x, d, z, y):
    """BPTT from the last step to the first; returns the gradients and the summed loss."""
    N, T, _ = x.shape
    grads = {name: np.zeros_like(value) for name, value in w.items()}
    delta_next = np.zeros((N, HIDDEN))  # nothing flows back from after the last step
    loss = 0.0
    for t in reversed(range(T)):
        loss += mean_squared_error(d[:, t], y[t])
        # sigmoid'(v) written with the output: y (1 - y); likewise z (1 - z) below
        delta_out = d_mean_squared_error(d[:, t], y[t]) * y[t] * (1 - y[t])  # (N, 1)
        delta = (delta_next @ w["W"].T + delta_out @ w["W_out"].T) * z[t + 1] * (1 - z[t + 1])
        grads["W_out"] += z[t + 1].T @ delta_out
        grads["W"] += z[t].T @ delta
        grads["W_in"] += x[:, t].T @ delta
        delta_next = delta
    return grads, loss


def train_textbook(train_pairs, steps, lr=0.5, seed=0):
    """SGD on one random training pair per step, as in the notes; returns weights, losses."""
    rng = np.random.default_rng(seed)
    w = init_textbook(rng)
    a, b = train_pairs
    losses = []
    for i in rng.integers(0, len(a), size=steps):
        x, d = make_sequences(a[i:i + 1], b[i:i + 1])  # (1, T, 2), (1, T, 1)
        z, y = textbook_forward(w, x)
        grads, loss = textbook_backward(w, x, d, z, y)
        for name in w:
            w[name] -= lr * grads[name]
        losses.append(loss)
    return w, np.array(losses)


def textbook_predict(w, a, b):
    x, _ = make_sequences(a, b)
    _, y = textbook_forward(w, x)
    return bits_to_int(y.transpose(1, 0, 2))  # (T, N, 1) -> (N, T, 1) -> sums (N,)


# --------------------------------------------------------------------------- nn.RNN


class BinaryAdder(nn.Module):
    """nn.RNN(2, hidden) reading the bit pairs, nn.Linear(hidden, 1) scoring each sum bit."""

    def __init__(self, hidden=HIDDEN):
        super().__init__()
        self.rnn = nn.RNN(2, hidden)
        self.head = nn.Linear(hidden, 1, init="xavier_uniform")

    def forward(self, x):
        h, _ = self.rnn(x)  # (N, T, H)
        return self.head(h)  # (N, T, 1): logits of the sum bits


def train_framework(train_pairs, epochs, batch_size=32, lr=0.01, seed=0):
    """Adam on mini-batches, autograd's BPTT; returns the model and the loss per batch."""
    manabu.manual_seed(seed)
    model = BinaryAdder()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    x, d = make_sequences(*train_pairs)
    x = x.astype(np.float32)
    d = d.astype(np.float32)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            loss = F.binary_cross_entropy_with_logits(model(x[batch]), d[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
    return model, np.array(losses)


def framework_predict(model, a, b):
    x, _ = make_sequences(a, b)
    with manabu.no_grad():
        logits = model(x.astype(np.float32)).numpy()  # (N, T, 1)
    return bits_to_int(logits > 0)


def moving_average(values, width):
    width = max(1, min(width, len(values)))
    return np.convolve(values, np.ones(width) / width, mode="valid")


def run(quick=False, out="lessons-output"):
    steps, epochs = (3000, 1) if quick else (10000, 6)
    train_pairs, (a_test, b_test) = split_pairs(n_test=1000, seed=0)
    print(f"8-bit binary addition: {len(train_pairs[0])} training pairs, "
          f"{len(a_test)} held out")

    w, losses_hand = train_textbook(train_pairs, steps, lr=0.5, seed=0)
    acc_hand = float(np.mean(textbook_predict(w, a_test, b_test) == a_test + b_test))
    print(f"by hand (manabu.functions, BPTT written out): {steps} SGD steps, loss "
          f"{losses_hand[:200].mean():.3f} -> {losses_hand[-200:].mean():.4f}; "
          f"held-out accuracy {acc_hand:.1%}")

    model, losses_nn = train_framework(train_pairs, epochs, seed=0)
    acc_nn = float(np.mean(framework_predict(model, a_test, b_test) == a_test + b_test))
    print(f"nn.RNN + autograd: {epochs} epochs of mini-batches of 32, loss "
          f"{losses_nn[:20].mean():.3f} -> {losses_nn[-20:].mean():.5f}; "
          f"held-out accuracy {acc_nn:.1%}")

    example = (int(a_test[0]), int(b_test[0]))
    answer = int(framework_predict(model, a_test[:1], b_test[:1])[0])
    print(f"e.g. {example[0]} + {example[1]} = {answer}  "
          f"({int_to_bits(example[0], BITS)[::-1]} + {int_to_bits(example[1], BITS)[::-1]})")

    path_hand = plot.curves(
        {"by hand, one pair per step (moving average of 100)": moving_average(losses_hand, 100)},
        os.path.join(out, "binary_addition_textbook_loss.png"), xlabel="SGD step",
        ylabel="summed squared error per pair", logy=True,
        title="textbook RNN (manabu.functions): loss")
    path_nn = plot.curves(
        {"nn.RNN, batches of 32 (moving average of 20)": moving_average(losses_nn, 20)},
        os.path.join(out, "binary_addition_nn_rnn_loss.png"), xlabel="Adam step",
        ylabel="binary cross-entropy per bit", logy=True, title="nn.RNN + autograd: loss")
    print(f"figures: {path_hand}, {path_nn}")
    return {
        "textbook_accuracy": acc_hand,
        "textbook_loss_start": float(losses_hand[:200].mean()),
        "textbook_loss_end": float(losses_hand[-200:].mean()),
        "nn_rnn_accuracy": acc_nn,
        "nn_rnn_loss_start": float(losses_nn[:20].mean()),
        "nn_rnn_loss_end": float(losses_nn[-20:].mean()),
        "held_out_pairs": int(len(a_test)),
        "figures": [path_hand, path_nn],
    }

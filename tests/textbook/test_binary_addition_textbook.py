"""The notes' day-3 exercise: an RNN (再帰型ニューラルネットワーク) learns 8-bit binary addition.

Written in the textbook style with manabu.functions only: weights as plain arrays, the forward
pass one time step at a time, the backward pass by hand (通時的誤差逆伝播法, BPTT), and SGD.
At each step t the network reads bit t of a and of b (least significant bit first) and
outputs bit t of a + b; the carry has to live in the hidden state z.

    u[t] = x[t] W_in + z[t-1] W        z[t] = sigmoid(u[t])
    v[t] = z[t] W_out                  y[t] = sigmoid(v[t])
    E    = sum_t mean_squared_error(d[t], y[t])
"""

import numpy as np
import pytest

from manabu.functions import d_mean_squared_error, d_sigmoid, mean_squared_error, sigmoid
from manabu.functions import numerical_gradient

BINARY_DIM = 8  # bits per number; a, b < 2**7 so that a + b fits in 8 bits
HIDDEN_SIZE = 16


def to_bits(n):
    """Integers (N,) -> bits (N, BINARY_DIM), least significant bit first."""
    return (np.asarray(n)[:, None] >> np.arange(BINARY_DIM)) & 1


def from_bits(bits):
    """Bits (N, BINARY_DIM), least significant bit first -> integers (N,)."""
    return np.sum(bits << np.arange(BINARY_DIM), axis=1)


def make_batch(a, b):
    """Inputs x (T, N, 2) and targets d (T, N, 1), time first, for pairs a + b."""
    x = np.stack([to_bits(a), to_bits(b)], axis=-1)  # (N, T, 2)
    d = to_bits(a + b)[:, :, None]  # (N, T, 1)
    return x.transpose(1, 0, 2).astype(np.float64), d.transpose(1, 0, 2).astype(np.float64)


def init_weights(rng, weight_init_std):
    """Input, recurrent and output weights (no biases, as in the notes)."""
    return {
        "W_in": weight_init_std * rng.standard_normal((2, HIDDEN_SIZE)),
        "W": weight_init_std * rng.standard_normal((HIDDEN_SIZE, HIDDEN_SIZE)),
        "W_out": weight_init_std * rng.standard_normal((HIDDEN_SIZE, 1)),
    }


def forward(weights, x, d):
    """Runs the RNN over the T steps; returns the loss and what backward needs."""
    W_in, W, W_out = weights["W_in"], weights["W"], weights["W_out"]
    steps, batch_size, _ = x.shape
    u = np.zeros((steps + 1, batch_size, HIDDEN_SIZE))
    z = np.zeros((steps + 1, batch_size, HIDDEN_SIZE))  # z[0] is the initial state, zeros
    v = np.zeros((steps, batch_size, 1))
    y = np.zeros((steps, batch_size, 1))
    loss = 0.0
    for t in range(steps):
        u[t + 1] = np.dot(x[t], W_in) + np.dot(z[t], W)
        z[t + 1] = sigmoid(u[t + 1])
        v[t] = np.dot(z[t + 1], W_out)
        y[t] = sigmoid(v[t])
        loss += mean_squared_error(d[t], y[t])
    return loss, (u, z, v, y)


def backward(weights, x, d, cache):
    """BPTT: walks the steps backwards, carrying delta (dE/du) from step t+1 to step t."""
    W, W_out = weights["W"], weights["W_out"]
    u, z, v, y = cache
    steps, batch_size, _ = x.shape
    grads = {name: np.zeros_like(value) for name, value in weights.items()}
    delta_next = np.zeros((batch_size, HIDDEN_SIZE))  # nothing flows in after the last step
    for t in reversed(range(steps)):
        # d_sigmoid takes the pre-activation v[t], not the output y[t].
        delta_out = d_mean_squared_error(d[t], y[t]) * d_sigmoid(v[t])
        delta = (np.dot(delta_next, W.T) + np.dot(delta_out, W_out.T)) * d_sigmoid(u[t + 1])
        grads["W_out"] += np.dot(z[t + 1].T, delta_out)
        grads["W"] += np.dot(z[t].T, delta)
        grads["W_in"] += np.dot(x[t].T, delta)
        delta_next = delta
    return grads


def predict(weights, a, b):
    """The network's a + b: each output bit rounded to 0 or 1."""
    x, d = make_batch(a, b)
    _, (_, _, _, y) = forward(weights, x, d)
    bits = np.round(y[:, :, 0]).astype(np.int64).T  # (N, T)
    return from_bits(bits)


def split_pairs(rng, n_test):
    """n_test held-out pairs (a, b), a, b < 128, and every other pair for training."""
    half = 2 ** (BINARY_DIM - 1)
    all_pairs = np.arange(half * half)
    test = rng.choice(all_pairs, size=n_test, replace=False)
    train = np.setdiff1d(all_pairs, test)
    return (train // half, train % half), (test // half, test % half)


def train(seed, iters_num=6000, learning_rate=0.5, weight_init_std=1.0):
    """SGD on one random pair a + b per iteration, as in the notes."""
    rng = np.random.default_rng(seed)
    weights = init_weights(rng, weight_init_std)
    (train_a, train_b), test_pairs = split_pairs(rng, n_test=200)
    order = rng.integers(0, train_a.size, size=iters_num)
    untrained = {name: value.copy() for name, value in weights.items()}
    losses = []
    for i in order:
        x, d = make_batch(train_a[i : i + 1], train_b[i : i + 1])
        loss, cache = forward(weights, x, d)
        grads = backward(weights, x, d, cache)
        for name in weights:
            weights[name] -= learning_rate * grads[name]
        losses.append(loss)
    return untrained, weights, test_pairs, np.array(losses)


def test_bits_round_trip():
    n = np.array([0, 1, 2, 127, 128, 200, 255])
    np.testing.assert_array_equal(to_bits(np.array([6]))[0], [0, 1, 1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(from_bits(to_bits(n)), n)


def test_bptt_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    weights = init_weights(rng, weight_init_std=1.0)
    a = rng.integers(0, 128, size=3)
    b = rng.integers(0, 128, size=3)
    x, d = make_batch(a, b)
    _, cache = forward(weights, x, d)
    grads = backward(weights, x, d, cache)
    for name, value in weights.items():
        expected = numerical_gradient(lambda w: forward(weights, x, d)[0], value)
        np.testing.assert_allclose(grads[name], expected, rtol=1e-5, atol=1e-9, err_msg=name)


@pytest.mark.slow
def test_rnn_learns_8_bit_binary_addition():
    untrained, weights, (test_a, test_b), losses = train(seed=0)
    # Untrained, the network is far from adding; trained, every held-out sum is exact.
    assert np.mean(predict(untrained, test_a, test_b) == test_a + test_b) < 0.1
    assert np.mean(losses[:500]) > 50 * np.mean(losses[-500:])
    np.testing.assert_array_equal(predict(weights, test_a, test_b), test_a + test_b)

"""The notes' framework exercise (フレームワーク演習 Seq2Seq): read a window of sin, write cos.

The notes build it in Keras: an encoder SimpleRNN (10 units, tanh) reads 24 steps of
sin x, its last state starts a decoder SimpleRNN that reads the previous cos value
(教師強制: the target shifted right, 0 first) and a linear Dense layer writes cos x at each
step; Adam and the mean squared error. Prediction runs the decoder on its own outputs, one
step at a time, from 0. Here the same model is ``Seq2SeqRegressor(1, 1, hidden_size=10,
cell='rnn')``, trained on 2,000 windows with random starting points (x steps of 6 pi / 99,
the notes' grid) and tested on 500 others, then drawn on the notes' own four windows of
x in [-3 pi, 3 pi].

Expect (full run: 40 epochs, batches of 32, lr 0.01, about 2 s on 2 CPU cores; measured):
test MSE 0.00036 step by step on its own predictions (the notes' predict()), 0.000004
with teacher forcing; the training loss falls from 0.055 (first epoch's mean) to 0.00002.
"""

import os

import numpy as np

import manabu
from manabu import optim, plot
from manabu.autograd import Tensor
from manabu.data.datasets.sequences import shift_right, sin_cos
from manabu.functional.loss import mse_loss
from manabu.models.seq2seq import Seq2SeqRegressor

STEPS = 24  # the notes' NUM_STEPS


def notes_windows():
    """The notes' data: 100 points of x in [-3 pi, 3 pi]; windows of 24 steps starting at
    every point: x (76, 24, 1) of sin, y of cos, and the grid itself."""
    grid = np.linspace(-3 * np.pi, 3 * np.pi, 100)
    starts = np.arange(len(grid) - STEPS)
    index = starts[:, None] + np.arange(STEPS)  # (76, 24)
    dtype = manabu.get_default_dtype()
    x = np.sin(grid[index])[..., None].astype(dtype)  # (76, 24, 1)
    y = np.cos(grid[index])[..., None].astype(dtype)  # (76, 24, 1)
    return x, y, grid


def train_sin_cos(n_train=2000, epochs=40, hidden_size=10, lr=0.01, batch_size=32, seed=0):
    """Train the notes' encoder-decoder; returns (model, training loss by epoch)."""
    x, y = sin_cos(n=n_train, length=STEPS, seed=seed)
    y_in = shift_right(y)  # teacher forcing: the decoder reads cos one step late
    manabu.manual_seed(seed)
    model = Seq2SeqRegressor(1, 1, hidden_size=hidden_size, cell="rnn")
    optimizer = optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(n_train)
        total = 0.0
        for start in range(0, n_train, batch_size):
            rows = order[start:start + batch_size]
            loss = mse_loss(model(Tensor(x[rows]), Tensor(y_in[rows])), Tensor(y[rows]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.data) * len(rows)
        losses.append(total / n_train)
    return model, losses


def held_out_mse(model, n_test=500, seed=1):
    """(MSE of the step-by-step prediction, MSE with teacher forcing) on new windows."""
    x, y = sin_cos(n=n_test, length=STEPS, seed=seed)
    predicted = model.predict(x)
    with manabu.no_grad():
        forced = model(Tensor(x), Tensor(shift_right(y))).numpy()
    return float(np.mean((predicted - y) ** 2)), float(np.mean((forced - y) ** 2))


def prediction_figure(model, path):
    """The notes' figure: predictions of four windows over the dashed cos x."""
    x, _, grid = notes_windows()
    plt = plot.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, start in enumerate((0, 24, 49, 74)):
        predicted = model.predict(x[start:start + 1])[0, :, 0]  # (24,)
        ax.plot(grid[start:start + STEPS], predicted, color="red",
                label="prediction" if i == 0 else None)
    ax.plot(grid, np.cos(grid), color="blue", linestyle="dashed", label="cos x")
    ax.plot(grid, np.sin(grid), color="gray", alpha=0.4, label="sin x (input)")
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Seq2Seq: sin window -> cos window, decoded step by step")
    return plot.save_figure(fig, path)


def run(quick=False, out="lessons-output"):
    n_train, epochs = (300, 8) if quick else (2000, 40)
    model, losses = train_sin_cos(n_train=n_train, epochs=epochs)
    mse, mse_forced = held_out_mse(model, n_test=100 if quick else 500)
    print(f"{n_train} windows of {STEPS} steps, {epochs} epochs: training loss "
          f"{losses[0]:.4f} -> {losses[-1]:.6f}")
    print(f"test MSE: {mse:.6f} decoding its own outputs, {mse_forced:.6f} with teacher forcing")
    loss_path = plot.curves({"training MSE": losses}, os.path.join(out, "sin_cos_loss.png"),
                            ylabel="mean squared error", logy=True,
                            title="sin -> cos Seq2Seq: loss per epoch")
    figure = prediction_figure(model, os.path.join(out, "sin_cos_prediction.png"))
    print(f"figures: {loss_path}, {figure}")
    return {
        "test_mse": mse,
        "test_mse_teacher_forced": mse_forced,
        "final_loss": losses[-1],
        "figures": [loss_path, figure],
    }

"""Linear regression (線形回帰) learned by backprop (誤差逆伝播法) and mini-batch SGD.

The toy data of the notes: y = 3 x0 + 2 x1 + noise (noise std 0.1, x uniform in [0, 1)).
The model y_hat = x W + b starts from W = 0, b = 0. Each mini-batch step is the notes'
recipe written out with hand-made parameters: forward, the mean squared error (平均二乗誤差),
backward (autograd fills W.grad and b.grad), then W <- W - lr * dL/dW. The same training is
then run again with the framework's pieces (nn.Linear, nn.MSELoss, optim.SGD, train.fit)
to show they do exactly this.

Expect (full run: 1,000 points, 50 epochs, batches of 20, lr 0.1, about a second):
W = (3.02, 2.00), b = +0.00, next to least squares (3.02, 2.00, -0.01); the training loss
falls from 7.3 to 0.0097 (the noise's variance, 0.01, is the floor); the framework version
ends with exactly the same numbers as the hand-made one.
"""

import os

import numpy as np

from manabu import functional as F
from manabu import nn, optim, plot, train
from manabu.autograd import Tensor
from manabu.data import DataLoader, TensorDataset, linear_toy


def train_by_hand(x, y, epochs, batch_size, lr, seed):
    """Hand-made parameters and update rule; returns W, b, loss per epoch, W per epoch."""
    W = Tensor(np.zeros((2, 1), dtype=x.dtype), requires_grad=True)  # (inputs, outputs)
    b = Tensor(np.zeros(1, dtype=x.dtype), requires_grad=True)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=seed)
    losses, path = [], [np.r_[W.numpy().ravel(), b.numpy()]]
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            y_hat = xb @ W + b  # forward (順伝播)
            loss = F.mse_loss(y_hat, yb)  # mean of (y_hat - y)**2 over the batch
            W.grad, b.grad = None, None
            loss.backward()  # backward: dL/dW and dL/db
            W.data -= lr * W.grad.data  # gradient descent (勾配降下法)
            b.data -= lr * b.grad.data
            total += float(loss.data) * len(xb)
        losses.append(total / len(x))
        path.append(np.r_[W.numpy().ravel(), b.numpy()])
    return W.numpy().ravel(), float(b.numpy()[0]), losses, np.array(path)


def train_with_framework(x, y, epochs, batch_size, lr, seed):
    """The same run with nn.Linear + optim.SGD + train.fit."""
    model = nn.Linear(2, 1)
    nn.init.zeros_(model.weight)  # start where the hand-made version starts
    history = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), (x, y),
                        epochs=epochs, batch_size=batch_size, seed=seed, verbose=0)
    return model.weight.numpy().ravel(), float(model.bias.numpy()[0]), history["loss"]


def run(quick=False, out="lessons-output"):
    n, epochs, batch_size, lr = (200, 20, 10, 0.1) if quick else (1000, 50, 20, 0.1)
    x, y = linear_toy(n=n, noise=0.1, seed=0)

    W, b, losses, path = train_by_hand(x, y, epochs, batch_size, lr, seed=0)
    initial_loss = float(np.mean(y ** 2))  # the loss of W = 0, b = 0
    print(f"{n} points, {epochs} epochs, mini-batches of {batch_size}, lr {lr}")
    print(f"hand-made SGD:   W = ({W[0]:.3f}, {W[1]:.3f}), b = {b:+.3f} (truth: 3, 2, 0); "
          f"loss {initial_loss:.3f} -> {losses[-1]:.4f}")

    design = np.c_[x, np.ones(n)]  # least squares for reference: [x0, x1, 1] @ (w0, w1, b)
    exact = np.linalg.lstsq(design.astype(np.float64), y.astype(np.float64), rcond=None)[0]
    exact = exact.ravel()
    print(f"least squares:   W = ({exact[0]:.3f}, {exact[1]:.3f}), b = {exact[2]:+.3f}")

    W_fw, b_fw, losses_fw = train_with_framework(x, y, epochs, batch_size, lr, seed=0)
    difference = float(np.max(np.abs(np.r_[W_fw - W, b_fw - b])))
    print(f"nn.Linear + SGD: W = ({W_fw[0]:.3f}, {W_fw[1]:.3f}), b = {b_fw:+.3f}; "
          f"differs from hand-made by {difference:.1e}")

    loss_path = plot.curves({"training loss (MSE)": losses},
                            os.path.join(out, "regression_loss.png"),
                            ylabel="mean squared error", logy=True,
                            title="y = 3 x0 + 2 x1 + noise: loss per epoch")
    weights_path = plot.curves(
        {"w0 (truth 3)": path[:, 0], "w1 (truth 2)": path[:, 1], "b (truth 0)": path[:, 2]},
        os.path.join(out, "regression_weights.png"), xlabel="epoch (1 = start)",
        ylabel="value", title="parameters during training")
    print(f"figures: {loss_path}, {weights_path}")
    return {
        "w0": float(W[0]),
        "w1": float(W[1]),
        "b": b,
        "least_squares": exact.tolist(),
        "initial_loss": initial_loss,
        "final_loss": losses[-1],
        "framework_difference": difference,
        "figures": [loss_path, weights_path],
    }

"""Batch normalisation (バッチ正規化): the same deep MLP with and without BatchNorm1d.

A 784-100-100-100-100-100-100-10 MLP (six hidden ReLU layers) learns MNIST (the 8,000
training images of mnist-10k, shipped with manabu) with plain SGD,
lr 0.01, batches of 100, from two initial weight scales: He (std sqrt(2/n), the right one
for ReLU) and std 0.01 (far too small: the signal shrinks about 14-fold at every layer, and
the gradients vanish with it). Each is trained without and with batch norm, placed between each
Linear and its ReLU:

    u = x W              (no bias: batch norm's beta takes its place)
    u_hat = (u - mean) / sqrt(var + eps)     over the mini-batch, per unit
    z = relu(gamma * u_hat + beta)

Whatever the scale of W, each layer's total input is brought back to mean 0 and variance 1
(then gamma and beta, which are learnt, set its scale), so training no longer depends on
getting the initial scale right.

Expect (full run: 10 epochs; 5 s on 2 idle CPU cores, longer when they are busy): training
accuracy (mean over each epoch's batches) after epoch 1 and epoch 10, and test accuracy on
the 2,000 test images:

    initial weights   batch norm   epoch 1   epoch 10   test
    He                without       0.28      0.93      0.93
    He                with          0.39      0.93      0.93
    std 0.01          without       0.11      0.11      0.12   (nothing learnt: chance)
    std 0.01          with          0.70      0.99      0.96

With a good start (He) batch norm mainly speeds up the first epoch; with a bad one it is
the difference between learning nothing and learning best of all. (Batch norm makes each
layer blind to the scale of its W, and the gradient then grows as W shrinks: small
weights learn fast, which is why std 0.01 with batch norm is the quickest here.)
"""

import os

import numpy as np

import manabu
from manabu import nn, optim, plot, train
from manabu.data import load_mnist_10k

INITS = {  # Linear's init: a name, or a function that fills the weight in place
    "He": "kaiming_normal",
    "std 0.01": lambda w: nn.init.normal_(w, std=0.01),
}


def mlp(init, batch_norm, hidden=(100,) * 6, inputs=784, classes=10):
    """Linear -> [BatchNorm1d] -> ReLU per hidden layer, then Linear -> class scores."""
    layers = []
    for size in hidden:
        layers.append(nn.Linear(inputs, size, bias=not batch_norm, init=init))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(nn.ReLU())
        inputs = size
    layers.append(nn.Linear(inputs, classes, init=init))
    return nn.Sequential(*layers)


def run(quick=False, out="lessons-output"):
    (x_train, y_train), (x_test, y_test) = load_mnist_10k(flatten=True)
    n_train, epochs = (500, 5) if quick else (8000, 10)
    x_train, y_train = x_train[:n_train], y_train[:n_train]
    if quick:
        x_test, y_test = x_test[:500], y_test[:500]
    print(f"MNIST: {n_train} training and {len(x_test)} test images; 6 hidden layers of 100; "
          f"SGD lr 0.01, {epochs} epochs")

    curves, results = {}, {}
    for init_name, init in INITS.items():
        for batch_norm in (False, True):
            label = f"{init_name}, {'with' if batch_norm else 'without'} batch norm"
            manabu.manual_seed(0)
            model = mlp(init, batch_norm)
            history = train.fit(model, nn.CrossEntropyLoss(),
                                optim.SGD(model.parameters(), lr=0.01), (x_train, y_train),
                                epochs=epochs, batch_size=100, seed=0, verbose=0)
            test = train.evaluate(model, nn.CrossEntropyLoss(), (x_test, y_test))
            curves[label] = history["accuracy"]
            results[label] = {"first_epoch_accuracy": history["accuracy"][0],
                              "train_accuracy": history["accuracy"][-1],
                              "final_loss": history["loss"][-1],
                              "test_accuracy": test["accuracy"]}
            print(f"{label:30s} training accuracy by epoch: "
                  + " ".join(f"{a:.2f}" for a in history["accuracy"][:: max(1, epochs // 5)])
                  + f" ... {history['accuracy'][-1]:.3f}; test {test['accuracy']:.3f}")

    path = plot.curves(curves, os.path.join(out, "batch_norm.png"), ylabel="training accuracy",
                       title="deep MLP on MNIST, SGD: without and with batch norm")
    print(f"figure: {path}")
    return {"runs": results, "figure": path,
            "mean_gain_from_batch_norm": float(np.mean(
                [results[f"{n}, with batch norm"]["train_accuracy"]
                 - results[f"{n}, without batch norm"]["train_accuracy"] for n in INITS]))}

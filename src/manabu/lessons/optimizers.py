"""Optimizers (最適化アルゴリズム) compared on MNIST: SGD, Momentum, AdaGrad, RMSProp, Adam.

One MLP (784-100-100-100-100-10, ReLU, He initialisation), the same initial weights and
the same mini-batches of 100 for every optimizer; only the update rule differs:

    SGD       W -= lr * g                                      lr 0.01
    Momentum  v = 0.9 v - lr * g;  W += v                      lr 0.01
    AdaGrad   h += g*g;  W -= lr * g / sqrt(h)                 lr 0.01
    RMSProp   h = 0.99 h + 0.01 g*g;  W -= lr * g / sqrt(h)    lr 0.001
    Adam      momentum of g and of g*g, bias-corrected         lr 0.001

Data: the project's mnist-10k split (the 10,000 MNIST test images: the first 8,000 to
train, the last 2,000 to test). The figure
is the training loss per iteration, as in the notes' comparison graph.

Expect (full run: 10 epochs = 800 iterations each; 5 to 40 s on 2 CPU cores, depending on
the load): final training loss (mean of the last 20 iterations) SGD 0.32, Momentum 0.068,
AdaGrad 0.018, RMSProp 0.022, Adam 0.017; test accuracy SGD 0.926, Momentum 0.948,
AdaGrad 0.956, RMSProp 0.963, Adam 0.959. Plain SGD is clearly the slowest, Momentum next;
the adaptive methods end close together (RMSProp's curve is the bumpiest).
"""

import os

import numpy as np

import manabu
from manabu import nn, optim, plot, train
from manabu.data import load_mnist_10k

OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.01),
    "Momentum": lambda params: optim.Momentum(params, lr=0.01, momentum=0.9),
    "AdaGrad": lambda params: optim.AdaGrad(params, lr=0.01),
    "RMSProp": lambda params: optim.RMSProp(params, lr=0.001, alpha=0.99),
    "Adam": lambda params: optim.Adam(params, lr=0.001),
}


def mlp(inputs=784, hidden=(100, 100, 100, 100), classes=10):
    layers = []
    for size in hidden:
        layers += [nn.Linear(inputs, size, init="kaiming_normal"), nn.ReLU()]
        inputs = size
    layers.append(nn.Linear(inputs, classes, init="kaiming_normal"))
    return nn.Sequential(*layers)


def smooth(values, window=10):
    """A moving average, so that the curves of noisy mini-batch losses can be told apart."""
    values = np.asarray(values, dtype=np.float64)
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def run(quick=False, out="lessons-output"):
    (x_train, y_train), (x_test, y_test) = load_mnist_10k(flatten=True)
    if quick:
        x_train, y_train = x_train[:2000], y_train[:2000]
    epochs = 2 if quick else 10
    batch_size = 100
    iterations = epochs * (len(x_train) // batch_size)
    print(f"MNIST: {len(x_train)} training and {len(x_test)} test images; "
          f"{iterations} iterations of {batch_size} per optimizer")

    manabu.manual_seed(0)
    start = mlp().state_dict()  # every optimizer starts from these weights

    losses, results = {}, {}
    for name, make in OPTIMIZERS.items():
        model = mlp()
        model.load_state_dict(start)
        history = train.fit(model, nn.CrossEntropyLoss(), make(model.parameters()),
                            (x_train, y_train), epochs=epochs, batch_size=batch_size, seed=0,
                            log_every_step=True, verbose=0)
        per_step = [record["loss"] for record in history.steps]
        test = train.evaluate(model, nn.CrossEntropyLoss(), (x_test, y_test))
        losses[name] = per_step
        results[name] = {"final_loss": float(np.mean(per_step[-20:])),
                         "test_accuracy": test["accuracy"]}
        print(f"{name:9s} training loss {per_step[0]:.3f} -> {results[name]['final_loss']:.3f} "
              f"(last 20 iterations), test accuracy {test['accuracy']:.3f}")

    path = plot.curves({name: smooth(values) for name, values in losses.items()},
                       os.path.join(out, "optimizers.png"), xlabel="iteration",
                       ylabel="training loss (moving average of 10)", logy=True,
                       title="MNIST MLP: the same start, five update rules")
    print(f"figure: {path}")
    return {"optimizers": results, "iterations": iterations, "figure": path}

"""Sigmoid vs ReLU hidden layers, and the vanishing gradient (勾配消失問題) of deep sigmoid nets.

The same MLP on the embedded 8x8 digits (1,438 training and 359 test images), trained with
plain SGD (lr 0.1, batches of 32), once with sigmoid and once with ReLU between the layers,
from the same initial weights (Xavier, 64 units a layer). Two depths: 2 hidden layers and 6.

Backprop multiplies the gradient by the activation's slope at every layer; the sigmoid's
slope is at most 0.25, ReLU's is 1 wherever the unit is on. So in the deep sigmoid net the
gradient reaching the first layers is tiny and they hardly learn.

Expect (full run: 50 epochs each, about 5 s): final training loss with 2 hidden layers:
sigmoid 0.27 (test accuracy 0.94), ReLU 0.012 (0.99); with 6: sigmoid 2.31, stuck at
chance (ln 10 = 2.30, test accuracy 0.09), ReLU 0.0004 (0.99). At the start, the 6-layer
sigmoid net's first-layer gradient is 1.8e-4 times its last layer's; ReLU's is 1.9 times.
"""

import os

import numpy as np

import manabu
from manabu import nn, optim, plot, train
from manabu.autograd import Tensor
from manabu.data import load_digits_split

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "ReLU": nn.ReLU}


def mlp(activation, hidden_layers, width=64, inputs=64, classes=10):
    """inputs -> [Linear -> activation] x hidden_layers -> Linear -> class scores."""
    layers = []
    size = inputs
    for _ in range(hidden_layers):
        layers += [nn.Linear(size, width, init="xavier_normal"), activation()]
        size = width
    layers.append(nn.Linear(size, classes, init="xavier_normal"))
    return nn.Sequential(*layers)


def same_start(hidden_layers, seed=0):
    """The sigmoid and ReLU versions of one network, holding identical initial weights."""
    manabu.manual_seed(seed)
    models = {name: mlp(act, hidden_layers) for name, act in ACTIVATIONS.items()}
    models["ReLU"].load_state_dict(models["sigmoid"].state_dict())
    return models


def gradient_norms(model, x, y):
    """The norm of dL/dW for each Linear layer, the first layer (next to the input) first."""
    model.zero_grad()
    nn.CrossEntropyLoss()(model(Tensor(x)), Tensor(y)).backward()
    return [float(np.linalg.norm(layer.weight.grad.numpy()))
            for layer in model if isinstance(layer, nn.Linear)]


def run(quick=False, out="lessons-output"):
    epochs = 5 if quick else 50
    (x_train, y_train), (x_test, y_test) = load_digits_split(test_fraction=0.2, seed=0)
    print(f"digits: {len(x_train)} training, {len(x_test)} test images; SGD lr 0.1, "
          f"{epochs} epochs")

    losses, results, norms = {}, {}, {}
    for depth in (2, 6):
        models = same_start(depth)
        for name, model in models.items():
            label = f"{name}, {depth} hidden layers"
            if depth == 6:
                norms[name] = gradient_norms(model, x_train[:256], y_train[:256])
            history = train.fit(model, nn.CrossEntropyLoss(),
                                optim.SGD(model.parameters(), lr=0.1), (x_train, y_train),
                                val_data=(x_test, y_test), epochs=epochs, batch_size=32,
                                seed=0, verbose=0)
            losses[label] = history["loss"]
            results[label] = {"final_loss": history["loss"][-1],
                              "test_accuracy": history["val_accuracy"][-1]}
            print(f"{label:26s} training loss {history['loss'][0]:.3f} -> "
                  f"{history['loss'][-1]:.4f}, test accuracy {history['val_accuracy'][-1]:.3f}")

    ratios = {name: n[0] / n[-1] for name, n in norms.items()}
    for name, n in norms.items():
        print(f"6 hidden layers, {name:7s} |dL/dW| per layer at the start (input side first): "
              + " ".join(f"{v:.1e}" for v in n) + f"; first / last = {ratios[name]:.1e}")

    loss_path = plot.curves(losses, os.path.join(out, "sigmoid_vs_relu_loss.png"),
                            ylabel="training loss (cross-entropy)", logy=True,
                            title="digits MLP, SGD: sigmoid vs ReLU")
    norm_path = plot.curves(norms,
                            os.path.join(out, "sigmoid_vs_relu_gradients.png"),
                            xlabel="Linear layer (1 = next to the input, 7 = output)",
                            ylabel="|dL/dW|",
                            logy=True, title="gradient per layer at the start, 6 hidden layers")
    print(f"figures: {loss_path}, {norm_path}")
    return {
        "runs": results,
        "gradient_norms_6_layers": norms,
        "first_over_last_gradient": ratios,
        "figures": [loss_path, norm_path],
    }

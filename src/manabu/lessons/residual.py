"""Residual connections (残差接続): a deep plain network against the same one with skips.

Both networks classify the 8x8 digits (1,438 training, 359 test images): an input layer
64 -> 64, then ``depth`` hidden layers of 64 ReLU units, then 64 -> 10. In the plain
network the hidden layers are simply stacked. In the residual one they are paired into
blocks, each adding its result to its input (``nn.Residual``):

    plain:     h <- relu(W2 relu(W1 h))          residual:  h <- h + W2 relu(W1 h)

Backward, the residual block passes its gradient straight through as well: dL/dh gets
dL/dout (the identity term) plus what flows through the weights, so even the first layer
hears from the loss directly. The second layer of each block starts at zero (as
torchvision's ``zero_init_residual``): every block starts as the identity and the deep
network begins as a shallow one, then grows its blocks. (Without this, He-initialised
blocks double the variance of h at each block and this training overflows: the loss
becomes NaN in the first epoch; with batch norm inside the blocks, as in ResNet, the
normalisation does the same job.) Everything else is the same: He initialisation, SGD
with momentum 0.9, lr 0.01, batches of 64, 30 epochs.

The plain network suffers from what He et al. (2016) called degradation: more layers make
even the *training* loss worse, although a deeper network could copy a shallower one by
setting its extra layers to the identity; plain stacks of layers just find that hard to
learn, and residual ones get it for free.

Expect (full run: 20 and 50 hidden layers, about 10 s on 2 cores): final training loss /
training accuracy / test accuracy

    20 layers   plain 0.24 / 0.94 / 0.978     residual 0.0004 / 1.000 / 0.989
    50 layers   plain 1.15 / 0.47 / 0.320     residual 0.0001 / 1.000 / 0.994

(the plain networks' losses jump around from epoch to epoch; in quick mode, 20 layers and
8 epochs, the plain one ends at a loss of 0.88 and the residual one at 0.039).
"""

import os

import manabu
from manabu import nn, optim, plot, train
from manabu.data import load_digits_split

WIDTH = 64


def network(depth, residual, width=WIDTH, inputs=64, classes=10):
    """64 -> width, ``depth`` hidden ReLU layers of ``width`` (in pairs), width -> 10."""
    if depth % 2:
        raise ValueError(f"depth must be even (layers come in pairs), got {depth}")
    layers = [nn.Linear(inputs, width), nn.ReLU()]
    for _ in range(depth // 2):
        first = nn.Linear(width, width)
        second = nn.Linear(width, width)
        if residual:
            nn.init.zeros_(second.weight)  # the block starts as the identity
            layers.append(nn.Residual(nn.Sequential(first, nn.ReLU(), second)))
        else:
            layers += [first, nn.ReLU(), second, nn.ReLU()]
    layers.append(nn.Linear(width, classes, init="xavier_uniform"))
    return nn.Sequential(*layers)


def run(quick=False, out="lessons-output"):
    (x_train, y_train), (x_test, y_test) = load_digits_split(test_fraction=0.2, seed=0)
    depths, epochs = ((20,), 8) if quick else ((20, 50), 30)
    print(f"digits: {len(x_train)} training and {len(x_test)} test images; hidden width "
          f"{WIDTH}; SGD lr 0.01, momentum 0.9, batches of 64, {epochs} epochs")

    losses, accuracies, results = {}, {}, {}
    for depth in depths:
        for residual in (False, True):
            name = f"{depth} layers, {'residual' if residual else 'plain'}"
            manabu.manual_seed(0)
            model = network(depth, residual)
            history = train.fit(model, nn.CrossEntropyLoss(),
                                optim.SGD(model.parameters(), lr=0.01, momentum=0.9),
                                (x_train, y_train), epochs=epochs, batch_size=64, seed=0,
                                verbose=0)
            test = train.evaluate(model, nn.CrossEntropyLoss(), (x_test, y_test))
            losses[name] = history["loss"]
            accuracies[name] = history["accuracy"]
            results[name] = {"final_loss": history["loss"][-1],
                             "train_accuracy": history["accuracy"][-1],
                             "test_accuracy": test["accuracy"]}
            print(f"{name:22s} training loss {history['loss'][0]:.3f} -> "
                  f"{history['loss'][-1]:.4f}, training accuracy "
                  f"{history['accuracy'][-1]:.3f}, test accuracy {test['accuracy']:.3f}")

    loss_path = plot.curves(losses, os.path.join(out, "residual_loss.png"), ylabel="training loss",
                            logy=True, title="plain vs residual: training loss")
    accuracy_path = plot.curves(accuracies, os.path.join(out, "residual_accuracy.png"),
                                ylabel="training accuracy",
                                title="plain vs residual: training accuracy")
    print(f"figures: {loss_path}, {accuracy_path}")
    return {"runs": results, "figures": [loss_path, accuracy_path]}

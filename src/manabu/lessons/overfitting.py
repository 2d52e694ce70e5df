"""Overfitting (過学習) on 300 MNIST images, and two remedies: dropout and weight decay.

A large MLP (784-512-512-10, ReLU, 670,000 weights, He initialisation) is trained with
Adam (lr 0.001, batches of 100) on only 300 training images and tested on 2,000 others
(mnist-10k, shipped with manabu). Three runs from the same initial weights:

* no regularisation: the training accuracy reaches 100% within a few epochs and the
  training loss goes to 0, while the test loss turns around and rises: the net grows ever
  more sure of its answers, including the wrong ones. That is overfitting.
* dropout (ドロップアウト): 20% of the input pixels and 50% of the hidden units are silenced
  at random at each step in training (nn.Dropout), none at test time (model.eval()).
* weight decay (荷重減衰, L2 正則化): lambda * W is added to each gradient (lambda 0.01;
  here to the biases too, for simplicity), which pulls the weights towards 0.

Expect (full run: 60 epochs; 10-15 s on 2 idle CPU cores, longer when they are busy),
numbers averaged over the last 5 epochs:

    setting            train acc  test acc   gap   test loss (lowest)
    no regularisation    1.000     0.835    0.165    0.72 (0.61)
    dropout              1.000     0.852    0.148    0.55 (0.52)
    weight decay         1.000     0.827    0.173    0.52 (0.49)

Without regularisation the test loss climbs back from 0.61 to 0.72 after epoch 9; both
remedies keep it down. With so few images no remedy buys much accuracy (data cannot be made
up for): dropout narrows the accuracy gap a little and adds 2 points of test accuracy;
weight decay, at this strength, leaves the accuracy as it is.
"""

import os

import numpy as np

import manabu
from manabu import nn, optim, plot, train
from manabu.data import load_mnist_10k

SETTINGS = {
    # name: (input dropout, hidden dropout, weight decay)
    "no regularisation": (0.0, 0.0, 0.0),
    "dropout": (0.2, 0.5, 0.0),
    "weight decay": (0.0, 0.0, 0.01),
}


def mlp(input_dropout, hidden_dropout, hidden=(512, 512), inputs=784, classes=10):
    layers = [nn.Dropout(input_dropout)] if input_dropout else []
    for size in hidden:
        layers += [nn.Linear(inputs, size), nn.ReLU()]
        if hidden_dropout:
            layers.append(nn.Dropout(hidden_dropout))
        inputs = size
    layers.append(nn.Linear(inputs, classes))
    return nn.Sequential(*layers)


def copy_weights(source, target):
    """Copy each Linear layer's weights, in order (the Dropout layers shift the indices)."""
    linears = [[m for m in model.modules() if isinstance(m, nn.Linear)]
               for model in (source, target)]
    for a, b in zip(*linears):
        b.load_state_dict(a.state_dict())


class TrainAndTest(train.Callback):
    """After each epoch, the accuracy and loss on the training images in eval mode (no
    dropout), next to fit's test numbers; fit's own "accuracy" is measured with dropout on."""

    def __init__(self, x_train, y_train):
        self.data = (x_train, y_train)
        self.train_accuracy, self.train_loss = [], []
        self.test_accuracy, self.test_loss = [], []

    def on_epoch_end(self, run, logs):
        measured = train.evaluate(run.model, nn.CrossEntropyLoss(), self.data)
        self.train_accuracy.append(measured["accuracy"])
        self.train_loss.append(measured["loss"])
        self.test_accuracy.append(logs["val_accuracy"])
        self.test_loss.append(logs["val_loss"])


def draw(path, records):
    """One panel per setting: training and test accuracy per epoch."""
    plt = plot.pyplot()
    fig, axes = plt.subplots(1, len(records), figsize=(4.2 * len(records), 3.4), sharey=True)
    for ax, (name, record) in zip(axes, records.items()):
        epochs = np.arange(1, len(record.train_accuracy) + 1)
        ax.plot(epochs, record.train_accuracy, label="train")
        ax.plot(epochs, record.test_accuracy, label="test")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    axes[0].set_ylabel("accuracy")
    return plot.save_figure(fig, path)


def run(quick=False, out="lessons-output"):
    (x_train, y_train), (x_test, y_test) = load_mnist_10k(flatten=True)
    x_train, y_train = x_train[:300], y_train[:300]
    hidden, epochs = (512, 512), 60
    if quick:  # a smaller net, fewer epochs and test images: a smoke test of the lesson
        x_test, y_test = x_test[:300], y_test[:300]
        hidden, epochs = (128, 128), 8
    print(f"MNIST: {len(x_train)} training images, {len(x_test)} test images, "
          f"784-{hidden[0]}-{hidden[1]}-10 MLP, Adam, {epochs} epochs")

    manabu.manual_seed(0)
    start = mlp(0.0, 0.0, hidden)  # every run starts from these weights
    records, results = {}, {}
    for name, (input_dropout, hidden_dropout, weight_decay) in SETTINGS.items():
        model = mlp(input_dropout, hidden_dropout, hidden)
        copy_weights(start, model)
        record = TrainAndTest(x_train, y_train)
        optimizer = optim.Adam(model.parameters(), lr=0.001, weight_decay=weight_decay)
        train.fit(model, nn.CrossEntropyLoss(), optimizer, (x_train, y_train),
                  val_data=(x_test, y_test), epochs=epochs, batch_size=100, seed=0,
                  callbacks=[record], verbose=0)
        last = slice(-5, None)  # average the last 5 epochs: single epochs are noisy
        numbers = {
            "train_accuracy": float(np.mean(record.train_accuracy[last])),
            "test_accuracy": float(np.mean(record.test_accuracy[last])),
            "train_loss": float(np.mean(record.train_loss[last])),
            "test_loss": float(np.mean(record.test_loss[last])),
            "lowest_test_loss": float(np.min(record.test_loss)),
            "lowest_test_loss_epoch": int(np.argmin(record.test_loss)) + 1,
        }
        numbers["gap"] = numbers["train_accuracy"] - numbers["test_accuracy"]
        records[name], results[name] = record, numbers
        print(f"{name:18s} train accuracy {numbers['train_accuracy']:.3f}, test "
              f"{numbers['test_accuracy']:.3f}, gap {numbers['gap']:.3f}; loss train "
              f"{numbers['train_loss']:.3f}, test {numbers['test_loss']:.3f} (lowest "
              f"{numbers['lowest_test_loss']:.3f} at epoch {numbers['lowest_test_loss_epoch']})")

    accuracy_path = draw(os.path.join(out, "overfitting_accuracy.png"), records)
    loss_path = plot.curves({name: r.test_loss for name, r in records.items()},
                            os.path.join(out, "overfitting_test_loss.png"),
                            ylabel="test loss (cross-entropy)",
                            title="300 training images: test loss per epoch")
    print(f"figures: {accuracy_path}, {loss_path}")
    return {"settings": results, "figures": [accuracy_path, loss_path]}

"""Normalisation layers (正規化): batch, layer, instance and group norm in the same CNN.

All four compute  y = gamma * (x - mean) / sqrt(var + eps) + beta ; they differ only in
which values of an (N, C, H, W) activation share one mean and variance:

    batch norm     (バッチ正規化)          per channel, over N, H, W: depends on the batch
    layer norm     (レイヤー正規化)        per example, over C, H, W
    instance norm  (インスタンス正規化)    per example and channel, over H, W
    group norm     (グループ正規化)        per example and group of channels, over C/G, H, W

Layer norm here is ``GroupNorm(1, C)`` (one group: all channels, with a gamma and beta per
channel, the usual layer norm for images); ``GroupNorm(C, C)`` is instance norm with
learned gamma and beta. The lesson first checks these axes on a random tensor (the mean
over each layer's axes is 0 and the standard deviation 1), draws them, then trains the same
CNN with each, a thin and fairly deep one (8 convolutions), where it matters:

    [conv 3x3 (8) - norm - ReLU] x 4 - max pool 2 - [conv 3x3 (16) - norm - ReLU] x 4
    - max pool 2 - fc 10          (conv biases only without normalisation)

on the 8,000 training images of mnist-10k, plain SGD (lr 0.05, no momentum), batches of
100, 2 epochs, and tests it on the 2,000 test images.

Expect (full run: about 1 minute on one core):

    normalisation   training loss (epoch 2)   test accuracy
    none                    0.331                 0.939
    batch                   0.158                 0.974
    layer                   0.228                 0.957
    instance                0.169                 0.969
    group (4 groups)        0.217                 0.957

Every normalisation trains faster than none; batch norm most, and instance norm (each
channel of each image on its own scale) nearly as much here. The normalised networks start
from a higher loss (their outputs are larger at initialisation) and overshoot for the first
few dozen steps at this learning rate before falling below the plain one: see the figure.
On a shallower CNN (2-4 convolutions of 16-32 channels) all five end within about 1% of
each other: normalisation helps most where depth makes training hard (see also the
batch-norm lesson). Quick mode (1,500 images, 1 epoch, 500 test images): test accuracy 0.12
without normalisation (still at chance), about 0.6 with batch norm, 0.31 with layer norm,
0.66 with instance norm and 0.58 with group norm.
"""

import os

import numpy as np

import manabu
from manabu import nn, optim, plot, train
from manabu.autograd import Tensor, no_grad
from manabu.data import load_mnist_10k

NORMS = {
    "none": lambda c: nn.Identity(),
    "batch": lambda c: nn.BatchNorm2d(c),
    "layer": lambda c: nn.GroupNorm(1, c),
    "instance": lambda c: nn.InstanceNorm2d(c, affine=True),
    "group": lambda c: nn.GroupNorm(4, c),
}
STAGES = ((8, 8, 8, 8), (16, 16, 16, 16))
LR = 0.05


def cnn(norm, stages=STAGES, classes=10):
    """Per stage: [conv 3x3 - norm - ReLU] per width, then a 2x2 max pool; then fc."""
    make = NORMS[norm]
    layers = []
    channels = 1
    for widths in stages:
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=norm == "none"),
                       make(width), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(2))
    side = 28 // 2 ** len(stages)
    layers += [nn.Flatten(), nn.Linear(channels * side * side, classes, init="xavier_uniform")]
    return nn.Sequential(*layers)


def check_axes(shape=(8, 6, 5, 5), groups=3):
    """Each layer's output on a random tensor: max |mean| and max |std - 1| over its axes."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    n, c, h, w = shape
    layers = {
        "batch": (nn.BatchNorm2d(c, affine=False), (0, 2, 3)),
        "layer": (nn.LayerNorm((c, h, w), elementwise_affine=False), (1, 2, 3)),
        "instance": (nn.InstanceNorm2d(c), (2, 3)),
        "group": (nn.GroupNorm(groups, c, affine=False), (2, 3, 4)),
    }
    stats = {}
    with no_grad():
        outputs = {name: layer(Tensor(x)).numpy() for name, (layer, _) in layers.items()}
    for name, (_, axes) in layers.items():
        y = outputs[name]
        if name == "group":
            y = y.reshape(n, groups, c // groups, h, w)  # (N, G, C/G, H, W)
        stats[name] = {"max_abs_mean": float(np.abs(y.mean(axis=axes)).max()),
                       "max_abs_std_minus_1": float(np.abs(y.std(axis=axes) - 1).max())}
    with no_grad():
        one_group = nn.GroupNorm(1, c, affine=False)(Tensor(x)).numpy()
    stats["layer_vs_groupnorm_1"] = float(np.abs(one_group - outputs["layer"]).max())
    return stats


def axes_figure(path, n=4, c=6, groups=3):
    """Which cells share one mean and variance: in each panel the rows are the examples n,
    the columns the channels c (H and W folded in), and one colour is one set of statistics."""
    examples = np.arange(n)[:, None]
    channels = np.arange(c)[None, :]
    panels = {
        "batch": np.broadcast_to(channels, (n, c)),
        "layer": np.broadcast_to(examples, (n, c)),
        "instance": examples * c + channels,
        f"group ({groups})": examples * groups + channels // (c // groups),
    }
    images = [panel / panel.max() for panel in panels.values()]  # (N rows, C columns) each
    return plot.image_grid(np.stack(images), path, labels=list(panels), columns=4,
                           cmap="tab20")


def run(quick=False, out="lessons-output"):
    stats = check_axes()
    print("on a random (8, 6, 5, 5) tensor, mean and std over each layer's axes:")
    for name in ("batch", "layer", "instance", "group"):
        print(f"  {name:9s} max |mean| {stats[name]['max_abs_mean']:.1e}, "
              f"max |std - 1| {stats[name]['max_abs_std_minus_1']:.1e}")
    print(f"  LayerNorm((C, H, W)) vs GroupNorm(1, C): max difference "
          f"{stats['layer_vs_groupnorm_1']:.1e}")
    axes_path = axes_figure(os.path.join(out, "normalization_axes.png"))
    print("  (the figure: rows are examples, columns channels; one colour, one mean)")

    (x_train, y_train), (x_test, y_test) = load_mnist_10k()  # (N, 1, 28, 28) in [0, 1]
    n_train, n_test, epochs = (1500, 500, 1) if quick else (8000, 2000, 2)
    x_train, y_train = x_train[:n_train], y_train[:n_train]
    test = (x_test[:n_test], y_test[:n_test])
    print(f"MNIST: {n_train} training and {n_test} test images; SGD lr {LR}, batches of 100, "
          f"{epochs} epochs")
    losses, results = {}, {}
    for norm in NORMS:
        manabu.manual_seed(0)
        model = cnn(norm)
        history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LR),
                            (x_train, y_train), epochs=epochs, batch_size=100, seed=0,
                            log_every_step=True, verbose=0)
        evaluation = train.evaluate(model, nn.CrossEntropyLoss(), test)
        steps = np.array([record["loss"] for record in history.steps])
        window = 10 if len(steps) >= 20 else 1
        losses[norm] = np.convolve(steps, np.ones(window) / window, mode="valid")
        result = {"final_loss": history["loss"][-1],
                  "train_accuracy": history["accuracy"][-1],
                  "test_accuracy": evaluation["accuracy"]}
        results[norm] = result
        print(f"  {norm:9s} training loss (last epoch) {result['final_loss']:.3f}, training "
              f"accuracy {result['train_accuracy']:.3f}, test accuracy "
              f"{result['test_accuracy']:.3f}")
    curves_path = plot.curves(losses, os.path.join(out, "normalization_loss.png"),
                              xlabel="step (mean of 10)", ylabel="training loss", logy=True,
                              title="the same CNN with each normalisation")
    print(f"figures: {axes_path}, {curves_path}")
    return {"axes": stats, "runs": results, "figures": [axes_path, curves_path]}

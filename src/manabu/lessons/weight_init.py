"""Weight initialisation (重みの初期値): where the activations of a deep net end up.

1,000 random inputs (100 features, standard normal) go through 5 layers of 100 units, no
bias, no training. Each layer's weights are drawn four ways: N(0, 1), N(0, 0.01^2),
Xavier (std 1/sqrt(100) = 0.1) and He (std sqrt(2/100) = 0.14), and the histograms of the
activations of each layer are drawn, for sigmoid and for ReLU.

What to see: with std 1 the sigmoid's inputs are huge, so its outputs pile up at 0 and 1
where its slope is 0 (gradients vanish, 勾配消失); with std 0.01 every output is about 0.5
(all units say the same thing: no expressive power, 表現力の制限); Xavier keeps them spread.
With ReLU, std 0.01 and Xavier shrink the activations layer after layer, He keeps them.

Expect (1,000 inputs, a few seconds): sigmoid, 5th layer: std 1 -> 70% of the outputs within
0.05 of 0 or 1; std 0.01 -> all within 0.03 of 0.5 (std 0.011); Xavier -> std 0.10, none
saturated. ReLU, std of the 5th layer's outputs: std 1 -> 1.5e4 (explodes, x7 a layer),
std 0.01 -> 1.5e-6 (vanishes, x0.07 a layer), Xavier -> 0.13 (x0.7 a layer), He -> 0.89
(kept at the first layer's 0.83).
"""

import os

import numpy as np

import manabu
from manabu import nn, plot
from manabu.autograd import Tensor, no_grad

SETTINGS = {
    "std 1": lambda w: nn.init.normal_(w, std=1.0),
    "std 0.01": lambda w: nn.init.normal_(w, std=0.01),
    "Xavier": nn.init.xavier_normal_,  # std = sqrt(2 / (n_in + n_out)) = 1/sqrt(n) here
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),  # std = sqrt(2 / n)
}
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "ReLU": nn.ReLU}


def activations_per_layer(x, activation, init, layers=5, units=100):
    """The outputs z of each of ``layers`` Linear(no bias) + activation layers."""
    outputs = []
    z = Tensor(x)
    with no_grad():  # nothing is trained here: no graph needed
        for _ in range(layers):
            layer = nn.Linear(z.shape[1], units, bias=False, init=init)
            z = activation()(layer(z))
            outputs.append(z.numpy())
    return outputs


def saturated(z, margin=0.05):
    """The fraction of sigmoid outputs within ``margin`` of 0 or 1 (slope below 0.05)."""
    return float(np.mean((z < margin) | (z > 1 - margin)))


def draw(path, title, table, value_range=None, positive_only=False):
    """One row per initialisation (sharing its x axis), one column per layer."""
    plt = plot.pyplot()
    rows, columns = len(table), len(next(iter(table.values())))
    fig, axes = plt.subplots(rows, columns, figsize=(2.4 * columns, 1.9 * rows),
                             squeeze=False, sharex="row")
    for r, (setting, outputs) in enumerate(table.items()):
        for c, z in enumerate(outputs):
            values = z[z > 0] if positive_only else z.ravel()
            ax = axes[r][c]
            ax.hist(values, bins=30, range=value_range)
            ax.set_yticks([])
            ax.tick_params(labelsize=7)
            ax.locator_params(axis="x", nbins=3)
            if r == 0:
                ax.set_title(f"layer {c + 1}", fontsize=9)
            if c == 0:
                ax.set_ylabel(setting, fontsize=9)
    fig.suptitle(title)
    return plot.save_figure(fig, path)


def run(quick=False, out="lessons-output"):
    n = 200 if quick else 1000
    manabu.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((n, 100)).astype(np.float32)  # (N, 100)
    print(f"{n} random inputs through 5 layers of 100 units (no bias, no training)")

    results, figures = {}, []
    for name, activation in ACTIVATIONS.items():
        table = {setting: activations_per_layer(x, activation, init)
                 for setting, init in SETTINGS.items()}
        results[name] = {}
        for setting, outputs in table.items():
            last = outputs[-1]
            numbers = {"std_per_layer": [float(z.std()) for z in outputs],
                       "last_mean": float(last.mean()), "last_std": float(last.std())}
            line = (f"{name:7s} {setting:8s} std per layer: "
                    + " ".join(f"{s:8.2e}" for s in numbers["std_per_layer"]))
            if name == "sigmoid":
                numbers["last_saturated"] = saturated(last)
                numbers["last_max_distance_from_half"] = float(np.abs(last - 0.5).max())
                line += f"; 5th layer: {numbers['last_saturated']:.0%} near 0 or 1"
            results[name][setting] = numbers
            print(line)
        path = os.path.join(out, f"weight_init_{name.lower()}.png")
        if name == "sigmoid":
            figures.append(draw(path, "sigmoid: outputs per layer for each initial weight",
                                table, value_range=(0.0, 1.0)))
        else:  # the zeros (half of all ReLU outputs) are left out so the rest can be seen
            figures.append(draw(path, "ReLU: positive outputs per layer for each initial "
                                "weight (x axis shared along a row)", table, positive_only=True))
    print("figures: " + ", ".join(figures))
    results["figures"] = figures
    return results

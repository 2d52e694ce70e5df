"""Forward propagation (順伝播) through two small networks, layer by layer, with fixed weights.

Each layer computes its total input (総入力) u = x W + b and its output z = f(u). The same
numbers are computed three ways: with the notes' plain-NumPy functions (manabu.functions),
with manabu Tensors (x @ W + b, F.relu, ...), and with nn.Sequential(nn.Linear, ...) after
loading the same weights (nn.Linear stores W transposed, as PyTorch does).

1. A 2-3-1 network (ReLU hidden layer, identity output, as for regression). By hand, for
   x = (1, 2): u1 = (1.2, 0.6, -0.9), z1 = (1.2, 0.6, 0), y = 0.84 - 0.30 + 0 + 0.05 = 0.59.
2. A 2-3-2-2 network (two sigmoid hidden layers, softmax output, as for classification),
   applied to a batch of three inputs at once: one matrix product per layer (行列計算).

Expect: y = 0.59 for the first network, and the three ways to agree to about 1e-16 (all in
float64). The figure draws both networks with each node's value.
"""

import os

import numpy as np

from manabu import functional as F
from manabu import functions
from manabu import nn, plot
from manabu.autograd import Tensor

# --- the weights, written out (W has shape (inputs, outputs), as in the notes) -------------

NET_2_3_1 = {
    "W1": [[0.5, -0.2, 0.1],
           [0.3, 0.4, -0.6]],
    "b1": [0.1, 0.0, 0.2],
    "W2": [[0.7],
           [-0.5],
           [0.4]],
    "b2": [0.05],
}
X_2_3_1 = [1.0, 2.0]
EXPECTED_2_3_1 = 0.59  # worked out by hand in the docstring

NET_2_3_2_2 = {
    "W1": [[0.2, -0.4, 0.6],
           [0.8, 0.1, -0.3]],
    "b1": [0.1, 0.2, 0.3],
    "W2": [[0.5, -0.5],
           [0.3, 0.9],
           [-0.7, 0.2]],
    "b2": [0.0, 0.1],
    "W3": [[1.0, -1.0],
           [-0.5, 0.5]],
    "b3": [0.2, -0.2],
}
X_2_3_2_2 = [[1.0, 0.5],  # a batch of three inputs, one per row
             [0.0, 0.0],
             [-1.0, 2.0]]


def as_arrays(network):
    return {name: np.array(value, dtype=np.float64) for name, value in network.items()}


# --- way 1: the notes' NumPy functions --------------------------------------------------------

def forward_numpy(network, x, activations):
    """[(u, z) per layer] for input x; ``activations`` names f for each layer."""
    z = np.asarray(x, dtype=np.float64)
    steps = []
    for k, name in enumerate(activations, start=1):
        u = np.dot(z, network[f"W{k}"]) + network[f"b{k}"]  # total input: u = z W + b
        z = getattr(functions, name)(u)  # output: z = f(u)
        steps.append((u, z))
    return steps


# --- way 2: the same formulas on Tensors (autograd could now run backward through them) ---

TENSOR_ACTIVATIONS = {"relu": F.relu, "sigmoid": F.sigmoid, "identity": F.identity,
                      "softmax": F.softmax}


def forward_tensor(network, x, activations):
    z = Tensor(np.asarray(x, dtype=np.float64))
    steps = []
    for k, name in enumerate(activations, start=1):
        u = z @ Tensor(network[f"W{k}"]) + Tensor(network[f"b{k}"])
        z = TENSOR_ACTIVATIONS[name](u)
        steps.append((u.numpy(), z.numpy()))
    return steps


# --- way 3: layers, as a real model is written -------------------------------------------

LAYER_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "identity": nn.Identity,
                     "softmax": nn.Softmax}


def as_model(network, activations):
    """nn.Sequential of Linear + activation layers holding the network's weights."""
    layers = []
    for k, name in enumerate(activations, start=1):
        W, b = network[f"W{k}"], network[f"b{k}"]
        linear = nn.Linear(W.shape[0], W.shape[1], dtype=np.float64)
        linear.weight.data[...] = W.T  # nn.Linear keeps (outputs, inputs): the transpose
        linear.bias.data[...] = b
        layers += [linear, LAYER_ACTIVATIONS[name]()]
    return nn.Sequential(*layers)


def show(title, x, steps, activations):
    print(f"\n{title}")
    lines = [("  input x = ", x)]
    for k, ((u, z), name) in enumerate(zip(steps, activations), start=1):
        lines.append((f"  layer {k}: u{k} = z{k - 1} W{k} + b{k} = ", u))
        lines.append((f"           z{k} = {name}(u{k}) = ", z))
    for label, value in lines:
        print(label + fmt(value, prefix=label))


def fmt(array, prefix=""):
    """An array on one line, or a matrix with its rows aligned under ``prefix``'s end."""
    return np.array2string(np.asarray(array, dtype=np.float64), precision=4,
                           suppress_small=True, separator=", ", prefix=prefix)


def largest_difference(steps_a, steps_b):
    return max(float(np.max(np.abs(a - b)))
               for pair_a, pair_b in zip(steps_a, steps_b) for a, b in zip(pair_a, pair_b))


# --- the figure -----------------------------------------------------------------------------

def draw_network(ax, network, x, steps, title):
    """Nodes with their values, one column per layer; edges coloured by the weight's sign."""
    values = [np.asarray(x, dtype=np.float64)] + [z for _, z in steps]
    positions = []
    for column, layer in enumerate(values):
        n = len(layer)
        positions.append([(column, (n - 1) / 2 - i) for i in range(n)])
    for k in range(1, len(values)):
        W = network[f"W{k}"]
        for i, (x0, y0) in enumerate(positions[k - 1]):
            for j, (x1, y1) in enumerate(positions[k]):
                color = "tab:red" if W[i, j] < 0 else "tab:blue"
                ax.plot([x0, x1], [y0, y1], color=color, alpha=0.6,
                        linewidth=0.5 + 2 * abs(W[i, j]), zorder=1)
                ax.text(x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0), f"{W[i, j]:g}",
                        fontsize=6, color=color, zorder=3)
    for column, layer in enumerate(values):
        for (px, py), value in zip(positions[column], layer):
            ax.scatter([px], [py], s=900, color="white", edgecolors="black", zorder=2)
            ax.text(px, py, f"{value:.3f}", ha="center", va="center", fontsize=7, zorder=4)
    names = ["input x"] + [f"z{k}" for k in range(1, len(values) - 1)] + ["output y"]
    bottom = -(max(len(v) for v in values) - 1) / 2 - 0.5
    for column, name in enumerate(names):
        ax.text(column, bottom, name, ha="center")
    ax.set_title(title, fontsize=10)
    ax.axis("off")


def draw(path, first, second):
    plt = plot.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    draw_network(axes[0], *first)
    draw_network(axes[1], *second)
    return plot.save_figure(fig, path)


def run(quick=False, out="lessons-output"):
    # 1. the 2-3-1 network, one input
    net_a = as_arrays(NET_2_3_1)
    acts_a = ["relu", "identity"]
    steps_a = forward_numpy(net_a, X_2_3_1, acts_a)
    show("2-3-1 network (ReLU, identity), manabu.functions:", X_2_3_1, steps_a, acts_a)
    tensor_a = forward_tensor(net_a, X_2_3_1, acts_a)
    model_a = as_model(net_a, acts_a)
    y_model_a = model_a(Tensor(np.array([X_2_3_1]))).numpy()[0]
    diff_a = max(largest_difference(steps_a, tensor_a),
                 float(np.max(np.abs(y_model_a - steps_a[-1][1]))))
    y_a = float(steps_a[-1][1][0])
    print(f"  output y = {y_a:.6f} (by hand: {EXPECTED_2_3_1}); "
          f"Tensor and nn.Sequential agree to {diff_a:.1e}")

    # 2. the 2-3-2-2 network, a batch of three inputs in one pass
    net_b = as_arrays(NET_2_3_2_2)
    acts_b = ["sigmoid", "sigmoid", "softmax"]
    steps_b = forward_numpy(net_b, X_2_3_2_2, acts_b)
    show("2-3-2-2 network (sigmoid, sigmoid, softmax) on a batch of 3, manabu.functions:",
         X_2_3_2_2, steps_b, acts_b)
    tensor_b = forward_tensor(net_b, X_2_3_2_2, acts_b)
    y_model_b = as_model(net_b, acts_b)(Tensor(np.array(X_2_3_2_2))).numpy()
    diff_b = max(largest_difference(steps_b, tensor_b),
                 float(np.max(np.abs(y_model_b - steps_b[-1][1]))))
    probabilities = steps_b[-1][1]
    print(f"  each row of the output sums to 1: {fmt(probabilities.sum(axis=1))}; "
          f"Tensor and nn.Sequential agree to {diff_b:.1e}")

    path = draw(os.path.join(out, "forward_pass.png"),
                (net_a, X_2_3_1, steps_a, "2-3-1: ReLU, identity"),
                (net_b, X_2_3_2_2[0], [(u[0], z[0]) for u, z in steps_b],
                 "2-3-2-2: sigmoid, sigmoid, softmax (first input)"))
    print(f"\nfigure: {path}")
    return {
        "output_2_3_1": y_a,
        "expected_2_3_1": EXPECTED_2_3_1,
        "hidden_u_2_3_1": steps_a[0][0].tolist(),
        "probabilities_2_3_2_2": probabilities.tolist(),
        "max_difference_numpy_tensor": max(diff_a, diff_b),
        "figure": path,
    }

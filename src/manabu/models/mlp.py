"""The multi-layer perceptron (多層パーセプトロン): Linear layers with an activation between.

    x -> Linear -> [BatchNorm] -> activation -> [Dropout] -> ... -> Linear -> logits
"""

from manabu import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


class MLP(nn.Module):
    """MLP(in_features, hidden_sizes, out_features): fully connected layers for (N, D) inputs
    (images are flattened first). Weights use He initialisation after ReLU-like
    activations and Xavier after sigmoid/tanh, as the notes recommend."""

    def __init__(self, in_features=784, hidden_sizes=(256, 256), out_features=10,
                 activation="relu", dropout=0.0, batch_norm=False):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
        self.config = {
            "in_features": in_features, "hidden_sizes": list(hidden_sizes),
            "out_features": out_features, "activation": activation, "dropout": dropout,
            "batch_norm": batch_norm,
        }
        init = "xavier_uniform" if activation in ("sigmoid", "tanh") else "kaiming_uniform"
        layers = [nn.Flatten()]
        width = in_features
        for size in hidden_sizes:
            layers.append(nn.Linear(width, size, init=init))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, out_features, init="xavier_uniform"))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)

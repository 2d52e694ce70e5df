"""The multi-layer perceptron (多層パーセプトロン): Linear layers with an activation between.

    x -> Linear -> [BatchNorm] -> activation -> [Dropout] -> ... -> Linear -> logits
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu import nn

if TYPE_CHECKING:
    from collections.abc import Sequence

    from manabu.autograd import Tensor

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
    activations and Xavier after sigmoid/tanh, as the notes recommend.

    The output layer is always Xavier-initialised and gives logits (no softmax: pair it
    with ``nn.CrossEntropyLoss``). torchvision's ``ops.MLP`` is the nearest PyTorch
    relative; it takes the output size as the last entry of its hidden channels.

    Args:
        in_features: the size of one flattened input. Default: 784 (28 x 28)
        hidden_sizes: the width of each hidden layer. Default: (256, 256)
        out_features: the number of outputs (classes). Default: 10
        activation: 'relu', 'sigmoid', 'tanh', 'leaky_relu', 'elu', 'gelu' or 'silu'.
            Default: 'relu'
        dropout: the drop probability after each hidden activation; 0: no Dropout
            layers. Default: 0
        batch_norm: a BatchNorm1d after each hidden Linear. Default: False

    Shape:
        - Input: (N, in_features), or (N, *) with in_features elements per example
          (images are flattened)
        - Output: (N, out_features), logits

    Example:
        >>> model = models.MLP(in_features=784, hidden_sizes=(64,), out_features=10)
        >>> model(manabu.tensor(np.zeros((2, 1, 28, 28), dtype=np.float32))).shape
        (2, 10)
        >>> sum(p.size for p in model.parameters())             # 784*64+64 + 64*10+10
        50890
    """

    def __init__(self, in_features: int = 784, hidden_sizes: Sequence[int] = (256, 256),
                 out_features: int = 10, activation: str = "relu", dropout: float = 0.0,
                 batch_norm: bool = False) -> None:
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

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)

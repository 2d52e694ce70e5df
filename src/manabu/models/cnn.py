"""Reference convolutional networks (畳み込みニューラルネットワーク, CNN).

    SimpleCNN  the notes' CNN: [conv 3x3 - ReLU - max pool 2] x 2 - fc - ReLU - fc
    LeNet5     LeCun et al. (1998): conv 5x5 (6) - pool - conv 5x5 (16) - pool - fc 120 - 84
    SmallVGG   VGG-style stages of [conv 3x3 - BN - ReLU] x 2 + max pool, then fc layers
    ResNet20   He et al. (2016) for CIFAR: a 3x3 stem, 3 stages x 3 BasicBlocks (16, 32, 64
               channels, stride 2 between stages), global average pooling, fc
    CNN1d      1-D convolutions for sequences and waveforms (N, C, L)
    CNN3d      3-D convolutions for short clips or volumes (N, C, D, H, W)

Each takes ``input_shape`` (one example, e.g. (1, 28, 28)) and ``num_classes``, adapts its
fully connected part to the input size, returns logits (N, num_classes), and keeps its
constructor arguments in ``self.config`` so ``manabu.save`` / ``manabu.load`` can rebuild it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu import nn
from manabu.functional.activation import relu

if TYPE_CHECKING:
    from collections.abc import Sequence

    from manabu.autograd import Tensor

__all__ = ["CNN1d", "CNN3d", "LeNet5", "ResNet20", "SimpleCNN", "SmallVGG"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _input_shape(model: str, input_shape: Sequence[int], spatial_dims: int) -> tuple[int, ...]:
    """input_shape as a tuple (C, *S) of positive ints with ``spatial_dims`` spatial axes."""
    shape = tuple(int(s) for s in input_shape)
    layouts = {1: "(C, L)", 2: "(C, H, W)", 3: "(C, D, H, W)"}
    if len(shape) != spatial_dims + 1 or min(shape) < 1:
        raise ValueError(
            f"{model}: input_shape must be {layouts[spatial_dims]} for one example, got "
            f"{tuple(input_shape)}; load images unflattened (flatten=False)"
        )
    return shape


def _halved(model: str, spatial: Sequence[int], times: int) -> tuple[int, ...]:
    """Spatial sizes after ``times`` 2x2 poolings; an error if the input is too small."""
    if min(spatial) < 2 ** times:
        raise ValueError(
            f"{model}: input of spatial size {spatial} is too small for {times} poolings that "
            f"halve it; it needs at least {2 ** times} on each side (use fewer stages)"
        )
    return tuple(s // 2 ** times for s in spatial)


def _classifier(features: int, hidden_size: int, num_classes: int,
                dropout: float) -> nn.Sequential:
    """Flatten - Linear - ReLU - [Dropout] - Linear: the fully connected head."""
    layers = [nn.Flatten(), nn.Linear(features, hidden_size), nn.ReLU()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden_size, num_classes, init="xavier_uniform"))
    return nn.Sequential(*layers)


class SimpleCNN(nn.Module):
    """The notes' simple CNN: for each entry of ``channels`` a conv 3x3 (padding 1) - ReLU -
    max pool 2 block, then flatten - fc ``hidden_size`` - ReLU - fc ``num_classes``.

    For MNIST (1, 28, 28) with the defaults:
        conv(1->16) 28x28 - pool 14x14 - conv(16->32) 14x14 - pool 7x7 - fc(32*7*7 -> 128)
        - fc(128 -> 10): 206,922 parameters (the benchmark's B2 network).
    For the 8x8 digits the fc layer takes 32*2*2 inputs instead.

    Args:
        input_shape: one example (C, H, W); each side at least 2 ** len(channels).
            Default: (1, 28, 28)
        num_classes: the number of outputs. Default: 10
        channels: the output channels of each conv block. Default: (16, 32)
        hidden_size: the width of the hidden fc layer. Default: 128
        dropout: the drop probability after the hidden fc layer; 0: none. Default: 0

    Shape:
        - Input: (N, C, H, W), the C, H, W of ``input_shape``
        - Output: (N, num_classes), logits

    Example:
        >>> model = models.SimpleCNN(input_shape=(1, 28, 28), num_classes=10)
        >>> model(manabu.tensor(np.zeros((2, 1, 28, 28), dtype=np.float32))).shape
        (2, 10)
        >>> sum(p.size for p in model.parameters())
        206922
    """

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10,
                 channels: Sequence[int] = (16, 32), hidden_size: int = 128,
                 dropout: float = 0.0) -> None:
        super().__init__()
        shape = _input_shape("SimpleCNN", input_shape, 2)
        self.config = {"input_shape": list(shape), "num_classes": num_classes,
                       "channels": list(channels), "hidden_size": hidden_size,
                       "dropout": dropout}
        layers = []
        width = shape[0]
        for c in channels:
            layers += [nn.Conv2d(width, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            width = c
        self.features = nn.Sequential(*layers)
        h, w = _halved("SimpleCNN", shape[1:], len(channels))
        self.classifier = _classifier(width * h * w, hidden_size, num_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))  # (N, C, H, W) -> (N, num_classes)


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998), as usually written for 28x28 inputs:

        conv 5x5 (6, padding 2) - act - pool 2 - conv 5x5 (16) - act - pool 2
        - fc 120 - act - fc 84 - act - fc num_classes

    61,706 parameters for (1, 28, 28). The original used tanh-like activations and average
    pooling (``activation='tanh', pooling='avg'``); ReLU and max pooling train faster. For
    inputs smaller than 28x28 (the 8x8 digits) the second convolution is padded too.

    Args:
        input_shape: one example (C, H, W), at least 4 x 4. Default: (1, 28, 28)
        num_classes: the number of outputs. Default: 10
        activation: 'relu', 'tanh' or 'sigmoid'. Default: 'relu'
        pooling: 'max' or 'avg'. Default: 'max'

    Shape:
        - Input: (N, C, H, W), the C, H, W of ``input_shape``
        - Output: (N, num_classes), logits

    Example:
        >>> model = models.LeNet5(input_shape=(1, 8, 8), activation="tanh", pooling="avg")
        >>> model(manabu.tensor(np.zeros((2, 1, 8, 8), dtype=np.float32))).shape
        (2, 10)
    """

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10,
                 activation: str = "relu", pooling: str = "max") -> None:
        super().__init__()
        shape = _input_shape("LeNet5", input_shape, 2)
        if activation not in _ACTIVATIONS or pooling not in _POOLS:
            raise ValueError(
                f"LeNet5: activation must be one of {sorted(_ACTIVATIONS)} and pooling one of "
                f"{sorted(_POOLS)}, got {activation!r} and {pooling!r}"
            )
        self.config = {"input_shape": list(shape), "num_classes": num_classes,
                       "activation": activation, "pooling": pooling}
        act, pool = _ACTIVATIONS[activation], _POOLS[pooling]
        h, w = _halved("LeNet5", shape[1:], 1)
        padding = 0 if min(h, w) >= 10 else 2  # 14 -> 10 -> 5 for MNIST; small inputs keep size
        h, w = h + 2 * padding - 4, w + 2 * padding - 4
        h, w = _halved("LeNet5", (h, w), 1)
        self.features = nn.Sequential(
            nn.Conv2d(shape[0], 6, 5, padding=2), act(), pool(2),
            nn.Conv2d(6, 16, 5, padding=padding), act(), pool(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * h * w, 120), act(), nn.Linear(120, 84), act(),
            nn.Linear(84, num_classes, init="xavier_uniform"),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


class SmallVGG(nn.Module):
    """A small VGG (Simonyan & Zisserman, 2015): one stage per entry of ``channels``, each
    [conv 3x3 - BatchNorm2d - ReLU] x 2 and a max pool 2, then flatten - fc ``hidden_size``
    - ReLU - [Dropout] - fc. Stacking 3x3 convolutions sees as far as one larger kernel
    with fewer weights and more non-linearities.

    Args:
        input_shape: one example (C, H, W); each side at least 2 ** len(channels).
            Default: (3, 32, 32)
        num_classes: the number of outputs. Default: 10
        channels: the channels of each stage. Default: (32, 64, 128)
        hidden_size: the width of the hidden fc layer. Default: 256
        dropout: the drop probability after the hidden fc layer; 0: none. Default: 0
        batch_norm: a BatchNorm2d after each conv (which then has no bias).
            Default: True

    Shape:
        - Input: (N, C, H, W), the C, H, W of ``input_shape``
        - Output: (N, num_classes), logits

    Example:
        >>> model = models.SmallVGG(input_shape=(3, 16, 16), channels=(8, 16))
        >>> model(manabu.tensor(np.zeros((2, 3, 16, 16), dtype=np.float32))).shape
        (2, 10)
    """

    def __init__(self, input_shape: Sequence[int] = (3, 32, 32), num_classes: int = 10,
                 channels: Sequence[int] = (32, 64, 128), hidden_size: int = 256,
                 dropout: float = 0.0, batch_norm: bool = True) -> None:
        super().__init__()
        shape = _input_shape("SmallVGG", input_shape, 2)
        self.config = {"input_shape": list(shape), "num_classes": num_classes,
                       "channels": list(channels), "hidden_size": hidden_size,
                       "dropout": dropout, "batch_norm": batch_norm}
        layers = []
        width = shape[0]
        for c in channels:
            for _ in range(2):
                layers.append(nn.Conv2d(width, c, 3, padding=1, bias=not batch_norm))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(c))
                layers.append(nn.ReLU())
                width = c
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        h, w = _halved("SmallVGG", shape[1:], len(channels))
        self.classifier = _classifier(width * h * w, hidden_size, num_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


class ResNet20(nn.Module):
    """ResNet-20 for 32x32 images (He et al., 2016, section 4.2): 6n + 2 = 20 layers with
    n = ``blocks_per_stage`` = 3.

        conv 3x3 (16) - BN - ReLU
        layer1: 3 BasicBlocks, 16 channels          32x32
        layer2: 3 BasicBlocks, 32 channels, stride 2  16x16
        layer3: 3 BasicBlocks, 64 channels, stride 2   8x8
        global average pooling - fc num_classes

    About 0.27M parameters (272,474 with the 1x1 projection shortcuts used here, 269,722 in
    the paper's parameter-free variant). Names follow torchvision (conv1, bn1, layer1..3,
    fc). Residual connections (残差接続) keep the gradient flowing through all 19 convs.

    Args:
        input_shape: one example (C, H, W); each side at least 2 ** (len(widths) - 1).
            Default: (3, 32, 32)
        num_classes: the number of outputs. Default: 10
        widths: the channels of each stage; stages after the first halve H and W.
            Default: (16, 32, 64)
        blocks_per_stage: n, BasicBlocks per stage (6n + 2 layers). Default: 3

    Shape:
        - Input: (N, C, H, W), the C, H, W of ``input_shape``
        - Output: (N, num_classes), logits

    Example:
        >>> model = models.ResNet20()
        >>> sum(p.size for p in model.parameters())
        272474
        >>> model(manabu.tensor(np.zeros((1, 3, 32, 32), dtype=np.float32))).shape
        (1, 10)
    """

    def __init__(self, input_shape: Sequence[int] = (3, 32, 32), num_classes: int = 10,
                 widths: Sequence[int] = (16, 32, 64), blocks_per_stage: int = 3) -> None:
        super().__init__()
        shape = _input_shape("ResNet20", input_shape, 2)
        self.config = {"input_shape": list(shape), "num_classes": num_classes,
                       "widths": list(widths), "blocks_per_stage": blocks_per_stage}
        _halved("ResNet20", shape[1:], len(widths) - 1)
        self.conv1 = nn.Conv2d(shape[0], widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        width = widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            blocks = []
            for j in range(blocks_per_stage):
                blocks.append(nn.BasicBlock(width, w, stride if j == 0 else 1))
                width = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.stages = len(widths)
        self.pool = nn.GlobalAvgPool2d()
        self.fc = nn.Linear(width, num_classes, init="xavier_uniform")

    def forward(self, x: Tensor) -> Tensor:
        x = relu(self.bn1(self.conv1(x)))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(self.pool(x))  # (N, C, H, W) -> (N, C) -> (N, num_classes)


class _ConvNet(nn.Module):
    """Shared by CNN1d and CNN3d: [conv - BN - ReLU - max pool 2] per entry of ``channels``
    (an axis already of size 1 is not pooled), global average pooling, [Dropout], fc."""

    _conv, _norm, _pool, _gap = None, None, None, None

    def _build(self, shape: tuple[int, ...], num_classes: int, channels: Sequence[int],
               kernel_size: int, dropout: float) -> None:
        layers = []
        width = shape[0]
        spatial = shape[1:]
        for c in channels:
            layers += [self._conv(width, c, kernel_size, padding=kernel_size // 2, bias=False),
                       self._norm(c), nn.ReLU()]  # odd kernel, 'same' padding: size kept
            pool = tuple(2 if s >= 2 else 1 for s in spatial)
            if max(pool) > 1:
                layers.append(self._pool(pool))
                spatial = tuple(s // p for s, p in zip(spatial, pool))
            width = c
        self.features = nn.Sequential(*layers)
        head = [self._gap()]
        if dropout > 0:
            head.append(nn.Dropout(dropout))
        head.append(nn.Linear(width, num_classes, init="xavier_uniform"))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))  # (N, C, *S) -> (N, num_classes)


class CNN1d(_ConvNet):
    """A 1-D CNN for sequences and waveforms (一次元畳み込み), input (N, C, L): per entry of
    ``channels`` a conv1d (``kernel_size``, 'same' padding) - BatchNorm1d - ReLU - max pool
    2 block, then global average pooling over time and a fc layer, so any length works.

    Args:
        input_shape: one example (C, L). Default: (1, 128)
        num_classes: the number of outputs. Default: 10
        channels: the channels of each block. Default: (16, 32, 64)
        kernel_size: an odd kernel length. Default: 5
        dropout: the drop probability before the fc layer; 0: none. Default: 0

    Shape:
        - Input: (N, C, L); L may differ from ``input_shape``'s
        - Output: (N, num_classes), logits

    Example:
        >>> model = models.CNN1d(input_shape=(1, 128), num_classes=4)
        >>> model(manabu.tensor(np.zeros((2, 1, 300), dtype=np.float32))).shape
        (2, 4)
    """

    _conv, _norm, _pool, _gap = nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.GlobalAvgPool1d

    def __init__(self, input_shape: Sequence[int] = (1, 128), num_classes: int = 10,
                 channels: Sequence[int] = (16, 32, 64), kernel_size: int = 5,
                 dropout: float = 0.0) -> None:
        super().__init__()
        shape = _input_shape("CNN1d", input_shape, 1)
        if kernel_size % 2 == 0:
            raise ValueError(f"CNN1d: kernel_size must be odd ('same' padding), got "
                             f"{kernel_size}")
        self.config = {"input_shape": list(shape), "num_classes": num_classes,
                       "channels": list(channels), "kernel_size": kernel_size,
                       "dropout": dropout}
        self._build(shape, num_classes, channels, kernel_size, dropout)


class CNN3d(_ConvNet):
    """A 3-D CNN for short clips or volumes (三次元畳み込み), input (N, C, D, H, W): per entry
    of ``channels`` a conv3d 3x3x3 (padding 1) - BatchNorm3d - ReLU - max pool 2 block
    (a time axis already of length 1 is not pooled), then global average pooling and a fc
    layer.

    Args:
        input_shape: one example (C, D, H, W). Default: (1, 8, 32, 32)
        num_classes: the number of outputs. Default: 10
        channels: the channels of each block. Default: (8, 16, 32)
        dropout: the drop probability before the fc layer; 0: none. Default: 0

    Shape:
        - Input: (N, C, D, H, W)
        - Output: (N, num_classes), logits

    Example:
        >>> model = models.CNN3d(input_shape=(1, 4, 8, 8), channels=(4,), num_classes=3)
        >>> model(manabu.tensor(np.zeros((2, 1, 4, 8, 8), dtype=np.float32))).shape
        (2, 3)
    """

    _conv, _norm, _pool, _gap = nn.Conv3d, nn.BatchNorm3d, nn.MaxPool3d, nn.GlobalAvgPool3d

    def __init__(self, input_shape: Sequence[int] = (1, 8, 32, 32), num_classes: int = 10,
                 channels: Sequence[int] = (8, 16, 32), dropout: float = 0.0) -> None:
        super().__init__()
        shape = _input_shape("CNN3d", input_shape, 3)
        self.config = {"input_shape": list(shape), "num_classes": num_classes,
                       "channels": list(channels), "dropout": dropout}
        self._build(shape, num_classes, channels, 3, dropout)

"""Residual connections (残差接続, skip connections) and ResNet's basic block.

A residual block learns a correction F(x) to its input instead of a whole new mapping:

    out = F(x) + x

Backward, the addition passes the gradient to x unchanged, gx = gy * dF/dx + gy, so even
through many blocks the gradient keeps a direct path to the early layers (the identity
term): this is what lets ResNets train at depths where plain stacks suffer from vanishing
gradients (勾配消失問題). If F's weights go to zero the block becomes the identity, so
adding blocks cannot make the network worse in principle (He et al., 2016).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.functional.activation import relu
from manabu.nn.containers import Sequential
from manabu.nn.conv import Conv2d
from manabu.nn.module import Module
from manabu.nn.normalization import BatchNorm2d

if TYPE_CHECKING:
    from manabu.autograd import Tensor

__all__ = ["BasicBlock", "Residual"]


class Residual(Module):
    """out = block(x) + x: a residual connection 残差接続 around any module whose output has
    the shape of its input (e.g. conv-bn-relu-conv-bn with stride 1 and as many output as
    input channels). Not in PyTorch.

    Args:
        block: the module F; its output must have the shape of its input.

    Shape:
        - Input: whatever ``block`` takes, (*).
        - Output: (*), the shape of the input.

    Example:
        >>> res = nn.Residual(nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8)))
        >>> res(manabu.tensor(np.ones((4, 8), np.float32))).shape
        (4, 8)
    """

    def __init__(self, block: Module) -> None:
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"Residual: block must be a Module, got {type(block).__name__}")
        self.block = block

    def forward(self, x: Tensor) -> Tensor:
        y = self.block(x)
        if y.shape != x.shape:
            raise ValueError(
                f"Residual: the block maps the input of shape {tuple(x.shape)} to "
                f"{tuple(y.shape)}, but out = block(x) + x needs the same shape; keep stride 1 "
                "and out_channels == in_channels inside the block, or use BasicBlock, whose "
                "1x1 convolution shortcut changes the shape"
            )
        return y + x


class BasicBlock(Module):
    """ResNet's basic block (He et al., 2016), as in torchvision (same parameter names):

        main     = bn2(conv2(relu(bn1(conv1(x)))))      two 3x3 convolutions, no bias
        shortcut = x, or bn(conv1x1(x)) when the shape changes (stride != 1 or
                   in_channels != out_channels): the projection shortcut
        out      = relu(main + shortcut)

    (N, in_channels, H, W) -> (N, out_channels, H/stride, W/stride). The convolutions have
    no bias because the batch normalisation after each one adds its own (beta).
    (torchvision's ``models.resnet.BasicBlock`` takes a ready ``downsample`` module and
    more options; this one builds the shortcut itself.)

    Args:
        in_channels: the channels of the input.
        out_channels: the channels of the output (the width of both convolutions).
        stride: the first convolution's stride; 2 halves the height and width.
            Default: 1

    Shape:
        - Input: (N, in_channels, H, W).
        - Output: (N, out_channels, OH, OW), OH = (H - 1) // stride + 1 and OW likewise.

    Example:
        >>> block = nn.BasicBlock(16, 32, stride=2)  # with a 1x1 projection shortcut
        >>> block(manabu.tensor(np.ones((2, 16, 8, 8), np.float32))).shape
        (2, 32, 4, 4)
        >>> nn.BasicBlock(16, 16).downsample is None  # identity shortcut
        True
    """

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(out_channels)
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.downsample = Sequential(
                Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                BatchNorm2d(out_channels),
            )
        else:
            self.downsample = None

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"BasicBlock({self.in_channels}, {self.out_channels}): expected an input "
                f"(N, {self.in_channels}, H, W), got shape {tuple(x.shape)}; set "
                "in_channels to the previous layer's channels"
            )
        out = relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return relu(out + shortcut)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"

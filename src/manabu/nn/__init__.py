"""Layers and models (import manabu.nn as nn): Module, Parameter, containers, init, and the
layers, each family in its own file."""

from manabu.nn import init
from manabu.nn.activation import (
    ELU, GELU, GLU, SELU, AbsRectification, HardSigmoid, HardTanh, LeakyReLU, LogSoftmax,
    Maxout, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softplus, Step, Swish,
    Tanh,
)
from manabu.nn.containers import ModuleDict, ModuleList, Sequential
from manabu.nn.dropout import AlphaDropout, Dropout
from manabu.nn.embedding import Embedding
from manabu.nn.flatten import Flatten, Identity
from manabu.nn.linear import Linear
from manabu.nn.module import Module
from manabu.nn.normalization import BatchNorm1d, LayerNorm
from manabu.nn.parameter import Parameter

__all__ = [
    "init", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
    "Linear", "Dropout", "AlphaDropout", "BatchNorm1d", "LayerNorm", "Embedding", "Flatten",
    "Identity",
    "Step", "Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU",
    "AbsRectification", "ELU", "SELU", "Softplus", "GELU", "SiLU", "Swish", "Mish", "GLU",
    "Maxout", "HardSigmoid", "HardTanh", "Softmax", "LogSoftmax",
]
from manabu.nn.loss import (  # noqa: E402 - appended by the lead; keep with the others
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss,
    NLLLoss, SmoothL1Loss,
)
__all__ += ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss",
            "L1Loss", "MSELoss", "NLLLoss", "SmoothL1Loss"]
from manabu.nn.attention import (  # noqa: E402 - appended; keep with the others
    AdditiveAttention, DotProductAttention, MultiheadAttention,
)
from manabu.nn.transformer import (  # noqa: E402
    PositionalEncoding, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer, generate_square_subsequent_mask,
)
__all__ += ["AdditiveAttention", "DotProductAttention", "MultiheadAttention",
            "PositionalEncoding", "TransformerDecoder", "TransformerDecoderLayer",
            "TransformerEncoder", "TransformerEncoderLayer", "generate_square_subsequent_mask"]
from manabu.nn.recurrent import GRU, LSTM, RNN, detach_state  # noqa: E402
from manabu.nn.recurrent_cell import GRUCell, LSTMCell, RNNCell  # noqa: E402
from manabu.nn.sampling import (  # noqa: E402
    Hypothesis, beam_search, greedy, greedy_search, sample,
)
from manabu.nn import recurrent, sampling  # noqa: E402
__all__ += ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "detach_state",
            "recurrent", "sampling", "Hypothesis", "beam_search", "greedy", "greedy_search",
            "sample"]
from manabu.nn.conv import (  # noqa: E402 - appended: convolutional networks
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
)
from manabu.nn.pooling import (  # noqa: E402
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AvgPool1d, AvgPool2d, AvgPool3d,
    GlobalAvgPool1d, GlobalAvgPool2d, GlobalAvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d,
)
from manabu.nn.normalization import (  # noqa: E402
    BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d,
)
from manabu.nn.residual import BasicBlock, Residual  # noqa: E402
from manabu.nn.frelu import FReLU  # noqa: E402
__all__ += ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
            "ConvTranspose3d", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d",
            "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
            "GlobalAvgPool1d", "GlobalAvgPool2d", "GlobalAvgPool3d", "BatchNorm2d",
            "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "GroupNorm",
            "Residual", "BasicBlock", "FReLU"]
from manabu.nn.interop import copy_from_torch, copy_to_torch  # noqa: E402
__all__ += ["copy_from_torch", "copy_to_torch"]

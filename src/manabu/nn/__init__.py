"""Layers and models (import manabu.nn as nn): Module, Parameter, containers, init, and the
layers, each family in its own file."""

from manabu.nn import init, recurrent, sampling
from manabu.nn.activation import (
    ELU, GELU, GLU, SELU, AbsRectification, HardSigmoid, HardTanh, LeakyReLU, LogSoftmax,
    Maxout, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softplus, Step, Swish,
    Tanh,
)
from manabu.nn.attention import AdditiveAttention, DotProductAttention, MultiheadAttention
from manabu.nn.containers import ModuleDict, ModuleList, Sequential
from manabu.nn.conv import (
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
)
from manabu.nn.dropout import AlphaDropout, Dropout
from manabu.nn.embedding import Embedding
from manabu.nn.flatten import Flatten, Identity
from manabu.nn.frelu import FReLU
from manabu.nn.interop import copy_from_torch, copy_to_torch
from manabu.nn.linear import Linear
from manabu.nn.loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss,
    NLLLoss, SmoothL1Loss,
)
from manabu.nn.module import Module
from manabu.nn.normalization import (
    BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
    InstanceNorm3d, LayerNorm,
)
from manabu.nn.parameter import Parameter
from manabu.nn.pooling import (
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AvgPool1d, AvgPool2d, AvgPool3d,
    GlobalAvgPool1d, GlobalAvgPool2d, GlobalAvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d,
)
from manabu.nn.recurrent import GRU, LSTM, RNN, detach_state
from manabu.nn.recurrent_cell import GRUCell, LSTMCell, RNNCell
from manabu.nn.residual import BasicBlock, Residual
from manabu.nn.sampling import Hypothesis, beam_search, greedy, greedy_search, sample
from manabu.nn.transformer import (
    PositionalEncoding, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer, generate_square_subsequent_mask,
)
from manabu.nn.transformer_model import Transformer
from manabu.nn import utils  # after the layers: spectral_norm looks at the conv classes

__all__ = [
    # building blocks and the submodules used by name (nn.init.xavier_uniform_, ...)
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "init", "recurrent",
    "sampling", "utils", "copy_from_torch", "copy_to_torch",
    # fully connected, dropout, embedding, reshaping
    "Linear", "Dropout", "AlphaDropout", "Embedding", "Flatten", "Identity",
    # activations
    "Step", "Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU",
    "AbsRectification", "ELU", "SELU", "Softplus", "GELU", "SiLU", "Swish", "Mish", "GLU",
    "Maxout", "HardSigmoid", "HardTanh", "Softmax", "LogSoftmax", "FReLU",
    # losses
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss", "L1Loss",
    "MSELoss", "NLLLoss", "SmoothL1Loss",
    # convolution, pooling, normalisation, residual blocks
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "GlobalAvgPool1d",
    "GlobalAvgPool2d", "GlobalAvgPool3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "LayerNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "GroupNorm",
    "Residual", "BasicBlock",
    # recurrent layers and decoding
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "detach_state", "Hypothesis",
    "beam_search", "greedy", "greedy_search", "sample",
    # attention and the Transformer
    "AdditiveAttention", "DotProductAttention", "MultiheadAttention", "PositionalEncoding",
    "Transformer", "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder", "generate_square_subsequent_mask",
]

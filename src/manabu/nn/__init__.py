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

"""manabu (学ぶ): a deep-learning framework from scratch on NumPy.

The top level holds what every script needs; the rest lives in submodules:
``manabu.functional`` (ops), ``manabu.nn``, ``manabu.optim``, ``manabu.data``,
``manabu.train``, ``manabu.functions`` (the notes' plain-NumPy textbook API), ``manabu.plot``.
"""

from manabu.autograd import Tensor, enable_grad, grad, is_grad_enabled, no_grad, tensor
from manabu.backend import get_default_dtype, set_default_dtype
from manabu.io import load, register_model, save
from manabu.random import manual_seed
from manabu.summary import summary

__version__ = "0.1.0"

__all__ = [
    "Tensor", "enable_grad", "get_default_dtype", "grad", "is_grad_enabled", "load",
    "manual_seed", "no_grad", "register_model", "save", "set_default_dtype", "summary", "tensor",
]

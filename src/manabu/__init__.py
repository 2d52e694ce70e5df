"""manabu (学ぶ): a deep-learning framework from scratch on NumPy."""

from manabu.autograd import Tensor, enable_grad, grad, is_grad_enabled, no_grad, tensor
from manabu.backend import get_default_dtype, set_default_dtype

__version__ = "0.1.0"

"""Parameter: a Tensor that a Module registers as learnable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.autograd import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


class Parameter(Tensor):
    """A leaf Tensor with ``requires_grad=True`` that ``Module`` collects automatically
    when it is assigned as an attribute (``self.weight = Parameter(...)``).

    A plain Tensor attribute is not registered: keep temporary state (an RNN's last hidden
    state) as a Tensor and the learnable weights as Parameters. A buffer (saved but not
    learned, e.g. running statistics) goes through ``Module.register_buffer`` instead.

    Args:
        data: the initial values. A NumPy (or CuPy) array, or a Tensor's array, is used
            as it is, without a copy; lists and numbers become an array (Python floats in
            the default dtype, float32). Only floating dtypes can require a gradient.
        requires_grad: whether backward computes a gradient for it; False freezes it.
            Default: True

    Example:
        >>> w = nn.Parameter(np.zeros((2, 3), np.float32))
        >>> w.requires_grad, w.shape
        (True, (2, 3))
        >>> layer = nn.Module()
        >>> layer.w = w  # registered by the assignment
        >>> [name for name, _ in layer.named_parameters()]
        ['w']
    """

    def __init__(self, data: ArrayLike | Tensor, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

"""Parameter: a Tensor that a Module registers as learnable."""

from manabu.autograd import Tensor


class Parameter(Tensor):
    """A leaf Tensor with ``requires_grad=True`` that ``Module`` collects automatically
    when it is assigned as an attribute (``self.weight = Parameter(...)``)."""

    def __init__(self, data, requires_grad=True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

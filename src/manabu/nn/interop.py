"""Moving weights between manabu and PyTorch modules of the same structure.

manabu's layers use PyTorch's parameter names and shapes (``weight_ih_l0`` of an LSTM is
(4H, D) with the gates (i, f, g, o) in both), so a state_dict moves across by name, with no
transposes and no reordering. torch is imported only inside ``copy_to_torch``: importing
manabu never loads it.
"""

import numpy as np

from manabu import backend

__all__ = ["copy_from_torch", "copy_to_torch"]


def _context(error, source, target):
    return RuntimeError(
        f"copying weights from {type(source).__name__} to {type(target).__name__}: {error}\n"
        "Both modules need the same structure: the same layer sizes, num_layers, "
        "bidirectional and bias settings, so that their state_dict keys and shapes match."
    )


def copy_from_torch(module, torch_module, strict=True):
    """Load every parameter and buffer of ``torch_module`` into the manabu ``module``,
    matched by state_dict key (values are cast to the manabu tensors' dtypes); returns
    ``module``. The same as ``module.load_state_dict(torch_module.state_dict())``."""
    try:
        module.load_state_dict(torch_module.state_dict(), strict=strict)
    except RuntimeError as error:
        raise _context(error, torch_module, module) from None
    return module


def copy_to_torch(module, torch_module, strict=True):
    """Load every parameter and buffer of the manabu ``module`` into ``torch_module``,
    matched by state_dict key (PyTorch casts to its own dtypes); returns ``torch_module``."""
    import torch  # only when asked: importing manabu never loads torch

    state = {
        key: torch.from_numpy(np.ascontiguousarray(backend.to_device(value, "cpu")))
        for key, value in module.state_dict().items()
    }
    try:
        torch_module.load_state_dict(state, strict=strict)
    except RuntimeError as error:
        raise _context(error, module, torch_module) from None
    return torch_module

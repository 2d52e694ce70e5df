"""Moving weights between manabu and PyTorch modules of the same structure.

manabu's layers use PyTorch's parameter names and shapes (``weight_ih_l0`` of an LSTM is
(4H, D) with the gates (i, f, g, o) in both), so a state_dict moves across by name, with no
transposes and no reordering. torch is imported only inside ``copy_to_torch``: importing
manabu never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend

if TYPE_CHECKING:
    import torch

    from manabu.nn.module import Module

__all__ = ["copy_from_torch", "copy_to_torch"]


def _context(error, source, target):
    return RuntimeError(
        f"copying weights from {type(source).__name__} to {type(target).__name__}: {error}\n"
        "Both modules need the same structure: the same layer sizes, num_layers, "
        "bidirectional and bias settings, so that their state_dict keys and shapes match."
    )


def copy_from_torch(module: Module, torch_module: torch.nn.Module,
                    strict: bool = True) -> Module:
    """Load every parameter and buffer of ``torch_module`` into the manabu ``module``,
    matched by state_dict key (values are cast to the manabu tensors' dtypes); returns
    ``module``. The same as ``module.load_state_dict(torch_module.state_dict())``.

    Args:
        module: the manabu module to write into, in place (its Parameter objects stay, so
            an optimizer built on it keeps working).
        torch_module: the PyTorch module to read from, with the same structure.
        strict: if True, the two state_dicts must have the same keys; shapes must match
            always. Default: True

    Example:
        >>> import torch
        >>> theirs = torch.nn.Linear(3, 2)
        >>> ours = nn.copy_from_torch(nn.Linear(3, 2), theirs)
        >>> bool(np.array_equal(ours.weight.numpy(), theirs.weight.detach().numpy()))
        True
    """
    try:
        module.load_state_dict(torch_module.state_dict(), strict=strict)
    except RuntimeError as error:
        raise _context(error, torch_module, module) from None
    return module


def copy_to_torch(module: Module, torch_module: torch.nn.Module,
                  strict: bool = True) -> torch.nn.Module:
    """Load every parameter and buffer of the manabu ``module`` into ``torch_module``,
    matched by state_dict key (PyTorch casts to its own dtypes); returns ``torch_module``.

    Args:
        module: the manabu module to read from.
        torch_module: the PyTorch module to write into, in place, with the same structure.
        strict: if True, the two state_dicts must have the same keys. Default: True

    Example:
        >>> import torch
        >>> ours = nn.LSTM(4, 8)
        >>> theirs = nn.copy_to_torch(ours, torch.nn.LSTM(4, 8, batch_first=True))
        >>> x = np.ones((2, 5, 4), np.float32)
        >>> out, _ = theirs(torch.from_numpy(x))
        >>> bool(np.allclose(ours(manabu.tensor(x))[0].numpy(), out.detach().numpy(),
        ...                  atol=1e-6))
        True
    """
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

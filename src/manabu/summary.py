"""summary(model, input_shape): a table of every layer's output shape and parameter count,
like Keras' ``model.summary()``, found by running one forward pass on zeros."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Tensor, no_grad

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from numpy.typing import DTypeLike

    from manabu.nn.module import Module

__all__ = ["summary"]

_NAME_WIDTH = 36
_SHAPE_WIDTH = 24
_COUNT_WIDTH = 14


def _shape_text(output: Any) -> str:
    if isinstance(output, (tuple, list)):
        return "[" + ", ".join(_shape_text(o) for o in output) + "]"
    shape = getattr(output, "shape", None)
    return str(tuple(shape)) if shape is not None else type(output).__name__


def _count(params: Iterable[Tensor]) -> int:
    return int(sum(p.size for p in params))


def _inputs(model: Module, input_shape: Sequence[Any], dtype: DTypeLike | None,
            device: str | None) -> list[Tensor]:
    """Zero Tensors of ``input_shape`` (one shape, or a list of shapes for several inputs)."""
    several = len(input_shape) > 0 and isinstance(input_shape[0], (tuple, list))
    shapes = list(input_shape) if several else [input_shape]
    if dtype is None:
        dtype = backend.get_default_dtype()
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else "cpu"
    return [Tensor(backend.to_device(np.zeros(tuple(s), dtype=dtype), device)) for s in shapes]


def summary(model: Module, input_shape: Sequence[int] | Sequence[Sequence[int]],
            dtype: DTypeLike | None = None, device: str | None = None,
            print_fn: Callable[[str], Any] | None = print) -> str:
    """Print and return a table of each layer's output shape and number of parameters.

    ``input_shape`` includes the batch axis, e.g. ``(1, 784)`` or ``(1, 1, 28, 28)``; give
    a list of shapes for a model with several inputs, and ``dtype=np.int64`` for token ids.
    The model runs once, in eval mode and without a graph; its modes are restored after.
    Nested layers are indented under their parent; a parent's count includes its children.

    Keras' ``model.summary()`` needs no input shape because Keras models are built with
    one; here the shape is given, as in the ``torchinfo`` package.

    Args:
        model: the model to describe
        input_shape: the input's shape with the batch axis, or a list of shapes
        dtype: the dtype of the zero inputs; None: the default float dtype. Default: None
        device: 'cpu' or 'cuda'; None: the device of the model's first parameter
        print_fn: called with the table; None prints nothing. Default: print

    Returns:
        the table, as one string

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> table = manabu.summary(model, (1, 4), print_fn=None)
        >>> print(table.splitlines()[2].split(), table.splitlines()[-3])
        ['0', '(Linear)', '(1,', '8)', '40'] Total params: 58
    """
    names = {module: name for name, module in model.named_modules()}
    rows, depth = [], [0]
    open_rows = {module: [] for module in names}  # a module may be called more than once

    def before(module, inputs):
        rows.append([module, depth[0], None])
        open_rows[module].append(rows[-1])
        depth[0] += 1

    def after(module, inputs, output):
        depth[0] -= 1
        open_rows[module].pop()[2] = _shape_text(output)

    modes = {module: module.training for module in names}
    handles = []
    for module in names:
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    try:
        model.eval()
        with no_grad():
            model(*_inputs(model, input_shape, dtype, device))
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes.items():
            object.__setattr__(module, "training", training)
    if len(rows) > 1:  # the layers, without the model's own row
        rows = [[m, d - 1, shape] for m, d, shape in rows if m is not model]
    return _table(model, names, rows, print_fn)


def _table(model: Module, names: dict[Any, str], rows: list[list[Any]],
           print_fn: Callable[[str], Any] | None) -> str:
    width = _NAME_WIDTH + _SHAPE_WIDTH + _COUNT_WIDTH
    lines = [
        f"{'Layer (type)':<{_NAME_WIDTH}}{'Output Shape':<{_SHAPE_WIDTH}}"
        f"{'Param #':>{_COUNT_WIDTH}}",
        "=" * width,
    ]
    for module, depth, shape in rows:
        name = names.get(module, "?") or type(model).__name__
        label = "  " * depth + f"{name} ({type(module).__name__})"
        count = _count(module.parameters())
        lines.append(f"{label:<{_NAME_WIDTH}}{shape:<{_SHAPE_WIDTH}}{count:>{_COUNT_WIDTH},}")
    params = list(model.parameters())
    trainable = _count(p for p in params if p.requires_grad)
    total = _count(params)
    lines += [
        "=" * width,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
    ]
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text

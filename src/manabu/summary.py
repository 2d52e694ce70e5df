"""summary(model, input_shape): a table of every layer's output shape and parameter count,
like Keras' ``model.summary()``, found by running one forward pass on zeros."""

import numpy as np

from manabu import backend
from manabu.autograd import Tensor, no_grad

__all__ = ["summary"]

_NAME_WIDTH = 36
_SHAPE_WIDTH = 24
_COUNT_WIDTH = 14


def _shape_text(output):
    if isinstance(output, (tuple, list)):
        return "[" + ", ".join(_shape_text(o) for o in output) + "]"
    shape = getattr(output, "shape", None)
    return str(tuple(shape)) if shape is not None else type(output).__name__


def _count(params):
    return int(sum(p.size for p in params))


def _inputs(model, input_shape, dtype, device):
    """Zero Tensors of ``input_shape`` (one shape, or a list of shapes for several inputs)."""
    several = len(input_shape) > 0 and isinstance(input_shape[0], (tuple, list))
    shapes = list(input_shape) if several else [input_shape]
    if dtype is None:
        dtype = backend.get_default_dtype()
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else "cpu"
    return [Tensor(backend.to_device(np.zeros(tuple(s), dtype=dtype), device)) for s in shapes]


def summary(model, input_shape, dtype=None, device=None, print_fn=print):
    """Print and return a table of each layer's output shape and number of parameters.

    ``input_shape`` includes the batch axis, e.g. ``(1, 784)`` or ``(1, 1, 28, 28)``; give
    a list of shapes for a model with several inputs, and ``dtype=np.int64`` for token ids.
    The model runs once, in eval mode and without a graph; its modes are restored after.
    Nested layers are indented under their parent; a parent's count includes its children.
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


def _table(model, names, rows, print_fn):
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

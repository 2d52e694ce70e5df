"""Module: the base class of every layer and model.

Assigning a ``Parameter`` or another ``Module`` as an attribute registers it, so a model
only writes its layers once (in ``__init__``) and ``parameters()`` finds them all::

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)))

Buffers (``register_buffer``) are state that is saved but not learned, such as batch
norm's running statistics. ``state_dict()`` maps dotted names ("fc1.weight") to NumPy arrays.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from manabu import backend
from manabu.autograd import Tensor
from manabu.nn.parameter import Parameter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from numpy.typing import DTypeLike

__all__ = ["Module", "LoadResult"]

LoadResult = namedtuple("LoadResult", ["missing_keys", "unexpected_keys"])


class _HookHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = _HookHandle._next_id
        _HookHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


class Module:
    """Base class of layers and models: subclasses set attributes in ``__init__`` (after
    ``super().__init__()``) and compute in ``forward``; call the module, not forward.

    Assigning a Parameter or a Module as an attribute registers it, so ``parameters()``,
    ``state_dict()``, ``to()`` and ``train()``/``eval()`` reach every layer of the tree.
    ``training`` (True after construction) says which mode the module is in. Calling the
    module runs its forward pre-hooks, ``forward`` and its forward hooks.

    Example:
        >>> class TwoLayerNet(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = nn.Linear(4, 8)
        ...         self.fc2 = nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(self.fc1(x).relu())
        >>> model = TwoLayerNet()
        >>> [name for name, _ in model.named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
        >>> model(manabu.tensor(np.ones((3, 4), np.float32))).shape
        (3, 2)
    """

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if isinstance(value, (Parameter, Module)) and "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {type(value).__name__} '{name}' before Module.__init__(): "
                f"call super().__init__() first in {type(self).__name__}.__init__"
            )
        if isinstance(value, Parameter):
            self._forget(name, keep=self._parameters)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}.{name} is a parameter: assign a Parameter or None, "
                    f"not {type(value).__name__}; wrap it: nn.Parameter(value)"
                )
            self._parameters[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(value)
            self._buffers[name] = value
        else:
            if "_modules" in self.__dict__ and name in self._modules:
                del self._modules[name]
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Drop ``name`` from the other registries and the plain attributes before
        registering it (in ``keep`` it stays, so replacing an entry keeps its order)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self.__dict__.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        own = list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(super().__dir__()) | set(own))

    def register_buffer(self, name: str, tensor: Tensor | np.ndarray | None,
                        persistent: bool = True) -> None:
        """Keep ``tensor`` (not learned) with the module: it moves with ``to()`` and, when
        ``persistent``, is saved by ``state_dict()`` (running statistics, masks)."""
        if "." in name or not name:
            raise KeyError(f"register_buffer: invalid name {name!r} (no dots, not empty)")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: '{name}' is already a parameter or a submodule")
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one such as bias=False)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or None) as a child called ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module, got {type(module).__name__}")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "",
                      memo: set[Module] | None = None) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        if self in memo:
            return
        memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry, recurse):
        # a Parameter shared by two layers is yielded once; ids are safe here because every
        # tensor stays alive in the module during the walk (and Tensor == is elementwise)
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs; a shared Parameter appears once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every learnable Parameter, each once (deduplicated by identity)."""
        for _, param in self.named_parameters(recurse):
            yield param

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Training mode for this module and all descendants (dropout on, batch statistics)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Inference mode (推論): dropout off, batch norm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients (None; or zeros with ``set_to_none=False``)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad.data[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], object]) -> Module:
        """Call ``fn(module)`` on every descendant, then on self (e.g. custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ device and dtype
    def to(self, device: str | None = None, dtype: DTypeLike = None) -> Module:
        """Move parameters and buffers (in place) to ``device`` and cast floating ones to
        ``dtype``; the Parameter objects stay the same, so an optimizer keeps working."""
        dtype = None if dtype is None else np.dtype(dtype)
        for tensor in list(self.parameters()) + list(self.buffers()):
            tensor.data = _moved(tensor.data, device, dtype)
            if tensor.grad is not None:
                tensor.grad.data = _moved(tensor.grad.data, device, dtype)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def double(self) -> Module:
        return self.to(dtype=np.float64)

    def float(self) -> Module:
        return self.to(dtype=np.float32)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """OrderedDict of dotted name -> NumPy array (a CPU copy) for every parameter and
        persistent buffer, in PyTorch's order (a module's own entries, then its children).
        A tensor shared by two layers appears under both names, as in PyTorch."""
        return OrderedDict(
            (key, backend.to_device(tensor.data, "cpu").copy())
            for key, tensor in self._state_tensors().items()
        )

    def _state_tensors(self, prefix=""):
        """dotted name -> the live Tensor behind each state_dict entry."""
        tensors = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                tensors[prefix + name] = param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                tensors[prefix + name] = buffer
        for name, child in self._modules.items():
            if child is not None:
                tensors.update(child._state_tensors(f"{prefix}{name}."))
        return tensors

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        With ``strict=True`` the keys must match exactly; shapes must match always. On a
        mismatch nothing is loaded and the error lists missing keys, unexpected keys and
        shape mismatches. Returns (missing_keys, unexpected_keys).
        """
        targets = self._state_tensors()
        arrays = OrderedDict((k, _as_numpy(v)) for k, v in state_dict.items())
        missing = [k for k in targets if k not in arrays]
        unexpected = [k for k in arrays if k not in targets]
        mismatched = [
            f"{k}: checkpoint {tuple(arrays[k].shape)} vs model {tuple(t.shape)}"
            for k, t in targets.items()
            if k in arrays and tuple(arrays[k].shape) != tuple(t.shape)
        ]
        if mismatched or (strict and (missing or unexpected)):
            raise RuntimeError(self._load_error(missing, unexpected, mismatched, strict))
        for key, tensor in targets.items():
            if key in arrays:
                xp = backend.get_array_module(tensor.data)
                tensor.data[...] = xp.asarray(arrays[key], dtype=tensor.dtype)
        return LoadResult(missing, unexpected)

    def _load_error(self, missing, unexpected, mismatched, strict):
        lines = [f"Error(s) in loading state_dict for {type(self).__name__}:"]
        if strict and missing:
            lines.append("  missing keys (in the model, not in the checkpoint): "
                         + ", ".join(missing))
        if strict and unexpected:
            lines.append("  unexpected keys (in the checkpoint, not in the model): "
                         + ", ".join(unexpected))
        if mismatched:
            lines.append("  shape mismatches:")
            lines.extend(f"    {m}" for m in mismatched)
        lines.append(
            "Fix: build the model with the same layer sizes as the one that was saved; to "
            "load a partial checkpoint (e.g. fine-tuning) pass strict=False and drop the "
            "mismatched keys from the dict."
        )
        return "\n".join(lines)

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): define forward(self, x) in the subclass"
        )

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:
                output = replaced
        return output

    def register_forward_pre_hook(
            self, hook: Callable[[Module, tuple], object]) -> _HookHandle:
        """Call ``hook(module, inputs)`` before every forward; returns a removable handle."""
        handle = _HookHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(
            self, hook: Callable[[Module, tuple, Any], Any]) -> _HookHandle:
        """Call ``hook(module, inputs, output)`` after every forward (a non-None return
        value replaces the output); returns a handle with ``remove()``."""
        handle = _HookHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's line in ``repr`` (override)."""
        return ""

    def __repr__(self):
        children = []
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")  # indent the child's own tree
            children.append(f"  ({name}): {text}")
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("]
        if extra:
            lines.extend("  " + line for line in extra.split("\n"))
        lines.extend(children)
        lines.append(")")
        return "\n".join(lines)


def _moved(array, device, dtype):
    if device is not None:
        array = backend.to_device(array, device)
    if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
        array = array.astype(dtype)
    return array


def _as_numpy(value):
    """A NumPy array from a manabu Tensor, a NumPy/CuPy array, or a CPU torch tensor."""
    if isinstance(value, Tensor):
        return backend.to_device(value.data, "cpu")
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch.Tensor
        return value.detach().cpu().numpy()
    if backend.is_array(value):
        return backend.to_device(value, "cpu")
    return np.asarray(value)

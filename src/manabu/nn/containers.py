"""Containers: Sequential (layers applied in order), ModuleList and ModuleDict (registered
collections of modules, for models that decide in forward how to use them)."""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from manabu.nn.module import Module

if TYPE_CHECKING:
    from collections.abc import ItemsView, Iterable, KeysView, Mapping, ValuesView

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _checked(module, container):
    if not isinstance(module, Module):
        raise TypeError(
            f"{container}: expected a Module, got {type(module).__name__}; wrap functions "
            "in a Module (e.g. nn.ReLU() rather than F.relu)"
        )
    return module


class _IndexedModules(Module):
    """Shared by Sequential and ModuleList: children named "0", "1", ... in order."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def _index(self, index):
        index = operator.index(index)
        n = len(self._modules)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} out of range for {n} modules")
        return index % n

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return list(self._modules.values())[self._index(index)]

    def __setitem__(self, index, module):
        key = list(self._modules)[self._index(index)]
        self._modules[key] = _checked(module, type(self).__name__)

    def __delitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[self._index(index)]
        self._renumber(modules)

    def _renumber(self, modules):
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> _IndexedModules:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self._modules)), _checked(module, type(self).__name__))
        return self

    def extend(self, modules: Iterable[Module]) -> _IndexedModules:
        """Add each of ``modules`` at the end; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index`` (as list.insert) and renumber."""
        modules = list(self._modules.values())
        modules.insert(index, _checked(module, type(self).__name__))
        self._renumber(modules)


class Sequential(_IndexedModules):
    """Apply modules one after another: ``Sequential(Linear(784, 128), ReLU(), ...)``.

    Children are named "0", "1", ... or, from an OrderedDict, by its keys. Supports
    indexing (``model[0]``, ``model[-1]``, slices), ``len``, iteration and ``append``.
    ``forward(x)`` feeds x to the first module and each output to the next one.

    Args:
        *modules: the modules in order; or a single OrderedDict (name -> module), which
            names the children by its keys; or a single list of modules (an addition to
            PyTorch, which wants them unpacked).

    Shape:
        - Input: whatever the first module takes.
        - Output: whatever the last module returns.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> model(manabu.tensor(np.ones((5, 4), np.float32))).shape
        (5, 2)
        >>> len(model), type(model[1]).__name__, len(model[:2])
        (3, 'ReLU', 2)
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module] | list[Module]) -> None:
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            super().__init__()
            for name, module in modules[0].items():
                self.add_module(name, _checked(module, "Sequential"))
        elif len(modules) == 1 and isinstance(modules[0], list):
            super().__init__(modules[0])
        else:
            super().__init__(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            items = list(self._modules.items())[index]
            return Sequential(OrderedDict(items))
        return super().__getitem__(index)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered (a plain Python list would hide
    them from ``parameters()``). It has no forward: iterate over it in your own forward.

    Supports indexing (a slice gives a new ModuleList), ``len``, iteration, ``append``,
    ``extend``, ``insert`` and ``del``; children are named "0", "1", ... in order.

    Args:
        modules: an iterable of modules to start with. Default: None (empty)

    Example:
        >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> x = manabu.tensor(np.ones((2, 4), np.float32))
        >>> for layer in layers:
        ...     x = layer(x).relu()
        >>> x.shape, len(list(layers.parameters()))
        ((2, 4), 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__(modules or ())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleList has no forward(): iterate over it in your model's forward, "
            "or use nn.Sequential to apply the modules in order"
        )


class ModuleDict(Module):
    """A dict of modules whose parameters are registered; keys are the child names.

    Keeps insertion order; supports ``d[key]``, ``d[key] = module``, ``del``, ``in``,
    ``len``, iteration over the keys, ``keys()``, ``values()``, ``items()``, ``pop`` and
    ``update``. It has no forward: pick modules by key in your own forward.

    Args:
        modules: a dict (or any mapping) name -> module, or an iterable of (name, module)
            pairs, to start with. Default: None (empty)

    Example:
        >>> heads = nn.ModuleDict({"digit": nn.Linear(8, 10), "parity": nn.Linear(8, 2)})
        >>> x = manabu.tensor(np.ones((3, 8), np.float32))
        >>> heads["parity"](x).shape, list(heads)
        ((3, 2), ['digit', 'parity'])
    """

    def __init__(
            self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None,
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no key {key!r}; keys: {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, _checked(module, "ModuleDict"))

    def __delitem__(self, key):
        del self._modules[key]

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self) -> KeysView[str]:
        return self._modules.keys()

    def values(self) -> ValuesView[Module]:
        return self._modules.values()

    def items(self) -> ItemsView[str, Module]:
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Remove the module called ``key`` and return it."""
        module = self[key]
        del self._modules[key]
        return module

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add the (name, module) pairs of a dict or an iterable of pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleDict has no forward(): pick modules by key in your model's forward"
        )

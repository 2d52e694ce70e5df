"""Containers: Sequential (layers applied in order), ModuleList and ModuleDict (registered
collections of modules, for models that decide in forward how to use them)."""

import operator
from collections import OrderedDict

from manabu.nn.module import Module

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

    def __init__(self, modules=()):
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

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self._modules)), _checked(module, type(self).__name__))
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, _checked(module, type(self).__name__))
        self._renumber(modules)


class Sequential(_IndexedModules):
    """Apply modules one after another: ``Sequential(Linear(784, 128), ReLU(), ...)``.

    Children are named "0", "1", ... or, from an OrderedDict, by its keys. Supports
    indexing (``model[0]``, ``model[-1]``, slices), ``len``, iteration and ``append``.
    """

    def __init__(self, *modules):
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

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered (a plain Python list would hide
    them from ``parameters()``). It has no forward: iterate over it in your own forward."""

    def __init__(self, modules=None):
        super().__init__(modules or ())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleList has no forward(): iterate over it in your model's forward, "
            "or use nn.Sequential to apply the modules in order"
        )


class ModuleDict(Module):
    """A dict of modules whose parameters are registered; keys are the child names."""

    def __init__(self, modules=None):
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

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key):
        module = self[key]
        del self._modules[key]
        return module

    def update(self, modules):
        """Add the (name, module) pairs of a dict or an iterable of pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleDict has no forward(): pick modules by key in your model's forward"
        )

"""The model classes a saved file may ask ``manabu.load`` to rebuild, by name.

A model file stores a class *name* and the constructor's arguments as JSON. Loading looks
the name up here, checks every argument against the constructor's signature (a known
parameter; a value of the kind its default has) and only then calls the class. Nothing
in a file can name a module to import or a function to call, so loading a file from a
stranger runs no code of theirs.

Every model of ``manabu.models`` registers itself there when that package is imported
(``import manabu`` does, through manabu.io); register your own class in code::

    @manabu.register_model
    class MyNet(nn.Module):
        def __init__(self, width=64):
            super().__init__()
            self.config = {"width": width}   # what save() records
            ...
"""

from __future__ import annotations

import inspect
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    ModelClass = TypeVar("ModelClass", bound=type)

_REGISTRY = {}  # name -> Module subclass


class CheckpointError(ValueError):
    """A model or checkpoint file is missing, truncated, corrupted or does not fit.

    A ValueError, raised by ``manabu.load``, ``read_arrays`` and ``load_checkpoint`` with a
    message that names the file and the entry at fault.

    Example:
        >>> try:
        ...     manabu.load("no/such/model")
        ... except manabu.io.CheckpointError as error:
        ...     print(error)
        no such file: no/such/model (nor no/such/model.safetensors)
    """


def register_model(cls: ModelClass | None = None, *,
                   name: str | None = None) -> ModelClass | Callable[[ModelClass], ModelClass]:
    """Allow ``manabu.load`` to rebuild ``cls`` (an ``nn.Module`` subclass) from a file.

    Used as ``register_model(MyNet)``, ``@register_model`` or
    ``@register_model(name="my-net")``; the name (default: the class name) is what
    files store. Returns the class.

    Args:
        cls: the Module subclass; None returns a decorator (for ``name=...``)
        name: the name files store; another class already under it raises ValueError.
            Default: the class name

    Example:
        >>> @manabu.register_model(name="doc-tiny-net")
        ... class TinyNet(nn.Module):
        ...     def __init__(self, width=4):
        ...         super().__init__()
        ...         self.config = {"width": width}
        ...         self.fc = nn.Linear(width, 1)
        >>> manabu.io.registered_models()["doc-tiny-net"] is TinyNet
        True
    """
    if cls is None:
        return lambda c: register_model(c, name=name)
    # a Module subclass, recognised by what load() calls on it (the registry sits below nn)
    if not (isinstance(cls, type) and callable(getattr(cls, "load_state_dict", None))):
        raise TypeError(f"register_model: expected an nn.Module subclass, got {cls!r}")
    name = cls.__name__ if name is None else name
    if not isinstance(name, str) or not name:
        raise ValueError(f"register_model: the name must be a non-empty string, got {name!r}")
    if _REGISTRY.get(name, cls) is not cls:
        raise ValueError(
            f"register_model: {name!r} already names {_REGISTRY[name].__module__}."
            f"{_REGISTRY[name].__qualname__}; register {cls.__qualname__} under another "
            "name with register_model(cls, name=...)"
        )
    _REGISTRY[name] = cls
    return cls


def registered_models() -> dict[str, type]:
    """A copy of the registry: {name: class}, the built-in models included (``import
    manabu`` imports ``manabu.models``, which registers them)."""
    return dict(_REGISTRY)


def model_name(cls: type) -> str:
    """The name ``cls`` is registered under (its class name if it is not registered)."""
    for name, registered in _REGISTRY.items():
        if registered is cls:
            return name
    return cls.__name__


def _lookup(name: str) -> type | None:
    """The registered class for ``name``; format-1 files stored the class's dotted path,
    which is matched as a string against the registered classes, never imported."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    for cls in _REGISTRY.values():
        if name == f"{cls.__module__}.{cls.__qualname__}":
            return cls
    return None


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


def _fits(value: Any, default: Any) -> bool:
    """Whether a JSON value fits a parameter whose default is ``default``: the same kind
    (an int for an int, a number for a float, a list for a tuple, ...)."""
    if default is inspect.Parameter.empty or default is None:
        return _is_json(value)
    if isinstance(value, bool) or isinstance(default, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        if not isinstance(value, list):
            return False
        kinds = {type(d) for d in default}
        return all(_fits(v, default[0]) if len(kinds) == 1 else _is_json(v) for v in value)
    if isinstance(default, dict):
        return isinstance(value, dict) and _is_json(value)
    return False


def _check_config(name: str, cls: type, config: Any, where: str) -> None:
    """CheckpointError naming the entry unless ``config`` fits ``cls``'s constructor."""
    if not isinstance(config, dict):
        raise CheckpointError(f"{where}: entry 'architecture.config' must be a JSON object, "
                              f"got {type(config).__name__}")
    parameters = {
        key: p.default for key, p in inspect.signature(cls).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    for key, value in config.items():
        if key not in parameters:
            raise CheckpointError(
                f"{where}: entry 'architecture.config.{key}' is not a parameter of {name} "
                f"(its parameters: {', '.join(parameters)})"
            )
        if not _fits(value, parameters[key]):
            shown = json.dumps(value)[:60]
            raise CheckpointError(
                f"{where}: entry 'architecture.config.{key}' = {shown} does not fit "
                f"{name}'s parameter {key}={parameters[key]!r}"
            )
    required = [k for k, d in parameters.items() if d is inspect.Parameter.empty]
    missing = [k for k in required if k not in config]
    if missing:
        raise CheckpointError(f"{where}: 'architecture.config' lacks {', '.join(missing)}, "
                              f"required by {name}")


def build_model(architecture: Any, where: str) -> Any:
    """The model a file's ``architecture`` entry describes, or a CheckpointError naming
    ``where`` (the file) and the entry; no class outside the registry is ever called.

    Args:
        architecture: ``{"class": NAME, "config": {...}}`` as read from a file
        where: the file's path, for the error messages

    Example:
        >>> from manabu.model_registry import build_model
        >>> model = build_model({"class": "MLP", "config": {"in_features": 4,
        ...                      "hidden_sizes": [8], "out_features": 2}}, "example.json")
        >>> model.config["out_features"]
        2
    """
    if not isinstance(architecture, dict) or not set(architecture) <= {"class", "config"}:
        raise CheckpointError(f"{where}: entry 'architecture' must be "
                              '{"class": NAME, "config": {...}}')
    name = architecture.get("class")
    cls = _lookup(name) if isinstance(name, str) else None
    if cls is None:
        raise CheckpointError(
            f"{where}: entry 'architecture.class' = {str(name)[:80]!r} is not a registered "
            f"model class ({', '.join(sorted(_REGISTRY))}). For a class of your own, call "
            "manabu.register_model(YourClass) before loading"
        )
    config = architecture.get("config", {})
    _check_config(name, cls, config, where)
    try:
        return cls(**config)
    except Exception as error:  # the class's own checks of the values (sizes, choices)
        raise CheckpointError(f"{where}: {name} rejects the saved config: {error}") from None

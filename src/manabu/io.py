"""Saving and loading models and checkpoints, without pickle and without running code.

A saved model is one file that holds everything, plus a readable copy of its description:
    model.safetensors   the weights (safetensors: a JSON header + raw arrays) and, in the
                        header, the description: the architecture (a registered class
                        name and its constructor arguments) and the metadata
    model.json          the same description, for people to read; ``load`` never needs it
Because the weights file alone rebuilds the model, a crash between the two writes cannot
pair a new architecture with old weights. Loading looks the class name up in a registry
of model classes (``register_model``; every model of ``manabu.models`` is in it) and
calls it only with JSON values that match its constructor's parameters: a file can never
name a module to import or a function to call.

A training checkpoint is one safetensors file whose header carries the JSON state
(optimizer hyper-parameters, scheduler, random generators, epoch). Every file is written
atomically (``manabu.atomic``).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from typing import TYPE_CHECKING

import numpy as np

import manabu.models  # noqa: F401  (registers the built-in models with the registry)
from manabu import atomic
from manabu.model_registry import (
    CheckpointError, build_model, model_name, register_model, registered_models,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from manabu.nn.module import Module

    Path = str | os.PathLike[str]

FORMAT_VERSION = 2  # 1: the architecture named a dotted import path; 2: a registered name

__all__ = ["CheckpointError", "load", "load_checkpoint", "read_arrays", "register_model",
           "registered_models", "save", "save_checkpoint", "write_arrays", "write_json"]


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically.

    Indented by 2, non-ASCII text kept as it is (``ensure_ascii=False``), a newline at the
    end; a reader never sees a half-written file.

    Args:
        path: the file to write
        obj: any JSON-serialisable value
    """
    atomic.write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


_LIBRARY_TEMPORARY = re.compile(r"^\.tmp[A-Za-z0-9]{6}$")


def _remove_library_temporaries(folder: Path) -> None:
    """Delete the ``.tmpXXXXXX`` files that safetensors' own writer (used by manabu 0.1)
    leaves when killed; only files whose header says manabu wrote them."""
    for entry in os.listdir(folder):
        path = os.path.join(folder, entry)
        if not _LIBRARY_TEMPORARY.match(entry) or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as f:
                size = int.from_bytes(f.read(8), "little")
                header = json.loads(f.read(size)) if 0 < size < 1 << 24 else {}
        except (OSError, ValueError):
            continue
        if isinstance(header, dict) and "manabu" in (header.get("__metadata__") or {}):
            os.remove(path)


def write_arrays(path: Path, arrays: Mapping[str, Any],
                 metadata: dict[str, Any] | None = None) -> None:
    """Write a dict of NumPy arrays as safetensors (atomically), with JSON metadata.

    Args:
        path: the .safetensors file to write
        arrays: {name: array}; made C-contiguous, 0-d shapes kept
        metadata: a JSON-serialisable dict, stored under the header's "manabu" entry.
            Default: None (an empty dict)

    Example:
        >>> import os, tempfile
        >>> from manabu.io import read_arrays, write_arrays
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "a.safetensors")
        ...     write_arrays(path, {"w": np.eye(2)}, metadata={"note": "identity"})
        ...     arrays, metadata = read_arrays(path)
        >>> arrays["w"], metadata
        (array([[1., 0.],
               [0., 1.]]), {'note': 'identity'})
    """
    from safetensors.numpy import save

    contiguous = {k: np.asarray(v, order="C") for k, v in arrays.items()}  # keeps 0-d shapes
    data = save(contiguous, metadata={"manabu": json.dumps(metadata or {})})
    atomic.write_bytes(path, data)
    _remove_library_temporaries(os.path.dirname(os.path.abspath(path)))


def read_arrays(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a safetensors file: (dict of arrays, metadata dict). Clear errors when broken.

    Args:
        path: a .safetensors file (CheckpointError when it is missing, a folder,
            truncated or corrupted)

    Returns:
        ``(arrays, metadata)``: {name: NumPy array} and the dict ``write_arrays`` stored
    """
    from safetensors import safe_open

    if os.path.isdir(path):
        raise CheckpointError(f"{path} is a folder, not a safetensors file")
    if not os.path.exists(path):
        raise CheckpointError(f"no such file: {path}")
    try:
        with safe_open(path, framework="np") as f:
            header = f.metadata() or {}
            arrays = {key: f.get_tensor(key) for key in f.keys()}
        metadata = json.loads(header.get("manabu", "{}"))
    except Exception as error:  # safetensors raises its own error types for bad bytes
        raise CheckpointError(
            f"cannot read {path}: the file is truncated or corrupted ({error}). "
            "Re-save it, or load an earlier checkpoint."
        ) from None
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path}: the 'manabu' header entry is not a JSON object")
    return arrays, metadata


def _save_paths(path: str) -> tuple[str, str]:
    base = path[: -len(".safetensors")] if path.endswith(".safetensors") else path
    return base + ".safetensors", base + ".json"


def _weights_path(path: str) -> str:
    """The .safetensors file ``load(path)`` reads: ``path`` itself, ``path.safetensors``
    (as ``save`` names it), or ``model.safetensors`` inside a run folder."""
    if os.path.isdir(path):
        inside = os.path.join(path, "model.safetensors")
        if os.path.isfile(inside):
            return inside
        raise CheckpointError(f"{path} is a folder without a model.safetensors file; give a "
                              "file written by manabu.save or a run folder of `manabu train`")
    if path.endswith(".safetensors") or os.path.isfile(path + ".safetensors"):
        return path if path.endswith(".safetensors") else path + ".safetensors"
    if os.path.exists(path):
        raise CheckpointError(f"{path} is not a manabu model file: load reads the "
                              ".safetensors files written by manabu.save")
    raise CheckpointError(f"no such file: {path} (nor {path}.safetensors)")


def _architecture(model: Module) -> dict[str, Any] | None:
    config = getattr(model, "config", None)
    if config is None:
        return None
    return {"class": model_name(type(model)), "config": config}


def save(model: Module, path: str | os.PathLike[str],
         metadata: dict[str, Any] | None = None) -> str:
    """Save ``model`` as ``path`` (.safetensors: weights and description) and a .json copy.

    Models of registered classes (``register_model``) that keep their constructor's
    arguments in ``config`` (every model in ``manabu.models`` does) are rebuilt by
    ``load(path)`` alone; others are reloaded with ``load(path, model=an_instance)``.
    Returns the weights' path.

    Unlike ``torch.save`` (a pickle of any object), only a state_dict and JSON are
    written, so loading a file never runs code.

    Args:
        model: the model to save (its ``state_dict()``, and ``config`` when it has one)
        path: the file name, with or without ``.safetensors``; the JSON copy goes beside
            it with ``.json``
        metadata: JSON-serialisable notes (accuracy, data set, ...), given back as
            ``model.metadata`` by ``load``; TypeError before anything is written when
            not serialisable. Default: None

    Returns:
        the path of the .safetensors file

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = manabu.save(models.MLP(4, (8,), 3), os.path.join(folder, "mlp"),
        ...                        metadata={"accuracy": 0.9})
        ...     model = manabu.load(path)
        ...     print(os.path.basename(path), sorted(os.listdir(folder)))
        mlp.safetensors ['mlp.json', 'mlp.safetensors']
        >>> type(model).__name__, model.config["hidden_sizes"], model.metadata
        ('MLP', [8], {'accuracy': 0.9})
    """
    weights_path, json_path = _save_paths(os.fspath(path))
    description = {
        "format": "manabu",
        "version": FORMAT_VERSION,
        "architecture": _architecture(model),
        "metadata": metadata or {},
    }
    json.dumps(description)  # a TypeError here, before anything is written
    write_arrays(weights_path, model.state_dict(), description)  # the unit: written first
    write_json(json_path, description)
    return weights_path


def _description(weights_path: str,
                 header: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The architecture and metadata of a model file, checked to be the JSON they should be."""
    metadata = header.get("metadata", {})
    if "version" not in header:  # format 1: metadata lived only in the .json beside it
        metadata = _legacy_metadata(_save_paths(weights_path)[1])
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{weights_path}: entry 'metadata' must be a JSON object, "
                              f"got {type(metadata).__name__}")
    return header.get("architecture"), metadata


def _legacy_metadata(json_path: str) -> dict[str, Any]:
    try:
        with open(json_path, encoding="utf-8") as f:
            description = json.load(f)
    except (OSError, ValueError):
        return {}
    metadata = description.get("metadata", {}) if isinstance(description, dict) else {}
    return metadata if isinstance(metadata, dict) else {}


def _warn_if_copy_differs(weights_path: str, architecture: Any) -> None:
    json_path = _save_paths(weights_path)[1]
    try:
        with open(json_path, encoding="utf-8") as f:
            copy = json.load(f)
    except (OSError, ValueError):
        return
    if isinstance(copy, dict) and copy.get("architecture") != architecture:
        warnings.warn(f"{json_path} differs from the description inside {weights_path}; the "
                      "weights file is used (the .json is only a readable copy)", stacklevel=3)


def load(path: str | os.PathLike[str], model: Module | None = None) -> Module:
    """Load a model saved by ``save``: rebuilt from its file, or into ``model`` if given.

    ``path``: the .safetensors file, the name given to ``save``, or a run folder.

    Args:
        path: the .safetensors file, the name given to ``save``, or a run folder of
            ``manabu train`` (its model.safetensors)
        model: a model to load the weights into; None rebuilds the registered class the
            file names. Default: None

    Returns:
        the model, with the saved metadata as ``model.metadata``; a CheckpointError says
        what is wrong with a file that does not fit

    Example:
        >>> import os, tempfile
        >>> net = models.MLP(4, (8,), 3)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = manabu.save(net, os.path.join(folder, "mlp.safetensors"))
        ...     same = manabu.load(path, model=models.MLP(4, (8,), 3))
        >>> all((a.data == b.data).all() for a, b in zip(net.parameters(), same.parameters()))
        True
    """
    weights_path = _weights_path(os.fspath(path))
    arrays, header = read_arrays(weights_path)
    architecture, metadata = _description(weights_path, header)
    if model is None:
        if architecture is None:
            raise CheckpointError(
                f"{weights_path} names no architecture (the model had no `config`); build "
                "the model yourself and call load(path, model=model)"
            )
        model = build_model(architecture, weights_path)
        _warn_if_copy_differs(weights_path, architecture)
    try:
        model.load_state_dict(arrays)
    except RuntimeError as error:
        message = f"{weights_path}: the weights do not fit the model. {error}"
        raise CheckpointError(message) from None
    model.metadata = metadata
    return model


def save_checkpoint(path: Path, arrays: Mapping[str, Any], state: Any) -> None:
    """One atomic file holding arrays (weights, optimizer moments) and JSON ``state``.

    Args:
        path: the .safetensors file to write
        arrays: {name: array}
        state: a JSON-serialisable value, stored in the header as "checkpoint"
    """
    write_arrays(path, arrays, {"checkpoint": state})


def load_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], Any]:
    """(arrays, state) from a file written by ``save_checkpoint``.

    Example:
        >>> import os, tempfile
        >>> from manabu.io import load_checkpoint, save_checkpoint
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "ckpt.safetensors")
        ...     save_checkpoint(path, {"m": np.zeros(3)}, {"epoch": 4})
        ...     arrays, state = load_checkpoint(path)
        >>> arrays["m"].shape, state
        ((3,), {'epoch': 4})
    """
    arrays, header = read_arrays(path)
    if "checkpoint" not in header:
        raise CheckpointError(f"{path} is a safetensors file but not a manabu checkpoint")
    return arrays, header["checkpoint"]

"""Saving and loading models and checkpoints, without pickle.

A saved model is two files side by side:
    model.safetensors   the weights (safetensors: a JSON header + raw arrays; loading it
                        cannot run code)
    model.json          the architecture (class and constructor arguments) and metadata
A training checkpoint is one safetensors file whose header metadata carries the JSON
state (optimizer hyper-parameters, scheduler, random generators, epoch). Every file is
written to a temporary name first and then renamed, so a crash mid-write never leaves a
broken file behind.
"""

import importlib
import json
import os
import tempfile

import numpy as np

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A model or checkpoint file is missing, truncated, corrupted or does not fit."""


def _atomic_write(path, write):
    """Call ``write(temporary_path)``, then move the result onto ``path`` in one step."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)  # atomic on POSIX and Windows
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json(path, obj):
    """Write JSON atomically."""

    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")

    _atomic_write(path, write)


def write_arrays(path, arrays, metadata=None):
    """Write a dict of NumPy arrays as safetensors (atomically), with JSON metadata."""
    from safetensors.numpy import save_file

    contiguous = {k: np.asarray(v, order="C") for k, v in arrays.items()}  # keeps 0-d shapes
    header = {"manabu": json.dumps(metadata or {})}
    _atomic_write(path, lambda temporary: save_file(contiguous, temporary, metadata=header))


def read_arrays(path):
    """Read a safetensors file: (dict of arrays, metadata dict). Clear errors when broken."""
    from safetensors import safe_open

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
    return arrays, metadata


def _paths(path):
    base = path[: -len(".safetensors")] if path.endswith(".safetensors") else path
    return base + ".safetensors", base + ".json"


def _architecture(model):
    config = getattr(model, "config", None)
    if config is None:
        return None
    cls = type(model)
    return {"class": f"{cls.__module__}.{cls.__qualname__}", "config": config}


def save(model, path, metadata=None):
    """Save ``model`` as ``path`` (.safetensors, the weights) and the .json beside it.

    Models that define a ``config`` dict (their constructor's arguments, as every model in
    ``manabu.models`` does) can be rebuilt by ``load(path)`` alone; others are reloaded
    with ``load(path, model=an_instance)``. Returns the weights' path.
    """
    weights_path, json_path = _paths(path)
    description = {
        "format": "manabu",
        "version": FORMAT_VERSION,
        "architecture": _architecture(model),
        "metadata": metadata or {},
    }
    write_json(json_path, description)
    write_arrays(weights_path, model.state_dict(), {"architecture": description["architecture"]})
    return weights_path


def _build(architecture, trusted_prefixes):
    module_name, _, class_name = architecture["class"].rpartition(".")
    if not any(module_name == p or module_name.startswith(p + ".") for p in trusted_prefixes):
        raise CheckpointError(
            f"refusing to import {module_name!r} named in a model file; pass "
            f"trusted_modules=({module_name!r},) to load() if you trust it"
        )
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**architecture["config"])


def load(path, model=None, trusted_modules=()):
    """Load a model saved by ``save``: rebuilt from its .json, or into ``model`` if given."""
    weights_path, json_path = _paths(path)
    arrays, header = read_arrays(weights_path)
    description = {"architecture": header.get("architecture"), "metadata": {}}
    if os.path.exists(json_path):
        try:
            with open(json_path, encoding="utf-8") as f:
                description = json.load(f)
        except json.JSONDecodeError as error:
            raise CheckpointError(f"cannot read {json_path}: invalid JSON ({error})") from None
    if model is None:
        architecture = description.get("architecture")
        if architecture is None:
            raise CheckpointError(
                f"{json_path} names no architecture (the model had no `config`); build the "
                "model yourself and call load(path, model=model)"
            )
        model = _build(architecture, ("manabu",) + tuple(trusted_modules))
    model.load_state_dict(arrays)
    model.metadata = description.get("metadata", {})
    return model


def save_checkpoint(path, arrays, state):
    """One atomic file holding arrays (weights, optimizer moments) and JSON ``state``."""
    write_arrays(path, arrays, {"checkpoint": state})


def load_checkpoint(path):
    """(arrays, state) from a file written by ``save_checkpoint``."""
    arrays, header = read_arrays(path)
    if "checkpoint" not in header:
        raise CheckpointError(f"{path} is a safetensors file but not a manabu checkpoint")
    return arrays, header["checkpoint"]

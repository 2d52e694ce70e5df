"""The full state of a training run, saved as one checkpoint file and restored exactly.

A run is resumable when everything that decides the next step is saved: the model's
weights, the optimizer's moments and step counts, the schedule, the random generators
(manabu's global one for dropout and initialisation, and the DataLoader's shuffling
generator), the epoch and the history. Arrays go into safetensors; the rest into the
file's JSON header.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from manabu import io, random

if TYPE_CHECKING:
    import os
    from typing import Any

    from manabu.data.loader import DataLoader
    from manabu.nn.module import Module
    from manabu.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
    from manabu.optim.optimizer import Optimizer
    from manabu.train.history import History

    Scheduler = LRScheduler | ReduceLROnPlateau
    Path = str | os.PathLike[str]


def split_arrays(obj: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Replace every ndarray inside ``obj`` by {"__array__": key}, moving it into ``arrays``.

    Args:
        obj: nested dicts, lists and tuples of JSON values and ndarrays
        prefix: the key of ``obj`` itself; nested keys extend it with '/'
        arrays: the dict that receives the arrays, by key

    Returns:
        ``obj`` with every array replaced by ``{"__array__": key}`` and NumPy scalars by
        Python numbers: JSON-serialisable

    Example:
        >>> from manabu.train.state import join_arrays, split_arrays
        >>> arrays = {}
        >>> plain = split_arrays({"lr": 0.1, "m": np.zeros(2)}, "opt", arrays)
        >>> plain, list(arrays), join_arrays(plain, arrays)["m"]
        ({'lr': 0.1, 'm': {'__array__': 'opt/m'}}, ['opt/m'], array([0., 0.]))
    """
    if isinstance(obj, np.ndarray):
        arrays[prefix] = obj
        return {"__array__": prefix}
    if isinstance(obj, dict):
        return {str(k): split_arrays(v, f"{prefix}/{k}", arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [split_arrays(v, f"{prefix}/{i}", arrays) for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def join_arrays(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of ``split_arrays``: every ``{"__array__": key}`` back to its array.

    Args:
        obj: what ``split_arrays`` returned (or its JSON round trip)
        arrays: the arrays by key
    """
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            return arrays[obj["__array__"]]
        return {k: join_arrays(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [join_arrays(v, arrays) for v in obj]
    return obj


def save_training_state(path: Path, model: Module, optimizer: Optimizer,
                        scheduler: Scheduler | None = None, loader: DataLoader | None = None,
                        epoch: int = 0, history: History | None = None) -> None:
    """Write everything needed to continue training from the end of ``epoch``.

    One safetensors file (atomically): the weights and optimizer buffers as arrays, the
    rest (hyper-parameters, schedule, loader and random-generator states, epoch,
    history) as JSON in its header. ``ModelCheckpoint`` calls this after each epoch.

    Args:
        path: the file to write
        model: the model (its ``state_dict()``)
        optimizer: its optimizer
        scheduler: the lr schedule, if any. Default: None
        loader: the training DataLoader, for its shuffling state. Default: None
        epoch: the epochs finished. Default: 0
        history: the History so far. Default: None

    Example:
        >>> import os, tempfile
        >>> from manabu.train.state import load_training_state, save_training_state
        >>> model = nn.Linear(2, 1)
        >>> opt = optim.SGD(model.parameters(), lr=0.1)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_training_state(os.path.join(folder, "run.safetensors"), model, opt, epoch=3)
        ...     load_training_state(os.path.join(folder, "run.safetensors"), model, opt)
        3
    """
    arrays = {f"model/{k}": np.asarray(v) for k, v in model.state_dict().items()}
    state = {
        "epoch": epoch,
        "optimizer": split_arrays(optimizer.state_dict(), "optimizer", arrays),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "loader": loader.state_dict() if loader is not None else None,
        "random": random.get_generator().bit_generator.state,
        "history": history.state_dict() if history is not None else None,
    }
    io.save_checkpoint(path, arrays, state)


def load_training_state(path: Path, model: Module, optimizer: Optimizer,
                        scheduler: Scheduler | None = None, loader: DataLoader | None = None,
                        history: History | None = None) -> int:
    """Restore a run saved by ``save_training_state``; returns the epoch it had finished.

    The checkpoint's optimizer hyper-parameters replace the ones given (a UserWarning
    lists those that differ), so that the run resumes exactly; manabu's global random
    generator is restored too.

    Args:
        path: the checkpoint file
        model: a model of the same architecture, loaded in place
        optimizer: an optimizer of the same type over its parameters, loaded in place
        scheduler: the lr schedule to restore, if any. Default: None
        loader: the training DataLoader to restore, if any. Default: None
        history: the History to restore, if any. Default: None
    """
    arrays, state = io.load_checkpoint(path)
    model_state = {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}
    model.load_state_dict(model_state)
    given = [dict(group) for group in optimizer.param_groups]
    optimizer.load_state_dict(join_arrays(state["optimizer"], arrays))
    scheduled = scheduler is not None and state.get("scheduler") is not None
    _warn_changed_hyperparameters(given, state["optimizer"]["param_groups"], scheduled)
    if scheduled:
        scheduler.load_state_dict(state["scheduler"])
    if loader is not None and state.get("loader") is not None:
        loader.load_state_dict(state["loader"])
    random.get_generator().bit_generator.state = state["random"]
    if history is not None and state.get("history") is not None:
        history.load_state_dict(state["history"])
    return int(state["epoch"])


def _plain_value(value: Any) -> Any:
    return tuple(value) if isinstance(value, (list, tuple)) else value  # betas: JSON lists


def _warn_changed_hyperparameters(given: list[dict[str, Any]],
                                   saved_groups: list[dict[str, Any]], scheduled: bool) -> None:
    """Warn when the checkpoint's hyper-parameters replace different ones the optimizer was
    built with: the saved ones win (the resume is exact), but silently dropping the lr
    someone just passed would be a surprise."""
    changes = []
    for i, (mine, saved) in enumerate(zip(given, saved_groups)):
        for key, value in saved.items():
            if key in ("params", "initial_lr") or key not in mine:
                continue
            built = mine[key]
            if key == "lr":
                # a schedule rewrites lr and keeps the lr it started from as initial_lr
                built = mine.get("initial_lr", built)
                if scheduled:  # the restored schedule sets lr from its own starting lr
                    if "initial_lr" not in saved:
                        continue  # ReduceLROnPlateau: no starting lr to compare
                    value = saved["initial_lr"]
            if _plain_value(value) != _plain_value(built):
                changes.append(f"{key} {_plain_value(value)!r} (checkpoint) instead of "
                               f"{_plain_value(built)!r} (given) in param group {i}")
    if changes:
        warnings.warn(
            "load_training_state: the checkpoint's optimizer hyper-parameters differ from the "
            f"ones this optimizer was built with: {'; '.join(changes)}. The checkpoint's "
            "values are used, so that the run resumes exactly; to train on with others, set "
            "optimizer.param_groups[i]['lr'] (or another key) after resuming, or use a "
            "learning-rate scheduler",
            UserWarning, stacklevel=3,
        )

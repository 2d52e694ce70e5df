"""The full state of a training run, saved as one checkpoint file and restored exactly.

A run is resumable when everything that decides the next step is saved: the model's
weights, the optimizer's moments and step counts, the schedule, the random generators
(manabu's global one for dropout and initialisation, and the DataLoader's shuffling
generator), the epoch and the history. Arrays go into safetensors; the rest into the
file's JSON header.
"""

import warnings

import numpy as np

from manabu import io, random


def split_arrays(obj, prefix, arrays):
    """Replace every ndarray inside ``obj`` by {"__array__": key}, moving it into ``arrays``."""
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


def join_arrays(obj, arrays):
    """The inverse of ``split_arrays``."""
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            return arrays[obj["__array__"]]
        return {k: join_arrays(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [join_arrays(v, arrays) for v in obj]
    return obj


def save_training_state(path, model, optimizer, scheduler=None, loader=None, epoch=0,
                        history=None):
    """Write everything needed to continue training from the end of ``epoch``."""
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


def load_training_state(path, model, optimizer, scheduler=None, loader=None, history=None):
    """Restore a run saved by ``save_training_state``; returns the epoch it had finished."""
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


def _plain_value(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value  # betas: JSON lists


def _warn_changed_hyperparameters(given, saved_groups, scheduled):
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

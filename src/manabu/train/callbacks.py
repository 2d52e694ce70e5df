"""Callbacks: code that ``fit`` calls at fixed points of training (as in Keras).

Each hook receives the ``run`` (model, optimizer, history, epoch, step, ...); setting
``run.stop_training = True`` ends training after the current epoch.
"""

import csv
import math
import os
import string

from manabu import io
from manabu.train.state import save_training_state


class Callback:
    """Override the hooks you need; all do nothing by default."""

    def on_train_begin(self, run):
        pass

    def on_epoch_begin(self, run):
        pass

    def on_step_end(self, run, loss):
        pass

    def on_epoch_end(self, run, logs):
        pass

    def on_train_end(self, run):
        pass


def _improved(value, best, mode, min_delta):
    if best is None:
        return True
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


def _check_mode(name, mode):
    if mode not in ("min", "max"):
        raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")


def _monitored(name, logs, monitor):
    if monitor not in logs:
        raise KeyError(
            f"{name}: metric {monitor!r} is not among this epoch's logs {sorted(logs)}; "
            "pass val_data to fit() to get val_* metrics, or monitor another one"
        )
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs
    (早期終了). With ``restore_best_weights`` the model ends with its best epoch's weights."""

    def __init__(self, monitor="val_loss", patience=3, mode="min", min_delta=0.0,
                 restore_best_weights=False):
        _check_mode("EarlyStopping", mode)
        self.monitor, self.patience, self.mode = monitor, patience, mode
        self.min_delta = min_delta
        self.restore_best_weights = restore_best_weights
        self.best, self.best_epoch, self.wait, self.best_state = None, None, 0, None
        self.stopped_epoch = None

    def on_epoch_end(self, run, logs):
        value = _monitored("EarlyStopping", logs, self.monitor)
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, run.epoch, 0
            if self.restore_best_weights:
                self.best_state = {k: v.copy() for k, v in run.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            run.stop_training = True
            self.stopped_epoch = run.epoch

    def on_train_end(self, run):
        if self.restore_best_weights and self.best_state is not None:
            run.model.load_state_dict(self.best_state)


# The fields ModelCheckpoint fills into its path: the run's epoch and its step count.
_PATH_FIELDS = ("epoch", "step")


def _check_path_template(name, path):
    """Refuse now, not after the first epoch's training, a path that str.format would fail
    on at the end of it: an unknown field, a bad format spec, an unmatched brace."""
    allowed = ", ".join("{%s}" % field for field in _PATH_FIELDS)
    braces = "write a literal brace as {{ or }}"
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(path) if field is not None]
    except ValueError as error:
        raise ValueError(f"{name}: path {path!r} is not a valid format string ({error}); "
                         f"{braces}. Fields allowed: {allowed}") from None
    for field in fields:
        if field not in _PATH_FIELDS:
            raise ValueError(f"{name}: path {path!r} has the field {{{field}}}, which is not "
                             f"filled in; the fields allowed are {allowed} ({braces})")
    try:
        path.format(epoch=1, step=1)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise ValueError(f"{name}: path {path!r} cannot be formatted with integer fields "
                         f"{allowed}: {error}") from None


class ModelCheckpoint(Callback):
    """Save the whole training state (model, optimizer, schedule, random generators,
    history) to ``path`` after each epoch, atomically, so ``fit(resume_from=path)`` goes on
    exactly. With ``save_best_only`` it saves only when ``monitor`` improves. ``path`` may
    contain ``{epoch}`` and ``{step}`` (the optimizer steps so far), e.g.
    ``"ckpt/epoch{epoch:03d}.safetensors"``."""

    def __init__(self, path, monitor="val_loss", mode="min", save_best_only=False):
        _check_mode("ModelCheckpoint", mode)
        path = os.fspath(path)
        _check_path_template("ModelCheckpoint", path)
        self.path, self.monitor, self.mode = path, monitor, mode
        self.save_best_only = save_best_only
        self.best = None
        self.last_saved = None

    def on_epoch_end(self, run, logs):
        if self.save_best_only:
            value = _monitored("ModelCheckpoint", logs, self.monitor)
            if not _improved(value, self.best, self.mode, 0.0):
                return
            self.best = value
        path = self.path.format(epoch=run.epoch, step=run.step)
        save_training_state(path, run.model, run.optimizer, run.scheduler, run.loader,
                            run.epoch, run.history)
        self.last_saved = path


class LRScheduler(Callback):
    """Step a learning-rate schedule every epoch (or every step with ``interval='step'``).
    ReduceLROnPlateau-style schedules get the ``monitor`` metric."""

    def __init__(self, scheduler, interval="epoch", monitor="val_loss"):
        if interval not in ("epoch", "step"):
            raise ValueError(f"LRScheduler: interval must be 'epoch' or 'step', got {interval!r}")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor

    def on_train_begin(self, run):
        run.scheduler = self.scheduler

    def _needs_metric(self):
        return type(self.scheduler).__name__ == "ReduceLROnPlateau"

    def on_step_end(self, run, loss):
        if self.interval == "step":
            self.scheduler.step(loss) if self._needs_metric() else self.scheduler.step()

    def on_epoch_end(self, run, logs):
        if self.interval != "epoch":
            return
        if self._needs_metric():
            self.scheduler.step(_monitored("LRScheduler", logs, self.monitor))
        else:
            self.scheduler.step()


class CSVLogger(Callback):
    """Append one row per epoch to a CSV file (columns from the first epoch's logs)."""

    def __init__(self, path):
        self.path = path
        self.columns = None

    def on_epoch_end(self, run, logs):
        new_file = self.columns is None
        if new_file:
            self.columns = list(logs)
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path, "w" if new_file else "a", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(logs)


class JSONLogger(Callback):
    """Rewrite a JSON file with the whole history after every epoch (atomically)."""

    def __init__(self, path):
        self.path = path

    def on_epoch_end(self, run, logs):
        records = [{k: v for k, v in r.items() if not _is_nan(v)} for r in run.history.epochs]
        io.write_json(self.path, {"epochs": records})


def _is_nan(value):
    return isinstance(value, float) and math.isnan(value)


__all__ = ["Callback", "CSVLogger", "EarlyStopping", "JSONLogger", "LRScheduler",
           "ModelCheckpoint"]

"""Callbacks: code that ``fit`` calls at fixed points of training (as in Keras).

Each hook receives the ``run`` (model, optimizer, history, epoch, step, ...); setting
``run.stop_training = True`` ends training after the current epoch.
"""

from __future__ import annotations

import csv
import math
import os
import string
from typing import TYPE_CHECKING

from manabu import io
from manabu.train.state import save_training_state

if TYPE_CHECKING:
    from typing import Any

    from manabu.optim.lr_scheduler import LRScheduler as Schedule
    from manabu.optim.lr_scheduler import ReduceLROnPlateau
    from manabu.train.run import TrainingRun

    Logs = dict[str, Any]  # one epoch's record: {"epoch": 3, "loss": 0.21, ...}


class Callback:
    """Override the hooks you need; all do nothing by default.

    ``fit`` calls, in order: ``on_train_begin(run)``; for each epoch
    ``on_epoch_begin(run)``, ``on_step_end(run, loss)`` after every optimizer step (loss:
    a float) and ``on_epoch_end(run, logs)`` with the epoch's record; finally
    ``on_train_end(run)``. ``run`` is the TrainingRun (model, optimizer, history, epoch,
    step, stop_training). Keras' hooks also receive batch numbers and have
    ``on_*_batch_begin``; these do not.

    Example:
        >>> class PrintLoss(train.Callback):
        ...     def on_epoch_end(self, run, logs):
        ...         print(run.epoch, "loss" in logs)
        >>> model = nn.Linear(2, 1)
        >>> _ = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters()),
        ...               (np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)),
        ...               epochs=2, callbacks=[PrintLoss()], verbose=0)
        1 True
        2 True
    """

    def on_train_begin(self, run: TrainingRun) -> None:
        """Called once, before the first epoch (after a resume: before the next one)."""

    def on_epoch_begin(self, run: TrainingRun) -> None:
        """Called at the start of each epoch, the model in train mode."""

    def on_step_end(self, run: TrainingRun, loss: float) -> None:
        """Called after each optimizer step with that batch's loss."""

    def on_epoch_end(self, run: TrainingRun, logs: Logs) -> None:
        """Called after each epoch (and its validation) with its record."""

    def on_train_end(self, run: TrainingRun) -> None:
        """Called once, when training ends (also after an early stop)."""


def _improved(value: float, best: float | None, mode: str, min_delta: float) -> bool:
    if best is None:
        return True
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


def _check_mode(name: str, mode: str) -> None:
    if mode not in ("min", "max"):
        raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")


def _monitored(name: str, logs: Logs, monitor: str) -> Any:
    if monitor not in logs:
        raise KeyError(
            f"{name}: metric {monitor!r} is not among this epoch's logs {sorted(logs)}; "
            "pass val_data to fit() to get val_* metrics, or monitor another one"
        )
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs
    (早期終了). With ``restore_best_weights`` the model ends with its best epoch's weights.

    As Keras' EarlyStopping, with ``mode`` 'min' or 'max' (no 'auto'), no ``baseline`` and
    no ``start_from_epoch``; a monitored key missing from the logs raises KeyError.

    Args:
        monitor: the key of the epoch's logs to watch. Default: 'val_loss'
        patience: epochs without improvement before stopping. Default: 3
        mode: 'min' (lower is better) or 'max'. Default: 'min'
        min_delta: the least change that counts as an improvement. Default: 0
        restore_best_weights: load the best epoch's weights when training ends.
            Default: False

    Example:
        >>> stop = train.EarlyStopping(monitor="loss", patience=1)
        >>> model = nn.Linear(2, 1)
        >>> x, y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)  # loss stays 0
        >>> history = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters()), (x, y),
        ...                     epochs=10, callbacks=[stop], verbose=0)
        >>> len(history), stop.best_epoch, stop.stopped_epoch
        (2, 1, 2)
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, mode: str = "min",
                 min_delta: float = 0.0, restore_best_weights: bool = False) -> None:
        _check_mode("EarlyStopping", mode)
        self.monitor, self.patience, self.mode = monitor, patience, mode
        self.min_delta = min_delta
        self.restore_best_weights = restore_best_weights
        self.best, self.best_epoch, self.wait, self.best_state = None, None, 0, None
        self.stopped_epoch = None

    def on_epoch_end(self, run: TrainingRun, logs: Logs) -> None:
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

    def on_train_end(self, run: TrainingRun) -> None:
        if self.restore_best_weights and self.best_state is not None:
            run.model.load_state_dict(self.best_state)


# The fields ModelCheckpoint fills into its path: the run's epoch and its step count.
_PATH_FIELDS = ("epoch", "step")


def _check_path_template(name: str, path: str) -> None:
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
    ``"ckpt/epoch{epoch:03d}.safetensors"``.

    Keras' ModelCheckpoint saves the model; this one saves the whole training state, so
    the file is a checkpoint to resume from (load the model alone with
    ``train.load_training_state``).

    Args:
        path: the file, possibly with ``{epoch}`` / ``{step}`` fields (other fields or a
            bad format raise ValueError at once)
        monitor: the key watched with ``save_best_only``. Default: 'val_loss'
        mode: 'min' or 'max', for ``monitor``. Default: 'min'
        save_best_only: save only when ``monitor`` improves. Default: False

    Example:
        >>> import os, tempfile
        >>> model = nn.Linear(2, 1)
        >>> x, y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save = train.ModelCheckpoint(os.path.join(folder, "epoch{epoch}.safetensors"))
        ...     _ = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters()), (x, y),
        ...                   epochs=2, callbacks=[save], verbose=0)
        ...     sorted(os.listdir(folder))
        ['epoch1.safetensors', 'epoch2.safetensors']
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 mode: str = "min", save_best_only: bool = False) -> None:
        _check_mode("ModelCheckpoint", mode)
        path = os.fspath(path)
        _check_path_template("ModelCheckpoint", path)
        self.path, self.monitor, self.mode = path, monitor, mode
        self.save_best_only = save_best_only
        self.best = None
        self.last_saved = None

    def on_epoch_end(self, run: TrainingRun, logs: Logs) -> None:
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
    ReduceLROnPlateau-style schedules get the ``monitor`` metric.

    Keras' LearningRateScheduler takes a function of the epoch; this callback steps a
    scheduler of ``manabu.optim.lr_scheduler``, and ``ModelCheckpoint`` saves its state.

    Args:
        scheduler: a scheduler of ``optim.lr_scheduler``
        interval: 'epoch' or 'step' (once per optimizer step). Default: 'epoch'
        monitor: the metric a ReduceLROnPlateau gets at each epoch's end (per step: the
            batch loss). Default: 'val_loss'

    Example:
        >>> model = nn.Linear(2, 1)
        >>> opt = optim.SGD(model.parameters(), lr=1.0)
        >>> schedule = train.LRScheduler(optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
        >>> history = train.fit(model, nn.MSELoss(), opt,
        ...                     (np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)),
        ...                     epochs=3, callbacks=[schedule], verbose=0)
        >>> history["lr"]                               # the lr each epoch trained with
        [1.0, 0.5, 0.25]
    """

    def __init__(self, scheduler: Schedule | ReduceLROnPlateau, interval: str = "epoch",
                 monitor: str = "val_loss") -> None:
        if interval not in ("epoch", "step"):
            raise ValueError(f"LRScheduler: interval must be 'epoch' or 'step', got {interval!r}")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor

    def on_train_begin(self, run: TrainingRun) -> None:
        run.scheduler = self.scheduler

    def _needs_metric(self) -> bool:
        return type(self.scheduler).__name__ == "ReduceLROnPlateau"

    def on_step_end(self, run: TrainingRun, loss: float) -> None:
        if self.interval == "step":
            self.scheduler.step(loss) if self._needs_metric() else self.scheduler.step()

    def on_epoch_end(self, run: TrainingRun, logs: Logs) -> None:
        if self.interval != "epoch":
            return
        if self._needs_metric():
            self.scheduler.step(_monitored("LRScheduler", logs, self.monitor))
        else:
            self.scheduler.step()


class CSVLogger(Callback):
    """Append one row per epoch to a CSV file (columns from the first epoch's logs).

    The file is started afresh at the first epoch of a run (Keras' ``append=False``);
    keys that appear only later are left out.

    Args:
        path: the CSV file (its folder is created)

    Example:
        >>> import pathlib, tempfile
        >>> model = nn.Linear(2, 1)
        >>> x, y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     log = train.CSVLogger(pathlib.Path(folder) / "log.csv")
        ...     _ = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters()), (x, y),
        ...                   epochs=2, callbacks=[log], verbose=0)
        ...     log.path.read_text().splitlines()[0]
        'epoch,loss,lr,time'
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.columns = None

    def on_epoch_end(self, run: TrainingRun, logs: Logs) -> None:
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
    """Rewrite a JSON file with the whole history after every epoch (atomically).

    The file is ``{"epochs": [record, ...]}``; NaN values are left out of the records.

    Args:
        path: the JSON file

    Example:
        >>> import json, pathlib, tempfile
        >>> model = nn.Linear(2, 1)
        >>> x, y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     log = train.JSONLogger(pathlib.Path(folder) / "history.json")
        ...     _ = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters()), (x, y),
        ...                   epochs=2, callbacks=[log], verbose=0)
        ...     [r["epoch"] for r in json.loads(log.path.read_text())["epochs"]]
        [1, 2]
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path

    def on_epoch_end(self, run: TrainingRun, logs: Logs) -> None:
        records = [{k: v for k, v in r.items() if not _is_nan(v)} for r in run.history.epochs]
        io.write_json(self.path, {"epochs": records})


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


__all__ = ["Callback", "CSVLogger", "EarlyStopping", "JSONLogger", "LRScheduler",
           "ModelCheckpoint"]

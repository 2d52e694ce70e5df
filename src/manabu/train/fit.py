"""The training loop (学習ループ): fit, evaluate and predict, Keras-style, on manabu models.

One step is the notes' recipe: forward, loss, backward (誤差逆伝播法), optimizer update.
``fit`` adds what a real run needs: mini-batches, a progress bar, validation, metrics,
callbacks, a stop with a clear error when the loss or a gradient turns NaN (before the
weights are touched), a warning when training diverges, and exact resuming.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from typing import TYPE_CHECKING

import numpy as np

from manabu import allocator, backend
from manabu.autograd import Tensor, no_grad
from manabu.data import DataLoader, Dataset, TensorDataset
from manabu.optim import clip_grad_norm_
from manabu.train.history import History
from manabu.train.run import TrainingRun
from manabu.train.state import load_training_state

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence
    from typing import Any

    from manabu.nn.module import Module
    from manabu.optim.optimizer import Optimizer
    from manabu.train.callbacks import Callback

    LossFn = Callable[[Any, Any], Tensor]  # loss_fn(output, targets) -> a scalar Tensor
    Data = DataLoader | Dataset | Sequence[Any]  # a loader, a dataset or (inputs, targets)


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; training stopped before updating the weights.

    The message gives the epoch, the step and the last finite loss. (PyTorch has no such
    check; Keras' ``TerminateOnNaN`` stops after the bad batch was applied.)

    Example:
        >>> model = nn.Linear(1, 1)
        >>> x, y = np.full((4, 1), np.nan, dtype=np.float32), np.zeros((4, 1), np.float32)
        >>> try:
        ...     train.fit(model, nn.MSELoss(), optim.SGD(model.parameters()), (x, y), verbose=0)
        ... except train.NonFiniteLossError:
        ...     print("stopped; the weights are untouched")
        stopped; the weights are untouched
    """


class NonFiniteGradientError(FloatingPointError):
    """A gradient became NaN or infinite; training stopped before updating the weights.

    The message names the first parameter with a bad gradient.

    Example:
        >>> model = nn.Linear(1, 1)
        >>> sqrt_at_zero = lambda output, target: (output * 0).sqrt().sum()  # finite loss
        >>> x, y = np.ones((4, 1), np.float32), np.zeros((4, 1), np.float32)
        >>> with np.errstate(divide="ignore", invalid="ignore"):   # 1 / (2 sqrt(0)) = inf
        ...     try:
        ...         train.fit(model, sqrt_at_zero, optim.SGD(model.parameters()), (x, y),
        ...                   verbose=0)
        ...     except train.NonFiniteGradientError as error:
        ...         print(str(error)[:34])
        the gradient of 'weight' holds NaN
    """


class DivergenceWarning(UserWarning):
    """The training loss grew far above its first value: the learning rate is too large.

    Warned once, at the first epoch whose mean loss is more than ``DIVERGENCE_FACTOR``
    (10) times the first step's; ``History.diverged_at`` records that epoch.

    Example:
        >>> import warnings
        >>> model = nn.Linear(1, 1)
        >>> model.weight.data[...] = 1.0
        >>> x, y = np.ones((4, 1), np.float32), np.zeros((4, 1), np.float32)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     history = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=10.0),
        ...                         (x, y), epochs=2, batch_size=4, verbose=0)
        >>> caught[0].category.__name__, history.diverged_at
        ('DivergenceWarning', 2)
    """


DIVERGENCE_FACTOR = 10  # an epoch's mean loss this many times the first step's: diverged


def _first_non_finite_gradient(named_parameters: list[tuple[str, Tensor]]) -> str | None:
    """The name of the first parameter whose gradient holds a NaN or an infinity, or None.

    One sum per gradient is the cheap test (a NaN or inf anywhere makes the total
    non-finite); only when it fails are the gradients searched element by element, which
    also clears a finite total that merely overflowed.
    """
    grads = [(name, p.grad.data) for name, p in named_parameters if p.grad is not None]
    with np.errstate(over="ignore", invalid="ignore"):  # a bad total is what we look for
        if math.isfinite(sum(float(g.sum()) for _, g in grads)):
            return None
    for name, g in grads:
        if not bool(backend.get_array_module(g).isfinite(g).all()):
            return name
    return None


def as_loader(data: Data, batch_size: int = 32, shuffle: bool = False,
              seed: int | None = None) -> DataLoader:
    """A DataLoader from a DataLoader, a Dataset, or an (x, y) pair of arrays/Tensors.

    Args:
        data: a DataLoader (returned as it is), a Dataset, or a tuple/list of arrays or
            Tensors (wrapped in a TensorDataset)
        batch_size: examples per batch of a new loader. Default: 32
        shuffle: shuffle a new loader. Default: False
        seed: the shuffling seed of a new loader. Default: None

    Example:
        >>> from manabu.train.fit import as_loader
        >>> loader = as_loader((np.zeros((10, 3)), np.zeros(10)), batch_size=4)
        >>> len(loader)
        3
    """
    if isinstance(data, DataLoader):
        return data
    num_inputs = 1
    if isinstance(data, (tuple, list)):
        if len(data) == 2 and isinstance(data[0], (tuple, list)):
            num_inputs = len(data[0])  # ((x1, x2, ...), y): a model of several inputs
            data = (*data[0], data[1])
        data = TensorDataset(*[d.numpy() if isinstance(d, Tensor) else d for d in data])
    if not isinstance(data, Dataset):
        raise TypeError(
            f"expected a DataLoader, a Dataset or an (inputs, targets) pair, got {type(data).__name__}"
        )
    loader = DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    loader.num_inputs = num_inputs
    return loader


def _split_batch(batch: Any) -> tuple[Any, Any]:
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("each batch must be (inputs, targets); got a single tensor")
    return batch[0], batch[1]


def _forward(model, loader, batch):
    """(output, targets) of one batch: ``model(x)``, or ``model(x1, x2, ...)`` for data
    given as ((x1, x2, ...), y), as Keras' fit takes a model of several inputs."""
    count = getattr(loader, "num_inputs", 1)
    if count == 1:
        inputs, targets = _split_batch(batch)
        return model(inputs), targets
    return model(*batch[:count]), batch[count]


def _count_correct(output, target):
    """Correct predictions in a batch, or None when the task is not classification."""
    if not isinstance(output, Tensor):
        return None  # e.g. a VAE's (reconstruction, mu, logvar, z)
    out, t = output.data, target.data
    if t.dtype.kind not in "iu" or out.ndim < 2 or out.shape[:-1] != t.shape:
        return None
    return int((out.argmax(axis=-1) == t).sum())


METRICS = ("accuracy", "perplexity")  # what fit and evaluate measure besides the loss


def _check_metrics(caller, metrics):
    unknown = [m for m in metrics if m not in METRICS]
    if isinstance(metrics, str) or unknown:
        raise ValueError(f"{caller}: metrics must be a tuple of {', '.join(METRICS)}; got "
                         f"{metrics!r}")


class _Averages:
    """Running loss and accuracy over an epoch, weighted by batch size."""

    def __init__(self, metrics):
        self.metrics = metrics
        self.loss_sum, self.correct, self.seen, self.labelled = 0.0, 0, 0, 0

    def add(self, loss, output, target):
        n = len(target)
        self.loss_sum += loss * n
        self.seen += n
        if "accuracy" in self.metrics:
            correct = _count_correct(output, target)
            if correct is not None:
                self.correct += correct
                self.labelled += target.size

    def logs(self, prefix=""):
        loss = self.loss_sum / max(self.seen, 1)
        logs = {prefix + "loss": loss}
        if self.labelled:
            logs[prefix + "accuracy"] = self.correct / self.labelled
        if "perplexity" in self.metrics:  # パープレキシティ: exp of the mean cross-entropy
            logs[prefix + "perplexity"] = math.exp(loss) if loss < 700 else math.inf
        return logs


def _progress_bar(total, desc, verbose):
    from tqdm.auto import tqdm  # imported on use: `import manabu` stays light

    show = verbose >= 1 and sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit="batch", disable=not show, leave=False,
                dynamic_ncols=True)


def _group_size(batch_in_epoch, batches, accumulation_steps):
    """How many micro-batches the optimizer step of this batch averages: k, or fewer for
    the last group of an epoch whose batches do not divide by k."""
    group_start = (batch_in_epoch - 1) // accumulation_steps * accumulation_steps
    return min(accumulation_steps, batches - group_start)


def _train_one_epoch(run, loss_fn, callbacks, metrics, max_grad_norm, log_every_step,
                     verbose, epochs, accumulation_steps):
    model, optimizer = run.model, run.optimizer
    averages = _Averages(metrics)
    last_finite = None
    batches = len(run.loader)
    bar = _progress_bar(batches, f"Epoch {run.epoch}/{epochs}", verbose)
    group_losses = []
    for batch_in_epoch, batch in enumerate(run.loader, start=1):
        output, targets = _forward(model, run.loader, batch)
        loss = loss_fn(output, targets)
        value = float(loss.data)
        if not group_losses:
            run.step += 1  # the optimizer step this micro-batch belongs to
        if run.first_loss is None:
            run.first_loss = value
        if not math.isfinite(value):
            bar.close()
            raise NonFiniteLossError(
                f"loss became {value} at epoch {run.epoch}, step {run.step} (batch "
                f"{batch_in_epoch} of {batches}); last finite loss: {last_finite}. "
                "The weights were not updated with it. Lower the learning rate, clip "
                "gradients (max_grad_norm=1.0), or check the data for NaN/inf."
            )
        last_finite = value
        size = _group_size(batch_in_epoch, batches, accumulation_steps)
        if not group_losses:
            optimizer.zero_grad()
        # gradients accumulate over the group: each micro-batch adds its share of the mean
        (loss if size == 1 else loss * (1.0 / size)).backward()
        group_losses.append(value)
        averages.add(value, output, targets)  # per micro-batch, the loss as computed
        bar.update(1)
        if batch_in_epoch % 10 == 0 or batch_in_epoch == batches:
            bar.set_postfix(averages.logs(), refresh=False)
        if len(group_losses) < size:
            continue
        bad = _first_non_finite_gradient(run.named_parameters)
        if bad is not None:
            bar.close()
            raise NonFiniteGradientError(
                f"the gradient of {bad!r} holds NaN or inf at epoch {run.epoch}, step "
                f"{run.step} (batch {batch_in_epoch} of {batches}) while the loss was "
                f"finite ({value:.6g}). The weights were not updated. Look for an op without a "
                "finite derivative at its input (sqrt or log at 0, x / 0, pow of a negative "
                "number) in the model or a custom loss, and add a small eps there."
            )
        if max_grad_norm is not None:
            clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        step_loss = sum(group_losses) / len(group_losses)
        group_losses = []
        if log_every_step:
            run.history.steps.append({"epoch": run.epoch, "step": run.step, "loss": step_loss})
        for callback in callbacks:
            callback.on_step_end(run, step_loss)
    bar.close()
    return averages.logs()


def _non_empty(loader, caller, what):
    """The loader, or a ValueError when it gives no batch (0 examples, or all dropped)."""
    if len(loader) == 0:
        size = len(loader.dataset) if hasattr(loader, "dataset") else 0
        raise ValueError(
            f"{caller}: the {what} gives no batch ({size} examples, batch_size "
            f"{getattr(loader, 'batch_size', '?')}); pass at least one example"
            + (" or drop_last=False" if size else "")
        )
    return loader


def _warn_if_diverging(run, logs):
    """One DivergenceWarning, the first epoch whose mean loss is far above the first step's."""
    first, loss = run.first_loss, logs["loss"]
    if run.history.diverged_at is not None or first is None or first <= 0:
        return
    if loss > DIVERGENCE_FACTOR * first:
        run.history.diverged_at = run.epoch
        lr = run.optimizer.param_groups[0]["lr"]
        warnings.warn(
            f"training diverges: the mean loss of epoch {run.epoch} is {loss:.4g}, "
            f"{loss / first:.3g} times the first step's {first:.4g}. Lower the learning rate "
            f"(lr={lr:g} now; try {lr / 10:g}) or clip gradients (max_grad_norm=1.0).",
            DivergenceWarning, stacklevel=3,
        )


def _format_logs(logs):
    parts = []
    for key, value in logs.items():
        if key in ("epoch", "time"):
            continue
        parts.append(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}")
    return " - ".join(parts)


def fit(model: Module, loss_fn: LossFn, optimizer: Optimizer, train_data: Data,
        val_data: Data | None = None, epochs: int = 1, batch_size: int = 32,
        shuffle: bool = True, seed: int | None = None, callbacks: Sequence[Callback] = (),
        metrics: Sequence[str] = ("accuracy",), max_grad_norm: float | None = None,
        log_every_step: bool = False, resume_from: str | os.PathLike[str] | None = None,
        verbose: int = 1, accumulation_steps: int = 1) -> History:
    """Train ``model`` and return its ``History``.

    train_data / val_data: a DataLoader, a Dataset or an (inputs, targets) pair (batched
    with ``batch_size``; the training data shuffled with ``seed``); a pair
    ``((x1, x2, ...), targets)`` feeds a model of several inputs, ``model(x1, x2, ...)``
    (a conditional VAE's images and labels). ``metrics``: accuracy
    is measured when the targets are class labels, perplexity when asked for (language
    models). ``accumulation_steps``: k batches per optimizer step (勾配累積), to train with
    batches k times larger than memory holds. ``resume_from``: a checkpoint written
    by ``ModelCheckpoint``; training continues after the epoch it holds, exactly as if it
    had never stopped. ``verbose``: 0 silent, 1 progress bar and one line per epoch.

    Keras' ``model.fit`` as a function: the model, the loss and the optimizer are
    arguments (PyTorch leaves this loop to you).

    Args:
        model: the model to train (put in train mode for each epoch)
        loss_fn: ``loss_fn(output, targets)`` -> a scalar Tensor, e.g.
            ``nn.CrossEntropyLoss()``
        optimizer: the optimizer of the model's parameters
        train_data: the training data
        val_data: data evaluated after each epoch (``val_loss``, ``val_accuracy``).
            Default: None
        epochs: the last epoch to train, >= 0. Default: 1
        batch_size: examples per batch when the data is not a DataLoader. Default: 32
        shuffle: shuffle the training data when it is not a DataLoader. Default: True
        seed: the shuffling seed; None follows ``manabu.manual_seed``. Default: None
        callbacks: Callback objects (EarlyStopping, ModelCheckpoint, ...). Default: ()
        metrics: what to measure besides the loss: "accuracy" (class labels, next-token
            labels too) and/or "perplexity" (exp of the mean loss, for language models).
            Default: ("accuracy",)
        max_grad_norm: clip the global gradient norm to this (``clip_grad_norm_``);
            None: no clipping. Default: None
        log_every_step: record each step's loss in ``history.steps``. Default: False
        resume_from: a checkpoint of ``ModelCheckpoint`` to continue from. Default: None
        verbose: 0 silent, 1 a progress bar (on a terminal) and a line per epoch.
            Default: 1
        accumulation_steps: 勾配累積 (gradient accumulation): each optimizer step averages
            the gradients of this many batches (each loss divided by k before backward;
            gradient clipping and the non-finite gradient check run once a step, on the
            accumulated gradient; a NaN loss stops at once, before any update), so k
            batches of B train as one of k * B on a mean loss. The last group of an
            epoch may hold fewer batches: its losses are divided by its own size, so it
            steps with the mean gradient of its batches (each batch counts alike, a short
            last batch too, as in PyTorch recipes). ``run.step``, ``history.steps``,
            ``on_step_end`` and per-step schedules count optimizer steps; the epoch's loss
            (and the progress bar) average the batches' unscaled losses. Default: 1

    Returns:
        the History: one record per epoch (loss, accuracy, perplexity, val_*, lr, time)

    Example:
        >>> x, y = data.spiral(n_per_class=20)
        >>> model = models.MLP(in_features=2, hidden_sizes=(16,), out_features=3)
        >>> history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
        ...                     (x, y), epochs=2, batch_size=30, seed=0, verbose=0)
        >>> len(history), history.keys()
        (2, ['epoch', 'loss', 'accuracy', 'lr', 'time'])
    """
    if not (isinstance(epochs, int) and epochs >= 0):
        raise ValueError(f"fit: epochs must be a whole number >= 0, got {epochs!r}")
    if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
            or accumulation_steps < 1:
        raise ValueError(f"fit: accumulation_steps must be a whole number >= 1, got "
                         f"{accumulation_steps!r}")
    _check_metrics("fit", metrics)
    loader = _non_empty(as_loader(train_data, batch_size, shuffle=shuffle, seed=seed),
                        "fit", "training data")
    allocator.keep_freed_memory()  # a training loop: reuse freed big blocks (allocator.py)
    val_loader = None
    if val_data is not None:
        val_loader = _non_empty(as_loader(val_data, batch_size), "fit", "val_data")
    history = History()
    run = TrainingRun(model, optimizer, loader, history)
    for callback in callbacks:
        callback.on_train_begin(run)
    start_epoch = 0
    if resume_from is not None:
        start_epoch = load_training_state(resume_from, model, optimizer, run.scheduler, loader,
                                          history)
        steps_per_epoch = math.ceil(len(loader) / accumulation_steps)
        run.step = len(history.steps) if log_every_step else start_epoch * steps_per_epoch
    for epoch in range(start_epoch + 1, epochs + 1):
        run.epoch = epoch
        model.train()
        for callback in callbacks:
            callback.on_epoch_begin(run)
        started = time.perf_counter()
        logs = {"epoch": epoch}
        logs.update(_train_one_epoch(run, loss_fn, callbacks, metrics, max_grad_norm,
                                     log_every_step, verbose, epochs, accumulation_steps))
        if val_loader is not None:
            logs.update(evaluate(model, loss_fn, val_loader, metrics=metrics, prefix="val_"))
        logs["lr"] = optimizer.param_groups[0]["lr"]
        logs["time"] = time.perf_counter() - started
        history.epochs.append(logs)
        _warn_if_diverging(run, logs)
        for callback in callbacks:
            callback.on_epoch_end(run, logs)
        if verbose:
            print(f"Epoch {epoch}/{epochs} - {logs['time']:.1f}s - {_format_logs(logs)}", flush=True)
        if run.stop_training:
            break
    for callback in callbacks:
        callback.on_train_end(run)
    return history


def evaluate(model: Module, loss_fn: LossFn, data: Data, batch_size: int = 256,
             metrics: Sequence[str] = ("accuracy",), prefix: str = "") -> dict[str, float]:
    """Mean loss (and accuracy for class labels) over ``data``, in eval mode, without a graph.

    Args:
        model: the model (its train/eval mode is restored afterwards)
        loss_fn: ``loss_fn(output, targets)`` -> a scalar Tensor
        data: a DataLoader, a Dataset or an (inputs, targets) pair
        batch_size: examples per batch when the data is not a DataLoader. Default: 256
        metrics: "accuracy" and/or "perplexity", or ``()``. Default: ("accuracy",)
        prefix: put before each key, e.g. 'val_'. Default: ''

    Returns:
        ``{"loss": ...}``, with ``"accuracy"`` when the targets are class labels (also
        next-token labels (N, T) of logits (N, T, V)) and ``"perplexity"`` = exp(loss)
        when asked for; means weighted by batch size

    Example:
        >>> model = models.MLP(in_features=2, hidden_sizes=(8,), out_features=3)
        >>> x, y = data.spiral(n_per_class=10)
        >>> sorted(train.evaluate(model, nn.CrossEntropyLoss(), (x, y), prefix="val_"))
        ['val_accuracy', 'val_loss']
    """
    _check_metrics("evaluate", metrics)
    loader = _non_empty(as_loader(data, batch_size), "evaluate", "data")
    was_training = model.training
    model.eval()
    averages = _Averages(metrics)
    with no_grad():
        for batch in loader:
            output, targets = _forward(model, loader, batch)
            averages.add(float(loss_fn(output, targets).data), output, targets)
    model.train(was_training)
    return averages.logs(prefix)


def predict(model: Module, inputs: Any, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for ``inputs`` (an array or Tensor), as one NumPy array.

    Runs in eval mode (restored afterwards), without a graph, ``batch_size`` rows at a time.

    Args:
        model: a model with one input and one Tensor output
        inputs: an array or Tensor (N, ...)
        batch_size: rows per forward pass. Default: 256

    Returns:
        the outputs (N, ...), concatenated; an empty array for N = 0

    Example:
        >>> model = models.MLP(in_features=4, hidden_sizes=(8,), out_features=3)
        >>> train.predict(model, np.zeros((5, 4), dtype=np.float32), batch_size=2).shape
        (5, 3)
    """
    data = inputs.numpy() if isinstance(inputs, Tensor) else np.asarray(inputs)
    was_training = model.training
    model.eval()
    outputs = []
    with no_grad():
        for start in range(0, len(data), batch_size):
            outputs.append(model(Tensor(data[start:start + batch_size])).numpy())
    model.train(was_training)
    return np.concatenate(outputs) if outputs else np.empty((0,))

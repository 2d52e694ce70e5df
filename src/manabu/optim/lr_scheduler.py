"""Learning-rate schedules (学習率の調整): change lr as training goes on.

A large lr early moves fast; a small lr late settles into a minimum. Each scheduler
wraps an optimizer and rewrites ``group["lr"]`` when its ``step()`` is called, usually
once an epoch (or once a batch for the warm-ups WarmupCosine and NoamLR), after
``optimizer.step()``::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch()            # calls optimizer.step()
        scheduler.step()

Schedules are written in closed form: lr is a function of the base lr (the group's lr
when the scheduler was made, kept as ``group["initial_lr"]``) and the step count
``last_epoch``, exactly the formula in each docstring. PyTorch computes the same values
recursively from the current lr; they agree to rounding.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from manabu.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "MultiStepLR",
    "NoamLR",
    "ReduceLROnPlateau",
    "StepLR",
    "WarmupCosine",
]


class _SchedulerState:
    """What every scheduler shares: the optimizer check, the last lrs it set and a
    JSON-safe state_dict."""

    def _check_optimizer(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected a manabu Optimizer, got "
                            f"{type(optimizer).__name__}")

    def _record_lrs(self):
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lrs set by the last ``step()`` (one per parameter group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as numbers and lists (JSON-serialisable)."""
        return {k: _plain(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (the step count, the base lrs, ...)."""
        self.__dict__.update(state_dict)


class LRScheduler(_SchedulerState):
    """Base class: subclasses give ``lr_at(base_lr, t)``, the lr after t calls of step().

    Making the scheduler sets every group's lr to ``lr_at(base_lr, 0)`` (``last_epoch``
    becomes 0); each ``step()`` adds one to ``last_epoch`` and sets the next lr.

    Args:
        optimizer: the manabu Optimizer whose groups' ``lr`` the schedule rewrites
        last_epoch: -1 for a new schedule (each group's current lr becomes its
            ``initial_lr``); the number of steps already taken to resume one, which needs
            ``initial_lr`` in the groups (KeyError otherwise). Default: -1

    Example:
        >>> class Halving(optim.lr_scheduler.LRScheduler):
        ...     def lr_at(self, base_lr, t):
        ...         return base_lr / 2 ** t
        >>> scheduler = Halving(optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0))
        >>> scheduler.step()
        >>> scheduler.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self._check_optimizer(optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                    f"'initial_lr' in param group {i}; load the optimizer's state_dict first"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, base_lr: float, t: int) -> float:
        """The lr after ``t`` calls of ``step()``, for a group that started at ``base_lr``."""
        raise NotImplementedError(f"{type(self).__name__} must define lr_at(base_lr, t)")

    def get_lr(self) -> list[float]:
        """The lr of every group at the current ``last_epoch``."""
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def step(self) -> None:
        """Advance one step and write the new lr into the optimizer's groups."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._record_lrs()


def _plain(value):
    return list(value) if isinstance(value, (list, tuple)) else value  # a copy, not an alias


class StepLR(LRScheduler):
    """Multiply lr by ``gamma`` every ``step_size`` steps::

        lr = base_lr * gamma ** (t // step_size)

    Args:
        optimizer: the optimizer whose lr is scheduled
        step_size: steps between two cuts, >= 1
        gamma: the factor of each cut. Default: 0.1
        last_epoch: -1 to start, or the steps already taken when resuming. Default: -1

    Example:
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> scheduler = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs += scheduler.get_last_lr()      # the lr this epoch trains with
        ...     scheduler.step()
        >>> lrs
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply lr by ``gamma`` at each milestone::

        lr = base_lr * gamma ** (number of milestones <= t)

    Args:
        optimizer: the optimizer whose lr is scheduled
        milestones: the step counts at which lr is cut (any order; sorted here)
        gamma: the factor of each cut. Default: 0.1
        last_epoch: -1 to start, or the steps already taken when resuming. Default: -1

    Example:
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> scheduler = optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs += scheduler.get_last_lr()
        ...     scheduler.step()
        >>> lrs
        [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        passed = sum(1 for m in self.milestones if m <= t)
        return base_lr * self.gamma**passed


class ExponentialLR(LRScheduler):
    """Multiply lr by ``gamma`` every step::

        lr = base_lr * gamma ** t

    Args:
        optimizer: the optimizer whose lr is scheduled
        gamma: the factor applied at every step
        last_epoch: -1 to start, or the steps already taken when resuming. Default: -1

    Example:
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> scheduler = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> for epoch in range(3):
        ...     scheduler.step()
        >>> scheduler.get_last_lr()
        [0.125]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma**t


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (SGDR without restarts, Loshchilov & Hutter, 2017)::

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    lr falls from base_lr to eta_min over T_max steps; past T_max the cosine rises
    again, as in PyTorch.

    Args:
        optimizer: the optimizer whose lr is scheduled
        T_max: the steps of the fall from base_lr to eta_min, >= 1
        eta_min: the lowest lr. Default: 0
        last_epoch: -1 to start, or the steps already taken when resuming. Default: -1

    Example:
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 4))
        ...     scheduler.step()
        >>> lrs
        [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class WarmupCosine(LRScheduler):
    """Linear warm-up, then cosine decay to ``min_lr`` (the usual schedule for Transformers)::

        lr = base_lr * (t + 1) / warmup_steps                          t < warmup_steps
        lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * s)) / 2       warmup_steps <= t
             with s = min(1, (t - warmup_steps) / (total_steps - warmup_steps))

    Warm-up climbs to base_lr at t = warmup_steps - 1 (its first step already moves, with
    base_lr / warmup_steps); the cosine then falls to min_lr at t = total_steps and stays
    there. Call ``step()`` once a batch. (PyTorch has no single class for it; it is
    ``SequentialLR`` of ``LinearLR`` and ``CosineAnnealingLR``, or a ``LambdaLR``.)

    Args:
        optimizer: the optimizer whose lr is scheduled
        warmup_steps: the steps of the linear climb, >= 0
        total_steps: the step at which the cosine reaches min_lr, > warmup_steps
        min_lr: the lr at the end, >= 0. Default: 0
        last_epoch: -1 to start, or the steps already taken when resuming. Default: -1

    Example:
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> scheduler = optim.lr_scheduler.WarmupCosine(opt, warmup_steps=2, total_steps=6)
        >>> lrs = []
        >>> for batch in range(7):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 4))
        ...     scheduler.step()
        >>> lrs
        [0.5, 1.0, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, total_steps: int,
                 min_lr: float = 0.0, last_epoch: int = -1) -> None:
        if warmup_steps < 0:
            raise ValueError(f"WarmupCosine: warmup_steps must be >= 0, got {warmup_steps}")
        if total_steps <= warmup_steps:
            raise ValueError(
                f"WarmupCosine: total_steps ({total_steps}) must be greater than "
                f"warmup_steps ({warmup_steps})"
            )
        if min_lr < 0:
            raise ValueError(f"WarmupCosine: min_lr must be >= 0, got {min_lr}")
        self.warmup_steps = int(warmup_steps)
        self.total_steps = int(total_steps)
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        if t < self.warmup_steps:
            return base_lr * (t + 1) / self.warmup_steps
        progress = min(1.0, (t - self.warmup_steps) / (self.total_steps - self.warmup_steps))
        cosine = (1 + math.cos(math.pi * progress)) / 2
        return self.min_lr + (base_lr - self.min_lr) * cosine


class NoamLR(LRScheduler):
    """The schedule of "Attention Is All You Need" (Vaswani et al., 2017, eq. 3)::

        lr = base_lr * factor * d_model^-0.5 * min(s^-0.5, s * warmup_steps^-1.5),  s = t + 1

    a linear climb for ``warmup_steps`` steps, then a decay as 1 / sqrt(step); the peak,
    at s = warmup_steps, is base_lr * factor / sqrt(d_model * warmup_steps). The paper
    sets base_lr = 1 (the optimizer's lr, which multiplies the schedule as in LambdaLR
    rather than being replaced by it) and factor = 1, d_model = 512, warmup 4000.
    Call ``step()`` once a batch. (PyTorch has no class for it; it is ``LambdaLR`` with
    ``lambda t: factor * d_model ** -0.5 * min((t + 1) ** -0.5, (t + 1) * warmup ** -1.5)``,
    to which this is equal.)

    Args:
        optimizer: the optimizer whose lr is scheduled; its lr multiplies the schedule
            (base_lr above, kept as ``initial_lr``): give lr=1.0 for the paper's values
        d_model: the model's width, >= 1
        warmup_steps: the steps of the climb, >= 1
        factor: a multiplier of the whole schedule, > 0. Default: 1.0
        last_epoch: -1 to start, or the steps already taken when resuming. Default: -1

    Example:
        >>> opt = optim.Adam([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> scheduler = optim.lr_scheduler.NoamLR(opt, d_model=512, warmup_steps=4000)
        >>> for _ in range(3999):
        ...     scheduler.step()
        >>> round(scheduler.get_last_lr()[0], 6)    # the peak: 1 / sqrt(512 * 4000)
        0.000699
    """

    def __init__(self, optimizer: Optimizer, d_model: int, warmup_steps: int,
                 factor: float = 1.0, last_epoch: int = -1) -> None:
        for name, value in (("d_model", d_model), ("warmup_steps", warmup_steps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"NoamLR: {name} must be a whole number >= 1, got {value!r}")
        if not factor > 0:
            raise ValueError(f"NoamLR: factor must be > 0, got {factor}")
        self.d_model, self.warmup_steps, self.factor = d_model, warmup_steps, factor
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        s = t + 1  # the paper counts steps from 1
        return base_lr * self.factor * self.d_model ** -0.5 * min(
            s ** -0.5, s * self.warmup_steps ** -1.5)


class ReduceLROnPlateau(_SchedulerState):
    """Cut lr by ``factor`` when a metric stops improving, as PyTorch's scheduler.

    Call ``step(metric)`` once an epoch with a validation loss (mode='min') or accuracy
    (mode='max'). A value counts as better than the best so far when::

        rel, min:  metric < best * (1 - threshold)      abs, min:  metric < best - threshold
        rel, max:  metric > best * (1 + threshold)      abs, max:  metric > best + threshold

    After more than ``patience`` epochs without improvement each group's lr becomes
    ``max(lr * factor, min_lr)`` (changes smaller than ``eps`` are skipped), then
    ``cooldown`` epochs pass before bad epochs are counted again.

    Args:
        optimizer: the optimizer whose lr is cut
        mode: 'min' (a loss: lower is better) or 'max' (an accuracy). Default: 'min'
        factor: new lr = lr * factor, < 1. Default: 0.1
        patience: epochs without improvement tolerated before a cut. Default: 10
        threshold: the least change that counts as an improvement. Default: 1e-4
        threshold_mode: 'rel' (relative to best) or 'abs'. Default: 'rel'
        cooldown: epochs to wait after a cut before counting again. Default: 0
        min_lr: the lowest lr, one number or one per parameter group. Default: 0
        eps: a cut smaller than this is skipped. Default: 1e-8

    Example:
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> scheduler = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
        >>> lrs = []
        >>> for val_loss in [1.0, 0.9, 0.9, 0.9]:      # no progress after the second epoch
        ...     scheduler.step(val_loss)
        ...     lrs += scheduler.get_last_lr()
        >>> lrs
        [1.0, 1.0, 1.0, 0.5]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0.0,
                 eps: float = 1e-8) -> None:
        # each setting is checked where it is stored
        self._check_optimizer(optimizer)
        self.optimizer = optimizer
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        self.factor = factor
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        self.mode = mode
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.threshold_mode = threshold_mode
        self.threshold = threshold
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(
                    f"ReduceLROnPlateau: {len(min_lr)} min_lr values for {n_groups} groups"
                )
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n_groups
        # what step() updates
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._record_lrs()

    def is_better(self, metric: float, best: float) -> bool:
        """True when ``metric`` improves on ``best`` by more than the threshold."""
        if self.threshold_mode == "rel":
            if self.mode == "min":
                return metric < best * (1 - self.threshold)
            return metric > best * (1 + self.threshold)
        if self.mode == "min":
            return metric < best - self.threshold
        return metric > best + self.threshold

    def step(self, metrics: float) -> None:
        """Record this epoch's metric and lower lr if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._record_lrs()

    def _reduce_lr(self):
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

"""Learning-rate schedules (学習率の調整): change lr as training goes on.

A large lr early moves fast; a small lr late settles into a minimum. Each scheduler
wraps an optimizer and rewrites ``group["lr"]`` when its ``step()`` is called, usually
once an epoch (or once a batch for WarmupCosine), after ``optimizer.step()``::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch()            # calls optimizer.step()
        scheduler.step()

Schedules are written in closed form: lr is a function of the base lr (the group's lr
when the scheduler was made, kept as ``group["initial_lr"]``) and the step count
``last_epoch``, exactly the formula in each docstring. PyTorch computes the same values
recursively from the current lr; they agree to rounding.
"""

import math

from manabu.optim.optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
    "WarmupCosine",
]


class _SchedulerState:
    """What every scheduler shares: the last lrs it set and a JSON-safe state_dict."""

    def get_last_lr(self):
        """The lrs set by the last ``step()`` (one per parameter group)."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer, as numbers and lists (JSON-serialisable)."""
        return {k: _plain(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class LRScheduler(_SchedulerState):
    """Base class: subclasses give ``lr_at(base_lr, t)``, the lr after t calls of step().

    Making the scheduler sets every group's lr to ``lr_at(base_lr, 0)`` (``last_epoch``
    becomes 0); each ``step()`` adds one to ``last_epoch`` and sets the next lr.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected a manabu Optimizer, "
                f"got {type(optimizer).__name__}"
            )
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

    def lr_at(self, base_lr, t):
        raise NotImplementedError(f"{type(self).__name__} must define lr_at(base_lr, t)")

    def get_lr(self):
        """The lr of every group at the current ``last_epoch``."""
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def step(self):
        """Advance one step and write the new lr into the optimizer's groups."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


def _plain(value):
    return list(value) if isinstance(value, (list, tuple)) else value  # a copy, not an alias


class StepLR(LRScheduler):
    """Multiply lr by ``gamma`` every ``step_size`` steps::

        lr = base_lr * gamma ** (t // step_size)
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, t):
        return base_lr * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply lr by ``gamma`` at each milestone::

        lr = base_lr * gamma ** (number of milestones <= t)
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, t):
        passed = sum(1 for m in self.milestones if m <= t)
        return base_lr * self.gamma**passed


class ExponentialLR(LRScheduler):
    """Multiply lr by ``gamma`` every step::

        lr = base_lr * gamma ** t
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, t):
        return base_lr * self.gamma**t


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (SGDR without restarts, Loshchilov & Hutter, 2017)::

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    lr falls from base_lr to eta_min over T_max steps; past T_max the cosine rises
    again, as in PyTorch.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, t):
        cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class WarmupCosine(LRScheduler):
    """Linear warm-up, then cosine decay to ``min_lr`` (the usual schedule for Transformers)::

        lr = base_lr * (t + 1) / warmup_steps                          t < warmup_steps
        lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * s)) / 2       warmup_steps <= t
             with s = min(1, (t - warmup_steps) / (total_steps - warmup_steps))

    Warm-up climbs to base_lr at t = warmup_steps - 1 (its first step already moves, with
    base_lr / warmup_steps); the cosine then falls to min_lr at t = total_steps and stays
    there. Call ``step()`` once a batch.
    """

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
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

    def lr_at(self, base_lr, t):
        if t < self.warmup_steps:
            return base_lr * (t + 1) / self.warmup_steps
        progress = min(1.0, (t - self.warmup_steps) / (self.total_steps - self.warmup_steps))
        cosine = (1 + math.cos(math.pi * progress)) / 2
        return self.min_lr + (base_lr - self.min_lr) * cosine


class ReduceLROnPlateau(_SchedulerState):
    """Cut lr by ``factor`` when a metric stops improving, as PyTorch's scheduler.

    Call ``step(metric)`` once an epoch with a validation loss (mode='min') or accuracy
    (mode='max'). A value counts as better than the best so far when::

        rel, min:  metric < best * (1 - threshold)      abs, min:  metric < best - threshold
        rel, max:  metric > best * (1 + threshold)      abs, max:  metric > best + threshold

    After more than ``patience`` epochs without improvement each group's lr becomes
    ``max(lr * factor, min_lr)`` (changes smaller than ``eps`` are skipped), then
    ``cooldown`` epochs pass before bad epochs are counted again.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"ReduceLROnPlateau: expected a manabu Optimizer, got {type(optimizer).__name__}"
            )
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(
                    f"ReduceLROnPlateau: {len(min_lr)} min_lr values for {n_groups} groups"
                )
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n_groups
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, metric, best):
        """True when ``metric`` improves on ``best`` by more than the threshold."""
        if self.threshold_mode == "rel":
            if self.mode == "min":
                return metric < best * (1 - self.threshold)
            return metric > best * (1 + self.threshold)
        if self.mode == "min":
            return metric < best - self.threshold
        return metric > best + self.threshold

    def step(self, metrics):
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
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

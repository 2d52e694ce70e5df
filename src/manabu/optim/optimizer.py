"""Optimizer: the base class of every update rule (最適化アルゴリズム).

An optimizer holds ``param_groups`` (lists of parameters, each group with its own
hyper-parameters such as ``lr``) and ``state`` (per-parameter buffers such as a momentum
velocity). ``step()`` reads ``p.grad`` and updates ``p.data`` in place; subclasses write
only the rule for one parameter, in ``_update(p, g, state, group)``, as DeZero's
``update_one`` does. ``step()`` hands them g with the L2 penalty already in it,
``g + weight_decay * p`` (荷重減衰, weight decay), so no rule repeats that line; AdamW,
whose decay shrinks p instead (decoupled), sets ``decoupled_weight_decay``.

``self.state`` is a dict keyed by the parameter object itself (a Tensor hashes by
identity), never by ``id(p)``: an id can be reused once an object is garbage-collected.

``state_dict()`` is plain data (NumPy arrays, numbers, lists) with parameters referred to
by their position in ``param_groups`` order, as in PyTorch, so a checkpoint can be written
as safetensors + JSON, without pickle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.autograd import Tensor, enable_grad, no_grad

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

    # What an optimizer takes: parameters, or parameter groups {"params": [...], "lr": ...}
    Params = Iterable[Tensor] | Iterable[dict[str, Any]]

# Group keys a learning-rate scheduler adds (the lr the schedule starts from): a checkpoint
# may hold them although the optimizer that loads it has no scheduler yet.
_SCHEDULER_KEYS = ("initial_lr",)

# Hyper-parameters checked for every optimizer that has them: name -> (test, rule).
_CHECKS = {
    "lr": (lambda v: v >= 0, "must be >= 0"),
    "eps": (lambda v: v >= 0, "must be >= 0"),
    "weight_decay": (lambda v: v >= 0, "must be >= 0"),
    "momentum": (lambda v: v >= 0, "must be >= 0"),
    "dampening": (lambda v: 0 <= v <= 1, "must be in [0, 1]"),
    "alpha": (lambda v: v >= 0, "must be >= 0"),
    "rho": (lambda v: 0 <= v <= 1, "must be in [0, 1]"),
    "lr_decay": (lambda v: v >= 0, "must be >= 0"),
    "initial_accumulator_value": (lambda v: v >= 0, "must be >= 0"),
}


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of parameters, or of dicts ``{"params": [...], "lr": ...}``
    (parameter groups, each overriding some of ``defaults``), as in PyTorch.

    A subclass passes its hyper-parameters as ``defaults`` and writes the rule for one
    parameter in ``_update(p, g, state, group)``; ``step()`` loops over the groups and
    skips parameters without a gradient. Invalid values (a negative ``lr``, ``eps``,
    ``weight_decay`` or ``momentum``, ``betas`` outside [0, 1), ...) raise ValueError
    naming the optimizer, as PyTorch does.

    Args:
        params: the parameters to optimise (e.g. ``model.parameters()``), or dicts of
            parameter groups, each with a ``"params"`` entry and any hyper-parameters
            that differ from ``defaults``. A single Tensor is refused (wrap it in a list)
        defaults: the hyper-parameters every group starts from (``{"lr": 0.01, ...}``)

    Example:
        >>> w = nn.Parameter(np.array([1.0, 2.0]))
        >>> b = nn.Parameter(np.array([0.5]))
        >>> opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [group["lr"] for group in opt.param_groups]
        [0.1, 0.5]
    """

    # True: the rule applies weight_decay to p itself (AdamW), and step() leaves g alone
    decoupled_weight_decay = False

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state = {}  # parameter -> dict of buffers, filled lazily by step()
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of parameters, got a "
                "single Tensor; wrap it in a list: [p]"
            )
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyper-parameters defaulting to ``defaults``.

        Args:
            group: ``{"params": [...], ...}``; a parameter already in another group, a
                non-leaf Tensor or an invalid hyper-parameter raises ValueError
        """
        name = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got {type(group)}")
        group = dict(group)
        params = group.get("params")
        if params is None:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name} can't optimize a non-leaf Tensor (one made by an op)")
        seen = {}  # keyed by the parameter: identity
        for other in self.param_groups:
            for p in other["params"]:
                seen[p] = True
        for p in params:
            if p in seen:
                raise ValueError(f"{name}: a parameter appears in more than one group")
            seen[p] = True
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """ValueError naming the optimizer and the value for an invalid hyper-parameter."""
        name = type(self).__name__
        for key, (test, rule) in _CHECKS.items():
            if key in group and not test(group[key]):
                raise ValueError(f"{name}: invalid {key} {group[key]!r}: {rule}")
        if "betas" in group:
            betas = tuple(group["betas"])
            if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
                raise ValueError(
                    f"{name}: invalid betas {group['betas']!r}: need two values in [0, 1)"
                )

    def _parameters(self) -> Iterator[Tensor]:
        for group in self.param_groups:
            yield from group["params"]

    # ------------------------------------------------------------------ the update
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (or fill them with zeros in place).

        Args:
            set_to_none: True (the default, as in PyTorch 2) drops each gradient; False
                keeps the arrays and writes zeros into them
        """
        for p in self._parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss.

        ``closure`` (optional) recomputes the loss and its gradients, as in PyTorch.

        Args:
            closure: a function that zeroes the gradients, computes the loss, calls
                ``backward()`` and returns the loss; run with gradients enabled

        Returns:
            what ``closure`` returned, or None without one
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = {}
                    self._update(p, self._gradient(p, group), state, group)
        return loss

    def _gradient(self, p, group):
        """p's gradient array with the L2 penalty:  g = grad + weight_decay * p."""
        g = p.grad.data
        weight_decay = group.get("weight_decay", 0)
        if weight_decay != 0 and not self.decoupled_weight_decay:
            g = g + weight_decay * p.data  # a new array: p.grad stays untouched
        return g

    def _update(self, p, g, state, group):
        """Update ``p.data`` in place from its gradient array ``g`` (never write into g)."""
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The optimizer as plain data: ``{"type": "Adam", "state": {index: {...}},
        "param_groups": [...]}``.

        Parameters are numbered 0, 1, ... in ``param_groups`` order; buffers are copied to
        NumPy arrays, so the dict does not change when training goes on. ``type`` (the
        class name) lets ``load_state_dict`` refuse another optimizer's state.

        Example:
            >>> w = nn.Parameter(np.array([1.0, 2.0]))
            >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
            >>> (w * w).sum().backward()
            >>> opt.step()
            >>> state = opt.state_dict()
            >>> state["type"], state["state"][0]["momentum_buffer"]
            ('SGD', array([2., 4.]))
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index[p] = len(index)
                packed["params"].append(index[p])
            groups.append(packed)
        state = {}
        for p, buffers in self.state.items():
            state[index[p]] = {k: _to_plain(v) for k, v in buffers.items()}
        return {"type": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict()`` (also from its JSON round trip: str keys, lists).

        The saved hyper-parameters (lr included) replace the current ones, as in PyTorch,
        so that a resumed run goes on exactly.

        Args:
            state_dict: what ``state_dict()`` returned, from an optimizer of the same type
                over parameters of the same groups and sizes (ValueError otherwise)
        """
        name = type(self).__name__
        saved_type = state_dict.get("type")  # absent from state dicts of older versions
        if saved_type is not None and saved_type != name:
            raise ValueError(
                f"{name}.load_state_dict: the checkpoint holds {saved_type} state, this "
                f"optimizer is {name}; build the same optimizer to resume, or start a new run "
                "without resume_from"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: {len(saved_groups)} parameter groups saved, "
                f"this optimizer has {len(self.param_groups)}"
            )
        params = []
        for saved, group in zip(saved_groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: a saved group has {len(saved['params'])} "
                    f"parameters, the matching group here has {len(group['params'])}"
                )
            params.extend(group["params"])
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            # another optimizer's hyper-parameters (Adam's betas loaded into SGD) would be
            # kept but never used: refuse them, also when the state dict names no type
            unknown = sorted(k for k in saved if k != "params" and k not in group
                             and k not in self.defaults and k not in _SCHEDULER_KEYS)
            if unknown:
                raise ValueError(
                    f"{name}.load_state_dict: saved parameter group {i} has hyper-parameters "
                    f"{unknown} that {name} does not have (its own are "
                    f"{sorted(self.defaults)}); the state was saved by another optimizer: "
                    "build the same optimizer to resume"
                )
        for saved, group in zip(saved_groups, self.param_groups):
            for key, value in saved.items():
                if key == "params":
                    continue
                if isinstance(self.defaults.get(key), tuple):
                    value = tuple(value)  # JSON turns tuples (betas) into lists
                group[key] = value
            self._check_group(group)
        self.state = {}
        for key, buffers in state_dict["state"].items():
            p = params[int(key)]
            self.state[p] = {k: _from_plain(v, p) for k, v in buffers.items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _to_plain(value):
    """A buffer as a NumPy copy; numbers stay numbers."""
    if backend.is_array(value):
        return backend.to_device(value, "cpu").copy()
    return value


def _from_plain(value, p):
    """A saved buffer back on p's device, in p's floating dtype; numbers stay numbers."""
    if backend.is_array(value):
        value = backend.to_device(value, "cpu")
    if isinstance(value, (list, tuple, np.ndarray)):
        array = np.array(value, dtype=p.dtype)  # a copy: the checkpoint stays untouched
        return backend.to_device(array, backend.device_of(p.data))
    return value


def zeros_like(array: Any) -> Any:
    """A zero buffer of the array's shape, dtype and device (NumPy or CuPy).

    Args:
        array: a NumPy or CuPy array

    Returns:
        zeros of the same shape and dtype, on the same device
    """
    return backend.get_array_module(array).zeros_like(array)


def zero_buffer(state: dict[str, Any], name: str, p: Tensor) -> Any:
    """``state[name]``, made on first use as zeros shaped like p (state is created lazily).

    Args:
        state: the parameter's buffers, ``optimizer.state[p]``
        name: the buffer's key, e.g. ``"velocity"``
        p: the parameter the buffer belongs to

    Returns:
        the buffer (an array like ``p.data``), the same object on every call
    """
    buffer = state.get(name)
    if buffer is None:
        buffer = state[name] = zeros_like(p.data)
    return buffer

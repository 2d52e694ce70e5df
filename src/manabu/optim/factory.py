"""Optimizers by name, for the command line and configuration files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.optim.adam import Adam, AdamW
from manabu.optim.adaptive import Adadelta, Adagrad, RMSprop
from manabu.optim.sgd import SGD, Momentum, Nesterov

if TYPE_CHECKING:
    from typing import Any

    from manabu.optim.optimizer import Optimizer, Params

OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adadelta": Adadelta,
    "adam": Adam,
    "adamw": AdamW,
}


def build(name: str, params: Params, **hyper_parameters: Any) -> Optimizer:
    """``build("adam", model.parameters(), lr=1e-3)``: the optimizer class named ``name``
    (case-insensitive: sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw).

    Args:
        name: one of the keys of ``OPTIMIZERS``, in any case; ValueError otherwise
        params: the parameters to optimise, or dicts of parameter groups
        **hyper_parameters: passed on to the optimizer's constructor (``lr``, ...)

    Returns:
        the new optimizer

    Example:
        >>> opt = optim.build("Adam", nn.Linear(3, 2).parameters(), lr=0.01)
        >>> type(opt).__name__, opt.param_groups[0]["lr"]
        ('Adam', 0.01)
    """
    cls = OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(
            f"unknown optimizer {name!r}: choose one of {', '.join(sorted(OPTIMIZERS))}"
        )
    return cls(params, **hyper_parameters)

"""Optimizers by name, for the command line and configuration files."""

from manabu.optim.adam import Adam, AdamW
from manabu.optim.adaptive import Adadelta, Adagrad, RMSprop
from manabu.optim.sgd import SGD, Momentum, Nesterov

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


def build(name, params, **hyper_parameters):
    """``build("adam", model.parameters(), lr=1e-3)``: the optimizer class named ``name``
    (case-insensitive: sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw)."""
    cls = OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(
            f"unknown optimizer {name!r}: choose one of {', '.join(sorted(OPTIMIZERS))}"
        )
    return cls(params, **hyper_parameters)

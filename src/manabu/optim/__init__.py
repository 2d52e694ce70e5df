"""Optimizers (最適化アルゴリズム), learning-rate schedules and gradient clipping.

    import manabu.optim as optim
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)

Every update rule is written out in its class's docstring and applied in place to
``p.data``; the notes' names (Momentum, AdaGrad, RMSProp, AdaDelta) sit beside PyTorch's.
"""

from manabu.optim import lr_scheduler
from manabu.optim.adam import Adam, AdamW
from manabu.optim.adaptive import AdaDelta, Adadelta, AdaGrad, Adagrad, RMSProp, RMSprop
from manabu.optim.clip import clip_grad_norm_, clip_grad_value_
from manabu.optim.factory import OPTIMIZERS, build
from manabu.optim.optimizer import Optimizer
from manabu.optim.sgd import SGD, Momentum, Nesterov

__all__ = [
    "AdaDelta",
    "AdaGrad",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Momentum",
    "Nesterov",
    "OPTIMIZERS",
    "Optimizer",
    "RMSProp",
    "RMSprop",
    "SGD",
    "build",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
]

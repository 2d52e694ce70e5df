"""TrainingRun: what ``fit`` shares with its callbacks while training (one object a run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from manabu.data import DataLoader
    from manabu.nn.module import Module
    from manabu.optim.optimizer import Optimizer
    from manabu.train.history import History


class TrainingRun:
    """What callbacks see: the model, optimizer, data, history and where training stands.

    ``fit`` makes one and passes it to every callback hook; ``epoch`` and ``step`` (the
    optimizer steps so far) count from 1, and a callback sets ``stop_training = True`` to
    end training after the current epoch (Keras' ``model.stop_training``).

    Args:
        model: the model being trained
        optimizer: its optimizer
        loader: the training DataLoader
        history: the History that ``fit`` fills

    Example:
        >>> from manabu.train.run import TrainingRun
        >>> model = nn.Linear(2, 1)
        >>> loader = data.DataLoader(data.TensorDataset(np.zeros((4, 2))), batch_size=2)
        >>> run = TrainingRun(model, optim.SGD(model.parameters()), loader, train.History())
        >>> run.epoch, run.step, run.stop_training, [name for name, _ in run.named_parameters]
        (0, 0, False, ['weight', 'bias'])
    """

    def __init__(self, model: Module, optimizer: Optimizer, loader: DataLoader,
                 history: History) -> None:
        self.model, self.optimizer, self.loader, self.history = model, optimizer, loader, history
        self.scheduler = None  # set by the LRScheduler callback
        self.named_parameters = list(model.named_parameters())
        self.first_loss = None  # the first step's loss: the yardstick for divergence
        self.epoch = 0
        self.step = 0
        self.stop_training = False

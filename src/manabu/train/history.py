"""History: what ``fit`` measured, per epoch (and per step when asked)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


class History:
    """Per-epoch records such as {"epoch": 1, "loss": 0.31, "accuracy": 0.91, "val_loss": ...}.

    ``history["val_accuracy"]`` gives that metric's list over epochs (as Keras'
    ``history.history[...]``); ``history.steps`` holds per-step losses when ``fit`` was
    called with ``log_every_step=True``.

    Unlike Keras' History (a callback holding ``history.history``, a dict of lists), the
    records are kept per epoch, in ``epochs``; indexing by a key gives the list.

    Example:
        >>> history = train.History()
        >>> history.epochs += [{"epoch": 1, "loss": 0.9}, {"epoch": 2, "loss": 0.5}]
        >>> history["loss"], history.last["epoch"], len(history)
        ([0.9, 0.5], 2, 2)
    """

    def __init__(self) -> None:
        self.epochs = []
        self.steps = []
        self.diverged_at = None  # the epoch fit warned of divergence at, if it did

    def __getitem__(self, key: str) -> list[Any]:
        return [record[key] for record in self.epochs if key in record]

    def __len__(self) -> int:
        return len(self.epochs)

    def keys(self) -> list[str]:
        """Every key recorded in some epoch, in the order first seen."""
        seen = []
        for record in self.epochs:
            seen.extend(k for k in record if k not in seen)
        return seen

    @property
    def last(self) -> dict[str, Any]:
        """The last epoch's record ({} before the first epoch)."""
        return self.epochs[-1] if self.epochs else {}

    def state_dict(self) -> dict[str, Any]:
        """The records as plain data: ``{"epochs": [...], "steps": [...]}``."""
        return {"epochs": self.epochs, "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (copies of the records)."""
        self.epochs = [dict(r) for r in state["epochs"]]
        self.steps = [dict(r) for r in state["steps"]]

    def __repr__(self) -> str:
        return f"History({len(self.epochs)} epochs, keys={self.keys()})"

"""History: what ``fit`` measured, per epoch (and per step when asked)."""


class History:
    """Per-epoch records such as {"epoch": 1, "loss": 0.31, "accuracy": 0.91, "val_loss": ...}.

    ``history["val_accuracy"]`` gives that metric's list over epochs (as Keras'
    ``history.history[...]``); ``history.steps`` holds per-step losses when ``fit`` was
    called with ``log_every_step=True``.
    """

    def __init__(self):
        self.epochs = []
        self.steps = []
        self.diverged_at = None  # the epoch fit warned of divergence at, if it did

    def __getitem__(self, key):
        return [record[key] for record in self.epochs if key in record]

    def __len__(self):
        return len(self.epochs)

    def keys(self):
        seen = []
        for record in self.epochs:
            seen.extend(k for k in record if k not in seen)
        return seen

    @property
    def last(self):
        return self.epochs[-1] if self.epochs else {}

    def state_dict(self):
        return {"epochs": self.epochs, "steps": self.steps}

    def load_state_dict(self, state):
        self.epochs = [dict(r) for r in state["epochs"]]
        self.steps = [dict(r) for r in state["steps"]]

    def __repr__(self):
        return f"History({len(self.epochs)} epochs, keys={self.keys()})"

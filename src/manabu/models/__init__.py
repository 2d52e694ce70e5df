"""Reference models used by the lessons and the `manabu` command.

Every model keeps its constructor arguments in ``self.config``, so ``manabu.save`` can
record the architecture and ``manabu.load`` can rebuild it.
"""

import math

from manabu.models.mlp import MLP
from manabu.models.word2vec import (
    CBOW, SkipGram, UnigramSampler, analogy, contexts_targets, most_similar,
    negative_sampling_loss,
)

__all__ = [
    "CBOW", "MLP", "SkipGram", "UnigramSampler", "analogy", "build", "contexts_targets",
    "most_similar", "negative_sampling_loss",
]


def build(name, input_shape, num_classes, **options):
    """A model by name for inputs of ``input_shape`` (one example) and ``num_classes``."""
    if name == "mlp":
        return MLP(in_features=math.prod(input_shape),
                   hidden_sizes=options.get("hidden_sizes", (256, 128)),
                   out_features=num_classes, dropout=options.get("dropout", 0.0))
    raise ValueError(f"unknown model {name!r}; available: mlp")

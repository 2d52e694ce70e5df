"""Training: the fit loop, callbacks, metrics and resumable state."""

from manabu.train.callbacks import (
    Callback, CSVLogger, EarlyStopping, JSONLogger, LRScheduler, ModelCheckpoint,
)
from manabu.train.fit import (
    DivergenceWarning, NonFiniteGradientError, NonFiniteLossError, evaluate, fit, predict,
)
from manabu.train.gan import fit_gan, load_gan_state, save_gan_state
from manabu.train.gan_augment import ADA, APA, DiffAugment, consistency_loss, diff_augment
from manabu.train.gan_losses import (
    GAN_LOSSES, discriminator_loss, generator_loss, gradient_penalty,
)
from manabu.train.fid import feature_statistics, frechet_distance
from manabu.train.gan_metrics import mode_coverage
from manabu.train.history import History
from manabu.train.metrics import accuracy, confusion_matrix, precision_recall_f1, top_k_accuracy
from manabu.train.state import load_training_state, save_training_state

__all__ = [
    "ADA", "APA", "DiffAugment", "consistency_loss", "diff_augment",
    "GAN_LOSSES", "discriminator_loss", "fit_gan", "generator_loss", "gradient_penalty",
    "feature_statistics", "frechet_distance", "load_gan_state", "mode_coverage",
    "save_gan_state",
    "CSVLogger", "Callback", "DivergenceWarning", "EarlyStopping", "History", "JSONLogger",
    "LRScheduler", "ModelCheckpoint", "NonFiniteGradientError", "NonFiniteLossError",
    "accuracy", "confusion_matrix", "evaluate", "fit", "load_training_state",
    "precision_recall_f1", "predict", "save_training_state", "top_k_accuracy",
]

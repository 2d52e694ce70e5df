"""An MNIST-FID: the Frechet distance (train/fid.py) between the features a manabu CNN
classifier, trained on MNIST, gives real and generated digits.

The Inception network of the original FID knows nothing of handwritten digits; a small
classifier trained on them is the usual stand-in for MNIST. Its features are the 128
activations of ``SimpleCNN``'s hidden fully connected layer (after the ReLU), the layer
just before the class logits. Every score is reported beside its floor, the FID between
two real samples of the same size (MNIST's train and test sets), under which no
generator can go. The same classifier also reads generated digits: a cGAN's recognition
rate is the share it labels as the digit asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import manabu
from manabu import nn, optim, train
from manabu.autograd import Tensor, no_grad
from manabu.models.cnn import SimpleCNN
from manabu.train.fid import feature_statistics, frechet_distance

if TYPE_CHECKING:
    import os

__all__ = ["MNISTFID"]


def _check_images(images):
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"MNISTFID: images must be (N, 1, 28, 28), got {images.shape}")
    if images.size and (images.min() < -1e-3 or images.max() > 1 + 1e-3):
        raise ValueError(f"MNISTFID: images must lie in [0, 1] as MNIST's do, got values in "
                         f"[{images.min():.3g}, {images.max():.3g}]; map a tanh "
                         "generator's output with (x + 1) / 2")
    return images.astype(np.float32)


class MNISTFID:
    """The FID of generated MNIST digits, from a SimpleCNN's hidden features.

    Args:
        classifier: a trained ``models.SimpleCNN`` for (1, 28, 28) digits (``MNISTFID.fit``
            trains one)

    Example:
        >>> fid = models.MNISTFID(models.SimpleCNN())   # an untrained one, to show the API
        >>> digits = np.random.default_rng(0).uniform(0, 1, (50, 1, 28, 28))
        >>> fid.features(digits).shape
        (50, 128)
        >>> fid.score(digits, digits) < 1e-6
        True
    """

    def __init__(self, classifier: SimpleCNN) -> None:
        if not isinstance(classifier, SimpleCNN):
            raise ValueError(f"MNISTFID: classifier must be a models.SimpleCNN, got "
                             f"{type(classifier).__name__}")
        self.classifier = classifier

    @classmethod
    def fit(cls, images: Any, labels: Any, epochs: int = 3, seed: int = 0,
            verbose: int = 0) -> MNISTFID:
        """Train the classifier on MNIST digits (N, 1, 28, 28) in [0, 1]: Adam 1e-3,
        batches of 100.

        Args:
            images: the training digits
            labels: their classes (N,)
            epochs: passes over the digits. Default: 3
            seed: initialisation and shuffling. Default: 0
            verbose: fit's verbosity. Default: 0
        """
        images = _check_images(images)
        manabu.manual_seed(seed)
        cnn = SimpleCNN()
        train.fit(cnn, nn.CrossEntropyLoss(), optim.Adam(cnn.parameters(), lr=1e-3),
                  (images, np.asarray(labels)), epochs=epochs, batch_size=100, seed=seed,
                  verbose=verbose)
        return cls(cnn)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save the classifier (``manabu.save``); ``MNISTFID.load`` reads it back.

        Args:
            path: the file
        """
        manabu.save(self.classifier, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MNISTFID:
        """An MNISTFID around the classifier saved at ``path``.

        Args:
            path: a file written by ``save``
        """
        return cls(manabu.load(path))

    def _forward(self, images, batch_size, head):
        images = _check_images(images)
        cnn = self.classifier
        was_training = cnn.training
        cnn.eval()
        parts = []
        try:
            with no_grad():
                for i in range(0, len(images), batch_size):
                    h = cnn.features(Tensor(images[i:i + batch_size]))
                    for layer in list(cnn.classifier)[:-1]:  # Flatten, Linear, ReLU
                        h = layer(h)
                    parts.append((cnn.classifier[-1](h) if head else h).numpy())
        finally:
            cnn.train(was_training)
        return np.concatenate(parts) if parts else np.zeros((0, 128), np.float32)

    def features(self, images: Any, batch_size: int = 500) -> np.ndarray:
        """The hidden features (N, 128) of digits (N, 1, 28, 28) in [0, 1].

        Args:
            images: the digits
            batch_size: digits per forward pass. Default: 500
        """
        return self._forward(images, batch_size, head=False)

    def classify(self, images: Any, batch_size: int = 500) -> np.ndarray:
        """The classifier's label (N,) for each digit.

        Args:
            images: the digits (N, 1, 28, 28) in [0, 1]
            batch_size: digits per forward pass. Default: 500
        """
        return self._forward(images, batch_size, head=True).argmax(axis=1)

    def statistics(self, images: Any) -> tuple[np.ndarray, np.ndarray]:
        """(mean, covariance) of the digits' features, for ``score``'s reference.

        Args:
            images: the digits (N, 1, 28, 28) in [0, 1]
        """
        return feature_statistics(self.features(images))

    def score(self, images: Any, reference: Any) -> float:
        """The FID of ``images`` against ``reference``: digits, or their ``statistics``.

        Args:
            images: generated digits (N, 1, 28, 28) in [0, 1]
            reference: real digits, or (mean, covariance) from ``statistics``
        """
        if not isinstance(reference, tuple):
            reference = self.statistics(reference)
        return frechet_distance(*self.statistics(images), *reference)

    def floor(self, train_images: Any, test_images: Any, n: int,
              seed: int = 0) -> float:
        """The real-vs-real FID: n digits of the training set against the reference of
        n test digits; a generator scored on n samples cannot be expected to go lower.

        Args:
            train_images: real digits (from the set a generator learns)
            test_images: other real digits (the reference)
            n: the sample size of the scores it sits beside
            seed: which n digits are drawn. Default: 0
        """
        rng = np.random.default_rng(seed)
        a = np.asarray(train_images)[rng.choice(len(train_images), n, replace=False)]
        b = np.asarray(test_images)[rng.choice(len(test_images), n, replace=False)]
        return self.score(a, b)

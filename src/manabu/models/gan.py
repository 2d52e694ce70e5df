"""Generators and discriminators for GANs (敵対的生成ネットワーク): an MLP pair for points
and small images, DCGAN's convolutional pair for 28x28 images (Radford et al., 2016), and
their conditional forms (cGAN; Mirza & Osindero, 2014).

    G: z ~ N(0, I) (N, latent_dim) [, label y]  ->  an example (N, *shape), in [-1, 1] (tanh)
    D: an example [, label y]                   ->  a score (N,): a logit, or a critic value

DCGAN for 28x28 (width w, image channels C):
    G  z -> Linear -> (2w, 7, 7) -> BN, ReLU -> ConvT 4x4/2 -> (w, 14, 14) -> BN, ReLU
         -> ConvT 4x4/2 -> (C, 28, 28) -> tanh
    D  (C, 28, 28) -> Conv 4x4/2 -> (w, 14, 14) -> LeakyReLU(0.2) -> Conv 4x4/2 -> (2w, 7, 7)
         -> [BN] -> LeakyReLU(0.2) -> Linear -> a score

The label y goes into G as a learned embedding concatenated to z (the vector inserted to
control the output). D takes it by projection (Miyato & Koyama, 2018): with phi(x) D's
features and an embedding e(y), score = w^T phi(x) + e(y)^T phi(x), so D judges whether x
is real *and* of class y. A critic trained with a gradient penalty (WGAN-GP) must not use
batch norm, which mixes the examples of a batch: ``norm="none"`` (the default for
``wasserstein`` in the CLI); ``spectral=True`` wraps every layer of D in
``nn.utils.spectral_norm`` (SN-GAN).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend, nn
from manabu.autograd import Tensor, no_grad
from manabu.functional.shape import concatenate, reshape
from manabu.nn.utils import spectral_norm

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DCGANDiscriminator", "DCGANGenerator", "MLPDiscriminator", "MLPGenerator",
           "sample_generator"]

_NORMS = ("batch", "none")


def _check_positive(model, **sizes):
    for name, value in sizes.items():
        if int(value) < 1:
            raise ValueError(f"{model}: {name} must be at least 1, got {value}")


def _labels(model, labels, num_classes, n):
    """The labels as an int array (N,), checked against num_classes."""
    if num_classes == 0:
        if labels is not None:
            raise ValueError(f"{model}: labels given to an unconditional model; build it "
                             "with num_classes=K to condition on them")
        return None
    if labels is None:
        raise ValueError(f"{model}: this model is conditional (num_classes={num_classes}); "
                         "pass labels (N,) of ints in [0, num_classes)")
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels).astype(np.int64)
    if y.shape != (n,) or (y.size and (y.min() < 0 or y.max() >= num_classes)):
        raise ValueError(f"{model}: labels must be (N,) = ({n},) ints in [0, {num_classes}), "
                         f"got shape {y.shape}" + (f", values in [{y.min()}, {y.max()}]"
                                                   if y.size else ""))
    return y


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _sn(layer, spectral):
    return spectral_norm(layer) if spectral else layer


def _projection(num_classes, features, spectral):
    """The class embedding e(y) of a projection D, Xavier-initialised as in Miyato &
    Koyama's code: N(0, 1) entries would let e(y)^T phi(x), a sum over every feature,
    swamp the score at the start."""
    embed = nn.Embedding(num_classes, features)
    nn.init.xavier_uniform_(embed.weight)
    return _sn(embed, spectral)


class _Generator(nn.Module):
    """What both generators share: z and the optional label embedding."""

    def _input(self, z, labels):
        z = _as_tensor(z)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{type(self).__name__}: z must be (N, latent_dim) = (N, "
                             f"{self.latent_dim}), got {z.shape}")
        y = _labels(type(self).__name__, labels, self.num_classes, z.shape[0])
        if y is None:
            return z
        return concatenate([z, self.embed(y)], axis=1)  # (N, latent_dim + embed)


class _Discriminator(nn.Module):
    """What both discriminators share: the projection of the label embedding."""

    def _score(self, features, labels):
        y = _labels(type(self).__name__, labels, self.num_classes, features.shape[0])
        score = reshape(self.head(features), (features.shape[0],))  # (N,)
        if y is None:
            return score
        return score + (self.embed(y) * features).sum(axis=1)  # + e(y)^T phi(x)


class MLPGenerator(_Generator):
    """G as an MLP: z [+ embedded label] -> (Linear - ReLU) x len(hidden_sizes) -> Linear
    -> reshaped to ``out_shape`` [-> tanh].

    Args:
        latent_dim: the size of z. Default: 2
        out_shape: one example's shape, e.g. (2,) or (1, 28, 28). Default: (2,)
        hidden_sizes: the hidden layers' widths. Default: (64, 64)
        num_classes: 0 for an unconditional G, else the labels' count (cGAN). Default: 0
        tanh: end with tanh (images scaled to [-1, 1]). Default: False

    Shape:
        - Input: z (N, latent_dim) [, labels (N,)]
        - Output: (N, *out_shape)

    Example:
        >>> G = models.MLPGenerator(latent_dim=2, out_shape=(2,))
        >>> G(np.zeros((3, 2), np.float32)).shape
        (3, 2)
    """

    def __init__(self, latent_dim: int = 2, out_shape: Sequence[int] = (2,),
                 hidden_sizes: Sequence[int] = (64, 64), num_classes: int = 0,
                 tanh: bool = False) -> None:
        super().__init__()
        _check_positive("MLPGenerator", latent_dim=latent_dim)
        self.config = {"latent_dim": latent_dim, "out_shape": list(out_shape),
                       "hidden_sizes": list(hidden_sizes), "num_classes": num_classes,
                       "tanh": tanh}
        self.latent_dim, self.num_classes = int(latent_dim), int(num_classes)
        self.out_shape = tuple(int(s) for s in out_shape)
        width = self.latent_dim
        if self.num_classes:
            self.embed = nn.Embedding(self.num_classes, self.num_classes)
            width += self.num_classes
        layers = []
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, math.prod(self.out_shape)))
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, labels: np.ndarray | None = None) -> Tensor:
        x = self.net(self._input(z, labels))  # (N, prod(out_shape))
        return reshape(x, (x.shape[0],) + self.out_shape)  # (N, *out_shape)


class MLPDiscriminator(_Discriminator):
    """D as an MLP: x flattened -> (Linear - LeakyReLU(0.2)) x len(hidden_sizes) ->
    Linear -> a score per example [+ the label's projection].

    Args:
        in_shape: one example's shape. Default: (2,)
        hidden_sizes: the hidden layers' widths. Default: (64, 64)
        num_classes: 0 for an unconditional D, else the labels' count. Default: 0
        spectral: spectral normalisation of every Linear. Default: False

    Shape:
        - Input: x (N, *in_shape) [, labels (N,)]
        - Output: (N,), scores (logits, or critic values)

    Example:
        >>> D = models.MLPDiscriminator(in_shape=(2,))
        >>> D(np.zeros((3, 2), np.float32)).shape
        (3,)
    """

    def __init__(self, in_shape: Sequence[int] = (2,), hidden_sizes: Sequence[int] = (64, 64),
                 num_classes: int = 0, spectral: bool = False) -> None:
        super().__init__()
        self.config = {"in_shape": list(in_shape), "hidden_sizes": list(hidden_sizes),
                       "num_classes": num_classes, "spectral": spectral}
        self.in_shape, self.num_classes = tuple(int(s) for s in in_shape), int(num_classes)
        width = math.prod(self.in_shape)
        layers = [nn.Flatten()]
        for size in hidden_sizes:
            layers += [_sn(nn.Linear(width, size), spectral), nn.LeakyReLU(0.2)]
            width = size
        self.features = nn.Sequential(*layers)
        self.head = _sn(nn.Linear(width, 1), spectral)
        if self.num_classes:
            self.embed = _projection(self.num_classes, width, spectral)

    def forward(self, x: Tensor, labels: np.ndarray | None = None) -> Tensor:
        x = _as_tensor(x)
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(f"MLPDiscriminator: x must be (N, *{self.in_shape}), "
                             f"got {x.shape}")
        return self._score(self.features(x), labels)


def _check_image_size(model, image_size):
    if int(image_size) < 4 or int(image_size) % 4:
        raise ValueError(f"{model}: image_size must be a multiple of 4 (two stride-2 "
                         f"layers), got {image_size}; 28 for MNIST")


class DCGANGenerator(_Generator):
    """DCGAN's generator for small images (the module docstring has the layers).

    Args:
        latent_dim: the size of z. Default: 100
        channels: the image channels. Default: 1
        width: w, the channels of the last hidden layer (the first has 2w). Default: 64
        image_size: the image side, a multiple of 4. Default: 28
        num_classes: 0 for an unconditional G, else the labels' count (cGAN). Default: 0
        embed_dim: the label embedding's size (cGAN). Default: 50

    Shape:
        - Input: z (N, latent_dim) [, labels (N,)]
        - Output: (N, channels, image_size, image_size), in [-1, 1]

    Example:
        >>> G = models.DCGANGenerator(latent_dim=8, width=4)
        >>> G(np.zeros((2, 8), np.float32)).shape
        (2, 1, 28, 28)
    """

    def __init__(self, latent_dim: int = 100, channels: int = 1, width: int = 64,
                 image_size: int = 28, num_classes: int = 0, embed_dim: int = 50) -> None:
        super().__init__()
        _check_positive("DCGANGenerator", latent_dim=latent_dim, channels=channels,
                        width=width)
        _check_image_size("DCGANGenerator", image_size)
        self.config = {"latent_dim": latent_dim, "channels": channels, "width": width,
                       "image_size": image_size, "num_classes": num_classes,
                       "embed_dim": embed_dim}
        self.latent_dim, self.num_classes = int(latent_dim), int(num_classes)
        self.start = (2 * width, image_size // 4, image_size // 4)  # (2w, 7, 7)
        inputs = self.latent_dim
        if self.num_classes:
            self.embed = nn.Embedding(self.num_classes, embed_dim)
            inputs += embed_dim
        self.project = nn.Linear(inputs, math.prod(self.start))
        self.net = nn.Sequential(
            nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),  # (w, 14, 14)
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1),  # (C, 28, 28)
            nn.Tanh(),
        )

    def forward(self, z: Tensor, labels: np.ndarray | None = None) -> Tensor:
        h = self.project(self._input(z, labels))  # (N, 2w*7*7)
        return self.net(reshape(h, (h.shape[0],) + self.start))  # (N, C, 28, 28)


class DCGANDiscriminator(_Discriminator):
    """DCGAN's discriminator for small images (the module docstring has the layers).

    Args:
        channels: the image channels. Default: 1
        width: w, the channels of the first conv (the second has 2w). Default: 64
        image_size: the image side, a multiple of 4. Default: 28
        num_classes: 0 for an unconditional D, else the labels' count (projection).
            Default: 0
        norm: 'batch' (DCGAN) or 'none' (for a WGAN-GP critic, whose penalty is per
            example). Default: 'batch'
        spectral: spectral normalisation of every conv, linear and embedding layer.
            Default: False

    Shape:
        - Input: x (N, channels, image_size, image_size) [, labels (N,)]
        - Output: (N,), scores (logits, or critic values)

    Example:
        >>> D = models.DCGANDiscriminator(width=4)
        >>> D(np.zeros((2, 1, 28, 28), np.float32)).shape
        (2,)
    """

    def __init__(self, channels: int = 1, width: int = 64, image_size: int = 28,
                 num_classes: int = 0, norm: str = "batch", spectral: bool = False) -> None:
        super().__init__()
        _check_positive("DCGANDiscriminator", channels=channels, width=width)
        _check_image_size("DCGANDiscriminator", image_size)
        if norm not in _NORMS:
            raise ValueError(f"DCGANDiscriminator: norm must be one of {_NORMS}, got {norm!r}")
        self.config = {"channels": channels, "width": width, "image_size": image_size,
                       "num_classes": num_classes, "norm": norm, "spectral": spectral}
        self.in_shape = (channels, image_size, image_size)
        self.num_classes = int(num_classes)
        layers = [_sn(nn.Conv2d(channels, width, 4, stride=2, padding=1), spectral),
                  nn.LeakyReLU(0.2),  # (w, 14, 14)
                  _sn(nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), spectral)]
        if norm == "batch":
            layers.append(nn.BatchNorm2d(2 * width))
        layers += [nn.LeakyReLU(0.2), nn.Flatten()]  # (2w*7*7,)
        self.features = nn.Sequential(*layers)
        features = 2 * width * (image_size // 4) ** 2
        self.head = _sn(nn.Linear(features, 1), spectral)
        if self.num_classes:
            self.embed = _projection(self.num_classes, features, spectral)

    def forward(self, x: Tensor, labels: np.ndarray | None = None) -> Tensor:
        x = _as_tensor(x)
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(f"DCGANDiscriminator: x must be (N, *{self.in_shape}), "
                             f"got {x.shape}")
        return self._score(self.features(x), labels)


def sample_generator(generator: nn.Module, n: int, labels: np.ndarray | None = None,
                     seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """n examples from G in eval mode (batch norm uses its running statistics), z drawn
    from N(0, I) with ``seed``; images come back in G's range [-1, 1].

    Args:
        generator: a generator with ``latent_dim`` (and ``num_classes`` for labels)
        n: how many
        labels: (n,) class per example, for a conditional G. Default: None
        seed: draws z. Default: 0
        batch_size: examples per forward pass. Default: 256

    Returns:
        (n, *example shape) float array

    Example:
        >>> G = models.MLPGenerator(latent_dim=2, out_shape=(2,))
        >>> models.sample_generator(G, 5, seed=1).shape
        (5, 2)
    """
    z = np.random.default_rng(seed).standard_normal((n, generator.latent_dim))
    was_training = generator.training
    generator.eval()
    try:
        with no_grad():
            dtype = backend.get_default_dtype()
            parts = [generator(Tensor(z[i:i + batch_size].astype(dtype)),
                               None if labels is None else np.asarray(labels)[i:i + batch_size]
                               ).numpy() for i in range(0, n, batch_size)]
    finally:
        generator.train(was_training)
    return np.concatenate(parts) if parts else np.zeros((0,))

"""Autoencoders (自己符号化器, オートエンコーダ): an hourglass network trained to give back its
input. The encoder squeezes x into a small code z, the decoder rebuilds x from z alone,
so z has to keep what matters about x (a compressed representation, 次元削減):

    z = encoder(x)            (N, latent_dim), the narrow middle of the hourglass
    x_hat = decoder(z)        the input's shape; sigmoid outputs for images in [0, 1]
    loss = BCE(x_hat, x)      or MSE: the reconstruction error (再構成誤差)

Variants, each a small change of the same model:

- **denoising** (雑音除去自己符号化器): the input is corrupted (``data.MaskingNoise``,
  ``data.GaussianNoise``) but the target stays clean, so the code must capture the
  structure of the data rather than copy pixels;
- **sparse** (スパース自己符号化器): a penalty keeps most code units silent for any one
  input: ``sparsity="kl"`` (sigmoid codes whose mean activation is pulled to a target rho,
  ``F.kl_sparsity``) or ``"l1"`` (``F.l1_activity``); the code may then be wider than the
  input (an overcomplete code) and still not copy it;
- **stacked** (積層自己符号化器): ``StackedAutoencoder`` trains one layer at a time on the
  codes of the layer below (greedy layer-wise pre-training, 事前学習, Hinton & Salakhutdinov
  2006; Bengio et al. 2007), then its encoders initialise an MLP that is fine-tuned on
  labels (ファインチューニング): ``pretrain_and_finetune``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from manabu import nn, optim
from manabu.autograd import Tensor, no_grad
from manabu.functional.latent import kl_sparsity, l1_activity
from manabu.functional.loss import binary_cross_entropy, mse_loss
from manabu.models.mlp import ACTIVATIONS, MLP

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Autoencoder", "AutoencoderLoss", "ConvAutoencoder", "StackedAutoencoder",
    "pretrain_and_finetune",
]

_OUTPUTS = ("sigmoid", "identity")
_SPARSITY = (None, "kl", "l1")


def _check_size(model, name, value):
    if int(value) < 1:
        raise ValueError(f"{model}: {name} must be at least 1, got {value}")
    return int(value)


def _activation(model, name):
    if name not in ACTIVATIONS:
        raise ValueError(f"{model}: unknown activation {name!r}; choose from "
                         f"{sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def _output_layer(model, output):
    if output not in _OUTPUTS:
        raise ValueError(f"{model}: output must be one of {_OUTPUTS}, got {output!r} "
                         "('sigmoid' for images in [0, 1], 'identity' for real values)")
    return nn.Sigmoid() if output == "sigmoid" else nn.Identity()


class Autoencoder(nn.Module):
    """A dense autoencoder: encoder Linear layers in_features -> hidden_sizes -> latent_dim,
    and a decoder that mirrors them back to the input's shape.

    ``encode(x)`` gives the code (N, latent_dim), ``decode(z)`` the reconstruction
    (N, *input_shape), ``forward(x)`` both in turn. With ``sparsity`` set, ``forward`` also
    leaves the weighted penalty of its codes in ``self.penalty`` (a scalar Tensor in the
    graph), which ``AutoencoderLoss`` adds to the reconstruction error.

    Args:
        input_shape: the shape of one example, e.g. (1, 28, 28); inputs may also come
            flattened (N, prod(input_shape)). Default: (1, 28, 28)
        hidden_sizes: the encoder's hidden widths (the decoder uses them reversed).
            Default: (256,)
        latent_dim: the size of the code, >= 1. Default: 32
        activation: between the hidden layers ('relu', 'sigmoid', 'tanh', ...).
            Default: 'relu'
        code_activation: applied to the code: None (linear), or an activation name;
            'sigmoid' is required by ``sparsity='kl'``. Default: None
        output: 'sigmoid' (images in [0, 1], with the BCE loss) or 'identity'.
            Default: 'sigmoid'
        sparsity: None, 'kl' (KL(rho || mean activation) per unit) or 'l1' (mean
            sum |z|). Default: None
        sparsity_target: rho, the target mean activation for 'kl'. Default: 0.05
        sparsity_weight: the penalty's weight beside the reconstruction loss.
            Default: 0.001

    Shape:
        - Input: (N, *input_shape) or (N, prod(input_shape))
        - Output: (N, *input_shape)

    Example:
        >>> ae = models.Autoencoder(input_shape=(1, 28, 28), hidden_sizes=(64,), latent_dim=2)
        >>> x = np.zeros((3, 1, 28, 28), dtype=np.float32)
        >>> ae.encode(x).shape, ae(x).shape
        ((3, 2), (3, 1, 28, 28))
    """

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28),
                 hidden_sizes: Sequence[int] = (256,), latent_dim: int = 32,
                 activation: str = "relu", code_activation: str | None = None,
                 output: str = "sigmoid", sparsity: str | None = None,
                 sparsity_target: float = 0.05, sparsity_weight: float = 1e-3) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_shape = tuple(int(s) for s in input_shape)
        latent_dim = _check_size(name, "latent_dim", latent_dim)
        hidden_sizes = [_check_size(name, "each hidden size", h) for h in hidden_sizes]
        if sparsity not in _SPARSITY:
            raise ValueError(f"{name}: sparsity must be None, 'kl' or 'l1', got {sparsity!r}")
        if sparsity == "kl" and code_activation != "sigmoid":
            raise ValueError(f"{name}: sparsity='kl' needs code activations in (0, 1); "
                             "pass code_activation='sigmoid' (or use sparsity='l1')")
        self.config = {
            "input_shape": list(self.input_shape), "hidden_sizes": hidden_sizes,
            "latent_dim": latent_dim, "activation": activation,
            "code_activation": code_activation, "output": output, "sparsity": sparsity,
            "sparsity_target": sparsity_target, "sparsity_weight": sparsity_weight,
        }
        widths = [math.prod(self.input_shape), *hidden_sizes]
        init = "xavier_uniform" if activation in ("sigmoid", "tanh") else "kaiming_uniform"
        encoder, decoder = [nn.Flatten()], []
        for width_in, width_out in zip(widths, widths[1:]):
            encoder += [nn.Linear(width_in, width_out, init=init), _activation(name, activation)]
        encoder.append(nn.Linear(widths[-1], latent_dim, init="xavier_uniform"))
        if code_activation is not None:
            encoder.append(_activation(name, code_activation))
        back = [latent_dim, *reversed(widths)]
        for width_in, width_out in zip(back[:-2], back[1:-1]):
            decoder += [nn.Linear(width_in, width_out, init=init), _activation(name, activation)]
        decoder += [nn.Linear(back[-2], back[-1], init="xavier_uniform"),
                    _output_layer(name, output)]
        self.encoder, self.decoder = nn.Sequential(*encoder), nn.Sequential(*decoder)
        self.penalty = None

    def encode(self, x: Any) -> Tensor:
        """The code z (N, latent_dim) of x (N, *input_shape)."""
        return self.encoder(_check_input(type(self).__name__, x, self.input_shape))

    def decode(self, z: Any) -> Tensor:
        """The reconstruction (N, *input_shape) from codes z (N, latent_dim)."""
        out = self.decoder(z)
        return out.reshape((out.shape[0],) + self.input_shape)

    def forward(self, x: Any) -> Tensor:
        z = self.encode(x)
        self.penalty = self._sparsity_penalty(z)
        return self.decode(z)

    def _sparsity_penalty(self, z):
        kind, weight = self.config["sparsity"], self.config["sparsity_weight"]
        if kind == "kl":
            return kl_sparsity(z, self.config["sparsity_target"]) * weight
        if kind == "l1":
            return l1_activity(z) * weight
        return None


def _check_input(model, x, input_shape):
    """x as (N, *input_shape) or flattened (N, prod): anything else is named."""
    shape = tuple(x.shape)
    if shape[1:] != input_shape and shape[1:] != (math.prod(input_shape),):
        raise ValueError(
            f"{model}: expected inputs (N, {', '.join(map(str, input_shape))}) or "
            f"(N, {math.prod(input_shape)}), got {shape}; reshape the data or build the "
            f"model with input_shape={shape[1:]}"
        )
    return x


class ConvAutoencoder(nn.Module):
    """A convolutional autoencoder for square images: stride-2 convolutions halve the size
    (28 -> 14 -> 7), a Linear layer makes the code, and transposed convolutions
    (転置畳み込み) double it back.

        encoder: [Conv 3x3 stride 2 -> ReLU] per channel count -> flatten -> Linear(latent)
        decoder: Linear -> reshape -> [ConvTranspose 3x3 stride 2 -> ReLU] ... -> sigmoid

    Args:
        in_channels: C of the images. Default: 1
        image_size: H = W, divisible by 2 ** len(channels). Default: 28
        channels: the encoder's channel counts. Default: (16, 32)
        latent_dim: the size of the code, >= 1. Default: 16
        output: 'sigmoid' or 'identity'. Default: 'sigmoid'

    Shape:
        - Input: (N, in_channels, image_size, image_size)
        - Output: the same

    Example:
        >>> ae = models.ConvAutoencoder(latent_dim=8)
        >>> x = np.zeros((2, 1, 28, 28), dtype=np.float32)
        >>> ae.encode(x).shape, ae(x).shape
        ((2, 8), (2, 1, 28, 28))
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28,
                 channels: Sequence[int] = (16, 32), latent_dim: int = 16,
                 output: str = "sigmoid") -> None:
        super().__init__()
        name = type(self).__name__
        latent_dim = _check_size(name, "latent_dim", latent_dim)
        channels = [_check_size(name, "each channel count", c) for c in channels]
        if image_size % 2 ** len(channels):
            raise ValueError(f"{name}: image_size {image_size} must be divisible by "
                             f"2 ** len(channels) = {2 ** len(channels)}")
        self.config = {"in_channels": in_channels, "image_size": image_size,
                       "channels": channels, "latent_dim": latent_dim, "output": output}
        self.input_shape = (in_channels, image_size, image_size)
        side = image_size // 2 ** len(channels)
        self.bottleneck = (channels[-1], side, side)
        encoder, c_in = [], in_channels
        for c in channels:
            encoder += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), nn.ReLU()]
            c_in = c
        encoder += [nn.Flatten(), nn.Linear(math.prod(self.bottleneck), latent_dim)]
        self.encoder = nn.Sequential(*encoder)
        self.expand = nn.Sequential(nn.Linear(latent_dim, math.prod(self.bottleneck)),
                                    nn.ReLU())
        decoder, back = [], [*reversed(channels), in_channels]
        for i, (c_in, c_out) in enumerate(zip(back, back[1:])):
            decoder.append(nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1,
                                              output_padding=1))
            decoder.append(nn.ReLU() if i < len(back) - 2 else _output_layer(name, output))
        self.decoder = nn.Sequential(*decoder)

    def encode(self, x: Any) -> Tensor:
        """The code (N, latent_dim) of images (N, C, H, W)."""
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"ConvAutoencoder: expected images (N, "
                             f"{', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        return self.encoder(x)

    def decode(self, z: Any) -> Tensor:
        """Images (N, C, H, W) from codes (N, latent_dim)."""
        h = self.expand(z)
        return self.decoder(h.reshape((h.shape[0],) + self.bottleneck))

    def forward(self, x: Any) -> Tensor:
        return self.decode(self.encode(x))


class AutoencoderLoss:
    """The reconstruction error of an autoencoder, plus its sparsity penalty if it has one:
    ``loss_fn(output, target)`` for ``train.fit``.

    Args:
        model: the autoencoder whose ``penalty`` (left by its last forward) is added;
            None: no penalty. Default: None
        reconstruction: 'bce' (binary cross-entropy, for sigmoid outputs and targets in
            [0, 1]) or 'mse'. Both are means over every value. Default: 'bce'

    Example:
        >>> ae = models.Autoencoder(hidden_sizes=(16,), latent_dim=2)
        >>> x = np.full((4, 1, 28, 28), 0.5, dtype=np.float32)
        >>> models.AutoencoderLoss(ae)(ae(x), x).shape
        ()
    """

    def __init__(self, model: nn.Module | None = None, reconstruction: str = "bce") -> None:
        if reconstruction not in ("bce", "mse"):
            raise ValueError(f"AutoencoderLoss: reconstruction must be 'bce' or 'mse', got "
                             f"{reconstruction!r}")
        self.model, self.reconstruction = model, reconstruction

    def __call__(self, output: Tensor, target: Any) -> Tensor:
        target = target.reshape(output.shape) if tuple(target.shape) != tuple(output.shape) \
            else target
        if self.reconstruction == "bce":
            loss = binary_cross_entropy(output, target)
        else:
            loss = mse_loss(output, target)
        penalty = getattr(self.model, "penalty", None)
        return loss if penalty is None else loss + penalty


class StackedAutoencoder(nn.Module):
    """Autoencoders stacked layer by layer: ``sizes = (784, 256, 64)`` gives the encoders
    784 -> 256 -> 64, each trained by ``pretrain`` as a one-hidden-layer autoencoder on the
    codes of the layer below (greedy layer-wise pre-training), optionally denoising
    (``noise``: the fraction of inputs masked to 0). ``to_mlp`` hands the trained encoders
    to an MLP classifier for supervised fine-tuning.

    Args:
        sizes: the input width, then each layer's code width. Default: (784, 256, 64)
        activation: the units' activation ('sigmoid', 'relu', ...). Default: 'sigmoid'

    Shape:
        - Input: (N, sizes[0]), or (N, *) with sizes[0] values per example
        - Output: ``forward`` the reconstruction (N, sizes[0]); ``encode`` the codes
          (N, sizes[-1])

    Example:
        >>> stack = models.StackedAutoencoder(sizes=(784, 32, 8))
        >>> x = np.random.default_rng(0).uniform(size=(20, 784)).astype(np.float32)
        >>> history = stack.pretrain(x, epochs=1, batch_size=10, verbose=0)
        >>> [len(h) for h in history], stack.transform(x).shape
        ([1, 1], (20, 8))
    """

    def __init__(self, sizes: Sequence[int] = (784, 256, 64),
                 activation: str = "sigmoid") -> None:
        super().__init__()
        sizes = [_check_size("StackedAutoencoder", "each size", s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError("StackedAutoencoder: sizes needs the input width and at least "
                             f"one code width, got {sizes}")
        _activation("StackedAutoencoder", activation)
        self.config = {"sizes": sizes, "activation": activation}
        init = "xavier_uniform" if activation in ("sigmoid", "tanh") else "kaiming_uniform"
        self.encoders = nn.ModuleList([nn.Linear(a, b, init=init)
                                       for a, b in zip(sizes, sizes[1:])])
        self.decoders = nn.ModuleList([nn.Linear(b, a, init="xavier_uniform")
                                       for a, b in zip(sizes, sizes[1:])])
        self.act = _activation("StackedAutoencoder", activation)

    def encode(self, x: Any, depth: int | None = None) -> Tensor:
        """The codes after the first ``depth`` encoders (all of them by default)."""
        h = x.reshape((x.shape[0], -1))
        for encoder in list(self.encoders)[:depth]:
            h = self.act(encoder(h))
        return h

    def forward(self, x: Any) -> Tensor:
        """Encode with every layer, then decode back through every layer (the deep
        autoencoder the stack unrolls into)."""
        h = self.encode(x)
        for i in reversed(range(len(self.decoders))):
            h = self.decoders[i](h)
            h = h.sigmoid() if i == 0 else self.act(h)
        return h

    def transform(self, x: Any) -> np.ndarray:
        """The top codes as an array (no gradient)."""
        with no_grad():
            return self.encode(Tensor(np.asarray(x, dtype=np.float32))).numpy()

    def pretrain(self, x: Any, epochs: int = 5, batch_size: int = 100, lr: float = 1e-3,
                 noise: float = 0.0, seed: int = 0, verbose: int = 1) -> list[Any]:
        """Greedy layer-wise pre-training: layer k learns to rebuild the codes of layers
        below it (with BCE for the sigmoid-coded layers and the inputs in [0, 1], else MSE),
        then its codes become the next layer's data. Returns one History per layer."""
        from manabu import train

        data = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        histories = []
        for k, (encoder, decoder) in enumerate(zip(self.encoders, self.decoders)):
            layer = _OneLayer(encoder, decoder, self.act, sigmoid_out=k == 0 or
                              self.config["activation"] == "sigmoid", noise=noise, seed=seed)
            loss = AutoencoderLoss(reconstruction="bce" if layer.sigmoid_out else "mse")
            opt = optim.Adam(layer.parameters(), lr=lr)
            if verbose:
                print(f"pre-training layer {k + 1} of {len(self.encoders)}: "
                      f"{encoder.in_features} -> {encoder.out_features}")
            histories.append(train.fit(layer, loss, opt, (data, data), epochs=epochs,
                                       batch_size=batch_size, seed=seed + k, metrics=(),
                                       verbose=verbose))
            with no_grad():
                data = self.act(encoder(Tensor(data))).numpy()
        return histories

    def to_mlp(self, num_classes: int = 10) -> MLP:
        """An MLP sizes[0] -> ... -> sizes[-1] -> num_classes whose hidden layers start from
        the pre-trained encoders (the output layer is new), ready for fine-tuning."""
        return _mlp_from(self.encoders, self.config["sizes"], num_classes,
                         self.config["activation"])


class _OneLayer(nn.Module):
    """One stage of greedy pre-training: x -> act(encoder(x)) -> decoder, sigmoid out;
    during training a ``noise`` fraction of the inputs is zeroed (denoising)."""

    def __init__(self, encoder, decoder, act, sigmoid_out, noise, seed):
        super().__init__()
        self.encoder, self.decoder, self.act = encoder, decoder, act
        self.sigmoid_out, self.noise = sigmoid_out, noise
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        if self.training and self.noise > 0:
            keep = self.rng.uniform(size=x.shape) >= self.noise
            x = x * Tensor(keep.astype(x.dtype))
        out = self.decoder(self.act(self.encoder(x)))
        return out.sigmoid() if self.sigmoid_out else out


def _mlp_from(linears, sizes, num_classes, activation):
    """An MLP whose hidden Linears copy ``linears``' weights and biases."""
    mlp = MLP(in_features=sizes[0], hidden_sizes=sizes[1:], out_features=num_classes,
              activation=activation)
    hidden = [m for m in mlp.layers if isinstance(m, nn.Linear)][:-1]
    for target, source in zip(hidden, linears):
        target.weight.data[...] = source.weight.data
        target.bias.data[...] = source.bias.data
    return mlp


def pretrain_and_finetune(pretrainer: Any, unlabeled: Any, labeled: tuple[Any, Any],
                          num_classes: int = 10, pretrain_epochs: int = 5,
                          finetune_epochs: int = 30, batch_size: int = 100,
                          lr: float = 1e-3, val_data: Any = None, seed: int = 0,
                          verbose: int = 1, **pretrain_options: Any) -> tuple[MLP, Any]:
    """Greedy pre-training on unlabelled data, then supervised fine-tuning of the whole
    network on the labelled examples, in one call.

    ``pretrainer`` is a ``StackedAutoencoder`` or a ``DBN`` (anything with
    ``pretrain(x, epochs=..., seed=..., verbose=..., **options)`` and
    ``to_mlp(num_classes)``). Returns the fine-tuned MLP and its History.

    Args:
        pretrainer: the untrained stack
        unlabeled: inputs (N, ...) for pre-training (labels are not needed)
        labeled: (x, y) for fine-tuning (often far fewer examples)
        num_classes: the classifier's outputs. Default: 10
        pretrain_epochs: epochs per layer of pre-training. Default: 5
        finetune_epochs: epochs of fine-tuning. Default: 30
        batch_size: fine-tuning batch size (capped at the labelled set's size).
            Default: 100
        lr: Adam's learning rate for fine-tuning. Default: 0.001
        val_data: (x, y) evaluated after each fine-tuning epoch. Default: None
        seed: seeds both stages. Default: 0
        verbose: 0 silent, 1 progress. Default: 1
        **pretrain_options: passed on to ``pretrainer.pretrain`` (e.g. ``noise``, ``lr``)
    """
    from manabu import train

    pretrainer.pretrain(unlabeled, epochs=pretrain_epochs, seed=seed, verbose=verbose,
                        **pretrain_options)
    mlp = pretrainer.to_mlp(num_classes)
    x, y = labeled
    x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    if val_data is not None:
        val_data = (np.asarray(val_data[0], dtype=np.float32).reshape(len(val_data[0]), -1),
                    val_data[1])
    history = train.fit(mlp, nn.CrossEntropyLoss(), optim.Adam(mlp.parameters(), lr=lr),
                        (x, np.asarray(y)), val_data=val_data, epochs=finetune_epochs,
                        batch_size=min(batch_size, len(x)), seed=seed, verbose=verbose)
    return mlp, history

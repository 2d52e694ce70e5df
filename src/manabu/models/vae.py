"""The variational autoencoder (変分自己符号化器, VAE; Kingma & Welling 2014) and its
conditional form (cVAE; Sohn et al. 2015).

An autoencoder whose code is a distribution: the encoder gives q(z|x) = N(mu, sigma^2), a
sample z = mu + sigma * eps goes through the decoder p(x|z), and training maximises the
evidence lower bound (ELBO) on log p(x):

    ELBO(x) = E_q[log p(x|z)] - beta * KL(q(z|x) || N(0, I))          (beta = 1: the ELBO)
    log p(x|z) = sum_i x_i log p_i + (1 - x_i) log(1 - p_i)             Bernoulli decoder
               = -sum_i (x_i - m_i)^2 / (2 s^2) + log(2 pi s^2) / 2     Gaussian decoder

Because the KL keeps q close to the prior N(0, I), decoding z ~ N(0, I) gives new
examples (``sample``) and nearby codes give similar ones (the latent manifold of a 2-D VAE).
The ELBO is a bound; ``iwae_log_likelihood`` estimates log p(x) itself with k importance
samples (Burda et al. 2016): log (1/k) sum_j p(x, z_j) / q(z_j|x), a tighter bound as k
grows. The cVAE feeds the label y (one-hot) to the encoder and the decoder,
q(z|x, y) and p(x|z, y), so ``sample(n, labels=...)`` draws the digit it is asked for.

The functions behind it are ``F.reparameterize`` and ``F.gaussian_kl`` (functional/latent.py).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from manabu import nn
from manabu.autograd import Tensor, no_grad
from manabu.functional.latent import gaussian_kl, reparameterize
from manabu.functional.loss import binary_cross_entropy_with_logits
from manabu.functional.shape import concatenate, split
from manabu.models.autoencoder import _activation, _check_input, _check_size
from manabu.random import get_generator

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["CVAE", "VAE", "VAELoss", "VAEOutput", "iwae_log_likelihood"]

_LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2 * math.pi)


class VAEOutput(NamedTuple):
    """What a VAE's forward returns (a NamedTuple).

    Args:
        reconstruction: the decoder's output for z: logits of a Bernoulli decoder, means
            of a Gaussian one, (N, *input_shape)
        mu: q(z|x)'s means (N, Z)
        logvar: q(z|x)'s log variances (N, Z)
        z: the reparameterised sample (N, Z)

    Example:
        >>> out = models.VAE(hidden_sizes=(8,), latent_dim=2)(np.zeros((1, 784), np.float32))
        >>> out._fields
        ('reconstruction', 'mu', 'logvar', 'z')
    """

    reconstruction: Tensor
    mu: Tensor
    logvar: Tensor
    z: Tensor


class VAE(nn.Module):
    """A dense VAE: encoder x -> hidden_sizes -> (mu, logvar), decoder z -> hidden_sizes
    reversed -> x's shape. The 784-400-20 network of Kingma & Welling is the default.

    ``forward(x)`` returns a ``VAEOutput`` (train with ``VAELoss``); ``elbo(x)`` gives the
    ELBO of each example; ``sample(n)`` decodes z ~ N(0, I); ``reconstruct(x)`` decodes the
    posterior means.

    Args:
        input_shape: one example's shape. Default: (1, 28, 28)
        hidden_sizes: the encoder's hidden widths (reversed in the decoder). Default: (400,)
        latent_dim: Z, the size of z, >= 1. Default: 20
        likelihood: 'bernoulli' (values in [0, 1], e.g. MNIST) or 'gaussian' (real
            values; one learned variance for all outputs). Default: 'bernoulli'
        activation: of the hidden layers. Default: 'relu'

    Shape:
        - Input: (N, *input_shape) or (N, prod(input_shape))
        - Output: VAEOutput(reconstruction (N, *input_shape), mu, logvar, z (N, Z))

    Example:
        >>> vae = models.VAE(hidden_sizes=(32,), latent_dim=2)
        >>> out = vae(np.zeros((3, 1, 28, 28), dtype=np.float32))
        >>> out.reconstruction.shape, out.z.shape, vae.sample(4).shape
        ((3, 1, 28, 28), (3, 2), (4, 1, 28, 28))
    """

    condition_size = 0  # the cVAE's one-hot label width

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28),
                 hidden_sizes: Sequence[int] = (400,), latent_dim: int = 20,
                 likelihood: str = "bernoulli", activation: str = "relu") -> None:
        super().__init__()
        name = type(self).__name__
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = _check_size(name, "latent_dim", latent_dim)
        hidden_sizes = [_check_size(name, "each hidden size", h) for h in hidden_sizes]
        if likelihood not in _LIKELIHOODS:
            raise ValueError(f"{name}: likelihood must be 'bernoulli' or 'gaussian', got "
                             f"{likelihood!r}")
        self.likelihood = likelihood
        self.config = {"input_shape": list(self.input_shape), "hidden_sizes": hidden_sizes,
                       "latent_dim": self.latent_dim, "likelihood": likelihood,
                       "activation": activation}
        features = math.prod(self.input_shape)
        encoder = [features + self.condition_size, *hidden_sizes]
        self.encoder = _mlp(name, encoder, activation)
        self.to_stats = nn.Linear(encoder[-1], 2 * self.latent_dim)  # (mu, logvar)
        decoder = [self.latent_dim + self.condition_size, *reversed(hidden_sizes)]
        self.decoder = _mlp(name, decoder, activation)
        self.to_output = nn.Linear(decoder[-1], features)
        if likelihood == "gaussian":
            self.log_scale2 = nn.Parameter(np.zeros(1))  # log s^2 of p(x|z), learned

    # -- the two halves -------------------------------------------------------------------
    def encode(self, x: Any, condition: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """q(z|x) as (mu, logvar), each (N, Z)."""
        x = _check_input(type(self).__name__, x, self.input_shape)
        if self.likelihood == "bernoulli":
            _check_unit_range(type(self).__name__, x)
        h = x.reshape((x.shape[0], -1))
        if condition is not None:
            h = concatenate([h, condition], axis=1)
        mu, logvar = split(self.to_stats(self.encoder(h)), 2, axis=1)
        return mu, logvar

    def decode(self, z: Any, condition: Tensor | None = None) -> Tensor:
        """The decoder's output for codes z (N, Z): Bernoulli logits or Gaussian means,
        shaped (N, *input_shape)."""
        if condition is not None:
            z = concatenate([z, condition], axis=1)
        out = self.to_output(self.decoder(z))
        return out.reshape((out.shape[0],) + self.input_shape)

    def forward(self, x: Any) -> VAEOutput:
        return self._forward(x, None)

    def _forward(self, x, condition):
        mu, logvar = self.encode(x, condition)
        z = reparameterize(mu, logvar)
        return VAEOutput(self.decode(z, condition), mu, logvar, z)

    # -- the objective ---------------------------------------------------------------------
    def log_likelihood(self, reconstruction: Tensor, x: Any) -> Tensor:
        """log p(x|z) per example (N,), summed over the values of x."""
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=reconstruction.dtype))
        x = x.reshape(tuple(reconstruction.shape))
        n = reconstruction.shape[0]
        if self.likelihood == "bernoulli":
            bce = binary_cross_entropy_with_logits(reconstruction, x, reduction="none")
            return -bce.reshape((n, -1)).sum(axis=1)
        gap = (x - reconstruction).reshape((n, -1))
        per_value = gap * gap * (-self.log_scale2).exp() + self.log_scale2 + _LOG_2PI
        return -0.5 * per_value.sum(axis=1)

    def output_mean(self, reconstruction: Tensor) -> Tensor:
        """E[x|z]: the sigmoid of Bernoulli logits, or the Gaussian means themselves."""
        return reconstruction.sigmoid() if self.likelihood == "bernoulli" else reconstruction

    def elbo(self, x: Any, labels: Any = None, batch_size: int = 500) -> np.ndarray:
        """The ELBO of each example (N,), in nats, with one sample of z each (no graph)."""
        parts = []
        with no_grad():
            for start in range(0, len(x), batch_size):
                batch = _as_tensor(x[start:start + batch_size], self)
                out = self._forward(batch, self._condition(labels, start, batch_size))
                kl = gaussian_kl(out.mu, out.logvar)
                parts.append((self.log_likelihood(out.reconstruction, batch) - kl).numpy())
        return np.concatenate(parts)

    # -- generation -----------------------------------------------------------------------
    def sample(self, n: int, generator: np.random.Generator | None = None,
               labels: Any = None) -> np.ndarray:
        """n new examples: decode z ~ N(0, I), return E[x|z] as an array (N, *input_shape)."""
        rng = generator or get_generator()
        z = rng.standard_normal((n, self.latent_dim))
        return self.decode_latent(z, labels)

    def decode_latent(self, z: Any, labels: Any = None) -> np.ndarray:
        """E[x|z] for the codes z (N, Z) as an array (a grid of z draws the manifold)."""
        with no_grad():
            out = self.decode(_as_tensor(z, self), self._condition(labels, 0, len(z)))
            return self.output_mean(out).numpy()

    def reconstruct(self, x: Any, labels: Any = None) -> np.ndarray:
        """E[x|z = mu(x)]: the reconstruction from the posterior mean, as an array."""
        with no_grad():
            condition = self._condition(labels, 0, len(x))
            mu, _ = self.encode(_as_tensor(x, self), condition)
            return self.output_mean(self.decode(mu, condition)).numpy()

    def _condition(self, labels, start, size):
        return None  # a plain VAE is not conditioned


class CVAE(VAE):
    """The conditional VAE: the one-hot label joins x at the encoder's input and z at the
    decoder's, q(z|x, y) and p(x|z, y). ``forward(x, y)``; train it with
    ``train.fit(cvae, VAELoss(), opt, ((x, y), x))``; ``sample(n, labels=y)`` draws the
    classes asked for.

    Args:
        num_classes: the number of labels, >= 2. Default: 10
        the others as ``VAE``'s

    Shape:
        - Input: x (N, *input_shape) and labels (N,) integers in [0, num_classes)
        - Output: VAEOutput(reconstruction (N, *input_shape), mu, logvar, z (N, Z))

    Example:
        >>> cvae = models.CVAE(num_classes=10, hidden_sizes=(32,), latent_dim=2)
        >>> images = cvae.sample(3, labels=[7, 7, 1])
        >>> images.shape
        (3, 1, 28, 28)
    """

    def __init__(self, num_classes: int = 10, input_shape: Sequence[int] = (1, 28, 28),
                 hidden_sizes: Sequence[int] = (400,), latent_dim: int = 20,
                 likelihood: str = "bernoulli", activation: str = "relu") -> None:
        if int(num_classes) < 2:
            raise ValueError(f"CVAE: num_classes must be at least 2, got {num_classes}")
        self.condition_size = int(num_classes)
        super().__init__(input_shape, hidden_sizes, latent_dim, likelihood, activation)
        self.config = {"num_classes": self.condition_size, **self.config}

    def forward(self, x: Any, labels: Any) -> VAEOutput:  # type: ignore[override]
        return self._forward(x, self._one_hot(labels, len(x)))

    def _one_hot(self, labels, n):
        y = np.asarray(labels.numpy() if isinstance(labels, Tensor) else labels).reshape(-1)
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(f"CVAE: expected {n} integer labels, got an array of shape "
                             f"{y.shape} and dtype {y.dtype}")
        if y.min() < 0 or y.max() >= self.condition_size:
            raise ValueError(f"CVAE: labels must be in [0, {self.condition_size}), got "
                             f"{y.min()} .. {y.max()}")
        one_hot = np.zeros((n, self.condition_size), dtype=self.to_output.weight.dtype)
        one_hot[np.arange(n), y] = 1
        return Tensor(one_hot)

    def _condition(self, labels, start, size):
        if labels is None:
            raise ValueError("CVAE: give the labels to condition on (labels=...)")
        y = np.asarray(labels.numpy() if isinstance(labels, Tensor) else labels)
        y = y[start:start + size]
        return self._one_hot(y, len(y))


class VAELoss:
    """The negative ELBO, averaged over the batch: ``loss_fn(output, x)`` for ``train.fit``.

        loss = mean_n [ -log p(x_n|z_n) + beta * KL(q(z|x_n) || N(0, I)) ]   (nats)

    Args:
        model: the VAE (its likelihood decides the reconstruction term)
        beta: the KL weight; 1 is the ELBO, beta > 1 the beta-VAE. Default: 1.0

    Example:
        >>> vae = models.VAE(hidden_sizes=(8,), latent_dim=2)
        >>> x = np.full((4, 784), 0.5, dtype=np.float32)
        >>> loss = models.VAELoss(vae)(vae(x), x)
        >>> loss.shape, loss.item() > 0
        ((), True)
    """

    def __init__(self, model: VAE, beta: float = 1.0) -> None:
        if beta < 0:
            raise ValueError(f"VAELoss: beta must be non-negative, got {beta}")
        self.model, self.beta = model, beta

    def __call__(self, output: VAEOutput, target: Any) -> Tensor:
        reconstruction = -self.model.log_likelihood(output.reconstruction, target)  # (N,)
        kl = gaussian_kl(output.mu, output.logvar)  # (N,)
        return (reconstruction + self.beta * kl).mean()


def iwae_log_likelihood(model: VAE, x: Any, k: int = 100, labels: Any = None,
                        batch_size: int = 100,
                        generator: np.random.Generator | None = None) -> np.ndarray:
    """The importance-weighted estimate of log p(x) per example (N,), in nats:

        log p(x) ~ log (1/k) sum_j p(x|z_j) p(z_j) / q(z_j|x),   z_j ~ q(z|x)

    a lower bound that tightens toward log p(x) as k grows (k = 1 is the ELBO).

    Args:
        model: a trained VAE or CVAE
        x: the examples (N, ...)
        k: importance samples per example, >= 1. Default: 100
        labels: the CVAE's labels. Default: None
        batch_size: examples per pass (each pass decodes batch_size * k codes).
            Default: 100
        generator: for the samples; None: manabu's global one. Default: None
    """
    if k < 1:
        raise ValueError(f"iwae_log_likelihood: k must be at least 1, got {k}")
    rng = generator or get_generator()
    out = []
    with no_grad():
        for start in range(0, len(x), batch_size):
            batch = _as_tensor(x[start:start + batch_size], model)
            n = batch.shape[0]
            condition = model._condition(labels, start, batch_size)
            mu, logvar = (t.numpy() for t in model.encode(batch, condition))
            eps = rng.standard_normal((k,) + mu.shape).astype(mu.dtype)  # (k, N, Z)
            z = mu + np.exp(0.5 * logvar) * eps
            log_q = _log_normal(eps, 0.0) - 0.5 * logvar.sum(axis=-1)  # log q(z|x), (k, N)
            log_prior = _log_normal(z, 0.0)
            repeat = None if condition is None else Tensor(np.tile(condition.numpy(), (k, 1)))
            recon = model.decode(Tensor(z.reshape(k * n, -1)), repeat)
            targets = Tensor(np.tile(batch.numpy(), (k,) + (1,) * (batch.ndim - 1)))
            log_px = model.log_likelihood(recon, targets).numpy().reshape(k, n)
            log_w = (log_px + log_prior - log_q).astype(np.float64)
            top = log_w.max(axis=0)
            out.append(top + np.log(np.exp(log_w - top).mean(axis=0)))
    return np.concatenate(out)


def _log_normal(z, mean):
    """log N(z; mean, I) summed over the last axis (the standard normal's density at eps is
    q's at z, up to the Jacobian -1/2 sum logvar)."""
    return -0.5 * (((z - mean) ** 2) + _LOG_2PI).sum(axis=-1)


def _mlp(model, widths, activation):
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), _activation(model, activation)]
    return nn.Sequential(*layers)


def _check_unit_range(model, x):
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    low, high = float(data.min()), float(data.max())
    if low < 0 or high > 1:
        raise ValueError(
            f"{model}(likelihood='bernoulli') models values in [0, 1], got {low:.4g} .. "
            f"{high:.4g}; scale the data to [0, 1] (e.g. x / 255) or use "
            "likelihood='gaussian'"
        )


def _as_tensor(x, model):
    """x as a Tensor of the model's floating dtype."""
    if isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(x, dtype=model.to_output.weight.dtype))

"""Ops of latent-variable models (潜在変数モデル): the VAE's reparameterised sample and its
Gaussian KL term, and the sparse autoencoder's sparsity penalties.

The VAE (Kingma & Welling, 2014) encodes x as a Gaussian q(z|x) = N(mu, diag(sigma^2)) and
maximises the evidence lower bound (ELBO, 変分下限)

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x),   p(z) = N(0, I)

Sampling z ~ q has no gradient; the reparameterisation trick (再パラメータ化トリック) writes
the sample as a differentiable function of (mu, log sigma^2) and noise that does not depend
on them:

    z = mu + exp(logvar / 2) * eps,   eps ~ N(0, I)

and the KL between two Gaussians has a closed form, so it needs no sampling at all.

A sparse autoencoder (スパース自己符号化器) asks each hidden unit to be active on few
inputs: the mean activation rho_hat_j of unit j over a batch is pulled toward a small target
rho by KL(rho || rho_hat_j) between two Bernoulli distributions (Ng's sparse autoencoder
notes), or the activations themselves are pushed toward 0 by an L1 penalty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu import backend
from manabu.autograd import Function, Tensor
from manabu.functional.elementwise import abs as abs_
from manabu.functional.elementwise import exp
from manabu.random import get_generator

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

__all__ = ["gaussian_kl", "kl_sparsity", "l1_activity", "reparameterize"]


class Reparameterize(Function):
    """z = mu + sigma * eps,  sigma = exp(logvar / 2), eps a constant (the noise);
    gmu = gz,  glogvar = gz * eps * sigma / 2   (= gz * (z - mu) / 2)"""

    twice_differentiable = True

    def forward(self, mu, logvar, eps):
        self.save_for_backward(logvar, eps)  # inputs, so create_graph sees logvar in sigma
        return mu + self.xp.exp(0.5 * logvar) * eps

    def backward(self, gz, xp):
        logvar, eps = self.saved
        return gz, gz * eps * xp.exp(0.5 * logvar) * 0.5, None


def reparameterize(mu: Tensor, logvar: Tensor, eps: ArrayLike | None = None,
                   generator: np.random.Generator | None = None) -> Tensor:
    """A sample z ~ N(mu, exp(logvar)) that gradients flow through (the reparameterisation
    trick): z = mu + exp(logvar / 2) * eps with eps ~ N(0, I).

    Args:
        mu: the means (N, Z)
        logvar: log sigma^2, the shape of mu
        eps: the standard normal noise, the shape of mu; None draws it from ``generator``
            (None: manabu's global one, ``manabu.manual_seed``). Default: None
        generator: a ``np.random.Generator`` for eps. Default: None

    Returns:
        z, the shape of mu

    Example:
        >>> mu, logvar = manabu.tensor(np.zeros((1, 2))), manabu.tensor(np.zeros((1, 2)))
        >>> F.reparameterize(mu, logvar, eps=np.array([[1.0, -2.0]])).numpy()
        array([[ 1., -2.]])
    """
    if tuple(mu.shape) != tuple(logvar.shape):
        raise ValueError(f"reparameterize: mu {tuple(mu.shape)} and logvar "
                         f"{tuple(logvar.shape)} must have the same shape")
    xp = backend.get_array_module(mu.data if isinstance(mu, Tensor) else mu)
    if eps is None:
        eps = (generator or get_generator()).standard_normal(tuple(mu.shape))
    eps = xp.asarray(eps.data if isinstance(eps, Tensor) else eps, dtype=mu.dtype)
    if eps.shape != tuple(mu.shape):
        raise ValueError(f"reparameterize: eps {eps.shape} must have mu's shape "
                         f"{tuple(mu.shape)}")
    return Reparameterize.apply(mu, logvar, eps)


class StandardNormalKL(Function):
    """KL(N(mu, sigma^2) || N(0, 1)) summed over the last axis, sigma^2 = exp(logvar):
        kl = 1/2 sum(mu^2 + exp(logvar) - 1 - logvar)
        gmu = gkl * mu,   glogvar = gkl * (exp(logvar) - 1) / 2"""

    twice_differentiable = True

    def forward(self, mu, logvar):
        self.save_for_backward(mu, logvar)
        return 0.5 * (mu * mu + self.xp.exp(logvar) - 1 - logvar).sum(axis=-1)

    def backward(self, gkl, xp):
        mu, logvar = self.saved
        g = gkl.reshape(tuple(gkl.shape) + (1,))  # (N, 1): one KL per row, for its Z entries
        return g * mu, g * (xp.exp(logvar) - 1) * 0.5


def gaussian_kl(mu_q: Tensor, logvar_q: Tensor, mu_p: Tensor | None = None,
                logvar_p: Tensor | None = None) -> Tensor:
    """KL(N(mu_q, exp(logvar_q)) || N(mu_p, exp(logvar_p))) per row, summed over the
    latent (last) axis: (N, Z) -> (N,). Without a prior (mu_p, logvar_p None) it is the
    VAE's KL to N(0, I), 1/2 sum(mu^2 + sigma^2 - 1 - log sigma^2), one fused op; with one
    (a learned prior, as VHRED's) the general formula

        1/2 sum(logvar_p - logvar_q + (sigma_q^2 + (mu_q - mu_p)^2) / sigma_p^2 - 1)

    Example:
        >>> zero, one = manabu.tensor(np.zeros((1, 2))), manabu.tensor(np.ones((1, 2)))
        >>> F.gaussian_kl(one, zero).numpy()                   # 1/2 sum mu^2
        array([1.])
        >>> F.gaussian_kl(one, zero, zero, zero).numpy()       # the same prior, written out
        array([1.])
    """
    if (mu_p is None) != (logvar_p is None):
        raise ValueError("gaussian_kl: give both mu_p and logvar_p (a Gaussian prior) or "
                         "neither (the standard normal N(0, I))")
    if tuple(mu_q.shape) != tuple(logvar_q.shape):
        raise ValueError(f"gaussian_kl: mu {tuple(mu_q.shape)} and logvar "
                         f"{tuple(logvar_q.shape)} must have the same shape")
    if mu_p is None:
        return StandardNormalKL.apply(mu_q, logvar_q)
    ratio = exp(logvar_q - logvar_p)  # sigma_q^2 / sigma_p^2
    gap = (mu_q - mu_p) * (mu_q - mu_p) * exp(-logvar_p)  # (mu_q - mu_p)^2 / sigma_p^2
    return 0.5 * (logvar_p - logvar_q + ratio + gap - 1.0).sum(axis=-1)


class KLSparsity(Function):
    """sum_j KL(rho || rho_hat_j) of Bernoulli distributions, rho_hat_j = mean_n h_nj:
        kl = sum_j rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j))
        gh_nj = gkl * (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j)) / N"""

    def __init__(self, rho):
        self.rho = rho

    def forward(self, h):
        xp, rho = self.xp, self.rho
        rho_hat = h.mean(axis=0)  # (H,)
        self.save_for_backward(rho_hat)
        self.rows = h.shape[0]
        kl = rho * xp.log(rho / rho_hat) + (1 - rho) * xp.log((1 - rho) / (1 - rho_hat))
        return kl.sum()

    def backward(self, gkl, xp):
        (rho_hat,) = self.saved
        rho = self.rho
        slope = -rho / rho_hat + (1 - rho) / (1 - rho_hat)  # d kl / d rho_hat_j, (H,)
        return xp.broadcast_to(gkl * slope / self.rows, (self.rows,) + slope.shape).copy()


def kl_sparsity(h: Tensor, rho: float = 0.05) -> Tensor:
    """The sparse autoencoder's penalty sum_j KL(rho || rho_hat_j): rho_hat_j is the mean
    activation of hidden unit j over the batch, rho the target (a small activity such as
    0.05). It is 0 when every unit's mean is rho and grows as a unit is on more often.

    Args:
        h: activations (N, H) in (0, 1): a sigmoid layer's outputs
        rho: the target mean activation, in (0, 1). Default: 0.05

    Returns:
        a scalar Tensor

    Example:
        >>> F.kl_sparsity(manabu.tensor(np.full((4, 3), 0.05)), rho=0.05).item()
        0.0
    """
    if not 0 < rho < 1:
        raise ValueError(f"kl_sparsity: rho must be in (0, 1), got {rho}")
    data = h.data if isinstance(h, Tensor) else h
    if data.ndim != 2:
        raise ValueError(f"kl_sparsity: expected activations (N, H), got shape {data.shape}")
    means = data.mean(axis=0)
    if (means <= 0).any() or (means >= 1).any():
        raise ValueError(
            "kl_sparsity: the mean activations must lie strictly inside (0, 1), got "
            f"{float(means.min()):.3g} .. {float(means.max()):.3g}; apply it to a sigmoid "
            "layer's outputs (or use l1_activity for ReLU units)"
        )
    return KLSparsity.apply(h, rho=float(rho))


def l1_activity(h: Tensor) -> Tensor:
    """The L1 activity penalty: sum |h| over the units, averaged over the batch (N, ...)
    -> a scalar; its gradient sign(h) / N pushes activations to exactly 0.

    Example:
        >>> F.l1_activity(manabu.tensor(np.array([[1.0, -2.0], [0.0, 3.0]]))).item()
        3.0
    """
    data = h.data if isinstance(h, Tensor) else h
    return abs_(h).sum() * (1.0 / data.shape[0])

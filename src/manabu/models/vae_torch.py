"""The PyTorch twin of manabu.models.VAE (and CVAE): the same modules under the same names,
so ``nn.copy_to_torch(vae, torch_vae(vae))`` gives it manabu's weights. It takes its noise
eps as an argument, so both sides can be fed the same draws: the oracle of the VAE tests,
the PyTorch side of the vae lesson and of benchmark B9. PyTorch is imported only here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from manabu.models.vae import VAE

__all__ = ["torch_vae"]


def torch_vae(model: VAE) -> Any:
    """A ``torch.nn.Module`` computing what ``model`` (a manabu VAE or CVAE) computes:
    ``twin.loss(x, eps, one_hot=None, beta=1.0)`` -> the mean negative ELBO of the batch
    with the given noise eps (N, Z), and ``twin.elbo(x, eps, one_hot=None)`` -> (N,).

    Example:
        >>> from manabu.models.vae_torch import torch_vae
        >>> vae = models.VAE(hidden_sizes=(8,), latent_dim=2)
        >>> sorted(nn.copy_to_torch(vae, torch_vae(vae)).state_dict())[:2]
        ['decoder.0.bias', 'decoder.0.weight']
    """
    import torch
    from torch import nn as tnn

    config = model.config
    features = math.prod(config["input_shape"])
    extra = config.get("num_classes", 0)
    acts = {"relu": tnn.ReLU, "tanh": tnn.Tanh, "sigmoid": tnn.Sigmoid, "gelu": tnn.GELU,
            "elu": tnn.ELU, "leaky_relu": tnn.LeakyReLU, "silu": tnn.SiLU}
    act = acts[config["activation"]]

    def mlp(widths):
        layers = []
        for a, b in zip(widths, widths[1:]):
            layers += [tnn.Linear(a, b), act()]
        return tnn.Sequential(*layers)

    hidden = config["hidden_sizes"]
    latent = config["latent_dim"]
    bernoulli = config["likelihood"] == "bernoulli"

    class TorchVAE(tnn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = mlp([features + extra, *hidden])
            self.to_stats = tnn.Linear(([features + extra, *hidden])[-1], 2 * latent)
            self.decoder = mlp([latent + extra, *reversed(hidden)])
            self.to_output = tnn.Linear(([latent + extra, *reversed(hidden)])[-1], features)
            if not bernoulli:
                self.log_scale2 = tnn.Parameter(torch.zeros(1))

        def elbo(self, x, eps, one_hot=None, beta=1.0):
            x = x.reshape(len(x), -1)
            h = x if one_hot is None else torch.cat([x, one_hot], dim=1)
            mu, logvar = self.to_stats(self.encoder(h)).chunk(2, dim=1)
            z = mu + torch.exp(0.5 * logvar) * eps
            if one_hot is not None:
                z = torch.cat([z, one_hot], dim=1)
            out = self.to_output(self.decoder(z))
            if bernoulli:
                log_px = -torch.nn.functional.binary_cross_entropy_with_logits(
                    out, x, reduction="none").sum(1)
            else:
                per_value = (x - out) ** 2 * torch.exp(-self.log_scale2) + self.log_scale2
                log_px = -0.5 * (per_value + math.log(2 * math.pi)).sum(1)
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)
            return log_px - beta * kl

        def loss(self, x, eps, one_hot=None, beta=1.0):
            return -self.elbo(x, eps, one_hot, beta).mean()

    return TorchVAE()
